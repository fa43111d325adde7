// SPDX-License-Identifier: MIT
//
// fed-edge-sim: a simulated installation feeding a fed-node: the 4-person
// house, the Kermélo school or its solar plant (edge/sim models). It
// declares its series on the node (with their description boxes), fills
// `history` of past data, then goes live: every slot that the simulated
// clock completes is sent. The simulated clock never passes the wall
// clock: it starts `replay` in the past (or at `start`), runs `speed`
// times faster than real time while it is behind, and follows the wall
// clock once it has caught up. So an accelerated run replays the past
// and never writes a point dated in the future. The models are deterministic
// functions of (seed, time), so a restart resumes after the node's last point
// and a resend stores nothing twice: nothing is lost while the node is down,
// it is sent once it is back.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/cfg.h"
#include "fed/clock.h"
#include "fed/health.h"
#include "fed/log.h"
#include "fed/process.h"
#include "fed/rpc.h"
#include "fed/tls.h"
#include "fed/transport.h"
#include "sim_envoy.h"
#include "sim_model.h"
#include "sim_tic.h"

#define SLOT_MS     (5 * 60 * 1000)
#define BATCH_SLOTS 2016 // a week of 5-minute slots per call

struct sim_cfg {
	char *node;
	char *token;
	char *site;
	int model;
	uint64_t seed;
	int64_t history_ms;
	double speed;
	char *owner;
	int64_t fail_after_ms;
	int64_t fail_inverter;
	int64_t fail_at_ms;
	bool inverters;
	char *emit_tic;
	int tic_mode;
	int64_t tic_period_ms;
	char *meter_id;
	char *envoy_listen;
	int64_t start_ms;
	int64_t replay_ms;
	char *tls_cert, *tls_key, *tls_ca, *tls_revoked;
	fed_log_level log_level;
};

enum {
	MODEL_HOUSE,
	MODEL_SCHOOL,
	MODEL_PV
};

#define C struct sim_cfg
static const fed_cfg_opt sim_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, node, "node", "tcp://127.0.0.1:7410", 1, 4000,
        "RPC address of the fed-node to feed"),
    FED_CFG_OPT_STRING(C, token, "token", NULL,
        "token with the writer role on that node (@FILE reads a file)"),
    FED_CFG_OPTS_TLS(C, tls_cert, tls_key, tls_ca, tls_revoked),
    FED_CFG_OPT_STRING_LEN(C, site, "site", "kermelo", 1, 64,
        "site name: the first part of the series ids"),
    FED_CFG_OPT_ENUM(
        C, model, "model", "house", "house|school|pv", "what to simulate"),
    FED_CFG_OPT_UINT(C, seed, "seed", "1", 0, 0, "random seed of the model"),
    FED_CFG_OPT_DURATION(C, history_ms, "history", "365d", 0,
        INT64_C(3650) * 86400000, "past data to fill at start"),
    FED_CFG_OPT_DOUBLE(C, speed, "speed", "1", 0.001, 100000,
        "simulated seconds per real second while the simulated clock is "
        "behind the wall clock (it never passes it)"),
    FED_CFG_OPT_DURATION(C, replay_ms, "replay", "0", 0,
        INT64_C(3650) * 86400000,
        "start the simulated clock this long in the past, to replay it at "
        "--speed until it meets the present (0: live from now)"),
    FED_CFG_OPT_STRING(C, owner, "owner", "", "owner written in the series"),
    FED_CFG_OPT_DURATION(C, fail_after_ms, "fail-after", "0", 0,
        INT64_C(3650) * 86400000,
        "pv: the failing inverter stops this long after the simulated "
        "clock's start (0: never)"),
    FED_CFG_OPT_INT(C, fail_inverter, "fail-inverter", "-1", -1, 1023,
        "pv: the inverter that fails (-1: none)"),
    FED_CFG_OPT_INT(C, fail_at_ms, "fail-at", "0", 0, INT64_C(4102444800000),
        "pv: UTC ms at which the failing inverter stops, history included "
        "(instead of --fail-after; 0: not set)"),
    FED_CFG_OPT_BOOL(C, inverters, "inverters", "false",
        "pv: also send each micro-inverter's 5-minute energy, as "
        "<site>/pv/inv/NN/energy (NN from 00, as --fail-inverter counts)"),
    FED_CFG_OPT_STRING(C, emit_tic, "emit-tic", "",
        "house: write TIC frames to this FIFO or file instead of feeding "
        "the node (read them with fed-edge-tic --input=PATH --follow)"),
    FED_CFG_OPT_ENUM(C, tic_mode, "tic-mode", "historic", "historic|standard",
        "TIC mode of --emit-tic"),
    FED_CFG_OPT_DURATION(C, tic_period_ms, "tic-period", "1s", 1000,
        INT64_C(3600000), "simulated time between two TIC frames"),
    FED_CFG_OPT_STRING_LEN(C, meter_id, "meter-id", "031764598210", 12, 12,
        "meter address written in the TIC frames (12 digits)"),
    FED_CFG_OPT_STRING(C, envoy_listen, "envoy-listen", "",
        "pv: serve the plant as an Envoy's local API at this URL "
        "(http://127.0.0.1:PORT) instead of feeding the node"),
    FED_CFG_OPT_INT(C, start_ms, "start", "0", 0, INT64_C(4102444800000),
        "UTC ms the simulated clock starts at (0: now minus --replay); a "
        "time to come holds the clock at the present"),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec sim_spec = {"fed-edge-sim", "[OPTION]...",
    "Feeds a fed-node with a simulated house, school or solar plant.",
    sim_opts, FED_CFG_N(sim_opts), 0};

