// SPDX-License-Identifier: MIT
//
// test_node_members.c: the federation members' token cache in front of
// the directory (issue 16, item 7), with a fake directory in-process that
// knows two member tokens and counts what it is asked:
// - a flood of random tokens, from one source and from many, several
//   times the size of the cache, never evicts a member already known: it
//   keeps being answered without the directory being asked again;
// - a source flooding is limited alone: a member calling from another
//   address for the first time is asked about and admitted.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node_members.h"

#define MEMBER_A "member-a-token"
#define MEMBER_B "member-b-token"
#define N_FLOOD  5000

struct fake_dir {
	unsigned asked, asked_a;
};

static int
fake_ask(const char *token, int *definitive, void *arg)
{
	struct fake_dir *f = arg;
	f->asked++;
	f->asked_a += strcmp(token, MEMBER_A) == 0;
	*definitive = 1;
	return strcmp(token, MEMBER_A) == 0 || strcmp(token, MEMBER_B) == 0;
}

// n random tokens: from one source, or each from its own.
static void
flood(node_members *m, int many_sources, unsigned seed)
{
	for (unsigned i = 0; i < N_FLOOD; i++) {
		char tok[64], peer[64];
		snprintf(tok, sizeof(tok), "random-%u-%u", seed, i);
		snprintf(peer, sizeof(peer), "10.%u.%u.%u", seed,
		    many_sources ? (i >> 8) & 255 : 0,
		    many_sources ? i & 255 : 0);
		assert_int_equal(node_members_check(m, tok, peer), 0);
	}
}

static void
test_flood_does_not_evict_members(void **state)
{
	(void) state;
	struct fake_dir f = {0};
	node_members *m = NULL;
	assert_int_equal(node_members_new(fake_ask, &f, &m), FED_OK);
	assert_int_equal(node_members_check(m, MEMBER_A, "192.0.2.1"), 1);
	assert_int_equal(f.asked_a, 1);
	flood(m, 1, 1); // thousands of new tokens, all asked about
	flood(m, 0, 2);
	assert_true(f.asked > 1000); // the refused cache turned over
	assert_int_equal(node_members_check(m, MEMBER_A, "192.0.2.1"), 1);
	// Also when it calls from the flooding address.
	assert_int_equal(node_members_check(m, MEMBER_A, "10.2.0.0"), 1);
	assert_int_equal(f.asked_a, 1); // from the cache every time
	node_members_free(m);
}

static void
test_rate_limit_per_source(void **state)
{
	(void) state;
	struct fake_dir f = {0};
	node_members *m = NULL;
	assert_int_equal(node_members_new(fake_ask, &f, &m), FED_OK);
	flood(m, 0, 3);
	// One source: at most 10 new tokens a second were asked about (two
	// seconds may have begun during the flood).
	assert_true(f.asked <= 20);
	unsigned before = f.asked;
	// A member never seen, from another address, is admitted at once...
	assert_int_equal(node_members_check(m, MEMBER_B, "192.0.2.2"), 1);
	assert_int_equal(f.asked, before + 1);
	// ...and the flooding source is still held back.
	assert_int_equal(node_members_check(m, "random-again", "10.3.0.0"), 0);
	assert_int_equal(f.asked, before + 1);
	node_members_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flood_does_not_evict_members),
	    cmocka_unit_test(test_rate_limit_per_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
