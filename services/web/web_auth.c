// SPDX-License-Identifier: MIT
//
// web_auth.c: users (from the users file), password hashes (PBKDF2-HMAC-
// SHA-256 from mbedtls) and the in-memory session table.
//
// Why PBKDF2: it is in mbedtls, already a dependency, and with 300,000
// iterations of SHA-256 a guess costs about as much as OWASP's 2023 advice
// for PBKDF2 (600,000) at half the login time on a small board. A memory-
// hard KDF (scrypt, Argon2) would resist GPUs better but would add a
// library; docs/web.md says so.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <pthread.h>

#include "fed/log.h"
#include "web_auth.h"

#define KEY_LEN   32
#define SALT_LEN  16
#define MAX_WORDS (5 + WEB_MAX_CREDS) // name role hash investor token creds

struct user {
	char name[65];
	web_role role;
	char hash[WEB_HASH_LEN];
	char investor[101];
	char invest_token[256];
	web_cred creds[WEB_MAX_CREDS];
	size_t n_creds;
	int n_failed; // failed logins in a row (under mu)
	int64_t locked_until_ms; // no login before (under mu)
};

struct slot {
	char sid_hash[FED_TOKEN_HASH_LEN + 1]; // "" = free
	int user; // index in users
	char csrf[FED_TOKEN_LEN + 1];
	int64_t expires_ms;
};

struct web_auth {
	pthread_mutex_t mu;
	struct user *users;
	size_t n_users;
	struct slot *slots;
	size_t n_slots;
	int64_t ttl_ms;
	const char *token_dir; // borrowed while reading the users file
	char dummy_hash[WEB_HASH_LEN]; // checked for unknown users
};

static void
to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
from_hex(const char *s, size_t n_chars, unsigned char *out)
{
	for (size_t i = 0; i < n_chars; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0'
		    : c >= 'a' && c <= 'f'   ? c - 'a' + 10
		    : c >= 'A' && c <= 'F'   ? c - 'A' + 10
		                             : -1;
		if (v < 0)
			return 0;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char) (v << 4);
		else
			out[i / 2] |= (unsigned char) v;
	}
	return 1;
}

static int
pbkdf2(const char *pw, const unsigned char *salt, unsigned iter,
    unsigned char *key)
{
	mbedtls_md_context_t ctx;
	mbedtls_md_init(&ctx);
	const mbedtls_md_info_t *md
	    = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	int rc = md == NULL ? -1 : mbedtls_md_setup(&ctx, md, 1);
	if (rc == 0)
		rc = mbedtls_pkcs5_pbkdf2_hmac(&ctx,
		    (const unsigned char *) pw, strlen(pw), salt, SALT_LEN,
		    iter, KEY_LEN, key);
	mbedtls_md_free(&ctx);
	return rc == 0;
}

fed_status
web_auth_hash_password(
    const char *password, unsigned iterations, char *out, size_t len)
{
	if (iterations < WEB_KDF_MIN_ITER || len < WEB_HASH_LEN)
		return FED_INVALID_ARGUMENT;
	char tok[FED_TOKEN_LEN + 1], tok_hash[FED_TOKEN_HASH_LEN + 1];
	FED_TRY(fed_token_new(tok, sizeof(tok)));
	fed_token_hash(tok, tok_hash); // 256 random bits, as hex
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	from_hex(tok_hash, 2 * SALT_LEN, salt);
	if (!pbkdf2(password, salt, iterations, key))
		return FED_UNAVAILABLE;
	char salt_hex[2 * SALT_LEN + 1], key_hex[2 * KEY_LEN + 1];
	to_hex(salt, SALT_LEN, salt_hex);
	to_hex(key, KEY_LEN, key_hex);
	snprintf(
	    out, len, "pbkdf2-sha256$%u$%s$%s", iterations, salt_hex, key_hex);
	return FED_OK;
}

