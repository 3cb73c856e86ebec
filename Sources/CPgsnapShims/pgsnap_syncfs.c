#define _GNU_SOURCE
#include <unistd.h>

#include "pgsnap_shims.h"

int pgsnap_syncfs(int fd)
{
    return syncfs(fd);
}
