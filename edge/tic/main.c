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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "edge_main.h"
#include "fed/cfg.h"
#include "fed/clock.h"
#include "fed/log.h"
#include "tic_collect.h"
#include "tic_input.h"
#include "tic_parse.h"

struct tic_cfg {
	edge_main_cfg common; // node, token, site, owner, sender, log level
	char *meter;
	char *device;
	char *input;
	int mode;
	int64_t detect_ms;
	double replay_speed;
	int64_t replay_clock_ms;
	bool follow;
	int64_t period_ms;
	int64_t power_period_ms;
};

#define C   struct tic_cfg
#define DAY (INT64_C(86400000))
static const fed_cfg_opt tic_opts[] = {
    EDGE_MAIN_NODE_OPTS(C, common),
    EDGE_MAIN_SITE_OPT(C, common, "home"),
    FED_CFG_OPT_STRING_LEN(C, meter, "meter", "linky", 1, 64,
        "meter name: the second part of the series ids"),
    EDGE_MAIN_OWNER_OPT(C, common),
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
    EDGE_MAIN_END_OPTS(C, common, "./tic-spool",
        "--input without --follow: time to send the rest at the end"),
};
#undef C

static const fed_cfg_spec tic_spec = {"fed-edge-tic", "[OPTION]...",
    "Sends a Linky meter's indexes and power, read from its TIC port, to a "
    "fed-node.",
    tic_opts, FED_CFG_N(tic_opts), 0};

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
	while (!edge_main_stopping()) {
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
	tic_collect_get_stats(r->col, &cs);
	edge_main_summary(s, "tic",
	    "frames_ok=%llu frames_bad=%llu frames_truncated=%llu "
	    "groups_bad_checksum=%llu groups_malformed=%llu points=%llu",
	    (unsigned long long) ps->frames_ok,
	    (unsigned long long) ps->frames_bad,
	    (unsigned long long) ps->frames_truncated,
	    (unsigned long long) ps->groups_bad_checksum,
	    (unsigned long long) ps->groups_malformed,
	    (unsigned long long) cs.n_points);
}

// A file read to its end without one good frame is a failure (the wrong
// file, or --mode), not an empty success.
static int
no_frame(const struct reader *r)
{
	if (tic_parser_stats(&r->parser)->frames_ok > 0)
		return 0;
	fed_log(FED_LOG_ERR, "tic",
	    "%s: no TIC frame decoded (not a TIC capture, or another "
	    "--mode?)",
	    r->cfg->input);
	return 1;
}

static int
run(const void *vcfg, edge_sender *s)
{
	const struct tic_cfg *cfg = vcfg;
	static struct reader r; // the parser is 13 KB: not on the stack
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	tic_input_opts io = {.device = cfg->device,
	    .path = cfg->input,
	    .mode = (tic_mode) cfg->mode,
	    .replay_speed = cfg->replay_speed,
	    .follow = cfg->follow,
	    .detect_ms = cfg->detect_ms};
	tic_collect_opts co = {.site = cfg->common.site,
	    .meter = cfg->meter,
	    .owner = cfg->common.owner,
	    .period_ms = cfg->period_ms,
	    .power_period_ms = cfg->power_period_ms};
	if (tic_parser_init(&r.parser, (tic_mode) cfg->mode) != FED_OK
	    || tic_collect_new(&co, s, &r.col) != FED_OK)
		return 1;
	int rc = 1;
	if (tic_input_open(&io, &r.in) == FED_OK) {
		int at_end = read_loop(&r);
		rc = at_end < 0 ? 1 : 0;
		if (at_end > 0)
			rc = edge_main_drain(s, cfg->common.sender.drain_ms,
			    "tic", "end of input: points left in the spool");
		log_summary(&r, s);
		if (at_end > 0 && no_frame(&r))
			rc = 1;
		tic_input_close(r.in);
	}
	tic_collect_free(r.col);
	return rc;
}

// The options the table cannot check: -1 when they go together.
static int
check(const void *vcfg)
{
	const struct tic_cfg *cfg = vcfg;
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
	static const edge_main_spec m
	    = {&tic_spec, offsetof(struct tic_cfg, common), "tic", check, run};
	struct tic_cfg cfg;
	return edge_main_run(&m, &cfg, argc, argv);
}