// Splits "pbkdf2-sha256$ITER$SALT$KEY"; 0 when malformed.
static int
parse_hash(const char *h, unsigned *iter, unsigned char *salt, char *key_hex)
{
	static const char prefix[] = "pbkdf2-sha256$";
	if (strncmp(h, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	const char *p = h + sizeof(prefix) - 1;
	char *end = NULL;
	unsigned long it = strtoul(p, &end, 10);
	if (end == p || *end != '$' || it < WEB_KDF_MIN_ITER || it > 100000000)
		return 0;
	p = end + 1;
	if (strlen(p) != 2 * SALT_LEN + 1 + 2 * KEY_LEN
	    || p[2 * SALT_LEN] != '$')
		return 0;
	unsigned char key[KEY_LEN];
	if (!from_hex(p, 2 * SALT_LEN, salt)
	    || !from_hex(p + 2 * SALT_LEN + 1, 2 * KEY_LEN, key))
		return 0;
	to_hex(key, KEY_LEN, key_hex); // lower case, for the comparison
	*iter = (unsigned) it;
	return 1;
}

int
web_auth_verify_password(const char *password, const char *hash)
{
	unsigned iter;
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char want[2 * KEY_LEN + 1], got[2 * KEY_LEN + 1];
	if (password == NULL || hash == NULL
	    || !parse_hash(hash, &iter, salt, want))
		return 0;
	if (!pbkdf2(password, salt, iter, key))
		return 0;
	to_hex(key, KEY_LEN, got);
	return fed_token_equal(got, want);
}

int
web_auth_csrf_ok(const web_session *s, const char *value)
{
	return value != NULL && s->csrf[0] != '\0'
	    && fed_token_equal(s->csrf, value);
}

// --- The users file ------------------------------------------------------

static int
parse_role(const char *s, web_role *out)
{
	static const struct {
		const char *name;
		web_role role;
	} roles[]
	    = {{"viewer", WEB_ROLE_VIEWER}, {"investor", WEB_ROLE_INVESTOR},
	        {"household", WEB_ROLE_HOUSEHOLD}, {"admin", WEB_ROLE_ADMIN}};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i].name) == 0) {
			*out = roles[i].role;
			return 1;
		}
	return 0;
}

