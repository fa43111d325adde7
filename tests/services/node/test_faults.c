// SPDX-License-Identifier: MIT
//
// test_faults.c: replication between two real fed-node processes, lognact
// (the owner) and bmhs (the grantee), over a faulty link, points ingested
// steadily on the owner all along. After each fault, every point is on the
// grantee exactly once, with its value, and the owner's outbox is empty:
// - through the fault-injecting proxy (fed_proxy.h) that lognact's peers
//   file names as bmhs: a delay and a bandwidth limit; every connection
//   dropped several times; a half-open link (read, never answered nor
//   closed: the replicator's call times out, --replicate-timeout, and it
//   redials); connections reset in the middle of a message;
// - fed-node killed (-9) 20 times at random moments, the owner mostly and
//   sometimes the grantee, while a collector ingests days of points and 8
//   meters send one point a call at once (their calls share commits: group
//   commit, fed-node's default), and replication runs: every acknowledged
//   point is on both exactly once, the outbox drains,
//   and both databases pass node_store_check (sqlite's integrity_check
//   and every block against its row);
// - in two network namespaces joined by a veth pair (a private /30 that
//   exists only inside them), the link taken down for a few seconds. The
//   test process reaches both nodes over ipc://, which namespaces do not
//   separate. Without permission to create namespaces, it is skipped.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <cmocka.h>

#include "enfed/v1/grant.pb-c.h"
#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_proxy.h"
#include "fed_test.h"
#include "store.h"

#define ADMIN_L "lognact-admin-token"
#define ADMIN_B "bmhs-admin-token"
#define REPL_LB "lognact-pushes-to-bmhs"
#define SERIES  "kermelo/pv/energy"
#define T0      INT64_C(1767222000000) // 2026-01-01T00:00:00+01:00
#define DAY     288
#define TIMEOUT "--replicate-timeout=1500ms"

// The namespaces (named after the pid, see name_netns) and their /30:
// nothing outside them sees it.
static char ns_l[32], ns_b[32];
#define VETH_L "fedt-l"
#define VETH_B "fedt-b"
#define ADDR_L "10.231.77.1"
#define ADDR_B "10.231.77.2"

struct node {
	const char *name, *admin, *ns; // ns: NULL, or the namespace to run in
	char rpc[256], stream[128], tokens[512], opts[4][700];
	const char *extra[5];
	int pid;
	fed_rpc_client *cli;
};

