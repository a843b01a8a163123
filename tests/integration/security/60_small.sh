#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, item 11: database files only our user can read; a value from
# outside cannot forge a log line; a delivery report settles SMS only.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3 stat
bb_config
(umask 022; bb init >/dev/null) || die "bb init"
# The modes are those of the SQLite files; PostgreSQL's data directory is
# its own (initdb makes it 0700).
sqlite_files=""
if bb_sqlite_only "the database file, its WAL and -shm are 0600"; then
	sqlite_files=1
	assert_eq 600 "$(stat -c %a "$BB_DB")" "bb init creates the database 0600 (under umask 022)"
fi
bb subscriber add --email mail@example.dk --lang da --consent "test" >/dev/null || die "subscriber"
bb subscriber add --phone 20700001 --lang da --consent "test" >/dev/null || die "subscriber"
bb_start
if [ -n "$sqlite_files" ]; then
	for f in "$BB_DB-wal" "$BB_DB-shm"; do
		assert_cmd "[ -e '$f' ]" "$(basename "$f") exists"
		assert_eq 600 "$(stat -c %a "$f" 2>/dev/null)" "$(basename "$f") is 0600"
	done
	rm -f "$BB_DIR/other.db"
	sed "s#^database = .*#database = \"$BB_DIR/other.db\";#" "$BB_CONF" > "$BB_DIR/other.conf"
	chmod 600 "$BB_DIR/other.conf"
	(umask 000; "$BB_BIN/budbringer" -c "$BB_DIR/other.conf" init >/dev/null) || fail "init of a second database"
	assert_eq 600 "$(stat -c %a "$BB_DIR/other.db")" "… 0600 even under umask 000"
fi

# --- a forged log line through a delivery report's id ---
forged='x\nbudbringerd: info: FAKE ready pid=1'
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $BB_DLR_SECRET" \
	-H 'Content-Type: application/json' --data "{\"id\": \"$forged\", \"status\": \"DELIVERED\"}" "$BB_URL/sms/dlr")
assert_eq 200 "$code" "a report for an unknown gateway id is answered 200"
wait_until "grep -q 'provider_msgid=x' '$BB_LOG'" 5 "$BB_PID" || fail "the report was not logged"
assert_eq 0 "$(grep -c '^budbringerd: info: FAKE' "$BB_LOG")" "no line of the log starts with the forged text"
assert_eq 1 "$(grep -cF 'provider_msgid=x\nbudbringerd: info: FAKE ready pid=1' "$BB_LOG")" \
	"the newline is written escaped, on the report's own line"

# --- a delivery report never settles an email ---
opp=$(bb --json opportunity add --title "da=Loppemarked" --summary "da=Hjælpere." \
	--url https://frivillig.example.dk/o/3 --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
assert_match "$opp" '^[0-9]+$' "an opportunity is published"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id IS NOT NULL AND state = 'sent'\")\" = 2 ]" 20 "$BB_PID" ||
	fail "the campaign did not send its SMS and email"
mail_id=$(bb_sql "SELECT id FROM messages WHERE channel = 'email' AND campaign_id IS NOT NULL")
sms_id=$(bb_sql "SELECT id FROM messages WHERE channel = 'sms' AND campaign_id IS NOT NULL")
bb_sql "UPDATE messages SET provider_msgid = 'gw-shared-1' WHERE id = $mail_id"
events=$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $mail_id")
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$mail_id&status=2&answer=forged"
curl -s -o /dev/null -H "Authorization: Bearer $BB_DLR_SECRET" -H 'Content-Type: application/json' \
	--data '{"id": "gw-shared-1", "status": "UNDELIVERABLE"}' "$BB_URL/sms/dlr"
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$sms_id&status=1"
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE id = $sms_id\")\" = delivered ]" 5 "$BB_PID" ||
	fail "the SMS's report was not recorded"
assert_eq sent "$(bb_sql "SELECT state FROM messages WHERE id = $mail_id")" \
	"reports by our id and by the gateway's id leave the email sent"
assert_eq "$events" "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $mail_id")" \
	"… and add no event to it"
bb_stop
done_testing
