// SPDX-License-Identifier: MIT
//
// verb.h: what the verbs of fedctl's nouns share, so that each noun keeps
// only what is its own (its option tables, requests and the look of its
// messages):
//
//   - a verb table: a noun lists its verbs with their option table, the
//     number of positional arguments they take (and the usage errors for
//     too few or too many) and the function that runs them;
//     fedctl_run_verb picks the verb, loads its options, checks its
//     arguments, runs it and releases the options;
//   - views: how a reply is shown, one message or the rows of a list, as
//     text (a table) or with --json; fedctl_reply prints a call's reply,
//     frees it and turns the call's status into the exit code.
//
// Everything here runs on fedctl's only thread; output goes to stdout,
// usage errors to stderr (fedctl_usage).

#ifndef FEDCTL_VERB_H
#define FEDCTL_VERB_H

#include <stddef.h>
#include <stdint.h>

#include "fedctl.h"

// How many positional arguments a verb takes: from min to max. Fewer is the
// usage error `few`; more is the usage error `many`, or when it is NULL
// "unexpected argument 'X'" naming the first one too many.
typedef struct fedctl_args {
	size_t min, max;
	const char *few, *many;
} fedctl_args;

// Exactly n arguments, `msg` being the usage error for any other number.
#define FEDCTL_EXACTLY(n, msg)         \
	{                              \
		(n), (n), (msg), (msg) \
	}

// From min to max arguments: fewer is `few`, more "unexpected argument".
#define FEDCTL_ARGS(min, max, few)        \
	{                                 \
		(min), (max), (few), NULL \
	}

// Any number of arguments (the verb checks them itself).
#define FEDCTL_ANY_ARGS                 \
	{                               \
		0, SIZE_MAX, NULL, NULL \
	}

// What fedctl_verb_exec hands a verb's run function: the verb's loaded
// options (borrowed, of its spec's config struct) and its positional
// arguments (borrowed from argv).
typedef struct fedctl_verb_input {
	const void *cfg;
	char **args;
	size_t n_args;
} fedctl_verb_input;

// One verb of a noun ("fedctl series ls"). Either a verb with an option
// table, run by fedctl_run_verb (spec, cfg_size, out_offset, args, run),
// or a verb that reads its command line itself (main: argv[0] is the verb),
// for a group of verbs ("fedctl alarm rule") or a verb that takes options
// out of argv before loading its table.
typedef struct fedctl_verb {
	const char *name;
	const char *help; // one line, for the noun's --help
	// Its options (FED_CFG_ARGV_ONLY); their config struct is cfg_size
	// bytes with its fedctl_out_opts at out_offset (FEDCTL_OPTS).
	const fed_cfg_spec *spec;
	size_t cfg_size, out_offset;
	fedctl_args args; // zero: no argument
	// Runs the verb once its options are loaded and its arguments
	// counted; returns the exit code.
	int (*run)(fedctl *c, const fedctl_verb_input *in);
	int (*main)(fedctl *c, int argc, char **argv);
} fedctl_verb;

// The option members of a fedctl_verb initializer, for config struct T
// (whose fedctl_out_opts member is named out) loaded by `spec`.
#define FEDCTL_OPTS(spec_, T) \
	.spec = &(spec_), .cfg_size = sizeof(T), .out_offset = offsetof(T, out)

// The config of a verb that has only the output options, and its table
// (FEDCTL_OUT_OPTS), for a spec made with FEDCTL_PLAIN_SPEC.
typedef struct fedctl_plain_cfg {
	fedctl_out_opts out;
} fedctl_plain_cfg;

#define FEDCTL_N_OUT_OPTS 4
extern const fed_cfg_opt fedctl_plain_opts[FEDCTL_N_OUT_OPTS];

#define FEDCTL_PLAIN_SPEC(program, usage, summary)                  \
	{                                                           \
		(program), (usage), (summary), fedctl_plain_opts,   \
		    FED_CFG_N(fedctl_plain_opts), FED_CFG_ARGV_ONLY \
	}

// Runs the verb named by argv[1] of `noun` (argv[0]): `--help` prints the
// noun's usage, `summary` and its verbs; a missing or unknown verb is a
// usage error naming the verbs. Otherwise as fedctl_verb_exec with argv[1]
// as the verb's argv[0]. Returns the exit code.
int fedctl_run_verb(fedctl *c, const char *noun, const char *summary,
    const fedctl_verb *verbs, size_t n, int argc, char **argv);

// Runs verb v from its command line (argv[0] is the verb): its main, or:
// loads its options (fedctl_load_sub, which prints --help and the usage
// errors), checks the number of arguments against v->args, calls v->run
// and releases the options. Returns the exit code (1 when the options
// cannot be allocated).
int fedctl_verb_exec(fedctl *c, const fedctl_verb *v, int argc, char **argv);

// Checks res's number of positional arguments against a, printing the
// usage error. Returns -1 when it is right, else FEDCTL_EXIT_USAGE.
int fedctl_check_args(
    const fedctl *c, const fedctl_args *a, const fed_cfg_result *res);

// How a message is shown: with --json as the JSON object of json (a new
// object), with --csv as a header line of that object's keys and one line
// of their values (strings as they are, a nested object as its compact
// JSON), otherwise as the lines text prints on stdout. With `rows` set the
// message is a list: its repeated message field of that name holds the
// rows, shown as a JSON array of their objects, as CSV lines (none for no
// row), or in text as `header` (when set) then one text line per row, or
// `empty` (when set) if there is no row. json and text get the message
// (or row) as the generated C struct.
//
// A table whose first column holds ids of any length sets `key`: the
// column is then printed by fedctl_show, as wide as its longest value (at
// least key_width) under the title key_title, and header and text print
// the rest of the line, after it and its separating space.
typedef struct fedctl_view {
	const char *rows;
	cJSON *(*json)(const fedctl *c, const void *msg);
	void (*text)(const fedctl *c, const void *msg);
	void (*header)(void);
	const char *empty;
	const char *(*key)(const void *msg);
	const char *key_title;
	int key_width;
} fedctl_view;

// Shows msg (a protobuf-c message, borrowed) as v says. A `rows` that msg
// does not have as a repeated message field is a programmer error
// (assert).
void fedctl_show(const fedctl *c, const fedctl_view *v, const void *msg);

// The end of a call that returned st with *reply in reply (a protobuf-c
// message or NULL; transferred: it is freed): shows it with v when st is
// OK and v is not NULL, and returns fedctl_exit_code(st). The failure
// itself was reported by the call.
int fedctl_reply(
    const fedctl *c, const fedctl_view *v, fed_status st, void *reply);

#endif // FEDCTL_VERB_H
