#ifndef PGSNAP_BUILD_INFO_H
#define PGSNAP_BUILD_INFO_H

/// The git commit this binary was built from ("1a2b3c4d5e6f", "1a2b3c4d5e6f-dirty"), or
/// "unknown commit" when the build was not told: a plain `swift build` needs no git.
const char *pgsnap_build_commit(void);

#endif
