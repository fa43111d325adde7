// SPDX-License-Identifier: MIT
//
// token.c: random tokens, SHA-256 (mbedtls, already linked by nng's TLS)
// and constant-time comparison.

#include "fed/token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

static const char b64url[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
random_bytes(uint8_t *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	return got == len ? 0 : -1;
}

fed_status
fed_token_new(char *buf, size_t len)
{
	if (len < FED_TOKEN_LEN + 1)
		return FED_INVALID_ARGUMENT;
	uint8_t r[33]; // 264 bits; 43 characters use 258 of them
	if (random_bytes(r, sizeof(r)) != 0)
		return FED_UNAVAILABLE;
	memcpy(buf, "fed_", 4);
	for (size_t i = 0; i < 43; i++) {
		size_t bit = i * 6;
		unsigned v = ((unsigned) r[bit / 8] << 8 | r[bit / 8 + 1])
		    >> (10 - bit % 8);
		buf[4 + i] = b64url[v & 63];
	}
	buf[FED_TOKEN_LEN] = '\0';
	memset(r, 0, sizeof(r));
	return FED_OK;
}

void
fed_token_hash(const char *token, char *hex)
{
	uint8_t d[32];
	mbedtls_sha256_ret((const unsigned char *) token, strlen(token), d, 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int
fed_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	unsigned diff = 0;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned) (a[i] ^ b[i]);
	return diff == 0;
}

int
fed_token_check(const char *token, const char *hash_hex)
{
	if (token == NULL || hash_hex == NULL
	    || strlen(hash_hex) != FED_TOKEN_HASH_LEN)
		return 0;
	char h[FED_TOKEN_HASH_LEN + 1], want[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(token, h);
	for (int i = 0; i < FED_TOKEN_HASH_LEN; i++)
		want[i] = (char) tolower((unsigned char) hash_hex[i]);
	want[FED_TOKEN_HASH_LEN] = '\0';
	return fed_token_equal(h, want);
}

int
fed_token_is_hash(const char *s)
{
	return s != NULL && strlen(s) == FED_TOKEN_HASH_LEN
	    && strspn(s, "0123456789abcdefABCDEF") == FED_TOKEN_HASH_LEN;
}

static char *
trim(char *s)
{
	if (s == NULL)
		return "";
	while (isspace((unsigned char) *s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		s[--n] = '\0';
	return s;
}

static fed_status
read_line(char *line, const char *path, int lineno, fed_token_line_fn fn,
    void *arg, char *err, size_t err_len)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t\r\n", &save);
	if (name == NULL || name[0] == '#')
		return FED_OK;
	char *role = strtok_r(NULL, " \t\r\n", &save);
	char *hash = strtok_r(NULL, " \t\r\n", &save);
	char *binding = trim(strtok_r(NULL, "\r\n", &save));
	if (role == NULL || !fed_token_is_hash(hash)) {
		snprintf(err, err_len,
		    "%s:%d: expected 'name role sha256hex [binding]'", path,
		    lineno);
		return FED_INVALID_ARGUMENT;
	}
	for (char *h = hash; *h != '\0'; h++)
		*h = (char) tolower((unsigned char) *h);
	char msg[256] = "";
	fed_status st = fn(name, role, hash, binding, arg, msg, sizeof(msg));
	if (st != FED_OK)
		snprintf(err, err_len, "%s:%d: %s", path, lineno, msg);
	return st;
}

fed_status
fed_token_file_read(const char *path, fed_token_line_fn fn, void *arg,
    char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(
		    err, err_len, "tokens file %s: %s", path, strerror(errno));
		return errno == ENOENT ? FED_NOT_FOUND : FED_INVALID_ARGUMENT;
	}
	char line[1024];
	fed_status st = FED_OK;
	for (int n = 1; st == FED_OK && fgets(line, sizeof(line), f); n++)
		st = read_line(line, path, n, fn, arg, err, err_len);
	fclose(f);
	return st;
}

// A copy of s, NULL for NULL or ""; *ok cleared when the copy fails.
static char *
keep(const char *s, int *ok)
{
	if (s == NULL || s[0] == '\0')
		return NULL;
	char *c = strdup(s);
	*ok &= c != NULL;
	return c;
}

fed_status
fed_token_source_init(fed_token_source *s, const char *admin_token,
    const char *admin_hash, const char *tokens_file)
{
	int ok = 1;
	s->admin_token = keep(admin_token, &ok);
	s->admin_hash = keep(admin_hash, &ok);
	s->tokens_file = keep(tokens_file, &ok);
	if (ok)
		return FED_OK;
	fed_token_source_fini(s);
	return FED_RESOURCE_EXHAUSTED;
}

void
fed_token_source_fini(fed_token_source *s)
{
	free(s->admin_token);
	free(s->admin_hash);
	free(s->tokens_file);
	memset(s, 0, sizeof(*s));
}

fed_status
fed_token_source_read(const fed_token_source *s, fed_token_line_fn fn,
    void *arg, char *err, size_t err_len)
{
	if (s->admin_token != NULL) {
		char h[FED_TOKEN_HASH_LEN + 1];
		fed_token_hash(s->admin_token, h);
		FED_TRY(fn("admin", "admin", h, "", arg, err, err_len));
	}
	if (s->admin_hash != NULL) {
		if (!fed_token_is_hash(s->admin_hash)) {
			snprintf(err, err_len,
			    "admin-token-hash: expected 64 hex digits");
			return FED_INVALID_ARGUMENT;
		}
		char h[FED_TOKEN_HASH_LEN + 1];
		for (size_t i = 0; i <= FED_TOKEN_HASH_LEN; i++)
			h[i]
			    = (char) tolower((unsigned char) s->admin_hash[i]);
		FED_TRY(fn("admin", "admin", h, "", arg, err, err_len));
	}
	if (s->tokens_file == NULL)
		return FED_OK;
	return fed_token_file_read(s->tokens_file, fn, arg, err, err_len);
}
