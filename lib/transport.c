// SPDX-License-Identifier: MIT
//
// transport.c: URLs, TLS configuration and the nng error boundary.
//
// A dialer retries in the background and nng 1.5.2 tells no one why a
// connection failed: a TLS handshake refused for a certificate would look,
// to a caller, exactly like a peer that is down. Every TLS configuration
// made here therefore uses enfed's own TLS engine (tls_engine.c), which
// logs each refused handshake, on either side, with the peer and the
// reason, and applies the revocation list.

#include "transport_internal.h"
#include "tls_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <nng/supplemental/tls/tls.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/metrics.h"
#include "fed/tls.h"

static const char *const schemes[] = {
    "ipc://",
    "tcp://",
    "tcp4://",
    "tcp6://",
    "tls+tcp://",
    "tls+tcp4://",
    "tls+tcp6://",
    "inproc://",
};

fed_status
fed__nng_status(int rv, const char *what)
{
	if (rv == 0)
		return FED_OK;
	fed_log(FED_LOG_DEBUG, "nng", "%s: %s (nng %d)", what,
	    nng_strerror(rv), rv);
	switch (rv) {
	case NNG_ETIMEDOUT:
		return FED_DEADLINE_EXCEEDED;
	case NNG_ENOMEM:
	case NNG_EMSGSIZE:
	case NNG_ENOSPC:
		return FED_RESOURCE_EXHAUSTED;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
	case NNG_EBADTYPE:
		return FED_INVALID_ARGUMENT;
	case NNG_ECANCELED:
		return FED_CANCELLED;
	case NNG_ECLOSED:
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_EADDRINUSE:
	case NNG_EUNREACHABLE:
	case NNG_ESTATE:
	case NNG_EAGAIN:
		return FED_UNAVAILABLE;
	case NNG_EPERM:
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO:
		return FED_PERMISSION_DENIED;
	case NNG_EPROTO:
		return FED_INVALID_ARGUMENT;
	default:
		return FED_INTERNAL;
	}
}

int
fed_transport_is_tls(const char *url)
{
	return url != NULL && strncmp(url, "tls+tcp", 7) == 0;
}

// The host part of a tcp or tls+tcp URL: after "://", up to the port.
static int
host_is_loopback(const char *host)
{
	if (strncmp(host, "127.", 4) == 0)
		return 1;
	return strncmp(host, "localhost:", 10) == 0
	    || strncmp(host, "[::1]:", 6) == 0;
}

int
fed_transport_is_local(const char *url)
{
	if (url == NULL)
		return 0;
	if (strncmp(url, "ipc://", 6) == 0
	    || strncmp(url, "inproc://", 9) == 0)
		return 1;
	const char *sep = strstr(url, "://");
	if (sep == NULL
	    || (strncmp(url, "tcp", 3) != 0
	        && strncmp(url, "tls+tcp", 7) != 0))
		return 0;
	return host_is_loopback(sep + 3);
}

int
fed__transport_pipe_is_local(nng_pipe p)
{
	nng_sockaddr sa;
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return 0;
	switch (sa.s_family) {
	case NNG_AF_IPC:
	case NNG_AF_INPROC:
		return 1;
	case NNG_AF_INET:
		// s_addr is in network order: its first byte is 127.
		return ((const uint8_t *) &sa.s_in.sa_addr)[0] == 127;
	case NNG_AF_INET6: {
		static const uint8_t lo[16] = {[15] = 1};
		return memcmp(sa.s_in6.sa_addr, lo, sizeof(lo)) == 0;
	}
	default:
		return 0;
	}
}

void
fed__transport_pipe_peer(nng_pipe p, char *buf, size_t len)
{
	nng_sockaddr sa;
	uint64_t pid = 0;
	buf[0] = '\0';
	if (nng_pipe_id(p) <= 0
	    || nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	switch (sa.s_family) {
	case NNG_AF_INET:
		inet_ntop(AF_INET, &sa.s_in.sa_addr, buf, (socklen_t) len);
		break;
	case NNG_AF_INET6:
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, buf, (socklen_t) len);
		break;
	case NNG_AF_IPC:
		if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_PID, &pid) == 0)
			snprintf(buf, len, "ipc pid %llu",
			    (unsigned long long) pid);
		else
			snprintf(buf, len, "ipc");
		break;
	case NNG_AF_INPROC:
		snprintf(buf, len, "inproc");
		break;
	default:
		break;
	}
}

