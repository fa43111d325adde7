#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo/start.sh BUILD_DIR DATA_DIR: starts the demo federation on this
# machine, on loopback, with its data in DATA_DIR (created; kept between
# runs, so a second start resumes where the first stopped). Ctrl-C (or
# SIGTERM) stops every process cleanly. Called by `./run demo`.
#
#   fed-directory        the federation's members
#   fed-node lognact     the building app: the Kermélo school's consumption
#                        and its rooftop plant (60 Enphase M250)
#   fed-node bmhs        the household app: a 4-person house in Lorient
#   fed-relay            lognact's stream published again for watchers, so
#                        that the node sends each frame once
#   simulators           a year of history up to now, then live on the wall
#                        clock (nothing is ever dated in the future)
#   collectors           the real edge paths, replaying the last hours on
#                        an accelerated clock until it meets the present,
#                        then live: the house's Linky read
#                        through its TIC output by fed-edge-tic, the plant's
#                        60 micro-inverters through an Envoy's local API by
#                        fed-edge-envoy (both simulated by fed-edge-sim);
#                        where mosquitto is installed, a second house whose
#                        Tasmota board publishes its Linky on MQTT, read by
#                        fed-edge-mqtt (the board simulated by a shell loop)
#   grants               the plants' production lognact -> bmhs, the house's
#                        consumption bmhs -> lognact, and nothing else
#   fed-invest           two citizen projects and three investors, computed
#                        from the production replicated to bmhs
#   fed-web              the dashboard and load curves, http://127.0.0.1:7480
#
# Environment: DEMO_SPEED (simulated seconds per real second while the
# collectors' replay catches up with the present, default 60),
# DEMO_REPLAY (how far back that replay starts, default 12h), DEMO_HISTORY
# (past data filled at the first start, default 365d), DEMO_BASE_PORT
# (default 7400). No simulated clock ever passes the wall clock.
set -eu
build=$1
data=$2
speed=${DEMO_SPEED:-60}
replay=${DEMO_REPLAY:-12h}
history=${DEMO_HISTORY:-365d}
base=${DEMO_BASE_PORT:-7400}
bin_dir=$build/services/directory/fed-directory
bin_node=$build/services/node/fed-node
bin_sim=$build/edge/sim/fed-edge-sim
bin_invest=$build/services/invest/fed-invest
bin_tic=$build/edge/tic/fed-edge-tic
bin_envoy=$build/edge/envoy/fed-edge-envoy
bin_mqtt=$build/edge/mqtt/fed-edge-mqtt
bin_web=$build/services/web/fed-web
bin_relay=$build/services/relay/fed-relay
fedctl=$build/cli/fedctl/fedctl
for b in "$bin_dir" "$bin_node" "$bin_sim" "$bin_invest" "$bin_tic" "$bin_envoy" "$bin_mqtt" "$bin_web" "$bin_relay" "$fedctl"; do
	[ -x "$b" ] || { echo "demo: $b is missing: build first (./run build)" >&2; exit 1; }
done
mkdir -p "$data/logs"
chmod 700 "$data"
if [ -s "$data/demo.pid" ] && kill -0 "$(cat "$data/demo.pid")" 2>/dev/null; then
	echo "demo: already running (pid $(cat "$data/demo.pid")); './run stop' stops it" >&2
	exit 1
fi
echo $$ >"$data/demo.pid"
log=$data/logs

