#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo/start.sh BUILD_DIR DATA_DIR: starts the demo federation on this
# machine, on loopback, with its data in DATA_DIR (created; kept between
# runs, so a second start resumes where the first stopped). Ctrl-C (or
# SIGTERM) stops every process cleanly. Called by `./run demo`.
#
# Environment: DEMO_SPEED (simulated seconds per real second once live,
# default 60), DEMO_HISTORY (past data filled at the first start, default
# 365d), DEMO_BASE_PORT (default 7410).
set -eu
build=$1
data=$2
speed=${DEMO_SPEED:-60}
history=${DEMO_HISTORY:-365d}
base=${DEMO_BASE_PORT:-7410}
bin_node=$build/services/node/fed-node
bin_sim=$build/edge/sim/fed-edge-sim
for b in "$bin_node" "$bin_sim"; do
	[ -x "$b" ] || { echo "demo: $b is missing: build first (./run build)" >&2; exit 1; }
done
mkdir -p "$data"
chmod 700 "$data"
log=$data/logs
mkdir -p "$log"

# One admin token per node, made at the first start and kept.
token() {
	f=$data/$1.token
	if [ ! -s "$f" ]; then
		(umask 077 && printf 'fed_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >"$f")
	fi
	echo "$f"
}

pids=""
stop() {
	trap - INT TERM
	echo
	echo "demo: stopping..."
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	echo "demo: every process stopped; data kept in $data"
	exit 0
}
trap stop INT TERM

start() { # name command...
	name=$1
	shift
	"$@" >>"$log/$name.log" 2>&1 &
	pids="$pids $!"
}

lognact_rpc=tcp://127.0.0.1:$base
lognact_stream=tcp://127.0.0.1:$((base + 1))
bmhs_rpc=tcp://127.0.0.1:$((base + 10))
bmhs_stream=tcp://127.0.0.1:$((base + 11))

start lognact "$bin_node" --name=lognact --data-dir="$data/lognact" \
	--listen="$lognact_rpc" --stream="$lognact_stream" --admin-token=@"$(token lognact)"
start bmhs "$bin_node" --name=bmhs --data-dir="$data/bmhs" \
	--listen="$bmhs_rpc" --stream="$bmhs_stream" --admin-token=@"$(token bmhs)"

sim() { # name node token-file model site owner
	start "sim-$1" "$bin_sim" --node="$2" --token=@"$3" --model="$4" --site="$5" \
		--owner="$6" --history="$history" --speed="$speed"
}
sim school "$lognact_rpc" "$(token lognact)" school kermelo "Ville de Lorient"
sim pv "$lognact_rpc" "$(token lognact)" pv kermelo "Bretagne Energie Citoyenne"
sim house "$bmhs_rpc" "$(token bmhs)" house maison-lorient "famille Le Gall"

cat <<MSG
enfed demo federation running (logs in $log):
  fed-node lognact   RPC $lognact_rpc   stream $lognact_stream
                     series kermelo/school/energy, kermelo/pv/energy
  fed-node bmhs      RPC $bmhs_rpc   stream $bmhs_stream
                     series maison-lorient/linky/energy
  simulators         $history of history, then live at ${speed}x real time
Admin tokens: $data/lognact.token, $data/bmhs.token

Watch live points with nothing but nngcat:
  nngcat --sub --dial $lognact_stream --subscribe kermelo/ --quoted
Ctrl-C stops everything; './run demo' again resumes with the same data.
MSG
while :; do
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || { echo "demo: a process exited; see $log" >&2; stop; }
	done
	sleep 2 &
	wait $! || true
done