struct world {
	char *dir;
	struct node l, b;
	fed_proxy *proxy;
	int days; // days [0, days) ingested on the owner
	int netns; // the namespaces were created
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static fed_rpc_client *
client(const char *url, const char *token)
{
	fed_rpc_client *c = fed_test_client(url, token);
	assert_non_null(c);
	return c;
}

// The path of an iproute2 tool (ip, tc), or NULL.
static const char *
tool(const char *name)
{
	static const char *const dirs[]
	    = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
	static char path[64];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

// Puts a token-bucket rate limit (`tc qdisc ... tbf`) of rate on dev in
// namespace ns, or removes it (rate NULL). Returns tc's exit status, -1
// without tc.
static int
tbf(const char *ns, const char *dev, const char *rate)
{
	const char *tc = tool("tc");
	if (tc == NULL)
		return -1;
	char *add[] = {(char *) tc, "-n", (char *) ns, "qdisc", "add", "dev",
	    (char *) dev, "root", "tbf", "rate", (char *) rate, "burst", "4kb",
	    "latency", "500ms", NULL};
	char *del[] = {(char *) tc, "-n", (char *) ns, "qdisc", "del", "dev",
	    (char *) dev, "root", NULL};
	return fed_test_run(rate != NULL ? add : del, NULL, NULL, NULL);
}

// Runs `ip a0 a1 ...` (at most 8 arguments); its exit status.
static int
ip(const char *a0, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5, const char *a6, const char *a7)
{
	const char *ip_path = tool("ip");
	if (ip_path == NULL)
		return -1;
	char *argv[] = {(char *) ip_path, (char *) a0, (char *) a1,
	    (char *) a2, (char *) a3, (char *) a4, (char *) a5, (char *) a6,
	    (char *) a7, NULL};
	return fed_test_run(argv, NULL, NULL, NULL);
}

// Starts n (inside its namespace when it has one) and opens its client.
static void
start(struct world *w, struct node *n)
{
	if (n->ns == NULL) {
		n->pid = fed_test_node_start_ex(FED_NODE_BIN, n->name, w->dir,
		    n->rpc, n->stream, n->admin, n->tokens, n->extra);
	} else {
		char a[6][700], log[600];
		snprintf(a[0], sizeof(a[0]), "--name=%s", n->name);
		snprintf(a[1], sizeof(a[1]), "--data-dir=%s/data-%s", w->dir,
		    n->name);
		snprintf(a[2], sizeof(a[2]), "--listen=%s", n->rpc);
		snprintf(a[3], sizeof(a[3]), "--stream=%s", n->stream);
		snprintf(a[4], sizeof(a[4]), "--admin-token=%s", n->admin);
		snprintf(a[5], sizeof(a[5]), "--tokens-file=%s", n->tokens);
		snprintf(log, sizeof(log), "%s/%s.log", w->dir, n->name);
		char *argv[16] = {(char *) tool("ip"), "netns", "exec",
		    (char *) n->ns, FED_NODE_BIN, a[0], a[1], a[2], a[3], a[4],
		    a[5], "--log-level=debug"};
		for (int i = 0; n->extra[i] != NULL && 12 + i < 15; i++)
			argv[12 + i] = (char *) n->extra[i];
		n->pid = fed_test_proc_start(argv, log);
		// Health over the ipc:// address, the first of its list.
		char url[128];
		snprintf(url, sizeof(url), "%.*s", (int) strcspn(n->rpc, ","),
		    n->rpc);
		if (n->pid > 0 && fed_test_wait_health(url, 10000) != FED_OK) {
			fed_test_proc_stop(n->pid, SIGKILL, 1000);
			n->pid = -1;
		}
	}
	assert_true(n->pid > 0);
	if (n->cli == NULL) {
		char url[128];
		snprintf(url, sizeof(url), "%.*s", (int) strcspn(n->rpc, ","),
		    n->rpc);
		n->cli = client(url, n->admin);
	}
}

// bmhs accepts lognact's pushes with REPL_LB; lognact's peers file names
// bmhs at bmhs_addr, its calls bounded by TIMEOUT.
static void
prepare(struct world *w, const char *bmhs_addr)
{
	struct node *l = &w->l, *b = &w->b;
	char hash[FED_TOKEN_HASH_LEN + 1], line[700], peers[600];
	l->name = "lognact";
	l->admin = ADMIN_L;
	b->name = "bmhs";
	b->admin = ADMIN_B;
	fed_test_ipc_url(l->stream, sizeof(l->stream), "lognact");
	fed_test_ipc_url(b->stream, sizeof(b->stream), "bmhs");
	snprintf(b->tokens, sizeof(b->tokens), "%s/bmhs.tokens", w->dir);
	fed_token_hash(REPL_LB, hash);
	snprintf(line, sizeof(line), "lognact replica %s\n", hash);
	write_file(b->tokens, line);
	snprintf(l->tokens, sizeof(l->tokens), "%s/lognact.tokens", w->dir);
	write_file(l->tokens, "");
	snprintf(peers, sizeof(peers), "%s/lognact.peers", w->dir);
	snprintf(line, sizeof(line), "bmhs %s %s\n", bmhs_addr, REPL_LB);
	write_file(peers, line);
	snprintf(l->opts[0], sizeof(l->opts[0]), "--peers-file=%s", peers);
	l->extra[0] = l->opts[0];
	l->extra[1] = TIMEOUT;
}

static void
create_id(fed_rpc_client *c, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_PRODUCTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	enfed__v1__series_info__free_unpacked(info, NULL);
}

static void
create(fed_rpc_client *c)
{
	create_id(c, SERIES);
}

static void
grant_live(fed_rpc_client *owner)
{
	Enfed__V1__Scope sc[2]
	    = {ENFED__V1__SCOPE__SCOPE_QUERY, ENFED__V1__SCOPE__SCOPE_LIVE};
	Enfed__V1__Grant g = ENFED__V1__GRANT__INIT;
	g.series = "kermelo/pv/";
	g.grantee_node = "bmhs";
	g.scopes = sc;
	g.n_scopes = 2;
	Enfed__V1__CreateGrantRequest req
	    = ENFED__V1__CREATE_GRANT_REQUEST__INIT;
	req.grant = &g;
	Enfed__V1__CreateGrantResponse *rep = NULL;
	char err[256];
	assert_int_equal(
	    fed_rpc_call(owner, &enfed__v1__grants__descriptor, "Create",
	        &req.base, (ProtobufCMessage **) &rep, err, sizeof(err)),
	    FED_OK);
	enfed__v1__create_grant_response__free_unpacked(rep, NULL);
}

// Sends points first .. first+n-1 (n <= DAY) of series id to the owner
// behind c, the value of each its index.
static fed_status
send_points(fed_rpc_client *c, const char *id, int first, int n)
{
	int64_t ts[DAY];
	double v[DAY];
	for (int i = 0; i < n; i++) {
		ts[i] = T0 + (int64_t) (first + i) * 300000;
		v[i] = first + i;
	}
	Enfed__V1__SeriesPoints sp = ENFED__V1__SERIES_POINTS__INIT,
	                        *l[1] = {&sp};
	sp.series_id = (char *) id;
	sp.ts_ms = ts;
	sp.value = v;
	sp.n_ts_ms = sp.n_value = (size_t) n;
	Enfed__V1__IngestRequest req = ENFED__V1__INGEST_REQUEST__INIT;
	req.series = l;
	req.n_series = 1;
	Enfed__V1__IngestResponse *rep = NULL;
	fed_status st = fed_test_store_call(c, "Ingest", &req, &rep);
	if (rep != NULL)
		enfed__v1__ingest_response__free_unpacked(rep, NULL);
	return st;
}

// Sends day `day` of SERIES: points day*288 .. day*288+287.
static fed_status
send_day(fed_rpc_client *c, int day)
{
	return send_points(c, SERIES, day * DAY, DAY);
}

// Ingests the next day on the owner.
static void
ingest_day(struct world *w)
{
	assert_int_equal(send_day(w->l.cli, w->days), FED_OK);
	w->days++;
}

// Ingests a day every period_ms during ms.
static void
ingest_for(struct world *w, int ms, int period_ms)
{
	for (int64_t end = fed_test_now_ms() + ms; fed_test_now_ms() < end;) {
		ingest_day(w);
		fed_test_sleep_ms(period_ms);
	}
}

static uint64_t
count(fed_rpc_client *c)
{
	Enfed__V1__GetSeriesRequest g = ENFED__V1__GET_SERIES_REQUEST__INIT;
	g.id = SERIES;
	Enfed__V1__SeriesInfo *info = NULL;
	if (fed_test_store_call(c, "GetSeries", &g, &info) != FED_OK)
		return 0;
	uint64_t n = info->n_points;
	enfed__v1__series_info__free_unpacked(info, NULL);
	return n;
}

// The raw points of c's series over days [0, days): exactly those the
// owner ingested, each once, with its value.
static void
check_exact(fed_rpc_client *c, int days)
{
	assert_true(fed_test_exact_points(c, SERIES, T0, 300000,
	    (size_t) days * DAY, T0 + (int64_t) (days + 1) * DAY * 300000));
}

// Rows waiting in the owner's outbox, read from its store while it is
// stopped.
static uint64_t
outbox_rows(const struct world *w)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/data-lognact", w->dir);
	node_store_opts o;
	node_store_opts_init(&o);
	node_store *st = NULL;
	node_store_err e = {{0}};
	assert_int_equal(node_store_open(path, &o, &st, &e), FED_OK);
	uint64_t n = UINT64_MAX;
	assert_int_equal(node_store_outbox_count(st, "", &n, &e), FED_OK);
	node_store_close(st);
	return n;
}

// Waits for the grantee to hold every point ingested, checks them, then that
// the owner's outbox drained: the owner is stopped to read it, and started
// again. Waits (up to 60 s) for the grantee to hold as many points as
// ingested.
static void
wait_all(struct world *w)
{
	uint64_t want = (uint64_t) w->days * DAY, n = 0;
	for (int i = 0; i < 1200 && (n = count(w->b.cli)) < want; i++)
		fed_test_sleep_ms(50);
	assert_int_equal(n, want);
}

// Waits (up to 30 s) until nothing has gone up through the proxy for
// quiet_ms: the owner sends nothing once its outbox is empty.
static void
wait_quiet(struct world *w, int quiet_ms)
{
	fed_proxy_stats s;
	fed_proxy_stats_get(w->proxy, &s);
	uint64_t up = s.bytes_up;
	int64_t end = fed_test_now_ms() + 30000, since = fed_test_now_ms();
	while (
	    fed_test_now_ms() - since < quiet_ms && fed_test_now_ms() < end) {
		fed_test_sleep_ms(100);
		fed_proxy_stats_get(w->proxy, &s);
		if (s.bytes_up != up) {
			up = s.bytes_up;
			since = fed_test_now_ms();
		}
	}
}

static void
settle(struct world *w)
{
	wait_all(w);
	check_exact(w->b.cli, w->days);
	// The acknowledgements follow the grantee's store closely, unless the
	// calls timed out after delivering (a slow link): the owner then sends
	// those rows again, in smaller calls. Stopped sooner each time.
	static const int wait_ms[] = {300, 1000, 3000, 6000, 10000};
	uint64_t rows = 1;
	for (size_t i = 0; i < 5 && rows > 0; i++) {
		fed_test_sleep_ms(wait_ms[i]);
		assert_int_equal(
		    fed_test_proc_stop(w->l.pid, SIGTERM, 10000), 0);
		rows = outbox_rows(w);
		start(w, &w->l);
		if (rows > 0)
			print_message("outbox: %llu rows after %d ms\n",
			    (unsigned long long) rows, wait_ms[i]);
	}
	assert_int_equal(rows, 0);
}

static void
stop_all(struct world *w)
{
	struct node *n[2] = {&w->l, &w->b};
	for (int i = 0; i < 2; i++) {
		fed_rpc_client_free(n[i]->cli);
		n[i]->cli = NULL;
		if (n[i]->pid > 0)
			fed_test_proc_stop(n[i]->pid, SIGTERM, 10000);
		n[i]->pid = -1;
	}
}

static int
teardown(void **state)
{
	struct world *w = *state;
	if (w == NULL)
		return 0;
	stop_all(w);
	fed_proxy_free(w->proxy);
	if (w->netns) {
		ip("netns", "del", ns_l, NULL, NULL, NULL, NULL, NULL);
		ip("netns", "del", ns_b, NULL, NULL, NULL, NULL, NULL);
	}
	if (w->dir != NULL) {
		fed_test_rmtree(w->dir);
		free(w->dir);
	}
	free(w);
	*state = NULL;
	return 0;
}

static void
test_through_proxy(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	*state = w;
	w->dir = fed_test_tmpdir("faults");
	assert_non_null(w->dir);
	int bport = fed_test_free_port();
	assert_true(bport > 0);
	assert_int_equal(fed_proxy_new(0, bport, &w->proxy), FED_OK);
	char via[64];
	snprintf(
	    via, sizeof(via), "tcp://127.0.0.1:%d", fed_proxy_port(w->proxy));
	prepare(w, via);
	snprintf(w->b.rpc, sizeof(w->b.rpc), "tcp://127.0.0.1:%d", bport);
	fed_test_ipc_url(w->l.rpc, sizeof(w->l.rpc), "lognact-rpc");
	start(w, &w->b);
	start(w, &w->l);
	create(w->l.cli);
	ingest_day(w);
	grant_live(w->l.cli);
	settle(w);
	fed_proxy_stats s0, s1;
	fed_proxy_stats_get(w->proxy, &s0);
	assert_true(s0.bytes_up > 0 && s0.bytes_down > 0);

	// (a) A slow link: 30 ms per chunk, 8 kB/s (less than what the
	// ingests make: the replicator falls behind, then catches up).
	fed_proxy_set_delay_ms(w->proxy, 30);
	fed_proxy_set_rate(w->proxy, 8000);
	ingest_for(w, 2000, 100);
	int64_t t = fed_test_now_ms();
	wait_all(w);
	print_message("slow link: caught up %lld ms after the last ingest\n",
	    (long long) (fed_test_now_ms() - t));
	// Calls that timed out after delivering are sent again, in smaller
	// calls, until the owner hears they arrived.
	wait_quiet(w, 2500);
	settle(w);
	fed_proxy_set_delay_ms(w->proxy, 0);
	fed_proxy_set_rate(w->proxy, 0);

	// (b) Every connection dropped, five times, each once the owner has
	// connected again and points have come meanwhile.
	fed_proxy_stats_get(w->proxy, &s0);
	for (int i = 0; i < 5; i++) {
		ingest_for(w, 300, 100);
		int64_t until = fed_test_now_ms() + 10000;
		do {
			ingest_for(w, 100, 100);
			fed_proxy_stats_get(w->proxy, &s1);
		} while (s1.n_open == 0 && fed_test_now_ms() < until);
		assert_true(s1.n_open > 0);
		fed_proxy_drop_all(w->proxy);
	}
	settle(w);
	fed_proxy_stats_get(w->proxy, &s1);
	assert_true(s1.n_faulted >= s0.n_faulted + 5);

	// (c) Half-open for 4 s, the connection established before (points
	// went through it): calls go unanswered, time out, are retried on a
	// new connection, the stalled one never closing.
	ingest_day(w);
	wait_all(w);
	fed_proxy_stats_get(w->proxy, &s0);
	assert_true(s0.n_open > 0);
	fed_proxy_set_stalled(w->proxy, 1);
	ingest_for(w, 4000, 200);
	fed_proxy_set_stalled(w->proxy, 0);
	int64_t t_unstall = fed_test_now_ms();
	wait_all(w);
	print_message(
	    "half-open: caught up %lld ms after the link came back\n",
	    (long long) (fed_test_now_ms() - t_unstall));
	settle(w);
	fed_proxy_stats_get(w->proxy, &s1);
	assert_true(s1.bytes_swallowed > s0.bytes_swallowed);
	assert_true(s1.n_accepted > s0.n_accepted); // redialled

	// (d) Three connections reset 100 bytes into a message.
	fed_proxy_stats_get(w->proxy, &s0);
	fed_proxy_reset_mid(w->proxy, 100, 3);
	int64_t until = fed_test_now_ms() + 10000;
	do {
		ingest_for(w, 200, 100);
		fed_proxy_stats_get(w->proxy, &s1);
	} while (s1.n_faulted < s0.n_faulted + 3 && fed_test_now_ms() < until);
	assert_int_equal(s1.n_faulted, s0.n_faulted + 3);
	settle(w);
	fed_proxy_reset_mid(w->proxy, 0, 0);
	print_message("proxy: %d days (%d points); %llu bytes up, %llu down, "
	              "%llu connections, %llu faulted\n",
	    w->days, w->days * DAY, (unsigned long long) s1.bytes_up,
	    (unsigned long long) s1.bytes_down,
	    (unsigned long long) s1.n_accepted,
	    (unsigned long long) s1.n_faulted);
}

// ---- Kill -9 at random moments --------------------------------------------

// A collector: sends the next day, again until the owner acknowledges it
// (it may be down, or die between its commit and its answer: the resent
// batch is stored once), then the next. Only this thread writes w->days
// until it is joined.
struct collector {
	struct world *w;
	fed_rpc_client *cli;
	atomic_int stop;
	atomic_int acked; // days acknowledged so far
	int failed; // a day not acknowledged within 60 s
	fed_status last; // the last refused send's status, when failed
	int n_retries;
	pthread_t thread;
};

static void *
collect(void *arg)
{
	struct collector *c = arg;
	while (!atomic_load(&c->stop)) {
		int64_t end = fed_test_now_ms() + 60000;
		fed_status st;
		while ((st = send_day(c->cli, c->w->days)) != FED_OK
		    && fed_test_now_ms() < end) {
			c->n_retries++;
			fed_test_sleep_ms(50);
		}
		if (st != FED_OK) {
			c->failed = 1;
			c->last = st;
			break;
		}
		c->w->days++;
		atomic_fetch_add(&c->acked, 1);
		fed_test_sleep_ms(20);
	}
	return NULL;
}

// A meter: one point a call on its own series, the next once the owner
// acknowledged the last (resent until it does, as the collector).
#define N_METERS 8

struct meter {
	const char *url;
	char id[64];
	atomic_int *stop;
	int acked; // points acknowledged; read once joined
	int failed;
	fed_status last; // the last refused call's status, when failed
	int64_t failed_at_ms; // when it gave up (fed_test_now_ms)
	pthread_t thread;
};

static void *
meter_run(void *arg)
{
	struct meter *m = arg;
	fed_rpc_client *cli = fed_test_client(m->url, ADMIN_L);
	if (cli == NULL) {
		m->failed = 1;
		return NULL;
	}
	while (!atomic_load(m->stop) && m->acked < DAY * 100) {
		int64_t end = fed_test_now_ms() + 60000;
		fed_status st;
		while ((st = send_points(cli, m->id, m->acked, 1)) != FED_OK
		    && fed_test_now_ms() < end)
			fed_test_sleep_ms(20);
		if (st != FED_OK) {
			m->failed = 1;
			m->last = st;
			m->failed_at_ms = fed_test_now_ms();
			break;
		}
		m->acked++;
	}
	fed_rpc_client_free(cli);
	return NULL;
}

static void
meters_start(struct world *w, struct meter *m, atomic_int *stop)
{
	for (int k = 0; k < N_METERS; k++) {
		m[k] = (struct meter) {.url = w->l.rpc, .stop = stop};
		snprintf(m[k].id, sizeof(m[k].id), "kermelo/pv/m%d", k);
		create_id(w->l.cli, m[k].id);
		assert_int_equal(
		    pthread_create(&m[k].thread, NULL, meter_run, &m[k]), 0);
	}
}

// Prints the last lines of node n's log (what it did when a check failed:
// the folder is removed at teardown).
static void
log_tail(const struct world *w, const struct node *n)
{
	char path[700], *text = NULL;
	snprintf(path, sizeof(path), "%s/%s.log", w->dir, n->name);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	long len = ftell(f), from = len > 6000 ? len - 6000 : 0;
	fseek(f, from, SEEK_SET);
	text = calloc(1, (size_t) (len - from) + 1);
	if (text != NULL && fread(text, 1, (size_t) (len - from), f) > 0)
		print_message(
		    "--- the end of %s's log:\n%s\n---\n", n->name, text);
	free(text);
	fclose(f);
}

// Each meter's acknowledged points, exactly, on node c.
static void
meters_check(const struct world *w, fed_rpc_client *c, const struct meter *m)
{
	for (int k = 0; k < N_METERS; k++) {
		if (m[k].failed) {
			print_message(
			    "meter %d gave up at point %d, %lld ms "
			    "after the epoch of the test clock: %s\n",
			    k, m[k].acked, (long long) m[k].failed_at_ms,
			    fed_status_name(m[k].last));
			log_tail(w, &w->l);
		}
		assert_false(m[k].failed);
		assert_true(fed_test_exact_points(c, m[k].id, T0, 300000,
		    (size_t) m[k].acked,
		    T0 + (int64_t) (m[k].acked + 1) * 300000));
	}
}

// The store of node `name`, stopped, passes node_store_check.
static void
check_store(const struct world *w, const char *name)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/data-%s", w->dir, name);
	node_store *st = NULL;
	node_store_err e = {{0}};
	assert_int_equal(node_store_open(path, NULL, &st, &e), FED_OK);
	fed_status res = node_store_check(st, &e);
	if (res != FED_OK)
		print_message("%s: %s\n", name, e.msg);
	node_store_close(st);
	assert_int_equal(res, FED_OK);
}

