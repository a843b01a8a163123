#!/bin/bash
# SPDX-License-Identifier: MIT
# The rest provider against tests/lib/rest_gateway.py (two instances):
#  1. the request's exact shape (JSON fields, msisdn as a number, userref =
#     our id, callback_url, Bearer token, Idempotency-Key), provider ids
#     stored; delivery reports posted back as JSON settle the messages;
#  2. 500s, a connection closed mid-answer, a non-JSON 200 and a hung
#     request: retried (the hung one does not hold up the others). The last
#     three are a gateway that took the message and lost its answer: the
#     retry carries the same Idempotency-Key, gets the original ids back, and
#     the gateway accepts every message exactly once;
#  3. a 400 for one recipient: that message fails with the gateway's
#     reason, the rest go on;
#  4. the first gateway answers 503 only: it is put aside and the second
#     takes over;
#  5. the rate limit counts the parts of UCS-2 messages where they are billed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/http.sh"

require_cmd sqlite3 curl
restgw_start "$TEST_TMPDIR/gw2" || die "second gateway did not start"
GW2_URL=$RESTGW_URL GW2_BASE=$RESTGW_BASE_URL GW2_LOG=$RESTGW_LOG
restgw_start "$TEST_TMPDIR/gw1" || die "first gateway did not start"
gw2() { RESTGW_BASE_URL=$GW2_BASE "$@"; }

