// SPDX-License-Identifier: MIT
//
// fed-edge-tic: the Linky meter's customer port ("téléinformation client")
// to a fed-node. Reads a serial device (7E1, 1200 Bd historic or 9600 Bd
// standard, or found automatically) or a file or FIFO of raw bytes (a
// capture to replay), parses frames (tic_parse), samples the indexes and
// the apparent power (tic_collect), and hands the points to the sender
// (edge_sender: durable spool first, then Ingest; retried while the node is
// away). docs/edge.md describes the options and the series.
//
// SIGTERM or SIGINT: stops reading, spools what is held in memory, stops.
// A file read without --follow ends the program once its points are sent
// (or --drain-timeout passed: exit status 3, the rest stays spooled).

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_sender.h"
#include "fed/cfg.h"
#include "fed/clock.h"
#include "fed/health.h"
#include "fed/log.h"
#include "tic_collect.h"
#include "tic_input.h"
#include "tic_parse.h"

struct tic_cfg {
	char *node;
	char *token;
	char *site;
	char *meter;
	char *owner;
	char *device;
	char *input;
	int mode;
	int64_t detect_ms;
	double replay_speed;
	int64_t replay_clock_ms;
	bool follow;
	int64_t period_ms;
	int64_t power_period_ms;
	edge_sender_cfg sender;
	fed_log_level log_level;
};

#define C   struct tic_cfg
#define DAY (INT64_C(86400000))
static const fed_cfg_opt tic_opts[] = {
    FED_CFG_OPT_STRING_LEN(C, node, "node", "tcp://127.0.0.1:7410", 1, 4000,
        "RPC address of the fed-node to feed"),
    FED_CFG_OPT_STRING(C, token, "token", NULL,
        "token with the writer role on that node (@FILE reads a file)"),
    FED_CFG_OPT_STRING_LEN(C, site, "site", "home", 1, 64,
        "site name: the first part of the series ids"),
    FED_CFG_OPT_STRING_LEN(C, meter, "meter", "linky", 1, 64,
        "meter name: the second part of the series ids"),
    FED_CFG_OPT_STRING_LEN(
        C, owner, "owner", "", 0, 200, "owner written in the series"),
    FED_CFG_OPT_STRING_LEN(C, device, "device", NULL, 1, 4000,
        "serial device of the TIC adapter, e.g. /dev/ttyAMA0"),
    FED_CFG_OPT_STRING_LEN(C, input, "input", NULL, 1, 4000,
        "file or FIFO of raw TIC bytes, instead of a device"),
    FED_CFG_OPT_ENUM(C, mode, "mode", "auto", "auto|historic|standard",
        "TIC mode: historic 1200 Bd, standard 9600 Bd, or found"),
    FED_CFG_OPT_DURATION(C, detect_ms, "detect-timeout", "10s", 1000, 600000,
        "auto mode: time without a frame before changing speed"),
    FED_CFG_OPT_DOUBLE(C, replay_speed, "replay-speed", "0", 0, 1000000,
        "--input: times the line's byte rate; 0 = as fast as possible"),
    FED_CFG_OPT_INT(C, replay_clock_ms, "replay-clock", "0", 0,
        INT64_C(4102444800000),
        "--input: UTC ms of the first byte; frames without a DATE are "
        "stamped by their place in the file at the line's rate (0: the "
        "system clock)"),
    FED_CFG_OPT_BOOL(C, follow, "follow", "false",
        "--input: wait for more bytes at the end (FIFO, growing file)"),
    FED_CFG_OPT_DURATION(C, period_ms, "period", "5m", 0, DAY,
        "index sampling period, aligned on the clock (0: every frame)"),
    FED_CFG_OPT_DURATION(C, power_period_ms, "power-period", "5m", 0, DAY,
        "apparent power sampling period (0: every frame)"),
    EDGE_SENDER_CFG_OPTS(C, sender, "./tic-spool",
        "--input without --follow: time to send the rest at the end"),
    FED_CFG_OPT_LOG_LEVEL(C, log_level, "log-level", "info",
        "err, warning, notice, info or debug"),
};
#undef C

static const fed_cfg_spec tic_spec = {"fed-edge-tic", "[OPTION]...",
    "Sends a Linky meter's indexes and power, read from its TIC port, to a "
    "fed-node.",
    tic_opts, FED_CFG_N(tic_opts), 0};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

struct reader {
	const struct tic_cfg *cfg;
	tic_input *in;
	tic_collect *col;
	tic_parser parser;
	uint64_t offset; // bytes fed so far
	uint64_t frames_bad_logged;
	int64_t log_ms;
};

// The replay clock: the first byte at replay_clock_ms, then the line's
// byte rate (10 bits a byte).
static int64_t
frame_clock(const struct reader *r, const tic_frame *f)
{
	if (r->cfg->replay_clock_ms == 0)
		return fed_clock_now_ms();
	int baud = f->mode == TIC_MODE_HISTORIC ? 1200 : 9600;
	return r->cfg->replay_clock_ms
	    + (int64_t) (r->offset * 10000u / (uint64_t) baud);
}

static void
on_frame(const tic_frame *f, void *arg)
{
	struct reader *r = arg;
	tic_input_note_frame(r->in, f->mode);
	(void) tic_collect_frame(r->col, f, frame_clock(r, f), NULL);
}

