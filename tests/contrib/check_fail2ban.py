#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# check_fail2ban.py FILTER LOG HOST COUNT: applies the failregex of a
# fail2ban filter to each line of LOG as fail2ban would (the line after
# its date, <HOST> an address), and exits 0 when exactly COUNT lines name
# HOST and no line names another address; 1 otherwise, saying why. Uses
# fail2ban-regex itself when it is installed, Python's re otherwise.

import configparser
import re
import shutil
import subprocess
import sys

# fail2ban's <HOST>, narrowed to what fed-web writes: an IPv4 or IPv6
# address, or a name.
HOST = r"(?:::f{4,6}:)?(?P<host>[\w\-.^_]*\w|[0-9a-fA-F:]+)"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?")


def load(path):
    cp = configparser.RawConfigParser()
    cp.read(path)
    d = cp["Definition"]
    fail = [l for l in d["failregex"].splitlines() if l.strip()]
    ignore = [l for l in d.get("ignoreregex", "").splitlines() if l.strip()]
    unescape = lambda r: r.replace("%%", "%").replace("<HOST>", HOST)
    return [re.compile(unescape(r)) for r in fail], [
        re.compile(unescape(r)) for r in ignore
    ]


def hosts(path, fail, ignore):
    found = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = DATE.match(line)
            if m is None:
                continue
            rest = line[m.end():]
            if any(r.search(rest) for r in ignore):
                continue
            for r in fail:
                m = r.search(rest)
                if m:
                    found.append(m.group("host"))
                    break
    return found


def main():
    filt, log, host, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    fail, ignore = load(filt)
    found = hosts(log, fail, ignore)
    if found.count(host) != count or len(found) != count:
        print(f"expected {count} x {host}, found {found}")
        return 1
    if shutil.which("fail2ban-regex"):
        out = subprocess.run(
            ["fail2ban-regex", log, filt], capture_output=True, text=True
        )
        if f"Failregex: {count} total" not in out.stdout:
            print(out.stdout, out.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
