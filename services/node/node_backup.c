// SPDX-License-Identifier: MIT
//
// node_backup.c: the snapshot a backup is read from, and Backup/Read.

#include "node_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "enfed/v1/backup.pb-c.h"
#include "fed/clock.h"
#include "fed/log.h"

#define CHUNK_DEFAULT (1u << 20)
#define CHUNK_MAX     (4u << 20)
#define IDLE_MS       (10 * 60 * INT64_C(1000))

struct node_backup {
	node_store *store;
	char path[4200]; // <dir>/backup.db
	pthread_mutex_t mtx; // everything below; held while a snapshot is made
	uint64_t next_id;
	uint64_t id; // the current snapshot; 0: none
	uint64_t size;
	uint8_t sha256[32];
	int64_t taken_ms;
	int64_t used_mono_ms; // last call that read it
	int fd; // open on path while id != 0
};

fed_status
node_backup_new(node_store *store, const char *dir, node_backup **out)
{
	if (dir == NULL || dir[0] == '\0')
		return FED_INVALID_ARGUMENT;
	node_backup *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return FED_RESOURCE_EXHAUSTED;
	if (snprintf(b->path, sizeof(b->path), "%s/backup.db", dir)
	    >= (int) sizeof(b->path)) {
		free(b);
		return FED_INVALID_ARGUMENT;
	}
	b->store = store;
	b->fd = -1;
	// Ids start from the clock so that a client cannot mistake a
	// snapshot of an earlier run for the current one.
	b->next_id = (uint64_t) fed_clock_now_ms();
	pthread_mutex_init(&b->mtx, NULL);
	unlink(b->path); // what a crash may have left
	*out = b;
	return FED_OK;
}

// Drops the current snapshot (under b->mtx).
static void
drop(node_backup *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->id = 0;
	unlink(b->path);
}

void
node_backup_free(node_backup *b)
{
	if (b == NULL)
		return;
	drop(b);
	pthread_mutex_destroy(&b->mtx);
	free(b);
}

// SHA-256 of the open file fd, of size bytes.
static fed_status
hash_file(int fd, uint64_t size, uint8_t out[32])
{
	enum {
		BUF = 1 << 16
	};
	uint8_t *buf = malloc(BUF);
	if (buf == NULL)
		return FED_RESOURCE_EXHAUSTED;
	mbedtls_sha256_context h;
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	uint64_t off = 0;
	fed_status st = FED_OK;
	while (off < size) {
		ssize_t n = pread(fd, buf, BUF, (off_t) off);
		if (n <= 0) {
			st = FED_UNAVAILABLE;
			break;
		}
		mbedtls_sha256_update_ret(&h, buf, (size_t) n);
		off += (uint64_t) n;
	}
	mbedtls_sha256_finish_ret(&h, out);
	mbedtls_sha256_free(&h);
	free(buf);
	return st;
}

// Takes a new snapshot (under b->mtx), replacing the current one.
static fed_status
take(node_backup *b, fed_rpc_ctx *call)
{
	drop(b);
	node_store_err err = {{0}};
	int64_t t0 = fed_clock_mono_ms();
	int64_t taken = fed_clock_now_ms();
	fed_status st = node_store_backup(b->store, b->path, &err);
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "backup", "%s", err.msg);
		return fed_rpc_ctx_error(call, st, "%s", err.msg);
	}
	int fd = open(b->path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		unlink(b->path);
		return fed_rpc_ctx_error(call, FED_UNAVAILABLE,
		    "%s: cannot read the snapshot: %s", b->path,
		    strerror(errno));
	}
	b->fd = fd;
	b->size = (uint64_t) sb.st_size;
	if (hash_file(fd, b->size, b->sha256) != FED_OK) {
		drop(b);
		return fed_rpc_ctx_error(call, FED_UNAVAILABLE,
		    "%s: cannot read the snapshot", b->path);
	}
	b->id = ++b->next_id;
	b->taken_ms = taken;
	fed_log(FED_LOG_NOTICE, "backup",
	    "snapshot %llu: %llu bytes in %lld ms", (unsigned long long) b->id,
	    (unsigned long long) b->size,
	    (long long) (fed_clock_mono_ms() - t0));
	return FED_OK;
}

// Answers [offset, offset + max) of the current snapshot (under b->mtx).
static fed_status
answer(node_backup *b, fed_rpc_ctx *call, const Enfed__V1__BackupRequest *req,
    Enfed__V1__BackupChunk *rep)
{
	if (req->offset > b->size)
		return fed_rpc_ctx_error(call, FED_OUT_OF_RANGE,
		    "offset: %llu is past the snapshot's %llu bytes",
		    (unsigned long long) req->offset,
		    (unsigned long long) b->size);
	uint64_t want = req->max_bytes == 0
	    ? CHUNK_DEFAULT
	    : (req->max_bytes > CHUNK_MAX ? CHUNK_MAX : req->max_bytes);
	uint64_t left = b->size - req->offset;
	size_t len = (size_t) (left < want ? left : want);
	uint8_t *data = len > 0 ? fed_rpc_ctx_alloc(call, len) : NULL;
	uint8_t *sum = fed_rpc_ctx_alloc(call, sizeof(b->sha256));
	if ((len > 0 && data == NULL) || sum == NULL)
		return FED_RESOURCE_EXHAUSTED;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(
		    b->fd, data + got, len - got, (off_t) (req->offset + got));
		if (n <= 0)
			return fed_rpc_ctx_error(call, FED_UNAVAILABLE,
			    "%s: cannot read the snapshot", b->path);
		got += (size_t) n;
	}
	memcpy(sum, b->sha256, sizeof(b->sha256));
	rep->snapshot_id = b->id;
	rep->size = b->size;
	rep->offset = req->offset;
	rep->data.data = data;
	rep->data.len = len;
	rep->sha256.data = sum;
	rep->sha256.len = sizeof(b->sha256);
	rep->taken_ms = b->taken_ms;
	b->used_mono_ms = fed_clock_mono_ms();
	return FED_OK;
}

static fed_status
read_chunk(fed_rpc_ctx *call, const ProtobufCMessage *in,
    ProtobufCMessage *out, void *arg)
{
	node_backup *b = arg;
	const Enfed__V1__BackupRequest *req
	    = (const Enfed__V1__BackupRequest *) in;
	pthread_mutex_lock(&b->mtx);
	if (b->id != 0 && fed_clock_mono_ms() - b->used_mono_ms > IDLE_MS)
		drop(b);
	fed_status st = FED_OK;
	if (req->snapshot_id == 0)
		st = take(b, call);
	else if (req->snapshot_id != b->id)
		st = fed_rpc_ctx_error(call, FED_NOT_FOUND,
		    "snapshot %llu: gone (replaced by a newer backup, or idle "
		    "for 10 minutes); start the backup again",
		    (unsigned long long) req->snapshot_id);
	if (st == FED_OK)
		st = answer(b, call, req, (Enfed__V1__BackupChunk *) out);
	// The last chunk is in the answer (read into call memory): the copy
	// is not kept on disk beside the store longer than needed. A client
	// whose last answer was lost starts again.
	const Enfed__V1__BackupChunk *rep = (Enfed__V1__BackupChunk *) out;
	if (st == FED_OK && rep->offset + rep->data.len == b->size)
		drop(b);
	pthread_mutex_unlock(&b->mtx);
	return st;
}

fed_status
node_backup_register(fed_rpc_server *srv, node_backup *b)
{
	static const fed_rpc_method methods[] = {{"Read", read_chunk}};
	return fed_rpc_server_add_service(
	    srv, &enfed__v1__backup__descriptor, methods, 1, b);
}
