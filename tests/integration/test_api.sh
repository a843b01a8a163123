#!/bin/bash
# SPDX-License-Identifier: MIT
# The JSON API with curl against the real daemon (spool providers):
#  1. associations: their own opportunity 201, another's 403, no/wrong/
#     rotated token 401, idempotent retries, GET with per-state counts,
#     and the campaign really goes out;
#  2. malformed JSON, wrong types, unknown and missing fields, huge bodies:
#     clear errors, and not one row written (counted before and after);
#  3. the portal's sign-up: phone (SMS question, then JA by SMS makes
#     the subscriber active) and email (confirmation email), refusals;
#  4. routes and methods (404, 405) and /metrics;
#  5. concurrent inbound SMS with duplicates (group commit, deduplication).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl
PORTAL_TOKEN=$(random_token 40)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";
	body_limit = 16384;"
bb_config
bb init >/dev/null || die "budbringer init failed"

token_of() {  # token_of JSON
	sed -n 's/.*"token": "\([^"]*\)".*/\1/p' <<<"$1"
}
TOKEN_A=$(token_of "$(bb --json association add "Randers Fodbold")")
TOKEN_B=$(token_of "$(bb --json association add "Spejderne Nord")")
[ -n "$TOKEN_A" ] && [ -n "$TOKEN_B" ] || die "no association tokens"
opportunity() {  # opportunity ASSOCIATION ARGS… -> id
	local a=$1
	shift
	bb --json opportunity add --association "$a" "$@" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p'
}
OPP_A=$(opportunity "Randers Fodbold" --interest sport --title "da=Trænere til U13" --summary "da=Tirsdage.")
OPP_B=$(opportunity "Spejderne Nord" --interest scouting --title "da=Lejrhjælpere" --summary "da=I sommerferien.")
assert_match "$OPP_A $OPP_B" '^[0-9]+ [0-9]+$' "two opportunities of two associations"
bb subscriber add --phone 20400001 --lang da --interest sport --born $(($(date +%Y) - 20)) --consent "test fixture" >/dev/null ||
	die "subscriber add"
bb_start
# The automatic campaigns of the two publications are made by the first poll.
wait_until "[ \"\$(bb_sql 'SELECT count(*) FROM campaigns')\" = 2 ]" 10 "$BB_PID" || fail "no automatic campaigns"

API=$BB_URL/api/v1
# req METHOD URL TOKEN [curl args…]: prints "CODE BODY"
req() {
	local m=$1 url=$2 tok=$3
	shift 3
	curl -s -X "$m" --max-time 10 -o "$TEST_TMPDIR/body" -w '%{http_code}' \
		${tok:+-H "Authorization: Bearer $tok"} "$@" "$url"
	printf ' %s' "$(cat "$TEST_TMPDIR/body")"
}
post() {  # post URL TOKEN JSON
	req POST "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"
}
counts() {
	bb_sql "SELECT (SELECT count(*) FROM campaigns) || ' ' || (SELECT count(*) FROM campaign_texts)
		|| ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM subscribers)
		|| ' ' || (SELECT count(*) FROM consent_log) || ' ' || (SELECT count(*) FROM suppressions)"
}
json_field() {  # json_field "CODE BODY" FIELD
	/usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1].split(" ", 1)[1])[sys.argv[2]])' "$1" "$2"
}

# ---- 1. associations ------------------------------------------------------------------
r=$(post "$API/campaigns" "$TOKEN_A" "{\"opportunity_id\": $OPP_A, \"channels\": [\"sms\"],
	\"min_age\": 15, \"max_age\": 30, \"texts\": {\"da\": \"Kom og træn U13! {url} {stop}\"}}")
