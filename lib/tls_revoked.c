// SPDX-License-Identifier: MIT
//
// tls_revoked.c: the process-wide list of revoked certificate serials.
//
// The TLS engine looks serials up during handshakes, on nng's threads,
// while fed_tls_revocation_reload may replace the list from the program's
// loop. The list is immutable once built: a reload parses the file into a
// new list without any lock, then swaps the pointer under the mutex and
// frees the old one. A lookup holds the mutex for one binary search, so no
// reader can still hold the old list when it is freed.

#include "tls_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/log.h"
#include "fed/process.h"
#include "fed/tls.h"

enum {
	FILE_MAX = 1 << 20, // some 25,000 serials
};

struct serial {
	uint8_t len; // without leading zero bytes
	uint8_t b[FED__TLS_SERIAL_MAX];
};

struct revoked {
	size_t n;
	struct serial *v; // sorted by serial_cmp, no duplicates
};

static pthread_mutex_t rev_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct revoked *rev_cur; // NULL: none
static char *rev_path; // the file set last, or NULL

static void
revoked_free(struct revoked *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

// Orders by length, then bytes: for integers without leading zeros, the
// numeric order.
static int
serial_cmp(const void *a, const void *b)
{
	const struct serial *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->b, y->b, x->len);
}

// Fills *s from DER content bytes; 0 if longer than a serial can be.
static int
serial_set(struct serial *s, const uint8_t *p, size_t len)
{
	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > FED__TLS_SERIAL_MAX)
		return 0;
	memset(s, 0, sizeof(*s));
	s->len = (uint8_t) len;
	memcpy(s->b, p, len);
	return 1;
}

int
fed__tls_revoked_has(const uint8_t *serial, size_t len)
{
	struct serial key;
	if (!serial_set(&key, serial, len))
		return 0;
	pthread_mutex_lock(&rev_mtx);
	int has = rev_cur != NULL && rev_cur->n > 0
	    && bsearch(&key, rev_cur->v, rev_cur->n, sizeof(key), serial_cmp)
	        != NULL;
	pthread_mutex_unlock(&rev_mtx);
	return has;
}

void
fed__tls_serial_str(
    const uint8_t *serial, size_t serial_len, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;
	while (i < serial_len && serial[i] == 0)
		i++;
	if (len < 4) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '0';
	buf[o++] = 'x';
	if (i == serial_len)
		buf[o++] = '0';
	for (int first = 1; i < serial_len && o + 3 <= len; i++, first = 0) {
		if (!first || serial[i] >> 4 != 0)
			buf[o++] = hex[serial[i] >> 4];
		buf[o++] = hex[serial[i] & 15];
	}
	buf[o] = '\0';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// Parses one serial ("serial=1F02", "0x1f02", "1f:02", "1f02") of the
// trimmed, comment-free text [p, p + n); 0 if it is not one.
static int
parse_serial(const char *p, size_t n, struct serial *out)
{
	if (n >= 7 && strncmp(p, "serial=", 7) == 0) {
		p += 7;
		n -= 7;
	} else if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		n -= 2;
	}
	char digits[2 * FED__TLS_SERIAL_MAX + 2];
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ':' && i > 0 && i + 1 < n && p[i - 1] != ':')
			continue;
		if (hex_val(p[i]) < 0)
			return 0;
		if (nd == 0 && p[i] == '0')
			continue; // leading zeros
		if (nd >= 2 * FED__TLS_SERIAL_MAX)
			return 0;
		digits[nd++] = p[i];
	}
	if (n == 0)
		return 0;
	uint8_t b[FED__TLS_SERIAL_MAX];
	size_t nb = (nd + 1) / 2, odd = nd % 2;
	for (size_t i = 0; i < nb; i++) {
		int hi = odd && i == 0 ? 0 : hex_val(digits[2 * i - odd]);
		b[i] = (uint8_t) (hi << 4 | hex_val(digits[2 * i + 1 - odd]));
	}
	return serial_set(out, b, nb);
}

// The trimmed text of a line without its comment.
static void
line_text(const char *line, const char **p, size_t *n)
{
	size_t len = strcspn(line, "#\r\n");
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	*p = line;
	*n = len;
}

