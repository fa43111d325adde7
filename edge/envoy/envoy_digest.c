// SPDX-License-Identifier: MIT
//
// envoy_digest.c: the digest challenge's fields, and the MD5 answer to it
// (mbedtls' MD5, already linked through libfed).

#include "envoy_digest.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/md5.h>

// The next `name=value` (value quoted or not) of a comma-separated list
// at *p into name and value; 0 at the end or on a malformed list.
static int
next_param(
    const char **p, char *name, size_t name_len, char *value, size_t value_len)
{
	const char *s = *p + strspn(*p, " \t,");
	size_t n = strcspn(s, "= \t,");
	if (n == 0 || n >= name_len || s[n] != '=')
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	s += n + 1;
	size_t v;
	if (*s == '"') {
		const char *end = strchr(++s, '"');
		if (end == NULL)
			return 0;
		v = (size_t) (end - s);
		*p = end + 1;
	} else {
		v = strcspn(s, " \t,");
		*p = s + v;
	}
	if (v >= value_len)
		return 0;
	memcpy(value, s, v);
	value[v] = '\0';
	return 1;
}

// Keeps one parameter of the challenge; 0 for one that rules it out.
static int
keep_param(envoy_digest_challenge *c, const char *name, const char *value)
{
	size_t len = strlen(value);
	if (strcmp(name, "realm") == 0 && len < sizeof(c->realm))
		memcpy(c->realm, value, len + 1);
	else if (strcmp(name, "nonce") == 0 && len < sizeof(c->nonce))
		memcpy(c->nonce, value, len + 1);
	else if (strcmp(name, "opaque") == 0 && len < sizeof(c->opaque))
		memcpy(c->opaque, value, len + 1);
	else if (strcmp(name, "algorithm") == 0)
		return strcmp(value, "MD5") == 0;
	else if (strcmp(name, "qop") == 0)
		c->qop_auth = strstr(value, "auth") != NULL
		    && strstr(value, "auth-int") != value;
	else if (strcmp(name, "realm") == 0 || strcmp(name, "nonce") == 0
	    || strcmp(name, "opaque") == 0)
		return 0; // too long
	return 1;
}

fed_status
envoy_digest_parse(const char *header, envoy_digest_challenge *out)
{
	envoy_digest_challenge c;
	memset(&c, 0, sizeof(c));
	if (header == NULL || strncmp(header, "Digest ", 7) != 0)
		return FED_INVALID_ARGUMENT;
	int qop_offered = strstr(header, "qop=") != NULL;
	char name[32], value[256];
	for (const char *p = header + 7;
	     next_param(&p, name, sizeof(name), value, sizeof(value));)
		if (!keep_param(&c, name, value))
			return FED_INVALID_ARGUMENT;
	if (c.realm[0] == '\0' || c.nonce[0] == '\0'
	    || (qop_offered && !c.qop_auth))
		return FED_INVALID_ARGUMENT;
	*out = c;
	return FED_OK;
}

// MD5 of the strings of parts, joined with ':', as 32 hex digits.
static void
md5_hex(const char *const *parts, size_t n, char hex[33])
{
	mbedtls_md5_context ctx;
	unsigned char sum[16];
	mbedtls_md5_init(&ctx);
	mbedtls_md5_starts_ret(&ctx);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			mbedtls_md5_update_ret(
			    &ctx, (const unsigned char *) ":", 1);
		mbedtls_md5_update_ret(
		    &ctx, (const unsigned char *) parts[i], strlen(parts[i]));
	}
	mbedtls_md5_finish_ret(&ctx, sum);
	mbedtls_md5_free(&ctx);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
}

// 1 when s may stand between double quotes in a header.
static int
quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char) *s < 0x20)
			return 0;
	return 1;
}

fed_status
envoy_digest_answer(const envoy_digest_challenge *c, const char *user,
    const char *password, const char *method, const char *uri,
    const char *cnonce, unsigned nc, char *out, size_t out_len)
{
	if (!quotable(user) || !quotable(uri) || !quotable(cnonce))
		return FED_INVALID_ARGUMENT;
	char ha1[33], ha2[33], resp[33], ncs[9];
	const char *a1[] = {user, c->realm, password};
	const char *a2[] = {method, uri};
	md5_hex(a1, 3, ha1);
	md5_hex(a2, 2, ha2);
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	const char *with_qop[] = {ha1, c->nonce, ncs, cnonce, "auth", ha2};
	const char *without[] = {ha1, c->nonce, ha2};
	if (c->qop_auth)
		md5_hex(with_qop, 6, resp);
	else
		md5_hex(without, 3, resp);
	int n = snprintf(out, out_len,
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
	    "algorithm=MD5, response=\"%s\"%s%s%s",
	    user, c->realm, c->nonce, uri, resp,
	    c->opaque[0] ? ", opaque=\"" : "", c->opaque,
	    c->opaque[0] ? "\"" : "");
	if (n > 0 && (size_t) n < out_len && c->qop_auth)
		n += snprintf(out + n, out_len - (size_t) n,
		    ", qop=auth, nc=%s, cnonce=\"%s\"", ncs, cnonce);
	return n > 0 && (size_t) n < out_len ? FED_OK : FED_INVALID_ARGUMENT;
}