assert_match "$r" '^201 \{"id":[0-9]+,"status":"scheduled","duplicate":false\}$' "A's campaign for A's opportunity: 201"
CAMP=$(json_field "$r" id)
assert_eq "association $OPP_A api:association:1" \
	"$(bb_sql "SELECT kind || ' ' || opportunity_id || ' ' || created_by FROM campaigns WHERE id = $CAMP")" \
	"stored as an association campaign, created through the API"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $CAMP AND state = 'sent'\")\" = 1 ]" 20 "$BB_PID" ||
	fail "the API campaign did not go out"
assert_cmd "grep -rqsi 'Kom og tr.u00e6n U13!' '$BB_SPOOL_SMS'" "its text reached the SMS spool (JSON, ASCII-escaped)"

r=$(req GET "$API/campaigns/$CAMP" "$TOKEN_A")
assert_match "$r" '^200 ' "A reads its campaign"
assert_eq "sending|done 1 1 sms 15 30" \
	"$(/usr/bin/python3 -c 'import json, sys
c = json.loads(sys.argv[1].split(" ", 1)[1])
print("sending|done" if c["status"] in ("sending", "done") else c["status"], c["messages"]["total"],
      c["messages"]["by_state"].get("sent", 0), ",".join(c["channels"]), c["min_age"], c["max_age"])' "$r")" \
	"status, per-state counts, channels and ages"
assert_match "$(req GET "$API/campaigns/$CAMP" "$TOKEN_B")" '^403 \{"error": ' "B cannot read A's campaign: 403"
assert_match "$(req GET "$API/campaigns/$CAMP" "$PORTAL_TOKEN")" '^200 ' "staff (portal token) can"
assert_match "$(req GET "$API/campaigns/999999" "$TOKEN_A")" '^404 ' "an unknown campaign: 404"
assert_match "$(req GET "$API/campaigns/abc" "$TOKEN_A")" '^404 ' "a campaign id that is no number: 404"

before=$(counts)
r=$(post "$API/campaigns" "$TOKEN_A" "{\"opportunity_id\": $OPP_B}")
assert_match "$r" '^403 \{"error": "opportunity [0-9]+ belongs to another association"\}' "A for B's opportunity: 403"
assert_eq "$before" "$(counts)" "the refused campaign wrote nothing"

r=$(post "$API/campaigns" "" "{\"opportunity_id\": $OPP_A}")
assert_match "$r" '^401 \{"error": "missing token' "no token: 401"
assert_match "$(post "$API/campaigns" "not-a-token" "{\"opportunity_id\": $OPP_A}")" '^401 ' "unknown token: 401"
assert_cmd "curl -s -D - -o /dev/null -X POST '$API/campaigns' | grep -qi '^WWW-Authenticate: Bearer'" \
	"401 names the Bearer scheme"
NEW_A=$(token_of "$(bb --json association token "Randers Fodbold")")
assert_ne "$TOKEN_A" "$NEW_A" "the token was rotated"
r=$(post "$API/campaigns" "$TOKEN_A" "{\"opportunity_id\": $OPP_A, \"channels\": [\"email\"]}")
assert_match "$r" '^401 \{"error": "invalid, rotated or revoked token"\}' "the rotated (old) token: 401"
assert_eq "$before" "$(counts)" "nothing written with a bad token"
dump=$(bb_db_dump)
assert_match "$dump" 'CREATE TABLE (public\.)?association_tokens' "the database dump worked"
assert_not_contains "$dump" "$NEW_A" "the database holds the new token nowhere in clear"
assert_not_contains "$dump" "$TOKEN_A" "nor the old one"

