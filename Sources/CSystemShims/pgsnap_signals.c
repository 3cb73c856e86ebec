#include "pgsnap_system.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupting_signal;

static void pgsnap_record_signal(int signal_number)
{
    if (!interrupting_signal)
        interrupting_signal = signal_number;
}

int pgsnap_install_interrupt_handlers(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = pgsnap_record_signal;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: I/O carries on; the backup checks the flag between chunks and stages. */
    action.sa_flags = SA_RESTART;
    int signals[] = {SIGINT, SIGTERM, SIGHUP};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0)
            return -1;
        sigaddset(&unblock, signals[i]);
    }
    /* A parent may have spawned us with these blocked (the mask is inherited), which would
     * leave a SIGTERM pending forever; threads started later inherit this thread's mask. */
    return pthread_sigmask(SIG_UNBLOCK, &unblock, NULL) == 0 ? 0 : -1;
}

int pgsnap_interrupting_signal(void)
{
    return interrupting_signal;
}
