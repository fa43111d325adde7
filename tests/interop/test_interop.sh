#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_interop.sh: calls a running enfed server with nothing but Debian's
# protoc (protobuf-compiler) and nngcat (nng-utils), exactly as
# docs/protocol.md shows: encode the envelope in text format, send it over
# a REQ socket, decode the reply.
# Usage: test_interop.sh SOURCE_DIR SERVER_BINARY
set -eu
src=$1
server=$2
for tool in protoc nngcat; do
	command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool is not installed"; exit 1; }
done
work=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
url="ipc://$work/rpc.sock"
"$server" "$url" >"$work/server.out" 2>"$work/server.err" &
pid=$!
i=0
until grep -q ready "$work/server.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "FAIL: server not ready"; cat "$work/server.err"; exit 1; }
	sleep 0.05
done
P="protoc -I $src/proto -I $src/tests/interop"

# 1. Health/Check.
$P --encode=interop.HealthCall interop.proto >"$work/req.bin" <<'MSG'
id: 1
method: "/enfed.v1.Health/Check"
timeout_ms: 2000
accept: CODEC_NONE
MSG
nngcat --req --dial "$url" --file "$work/req.bin" --raw --recv-timeout 5 >"$work/rep.bin"
$P --decode=interop.HealthResult interop.proto <"$work/rep.bin" >"$work/rep.txt"
cat "$work/rep.txt"
grep -q '^id: 1$' "$work/rep.txt" || { echo "FAIL: reply id"; exit 1; }
grep -q 'service: "fed_test_server"' "$work/rep.txt" || { echo "FAIL: health body"; exit 1; }
grep -q 'services: "enfed.v1.Health"' "$work/rep.txt" || { echo "FAIL: services"; exit 1; }
if grep -q '^status:' "$work/rep.txt"; then echo "FAIL: status not OK"; exit 1; fi
if grep -q '^codec:' "$work/rep.txt"; then echo "FAIL: reply not plain"; exit 1; fi

# 2. Echo with a body, then an unknown method.
$P --encode=interop.EchoCall interop.proto >"$work/req.bin" <<'MSG'
id: 2
method: "/enfed.test.Echo/Echo"
token: "any"
body { payload: "bonjour Kermélo" }
MSG
nngcat --req --dial "$url" --file "$work/req.bin" --raw --recv-timeout 5 >"$work/rep.bin"
$P --decode=interop.EchoResult interop.proto <"$work/rep.bin" >"$work/rep.txt"
cat "$work/rep.txt"
grep -q 'payload: "bonjour Kerm' "$work/rep.txt" || { echo "FAIL: echo payload"; exit 1; }
grep -q 'token: "any"' "$work/rep.txt" || { echo "FAIL: echo token"; exit 1; }

$P --encode=interop.EchoCall interop.proto >"$work/req.bin" <<'MSG'
id: 3
method: "/enfed.test.Echo/Nope"
MSG
nngcat --req --dial "$url" --file "$work/req.bin" --raw --recv-timeout 5 >"$work/rep.bin"
$P --decode=interop.EchoResult interop.proto <"$work/rep.bin" >"$work/rep.txt"
cat "$work/rep.txt"
grep -q '^status: UNIMPLEMENTED$' "$work/rep.txt" || { echo "FAIL: unknown method status"; exit 1; }
echo "interop: 3 calls made with protoc and nngcat: 3 passed, 0 failed"
