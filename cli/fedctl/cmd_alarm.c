// SPDX-License-Identifier: MIT
//
// cmd_alarm.c: `fedctl alarm rule add|ls|rm`, `fedctl alarm ls`, `fedctl
// alarm ack` and `fedctl alarm watch`: a node's alarm rules and alarms
// (enfed.v1.AlarmService) and its alarm events on the live stream (topic
// "!alarm"). Rule types and parameters: docs/alarms.md.

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enfed/v1/alarm.pb-c.h"
#include "fed/clock.h"
#include "fed/stream.h"
#include "fedctl.h"
#include "verb.h"

struct add_cfg {
	fedctl_out_opts out;
	char *series;
	int type;
	int64_t for_ms;
	char *above;
	char *below;
	double clear_margin;
	double lat, lon, peak_w, min_ratio, min_elevation;
	double ratio, sibling_min;
	double multiple;
	uint64_t weeks;
	char *day_tz;
	char *hook;
	int64_t hook_timeout_ms;
};

#define C struct add_cfg
static const fed_cfg_opt add_opts[] = {
    FEDCTL_OUT_OPTS(C, out),
    FED_CFG_OPT_STRING(
        C, series, "series", NULL, "a series id, or a prefix ending in '/'"),
    FED_CFG_OPT_ENUM(C, type, "type", "threshold",
        "threshold|stale|daylight|sibling|daily", "the rule's type"),
    FED_CFG_OPT_DURATION(C, for_ms, "for", "0", 0, 0,
        "how long the condition must hold (stale: the silence), e.g. 30m"),
    FED_CFG_OPT_STRING(C, above, "above", NULL, "threshold: raise above"),
    FED_CFG_OPT_STRING(C, below, "below", NULL, "threshold: raise below"),
    FED_CFG_OPT_DOUBLE(C, clear_margin, "clear-margin", "0", 0, 1e300,
        "threshold: clear only this far back inside the limits"),
    FED_CFG_OPT_DOUBLE(C, lat, "lat", "0", -1e9, 1e9,
        "daylight: the plant's latitude, degrees north"),
    FED_CFG_OPT_DOUBLE(C, lon, "lon", "0", -1e9, 1e9,
        "daylight: the plant's longitude, degrees east"),
    FED_CFG_OPT_DOUBLE(C, peak_w, "peak-w", "0", -1e300, 1e300,
        "daylight: the plant's peak power, W"),
    FED_CFG_OPT_DOUBLE(C, min_ratio, "min-ratio", "0", -1e9, 1e9,
        "daylight: at or below this fraction of the clear sky is 'zero'"),
    FED_CFG_OPT_DOUBLE(C, min_elevation, "min-elevation", "0", -1e9, 1e9,
        "daylight: the sun's elevation that starts daylight (0: 10 degrees)"),
    FED_CFG_OPT_DOUBLE(C, ratio, "ratio", "0", -1e9, 1e9,
        "sibling: below this fraction of the siblings' median (0: 0.5)"),
    FED_CFG_OPT_DOUBLE(C, sibling_min, "sibling-min", "0", -1e300, 1e300,
        "sibling: no comparison while the median is below this"),
    FED_CFG_OPT_DOUBLE(C, multiple, "multiple", "0", -1e9, 1e9,
        "daily: the multiple of the usual day that raises (0: 2)"),
    FED_CFG_OPT_UINT(C, weeks, "weeks", "0", 0, 1000,
        "daily: weeks of history for the usual day (0: 4)"),
    FED_CFG_OPT_STRING(C, day_tz, "day-tz", "",
        "daily: the zone of local days (default: the node's)"),
    FED_CFG_OPT_STRING(C, hook, "hook", NULL,
        "a program (absolute path) run at each raise and clear, with the "
        "alarm in ENFED_ALARM_* variables; --hook-arg A adds an argument"),
    FED_CFG_OPT_DURATION(C, hook_timeout_ms, "hook-timeout", "10s", 1, 60000,
        "the hook is killed after this long"),
};
#undef C

