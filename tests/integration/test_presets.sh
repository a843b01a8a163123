#!/bin/bash
# SPDX-License-Identifier: MIT
# The rest provider's gatewayapi-message preset (GatewayAPI's Message API)
# against the fake gateway, and GatewayAPI's signed webhooks:
#  1. each SMS is exactly the request the provider documents
#     (gatewayapi.com/docs/message/overview): POST /mobile/single,
#     Authorization: Token, JSON with only sender, message, recipient (an
#     integer) and reference (our id); the answer's msg_id is stored;
#  2. a webhook signed with X-Gwapi-Signature (JWT HS256 under the
#     provider's webhook_secret) settles the message, whether the claims
#     are the report or vouch for the body's event_id; no dlr_secret needed;
#  3. a wrong key, alg "none", an altered token, a valid token lent to
#     another body, and a signed report without any webhook_secret
#     configured get 401, change nothing and are counted in /metrics;
#  4. a provider without a preset keeps the /rest/mtsms shape.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/http.sh"

require_cmd curl
restgw_start "$TEST_TMPDIR/gw" || die "the fake gateway did not start"
WEBHOOK_SECRET=$(random_token 40)
BB_SMS_PROVIDERS="{ name = \"gatewayapi\"; type = \"rest\"; preset = \"gatewayapi-message\";
	url = \"$RESTGW_BASE_URL/mobile/single\"; token = \"$RESTGW_TOKEN\";
	webhook_secret = \"$WEBHOOK_SECRET\"; concurrency = 2; timeout = 5; }"
bb_config
bb init >/dev/null || die "budbringer init failed"
bb subscriber add --phone 20400001 --lang da --interest sport --consent test >/dev/null || die "subscriber"
bb subscriber add --phone 20400002 --lang en --interest sport --consent test >/dev/null || die "subscriber"
bb_start
bb opportunity add --interest sport --url https://frivillig.example.dk/o/7 --title "da=Trænere" \
	--summary "da=Træn U13." --title "en=Coaches" --summary "en=Coach U13." --publish >/dev/null ||
	die "opportunity add"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" = 2 ]" 30 "$BB_PID" ||
	fail "the two SMS were not sent: $(bb_sql 'SELECT state, reason FROM messages')"

# ---- 1. the request shape ---------------------------------------------------
"$BB_PYTHON" - "$RESTGW_LOG" "$RESTGW_TOKEN" >"$TEST_TMPDIR/shape.txt" <<'PY'
import json, sys
token = sys.argv[2]
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r.get("kind") != "request":
        continue
    h = {k.lower(): v for k, v in r["headers"].items()}
    j = r["json"]
    print(r["method"], r["path"], h.get("authorization") == "Token " + token,
          h.get("content-type"), h.get("accept"), ",".join(sorted(j)),
          type(j["recipient"]).__name__, j["recipient"], j["sender"], j["reference"], r["status"])
PY
ids=$(bb_sql "SELECT id FROM messages WHERE recipient = '+4520400001'")
ide=$(bb_sql "SELECT id FROM messages WHERE recipient = '+4520400002'")
assert_eq "POST /mobile/single True application/json application/json message,recipient,reference,sender int 4520400001 Frivillig $ids 200
POST /mobile/single True application/json application/json message,recipient,reference,sender int 4520400002 Frivillig $ide 200" \
	"$(sort -k8 "$TEST_TMPDIR/shape.txt")" \
	"each SMS: POST /mobile/single, Token auth, JSON with exactly sender, message, recipient (integer) and reference (our id)"
gwid=$(bb_sql "SELECT provider_msgid FROM messages WHERE id = $ids")
assert_match "$gwid" '^01JNN696A9E0WS89FPYGT[0-9]{5}$' "the answer's msg_id is stored as the provider's id"
assert_eq "$(bb_sql "SELECT body FROM messages WHERE id = $ids")" \
	"$("$BB_PYTHON" -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r.get("kind") == "request" and r["json"]["recipient"] == 4520400001:
        print(r["json"]["message"])' "$RESTGW_LOG")" "the message field is the stored text, byte for byte"

