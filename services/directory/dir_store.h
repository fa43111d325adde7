// SPDX-License-Identifier: MIT
//
// dir_store.h: the directory's database, the only module of fed-directory
// that opens sqlite.
//
// One sqlite file (WAL; synchronous=FULL unless asked for NORMAL) holds the
// nodes (name, organisation, addresses, the hash of the node's token, lease)
// and the series each node offers, each kept as its encoded
// enfed.v1.SeriesMeta so that every field (kind, unit, visibility,
// description box) survives as sent, and the sites that belong to each
// organisation. The schema carries its version in PRAGMA user_version.
// Every write is one transaction, so a restart finds the database as the
// last acknowledged call left it.
//
// Every row carries a checksum (row_check.h), written with the row and
// verified by every read: a row that fails it is never served. A call
// about that row (a Lookup by name, a registration or heartbeat of that
// node, an offer under that site) is DATA_LOSS with the table and key in
// err->msg; a call over many rows (List, Lookup by series or organisation)
// leaves it out, with a line at error level in the log, and the rest
// answers. dir_store_check verifies every row and the file.
//
// Records read back are enfed.v1.NodeRecord messages built with the
// caller's ProtobufCAllocator (an RPC call's memory, or a dir_arena): the
// caller frees them by freeing that memory as a whole, never field by
// field. A store is safe to use from several threads at once (one
// connection, serialised by a mutex).

#ifndef DIR_STORE_H
#define DIR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "enfed/v1/directory.pb-c.h"
#include "fed/scrub.h"
#include "fed/status.h"

typedef struct dir_store dir_store;

// The schema version written to PRAGMA user_version.
#define DIR_STORE_SCHEMA 3

// What a call that returned DATA_LOSS for a damaged row says: "nodes
// name=n1: the stored row fails its checksum" (no other node's data: the
// key is the one the call asked about). Empty otherwise. err may be NULL.
typedef struct dir_store_err {
	char msg[320];
} dir_store_err;

// What dir_store_find returns; empty strings are "any".
typedef struct dir_filter {
	const char *name; // exact node name
	const char *organisation; // exact organisation
	const char *series; // a series id, or a prefix ending in '/'
	bool no_offers; // records without their offers (offer_count only)
} dir_filter;

// The part of a write that the store computes from the caller's clock.
typedef struct dir_lease {
	int64_t now_ms; // time of the call (UTC ms)
	int64_t lease_ms; // length of the lease granted
} dir_lease;

// Opens (creating if needed) the database at path and brings its schema to
// DIR_STORE_SCHEMA, in one transaction: version 2 to 3 adds each table's
// `crc` and computes it for every row already stored. sync_full selects
// synchronous=FULL (else NORMAL). UNAVAILABLE when the file cannot be
// opened, FAILED_PRECONDITION when it holds a newer schema, DATA_LOSS when
// it is not a database.
fed_status dir_store_open(const char *path, bool sync_full, dir_store **out);

// Closes the database. NULL does nothing.
void dir_store_close(dir_store *s);

// Inserts a new node: rec's name, organisation, addresses and offers (its
// times and availability are ignored), with token_hash (hex SHA-256 of the
// node's token), registered now, available, lease ending now + lease_ms.
// ALREADY_EXISTS when the name (or the token hash) is taken (nothing written);
// ABORTED when an offer is under a site of another organisation (see
// dir_store_site_org; nothing written); each site offered that belongs to
// no organisation yet becomes rec->organisation's. DATA_LOSS when the row
// of a site offered fails its checksum (nothing written). INTERNAL or
// UNAVAILABLE on a database failure. rec is borrowed.
fed_status dir_store_create(dir_store *s, const Enfed__V1__NodeRecord *rec,
    const char *token_hash, const dir_lease *lease, dir_store_err *err);

// Replaces the record of an existing node whose stored token hash equals
// token_hash: organisation, addresses and offers as in rec, available, the
// lease renewed; registered_ms is kept. NOT_FOUND when no such name,
// PERMISSION_DENIED when the name belongs to another token, ABORTED as for
// dir_store_create (nothing written either way); DATA_LOSS when the node's
// row (stored with token_hash) or a site's fails its checksum; INTERNAL or
// UNAVAILABLE on a database failure.
fed_status dir_store_update(dir_store *s, const Enfed__V1__NodeRecord *rec,
    const char *token_hash, const dir_lease *lease, dir_store_err *err);

// Renews the lease of node `name` if its token hash equals token_hash:
// available again, lease ending at lease->now_ms plus the lease_ms granted
// at registration (lease->lease_ms is ignored). Writes the new end to
// *expires_ms and whether the node was unavailable before to *revived.
// NOT_FOUND, PERMISSION_DENIED or DATA_LOSS as dir_store_update.
fed_status dir_store_heartbeat(dir_store *s, const char *name,
    const char *token_hash, int64_t now_ms, int64_t *expires_ms, bool *revived,
    dir_store_err *err);

// Marks unavailable every available node whose lease ended at or before
// now_ms (a row that fails its checksum is left as it is: its lease is not
// known), and returns their names in *names (*n of them, sorted), which
// the caller frees with dir_store_names_free; NULL when there are none.
// RESOURCE_EXHAUSTED, INTERNAL or UNAVAILABLE (nothing marked).
fed_status dir_store_expire(
    dir_store *s, int64_t now_ms, char ***names, size_t *n);

// Frees what dir_store_expire returned. NULL does nothing.
void dir_store_names_free(char **names, size_t n);

// 1 when some node's stored token hash equals token_hash, else 0 (also on
// a database failure, which is logged). A row that fails its checksum
// counts (its hash matched exactly, a damaged one never would), and is
// logged: the node's call then meets DATA_LOSS naming it.
int dir_store_token_known(dir_store *s, const char *token_hash);

// The organisation that the site of series id (its first path component
// with its '/', or the whole id without one) belongs to, into org (org_len
// bytes, truncated): the organisation of the node that first offered a
// series under it. NOT_FOUND when no node has; DATA_LOSS when the site's
// row fails its checksum; INTERNAL or UNAVAILABLE on a database failure.
fed_status dir_store_site_org(dir_store *s, const char *id, char *org,
    size_t org_len, dir_store_err *err);

// The nodes matching f, sorted by name, each with offer_count and (unless
// f->no_offers) its offers (only those that
// match f->series when it is set), allocated with a (see the header).
// *nodes is NULL when n is 0. A node or an offer whose row fails its
// checksum, or an offer that does not decode, is DATA_LOSS when f->name is
// set (the call is about that node), and otherwise left out and logged
// (offer_count still counts such an offer). RESOURCE_EXHAUSTED when a
// fails; INTERNAL or UNAVAILABLE on a database failure.
fed_status dir_store_find(dir_store *s, const dir_filter *f,
    ProtobufCAllocator *a, Enfed__V1__NodeRecord ***nodes, size_t *n,
    dir_store_err *err);

// Checks the whole database (the periodic scrub, Integrity/Check; a
// fed_scrub_fn with arg the store): sqlite's quick_check, then every row's
// checksum, table after table in key order, 256 rows per statement with
// the lock released in between, so that calls go on during a check. Fills
// *out (zeroed by the caller) and logs each bad row; ends with CANCELLED
// at the next batch once *stop is set (stop may be NULL). OK whatever it
// found; UNAVAILABLE, INTERNAL or RESOURCE_EXHAUSTED when it cannot read.
fed_status dir_store_check(
    dir_store *s, const atomic_int *stop, fed_scrub_report *out);

#endif // DIR_STORE_H
