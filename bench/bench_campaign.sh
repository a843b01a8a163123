#!/bin/bash
# SPDX-License-Identifier: MIT
# Matching at scale (issue 5): 1,000,000 generated subscribers, one campaign
# that matches about 30% of them. Prints the daemon's expansion time and
# rate, its peak RSS, and the floor: the same selection as one raw SQL
# INSERT … SELECT into a copy of the same database. Also times the dry run.
# Then the same on PostgreSQL (issue 14): the database moved over with
# `budbringer db copy` (timed too), the floor the same raw SQL in a copy
# made with CREATE DATABASE … TEMPLATE.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"
. "$(dirname "$0")/../tests/lib/postgres.sh"

N=${BENCH_SUBSCRIBERS:-1000000}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
quiet_hours_now 120 hold_email
# Quiet hours around now hold the SMS and (hold_email) the email, so only
# the expansion is measured: without hold_email the daemon also hands the
# new email to the spool provider between batches (an fsync each), and the
# figure was mostly the spool's write rate (64 s instead of about 6 s).
BB_CAMPAIGNS="frequency_cap = 3; expand_batch = 5000; $QUIET_HOURS"
bb_config
bb init >/dev/null
note "generating $N subscribers"
"$BB_PYTHON" "$BB_TOP_DIR/scripts/gen-subscribers.py" "$BB_DB" "$N" >&2
bb opportunity add --title "da=Fodboldtrænere" --summary "da=Træn U13 om tirsdagen." \
	--title "en=Football coaches" --summary "en=Coach U13 on Tuesdays." \
	--title "ar=مدربو كرة قدم" --summary "ar=درّب فريق تحت 13 يوم الثلاثاء." \
	--interest sport --url https://frivillig.example.dk/o/1 >/dev/null
cp "$BB_DB" "$TEST_TMPDIR/floor.db"

# The dry run on the same data (read-only).
t0=$(date +%s.%N)
bb opportunity publish 1 >/dev/null
dry=$(bb --json campaign create --opportunity 1 --channels sms --dry-run)
t1=$(date +%s.%N)
dry_s=$(calc "$t1 - $t0")
dry_total=$(echo "$dry" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["sms"])')
note "dry run: $dry_total would be queued, ${dry_s}s"
cp "$BB_DB" "$TEST_TMPDIR/published.db"   # the PostgreSQL half starts from here

t0=$(date +%s.%N)
bb_start
wait_until "[ \"\$(bb_sql \"SELECT status FROM campaigns WHERE kind = 'auto'\")\" = sending ]" 600 "$BB_PID" ||
	die "expansion did not finish"
t1=$(date +%s.%N)
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
bb_stop 10
msgs=$(bb_sql "SELECT count(*) FROM messages")
exp_s=$(calc "$t1 - $t0")
note "expanded $msgs messages in ${exp_s}s, peak RSS ${rss} MB"

t0=$(date +%s.%N)
sqlite3 "$TEST_TMPDIR/floor.db" <<'SQL'
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
BEGIN;
INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang, body, state,
                     not_before, created_at, updated_at)
SELECT 1, s.id, 'campaign', 'sms', s.phone, s.lang, 'Fodboldtrænere: Træn U13 om tirsdagen.', 'queued',
       strftime('%s','now'), strftime('%s','now'), strftime('%s','now')
FROM subscribers s
WHERE s.status = 'active' AND s.sms_consent = 1 AND s.phone IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id)
       OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id AND i.interest = 'sport'));
INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang, subject, body, state,
                     not_before, created_at, updated_at)
SELECT 1, s.id, 'campaign', 'email', s.email, s.lang, 'Fodboldtrænere', 'Træn U13 om tirsdagen.', 'queued',
       strftime('%s','now'), strftime('%s','now'), strftime('%s','now')
FROM subscribers s
WHERE s.status = 'active' AND s.email_consent = 1 AND s.email IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id)
       OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id AND i.interest = 'sport'));
COMMIT;
SQL
t1=$(date +%s.%N)
floor_s=$(calc "$t1 - $t0")
floor_n=$(sqlite3 "$TEST_TMPDIR/floor.db" "SELECT count(*) FROM messages")
note "raw INSERT … SELECT: $floor_n rows in ${floor_s}s"
assert_eq "$floor_n" "$msgs" "the daemon and the raw SQL select the same subscribers"
assert_eq "$dry_total" "$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms'")" "the dry run counted the SMS the expansion queued"

printf 'RESULT\texpand 1M subscribers (%s matched)\t%.2f\ts\traw SQL INSERT…SELECT\t%.2f s\t%.2f\t≤2× floor, <20 s, RSS <64 MB\t%s\n' \
	"$msgs" "$exp_s" "$floor_s" "$(calc "$exp_s / $floor_s")" "$rss"
printf 'RESULT\texpansion rate\t%.0f\tmsg/s\traw SQL INSERT…SELECT\t%.0f msg/s\t%.2f\t-\t%s\n' \
	"$(calc "$msgs / $exp_s")" "$(calc "$floor_n / $floor_s")" \
	"$(calc "($msgs / $exp_s) / ($floor_n / $floor_s)")" "$rss"
