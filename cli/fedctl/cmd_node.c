// SPDX-License-Identifier: MIT
//
// cmd_node.c: the node's own maintenance, with the admin token.
//
// `fedctl node check`, the node's Integrity/Check: every stored block is
// read and verified now (checksum, decoding, its row), and the count of
// blocks, of bad ones, and the first bad blocks with their series and time
// window are shown. Exits 1 when a block is bad, so that a cron job or a
// monitoring probe can act on it. Reads the whole store, so a large one
// needs a longer --timeout.
//
// `fedctl node backup FILE`, Backup/Read: the node takes a consistent
// snapshot of its store while it keeps serving, and fedctl reads it in
// chunks into FILE.part, checks its SHA-256 against the node's, syncs it
// and renames it to FILE: FILE is whole or absent, never half a backup.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "enfed/v1/backup.pb-c.h"
#include "enfed/v1/health.pb-c.h"
#include "fed/clock.h"
#include "fedctl.h"
#include "verb.h"

static const fed_cfg_spec check_spec
    = FEDCTL_PLAIN_SPEC("fedctl node check", "[OPTION]...",
        "Checks every stored block of the node now (checksum, decoding) and "
        "shows what failed, by series and time window. Exits 1 when a block "
        "is bad. Needs the admin token.\n"
        "Examples:\n"
        "  fedctl node check\n"
        "  fedctl --timeout 10m node check --json");

static cJSON *
bad_json(const fedctl *c, const Enfed__V1__BadBlock *b)
{
	char from[40], to[40];
	fedctl_time_iso(c, b->from_ms, from, sizeof(from));
	fedctl_time_iso(c, b->to_ms, to, sizeof(to));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "series_id", b->series_id);
	cJSON_AddStringToObject(j, "from", from);
	cJSON_AddStringToObject(j, "to", to);
	cJSON_AddStringToObject(j, "reason", b->reason);
	return j;
}

static cJSON *
check_json(const fedctl *c, const void *msg)
{
	const Enfed__V1__IntegrityReport *r = msg;
	char started[40];
	fedctl_time_iso(c, r->started_ms, started, sizeof(started));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "started", started);
	cJSON_AddNumberToObject(j, "elapsed_ms", (double) r->elapsed_ms);
	cJSON_AddNumberToObject(j, "blocks", (double) r->n_blocks);
	cJSON_AddNumberToObject(j, "bad_blocks", (double) r->n_failed);
	cJSON *a = cJSON_AddArrayToObject(j, "bad");
	for (size_t i = 0; i < r->n_bad; i++)
		cJSON_AddItemToArray(a, bad_json(c, r->bad[i]));
	return j;
}

static void
check_text(const fedctl *c, const void *msg)
{
	const Enfed__V1__IntegrityReport *r = msg;
	printf("blocks:      %llu checked in %llu ms\n",
	    (unsigned long long) r->n_blocks,
	    (unsigned long long) r->elapsed_ms);
	printf("bad blocks:  %llu\n", (unsigned long long) r->n_failed);
	for (size_t i = 0; i < r->n_bad; i++) {
		const Enfed__V1__BadBlock *b = r->bad[i];
		char from[40], to[40];
		fedctl_time_iso(c, b->from_ms, from, sizeof(from));
		fedctl_time_iso(c, b->to_ms, to, sizeof(to));
		printf(
		    "  %s [%s, %s) %s\n", b->series_id, from, to, b->reason);
	}
	if (r->n_failed > r->n_bad)
		printf("  ... and %llu more (see the node's log)\n",
		    (unsigned long long) (r->n_failed - r->n_bad));
}

static const fedctl_view check_view = {.json = check_json, .text = check_text};

static int
run_check(fedctl *c, const fedctl_verb_input *in)
{
	(void) in;
	Enfed__V1__IntegrityCheckRequest req
	    = ENFED__V1__INTEGRITY_CHECK_REQUEST__INIT;
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st = fedctl_call(c, &enfed__v1__integrity__descriptor,
	    "Check", &req.base, &rep, err, sizeof(err));
	if (st != FED_OK)
		return fedctl_fail(c, st, "Integrity/Check on %s: %s",
		    c->g->node, err[0] != '\0' ? err : fed_status_str(st));
	int bad = ((const Enfed__V1__IntegrityReport *) rep)->n_failed > 0;
	int code = fedctl_reply(c, &check_view, st, rep);
	return code == FEDCTL_EXIT_OK && bad ? FEDCTL_EXIT_OTHER : code;
}

