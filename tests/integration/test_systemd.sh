#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd unit: `make install` into a DESTDIR, `systemd-analyze verify`
# passes, and the hardening scores under 2.0 ("OK") in
# `systemd-analyze security`. budbringerd -t checks a config and exits 0/2.
. "$(dirname "$0")/../lib/common.sh"

require_cmd systemd-analyze
dest=$TEST_TMPDIR/dest
make -C "$BB_TOP_DIR" --no-print-directory install DESTDIR="$dest" PREFIX=/usr >/dev/null ||
	die "make install failed"
for f in usr/sbin/budbringerd usr/bin/budbringer etc/budbringer/budbringer.conf.sample \
	lib/systemd/system/budbringerd.service; do
	assert_cmd "[ -f '$dest/$f' ]" "make install puts $f in place"
done
unit=$TEST_TMPDIR/budbringerd.service
# Point the unit at the installed binary so verify can check ExecStart.
sed "s|/usr/sbin/budbringerd|$dest/usr/sbin/budbringerd|g" "$dest/lib/systemd/system/budbringerd.service" > "$unit"
assert_no_output "systemd-analyze verify reports nothing" systemd-analyze verify "$unit"
score=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
note "systemd-analyze security: $score"
assert_cmd "awk 'BEGIN { exit !($score < 2.0) }'" "hardening exposure $score is under 2.0"
assert_cmd "grep -q '^Type=notify' '$unit' && grep -q '^WatchdogSec=' '$unit' && grep -q '^ExecReload=' '$unit'" \
	"Type=notify, watchdog and reload"

# -t: config check. The sample's CHANGE-ME secrets are refused; with real
# ones in their place the sample is valid.
sample=$TEST_TMPDIR/sample.conf
sed -e "s|/var/lib/budbringer|$TEST_TMPDIR|g" "$BB_TOP_DIR/etc/budbringer.conf" > "$sample"
chmod 600 "$sample"
err=$("$BB_TOP_DIR/build/budbringerd" -t -c "$sample" 2>&1)
assert_eq 2 $? "budbringerd -t refuses the sample config as shipped"
assert_contains "$err" "secret_key: is the sample value (CHANGE-ME" "because of its CHANGE-ME secret_key"
conf=$TEST_TMPDIR/ok.conf
sed -e "s|\"CHANGE-ME[^\"]*\"|\"$(random_token 48)\"|g" "$sample" > "$conf"
chmod 600 "$conf"
"$BB_TOP_DIR/build/budbringerd" -t -c "$conf" >/dev/null 2>&1
assert_eq 0 $? "budbringerd -t accepts the sample config with its secrets set"
printf 'database = "/x.db";\npoll_interval = 0;\n' > "$TEST_TMPDIR/bad.conf"
err=$("$BB_TOP_DIR/build/budbringerd" -t -c "$TEST_TMPDIR/bad.conf" 2>&1)
assert_eq 2 $? "budbringerd -t exits 2 on a bad config"
assert_contains "$err" "$TEST_TMPDIR/bad.conf:2: poll_interval: 0 is out of range" "the error names file, line and setting"
"$BB_TOP_DIR/build/budbringerd" -x >/dev/null 2>&1
assert_eq 2 $? "usage errors exit 2"
# A config with secrets readable by others is refused, unless overridden.
chmod 644 "$conf"
err=$("$BB_TOP_DIR/build/budbringerd" -t -c "$conf" 2>&1)
assert_eq 2 $? "a world-readable config with secrets is refused"
assert_contains "$err" "readable by group or others" "and the message says why"
"$BB_TOP_DIR/build/budbringerd" -t --allow-readable-config -c "$conf" >/dev/null 2>&1
assert_eq 0 $? "--allow-readable-config overrides"
chmod 600 "$conf"

# Started as root, the daemon becomes the configured user.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	run=$TEST_TMPDIR/run
	mkdir -p "$run" && chmod 777 "$run" && chmod 711 "$TEST_TMPDIR"
	port=$(free_port)
	sed -e "s|$TEST_TMPDIR/budbringer.db|$run/budbringer.db|; s|$TEST_TMPDIR/spool|$run/spool|g" \
	    -e "s|127.0.0.1:8080|127.0.0.1:$port|" -e 's|^user = "budbringer";.*|user = "nobody";|' \
	    "$conf" > "$run/b.conf"
	chmod 600 "$run/b.conf"
	spawn rootpid "$run/log" "$BB_TOP_DIR/build/budbringerd" -f -c "$run/b.conf"
	wait_until "grep -q 'ready pid=' '$run/log'" 15 "$rootpid" || fail "daemon as nobody did not start: $(tail -3 "$run/log")"
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$rootpid/status")
	assert_eq "$(id -u nobody)" "$uid" "started as root, it runs as the configured user"
	assert_eq "$(id -u nobody)" "$(stat -c %u "$run/budbringer.db")" "its database is not root's"
	stop_pid "$rootpid" 5
else
	note "not root: privilege drop not tested here"
fi
done_testing