printf 'RESULT\tdry run over 1M subscribers\t%.2f\ts\t-\t-\t-\t<2 s\t-\n' "$dry_s"

# ---- the same on PostgreSQL ---------------------------------------------
# A server's memory, not the tests' 32 MB (SQLite has the page cache).
PG_EXTRA_CONF="shared_buffers = 1GB
max_wal_size = 4GB" pg_start "$TEST_TMPDIR/pg" || die "PostgreSQL did not start"
sqlite_rate=$(calc "$msgs / $exp_s")
pg_db=$(pg_createdb expand)
BB_DB=$TEST_TMPDIR/published.db BB_CONF=$BB_DIR/copy.conf bb_config
t0=$(date +%s.%N)
BB_CONF=$BB_DIR/copy.conf bb db copy --to "$pg_db" >"$TEST_TMPDIR/copy.out" 2>&1 ||
	die "db copy failed: $(tail -3 "$TEST_TMPDIR/copy.out")"
t1=$(date +%s.%N)
copy_s=$(calc "$t1 - $t0")
copied=$(awk '$1 ~ /^(subscribers|subscriber_interests)$/ { n += $2 } END { print n + 0 }' "$TEST_TMPDIR/copy.out")
note "db copy to PostgreSQL: ${copy_s}s, $(grep "^copy verified" "$TEST_TMPDIR/copy.out")"
pg_psql "$(pg_uri postgres)" -q -c "CREATE DATABASE floor TEMPLATE expand" || die "cannot copy the database"
pg_psql "$pg_db" -q -c "VACUUM ANALYZE" || die "VACUUM ANALYZE failed"
pg_psql "$(pg_uri floor)" -q -c "VACUUM ANALYZE" || die "VACUUM ANALYZE failed"

BB_ENGINE=postgresql BB_DB=$pg_db
bb_config
t0=$(date +%s.%N)
bb_start
wait_until "[ \"\$(bb_sql \"SELECT status FROM campaigns WHERE kind = 'auto'\")\" = sending ]" 600 "$BB_PID" ||
	die "expansion did not finish on PostgreSQL"
t1=$(date +%s.%N)
pg_rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
bb_stop 10
pg_msgs=$(bb_sql "SELECT count(*) FROM messages")
pg_s=$(calc "$t1 - $t0")
note "PostgreSQL: expanded $pg_msgs messages in ${pg_s}s, peak RSS ${pg_rss} MB"
assert_eq "$msgs" "$pg_msgs" "PostgreSQL queued the same messages as SQLite"
# The floor's messages need their campaign (a foreign key on PostgreSQL).
pg_psql "$pg_db" -q -c "COPY (SELECT * FROM campaigns) TO STDOUT" |
	pg_psql "$(pg_uri floor)" -q -c "COPY campaigns FROM STDIN" || die "cannot copy the campaign row"

t0=$(date +%s.%N)
pg_psql "$(pg_uri floor)" -q <<'SQL' || die "the raw SQL failed on PostgreSQL"
BEGIN;
INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang, body, state,
                     not_before, created_at, updated_at)
SELECT 1, s.id, 'campaign', 'sms', s.phone, s.lang, 'Fodboldtrænere: Træn U13 om tirsdagen.', 'queued',
       extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint
FROM subscribers s
WHERE s.status = 'active' AND s.sms_consent = 1 AND s.phone IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id)
       OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id AND i.interest = 'sport'));
INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang, subject, body, state,
                     not_before, created_at, updated_at)
SELECT 1, s.id, 'campaign', 'email', s.email, s.lang, 'Fodboldtrænere', 'Træn U13 om tirsdagen.', 'queued',
       extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint
FROM subscribers s
WHERE s.status = 'active' AND s.email_consent = 1 AND s.email IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id)
       OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id AND i.interest = 'sport'));
COMMIT;
SQL
t1=$(date +%s.%N)
pg_floor_s=$(calc "$t1 - $t0")
pg_floor_n=$(pg_psql "$(pg_uri floor)" -At -c "SELECT count(*) FROM messages")
note "PostgreSQL raw INSERT … SELECT: $pg_floor_n rows in ${pg_floor_s}s"
assert_eq "$pg_floor_n" "$pg_msgs" "the daemon and the raw SQL select the same subscribers on PostgreSQL"

printf 'RESULT\texpand 1M subscribers on PostgreSQL\t%.2f\ts\traw SQL INSERT…SELECT on PostgreSQL\t%.2f s\t%.2f\t≤1.5× floor\t%s\n' \
	"$pg_s" "$pg_floor_s" "$(calc "$pg_s / $pg_floor_s")" "$pg_rss"
printf 'RESULT\texpansion rate on PostgreSQL\t%.0f\tmsg/s\tthe same on SQLite\t%.0f msg/s\t%.2f\t≥0.7× SQLite\t%s\n' \
	"$(calc "$pg_msgs / $pg_s")" "$sqlite_rate" "$(calc "($pg_msgs / $pg_s) / $sqlite_rate")" "$pg_rss"
printf 'RESULT\tdb copy SQLite → PostgreSQL (%s subscriber and interest rows)\t%.0f\trows/s\t-\t-\t-\t-\t-\n' \
	"$copied" "$(calc "$copied / $copy_s")"
done_testing
