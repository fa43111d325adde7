#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_package.sh DEB_DIR SOURCE_DIR [VERSION]: the Debian packages that
# `./run package` made in DEB_DIR, unpacked (dpkg-deb -x) into a scratch
# root and run from there, so that a file the packages lack fails here:
#   - every installed program answers --version (with the packages' version
#     when VERSION is given, so that stale packages are not tested);
#   - fed-node runs on the example node.conf (paths moved into the scratch
#     folder, ipc:// only), fed-edge-tic on the example edge-tic.conf reads
#     a real Linky capture into it, and fedctl finds the points;
#   - fed-pki makes a CA and a node certificate;
#   - the units pass `systemd-analyze verify` (ExecStart pointed at the
#     scratch root; their man pages looked up in it).
# Exits 77 (skipped) without dpkg-deb or without packages in DEB_DIR.
# FED_PACKAGE_EXEC, if set, runs each program (qemu-aarch64-static, to try
# the arm64 packages on another machine).
set -u
X=${FED_PACKAGE_EXEC:-}
debs=$1
src=$2
want=${3:-}
command -v dpkg-deb >/dev/null || { echo "SKIP: dpkg-deb is absent"; exit 77; }
set -- "$debs"/enfed_*.deb
[ -f "$1" ] || { echo "SKIP: no enfed_*.deb in $debs (./run package makes them)"; exit 77; }
set -- "$debs"/enfed-edge_*.deb
[ -f "$1" ] || { echo "SKIP: no enfed-edge_*.deb in $debs (./run package makes them)"; exit 77; }