static const fed_cfg_spec add_spec = {"fedctl alarm rule add",
    "ID --series P [--type T] [OPTION]...",
    "Creates an alarm rule (admin token); again with the same definition "
    "confirms it.\n"
    "Examples:\n"
    "  fedctl alarm rule add pv-stale --series kermelo/pv/ --type stale "
    "--for 30m\n"
    "  fedctl alarm rule add pv-zero --series kermelo/pv/energy --type "
    "daylight --lat 47.75 --lon -3.37 --peak-w 16200 --min-ratio 0.02 --for "
    "1h\n"
    "  fedctl alarm rule add inv-below --series kermelo/pv/inv/ --type "
    "sibling --ratio 0.5 --sibling-min 2 --for 30m\n"
    "  fedctl alarm rule add boiler --series b1/boiler/power --above 9000 "
    "--for 10m --hook /usr/local/bin/alarm-mail --hook-arg ops@example.org",
    add_opts, FED_CFG_N(add_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec rule_ls_spec
    = FEDCTL_PLAIN_SPEC("fedctl alarm rule ls", "[PREFIX] [OPTION]...",
        "Lists the alarm rules (of series under PREFIX).");

static const fed_cfg_spec rule_rm_spec
    = FEDCTL_PLAIN_SPEC("fedctl alarm rule rm", "ID",
        "Deletes a rule (admin token); its active alarms are cleared.");

#define ONE_RULE FEDCTL_EXACTLY(1, "one rule id is needed")

struct ls_cfg {
	fedctl_out_opts out;
	bool active;
	char *rule;
	char *prefix;
	uint64_t limit;
};

static const fed_cfg_opt ls_opts[] = {
    FEDCTL_OUT_OPTS(struct ls_cfg, out),
    FED_CFG_OPT_BOOL(struct ls_cfg, active, "active", "false",
        "only the alarms not cleared"),
    FED_CFG_OPT_STRING(struct ls_cfg, rule, "rule", "", "only this rule's"),
    FED_CFG_OPT_STRING(
        struct ls_cfg, prefix, "prefix", "", "only series under this prefix"),
    FED_CFG_OPT_UINT(struct ls_cfg, limit, "limit", "100", 1, 10000,
        "at most this many, newest first"),
};

static const fed_cfg_spec ls_spec = {"fedctl alarm ls", "[OPTION]...",
    "Lists alarms, newest first: id, state, acknowledged, raised, rule, "
    "message.\nExample:\n  fedctl alarm ls --active",
    ls_opts, FED_CFG_N(ls_opts), FED_CFG_ARGV_ONLY};

static const fed_cfg_spec ack_spec
    = FEDCTL_PLAIN_SPEC("fedctl alarm ack", "ID",
        "Acknowledges an alarm (writer token): it stays active until its "
        "condition ends.");

#define ACK_NEEDS "one alarm id (a number) is needed"

struct watch_cfg {
	fedctl_out_opts out;
	uint64_t count;
	int64_t duration_ms;
};

static const fed_cfg_opt watch_opts[] = {
    FEDCTL_OUT_OPTS(struct watch_cfg, out),
    FED_CFG_OPT_UINT(struct watch_cfg, count, "count", "0", 0, 0,
        "stop after this many events (0: never)"),
    FED_CFG_OPT_DURATION(struct watch_cfg, duration_ms, "duration", "0", 0, 0,
        "stop after this long (0: never)"),
};

static const fed_cfg_spec watch_spec = {"fedctl alarm watch", "[OPTION]...",
    "Prints alarm events (raised, acknowledged, cleared) as the node "
    "publishes them on --stream. Ctrl-C stops.",
    watch_opts, FED_CFG_N(watch_opts), FED_CFG_ARGV_ONLY};

static fed_status
alarm_call(fedctl *c, const char *method, const void *req, void *rep)
{
	return fedctl_node_call(
	    c, &enfed__v1__alarm_service__descriptor, method, req, rep);
}

static const char *const type_names[]
    = {"-", "threshold", "stale", "daylight", "sibling", "daily"};

static const char *
type_name(int t)
{
	return t >= 0 && t < 6 ? type_names[t] : "?";
}

static cJSON *
rule_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__AlarmRule *r = msg;
	(void) c;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", r->id);
	cJSON_AddStringToObject(j, "series", r->series);
	cJSON_AddStringToObject(j, "type", type_name(r->type));
	cJSON_AddNumberToObject(j, "for_ms", (double) r->duration_ms);
	if (r->above != NULL)
		cJSON_AddNumberToObject(j, "above", r->above->value);
	if (r->below != NULL)
		cJSON_AddNumberToObject(j, "below", r->below->value);
	cJSON *h = cJSON_AddArrayToObject(j, "hook");
	for (size_t i = 0; i < r->n_hook_argv; i++)
		cJSON_AddItemToArray(h, cJSON_CreateString(r->hook_argv[i]));
	return j;
}

static void
rule_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__AlarmRule *r = msg;
	(void) c;
	printf("%-20s %-10s %-32s for %llds%s%s\n", r->id, type_name(r->type),
	    r->series, (long long) (r->duration_ms / 1000),
	    r->n_hook_argv > 0 ? "  hook " : "",
	    r->n_hook_argv > 0 ? r->hook_argv[0] : "");
}

