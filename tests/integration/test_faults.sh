#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults around the daemon itself: the disk fills up (a small tmpfs holding
# the database and the spool), and another process holds the database's
# write lock for 10 s. The daemon must stay up, keep answering /healthz,
# lose nothing and send nothing twice.
#
# Disk full: an opportunity is stored (a draft) while there is room, the
# file system is filled but for 600 KB, and the draft is published with one
# SQL UPDATE. The daemon's campaign for 300 subscribers (300 message rows,
# 300 spool files of a 4 KB page each) cannot fit: it must run out of space
# half-way, say so in its log, keep what it cannot write or record for a
# retry (never `failed`, never `sent` without its spool file, no spool file
# written twice), answer an inbound SMS either fully (with its reply) or
# not at all, and finish the campaign once space returns.
#
# On PostgreSQL the database is not on the small file system: the disk-full
# part is SQLite's only; the lock is every table locked against writes.
#
# Mounting a tmpfs needs root; CI runs as root. Elsewhere the test re-runs
# itself in a user and mount namespace (unshare -rm) when the kernel allows
# it, and fails (it does not skip) when it cannot.
# shellcheck disable=SC2016 # the probe's $d belongs to its own sh
if [ "$(id -u)" -ne 0 ] && [ -z "${BB_FAULTS_USERNS:-}" ] && command -v unshare >/dev/null &&
	unshare -rm sh -c 'd=$(mktemp -d) || exit 1; mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d"
		r=$?; rmdir "$d"; exit $r' 2>/dev/null; then
	BB_FAULTS_USERNS=1 exec unshare -rm /bin/bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"

require_cmd sqlite3 curl
if [ "$(id -u)" -ne 0 ]; then
	fail "needs root to mount a tmpfs (CI runs as root), and unshare -rm is not allowed here"
	done_testing
fi
mnt=$TEST_TMPDIR/small
mkdir -p "$mnt"
mount -t tmpfs -o size=6m tmpfs "$mnt" || die "cannot mount a tmpfs"
on_exit "umount -l '$mnt'"
. "$(dirname "$0")/../lib/budbringerd.sh"
# Database and spool on the small file system; the log is not. (On
# PostgreSQL the database is in the test's cluster, see "disk full".)
if [ "$BB_ENGINE" = sqlite ]; then
	BB_DB=$mnt/budbringer.db
fi
BB_SPOOL_SMS=$mnt/spool/sms
BB_SPOOL_MAIL=$mnt/spool/mail
BB_SMS_EXTRA='backoff_initial = 1; backoff_max = 2; max_attempts = 100;'
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 50;'
bb_config
bb init >/dev/null || die "init"
now=$(date +%s)
for i in $(seq 0 299); do
	printf '+4560%06d\tda\tactive\t1\t%d\ttest\t0\t%d\t%d\n' "$i" "$now" "$now" "$now"
done | bb_sql_insert subscribers phone lang status sms_consent sms_consent_at sms_consent_source \
	email_consent created_at updated_at || die "cannot add the subscribers"
bb_start

spool_count() {  # SMS spool files written (renamed into place) so far
	find "$BB_SPOOL_SMS" -maxdepth 1 -name '*.json' | wc -l
}
spool_inodes() {  # "NAME INODE" per spool file: a file written again gets a new inode
	find "$BB_SPOOL_SMS" -maxdepth 1 -name '*.json' -printf '%f %i\n' | sort
}
# Messages `sent` without their spool file (ids, or empty). The ids are
# read before the directory is listed: a file is renamed into place before
# its message is marked sent, and none is removed, so the check does not
# race with the daemon's work.
sent_without_file() {
	local ids
	ids=$(bb_sql "SELECT id FROM messages WHERE channel = 'sms' AND state = 'sent'") || {
		echo "cannot read the database"
		return 1
	}
	comm -23 <(printf '%s\n' "$ids" | sed '/^$/d' | sort) \
		<(find "$BB_SPOOL_SMS" -maxdepth 1 -name '*.json' -printf '%f\n' | sed 's/\.json$//' | sort) |
		tr '\n' ' '
}
count() {  # count "WHERE …" on messages
	bb_sql "SELECT count(*) FROM messages $1"
}
MO_FROM=+4529999999
MO_ID=faults-mo-1
mo() {  # one inbound SMS (HELP, so it queues a reply) with the gateway id MO_ID; prints the HTTP status
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 -G "$BB_URL/sms/inbound" \
		--data-urlencode "secret=$BB_INBOUND_SECRET" --data-urlencode "from=$MO_FROM" \
		--data-urlencode "to=1220" --data-urlencode "text=HJÆLP" --data-urlencode "id=$MO_ID"
}
mo_rows() {  # "inbound rows with MO_ID, reply messages to MO_FROM"
	echo "$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id = '$MO_ID'")" \
		"$(count "WHERE recipient = '$MO_FROM'")"
}
ENOSPC_RE='No space left on device|database or disk is full'

