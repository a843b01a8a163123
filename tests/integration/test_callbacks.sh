#!/bin/bash
# SPDX-License-Identifier: MIT
# Status callbacks against a real receiver (tests/lib/callback_receiver.py,
# which checks every signature with the secret it was given):
#  1. registration by CLI and API: the secret is shown once, http:// is
#     refused without callbacks.allow_http, private/link-local/loopback
#     (10.0.0.1, 169.254.169.254, ::ffff:127.0.0.1) without allow_private;
#     an association manages only its own receivers;
#  2. a campaign through the spool provider with delivery reports, and a
#     second campaign cancelled, while the receiver first answers 500, then
#     hangs past the timeout, then is down — and the daemon is restarted in
#     the middle; then the receiver comes back. Every event arrives, each
#     once after dropping repeats by id, in order per campaign; every
#     signature verifies; no personal data in any body; the receiver that
#     did not ask for messages gets only campaign events;
#  3. a receiver answering 410 fails at once (one attempt), visible to staff
#     in `callback list` and `callback events --failed`.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd curl
PORTAL_TOKEN=$(random_token 40)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";"
BB_CAMPAIGNS="require_approval = true; frequency_cap = 0;"
BB_ROOT_EXTRA="callbacks = { allow_http = true; allow_private = true; backoff_initial = 1;
  backoff_max = 2; timeout = 2; connect_timeout = 1; };"
bb_config
bb init >/dev/null || die "budbringer init failed"

R=$TEST_TMPDIR/receiver
mkdir -p "$R"
RPORT=$(free_port)
echo 500 > "$R/mode"
: > "$R/secrets"
receiver_start() {
	spawn RECEIVER_PID "$R/stdout.$RPORT.$(date +%s%N)" "$BB_PYTHON" "$TESTS_LIB_DIR/callback_receiver.py" \
		--port "$RPORT" --log "$R/log" --secrets "$R/secrets" --mode-file "$R/mode" --hang 5
	wait_for_port "$RPORT" 10 "$RECEIVER_PID" || die "the callback receiver did not start"
}
HOOK=http://127.0.0.1:$RPORT

