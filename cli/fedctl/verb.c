// SPDX-License-Identifier: MIT
//
// verb.c: the verb table of fedctl's nouns (dispatch, options, argument
// counts) and the views that print a reply as a table or as JSON.

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "verb.h"

const fed_cfg_opt fedctl_plain_opts[FEDCTL_N_OUT_OPTS] = {
    FEDCTL_OUT_OPTS(fedctl_plain_cfg, out),
};

int
fedctl_check_args(
    const fedctl *c, const fedctl_args *a, const fed_cfg_result *res)
{
	size_t n = (size_t) res->n_args;
	if (n < a->min)
		return fedctl_usage(c, "%s", a->few);
	if (n > a->max && a->many != NULL)
		return fedctl_usage(c, "%s", a->many);
	if (n > a->max)
		return fedctl_usage(
		    c, "unexpected argument '%s'", res->args[a->max]);
	return -1;
}

int
fedctl_verb_exec(fedctl *c, const fedctl_verb *v, int argc, char **argv)
{
	if (v->main != NULL)
		return v->main(c, argc, argv);
	void *cfg = calloc(1, v->cfg_size);
	if (cfg == NULL)
		return fedctl_fail(c, FED_RESOURCE_EXHAUSTED, "options");
	fedctl_out_opts *oo
	    = (fedctl_out_opts *) ((char *) cfg + v->out_offset);
	fed_cfg_result res;
	int rc = fedctl_load_sub(c, v->spec, cfg, argc, argv, oo, &res);
	if (rc < 0)
		rc = fedctl_check_args(c, &v->args, &res);
	fedctl_verb_input in = {cfg, res.args, (size_t) res.n_args};
	if (rc < 0)
		rc = v->run(c, &in);
	fed_cfg_fini(v->spec, cfg);
	free(cfg);
	return rc;
}

static void
print_help(
    const char *noun, const char *summary, const fedctl_verb *verbs, size_t n)
{
	printf("Usage: fedctl %s VERB [OPTION]... [ARG]...\n%s\n\n"
	       "Verbs:\n",
	    noun, summary);
	for (size_t i = 0; i < n; i++)
		printf("  %-9s %s\n", verbs[i].name, verbs[i].help);
	printf("\nEach verb has its own --help, e.g. 'fedctl %s %s "
	       "--help'.\n",
	    noun, verbs[0].name);
}

int
fedctl_run_verb(fedctl *c, const char *noun, const char *summary,
    const fedctl_verb *verbs, size_t n, int argc, char **argv)
{
	if (argc >= 2
	    && (strcmp(argv[1], "--help") == 0
	        || strcmp(argv[1], "-h") == 0)) {
		print_help(noun, summary, verbs, n);
		return FEDCTL_EXIT_OK;
	}
	for (size_t i = 0; argc >= 2 && i < n; i++)
		if (strcmp(verbs[i].name, argv[1]) == 0)
			return fedctl_verb_exec(
			    c, &verbs[i], argc - 1, argv + 1);
	char names[256] = "";
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s",
		    i == 0           ? ""
		        : i + 1 == n ? " or "
		                     : ", ",
		    verbs[i].name);
	}
	if (argc < 2)
		return fedctl_usage(c, "a verb is needed: %s", names);
	return fedctl_usage(
	    c, "unknown verb '%s' (one of %s)", argv[1], names);
}

// The rows of msg's repeated message field `name` in *rows; their number.
static size_t
rows_of(const void *msg, const char *name, const void *const **rows)
{
	const ProtobufCMessage *m = msg;
	const ProtobufCFieldDescriptor *f
	    = protobuf_c_message_descriptor_get_field_by_name(
	        m->descriptor, name);
	assert(f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED
	    && f->type == PROTOBUF_C_TYPE_MESSAGE);
	// As protobuf-c itself reads a repeated field: a count and an array
	// of pointers to the rows, at the offsets its descriptor gives.
	const char *base = msg;
	*rows = *(const void *const *const *) (base + f->offset);
	return *(const size_t *) (base + f->quantifier_offset);
}

// One JSON value as a CSV field: a string as it is, a number or a boolean
// as JSON writes it, null as an empty field, an object or array (a
// description box) as its compact JSON text.
static void
csv_value(const cJSON *item)
{
	if (item == NULL || cJSON_IsNull(item))
		return;
	if (cJSON_IsString(item)) {
		fedctl_csv_field(stdout, item->valuestring);
		return;
	}
	char *s = cJSON_PrintUnformatted(item);
	if (s != NULL)
		fedctl_csv_field(stdout, s);
	cJSON_free(s);
}

// The keys of every object of a, each once, in the order they first come.
static cJSON *
csv_columns(const cJSON *a)
{
	cJSON *cols = cJSON_CreateArray();
	const cJSON *row, *k, *seen;
	cJSON_ArrayForEach(row, a)
	{
		for (k = row->child; cols != NULL && k != NULL; k = k->next) {
			cJSON_ArrayForEach(seen, cols)
			{
				if (strcmp(seen->valuestring, k->string) == 0)
					break;
			}
			if (seen == NULL)
				cJSON_AddItemToArray(
				    cols, cJSON_CreateString(k->string));
		}
	}
	return cols;
}

// Rows (a JSON array of objects, freed) as CSV: a header line of their
// keys, then one line per row (an empty field where a row lacks a key).
// No line at all for no row.
static void
emit_csv(cJSON *a)
{
	cJSON *cols = csv_columns(a);
	const cJSON *col, *row;
	cJSON_ArrayForEach(col, cols)
	{
		fedctl_csv_field(stdout, col->valuestring);
		fputs(col->next != NULL ? "," : "\n", stdout);
	}
	cJSON_ArrayForEach(row, a)
	{
		cJSON_ArrayForEach(col, cols)
		{
			csv_value(cJSON_GetObjectItemCaseSensitive(
			    row, col->valuestring));
			fputs(col->next != NULL ? "," : "\n", stdout);
		}
	}
	cJSON_Delete(cols);
	cJSON_Delete(a);
}

void
fedctl_show(const fedctl *c, const fedctl_view *v, const void *msg)
{
	if (v->rows == NULL && c->format == FEDCTL_JSON) {
		fedctl_json_emit(v->json(c, msg));
		return;
	}
	const void *const *rows = &msg;
	size_t n = v->rows != NULL ? rows_of(msg, v->rows, &rows) : 1;
	if (c->format == FEDCTL_JSON || c->format == FEDCTL_CSV) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, v->json(c, rows[i]));
		if (c->format == FEDCTL_CSV)
			emit_csv(a);
		else
			fedctl_json_emit(a);
		return;
	}
	int w = v->key_width;
	for (size_t i = 0; v->key != NULL && i < n; i++) {
		size_t len = strlen(v->key(rows[i]));
		if (len > (size_t) w)
			w = len < 1000 ? (int) len : 1000;
	}
	if (v->key != NULL && (v->header != NULL || n > 0))
		printf("%-*s ", w, v->key_title);
	if (v->header != NULL)
		v->header();
	for (size_t i = 0; i < n; i++) {
		if (v->key != NULL)
			printf("%-*s ", w, v->key(rows[i]));
		v->text(c, rows[i]);
	}
	if (n == 0 && v->empty != NULL)
		fputs(v->empty, stdout);
}

int
fedctl_reply(const fedctl *c, const fedctl_view *v, fed_status st, void *reply)
{
	if (st == FED_OK && v != NULL)
		fedctl_show(c, v, reply);
	if (reply != NULL)
		protobuf_c_message_free_unpacked(reply, NULL);
	return fedctl_exit_code(st);
}
