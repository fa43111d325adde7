// SPDX-License-Identifier: MIT
//
// web_auth.c: users (from the users file, reread at a reload), password
// hashes (PBKDF2-HMAC-SHA-256 from mbedtls) and the session table, kept in
// memory and, when asked, in a sessions file that survives a restart.
//
// Why PBKDF2: it is in mbedtls, already a dependency, and with 300,000
// iterations of SHA-256 a guess costs about as much as OWASP's 2023 advice
// for PBKDF2 (600,000) at half the login time on a small board. A memory-
// hard KDF (scrypt, Argon2) would resist GPUs better but would add a
// library; docs/web.md says so.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

// A session knows its user by name, so that a reload that removes the
// user ends its sessions, and one that keeps it keeps them.
struct slot {
	char sid_hash[FED_TOKEN_HASH_LEN + 1]; // "" = free
	char user[65];
	int64_t expires_ms;
};

// One reading of the users file.
struct users {
	struct user *u;
	size_t n;
};

struct web_auth {
	pthread_mutex_t mu; // users (the pointer and the counters), slots
	struct users users;
	struct slot *slots;
	size_t n_slots;
	int64_t ttl_ms;
	char *users_file; // NULL: none; read again at each reload
	char *token_dir; // NULL: the working directory
	char *sessions_file; // NULL: sessions in memory only
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
	} roles[] = {{"viewer", WEB_ROLE_VIEWER},
	    {"teacher", WEB_ROLE_TEACHER}, {"investor", WEB_ROLE_INVESTOR},
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
		return "too many words (an investor id on a viewer, teacher "
		       "or admin line)";
	return NULL;
}

static const char *
check_user(const struct web_auth *a, const struct users *us, struct user *u,
    char **words, int n)
{
	unsigned it;
	unsigned char salt[SALT_LEN];
	char key[2 * KEY_LEN + 1];
	if (n < 3 || strlen(words[0]) >= sizeof(u->name))
		return "expected 'name role hash [investor token] "
		       "[node:NODE=TOKEN "
		       "...]'";
	if (!parse_role(words[1], &u->role))
		return "role must be viewer, teacher, investor, household or "
		       "admin";
	if (strlen(words[2]) >= sizeof(u->hash)
	    || !parse_hash(words[2], &it, salt, key))
		return "the hash must be pbkdf2-sha256$ITER$SALT$KEY with at "
		       "least 10000 iterations (made by fed-web "
		       "--hash-password)";
	for (size_t i = 0; i < us->n; i++)
		if (strcmp(us->u[i].name, words[0]) == 0)
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
			        || u->role == WEB_ROLE_TEACHER
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
	char *save = NULL;
	for (char *p = strtok_r(line, " \t\r\n", &save); p != NULL;
	     p = strtok_r(NULL, " \t\r\n", &save))
		if (n < max + 1)
			words[n++] = p;
	return n;
}

// Reads the users file into *us (empty on entry; freed by the caller
// whatever the status).
static fed_status
read_users(const struct web_auth *a, const char *path, struct users *us,
    char *err, size_t err_len)
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
		struct user *u = realloc(us->u, (us->n + 1) * sizeof(*u));
		if (u == NULL) {
			st = FED_RESOURCE_EXHAUSTED;
			break;
		}
		us->u = u;
		memset(&u[us->n], 0, sizeof(*u));
		const char *why = check_user(a, us, &u[us->n], words, n);
		if (why != NULL) {
			snprintf(err, err_len, "%s:%d: %s", path, ln, why);
			st = FED_INVALID_ARGUMENT;
		} else {
			us->n++;
		}
	}
	fclose(f);
	return st;
}

