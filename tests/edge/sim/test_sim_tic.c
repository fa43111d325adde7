// SPDX-License-Identifier: MIT
//
// test_sim_tic.c: the simulator's TIC frames read back by the real parser
// (tic_parse): both modes, every group checksum-valid, the frame intact,
// and every value the one the house model gives at that instant; a
// damaged byte is caught by the parser; bad values and a short buffer are
// refused.

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim_tic.h"

#define METER "031764598210"
// 2025-01-15T18:02:30Z: a winter evening (H season); 2025-07-10T09:00:00Z:
// a summer morning (E season).
#define WINTER_MS INT64_C(1736964150000)
#define SUMMER_MS INT64_C(1752138000000)

typedef struct parsed {
	int n_frames;
	tic_frame frame;
} parsed;

static void
on_frame(const tic_frame *f, void *arg)
{
	parsed *p = arg;
	p->n_frames++;
	p->frame = *f;
}

// Encodes the house at t_ms in `mode` and parses it back into *p.
static void
roundtrip(tic_mode mode, int64_t t_ms, sim_tic_values *v, parsed *p)
{
	sim_house h;
	sim_house_defaults(&h);
	assert_int_equal(
	    sim_tic_house_values(&h, 7, t_ms, METER, NULL, v), FED_OK);
	uint8_t buf[SIM_TIC_FRAME_MAX];
	size_t len = 0;
	assert_int_equal(
	    sim_tic_encode(mode, v, buf, sizeof(buf), &len), FED_OK);
	assert_true(len > 100 && len < sizeof(buf));
	assert_int_equal(buf[0], 0x02);
	assert_int_equal(buf[len - 1], 0x03);
	static tic_parser tp;
	assert_int_equal(tic_parser_init(&tp, TIC_MODE_AUTO), FED_OK);
	memset(p, 0, sizeof(*p));
	assert_int_equal(tic_parser_feed(&tp, buf, len, on_frame, p), FED_OK);
	assert_int_equal(p->n_frames, 1);
	assert_true(tic_frame_is_intact(&p->frame));
	const tic_stats *st = tic_parser_stats(&tp);
	assert_int_equal(st->groups_bad_checksum, 0);
	assert_int_equal(st->groups_malformed, 0);
	assert_int_equal(st->frames_ok, 1);
	assert_int_equal(p->frame.mode, mode);
}

// The values come from the model: the index is sim_house_index_wh.
static void
test_values_from_model(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	sim_tic_values v;
	assert_int_equal(
	    sim_tic_house_values(&h, 7, WINTER_MS, METER, NULL, &v), FED_OK);
	double wh = 0, va = 0;
	assert_int_equal(sim_house_index_wh(&h, 7, WINTER_MS, &wh), FED_OK);
	assert_int_equal(sim_house_va(&h, 7, WINTER_MS, &va), FED_OK);
	assert_int_equal(v.index_wh, (uint64_t) floor(wh));
	assert_int_equal(v.va, (uint32_t) lround(va));
	assert_true(v.index_wh > 21000000); // past the origin
	assert_true(v.va > 0);
	assert_string_equal(v.meter_id, METER);
}

static void
test_historic_parses_back(void **state)
{
	(void) state;
	sim_tic_values v;
	parsed p;
	roundtrip(TIC_MODE_HISTORIC, WINTER_MS, &v, &p);
	assert_int_equal(p.frame.n_groups, 10);
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(&p.frame, id), FED_OK);
	assert_string_equal(id, METER);
	uint64_t wh = 0;
	assert_int_equal(
	    tic_frame_get_index_wh(&p.frame, "BASE", &wh), FED_OK);
	assert_int_equal(wh, v.index_wh);
	uint32_t va = 0, a = 0;
	assert_int_equal(
	    tic_frame_get_power_va(&p.frame, "PAPP", &va), FED_OK);
	assert_int_equal(va, v.va);
	assert_int_equal(
	    tic_frame_get_current_a(&p.frame, "IINST", &a), FED_OK);
	assert_int_equal(a, (v.va + 115) / 230);
	assert_int_equal(
	    tic_frame_get_current_a(&p.frame, "ISOUSC", &a), FED_OK);
	assert_int_equal(a, 45);
	assert_int_equal(
	    tic_frame_get_current_a(&p.frame, "IMAX", &a), FED_OK);
	assert_int_equal(a, 90);
	char text[32];
	assert_int_equal(
	    tic_frame_get_tariff(&p.frame, text, sizeof(text)), FED_OK);
	assert_string_equal(text, "BASE");
	assert_int_equal(
	    tic_frame_get_text(&p.frame, "PTEC", text, sizeof(text)), FED_OK);
	assert_string_equal(text, "TH..");
	const tic_group *g = NULL;
	assert_int_equal(tic_frame_get(&p.frame, "MOTDETAT", &g), FED_OK);
	assert_string_equal(g->data, "000000");
	assert_int_equal(tic_frame_get(&p.frame, "HHPHC", &g), FED_OK);
	assert_string_equal(g->data, "A");
}