static fed_status fail(char *err, size_t err_len, fed_status st,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static fed_status
fail(char *err, size_t err_len, fed_status st, const char *fmt, ...)
{
	if (err != NULL && err_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return st;
}

// Sorts r's serials and drops duplicates.
static void
revoked_sort(struct revoked *r)
{
	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof(r->v[0]), serial_cmp);
	size_t w = 1;
	for (size_t i = 1; i < r->n; i++)
		if (serial_cmp(&r->v[i], &r->v[w - 1]) != 0)
			r->v[w++] = r->v[i];
	r->n = w;
}

// Parses text (NUL-terminated) into a new list.
static fed_status
revoked_parse(const char *path, char *text, struct revoked **out, char *err,
    size_t err_len)
{
	struct revoked *r = calloc(1, sizeof(*r));
	size_t cap = 0;
	int line_no = 0;
	char *save = NULL;
	if (r == NULL)
		return FED_RESOURCE_EXHAUSTED;
	for (char *line = text; line != NULL; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		line_no++;
		const char *p;
		size_t n;
		line_text(line, &p, &n);
		if (n == 0)
			continue;
		if (r->n == cap) {
			size_t ncap = cap == 0 ? 16 : 2 * cap;
			struct serial *v = realloc(r->v, ncap * sizeof(*v));
			if (v == NULL) {
				revoked_free(r);
				return FED_RESOURCE_EXHAUSTED;
			}
			r->v = v;
			cap = ncap;
		}
		if (!parse_serial(p, n, &r->v[r->n])) {
			revoked_free(r);
			return fail(err, err_len, FED_INVALID_ARGUMENT,
			    "%s:%d: not a certificate serial in hex (at most "
			    "20 bytes)",
			    path, line_no);
		}
		r->n++;
	}
	revoked_sort(r);
	*out = r;
	return FED_OK;
}

// Reads the whole file (at most FILE_MAX bytes) into a NUL-terminated
// heap string.
static fed_status
read_file(const char *path, char **out, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return fail(err, err_len,
		    errno == ENOENT ? FED_NOT_FOUND : FED_UNAVAILABLE,
		    "revocation file %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (create it empty to revoke nothing)"
		                    : "");
	char *buf = malloc(FILE_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (bad || n > FILE_MAX) {
		free(buf);
		return fail(err, err_len,
		    bad ? FED_UNAVAILABLE : FED_INVALID_ARGUMENT,
		    "revocation file %s: %s", path,
		    bad ? "read error" : "larger than 1 MiB");
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		free(buf);
		return fail(err, err_len, FED_INVALID_ARGUMENT,
		    "revocation file %s: not a text file", path);
	}
	*out = buf;
	return FED_OK;
}

// Installs r (may be NULL) as the list in force and path (may be NULL) as
// the file; frees the previous ones.
static void
revoked_swap(struct revoked *r, char *path)
{
	pthread_mutex_lock(&rev_mtx);
	struct revoked *old = rev_cur;
	char *old_path = rev_path;
	rev_cur = r;
	rev_path = path;
	pthread_mutex_unlock(&rev_mtx);
	revoked_free(old);
	free(old_path);
}

fed_status
fed_tls_revocation_load(const char *path, char *err, size_t err_len)
{
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		revoked_swap(
		    NULL, NULL); // revokes nothing: nothing to recheck
		return FED_OK;
	}
	char *copy = strdup(path), *text = NULL;
	struct revoked *r = NULL;
	if (copy == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = read_file(path, &text, err, err_len);
	if (st == FED_OK)
		st = revoked_parse(path, text, &r, err, err_len);
	free(text);
	if (st != FED_OK) {
		free(copy);
		return st;
	}
	revoked_swap(r, copy);
	size_t cut = fed__tls_recheck();
	if (cut > 0)
		fed_log(FED_LOG_NOTICE, "tls",
		    "%zu established connection(s) with a certificate now "
		    "revoked: closed at their next message",
		    cut);
	return FED_OK;
}

static fed_status
reload_cb(void *arg)
{
	(void) arg;
	return fed_tls_revocation_reload();
}

fed_status
fed_tls_revocation_init(const char *path)
{
	char err[512];
	fed_status st = fed_tls_revocation_load(path, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "tls", "%s",
		    err[0] != '\0' ? err : fed_status_str(st));
		return st;
	}
	if (path == NULL || path[0] == '\0')
		return FED_OK;
	fed_log(FED_LOG_INFO, "tls",
	    "revocation list %s: %zu serial(s) refused", path,
	    fed_tls_revocation_count());
	// Read again at each SIGHUP (`systemctl reload`), with the program's
	// other reloadable parts.
	return fed_process_on_reload("TLS revocation list", reload_cb, NULL);
}

fed_status
fed_tls_revocation_reload(void)
{
	char *path = NULL, err[512];
	pthread_mutex_lock(&rev_mtx);
	if (rev_path != NULL)
		path = strdup(rev_path);
	int set = rev_path != NULL;
	pthread_mutex_unlock(&rev_mtx);
	if (!set)
		return FED_OK;
	if (path == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = fed_tls_revocation_load(path, err, sizeof(err));
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "tls",
		    "revocation list not reloaded, the previous one stays in "
		    "force: %s",
		    err[0] != '\0' ? err : fed_status_str(st));
	else
		fed_log(FED_LOG_NOTICE, "tls",
		    "revocation list reloaded from %s: %zu serial(s)", path,
		    fed_tls_revocation_count());
	free(path);
	return st;
}

size_t
fed_tls_revocation_count(void)
{
	pthread_mutex_lock(&rev_mtx);
	size_t n = rev_cur != NULL ? rev_cur->n : 0;
	pthread_mutex_unlock(&rev_mtx);
	return n;
}