BB_SMS_PROVIDERS="{ name = \"gw1\"; type = \"rest\"; priority = 1; url = \"$RESTGW_URL\";
    token = \"$RESTGW_TOKEN\"; idempotent = true; concurrency = 4; connect_timeout = 2; timeout = 2; },
  { name = \"gw2\"; type = \"rest\"; priority = 2; url = \"$GW2_URL\";
    token = \"$RESTGW_TOKEN\"; concurrency = 4; connect_timeout = 2; timeout = 2; }"
BB_SMS_EXTRA='max_attempts = 8; backoff_initial = 1; backoff_max = 1; failover_after = 5; cooldown = 60;'
BB_CAMPAIGNS='frequency_cap = 0;'
bb_config
bb init >/dev/null || die "budbringer init failed"

add() { bb subscriber add --phone "$1" --lang "$2" --interest "$3" --consent test >/dev/null || die "subscriber add $*"; }
opportunity() {  # opportunity INTEREST TITLE -> id
	bb --json opportunity add --interest "$1" --title "da=$2" --summary "da=Kom og vær med." \
		--title "ar=$2 بالعربية" --summary "ar=تعال وشارك." --publish |
		sed -n 's/.*"id": \([0-9]*\).*/\1/p'
}
count() {  # count OPPORTUNITY [WHERE]
	bb_sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
		WHERE c.opportunity_id = $1 ${2:+AND $2}"
}
accepted() {  # accepted LOG: userrefs the gateway accepted, one a line, sorted
	# (an acceptance whose answer got lost counts: the gateway has the message)
	jsonl_select "$1" 'r["json"]["userref"]' 'r["kind"] == "request" and r["accepted"]' | sort
}
bad_keys() {  # bad_keys LOG: requests whose Idempotency-Key is not budbringer-<userref>
	jsonl_select "$1" '"request %d for %s: Idempotency-Key %s" % (r["n"], (r["json"] or {}).get("userref"), r["headers"].get("Idempotency-Key"))' \
		'r["kind"] == "request" and r["headers"].get("Idempotency-Key") != "budbringer-%s" % (r["json"] or {}).get("userref")' ||
		{ echo "cannot read $1"; return 1; }
}

# ---- 1. shape, ids, delivery reports -------------------------------------------
add 20400001 da sport
add 20400002 ar sport
add 20400003 da sport
bb_start
opp1=$(opportunity sport "Fodbold")
wait_until "[ \"\$(count $opp1 \"state = 'sent'\")\" = 3 ]" 20 "$BB_PID" || fail "first campaign not sent"
req=$(jsonl_select "$RESTGW_LOG" 'r' 'r["kind"] == "request" and r["json"]["recipients"][0]["msisdn"] == 4520400002')
ar_id=$(bb_sql "SELECT id FROM messages WHERE recipient = '+4520400002'")
ar_row=$(bb_sql_json "SELECT body FROM messages WHERE id = $ar_id")
/usr/bin/python3 - "$req" "$ar_id" "$BB_URL" "$BB_DLR_SECRET" "$RESTGW_TOKEN" "$ar_row" <<'PY' >"$TEST_TMPDIR/shape.out"
import json, sys
r, mid, url, secret, token, row = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
body = json.loads(row)[0]["body"]
want = {"sender": "Frivillig", "message": body, "encoding": "UCS2",
        "recipients": [{"msisdn": 4520400002}], "userref": mid,
        "callback_url": "%s/sms/dlr?secret=%s&id=%s" % (url, secret, mid)}
print("body ok" if r["json"] == want else "body differs: %r != %r" % (r["json"], want))
print("keys", list(r["json"].keys()))
print("auth ok" if r["headers"].get("Authorization") == "Bearer " + token else "auth differs")
print("key", r["headers"].get("Idempotency-Key"))
print("type", r["headers"].get("Content-Type"))
PY
assert_eq "body ok
keys ['sender', 'message', 'encoding', 'recipients', 'userref', 'callback_url']
auth ok
key budbringer-$ar_id
type application/json" "$(cat "$TEST_TMPDIR/shape.out")" "request: exact JSON body, field order, Bearer token, idempotency key"
assert_eq "UTF8" "$(jsonl_select "$RESTGW_LOG" 'r["json"]["encoding"]' 'r["kind"] == "request" and r["json"]["recipients"][0]["msisdn"] == 4520400001')" \
	"Danish text goes as UTF8 (GSM-7)"
assert_eq "3" "$(bb_sql "SELECT count(*) FROM messages WHERE provider_msgid LIKE 'gw-%' AND provider = 'gw1'")" \
	"the gateway's ids are stored as provider_msgid, with the provider"
gid() { bb_sql "SELECT provider_msgid FROM messages WHERE recipient = '$1'"; }
assert_contains "$(restgw_dlr "$(gid +4520400001)" DELIVERED)" '"callback_status": 200' "DLR posted to our callback_url"
assert_contains "$(restgw_dlr "$(gid +4520400002)" UNDELIVERABLE "Absent subscriber")" '"callback_status": 200' "failure DLR posted"
restgw_dlr "$(gid +4520400003)" BUFFERED >/dev/null
assert_eq "delivered
failed
sent" "$(bb_sql "SELECT state FROM messages WHERE recipient LIKE '+452040000_' ORDER BY recipient")" \
	"DELIVERED, UNDELIVERABLE, BUFFERED: delivered, failed, still sent"
assert_eq "delivery report: UNDELIVERABLE error=Absent subscriber" \
	"$(bb_sql "SELECT reason FROM messages WHERE recipient = '+4520400002'")" "the failure carries the gateway's words"
# A report with only the gateway's id, straight to /sms/dlr, secret as a Bearer token.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BB_DLR_SECRET" -H 'Content-Type: application/json' \
	--data "{\"id\": \"$(gid +4520400003)\", \"status\": \"DELIVERED\"}" "$BB_URL/sms/dlr")
assert_eq 200 "$code" "JSON report by the gateway's id alone"
assert_eq delivered "$(bb_sql "SELECT state FROM messages WHERE recipient = '+4520400003'")" "found by provider_msgid"