// A copy of s, NULL for NULL; *ok cleared when the copy fails.
static char *
keep(const char *s, int *ok)
{
	if (s == NULL)
		return NULL;
	char *c = strdup(s);
	*ok &= c != NULL;
	return c;
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
	int ok = a->slots != NULL;
	a->users_file = keep(users_file, &ok);
	a->token_dir = keep(token_dir, &ok);
	fed_status st = ok ? FED_OK : FED_RESOURCE_EXHAUSTED;
	if (st == FED_OK)
		st = web_auth_hash_password("unknown user", WEB_KDF_ITER,
		    a->dummy_hash, sizeof(a->dummy_hash));
	if (st == FED_OK && users_file != NULL)
		st = read_users(a, users_file, &a->users, err, err_len);
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
	free(a->users.u);
	free(a->slots);
	free(a->users_file);
	free(a->token_dir);
	free(a->sessions_file);
	free(a);
}

size_t
web_auth_n_users(web_auth *a)
{
	pthread_mutex_lock(&a->mu);
	size_t n = a->users.n;
	pthread_mutex_unlock(&a->mu);
	return n;
}

static int
is_one_of(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static fed_status
check_nodes(const struct users *us, const char *const *names, size_t n,
    char *err, size_t err_len)
{
	for (size_t u = 0; u < us->n; u++) {
		const struct user *user = &us->u[u];
		for (size_t i = 0; i < user->n_creds; i++) {
			const web_cred *c = &user->creds[i];
			if (is_one_of(c->node, names, n))
				continue;
			snprintf(err, err_len,
			    "user %s: %s:%s: not one of --nodes", user->name,
			    c->owner ? "owner" : "node", c->node);
			return FED_INVALID_ARGUMENT;
		}
	}
	return FED_OK;
}

fed_status
web_auth_check_nodes(
    web_auth *a, const char *const *names, size_t n, char *err, size_t err_len)
{
	pthread_mutex_lock(&a->mu);
	fed_status st = check_nodes(&a->users, names, n, err, err_len);
	pthread_mutex_unlock(&a->mu);
	return st;
}

static int
find_user(const struct users *us, const char *name)
{
	for (size_t i = 0; i < us->n; i++)
		if (strcmp(us->u[i].name, name) == 0)
			return (int) i;
	return -1;
}

// The failed-login counters of the users that stay, carried over from old
// to new, so that a reload does not unlock a user under attack.
static void
carry_counters(const struct users *old, struct users *new)
{
	for (size_t i = 0; i < new->n; i++) {
		int o = find_user(old, new->u[i].name);
		if (o < 0)
			continue;
		new->u[i].n_failed = old->u[o].n_failed;
		new->u[i].locked_until_ms = old->u[o].locked_until_ms;
	}
}

fed_status
web_auth_reload(web_auth *a, const char *const *names, size_t n_names,
    char *err, size_t err_len)
{
	struct users us = {0};
	fed_status st = FED_OK;
	if (a->users_file != NULL)
		st = read_users(a, a->users_file, &us, err, err_len);
	if (st == FED_OK)
		st = check_nodes(&us, names, n_names, err, err_len);
	if (st != FED_OK) {
		free(us.u);
		return st;
	}
	pthread_mutex_lock(&a->mu);
	carry_counters(&a->users, &us);
	struct users old = a->users;
	a->users = us;
	pthread_mutex_unlock(&a->mu);
	free(old.u);
	return FED_OK;
}

// --- Sessions ------------------------------------------------------------

// The CSRF token of session sid: derived from the id (a hash of it under
// another label), so that it needs no storage and survives a restart, yet
// tells nothing of the id, nor of the sid_hash kept in the sessions file.
static void
csrf_of(const char *sid, char *out)
{
	char in[FED_TOKEN_LEN + 16];
	snprintf(in, sizeof(in), "csrf:%s", sid);
	fed_token_hash(in, out);
}

static void
fill(const struct user *u, const struct slot *s, const char *sid,
    web_session *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->user, sizeof(out->user), "%s", u->name);
	out->role = u->role;
	snprintf(out->investor, sizeof(out->investor), "%s", u->investor);
	snprintf(out->invest_token, sizeof(out->invest_token), "%s",
	    u->invest_token);
	memcpy(out->creds, u->creds, sizeof(out->creds));
	out->n_creds = u->n_creds;
	csrf_of(sid, out->csrf);
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

// --- The sessions file ---------------------------------------------------
//
// One line a session, `sid_hash user expires_ms`: the SHA-256 of the id
// only (the cookie holds the id), so that reading the file gives no way
// in. Written whole to a temporary file then renamed over the old one at
// each change (under mu), so a crash leaves the old file or the new one.

static int
write_slots(FILE *f, const struct web_auth *a, int64_t now_ms)
{
	int ok = fprintf(f, "# fed-web sessions: sha256(id) user expires_ms\n")
	    > 0;
	for (size_t i = 0; ok && i < a->n_slots; i++) {
		const struct slot *s = &a->slots[i];
		if (s->sid_hash[0] != '\0' && s->expires_ms > now_ms)
			ok = fprintf(f, "%s %s %lld\n", s->sid_hash, s->user,
			         (long long) s->expires_ms)
			    > 0;
	}
	return ok;
}

// Writes the sessions file (call under mu). A failure is logged: the
// sessions go on in memory, and would be lost at the next restart only.
static void
save(struct web_auth *a, int64_t now_ms)
{
	if (a->sessions_file == NULL)
		return;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->sessions_file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok = f != NULL && write_slots(f, a, now_ms) && fflush(f) == 0
	    && fsync(fileno(f)) == 0;
	if (f != NULL)
		ok &= fclose(f) == 0;
	else if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, a->sessions_file) == 0)
		return;
	fed_log(FED_LOG_ERR, "web", "cannot write the sessions file %s: %s",
	    a->sessions_file, strerror(errno));
	unlink(tmp);
}

