// SPDX-License-Identifier: MIT
//
// fed/scrub.h: the periodic and on-demand check of a service's stored data:
// fed-directory's and fed-invest's rows (sqlite's quick_check and every
// row's checksum), fed-node's blocks of points (node_scrub.h: every block's
// checksum, decoding and row). The service gives a check function; a
// fed_scrub runs it every interval on its own thread and logs what it
// found, runs it on demand for enfed.v1.Integrity/Check (fed_scrub_register),
// and keeps the last report for Health (fed_scrub_health). One check runs
// at a time: an on-demand one waits for a periodic one in progress, then
// runs its own.

#ifndef FED_SCRUB_H
#define FED_SCRUB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "enfed/v1/health.pb-c.h"
#include "fed/rpc.h"
#include "fed/status.h"

#define FED_SCRUB_MAX_BAD 16 // bad rows listed in a report

// A row, or a block of points, that failed its check.
typedef struct fed_scrub_bad {
	char table[32]; // a row: its table and key; "" for a block
	char key[224]; // "col=value col=value", printable (fed_scrub_escape)
	char series[208]; // a block: its series and window [from_ms, to_ms)
	int64_t from_ms, to_ms;
	char why[64]; // "fails its checksum"
} fed_scrub_bad;

// What one check found.
typedef struct fed_scrub_report {
	int64_t started_ms; // Unix ms
	int64_t elapsed_ms;
	uint64_t n_rows; // rows (or blocks) read
	uint64_t n_bad; // rows that failed, plus 1 when quick_check did
	char quick_check[200]; // "ok", or sqlite's first complaint; "" when
	                       // the check runs none (fed-node's blocks)
	size_t n_listed; // bad[0..n_listed): the first bad rows
	fed_scrub_bad bad[FED_SCRUB_MAX_BAD];
} fed_scrub_report;

// A service's check: fills *out (zeroed, started_ms set by the caller) with
// counts and quick_check, listing bad rows with fed_scrub_report_bad and
// logging each. It should look at *stop between batches and return
// CANCELLED when it is set. Returns OK whatever it found; another status
// (UNAVAILABLE, INTERNAL, ...) when it could not read, logged by it.
typedef fed_status (*fed_scrub_fn)(
    void *arg, const atomic_int *stop, fed_scrub_report *out);

typedef struct fed_scrub_opts {
	const char *log; // log component ("directory"), borrowed, static
	const char *what; // what a check reads, for the log: "rows" (NULL)
	                  // or "blocks"
	fed_scrub_fn check;
	void *arg; // check's; borrowed, must outlive the fed_scrub
	int64_t interval_ms; // between periodic checks; 0: none
} fed_scrub_opts;

typedef struct fed_scrub fed_scrub;

// Creates a scrubber and, when opts->interval_ms > 0, starts its thread,
// whose first check is one interval after start. *out is the caller's
// (fed_scrub_free). RESOURCE_EXHAUSTED when memory or a thread is short.
fed_status fed_scrub_new(const fed_scrub_opts *opts, fed_scrub **out);

// Asks every check, in progress or to come, to end (CANCELLED), and wakes
// the periodic thread, which ends. Any thread; NULL does nothing.
void fed_scrub_stop(fed_scrub *s);

// Stops (fed_scrub_stop) and joins the thread, and frees the scrubber.
// NULL does nothing. No call may be running on it: free the server that
// serves its Integrity first.
void fed_scrub_free(fed_scrub *s);

// Runs one check now on the caller's thread (after any in progress), logs
// its summary and keeps it as the last; *out gets the report. OK whatever
// it found (read out->n_bad); CANCELLED when stopping; the check's status
// when it could not read (nothing kept).
fed_status fed_scrub_run(fed_scrub *s, fed_scrub_report *out);

// The last check that finished into *out: 1, or 0 when none has. Any
// thread.
int fed_scrub_last(fed_scrub *s, fed_scrub_report *out);

// Counts a bad row in r and lists it among the first FED_SCRUB_MAX_BAD
// (table and key truncated to their fields; key as the check made it,
// already printable).
void fed_scrub_report_bad(
    fed_scrub_report *r, const char *table, const char *key, const char *why);

// The same for a block of points of `series` holding [from_ms, to_ms).
void fed_scrub_report_bad_block(fed_scrub_report *r, const char *series,
    int64_t from_ms, int64_t to_ms, const char *why);

// Writes len bytes of src to dst (dst_len bytes, always NUL-terminated,
// truncated) with every byte that is not printable ASCII, and '\', as
// "\xNN": a damaged key shows as it is stored, and stays valid UTF-8 in a
// message or a protobuf string. Returns the length written.
size_t fed_scrub_escape(
    char *dst, size_t dst_len, const void *src, size_t len);

// Registers enfed.v1.Integrity on srv: Check runs fed_scrub_run and answers
// the report (rows as BadBlock's table and key, blocks as its series_id and
// window). s is borrowed and must
// outlive srv. Who may call it is the server's auth hook's business (an
// administrator only). As fed_rpc_server_add_service.
fed_status fed_scrub_register(fed_rpc_server *srv, fed_scrub *s);

// A fed_health_fill_fn (arg: the fed_scrub, may be NULL): sets
// rep->last_check from the last check, in call memory: its time, counts
// and quick_check, never the bad rows' keys (Health answers callers
// without a token). OK, or RESOURCE_EXHAUSTED.
fed_status fed_scrub_health(
    fed_rpc_ctx *call, Enfed__V1__HealthCheckResponse *rep, void *arg);

#endif // FED_SCRUB_H