struct sim {
	const struct sim_cfg *cfg;
	fed_rpc_client *rpc;
	char series_id[256];
	char (*inv_ids)[64]; // --inverters: one id per inverter, else NULL
	sim_house house;
	sim_school school;
	sim_pv pv;
};

static void
facts(Enfed__V1__SeriesMeta *m, Enfed__V1__Fact *f, Enfed__V1__Fact **box,
    const char *const kv[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enfed__v1__fact__init(&f[i]);
		f[i].key = (char *) kv[i][0];
		f[i].value = (char *) kv[i][1];
		box[i] = &f[i];
	}
	m->box = box;
	m->n_box = n;
}

// The series' definition and description box, by model.
static void
describe(const struct sim *s, Enfed__V1__SeriesMeta *m, Enfed__V1__Fact *f,
    Enfed__V1__Fact **box, char *peak, size_t peak_len)
{
	static const char *const house[][2]
	    = {{"type", "house"}, {"occupants", "4 (2 adults, 2 children)"},
	        {"surface", "110 m²"}, {"heating", "air-to-water heat pump"},
	        {"hot water", "electric, 200 L"}, {"location", "Lorient"},
	        {"meter", "Linky, read every 5 minutes"}};
	static const char *const school[][2]
	    = {{"type", "primary school"}, {"pupils", "230"},
	        {"surface", "1,500 m²"}, {"heating", "heat pump"},
	        {"canteen", "satellite kitchen"}, {"location", "Lorient"}};
	const char *pv[][2] = {{"type", "rooftop solar plant"},
	    {"peak power", peak}, {"inverters", "60 × Enphase M250"},
	    {"orientation", "south, 30° tilt"}, {"commissioned", "2024-09-01"},
	    {"location", "Kermélo school roof, Lorient"}};
	m->unit = ENFED__V1__UNIT__UNIT_WH;
	m->interval_s = SLOT_MS / 1000;
	m->owner = s->cfg->owner;
	if (s->cfg->model == MODEL_HOUSE) {
		m->kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m->source = "Linky (simulated)";
		facts(m, f, box, house, sizeof(house) / sizeof(house[0]));
	} else if (s->cfg->model == MODEL_SCHOOL) {
		m->kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
		m->source = "Linky (simulated)";
		facts(m, f, box, school, sizeof(school) / sizeof(school[0]));
	} else {
		snprintf(peak, peak_len, "%.1f kWc", sim_pv_peak_kwc(&s->pv));
		m->kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
		m->source = "Enphase M250 (simulated)";
		m->visibility = ENFED__V1__VISIBILITY__VISIBILITY_PUBLIC;
		facts(m, f, box, (const char *const(*)[2]) pv,
		    sizeof(pv) / sizeof(pv[0]));
	}
}

