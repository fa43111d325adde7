// SPDX-License-Identifier: MIT
//
// fed/cfg.h: a program's configuration, from one declarative table.
//
// Each program describes its options once, in a const table of fed_cfg_opt
// entries (name, type, default, bounds, help) that point, by offset, into the
// program's own config struct. One loader fills that struct, in this order,
// each source overriding the one before:
//
//   1. the defaults of the table;
//   2. the config file named by --config=FILE (or --config FILE), else by
//      the FED_CONFIG environment variable; no file if neither is given;
//   3. the environment: FED_<NAME>, the name upper-cased with '-' and '.'
//      turned into '_' (option "max-recv-size" is FED_MAX_RECV_SIZE);
//   4. the command line: --name=value, --name value, --flag, --no-flag.
//
// --help (or -h) and --version are answered by the result's action, so that
// main.c prints the help (fed_cfg_help) or its version and exits. There are
// no globals: the loader is reentrant, and main.c passes the filled struct
// down as const. Library code never prints: errors are returned as a status
// and a message in the result.
//
// Config file: one `name = value` per line; blank lines and lines starting
// with '#' are ignored; an unquoted value ends at a '#' preceded by a space
// (a comment) and is trimmed. "double quotes" take the escapes \" \\ \n \t;
// 'single quotes' are literal. The last line for a name wins; a name that
// is not in the table is an error (typos do not pass silently). A variable
// set to the empty string is a value (the empty string), not an absence.
// The variables are shared by every enfed program that has an option of
// that name: FED_LOG_LEVEL=debug reaches them all.
//
// Values, by type (the type of the field is checked at compile time by the
// FED_CFG_OPT_* macros):
//
//   STRING    char *, a heap copy owned by the struct (fed_cfg_fini frees
//             it). A value "@PATH" is replaced by the contents of the file
//             PATH (relative to the working directory, at most 64 KiB, one
//             trailing newline removed), so that tokens stay out of argv
//             and the environment; "@@text" stands for the literal "@text".
//             Bounds, if any, apply to the length in bytes.
//   INT       int64_t, decimal, optional sign.
//   UINT      uint64_t, decimal, no sign.
//   BOOL      bool: true/false, yes/no, on/off, 1/0 (any case). On the
//             command line, --flag sets true and --no-flag false; a bool
//             never takes the next argument as its value (--flag=no does).
//   DOUBLE    double, finite, strtod syntax.
//   DURATION  int64_t milliseconds: one or more <digits><unit>, unit ms, s,
//             m, h or d, lower case ("500ms", "30s", "1h30m", "1d"); "0"
//             alone needs no unit. Bounds are in milliseconds.
//   SIZE      size_t bytes: <digits>[unit], unit B, KiB, MiB, GiB, TiB
//             (powers of 1024) or kB, MB, GB, TB (powers of 1000), any case,
//             optionally after spaces ("64KiB", "16 MiB", "4096").
//   ENUM      int: the index of the value in `choices`, a '|'-separated
//             list ("full|normal"), matched in any case.
//   LOG_LEVEL fed_log_level: err, warning, notice, info, debug.
//
// Bounds are inclusive, in the stored unit, and apply to the numeric types
// and to the length of strings; min == max == 0 means "no bounds beyond the
// type's own range".
//
// Command line: options and positional arguments may be interleaved; "--"
// ends the options; "-" alone is a positional argument. --name value takes
// the next argument as the value unless it starts with "--" (that is a
// missing value; write --name=--x if you mean it); negative numbers thus
// work as --offset -5. "-h" is the only short option: any other argument
// starting with a single '-' is refused. Positional arguments are returned in
// order in the result. With FED_CFG_STOP_AT_ARG, the first positional argument
// ends the options: everything from it on is returned as is, which suits
// programs with subcommands (fedctl): the subcommand's own table can then be
// loaded from res.n_args, res.args with FED_CFG_ARGV_ONLY.
//
// In a program:
//
//   struct node_cfg { char *listen; int64_t timeout_ms; bool verbose; };
//   static const fed_cfg_opt node_opts[] = {
//       FED_CFG_OPT_STRING(struct node_cfg, listen, "listen",
//           "ipc:///run/enfed/node.rpc", "RPC listen address"),
//       FED_CFG_OPT_DURATION(struct node_cfg, timeout_ms, "rpc.timeout",
//           "30s", 100, 3600000, "deadline of outgoing calls"),
//       FED_CFG_OPT_BOOL(struct node_cfg, verbose, "verbose", "false",
//           "log every request"),
//   };
//   static const fed_cfg_spec node_spec = {"fed-node", "[OPTION]...",
//       "Stores meter series.", node_opts, FED_CFG_N(node_opts), 0};
//
//   struct node_cfg cfg;
//   int rc = fed_cfg_main(&node_spec, &cfg, argc, argv, NULL);
//   if (rc < 0)          // not --help, --version nor a bad command line
//           rc = run(&cfg);                 // with a const pointer
//   fed_cfg_fini(&node_spec, &cfg);
//   return rc;
//
// fedctl's verbs, which take arguments, call fed_cfg_load themselves.

