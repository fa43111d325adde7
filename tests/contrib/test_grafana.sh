#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_grafana.sh SOURCE_DIR: contrib/grafana/enfed-node.json is valid JSON
# and a Grafana dashboard (a title, panels with queries), and every enfed_
# metric its queries use is one that docs/operations.md lists (so that a
# renamed metric cannot leave the dashboard drawing nothing).
set -eu
src=$1
json=$src/contrib/grafana/enfed-node.json
doc=$src/docs/operations.md
python3 - "$json" "$doc" <<'PY'
import json, re, sys
with open(sys.argv[1]) as f:
    d = json.load(f)  # fails on invalid JSON
assert d.get("title"), "no title"
panels = d.get("panels") or []
assert len(panels) >= 8, "too few panels"
used = set()
for p in panels:
    targets = p.get("targets") or []
    assert targets, "panel %r has no query" % p.get("title")
    for t in targets:
        for name in re.findall(r"\benfed_[a-z0-9_]+", t["expr"]):
            used.add(re.sub(r"_(bucket|sum|count)$", "", name))
with open(sys.argv[2]) as f:
    text = f.read()
start = text.find("## Metrics")
assert start >= 0, "docs/operations.md has no Metrics section"
section = text[start:]
documented = set(re.findall(r"`(enfed_[a-z0-9_]+)", section))
missing = sorted(used - documented)
assert not missing, "used by the dashboard, not documented: %s" % missing
print("%d panels, %d metrics, all documented" % (len(panels), len(used)))
PY