static fed_status declare_one(struct sim *s, char *id);

// The series, and with --inverters each inverter's.
static fed_status
declare(struct sim *s)
{
	FED_TRY(declare_one(s, s->series_id));
	for (int k = 0; s->inv_ids != NULL && k < s->pv.n_inverters; k++)
		FED_TRY(declare_one(s, s->inv_ids[k]));
	return FED_OK;
}

static fed_status
declare_one(struct sim *s, char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	Enfed__V1__Fact f[8], *box[8];
	char peak[32];
	m.id = id;
	describe(s, &m, f, box, peak, sizeof(peak));
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	ProtobufCMessage *rep = NULL;
	char err[256];
	fed_status st
	    = fed_rpc_call(s->rpc, &enfed__v1__series_store__descriptor,
	        "CreateSeries", &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "sim", "declaring %s: %s (%s)", id, err,
		    fed_status_name(st));
	protobuf_c_message_free_unpacked(rep, NULL);
	return st;
}

// The node's last timestamp of the series, 0 if empty.
static fed_status
last_stored(struct sim *s, int64_t *last_ms)
{
	char *ids[1] = {s->series_id};
	Enfed__V1__LatestRequest req = ENFED__V1__LATEST_REQUEST__INIT;
	req.series_ids = ids;
	req.n_series_ids = 1;
	Enfed__V1__LatestResponse *rep = NULL;
	char err[256];
	fed_status st = fed_rpc_call(s->rpc,
	    &enfed__v1__series_store__descriptor, "Latest", &req.base,
	    (ProtobufCMessage **) &rep, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_WARNING, "sim", "latest of %s: %s",
		    s->series_id, err);
		return st;
	}
	*last_ms = rep->n_series == 1 && rep->series[0]->n_points > 0
	    ? rep->series[0]->last_ms
	    : 0;
	enfed__v1__latest_response__free_unpacked(rep, NULL);
	return FED_OK;
}

static fed_status
fill(const struct sim *s, int64_t from_ms, size_t n, double *wh)
{
	switch (s->cfg->model) {
	case MODEL_HOUSE:
		return sim_house_fill_wh(
		    &s->house, s->cfg->seed, from_ms, SLOT_MS, n, wh);
	case MODEL_SCHOOL:
		return sim_school_fill_wh(
		    &s->school, s->cfg->seed, from_ms, SLOT_MS, n, wh);
	default:
		return sim_pv_plant_fill_wh(
		    &s->pv, s->cfg->seed, from_ms, SLOT_MS, n, wh);
	}
}

// Each inverter's energy of n slots from from_ms: wh[k * n + i] is
// inverter k's in slot i. A heap array, or NULL when short of memory.
static double *
inverter_slots(const struct sim *s, int64_t from_ms, size_t n)
{
	size_t n_inv = (size_t) s->pv.n_inverters;
	double *wh = malloc(n * n_inv * sizeof(*wh));
	double one[SIM_PV_MAX_INVERTERS];
	for (size_t i = 0; wh != NULL && i < n; i++) {
		if (sim_pv_inverters_slot_wh(&s->pv, s->cfg->seed,
		        from_ms + (int64_t) i * SLOT_MS, SLOT_MS, one)
		    != FED_OK) {
			free(wh);
			return NULL;
		}
		for (size_t k = 0; k < n_inv; k++)
			wh[k * n + i] = one[k];
	}
	return wh;
}