static const fedctl_view rule_view = {.json = rule_json, .text = rule_text};
static const fedctl_view rules_view = {.rows = "rules",
    .json = rule_json,
    .text = rule_text,
    .empty = "(no rule)\n"};

// A number option given as text; 0 when absent, -1 on a bad number.
static int
opt_limit(fedctl *c, const char *name, const char *s,
    Enfed__V1__AlarmLimit *lim, Enfed__V1__AlarmLimit **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	char *end = NULL;
	lim->value = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(lim->value)) {
		fedctl_usage(c, "--%s: '%s' is not a number", name, s);
		return -1;
	}
	*out = lim;
	return 0;
}

static void
fill_rule(const struct add_cfg *cfg, Enfed__V1__AlarmRule *r)
{
	r->series = cfg->series;
	r->type = (Enfed__V1__AlarmRuleType) (cfg->type + 1);
	r->duration_ms = cfg->for_ms;
	r->clear_margin = cfg->clear_margin;
	r->latitude = cfg->lat;
	r->longitude = cfg->lon;
	r->peak_w = cfg->peak_w;
	r->min_ratio = cfg->min_ratio;
	r->min_elevation_deg = cfg->min_elevation;
	r->sibling_ratio = cfg->ratio;
	r->sibling_min = cfg->sibling_min;
	r->daily_multiple = cfg->multiple;
	r->daily_weeks = (uint32_t) cfg->weeks;
	r->tz = cfg->day_tz;
	r->hook_timeout_ms = cfg->hook != NULL ? cfg->hook_timeout_ms : 0;
}

static int
send_rule(fedctl *c, Enfed__V1__AlarmRule *r)
{
	Enfed__V1__CreateAlarmRuleRequest req
	    = ENFED__V1__CREATE_ALARM_RULE_REQUEST__INIT;
	req.rule = r;
	Enfed__V1__AlarmRule *rep = NULL;
	fed_status st = alarm_call(c, "CreateRule", &req, &rep);
	return fedctl_reply(c, &rule_view, st, rep);
}

static int
rule_add(fedctl *c, int argc, char **argv)
{
	char **args = NULL;
	size_t n_args = 0;
	if (fedctl_take_repeated(&argc, argv, "hook-arg", &args, &n_args)
	    != FED_OK)
		return fedctl_usage(c, "--hook-arg needs a value");
	struct add_cfg cfg = {0};
	fed_cfg_result res;
	int rc
	    = fedctl_load_sub(c, &add_spec, &cfg, argc, argv, &cfg.out, &res);
	static const fedctl_args one_rule = ONE_RULE;
	if (rc < 0)
		rc = fedctl_check_args(c, &one_rule, &res);
	if (rc < 0 && cfg.series == NULL)
		rc = fedctl_usage(c, "--series is needed");
	if (rc < 0 && cfg.hook == NULL && n_args > 0)
		rc = fedctl_usage(c, "--hook-arg without --hook");
	Enfed__V1__AlarmLimit hi = ENFED__V1__ALARM_LIMIT__INIT,
	                      lo = ENFED__V1__ALARM_LIMIT__INIT;
	Enfed__V1__AlarmRule r = ENFED__V1__ALARM_RULE__INIT;
	if (rc < 0
	    && (opt_limit(c, "above", cfg.above, &hi, &r.above) != 0
	        || opt_limit(c, "below", cfg.below, &lo, &r.below) != 0))
		rc = FEDCTL_EXIT_USAGE;
	char **hook = calloc(n_args + 2, sizeof(*hook));
	if (rc < 0 && hook == NULL)
		rc = fedctl_fail(c, FED_RESOURCE_EXHAUSTED, "hook");
	if (rc < 0) {
		r.id = res.args[0];
		fill_rule(&cfg, &r);
		if (cfg.hook != NULL) {
			hook[0] = cfg.hook;
			for (size_t i = 0; i < n_args; i++)
				hook[i + 1] = args[i];
			r.hook_argv = hook;
			r.n_hook_argv = n_args + 1;
		}
		rc = send_rule(c, &r);
	}
	free(hook);
	free(args);
	fed_cfg_fini(&add_spec, &cfg);
	return rc;
}