r=$(post "$API/campaigns" "$NEW_A" "{\"opportunity_id\": $OPP_A, \"channels\": [\"email\"], \"idempotency_key\": \"k-1\"}")
assert_match "$r" '^201 ' "the new token works"
id1=$(json_field "$r" id)
r=$(post "$API/campaigns" "$NEW_A" "{\"opportunity_id\": $OPP_A, \"channels\": [\"email\"], \"idempotency_key\": \"k-1\"}")
assert_match "$r" '^200 \{"id":'"$id1"',.*"duplicate":true\}$' "a retried request (same idempotency key) gives the same campaign"
# Keys belong to the association that sent them: B's "k-1" is B's own.
r=$(post "$API/campaigns" "$TOKEN_B" "{\"opportunity_id\": $OPP_B, \"channels\": [\"email\"], \"idempotency_key\": \"k-1\"}")
assert_match "$r" '^201 .*"duplicate":false\}$' "the same key from another association makes a new campaign"
id_b=$(json_field "$r" id)
assert_ne "$id1" "$id_b" "… not A's campaign"
assert_eq "$OPP_B Spejderne Nord" "$(bb_sql "SELECT c.opportunity_id || ' ' || a.name FROM campaigns c
	JOIN associations a ON a.id = c.association_id WHERE c.id = '$id_b'")" "… for B's opportunity, by B"
assert_eq 2 "$(bb_sql "SELECT count(*) FROM campaigns WHERE id IN ('$id1', '$id_b')")" "both campaigns exist"
r=$(req POST "$API/campaigns" "$NEW_A" -H 'Idempotency-Key: k-2' --data-binary \
	"{\"opportunity_id\": $OPP_A, \"channels\": [\"sms\"], \"send_at\": \"2099-01-01T10:00:00Z\"}")
assert_match "$r" '^201 ' "Idempotency-Key header and a send time"
assert_eq "$(date -u -d 2099-01-01T10:00:00Z +%s)" "$(bb_sql "SELECT send_at FROM campaigns WHERE id = $(json_field "$r" id)")" \
	"send_at stored as given (UTC)"

# ---- 2. malformed requests write nothing --------------------------------------------
before=$(counts)
bad() {  # bad CODE REGEX WHAT BODY
	local r
	r=$(post "$API/campaigns" "$NEW_A" "$4")
	assert_match "$r" "^$1 \\{\"error\": \"$2" "$3: $1"
}
bad 400 'body is not valid JSON' "broken JSON" "{\"opportunity_id\": $OPP_A"
bad 400 'body is not valid JSON' "trailing garbage" "{\"opportunity_id\": $OPP_A} x"
bad 400 'body is not valid JSON' "duplicate keys" "{\"opportunity_id\": $OPP_A, \"opportunity_id\": $OPP_B}"
bad 400 'body is not valid JSON' "invalid UTF-8" $'{"opportunity_id": 1, "texts": {"da": "\xff"}}'
bad 400 'body must be a JSON object' "an array" "[$OPP_A]"
bad 400 'empty body' "an empty body" ""
bad 400 'missing field .opportunity_id.' "no opportunity" '{"channels": ["sms"]}'
bad 400 'unknown field .opportunityId.' "a misspelt field" "{\"opportunityId\": $OPP_A}"
bad 400 ".opportunity_id. must be an integer" "id as a string" "{\"opportunity_id\": \"$OPP_A\"}"
bad 400 ".opportunity_id. must be an integer" "negative id" '{"opportunity_id": -4}'
bad 400 ".channels. may hold" "an unknown channel" "{\"opportunity_id\": $OPP_A, \"channels\": [\"fax\"]}"
bad 400 ".channels. must not be empty" "no channels" "{\"opportunity_id\": $OPP_A, \"channels\": []}"
bad 400 ".min_age. must be an integer from 0 to 120" "age 200" "{\"opportunity_id\": $OPP_A, \"min_age\": 200}"
bad 400 ".langs.\\[0\\] must be a string" "a number as language" "{\"opportunity_id\": $OPP_A, \"langs\": [7]}"
bad 400 ".texts.\\..da. must be" "an empty text" "{\"opportunity_id\": $OPP_A, \"texts\": {\"da\": \"\"}}"
bad 400 "body is not valid JSON: ..u0000 is not allowed" "a text with a NUL" "{\"opportunity_id\": $OPP_A, \"texts\": {\"da\": \"a\\u0000b\"}}"
bad 400 ".send_at. must be ISO 8601" "a bad time" "{\"opportunity_id\": $OPP_A, \"send_at\": \"tomorrow\"}"
bad 400 ".send_at. is in the past" "a time in the past" "{\"opportunity_id\": $OPP_A, \"send_at\": \"2001-01-01T00:00:00Z\"}"
bad 422 "language .xx. is not configured" "an unknown language" "{\"opportunity_id\": $OPP_A, \"langs\": [\"xx\"]}"
bad 422 "interest .knitting. is not in the taxonomy" "an unknown interest" "{\"opportunity_id\": $OPP_A, \"interests\": [\"knitting\"]}"
bad 422 "age range 30-20 is not valid" "min above max" "{\"opportunity_id\": $OPP_A, \"min_age\": 30, \"max_age\": 20}"
bad 422 "text for .da.: unknown placeholder" "a broken template" "{\"opportunity_id\": $OPP_A, \"texts\": {\"da\": \"{titel}\"}}"
bad 422 "no opportunity 424242" "an unknown opportunity" '{"opportunity_id": 424242}'
head -c 20000 /dev/zero | tr '\0' 'x' >"$TEST_TMPDIR/huge"
r=$(req POST "$API/campaigns" "$NEW_A" -H 'Content-Type: application/json' \
	--data-binary "{\"opportunity_id\": $OPP_A, \"texts\": {\"da\": \"$(cat "$TEST_TMPDIR/huge")\"}}")
