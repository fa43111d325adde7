// SPDX-License-Identifier: MIT
//
// fed_proxy.c: the fault-injecting TCP proxy of the tests (fed_proxy.h).
//
// One thread polls the listening socket and both sockets of every
// connection (non-blocking), waking at least every few milliseconds to
// apply the delay and the rate limit and to see new settings. Each
// direction of a connection holds at most one chunk (CHUNK bytes): it is
// read only once the previous one is forwarded. The settings and the
// counters live under one mutex; the thread copies the settings at each
// turn.

#include "fed_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK        16384
#define TURN_MS      5
#define MAX_DELAY_MS 10000

struct half {
	char buf[CHUNK];
	size_t len, off; // bytes held, bytes forwarded
	size_t cut; // close the connection once off reaches it (0: never)
	int64_t ready_ms; // forwarded from then on (the delay)
};

struct conn {
	int fd[2]; // [0] the client, [1] the target; -1 when unused
	struct half h[2]; // [0] client -> target, [1] target -> client
	int stalled;
};

struct settings {
	int delay_ms;
	int64_t rate;
	int stalled;
	int reset_after, reset_left;
	uint64_t drop_gen;
};

struct fed_proxy {
	int lfd, port, target_port;
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int stop;
	struct settings set; // under mtx
	fed_proxy_stats stats; // under mtx
	uint64_t dropped_gen; // under mtx: the last drop carried out
	struct conn conns[FED_PROXY_MAX_CONN]; // the thread's only
	double tokens; // the thread's only: bytes the rate allows now
	int64_t refill_ms;
};

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

