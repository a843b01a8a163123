#!/bin/bash
# SPDX-License-Identifier: MIT
# The wire journal (src/wire.c) at a crash, made exact: both peers take the
# messages and then withhold their answers — the SMTP server stores each
# message and waits a minute before its 250, the REST gateway accepts each
# request and never answers — so at the kill exactly the messages the
# peers hold are on the wire: one per SMTP connection (the next message's
# DATA waits for the answer) and `concurrency` requests. After kill -9 and
# a restart exactly those are `unknown`; every other message the dead
# daemon held goes back to the queue with its attempt given back and is
# sent, and no address receives anything twice.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/smtp.sh"
. "$(dirname "$0")/../lib/http.sh"

N=10 CONNECTIONS=2 CONCURRENCY=3
smtp_start "$TEST_TMPDIR/smtp" || die "smtp server did not start"
# The gateway's control file, there before it starts: every request hangs.
mkdir -p "$TEST_TMPDIR/gw" && printf '%s' '{"mode": "hang", "hang_seconds": 60}' >"$TEST_TMPDIR/gw/control.json"
restgw_start "$TEST_TMPDIR/gw" || die "rest gateway did not start"
smtp_faults '{"rules": [{"stage": "data", "match": "*", "store": true, "code": 250, "delay": 60}]}' ||
	die "smtp faults"

BB_SMS_PROVIDERS="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
	concurrency = $CONCURRENCY; connect_timeout = 2; timeout = 50; }"
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\";
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 50;
	         connections = $CONNECTIONS; messages_per_session = 50; };"
BB_CAMPAIGNS='frequency_cap = 0;'
[ "$BB_ENGINE" = postgresql ] && BB_ROOT_EXTRA="journal_directory = \"$BB_DIR\";"
bb_config
bb init >/dev/null || die "init"
now=$(date +%s)
for ((i = 0; i < N; i++)); do
	printf '+4520%06d\tw%d@example.dk\tda\tactive\t1\t%d\ttest\t1\t%d\ttest\t%d\t%d\n' \
		"$i" "$i" "$now" "$now" "$now" "$now"
done | bb_sql_insert subscribers phone email lang status sms_consent sms_consent_at \
	sms_consent_source email_consent email_consent_at email_consent_source created_at updated_at ||
	die "cannot add the subscribers"
bb opportunity add --title "da=Ledning" --summary "da=Svar der aldrig kommer." \
	--url https://x.example/o >/dev/null
bb_start
bb opportunity publish 1 >/dev/null

# Requests the gateway took and left without an answer.
hung() { jsonl_select "$RESTGW_LOG" 'r["n"]' 'r["kind"] == "request" and r["action"] == "hang"' | wc -l; }
wait_until "[ \$(smtp_mail_count) -ge $CONNECTIONS ] && [ \$(hung) -ge $CONCURRENCY ]" 30 "$BB_PID" ||
	fail "the peers hold messages whose answers they withhold"
# Nothing more can reach them while the answers are withheld.
sleep 1
at_peer_mail=$(smtp_mail_count) at_peer_sms=$(hung)
assert_eq "$CONNECTIONS" "$at_peer_mail" "one email per connection reached the server"
assert_eq "$CONCURRENCY" "$at_peer_sms" "one request per slot reached the gateway"
dead=$(bb_sql "SELECT max(id) FROM daemons")
journal=$(ls "$BB_DIR" | grep -c '^budbringer-wire-')
assert_eq 1 "$journal" "the daemon keeps its wire journal beside the database (or in journal_directory)"
bb_kill9
held=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sending' AND claimed_by = $dead")
note "the dead daemon held $held messages"
assert_num -gt "$held" $((CONNECTIONS + CONCURRENCY)) "it held more than the peers have"

smtp_faults '{}' || fail "smtp faults off"
# Atomically (a new file), then through the control route as well: no
# request of the restarted daemon may see the file half written.
printf '%s' '{"mode": "ok"}' >"$RESTGW_CONTROL.new" && mv -f "$RESTGW_CONTROL.new" "$RESTGW_CONTROL"
restgw_config '{"mode": "ok"}' || fail "gateway config"
bb_start
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages WHERE state IN ('queued', 'sending')\") -eq 0 ]" 60 "$BB_PID" ||
	fail "every message settled after the restart"
bb_stop 10

unk_mail=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'email' AND state = 'unknown'")
unk_sms=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state = 'unknown'")
assert_eq "$at_peer_mail" "$unk_mail" "unknown emails: exactly those on the wire at the kill"
assert_eq "$at_peer_sms" "$unk_sms" "unknown SMS: exactly those on the wire at the kill"
assert_eq $((2 * N - at_peer_mail - at_peer_sms)) \
	"$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")" "every other message was sent"
back=$(bb_sql "SELECT count(*) FROM message_events WHERE state = 'queued' AND detail LIKE 'claimed but not yet sent%'")
# (an answer the daemon had but not yet recorded is in the journal too)
answered=$(bb_sql "SELECT count(*) FROM message_events WHERE detail LIKE 'accepted by the provider before%'")
assert_eq $((held - at_peer_mail - at_peer_sms)) $((back + answered)) \
	"the rest the dead daemon held went back to the queue ($back) or was recorded as answered ($answered)"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent' AND attempts <> 1")" \
	"with the attempt of the claim given back: each sent message counts one"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages m WHERE state = 'unknown' AND NOT EXISTS
	(SELECT 1 FROM message_events e WHERE e.message_id = m.id AND e.detail LIKE '%not resent%')")" \
	"each unknown message says it was in flight and was not resent"
assert_no_output "no journal left after a clean stop" find "$BB_DIR" -maxdepth 1 -name 'budbringer-wire-*'

# What the peers received: each address once.
assert_eq "$N" "$(smtp_mail_count)" "the SMTP server got $N emails"
assert_no_output "no address got two" bash -c "ls '$SMTP_MAILDIR' | grep '\\.eml\$' | sed 's/^[0-9]*-//' | sort | uniq -d"
accepted=$(jsonl_select "$RESTGW_LOG" 'r["json"]["recipients"][0]["msisdn"]' 'r["kind"] == "request" and r["accepted"]')
assert_eq "$N" "$(echo "$accepted" | sort -u | wc -l)" "the gateway took $N numbers"
assert_eq "$N" "$(echo "$accepted" | wc -l)" "and no number twice"
done_testing
