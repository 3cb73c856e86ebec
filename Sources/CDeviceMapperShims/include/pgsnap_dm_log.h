#ifndef PGSNAP_DM_LOG_H
#define PGSNAP_DM_LOG_H

/// Receives one formatted libdevmapper log line. Non-variadic so Swift can provide it.
typedef void (*pgsnap_dm_log_sink)(int level, int dm_errno_or_class, const char *message);

/// Routes libdevmapper's variadic logger to `sink` (NULL restores libdevmapper's default).
void pgsnap_dm_set_log_sink(pgsnap_dm_log_sink sink);

#endif
