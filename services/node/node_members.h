// SPDX-License-Identifier: MIT
//
// node_members.h: the cache of federation members' tokens in front of
// fed-directory (node_directory.h asks, this module remembers).
//
// A token's answer is cached by the token's hash for a minute: members in
// one table, refused tokens in another, so that a flood of random tokens
// churns only the second and never evicts a member (issue 16, item 7).
// New tokens are asked about at most 10 a second per source (the caller's
// address), so that one source flooding is refused alone, while members
// calling from elsewhere, and members already cached, are answered.

#ifndef NODE_MEMBERS_H
#define NODE_MEMBERS_H

#include "fed/status.h"

typedef struct node_members node_members;

// Asks whether token is a member's: 1 or 0, *definitive set to 1 when the
// answer may be cached (the directory answered), 0 when not (unreachable).
// May block. Called without any lock of the cache held, from the threads
// that call node_members_check.
typedef int (*node_members_ask_fn)(
    const char *token, int *definitive, void *arg);

// A cache in front of ask(…, arg) (arg borrowed: it must outlive the
// cache). RESOURCE_EXHAUSTED when out of memory.
fed_status node_members_new(
    node_members_ask_fn ask, void *arg, node_members **out);

// Frees the cache. NULL does nothing.
void node_members_free(node_members *m);

// 1 when token is a member's: from the cache, else from ask() when peer
// (the caller's address, "" when unknown, one source) has asked fewer
// than 10 new tokens this second; 0 otherwise (refused, or too many new
// tokens from that source: the caller may try again later). Blocks while
// ask() does. Thread-safe.
int node_members_check(node_members *m, const char *token, const char *peer);

#endif // NODE_MEMBERS_H