# A secret made at the first start and kept (0600): tokens of the demo.
secret() {
	f=$data/$1
	if [ ! -s "$f" ]; then
		(umask 077 && printf 'fed_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >"$f")
	fi
	echo "$f"
}
hash_of() { tr -d '\n' <"$1" | sha256sum | cut -d' ' -f1; }

dir_rpc=tcp://127.0.0.1:$base
dir_stream=tcp://127.0.0.1:$((base + 1))
lognact_rpc=tcp://127.0.0.1:$((base + 10))
lognact_stream=tcp://127.0.0.1:$((base + 11))
relay_stream=tcp://127.0.0.1:$((base + 15))
bmhs_rpc=tcp://127.0.0.1:$((base + 20))
bmhs_stream=tcp://127.0.0.1:$((base + 21))
invest_rpc=tcp://127.0.0.1:$((base + 30))
envoy_url=http://127.0.0.1:$((base + 40))
web_url=http://127.0.0.1:$((base + 80))
mqtt_port=$((base + 83))

enrol=$(secret enrolment.token)
adm_l=$(secret lognact.token)
adm_b=$(secret bmhs.token)
push_lb=$(secret push-lognact-to-bmhs.token)
push_bl=$(secret push-bmhs-to-lognact.token)
adm_i=$(secret invest.token)
inv_read=$(secret invest-reads-bmhs.token)
alice=$(secret alice.token)
legall=$(secret legall.token)
# Each node accepts the other's pushes (role replica) and knows where and
# with which token to push its own granted series.
# The simulators write with tokens limited to their own site's series.
sim_k=$(secret sim-kermelo.token)
sim_l=$(secret sim-lucioles.token)
sim_h=$(secret sim-house.token)
sim_q=$(secret sim-mqtt-house.token)
printf 'bmhs replica %s\nsim-kermelo writer %s kermelo/\nsim-lucioles writer %s lucioles/\n' \
	"$(hash_of "$push_bl")" "$(hash_of "$sim_k")" "$(hash_of "$sim_l")" >"$data/lognact.tokens"
# fed-invest's own token reads the plants' production only; it reads a
# household only under that household's grant (below, legall's).
printf 'lognact replica %s\nfed-invest reader %s kermelo/pv/,lucioles/pv/\nsim-house writer %s maison-lorient/\n' \
	"$(hash_of "$push_lb")" "$(hash_of "$inv_read")" "$(hash_of "$sim_h")" >"$data/bmhs.tokens"
printf 'sim-mqtt-house writer %s maison-quimper/\n' "$(hash_of "$sim_q")" >>"$data/bmhs.tokens"
# fed-web's users: each reads the nodes with tokens of their own, kept by
# fed-web for their sessions (fed-web has no node token of its own; see
# docs/web.md). alice: the production of her projects, replicated on bmhs.
# legall: the Le Gall house, as its owner on bmhs (its series and their
# grants), and the production of the project legall holds. teacher: on
# lognact, the school and what was granted to lognact. admin: every
# series of both nodes.
web_alice_b=$(secret web-alice-bmhs.token)
web_legall_own=$(secret web-legall-owner-bmhs.token)
web_legall_b=$(secret web-legall-bmhs.token)
web_teacher_l=$(secret web-teacher-lognact.token)
web_admin_l=$(secret web-admin-lognact.token)
web_admin_b=$(secret web-admin-bmhs.token)
printf 'web-teacher reader %s kermelo/,maison-lorient/,lucioles/\nweb-admin reader %s\n' \
	"$(hash_of "$web_teacher_l")" "$(hash_of "$web_admin_l")" >>"$data/lognact.tokens"
printf 'web-alice reader %s kermelo/pv/,lucioles/pv/\nweb-legall owner %s maison-lorient/\n' \
	"$(hash_of "$web_alice_b")" "$(hash_of "$web_legall_own")" >>"$data/bmhs.tokens"
printf 'web-legall-projects reader %s kermelo/pv/\nweb-admin reader %s\n' \
	"$(hash_of "$web_legall_b")" "$(hash_of "$web_admin_b")" >>"$data/bmhs.tokens"
printf 'alice investor %s alice\nlegall investor %s legall\n' \
	"$(hash_of "$alice")" "$(hash_of "$legall")" >"$data/invest.tokens"
printf 'bmhs %s @%s\n' "$bmhs_rpc" "$push_lb" >"$data/lognact.peers"
printf 'lognact %s @%s\n' "$lognact_rpc" "$push_bl" >"$data/bmhs.peers"

pids=""
stop() {
	trap - INT TERM
	echo
	echo "demo: stopping..."
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -f "$data/demo.pid"
	echo "demo: every process stopped; data kept in $data"
	exit "${1:-0}"
}
trap stop INT TERM

start() { # name command...
	name=$1
	shift
	"$@" >>"$log/$name.log" 2>&1 &
	last_pid=$!
	last_name=$name
	pids="$pids $!"
}

# Waits (20 s at most) for the service started last to answer at url; if
# it exited instead (a port in use, a bad option), says so at once.
wait_health() { # url
	i=0
	until "$fedctl" --node "$1" --timeout 200ms health >/dev/null 2>&1; do
		if ! kill -0 "$last_pid" 2>/dev/null; then
			echo "demo: $last_name exited:" >&2
			tail -n 3 "$log/$last_name.log" >&2
			stop 1
		fi
		i=$((i + 1))
		[ $i -lt 70 ] || { echo "demo: $1 does not answer; see $log" >&2; stop 1; }
		sleep 0.1
	done
	# Answered, but by another program holding the port (ours exited)?
	if ! kill -0 "$last_pid" 2>/dev/null; then
		echo "demo: $last_name exited (is another demo running?):" >&2
		tail -n 3 "$log/$last_name.log" >&2
		stop 1
	fi
}

# Another demo (or anything) on these ports would answer in our place.
for url in "$dir_rpc" "$lognact_rpc" "$bmhs_rpc" "$invest_rpc"; do
	if "$fedctl" --node "$url" --timeout 300ms health >/dev/null 2>&1; then
		echo "demo: something already answers on $url: is another demo running? ('./run stop', or DEMO_BASE_PORT for other ports)" >&2
		rm -f "$data/demo.pid"
		exit 1
	fi
done

start directory "$bin_dir" --listen="$dir_rpc" --stream="$dir_stream" \
	--db="$data/directory.db" --enrolment-token=@"$enrol"
wait_health "$dir_rpc"
node() { # name rpc stream admin organisation
	start "$1" "$bin_node" --name="$1" --data-dir="$data/$1" \
		--listen="$2" --stream="$3" --admin-token=@"$4" \
		--tokens-file="$data/$1.tokens" --peers-file="$data/$1.peers" \
		--directory="$dir_rpc" --enrolment-token=@"$enrol" \
		--organisation="$5"
	wait_health "$2"
}
node lognact "$lognact_rpc" "$lognact_stream" "$adm_l" "Lorient Agglomération (building app)"
node bmhs "$bmhs_rpc" "$bmhs_stream" "$adm_b" "BMHS (household app)"
# Watchers follow lognact through a relay (docs/operations.md, "Many
# subscribers"); they back-fill from lognact's RPC whatever they miss.
start relay "$bin_relay" --upstream="$lognact_stream" --listen="$relay_stream"

sim() { # name node token model site owner [option...]
	n=$1 nd=$2 tok=$3 model=$4 site=$5 owner=$6
	shift 6
	start "sim-$n" "$bin_sim" --node="$nd" --token=@"$tok" --model="$model" \
		--site="$site" --owner="$owner" --history="$history" --speed="$speed" "$@"
}
sim school "$lognact_rpc" "$sim_k" school kermelo "Ville de Lorient"
sim pv "$lognact_rpc" "$sim_k" pv kermelo "Bretagne Energie Citoyenne"
sim lucioles "$lognact_rpc" "$sim_l" pv lucioles "Les Lucioles de la Ria d'Etel"
sim house "$bmhs_rpc" "$sim_h" house maison-lorient "famille Le Gall"

# The live paths of real installations, on the same simulated clock: the
# house's Linky in standard TIC mode written to a FIFO and read by
# fed-edge-tic (indexes every 5 minutes, power every minute), and the plant
# served as an Envoy gateway that fed-edge-envoy polls (each simulated
# 5 minutes), both through their spool on disk.
tic_fifo=$data/linky.fifo
[ -p "$tic_fifo" ] || { rm -f "$tic_fifo"; mkfifo -m 600 "$tic_fifo"; }
start tic "$bin_tic" --node="$bmhs_rpc" --token=@"$sim_h" --input="$tic_fifo" \
	--follow --mode=standard --site=maison-lorient --owner="famille Le Gall" \
	--power-period=1m --spool-dir="$data/spool-tic"
start sim-linky "$bin_sim" --model=house --emit-tic="$tic_fifo" --tic-mode=standard \
	--speed="$speed" --replay="$replay"
# Inverter 23 fails 6 simulated hours into the replay (6 hours ago with the
# default replay of 12h), for the alarm
# rules below.
start sim-envoy "$bin_sim" --model=pv --envoy-listen="$envoy_url" --speed="$speed" \
	--replay="$replay" --fail-inverter=23 --fail-after=6h
envoy_period=$(awk -v s="$speed" 'BEGIN { p = int(300 / s); print (p < 1 ? 1 : p) "s" }')
start envoy "$bin_envoy" --node="$lognact_rpc" --token=@"$sim_k" --url="$envoy_url" \
	--site=kermelo --public --owner="Bretagne Energie Citoyenne" \
	--period="$envoy_period" --spool-dir="$data/spool-envoy"

# A second house, read over MQTT (docs/integrations.md, "Tasmota"): its
# Tasmota board's Teleinfo telemetry, a BASE index and the apparent power
# with their time (SetOption52: with its offset), published every second
# (a simulated minute at the default speed) to a local mosquitto, and read
# by fed-edge-mqtt through its spool. Only where mosquitto and
# mosquitto_pub are installed (Debian packages mosquitto and
# mosquitto-clients, which ./run demo installs).
mqtt_house=0
mosquitto_bin=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || true)
if [ -n "$mosquitto_bin" ] && command -v mosquitto_pub >/dev/null 2>&1; then
	mqtt_house=1
	mkdir -p "$data/mosquitto"
	{
		printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mqtt_port"
		printf 'persistence true\npersistence_location %s/mosquitto/\n' "$data"
		# As root, mosquitto would become user mosquitto, who cannot
		# write the demo's folder.
		[ "$(id -u)" -ne 0 ] || printf 'user root\n'
	} >"$data/mosquitto.conf"
	start mosquitto "$mosquitto_bin" -c "$data/mosquitto.conf"
	i=0
	until mosquitto_pub -p "$mqtt_port" -t enfed/demo/ping -n >/dev/null 2>&1; do
		i=$((i + 1))
		kill -0 "$last_pid" 2>/dev/null && [ $i -lt 100 ] ||
			{ echo "demo: mosquitto does not start; see $log/mosquitto.log" >&2; stop 1; }
		sleep 0.1
	done
	echo 'tele/+/SENSOR  tasmota-teleinfo  linky' >"$data/mqtt.map"
	start mqtt "$bin_mqtt" --node="$bmhs_rpc" --token=@"$sim_q" \
		--broker=mqtt://127.0.0.1:"$mqtt_port" --mapping="$data/mqtt.map" \
		--site=maison-quimper --owner="famille Riou" --spool-dir="$data/spool-mqtt"
	# The board, in the present like the other collectors: it replays the
	# last 12 hours (or from where it stopped) at speed seconds a second,
	# then follows the wall clock, never dated ahead of it. The index grows
	# by the power over each step (kept, with the time, in tasmota.base).
	tasmota() {
		now=$(date +%s)
		set -- $(cat "$data/tasmota.base" 2>/dev/null) 3200000 0
		b=$1
		t=$2
		[ "$t" -ge $((now - 43200)) ] || t=$((now - 43200))
		while :; do
			now=$(date +%s)
			step=$speed
			[ $((t + step)) -le "$now" ] || step=$((now - t))
			if [ "$step" -le 0 ]; then
				sleep 1
				continue
			fi
			t=$((t + step))
			p=$((250 + (t / 900 % 12) * 90 + (t / 60 % 7) * 15))
			b=$((b + p * step / 3600))
			echo "$b $t" >"$data/tasmota.base"
			when=$(TZ=Europe/Paris date -d "@$t" +%Y-%m-%dT%H:%M:%S%:z)
			mosquitto_pub -p "$mqtt_port" -q 1 -t tele/tasmota_linky/SENSOR -m \
				"{\"Time\":\"$when\",\"ENERGY\":{\"Power\":$p},\"TIC\":{\"ADCO\":\"031762009876\",\"OPTARIF\":\"BASE\",\"ISOUSC\":30,\"BASE\":$b,\"PTEC\":\"TH..\",\"PAPP\":$p,\"MOTDETAT\":0}}" ||
				echo "tasmota: publishing failed"
			sleep 1
		done
	}
	start tasmota tasmota
