// SPDX-License-Identifier: MIT
//
// test_node_backup.c: `fedctl node backup FILE` against a real fed-node
// that keeps ingesting meanwhile, then the documented restore: the copy
// put in place of series.db in a second node's data directory. Every
// batch acknowledged before the backup started is in the copy, every batch
// is there whole or not at all (one Ingest, one transaction), the restored
// store passes `fedctl node check`; a reader's token is refused and writes
// no file; an existing FILE is kept unless --force.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enfed/v1/series.pb-c.h"
#include "fed/rpc.h"
#include "fed/token.h"
#include "fed_test.h"

#define T0          INT64_C(1767225600000) // 2026-01-01T00:00Z
#define MIN5        INT64_C(300000)
#define FOUR_WEEKS  (28 * INT64_C(86400000))
#define BATCH       100 // points per Ingest of the writer
#define MAX_BATCHES 3000
#define ADMIN       "backup-admin-token"
#define READER      "backup-reader-token"

static struct {
	char *dir;
	char rpc[200], stream[200];
	int pid;
	fed_rpc_client *c;
	// The writer thread: batches acknowledged so far.
	atomic_int acked;
	atomic_int stop;
} e;

static int
setup(void **state)
{
	(void) state;
	e.dir = fed_test_tmpdir("backup");
	fed_test_isolate_fedctl(e.dir);
	fed_test_ipc_url(e.rpc, sizeof(e.rpc), "backup-rpc");
	fed_test_ipc_url(e.stream, sizeof(e.stream), "backup-stream");
	char tokens[600], hash[65];
	snprintf(tokens, sizeof(tokens), "%s/tokens", e.dir);
	fed_token_hash(READER, hash);
	FILE *fp = fopen(tokens, "w");
	assert_non_null(fp);
	fprintf(fp, "viewer reader %s\n", hash);
	fclose(fp);
	e.pid = fed_test_node_start(
	    FED_NODE_BIN, "a", e.dir, e.rpc, e.stream, ADMIN, tokens);
	assert_true(e.pid > 0);
	e.c = fed_test_client(e.rpc, ADMIN);
	return e.c != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	fed_rpc_client_free(e.c);
	if (e.pid > 0)
		fed_test_proc_stop(e.pid, SIGTERM, 5000);
	fed_test_rmtree(e.dir);
	free(e.dir);
	return 0;
}

static void
create(fed_rpc_client *c, const char *id)
{
	Enfed__V1__SeriesMeta m = ENFED__V1__SERIES_META__INIT;
	m.id = (char *) id;
	m.owner = (char *) "test";
	m.kind = ENFED__V1__SERIES_KIND__SERIES_KIND_CONSUMPTION;
	m.unit = ENFED__V1__UNIT__UNIT_WH;
	m.interval_s = 300;
	m.tz = (char *) "UTC";
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = &m;
	Enfed__V1__SeriesInfo *info = NULL;
	assert_int_equal(
	    fed_test_store_call(c, "CreateSeries", &req, &info), FED_OK);
	protobuf_c_message_free_unpacked(&info->base, NULL);
}

// Ingests batch after batch into h/live until told to stop.
static void *
writer(void *arg)
{
	(void) arg;
	fed_rpc_client *c = fed_test_client(e.rpc, ADMIN);
	for (int i = 0; c != NULL && i < MAX_BATCHES && !atomic_load(&e.stop);
	     i++) {
		int64_t from = T0 + (int64_t) i * BATCH * MIN5;
		if (fed_test_ingest_every(c, "h/live", from,
		        from + BATCH * MIN5, MIN5, 1, 0, 0, NULL, NULL)
		    != FED_OK)
			break;
		atomic_store(&e.acked, i + 1);
	}
	fed_rpc_client_free(c);
	return NULL;
}

static int
fedctl(const char *token, char **out, const char *a, const char *b,
    const char *c, const char *d)
{
	char node[300], tok[100];
	snprintf(node, sizeof(node), "--node=%s", e.rpc);
	snprintf(tok, sizeof(tok), "--token=%s", token);
	char *argv[] = {FEDCTL_BIN, node, tok, (char *) a, (char *) b,
	    (char *) c, (char *) d, NULL};
	return fed_test_run(argv, NULL, out, NULL);
}

// Raw points of h/live in batch i of the writer, on client c.
static size_t
batch_points(fed_rpc_client *c, int i)
{
	int64_t from = T0 + (int64_t) i * BATCH * MIN5;
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(fed_test_query(c, "h/live", from, from + BATCH * MIN5,
	                     ENFED__V1__STEP__STEP_RAW, "UTC", &res, NULL, 0),
	    FED_OK);
	size_t n = res->results[0]->n_value;
	protobuf_c_message_free_unpacked(&res->base, NULL);
	return n;
}

