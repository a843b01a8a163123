#!/bin/bash
# SPDX-License-Identifier: MIT
# Email dispatch (issue 4): 20,000 queued campaign emails (~2.6 KB of MIME
# each) sent by the smtp provider over SESSIONS reused SMTP connections
# into Postfix's smtp-sink on loopback. Measured from the daemon's start
# until the database shows every message `sent`, so every state change
# (queued -> sending -> sent, with its events) is included, and so is
# building each MIME message. Baseline, same run, same sink: Postfix's
# smtp-source with the same number of sessions, -d (connections reused),
# the same message count and size. Also the daemon's peak RSS (VmHWM).
#
# The campaign is expanded while quiet hours hold email; the daemon is then
# restarted without quiet hours, so only the dispatch is timed.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/smtp.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

require_cmd smtp-sink smtp-source sqlite3
N=${BENCH_EMAIL:-20000}
SESSIONS=${BENCH_SESSIONS:-4}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
now_ms() { _bb_now_ms; }

sink_start "$TEST_TMPDIR/sink" || die "smtp-sink did not start"

# ---- the daemon's campaign, expanded and held ------------------------------
hhmm() { printf '%02d:%02d' $(($1 / 60)) $(($1 % 60)); }
now_min=$((10#$(TZ=Europe/Copenhagen date +%H) * 60 + 10#$(TZ=Europe/Copenhagen date +%M)))
quiet="quiet_hours = { start = \"$(hhmm $(( (now_min + 1440 - 120) % 1440 )))\"; end = \"$(hhmm $(( (now_min + 120) % 1440 )))\"; hold_email = true; };"
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig i Randers\";
  domain = \"randers.example.dk\"; unsubscribe_mailto = \"afmeld@randers.example.dk\";
  smtp = { host = \"127.0.0.1\"; port = $SINK_PORT; starttls = \"disabled\"; timeout = 10;
           connections = $SESSIONS; messages_per_session = ${BENCH_PER_SESSION:-1000}; };"
BB_CAMPAIGNS="frequency_cap = 0; expand_batch = 5000; $quiet"
bb_config
bb init >/dev/null || die "init failed"
"$BB_PYTHON" - "$BB_DB" "$N" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); n = int(sys.argv[2]); now = int(time.time())
db.executemany("INSERT INTO subscribers(email, lang, status, sms_consent, email_consent,"
               " email_consent_at, email_consent_source, created_at, updated_at)"
               " VALUES (?, ?, 'active', 0, 1, ?, 'bench', ?, ?)",
               (("person%06d@example.org" % i, ("da", "en", "ar")[i % 3], now, now, now)
                for i in range(n)))
db.commit()
PY
bb opportunity add --title "da=Juleløb i Randers: hjælpere søges" \
	--summary "da=Vi mangler hjælpere til posterne ved juleløbet søndag den 14. december. Du får en varm kop kakao og et løbebevis." \
	--title "en=Christmas run in Randers: helpers wanted" \
	--summary "en=We need helpers at the posts during the Christmas run on Sunday 14 December. You get a hot chocolate." \
	--title "ar=سباق عيد الميلاد في راندرس: مطلوب مساعدون" \
	--summary "ar=نحتاج إلى مساعدين عند النقاط خلال سباق عيد الميلاد يوم الأحد 14 ديسمبر." \
	--url https://frivillig.example.dk/o/1 --location "Randers Stadion" --publish >/dev/null ||
	die "opportunity add failed"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'queued' AND channel = 'email'\")\" -ge $N ]" 120 "$BB_PID" ||
	die "the campaign was not expanded"
bb_stop 10
BB_CAMPAIGNS="frequency_cap = 0;"
bb_config
queued=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'queued' AND channel = 'email'")

# ---- baseline: smtp-source, same sessions, count and size ----------------------
# Run before and after the daemon and averaged: on a shared machine the
# sink's speed drifts, and bracketing keeps the ratio fair.
size=${BENCH_EMAIL_SIZE:-2600}
source_rate() {
	local before t0 t1
	before=$(sink_count)
	t0=$(now_ms)
	smtp-source -s "$SESSIONS" -d -m "$N" -l "$size" -f bench@randers.example.dk \
		-t sink@example.org "127.0.0.1:$SINK_PORT" >"$TEST_TMPDIR/source.out" 2>&1 ||
		die "smtp-source failed: $(tail -3 "$TEST_TMPDIR/source.out")"
	WAIT_INTERVAL=0.02 sink_wait $((before + N)) 60 || die "smtp-sink did not count smtp-source's messages"
	t1=$(now_ms)
	calc "$N / (($t1 - $t0) / 1000)"
}
note "smtp-source: $N messages of $size bytes over $SESSIONS sessions (-d) into smtp-sink"
base_before=$(source_rate)

# ---- the daemon ------------------------------------------------------------------
note "$queued emails queued; dispatching over $SESSIONS SMTP connections"
sink0=$(sink_count)
t0=$(now_ms)
bb_start
# Watch smtp-sink's counter (cheap) first, so polling the database with a
# sqlite3 process every few milliseconds does not eat the CPU being measured.
WAIT_INTERVAL=0.02 sink_wait $((sink0 + queued)) 170 || true
WAIT_INTERVAL=0.02 wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge $queued ]" 170 "$BB_PID" ||
	fail "not all sent: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
t1=$(now_ms)
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$BB_PID/stat")
bb_stop 10
sleep 0.2
sink_after=$(sink_count)

base_after=$(source_rate)
base_rate=$(calc "($base_before + $base_after) / 2")
note "smtp-source: $base_before msg/s before, $base_after after: $base_rate"
sent=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")
events=$(bb_sql "SELECT count(*) FROM message_events WHERE state IN ('sending', 'sent')")
received=$((sink_after - sink0))
secs=$(calc "($t1 - $t0) / 1000")
rate=$(calc "$sent / $secs")
note "sent $sent in ${secs}s = $rate msg/s (daemon CPU ${cpu}s, peak RSS ${rss} MB); smtp-sink received $received"
assert_eq "$queued" "$sent" "every queued email was sent"
assert_eq "$queued" "$received" "smtp-sink received each exactly once"
assert_eq $((2 * queued)) "$events" "two state changes with events per message"

printf 'RESULT\tEmail dispatch (20k queued, ~2.6 KB MIME, %d SMTP sessions, all db state changes)\t%.0f\tmsg/s\tsmtp-source -d, same sessions/size\t%.0f msg/s\t%.2f\t≥50%% of smtp-source\t%s\n' \
	"$SESSIONS" "$rate" "$base_rate" "$(calc "$rate / $base_rate")" "$rss"
done_testing