work=$(mktemp -d)
node_pid=""
cleanup() {
	if [ -n "$node_pid" ]; then
		kill -TERM "$node_pid" 2>/dev/null
		i=0
		while kill -0 "$node_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$node_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "FAIL: $*"
	for l in "$work"/*.log; do
		[ -f "$l" ] && { echo "--- $l"; tail -n 20 "$l"; }
	done
	exit 1
}

root=$work/root
mkdir -p "$root"
for d in "$debs"/enfed_*.deb "$debs"/enfed-edge_*.deb; do
	v=$(dpkg-deb -f "$d" Version)
	if [ -n "$want" ] && [ "$v" != "$want" ]; then
		fail "$d is version $v, the sources (as configured in this build) are $want: run ./run package, and cmake on this build, again"
	fi
	dpkg-deb -x "$d" "$root" || fail "dpkg-deb -x $d"
done
bin=$root/usr/bin
ex=$root/usr/share/doc/enfed/examples
exe=$root/usr/share/doc/enfed-edge/examples

# Every program, installed, runs (its libraries are the system's).
for p in fed-node fed-directory fed-invest fed-web fed-relay fed-edge-sim fedctl \
	fed-edge-tic fed-edge-envoy fed-edge-mqtt; do
	[ -x "$bin/$p" ] || fail "$p is not in the packages"
	[ -s "$root/usr/share/man/man1/$p.1.gz" ] || fail "$p's man page is not in the packages"
	out=$($X "$bin/$p" --version 2>&1) || fail "$p --version: $out"
	case "$out" in
	"$p "*) ;;
	*) fail "$p --version printed '$out'" ;;
	esac
done
for f in "$bin/fed-pki" "$root/usr/share/man/man1/fed-pki.1.gz" \
	"$root/etc/enfed/directory.conf" "$root/etc/enfed/invest.conf" \
	"$root/etc/enfed/web.conf" "$ex/node.conf" "$ex/relay.conf" \
	"$exe/edge-tic.conf" "$exe/edge-envoy.conf" "$exe/edge-mqtt.conf" \
	"$root/usr/share/doc/enfed/copyright" "$root/usr/share/doc/enfed-edge/copyright"; do
	[ -s "$f" ] || fail "$f is not in the packages"
done
# The conffiles parse: each service reads its own and stops at --help.
for p in directory invest web; do
	$X "$bin/fed-$p" --config="$root/etc/enfed/$p.conf" --help >/dev/null 2>"$work/$p.log" ||
		fail "fed-$p does not accept its /etc/enfed/$p.conf"
done

# fed-pki, the shell script, with the system's openssl.
if command -v openssl >/dev/null; then
	"$bin/fed-pki" ca "$work/pki" >"$work/pki.log" 2>&1 || fail "fed-pki ca"
	"$bin/fed-pki" node "$work/pki" school --dns school.example >>"$work/pki.log" 2>&1 ||
		fail "fed-pki node"
	[ -s "$work/pki/school.crt" ] || fail "fed-pki made no certificate"
fi

# A node from the example config: the service's paths moved here, ipc://
# only, an administrator token and a writer token for the collector.
umask 077
run=$work/run
mkdir -p "$run"
printf 'fed_test_admin_%s\n' "$$" >"$work/admin.token"
printf 'fed_test_writer_%s\n' "$$" >"$work/writer.token"
hash_of() { printf '%s' "$(cat "$1")" | sha256sum | cut -d' ' -f1; }
printf 'linky-board writer %s home/\n' "$(hash_of "$work/writer.token")" >"$work/tokens"
rpc=ipc://$run/rpc.sock
sed -e "s|/var/lib/enfed/node-school|$work/node-data|" \
	-e "s|/run/enfed/node-school|$run|g" \
	-e 's|,tcp://127.0.0.1:741[01]||' \
	-e "s|^#admin-token = .*|admin-token = @$work/admin.token|" \
	-e "s|^#tokens-file = .*|tokens-file = $work/tokens|" \
	"$ex/node.conf" >"$work/node.conf"
grep -q "^admin-token = @" "$work/node.conf" || fail "the example node.conf has no admin-token line"
grep -q "^listen = ipc://$run/rpc.sock\$" "$work/node.conf" ||
	fail "the example node.conf's listen line changed: $(grep '^listen' "$work/node.conf")"
$X "$bin/fed-node" --config="$work/node.conf" >"$work/node.log" 2>&1 &
node_pid=$!
F="$X $bin/fedctl --node $rpc --timeout 2s"
i=0
until $F health >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the installed fed-node did not answer in 10 s"
	kill -0 "$node_pid" 2>/dev/null || fail "the installed fed-node exited"
	sleep 0.1
done

# The collector from the example config, reading a real capture instead of
# the serial device; without --follow it sends everything, then exits.
sed -e "s|^node = .*|node = $rpc|" \
	-e "s|^#token = .*|token = @$work/writer.token|" \
	-e "s|^device = .*|input = $src/tests/fixtures/tic/linky_1P_standard.bin|" \
	-e "s|^mode = .*|mode = standard|" \
	-e "s|^period = .*|period = 0|" \
	-e "s|^power-period = .*|power-period = 0|" \
	-e "s|/var/lib/enfed/edge-tic-linky|$work/spool|" \
	"$exe/edge-tic.conf" >"$work/tic.conf"
grep -q "^input = " "$work/tic.conf" || fail "the example edge-tic.conf has no device line"
timeout 60 $X "$bin/fed-edge-tic" --config="$work/tic.conf" --drain-timeout=20s \
	>"$work/tic.log" 2>&1 || fail "the installed fed-edge-tic failed"

$F --token "@$work/admin.token" series ls >"$work/series.out" 2>>"$work/fedctl.log" ||
	fail "fedctl series ls"
grep -q "home/linky/" "$work/series.out" || fail "no home/linky/ series: $(cat "$work/series.out")"
$F --token "@$work/admin.token" series show home/linky/power >"$work/show.out" 2>>"$work/fedctl.log" ||
	fail "fedctl series show home/linky/power"
grep -Eq "points: +[1-9]" "$work/show.out" || fail "no points in home/linky/power: $(cat "$work/show.out")"
echo "installed fed-node, fed-edge-tic and fedctl: $(grep -c 'home/linky/' "$work/series.out") series, $(grep -E 'points:' "$work/show.out" | tr -s ' ')"

# The same over TLS, as operations.md tells an operator to do for a node
# reached from other machines: the installed fed-pki makes the CA, the
# node's certificate and two client certificates (the board's, the
# operator's); the node listens on tls+tcp:// too, the collector sends
# over it and fedctl reads over it.
if command -v openssl >/dev/null && command -v python3 >/dev/null; then
	pki=$work/pki
	"$bin/fed-pki" node "$pki" localnode --ip 127.0.0.1 >>"$work/pki.log" 2>&1 ||
		fail "fed-pki node --ip"
	"$bin/fed-pki" edge "$pki" linky >>"$work/pki.log" 2>&1 || fail "fed-pki edge linky"
	"$bin/fed-pki" edge "$pki" operator >>"$work/pki.log" 2>&1 || fail "fed-pki edge operator"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	tls=tls+tcp://127.0.0.1:$port
	kill -TERM "$node_pid"
	wait "$node_pid" 2>/dev/null
	node_pid=""
	sed -e "s|^listen = .*|&,$tls|" "$work/node.conf" >"$work/node-tls.conf"
	cat >>"$work/node-tls.conf" <<-EOF
		tls-cert = $pki/localnode.crt
		tls-key = $pki/localnode.key
		tls-ca = $pki/ca.crt
	EOF
	$X "$bin/fed-node" --config="$work/node-tls.conf" >"$work/node-tls.log" 2>&1 &
	node_pid=$!
	T="$X $bin/fedctl --node $tls --timeout 5s --tls-cert $pki/operator.crt --tls-key $pki/operator.key --tls-ca $pki/ca.crt"
	i=0
	until $T health >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the installed fed-node did not answer over TLS in 10 s"
		kill -0 "$node_pid" 2>/dev/null || fail "the installed fed-node exited"
		sleep 0.1
	done
	before=$($T --token "@$work/admin.token" --json series show home/linky/power |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["n_points"])') ||
		fail "fedctl over TLS: series show"
	# The collector, over TLS with the board's certificate, on a capture
	# of another meter (new points).
	sed -e "s|^node = .*|node = $tls|" \
		-e "s|^input = .*|input = $src/tests/fixtures/tic/linky_3P_historic.bin|" \
		-e "s|^mode = .*|mode = historic|" \
		-e "s|^site = .*|site = home2|" \
		-e "s|$work/spool|$work/spool-tls|" \
		-e "s|^token = .*|token = @$work/board2.token|" \
		"$work/tic.conf" >"$work/tic-tls.conf"
	cat >>"$work/tic-tls.conf" <<-EOF
		tls-cert = $pki/linky.crt
		tls-key = $pki/linky.key
		tls-ca = $pki/ca.crt
	EOF
	printf 'fed_test_board2_%s\n' "$$" >"$work/board2.token"
	printf 'linky-board-2 writer %s home2/\n' "$(hash_of "$work/board2.token")" >>"$work/tokens"
	kill -HUP "$node_pid" # the new token line, read without a restart
	sleep 0.5
	timeout 60 $X "$bin/fed-edge-tic" --config="$work/tic-tls.conf" --drain-timeout=20s \
		>"$work/tic-tls.log" 2>&1 || fail "the installed fed-edge-tic over TLS failed"
	$T --token "@$work/admin.token" series ls >"$work/series-tls.out" 2>>"$work/fedctl.log" ||
		fail "fedctl over TLS: series ls"
	grep -q "home2/linky/" "$work/series-tls.out" ||
		fail "nothing from the collector over TLS: $(cat "$work/series-tls.out")"
	echo "over TLS: fedctl read $before points of home/linky/power; fed-edge-tic sent $(grep -c 'home2/linky/' "$work/series-tls.out") series"
else
	echo "SKIP (part): openssl or python3 is absent, TLS was not tried"
fi

# The units, offline: syntax, directives, ExecStart executable, man pages.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$work/units"
	for u in "$root"/lib/systemd/system/*; do
		sed "s|/usr/bin/|$bin/|g" "$u" >"$work/units/${u##*/}"
	done
	man=--man=yes
	command -v man >/dev/null || man=--man=no
	(cd "$work/units" && MANPATH=$root/usr/share/man systemd-analyze verify "$man" \
		fed-node@school.service fed-directory.service fed-invest.service \
		fed-web.service fed-relay@school.service fed-edge-tic@linky.service \
		fed-edge-envoy@plant.service fed-edge-mqtt@house.service) >"$work/verify.log" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$work/verify.log")"
	[ -s "$work/verify.log" ] && fail "systemd-analyze verify: $(cat "$work/verify.log")"
	echo "systemd-analyze verify: 8 units ok ($man)"
else
	echo "SKIP (part): systemd-analyze is absent, the units were not verified"
fi
echo "package test: passed"
