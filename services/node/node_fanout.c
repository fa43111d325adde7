// SPDX-License-Identifier: MIT
//
// node_fanout.c: the new points of each commit to the streams, the alarm
// engine and the replicator (node_fanout.h).

#include "node_fanout.h"

#include "fed/log.h"

// Publishes a series' new points (fed_stream_publish cuts them into
// frames); a failure is logged, subscribers back-fill what they miss.
static void
publish(fed_stream_pub *pub, const node_store_fresh *f)
{
	fed_status st = fed_stream_publish(
	    pub, f->series_id, f->ts_ms, f->value, f->n, NULL);
	if (st != FED_OK)
		fed_log(FED_LOG_WARNING, "node",
		    "publishing %s: %s (subscribers will back-fill)",
		    f->series_id, fed_status_name(st));
}

void
node_fanout_on_commit(const node_store_fresh *fresh, size_t n, void *arg)
{
	const node_fanout *o = arg;
	for (size_t i = 0; i < n; i++) {
		const node_store_fresh *f = &fresh[i];
		if (o->pub != NULL)
			publish(o->pub, f);
		if (o->public_pub != NULL && f->is_public)
			publish(o->public_pub, f);
		if (o->alarms != NULL)
			node_alarms_offer(
			    o->alarms, f->series_id, f->ts_ms, f->value, f->n);
	}
	if (n > 0 && o->wake != NULL)
		o->wake(o->wake_arg);
}