else
	echo "demo: mosquitto or mosquitto_pub not installed: no MQTT-fed house (apt-get install mosquitto mosquitto-clients)" >>"$log/mqtt.log"
fi

# The grants, made once: the plant to bmhs (its investors), the house to
# lognact (the school's comparison of load curves).
grant() { # node admin series to
	if ! "$fedctl" --node "$1" --token @"$2" grant ls 2>/dev/null | grep -q " $3 .* $4 "; then
		"$fedctl" --node "$1" --token @"$2" grant create "$3" --to "$4" \
			--scope both >>"$log/grants.log" 2>&1 ||
			{ echo "demo: granting $3 to $4 failed; see $log/grants.log" >&2; stop 1; }
	fi
}
grant "$lognact_rpc" "$adm_l" kermelo/pv/ bmhs
grant "$lognact_rpc" "$adm_l" lucioles/pv/ bmhs
grant "$bmhs_rpc" "$adm_b" maison-lorient/ lognact

# Alarm rules on the Kermélo plant (docs/alarms.md): stale data, zero
# production in daylight, an inverter far below its siblings (the
# inverters' power from fed-edge-envoy). A rule needs its series to exist:
# the simulator and the collector declare them first.
alarm_rule() { # id option...
	id=$1
	shift
	i=0
	until "$fedctl" --node "$lognact_rpc" --token @"$adm_l" alarm rule add "$id" "$@" >>"$log/alarms.log" 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "demo: alarm rule $id failed; see $log/alarms.log" >&2; stop 1; }
		sleep 0.2
	done
}
alarm_rule kermelo-pv-stale --series kermelo/pv/energy --type stale --for 30m
alarm_rule kermelo-pv-zero --series kermelo/pv/energy --type daylight \
	--lat 47.75 --lon -3.37 --peak-w 16200 --min-ratio 0.02 --for 1h
