#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# household.py: what a household's app does with its enfed node: push the
# meter's readings (a file of `time,Wh` lines: ISO 8601 with offset, the
# energy of the interval that starts then), then read back the daily
# totals, with how much of each day the data covers.
#
#   household.py --node tcp://127.0.0.1:7410 --token TOKEN \
#       --series home/linky/energy --readings readings.csv \
#       --from 2026-01-14 --days 3
#
# tls+tcp:// takes --ca, --cert and --key (files made by fed-pki). The
# series is created (consumption, Wh) when it does not exist yet. Sending
# the same readings again stores nothing twice.
# (PYTHONPATH: clients/python and the protoc-generated modules.)

import argparse
import datetime as dt
import sys
import zoneinfo

import enfed

DAY_MS = 86400000


def readings(path):
    """(ts_ms, Wh) of each `time,Wh` line; '#' lines and a header ignored."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            t, _, v = line.partition(",")
            try:
                when = dt.datetime.fromisoformat(t)
                wh = float(v)
            except ValueError:
                if n == 1:
                    continue  # a header
                sys.exit("%s:%d: expected time,Wh" % (path, n))
            if when.tzinfo is None:
                sys.exit("%s:%d: the time needs its offset" % (path, n))
            out.append((int(when.timestamp() * 1000), wh))
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Push a household meter's readings, read back daily "
        "totals.")
    ap.add_argument("--node", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--series", required=True)
    ap.add_argument("--readings", required=True)
    ap.add_argument("--from", dest="first", required=True,
                    help="first day shown, YYYY-MM-DD")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--tz", default="Europe/Paris")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    tls = enfed.TLS(a.ca, a.cert, a.key) if a.ca else None
    zone = zoneinfo.ZoneInfo(a.tz)
    with enfed.Client(a.node, token=a.token, tls=tls) as node:
        try:
            node.get_series(a.series)
        except enfed.CallError as e:
            if e.status_name != "NOT_FOUND":
                raise
            node.create_series(a.series, "consumption", "Wh",
                               interval_s=1800, source="household app",
                               tz=a.tz)
        stored, already = node.ingest(a.series, readings(a.readings))
        print("%d readings stored, %d already there" % (stored, already))
        start = dt.datetime.fromisoformat(a.first).replace(tzinfo=zone)
        end = start + dt.timedelta(days=a.days)
        days = node.query(a.series, start.timestamp() * 1000,
                          end.timestamp() * 1000,
                          step="day", tz=a.tz)
        for d in days:
            day = dt.datetime.fromtimestamp(d.ts_ms / 1000, zone)
            if d.coverage == 0:
                print("%s  no data" % day.date())
            else:
                print("%s  %8.0f Wh  (%3.0f%% covered)"
                      % (day.date(), d.value, 100 * d.coverage))


if __name__ == "__main__":
    main()
