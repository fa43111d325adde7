#!/bin/sh
# SPDX-License-Identifier: MIT
#
# axe_install.sh DIR: installs axe-core 4 (a test-only tool, from npm) into
# DIR/node_modules for test_web_a11y, once. Without npm or the network it
# says so and succeeds: test_web_a11y then reports itself skipped.
set -u
dir=$1
if [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then
	echo "axe-core already in $dir"
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "npm is not installed: test_web_a11y will be skipped"
	exit 0
fi
if ! timeout 100 npm install --prefix "$dir" --no-audit --no-fund \
	--loglevel=error axe-core@4; then
	echo "npm could not install axe-core: test_web_a11y will be skipped"
fi
exit 0