assert_match "$r" '^413 \{"error": "request body is larger than 16384 bytes"\}' "a body over http.body_limit: 413"
r=$(req POST "$API/subscribers" "$PORTAL_TOKEN" --data-binary @"$TEST_TMPDIR/huge")
assert_match "$r" '^413 ' "also on the portal route"
assert_eq "$before" "$(counts)" "none of the malformed requests wrote a row"

# ---- 3. the portal's sign-up ------------------------------------------------------------
sub() { post "$API/subscribers" "$PORTAL_TOKEN" "$1"; }
r=$(sub '{"phone": "+45 20 40 00 02", "lang": "da", "interests": ["sport", "culture"], "birth_year": 2004}')
ANSWER='202 {"status":"received","message":"if the address can be reached, a confirmation is on its way"}'
assert_eq "$ANSWER" "$r" "phone sign-up: 202, the one answer the portal ever gets"
assert_eq "pending 0 da 2004 2" "$(bb_sql "SELECT status, sms_consent, lang, birth_year,
	(SELECT count(*) FROM subscriber_interests WHERE subscriber_id = s.id) FROM subscribers s
	WHERE phone = '+4520400002'" | tr '|' ' ')" "stored pending, without consent"
assert_eq "request api:portal" "$(bb_sql "SELECT action || ' ' || source FROM consent_log WHERE subscriber_id =
	(SELECT id FROM subscribers WHERE phone = '+4520400002')")" "the request is in the consent log"
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE recipient = '+4520400002' AND kind = 'confirm'\")\" = sent ]" 10 "$BB_PID" ||
	fail "the SMS question did not go out"
assert_contains "$(bb_sql "SELECT body FROM messages WHERE recipient = '+4520400002'")" "Svar JA" \
	"the SMS asks them to answer JA"
r=$(sub '{"phone": "20400002"}')
assert_eq "$ANSWER" "$r" "signing up again at once: the same answer"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520400002' AND kind = 'confirm'")" \
	"and no second question"
curl -s -o /dev/null "$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=4520400002&to=1220&text=Ja&id=api-1"
assert_eq "active 1" "$(bb_sql "SELECT status || ' ' || sms_consent FROM subscribers WHERE phone = '+4520400002'")" \
	"their JA by SMS makes them active"
r=$(sub '{"phone": "20400002"}')
assert_eq "$ANSWER" "$r" "a sign-up of someone already in: the same answer"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520400002' AND kind = 'confirm'")" \
	"and nothing new is sent"

