// SPDX-License-Identifier: MIT
//
// test_fedctl_enedis.c: the Enedis parsers of `fedctl ingest` on the
// fixtures of tests/fixtures/enedis: every point of a load curve (its
// timestamps moved to the start of each interval, its average W turned
// into Wh) on the days Paris changes its clocks (25 and 23 hours; the
// autumn hour's two passes told apart by order), a gap where the file has
// an empty value, daily consumption and index, Data Connect replies; and
// each bad file refused at the right line with nothing kept, or skipped
// and counted with --skip-bad.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io.h"

#define MIN_MS INT64_C(60000)
#define H_MS   INT64_C(3600000)
#define DAY_MS (24 * H_MS)
#define OCT_29 INT64_C(1698530400000) // 2023-10-29T00:00:00+02:00
#define OCT_28 INT64_C(1698444000000) // 2023-10-28T00:00:00+02:00
#define MAR_26 INT64_C(1679785200000) // 2023-03-26T00:00:00+01:00
#define MAR_24 INT64_C(1679612400000) // 2023-03-24T00:00:00+01:00
#define JUN_01 INT64_C(1685570400000) // 2023-06-01T00:00:00+02:00

static fed_tz *paris;

static int
setup(void **state)
{
	(void) state;
	return fed_tz_load("Europe/Paris", &paris) == FED_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_tz_free(paris);
	return 0;
}