// Closes both sides; with hard, as a reset (RST) rather than a FIN.
static void
conn_close(fed_proxy *p, struct conn *c, int faulted, int hard)
{
	for (int i = 0; i < 2; i++) {
		if (hard) {
			struct linger l = {1, 0};
			setsockopt(
			    c->fd[i], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(c->fd[i]);
		c->fd[i] = -1;
	}
	pthread_mutex_lock(&p->mtx);
	p->stats.n_open--;
	p->stats.n_faulted += faulted ? 1u : 0u;
	pthread_mutex_unlock(&p->mtx);
}

static void
conn_accept(fed_proxy *p, const struct settings *s)
{
	int cfd = accept(p->lfd, NULL, NULL);
	if (cfd < 0)
		return;
	struct conn *c = NULL;
	for (size_t i = 0; i < FED_PROXY_MAX_CONN && c == NULL; i++)
		if (p->conns[i].fd[0] < 0)
			c = &p->conns[i];
	struct sockaddr_in a = loopback(p->target_port);
	int tfd = c != NULL ? socket(AF_INET, SOCK_STREAM, 0) : -1;
	if (tfd < 0 || connect(tfd, (struct sockaddr *) &a, sizeof(a)) != 0
	    || nonblocking(tfd) != 0 || nonblocking(cfd) != 0) {
		if (tfd >= 0)
			close(tfd);
		close(cfd); // the target is down, or too many connections
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd[0] = cfd;
	c->fd[1] = tfd;
	c->stalled = s->stalled;
	pthread_mutex_lock(&p->mtx);
	p->stats.n_accepted++;
	p->stats.n_open++;
	pthread_mutex_unlock(&p->mtx);
}

// Reads a chunk from side d into its empty half. -1: the side closed.
static int
conn_read(fed_proxy *p, struct conn *c, int d, struct settings *s)
{
	struct half *h = &c->h[d];
	ssize_t r = recv(c->fd[d], h->buf, sizeof(h->buf), 0);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (r < 0)
		return 0;
	if (c->stalled) {
		pthread_mutex_lock(&p->mtx);
		p->stats.bytes_swallowed += (uint64_t) r;
		pthread_mutex_unlock(&p->mtx);
		return 0;
	}
	h->len = (size_t) r;
	h->off = 0;
	h->cut = 0;
	h->ready_ms = now_ms() + s->delay_ms;
	if (s->reset_left > 0 && r > s->reset_after) {
		h->cut = (size_t) s->reset_after;
		s->reset_left--;
		pthread_mutex_lock(&p->mtx);
		p->set.reset_left--;
		pthread_mutex_unlock(&p->mtx);
	}
	return 0;
}

// Forwards what half d holds and the rate allows. -1: the connection is
// to close (the peer went, or a reset was due: *reset set).
static int
conn_write(
    fed_proxy *p, struct conn *c, int d, const struct settings *s, int *reset)
{
	struct half *h = &c->h[d];
	size_t n = h->len - h->off;
	if (h->cut > 0 && h->off + n > h->cut)
		n = h->cut - h->off;
	if (s->rate > 0 && (double) n > p->tokens)
		n = (size_t) p->tokens;
	ssize_t w
	    = n > 0 ? send(c->fd[1 - d], h->buf + h->off, n, MSG_NOSIGNAL) : 0;
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	h->off += (size_t) w;
	if (s->rate > 0)
		p->tokens -= (double) w;
	pthread_mutex_lock(&p->mtx);
	*(d == 0 ? &p->stats.bytes_up : &p->stats.bytes_down) += (uint64_t) w;
	pthread_mutex_unlock(&p->mtx);
	if (h->cut > 0 && h->off >= h->cut) {
		*reset = 1;
		return -1;
	}
	if (h->off == h->len)
		h->len = h->off = 0;
	return 0;
}

// Poll events wanted on side i of c: reading when its half is empty,
// writing when the other half has bytes due.
static short
wanted(const fed_proxy *p, const struct conn *c, int i, int64_t now,
    const struct settings *s)
{
	short ev = c->h[i].len == 0 ? POLLIN : 0;
	const struct half *o = &c->h[1 - i];
	if (o->len > o->off && now >= o->ready_ms
	    && (s->rate == 0 || p->tokens >= 1.0))
		ev |= POLLOUT;
	return ev;
}

static void
refill(fed_proxy *p, const struct settings *s)
{
	int64_t now = now_ms();
	if (s->rate > 0) {
		double cap = (double) s->rate / 10.0 + 1.0;
		p->tokens += (double) s->rate * (double) (now - p->refill_ms)
		    / 1000.0;
		if (p->tokens > cap)
			p->tokens = cap;
	}
	p->refill_ms = now;
}

// Carries out a drop asked for, and stalls connections when asked.
static void
apply(fed_proxy *p, const struct settings *s)
{
	pthread_mutex_lock(&p->mtx);
	int drop = s->drop_gen != p->dropped_gen;
	pthread_mutex_unlock(&p->mtx);
	for (size_t i = 0; i < FED_PROXY_MAX_CONN; i++) {
		struct conn *c = &p->conns[i];
		if (c->fd[0] < 0)
			continue;
		if (drop)
			conn_close(p, c, 1, 0);
		else if (s->stalled && !c->stalled) {
			c->stalled = 1;
			c->h[0].len = c->h[0].off = 0;
			c->h[1].len = c->h[1].off = 0;
		}
	}
	if (drop) {
		pthread_mutex_lock(&p->mtx);
		p->dropped_gen = s->drop_gen;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mtx);
	}
}

static void
service(
    fed_proxy *p, struct conn *c, const struct pollfd *pf, struct settings *s)
{
	int closing = 0, reset = 0;
	for (int i = 0; i < 2 && !closing; i++) {
		short re = pf[i].revents;
		if ((re & POLLOUT) != 0
		    && conn_write(p, c, 1 - i, s, &reset) != 0)
			closing = 1;
		if (!closing && (re & (POLLIN | POLLHUP | POLLERR)) != 0
		    && c->h[i].len == 0 && conn_read(p, c, i, s) != 0)
			closing = 1;
	}
	if (closing)
		conn_close(p, c, reset, reset);
}

static void *
run(void *arg)
{
	fed_proxy *p = arg;
	struct pollfd pf[1 + 2 * FED_PROXY_MAX_CONN];
	struct conn *owner[FED_PROXY_MAX_CONN];
	p->refill_ms = now_ms();
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		struct settings s = p->set;
		int stop = p->stop;
		pthread_mutex_unlock(&p->mtx);
		if (stop)
			break;
		apply(p, &s);
		refill(p, &s);
		int64_t now = now_ms();
		nfds_t n = 1;
		pf[0] = (struct pollfd) {p->lfd, POLLIN, 0};
		size_t n_conn = 0;
		for (size_t i = 0; i < FED_PROXY_MAX_CONN; i++) {
			struct conn *c = &p->conns[i];
			if (c->fd[0] < 0)
				continue;
			owner[n_conn++] = c;
			for (int k = 0; k < 2; k++)
				pf[n++] = (struct pollfd) {
				    c->fd[k], wanted(p, c, k, now, &s), 0};
		}
		if (poll(pf, n, TURN_MS) <= 0)
			continue;
		refill(p, &s);
		for (size_t i = 0; i < n_conn; i++)
			service(p, owner[i], &pf[1 + 2 * i], &s);
		if ((pf[0].revents & POLLIN) != 0)
			conn_accept(p, &s);
	}
	return NULL;
}

fed_status
fed_proxy_new(int listen_port, int target_port, fed_proxy **out)
{
	if (listen_port < 0 || listen_port > 65535 || target_port < 1
	    || target_port > 65535 || out == NULL)
		return FED_INVALID_ARGUMENT;
	fed_proxy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (size_t i = 0; i < FED_PROXY_MAX_CONN; i++)
		p->conns[i].fd[0] = p->conns[i].fd[1] = -1;
	p->target_port = target_port;
	struct sockaddr_in a = loopback(listen_port);
	socklen_t alen = sizeof(a);
	int one = 1;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0
	    || setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))
	        != 0
	    || bind(p->lfd, (struct sockaddr *) &a, sizeof(a)) != 0
	    || listen(p->lfd, 16) != 0 || nonblocking(p->lfd) != 0
	    || getsockname(p->lfd, (struct sockaddr *) &a, &alen) != 0) {
		if (p->lfd >= 0)
			close(p->lfd);
		free(p);
		return FED_UNAVAILABLE;
	}
	p->port = ntohs(a.sin_port);
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		close(p->lfd);
		pthread_mutex_destroy(&p->mtx);
		pthread_cond_destroy(&p->cond);
		free(p);
		return FED_RESOURCE_EXHAUSTED;
	}
	*out = p;
	return FED_OK;
}