# ---- 2. signed webhooks -----------------------------------------------------
jwt() {  # jwt KEY CLAIMS_JSON [ALG]: a compact JWT, as GatewayAPI makes them
	"$BB_PYTHON" - "$@" <<'PY'
import base64, hashlib, hmac, json, sys
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
alg = sys.argv[3] if len(sys.argv) > 3 else "HS256"
head = b(json.dumps({"typ": "JWT", "alg": alg}).encode())
body = b(sys.argv[2].encode())
sig = b(hmac.new(sys.argv[1].encode(), (head + "." + body).encode(), hashlib.sha256).digest())
print(head + "." + body + "." + (sig if alg == "HS256" else ""))
PY
}
post_signed() {  # post_signed TOKEN BODY -> HTTP status
	curl -s -o "$TEST_TMPDIR/answer" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-Gwapi-Signature: $1" --data-binary "$2" "$BB_URL/sms/dlr"
}
envelope() {  # envelope EVENT_ID MSG_ID REFERENCE STATUS
	printf '{"event_id": "%s", "timestamp": "2026-04-01T11:50:12.003029+00:00", "event_type": "messaging.status.sms", "event": {"msg_id": "%s", "reference": "%s", "status": "%s"}}' "$@"
}
body=$(envelope ev-1 "$gwid" "$ids" DELIVERED)
assert_eq 200 "$(post_signed "$(jwt "$WEBHOOK_SECRET" "$body")" "$body")" \
	"a webhook whose signed claims are the report is accepted (no dlr_secret in it)"
assert_eq delivered "$(bb_sql "SELECT state FROM messages WHERE id = $ids")" "and it settles the message"
body=$(envelope ev-2 "" "$ide" UNDELIVERABLE)
assert_eq 200 "$(post_signed "$(jwt "$WEBHOOK_SECRET" '{"event_id": "ev-2"}')" "$body")" \
	"claims holding only the envelope's event_id vouch for the body with that event_id"
assert_eq failed "$(bb_sql "SELECT state FROM messages WHERE id = $ide")" "the other message failed as reported"

# ---- 3. refused -------------------------------------------------------------
bb_sql "UPDATE messages SET state = 'sent' WHERE id = $ide" >/dev/null
body=$(envelope ev-3 "" "$ide" DELIVERED)
good=$(jwt "$WEBHOOK_SECRET" "$body")
assert_eq 401 "$(post_signed "$(jwt "$(random_token 40)" "$body")" "$body")" "signed with another key: 401"
assert_eq 401 "$(post_signed "$(jwt "$WEBHOOK_SECRET" "$body" none)" "$body")" "alg none: 401"
sig=${good##*.}
case $sig in A*) alt=B${sig#?} ;; *) alt=A${sig#?} ;; esac
assert_eq 401 "$(post_signed "${good%.*}.$alt" "$body")" "an altered signature: 401"
assert_eq 401 "$(post_signed "$(jwt "$WEBHOOK_SECRET" '{"event_id": "ev-2"}')" "$body")" \
	"a valid token for event ev-2 lent to the body of ev-3: 401"
assert_eq 401 "$(post_signed "not.a.jwt.at-all" "$body")" "garbage in the header: 401"
assert_contains "$(cat "$TEST_TMPDIR/answer")" '"error"' "the refusal is a JSON error"
assert_eq sent "$(bb_sql "SELECT state FROM messages WHERE id = $ide")" "no refused report changed the message"
assert_eq 'budbringer_dlr_total{outcome="bad_signature"} 5' \
	"$(curl -s "$BB_URL/metrics" | grep 'outcome="bad_signature"')" "every refusal is counted in /metrics"
assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "$body" "$BB_URL/sms/dlr")" "unsigned and without the shared secret: still 403"

# ---- 4. no preset: the old shape, and no key: signed reports refused ----------
BB_SMS_PROVIDERS="{ name = \"old\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
	concurrency = 2; timeout = 5; }"
bb_config
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 10 "$BB_PID" || fail "reload did not happen"
assert_eq 401 "$(post_signed "$good" "$body")" "a signed report when no provider has a webhook_secret: 401"
: >"$RESTGW_LOG"
bb subscriber add --phone 20400003 --lang da --interest nature --consent test >/dev/null || die "subscriber"
bb opportunity add --interest nature --title "da=Natur" --summary "da=Ryd krat." --publish >/dev/null
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE recipient = '+4520400003'\")\" = sent ]" 30 "$BB_PID" ||
	fail "the SMS through the provider without preset was not sent"
assert_eq "/sms callback_url,encoding,message,recipients,sender,userref Bearer" \
	"$("$BB_PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("kind") == "request":
        print(r["path"], ",".join(sorted(r["json"])), r["headers"]["Authorization"].split()[0])' "$RESTGW_LOG")" \
	"a provider without a preset sends the /rest/mtsms shape as before, with Bearer auth"
done_testing