// Sends n slots from from_ms: each point is stamped with its slot's end,
// as a meter reports the energy of the interval that just closed. With
// --inverters, every inverter's slots go in the same call.
static fed_status
send_slots(struct sim *s, int64_t from_ms, size_t n)
{
	int64_t ts[BATCH_SLOTS];
	double wh[BATCH_SLOTS];
	FED_TRY(fill(s, from_ms, n, wh));
	for (size_t i = 0; i < n; i++)
		ts[i] = from_ms + (int64_t) (i + 1) * SLOT_MS;
	size_t n_inv = s->inv_ids != NULL ? (size_t) s->pv.n_inverters : 0;
	double *inv = n_inv > 0 ? inverter_slots(s, from_ms, n) : NULL;
	if (n_inv > 0 && inv == NULL)
		return FED_RESOURCE_EXHAUSTED;
	Enfed__V1__SeriesPoints sp[1 + SIM_PV_MAX_INVERTERS],
	    *sps[1 + SIM_PV_MAX_INVERTERS];
	for (size_t k = 0; k <= n_inv; k++) {
		enfed__v1__series_points__init(&sp[k]);
		sp[k].series_id = k == 0 ? s->series_id : s->inv_ids[k - 1];
		sp[k].ts_ms = ts;
		sp[k].value = k == 0 ? wh : inv + (k - 1) * n;
		sp[k].n_ts_ms = sp[k].n_value = n;
		sps[k] = &sp[k];
	}
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1 + n_inv;
	ProtobufCMessage *rep = NULL;
	char err[256];
	fed_status st
	    = fed_rpc_call(s->rpc, &enfed__v1__series_store__descriptor,
	        "Ingest", &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, "sim",
		    "ingest %s: %s (%s); will retry", s->series_id, err,
		    fed_status_name(st));
	protobuf_c_message_free_unpacked(rep, NULL);
	free(inv);
	return st;
}

// Waits up to ms for a stop signal; 1 if one came. A SIGHUP runs the
// reloads (none of its own: its token comes from the config) and ends the
// wait early, which only makes the loop look at the clock once more.
static int
stop_requested(const sigset_t *stop, int64_t ms)
{
	fed_process_event e = fed_process_wait(stop, ms, NULL);
	if (e == FED_PROCESS_RELOAD)
		fed_process_reload();
	return e == FED_PROCESS_STOP;
}

// The simulated clock: from origin at `speed` times the monotonic clock,
// never past the wall clock.
typedef struct sim_clock {
	int64_t origin_ms, mono0;
	double speed;
} sim_clock;

static sim_clock
clock_start(const struct sim_cfg *cfg)
{
	int64_t now = fed_clock_now_ms();
	sim_clock k
	    = {cfg->start_ms > 0 ? cfg->start_ms : now - cfg->replay_ms,
	        fed_clock_mono_ms(), cfg->speed};
	return k;
}

static int64_t
clock_now(const sim_clock *k)
{
	int64_t t = k->origin_ms
	    + (int64_t) ((double) (fed_clock_mono_ms() - k->mono0) * k->speed);
	int64_t wall = fed_clock_now_ms();
	return t < wall ? t : wall;
}

// Real milliseconds until the simulated clock reaches t (>= 0): at
// `speed` while behind the wall clock, at 1 once it follows it.
static int64_t
clock_wait(const sim_clock *k, int64_t t)
{
	int64_t now = clock_now(k);
	if (t <= now)
		return 0;
	int64_t fast = k->origin_ms
	    + (int64_t) ((double) (fed_clock_mono_ms() - k->mono0) * k->speed);
	if (fast >= fed_clock_now_ms())
		return t - now; // following the wall clock
	return (int64_t) ((double) (t - now) / k->speed);
}

