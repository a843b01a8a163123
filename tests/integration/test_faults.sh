#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults around the daemon itself: the disk fills up (a small tmpfs holding
# the database and the spool), and another process holds the database's
# write lock for 10 s. The daemon must stay up, keep answering /healthz,
# lose nothing and send nothing twice.
. "$(dirname "$0")/../lib/common.sh"

require_cmd sqlite3
[ "$(id -u)" -eq 0 ] || { note "needs root to mount a tmpfs"; pass "skipped: not root"; done_testing; }
mnt=$TEST_TMPDIR/small
mkdir -p "$mnt"
mount -t tmpfs -o size=6m tmpfs "$mnt" || die "cannot mount a tmpfs"
on_exit "umount -l '$mnt'"
. "$(dirname "$0")/../lib/budbringerd.sh"
# Database and spool on the small file system.
BB_DB=$mnt/budbringer.db
BB_SPOOL_SMS=$mnt/spool/sms
BB_SPOOL_MAIL=$mnt/spool/mail
BB_SMS_EXTRA='backoff_initial = 1; backoff_max = 2; max_attempts = 100;'
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 50;'
bb_config
bb init >/dev/null || die "init"
/usr/bin/python3 - "$BB_DB" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); now = int(time.time())
for i in range(300):
    db.execute("INSERT INTO subscribers(phone, lang, status, sms_consent, sms_consent_at,"
               " sms_consent_source, email_consent, created_at, updated_at)"
               " VALUES (?, 'da', 'active', 1, ?, 'test', 0, ?, ?)", ("+4560%06d" % i, now, now, now))
db.commit()
PY
bb_start

# --- disk full ---
# Leave almost nothing free, then publish: spool writes fail.
free_kb=$(df -k --output=avail "$mnt" | tail -1)
dd if=/dev/zero of="$mnt/filler" bs=1k count=$((free_kb - 40)) 2>/dev/null
bb opportunity add --title "da=Fuld disk" --summary "da=Test." --url https://x.example/o --publish >/dev/null 2>&1 ||
	note "CLI could not write while the disk is full (expected)"
sleep 4
assert_http 200 "$BB_URL/healthz" "disk full: /healthz still answers"
assert_cmd "pid_alive $BB_PID" "disk full: the daemon is still running"
assert_cmd "grep -qiE 'no space|disk is full|database or disk is full|cannot write' '$BB_LOG'" "disk full: the daemon logs the problem"
rm -f "$mnt/filler"
# The opportunity may not even have been stored; make sure it is now.
if [ "$(bb_sql "SELECT count(*) FROM opportunities")" -eq 0 ]; then
	bb opportunity add --title "da=Fuld disk" --summary "da=Test." --url https://x.example/o --publish >/dev/null
fi
wait_until "[ \$(ls '$BB_SPOOL_SMS' | grep -c json) -eq 300 ]" 60 "$BB_PID" || fail "space back: all 300 written"
assert_eq 300 "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")" "space back: every message sent exactly once"
assert_eq 300 "$(bb_sql "SELECT count(DISTINCT subscriber_id) FROM messages")" "one message per subscriber"

# --- the database locked by another writer for 10 s ---
bb opportunity add --title "da=Låst" --summary "da=Test." --url https://x.example/o2 >/dev/null
/usr/bin/python3 - "$BB_DB" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE opportunities SET status = 'published', updated_at = 'x' WHERE id = 2")
time.sleep(10)
db.execute("COMMIT")
PY
locker=$!
sleep 2
assert_http 200 "$BB_URL/healthz" "database locked: /healthz still answers"
wait "$locker"
wait_until "[ \$(ls '$BB_SPOOL_SMS' | grep -c json) -eq 600 ]" 60 "$BB_PID" || fail "after the lock: second campaign sent"
assert_cmd "pid_alive $BB_PID" "database locked for 10 s: no crash"
assert_eq 600 "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")" "nothing lost, nothing twice"
bb_stop 5
done_testing
