#!/bin/bash
# SPDX-License-Identifier: MIT
# `budbringer db copy`: the SQLite file of a daemon that has worked goes
# into a real, empty PostgreSQL database with every row and id; the counts
# of both sides match; a daemon on the copy carries on (new ids after the
# copied ones) and the copy goes back into a new SQLite file the same way.
# Refused: a source a daemon is using, a target with data, a URI with a
# password. The source is SQLite, so this runs in the SQLite pass only.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

if [ "$BB_ENGINE" != sqlite ]; then
	note "db copy starts from SQLite: it runs in the SQLite pass"
	done_testing
fi
require_cmd sqlite3 psql
. "$TESTS_LIB_DIR/postgres.sh"
pg_start "$TEST_TMPDIR/pg" || die "PostgreSQL did not start"
target=$(pg_createdb copy) || die "cannot create the target database"

bb_config
bb init >/dev/null || die "budbringer init failed"
year=$(date +%Y)
add() { bb subscriber add "$@" --consent "integration test" >/dev/null || die "subscriber add $*"; }
add --phone 20000001 --lang da --born $((year - 18)) --interest sport
add --phone 20000002 --email to@example.dk --lang ar --born $((year - 20))
add --email tre@example.dk --lang en --born $((year - 22)) --interest sport
bb association add "Randers Idrætsforening" >/dev/null
bb opportunity add --association "Randers Idrætsforening" --title "da=Trænere søges" \
	--summary "da=Træn U13 om tirsdagen." --title "ar=مطلوب مدربون" --summary "ar=درّب الفريق." \
	--interest sport --min-age 15 --max-age 25 --url https://frivillig.example.dk/o/1 \
	--publish >/dev/null || die "opportunity add failed"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge 4 ]" 20 "$BB_PID" ||
	fail "the campaign did not send its messages"

out=$(bb db copy --to "$target" 2>&1); rc=$?
assert_eq 1 "$rc" "a copy while the daemon runs exits 1"
assert_contains "$out" "another budbringerd is running" "… and says why"
assert_eq 0 "$(pg_psql "$target" -Atc "SELECT count(*) FROM messages" 2>/dev/null || echo 0)" \
	"… and writes nothing"
bb_stop

out=$(bb db copy --to "postgresql://budbringer:hemmelig@localhost/copy" 2>&1); rc=$?
assert_eq 2 "$rc" "a target URI with a password exits 2"
assert_contains "$out" "password" "… and says where the password belongs"
assert_not_contains "$out" "hemmelig" "… without echoing it"

out=$(bb db copy --to "$target" 2>"$BB_DIR/copy.err"); rc=$?
assert_eq 0 "$rc" "db copy into the empty PostgreSQL database exits 0"
assert_contains "$out" "copy verified: 25 tables" "it reports the verified tables"
assert_contains "$(cat "$BB_DIR/copy.err")" "copy: messages:" "progress goes to stderr"
for t in subscribers consent_log campaigns campaign_texts messages message_events opportunities \
	opportunity_texts associations audit_log key_checks; do
	n=$(bb_sql "SELECT count(*) FROM $t")
	assert_eq "$n" "$(pg_psql "$target" -Atc "SELECT count(*) FROM $t")" "$t: $n rows on both sides"
	assert_eq "$t $n $n" "$(printf '%s\n' "$out" | awk -v t="$t" '$1 == t { print $1, $2, $3 }')" \
		"… and in the printed table"
done
rows() { echo "SELECT id, campaign_id, subscriber_id, channel, state, recipient, lang, body FROM messages ORDER BY id"; }
assert_eq "$(bb_sql "$(rows)")" "$(PGCLIENTENCODING=UTF8 pg_psql "$target" -AtF'|' -c "$(rows)")" \
	"the messages are the same row for row, ids, texts and all"
ev() { echo "SELECT id, message_id, at, state, detail FROM message_events ORDER BY id"; }
assert_eq "$(bb_sql "$(ev)")" "$(pg_psql "$target" -AtF'|' -c "$(ev)")" "… and their events"

out=$(bb db copy --to "$target" 2>&1); rc=$?
assert_eq 1 "$rc" "a second copy into the same database exits 1"
assert_contains "$out" "already holds data" "… because the target is not empty"

# The daemon on the copy: new rows get ids after the copied ones.
max_msg=$(bb_sql "SELECT max(id) FROM messages")
max_sub=$(bb_sql "SELECT max(id) FROM subscribers")
sqlite_db=$BB_DB
BB_DB=$target BB_ENGINE=postgresql bb_config
out=$(bb --json subscriber add --phone 20000009 --lang da --born $((year - 17)) --interest sport \
	--consent "integration test" 2>&1) || fail "subscriber add on the copy: $out"
assert_eq "$((max_sub + 1))" "$(pg_psql "$target" -Atc "SELECT max(id) FROM subscribers")" \
	"a subscriber added on the copy takes the next id"
bb opportunity add --association "Randers Idrætsforening" --title "da=Hjælpere" --summary "da=Til stævnet." \
	--interest sport --min-age 15 --max-age 25 --url https://frivillig.example.dk/o/2 --publish >/dev/null ||
	die "opportunity add on the copy failed"
bb_start
wait_until "[ \"\$(pg_psql \"$target\" -Atc \"SELECT count(*) FROM messages WHERE id > $max_msg AND state = 'sent'\")\" -ge 3 ]" 20 "$BB_PID" ||
	fail "the daemon on the copy did not send the new campaign"
assert_eq 0 "$(pg_psql "$target" -Atc "SELECT count(*) FROM messages WHERE state IN ('sending', 'queued')")" \
	"nothing is left in flight on the copy"
out=$(bb db copy --to "$BB_DIR/back.db" 2>&1); rc=$?
assert_eq 1 "$rc" "a copy of PostgreSQL while its daemon runs exits 1"
assert_contains "$out" "1 budbringerd is using the source database" "… naming the running daemon"
bb_stop

out=$(bb db copy --to "$BB_DIR/back.db" 2>&1); rc=$?
assert_eq 0 "$rc" "the copy goes back into a new SQLite file"
n=$(pg_psql "$target" -Atc "SELECT count(*) FROM messages")
assert_eq "$n" "$(sqlite3 "$BB_DIR/back.db" "SELECT count(*) FROM messages")" "… with all $n messages"
assert_eq "$(PGCLIENTENCODING=UTF8 pg_psql "$target" -AtF'|' -c "$(rows)")" \
	"$(sqlite3 "$BB_DIR/back.db" "$(rows)")" "… row for row"
assert_ne "$(sqlite3 "$sqlite_db" "$(rows)")" "$(sqlite3 "$BB_DIR/back.db" "$(rows)")" \
	"… including what the daemon on PostgreSQL added"
done_testing
