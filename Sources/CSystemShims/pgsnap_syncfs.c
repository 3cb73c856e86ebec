#define _GNU_SOURCE
#include <unistd.h>

#include "pgsnap_system.h"

int pgsnap_syncfs(int fd)
{
    return syncfs(fd);
}
