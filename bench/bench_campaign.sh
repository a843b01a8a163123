#!/bin/bash
# SPDX-License-Identifier: MIT
# Matching at scale (issue 5): 1,000,000 generated subscribers, one campaign
# that matches about 30% of them. Prints the daemon's expansion time and
# rate, its peak RSS, and the floor: the same selection as one raw SQL
# INSERT … SELECT into a copy of the same database. Also times the dry run.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

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
done_testing