static void
test_kill_loop(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	*state = w;
	w->dir = fed_test_tmpdir("faultskill");
	assert_non_null(w->dir);
	snprintf(w->b.rpc, sizeof(w->b.rpc), "tcp://127.0.0.1:%d",
	    fed_test_free_port());
	prepare(w, w->b.rpc);
	fed_test_ipc_url(w->l.rpc, sizeof(w->l.rpc), "lognact-rpc");
	start(w, &w->b);
	start(w, &w->l);
	create(w->l.cli);
	grant_live(w->l.cli);
	struct collector c = {.w = w, .cli = client(w->l.rpc, ADMIN_L)};
	assert_int_equal(pthread_create(&c.thread, NULL, collect, &c), 0);
	struct meter meters[N_METERS];
	meters_start(w, meters, &c.stop);
	unsigned seed = (unsigned) fed_test_now_ms();
	print_message("kill loop: seed %u\n", seed);
	int n_owner = 0, n_grantee = 0;
	for (int k = 0; k < 20; k++) {
		// The collector gets a day through since the last restart (a
		// slow restart, under a sanitizer, must not starve it), then
		// the kill comes at a random moment of its ingests.
		int acked = atomic_load(&c.acked);
		for (int i = 0; i < 600 && atomic_load(&c.acked) == acked; i++)
			fed_test_sleep_ms(50);
		fed_test_sleep_ms(100 + (int) (rand_r(&seed) % 400));
		struct node *victim = k % 4 == 3 ? &w->b : &w->l;
		assert_int_equal(
		    fed_test_proc_stop(victim->pid, SIGKILL, 5000),
		    128 + SIGKILL);
		start(w, victim);
		*(victim == &w->l ? &n_owner : &n_grantee) += 1;
	}
	atomic_store(&c.stop, 1);
	pthread_join(c.thread, NULL);
	fed_rpc_client_free(c.cli);
	if (c.failed) {
		print_message("the collector gave up on day %d: %s\n", w->days,
		    fed_status_name(c.last));
		log_tail(w, &w->l);
	}
	assert_false(c.failed);
	int n_meter_points = 0;
	for (int k = 0; k < N_METERS; k++) {
		pthread_join(meters[k].thread, NULL);
		n_meter_points += meters[k].acked;
	}
	print_message("kill loop: %d kills of the owner, %d of the grantee; "
	              "%d days (%d points) acknowledged, %d sends retried\n",
	    n_owner, n_grantee, w->days, w->days * DAY, c.n_retries);
	print_message(
	    "kill loop: %d meters, %d one-point calls acknowledged\n",
	    N_METERS, n_meter_points);
	settle(w); // on the grantee exactly once; the outbox drained
	check_exact(w->l.cli, w->days);
	meters_check(w, w->l.cli, meters);
	meters_check(
	    w, w->b.cli, meters); // the outbox drained: all replicated
	stop_all(w);
	check_store(w, "lognact");
	check_store(w, "bmhs");
}