fed_status
fed__transport_pipe_cert(
    nng_pipe p, char *cn, size_t cn_len, char *serial, size_t serial_len)
{
	nng_sockaddr loc, rem;
	char local[64], remote[64];
	if (nng_pipe_id(p) <= 0
	    || nng_pipe_get_addr(p, NNG_OPT_LOCADDR, &loc) != 0
	    || nng_pipe_get_addr(p, NNG_OPT_REMADDR, &rem) != 0)
		return FED_NOT_FOUND;
	fed__tls_addr_str(&loc, local, sizeof(local));
	fed__tls_addr_str(&rem, remote, sizeof(remote));
	if (local[0] == '\0' || remote[0] == '\0')
		return FED_NOT_FOUND;
	return fed__tls_peer_cert(
	    local, remote, cn, cn_len, serial, serial_len);
}

fed_status
fed_transport_check(
    const char *url, const fed_tls_opts *tls, char *err, size_t err_len)
{
	char dummy[1];
	if (err == NULL) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if (url == NULL || url[0] == '\0') {
		snprintf(err, err_len, "empty address");
		return FED_INVALID_ARGUMENT;
	}
	int known = 0;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		known |= strncmp(url, schemes[i], strlen(schemes[i])) == 0;
	if (!known) {
		snprintf(err, err_len,
		    "address '%s': scheme must be ipc://, tcp:// or "
		    "tls+tcp://",
		    url);
		return FED_INVALID_ARGUMENT;
	}
	if (!fed_transport_is_tls(url))
		return FED_OK;
	if (tls == NULL || tls->cert_file == NULL || tls->key_file == NULL
	    || tls->ca_file == NULL || tls->cert_file[0] == '\0'
	    || tls->key_file[0] == '\0' || tls->ca_file[0] == '\0') {
		snprintf(err, err_len,
		    "address '%s' is TLS: a certificate, a key and the "
		    "federation CA are required",
		    url);
		return FED_INVALID_ARGUMENT;
	}
	return FED_OK;
}

void
fed_transport_warn_clear(const char *url, const char *component)
{
	if (url == NULL || fed_transport_is_tls(url)
	    || fed_transport_is_local(url) || strncmp(url, "tcp", 3) != 0)
		return;
	fed_log(FED_LOG_WARNING, component,
	    "%s is plain tcp:// to another machine: the token and the data "
	    "travel in clear (use tls+tcp:// with --tls-cert, --tls-key and "
	    "--tls-ca)",
	    url);
}

// Reads a PEM file (at most 1 MiB) into a NUL-terminated heap string.
static char *
read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	size_t n = buf != NULL ? fread(buf, 1, cap, f) : 0;
	int bad = buf == NULL || ferror(f) || !feof(f) || n == 0;
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

// Loads this side's certificate and key from their two files (nng's own
// loader wants both in one file).
static int
own_cert(nng_tls_config *cfg, const fed_tls_opts *tls)
{
	char *cert = read_pem(tls->cert_file);
	char *key = read_pem(tls->key_file);
	int rv = cert == NULL || key == NULL
	    ? NNG_ENOENT
	    : nng_tls_config_own_cert(cfg, cert, key, NULL);
	free(cert);
	if (key != NULL)
		memset(key, 0, strlen(key));
	free(key);
	return rv;
}

// Builds the TLS configuration of one side. Peer verification is required
// in both modes.
// The name a dialer expects in the listener's certificate: the one
// configured, else the host part of the URL ("tls+tcp://host:port"), so
// that a member's certificate cannot stand in for another member's.
static void
expected_name(const char *url, const fed_tls_opts *tls, char *buf, size_t len)
{
	if (tls->server_name != NULL && tls->server_name[0] != '\0') {
		snprintf(buf, len, "%s", tls->server_name);
		return;
	}
	const char *h = strstr(url, "://");
	h = h != NULL ? h + 3 : url;
	size_t n;
	if (h[0] == '[') { // [v6]:port
		h++;
		n = strcspn(h, "]");
	} else {
		n = strcspn(h, ":/");
	}
	snprintf(buf, len, "%.*s", (int) n, h);
}

