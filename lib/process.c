// SPDX-License-Identifier: MIT
//
// process.c: fed/process.h.

#include "fed/process.h"

#include <pthread.h>

void
fed_process_init(fed_log_level level, sigset_t *stop)
{
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(level);
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
}