# A number that texted STOP (unknown to us, so only suppressed) gets no
# question from a form anyone can fill in.
curl -s -o /dev/null "$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=4520400009&to=1220&text=STOP&id=api-stop-9"
r=$(sub '{"phone": "20400009"}')
assert_eq "$ANSWER" "$r" "a STOPped number: the same answer"
assert_contains "$(cat "$BB_LOG")" "portal sign-up sms=stopped" "what happened is in the log for staff"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520400009' AND kind = 'confirm'")" \
	"nothing was queued to the STOPped number"

r=$(sub '{"email": "Ung.Frivillig@Example.DK", "lang": "ar"}')
assert_eq "$ANSWER" "$r" "email sign-up: the same answer"
assert_eq "Ung.Frivillig@example.dk pending" \
	"$(bb_sql "SELECT email || ' ' || status FROM subscribers WHERE lower(email) LIKE 'ung.frivillig@%'")" \
	"stored with the domain in lower case, pending"
assert_eq "confirm email" "$(bb_sql "SELECT kind || ' ' || channel FROM messages WHERE recipient = 'Ung.Frivillig@example.dk'")" \
	"a confirmation email is queued"
r=$(sub '{"phone": "20400003", "email": "Ung.Frivillig@example.dk"}')
assert_eq "$ANSWER" "$r" "a phone with a known email: the same answer"
assert_eq "pending|" "$(bb_sql "SELECT status, email FROM subscribers WHERE phone = '+4520400003'")" \
	"the unconfirmed phone waits as its own pending subscriber"
assert_eq "none" "$(bb_sql "SELECT coalesce(phone, 'none') FROM subscribers WHERE email = 'Ung.Frivillig@example.dk'")" \
	"and is not attached to the email's subscriber"

before=$(counts)
assert_match "$(sub "{\"phone\": \"20400004\", \"birth_year\": $(($(date +%Y) - 13))}")" \
	'^422 \{"error": "sign-up refused: the minimum age is 15"\}' "under the minimum age: 422"
assert_match "$(sub '{"phone": "123"}')" '^400 \{"error": ".phone. is not a phone number' "a bad phone: 400"
assert_match "$(sub '{"email": "no-at-sign"}')" '^400 \{"error": ".email. is not an email address' "a bad email: 400"
assert_match "$(sub '{"email": "a b@example.dk"}')" '^400 ' "an email with a space: 400"
assert_match "$(sub '{"lang": "da"}')" '^400 \{"error": "give .phone. or .email.' "neither phone nor email: 400"
assert_match "$(sub '{"phone": "20400005", "lang": "xx"}')" '^400 ' "an unknown language: 400"
assert_match "$(sub '{"phone": "20400005", "interests": ["knitting"]}')" '^400 ' "an unknown interest: 400"
assert_match "$(sub '{"phone": "20400005", "name": "Ali"}')" '^400 \{"error": "unknown field .name.' "an unknown field: 400"
assert_match "$(sub '{"phone": 20400005}')" '^400 ' "a phone as a number: 400"
assert_match "$(post "$API/subscribers" "$NEW_A" '{"phone": "20400005"}')" '^401 ' "an association token is not the portal's: 401"
assert_match "$(post "$API/subscribers" "" '{"phone": "20400005"}')" '^401 ' "no token: 401"
assert_eq "$before" "$(counts)" "refused sign-ups wrote nothing"
assert_eq "$ANSWER" "$(sub '{"phone": "20400002", "email": "Ung.Frivillig@example.dk"}')" \
	"a phone and an email of two different people: the same answer"