token_of() { sed -n 's/.*"token": "\([^"]*\)".*/\1/p' <<<"$1"; }
json_get() {  # json_get JSON KEY
	"$BB_PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
TOKEN_A=$(token_of "$(bb --json association add "Randers Roklub")")
TOKEN_B=$(token_of "$(bb --json association add "Spejderne Nord")")
[ -n "$TOKEN_A" ] && [ -n "$TOKEN_B" ] || die "association tokens"
PHONES="20300001 20300002 20300003"
for n in $PHONES; do
	bb subscriber add --phone "$n" --born 2008 --consent "signed form, test" >/dev/null || die "subscriber $n"
done
bb subscriber add --email "ung@example.org" --born 2007 --consent "signed form, test" >/dev/null || die "email subscriber"

# ---- 1. registration ---------------------------------------------------------------
out=$(bb --json callback add --association "Randers Roklub" --url "$HOOK/a" --messages) ||
	die "callback add: $out"
CB_A=$(json_get "$out" id)
SECRET_A=$(json_get "$out" secret)
assert_match "$SECRET_A" '^whsec_[0-9a-f]{64}$' "the CLI shows a 32-byte secret once"
out=$(bb --json callback add --association 1 --url "$HOOK/campaigns-only") || die "callback add 2: $out"
CB_C=$(json_get "$out" id)
SECRET_C=$(json_get "$out" secret)
assert_ne "$SECRET_A" "$SECRET_C" "each receiver has its own secret"
# An association registers its own through the API.
bb_start
api() {  # api METHOD PATH TOKEN [JSON] -> "CODE BODY"
	curl -s -X "$1" --max-time 10 -o "$TEST_TMPDIR/body" -w '%{http_code}' \
		-H "Authorization: Bearer $3" ${4:+-H 'Content-Type: application/json' --data-binary "$4"} \
		"$BB_URL/api/v1$2"
	printf ' %s' "$(cat "$TEST_TMPDIR/body")"
}
r=$(api POST /callbacks "$TOKEN_A" "{\"url\": \"$HOOK/gone\"}")
assert_match "$r" '^201 \{"id":[0-9]+,"messages":false,"secret":"whsec_[0-9a-f]{64}","url":"http://127.0.0.1:[0-9]+/gone"\}$' \
	"POST /api/v1/callbacks: 201 with the secret"
CB_G=$(json_get "${r#* }" id)
SECRET_G=$(json_get "${r#* }" secret)
printf '%s %s\n%s %s\n%s %s 410\n' /a "$SECRET_A" /campaigns-only "$SECRET_C" /gone "$SECRET_G" > "$R/secrets"

r=$(api POST /callbacks "$TOKEN_B" "{\"url\": \"$HOOK/b\", \"messages\": true}")
assert_match "$r" '^201 ' "association B registers one too"
CB_B=$(json_get "${r#* }" id)
r=$(api GET /callbacks "$TOKEN_B")
assert_match "$r" "^200 \[\{\"failed\":0,\"id\":$CB_B,\"last_at\":null,\"last_status\":null,\"messages\":true,\"pending\":0,\"sent\":0,\"url\":\"$HOOK/b\"\}\]\$" \
	"B lists only its own receiver"
assert_match "$(api DELETE "/callbacks/$CB_A" "$TOKEN_B")" '^404 ' "B cannot remove A's receiver"
assert_match "$(api POST "/callbacks/$CB_A/secret" "$TOKEN_B")" '^404 ' "nor rotate its secret"
r=$(api POST "/callbacks/$CB_B/secret" "$TOKEN_B")
assert_match "$r" "^200 \{\"id\":$CB_B,\"secret\":\"whsec_[0-9a-f]{64}\"\}\$" "B rotates its own secret"
assert_match "$(api DELETE "/callbacks/$CB_B" "$TOKEN_B")" "^200 \{\"id\":$CB_B,\"removed\":true\}\$" "B removes its receiver"
for i in 1 2 3 4 5 6 7 8 9 10; do
	api POST /callbacks "$TOKEN_B" "{\"url\": \"$HOOK/b$i\"}" >/dev/null
done
assert_match "$(api POST /callbacks "$TOKEN_B" "{\"url\": \"$HOOK/b11\"}")" \
	'^422 \{"error": "'"'"'url'"'"' refused: 10 receivers are registered already' "at most 10 receivers per association"
assert_match "$(api POST /callbacks "" "{\"url\": \"$HOOK/x\"}")" '^401 ' "no token: 401"
assert_match "$(api POST /callbacks "$TOKEN_A" '{"url": "https://example.org/", "extra": 1}')" \
	"^400 \{\"error\": \"unknown field 'extra'\"\}" "unknown fields: 400"
assert_match "$(api POST /callbacks "$TOKEN_A" '{"url": 42}')" '^400 ' "a URL that is no string: 400"
r=$(api POST /callbacks "$PORTAL_TOKEN" "{\"url\": \"$HOOK/portal\"}")
assert_match "$r" '^201 ' "the portal registers a receiver for every campaign"
CB_P=$(json_get "${r#* }" id)
assert_eq "none" "$(bb_sql "SELECT coalesce(CAST(association_id AS TEXT), 'none') FROM callbacks WHERE id = $CB_P")" \
	"… with no association"
assert_match "$(api DELETE "/callbacks/$CB_P" "$PORTAL_TOKEN")" '^200 ' "and removes it again"

# The SSRF rules, with a config as it ships (no allow_http, no allow_private).
STRICT=$BB_DIR/strict.conf
sed '/^callbacks = {/,/};/d' "$BB_CONF" > "$STRICT"
echo 'callbacks = { allow_http = true; };' > "$BB_DIR/http-only.part"
cat "$STRICT" "$BB_DIR/http-only.part" > "$BB_DIR/http.conf"
chmod 600 "$STRICT" "$BB_DIR/http.conf"
strict() { "$BB_BIN/budbringer" -c "$STRICT" "$@"; }
before=$(bb_sql "SELECT count(*) FROM callbacks")
out=$(strict callback add --association 1 --url "http://example.org/hook" 2>&1)
assert_eq 2 "$?" "http:// without allow_http: a usage error"
assert_contains "$out" "only https:// URLs are allowed" "… saying why"
for u in https://10.0.0.1/hook https://169.254.169.254/latest/meta-data https://127.0.0.1:$RPORT/a \
	"https://[::ffff:127.0.0.1]/a" https://100.64.0.1/ "https://[fd00::1]/" https://192.168.1.1/; do
	out=$(strict callback add --association 1 --url "$u" 2>&1)
	assert_eq 2 "$?" "refused without allow_private: $u"
	assert_match "$out" "address: refused" "… as a non-public address: $u"
done
out=$("$BB_BIN/budbringer" -c "$BB_DIR/http.conf" callback add --association 1 --url "http://localhost:$RPORT/a" 2>&1)
assert_match "$out" "resolves to (127\.0\.0\.1|::1), a loopback" "a name that resolves to loopback is refused too"
out=$(strict callback add --association 1 --url "https://user:pw@example.org/" 2>&1)
assert_contains "$out" "user name or password" "credentials in the URL are refused"
assert_eq "$before" "$(bb_sql "SELECT count(*) FROM callbacks")" "nothing refused was stored"
assert_not_contains "$(cat "$BB_LOG" 2>/dev/null; bb_db_dump | grep -v 'INSERT INTO .*callbacks')" "$SECRET_A" \
	"the secret is stored only in its receiver's row"

# ---- 2. a campaign while the receiver fails, hangs, is down ------------------------
receiver_start
OPP=$(bb --json opportunity add --association "Randers Roklub" --title "da=Hjælpere til kaproning" \
	--summary "da=Vi mangler hjælpere." --url https://example.dk/ro --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$OPP" ] || die "opportunity"
# The publication makes an automatic campaign (no approval needed) ...
wait_until "[ \"\$(bb_sql \"SELECT status FROM campaigns WHERE opportunity_id = $OPP AND kind = 'auto'\")\" = done ]" 30 "$BB_PID" ||
	die "the automatic campaign went out"
CA=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $OPP AND kind = 'auto'")
# ... and the association's own campaign waits for approval.
r=$(api POST /campaigns "$TOKEN_A" "{\"opportunity_id\": $OPP, \"texts\": {\"da\": \"Kom og hjælp! {url}\"}}")
assert_match "$r" '^201 .*"status":"pending_approval"' "the association's campaign waits for approval"
C1=$(json_get "${r#* }" id)
bb campaign approve "$C1" >/dev/null || die "approve"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $C1 AND state = 'sent'\")\" = 4 ]" 30 "$BB_PID" ||
	die "the campaign was sent"
wait_until "[ \"\$(bb_sql \"SELECT status FROM campaigns WHERE id = $C1\")\" = done ]" 15 "$BB_PID" ||
	fail "the campaign is done"
C2=$(bb --json campaign create --opportunity "$OPP" --channels sms --at +1h |
	sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$C2" ] || die "second campaign"
wait_until "grep -c '\"answer\": \"500\"' '$R/log' | grep -qv '^[01]$'" 20 "$BB_PID" ||
	fail "the receiver answered 500 more than once (retries)"
echo hang > "$R/mode"
wait_until "grep -q '\"answer\": \"hang\"' '$R/log'" 20 "$BB_PID" || fail "a request hung"
bb campaign cancel "$C2" >/dev/null || die "cancel"
ids=($(bb_sql "SELECT id FROM messages WHERE campaign_id = $C1 AND channel = 'sms' ORDER BY id"))
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[0]}&status=1"
wait_until "bb_sql \"SELECT last_error FROM callback_events WHERE callback_id = $CB_A\" | grep -q 'no answer within'" 20 "$BB_PID" ||
	fail "the hang ended in a timeout, recorded"
stop_pid "$RECEIVER_PID" 10 || fail "receiver stopped"
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[1]}&status=1"
wait_until "bb_sql \"SELECT last_error FROM callbacks WHERE id = $CB_A\" | grep -q 'cannot connect'" 20 "$BB_PID" ||
	fail "the receiver being down is recorded (connection refused)"
list=$(bb callback list)
assert_match "$list" "$CB_A +Randers Roklub +\+messages pending=[1-9]" "staff see events pending for the receiver"
assert_contains "$list" "cannot connect" "… and its last answer"
# Restart in the middle: the events wait in the database.
bb_stop
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[2]}&status=2&answer=NACK" 2>/dev/null
bb_start
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[2]}&status=2&answer=NACK%2FInvalid+Destination"
assert_eq "delivered,delivered,failed" "$(bb_sql "SELECT state FROM messages WHERE campaign_id = $C1 AND channel = 'sms' ORDER BY id" | paste -sd, -)" \
	"delivery reports settled the SMS"