# ---- 2. 500s, a closed connection, garbage, a hung request -----------------------
for i in $(seq 1 12); do add "$((20410000 + i))" da culture; done
restgw_config '{"sequence": ["hang", "500", "close", "garbage", "503"], "hang_seconds": 6}' || fail "gateway config"
opp2=$(opportunity culture "Teater")
wait_until "[ \"\$(count $opp2 \"state = 'sent'\")\" = 12 ]" 40 "$BB_PID" ||
	fail "not all sent after faults: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
hung=$(bb_sql "SELECT message_id FROM message_events WHERE detail LIKE 'no answer from the gateway after the request went out: %timed out%' ORDER BY id LIMIT 1")
assert_match "$hung" '^[0-9]+$' "the hung request timed out and was recorded"
first_defer=$(bb_sql "SELECT min(id) FROM message_events WHERE message_id = $hung AND state = 'queued'
	AND detail LIKE 'no answer%'")
assert_num -ge "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	JOIN campaigns c ON c.id = m.campaign_id WHERE c.opportunity_id = $opp2 AND e.state = 'sent'
	AND e.id < $first_defer")" 7 "while one request hung, the others were sent"
for what in 'HTTP 500: injected 500' 'no answer from the gateway after the request went out: %' 'HTTP 200 but the answer is not JSON, retrying with the same key%' 'HTTP 503: injected 503'; do
	assert_num -ge "$(bb_sql "SELECT count(*) FROM message_events WHERE state = 'queued' AND detail LIKE '$what'")" 1 \
		"deferred and retried: $what"
done
accepted "$RESTGW_LOG" >"$TEST_TMPDIR/acc1"
assert_no_output "the gateway accepted no message twice" uniq -d "$TEST_TMPDIR/acc1"
assert_eq 15 "$(wc -l <"$TEST_TMPDIR/acc1")" "and all 15 so far exactly once"
assert_no_output "every request for a message, retries too, carried Idempotency-Key: budbringer-<its id>" bad_keys "$RESTGW_LOG"
# Each lost answer (hang, close, garbage) was an acceptance; a retry with
# the same key got the same ids back as a replay, and those ids are stored.
bb_sql_json "SELECT id, state, provider_msgid FROM messages" >"$TEST_TMPDIR/messages.json"
/usr/bin/python3 - "$RESTGW_LOG" "$TEST_TMPDIR/messages.json" <<'PY' >"$TEST_TMPDIR/lost.out"
import json, sys
reqs = [r for r in map(json.loads, open(sys.argv[1], encoding="utf-8")) if r["kind"] == "request"]
msgs = {m["id"]: (m["state"], m["provider_msgid"]) for m in json.load(open(sys.argv[2], encoding="utf-8"))}
for f in sorted((r for r in reqs if r["action"] in ("hang", "close", "garbage")), key=lambda r: r["action"]):
    key, ref = f["headers"].get("Idempotency-Key"), f["json"]["userref"]
    later = [r for r in reqs if r["n"] > f["n"] and (r["json"] or {}).get("userref") == ref]
    row = msgs.get(int(ref))
    print(f["action"], "accepted" if f["accepted"] else "NOT accepted",
          "replayed" if any(r["headers"].get("Idempotency-Key") == key and r["replay"]
                            and r["ids"] == f["ids"] and r["status"] == 200 for r in later)
          else "no replay in %s" % [(r["action"], r["status"], r["replay"], r["ids"]) for r in later],
          "stored" if f["ids"] and row == ("sent", f["ids"][0]) else "db has %r, gateway gave %r" % (row, f["ids"]))
PY
assert_eq "close accepted replayed stored
garbage accepted replayed stored
hang accepted replayed stored" "$(cat "$TEST_TMPDIR/lost.out")" \
	"each lost answer was an acceptance; the same-key retry got the original ids back, and they were stored"

# ---- 3. one bad recipient ----------------------------------------------------------
for i in $(seq 1 6); do add "$((20420000 + i))" da nature; done
restgw_config '{"invalid_msisdns": ["4520420003"]}'
opp3=$(opportunity nature "Naturpleje")
wait_until "[ \"\$(count $opp3 \"state IN ('sent', 'failed')\")\" = 6 ]" 20 "$BB_PID" || fail "third campaign did not settle"
assert_eq "failed|HTTP 400: invalid recipient|1" \
	"$(bb_sql "SELECT state || '|' || reason || '|' || attempts FROM messages WHERE recipient = '+4520420003'")" \
	"the rejected recipient failed at once, with the gateway's reason"
assert_eq 5 "$(count "$opp3" "state = 'sent'")" "the other five were sent"

# ---- 4. failover ---------------------------------------------------------------------
for i in $(seq 1 10); do add "$((20430000 + i))" da events; done
restgw_config '{"mode": "503"}'
opp4=$(opportunity events "Juleløb")
wait_until "[ \"\$(count $opp4 \"state = 'sent'\")\" = 10 ]" 30 "$BB_PID" ||
	fail "failover did not deliver: $(bb_sql "SELECT state, provider, count(*) FROM messages GROUP BY 1, 2")"
assert_cmd "grep -q 'provider put aside provider=gw1' '$BB_LOG'" "the failing gateway was put aside"
assert_eq 10 "$(count "$opp4" "provider = 'gw2'")" "the second gateway sent the campaign"
assert_eq 10 "$(accepted "$GW2_LOG" | wc -l)" "gw2 accepted each message once"
assert_no_output "no message accepted by both gateways" comm -12 <(accepted "$RESTGW_LOG") <(accepted "$GW2_LOG")
dup_accepted() { accepted "$1" | uniq -d; }
assert_no_output "nor twice by the first" dup_accepted "$RESTGW_LOG"
assert_no_output "every request to gw1 carried its message's key" bad_keys "$RESTGW_LOG"
assert_num -ge "$(jsonl_select "$RESTGW_LOG" 'r["status"]' 'r["kind"] == "request" and r["status"] == 503' | wc -l)" 3 \
	"gw1 was tried (and answered 503) first"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'unknown')")" "nothing left in flight"