#ifndef FED_CFG_H
#define FED_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fed/log.h"
#include "fed/status.h"

typedef enum fed_cfg_type {
	FED_CFG_STRING,
	FED_CFG_INT,
	FED_CFG_UINT,
	FED_CFG_BOOL,
	FED_CFG_DOUBLE,
	FED_CFG_DURATION,
	FED_CFG_SIZE,
	FED_CFG_ENUM,
	FED_CFG_LOG_LEVEL,
} fed_cfg_type;

// One option. Build entries with the FED_CFG_OPT_* macros below rather than
// by hand: they compute the offset and check the field's C type.
typedef struct fed_cfg_opt {
	// [a-z0-9][a-z0-9._-]*, at most 63 characters; not "help", "version",
	// "config", nor starting with "no-".
	const char *name;
	fed_cfg_type type;
	size_t offset; // of the field in the program's config struct
	// The default, written as in a config file ("30s", "16MiB", "info").
	// NULL is allowed for STRING only (the field stays NULL).
	const char *def;
	double min, max; // inclusive bounds; both 0: none
	const char *choices; // ENUM only: "a|b|c"
	const char *help; // one line, shown by fed_cfg_help
} fed_cfg_opt;

// offsetof(T, field), refused by the compiler unless the field has type
// ctype (comparing distinct pointer types is a constraint violation).
#define FED_CFG__AT(T, field, ctype) \
	(offsetof(T, field) + 0 * sizeof(&((T *) 0)->field == (ctype *) 0))

#define FED_CFG_OPT_STRING(T, field, name, def, help)                         \
	{                                                                     \
		(name), FED_CFG_STRING, FED_CFG__AT(T, field, char *), (def), \
		    0, 0, NULL, (help)                                        \
	}
// A string whose length in bytes must lie in [min_len, max_len].
#define FED_CFG_OPT_STRING_LEN(T, field, name, def, min_len, max_len, help)   \
	{                                                                     \
		(name), FED_CFG_STRING, FED_CFG__AT(T, field, char *), (def), \
		    (min_len), (max_len), NULL, (help)                        \
	}
#define FED_CFG_OPT_INT(T, field, name, def, min, max, help)                \
	{                                                                   \
		(name), FED_CFG_INT, FED_CFG__AT(T, field, int64_t), (def), \
		    (min), (max), NULL, (help)                              \
	}
#define FED_CFG_OPT_UINT(T, field, name, def, min, max, help)                 \
	{                                                                     \
		(name), FED_CFG_UINT, FED_CFG__AT(T, field, uint64_t), (def), \
		    (min), (max), NULL, (help)                                \
	}
#define FED_CFG_OPT_BOOL(T, field, name, def, help)                          \
	{                                                                    \
		(name), FED_CFG_BOOL, FED_CFG__AT(T, field, bool), (def), 0, \
		    0, NULL, (help)                                          \
	}
#define FED_CFG_OPT_DOUBLE(T, field, name, def, min, max, help)               \
	{                                                                     \
		(name), FED_CFG_DOUBLE, FED_CFG__AT(T, field, double), (def), \
		    (min), (max), NULL, (help)                                \
	}
#define FED_CFG_OPT_DURATION(T, field, name, def, min_ms, max_ms, help)   \
	{                                                                 \
		(name), FED_CFG_DURATION, FED_CFG__AT(T, field, int64_t), \
		    (def), (min_ms), (max_ms), NULL, (help)               \
	}
#define FED_CFG_OPT_SIZE(T, field, name, def, min, max, help)               \
	{                                                                   \
		(name), FED_CFG_SIZE, FED_CFG__AT(T, field, size_t), (def), \
		    (min), (max), NULL, (help)                              \
	}
#define FED_CFG_OPT_ENUM(T, field, name, def, choices, help)                \
	{                                                                   \
		(name), FED_CFG_ENUM, FED_CFG__AT(T, field, int), (def), 0, \
		    0, (choices), (help)                                    \
	}
#define FED_CFG_OPT_LOG_LEVEL(T, field, name, def, help)                     \
	{                                                                    \
		(name), FED_CFG_LOG_LEVEL,                                   \
		    FED_CFG__AT(T, field, fed_log_level), (def), 0, 0, NULL, \
		    (help)                                                   \
	}
// The four rows of a program's TLS settings, --tls-cert, --tls-key and
// --tls-ca (fed_tls_opts) and --tls-revoked (fed_tls_revocation_init in
// fed/tls.h), into the char * fields cert, key, ca and revoked of T.
#define FED_CFG_OPTS_TLS(T, cert, key, ca, revoked)                          \
	FED_CFG_OPT_STRING(T, cert, "tls-cert", NULL,                        \
	    "certificate (PEM) for tls+tcp:// addresses"),                   \
	    FED_CFG_OPT_STRING(                                              \
	        T, key, "tls-key", NULL, "its private key (PEM)"),           \
	    FED_CFG_OPT_STRING(T, ca, "tls-ca", NULL,                        \
	        "the federation CA (PEM); peers must present a certificate " \
	        "it signed"),                                                \
	    FED_CFG_OPT_STRING(T, revoked, "tls-revoked", NULL,              \
	        "file of revoked certificate serials (hex, one a line), "    \
	        "refused in TLS handshakes; reread on reload")

