#!/bin/bash
# SPDX-License-Identifier: MIT
# Fallback to email (campaigns.fallback_email, campaign --fallback-email):
# an SMS that fails for good becomes the email version, through a real
# SMTP server (aiosmtpd), once, and only for whom the rules allow:
#  1. a REST gateway refuses some numbers at once (400): those with email
#     consent and an address get the email; the one accepted, the one
#     without an address and the one without email consent get none;
#  2. through real Kannel, delivery reports of failure (type 2 and 16,
#     posted to /sms/dlr as Kannel's dlr-url would) bring the email; a
#     repeated report brings no second one; a STOP before the report, and
#     a delivered report, bring none;
#  3. a campaign with --no-fallback-email brings none, nor one whose
#     valid_until has passed;
#  4. the email points at its SMS (fallback_of), both have an event saying
#     so, and stats and /metrics count the fallbacks.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"
. "$(dirname "$0")/../lib/http.sh"
. "$(dirname "$0")/../lib/smtp.sh"

require_cmd curl
smtp_start "$TEST_TMPDIR/smtp" || die "the SMTP server did not start"
restgw_start "$TEST_TMPDIR/gw" --invalid 4520600001 --invalid 4520600003 --invalid 4520600004 ||
	die "the fake gateway did not start"
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
rest="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
	concurrency = 2; timeout = 5; }"
kannel="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 0;
	concurrency = 2; connect_timeout = 2; timeout = 5; }"
BB_SMS_PROVIDERS=$rest
# prefer_sms: who has both gets the SMS only; the email is the fallback.
BB_CAMPAIGNS='frequency_cap = 0; both_channels = "prefer_sms"; fallback_email = true;'
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; domain = \"randers.example.dk\";
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5; };"
bb_config
bb init >/dev/null || die "budbringer init failed"

add() {  # add PHONE EMAIL|- INTEREST
	if [ "$2" = - ]; then
		bb subscriber add --phone "$1" --lang da --interest "$3" --consent test >/dev/null
	else
		bb subscriber add --phone "$1" --email "$2" --lang da --interest "$3" --consent test >/dev/null
	fi || die "subscriber add $*"
}
mails_to() { ls "$SMTP_MAILDIR" 2>/dev/null | sed -n 's/^[0-9]*-\(.*\)\.eml$/\1/p' | sort; }
sms_id() { bb_sql "SELECT id FROM messages WHERE channel = 'sms' AND recipient = '+45$1' AND campaign_id = ${2:-1}"; }
state_of() { bb_sql "SELECT state FROM messages WHERE channel = 'sms' AND recipient = '+45$1' AND campaign_id = ${2:-1}"; }

# ---- 1. refused at once by the REST gateway ------------------------------------
add 20600001 a@example.dk sport   # refused, email ok      -> email
add 20600002 b@example.dk sport   # accepted               -> nothing
add 20600003 - sport              # refused, no address    -> nothing
add 20600004 d@example.dk sport   # refused, no email consent -> nothing
bb_sql "UPDATE subscribers SET email_consent = 0 WHERE email = 'd@example.dk'" >/dev/null
bb_start
bb opportunity add --interest sport --url https://frivillig.example.dk/o/1 --title "da=Trænere" \
	--summary "da=Træn U13 om tirsdagen." --publish >/dev/null || die "opportunity"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE channel = 'sms' AND state IN ('sent', 'failed')\")\" = 4 ]" 30 "$BB_PID" ||
	fail "the four SMS were not settled: $(bb_sql 'SELECT recipient, state FROM messages')"
assert_eq "failed sent failed failed" "$(echo $(state_of 20600001) $(state_of 20600002) $(state_of 20600003) $(state_of 20600004))" \
	"the gateway refused three numbers at once"
smtp_wait_mail 1 20 || fail "no fallback email arrived"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE channel = 'email' AND state = 'sent'\")\" = 1 ]" 20 "$BB_PID" ||
	fail "the fallback email was not recorded as sent"