// Reads the first line of an @FILE token into out.
static int
read_token_file(const char *dir, const char *name, char *out, size_t len)
{
	char path[4200];
	if (name[0] == '/' || dir == NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	int ok = fgets(out, (int) len, f) != NULL;
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return ok && out[0] != '\0';
}

// A token given inline or as @FILE; NULL, or why it is refused.
static const char *
read_secret(const struct web_auth *a, const char *v, char *out, size_t len)
{
	if (v[0] == '@')
		return read_token_file(a->token_dir, v + 1, out, len)
		    ? NULL
		    : "cannot read the token file";
	if (v[0] == '\0' || strlen(v) >= len)
		return "a token is 1 to 255 bytes";
	snprintf(out, len, "%s", v);
	return NULL;
}

static int
is_cred(const char *w)
{
	return strncmp(w, "node:", 5) == 0 || strncmp(w, "owner:", 6) == 0;
}

static int
valid_node_name(const char *s, size_t n)
{
	if (n == 0 || n > WEB_NODE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z')
		        || (s[i] >= 'A' && s[i] <= 'Z')
		        || (s[i] >= '0' && s[i] <= '9') || s[i] == '.'
		        || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

// One `node:NODE=TOKEN` or `owner:NODE=TOKEN` word.
static const char *
parse_cred(const struct web_auth *a, struct user *u, const char *w)
{
	if (u->n_creds == WEB_MAX_CREDS)
		return "at most 8 node credentials a user";
	web_cred *c = &u->creds[u->n_creds];
	c->owner = w[0] == 'o';
	const char *name = strchr(w, ':') + 1;
	const char *eq = strchr(name, '=');
	size_t nl = eq ? (size_t) (eq - name) : 0;
	if (eq == NULL || !valid_node_name(name, nl))
		return "a credential is node:NODE=TOKEN or owner:NODE=TOKEN "
		       "(NODE of [A-Za-z0-9._-], TOKEN or @FILE)";
	memcpy(c->node, name, nl);
	c->node[nl] = '\0';
	const char *why = read_secret(a, eq + 1, c->token, sizeof(c->token));
	if (why == NULL)
		u->n_creds++;
	return why;
}

// The optional investor id and fed-invest token after the hash.
static const char *
parse_investor(const struct web_auth *a, struct user *u, char **words)
{
	if (strlen(words[0]) >= sizeof(u->investor))
		return "investor id too long";
	snprintf(u->investor, sizeof(u->investor), "%s", words[0]);
	return read_secret(
	    a, words[1], u->invest_token, sizeof(u->invest_token));
}

// What each role requires of the rest of its line.
static const char *
check_shape(const struct user *u)
{
	size_t n_owner = 0;
	for (size_t i = 0; i < u->n_creds; i++)
		n_owner += u->creds[i].owner != 0;
	int inv = u->investor[0] != '\0';
	if (u->role == WEB_ROLE_INVESTOR && !inv)
		return "an investor needs its investor id and fed-invest "
		       "token";
	if (u->role == WEB_ROLE_HOUSEHOLD && n_owner == 0)
		return "a household needs an owner:NODE=TOKEN credential";
	if (u->role != WEB_ROLE_HOUSEHOLD && n_owner > 0)
		return "owner: credentials belong to household lines";
	if (inv && u->role != WEB_ROLE_INVESTOR
	    && u->role != WEB_ROLE_HOUSEHOLD)
		return "too many words (an investor id on a viewer or admin "
		       "line)";
	return NULL;
}

static const char *
check_user(struct web_auth *a, struct user *u, char **words, int n)
{
	unsigned it;
	unsigned char salt[SALT_LEN];
	char key[2 * KEY_LEN + 1];
	if (n < 3 || strlen(words[0]) >= sizeof(u->name))
		return "expected 'name role hash [investor token] "
		       "[node:NODE=TOKEN "
		       "...]'";
	if (!parse_role(words[1], &u->role))
		return "role must be viewer, investor, household or admin";
	if (strlen(words[2]) >= sizeof(u->hash)
	    || !parse_hash(words[2], &it, salt, key))
		return "the hash must be pbkdf2-sha256$ITER$SALT$KEY with at "
		       "least 10000 iterations (made by fed-web "
		       "--hash-password)";
	for (size_t i = 0; i < a->n_users; i++)
		if (strcmp(a->users[i].name, words[0]) == 0)
			return "this user name appears twice";
	if (n > MAX_WORDS)
		return "too many words";
	snprintf(u->name, sizeof(u->name), "%s", words[0]);
	snprintf(u->hash, sizeof(u->hash), "%s", words[2]);
	int w = 3;
	const char *why = NULL;
	if (n > w && !is_cred(words[w])) {
		if (n == w + 1 || is_cred(words[w + 1]))
			return u->role == WEB_ROLE_VIEWER
			        || u->role == WEB_ROLE_ADMIN
			    ? "too many words"
			    : "an investor id goes with its fed-invest token";
		why = parse_investor(a, u, &words[w]);
		w += 2;
	}
	for (; why == NULL && w < n; w++)
		why = is_cred(words[w]) ? parse_cred(a, u, words[w])
		                        : "too many words";
	return why != NULL ? why : check_shape(u);
}

static int
split_words(char *line, char **words, int max)
{
	int n = 0;
	for (char *p = strtok(line, " \t\r\n"); p != NULL;
	     p = strtok(NULL, " \t\r\n"))
		if (n < max + 1)
			words[n++] = p;
	return n;
}

static fed_status
read_users(struct web_auth *a, const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, err_len, "%s: cannot open", path);
		return FED_NOT_FOUND;
	}
	char line[8192];
	fed_status st = FED_OK;
	for (int ln = 1; st == FED_OK && fgets(line, sizeof(line), f); ln++) {
		char *words[MAX_WORDS + 1];
		int n = split_words(line, words, MAX_WORDS);
		if (n == 0 || words[0][0] == '#')
			continue;
		struct user *u
		    = realloc(a->users, (a->n_users + 1) * sizeof(*u));
		if (u == NULL) {
			st = FED_RESOURCE_EXHAUSTED;
			break;
		}
		a->users = u;
		memset(&u[a->n_users], 0, sizeof(*u));
		const char *why = check_user(a, &u[a->n_users], words, n);
		if (why != NULL) {
			snprintf(err, err_len, "%s:%d: %s", path, ln, why);
			st = FED_INVALID_ARGUMENT;
		} else {
			a->n_users++;
		}
	}
	fclose(f);
	return st;
}

fed_status
web_auth_new(const char *users_file, const char *token_dir, int64_t ttl_ms,
    size_t max_sessions, web_auth **out, char *err, size_t err_len)
{
	struct web_auth *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FED_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&a->mu, NULL);
	a->ttl_ms = ttl_ms;
	a->n_slots = max_sessions ? max_sessions : 1;
	a->slots = calloc(a->n_slots, sizeof(*a->slots));
	fed_status st = a->slots ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = web_auth_hash_password("unknown user", WEB_KDF_ITER,
		    a->dummy_hash, sizeof(a->dummy_hash));
	a->token_dir = token_dir;
	if (st == FED_OK && users_file != NULL)
		st = read_users(a, users_file, err, err_len);
	a->token_dir = NULL;
	if (st != FED_OK) {
		web_auth_free(a);
		return st;
	}
	*out = a;
	return FED_OK;
}