static void
check_standard(int64_t t_ms, char season)
{
	sim_tic_values v;
	parsed p;
	roundtrip(TIC_MODE_STANDARD, t_ms, &v, &p);
	assert_int_equal(p.frame.n_groups, 20);
	char id[TIC_METER_ID_LEN + 1];
	assert_int_equal(tic_frame_get_meter_id(&p.frame, id), FED_OK);
	assert_string_equal(id, METER);
	static const char *const idx[] = {"EAST", "EASF01", "EASD01"};
	for (size_t i = 0; i < 3; i++) {
		uint64_t wh = 0;
		assert_int_equal(
		    tic_frame_get_index_wh(&p.frame, idx[i], &wh), FED_OK);
		assert_int_equal(wh, v.index_wh);
	}
	uint64_t zero = 1;
	assert_int_equal(
	    tic_frame_get_index_wh(&p.frame, "EASF02", &zero), FED_OK);
	assert_int_equal(zero, 0);
	uint32_t va = 0, x = 0;
	assert_int_equal(
	    tic_frame_get_power_va(&p.frame, "SINSTS", &va), FED_OK);
	assert_int_equal(va, v.va);
	assert_int_equal(
	    tic_frame_get_power_va(&p.frame, "SMAXSN", &va), FED_OK);
	assert_int_equal(va, v.smax_va);
	assert_int_equal(
	    tic_frame_get_voltage_v(&p.frame, "URMS1", &x), FED_OK);
	assert_int_equal(x, 230);
	assert_int_equal(
	    tic_frame_get_current_a(&p.frame, "IRMS1", &x), FED_OK);
	assert_int_equal(x, (v.va + 115) / 230);
	int64_t ms = 0;
	assert_int_equal(tic_frame_get_date_ms(&p.frame, &ms), FED_OK);
	assert_int_equal(ms, t_ms / 1000 * 1000);
	assert_int_equal(
	    tic_frame_get_horodate_ms(&p.frame, "SMAXSN", &ms), FED_OK);
	assert_int_equal(ms, t_ms / 1000 * 1000);
	const tic_group *g = NULL;
	assert_int_equal(tic_frame_get(&p.frame, "DATE", &g), FED_OK);
	assert_int_equal(g->horodate[0], season);
	assert_string_equal(g->data, "");
	char text[32];
	assert_int_equal(
	    tic_frame_get_tariff(&p.frame, text, sizeof(text)), FED_OK);
	assert_string_equal(text, "BASE");
	uint32_t reg = 0;
	assert_int_equal(tic_frame_get_stge(&p.frame, &reg), FED_OK);
	assert_int_equal(reg, 0x003A0001);
}

static void
test_standard_parses_back(void **state)
{
	(void) state;
	check_standard(WINTER_MS, 'H');
	check_standard(SUMMER_MS, 'E');
}

// A frame every half hour of a day: each parses back to the model's index,
// and the index never goes down.
static void
test_day_of_frames(void **state)
{
	(void) state;
	uint64_t prev = 0;
	for (int i = 0; i < 48; i++) {
		int64_t t = WINTER_MS + (int64_t) i * 1800000;
		sim_tic_values v;
		parsed p;
		roundtrip(
		    i % 2 ? TIC_MODE_STANDARD : TIC_MODE_HISTORIC, t, &v, &p);
		uint64_t wh = 0;
		assert_int_equal(tic_frame_get_index_wh(
		                     &p.frame, i % 2 ? "EAST" : "BASE", &wh),
		    FED_OK);
		assert_int_equal(wh, v.index_wh);
		assert_true(wh >= prev);
		prev = wh;
	}
}

