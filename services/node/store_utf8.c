// SPDX-License-Identifier: MIT
//
// store_utf8.c: the store refuses text that is not valid UTF-8, part of
// the store module (store_internal.h). protobuf's `string` is UTF-8 by
// definition and strict clients (Python, Go, Java) fail to decode a whole
// message that carries one bad string, so a bad owner or box value stored
// once would break every ListSeries after it. Every message the store
// keeps is checked by walking its descriptor: each string field, repeated
// or nested, at any depth; the error names the field's path.

#include <stdio.h>
#include <string.h>

#include "store_internal.h"

// Length of the UTF-8 sequence at p (n bytes left), 0 when it is not
// valid (overlong forms, surrogates and code points past U+10FFFF are not).
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
	if (len == 0 || c > 0xf4 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (c == 0xe0 && p[1] < 0xa0) // overlong 3-byte form
		return 0;
	if (c == 0xed && p[1] >= 0xa0) // UTF-16 surrogates
		return 0;
	if (c == 0xf0 && p[1] < 0x90) // overlong 4-byte form
		return 0;
	if (c == 0xf4 && p[1] >= 0x90) // past U+10FFFF
		return 0;
	return len;
}

int
node__store_utf8_valid(const char *s)
{
	const uint8_t *p = (const uint8_t *) s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(p + i, n - i);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

static fed_status check_msg(const ProtobufCMessage *m, const char *path,
    int depth, node_store_err *err);

// 1 when field f of m is set (a member of a oneof only when it is the
// chosen one).
static int
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return 1;
	const uint32_t *which
	    = (const uint32_t *) ((const char *) m + f->quantifier_offset);
	return *which == f->id;
}

static fed_status
check_value(const ProtobufCFieldDescriptor *f, const void *v, const char *path,
    int depth, node_store_err *err)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(char *const *) v;
		if (s != NULL && !node__store_utf8_valid(s))
			return node_store_fail(err, FED_INVALID_ARGUMENT,
			    "%s: not valid UTF-8", path);
		return FED_OK;
	}
	const ProtobufCMessage *sub = *(ProtobufCMessage *const *) v;
	return sub != NULL ? check_msg(sub, path, depth + 1, err) : FED_OK;
}

static fed_status
check_field(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
    const char *path, int depth, node_store_err *err)
{
	char sub[160];
	const char *at = (const char *) m + f->offset;
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
		    f->name);
		return check_value(f, at, sub, depth, err);
	}
	size_t n = *(const size_t *) ((const char *) m + f->quantifier_offset);
	void *const *arr = *(void *const *const *) at;
	for (size_t i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s%s%s[%zu]", path,
		    path[0] ? "." : "", f->name, i);
		FED_TRY(check_value(f, &arr[i], sub, depth, err));
	}
	return FED_OK;
}

static fed_status
check_msg(const ProtobufCMessage *m, const char *path, int depth,
    node_store_err *err)
{
	if (depth > 16) // the schemas nest a few levels; never recurse deeper
		return node_store_fail(
		    err, FED_INVALID_ARGUMENT, "%s: nested too deeply", path);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_STRING
		    && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (field_present(m, f))
			FED_TRY(check_field(m, f, path, depth, err));
	}
	return FED_OK;
}

fed_status
node__store_check_utf8(
    const ProtobufCMessage *m, const char *path, node_store_err *err)
{
	return m != NULL ? check_msg(m, path, 0, err) : FED_OK;
}
