# SPDX-License-Identifier: MIT
#
# test_python_client.py: runs the Python client package (through
# enfed_client.py) against a real fed-node:
# Health, CreateSeries, Ingest, Query and a stream subscription that
# receives the ingested points; then shows that the link is one the node
# compresses replies on (a caller that says nothing of `accept` gets a
# zstd body) while this client, which accepts only CODEC_NONE, gets plain
# ones. Exits 0 when every check passes.
# Usage: test_python_client.py GEN_DIR RPC_URL STREAM_URL ADMIN_TOKEN

import socket
import sys

sys.path.insert(0, sys.argv[1])

from enfed.v1 import health_pb2, rpc_pb2, series_pb2, stream_pb2  # noqa: E402
import enfed_client  # noqa: E402

rpc_url, stream_url, token = sys.argv[2], sys.argv[3], sys.argv[4].encode()
SERIES = "pyclient/meter/power"
T0 = 1767225600000  # 2026-01-01T00:00:00Z
N = 600  # points: a raw Query of them is far past the 1 KiB threshold

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


SS = "/enfed.v1.SeriesStore/"
cli = enfed_client.Client(rpc_url, token=token)

h = cli.call("/enfed.v1.Health/Check", health_pb2.HealthCheckRequest(),
             health_pb2.HealthCheckResponse)
check(h.service == "fed-node", "Health: service %r" % h.service)
check("enfed.v1.SeriesStore" in h.services, "Health: serves SeriesStore")

meta = series_pb2.SeriesMeta(id=SERIES, kind=series_pb2.SERIES_KIND_POWER,
                             unit=series_pb2.UNIT_W, interval_s=60)
info = cli.call(SS + "CreateSeries", series_pb2.CreateSeriesRequest(meta=meta),
                series_pb2.SeriesInfo)
check(info.meta.id == SERIES, "CreateSeries: %s" % info.meta.id)

# Subscribe before ingesting. PUB sends only to pipes it has added, which
# may happen just after the greeting: batches are ingested one after the
# other (at most 20) until frames arrive.
sub = enfed_client.Subscriber(stream_url, SERIES + " ")
batch = 30
ingested = {}
seen = {}
stored = 0
for attempt in range(20):
    ts = [T0 + (attempt * batch + i) * 60000 for i in range(batch)]
    vals = [1000.0 + (attempt * batch + i) % 17 * 0.25 for i in range(batch)]
    pts = series_pb2.SeriesPoints(series_id=SERIES, ts_ms=ts, value=vals)
    r = cli.call(SS + "Ingest", series_pb2.IngestRequest(series=[pts]),
                 series_pb2.IngestResponse)
    stored += r.n_stored
    ingested.update(zip(ts, vals))
    try:
        while not all(t in seen for t in ts):
            topic, f = sub.recv(stream_pb2.StreamFrame, 2.0)
            check(topic == SERIES and f.series_id == SERIES,
                  "stream: frame of %s" % topic)
            seen.update(zip(f.ts_ms, f.value))
        break
    except socket.timeout:
        continue
check(len(seen) > 0 and all(ingested.get(t) == v for t, v in seen.items()),
      "stream: %d points received, as ingested" % len(seen))
check(stored == len(ingested), "Ingest: %d points stored" % stored)

# Fill the series to N points; resending one batch stores nothing new.
rest = [T0 + i * 60000 for i in range(len(ingested), N)]
rest_v = [1000.0 + i % 17 * 0.25 for i in range(len(ingested), N)]
pts = series_pb2.SeriesPoints(series_id=SERIES, ts_ms=rest, value=rest_v)
r = cli.call(SS + "Ingest", series_pb2.IngestRequest(series=[pts]),
             series_pb2.IngestResponse)
check(r.n_stored == len(rest), "Ingest: %d more stored" % r.n_stored)
ingested.update(zip(rest, rest_v))
r = cli.call(SS + "Ingest", series_pb2.IngestRequest(series=[pts]),
             series_pb2.IngestResponse)
check(r.n_stored == 0 and r.n_duplicate == len(rest),
      "Ingest again: 0 stored, %d duplicates" % r.n_duplicate)

q = series_pb2.QueryRequest(series_ids=[SERIES],
                            range=series_pb2.TimeRange(
                                from_ms=T0, to_ms=T0 + N * 60000),
                            step=series_pb2.STEP_RAW)
res = cli.call(SS + "Query", q, series_pb2.QueryResponse)
body_len = len(cli.last_reply.body)
got = dict(zip(res.results[0].ts_ms, res.results[0].value))
check(got == ingested, "Query: %d points, as ingested" % len(got))
check(cli.last_reply.codec == rpc_pb2.CODEC_NONE and body_len > 1024,
      "Query: %d-byte body sent plain (accept = [CODEC_NONE])" % body_len)

try:
    cli.call(SS + "Query", series_pb2.QueryRequest(series_ids=[SERIES]),
             series_pb2.QueryResponse)
    check(False, "Query without range: refused")
except enfed_client.CallError as e:
    check(e.status == rpc_pb2.INVALID_ARGUMENT,
          "Query without range: %s" % e)

# The same Query from a caller of before `accept` (empty list): the node
# compresses it, which it does only for a peer it sees as remote.
old = enfed_client.Client(rpc_url, token=token, accept=[])
try:
    old.call(SS + "Query", q, series_pb2.QueryResponse)
    check(False, "Query, accept empty: compressed")
except enfed_client.ProtocolError:
    rep = old.last_reply
    check(rep.codec == rpc_pb2.CODEC_ZSTD and len(rep.body) < body_len,
          "Query, accept empty: %d-byte zstd body (the link is not local)"
          % len(rep.body))
old.close()
sub.close()
cli.close()
print("python client: %d failed" % len(failures))
sys.exit(1 if failures else 0)