static int
run(struct sim *s, const sigset_t *stop)
{
	const struct sim_cfg *cfg = s->cfg;
	while (declare(s) != FED_OK)
		if (stop_requested(stop, 2000))
			return 0;
	int64_t real0 = fed_clock_now_ms();
	sim_clock k = clock_start(cfg);
	int64_t next = 0; // start of the next slot to send
	int64_t sent = 0;
	for (;;) {
		int64_t sim_now = clock_now(&k);
		if (next == 0) {
			int64_t last = 0;
			if (last_stored(s, &last) != FED_OK) {
				if (stop_requested(stop, 2000))
					return 0;
				continue;
			}
			int64_t floor_ms
			    = (real0 - cfg->history_ms) / SLOT_MS * SLOT_MS;
			next = last > 0 ? last
			                : floor_ms; // last is a slot's end
			if (next < floor_ms)
				next = floor_ms;
			fed_log(FED_LOG_INFO, "sim", "%s: sending from %lld",
			    s->series_id, (long long) next);
		}
		int64_t due = (sim_now - next) / SLOT_MS; // complete slots
		if (due > 0) {
			size_t n
			    = due > BATCH_SLOTS ? BATCH_SLOTS : (size_t) due;
			if (send_slots(s, next, n) == FED_OK) {
				next += (int64_t) n * SLOT_MS;
				sent += (int64_t) n;
				if (due > BATCH_SLOTS)
					continue; // still catching up
			} else if (stop_requested(stop, 1000)) {
				break;
			}
		}
		// Sleep until the next slot completes on the simulated clock.
		int64_t wait = clock_wait(&k, next + SLOT_MS);
		if (wait < 10)
			wait = 10;
		if (wait > 1000)
			wait = 1000;
		if (stop_requested(stop, wait))
			break;
	}
	fed_log(FED_LOG_NOTICE, "sim", "%s: stopped after %lld points",
	    s->series_id, (long long) sent);
	return 0;
}

// --- TIC output ----------------------------------------------------------

// Opens the TIC output for writing: a FIFO waits (without blocking the stop
// signals) until a reader opens it. -1 when stopped, -2 on error (logged).
static int
tic_open(const char *path, const sigset_t *stop)
{
	for (;;) {
		int fd = open(
		    path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0644);
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);
			(void) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			return fd;
		}
		if (errno != ENXIO) { // ENXIO: a FIFO without reader yet
			fed_log(FED_LOG_ERR, "sim", "opening %s: %s", path,
			    strerror(errno));
			return -2;
		}
		if (stop_requested(stop, 100))
			return -1;
	}
}

// Writes all of buf; false when the reader went away or on error.
static bool
tic_write(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t) n;
	}
	return true;
}

// One frame of the house at t_ms into fd. OK, UNAVAILABLE when the write
// failed (the reader left), or the model's or encoder's status.
static fed_status
tic_emit(struct sim *s, int fd, int64_t t_ms, sim_tic_index *cache)
{
	sim_tic_values v;
	FED_TRY(sim_tic_house_values(
	    &s->house, s->cfg->seed, t_ms, s->cfg->meter_id, cache, &v));
	uint8_t buf[SIM_TIC_FRAME_MAX];
	size_t len = 0;
	tic_mode mode
	    = s->cfg->tic_mode == 0 ? TIC_MODE_HISTORIC : TIC_MODE_STANDARD;
	FED_TRY(sim_tic_encode(mode, &v, buf, sizeof(buf), &len));
	return tic_write(fd, buf, len) ? FED_OK : FED_UNAVAILABLE;
}

// Writes a frame every tic_period_ms of simulated time, the simulated
// clock starting now and running `speed` times real time. A writer that
// falls behind skips to the present rather than replay the gap. A reader
// that leaves a FIFO is waited for again.
static int
run_tic(struct sim *s, const sigset_t *stop)
{
	const struct sim_cfg *cfg = s->cfg;
	sim_clock k = clock_start(cfg);
	int64_t period = cfg->tic_period_ms;
	int64_t next = clock_now(&k) / period * period;
	sim_tic_index cache = {0};
	uint64_t n_frames = 0;
	int fd = tic_open(cfg->emit_tic, stop);
	while (fd >= 0) {
		int64_t sim_now = clock_now(&k);
		if (sim_now - next > 10 * period)
			next = sim_now / period * period;
		if (sim_now >= next) {
			fed_status st = tic_emit(s, fd, next, &cache);
			if (st == FED_UNAVAILABLE) {
				fed_log(FED_LOG_WARNING, "sim",
				    "%s: reader gone; waiting for another",
				    cfg->emit_tic);
				close(fd);
				fd = tic_open(cfg->emit_tic, stop);
				continue;
			}
			if (st != FED_OK) {
				close(fd);
				fd = -2;
				break;
			}
			n_frames++;
			next += period;
			continue;
		}
		int64_t wait = clock_wait(&k, next);
		if (stop_requested(stop,
		        wait < 1          ? 1
		            : wait > 1000 ? 1000
		                          : wait))
			break;
	}
	int rc = fd == -2 ? 1 : 0;
	if (fd >= 0)
		close(fd);
	fed_log(FED_LOG_NOTICE, "sim", "%s: stopped after %llu TIC frames",
	    cfg->emit_tic, (unsigned long long) n_frames);
	return rc;
}

