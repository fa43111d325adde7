# SPDX-License-Identifier: MIT
#
# test_follower.py: enfed's Follower on a scripted stream, no node: the
# first frame of a subscription, a lost frame (a jump in seq), a new
# epoch (a restart), a frame overlapping what was delivered, another
# series' frames, and a broken connection, each made good by a Query of
# the stored points, so that every point comes once, in order, none
# missing. Exits 0 when every check passes.
# (PYTHONPATH: the protoc-generated modules' folder and clients/python)

import socket
import sys

import enfed
from enfed import client as ec
from enfed.v1 import stream_pb2

SERIES = "home/x/energy"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class FakeClient:
    """The node's stored points, answered by query()."""

    stream_url, stream_tls, timeout_ms = "tcp://fake:1", None, 1000

    def __init__(self):
        self.store = {}
        self.queries = 0

    def query(self, series_id, from_ms, to_ms):
        self.queries += 1
        return [ec.Bucket(t, v, 1.0, 1) for t, v in sorted(self.store.items())
                if from_ms <= t < to_ms]

    def close(self):
        pass


def frame(epoch, seq, ts, series=SERIES):
    f = stream_pb2.StreamFrame(series_id=series, seq=seq, epoch=epoch,
                               ts_ms=ts, value=[float(t) for t in ts])
    return (series + " ").encode() + f.SerializeToString()


class FakeSub:
    """One connection's messages; "CLOSE" breaks it."""

    def __init__(self, script):
        self.script = script

    def recv(self, timeout_s):
        if not self.script:
            raise socket.timeout()
        m = self.script.pop(0)
        if m == "CLOSE":
            raise enfed.ProtocolError("connection closed")
        return m

    def close(self):
        pass


def main():
    cli = FakeClient()
    cli.store = {t: float(t) for t in range(0, 5)}
    connections = [
        [frame(1, 7, [5]),             # first frame: back-filled
         frame(1, 8, [6]),             # live
         frame(1, 10, [9]),            # seq 9 (7, 8) lost: back-filled
         frame(2, 1, [10]),            # a new epoch: back-filled
         frame(2, 2, [10, 11]),        # live, 10 not twice
         frame(2, 3, [50], "home/x/energy2"),  # another series
         "CLOSE"],                     # reconnect: 12..14 back-filled
        [frame(3, 1, [13]),            # already delivered: nothing
         frame(3, 2, [14])]]           # the same

    class Scripted(ec.Follower):
        def _subscribe(self):
            self.sub = FakeSub(connections.pop(0))
            self.epoch = None

    fol = Scripted(cli, SERIES, -1, 5.0)  # back-fills 0..4
    cli.store.update({t: float(t) for t in range(5, 15)})  # stored later
    got = []
    for _ in range(20):
        got += fol.next(0.01)
    origins = {p.ts_ms: p.origin for p in got}
    check([p.ts_ms for p in got] == list(range(15)),
          "every point once, in order: %s" % [p.ts_ms for p in got])
    check(all(p.value == float(p.ts_ms) for p in got), "values as stored")
    check([t for t in range(15) if origins.get(t) == "live"] == [6, 11],
          "live: 6 and 11; the rest back-filled")
    check(fol.stats["reconnects"] == 1, "one reconnection")
    check(not connections, "both connections used")
    print("follower: %d failed" % len(failures))
    sys.exit(1 if failures else 0)


main()
