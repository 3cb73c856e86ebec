#define _GNU_SOURCE
#include <spawn.h>
#include <stdlib.h>

#include "pgsnap_system.h"

int pgsnap_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from)
{
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int pgsnap_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path)
{
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int pgsnap_mkostemp(char *template_path, int flags)
{
    return mkostemp(template_path, flags);
}

short pgsnap_spawn_setsid_flags(short flags)
{
    return (short)(flags | POSIX_SPAWN_SETSID);
}
