// SPDX-License-Identifier: MIT
//
// process.c: fed/process.h.

#include "fed/process.h"

#include <pthread.h>
#include <sys/resource.h>

// Raises the soft limit of open descriptors to the hard one: the soft
// default (1024) is below what a server's connection bounds allow
// (fed_rpc_server_opts.max_conns). A failure is logged; the program goes
// on with the limit it has.
static void
raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		fed_log(FED_LOG_WARNING, "process",
		    "cannot raise the descriptor limit from %llu",
		    (unsigned long long) was);
}

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
	raise_nofile();
}