// The number of entries of a table array.
#define FED_CFG_N(table) (sizeof(table) / sizeof((table)[0]))

// Flags of a fed_cfg_spec.
enum {
	// The first positional argument ends the options (subcommands).
	FED_CFG_STOP_AT_ARG = 1u << 0,
	// Read the command line only: no config file, no environment, and no
	// --config option (for a subcommand's own table).
	FED_CFG_ARGV_ONLY = 1u << 1,
};

// Everything the loader and the help need to know about one program; one
// static const instance per program (or per subcommand).
typedef struct fed_cfg_spec {
	const char *program; // "fed-node"
	const char *usage; // after the program name: "[OPTION]... [FILE]..."
	const char *summary; // one or more lines shown under the usage line
	const fed_cfg_opt *opts;
	size_t n_opts;
	unsigned flags; // FED_CFG_STOP_AT_ARG | FED_CFG_ARGV_ONLY
} fed_cfg_spec;

typedef enum fed_cfg_action {
	FED_CFG_RUN, // options loaded: run the program
	FED_CFG_HELP, // --help or -h: print fed_cfg_help and exit 0
	FED_CFG_VERSION, // --version: print the version and exit 0
} fed_cfg_action;

typedef struct fed_cfg_result {
	fed_cfg_action action;
	// The config file read (borrowed from argv or the environment), or
	// NULL if there was none.
	const char *config_path;
	// Positional arguments, in order: borrowed pointers into argv (the
	// loader moves them to argv[1..n_args], as GNU getopt permutes argv).
	// args[n_args] is NULL when argv was NULL-terminated.
	char **args;
	int n_args;
	// Why the load failed, naming the option, its source (file:line,
	// environment variable or command line) and the accepted values;
	// empty on success. String values are never echoed (secrets).
	char err[256];
} fed_cfg_result;

// Fills *cfg from the sources above, in order, for the options of spec.
// cfg points to the program's config struct; only the fields named by the
// table are written, and they are overwritten without being freed: pass a
// struct that owns nothing yet (fresh, or after fed_cfg_fini). argv is
// borrowed but its elements are reordered (see fed_cfg_result.args);
// argv[0] is the program name and is skipped.
//
// On --help or --version, returns OK with res->action set and *cfg holding
// the defaults only; neither the file nor the environment is read.
//
// Returns OK; INVALID_ARGUMENT for an unknown option, a missing or bad
// value, a value out of bounds, or a config file that cannot be read or
// parsed; NOT_FOUND when the config file does not exist; RESOURCE_EXHAUSTED
// when memory runs out; INTERNAL when the table itself is wrong (bad name,
// duplicate, a default that does not parse). res->err says which. Whatever
// the status, strings already stored belong to *cfg: call fed_cfg_fini.
// Does not keep any pointer to cfg, argv or res. Blocks on file reads only.
fed_status fed_cfg_load(const fed_cfg_spec *spec, void *cfg, int argc,
    char **argv, fed_cfg_result *res);

// Frees the strings that fed_cfg_load stored in *cfg and sets them to NULL;
// other fields are left as they are. Safe to call twice.
void fed_cfg_fini(const fed_cfg_spec *spec, void *cfg);

// Writes the help generated from spec to out: the usage line, the summary,
// then each option with its value syntax, help text, default, bounds and
// environment variable, then --config, --help and --version (no variables
// and no --config with FED_CFG_ARGV_ONLY). Meant for a spec that
// fed_cfg_load accepted. Returns OK, or UNAVAILABLE if out reports a write
// error. Does not flush or close out.
fed_status fed_cfg_help(const fed_cfg_spec *spec, FILE *out);

// The start of a program's main, shared by every enfed program that takes
// no positional argument: fed_cfg_load, then what is not a run. Returns -1
// when the program should run; else the exit status, after printing:
// 0 the help or "PROGRAM VERSION" on stdout; 1 the help could not be
// written; 2 the load error, or an unexpected argument, on stderr, after
// "PROGRAM: ". Whatever it returns, call fed_cfg_fini(spec, cfg) at the
// end. res may be NULL.
int fed_cfg_main(const fed_cfg_spec *spec, void *cfg, int argc, char **argv,
    fed_cfg_result *res);

// Writes the environment variable name of option `name` ("FED_" followed by
// the name upper-cased, '-' and '.' as '_') into buf. Returns OK;
// RESOURCE_EXHAUSTED if it does not fit in len bytes (buf is then left
// untouched); INVALID_ARGUMENT if name or buf is NULL.
fed_status fed_cfg_env_name(const char *name, char *buf, size_t len);

#endif // FED_CFG_H
