#!/bin/sh
# SPDX-License-Identifier: MIT
#
# in_container.sh: run by a oneshot unit at boot inside the container that
# test_units_boot.sh makes, with the packages installed: the packaged
# units under a real systemd. Writes its log to /root/result.txt and
# "RESULT: ok" or "RESULT: FAIL ..." as its last line, then powers off.
exec >/root/result.txt 2>&1
failed=""
check() { # description command...
	d=$1
	shift
	if "$@"; then
		echo "ok: $d"
	else
		echo "FAIL: $d"
		failed="$failed; $d"
	fi
}
wait_active() { # unit
	i=0
	while [ $i -lt 50 ]; do
		[ "$(systemctl is-active "$1")" = active ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
wait_health() { # Type=exec: active once started, ready once it answers
	i=0
	while [ $i -lt 50 ]; do
		$F health >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
wait_end() { # unit: until it has stopped
	i=0
	while [ $i -lt 150 ]; do
		[ "$(systemctl is-active "$1")" = active ] || return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
main_pid() { systemctl show -p MainPID --value "$1"; }
F="fedctl --node ipc:///run/enfed/node-school/rpc.sock --timeout 3s"
A="--token @/etc/enfed/node-school.admin-token"

# A node from the example config, tokens in 0640 root:enfed files.
cp /usr/share/doc/enfed/examples/node.conf /etc/enfed/node-school.conf
install -m 0640 -g enfed /dev/null /etc/enfed/node-school.admin-token
echo fed_admin_token_boot >/etc/enfed/node-school.admin-token
install -m 0640 -g enfed /dev/null /etc/enfed/node-school.tokens
printf 'board writer %s home/\n' "$(printf '%s' fed_writer_token_boot | sha256sum | cut -d' ' -f1)" \
	>/etc/enfed/node-school.tokens
sed -i -e 's|^#admin-token = .*|admin-token = @/etc/enfed/node-school.admin-token|' \
	-e 's|^#tokens-file = .*|tokens-file = /etc/enfed/node-school.tokens|' /etc/enfed/node-school.conf
systemctl enable --now fed-node@school
check "fed-node@school is active" wait_active fed-node@school
check "the node answers on its ipc socket in /run/enfed/node-school" wait_health
check "the node's database is in its state directory, owned by enfed" \
	test "$(stat -c %U /var/lib/enfed/node-school/series.db)" = enfed

# The collector from the example config, reading a capture instead of the
# serial port; it sends everything, then exits.
mkdir -p /usr/local/share/enfed
cp /root/capture.bin /usr/local/share/enfed/capture.bin
install -m 0640 -g enfed /dev/null /etc/enfed/edge-tic-linky.token
echo fed_writer_token_boot >/etc/enfed/edge-tic-linky.token
sed -e 's|^node = .*|node = ipc:///run/enfed/node-school/rpc.sock|' \
	-e 's|^#token = .*|token = @/etc/enfed/edge-tic-linky.token|' \
	-e 's|^device = .*|input = /usr/local/share/enfed/capture.bin|' \
	-e 's|^mode = .*|mode = standard|' -e 's|^period = .*|period = 0|' \
	-e 's|^power-period = .*|power-period = 0|' \
	/usr/share/doc/enfed-edge/examples/edge-tic.conf >/etc/enfed/edge-tic-linky.conf
systemctl start fed-edge-tic@linky
check "fed-edge-tic@linky stops at the end of its input" wait_end fed-edge-tic@linky
check "fed-edge-tic@linky ran to its end successfully" \
	test "$(systemctl show -p Result --value fed-edge-tic@linky)" = success
check "the collector's points are on the node" \
	sh -c "$F $A series show home/linky/power | grep -Eq 'points: +[1-9]'"

# The singletons on their conffiles; fed-directory has no enrolment token
# there: a configuration error (2), not restarted.
systemctl start fed-invest fed-web
check "fed-invest is active" wait_active fed-invest
check "fed-web is active" wait_active fed-web
systemctl start fed-directory
sleep 1
check "fed-directory without enrolment token: failed (2), not restarted" \
	test "$(systemctl show -p ExecMainStatus --value fed-directory)" = 2 -a \
	"$(systemctl show -p NRestarts --value fed-directory)" = 0
cp /usr/share/doc/enfed/examples/relay.conf /etc/enfed/relay-school.conf
systemctl start fed-relay@school
check "fed-relay@school is active" wait_active fed-relay@school

# Reload: ExecReload sends SIGHUP. Reported, not checked: a program that
# does not handle SIGHUP yet ends on it, and systemd counts that as a clean
# stop (no restart).
systemctl reload fed-node@school
sleep 1
if wait_health; then
	echo "note: fed-node@school still answers after systemctl reload"
else
	echo "note: fed-node@school ended on systemctl reload (SIGHUP not handled)"
	systemctl start fed-node@school
	check "fed-node@school starts again after the reload" wait_health
fi

# An upgrade (the same packages again): running services are restarted.
before=$(main_pid fed-node@school)
dpkg -i /root/debs/*.deb >/root/upgrade.log 2>&1
check "the upgrade succeeded" test $? -eq 0
check "the upgrade restarted fed-node@school" wait_active fed-node@school
check "the restarted node answers" wait_health
check "fed-node@school has a new process" test "$(main_pid fed-node@school)" != "$before"
check "the node still holds the points" \
	sh -c "$F $A series show home/linky/power | grep -Eq 'points: +[1-9]'"

systemd-analyze security --no-pager fed-node@school.service fed-edge-tic@linky.service \
	fed-web.service 2>&1 | grep Overall

# Purge: services stopped, state and configs gone, the user kept.
dpkg --purge enfed enfed-edge >/root/purge.log 2>&1
check "the purge succeeded" test $? -eq 0
check "no enfed process left" sh -c '! pgrep -u enfed >/dev/null'
check "/var/lib/enfed removed" test ! -e /var/lib/enfed
check "the enablement link removed" \
	test ! -e /etc/systemd/system/multi-user.target.wants/fed-node@school.service

journalctl --no-pager -u 'fed-*' | tail -n 40
if [ -z "$failed" ]; then
	echo "RESULT: ok"
else
	echo "RESULT: FAIL${failed}"
fi
systemctl poweroff
