// SPDX-License-Identifier: MIT
//
// node_scrub.c: the store's block scrub as a fed/scrub.h check
// (node_scrub.h).

#include "node_scrub.h"

#include "fed/log.h"

fed_status
node_scrub_check(void *arg, const atomic_int *stop, fed_scrub_report *out)
{
	const node_scrub_src *src = arg;
	node_store_scrub_opts so = {0, src->pause_ms, stop};
	node_store_scrub_report rep;
	node_store_err err = {{0}};
	fed_status st = node_store_scrub(src->store, &so, &rep, &err);
	if (st != FED_OK) {
		if (st != FED_CANCELLED)
			fed_log(FED_LOG_WARNING, "scrub", "%s", err.msg);
		return st;
	}
	out->n_rows = rep.n_blocks;
	for (size_t i = 0; i < rep.n_listed; i++)
		fed_scrub_report_bad_block(out, rep.bad[i].series,
		    rep.bad[i].from_ms, rep.bad[i].to_ms, rep.bad[i].why);
	// Blocks past the listed ones count as bad all the same.
	out->n_bad = rep.n_bad;
	return FED_OK;
}

fed_scrub_opts
node_scrub_opts_of(node_scrub_src *src, int64_t interval_ms)
{
	return (fed_scrub_opts) {.log = "scrub",
	    .what = "blocks",
	    .check = node_scrub_check,
	    .arg = src,
	    .interval_ms = interval_ms};
}