struct backup_cfg {
	fedctl_out_opts out;
	bool force;
	uint64_t chunk;
};

#define C struct backup_cfg
static const fed_cfg_opt backup_opts[] = {
    FEDCTL_OUT_OPTS(C, out),
    FED_CFG_OPT_BOOL(C, force, "force", "false", "replace FILE if it exists"),
    FED_CFG_OPT_SIZE(C, chunk, "chunk", "1MiB", 4096, 4u << 20,
        "bytes asked for in each call"),
};
#undef C

static const fed_cfg_spec backup_spec = {"fedctl node backup",
    "FILE [OPTION]...",
    "Copies the node's store into FILE while the node keeps serving (a "
    "consistent snapshot: every point acknowledged before the backup "
    "started is in it). FILE is written whole or not at all, checked "
    "against the node's SHA-256. Restore: stop the node, put FILE in place "
    "of series.db in its data directory (removing series.db-wal and "
    "series.db-shm), start it. Needs the admin token.\n"
    "Examples:\n"
    "  fedctl node backup /var/backups/enfed/school-$(date +%F).db\n"
    "  fedctl --node tls+tcp://node.example.org:7410 node backup copy.db",
    backup_opts, FED_CFG_N(backup_opts), FED_CFG_ARGV_ONLY};

// What a backup wrote, for the output.
typedef struct backup_done {
	const char *file;
	uint64_t size;
	int64_t taken_ms;
	int64_t elapsed_ms;
	char sha256[65];
} backup_done;

static cJSON *
backup_json(const fedctl *c, const void *msg)
{
	const backup_done *d = msg;
	char taken[40];
	fedctl_time_iso(c, d->taken_ms, taken, sizeof(taken));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "file", d->file);
	cJSON_AddNumberToObject(j, "bytes", (double) d->size);
	cJSON_AddStringToObject(j, "taken", taken);
	cJSON_AddNumberToObject(j, "elapsed_ms", (double) d->elapsed_ms);
	cJSON_AddStringToObject(j, "sha256", d->sha256);
	return j;
}

static void
backup_text(const fedctl *c, const void *msg)
{
	const backup_done *d = msg;
	char taken[40];
	fedctl_time_iso(c, d->taken_ms, taken, sizeof(taken));
	printf("backup:   %s\n", d->file);
	printf("bytes:    %llu in %lld ms\n", (unsigned long long) d->size,
	    (long long) d->elapsed_ms);
	printf("snapshot: %s\n", taken);
	printf("sha256:   %s\n", d->sha256);
}

static const fedctl_view backup_view
    = {.json = backup_json, .text = backup_text};

// Writes all of buf to fd.
static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t) n;
	}
	return 0;
}