// A fixture's bytes (heap; the caller frees).
static char *
fixture(const char *name, size_t *len)
{
	const char *src = getenv("FED_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fixtures/enedis/%s",
	    src != NULL ? src : ".", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

enum fmt {
	CSV,
	DC
};

struct parsed {
	fed_status st;
	fedctl_points p;
	fedctl_enedis_kind kind;
	size_t n_bad;
	fedctl_parse_err err;
};

static void
parse(enum fmt fmt, const char *name, bool skip_bad, bool power,
    struct parsed *r)
{
	size_t len = 0;
	char *buf = fixture(name, &len);
	fedctl_enedis_opts o = {paris, skip_bad, power};
	memset(r, 0, sizeof(*r));
	r->kind = (fedctl_enedis_kind) -1;
	r->st = fmt == CSV ? fedctl_enedis_csv_parse(
	            buf, len, &o, &r->p, &r->kind, &r->n_bad, &r->err)
	                   : fedctl_enedis_dc_parse(buf, len, &o, &r->p,
	                       &r->kind, &r->n_bad, &r->err);
	free(buf);
}

// The fixtures' 30-minute curves: interval i (from local midnight) has
// W = 200 + 20 i, so Wh = 100 + 10 i.
static void
check_curve30(const fedctl_points *p, int64_t day, size_t n_intervals,
    size_t gap, bool power)
{
	size_t j = 0;
	for (size_t i = 0; i < n_intervals; i++) {
		if (i == gap)
			continue;
		assert_true(j < p->n);
		assert_int_equal(p->ts_ms[j], day + (int64_t) i * 30 * MIN_MS);
		double want = power ? 200.0 + 20.0 * (double) i
		                    : 100.0 + 10.0 * (double) i;
		assert_true(p->value[j] == want);
		j++;
	}
	assert_int_equal(j, p->n);
}

static void
test_csv_curve_autumn(void **state)
{
	(void) state;
	struct parsed r;
	parse(CSV, "curve-30min-autumn.csv", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.kind, FEDCTL_ENEDIS_LOAD_CURVE);
	// 25 hours, the line at index 10 empty: a gap, no point.
	assert_int_equal(r.p.n, 49);
	check_curve30(&r.p, OCT_29, 50, 10, false);
	// 02:00-02:30 summer time (00:00Z) then winter time (01:00Z).
	assert_int_equal(r.p.ts_ms[6] - r.p.ts_ms[4], H_MS);
	assert_true(r.p.value[4] == 140.0 && r.p.value[6] == 160.0);
	assert_int_equal(
	    r.p.ts_ms[r.p.n - 1] + 30 * MIN_MS, OCT_29 + 25 * H_MS);
	fedctl_points_fini(&r.p);
	parse(CSV, "curve-30min-autumn.csv", false, true, &r);
	assert_int_equal(r.st, FED_OK);
	check_curve30(&r.p, OCT_29, 50, 10, true);
	fedctl_points_fini(&r.p);
}

// The same export with its offsets taken out: local times, the autumn
// hour's two passes told apart by their order, as Data Connect's.
static void
test_csv_curve_local_times(void **state)
{
	(void) state;
	size_t len = 0;
	char *buf = fixture("curve-30min-autumn.csv", &len);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (i + 6 <= len
		    && (memcmp(buf + i, "+02:00", 6) == 0
		        || memcmp(buf + i, "+01:00", 6) == 0)) {
			i += 5;
			continue;
		}
		buf[n++] = buf[i];
	}
	fedctl_enedis_opts o = {paris, false, false};
	fedctl_points p = {0};
	fedctl_enedis_kind kind;
	size_t n_bad = 0;
	fedctl_parse_err err = {0, ""};
	assert_int_equal(
	    fedctl_enedis_csv_parse(buf, n, &o, &p, &kind, &n_bad, &err),
	    FED_OK);
	check_curve30(&p, OCT_29, 50, 10, false);
	fedctl_points_fini(&p);
	free(buf);
}

static void
test_csv_curve_spring(void **state)
{
	(void) state;
	struct parsed r;
	parse(CSV, "curve-30min-spring.csv", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	// 23 hours; the hour the clocks skip is not a gap.
	assert_int_equal(r.p.n, 46);
	check_curve30(&r.p, MAR_26, 46, SIZE_MAX, false);
	fedctl_points_fini(&r.p);
}

static void
test_csv_curve_10min(void **state)
{
	(void) state;
	struct parsed r;
	parse(CSV, "curve-10min.csv", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.p.n, 144);
	for (size_t i = 0; i < r.p.n; i++) {
		assert_int_equal(
		    r.p.ts_ms[i], JUN_01 + (int64_t) i * 10 * MIN_MS);
		assert_true(r.p.value[i] == 100.0 + (double) i);
	}
	fedctl_points_fini(&r.p);
}

static void
test_csv_daily_and_index(void **state)
{
	(void) state;
	struct parsed r;
	parse(CSV, "daily.csv", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.kind, FEDCTL_ENEDIS_DAILY);
	assert_int_equal(r.p.n, 4); // the 27th is empty
	assert_int_equal(r.p.ts_ms[0], MAR_24);
	assert_int_equal(r.p.ts_ms[2], MAR_24 + 2 * DAY_MS);
	// After the 23-hour 26th: the 28th at midnight, summer time.
	assert_int_equal(r.p.ts_ms[3], MAR_24 + 4 * DAY_MS - H_MS);
	assert_true(r.p.value[0] == 9000.0 && r.p.value[3] == 9400.0);
	fedctl_points_fini(&r.p);

	parse(CSV, "index.csv", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.kind, FEDCTL_ENEDIS_INDEX);
	assert_int_equal(r.p.n, 3); // the calendar after the data is not
	assert_int_equal(r.p.ts_ms[0], OCT_28 + H_MS);
	assert_int_equal(r.p.ts_ms[2], OCT_28 + 2 * DAY_MS + 2 * H_MS);
	assert_true(r.p.value[0] == 24482581.0);
	assert_true(r.p.value[1] == 24490581.0);
	fedctl_points_fini(&r.p);
}

static void
test_dataconnect(void **state)
{
	(void) state;
	struct parsed r;
	// Local times without offset: 02:00 and 02:30 twice, by order.
	parse(DC, "dataconnect-curve-autumn.json", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.kind, FEDCTL_ENEDIS_LOAD_CURVE);
	assert_int_equal(r.p.n, 50);
	check_curve30(&r.p, OCT_29, 50, SIZE_MAX, false);
	fedctl_points_fini(&r.p);
	parse(DC, "dataconnect-curve-spring.json", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.p.n, 46);
	check_curve30(&r.p, MAR_26, 46, SIZE_MAX, false);
	fedctl_points_fini(&r.p);
	parse(DC, "dataconnect-daily.json", false, false, &r);
	assert_int_equal(r.st, FED_OK);
	assert_int_equal(r.kind, FEDCTL_ENEDIS_DAILY);
	assert_int_equal(r.p.n, 3);
	assert_int_equal(r.p.ts_ms[1], OCT_29);
	assert_int_equal(r.p.ts_ms[2], OCT_29 + 25 * H_MS);
	assert_true(r.p.value[1] == 9100.0);
	fedctl_points_fini(&r.p);
}

// A bad file: refused at `line`, the message containing `why`, nothing
// added to points already there; with skip_bad, `n_skipped` skipped.
static void
check_bad(enum fmt fmt, const char *name, size_t line, const char *why,
    size_t n_skipped)
{
	size_t len = 0;
	char *buf = fixture(name, &len);
	fedctl_enedis_opts o = {paris, false, false};
	fedctl_points p = {0};
	assert_int_equal(fedctl_points_push(&p, 1, 2.0), FED_OK);
	fedctl_enedis_kind kind;
	size_t n_bad = 0;
	fedctl_parse_err err = {0, ""};
	fed_status st = fmt == CSV
	    ? fedctl_enedis_csv_parse(buf, len, &o, &p, &kind, &n_bad, &err)
	    : fedctl_enedis_dc_parse(buf, len, &o, &p, &kind, &n_bad, &err);
	if (st != FED_INVALID_ARGUMENT || err.line != line
	    || strstr(err.msg, why) == NULL)
		fail_msg("%s: status %d, line %zu: %s", name, st, err.line,
		    err.msg);
	assert_int_equal(p.n, 1);
	o.skip_bad = true;
	st = fmt == CSV
	    ? fedctl_enedis_csv_parse(buf, len, &o, &p, &kind, &n_bad, &err)
	    : fedctl_enedis_dc_parse(buf, len, &o, &p, &kind, &n_bad, &err);
	if (n_skipped == 0)
		assert_int_equal(st, FED_INVALID_ARGUMENT); // not skippable
	else {
		assert_int_equal(st, FED_OK);
		assert_int_equal(n_bad, n_skipped);
		assert_true(p.n > 1);
	}
	fedctl_points_fini(&p);
	free(buf);
}

static void
test_bad_files(void **state)
{
	(void) state;
	check_bad(CSV, "bad-header.csv", 1, "not an Enedis export", 0);
	check_bad(CSV, "bad-number.csv", 10, "'12,5' is not a decimal", 1);
	// Line 13 skipped, line 14 is a step after line 12: two lines.
	check_bad(
	    CSV, "bad-order.csv", 13, "is not after the one of line 12", 2);
	check_bad(CSV, "bad-step.csv", 21, "60 min after line 20", 1);
	check_bad(
	    DC, "bad-dataconnect-mixed.json", 5, "mixed interval lengths", 1);
	check_bad(DC, "bad-dataconnect-order.json", 7,
	    "not after the one of reading 6", 1);
	check_bad(DC, "bad-dataconnect-value.json", 8, "not a decimal", 1);
}

// Inputs that are not the format at all, each refused and never a crash.
static void
test_not_enedis(void **state)
{
	(void) state;
	const char *inputs[] = {"", "\xEF\xBB\xBF", "{}", "[1,2]",
	    "Identifiant PRM;Type de donnees;Unite\n",
	    "Identifiant PRM;Type de donnees;Unite\nx;Courbe de charge;kWh\n",
	    "Identifiant PRM;Type de donnees;Unite\nx;Courbe de charge;W\n"
	    "Horodate;Valeur\n2023-06-01T00:30:00+02:00;100\n",
	    "{\"meter_reading\":{\"reading_type\":{\"measurement_kind\":"
	    "\"power\",\"unit\":\"W\"},\"interval_reading\":[{\"value\":\"1\","
	    "\"date\":\"2023-03-26 "
	    "02:30:00\",\"interval_length\":\"PT30M\"}]}}"};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		fedctl_enedis_opts o = {paris, false, false};
		fedctl_points p = {0};
		fedctl_enedis_kind kind;
		size_t n_bad;
		fedctl_parse_err err;
		size_t len = strlen(inputs[i]);
		assert_int_equal(fedctl_enedis_csv_parse(inputs[i], len, &o,
		                     &p, &kind, &n_bad, &err),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(fedctl_enedis_dc_parse(inputs[i], len, &o, &p,
		                     &kind, &n_bad, &err),
		    FED_INVALID_ARGUMENT);
		assert_int_equal(p.n, 0);
		fedctl_points_fini(&p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_curve_autumn),
	    cmocka_unit_test(test_csv_curve_local_times),
	    cmocka_unit_test(test_csv_curve_spring),
	    cmocka_unit_test(test_csv_curve_10min),
	    cmocka_unit_test(test_csv_daily_and_index),
	    cmocka_unit_test(test_dataconnect),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_not_enedis),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