// One line of the sessions file into a free slot; 0 when malformed.
static int
load_line(struct web_auth *a, char *line, int64_t now_ms, size_t *next)
{
	char *words[4];
	int n = split_words(line, words, 3);
	if (n == 0 || words[0][0] == '#')
		return 1;
	char *end = NULL;
	long long exp = n == 3 ? strtoll(words[2], &end, 10) : 0;
	if (n != 3 || !fed_token_is_hash(words[0])
	    || strlen(words[1]) >= sizeof(a->slots[0].user) || end == NULL
	    || *end != '\0')
		return 0;
	if (exp <= now_ms || *next == a->n_slots)
		return 1; // expired, or more than --max-sessions now: dropped
	struct slot *s = &a->slots[(*next)++];
	snprintf(s->sid_hash, sizeof(s->sid_hash), "%s", words[0]);
	snprintf(s->user, sizeof(s->user), "%s", words[1]);
	s->expires_ms = exp;
	return 1;
}

fed_status
web_auth_persist(web_auth *a, const char *path, int64_t now_ms,
    size_t *n_loaded, char *err, size_t err_len)
{
	int ok = 1;
	char *p = keep(path, &ok);
	if (!ok)
		return FED_RESOURCE_EXHAUSTED;
	FILE *f = fopen(path, "r");
	if (f == NULL && errno != ENOENT) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		free(p);
		return FED_UNAVAILABLE;
	}
	size_t next = 0;
	char line[512];
	int ln = 0;
	for (ln = 1; ok && f != NULL && fgets(line, sizeof(line), f); ln++)
		ok = load_line(a, line, now_ms, &next);
	if (f != NULL)
		fclose(f);
	if (!ok) {
		snprintf(err, err_len,
		    "%s:%d: expected 'sha256hex user "
		    "expires_ms'",
		    path, ln - 1);
		free(p);
		return FED_INVALID_ARGUMENT;
	}
	pthread_mutex_lock(&a->mu);
	a->sessions_file = p;
	save(a, now_ms); // drops what expired, checks that it can write
	pthread_mutex_unlock(&a->mu);
	if (n_loaded != NULL)
		*n_loaded = next;
	return FED_OK;
}