static int
rule_ls(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__ListAlarmRulesRequest req
	    = ENFED__V1__LIST_ALARM_RULES_REQUEST__INIT;
	req.prefix = in->n_args == 1 ? in->args[0] : "";
	Enfed__V1__ListAlarmRulesResponse *rep = NULL;
	fed_status st = alarm_call(c, "ListRules", &req, &rep);
	return fedctl_reply(c, &rules_view, st, rep);
}

static int
rule_rm(fedctl *c, const fedctl_verb_input *in)
{
	Enfed__V1__DeleteAlarmRuleRequest req
	    = ENFED__V1__DELETE_ALARM_RULE_REQUEST__INIT;
	req.id = in->args[0];
	Enfed__V1__DeleteAlarmRuleResponse *rep = NULL;
	fed_status st = alarm_call(c, "DeleteRule", &req, &rep);
	if (st == FED_OK)
		printf("rule %s deleted; %u active alarms cleared\n", req.id,
		    rep->n_cleared);
	return fedctl_reply(c, NULL, st, rep);
}

static const fedctl_verb rule_verbs[] = {
    {.name = "add", .main = rule_add, .help = "create a rule (admin)"},
    {.name = "ls",
        .run = rule_ls,
        .help = "list the rules",
        FEDCTL_OPTS(rule_ls_spec, fedctl_plain_cfg),
        .args = {0, 1, NULL, "at most one prefix"}},
    {.name = "rm",
        .run = rule_rm,
        .help = "delete a rule, clearing its alarms (admin)",
        FEDCTL_OPTS(rule_rm_spec, fedctl_plain_cfg),
        .args = ONE_RULE},
};

static int
alarm_rule(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "alarm rule",
	    "The node's alarm rules: threshold, stale, daylight, sibling, "
	    "daily.",
	    rule_verbs, sizeof(rule_verbs) / sizeof(rule_verbs[0]), argc,
	    argv);
}

static const char *
state_name(int s)
{
	return s == ENFED__V1__ALARM_STATE__ALARM_STATE_ACTIVE ? "active"
	                                                       : "cleared";
}

static cJSON *
alarm_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__Alarm *a = msg;
	char t[48];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double) a->id);
	cJSON_AddStringToObject(j, "rule", a->rule_id);
	cJSON_AddStringToObject(j, "type", type_name(a->type));
	cJSON_AddStringToObject(j, "series", a->series);
	cJSON_AddStringToObject(j, "state", state_name(a->state));
	fedctl_time_iso(c, a->raised_ms, t, sizeof(t));
	cJSON_AddStringToObject(j, "raised", t);
	cJSON_AddNumberToObject(j, "value", a->value);
	cJSON_AddStringToObject(j, "message", a->message);
	cJSON_AddStringToObject(j, "acked_by", a->acked_by);
	if (a->cleared_ms != 0) {
		fedctl_time_iso(c, a->cleared_ms, t, sizeof(t));
		cJSON_AddStringToObject(j, "cleared", t);
		cJSON_AddStringToObject(j, "clear_message", a->clear_message);
	}
	return j;
}

static void
alarm_text(const fedctl *c, const char *event, const Enfed__V1__Alarm *a)
{
	char t[48];
	fedctl_time_short(c, a->raised_ms, t, sizeof(t));
	printf("%-6llu %-12s %-8s %s  %-16s %s\n", (unsigned long long) a->id,
	    event != NULL ? event : state_name(a->state),
	    a->acked_ms != 0 ? "acked" : "-", t, a->rule_id,
	    event != NULL && strcmp(event, "cleared") == 0 ? a->clear_message
	                                                   : a->message);
}

// An alarm of a list: its state in the event's column.
static void
alarm_row(const fedctl *c, const void *msg)
{
	alarm_text(c, NULL, msg);
}

static const fedctl_view alarm_view = {.json = alarm_json, .text = alarm_row};
static const fedctl_view alarms_view = {.rows = "alarms",
    .json = alarm_json,
    .text = alarm_row,
    .empty = "(no alarm)\n"};

static int
alarm_ls(fedctl *c, const fedctl_verb_input *in)
{
	const struct ls_cfg *cfg = in->cfg;
	Enfed__V1__ListAlarmsRequest req
	    = ENFED__V1__LIST_ALARMS_REQUEST__INIT;
	req.active_only = cfg->active;
	req.rule_id = cfg->rule;
	req.series_prefix = cfg->prefix;
	req.limit = (uint32_t) cfg->limit;
	Enfed__V1__ListAlarmsResponse *rep = NULL;
	fed_status st = alarm_call(c, "ListAlarms", &req, &rep);
	return fedctl_reply(c, &alarms_view, st, rep);
}