alarm_rule kermelo-inverter-below --series kermelo/pv/inv/ --type sibling \
	--ratio 0.5 --sibling-min 20 --for 1h

# Citizen investment (use case 1), on the household app's side.
start invest "$bin_invest" --data-dir="$data/invest" --listen="$invest_rpc" \
	--nodes="bmhs=$bmhs_rpc" --node-token=@"$inv_read" \
	--admin-token=@"$adm_i" --tokens-file="$data/invest.tokens"
wait_health "$invest_rpc"
inv() { "$fedctl" --invest "$invest_rpc" --invest-token @"$adm_i" "$@" >>"$log/invest-setup.log" 2>&1; }
# fed-invest checks a project's series on its node when the project is
# entered: the plants' series reach bmhs by replication, so wait for them.
wait_replica() { # series
	i=0
	until "$fedctl" --node "$bmhs_rpc" --token @"$adm_b" series show "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || { echo "demo: series $1 never reached bmhs; see $log/" >&2; stop 1; }
		sleep 0.2
	done
}
if [ ! -e "$data/invest.done" ]; then
	wait_replica kermelo/pv/energy
	wait_replica lucioles/pv/energy
	inv project add --id kermelo-pv --name "Kermélo — Bretagne Energie Citoyenne" \
		--organisation "Bretagne Energie Citoyenne" --type pv --location "Lorient, Morbihan" \
		--peak-kw 16.2 --cost-eur 34000 --share-price-eur 250 --commissioned 2024-09-01 \
		--series kermelo/pv/energy --series-node bmhs --url https://www.enercoop.fr/ &&
	inv project add --id lucioles-pv --name "Les Lucioles de la Ria d'Etel" \
		--organisation "Les Lucioles de la Ria d'Etel" --type pv --location "Belz, Morbihan" \
		--peak-kw 16.2 --cost-eur 30000 --share-price-eur 100 --commissioned 2024-09-01 \
		--series lucioles/pv/energy --series-node bmhs &&
	inv invest add alice kermelo-pv 2 --acquired 2025-01-15 &&
	inv invest add alice lucioles-pv 10 --acquired 2025-03-01 &&
	inv invest add legall kermelo-pv 4 --acquired 2024-10-01 &&
	inv invest add bob kermelo-pv 8 --acquired 2025-06-01 &&
	touch "$data/invest.done" ||
		{ echo "demo: setting up the projects failed; see $log/invest-setup.log" >&2; stop 1; }
