#include "pgsnap_dm_log.h"

#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>

static pgsnap_dm_log_sink current_sink;

/* libdevmapper only offers a printf-style callback; Swift cannot implement one,
 * so the message is formatted here and handed on as a plain string. */
static void pgsnap_dm_log(int level, const char *file, int line, int dm_errno_or_class,
                          const char *format, ...)
{
    (void)file;
    (void)line;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (current_sink)
        current_sink(level, dm_errno_or_class, message);
}

void pgsnap_dm_set_log_sink(pgsnap_dm_log_sink sink)
{
    current_sink = sink;
    dm_log_with_errno_init(sink ? pgsnap_dm_log : NULL);
}