// One flipped byte: the parser drops that group (the checksum is real).
static void
test_damaged_byte_is_caught(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	sim_tic_values v;
	assert_int_equal(
	    sim_tic_house_values(&h, 7, WINTER_MS, METER, NULL, &v), FED_OK);
	uint8_t buf[SIM_TIC_FRAME_MAX];
	size_t len = 0;
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_HISTORIC, &v, buf, sizeof(buf), &len),
	    FED_OK);
	uint8_t *base = (uint8_t *) strstr((char *) buf + 1, "\nBASE ");
	assert_non_null(base);
	base[7] ^= 0x01; // a digit of the index
	static tic_parser tp;
	parsed p = {0};
	assert_int_equal(tic_parser_init(&tp, TIC_MODE_AUTO), FED_OK);
	assert_int_equal(tic_parser_feed(&tp, buf, len, on_frame, &p), FED_OK);
	assert_int_equal(p.n_frames, 1);
	assert_false(tic_frame_is_intact(&p.frame));
	assert_int_equal(tic_parser_stats(&tp)->groups_bad_checksum, 1);
	uint64_t wh = 0;
	assert_int_equal(
	    tic_frame_get_index_wh(&p.frame, "BASE", &wh), FED_NOT_FOUND);
}

// A live writer's cache gives the same index as the full computation,
// frame after frame, and after the clock went back.
static void
test_cache_matches_model(void **state)
{
	(void) state;
	sim_house h;
	sim_house_defaults(&h);
	sim_tic_index cache = {0};
	int64_t t = WINTER_MS;
	for (int i = 0; i < 40; i++) {
		if (i == 30)
			t -= 3 * 3600000; // back three hours
		sim_tic_values a, b;
		assert_int_equal(
		    sim_tic_house_values(&h, 7, t, METER, &cache, &a), FED_OK);
		assert_int_equal(
		    sim_tic_house_values(&h, 7, t, METER, NULL, &b), FED_OK);
		assert_int_equal(a.index_wh, b.index_wh);
		assert_int_equal(a.va, b.va);
		t += 97000; // frames every 97 s cross slot boundaries unevenly
	}
}

static void
test_bad_input(void **state)
{
	(void) state;
	sim_tic_values v = {.meter_id = METER,
	    .index_wh = 1,
	    .va = 1,
	    .smax_va = 1,
	    .volt_v = 230,
	    .t_ms = WINTER_MS};
	uint8_t buf[SIM_TIC_FRAME_MAX];
	size_t len = 0;
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_STANDARD, &v, buf, sizeof(buf), &len),
	    FED_OK);
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_AUTO, &v, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_STANDARD, NULL, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	assert_int_equal(sim_tic_encode(TIC_MODE_HISTORIC, &v, buf, 40, &len),
	    FED_OUT_OF_RANGE);
	sim_tic_values bad = v;
	bad.index_wh = UINT64_C(1000000000);
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_HISTORIC, &bad, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	bad = v;
	bad.va = 100000;
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_HISTORIC, &bad, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	bad = v;
	memcpy(bad.meter_id, "03176459821A", 13);
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_HISTORIC, &bad, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	bad = v;
	bad.volt_v = 0;
	assert_int_equal(
	    sim_tic_encode(TIC_MODE_STANDARD, &bad, buf, sizeof(buf), &len),
	    FED_INVALID_ARGUMENT);
	sim_house h;
	sim_house_defaults(&h);
	assert_int_equal(
	    sim_tic_house_values(&h, 7, WINTER_MS, "123", NULL, &v),
	    FED_INVALID_ARGUMENT);
	// Before the index origin (2024-01-01): the model's OUT_OF_RANGE.
	assert_int_equal(sim_tic_house_values(
	                     &h, 7, INT64_C(1600000000000), METER, NULL, &v),
	    FED_OUT_OF_RANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_from_model),
	    cmocka_unit_test(test_historic_parses_back),
	    cmocka_unit_test(test_standard_parses_back),
	    cmocka_unit_test(test_day_of_frames),
	    cmocka_unit_test(test_damaged_byte_is_caught),
	    cmocka_unit_test(test_cache_matches_model),
	    cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