fi
# legall's consent, made once: bmhs grants the daily totals of the house's
# Linky to the investment service's organisation (bcen-invest); the token,
# printed once, is kept 0600 and given to fed-invest with the link.
legall_grant=$data/legall-grant-to-invest.token
if [ ! -e "$data/invest-link.done" ]; then
	if [ ! -s "$legall_grant" ]; then
		tok=$("$fedctl" --node "$bmhs_rpc" --token @"$adm_b" grant create maison-lorient/linky/energy \
			--to bcen-invest --scope query --finest day 2>>"$log/grants.log" | sed -n 's/^token: //p')
		[ -n "$tok" ] && (umask 077 && printf '%s\n' "$tok" >"$legall_grant") ||
			{ echo "demo: granting legall's house to fed-invest failed; see $log/grants.log" >&2; stop 1; }
	fi
	inv invest link legall maison-lorient/linky/energy --series-node bmhs --grant-token @"$legall_grant" &&
		touch "$data/invest-link.done" ||
		{ echo "demo: linking legall's house failed; see $log/invest-setup.log" >&2; stop 1; }
fi

# The dashboard: every user logs in with a password (hashed in the users
# file) and reads the nodes with their own tokens (above); investors' calls
# to fed-invest carry their own token. legall is the Le Gall household
# ("Mes partages": the grants on its series) and an investor; "teacher"
# sees the load curves, "admin" edits the projects. The household form
# lists the federation's members from the directory, with bmhs's own
# directory token (the directory has no read-only token).
web_user() { # name role [word...]: the users-file line
	pw=$(secret "$1.password")
	printf '%s %s %s' "$1" "$2" "$("$bin_web" --hash-password <"$pw")"
	shift 2
	for w in "$@"; do printf ' %s' "$w"; done
	printf '\n'
}
# The token files are named relative to fed-web's --data-dir ($data).
{
	web_user alice investor alice "@${alice##*/}" "node:bmhs=@${web_alice_b##*/}"
	web_user legall household legall "@${legall##*/}" "owner:bmhs=@${web_legall_own##*/}" \
		"node:bmhs=@${web_legall_b##*/}"
	web_user teacher teacher "node:lognact=@${web_teacher_l##*/}"
	web_user admin admin "node:lognact=@${web_admin_l##*/}" "node:bmhs=@${web_admin_b##*/}"
} >"$data/web.users"
# A comparison saved for the class, so that the teacher's first screen of
# load curves has curves: the school, the Le Gall house and the plant, by
# week (each reader sees what their own tokens show).
[ -e "$data/web-presets" ] ||
	printf '%s\tteacher\t%s\n' "école, maison, centrale — semaine" \
		"scale=week&s=kermelo%2Fschool%2Fenergy&s=maison-lorient%2Flinky%2Fenergy&s=kermelo%2Fpv%2Fenergy" \
		>"$data/web-presets"
