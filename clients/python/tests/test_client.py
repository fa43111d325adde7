# SPDX-License-Identifier: MIT
#
# test_client.py: the enfed Python package against real fed-nodes on
# loopback, over tcp:// and over tls+tcp:// with certificates made by
# fed-pki: health, ingest (idempotent), query (raw and daily totals),
# grants (create, a grantee's reads limited to what the grant allows,
# list, revoke), and follow: a back-fill, live points, then the node
# stopped and started again while points are ingested, every point
# delivered once, none missing. Exits 0 when every check passes.
# Usage: test_client.py FED_NODE FED_PKI
# (PYTHONPATH: the protoc-generated modules' folder and clients/python)

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import enfed
from enfed.v1 import rpc_pb2

NODE, PKI = sys.argv[1], sys.argv[2]
ADMIN = "py-package-admin-token"
SERIES = "home/linky/energy"
T0 = 1768431600000  # 2026-01-15T00:00:00+01:00
HALF_H = 1800000

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    """A fed-node on loopback in a temporary folder, restartable."""

    def __init__(self, work, name, extra=(), tls=False):
        scheme = "tls+tcp" if tls else "tcp"
        self.rpc = "%s://127.0.0.1:%d" % (scheme, free_port())
        self.stream = "%s://127.0.0.1:%d" % (scheme, free_port())
        self.work, self.name, self.extra = work, name, list(extra)
        self.proc = None

    def start(self):
        log = os.path.join(self.work, self.name + ".log")
        self.err = open(log, "w")
        self.proc = subprocess.Popen(
            [NODE, "--name=" + self.name,
             "--data-dir=" + os.path.join(self.work, self.name),
             "--listen=" + self.rpc, "--stream=" + self.stream,
             "--admin-token=" + ADMIN, "--log-level=notice"] + self.extra,
            stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(200):  # 10 s at most
            with open(log) as f:
                if "ready" in f.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(log) as f:
            sys.exit("fed-node did not start:\n" + f.read())

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.err.close()


def day_points(n, first=0):
    """Half-hours of 2026-01-15 (Paris): Wh 100 + i."""
    return [(T0 + i * HALF_H, 100.0 + i) for i in range(first, first + n)]


def basics(cli, label):
    h = cli.health()
    check(h.service == "fed-node", "%s: health: %s %s" % (label, h.service,
                                                          h.node))
    cli.create_series(SERIES, "consumption", "Wh", interval_s=1800,
                      owner="household")
    pts = day_points(40)
    check(cli.ingest(SERIES, pts) == (40, 0), "%s: ingest 40" % label)
    check(cli.ingest(SERIES, pts) == (0, 40),
          "%s: ingest again: 40 already there" % label)
    raw = cli.query(SERIES, T0, T0 + 86400000)
    check([(b.ts_ms, b.value) for b in raw] == pts,
          "%s: query raw: the 40 points" % label)
    day = cli.query(SERIES, T0, T0 + 86400000, step="day",
                    tz="Europe/Paris")
    want = sum(v for _, v in pts)
    check(len(day) == 1 and day[0].value == want and day[0].ts_ms == T0,
          "%s: daily total %s Wh (want %s), coverage %.2f"
          % (label, day[0].value if day else None, want,
             day[0].coverage if day else -1))
    try:
        cli.query(SERIES, T0, T0)
        check(False, "%s: an empty range refused" % label)
    except enfed.CallError as e:
        check(e.status == rpc_pb2.INVALID_ARGUMENT,
              "%s: an empty range refused: %s" % (label, e))


def grants(cli, node):
    g, token = cli.grant_create("home/linky/", "supplier",
                                scopes=["query"], finest_step="day")
    check(g.id != "" and token != "", "grant created: %s" % g.id)
    check(any(x.id == g.id and not x.revoked for x in cli.grants()),
          "grants: listed")
    grantee = enfed.Client(node.rpc, token=token)
    day = grantee.query(SERIES, T0, T0 + 86400000, step="day",
                        tz="Europe/Paris")
    check(len(day) == 1 and day[0].value > 0, "grantee: daily total read")
    try:
        grantee.query(SERIES, T0, T0 + 86400000)
        check(False, "grantee: raw points refused (the grant says day)")
    except enfed.CallError as e:
        check(e.status_name in ("PERMISSION_DENIED", "INVALID_ARGUMENT"),
              "grantee: raw points refused: %s" % e.status_name)
    r = cli.grant_revoke(g.id)
    check(r.revoked, "grant revoked")
    try:
        grantee.query(SERIES, T0, T0 + 86400000, step="day")
        check(False, "grantee: refused once revoked")
    except enfed.CallError as e:
        check(e.status_name in ("PERMISSION_DENIED", "UNAUTHENTICATED"),
              "grantee: refused once revoked: %s" % e.status_name)
    grantee.close()


def collect(fol, want, timeout_s):
    """Points from the follower until `want` of them, or timeout_s."""
    got = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        got += fol.next(0.5)
    return got


def follow(cli, node, label, restart):
    since = T0 + 29 * HALF_H
    fol = cli.follow(SERIES, since_ms=since, reconnect_s=15)
    got = collect(fol, 10, 5)
    check([(p.ts_ms, p.origin) for p in got]
          == [(T0 + i * HALF_H, "backfill") for i in range(30, 40)],
          "%s: follow: 10 points back-filled after since" % label)
    # The first frame is back-filled (a new subscription), the next live.
    cli.ingest(SERIES, day_points(3, 40))
    got += collect(fol, 3, 5)
    cli.ingest(SERIES, day_points(2, 43))
    live = collect(fol, 2, 5)
    check([(p.ts_ms, p.origin) for p in live]
          == [(t, "live") for t, _ in day_points(2, 43)],
          "%s: follow: 2 live points" % label)
    got += live
    if restart:
        node.stop()
        check(fol.next(0.3) == [], "%s: node down: nothing" % label)
        node.start()
    cli.ingest(SERIES, day_points(3, 45))  # reconnects after a restart
    got += collect(fol, 3, 15)
    want = [t for t, _ in day_points(18, 30)]
    check([p.ts_ms for p in got] == want,
          "%s: follow: %d points, each once, none missing (%d reconnects, "
          "%d back-fills)" % (label, len(got), fol.stats["reconnects"],
                              fol.stats["backfills"]))
    check(all(p.value == 100.0 + (p.ts_ms - T0) // HALF_H for p in got),
          "%s: follow: values as ingested" % label)
    fol.close()


def household(work, node):
    """The example app: the 16th's 48 readings pushed, three days read."""
    path = os.path.join(work, "readings.csv")
    with open(path, "w") as f:
        f.write("time,Wh\n")
        for i in range(48):
            t = T0 + 86400000 + i * HALF_H
            f.write("%s,50\n" % time.strftime(
                "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t / 1000)))
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "examples", "household.py")
    r = subprocess.run([sys.executable, example, "--node", node.rpc,
                        "--token", ADMIN, "--series", SERIES,
                        "--readings", path, "--from", "2026-01-15",
                        "--days", "3"], capture_output=True, text=True,
                       timeout=30)
    want = ("48 readings stored, 0 already there\n"
            "2026-01-15      5928 Wh  (100% covered)\n"
            "2026-01-16      2400 Wh  (100% covered)\n"
            "2026-01-17  no data\n")
    check(r.returncode == 0 and r.stdout == want,
          "example household.py: %r %s" % (r.stdout, r.stderr[-300:]))


def pki(*args):
    subprocess.run([PKI] + list(args), check=True, stdout=subprocess.DEVNULL)


def main():
    work = tempfile.mkdtemp(prefix="enfed-py-")
    nodes = []
    try:
        # Plain tcp://
        node = Node(work, "pyhome")
        nodes.append(node)
        node.start()
        cli = enfed.Client(node.rpc, token=ADMIN, stream_url=node.stream)
        basics(cli, "tcp")
        grants(cli, node)
        follow(cli, node, "tcp", restart=True)
        cli.close()
        household(work, node)
        node.stop()

        # tls+tcp:// with fed-pki's certificates: the federation CA signs
        # the node and the household's client; the stream trusts the
        # organisation's own CA.
        fed, org = os.path.join(work, "fed"), os.path.join(work, "org")
        pki("ca", fed)
        pki("ca", org)
        pki("node", fed, "node", "--ip", "127.0.0.1")
        pki("edge", fed, "household")
        pki("edge", org, "app")
        pki("edge", org, "stranger")
        f = lambda n: os.path.join(fed, n)  # noqa: E731
        o = lambda n: os.path.join(org, n)  # noqa: E731
        tnode = Node(work, "pytls", tls=True, extra=[
            "--tls-cert=" + f("node.crt"), "--tls-key=" + f("node.key"),
            "--tls-ca=" + f("ca.crt"), "--stream-tls-ca=" + o("ca.crt")])
        nodes.append(tnode)
        tnode.start()
        tls = enfed.TLS(f("ca.crt"), f("household.crt"), f("household.key"))
        stream_tls = enfed.TLS(f("ca.crt"), o("app.crt"), o("app.key"))
        cli = enfed.Client(tnode.rpc, token=ADMIN, tls=tls,
                           stream_url=tnode.stream, stream_tls=stream_tls)
        basics(cli, "tls")
        follow(cli, tnode, "tls", restart=False)
        cli.close()
        # A certificate of another CA is not let in.
        bad = enfed.Client(tnode.rpc, token=ADMIN, timeout_ms=2000,
                           tls=enfed.TLS(f("ca.crt"), o("stranger.crt"),
                                         o("stranger.key")))
        try:
            bad.health()
            check(False, "tls: a stranger's certificate refused")
        except (OSError, enfed.ProtocolError) as e:
            check(True, "tls: a stranger's certificate refused (%s)"
                  % type(e).__name__)
        bad.close()
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("python package: %d failed" % len(failures))
    sys.exit(1 if failures else 0)


main()