void
web_auth_free(web_auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mu);
	free(a->users);
	free(a->slots);
	free(a);
}

size_t
web_auth_n_users(const web_auth *a)
{
	return a->n_users;
}

static int
is_one_of(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

fed_status
web_auth_check_nodes(const web_auth *a, const char *const *names, size_t n,
    char *err, size_t err_len)
{
	for (size_t u = 0; u < a->n_users; u++) {
		const struct user *us = &a->users[u];
		for (size_t i = 0; i < us->n_creds; i++) {
			const web_cred *c = &us->creds[i];
			if (is_one_of(c->node, names, n))
				continue;
			snprintf(err, err_len,
			    "user %s: %s:%s: not one of --nodes", us->name,
			    c->owner ? "owner" : "node", c->node);
			return FED_INVALID_ARGUMENT;
		}
	}
	return FED_OK;
}

// --- Sessions ------------------------------------------------------------

static void
fill(const struct web_auth *a, const struct slot *s, web_session *out)
{
	const struct user *u = &a->users[s->user];
	memset(out, 0, sizeof(*out));
	snprintf(out->user, sizeof(out->user), "%s", u->name);
	out->role = u->role;
	snprintf(out->investor, sizeof(out->investor), "%s", u->investor);
	snprintf(out->invest_token, sizeof(out->invest_token), "%s",
	    u->invest_token);
	memcpy(out->creds, u->creds, sizeof(out->creds));
	out->n_creds = u->n_creds;
	memcpy(out->csrf, s->csrf, sizeof(out->csrf));
	out->expires_ms = s->expires_ms;
}

// A free or expired slot, else the one that expires first.
static struct slot *
pick_slot(struct web_auth *a, int64_t now_ms)
{
	struct slot *best = &a->slots[0];
	for (size_t i = 0; i < a->n_slots; i++) {
		struct slot *s = &a->slots[i];
		if (s->sid_hash[0] == '\0' || s->expires_ms <= now_ms)
			return s;
		if (s->expires_ms < best->expires_ms)
			best = s;
	}
	return best;
}

static int
find_user(const struct web_auth *a, const char *name)
{
	for (size_t i = 0; i < a->n_users; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return (int) i;
	return -1;
}

// 1 when user ui may try to log in now.
static int
may_try(struct web_auth *a, int ui, int64_t now_ms)
{
	pthread_mutex_lock(&a->mu);
	int ok = ui < 0 || a->users[ui].locked_until_ms <= now_ms;
	pthread_mutex_unlock(&a->mu);
	return ok;
}

// Counts a failed or a good login of user ui; every WEB_LOGIN_TRIES
// failures in a row lock the user for WEB_LOGIN_LOCK_MS.
static void
count_try(struct web_auth *a, int ui, int good, int64_t now_ms)
{
	if (ui < 0)
		return;
	pthread_mutex_lock(&a->mu);
	struct user *u = &a->users[ui];
	u->n_failed = good ? 0 : u->n_failed + 1;
	if (u->n_failed >= WEB_LOGIN_TRIES) {
		u->n_failed = 0;
		u->locked_until_ms = now_ms + WEB_LOGIN_LOCK_MS;
		fed_log(FED_LOG_WARNING, "web",
		    "user %s: %d failed logins, locked for %d s", u->name,
		    WEB_LOGIN_TRIES, WEB_LOGIN_LOCK_MS / 1000);
	}
	pthread_mutex_unlock(&a->mu);
}

fed_status
web_auth_login(web_auth *a, const char *user, const char *password,
    int64_t now_ms, char *sid, web_session *out)
{
	int ui = user ? find_user(a, user) : -1;
	if (!may_try(a, ui, now_ms))
		return FED_RESOURCE_EXHAUSTED;
	// An unknown user costs the same KDF time as a known one.
	const char *hash = ui >= 0 ? a->users[ui].hash : a->dummy_hash;
	int ok = web_auth_verify_password(password ? password : "", hash);
	count_try(a, ui, ok, now_ms);
	if (ui < 0 || !ok)
		return FED_UNAUTHENTICATED;
	char csrf[FED_TOKEN_LEN + 1];
	FED_TRY(fed_token_new(sid, FED_TOKEN_LEN + 1));
	FED_TRY(fed_token_new(csrf, sizeof(csrf)));
	pthread_mutex_lock(&a->mu);
	struct slot *s = pick_slot(a, now_ms);
	fed_token_hash(sid, s->sid_hash);
	memcpy(s->csrf, csrf, sizeof(csrf));
	s->user = ui;
	s->expires_ms = now_ms + a->ttl_ms;
	fill(a, s, out);
	pthread_mutex_unlock(&a->mu);
	return FED_OK;
}

static struct slot *
find_slot(struct web_auth *a, const char *sid)
{
	if (sid == NULL || strlen(sid) != FED_TOKEN_LEN)
		return NULL;
	char h[FED_TOKEN_HASH_LEN + 1];
	fed_token_hash(sid, h);
	for (size_t i = 0; i < a->n_slots; i++)
		if (a->slots[i].sid_hash[0] != '\0'
		    && fed_token_equal(a->slots[i].sid_hash, h))
			return &a->slots[i];
	return NULL;
}

fed_status
web_auth_session(
    web_auth *a, const char *sid, int64_t now_ms, web_session *out)
{
	fed_status st = FED_UNAUTHENTICATED;
	pthread_mutex_lock(&a->mu);
	struct slot *s = find_slot(a, sid);
	if (s != NULL && s->expires_ms > now_ms) {
		fill(a, s, out);
		st = FED_OK;
	} else if (s != NULL) {
		s->sid_hash[0] = '\0';
	}
	pthread_mutex_unlock(&a->mu);
	return st;
}

void
web_auth_logout(web_auth *a, const char *sid)
{
	pthread_mutex_lock(&a->mu);
	struct slot *s = find_slot(a, sid);
	if (s != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&a->mu);
}