// Creates both namespaces joined by a veth pair; 0 when not permitted.
static int
make_netns(struct world *w)
{
	snprintf(ns_l, sizeof(ns_l), "fedt-%ld-lognact", (long) getpid());
	snprintf(ns_b, sizeof(ns_b), "fedt-%ld-bmhs", (long) getpid());
	if (tool("ip") == NULL
	    || ip("netns", "add", ns_l, NULL, NULL, NULL, NULL, NULL) != 0)
		return 0;
	w->netns = 1;
	assert_int_equal(
	    ip("netns", "add", ns_b, NULL, NULL, NULL, NULL, NULL), 0);
	return 1;
}

static void
link_netns(void)
{
	char *add[] = {(char *) tool("ip"), "-n", ns_l, "link", "add", VETH_L,
	    "type", "veth", "peer", "name", VETH_B, "netns", ns_b, NULL};
	assert_int_equal(fed_test_run(add, NULL, NULL, NULL), 0);
	assert_int_equal(
	    ip("-n", ns_l, "addr", "add", ADDR_L "/30", "dev", VETH_L, NULL),
	    0);
	assert_int_equal(
	    ip("-n", ns_b, "addr", "add", ADDR_B "/30", "dev", VETH_B, NULL),
	    0);
	const char *ns[2] = {ns_l, ns_b}, *dev[2] = {VETH_L, VETH_B};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		    ip("-n", ns[i], "link", "set", dev[i], "up", NULL, NULL),
		    0);
		assert_int_equal(
		    ip("-n", ns[i], "link", "set", "lo", "up", NULL, NULL), 0);
	}
}