sleep 3	# the restarted daemon meets the receiver down, too
echo ok > "$R/mode"
receiver_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM callback_events WHERE status = 'pending'\")\" = 0 ]" 60 "$BB_PID" ||
	fail "every event was delivered once the receiver came back: $(bb callback events --pending | head -5)"

# What arrived, checked by the receiver's own log.
report=$("$BB_PYTHON" - "$R/log" "$SECRET_A" $PHONES <<'PY'
import json, sys
log, secret, phones = sys.argv[1], sys.argv[2], sys.argv[3:]
recs = [json.loads(l) for l in open(log)]
bad_sig = [r["n"] for r in recs if not r["sig_ok"] and r["path"] in ("/a", "/campaigns-only", "/gone")]
personal = [r["n"] for r in recs if any(p in r["body"] for p in phones) or "@" in r["body"]
            or "Hj" in r["body"] or "example.dk" in r["body"]]
mismatch = [r["n"] for r in recs if json.loads(r["body"])["id"] != r["event_id"]
            or json.loads(r["body"])["type"] != r["event_type"] or r["content_type"] != "application/json"]
for path in ("/a", "/campaigns-only"):
    seen, order = set(), {}
    for r in recs:
        if r["path"] != path or r["event_id"] in seen:
            continue
        seen.add(r["event_id"])
        b = json.loads(r["body"])
        camp = b["campaign"]["id"] if "campaign" in b else b["message"]["campaign_id"]
        order.setdefault(camp, []).append(b["type"] + ("" if "campaign" in b else ":%d" % b["message"]["id"]))
    ok = [r["event_id"] for r in recs if r["path"] == path and r["answer"] in ("ok", "200")]
    print(path, "distinct=%d" % len(seen), "ok=%d" % len(ok), "ok_distinct=%d" % len(set(ok)))
    for c in sorted(order):
        print(path, c, " ".join(order[c]))
print("retries", sum(1 for r in recs if r["answer"] in ("500", "hang")))
print("bad_sig", bad_sig, "personal", personal, "mismatch", mismatch)
PY
) || die "the receiver's log could not be read"
note "$report"
m1=${ids[0]} m2=${ids[1]} m3=${ids[2]}
memail=$(bb_sql "SELECT id FROM messages WHERE campaign_id = $C1 AND channel = 'email'")
assert_contains "$report" "/a $C1 campaign.approved campaign.started campaign.finished message.delivered:$m1 message.delivered:$m2 message.failed:$m3" \
	"receiver A got campaign $C1's events in order (approved, started, finished, then the reports)"
