#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_units_boot.sh DEB_DIR [SOURCE_DIR]: the packages installed and their
# units run under a real systemd, in a Debian 12 container booted with
# systemd-nspawn: a node enabled from the example config, the collector on
# a Linky capture, the singletons on their conffiles, an upgrade restarting
# what runs, a purge removing the state (tests/package/in_container.sh).
# Not part of ./run test: it needs root, debootstrap, systemd-container
# and the network for the first debootstrap (about 100 s, kept in
# DEB_DIR/boot-base for the next runs), then about 30 s a run.
# Exits 77 (skipped) when something it needs is missing.
set -u
debs=$(cd "$1" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for c in debootstrap systemd-nspawn unshare; do
	command -v $c >/dev/null || { echo "SKIP: $c is missing (apt-get install debootstrap systemd-container)"; exit 77; }
done
set -- "$debs"/enfed_*.deb
[ -f "$1" ] || { echo "SKIP: no enfed_*.deb in $debs"; exit 77; }

base=$debs/boot-base
if [ ! -x "$base/usr/bin/systemctl" ]; then
	rm -rf "$base"
	echo "debootstrap of Debian 12 into $base"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,adduser,procps,libnng1,libprotobuf-c1,libzstd1,libsqlite3-0,libcjson1,libmbedcrypto7,openssl \
		bookworm "$base" http://deb.debian.org/debian >"$debs/boot-debootstrap.log" 2>&1 ||
		{ echo "FAIL: debootstrap, see $debs/boot-debootstrap.log"; exit 1; }
fi
root=$debs/boot-root
rm -rf "$root"
cp -a --reflink=auto "$base" "$root"
mkdir -p "$root/root/debs"
cp "$debs"/enfed_*.deb "$debs"/enfed-edge_*.deb "$root/root/debs/"
cp "$src/tests/fixtures/tic/linky_1P_standard.bin" "$root/root/capture.bin"
cp "$src/tests/package/in_container.sh" "$root/root/in_container.sh"
chmod +x "$root/root/in_container.sh"
cat >"$root/etc/systemd/system/enfed-boot-check.service" <<'EOF'
[Unit]
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/root/in_container.sh
[Install]
WantedBy=multi-user.target
EOF
ln -sf ../enfed-boot-check.service "$root/etc/systemd/system/multi-user.target.wants/"

# nspawn outside a systemd host: no machine registration, no scope, and
# its /run/systemd/nspawn on a tmpfs of a private mount namespace.
nspawn() {
	unshare -m --propagation private sh -c 'mkdir -p /run/systemd/nspawn &&
		mount -t tmpfs tmpfs /run/systemd/nspawn && exec "$@"' sh \
		timeout 300 systemd-nspawn -q --register=no --keep-unit --private-network -D "$root" "$@"
}
nspawn sh -c 'dpkg -i /root/debs/*.deb' >"$debs/boot-install.log" 2>&1 ||
	{ echo "FAIL: installing the packages, see $debs/boot-install.log"; exit 1; }
nspawn -b >"$debs/boot-console.log" 2>&1
result=$(tail -n 1 "$root/root/result.txt" 2>/dev/null)
grep -E '^(ok|FAIL|note):|Overall' "$root/root/result.txt" 2>/dev/null
case "$result" in
"RESULT: ok")
	echo "units under systemd: passed"
	rm -rf "$root"
	;;
*)
	echo "FAIL: ${result:-no result}; see $root/root/result.txt and $debs/boot-console.log"
	exit 1
	;;
esac