static fed_status
tls_config(nng_tls_mode mode, const fed_tls_opts *tls, const char *server_name,
    nng_tls_config **out)
{
	nng_tls_config *cfg = NULL;
	FED_TRY(fed_tls_engine_install());
	// The engine keeps the paths, to read the files again at a reload
	// (fed_tls_credentials_reload); nng_tls_config_alloc runs its config
	// init on this thread.
	fed__tls_config_paths(tls->cert_file, tls->key_file, tls->ca_file);
	int rv = nng_tls_config_alloc(&cfg, mode);
	fed__tls_config_paths(NULL, NULL, NULL);
	if (rv != 0)
		return fed__nng_status(rv, "tls config");
	if ((rv = nng_tls_config_ca_file(cfg, tls->ca_file)) != 0
	    || (rv = own_cert(cfg, tls)) != 0
	    || (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED))
	        != 0) {
		fed_log(FED_LOG_ERR, "tls",
		    "cannot load certificate '%s', key '%s' or CA '%s': %s",
		    tls->cert_file, tls->key_file, tls->ca_file,
		    nng_strerror(rv));
		nng_tls_config_free(cfg);
		return FED_INVALID_ARGUMENT;
	}
	if (mode == NNG_TLS_MODE_CLIENT
	    && (rv = nng_tls_config_server_name(cfg, server_name)) != 0) {
		nng_tls_config_free(cfg);
		return fed__nng_status(rv, "tls server name");
	}
	*out = cfg;
	return FED_OK;
}

fed_status
fed__transport_listen(nng_socket s, const char *url, const fed_tls_opts *tls)
{
	char err[256];
	if (fed_transport_check(url, tls, err, sizeof(err)) != FED_OK) {
		fed_log(FED_LOG_ERR, "transport", "%s", err);
		return FED_INVALID_ARGUMENT;
	}
	// nng gives a TLS listener a configuration of its own at once: the
	// engine must be in place before.
	if (fed_transport_is_tls(url))
		FED_TRY(fed_tls_engine_install());
	nng_listener l;
	int rv = nng_listener_create(&l, s, url);
	if (rv != 0)
		return fed__nng_status(rv, url);
	if (fed_transport_is_tls(url)) {
		nng_tls_config *cfg = NULL;
		fed_status st
		    = tls_config(NNG_TLS_MODE_SERVER, tls, NULL, &cfg);
		if (st != FED_OK) {
			nng_listener_close(l);
			return st;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
		nng_tls_config_free(
		    cfg); // the listener holds its own reference
		if (rv != 0) {
			nng_listener_close(l);
			return fed__nng_status(rv, "listener tls");
		}
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		fed_log(FED_LOG_ERR, "transport", "cannot listen on %s: %s",
		    url, nng_strerror(rv));
		nng_listener_close(l);
		return fed__nng_status(rv, url);
	}
	return FED_OK;
}

fed_status
fed__transport_listen_list(
    nng_socket s, const char *list, const fed_tls_opts *tls)
{
	char *copy = list != NULL ? strdup(list) : NULL, *save = NULL;
	if (copy == NULL)
		return list == NULL ? FED_INVALID_ARGUMENT
		                    : FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	int n = 0;
	for (char *u = strtok_r(copy, ",", &save); u != NULL && st == FED_OK;
	     u = strtok_r(NULL, ",", &save), n++) {
		st = fed__transport_listen(s, u, tls);
		if (st != FED_OK)
			fed_log(FED_LOG_ERR, "transport",
			    "cannot listen on %s: %s", u, fed_status_str(st));
		else
			fed_log(
			    FED_LOG_INFO, "transport", "listening on %s", u);
	}
	free(copy);
	return st == FED_OK && n == 0 ? FED_INVALID_ARGUMENT : st;
}

// Applies the TLS configuration of a dialer to url.
static fed_status
dialer_tls(nng_dialer d, const char *url, const fed_tls_opts *tls)
{
	nng_tls_config *cfg = NULL;
	char name[256];
	expected_name(url, tls, name, sizeof(name));
	FED_TRY(tls_config(NNG_TLS_MODE_CLIENT, tls, name, &cfg));
	int rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg); // the dialer holds its own reference
	return fed__nng_status(rv, "dialer tls");
}

