# SPDX-License-Identifier: MIT
"""Client: the calls of an enfed node, and a follower of its live stream.

Every call is a REQ request carrying an enfed.v1.Request envelope with
the caller's token; the node's policy decides, as for any other client
(docs/security.md): this module only calls the node's RPCs. Replies are
asked plain (accept = [CODEC_NONE]): Python's standard library has no
zstd.

Calls that fail because the connection broke (the node restarted) are
sent once more on a new connection: every enfed write RPC is idempotent
(DESIGN.md), so a resent Ingest stores nothing twice.
"""

import collections
import os
import socket
import struct
import time

from enfed.v1 import grant_pb2, health_pb2, rpc_pb2, series_pb2, stream_pb2

from .sp import SP_PUB, SP_REP, SP_REQ, SP_SUB, ProtocolError, SPSocket

SS = "/enfed.v1.SeriesStore/"
GR = "/enfed.v1.Grants/"
END_OF_TIME_MS = 7258118400000  # 2200-01-01: the last time a node accepts

# A point delivered by Client.follow: origin is "backfill" (fetched by a
# Query: before the follow started, or lost by the stream) or "live".
Point = collections.namedtuple("Point", "series_id ts_ms value origin")

# A bucket of Client.query: its start, value, the share of it covered by
# data (0: no data, the value is not a measurement) and its point count.
Bucket = collections.namedtuple("Bucket", "ts_ms value coverage n_points")

_KINDS = {"consumption": series_pb2.SERIES_KIND_CONSUMPTION,
          "production": series_pb2.SERIES_KIND_PRODUCTION,
          "power": series_pb2.SERIES_KIND_POWER,
          "index": series_pb2.SERIES_KIND_INDEX}
_UNITS = {"Wh": series_pb2.UNIT_WH, "W": series_pb2.UNIT_W,
          "VA": series_pb2.UNIT_VA, "A": series_pb2.UNIT_A}
_STEPS = {"raw": series_pb2.STEP_RAW, "5min": series_pb2.STEP_5MIN,
          "15min": series_pb2.STEP_15MIN, "hour": series_pb2.STEP_HOUR,
          "day": series_pb2.STEP_DAY, "week": series_pb2.STEP_WEEK,
          "month": series_pb2.STEP_MONTH, "year": series_pb2.STEP_YEAR}
_AGGS = {"default": series_pb2.AGG_DEFAULT, "sum": series_pb2.AGG_SUM,
         "mean": series_pb2.AGG_MEAN, "min": series_pb2.AGG_MIN,
         "max": series_pb2.AGG_MAX, "first": series_pb2.AGG_FIRST,
         "last": series_pb2.AGG_LAST, "count": series_pb2.AGG_COUNT}
_SCOPES = {"query": grant_pb2.SCOPE_QUERY, "live": grant_pb2.SCOPE_LIVE}


class CallError(Exception):
    """The node answered with a status other than OK."""

    def __init__(self, status, message):
        name = rpc_pb2.StatusCode.Name(status)
        super().__init__("%s: %s" % (name, message))
        self.status = status
        self.status_name = name
        self.message = message


def _enum(table, value, what):
    if isinstance(value, int):
        return value
    try:
        return table[value]
    except KeyError:
        raise ValueError("%s %r: one of %s" % (what, value, ", ".join(table)))


