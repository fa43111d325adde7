// SPDX-License-Identifier: MIT
//
// fed/token.h: bearer tokens: made from the system's random source, kept
// only as SHA-256 hashes, compared in constant time.
//
// A token is "fed_" followed by 43 characters of base64url (256 random
// bits). A service stores the hex SHA-256 of each token it accepts (its
// config and databases never hold a token itself), and checks a presented
// token by hashing it and comparing hashes without data-dependent timing.

#ifndef FED_TOKEN_H
#define FED_TOKEN_H

#include <stddef.h>

#include "fed/status.h"

#define FED_TOKEN_LEN      47 // strlen of a token
#define FED_TOKEN_HASH_LEN 64 // strlen of its hex SHA-256

// Writes a new random token and its NUL into buf (at least
// FED_TOKEN_LEN + 1 bytes). UNAVAILABLE when the random source fails,
// INVALID_ARGUMENT when buf is too small.
fed_status fed_token_new(char *buf, size_t len);

// Writes the hex SHA-256 of token and its NUL into hex (at least
// FED_TOKEN_HASH_LEN + 1 bytes).
void fed_token_hash(const char *token, char *hex);

// 1 when token hashes to hash_hex (64 hex digits, any case), else 0. Takes
// the same time whatever the position of the first difference.
int fed_token_check(const char *token, const char *hash_hex);

// Constant-time equality of two NUL-terminated strings of the same length;
// 0 when lengths differ (the length itself is not secret).
int fed_token_equal(const char *a, const char *b);

// 1 when s is 64 hex digits (a token hash as a config may give it).
int fed_token_is_hash(const char *s);

// One line of a tokens file, `name role sha256hex [binding...]`: the words
// borrowed for the call, hash lower-cased, binding the rest of the line
// trimmed ("" when absent). Returns OK to go on, or a status (with a
// message in err) that stops the reading.
typedef fed_status (*fed_token_line_fn)(const char *name, const char *role,
    const char *hash, const char *binding, void *arg, char *err,
    size_t err_len);

// Reads a tokens file of services (fed-node, fed-invest): one line per
// token, `name role sha256hex [binding...]`, blank lines and '#' comments
// skipped, and calls fn for each. NOT_FOUND when the file does not exist;
// INVALID_ARGUMENT, with "file:line: ..." in err, for a line without its
// three words or whose hash is not 64 hex digits, or when fn refuses it
// (fn's message is prefixed with file:line).
fed_status fed_token_file_read(const char *path, fed_token_line_fn fn,
    void *arg, char *err, size_t err_len);

// Where a service's tokens come from, kept to read them again at each
// reload (SIGHUP): the administrator's token or its hash from the config,
// and a tokens file. Each string is owned, NULL when not given.
typedef struct fed_token_source {
	char *admin_token;
	char *admin_hash;
	char *tokens_file;
} fed_token_source;

// Copies the three (each may be NULL or ""). RESOURCE_EXHAUSTED without
// memory (nothing to release then).
fed_status fed_token_source_init(fed_token_source *s, const char *admin_token,
    const char *admin_hash, const char *tokens_file);
void fed_token_source_fini(fed_token_source *s);

// Reads the source: fn gets the administrator's token (hashed) and its
// hash as lines `admin admin HASH` (INVALID_ARGUMENT when the configured
// hash is not 64 hex digits), then each line of the tokens file, as
// fed_token_file_read gives them. A service builds a new table from the
// calls and swaps it in only when this returns OK: a file that cannot be
// read keeps the old table in force.
fed_status fed_token_source_read(const fed_token_source *s,
    fed_token_line_fn fn, void *arg, char *err, size_t err_len);

#endif // FED_TOKEN_H