static void
test_online_backup_and_restore(void **state)
{
	(void) state;
	create(e.c, "h/base");
	create(e.c, "h/live");
	assert_int_equal(fed_test_ingest_every(e.c, "h/base", T0,
	                     T0 + FOUR_WEEKS, MIN5, 3, 0, 0, NULL, NULL),
	    FED_OK);

	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
	for (int i = 0; i < 500 && atomic_load(&e.acked) < 5; i++)
		fed_test_sleep_ms(10);
	int acked_before = atomic_load(&e.acked);
	assert_true(acked_before >= 5);

	char file[600], *out = NULL;
	snprintf(file, sizeof(file), "%s/copy.db", e.dir);
	// Small chunks: many calls while the writer goes on.
	assert_int_equal(
	    fedctl(ADMIN, &out, "node", "backup", file, "--chunk=16KiB"), 0);
	assert_non_null(strstr(out, "sha256:"));
	free(out);
	atomic_store(&e.stop, 1);
	pthread_join(t, NULL);
	int acked_total = atomic_load(&e.acked);
	struct stat sb;
	char part[700];
	snprintf(part, sizeof(part), "%s.part", file);
	assert_int_equal(stat(part, &sb), -1);
	// The snapshot does not stay beside the store.
	char snap[600];
	snprintf(snap, sizeof(snap), "%s/data-a/backup.db", e.dir);
	assert_int_equal(stat(snap, &sb), -1);

	// Restore, as docs/operations.md says: the copy as series.db of a
	// node's data directory.
	char bdir[600], bdb[700];
	snprintf(bdir, sizeof(bdir), "%s/data-b", e.dir);
	assert_int_equal(mkdir(bdir, 0700), 0);
	snprintf(bdb, sizeof(bdb), "%s/series.db", bdir);
	assert_int_equal(rename(file, bdb), 0);
	char rpc_b[200], stream_b[200];
	fed_test_ipc_url(rpc_b, sizeof(rpc_b), "backup-rpc-b");
	fed_test_ipc_url(stream_b, sizeof(stream_b), "backup-stream-b");
	int pid_b = fed_test_node_start(
	    FED_NODE_BIN, "b", e.dir, rpc_b, stream_b, ADMIN, NULL);
	assert_true(pid_b > 0);
	fed_rpc_client *cb = fed_test_client(rpc_b, ADMIN);
	assert_non_null(cb);
	Enfed__V1__QueryResponse *res = NULL;
	assert_int_equal(fed_test_query(cb, "h/base", T0, T0 + FOUR_WEEKS,
	                     ENFED__V1__STEP__STEP_RAW, "UTC", &res, NULL, 0),
	    FED_OK);
	const Enfed__V1__SeriesResult *base = res->results[0];
	assert_int_equal(base->n_value, 4 * 7 * 288);
	for (size_t i = 0; i < base->n_value; i++) {
		assert_int_equal(base->ts_ms[i], T0 + (int64_t) i * MIN5);
		assert_true(base->value[i] == 3);
	}
	protobuf_c_message_free_unpacked(&res->base, NULL);
	int whole = 0;
	for (int i = 0; i < acked_total; i++) {
		size_t n = batch_points(cb, i);
		if (i < acked_before)
			assert_int_equal(n, BATCH);
		else
			assert_true(n == 0 || n == BATCH);
		whole += n == BATCH;
	}
	print_message("batches acknowledged before the backup: %d, during "
	              "or after it: %d, in the copy: %d\n",
	    acked_before, acked_total - acked_before, whole);

	char node_b[300], *check = NULL;
	snprintf(node_b, sizeof(node_b), "--node=%s", rpc_b);
	char *argv[]
	    = {FEDCTL_BIN, node_b, "--token=" ADMIN, "node", "check", NULL};
	assert_int_equal(fed_test_run(argv, NULL, &check, NULL), 0);
	assert_non_null(strstr(check, "bad blocks:  0"));
	free(check);
	fed_rpc_client_free(cb);
	fed_test_proc_stop(pid_b, SIGTERM, 5000);
}

static void
test_refusals(void **state)
{
	(void) state;
	char file[600], *err = NULL;
	snprintf(file, sizeof(file), "%s/reader.db", e.dir);
	// A reader may query, not copy the whole store.
	assert_int_not_equal(
	    fedctl(READER, NULL, "node", "backup", file, NULL), 0);
	struct stat sb;
	assert_int_equal(stat(file, &sb), -1);
	char part[700];
	snprintf(part, sizeof(part), "%s.part", file);
	assert_int_equal(stat(part, &sb), -1);

	// An existing file stays as it is without --force.
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("keep me\n", fp);
	fclose(fp);
	char node[300], tok[100];
	snprintf(node, sizeof(node), "--node=%s", e.rpc);
	snprintf(tok, sizeof(tok), "--token=%s", ADMIN);
	char *argv[] = {FEDCTL_BIN, node, tok, "node", "backup", file, NULL};
	assert_int_not_equal(fed_test_run(argv, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "--force"));
	free(err);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_size, 8);
	assert_int_equal(
	    fedctl(ADMIN, NULL, "node", "backup", file, "--force"), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(sb.st_size > 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_online_backup_and_restore),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