static void
test_netns_link_down(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	*state = w;
	w->dir = fed_test_tmpdir("faultsns");
	assert_non_null(w->dir);
	if (!make_netns(w))
		skip(); // no permission to create network namespaces
	link_netns();
	prepare(w, "tcp://" ADDR_B ":7410");
	w->l.ns = ns_l;
	w->b.ns = ns_b;
	char ipl[128], ipb[128];
	fed_test_ipc_url(ipl, sizeof(ipl), "lognact-local");
	fed_test_ipc_url(ipb, sizeof(ipb), "bmhs-local");
	snprintf(w->l.rpc, sizeof(w->l.rpc), "%s", ipl);
	snprintf(w->b.rpc, sizeof(w->b.rpc), "%s,tcp://" ADDR_B ":7410", ipb);
	start(w, &w->b);
	start(w, &w->l);
	create(w->l.cli);
	ingest_day(w);
	grant_live(w->l.cli);
	settle(w);
	// The link goes down for 4 s while points keep coming, then up.
	ingest_for(w, 500, 100);
	assert_int_equal(
	    ip("-n", ns_l, "link", "set", VETH_L, "down", NULL, NULL), 0);
	ingest_for(w, 4000, 200);
	assert_int_equal(count(w->b.cli) < (uint64_t) w->days * DAY, 1);
	assert_int_equal(
	    ip("-n", ns_l, "link", "set", VETH_L, "up", NULL, NULL), 0);
	int64_t t = fed_test_now_ms();
	wait_all(w);
	print_message("veth: caught up %lld ms after the link came up\n",
	    (long long) (fed_test_now_ms() - t));
	// Then the link slowed to 64 kbit/s by a token bucket for 4 s (this
	// kernel has no netem): replication goes on, late, and catches up.
	if (tbf(ns_l, VETH_L, "64kbit") == 0) {
		uint64_t before = count(w->b.cli);
		ingest_for(w, 4000, 200);
		assert_true(count(w->b.cli) > before); // through the slow link
		assert_int_equal(tbf(ns_l, VETH_L, NULL), 0);
		t = fed_test_now_ms();
		wait_all(w);
		print_message(
		    "tbf 64 kbit/s: caught up %lld ms after the limit "
		    "was lifted\n",
		    (long long) (fed_test_now_ms() - t));
	} else {
		print_message(
		    "tbf: skipped (no tc, or no tbf in this kernel)\n");
	}
	ingest_for(w, 500, 100);
	settle(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_through_proxy, teardown),
	    cmocka_unit_test_teardown(test_kill_loop, teardown),
	    cmocka_unit_test_teardown(test_netns_link_down, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
