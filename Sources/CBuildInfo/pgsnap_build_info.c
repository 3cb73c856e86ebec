#include "pgsnap_build_info.h"

/* scripts/install and scripts/package/build set PGSNAP_COMMIT in the environment of
 * `swift build`; Package.swift turns it into this define for this one file, so a new commit
 * recompiles one file and relinks, not the whole package. */
#ifndef PGSNAP_COMMIT
#define PGSNAP_COMMIT "unknown commit"
#endif

const char *pgsnap_build_commit(void) { return PGSNAP_COMMIT; }
