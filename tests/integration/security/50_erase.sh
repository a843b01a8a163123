#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, item 10: erase means erased — in the database file, its WAL,
# the spool files; retention purges spool files; unconfirmed sign-ups are
# forgotten; the suppression list is keyed, not a plain SHA-256.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3 sha256sum grep
bb_config
bb init >/dev/null
bb subscriber add --phone 20800001 --email erase.me@example.dk --lang da --consent "test" >/dev/null || die "subscriber"
bb subscriber add --phone 20800002 --email keep.me@example.dk --lang da --consent "test" >/dev/null || die "subscriber"
bb opportunity add --title "da=Oprydning" --summary "da=Hjælpere til stranden." \
	--url https://frivillig.example.dk/o/5 --publish >/dev/null || die "opportunity"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" = 4 ]" 20 "$BB_PID" ||
	fail "the campaign did not send its four messages"
gone=$(bb_sql "SELECT id FROM messages WHERE recipient IN ('+4520800001', 'erase.me@example.dk') ORDER BY id" | paste -sd' ' -)
kept=$(bb_sql "SELECT id FROM messages WHERE recipient IN ('+4520800002', 'keep.me@example.dk') ORDER BY id" | paste -sd' ' -)
assert_match "$gone" '^[0-9]+ [0-9]+$' "two messages to the person to erase"
raw_count() { cat "$BB_DB" "$BB_DB-wal" "$BB_DB-shm" 2>/dev/null | grep -c -a -F "$1"; }
dump_count() { bb_db_dump | grep -c -a -F "$1"; }
spool_has() { cat "$BB_SPOOL_SMS"/*.json "$BB_SPOOL_MAIL"/*.eml 2>/dev/null | grep -c -a -F "$1"; }
# The bytes of the files are SQLite's promise (secure_delete, a checkpointed
# WAL). On PostgreSQL an erased row stays in its table's pages until VACUUM
# reuses them: there the check is on what the database holds, every table
# through pg_dump.
if bb_sqlite_only "the erased address is in no byte of the database file, its WAL or -shm"; then
	assert_num -gt "$(raw_count erase.me@example.dk)" 0 "before: the address is in the database files"
else
	assert_num -gt "$(dump_count erase.me@example.dk)" 0 "before: the address is in the database"
fi
assert_num -gt "$(spool_has erase.me@example.dk)" 0 "before: and in the spool files"

bb subscriber erase --email erase.me@example.dk --yes >/dev/null || fail "erase failed"
if [ "$BB_ENGINE" = sqlite ]; then
	assert_eq 0 "$(raw_count erase.me@example.dk)" "after erase: the address is nowhere in the database, its WAL or -shm"
	assert_eq 0 "$(raw_count 4520800001)" "… nor the phone number"
else
	assert_eq 0 "$(dump_count erase.me@example.dk)" "after erase: the address is in no table"
	assert_eq 0 "$(dump_count 4520800001)" "… nor the phone number"
fi
assert_eq 0 "$(spool_has erase.me@example.dk)" "… nor in any spool file"
assert_eq 0 "$(spool_has 4520800001)" "… the number neither"
for id in $gone; do
	assert_cmd "[ ! -e '$BB_SPOOL_SMS/$id.json' ] && [ ! -e '$BB_SPOOL_MAIL/$id.eml' ]" "spool file of message $id removed"
done
assert_num -gt "$(spool_has keep.me@example.dk)" 0 "the other person's spool files remain"

# --- the suppression list is keyed ----------------------------------------
plain=$(printf %s +4520800001 | sha256sum | cut -d' ' -f1)
assert_eq 0 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$plain'")" \
	"the erased number is not stored as a plain SHA-256"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash +4520800001)'")" \
	"but as its keyed hash"
# A row as older versions wrote it still suppresses, and is rewritten.
legacy=$(printf %s +4520800009 | sha256sum | cut -d' ' -f1)
bb_sql "INSERT INTO suppressions(address_sha256, channel, reason, source, created_at)
	VALUES ('$legacy', 'sms', 'stop', 'old version', 1)"
out=$(bb subscriber add --phone 20800009 --lang da --consent "test" 2>&1); rc=$?
assert_eq 1 "$rc" "a number suppressed in the old (unkeyed) form cannot be added"
assert_contains "$out" "suppression list" "… because it is still on the suppression list"
assert_eq "0 1" "$(bb_sql "SELECT (SELECT count(*) FROM suppressions WHERE address_sha256 = '$legacy') || ' ' ||
	(SELECT count(*) FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash +4520800009)')")" \
	"… and its row was rewritten in the keyed form"
bb_stop

# --- retention purges spool files; unconfirmed sign-ups are forgotten ------
old=$(echo "$kept" | cut -d' ' -f1)
touch -d '-200 days' "$BB_SPOOL_SMS/$old.json" "$BB_SPOOL_MAIL/$old.eml" 2>/dev/null
aged=$(ls "$BB_SPOOL_SMS/$old.json" "$BB_SPOOL_MAIL/$old.eml" 2>/dev/null | head -1)
assert_match "$aged" "/$old\\.(json|eml)\$" "a spool file is aged 200 days (retention_days is 180)"
young=$(count_files "$BB_SPOOL_SMS" '*.json')
bb subscriber add --phone 20800020 --lang da --pending >/dev/null || die "pending 1"
bb subscriber add --phone 20800021 --lang da --pending >/dev/null || die "pending 2"
bb_sql "UPDATE subscribers SET created_at = created_at - 31 * 86400 WHERE phone = '+4520800020';
	UPDATE subscribers SET created_at = created_at - 40 * 86400 WHERE phone = '+4520800002';
	DELETE FROM housekeeping"
bb_start
wait_until "grep -q 'housekeeping: spool_files=' '$BB_LOG'" 10 "$BB_PID" || fail "housekeeping did not purge"
assert_cmd "[ ! -e '$aged' ]" "retention removed the old spool file"
assert_num -ge "$(count_files "$BB_SPOOL_SMS" '*.json')" $((young - 1)) "and only the old one"
assert_eq "none" "$(bb_sql "SELECT coalesce(CAST((SELECT id FROM subscribers WHERE phone = '+4520800020') AS TEXT), 'none')")" \
	"a sign-up nobody confirmed for 31 days is forgotten"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash +4520800020)'")" \
	"… without a suppression (its owner may still sign up)"
assert_eq pending "$(bb_sql "SELECT status FROM subscribers WHERE phone = '+4520800021'")" "a young one stays"
assert_eq active "$(bb_sql "SELECT status FROM subscribers WHERE phone = '+4520800002'")" "a confirmed old one stays"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM erased_subscribers")" "only the real erase left a statistics row"
bb_stop

# --- a changed secret_key is refused, not silently unkeying the list ---------
sed -i "s#^secret_key = .*#secret_key = \"$(random_token 48)\";#" "$BB_CONF"
out=$(bb subscriber list 2>&1); rc=$?
assert_ne 0 "$rc" "the CLI refuses a secret_key the list was not keyed with"
assert_contains "$out" "put the old secret_key back" "… saying what to do"
done_testing