assert_contains "$report" "/a $C2 campaign.cancelled" "… and the cancelled campaign's"
assert_contains "$report" "/a $CA campaign.started campaign.finished" "… and the automatic campaign's"
assert_contains "$report" "/campaigns-only $C1 campaign.approved campaign.started campaign.finished" \
	"the receiver without messages got the campaign events in order"
assert_not_contains "$report" "/campaigns-only $C1 campaign.approved campaign.started campaign.finished message" \
	"… and no message events"
n_a=$(bb_sql "SELECT count(*) FROM callback_events WHERE callback_id = $CB_A")
assert_eq 9 "$n_a" "nine events stored for receiver A"
assert_contains "$report" "/a distinct=$n_a ok=$n_a ok_distinct=$n_a" \
	"each of A's events arrived, each answered 200 exactly once"
assert_match "$report" "retries [1-9]" "there were failed attempts before (500 and the hang)"
assert_contains "$report" "bad_sig [] personal [] mismatch []" \
	"every signature verified, no personal data, headers match the bodies"
assert_eq "$(bb_sql "SELECT count(DISTINCT event_id) FROM callback_events")" "$(bb_sql "SELECT count(*) FROM callback_events")" \
	"every event has its own id"
body_of() {  # body_of TYPE CAMPAIGN: the first body of that event receiver A got
	"$BB_PYTHON" - "$R/log" "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == "/a" and r["event_type"] == sys.argv[2] and \
            json.loads(r["body"])["campaign"]["id"] == int(sys.argv[3]):
        print(r["body"])
        break
PY
}
body=$(body_of campaign.finished "$C1")
assert_match "$body" "^\{\"campaign\":\{\"association_id\":1,\"id\":$C1,\"messages\":\{\"by_state\":\{\"sent\":4\},\"total\":4\},\"opportunity_id\":$OPP,\"status\":\"done\"\},\"created_at\":\"[0-9T:-]+Z\",\"id\":\"evt_[0-9a-f]{32}\",\"type\":\"campaign.finished\"\}\$" \
	"the finished event carries the per-state counts"
body=$(body_of campaign.cancelled "$C2")
assert_match "$body" '"messages":\{"by_state":\{("cancelled":[1-9])?\},"total":[0-9]+\}' \
	"the cancelled event counts what was queued as cancelled"
assert_contains "$body" '"status":"cancelled"' "… and says so"

# ---- 3. a receiver that refuses: failed at once ------------------------------------
assert_eq "0 $(bb_sql "SELECT count(*) FROM callback_events WHERE callback_id = $CB_G")" \
	"$(bb_sql "SELECT count(*) FROM callback_events WHERE callback_id = $CB_G AND NOT (status = 'failed' AND attempts = 1 AND last_status = 410)") $(bb_sql "SELECT count(*) FROM callback_events WHERE callback_id = $CB_G AND status = 'failed'")" \
	"every event to the 410 receiver failed after one attempt"
assert_match "$(bb callback list)" "$CB_G +Randers Roklub +campaign +pending=0 failed=[1-9][0-9]* sent=0 http://127.0.0.1:$RPORT/gone" \
	"staff see the failed count"
assert_contains "$(bb callback list)" "last answer: 410 at" "… and the last answer"
ev=$(bb callback events --failed)
assert_match "$ev" "receiver=$CB_G campaign=$C1 campaign.approved failed attempts=1 last=410@" "callback events --failed lists them"
assert_not_contains "$ev" "receiver=$CB_A " "… and nothing of the receiver that got everything"
bb_stop
done_testing