static int
alarm_ack(fedctl *c, const fedctl_verb_input *in)
{
	char *end = NULL;
	unsigned long long id = strtoull(in->args[0], &end, 10);
	if (end == in->args[0] || *end != '\0')
		return fedctl_usage(c, ACK_NEEDS);
	Enfed__V1__AcknowledgeAlarmRequest req
	    = ENFED__V1__ACKNOWLEDGE_ALARM_REQUEST__INIT;
	req.id = id;
	Enfed__V1__Alarm *rep = NULL;
	fed_status st = alarm_call(c, "Acknowledge", &req, &rep);
	return fedctl_reply(c, &alarm_view, st, rep);
}

struct watcher {
	fedctl *c;
	uint64_t n;
};

static void
on_event(const fed_stream_event *ev, void *arg)
{
	struct watcher *w = arg;
	if (ev->kind != FED_STREAM_MSG || strcmp(ev->topic, "!alarm") != 0)
		return;
	Enfed__V1__AlarmEvent *e
	    = enfed__v1__alarm_event__unpack(NULL, ev->msg_len, ev->msg);
	if (e == NULL || e->alarm == NULL) {
		enfed__v1__alarm_event__free_unpacked(e, NULL);
		return;
	}
	static const char *const kinds[]
	    = {"?", "raised", "acknowledged", "cleared"};
	const char *k = (unsigned) e->kind < 4 ? kinds[e->kind] : "?";
	if (w->c->format == FEDCTL_JSON) {
		cJSON *j = alarm_json(w->c, e->alarm);
		cJSON_AddStringToObject(j, "event", k);
		cJSON_AddStringToObject(j, "node", e->node);
		fedctl_json_emit(j);
	} else {
		alarm_text(w->c, k, e->alarm);
	}
	fflush(stdout);
	w->n++;
	enfed__v1__alarm_event__free_unpacked(e, NULL);
}

static int
watch_loop(fedctl *c, const struct watch_cfg *cfg, const sigset_t *stop)
{
	fed_tls_opts tls = fedctl_tls(c);
	fed_stream_sub_opts so = {.url = c->g->stream, .tls = &tls};
	fed_stream_sub *sub = NULL;
	fed_status st = fed_stream_sub_new(&so, &sub);
	if (st == FED_OK)
		st = fed_stream_sub_subscribe(sub, "!alarm");
	if (st != FED_OK) {
		fed_stream_sub_free(sub);
		return fedctl_fail(c, st, "--stream '%s'", c->g->stream);
	}
	struct watcher w = {c, 0};
	int64_t end = cfg->duration_ms > 0
	    ? fed_clock_mono_ms() + cfg->duration_ms
	    : INT64_MAX;
	struct timespec zero = {0, 0};
	while ((cfg->count == 0 || w.n < cfg->count)
	    && fed_clock_mono_ms() < end
	    && sigtimedwait(stop, NULL, &zero) <= 0) {
		st = fed_stream_sub_recv(sub, 200, on_event, &w);
		if (st == FED_UNAVAILABLE)
			break;
		st = FED_OK;
	}
	fed_stream_sub_free(sub);
	return fedctl_exit_code(st);
}

static int
alarm_watch(fedctl *c, const fedctl_verb_input *in)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	// Blocked before nng starts its threads, so only the loop sees them.
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	return watch_loop(c, in->cfg, &stop);
}

static const fedctl_verb verbs[] = {
    {.name = "rule",
        .main = alarm_rule,
        .help = "add | ls | rm: the alarm rules"},
    {.name = "ls",
        .run = alarm_ls,
        .help = "list active and past alarms",
        FEDCTL_OPTS(ls_spec, struct ls_cfg)},
    {.name = "ack",
        .run = alarm_ack,
        .help = "acknowledge an alarm",
        FEDCTL_OPTS(ack_spec, fedctl_plain_cfg),
        .args = FEDCTL_EXACTLY(1, ACK_NEEDS)},
    {.name = "watch",
        .run = alarm_watch,
        .help = "print alarm events as they happen",
        FEDCTL_OPTS(watch_spec, struct watch_cfg)},
};

int
cmd_alarm(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "alarm",
	    "Alarms of a node: rules, alarms, acknowledgement, live events.",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
