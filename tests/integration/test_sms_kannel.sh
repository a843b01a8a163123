#!/bin/bash
# SPDX-License-Identifier: MIT
# The kannel provider against a real Kannel (bearerbox + smsbox + fakesmsc):
#  1. a campaign in five languages reaches fakesmsc with exactly the text
#     we stored (Arabic, Polish and Turkish as UCS-2, decoded back and
#     compared byte for byte; long texts joined from their parts);
#  2. Kannel's delivery reports (type 8, then 1) come back to /sms/dlr and
#     every message becomes `delivered`;
#  3. smsbox stopped in the middle of a campaign: messages are retried and
#     delivered after it returns, and fakesmsc receives each exactly once;
#  4. /sms/dlr called directly: failures, expiry, interim and late reports,
#     unknown ids, bad secrets and malformed reports.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"

require_cmd sqlite3 curl
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"

provider() {  # provider DLR_MASK [METHOD]
	echo "{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	    username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = $1;
	    method = \"${2:-get}\"; rate = 40; concurrency = 4; connect_timeout = 2; timeout = 5; }"
}
BB_SMS_PROVIDERS=$(provider 31)
BB_SMS_EXTRA='max_attempts = 30; backoff_initial = 1; backoff_max = 2;'
BB_CAMPAIGNS='frequency_cap = 0;'
bb_config
bb init >/dev/null || die "budbringer init failed"

add() {  # add PHONE LANG INTEREST
	bb subscriber add --phone "$1" --lang "$2" --interest "$3" --consent test >/dev/null ||
		die "subscriber add $*"
}
opportunity() {  # opportunity ARGS… -> id
	bb --json opportunity add "$@" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p'
}
state_count() {  # state_count STATE OPPORTUNITY
	bb_sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
		WHERE c.opportunity_id = $2 AND m.state = '$1'"
}

# ---- 1. the right text, in every script ------------------------------------
add 20100001 da sport
add 20100002 en sport
add 20100003 ar sport
add 20100004 pl sport
add 20100005 tr sport
bb_start
opp1=$(opportunity --interest sport --url "https://frivillig.example.dk/o/1" \
	--title "da=Fodboldtrænere søges (€0 & {gratis})" \
	--summary "da=Træn U13 om tirsdagen på Fritidscentret; æøå ÆØÅ ~ ^ [ ] | \\ alle er velkomne." \
	--title "en=Football coaches wanted" --summary "en=Coach U13 on Tuesdays." \
	--title "ar=مطلوب مدربو كرة قدم" \
	--summary "ar=درّب فريق تحت 13 سنة يوم الثلاثاء في مركز الشباب. الجميع مرحب بهم، ولا حاجة إلى خبرة سابقة." \
	--title "pl=Trenerzy piłki nożnej" --summary "pl=Trenuj drużynę U13 we wtorki. Zażółć gęślą jaźń." \
	--title "tr=Futbol antrenörleri aranıyor" --summary "tr=Salı günleri U13 takımını çalıştırın. Şişli, Iğdır, ğüşıöç.")
assert_match "$opp1" '^[0-9]+$' "campaign created through the CLI"
kannel_mt_wait 5 30 || fail "fakesmsc did not receive 5 messages"

# What we stored, escaped like fakesmsc_decode.py prints it, sorted.
bb_sql_json "SELECT m.recipient, m.body FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	WHERE c.opportunity_id = $opp1 AND m.channel = 'sms'" >"$TEST_TMPDIR/stored.json"
/usr/bin/python3 - "$TEST_TMPDIR/stored.json" >"$TEST_TMPDIR/expected.tsv" <<'PY'
import json, sys
rows = [(r["recipient"], r["body"]) for r in json.load(open(sys.argv[1], encoding="utf-8"))]
esc = lambda s: s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
for to, body in sorted(rows):
    print("%s\t%s" % (to, esc(body)))
PY
kannel_mt_messages | sort >"$TEST_TMPDIR/received.tsv"
assert_eq 5 "$(wc -l <"$TEST_TMPDIR/expected.tsv")" "five SMS stored for the campaign"
assert_file_eq "$TEST_TMPDIR/expected.tsv" "$TEST_TMPDIR/received.tsv" \
	"fakesmsc received exactly the stored texts (UCS-2 decoded, parts joined)"
