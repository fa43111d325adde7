// SPDX-License-Identifier: MIT
//
// node_scrub.h: fed-node's check of its stored data, for fed/scrub.h (the
// periodic thread, Integrity/Check, Health's last check, which fed-node
// shares with fed-directory and fed-invest): the store's scrub
// (node_store_scrub: every block's checksum, decoding and row), paced by a
// pause between batches so that ingest and queries go on beside it.

#ifndef NODE_SCRUB_H
#define NODE_SCRUB_H

#include <stdatomic.h>

#include "fed/scrub.h"
#include "store.h"

// What the check reads; borrowed by the fed_scrub for its whole life.
typedef struct node_scrub_src {
	node_store *store;
	unsigned pause_ms; // sleep between batches of blocks
} node_scrub_src;

// A fed_scrub_fn (arg: a node_scrub_src): walks every block, a report of
// blocks (n_rows counts blocks; bad ones by series and window; no
// quick_check). OK whatever it found; CANCELLED once *stop is set;
// UNAVAILABLE or INTERNAL when the store cannot be read (logged).
fed_status node_scrub_check(
    void *arg, const atomic_int *stop, fed_scrub_report *out);

// The options of fed-node's fed_scrub over src, a check every interval_ms
// (0: on demand only).
fed_scrub_opts node_scrub_opts_of(node_scrub_src *src, int64_t interval_ms);

#endif // NODE_SCRUB_H