// --- Envoy HTTP API --------------------------------------------------------

// What the HTTP handlers share: the plant's gateway state on the
// simulated clock, under a mutex (nng runs handlers on its own threads).
struct envoy_srv {
	pthread_mutex_t mu;
	sim_envoy env;
	sim_clock clock;
};

typedef fed_status (*envoy_reply_fn)(const sim_envoy *e, char **out);

static void
http_reply(nng_aio *aio, uint16_t status, const char *body)
{
	nng_http_res *res = NULL;
	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_set_status(res, status);
	nng_http_res_set_header(res, "Content-Type", "application/json");
	nng_http_res_copy_data(res, body, strlen(body));
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

// The JSON of `fn` at the simulated now, or NULL (logged).
static char *
envoy_body(struct envoy_srv *srv, envoy_reply_fn fn)
{
	pthread_mutex_lock(&srv->mu);
	int64_t now = clock_now(&srv->clock);
	char *body = NULL;
	fed_status st = sim_envoy_advance(&srv->env, now);
	if (st == FED_OK)
		st = fn(&srv->env, &body);
	pthread_mutex_unlock(&srv->mu);
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, "sim", "envoy reply: %s",
		    fed_status_name(st));
	return body;
}

static void
envoy_serve(nng_aio *aio, envoy_reply_fn fn)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	struct envoy_srv *srv = nng_http_handler_get_data(h);
	char *body = envoy_body(srv, fn);
	if (body == NULL) {
		http_reply(aio, 500, "{}");
		return;
	}
	http_reply(aio, 200, body);
	free(body);
}

static void
serve_production(nng_aio *aio)
{
	envoy_serve(aio, sim_envoy_api_production);
}

static void
serve_inverters(nng_aio *aio)
{
	envoy_serve(aio, sim_envoy_api_inverters);
}

static void
serve_production_json(nng_aio *aio)
{
	envoy_serve(aio, sim_envoy_production_json);
}

static int
envoy_handlers(nng_http_server *hs, struct envoy_srv *srv)
{
	static const struct {
		const char *path;
		void (*cb)(nng_aio *);
	} routes[] = {{"/api/v1/production", serve_production},
	    {"/api/v1/production/inverters", serve_inverters},
	    {"/production.json", serve_production_json}};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		nng_http_handler *h = NULL;
		int rv
		    = nng_http_handler_alloc(&h, routes[i].path, routes[i].cb);
		if (rv == 0)
			rv = nng_http_handler_set_data(h, srv, NULL);
		if (rv == 0)
			rv = nng_http_server_add_handler(hs, h);
		else
			nng_http_handler_free(h);
		if (rv != 0)
			return rv;
	}
	return 0;
}

// Serves the plant until a stop signal.
static int
run_envoy(struct sim *s, const sigset_t *stop)
{
	struct envoy_srv srv = {.clock = clock_start(s->cfg)};
	if (sim_envoy_init(&srv.env, &s->pv, s->cfg->seed) != FED_OK)
		return 1;
	pthread_mutex_init(&srv.mu, NULL);
	nng_url *u = NULL;
	nng_http_server *hs = NULL;
	int rv = nng_url_parse(&u, s->cfg->envoy_listen);
	if (rv == 0)
		rv = nng_http_server_hold(&hs, u);
	if (rv == 0)
		rv = envoy_handlers(hs, &srv);
	if (rv == 0)
		rv = nng_http_server_start(hs);
	if (rv == 0) {
		fed_log(FED_LOG_INFO, "sim", "serving an Envoy at %s",
		    s->cfg->envoy_listen);
		while (!stop_requested(stop, 1000))
			;
		nng_http_server_stop(hs);
	} else {
		fed_log(FED_LOG_ERR, "sim", "--envoy-listen=%s: %s",
		    s->cfg->envoy_listen, nng_strerror(rv));
	}
	if (hs != NULL)
		nng_http_server_release(hs);
	if (u != NULL)
		nng_url_free(u);
	pthread_mutex_destroy(&srv.mu);
	return rv == 0 ? 0 : 1;
}