// 1 when user `name` may try to log in now; *hash gets a copy of its hash
// (the dummy one for an unknown user), for the KDF outside the lock.
static int
may_try(struct web_auth *a, const char *name, int64_t now_ms, char *hash)
{
	pthread_mutex_lock(&a->mu);
	int ui = name != NULL ? find_user(&a->users, name) : -1;
	int ok = ui < 0 || a->users.u[ui].locked_until_ms <= now_ms;
	memcpy(
	    hash, ui >= 0 ? a->users.u[ui].hash : a->dummy_hash, WEB_HASH_LEN);
	pthread_mutex_unlock(&a->mu);
	return ok;
}

// Counts a failed or a good login of user `name`; every WEB_LOGIN_TRIES
// failures in a row lock the user for WEB_LOGIN_LOCK_MS. 0 when the user
// is unknown (now: a reload may have removed it since may_try).
static int
count_try(struct web_auth *a, const char *name, int good, int64_t now_ms)
{
	pthread_mutex_lock(&a->mu);
	int ui = name != NULL ? find_user(&a->users, name) : -1;
	struct user *u = ui >= 0 ? &a->users.u[ui] : NULL;
	if (u != NULL) {
		u->n_failed = good ? 0 : u->n_failed + 1;
		if (u->n_failed >= WEB_LOGIN_TRIES) {
			u->n_failed = 0;
			u->locked_until_ms = now_ms + WEB_LOGIN_LOCK_MS;
			fed_log(FED_LOG_WARNING, "web",
			    "user %s: %d failed logins, locked for %d s",
			    u->name, WEB_LOGIN_TRIES,
			    WEB_LOGIN_LOCK_MS / 1000);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return u != NULL;
}

fed_status
web_auth_login(web_auth *a, const char *user, const char *password,
    int64_t now_ms, char *sid, web_session *out)
{
	char hash[WEB_HASH_LEN];
	if (!may_try(a, user, now_ms, hash))
		return FED_RESOURCE_EXHAUSTED;
	// An unknown user costs the same KDF time as a known one.
	int ok = web_auth_verify_password(password ? password : "", hash);
	if (!count_try(a, user, ok, now_ms) || !ok)
		return FED_UNAUTHENTICATED;
	FED_TRY(fed_token_new(sid, FED_TOKEN_LEN + 1));
	fed_status st = FED_UNAUTHENTICATED;
	pthread_mutex_lock(&a->mu);
	int ui = find_user(&a->users, user);
	if (ui >= 0) {
		struct slot *s = pick_slot(a, now_ms);
		fed_token_hash(sid, s->sid_hash);
		snprintf(s->user, sizeof(s->user), "%s", user);
		s->expires_ms = now_ms + a->ttl_ms;
		fill(&a->users.u[ui], s, sid, out);
		save(a, now_ms);
		st = FED_OK;
	}
	pthread_mutex_unlock(&a->mu);
	return st;
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
	int ui = s != NULL ? find_user(&a->users, s->user) : -1;
	if (s != NULL && ui >= 0 && s->expires_ms > now_ms) {
		fill(&a->users.u[ui], s, sid, out);
		st = FED_OK;
	} else if (s != NULL) { // expired, or its user removed at a reload
		memset(s, 0, sizeof(*s));
		save(a, now_ms);
	}
	pthread_mutex_unlock(&a->mu);
	return st;
}

void
web_auth_logout(web_auth *a, const char *sid)
{
	pthread_mutex_lock(&a->mu);
	struct slot *s = find_slot(a, sid);
	if (s != NULL) {
		memset(s, 0, sizeof(*s));
		save(a, 0); // what expired goes at the next write
	}
	pthread_mutex_unlock(&a->mu);
}
