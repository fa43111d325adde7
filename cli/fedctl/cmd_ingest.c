// SPDX-License-Identifier: MIT
//
// cmd_ingest.c: `fedctl ingest SERIES --csv FILE | --senml FILE | --format F
// --file FILE`, F one of csv, senml, enedis-csv (the Enedis customer area's
// exports), enedis-dataconnect (Data Connect replies). The whole
// file is read and parsed first, so that a bad line stops everything before
// a single point is sent; then the points go in batches (Ingest is
// idempotent: a batch that is sent again stores nothing twice), with a
// progress bar on stderr when it is a terminal.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "io.h"

#define MAX_FILE (1024u * 1024u * 1024u)

// --format: auto takes the format from --csv or --senml.
enum format {
	FMT_AUTO,
	FMT_CSV,
	FMT_SENML,
	FMT_ENEDIS_CSV,
	FMT_ENEDIS_DC
};

struct ingest_cfg {
	char *csv;
	char *senml;
	char *file;
	int format;
	uint64_t batch;
	bool skip_bad;
	int ambiguous;
	bool quiet;
	fedctl_out_opts out;
};

#define C struct ingest_cfg
static const fed_cfg_opt ingest_opts[] = {
    FED_CFG_OPT_STRING(C, csv, "csv", NULL,
        "CSV file of timestamp,value lines ('-': standard input)"),
    FED_CFG_OPT_STRING(C, senml, "senml", NULL,
        "SenML (RFC 8428 JSON) file of the series ('-': standard input)"),
    FED_CFG_OPT_STRING(C, file, "file", NULL,
        "file to read in --format ('-': standard input)"),
    FED_CFG_OPT_ENUM(C, format, "format", "auto",
        "auto|csv|senml|enedis-csv|enedis-dataconnect",
        "format of --file: enedis-csv is an export of the Enedis customer "
        "area (load curve, daily consumption, daily index), "
        "enedis-dataconnect a Data Connect metering_data reply"),
    FED_CFG_OPT_UINT(
        C, batch, "batch", "10000", 1, 1000000, "points per Ingest call"),
    FED_CFG_OPT_BOOL(C, skip_bad, "skip-bad", "false",
        "skip bad lines (counted) instead of sending nothing"),
    FED_CFG_OPT_ENUM(C, ambiguous, "ambiguous", "refuse",
        "refuse|earlier|later",
        "CSV: a local time without offset that occurs twice (the hour the "
        "clocks go back): a bad line, or its first or second occurrence"),
    FED_CFG_OPT_BOOL(
        C, quiet, "quiet", "false", "no progress bar, no summary line"),
    FEDCTL_OPT_JSON(C, out),
    FEDCTL_OPT_TZ(C, out),
};
#undef C

static const fed_cfg_spec ingest_spec = {"fedctl ingest",
    "SERIES (--csv FILE | --senml FILE | --format FORMAT --file FILE) "
    "[OPTION]...",
    "Sends points to a series from a file, in batches, and prints how "
    "many were stored and how many were already there (sending a file "
    "twice stores nothing twice).\n"
    "CSV: `timestamp,value` lines; an optional header; ISO 8601 "
    "timestamps with their offset (2026-03-29T03:00:00+02:00, ...Z), or "
    "without one in --tz. SenML: one series per pack, numeric v, times "
    "bt + t in seconds.\n"
    "Enedis (local times in Europe/Paris): a load curve (average W per "
    "interval, stamped at its end) goes to an energy series as Wh per "
    "interval stamped at its start (or to a power series as W), daily "
    "consumption to an energy series at local midnight, a daily index "
    "to a cumulative index series.\n"
    "A bad line stops everything before anything is sent, naming the "
    "line; --skip-bad skips and counts bad lines instead. A file with "
    "no point to send fails.\n"
    "Examples:\n"
    "  fedctl ingest kermelo/school/energy --csv school-2025.csv\n"
    "  sensor-dump | fedctl ingest bmhs/house/power --csv - --skip-bad\n"
    "  fedctl ingest kermelo/pv/energy --senml pv.json\n"
    "  fedctl ingest bmhs/linky/energy --format enedis-csv --file "
    "Enedis_Conso_Heure.csv",
    ingest_opts, FED_CFG_N(ingest_opts), FED_CFG_ARGV_ONLY};

