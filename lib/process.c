// SPDX-License-Identifier: MIT
//
// process.c: fed/process.h.

#include "fed/process.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "fed/clock.h"

// The reload callbacks. Registered, run and cleared by the main thread,
// but a mutex costs nothing here and keeps a test that registers from
// another thread correct.
static struct {
	pthread_mutex_t mu;
	size_t n;
	struct {
		const char *what;
		fed_reload_fn fn;
		void *arg;
	} cb[FED_PROCESS_MAX_RELOADS];
} reloads = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};

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
fed_process_init(fed_log_level level, sigset_t *signals)
{
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(level);
	sigemptyset(signals);
	sigaddset(signals, SIGTERM);
	sigaddset(signals, SIGINT);
	sigaddset(signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
}

// One wait of at most ms (< 0: without end): the signal, 0 on timeout,
// -1 when interrupted.
static int
wait_once(const sigset_t *signals, int64_t ms)
{
	if (ms < 0) {
		int sig = 0;
		return sigwait(signals, &sig) == 0 ? sig : -1;
	}
	struct timespec ts
	    = {(time_t) (ms / 1000), (long) (ms % 1000) * 1000000L};
	int sig = sigtimedwait(signals, NULL, &ts);
	if (sig > 0)
		return sig;
	return errno == EAGAIN ? 0 : -1;
}

// What is left of a wait that ends at end_ms (never below 0), or -1 for
// a wait without end.
static int64_t
time_left(int64_t timeout_ms, int64_t end_ms)
{
	if (timeout_ms < 0)
		return -1;
	int64_t left = end_ms - fed_clock_mono_ms();
	return left > 0 ? left : 0;
}

fed_process_event
fed_process_wait(const sigset_t *signals, int64_t timeout_ms, int *sig)
{
	int64_t end_ms
	    = fed_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int got = -1;
	while (got < 0) // interrupted: wait for what is left
		got = wait_once(signals, time_left(timeout_ms, end_ms));
	if (sig != NULL)
		*sig = got;
	if (got == 0)
		return FED_PROCESS_TIMEOUT;
	return got == SIGHUP ? FED_PROCESS_RELOAD : FED_PROCESS_STOP;
}

fed_status
fed_process_on_reload(const char *what, fed_reload_fn fn, void *arg)
{
	fed_status st = FED_RESOURCE_EXHAUSTED;
	pthread_mutex_lock(&reloads.mu);
	if (reloads.n < FED_PROCESS_MAX_RELOADS) {
		reloads.cb[reloads.n].what = what;
		reloads.cb[reloads.n].fn = fn;
		reloads.cb[reloads.n].arg = arg;
		reloads.n++;
		st = FED_OK;
	}
	pthread_mutex_unlock(&reloads.mu);
	return st;
}

fed_status
fed_process_reload(void)
{
	fed_status first = FED_OK;
	pthread_mutex_lock(&reloads.mu);
	fed_log(FED_LOG_NOTICE, "process", "reload: %zu part%s to reread",
	    reloads.n, reloads.n == 1 ? "" : "s");
	// Certificates and revocation lists (TLS) reload here too: they
	// register a callback like the token tables do.
	for (size_t i = 0; i < reloads.n; i++) {
		fed_status st = reloads.cb[i].fn(reloads.cb[i].arg);
		if (st == FED_OK)
			continue;
		fed_log(FED_LOG_ERR, "process",
		    "reload of %s refused (%s): the previous one stays in "
		    "force",
		    reloads.cb[i].what, fed_status_name(st));
		if (first == FED_OK)
			first = st;
	}
	pthread_mutex_unlock(&reloads.mu);
	return first;
}

void
fed_process_reload_clear(void)
{
	pthread_mutex_lock(&reloads.mu);
	reloads.n = 0;
	pthread_mutex_unlock(&reloads.mu);
}

int
fed_process_serve(const sigset_t *signals)
{
	int sig = 0;
	while (fed_process_wait(signals, -1, &sig) == FED_PROCESS_RELOAD)
		fed_process_reload();
	return sig;
}