# ---- 5. the rate limit counts billed parts ---------------------------------------
# gw2 alone at 4 tokens/s (the bucket holds one second's worth); Polish text
# goes as UCS-2 in several parts, each part one token.
BB_SMS_PROVIDERS="{ name = \"gw2\"; type = \"rest\"; url = \"$GW2_URL\"; token = \"$RESTGW_TOKEN\";
    rate = 4; bills_segments = true; concurrency = 4; }"
bb_config
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 10 "$BB_PID" || fail "reload did not happen"
for i in $(seq 1 8); do add "$((20440000 + i))" pl faith; done
gw2 restgw_config '{}'
before=$(jsonl_select "$GW2_LOG" 'r["n"]' 'r["kind"] == "request"' | wc -l)
opp5=$(bb --json opportunity add --interest faith --title "pl=Sprzątanie lasu" \
	--summary "pl=Pomóż nam posprzątać las w sobotę rano. Zapewniamy rękawice, worki i gorącą herbatę." \
	--publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
wait_until "[ \"\$(count $opp5 \"state = 'sent'\")\" = 8 ]" 30 "$BB_PID" || fail "rate-limited campaign not sent"
parts=$(bb_sql "SELECT sum(segments) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.opportunity_id = $opp5")
assert_num -ge "$parts" 16 "the Polish texts went as UCS-2 in at least two parts each ($parts parts)"
span=$(jsonl_select "$GW2_LOG" 'r["time"]' 'r["kind"] == "request"' | tail -n +$((before + 1)) |
	awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%d", (b - a) * 1000 }')
# A full bucket (4) goes at once; every further part waits for its token.
# Counting messages instead of parts would take about 1 s.
min=$(( (parts - 4 - 3) * 1000 / 4 ))
assert_num -ge "$span" "$min" "8 messages of $parts parts at 4 parts/s took ${span} ms (at least $min ms)"

bb_stop 5
done_testing
