// SPDX-License-Identifier: MIT
//
// node_alarm_rules.c: the alarm rule types: what makes a rule valid, and
// how each type turns points (or, for staleness, the passing of time) into
// the condition that node__alarm_episode applies. Called under the
// engine's mutex, on the engine's thread (or an RPC's, for validation).

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/clock.h"
#include "fed/log.h"
#include "fed/tz.h"
#include "node_alarms_internal.h"
#include "node_solar.h"

#define DAY_MS INT64_C(86400000)

#define BAD(err, ...) node_store_fail(err, FED_INVALID_ARGUMENT, __VA_ARGS__)

// ---- Validation ------------------------------------------------------------

static int
valid_rule_id(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9') || c == '.' || c == '_'
		        || c == '-'))
			return 0;
	}
	return 1;
}

// OK when at least one stored series matches the pattern.
static fed_status
check_pattern(node_store *st, const char *p, node_store_err *err)
{
	size_t n = strlen(p);
	int prefix = n > 0 && p[n - 1] == '/';
	char id[256];
	snprintf(id, sizeof(id), "%.*s", (int) (prefix ? n - 1 : n), p);
	if (n > 200 || !node_store_valid_id(id))
		return BAD(err,
		    "series: '%.64s' is neither a series id nor a "
		    "prefix ending in '/'",
		    p);
	size_t found = 0;
	if (prefix) {
		Enfed__V1__ListSeriesRequest f
		    = ENFED__V1__LIST_SERIES_REQUEST__INIT;
		f.prefix = (char *) p;
		Enfed__V1__SeriesInfo **infos = NULL;
		FED_TRY(node_store_list(st, &f, &infos, &found, err));
		node_store_info_list_free(infos, found);
	} else {
		node_store_latest l;
		found = node_store_get_latest(st, p, &l, NULL) == FED_OK;
	}
	if (found == 0)
		return BAD(
		    err, "series: no stored series matches '%.200s'", p);
	return FED_OK;
}

