// SPDX-License-Identifier: MIT
//
// test_status.c: the status list maps names, messages and wire codes
// consistently.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "enfed/v1/rpc.pb-c.h"
#include "fed/status.h"

static void
test_names_and_messages(void **state)
{
	(void) state;
	assert_string_equal(fed_status_name(FED_OK), "OK");
	assert_string_equal(fed_status_name(FED_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(
	    fed_status_str(FED_UNAUTHENTICATED), "unauthenticated");
	assert_string_equal(fed_status_name((fed_status) 99), "UNKNOWN");
	assert_int_equal(fed_status_from_int(-1), FED_UNKNOWN);
}

// The C enum and the wire enum must agree on every code and name.
static void
test_matches_wire_enum(void **state)
{
	(void) state;
	const ProtobufCEnumDescriptor *d = &enfed__v1__status_code__descriptor;
	assert_int_equal(d->n_values, FED_STATUS_MAX + 1);
	for (unsigned i = 0; i < d->n_values; i++) {
		const ProtobufCEnumValue *v = &d->values[i];
		assert_string_equal(
		    v->name, fed_status_name((fed_status) v->value));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_and_messages),
	    cmocka_unit_test(test_matches_wire_enum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