served=$(grep -c "notice web: serving" "$log/web.log" 2>/dev/null || true)
start web "$bin_web" --listen="$web_url" --invest="$invest_rpc" --invest-token=@"$adm_i" \
	--nodes="lognact=$lognact_rpc,bmhs=$bmhs_rpc" \
	--directory="$dir_rpc" --directory-token=@"$data/bmhs/directory.token" \
	--users-file="$data/web.users" --data-dir="$data"
i=0
until [ "$(grep -c "notice web: serving" "$log/web.log" 2>/dev/null)" -gt "${served:-0}" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: fed-web does not start; see $log/web.log" >&2; stop 1; }
	sleep 0.1
done

mqtt_line=""
[ "$mqtt_house" -eq 0 ] || mqtt_line="
                     maison-quimper/linky/index_base, .../power (fed-edge-mqtt:
                     a Tasmota board on MQTT, mosquitto on port $mqtt_port)"
cat <<MSG
enfed demo federation running (logs in $log):
  fed-directory      RPC $dir_rpc   events $dir_stream
  fed-node lognact   RPC $lognact_rpc   stream $lognact_stream
                     (for watchers: fed-relay $relay_stream)
                     kermelo/school/energy, kermelo/pv/energy (+ the house, replicated)
                     kermelo/pv/inv/<serial>/power, kermelo/pv/power (fed-edge-envoy)
                     alarm rules on the plant
  fed-node bmhs      RPC $bmhs_rpc   stream $bmhs_stream
                     maison-lorient/linky/energy (+ the plant, replicated)
                     maison-lorient/linky/index_east, .../power (fed-edge-tic)$mqtt_line
  fed-invest         RPC $invest_rpc   projects kermelo-pv, lucioles-pv
  fed-web            $web_url   (dashboard, load curves)
  simulators         $history of history up to now, then live on the wall clock
  collectors         the last $replay replayed at ${speed}x, then live
Tokens (admin): $adm_l, $adm_b, $adm_i; enrolment: $enrol
Investor logins: alice ($alice), legall ($legall)
Dashboard logins ($web_url; the password is in the file):
  legall (household: its grants; investor, linked house) $data/legall.password
  alice (investor) $data/alice.password, teacher (load curves) $data/teacher.password,
  admin (projects) $data/admin.password

Try:
  F="$fedctl"
  \$F --node $lognact_rpc --token @$adm_l series ls
  \$F --node $bmhs_rpc --token @$adm_b query kermelo/pv/energy maison-lorient/linky/energy --from -7d --to now --step day
  \$F --node $lognact_rpc --token @$adm_l plot kermelo/school/energy maison-lorient/linky/energy kermelo/pv/energy --from today --to now --step hour
  \$F --node $lognact_rpc --token @$adm_l --stream $relay_stream watch kermelo/
  \$F --node $lognact_rpc --token @$adm_l grant ls
  \$F --node $lognact_rpc --token @$adm_l alarm ls
  \$F --node $lognact_rpc --token @$adm_l --stream $lognact_stream alarm watch
  \$F --invest $invest_rpc --invest-token @$legall invest summary legall
Ctrl-C (or './run stop' from another terminal) stops everything;
'./run demo' again resumes with the same data.
MSG
while :; do
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || { echo "demo: a process exited; see $log" >&2; stop 1; }
	done
	sleep 2 &
	wait $! || true
done