sent_twice() {
	bb_sql "SELECT count(*) FROM (SELECT message_id FROM message_events WHERE state = 'sent'
		GROUP BY message_id HAVING count(*) > 1) AS twice"
}

# --- disk full ---
if bb_sqlite_only "disk full under the database file (PostgreSQL keeps it in the cluster, off the small file system)"; then
	# 1. Work accepted while there is room, the daemon running: a draft.
	opp=$(bb --json opportunity add --title "da=Fuld disk" --summary "da=Test." --url https://x.example/o |
		sed -n 's/.*"id": \([0-9]*\).*/\1/p')
	[ -n "$opp" ] || die "cannot store the draft opportunity"
	assert_eq draft "$(bb_sql "SELECT status FROM opportunities WHERE id = $opp")" \
		"disk full: the opportunity is stored (a draft) before the disk fills"

	# 2. Fill the file system but for MARGIN_KB. The campaign needs more than
	# 300 spool files of one 4 KB page each (1.2 MB) plus its rows: it cannot
	# fit, whatever the database needs. Publishing needs ~8 KB (SQLite appends
	# the changed page to the WAL; nothing checkpointed it, so no frame is
	# reused), and nothing else writes meanwhile: the daemon is idle.
	MARGIN_KB=${FAULTS_MARGIN_KB:-600}
	sync
	free_kb=$(df -k --output=avail "$mnt" | tail -1)
	dd if=/dev/zero of="$mnt/filler" bs=1k count=$((free_kb - MARGIN_KB)) 2>/dev/null
	note "free after filling: $(df -k --output=avail "$mnt" | tail -1) KB"

	# 3. Publish it with one UPDATE; the daemon makes the campaign on its next poll.
	now_iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	sqlite3 -cmd ".timeout 10000" "$BB_DB" "UPDATE opportunities SET status = 'published',
		published_at = '$now_iso', updated_at = '$now_iso' WHERE id = $opp" ||
		die "cannot publish the opportunity on the nearly full disk (margin ${MARGIN_KB} KB too small?)"
	assert_eq published "$(bb_sql "SELECT status FROM opportunities WHERE id = $opp")" \
		"disk full: published by an UPDATE on the nearly full disk"

	# 4. The daemon runs out of space half-way; a few retries (backoff 1–2 s) later:
	wait_until "grep -qE '$ENOSPC_RE' '$BB_LOG'" 20 "$BB_PID" || fail "disk full: the daemon never ran out of space"
	sleep 3
	full_files=$(spool_count)
	full_msgs=$(count "")
	note "while full: $(bb_sql "SELECT state || '=' || count(*) FROM messages GROUP BY state ORDER BY state" | tr '\n' ' ')spool files=$full_files"
	assert_http 200 "$BB_URL/healthz" "disk full: /healthz still answers"
	assert_cmd "pid_alive $BB_PID" "disk full: the daemon is still running"
	assert_cmd "grep -qE '$ENOSPC_RE' '$BB_LOG'" "disk full: the daemon logs the problem ($ENOSPC_RE)"
	assert_cmd "[ $full_msgs -gt 0 ] && [ $full_files -lt 300 ]" \
		"disk full: the campaign started but did not fit ($full_msgs messages, $full_files spool files)"
	assert_no_output "disk full: no message is marked sent without its spool file" sent_without_file
	assert_eq 0 "$(count "WHERE state = 'failed'")" "disk full: no message failed (a full disk is temporary: retried)"
	spool_inodes > "$TEST_TMPDIR/inodes.full"

	# 5. Inbound while full: recorded with its reply, or refused so the
	# gateway retries; never half.
	code=$(mo)
	case $code in
	200) assert_eq "1 1" "$(mo_rows)" "disk full: inbound SMS answered 200, recorded with its reply" ;;
	5??) assert_eq "0 0" "$(mo_rows)" "disk full: inbound SMS refused ($code): neither it nor a reply recorded" ;;
	*) fail "disk full: inbound SMS answered $code (want 200 or 5xx)" ;;
	esac

	# 6. Space returns: the gateway's retry is taken once, and everything goes out once.
	rm -f "$mnt/filler"
	assert_eq "200 200" "$(mo) $(mo)" "space back: the inbound SMS is accepted (twice more, same id: a lost answer retried)"
	assert_eq "1 1" "$(mo_rows)" "space back: the inbound SMS is recorded once, with one reply"
	wait_until "[ \"\$(count \"WHERE kind = 'campaign'\")\" -ge 300 ] &&
		[ \"\$(count \"WHERE state IN ('queued', 'sending')\")\" = 0 ]" 60 "$BB_PID" ||
		fail "space back: the campaign did not finish"
	assert_eq 300 "$(count "WHERE kind = 'campaign' AND state = 'sent'")" "space back: all 300 campaign messages sent"
	assert_eq 300 "$(count "WHERE kind = 'campaign'")" "space back: one campaign message per subscriber"
	assert_eq 0 "$(sent_twice)" "space back: no message recorded as sent twice"
	# Lines of a turn that could not commit are dropped with it: the log reports
	# each send once (it once repeated them at every retry, ~25 times a second).
	assert_eq 0 "$(grep -o 'message sent msg=[0-9]*' "$BB_LOG" | sort | uniq -d | wc -l)" \
		"space back: the log reports each send once, none that was rolled back"
	assert_eq 300 "$(bb_sql "SELECT count(DISTINCT subscriber_id) FROM messages WHERE kind = 'campaign'")" \
		"one message per subscriber"
	assert_no_output "space back: every message sent, none failed" \
		bb_sql "SELECT id || ':' || state || ':' || coalesce(reason, '') FROM messages WHERE state <> 'sent'"
	assert_eq "$(count "")" "$(spool_count)" "space back: one spool file per message"
	assert_no_output "space back: every sent message has its spool file" sent_without_file
	assert_no_output "space back: no spool file written while the disk was full was written again (none handed over twice)" \
		comm -23 "$TEST_TMPDIR/inodes.full" <(spool_inodes)
fi

# --- the database locked by another writer for 10 s ---
files_before=$(spool_count)
sent_before=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")
opp2=$(bb --json opportunity add --title "da=Låst" --summary "da=Test." --url https://x.example/o2 |
	sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$opp2" ] || die "cannot store the second opportunity"
if [ "$BB_ENGINE" = postgresql ]; then
	# SQLite's write lock has no single PostgreSQL twin: every table is
	# locked against writes (EXCLUSIVE lets readers on, as WAL does).
	bb_sql >/dev/null <<SQL &
BEGIN;
DO \$\$ DECLARE t text; BEGIN
	FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1 LOOP
		EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', t);
	END LOOP;
END \$\$;
UPDATE opportunities SET status = 'published', updated_at = 'x' WHERE id = $opp2;
SELECT pg_sleep(10);
COMMIT;
SQL
else
	/usr/bin/python3 - "$BB_DB" "$opp2" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE opportunities SET status = 'published', updated_at = 'x' WHERE id = ?", (int(sys.argv[2]),))
time.sleep(10)
db.execute("COMMIT")
PY
fi
locker=$!
sleep 2
assert_http 200 "$BB_URL/healthz" "database locked: /healthz still answers"
wait "$locker" || fail "the locking writer failed"
wait_until "[ \$(spool_count) -ge $((files_before + 300)) ] &&
	[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge $((sent_before + 300)) ]" 60 "$BB_PID" ||
	fail "after the lock: second campaign sent"
assert_cmd "pid_alive $BB_PID" "database locked for 10 s: no crash"
assert_eq $((sent_before + 300)) "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")" "nothing lost"
assert_eq 0 "$(sent_twice)" "nothing sent twice"
assert_eq $((files_before + 300)) "$(spool_count)" "one spool file per message of the second campaign"
bb_stop 5
done_testing