// Reads the snapshot chunk by chunk into fd, hashing it; fills *d.
static int
backup_fetch(fedctl *c, const struct backup_cfg *cfg, int fd, const char *part,
    backup_done *d)
{
	mbedtls_sha256_context h;
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	uint8_t want[32] = {0};
	Enfed__V1__BackupRequest req = ENFED__V1__BACKUP_REQUEST__INIT;
	req.max_bytes = (uint32_t) cfg->chunk;
	int code = FEDCTL_EXIT_OK;
	// Bounded: the first answer gives the size, hence the calls needed.
	for (uint64_t calls = 0, limit = 1; calls < limit; calls++) {
		ProtobufCMessage *rep = NULL;
		char err[256] = "";
		fed_status st = fedctl_call(c, &enfed__v1__backup__descriptor,
		    "Read", &req.base, &rep, err, sizeof(err));
		if (st != FED_OK) {
			code = fedctl_fail(c, st, "Backup/Read on %s: %s",
			    c->g->node,
			    err[0] != '\0' ? err : fed_status_str(st));
			break;
		}
		const Enfed__V1__BackupChunk *k
		    = (const Enfed__V1__BackupChunk *) rep;
		if (calls == 0) {
			d->size = k->size;
			d->taken_ms = k->taken_ms;
			if (k->sha256.len == sizeof(want))
				memcpy(want, k->sha256.data, sizeof(want));
			limit = k->size / cfg->chunk + 2;
		}
		int bad = k->offset != req.offset || k->size != d->size
		    || (k->data.len == 0 && k->offset < k->size);
		if (!bad && write_all(fd, k->data.data, k->data.len) != 0) {
			protobuf_c_message_free_unpacked(rep, NULL);
			code = fedctl_fail(c, FED_UNAVAILABLE, "%s: %s", part,
			    strerror(errno));
			break;
		}
		mbedtls_sha256_update_ret(&h, k->data.data, k->data.len);
		req.snapshot_id = k->snapshot_id;
		req.offset += k->data.len;
		protobuf_c_message_free_unpacked(rep, NULL);
		if (bad) {
			code = fedctl_fail(c, FED_DATA_LOSS,
			    "Backup/Read on %s: an answer out of sequence",
			    c->g->node);
			break;
		}
		if (req.offset == d->size)
			break;
	}
	uint8_t got[32];
	mbedtls_sha256_finish_ret(&h, got);
	mbedtls_sha256_free(&h);
	if (code == FEDCTL_EXIT_OK && req.offset != d->size)
		code = fedctl_fail(c, FED_DATA_LOSS,
		    "Backup/Read on %s: %llu of %llu bytes received",
		    c->g->node, (unsigned long long) req.offset,
		    (unsigned long long) d->size);
	if (code == FEDCTL_EXIT_OK && memcmp(got, want, sizeof(got)) != 0)
		code = fedctl_fail(c, FED_DATA_LOSS,
		    "%s: the copy's SHA-256 differs from the node's snapshot",
		    part);
	for (size_t i = 0; i < sizeof(got); i++)
		snprintf(d->sha256 + 2 * i, 3, "%02x", got[i]);
	return code;
}

// Syncs the directory holding path, so that the rename into it lasts.
static void
sync_parent(const char *path)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int
run_backup(fedctl *c, const fedctl_verb_input *in)
{
	const struct backup_cfg *cfg = in->cfg;
	backup_done d = {.file = in->args[0]};
	struct stat sb;
	if (!cfg->force && stat(d.file, &sb) == 0)
		return fedctl_fail(c, FED_ALREADY_EXISTS,
		    "%s: exists; --force replaces it", d.file);
	char part[4200];
	if (snprintf(part, sizeof(part), "%s.part", d.file)
	    >= (int) sizeof(part))
		return fedctl_usage(c, "FILE: too long");
	int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fedctl_fail(
		    c, FED_UNAVAILABLE, "%s: %s", part, strerror(errno));
	int64_t t0 = fed_clock_mono_ms();
	int code = backup_fetch(c, cfg, fd, part, &d);
	if (code == FEDCTL_EXIT_OK && fsync(fd) != 0)
		code = fedctl_fail(
		    c, FED_UNAVAILABLE, "%s: %s", part, strerror(errno));
	if (close(fd) != 0 && code == FEDCTL_EXIT_OK)
		code = fedctl_fail(
		    c, FED_UNAVAILABLE, "%s: %s", part, strerror(errno));
	if (code == FEDCTL_EXIT_OK && rename(part, d.file) != 0)
		code = fedctl_fail(
		    c, FED_UNAVAILABLE, "%s: %s", d.file, strerror(errno));
	if (code != FEDCTL_EXIT_OK) {
		unlink(part);
		return code;
	}
	sync_parent(d.file);
	d.elapsed_ms = fed_clock_mono_ms() - t0;
	fedctl_show(c, &backup_view, &d);
	return FEDCTL_EXIT_OK;
}

static const fedctl_verb verbs[] = {
    {.name = "check",
        .help = "verify every stored block now (admin)",
        .run = run_check,
        FEDCTL_OPTS(check_spec, fedctl_plain_cfg)},
    {.name = "backup",
        .help = "copy the node's store into a file, online (admin)",
        .run = run_backup,
        .args = FEDCTL_EXACTLY(1, "expected FILE"),
        FEDCTL_OPTS(backup_spec, struct backup_cfg)},
};

int
cmd_node(fedctl *c, int argc, char **argv)
{
	return fedctl_run_verb(c, "node",
	    "The node's own maintenance: checks of its stored data, backups.",
	    verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