assert_eq "a@example.dk" "$(mails_to)" "only the refused person with an address and email consent got the email"
mail=$(cat "$SMTP_MAILDIR"/*-a@example.dk.eml)
assert_contains "$mail" "https://frivillig.example.dk/o/1" "the email is the campaign's email version, with the opportunity's link"
assert_contains "$mail" "List-Unsubscribe:" "and an unsubscribe link, like every campaign email"
a=$(sms_id 20600001)
assert_eq "$a" "$(bb_sql "SELECT fallback_of FROM messages WHERE channel = 'email'")" "the email records the SMS it stands in for"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $a AND detail LIKE 'fallback email % queued'")" \
	"the SMS's history says an email went instead"

# ---- 2. Kannel: delivery reports of failure ------------------------------------------
BB_SMS_PROVIDERS=$kannel
bb_config
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 10 "$BB_PID" || fail "reload did not happen"
add 20700001 f@example.dk nature   # type 2            -> email
add 20700002 g@example.dk nature   # type 16, twice    -> one email
add 20700003 h@example.dk nature   # STOP, then type 2 -> nothing
add 20700004 i@example.dk nature   # delivered         -> nothing
bb opportunity add --interest nature --title "da=Naturpleje" --summary "da=Vi rydder krat ved åen." \
	--url https://frivillig.example.dk/o/2 --publish >/dev/null || die "opportunity"
kannel_mt_wait 4 30 || fail "fakesmsc did not receive the four SMS"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = 2 AND state = 'sent'\")\" = 4 ]" 20 "$BB_PID" ||
	fail "the four SMS were not sent"
dlr() {  # dlr MSG_ID TYPE ANSWER -> HTTP status
	curl -s -o /dev/null -w '%{http_code}' "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$1&status=$2&answer=$(urlencode "$3")"
}
stop=$(curl -s -o /dev/null -w '%{http_code}' \
	"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=%2B4520700003&to=1234&text=STOP&id=mo-1")
assert_eq 200 "$stop" "h texts STOP"
assert_eq 200 "$(dlr "$(sms_id 20700001 2)" 2 'NACK/0x0000000b/Invalid Destination Address')" "type 2 for f"
assert_eq 200 "$(dlr "$(sms_id 20700002 2)" 16 'rejected')" "type 16 for g"
assert_eq 200 "$(dlr "$(sms_id 20700002 2)" 16 'rejected')" "the same report for g again"
assert_eq 200 "$(dlr "$(sms_id 20700003 2)" 2 'absent subscriber')" "type 2 for h, after the STOP"
assert_eq 200 "$(dlr "$(sms_id 20700004 2)" 1 'ok')" "type 1 for i"
assert_eq "failed failed failed delivered" \
	"$(echo $(state_of 20700001 2) $(state_of 20700002 2) $(state_of 20700003 2) $(state_of 20700004 2))" \
	"the reports settled the SMS"
smtp_wait_mail 3 20 || fail "the fallback emails of f and g did not arrive"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE channel = 'email' AND state = 'sent'\")\" = 3 ]" 20 "$BB_PID" ||
	fail "the fallback emails were not recorded as sent"
assert_eq "a@example.dk
f@example.dk
g@example.dk" "$(mails_to)" "f and g got the email, g once; h (STOP) and i (delivered) none"

# ---- 3. --no-fallback-email, and after valid_until ---------------------------------
before=$(smtp_mail_count)
out=$(bb campaign create --opportunity 2 --channels sms --no-fallback-email --text "da=Igen: {url}")
assert_contains "$out" "campaign 3 created" "a staff campaign without fallback"
assert_eq false "$(bb --json campaign show 3 | "$BB_PYTHON" -c 'import json, sys; print(str(json.load(sys.stdin)["fallback_email"]).lower())')" \
	"campaign show says fallback_email false"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = 3 AND state = 'sent'\")\" = 3 ]" 30 "$BB_PID" ||
	fail "campaign 3's SMS were not sent: $(bb_sql 'SELECT recipient, state FROM messages WHERE campaign_id = 3')"
assert_eq 200 "$(dlr "$(sms_id 20700001 3)" 2 'failed')" "campaign 3: a failure for f"
bb_sql "UPDATE campaigns SET fallback_email = 1, valid_until = 1000 WHERE id = 3" >/dev/null
assert_eq 200 "$(dlr "$(sms_id 20700004 3)" 2 'failed')" "campaign 3, now past its valid_until: a failure for i"
sleep 2  # nothing should come; give the outbox a few turns to prove it
assert_eq "$before" "$(smtp_mail_count)" "neither brought an email"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = 3 AND channel = 'email'")" \
	"and none is queued"

# ---- 4. counted --------------------------------------------------------------------------
assert_eq 3 "$(bb_sql "SELECT count(*) FROM messages WHERE fallback_of IS NOT NULL")" "three fallback emails in all"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM (SELECT campaign_id, subscriber_id FROM messages WHERE channel = 'email'
	GROUP BY campaign_id, subscriber_id HAVING count(*) > 1) x")" "never two emails of a campaign to a person"
assert_eq '{"1": {"sent": 1}, "2": {"sent": 2}}' "$(bb --json stats | "$BB_PYTHON" -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["fallback_emails_by_campaign"], sort_keys=True))')" \
	"stats counts the fallback emails per campaign"
assert_contains "$(curl -s "$BB_URL/metrics")" 'budbringer_fallback_emails{state="sent"} 3' "/metrics counts them"
done_testing