sent=$(kannel_mt_messages --json | /usr/bin/python3 -c 'import json, sys
name = {"text": "gsm7", "ucs-2": "ucs2"}
for l in sys.stdin:
    m = json.loads(l); print(m["to"], name.get(m["coding"], m["coding"]), m["parts"])' | sort)
stored=$(bb_sql "SELECT recipient || ' ' || coding || ' ' || segments FROM messages ORDER BY recipient")
assert_eq "$stored" "$sent" "coding and segment count stored per message are what Kannel sent"
assert_eq "ar ucs2
da gsm7
en gsm7
pl ucs2
tr ucs2" "$(bb_sql "SELECT lang || ' ' || coding FROM messages ORDER BY lang")" \
	"GSM-7 for Danish (æøå, extension characters) and English; UCS-2 for Arabic, Polish, Turkish"
assert_num -ge "$(bb_sql "SELECT max(segments) FROM messages WHERE coding = 'ucs2'")" 2 "a long UCS-2 text went in parts"

# ---- 2. delivery reports -----------------------------------------------------
wait_until "[ \"\$(state_count delivered $opp1)\" = 5 ]" 30 "$BB_PID" ||
	fail "delivery reports did not make the messages delivered: $(bb_sql 'SELECT state, count(*) FROM messages GROUP BY state')"
assert_eq 5 "$(bb_sql "SELECT count(DISTINCT message_id) FROM message_events
	WHERE detail LIKE 'delivery report: type 8 (delivered to SMSC)%'")" \
	"the SMSC's acknowledgement (type 8) is recorded as an event"
assert_eq 5 "$(bb_sql "SELECT count(*) FROM message_events
	WHERE state = 'delivered' AND detail LIKE 'delivery report: type 1 (delivered to phone)%'")" \
	"the final report (type 1) moved each message to delivered"
assert_eq "kannel" "$(bb_sql "SELECT DISTINCT provider FROM messages ORDER BY provider")" \
	"staff see which provider sent each message"

# ---- 3. smsbox goes away mid-campaign ---------------------------------------
n2=150
for i in $(seq 1 $n2); do add "$((20200000 + i))" da events; done
kannel_mt_clear
opp2=$(opportunity --interest events --url "https://frivillig.example.dk/o/2" \
	--title "da=Juleløb" --summary "da=Hjælpere til posterne." )
# 40 msg/s: the campaign takes ~4 s; stop smsbox once a fifth got through.
kannel_mt_wait 30 30 || fail "the second campaign did not start"
kannel_stop_smsbox || fail "smsbox did not stop cleanly"
at_stop=$(kannel_mt_count)
note "smsbox stopped after $at_stop messages"
wait_until "[ \$(bb_sql \"SELECT count(*) FROM message_events WHERE detail LIKE 'sendsms was not reached%'\") -ge 5 ]" 20 "$BB_PID" ||
	fail "no failed attempts were recorded while smsbox was down"
assert_num -lt $(($(state_count sent "$opp2") + $(state_count delivered "$opp2"))) $n2 \
	"the campaign is not finished while smsbox is down"
kannel_start_smsbox || die "smsbox did not come back"
wait_until "[ \"\$(state_count delivered $opp2)\" = $n2 ]" 90 "$BB_PID" ||
	fail "not every message was delivered after smsbox returned: $(bb_sql "SELECT m.state, count(*)
		FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.opportunity_id = $opp2
		GROUP BY m.state" | tr '\n' ' ')of $n2; fakesmsc has $(kannel_mt_count)"
kannel_mt_messages | cut -f1 | sort >"$TEST_TMPDIR/got2"
assert_eq $n2 "$(wc -l <"$TEST_TMPDIR/got2")" "fakesmsc received $n2 messages for the campaign: none lost"
assert_no_output "and none twice" uniq -d "$TEST_TMPDIR/got2"
assert_num -ge "$(bb_sql "SELECT max(attempts) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	WHERE c.opportunity_id = $opp2")" 2 "messages were retried"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'failed', 'unknown')")" \
	"nothing left queued, sending, failed or unknown"

# ---- 4. sendsms by POST, then /sms/dlr directly ----------------------------------
# Reload: POST with X-Kannel-* headers, and no reports asked for from here
# on, so the direct ones below are the only ones.
BB_SMS_PROVIDERS=$(provider 0 post)
bb_config
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 10 "$BB_PID" || fail "reload did not happen"
for i in 1 2 3; do add "$((20300000 + i))" da nature; done
add 20300004 ar nature
kannel_mt_clear
opp3=$(opportunity --interest nature --title "da=Naturpleje" --summary "da=Vi rydder krat ved åen." \
	--title "ar=رعاية الطبيعة" --summary "ar=نزيل الشجيرات عند النهر.")
