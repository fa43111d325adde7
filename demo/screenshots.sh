#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo/screenshots.sh DATA_DIR OUT_DIR: screenshots of a running demo's
# dashboard (fed-web), taken with headless Chromium, for the README:
#   OUT_DIR/dashboard.png   legall's investor widget (use case 1)
#   OUT_DIR/curves.png      the school, the house and the plant over a week,
#                           one curve under another (use case 2)
#   OUT_DIR/curves-phone.png the same on a phone (390 px wide): each curve
#                           the whole width, its box under it
# The demo must be running (./run demo) with its data in DATA_DIR; the
# logins are the demo's own (DATA_DIR/<user>.password). Environment:
# DEMO_BASE_PORT as for the demo (default 7400), CHROMIUM (default
# /usr/bin/chromium).
set -eu
data=$1
out=$2
base=${DEMO_BASE_PORT:-7400}
web=http://127.0.0.1:$((base + 80))
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "screenshots: $chromium not found (apt-get install chromium)" >&2; exit 1; }
for u in legall teacher; do
	[ -s "$data/$u.password" ] || { echo "screenshots: no $data/$u.password: is the demo running?" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A page that logs a user in and goes on to a path of fed-web (the
# password stays in the temporary folder).
launcher() { # file user next
	pw=$(tr -d '\n' <"$data/$2.password")
	cat >"$work/$1" <<HTML
<!DOCTYPE html><html><body><form method="post" action="$web/login">
<input name="user" value="$2"><input name="password" value="$pw">
<input name="next" value="$3"></form>
<script>document.forms[0].submit();</script></body></html>
HTML
}

shot() { # name user next height [width]
	launcher "$1.html" "$2" "$3"
	timeout 60 "$chromium" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$work/profile-$1" --hide-scrollbars \
		--virtual-time-budget=8000 --window-size="${5:-1280}","$4" \
		--screenshot="$out/$1.png" "file://$work/$1.html" >/dev/null 2>&1
	[ -s "$out/$1.png" ] || { echo "screenshots: $1 failed" >&2; exit 1; }
	echo "$out/$1.png"
}

shot dashboard legall /dashboard 1500
shot curves teacher \
	"/curves?s=kermelo/school/energy&s=maison-lorient/linky/energy&s=kermelo/pv/energy&scale=week" 1350
shot curves-phone teacher \
	"/curves?s=kermelo/school/energy&s=maison-lorient/linky/energy&s=kermelo/pv/energy&scale=week" 1650 390