// Reads a whole file ("-": stdin) into *buf (heap, NUL-terminated).
static fed_status
read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? FED_NOT_FOUND : FED_PERMISSION_DENIED;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	fed_status st = FED_OK;
	while (b != NULL && st == FED_OK) {
		n += fread(b + n, 1, cap - n - 1, f);
		if (ferror(f))
			st = FED_UNAVAILABLE;
		else if (feof(f))
			break;
		else if (cap >= MAX_FILE)
			st = FED_RESOURCE_EXHAUSTED;
		else {
			char *nb = realloc(b, cap * 2);
			if (nb == NULL)
				free(b);
			b = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (b == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (st != FED_OK) {
		free(b);
		return st;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return FED_OK;
}

static void
progress(size_t done, size_t total)
{
	const int width = 40;
	int fill = total ? (int) ((double) done / (double) total * width) : 0;
	fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu points", fill,
	    "########################################", width - fill, "",
	    total ? (int) (100.0 * (double) done / (double) total) : 100, done,
	    total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

struct sent {
	uint64_t stored, duplicate;
	size_t done;
};

static fed_status
send_batch(fedctl *c, const char *id, const fedctl_points *p, size_t at,
    size_t n, struct sent *s)
{
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT;
	Enfed__V1__SeriesPoints *sps[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = p->ts_ms + at;
	sp.value = p->value + at;
	sp.n_ts_ms = sp.n_value = n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = sps;
	req.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fedctl_store_call(c, "Ingest", id, &req, &rep);
	if (st != FED_OK)
		return st;
	s->stored += rep->n_stored;
	s->duplicate += rep->n_duplicate;
	s->done += n;
	enfed__v1__ingest_response__free_unpacked(rep, NULL);
	return FED_OK;
}

static int
send_all(fedctl *c, const char *id, const struct ingest_cfg *cfg,
    const fedctl_points *p, size_t n_bad)
{
	struct sent s = {0, 0, 0};
	bool bar = !cfg->quiet && isatty(STDERR_FILENO);
	fed_status st = FED_OK;
	for (size_t at = 0; at < p->n && st == FED_OK; at += cfg->batch) {
		size_t n = p->n - at < cfg->batch ? p->n - at : cfg->batch;
		st = send_batch(c, id, p, at, n, &s);
		if (bar && st == FED_OK)
			progress(s.done, p->n);
	}
	if (st != FED_OK) {
		fprintf(stderr,
		    "%s: %zu of %zu points sent before the failure (sending "
		    "the file again is safe)\n",
		    c->prog, s.done, p->n);
		return fedctl_exit_code(st);
	}
	if (c->format == FEDCTL_JSON) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "points", (double) p->n);
		cJSON_AddNumberToObject(j, "stored", (double) s.stored);
		cJSON_AddNumberToObject(j, "duplicate", (double) s.duplicate);
		cJSON_AddNumberToObject(j, "skipped", (double) n_bad);
		fedctl_json_emit(j);
	} else if (!cfg->quiet) {
		printf("%s: %zu points read, %llu stored, %llu already "
		       "there, %zu bad lines skipped\n",
		    id, p->n, (unsigned long long) s.stored,
		    (unsigned long long) s.duplicate, n_bad);
	}
	return FEDCTL_EXIT_OK;
}

// What ingest needs of the series.
struct target {
	char unit[16];
	Enfed__V1__SeriesKind kind;
	bool cumulative;
};

// The series' unit and kind, and NOT_FOUND (exit 3) before the file is
// read when the series does not exist.
static int
series_meta(fedctl *c, const char *id, struct target *t)
{
	Enfed__V1__GetSeriesRequest req = ENFED__V1__GET_SERIES_REQUEST__INIT;
	req.id = (char *) id;
	Enfed__V1__SeriesInfo *info = NULL;
	fed_status st = fedctl_store_call(c, "GetSeries", id, &req, &info);
	if (st != FED_OK)
		return fedctl_exit_code(st);
	snprintf(t->unit, sizeof(t->unit), "%s",
	    fedctl_unit_name(info->meta->unit));
	t->kind = info->meta->kind;
	t->cumulative = info->meta->cumulative;
	enfed__v1__series_info__free_unpacked(info, NULL);
	return -1;
}

static fed_status
parse_senml(fedctl *c, const char *id, const char *unit, const char *buf,
    size_t len, bool skip_bad, fedctl_points *p, size_t *n_bad,
    fedctl_parse_err *err)
{
	char name[256];
	fed_status st = fedctl_senml_parse(buf, len, fed_clock_now_ms(), unit,
	    skip_bad, p, n_bad, name, sizeof(name), err);
	if (st == FED_OK && name[0] != '\0' && strcmp(name, id) != 0)
		fprintf(stderr,
		    "%s: note: the pack names '%s'; its points go "
		    "to %s\n",
		    c->prog, name, id);
	return st;
}

// Each Enedis kind: what it is, and which series takes it.
static const char *const kind_names[][2] = {
    [FEDCTL_ENEDIS_LOAD_CURVE]
    = {"a load curve", "an energy series in Wh, or a power series in W"},
    [FEDCTL_ENEDIS_DAILY] = {"daily consumption", "an energy series in Wh"},
    [FEDCTL_ENEDIS_INDEX]
    = {"a daily index", "a cumulative index series in Wh"},
};

static bool
fits(const struct target *t, fedctl_enedis_kind kind)
{
	bool wh = strcmp(t->unit, "Wh") == 0;
	if (kind == FEDCTL_ENEDIS_INDEX)
		return t->cumulative && wh;
	if (t->cumulative)
		return false;
	bool energy
	    = t->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION
	    || t->kind == ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	return (wh && energy)
	    || (kind == FEDCTL_ENEDIS_LOAD_CURVE && strcmp(t->unit, "W") == 0);
}

// Whether an Enedis file of this kind fits the series, before anything
// is sent: -1 when it does.
static int
check_target(
    fedctl *c, const char *id, const struct target *t, fedctl_enedis_kind kind)
{
	if (fits(t, kind))
		return -1;
	return fedctl_fail(c, FED_FAILED_PRECONDITION,
	    "%s is not a series for %s (it goes to %s; this one is %sin %s): "
	    "nothing sent",
	    id, kind_names[kind][0], kind_names[kind][1],
	    t->cumulative ? "cumulative, " : "", t->unit);
}

static enum format
format_of(const struct ingest_cfg *cfg)
{
	if (cfg->csv != NULL)
		return FMT_CSV;
	if (cfg->senml != NULL)
		return FMT_SENML;
	return cfg->format == FMT_AUTO ? FMT_CSV : (enum format) cfg->format;
}

// The Enedis formats: local times are French, whatever --tz says.
static fed_status
parse_enedis(const struct ingest_cfg *cfg, const struct target *t,
    const char *buf, size_t len, fedctl_points *p, fedctl_enedis_kind *kind,
    size_t *n_bad, fedctl_parse_err *err)
{
	fed_tz *paris = NULL;
	fed_status st = fed_tz_load("Europe/Paris", &paris);
	if (st != FED_OK)
		return st;
	fedctl_enedis_opts eo
	    = {paris, cfg->skip_bad, strcmp(t->unit, "W") == 0};
	if (format_of(cfg) == FMT_ENEDIS_CSV)
		st = fedctl_enedis_csv_parse(
		    buf, len, &eo, p, kind, n_bad, err);
	else
		st = fedctl_enedis_dc_parse(
		    buf, len, &eo, p, kind, n_bad, err);
	fed_tz_free(paris);
	return st;
}

// A plain CSV that is an Enedis export: say which format reads it.
static const char *
hint(const struct ingest_cfg *cfg, const char *buf)
{
	if (format_of(cfg) != FMT_CSV)
		return "";
	if (strncmp(buf, "\xEF\xBB\xBF", 3) == 0)
		buf += 3;
	return strncmp(buf, "Identifiant PRM", 15) == 0
	    ? " (an export of the Enedis customer area: --format enedis-csv "
	      "--file FILE)"
	    : "";
}

static int
parse_file(fedctl *c, const char *id, const struct ingest_cfg *cfg,
    fedctl_points *p, size_t *n_bad)
{
	struct target t;
	int rc = series_meta(c, id, &t);
	if (rc >= 0)
		return rc;
	const char *path = cfg->csv != NULL ? cfg->csv
	    : cfg->senml != NULL            ? cfg->senml
	                                    : cfg->file;
	char *buf = NULL;
	size_t len = 0;
	fed_status st = read_all(path, &buf, &len);
	if (st != FED_OK)
		return fedctl_fail(c, st, "cannot read '%s'", path);
	fedctl_parse_err err = {0, ""};
	fedctl_csv_opts co
	    = {c->zone, cfg->skip_bad, (fedctl_ambiguous) cfg->ambiguous};
	fedctl_enedis_kind kind = FEDCTL_ENEDIS_LOAD_CURVE;
	enum format fmt = format_of(cfg);
	if (fmt == FMT_CSV)
		st = fedctl_csv_parse(buf, len, &co, p, n_bad, &err);
	else if (fmt == FMT_SENML)
		st = parse_senml(
		    c, id, t.unit, buf, len, cfg->skip_bad, p, n_bad, &err);
	else
		st = parse_enedis(cfg, &t, buf, len, p, &kind, n_bad, &err);
	const char *h = st == FED_INVALID_ARGUMENT ? hint(cfg, buf) : "";
	free(buf);
	if (st == FED_INVALID_ARGUMENT)
		return fedctl_fail(c, st, "%s:%zu: %s%s (nothing sent)", path,
		    err.line, err.msg, h);
	if (st != FED_OK)
		return fedctl_fail(c, st, "parsing '%s'", path);
	if (p->n == 0) // nothing stored is a failure, not a success
		return fedctl_fail(c, FED_INVALID_ARGUMENT,
		    "%s: no point to send (%zu bad lines skipped)", path,
		    *n_bad);
	return fmt == FMT_ENEDIS_CSV || fmt == FMT_ENEDIS_DC
	    ? check_target(c, id, &t, kind)
	    : -1;
}

int
cmd_ingest(fedctl *c, int argc, char **argv)
{
	struct ingest_cfg cfg = {0};
	fed_cfg_result res;
	int rc = fedctl_load_sub(
	    c, &ingest_spec, &cfg, argc, argv, &cfg.out, &res);
	if (rc < 0 && res.n_args != 1)
		rc = fedctl_usage(c, "one series id is needed");
	int n_src
	    = (cfg.csv != NULL) + (cfg.senml != NULL) + (cfg.file != NULL);
	if (rc < 0 && n_src != 1)
		rc = fedctl_usage(c,
		    "give one of --csv FILE, --senml FILE or --format FORMAT "
		    "--file FILE");
	if (rc < 0 && cfg.file == NULL && cfg.format != FMT_AUTO)
		rc = fedctl_usage(c, "--format goes with --file FILE");
	fedctl_points p = {0};
	size_t n_bad = 0;
	if (rc < 0)
		rc = parse_file(c, res.args[0], &cfg, &p, &n_bad);
	if (rc < 0)
		rc = send_all(c, res.args[0], &cfg, &p, n_bad);
	fedctl_points_fini(&p);
	fed_cfg_fini(&ingest_spec, &cfg);
	return rc;
}