wait_until "[ \"\$(state_count sent $opp3)\" = 4 ]" 30 "$BB_PID" || fail "third campaign not sent"
kannel_mt_wait 4 10 || fail "fakesmsc did not get the POSTed messages"
assert_eq "$(bb_sql "SELECT recipient || '$(printf '\t')' || body FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	WHERE c.opportunity_id = $opp3 ORDER BY recipient")" "$(kannel_mt_messages | sort)" \
	"sendsms by POST: Danish and Arabic (UTF-16BE body) arrive intact"
read -r a b c <<<"$(bb_sql "SELECT m.id FROM messages m JOIN campaigns c
	ON c.id = m.campaign_id WHERE c.opportunity_id = $opp3 AND m.lang = 'da' ORDER BY m.id" | paste -sd' ' -)"
dlr() { curl -s -o "$TEST_TMPDIR/dlr.out" -w '%{http_code}' --max-time 10 "$@"; }
q="$BB_URL/sms/dlr?secret=$BB_DLR_SECRET"

assert_eq 200 "$(dlr "$q&id=$a&status=2&answer=id%3A1%20stat%3AUNDELIV%20err%3A001&time=1700000000&smsc=mt")" "failure report accepted"
assert_eq failed "$(bb_sql "SELECT state FROM messages WHERE id = $a")" "type 2 moves sent to failed"
assert_eq "delivery report: type 2 (not delivered to phone): id:1 stat:UNDELIV err:001" \
	"$(bb_sql "SELECT reason FROM messages WHERE id = $a")" "with the gateway's words as the reason"
assert_eq 200 "$(dlr "$q&id=$c&status=2&answer=stat%3AEXPIRED")" "expiry report accepted"
assert_eq expired "$(bb_sql "SELECT state FROM messages WHERE id = $c")" "an expired report moves sent to expired"

assert_eq 200 "$(dlr "$q&id=$b&status=4")" "buffered report accepted"
assert_eq sent "$(bb_sql "SELECT state FROM messages WHERE id = $b")" "a buffered report changes nothing"
assert_eq 200 "$(dlr -H "X-Budbringer-Secret: $BB_DLR_SECRET" --data "id=$b&status=1&answer=ok" "$BB_URL/sms/dlr")" \
	"a form POST with the secret in a header"
assert_contains "$(cat "$TEST_TMPDIR/dlr.out")" '"state": "delivered"' "answer names the new state"
assert_eq delivered "$(bb_sql "SELECT state FROM messages WHERE id = $b")" "type 1 moves sent to delivered"
dlr "$q&id=$b&status=4" >/dev/null
dlr -H "Authorization: Bearer $BB_DLR_SECRET" "$BB_URL/sms/dlr?id=$b&status=16" >/dev/null
assert_eq delivered "$(bb_sql "SELECT state FROM messages WHERE id = $b")" "late buffered and failure reports never override delivered"
assert_eq 3 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $b AND state = 'delivered'
	AND detail LIKE 'delivery report: type % (%'")" "the final report and both late ones are events under delivered"

assert_eq 200 "$(dlr "$q&id=987654321&status=1")" "unknown message id: 200, so the gateway does not retry"
assert_contains "$(cat "$TEST_TMPDIR/dlr.out")" '"ignored"' "and it says so"
assert_cmd "grep -q 'delivery report for an unknown message msg=987654321' '$BB_LOG'" "unknown id logged"
assert_eq 403 "$(dlr "$BB_URL/sms/dlr?secret=wrong&id=$a&status=1")" "wrong secret: 403"
assert_eq 403 "$(dlr "$BB_URL/sms/dlr?id=$a&status=1")" "no secret: 403"
assert_eq 400 "$(dlr "$q&id=$a")" "no status: 400"
assert_eq 400 "$(dlr "$q&id=abc&status=1")" "id not a number: 400"
assert_eq 400 "$(dlr "$q&id=$a&status=3")" "not a report type: 400"
assert_eq 400 "$(dlr -H 'Content-Type: application/json' --data '{"status": 1' "$q")" "broken JSON: 400"
assert_eq 405 "$(dlr -X PUT "$q&id=$a&status=1")" "PUT: 405"
assert_eq failed "$(bb_sql "SELECT state FROM messages WHERE id = $a")" "refused reports changed nothing"
assert_contains "$(curl -s "$BB_URL/metrics")" 'budbringer_dlr_total{outcome="refused"} 2' "refused reports are counted"
assert_cmd "! grep -q '$BB_DLR_SECRET' '$BB_LOG'" "the secret never appears in the log"

bb_stop 5
kannel_stop || fail "kannel needed SIGKILL"
done_testing