static const char *
quantity(int model)
{
	return model == MODEL_HOUSE ? "linky/energy"
	    : model == MODEL_SCHOOL ? "school/energy"
	                            : "pv/energy";
}

int
main(int argc, char **argv)
{
	struct sim_cfg cfg;
	int rc = fed_cfg_main(&sim_spec, &cfg, argc, argv, NULL);
	if (rc >= 0) {
		fed_cfg_fini(&sim_spec, &cfg);
		return rc;
	}
	sigset_t stop;
	fed_process_init(cfg.log_level, &stop);

	struct sim s = {.cfg = &cfg};
	snprintf(s.series_id, sizeof(s.series_id), "%s/%s", cfg.site,
	    quantity(cfg.model));
	sim_house_defaults(&s.house);
	sim_school_defaults(&s.school);
	sim_pv_defaults(&s.pv);
	if (cfg.fail_inverter >= 0
	    && (cfg.fail_after_ms > 0 || cfg.fail_at_ms > 0)) {
		s.pv.failures[0].inverter = (int) cfg.fail_inverter;
		s.pv.failures[0].from_ms
		    = (cfg.fail_at_ms > 0 ? cfg.fail_at_ms
		                          : clock_start(&cfg).origin_ms
		                  + cfg.fail_after_ms)
		    / SLOT_MS * SLOT_MS;
		s.pv.n_failures = 1;
	}
	if (cfg.inverters && cfg.model == MODEL_PV) {
		s.inv_ids
		    = calloc((size_t) s.pv.n_inverters, sizeof(*s.inv_ids));
		for (int k = 0; s.inv_ids != NULL && k < s.pv.n_inverters; k++)
			snprintf(s.inv_ids[k], sizeof(s.inv_ids[k]),
			    "%s/pv/inv/%02d/energy", cfg.site, k);
	}
	fed_rpc_client_opts o;
	fed_rpc_client_opts_default(&o);
	o.url = cfg.node;
	o.token = cfg.token;
	o.timeout_ms = 30000;
	fed_tls_opts tls = {cfg.tls_cert, cfg.tls_key, cfg.tls_ca, NULL};
	o.tls = &tls;
	rc = 1;
	char terr[300];
	if (fed_transport_check(cfg.node, &tls, terr, sizeof(terr))
	    != FED_OK) {
		fprintf(stderr, "fed-edge-sim: --node: %s\n", terr);
		rc = 2;
	} else if (cfg.envoy_listen[0] != '\0'
	    && sim_pv_check(&s.pv) == FED_OK) {
		if (cfg.model != MODEL_PV)
			fprintf(stderr,
			    "fed-edge-sim: --envoy-listen: only --model=pv "
			    "has "
			    "an Envoy\n");
		else
			rc = run_envoy(&s, &stop);
	} else if (cfg.emit_tic[0] != '\0') {
		if (cfg.model != MODEL_HOUSE)
			fprintf(stderr,
			    "fed-edge-sim: --emit-tic: only --model=house has "
			    "a Linky\n");
		else
			rc = run_tic(&s, &stop);
	} else if (sim_pv_check(&s.pv) != FED_OK) {
		fprintf(stderr,
		    "fed-edge-sim: --fail-inverter: no such inverter\n");
	} else if (fed_rpc_client_new(&o, &s.rpc) == FED_OK) {
		rc = run(&s, &stop);
		fed_rpc_client_free(s.rpc);
	}
	free(s.inv_ids);
	fed_cfg_fini(&sim_spec, &cfg);
	return rc;
}