class Client:
    """An enfed node's RPC address (tcp:// or tls+tcp://) and a token.

    tls: enfed.TLS(ca, cert, key) for tls+tcp://. stream_url (and
    stream_tls, default tls) is the node's --stream address, needed only
    by follow(). timeout_ms bounds each call.
    """

    def __init__(self, url, token="", tls=None, timeout_ms=5000,
                 stream_url=None, stream_tls=None, accept=None):
        self.url, self.tls = url, tls
        self.token = token.encode() if isinstance(token, str) else token
        self.timeout_ms = timeout_ms
        self.stream_url = stream_url
        self.stream_tls = stream_tls if stream_tls is not None else tls
        self.accept = [rpc_pb2.CODEC_NONE] if accept is None else accept
        self.sp = None
        self.next_id = 1
        self.sp_id = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        self.last_reply = None

    # --- the envelope ------------------------------------------------------

    def _connect(self):
        if self.sp is None:
            self.sp = SPSocket(self.url, SP_REQ, SP_REP,
                               self.timeout_ms / 1000.0 + 1, self.tls)

    def _once(self, method, request):
        self._connect()
        env = rpc_pb2.Request(id=self.next_id, method=method,
                              timeout_ms=self.timeout_ms, token=self.token,
                              codec=rpc_pb2.CODEC_NONE,
                              body=request.SerializeToString())
        env.accept.extend(self.accept)
        self.next_id += 1
        # SP's REQ header: a 32-bit request id, high bit set, echoed back.
        self.sp_id = (self.sp_id + 1) & 0x7FFFFFFF
        sp_hdr = struct.pack(">I", self.sp_id | 0x80000000)
        self.sp.send(sp_hdr + env.SerializeToString())
        deadline = time.monotonic() + self.timeout_ms / 1000.0 + 1
        while True:
            msg = self.sp.recv(max(deadline - time.monotonic(), 0.001))
            if msg[:4] == sp_hdr:
                break  # a late reply to an earlier request is dropped
        rep = rpc_pb2.Reply.FromString(msg[4:])
        self.last_reply = rep
        if rep.id != env.id:
            raise ProtocolError("reply id %d for request %d"
                                % (rep.id, env.id))
        return rep

    def call(self, method, request, response_type):
        """Calls "/package.Service/Method" with a request message; the
        decoded reply, or CallError with the node's status."""
        try:
            rep = self._once(method, request)
        except (ProtocolError, OSError):
            # The connection broke (or timed out): once more on a new one.
            self.close()
            rep = self._once(method, request)
        if rep.status != rpc_pb2.OK:
            raise CallError(rep.status, rep.message)
        if rep.codec != rpc_pb2.CODEC_NONE:
            raise ProtocolError("reply body encoded as %s"
                                % rpc_pb2.Codec.Name(rep.codec))
        return response_type.FromString(rep.body)

    def close(self):
        if self.sp is not None:
            self.sp.close()
            self.sp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- calls -------------------------------------------------------------

    def health(self):
        """Health/Check (no token needed): service, version, node, ..."""
        return self.call("/enfed.v1.Health/Check",
                         health_pb2.HealthCheckRequest(),
                         health_pb2.HealthCheckResponse)

    def create_series(self, series_id, kind, unit, interval_s=0,
                      cumulative=False, owner="", source="", tz=""):
        """CreateSeries; kind: consumption, production, power, index;
        unit: Wh, W, VA, A. The SeriesInfo."""
        meta = series_pb2.SeriesMeta(
            id=series_id, kind=_enum(_KINDS, kind, "kind"),
            unit=_enum(_UNITS, unit, "unit"), interval_s=interval_s,
            cumulative=cumulative, owner=owner, source=source, tz=tz)
        return self.call(SS + "CreateSeries",
                         series_pb2.CreateSeriesRequest(meta=meta),
                         series_pb2.SeriesInfo)

    def get_series(self, series_id):
        """GetSeries: the SeriesInfo (meta, n_points, last_ms, seq)."""
        return self.call(SS + "GetSeries",
                         series_pb2.GetSeriesRequest(id=series_id),
                         series_pb2.SeriesInfo)

    def ingest(self, series_id, points, batch=10000):
        """Ingest (ts_ms, value) pairs, in batches; (stored, duplicate).
        Idempotent: sending the same points again stores nothing."""
        points = list(points)
        stored = duplicate = 0
        for at in range(0, len(points), batch):
            chunk = points[at:at + batch]
            sp = series_pb2.SeriesPoints(
                series_id=series_id, ts_ms=[int(p[0]) for p in chunk],
                value=[float(p[1]) for p in chunk])
            r = self.call(SS + "Ingest", series_pb2.IngestRequest(series=[sp]),
                          series_pb2.IngestResponse)
            stored += r.n_stored
            duplicate += r.n_duplicate
        return stored, duplicate

    def query_raw(self, series_ids, from_ms, to_ms, step="raw",
                  agg="default", tz=""):
        """Query, as the node answers it (a QueryResponse)."""
        if isinstance(series_ids, str):
            series_ids = [series_ids]
        q = series_pb2.QueryRequest(
            series_ids=series_ids,
            range=series_pb2.TimeRange(from_ms=int(from_ms), to_ms=int(to_ms)),
            step=_enum(_STEPS, step, "step"), agg=_enum(_AGGS, agg, "agg"),
            tz=tz)
        return self.call(SS + "Query", q, series_pb2.QueryResponse)

    def query(self, series_id, from_ms, to_ms, step="raw", agg="default",
              tz=""):
        """One series over [from_ms, to_ms): Buckets (raw: the points,
        coverage 1). Read the coverage: an empty bucket's value is 0."""
        r = self.query_raw([series_id], from_ms, to_ms, step, agg, tz)
        res = r.results[0]
        out = []
        for i, (t, v) in enumerate(zip(res.ts_ms, res.value)):
            cov = res.coverage[i] if i < len(res.coverage) else 1.0
            n = res.n_points[i] if i < len(res.n_points) else 1
            out.append(Bucket(t, v, cov, n))
        return out

    def grant_create(self, series, grantee_node, scopes=("query",),
                     finest_step="raw", from_ms=0, to_ms=0, expires_ms=0,
                     grantee_rpc_addr=""):
        """Grants/Create: the owner's consent for grantee_node to read
        `series` (an id, or a prefix ending in '/'). (Grant, token): the
        grantee's token is shown only here."""
        g = grant_pb2.Grant(
            series=series, grantee_node=grantee_node,
            scopes=[_enum(_SCOPES, s, "scope") for s in scopes],
            finest_step=_enum(_STEPS, finest_step, "step"),
            data_range=series_pb2.TimeRange(from_ms=from_ms, to_ms=to_ms),
            expires_ms=expires_ms, grantee_rpc_addr=grantee_rpc_addr)
        r = self.call(GR + "Create", grant_pb2.CreateGrantRequest(grant=g),
                      grant_pb2.CreateGrantResponse)
        return r.grant, r.token

    def grants(self):
        """Grants/List: the grants the caller may see."""
        return list(self.call(GR + "List", grant_pb2.ListGrantsRequest(),
                              grant_pb2.ListGrantsResponse).grants)

    def grant_revoke(self, grant_id):
        """Grants/Revoke: takes effect at once; the revoked Grant."""
        return self.call(GR + "Revoke",
                         grant_pb2.RevokeGrantRequest(id=grant_id),
                         grant_pb2.Grant)

    # --- the live stream ---------------------------------------------------

    def follow(self, series_id, since_ms=0, reconnect_s=30.0):
        """A Follower of one series: the points after since_ms, first by
        Query (back-fill), then live from the stream, each once, in time
        order, across lost frames and node restarts (see Follower)."""
        if self.stream_url is None:
            raise ValueError("follow() needs the node's stream_url")
        return Follower(self, series_id, since_ms, reconnect_s)


