// SPDX-License-Identifier: MIT
//
// node_backup.h: Backup/Read, an online backup of the store read through
// the node (`fedctl node backup FILE`), so that an operator backs up a
// node from wherever fedctl reaches it, over TLS, with the admin token.
//
// A call with snapshot_id 0 takes a snapshot (node_store_backup) into
// `backup.db` in the node's data directory and answers its first chunk;
// the next calls read on by offset. One snapshot at a time: a new one
// replaces the last (whose reader then gets NOT_FOUND), and a snapshot
// idle for 10 minutes is removed, as is the file when the node stops.

#ifndef NODE_BACKUP_H
#define NODE_BACKUP_H

#include "fed/rpc.h"
#include "store.h"

typedef struct node_backup node_backup;

// Snapshots of `store` (borrowed, alive as long as *out) go into the
// directory `dir` (copied). INVALID_ARGUMENT for an empty dir,
// RESOURCE_EXHAUSTED without memory.
fed_status node_backup_new(
    node_store *store, const char *dir, node_backup **out);

// Removes the snapshot file, if any, and frees b (NULL does nothing).
void node_backup_free(node_backup *b);

// Registers enfed.v1.Backup on srv (its policy row: admin only).
fed_status node_backup_register(fed_rpc_server *srv, node_backup *b);

#endif // NODE_BACKUP_H
