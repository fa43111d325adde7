// SPDX-License-Identifier: MIT
//
// cfg.c: the config loader: defaults, then the config file, then FED_<NAME>
// environment variables, then the command line, all driven by the
// program's table of fed_cfg_opt; and the help generated from that table.
// The command line is read twice: once for --help, --version and --config,
// which decide what else is read, then to apply its options over the file
// and the environment. Each value goes through fed__cfg_apply (cfg_value.c).
// Nothing here keeps state between calls.

#include "cfg_internal.h"
#include "fed/health.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 63
#define ENV_MAX_LEN  (NAME_MAX_LEN + 5)
#define HELP_COL     26

static const fed__cfg_src src_default = {FED__CFG_SRC_DEFAULT, NULL, 0};
static const fed__cfg_src src_argv = {FED__CFG_SRC_ARGV, NULL, 0};

static const fed_cfg_opt *
find_opt(const fed_cfg_spec *spec, const char *name, size_t len)
{
	for (size_t k = 0; k < spec->n_opts; k++) {
		const fed_cfg_opt *o = &spec->opts[k];
		if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

fed_status
fed_cfg_env_name(const char *name, char *buf, size_t len)
{
	if (name == NULL || buf == NULL)
		return FED_INVALID_ARGUMENT;
	size_t n = strlen(name);
	if (len < n + 5)
		return FED_RESOURCE_EXHAUSTED;
	memcpy(buf, "FED_", 4);
	for (size_t k = 0; k < n; k++) {
		char c = name[k];
		buf[4 + k] = (c == '-' || c == '.')
		    ? '_'
		    : (char) toupper((unsigned char) c);
	}
	buf[4 + n] = '\0';
	return FED_OK;
}

static bool
valid_name(const char *name)
{
	if (name == NULL || strlen(name) > NAME_MAX_LEN)
		return false;
	if (!islower((unsigned char) name[0])
	    && !isdigit((unsigned char) name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-")
	    == strlen(name);
}

static bool
reserved_name(const char *name)
{
	return strcmp(name, "help") == 0 || strcmp(name, "version") == 0
	    || strcmp(name, "config") == 0 || strncmp(name, "no-", 3) == 0;
}

// True when an earlier option has the same environment variable (and so
// also when it has the same name).
static bool
env_clash(const fed_cfg_spec *spec, size_t i)
{
	char a[ENV_MAX_LEN], b[ENV_MAX_LEN];
	fed_cfg_env_name(spec->opts[i].name, a, sizeof(a));
	for (size_t k = 0; k < i; k++) {
		fed_cfg_env_name(spec->opts[k].name, b, sizeof(b));
		if (strcmp(a, b) == 0)
			return true;
	}
	return false;
}

static const char *
opt_problem(const fed_cfg_spec *spec, size_t i)
{
	const fed_cfg_opt *o = &spec->opts[i];
	if (!valid_name(o->name))
		return "bad name: want [a-z0-9][a-z0-9._-]*, 63 at most";
	if (reserved_name(o->name))
		return "reserved name";
	if ((unsigned) o->type > FED_CFG_LOG_LEVEL)
		return "unknown type";
	if (!(o->min <= o->max))
		return "min is above max";
	if (o->type == FED_CFG_ENUM && (o->choices == NULL || !*o->choices))
		return "enum without choices";
	if (o->def == NULL && o->type != FED_CFG_STRING)
		return "no default";
	if (o->help == NULL)
		return "no help text";
	if (env_clash(spec, i))
		return "same name or environment variable as another option";
	return NULL;
}

static fed_status
check_table(const fed_cfg_spec *spec, fed_cfg_result *res)
{
	if (spec->n_opts > 0 && spec->opts == NULL)
		return fed__cfg_fail(
		    res, FED_INTERNAL, &src_default, "no options");
	for (size_t k = 0; k < spec->n_opts; k++) {
		const char *why = opt_problem(spec, k);
		if (why != NULL)
			return fed__cfg_fail(res, FED_INTERNAL, &src_default,
			    "option #%zu (%.40s): %s", k,
			    spec->opts[k].name ? spec->opts[k].name : "?",
			    why);
	}
	return FED_OK;
}

// So that fed_cfg_fini is safe whatever happens next.
static void
null_strings(const fed_cfg_spec *spec, void *cfg)
{
	for (size_t k = 0; k < spec->n_opts; k++) {
		if (spec->opts[k].type == FED_CFG_STRING)
			*(char **) ((char *) cfg + spec->opts[k].offset)
			    = NULL;
	}
}

static fed_status
apply_defaults(const fed_cfg_spec *spec, void *cfg, fed_cfg_result *res)
{
	for (size_t k = 0; k < spec->n_opts; k++) {
		const fed_cfg_opt *o = &spec->opts[k];
		if (o->def != NULL)
			FED_TRY(
			    fed__cfg_apply(o, cfg, o->def, &src_default, res));
	}
	return FED_OK;
}

static char *
skip_space(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void
trim_end(char *p)
{
	size_t n = strlen(p);
	while (n > 0 && isspace((unsigned char) p[n - 1]))
		p[--n] = '\0';
}

// After a closing quote, only a comment may follow.
static const char *
check_after_quote(char *p)
{
	p = skip_space(p);
	return (*p == '\0' || *p == '#') ? NULL : "text after closing quote";
}

static const char *
unquote_double(char *value)
{
	static const char escapes[] = "\"\"\\\\n\nt\t";
	char *w = value;
	for (char *r = value + 1; *r != '\0'; r++) {
		if (*r == '"') {
			*w = '\0';
			return check_after_quote(r + 1);
		}
		if (*r == '\\') {
			const char *e = r[1] ? strchr(escapes, r[1]) : NULL;
			if (e == NULL || (e - escapes) % 2 != 0)
				return "unknown escape in quotes";
			*w++ = e[1];
			r++;
			continue;
		}
		*w++ = *r;
	}
	return "unterminated quote";
}

static const char *
unquote_single(char *value)
{
	char *close = strchr(value + 1, '\'');
	if (close == NULL)
		return "unterminated quote";
	size_t n = (size_t) (close - value - 1);
	const char *why = check_after_quote(close + 1);
	memmove(value, value + 1, n);
	value[n] = '\0';
	return why;
}

// Rewrites the value part of a line in place: quotes removed, or an
// unquoted value cut at " #" and trimmed. Returns why it is bad, or NULL.
static const char *
unquote(char *value)
{
	if (value[0] == '"')
		return unquote_double(value);
	if (value[0] == '\'')
		return unquote_single(value);
	for (char *p = value; *p != '\0'; p++) {
		if (*p == '#' && p > value
		    && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	trim_end(value);
	return NULL;
}

static fed_status
file_line(const fed_cfg_spec *spec, void *cfg, char *line,
    const fed__cfg_src *s, fed_cfg_result *res)
{
	trim_end(line);
	if (s->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3; // a UTF-8 byte order mark, as some editors write
	char *p = skip_space(line);
	if (*p == '\0' || *p == '#')
		return FED_OK;
	char *eq = strchr(p, '=');
	if (eq == NULL || eq == p)
		return fed__cfg_fail(
		    res, FED_INVALID_ARGUMENT, s, "expected \"name = value\"");
	*eq = '\0';
	trim_end(p);
	char *value = skip_space(eq + 1);
	const char *why = unquote(value);
	if (why != NULL)
		return fed__cfg_fail(
		    res, FED_INVALID_ARGUMENT, s, "%.40s: %s", p, why);
	const fed_cfg_opt *o = find_opt(spec, p, strlen(p));
	if (o == NULL)
		return fed__cfg_fail(
		    res, FED_INVALID_ARGUMENT, s, "%.40s: unknown option", p);
	return fed__cfg_apply(o, cfg, value, s, res);
}

static fed_status
file_error(const char *path, int err, fed_cfg_result *res)
{
	char msg[96];
	fed__cfg_src s = {FED__CFG_SRC_FILE, path, 0};
	if (strerror_r(err, msg, sizeof(msg)) != 0)
		snprintf(msg, sizeof(msg), "error %d", err);
	fed_status st = err == ENOENT ? FED_NOT_FOUND
	    : err == ENOMEM           ? FED_RESOURCE_EXHAUSTED
	                              : FED_INVALID_ARGUMENT;
	return fed__cfg_fail(res, st, &s, "%s", msg);
}

static fed_status
load_file(
    const fed_cfg_spec *spec, void *cfg, const char *path, fed_cfg_result *res)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return file_error(path, errno, res);
	char *line = NULL;
	size_t cap = 0;
	fed__cfg_src s = {FED__CFG_SRC_FILE, path, 0};
	fed_status st = FED_OK;
	while (st == FED_OK) {
		errno = 0;
		if (getline(&line, &cap, f) < 0) {
			if (ferror(f))
				st = file_error(path, errno, res);
			break;
		}
		s.line++;
		st = file_line(spec, cfg, line, &s, res);
	}
	free(line);
	fclose(f);
	return st;
}

static fed_status
load_env(const fed_cfg_spec *spec, void *cfg, fed_cfg_result *res)
{
	for (size_t k = 0; k < spec->n_opts; k++) {
		const fed_cfg_opt *o = &spec->opts[k];
		char name[ENV_MAX_LEN];
		fed_cfg_env_name(o->name, name, sizeof(name));
		const char *v = getenv(name);
		fed__cfg_src s = {FED__CFG_SRC_ENV, name, 0};
		if (v != NULL)
			FED_TRY(fed__cfg_apply(o, cfg, v, &s, res));
	}
	return FED_OK;
}

typedef enum tok_kind {
	TOK_END,
	TOK_ARG,
	TOK_OPT,
	TOK_HELP,
	TOK_VERSION,
	TOK_CONFIG,
} tok_kind;

typedef struct argv_iter {
	int argc;
	char **argv;
	int i;
	bool opts_done;
	unsigned flags;
} argv_iter;

typedef struct tok {
	tok_kind kind;
	const fed_cfg_opt *opt; // TOK_OPT
	const char *value; // TOK_OPT, TOK_CONFIG
	char *arg; // TOK_ARG
} tok;

// The value of --name: after '=', else the next argument unless it is an
// option itself.
static fed_status
take_value(argv_iter *it, const char *name, size_t len, const char *inl,
    const char **out, fed_cfg_result *res)
{
	if (inl != NULL) {
		*out = inl;
		return FED_OK;
	}
	const char *next = it->i < it->argc ? it->argv[it->i] : NULL;
	if (next == NULL || strncmp(next, "--", 2) == 0)
		return fed__cfg_fail(res, FED_INVALID_ARGUMENT, &src_argv,
		    "--%.*s: missing value", (int) len, name);
	it->i++;
	*out = next;
	return FED_OK;
}

static tok_kind
builtin_kind(const argv_iter *it, const char *name, size_t len)
{
	static const struct {
		const char *name;
		tok_kind kind;
	} builtins[] = {
	    {"help", TOK_HELP},
	    {"version", TOK_VERSION},
	    {"config", TOK_CONFIG},
	};
	for (size_t k = 0; k < FED_CFG_N(builtins); k++) {
		if (strlen(builtins[k].name) != len
		    || memcmp(builtins[k].name, name, len) != 0)
			continue;
		if (builtins[k].kind == TOK_CONFIG
		    && (it->flags & FED_CFG_ARGV_ONLY))
			return TOK_END;
		return builtins[k].kind;
	}
	return TOK_END;
}

// --no-NAME for a bool NAME; anything else not in the table is unknown.
static fed_status
negated_bool(const fed_cfg_spec *spec, const char *name, size_t len,
    const char *inl, tok *t, fed_cfg_result *res)
{
	const fed_cfg_opt *o = NULL;
	if (inl == NULL && len > 3 && strncmp(name, "no-", 3) == 0)
		o = find_opt(spec, name + 3, len - 3);
	if (o == NULL || o->type != FED_CFG_BOOL)
		return fed__cfg_fail(res, FED_INVALID_ARGUMENT, &src_argv,
		    "--%.*s: unknown option", (int) (len > 40 ? 40 : len),
		    name);
	t->kind = TOK_OPT;
	t->opt = o;
	t->value = "false";
	return FED_OK;
}

static fed_status
long_opt(const fed_cfg_spec *spec, argv_iter *it, const char *body, tok *t,
    fed_cfg_result *res)
{
	const char *eq = strchr(body, '=');
	size_t len = eq != NULL ? (size_t) (eq - body) : strlen(body);
	const char *inl = eq != NULL ? eq + 1 : NULL;
	tok_kind kind = builtin_kind(it, body, len);
	if ((kind == TOK_HELP || kind == TOK_VERSION) && inl != NULL)
		return fed__cfg_fail(res, FED_INVALID_ARGUMENT, &src_argv,
		    "--%.*s: takes no value", (int) len, body);
	t->kind = kind;
	if (kind == TOK_HELP || kind == TOK_VERSION)
		return FED_OK;
	if (kind == TOK_CONFIG)
		return take_value(it, body, len, inl, &t->value, res);
	const fed_cfg_opt *o = find_opt(spec, body, len);
	if (o == NULL)
		return negated_bool(spec, body, len, inl, t, res);
	t->kind = TOK_OPT;
	t->opt = o;
	if (o->type == FED_CFG_BOOL && inl == NULL) {
		t->value = "true";
		return FED_OK;
	}
	return take_value(it, body, len, inl, &t->value, res);
}

// The next token of the command line into *t; TOK_END at the end.
static fed_status
next_tok(const fed_cfg_spec *spec, argv_iter *it, tok *t, fed_cfg_result *res)
{
	memset(t, 0, sizeof(*t));
	char *a = it->i < it->argc ? it->argv[it->i] : NULL;
	if (a == NULL)
		return FED_OK;
	it->i++;
	if (it->opts_done || a[0] != '-' || a[1] == '\0') {
		t->kind = TOK_ARG;
		t->arg = a;
		it->opts_done |= (it->flags & FED_CFG_STOP_AT_ARG) != 0;
		return FED_OK;
	}
	if (strcmp(a, "--") == 0) {
		it->opts_done = true;
		return next_tok(spec, it, t, res);
	}
	if (strcmp(a, "-h") == 0) {
		t->kind = TOK_HELP;
		return FED_OK;
	}
	if (a[1] != '-')
		return fed__cfg_fail(res, FED_INVALID_ARGUMENT, &src_argv,
		    "%.40s: unknown option", a);
	return long_opt(spec, it, a + 2, t, res);
}

// First pass: --help, --version and --config, which decide what the other
// sources are; the syntax of every argument is checked on the way.
static fed_status
scan_argv(const fed_cfg_spec *spec, int argc, char **argv, fed_cfg_result *res)
{
	argv_iter it = {argc, argv, 1, false, spec->flags};
	tok t;
	do {
		FED_TRY(next_tok(spec, &it, &t, res));
		if (t.kind == TOK_HELP || t.kind == TOK_VERSION) {
			res->action = t.kind == TOK_HELP ? FED_CFG_HELP
			                                 : FED_CFG_VERSION;
			return FED_OK;
		}
		if (t.kind == TOK_CONFIG)
			res->config_path = t.value;
	} while (t.kind != TOK_END);
	return FED_OK;
}

// Second pass: apply the options and gather positional arguments at
// argv[1..]; each is written at or before the slot it was read from.
static fed_status
apply_argv(const fed_cfg_spec *spec, void *cfg, int argc, char **argv,
    fed_cfg_result *res)
{
	argv_iter it = {argc, argv, 1, false, spec->flags};
	tok t;
	int w = 1;
	for (;;) {
		FED_TRY(next_tok(spec, &it, &t, res));
		if (t.kind == TOK_END)
			break;
		if (t.kind == TOK_ARG)
			argv[w++] = t.arg;
		else if (t.kind == TOK_OPT)
			FED_TRY(fed__cfg_apply(
			    t.opt, cfg, t.value, &src_argv, res));
	}
	if (w < argc)
		argv[w] = NULL;
	res->n_args = w - 1;
	return FED_OK;
}

static fed_status
load_sources(const fed_cfg_spec *spec, void *cfg, fed_cfg_result *res)
{
	if (res->config_path == NULL) {
		const char *env = getenv("FED_CONFIG");
		if (env != NULL && env[0] != '\0')
			res->config_path = env;
	}
	if (res->config_path != NULL)
		FED_TRY(load_file(spec, cfg, res->config_path, res));
	return load_env(spec, cfg, res);
}

fed_status
fed_cfg_load(const fed_cfg_spec *spec, void *cfg, int argc, char **argv,
    fed_cfg_result *res)
{
	assert(spec != NULL && cfg != NULL && res != NULL);
	memset(res, 0, sizeof(*res));
	if (argc < 1 || argv == NULL)
		argc = 0;
	res->args = argc > 0 ? argv + 1 : argv;
	null_strings(spec, cfg);
	FED_TRY(check_table(spec, res));
	FED_TRY(apply_defaults(spec, cfg, res));
	FED_TRY(scan_argv(spec, argc, argv, res));
	if (res->action != FED_CFG_RUN)
		return FED_OK;
	if ((spec->flags & FED_CFG_ARGV_ONLY) == 0)
		FED_TRY(load_sources(spec, cfg, res));
	return apply_argv(spec, cfg, argc, argv, res);
}

void
fed_cfg_fini(const fed_cfg_spec *spec, void *cfg)
{
	if (spec == NULL || cfg == NULL)
		return;
	for (size_t k = 0; k < spec->n_opts; k++) {
		if (spec->opts[k].type != FED_CFG_STRING)
			continue;
		char **field = (char **) ((char *) cfg + spec->opts[k].offset);
		free(*field);
		*field = NULL;
	}
}

// "  --left    text": the text starts at HELP_COL, or on the next line when
// the left part is too wide.
static void
help_row(FILE *out, const char *left, const char *text)
{
	int pad = HELP_COL - 2;
	if ((int) strlen(left) < pad - 1)
		fprintf(out, "  %-*s%s\n", pad, left, text);
	else
		fprintf(out, "  %s\n%*s%s\n", left, HELP_COL, "", text);
}

// Two rows: the syntax and help text, then "(default D; range R; env E)".
static void
help_opt(FILE *out, const fed_cfg_opt *o, bool with_env)
{
	char left[160], range[72], env[ENV_MAX_LEN + 8] = "";
	if (o->type == FED_CFG_BOOL)
		snprintf(left, sizeof(left), "--[no-]%s", o->name);
	else
		snprintf(
		    left, sizeof(left), "--%s=%s", o->name, fed__cfg_meta(o));
	help_row(out, left, o->help != NULL ? o->help : "");
	fed__cfg_format_range(o, range, sizeof(range));
	if (with_env) {
		memcpy(env, "; env ", 6);
		fed_cfg_env_name(o->name, env + 6, sizeof(env) - 6);
	}
	const char *q = o->type == FED_CFG_STRING && o->def ? "\"" : "";
	const char *label = range[0] == '\0' ? ""
	    : o->type == FED_CFG_STRING      ? "; length "
	                                     : "; range ";
	fprintf(out, "%*s(default %s%s%s%s%s%s)\n", HELP_COL, "", q,
	    o->def ? o->def : "none", q, label, range, env);
}

fed_status
fed_cfg_help(const fed_cfg_spec *spec, FILE *out)
{
	assert(spec != NULL && out != NULL);
	bool files = (spec->flags & FED_CFG_ARGV_ONLY) == 0;
	fprintf(out, "Usage: %s %s\n", spec->program ? spec->program : "?",
	    spec->usage ? spec->usage : "[OPTION]...");
	if (spec->summary != NULL)
		fprintf(out, "%s\n", spec->summary);
	fprintf(out, "\nOptions%s:\n",
	    files ? " (default < config file < environment < command line)"
	          : "");
	for (size_t k = 0; k < spec->n_opts; k++)
		help_opt(out, &spec->opts[k], files);
	if (files) {
		help_row(out, "--config=FILE",
		    "read options from FILE, as \"name = value\" lines");
		fprintf(out, "%*s(env FED_CONFIG)\n", HELP_COL, "");
	}
	help_row(out, "-h, --help", "print this help and exit");
	help_row(out, "--version", "print the version and exit");
	return ferror(out) ? FED_UNAVAILABLE : FED_OK;
}

int
fed_cfg_main(const fed_cfg_spec *spec, void *cfg, int argc, char **argv,
    fed_cfg_result *res)
{
	fed_cfg_result own;
	if (res == NULL)
		res = &own;
	if (fed_cfg_load(spec, cfg, argc, argv, res) != FED_OK) {
		fprintf(stderr, "%s: %s\n", spec->program, res->err);
		return 2;
	}
	if (res->action == FED_CFG_HELP)
		return fed_cfg_help(spec, stdout) == FED_OK ? 0 : 1;
	if (res->action == FED_CFG_VERSION) {
		printf("%s %s\n", spec->program, fed_version());
		return 0;
	}
	if (res->n_args > 0) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n",
		    spec->program, res->args[0]);
		return 2;
	}
	return -1;
}