# ---- 4. routes, methods, metrics --------------------------------------------------------
assert_match "$(req GET "$API/nothing" "")" '^404 \{"error": "no such route"\}' "unknown route: 404"
assert_match "$(req GET "$API/campaigns" "$NEW_A")" '^405 \{"error": "method GET is not allowed' "GET /api/v1/campaigns: 405"
assert_match "$(req PUT "$API/subscribers" "$PORTAL_TOKEN")" '^405 ' "PUT /api/v1/subscribers: 405"
assert_match "$(req DELETE "$API/campaigns/$CAMP" "$NEW_A")" '^405 ' "DELETE a campaign: 405"
assert_match "$(req PUT "$BB_URL/sms/inbound" "")" '^405 ' "PUT /sms/inbound: 405"
m=$(curl -s "$BB_URL/metrics")
assert_contains "$m" 'budbringer_inbound{intent="confirm"} 1' "metrics: inbound by intent"
assert_contains "$m" 'budbringer_queue_depth ' "metrics: queue depth"
assert_match "$m" 'budbringer_last_poll_timestamp_seconds [0-9]{10}' "metrics: last poll time"
assert_contains "$m" '# TYPE budbringer_provider_errors counter' "metrics: provider errors"
assert_match "$m" 'budbringer_messages\{channel="sms",state="sent"\} [0-9]+' "metrics: messages by channel and state"
assert_cmd "! grep -q '$NEW_A\|$PORTAL_TOKEN' '$BB_LOG'" "no token appears in the log"

# ---- 5. inbound SMS at once from many sides (the listener's group commit) ------------
# 100 messages, each sent three times concurrently (a gateway retrying):
# every request answered 200, each message recorded and answered once.
seq 0 299 | awk -v u="$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET" \
	'{ n = $1 % 100; printf "%s&from=452050%04d&to=1220&text=HJ%%C3%%86LP&id=c-%d\n", u, n, n }' |
	xargs -P 24 -n 1 curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 >"$TEST_TMPDIR/codes"
assert_eq "300 200" "$(sort "$TEST_TMPDIR/codes" | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ' | sed 's/ $//')" \
	"300 concurrent requests, all answered 200"
assert_eq 100 "$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id LIKE 'c-%'")" "100 messages recorded once each"
assert_eq 100 "$(bb_sql "SELECT count(DISTINCT reply_message_id) FROM inbound WHERE gateway_id LIKE 'c-%'")" \
	"each answered"
assert_eq 100 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient LIKE '+452050%' AND kind = 'reply'")" \
	"and only once"

# ---- 6. a replayed MO changes no consent ------------------------------------------------
# A gateway that lost our answer sends the same MO (same id) again. STOP and
# JA change consent, so their replay must change nothing at all: not the
# consent log, not the subscriber, not the replies.
mo() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=4520600001&to=1220&text=$1&id=$2"; }
snapshot() {
	bb_sql "SELECT 'sub', status, sms_consent, sms_consent_at, updated_at FROM subscribers WHERE phone = '+4520600001';
		SELECT 'log', id, action FROM consent_log WHERE subscriber_id =
			(SELECT id FROM subscribers WHERE phone = '+4520600001') ORDER BY id;
		SELECT 'msg', id, kind FROM messages WHERE recipient = '+4520600001' ORDER BY id;
		SELECT 'sup', count(*) FROM suppressions;
		SELECT 'in', count(*) FROM inbound"
}
assert_eq 200 "$(mo FRIVILLIG rp-1)" "a number joins"
assert_eq 200 "$(mo JA rp-2)" "and confirms"
before=$(snapshot)
assert_contains "$before" "sub|active|1" "the JA made them active"
sleep 1   # a second write would show in updated_at
assert_eq 200 "$(mo JA rp-2)" "the JA replayed is accepted"
assert_eq "$before" "$(snapshot)" "… and changes nothing"
assert_eq 200 "$(mo STOP rp-3)" "then they say STOP"
before=$(snapshot)
assert_contains "$before" "sub|unsubscribed|0" "the STOP withdrew consent"
sleep 1
assert_eq 200 "$(mo STOP rp-3)" "the STOP replayed is accepted"
assert_eq "$before" "$(snapshot)" "… and changes nothing (no second revoke, no second reply)"
assert_eq 200 "$(mo JA rp-2)" "the old JA replayed after the STOP"
assert_eq "$before" "$(snapshot)" "… does not subscribe them again"
bb_stop 5

done_testing
