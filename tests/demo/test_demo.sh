#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_demo.sh BUILD_DIR SOURCE_DIR: the first run of the demo federation,
# as a newcomer does it, from a clean data folder: wait until it says it
# runs, check through fedctl that every service answers, that replicated
# series arrived on the other node, that points came through the TIC and
# Envoy collectors, that a watcher gets live points through the fed-relay,
# that the plant's alarm rules exist, that an investor
# summary has figures, that fed-web shows each user their own,
# then stop it and check that every process it started has exited.
# Everything listens on loopback ports above 20000.
set -u
build=$1
src=$2
work=$(mktemp -d)
data=$work/demo-data
# Ports below Linux's ephemeral range (32768-60999), where a port may be
# taken at any moment by an outgoing connection.
export DEMO_HISTORY=2d DEMO_SPEED=600 DEMO_BASE_PORT=$((20000 + ($$ % 120) * 100))
base=$DEMO_BASE_PORT
F="$build/cli/fedctl/fedctl"
fail() {
	echo "FAIL: $*"
	[ -d "$data/logs" ] && tail -n 5 "$data"/logs/*.log
	kill -TERM "$demo" 2>/dev/null
	sleep 2
	pkill -KILL -f "$data" 2>/dev/null
	rm -rf "$work"
	exit 1
}
sh "$src/demo/start.sh" "$build" "$data" >"$work/out" 2>&1 &
demo=$!
i=0
until grep -q "demo federation running" "$work/out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "the demo did not start in 60 s"
	kill -0 "$demo" 2>/dev/null || fail "the demo exited: $(cat "$work/out")"
	sleep 0.1
done
cat "$work/out"
lognact=tcp://127.0.0.1:$((base + 10))
bmhs=tcp://127.0.0.1:$((base + 20))
for url in tcp://127.0.0.1:$base $lognact $bmhs tcp://127.0.0.1:$((base + 30)); do
	"$F" --node "$url" health >/dev/null || fail "$url does not answer Health"
done
# Replicated both ways (the simulators' history takes a moment to cross).
ok=0
for i in $(seq 1 100); do
	b=$("$F" --node "$bmhs" --token @"$data/bmhs.token" series ls --json 2>/dev/null | grep -c '"kermelo/pv/energy"')
	l=$("$F" --node "$lognact" --token @"$data/lognact.token" series ls --json 2>/dev/null | grep -c '"maison-lorient/linky/energy"')
	if [ "$b" -ge 1 ] && [ "$l" -ge 1 ]; then ok=1; break; fi
	sleep 0.2
done
[ $ok -eq 1 ] || fail "replicated series did not arrive"
# The live edge paths: the house's TIC read by fed-edge-tic, the plant's
# Envoy polled by fed-edge-envoy, their points stored.
has_points() { # node token series
	"$F" --node "$1" --token @"$2" series show "$3" 2>/dev/null | grep -Eq "points: +[1-9]"
}
ok=0
for i in $(seq 1 150); do
	if has_points "$bmhs" "$data/bmhs.token" maison-lorient/linky/power &&
		has_points "$bmhs" "$data/bmhs.token" maison-lorient/linky/index_east &&
		has_points "$lognact" "$data/lognact.token" kermelo/pv/power &&
		has_points "$lognact" "$data/lognact.token" kermelo/pv/inv/121500000001/power; then
		ok=1
		break
	fi
	sleep 0.2
done
[ $ok -eq 1 ] || fail "no points came through fed-edge-tic and fed-edge-envoy"
# The MQTT-fed house, where mosquitto is installed: a Tasmota board's
# telemetry read by fed-edge-mqtt.
if grep -q "fed-edge-mqtt" "$work/out"; then
	ok=0
	for i in $(seq 1 150); do
		if has_points "$bmhs" "$data/bmhs.token" maison-quimper/linky/power &&
			has_points "$bmhs" "$data/bmhs.token" maison-quimper/linky/index_base; then
			ok=1
			break
		fi
		sleep 0.2
	done
	[ $ok -eq 1 ] || fail "no points came through fed-edge-mqtt"
else
	echo "mosquitto not installed: the demo's MQTT house not checked"
fi
"$F" --node "$bmhs" --token @"$data/bmhs.token" series show kermelo/pv/energy | grep -q "origin" ||
	fail "the replicated plant does not name its origin"
# The school's consumption is not granted: it never reaches bmhs.
"$F" --node "$bmhs" --token @"$data/bmhs.token" series ls | grep -q "kermelo/school" &&
	fail "an ungranted series reached bmhs"
# A watcher through the demo's fed-relay gets lognact's live points.
"$F" --node "$lognact" --token @"$data/lognact.token" --stream tcp://127.0.0.1:$((base + 15)) \
	watch kermelo/ --count 1 --duration 60s >"$work/watch" 2>&1 || true
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ +kermelo/' "$work/watch" || fail "no live point through the relay: $(cat "$work/watch")"
n=$("$F" --node "$lognact" --token @"$data/lognact.token" alarm rule ls | grep -c kermelo)
[ "$n" -eq 3 ] || fail "the demo's alarm rules: $n of 3"
"$F" --directory tcp://127.0.0.1:$base --directory-token @"$data/enrolment.token" \
	directory ls | grep -q lognact || fail "lognact is not in the directory"
sum=$("$F" --invest tcp://127.0.0.1:$((base + 30)) --invest-token @"$data/legall.token" \
	invest summary legall --json) || fail "no investor summary"
echo "$sum" | grep -Eq '"shares":[[:space:]]*4,' || fail "the summary lacks legall's 4 shares: $sum"
echo "$sum" | grep -q '"today_wh"' || fail "the summary has no production figures"
# fed-web: each user reads the nodes with tokens of their own. legall logs
# in and sees the 4 shares on the dashboard and the house's grant to
# lognact on its consent page; alice sees nothing of the house, the
# teacher reads its replica on lognact and nothing of bmhs.
web=http://127.0.0.1:$((base + 80))
command -v curl >/dev/null || fail "curl is needed to check fed-web (./run test installs it)"
curl -fsS -m 5 "$web/healthz" | grep -q ok || fail "fed-web does not answer at $web"
web_login() { # user
	curl -sS -m 10 -c "$work/$1.cookies" --data-urlencode "user=$1" \
		--data-urlencode "password=$(cat "$data/$1.password")" "$web/login" >/dev/null ||
		fail "fed-web login of $1"
}
web_get() { # user path: the body, and the status on the last line
	curl -sS -m 30 -b "$work/$1.cookies" -w '\n%{http_code}\n' "$web$2"
}
for u in legall alice teacher; do web_login "$u"; done
web_get legall /dashboard | grep -q 'data-figure="shares_total" data-value="4"' ||
	fail "fed-web's dashboard lacks legall's 4 shares"
web_get legall /consent | grep -q 'data-state="active"' ||
	fail "legall's consent page lacks the house's grant to lognact"
web_get legall /consent | grep -q '<td class="series"[^>]*>maison-lorient/</td>' ||
	fail "legall's consent page does not name the house's series"
web_get alice '/curves?scale=week' | grep -q 'maison-lorient' && fail "alice's curves list the Le Gall house"
web_get alice /api/live?s=maison-lorient/linky/energy | tail -n 1 | grep -q 404 ||
	fail "alice reads the Le Gall house's live power"
web_get teacher /api/live?s=maison-lorient/linky/energy | grep -q '"node":"lognact"' ||
	fail "the teacher does not read the house's replica on lognact"
web_get teacher '/curves?scale=week' | grep -q '(bmhs)' && fail "the teacher's curves list bmhs's series"
# The class's first screen: the saved comparison, its three curves drawn
# for the teacher; alice, who reads only the plant, is told the others
# are not shared with her.
web_get teacher /curves | tail -n 1 | grep -q 303 || fail "the teacher's /curves does not open the saved comparison"
preset='/curves?preset=%C3%A9cole%2C%20maison%2C%20centrale%20%E2%80%94%20semaine'
loc=$(curl -sS -m 30 -b "$work/teacher.cookies" -o /dev/null -w '%{redirect_url}' "$web$preset")
[ "$(web_get teacher "${loc#"$web"}" | grep -o '<svg class="chart"' | wc -l)" -eq 3 ] ||
	fail "the saved comparison does not show the teacher three curves"
web_get alice "${loc#"$web"}" | grep -q 'class="curve-panel not-shared" data-series="maison-lorient' ||
	fail "alice is not told the house is not shared with her"
kill -TERM "$demo"
i=0
while kill -0 "$demo" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the demo did not stop in 30 s"
	sleep 0.1
done
sleep 0.5
if pgrep -f "$data" >/dev/null; then
	pgrep -fa "$data"
	fail "processes left running"
fi
rm -rf "$work"
echo "demo first run: 1 passed, 0 failed"
