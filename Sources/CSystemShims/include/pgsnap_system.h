#ifndef PGSNAP_SYSTEM_H
#define PGSNAP_SYSTEM_H

/* Kernel and libc calls Swift cannot make directly: signal handlers, and the _GNU_SOURCE-only
 * declarations Swift's Glibc module leaves out. No library beyond libc. */

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that only record the signal, so a backup
/// can finish its teardown before exiting. Returns 0, or -1 with errno set.
int pgsnap_install_interrupt_handlers(void);

/// The first interrupting signal received, or 0.
int pgsnap_interrupting_signal(void);

/* syncfs(2): flush one filesystem. glibc declares it only under _GNU_SOURCE, which Swift's
 * Glibc module does not define. Returns 0 or -1 with errno set. */
int pgsnap_syncfs(int fd);

/* rename(2) that never replaces an existing destination (renameat2 RENAME_NOREPLACE, also
 * _GNU_SOURCE only): a committed backup or a failed-run record is never overwritten, not
 * even an empty directory. Returns 0 or -1 with errno set (EEXIST when the name is taken). */
int pgsnap_rename_noreplace(const char *from, const char *to);

#include <spawn.h>

/* glibc's GNU posix_spawn file actions and mkostemp, for running hooks; like syncfs they are
 * declared only under _GNU_SOURCE. Each returns what the wrapped function returns. */
int pgsnap_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
int pgsnap_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int pgsnap_mkostemp(char *template_path, int flags);

/* The posix_spawn flags for a detached child in a session of its own (POSIX_SPAWN_SETSID,
 * also _GNU_SOURCE only) besides `flags`: the freeze holder outlives the hook that started it. */
short pgsnap_spawn_setsid_flags(short flags);

/* The user id of the process on the other end of a Unix socket (SO_PEERCRED's struct ucred,
 * _GNU_SOURCE only), for the freeze holder. Returns 0 or -1 with errno set. */
int pgsnap_peer_uid(int fd, unsigned int *uid);

#endif
