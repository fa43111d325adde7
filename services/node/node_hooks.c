// SPDX-License-Identifier: MIT
//
// node_hooks.c: the hook runner: a queue of runs and one thread that
// spawns each (posix_spawn, no shell), polls it until it exits or its time
// limit passes, and kills its process group then.

#include "node_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fed/clock.h"
#include "fed/log.h"

typedef struct hook_job {
	char **argv;
	char **env;
	int64_t timeout_ms;
	struct hook_job *next;
} hook_job;

struct node_hooks {
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	hook_job *head, *tail;
	size_t n_queued, max_queued;
	int running; // a hook is being run
	int stop;
	node_hooks_stats stats;
};

static void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char **
strv_dup(const char *const *v)
{
	size_t n = 0;
	while (v[n] != NULL)
		n++;
	char **out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out != NULL && i < n; i++) {
		out[i] = strdup(v[i]);
		if (out[i] == NULL) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}

static void
job_free(hook_job *j)
{
	if (j == NULL)
		return;
	strv_free(j->argv);
	strv_free(j->env);
	free(j);
}

static int
stopping(node_hooks *h)
{
	pthread_mutex_lock(&h->mtx);
	int s = h->stop;
	pthread_mutex_unlock(&h->mtx);
	return s;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

// Waits for pid until its deadline (or the runner stops), then kills its
// group. 0: exited 0; 1: exited otherwise; 2: killed.
static int
wait_or_kill(node_hooks *h, pid_t pid, int64_t timeout_ms)
{
	int64_t deadline = fed_clock_mono_ms() + timeout_ms;
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0
			    ? 0
			    : 1;
		if (r < 0 && errno != EINTR)
			return 1;
		if (fed_clock_mono_ms() >= deadline || stopping(h))
			break;
		sleep_ms(10);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 2;
}

// Spawns j: its own process group, default signals, stdin and stdout on
// /dev/null. 0 and *pid on success, else errno.
static int
spawn(const hook_job *j, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at,
	    POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
	        | POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawn(pid, j->argv[0], &fa, &at, j->argv, j->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

static void
run_one(node_hooks *h, const hook_job *j)
{
	pid_t pid = 0;
	int rc = spawn(j, &pid);
	int outcome = 1;
	if (rc != 0)
		fed_log(FED_LOG_WARNING, "alarms", "hook %s: cannot start: %s",
		    j->argv[0], strerror(rc));
	else
		outcome = wait_or_kill(h, pid, j->timeout_ms);
	if (outcome == 1 && rc == 0)
		fed_log(
		    FED_LOG_WARNING, "alarms", "hook %s failed", j->argv[0]);
	if (outcome == 2)
		fed_log(FED_LOG_WARNING, "alarms",
		    "hook %s killed after its limit of %lld ms", j->argv[0],
		    (long long) j->timeout_ms);
	pthread_mutex_lock(&h->mtx);
	h->stats.n_run += rc == 0;
	h->stats.n_ok += outcome == 0;
	h->stats.n_failed += outcome == 1;
	h->stats.n_killed += outcome == 2;
	pthread_mutex_unlock(&h->mtx);
}

static void *
runner(void *arg)
{
	node_hooks *h = arg;
	pthread_mutex_lock(&h->mtx);
	while (!h->stop) {
		hook_job *j = h->head;
		if (j == NULL) {
			pthread_cond_wait(&h->cond, &h->mtx);
			continue;
		}
		h->head = j->next;
		if (h->head == NULL)
			h->tail = NULL;
		h->n_queued--;
		h->running = 1;
		pthread_mutex_unlock(&h->mtx);
		run_one(h, j);
		job_free(j);
		pthread_mutex_lock(&h->mtx);
		h->running = 0;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->mtx);
	return NULL;
}

fed_status
node_hooks_new(size_t max_queued, node_hooks **out)
{
	node_hooks *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return FED_RESOURCE_EXHAUSTED;
	h->max_queued = max_queued;
	pthread_mutex_init(&h->mtx, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->thread, NULL, runner, h) != 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->mtx);
		free(h);
		return FED_UNAVAILABLE;
	}
	*out = h;
	return FED_OK;
}

void
node_hooks_free(node_hooks *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mtx);
	h->stop = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mtx);
	pthread_join(h->thread, NULL);
	while (h->head != NULL) {
		hook_job *j = h->head;
		h->head = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mtx);
	free(h);
}

fed_status
node_hooks_run(node_hooks *h, const char *const *argv, const char *const *env,
    int64_t timeout_ms)
{
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/'
	    || timeout_ms <= 0)
		return FED_INVALID_ARGUMENT;
	hook_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return FED_RESOURCE_EXHAUSTED;
	j->argv = strv_dup(argv);
	j->env = strv_dup(env);
	j->timeout_ms = timeout_ms;
	if (j->argv == NULL || j->env == NULL) {
		job_free(j);
		return FED_RESOURCE_EXHAUSTED;
	}
	pthread_mutex_lock(&h->mtx);
	int full = h->n_queued >= h->max_queued;
	if (full) {
		h->stats.n_dropped++;
	} else {
		if (h->tail != NULL)
			h->tail->next = j;
		else
			h->head = j;
		h->tail = j;
		h->n_queued++;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->mtx);
	if (!full)
		return FED_OK;
	fed_log(FED_LOG_WARNING, "alarms",
	    "hook %s dropped: %zu runs already waiting", argv[0],
	    h->max_queued);
	job_free(j);
	return FED_RESOURCE_EXHAUSTED;
}

void
node_hooks_stats_get(node_hooks *h, node_hooks_stats *out)
{
	pthread_mutex_lock(&h->mtx);
	*out = h->stats;
	pthread_mutex_unlock(&h->mtx);
}

fed_status
node_hooks_wait_idle(node_hooks *h, int64_t timeout_ms)
{
	int64_t deadline = fed_clock_mono_ms() + timeout_ms;
	pthread_mutex_lock(&h->mtx);
	while ((h->head != NULL || h->running)
	    && fed_clock_mono_ms() < deadline) {
		pthread_mutex_unlock(&h->mtx);
		sleep_ms(5);
		pthread_mutex_lock(&h->mtx);
	}
	int idle = h->head == NULL && !h->running;
	pthread_mutex_unlock(&h->mtx);
	return idle ? FED_OK : FED_DEADLINE_EXCEEDED;
}