int
fed_proxy_port(const fed_proxy *p)
{
	return p->port;
}

void
fed_proxy_set_delay_ms(fed_proxy *p, int delay_ms)
{
	pthread_mutex_lock(&p->mtx);
	p->set.delay_ms = delay_ms < 0 ? 0
	    : delay_ms > MAX_DELAY_MS  ? MAX_DELAY_MS
	                               : delay_ms;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_set_rate(fed_proxy *p, int64_t bytes_per_s)
{
	pthread_mutex_lock(&p->mtx);
	p->set.rate = bytes_per_s > 0 ? bytes_per_s : 0;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_drop_all(fed_proxy *p)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&p->mtx);
	uint64_t gen = ++p->set.drop_gen;
	while (p->dropped_gen < gen
	    && pthread_cond_timedwait(&p->cond, &p->mtx, &until) == 0)
		;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_set_stalled(fed_proxy *p, int on)
{
	pthread_mutex_lock(&p->mtx);
	p->set.stalled = on != 0;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_reset_mid(fed_proxy *p, int after_bytes, int n_times)
{
	pthread_mutex_lock(&p->mtx);
	p->set.reset_after = after_bytes > 0 ? after_bytes : 1;
	p->set.reset_left = n_times > 0 ? n_times : 0;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_stats_get(fed_proxy *p, fed_proxy_stats *out)
{
	pthread_mutex_lock(&p->mtx);
	*out = p->stats;
	pthread_mutex_unlock(&p->mtx);
}

void
fed_proxy_free(fed_proxy *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mtx);
	p->stop = 1;
	pthread_mutex_unlock(&p->mtx);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < FED_PROXY_MAX_CONN; i++)
		if (p->conns[i].fd[0] >= 0)
			conn_close(p, &p->conns[i], 0, 0);
	close(p->lfd);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p);
}