class Follower:
    """Follows a series as lib/follow.c does (docs/protocol.md).

    Subscribes first, then back-fills by Query everything stored after
    since_ms. The first frame received, a jump in the frames' `seq`, or a
    new `epoch` (the node restarted) is answered by a Query of the points
    after the newest one delivered up to the frame's newest, delivered
    instead of the frame (it holds the frame's points and any lost ones);
    a broken connection is dialled again (for up to reconnect_s) and
    back-filled the same way. So nothing is lost and nothing delivered
    twice. Points come in time order: one older than the newest
    delivered (a late import) is not delivered.
    """

    def __init__(self, client, series_id, since_ms, reconnect_s):
        self.client = client
        self.series_id = series_id
        self.last_ms = since_ms  # newest point delivered
        self.reconnect_s = reconnect_s
        self.sub = None
        self.epoch = None
        self.seq = 0  # the last frame's sequence number
        self.ready = []  # points to hand out
        self.down_since = None  # when the connection was lost
        self.stats = {"frames": 0, "backfills": 0, "backfilled_points": 0,
                      "reconnects": 0}
        self._sync()

    def _subscribe(self):
        c = self.client
        self.sub = SPSocket(c.stream_url, SP_SUB, SP_PUB,
                            c.timeout_ms / 1000.0 + 1, c.stream_tls)
        self.epoch = None

    def _backfill(self, to_ms=END_OF_TIME_MS):
        if self.last_ms + 1 >= to_ms:
            return
        res = self.client.query(self.series_id, self.last_ms + 1, to_ms)
        self.stats["backfills"] += 1
        for b in res:
            if b.ts_ms > self.last_ms:
                self.ready.append(Point(self.series_id, b.ts_ms, b.value,
                                        "backfill"))
                self.last_ms = b.ts_ms
                self.stats["backfilled_points"] += 1

    def _sync(self):
        """(Re)subscribes, then back-fills what is stored already."""
        if self.sub is None:
            self._subscribe()
        self._backfill()

    def _reconnect(self):
        """One attempt at subscribing again and back-filling; False when
        the node is still away (an error once away for reconnect_s)."""
        if self.sub is not None:
            self.sub.close()
            self.sub = None
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.stats["reconnects"] += 1
        try:
            self.client.close()
            self._sync()
            self.down_since = None
            return True
        except (OSError, ProtocolError, CallError):
            if self.sub is not None:
                self.sub.close()
                self.sub = None
            if time.monotonic() - self.down_since >= self.reconnect_s:
                raise
            return False

    def _frame(self, f):
        newest = max(f.ts_ms) if f.ts_ms else self.last_ms
        # The first frame of a subscription is resynchronised by Query:
        # frames published before the node added this subscriber are lost
        # to it. Then a jump in seq, or a new epoch, is a loss.
        lost = (self.epoch is None or f.epoch != self.epoch
                or f.seq != self.seq + 1)
        self.epoch, self.seq = f.epoch, f.seq
        self.stats["frames"] += 1
        if lost:
            self._backfill(newest + 1)  # the lost points and this frame's
            return
        for t, v in zip(f.ts_ms, f.value):
            if t > self.last_ms:
                self.ready.append(Point(self.series_id, t, v, "live"))
                self.last_ms = t

    def next(self, timeout_s):
        """The points that came within timeout_s (possibly none)."""
        deadline = time.monotonic() + timeout_s
        prefix = (self.series_id + " ").encode()
        while not self.ready:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if self.sub is None and not self._reconnect():
                time.sleep(min(0.1, left))
                continue
            try:
                msg = self.sub.recv(left)
            except socket.timeout:
                break
            except (OSError, ProtocolError):
                self._reconnect()  # the node restarted: back-fill
                continue
            if not msg.startswith(prefix):
                continue
            self._frame(stream_pb2.StreamFrame.FromString(msg[len(prefix):]))
        out, self.ready = self.ready, []
        return out

    def __iter__(self):
        while True:
            for p in self.next(3600.0):
                yield p

    def close(self):
        if self.sub is not None:
            self.sub.close()
            self.sub = None
