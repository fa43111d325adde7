#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/services/web/readme_shots.sh BUILD_DIR OUT_DIR [BEFORE_DIR]: the
# README's screenshots, from those test_web_layout leaves in
# BUILD_DIR/web-screenshots/ (run `ctest --test-dir BUILD_DIR -R
# test_web_layout` first), reduced to a palette (pngquant) and recompressed
# (optipng), each well under 200 KB:
#   OUT_DIR/dashboard.png, dashboard-phone.png   legall's dashboard at 1280
#                                                and 390 px (shaped data)
#   OUT_DIR/curves.png, curves-phone.png         the school, the house and
#                                                the plant over a week
#   OUT_DIR/curves-390-after.png,                the curves and the dashboard
#   OUT_DIR/dashboard-390-after.png              at 390 px on the fixture's
#                                                own data, beside the "before"
# BEFORE_DIR, when given, holds curves.png and dashboard.png taken at 390 px
# by an older fed-web's test_web_browser (its --window-size set to
# 390,1800): they become OUT_DIR/curves-390-before.png and
# dashboard-390-before.png. Needs pngquant and optipng (Debian packages).
set -eu
shots=$1/web-screenshots
out=$2
before=${3:-}
for t in pngquant optipng; do
	command -v $t >/dev/null || { echo "readme_shots: $t missing (apt-get install $t)" >&2; exit 1; }
done
[ -s "$shots/readme-curves-1280.png" ] || {
	echo "readme_shots: no $shots/readme-curves-1280.png: run ctest --test-dir $1 -R test_web_layout" >&2
	exit 1
}
mkdir -p "$out"
small() { # from to
	pngquant --force --quality=60-90 --speed 1 --output "$2" -- "$1"
	optipng -quiet -o2 "$2"
	echo "$2 $(wc -c <"$2") bytes"
}
small "$shots/readme-dashboard-1280.png" "$out/dashboard.png"
small "$shots/readme-dashboard-390.png" "$out/dashboard-phone.png"
small "$shots/readme-curves-1280.png" "$out/curves.png"
small "$shots/readme-curves-390.png" "$out/curves-phone.png"
small "$shots/curves-390.png" "$out/curves-390-after.png"
small "$shots/dashboard-390.png" "$out/dashboard-390-after.png"
if [ -n "$before" ]; then
	small "$before/curves.png" "$out/curves-390-before.png"
	small "$before/dashboard.png" "$out/dashboard-390-before.png"
fi
