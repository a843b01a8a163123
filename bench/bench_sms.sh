#!/bin/bash
# SPDX-License-Identifier: MIT
# SMS dispatch (issue 3): 20,000 queued campaign SMS sent through the rest
# provider to a local gateway that answers 202 at once (rest_gateway.py
# --fast). Measured from the daemon's start until the database shows every
# message `sent` — so every state change (queued -> sending -> sent, with
# its events) is included. Baseline: wrk POSTing the same JSON to the same
# endpoint in the same run. Also the daemon's peak RSS (VmHWM).
#
# The campaign is created through the CLI and expanded by the daemon while
# quiet hours hold the SMS; the daemon is then restarted without quiet
# hours, so only the dispatch is timed.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"
. "$(dirname "$0")/../tests/lib/http.sh"

require_cmd wrk sqlite3 curl
N=${BENCH_SMS:-20000}
CONC=${BENCH_CONCURRENCY:-32}
DURATION=${BENCH_DURATION:-10}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
now_ms() { _bb_now_ms; }

restgw_start "$TEST_TMPDIR/gw" --fast || die "gateway did not start"

# ---- baseline: wrk against the same endpoint -----------------------------------
cat >"$TEST_TMPDIR/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $RESTGW_TOKEN"
wrk.body = '{"sender":"Frivillig","message":"Juleløb: Hjælpere til posterne. https://frivillig.example.dk/o/1 Afmeld: SMS STOP","encoding":"UTF8","recipients":[{"msisdn":4520000001}],"userref":"1","callback_url":"http://127.0.0.1:1/sms/dlr?secret=x&id=1"}'
EOF
note "wrk: $CONC connections for ${DURATION}s against $RESTGW_URL (after a 2 s warm-up)"
wrk -t2 -c"$CONC" -d2s -s "$TEST_TMPDIR/post.lua" "$RESTGW_URL" >/dev/null 2>&1
out=$(wrk -t2 -c"$CONC" -d"${DURATION}s" -s "$TEST_TMPDIR/post.lua" "$RESTGW_URL" 2>&1)
wrk_rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$wrk_rps" ] || die "wrk failed: $out"
note "wrk: $wrk_rps req/s $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ')"

# ---- the daemon -------------------------------------------------------------------
quiet_hours_now 120
quiet=$QUIET_HOURS
BB_SMS_PROVIDERS="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
    concurrency = $CONC; connect_timeout = 5; timeout = 10; }"
BB_CAMPAIGNS="frequency_cap = 0; expand_batch = 5000; $quiet"
bb_config
bb init >/dev/null || die "init failed"
"$BB_PYTHON" - "$BB_DB" "$N" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); n = int(sys.argv[2]); now = int(time.time())
db.executemany("INSERT INTO subscribers(phone, lang, status, sms_consent, sms_consent_at,"
               " sms_consent_source, email_consent, created_at, updated_at)"
               " VALUES (?, ?, 'active', 1, ?, 'bench', 0, ?, ?)",
               (("+4540%06d" % i, ("da", "en", "ar")[i % 3], now, now, now) for i in range(n)))
db.commit()
PY
bb opportunity add --title "da=Juleløb" --summary "da=Hjælpere til posterne." \
	--title "en=Christmas run" --summary "en=Helpers at the posts." \
	--title "ar=سباق عيد الميلاد" --summary "ar=مساعدون عند النقاط." \
	--url https://frivillig.example.dk/o/1 --publish >/dev/null || die "opportunity add failed"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'queued' AND channel = 'sms'\")\" -ge $N ]" 120 "$BB_PID" ||
	die "the campaign was not expanded"
bb_stop 10
BB_CAMPAIGNS="frequency_cap = 0;"
bb_config
queued=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'queued' AND channel = 'sms'")
note "$queued SMS queued; dispatching with concurrency $CONC"

gwcpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$RESTGW_PID/stat"; }
gw0=$(gwcpu)
t0=$(now_ms)
bb_start
WAIT_INTERVAL=0.05 wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge $queued ]" 180 "$BB_PID" ||
	fail "not all sent: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
t1=$(now_ms)
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$BB_PID/stat")
gw1=$(gwcpu)
bb_stop 10

sent=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")
events=$(bb_sql "SELECT count(*) FROM message_events WHERE state IN ('sending', 'sent')")
gw=$(restgw_state | "$BB_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["accepted"])')
secs=$(calc "($t1 - $t0) / 1000")
rate=$(calc "$sent / $secs")
note "sent $sent in ${secs}s = $rate msg/s (CPU: daemon ${cpu}s, gateway $(calc "$gw1 - $gw0")s); $events sending/sent events; gateway accepted $gw (incl. wrk's)"
assert_eq "$queued" "$sent" "every queued SMS was sent"
assert_eq $((2 * queued)) "$events" "two state changes with events per message"

printf 'RESULT\tSMS dispatch (20k queued, rest provider, all db state changes)\t%.0f\tmsg/s\twrk POST same endpoint\t%.0f req/s\t%.2f\t≥2,000/s and ≥25%% of wrk, RSS <30 MB\t%s\n' \
	"$rate" "$wrk_rps" "$(calc "$rate / $wrk_rps")" "$rss"
done_testing