static int
in(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

static fed_status
check_threshold(const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	if (r->above == NULL && r->below == NULL)
		return BAD(err,
		    "above, below: empty threshold: set above, "
		    "below or both");
	if ((r->above != NULL && !isfinite(r->above->value))
	    || (r->below != NULL && !isfinite(r->below->value)))
		return BAD(err, "above, below: not a finite number");
	if (r->above != NULL && r->below != NULL
	    && r->below->value >= r->above->value)
		return BAD(err,
		    "below: contradictory threshold: below (%g) must be less "
		    "than above (%g)",
		    r->below->value, r->above->value);
	if (!in(r->clear_margin, 0, INFINITY))
		return BAD(err, "clear_margin: must be 0 or more");
	return FED_OK;
}

static fed_status
check_daylight(const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	if (!in(r->latitude, -90, 90))
		return BAD(err, "latitude: between -90 and 90 degrees");
	if (!in(r->longitude, -180, 180))
		return BAD(err, "longitude: between -180 and 180 degrees");
	if (!in(r->peak_w, 1e-9, 1e10))
		return BAD(err, "peak_w: the plant's peak power, W, above 0");
	if (!in(r->min_ratio, 0, 0.999))
		return BAD(err, "min_ratio: from 0 to below 1");
	if (!in(r->min_elevation_deg, 0, 60))
		return BAD(err, "min_elevation_deg: from 0 to 60 degrees");
	return FED_OK;
}

static fed_status
check_type(const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	size_t n = strlen(r->series);
	switch (r->type) {
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD:
		return check_threshold(r, err);
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE:
		return r->duration_ms > 0
		    ? FED_OK
		    : BAD(err,
		        "duration_ms: a stale rule needs a silence "
		        "longer than 0");
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT:
		return check_daylight(r, err);
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING:
		if (n == 0 || r->series[n - 1] != '/')
			return BAD(err,
			    "series: a sibling rule compares the "
			    "series under a prefix ending in '/'");
		if (!in(r->sibling_ratio, 0, 0.999))
			return BAD(err, "sibling_ratio: from 0 to below 1");
		return in(r->sibling_min, 0, INFINITY)
		    ? FED_OK
		    : BAD(err, "sibling_min: 0 or more");
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAILY:
		if (r->duration_ms != 0)
			return BAD(err,
			    "duration_ms: a daily rule has none "
			    "(an episode is a run of days)");
		if (r->daily_multiple != 0
		    && !in(r->daily_multiple, 1.0001, 1000))
			return BAD(err, "daily_multiple: above 1 (0: 2)");
		if (r->daily_weeks > 12)
			return BAD(err, "daily_weeks: from 1 to 12 (0: 4)");
		return FED_OK;
	default:
		return BAD(err, "type: unknown rule type %d", (int) r->type);
	}
}

static fed_status
check_hook(const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	if (r->n_hook_argv > 16)
		return BAD(err, "hook_argv: at most 16 arguments");
	if (r->n_hook_argv > 0 && r->hook_argv[0][0] != '/')
		return BAD(err,
		    "hook_argv[0]: an absolute path (no shell, no "
		    "PATH lookup)");
	for (size_t i = 0; i < r->n_hook_argv; i++)
		if (strlen(r->hook_argv[i]) > 1024)
			return BAD(
			    err, "hook_argv[%zu]: longer than 1024 bytes", i);
	if (r->hook_timeout_ms < 0 || r->hook_timeout_ms > 60000)
		return BAD(err, "hook_timeout_ms: from 0 to 60000 (0: 10 s)");
	return FED_OK;
}

static fed_status
check_tz(const char *name, node_store_err *err)
{
	if (name[0] == '\0')
		return FED_OK;
	fed_tz *tz = NULL;
	if (strlen(name) > 64 || fed_tz_load(name, &tz) != FED_OK)
		return BAD(err, "tz: unknown time zone '%.64s'", name);
	fed_tz_free(tz);
	return FED_OK;
}

fed_status
node__alarm_rule_check(
    node_store *st, const Enfed__V1__AlarmRule *r, node_store_err *err)
{
	if (r == NULL)
		return BAD(err, "rule: missing");
	if (!valid_rule_id(r->id))
		return BAD(err, "id: 1 to 64 of [A-Za-z0-9._-]");
	if (r->duration_ms < 0)
		return BAD(err, "duration_ms: negative (%lld)",
		    (long long) r->duration_ms);
	if (r->duration_ms > 366 * DAY_MS)
		return BAD(err, "duration_ms: more than a year");
	FED_TRY(check_type(r, err));
	FED_TRY(check_hook(r, err));
	FED_TRY(check_tz(r->tz, err));
	return check_pattern(st, r->series, err);
}

// ---- Threshold
// -------------------------------------------------------------------

static alarm_cond
threshold(const Enfed__V1__AlarmRule *s, double v)
{
	if ((s->above != NULL && v > s->above->value)
	    || (s->below != NULL && v < s->below->value))
		return COND_BAD;
	double m = s->clear_margin;
	if ((s->above != NULL && v > s->above->value - m)
	    || (s->below != NULL && v < s->below->value + m))
		return COND_HOLD;
	return COND_GOOD;
}

// ---- Staleness
// -------------------------------------------------------------------

static void
stale_check(node_alarms *a, alarm_rule *r, alarm_member *m, int64_t last_ms,
    int64_t now)
{
	int64_t age = now - last_ms;
	if (age > r->spec->duration_ms && m->alarm_id == 0) {
		m->has_since = 1;
		m->since_ts = last_ms;
		node__alarm_episode(
		    a, r, m, now, (double) age / 1000.0, 0, COND_BAD);
	} else if (age <= r->spec->duration_ms && m->alarm_id != 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s: data again", m->series);
		node__alarm_clear(a, r, m, NAN, why);
		m->has_since = 0;
	}
}

static void
stale_tick(node_alarms *a, alarm_rule *r, int64_t now)
{
	if (!r->prefix) { // one series: its latest point is one row
		node_store_latest l;
		alarm_member *m = node__alarm_member(r, r->spec->series);
		if (m != NULL
		    && node_store_get_latest(
		           a->o.store, r->spec->series, &l, NULL)
		        == FED_OK
		    && l.n_points > 0)
			stale_check(a, r, m, l.last_ms, now);
		return;
	}
	Enfed__V1__ListSeriesRequest f = ENFED__V1__LIST_SERIES_REQUEST__INIT;
	f.prefix = r->spec->series;
	Enfed__V1__SeriesInfo **infos = NULL;
	size_t n = 0;
	node_store_err err = {{0}};
	if (node_store_list(a->o.store, &f, &infos, &n, &err) != FED_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *id = infos[i]->meta->id;
		if (!r->prefix && strcmp(id, r->spec->series) != 0)
			continue;
		alarm_member *m = node__alarm_member(r, id);
		if (m != NULL && infos[i]->n_points > 0)
			stale_check(a, r, m, infos[i]->last_ms, now);
	}
	node_store_info_list_free(infos, n);
}

// ---- Daylight
// --------------------------------------------------------------------

static void
load_meta(node_alarms *a, alarm_member *m)
{
	if (m->meta_loaded)
		return;
	Enfed__V1__SeriesInfo *info = NULL;
	node_store_err err = {{0}};
	if (node_store_get(a->o.store, m->series, &info, &err) != FED_OK)
		return;
	m->meta_loaded = 1;
	m->interval_s = info->meta->interval_s;
	m->unit = info->meta->unit;
	node_store_info_free(info);
}

// The clear-sky expectation for the point at ts (energy over the interval
// that ends at ts, or power at ts) into *expect; the elevation returned.
static double
daylight_expect(const Enfed__V1__AlarmRule *s, const alarm_member *m,
    int64_t ts, double *expect)
{
	if (m->unit == ENFED__V1__UNIT__UNIT_WH) {
		int64_t len
		    = (m->interval_s > 0 ? m->interval_s : 300) * 1000LL;
		*expect = node_solar_clear_sky_wh(
		    s->latitude, s->longitude, s->peak_w, ts - len, ts);
		return node_solar_elevation_deg(
		    s->latitude, s->longitude, ts - len / 2);
	}
	double e = node_solar_elevation_deg(s->latitude, s->longitude, ts);
	*expect = s->peak_w * node_solar_clear_sky_ghi(e) / 1000.0;
	return e;
}

static void
daylight(node_alarms *a, alarm_rule *r, alarm_member *m, const alarm_job *j)
{
	const Enfed__V1__AlarmRule *s = r->spec;
	double min_elev = s->min_elevation_deg > 0 ? s->min_elevation_deg : 10;
	load_meta(a, m);
	for (size_t i = 0; i < j->n; i++) {
		double expect = 0;
		double e = daylight_expect(s, m, j->ts[i], &expect);
		alarm_cond c = e < min_elev            ? COND_UNKNOWN
		    : j->v[i] <= s->min_ratio * expect ? COND_BAD
		                                       : COND_GOOD;
		node__alarm_episode(a, r, m, j->ts[i], j->v[i], expect, c);
	}
}

// ---- Siblings
// --------------------------------------------------------------------

static int
ring_find(const alarm_member *m, int64_t ts, double *v)
{
	size_t lo = 0, hi = m->ring_n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int64_t t = m->ring_ts[(m->ring_head + mid) % ALARM_RING];
		if (t == ts) {
			*v = m->ring_v[(m->ring_head + mid) % ALARM_RING];
			return 1;
		}
		if (t < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
ring_push(alarm_member *m, int64_t ts, double v)
{
	if (m->ring_ts == NULL) {
		m->ring_ts = malloc(ALARM_RING * sizeof(*m->ring_ts));
		m->ring_v = malloc(ALARM_RING * sizeof(*m->ring_v));
		if (m->ring_ts == NULL || m->ring_v == NULL)
			return 0;
	}
	size_t at = (m->ring_head + m->ring_n) % ALARM_RING;
	if (m->ring_n == ALARM_RING)
		m->ring_head = (m->ring_head + 1) % ALARM_RING;
	else
		m->ring_n++;
	m->ring_ts[at] = ts;
	m->ring_v[at] = v;
	return 1;
}

// Adds instant ts to the rule's sorted pending list (no duplicates).
static void
pend_add(alarm_rule *r, int64_t ts, int64_t mono)
{
	size_t lo = 0, hi = r->n_pend;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->pend[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->n_pend && r->pend[lo].ts == ts)
		return;
	if (r->pend == NULL) {
		r->pend = malloc(ALARM_MAX_PENDING * sizeof(*r->pend));
		if (r->pend == NULL)
			return;
	}
	if (r->n_pend == ALARM_MAX_PENDING)
		return; // the oldest are settled before more are added
	memmove(&r->pend[lo + 1], &r->pend[lo],
	    (r->n_pend - lo) * sizeof(*r->pend));
	r->pend[lo].ts = ts;
	r->pend[lo].mono_ms = mono;
	r->n_pend++;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *) x, b = *(const double *) y;
	return (a > b) - (a < b);
}

// Compares every member with a point at ts to the median of the others.
static void
sibling_eval(node_alarms *a, alarm_rule *r, int64_t ts, alarm_member **mem,
    double *val, double *sorted)
{
	size_t n = 0;
	for (size_t b = 0; b < ALARM_MEMBER_BUCKETS; b++)
		for (alarm_member *m = r->members[b]; m != NULL; m = m->next)
			if (ring_find(m, ts, &val[n]))
				mem[n++] = m;
	if (n < 3)
		return; // too few to tell who is off
	memcpy(sorted, val, n * sizeof(*val));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	double ratio
	    = r->spec->sibling_ratio > 0 ? r->spec->sibling_ratio : 0.5;
	for (size_t i = 0; i < n; i++) {
		// The median of the others: sorted without one copy of val[i].
		size_t p = 0;
		while (sorted[p] != val[i])
			p++;
		size_t k1 = (n - 2) / 2, k2 = (n - 1) / 2;
		double x1 = sorted[k1 < p ? k1 : k1 + 1];
		double x2 = sorted[k2 < p ? k2 : k2 + 1];
		double med = (x1 + x2) / 2;
		alarm_cond c = med < r->spec->sibling_min || med <= 0
		    ? COND_UNKNOWN
		    : val[i] < ratio * med ? COND_BAD
		                           : COND_GOOD;
		node__alarm_episode(a, r, mem[i], ts, val[i], med, c);
	}
}

// Evaluates the pending instants, oldest first, that every member has
// reached, or that waited settle_ms (force: all of them).
static void
sibling_settle(node_alarms *a, alarm_rule *r, int force)
{
	size_t cap = r->n_members;
	alarm_member **mem = malloc((cap + 1) * sizeof(*mem));
	double *val = malloc((cap + 1) * sizeof(*val));
	double *sorted = malloc((cap + 1) * sizeof(*sorted));
	int64_t mono = fed_clock_mono_ms();
	size_t done = 0;
	while (
	    mem != NULL && val != NULL && sorted != NULL && done < r->n_pend) {
		int64_t ts = r->pend[done].ts;
		size_t have = 0;
		double v;
		for (size_t b = 0; b < ALARM_MEMBER_BUCKETS; b++)
			for (alarm_member *m = r->members[b]; m != NULL;
			     m = m->next)
				have += ring_find(m, ts, &v);
		if (!force && have < r->n_members
		    && mono - r->pend[done].mono_ms < a->o.settle_ms
		    && r->n_pend < ALARM_MAX_PENDING)
			break;
		sibling_eval(a, r, ts, mem, val, sorted);
		done++;
	}
	memmove(
	    r->pend, r->pend + done, (r->n_pend - done) * sizeof(*r->pend));
	r->n_pend -= done;
	free(mem);
	free(val);
	free(sorted);
}

static void
sibling(node_alarms *a, alarm_rule *r, alarm_member *m, const alarm_job *j)
{
	int64_t mono = fed_clock_mono_ms();
	for (size_t i = 0; i < j->n; i++) {
		if (j->ts[i] <= m->last_ts || !ring_push(m, j->ts[i], j->v[i]))
			continue;
		m->last_ts = j->ts[i];
		if (r->n_pend == ALARM_MAX_PENDING)
			sibling_settle(a, r, 0);
		pend_add(r, j->ts[i], mono);
	}
	sibling_settle(a, r, 0);
}

// ---- Daily
// -----------------------------------------------------------------------

// Evaluates day d of the query result: its total against the mean of the
// same weekday over the weeks before.
static void
daily_day(node_alarms *a, alarm_rule *r, alarm_member *m,
    const Enfed__V1__QueryResponse *q, size_t d)
{
	const Enfed__V1__SeriesResult *s = q->results[0];
	uint32_t weeks = r->spec->daily_weeks ? r->spec->daily_weeks : 4;
	double mult
	    = r->spec->daily_multiple > 0 ? r->spec->daily_multiple : 2;
	double sum = 0;
	int n = 0;
	for (uint32_t k = 1; k <= weeks && d >= 7 * k; k++) {
		if (s->coverage[d - 7 * k] >= 0.5) {
			sum += s->value[d - 7 * k];
			n++;
		}
	}
	double usual = n > 0 ? sum / n : 0;
	alarm_cond c = n == 0 || usual <= 0 || s->coverage[d] < 0.5
	    ? COND_UNKNOWN
	    : s->value[d] > mult * usual ? COND_BAD
	                                 : COND_GOOD;
	m->day_done = s->ts_ms[d];
	node__alarm_episode(
	    a, r, m, q->bucket_end_ms[d], s->value[d], usual, c);
}

static void
daily(node_alarms *a, alarm_rule *r, alarm_member *m, const alarm_job *j)
{
	uint32_t weeks = r->spec->daily_weeks ? r->spec->daily_weeks : 4;
	int64_t oldest = j->ts[0], newest = j->ts[j->n - 1];
	char *ids[1] = {m->series};
	Enfed__V1__TimeRange range = ENFED__V1__TIME_RANGE__INIT;
	range.from_ms = oldest - (int64_t) (weeks * 7 + 2) * DAY_MS;
	range.to_ms = newest + 1;
	if (range.from_ms < 0)
		range.from_ms = 0;
	Enfed__V1__QueryRequest req = ENFED__V1__QUERY_REQUEST__INIT;
	req.series_ids = ids;
	req.n_series_ids = 1;
	req.range = &range;
	req.step = ENFED__V1__STEP__STEP_DAY;
	req.agg = ENFED__V1__AGGREGATE__AGG_SUM;
	req.tz = r->spec->tz;
	Enfed__V1__QueryResponse *q = NULL;
	node_store_err err = {{0}};
	if (node_store_query(a->o.store, &req, &q, &err) != FED_OK) {
		fed_log(FED_LOG_WARNING, "alarms", "rule %s: %s", r->spec->id,
		    err.msg);
		return;
	}
	const Enfed__V1__SeriesResult *s
	    = q->n_results == 1 ? q->results[0] : NULL;
	for (size_t d = 0;
	     s != NULL && d < s->n_value && d < q->n_bucket_end_ms; d++) {
		// Complete days only (a point at or after their end exists),
		// not evaluated yet.
		if (q->bucket_end_ms[d] > newest || s->ts_ms[d] <= m->day_done)
			continue;
		daily_day(a, r, m, q, d);
	}
	node_store_query_free(q);
}

// ---- Dispatch
// --------------------------------------------------------------------

void
node__alarm_eval(node_alarms *a, alarm_rule *r, const alarm_job *j)
{
	alarm_member *m = node__alarm_member(r, j->series);
	if (m == NULL)
		return;
	const Enfed__V1__AlarmRule *s = r->spec;
	switch (s->type) {
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_THRESHOLD:
		for (size_t i = 0; i < j->n; i++)
			node__alarm_episode(a, r, m, j->ts[i], j->v[i], 0,
			    threshold(s, j->v[i]));
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE:
		if (m->alarm_id != 0)
			stale_check(
			    a, r, m, j->ts[j->n - 1], fed_clock_now_ms());
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAYLIGHT:
		daylight(a, r, m, j);
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING:
		sibling(a, r, m, j);
		break;
	case ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_DAILY:
		daily(a, r, m, j);
		break;
	default:
		break;
	}
}

void
node__alarm_tick_rule(node_alarms *a, alarm_rule *r, int64_t now_ms)
{
	if (r->spec->type == ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_STALE)
		stale_tick(a, r, now_ms);
	else if (r->spec->type
	        == ENFED__V1__ALARM_RULE_TYPE__ALARM_RULE_TYPE_SIBLING
	    && r->n_pend > 0)
		sibling_settle(a, r, 0);
}