static void
log_damage(struct reader *r)
{
	const tic_stats *ps = tic_parser_stats(&r->parser);
	uint64_t bad = ps->frames_bad + ps->frames_truncated;
	if (bad == r->frames_bad_logged)
		return;
	if (fed_log_limited(&r->log_ms, 60000, FED_LOG_WARNING, "tic",
	        "damaged frames so far: %llu (groups: %llu bad checksum, "
	        "%llu malformed)",
	        (unsigned long long) bad,
	        (unsigned long long) ps->groups_bad_checksum,
	        (unsigned long long) ps->groups_malformed))
		r->frames_bad_logged = bad;
}

// Feeds a chunk in pieces that end at an ETX, so that a frame's place in
// the input (for the replay clock) is exact.
static void
feed(struct reader *r, const uint8_t *buf, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if ((buf[i] & 0x7F) != 0x03 && i + 1 < len)
			continue;
		r->offset += i + 1 - start;
		(void) tic_parser_feed(
		    &r->parser, buf + start, i + 1 - start, on_frame, r);
		start = i + 1;
	}
	log_damage(r);
}

// Reads until a signal, or the end of a file. 1 at the end of the input,
// 0 on a signal, -1 on a read error (logged by the input).
static int
read_loop(struct reader *r)
{
	uint8_t buf[4096];
	while (stop_signal == 0) {
		size_t n = 0;
		fed_status st
		    = tic_input_read(r->in, buf, sizeof(buf), 250, &n);
		if (st == FED_OUT_OF_RANGE)
			return 1;
		if (st != FED_OK)
			return -1;
		if (tic_input_speed_changed(r->in))
			tic_parser_reset(&r->parser);
		feed(r, buf, n);
	}
	return 0;
}

static void
log_summary(const struct reader *r, edge_sender *s)
{
	const tic_stats *ps = tic_parser_stats(&r->parser);
	tic_collect_stats cs;
	edge_sender_stats ss;
	tic_collect_get_stats(r->col, &cs);
	edge_sender_get_stats(s, &ss);
	fed_log(FED_LOG_NOTICE, "tic",
	    "summary: frames_ok=%llu frames_bad=%llu frames_truncated=%llu "
	    "groups_bad_checksum=%llu groups_malformed=%llu points=%llu "
	    "sent=%llu stored=%llu duplicate=%llu dead=%llu lost=%llu "
	    "thinned=%llu "
	    "pending=%llu",
	    (unsigned long long) ps->frames_ok,
	    (unsigned long long) ps->frames_bad,
	    (unsigned long long) ps->frames_truncated,
	    (unsigned long long) ps->groups_bad_checksum,
	    (unsigned long long) ps->groups_malformed,
	    (unsigned long long) cs.n_points, (unsigned long long) ss.n_sent,
	    (unsigned long long) ss.n_points_stored,
	    (unsigned long long) ss.n_points_duplicate,
	    (unsigned long long) ss.n_dead, (unsigned long long) ss.n_lost,
	    (unsigned long long) ss.n_points_thinned,
	    (unsigned long long) ss.n_pending);
}

static int
run(const struct tic_cfg *cfg, edge_sender *s)
{
	static struct reader r; // the parser is 13 KB: not on the stack
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	tic_input_opts io = {.device = cfg->device,
	    .path = cfg->input,
	    .mode = (tic_mode) cfg->mode,
	    .replay_speed = cfg->replay_speed,
	    .follow = cfg->follow,
	    .detect_ms = cfg->detect_ms};
	tic_collect_opts co = {.site = cfg->site,
	    .meter = cfg->meter,
	    .owner = cfg->owner,
	    .period_ms = cfg->period_ms,
	    .power_period_ms = cfg->power_period_ms};
	if (tic_parser_init(&r.parser, (tic_mode) cfg->mode) != FED_OK
	    || tic_collect_new(&co, s, &r.col) != FED_OK)
		return 1;
	int rc = 1;
	if (tic_input_open(&io, &r.in) == FED_OK) {
		int at_end = read_loop(&r);
		rc = at_end < 0 ? 1 : 0;
		if (at_end > 0
		    && edge_sender_drain(s, cfg->sender.drain_ms) != FED_OK) {
			fed_log(FED_LOG_WARNING, "tic",
			    "end of input: points left in the spool");
			rc = 3;
		}
		log_summary(&r, s);
		tic_input_close(r.in);
	}
	tic_collect_free(r.col);
	return rc;
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

// Parses the options; -1 to run, else the exit status.
static int
load(struct tic_cfg *cfg, int argc, char **argv)
{
	int rc = fed_cfg_main(&tic_spec, cfg, argc, argv, NULL);
	if (rc >= 0)
		return rc;
	if ((cfg->device == NULL) == (cfg->input == NULL)) {
		fprintf(stderr,
		    "fed-edge-tic: give --device or --input (one "
		    "of them)\n");
		return 2;
	}
	if (cfg->device != NULL
	    && (cfg->replay_speed > 0 || cfg->replay_clock_ms > 0
	        || cfg->follow)) {
		fprintf(stderr,
		    "fed-edge-tic: --replay-speed, --replay-clock "
		    "and --follow go with --input only\n");
		return 2;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct tic_cfg cfg;
	int rc = load(&cfg, argc, argv);
	if (rc >= 0) {
		fed_cfg_fini(&tic_spec, &cfg);
		return rc;
	}
	fed_log_set_sink(fed_log_stderr_sink, NULL);
	fed_log_set_level(cfg.log_level);
	install_signals();
	edge_sender_opts so;
	edge_sender_opts_from_cfg(
	    &so, &cfg.sender, cfg.node, cfg.token, "tic");
	edge_sender *s = NULL;
	rc = 1;
	if (edge_sender_new(&so, &s) == FED_OK) {
		rc = run(&cfg, s);
		edge_sender_free(s);
	}
	fed_cfg_fini(&tic_spec, &cfg);
	return rc;
}