fed_status
fed__transport_dial(
    nng_socket s, const char *url, const fed_tls_opts *tls, nng_dialer *out)
{
	char err[256];
	if (fed_transport_check(url, tls, err, sizeof(err)) != FED_OK) {
		fed_log(FED_LOG_ERR, "transport", "%s", err);
		return FED_INVALID_ARGUMENT;
	}
	if (fed_transport_is_tls(url)) // as for a listener
		FED_TRY(fed_tls_engine_install());
	nng_dialer d;
	int rv = nng_dialer_create(&d, s, url);
	if (rv != 0)
		return fed__nng_status(rv, url);
	if (fed_transport_is_tls(url)) {
		fed_status st = dialer_tls(d, url, tls);
		if (st != FED_OK) {
			nng_dialer_close(d);
			return st;
		}
	}
	// nng's defaults redial every 100 ms, without backoff (maximum 0):
	// kept. With a backoff maximum set on the dialer, nng_close hung in
	// this project's tests (nng 1.5.2, a socket whose peer had dropped
	// it). Non-blocking: the dialer keeps retrying in the background.
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
		nng_dialer_close(d);
		return fed__nng_status(rv, url);
	}
	if (out != NULL)
		*out = d;
	return FED_OK;
}

struct closer {
	nng_socket s;
	nng_dialer d;
	void *free_after; // freed once nng_close has returned
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int done;
	int refs; // the caller's and the thread's
};

static void
closer_unref(struct closer *c)
{
	pthread_mutex_lock(&c->mtx);
	int last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (!last)
		return;
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cond);
	free(c);
}

static void *
closer_main(void *arg)
{
	struct closer *c = arg;
	if (nng_dialer_id(c->d) > 0)
		nng_dialer_close(c->d);
	nng_close(c->s);
	free(c->free_after);
	pthread_mutex_lock(&c->mtx);
	c->done = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	closer_unref(c);
	return NULL;
}

void
fed__transport_close(nng_socket s, nng_dialer d, void *free_after)
{
	struct closer *c = calloc(1, sizeof(*c));
	pthread_t t;
	if (c == NULL) {
		nng_close(s);
		free(free_after);
		return;
	}
	*c = (struct closer) {
	    .s = s, .d = d, .free_after = free_after, .refs = 2};
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&t, NULL, closer_main, c) != 0) {
		c->refs = 1;
		closer_main(c);
		return;
	}
	pthread_detach(t);
	struct timespec until = fed_clock_deadline(CLOCK_REALTIME, 2000);
	pthread_mutex_lock(&c->mtx);
	int rc = 0;
	while (!c->done && rc == 0)
		rc = pthread_cond_timedwait(&c->cond, &c->mtx, &until);
	int done = c->done;
	pthread_mutex_unlock(&c->mtx);
	if (!done) {
		fed_log(FED_LOG_WARNING, "transport",
		    "closing a socket did not finish in 2 s (nng); going on");
		fed_metrics_socket_close_stuck();
	}
	closer_unref(c);
}

fed_status
fed__transport_set_recvmax(nng_socket s, size_t max)
{
	return fed__nng_status(
	    nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, max), "recv-size-max");
}

// Connects fd to addr without blocking past timeout_ms; the connect's
// errno (0: connected or still pending at the timeout).
static int
connect_within(
    int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, addr, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, timeout_ms) != 1)
		return 0; // undecided: the caller's own timeout decides
	int err = 0;
	socklen_t elen = sizeof(err);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	return err;
}

// ENOENT when no socket file is at path. No connection is made: one
// opened and closed at once leaves nng 1.5.2's ipc listener waiting on it
// (the next real client then timed out).
static int
probe_ipc(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? ENOENT : 0;
	return S_ISSOCK(sb.st_mode) ? 0 : ENOENT;
}

// The errno of connecting to host:port (the first address that resolves).
static int
probe_tcp(const char *hostport, int timeout_ms)
{
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL || (size_t) (colon - hostport) >= sizeof(host)
	    || strlen(colon + 1) >= sizeof(port))
		return 0;
	int brackets = hostport[0] == '[';
	snprintf(host, sizeof(host), "%.*s",
	    (int) (colon - hostport - 2 * brackets), hostport + brackets);
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &ai) != 0)
		return 0;
	int err = 0, fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0) {
		err = connect_within(
		    fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		close(fd);
	}
	freeaddrinfo(ai);
	return err;
}

fed_status
fed_transport_probe(const char *url, int timeout_ms)
{
	int err = 0;
	if (strncmp(url, "ipc://", 6) == 0)
		err = probe_ipc(url + 6);
	else if (strncmp(url, "tcp://", 6) == 0)
		err = probe_tcp(url + 6, timeout_ms);
	else if (strncmp(url, "tls+tcp://", 10) == 0)
		err = probe_tcp(url + 10, timeout_ms);
	return err == ECONNREFUSED || err == ENOENT ? FED_UNAVAILABLE : FED_OK;
}
