#!/bin/bash
# SPDX-License-Identifier: MIT
# SMTP faults against a real server (aiosmtpd with STARTTLS): 421 at the
# greeting (the message stays queued, attempts and not_before move on, the
# 421 is in its events), 451 after DATA, 552 at DATA, a server that stops
# answering in the middle of DATA before storing the message, one that
# stores it and then never answers (see the KNOWN DEVIATION there), and a
# TLS failure (a certificate we do not trust). Each ends in the right state
# with the right retries, every message but the stored-then-silent one
# arrives at most once, and the daemon keeps serving /healthz and inbound
# SMS throughout.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/smtp.sh"

require_cmd sqlite3 curl openssl
smtp_start "$TEST_TMPDIR/smtp" --starttls || die "smtp server did not start"
make_cert "$TEST_TMPDIR/other" >/dev/null 2>&1 || die "cannot make a second certificate"
other_cert=$TEST_TMPDIR/other/cert.pem
email_conf() { # email_conf CA_FILE
	echo "provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; max_attempts = 20;
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"required\"; timeout = 3;
	         connections = 1; messages_per_session = 10; ca_file = \"$1\"; verify_peer = true; };"
}
BB_EMAIL=$(email_conf "$SMTP_CERT")
BB_SMS_EXTRA='backoff_initial = 2; backoff_max = 2;'
BB_CAMPAIGNS='frequency_cap = 0;'
bb_config
bb init >/dev/null || die "init"
n=0
campaign() { # campaign ADDRESS… : one opportunity for exactly these new subscribers
	n=$((n + 1))
	for a in "$@"; do
		bb subscriber add --email "$a" --lang da --interest "$(echo sport culture social nature scouting events children elderly integration faith | cut -d' ' -f$n)" \
			--consent test >/dev/null || die "subscriber $a"
	done
	bb opportunity add --title "da=Test $n" --summary "da=Fejltest $n." --interest \
		"$(echo sport culture social nature scouting events children elderly integration faith | cut -d' ' -f$n)" --url https://x.example/o --publish >/dev/null
}
state_of() { bb_sql "SELECT state FROM messages WHERE recipient = '$1'"; }
received() { count_files "$SMTP_MAILDIR" "*-$1.eml"; }
alive() {
	assert_http 200 "$BB_URL/healthz" "$1: /healthz answers"
	assert_http 200 "$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=%2B4520000099&to=1234&text=HJ%C3%86LP&id=$1-$RANDOM" \
		"$1: inbound SMS still handled"
}
bb_start

# --- 421 at the greeting: mail waits, then goes once ---
smtp_faults '{"mode": "greeting421"}'
campaign greet1@example.dk greet2@example.dk
deferrals() { # deferrals ADDRESS: 421 deferrals recorded for it
	bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
		WHERE m.recipient = '$1' AND e.state = 'queued' AND e.detail LIKE '%421 4.3.2%'"
}
snapshot() { # snapshot ADDRESS: state|attempts|deferrals|not_before - at of its last 421 deferral|not_before
	bb_sql "SELECT m.state || '|' || m.attempts || '|' || count(*) || '|' || (m.not_before - max(e.at))
		|| '|' || m.not_before
		FROM messages m JOIN message_events e ON e.message_id = m.id
		WHERE m.recipient = '$1' AND e.state = 'queued' AND e.detail LIKE '%421 4.3.2%'
		GROUP BY m.id, m.state, m.attempts, m.not_before"
}
# One statement reads the state with the deferrals it follows, so a retry
# that came between the wait and the read cannot skew it.
wait_until "[ \$(deferrals greet1@example.dk) -ge 1 ]" 20 "$BB_PID" || fail "421 at greeting: deferred"
s1=$(snapshot greet1@example.dk)
n1=$(cut -d'|' -f3 <<<"$s1")
wait_until "[ \$(deferrals greet1@example.dk) -gt ${n1:-0} ]" 20 "$BB_PID" || fail "421 at greeting: tried again, deferred again"
s2=$(snapshot greet1@example.dk)
alive greeting421
# Backoff is 1-2 s (backoff_initial = backoff_max = 2, jitter over the upper half).
assert_match "$s1" "^queued\|$n1\|$n1\|[12]\|" "421 at greeting: queued after each try, one attempt per deferral, not_before 1-2 s after the last ($s1)"
n2=$(cut -d'|' -f3 <<<"$s2")
assert_match "$s2" "^queued\|$n2\|$n2\|[12]\|" "421 at greeting: still queued after the next, its attempt counted, a new not_before ($s2)"
assert_num -gt "${s2##*|}" "${s1##*|}" "421 at greeting: not_before moved on"
assert_eq "not sent: server said: 421 4.3.2 service not available, try later" \
	"$(bb_sql "SELECT detail FROM message_events e JOIN messages m ON m.id = e.message_id
		WHERE m.recipient = 'greet1@example.dk' AND e.state = 'queued' ORDER BY e.id DESC LIMIT 1")" \
	"421 at greeting: the event records the server's answer"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.recipient LIKE 'greet_@example.dk' AND e.state NOT IN ('queued', 'sending')")" \
	"421 at greeting: neither message was marked sent or failed meanwhile"
smtp_faults '{"rules": []}'
wait_until "[ \"\$(state_of greet2@example.dk)\" = sent ] && [ \"\$(state_of greet1@example.dk)\" = sent ]" 30 "$BB_PID" ||
	fail "421 at greeting: sent once the server greets again"
assert_eq 1 "$(received greet1@example.dk)" "421 at greeting: delivered exactly once"

# --- 451 after DATA, once: retried and delivered once ---
smtp_faults '{"rules": [{"stage": "data", "match": "data451*", "code": 451, "text": "4.7.1 try again later", "times": 1}]}'
campaign data451@example.dk
wait_until "[ \"\$(state_of data451@example.dk)\" = sent ]" 30 "$BB_PID" || fail "451 after DATA: retried and sent"
assert_eq 1 "$(received data451@example.dk)" "451 after DATA: delivered exactly once"
assert_contains "$(bb_sql "SELECT detail FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.recipient = 'data451@example.dk' ORDER BY e.id")" \
	"451" "451 after DATA: the server's answer is in the event log"

# --- 552 at DATA: bounced with the reason, not retried, the address kept
# (5.3.4 is about the message, not the address) ---
smtp_faults '{"rules": [{"stage": "data", "match": "big552*", "code": 552, "text": "5.3.4 message too big"}]}'
campaign big552@example.dk
wait_until "[ \"\$(state_of big552@example.dk)\" = bounced ]" 30 "$BB_PID" || fail "552: bounced"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM suppressions WHERE reason = 'bounce'")" \
	"552: the address is not suppressed (the refusal named the message, not the address)"
assert_contains "$(bb_sql "SELECT reason FROM messages WHERE recipient = 'big552@example.dk'")" "552" "552: the reason names the code"
assert_eq 1 "$(bb_sql "SELECT attempts FROM messages WHERE recipient = 'big552@example.dk'")" "552: tried once, not retried"

# --- the server stops answering after DATA (client timeout) ---
# From the client's side the message and its final dot went out and no
# answer came: the server may have it (here it did not keep it). SMTP takes
# no idempotency key, so SPEC.md applies ("never sent twice ... not
# blindly resent ... `unknown` unless its provider took an idempotency
# key"): one attempt, state `unknown`, no resend.
smtp_faults '{"rules": [{"stage": "data", "match": "stall*", "code": 451, "text": "late", "times": 1, "delay": 8, "close": true}]}'
campaign stall@example.dk
sleep 2
alive stalled-data
wait_until "[ \"\$(state_of stall@example.dk)\" = unknown ]" 40 "$BB_PID" || fail "stalled DATA: unknown"
assert_contains "$(bb_sql "SELECT reason FROM messages WHERE recipient = 'stall@example.dk'")" \
	"no answer after the message data (the server may have it)" "stalled DATA: the reason says why it is unknown"

# --- the server STORES the message, then never answers the final dot ---
# The truly ambiguous case: the server has it, the client never hears so.
smtp_faults '{"rules": [{"stage": "data", "match": "stored*", "store": true, "code": 250, "text": "2.0.0 Ok (too late)", "times": 1, "delay": 8, "close": true}]}'
campaign stored@example.dk
wait_until "case \$(state_of stored@example.dk) in sent|unknown|failed) true;; *) false;; esac" 30 "$BB_PID" ||
	fail "stored, then no answer: the message settled"
assert_eq 1 "$(grep -c '"event": "data", .*"rcpt_tos": \["stored@example.dk"\].*"stored": true' "$SMTP_LOG")" \
	"stored, then no answer: the server stored it before stalling"
sleep 3 # longer than the backoff: a resend would have happened by now
for who in stall stored; do
	assert_eq "unknown|1" "$(bb_sql "SELECT state || '|' || attempts FROM messages WHERE recipient = '$who@example.dk'")" \
		"$who, then no answer: unknown after one attempt, not retried"
done
assert_eq 0 "$(received stall@example.dk)" "stalled DATA: the server kept nothing and nothing was resent"
assert_eq 1 "$(received stored@example.dk)" "stored, then no answer: one copy at the server, not resent"

# Staff resend an unknown message by hand (SPEC: "resendable by hand"); one
# whose subscriber has since withdrawn consent is refused, as is a sent one.
id_of() { bb_sql "SELECT id FROM messages WHERE recipient = '$1'"; }
out=$(bb resend "$(id_of stall@example.dk)" 2>&1)
assert_contains "$out" "queued again" "resend: the unknown message is queued again"
wait_until "[ \"\$(state_of stall@example.dk)\" = sent ]" 30 "$BB_PID" || fail "resend: sent"
assert_eq 1 "$(received stall@example.dk)" "resend: delivered once"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'message.resend'
	AND subject = 'message:$(id_of stall@example.dk)'")" "resend: in the audit log"
bb_sql "UPDATE subscribers SET email_consent = 0 WHERE email = 'stored@example.dk'"
out=$(bb resend "$(id_of stored@example.dk)" 2>&1); rc=$?
assert_eq 1 "$rc" "resend refused: exit code 1"
assert_contains "$out" "is no longer wanted (unsubscribed, email)" "resend refused: withdrawn consent is named"
assert_eq unknown "$(state_of stored@example.dk)" "resend refused: the message stays unknown"
out=$(bb resend "$(id_of stall@example.dk)" 2>&1)
assert_contains "$out" "is sent: only unknown messages are resent" "resend refused: a sent message"

# --- consent withdrawn while the message is out: it is not retried ---
# A STOP or unsubscribe cancels the queued messages; one the server is
# holding at that moment comes back with a 451 and must not be queued again.
smtp_faults '{"rules": [{"stage": "data", "match": "withdrawn*", "code": 451, "text": "4.3.0 try later", "times": 1, "delay": 1.5}]}'
campaign withdrawn@example.dk
wait_until "[ \"\$(state_of withdrawn@example.dk)\" = sending ]" 20 "$BB_PID" || fail "withdrawn: the message went out"
bb_sql "UPDATE subscribers SET email_consent = 0 WHERE email = 'withdrawn@example.dk'"
wait_until "[ \"\$(state_of withdrawn@example.dk)\" = cancelled ]" 20 "$BB_PID" ||
	fail "withdrawn: cancelled, not queued again ($(state_of withdrawn@example.dk))"
sleep 3 # longer than the backoff: a retry would have happened
assert_eq "cancelled|unsubscribed|1" "$(bb_sql "SELECT state || '|' || reason || '|' || attempts FROM messages
	WHERE recipient = 'withdrawn@example.dk'")" "withdrawn: cancelled with the reason after one attempt"
assert_eq 0 "$(received withdrawn@example.dk)" "withdrawn: nothing reached the server"

# --- a reload in the middle of a slow campaign ---
# Emails still waiting for the worker were never sent: the reload hands
# them back to the queue instead of leaving them `unknown`.
smtp_faults '{"rules": [{"stage": "data", "match": "slow*", "store": true, "code": 250, "text": "2.0.0 Ok", "delay": 0.5}]}'
campaign slow1@example.dk slow2@example.dk slow3@example.dk slow4@example.dk slow5@example.dk \
	slow6@example.dk slow7@example.dk slow8@example.dk slow9@example.dk slow10@example.dk
slow_received() { count_files "$SMTP_MAILDIR" '*-slow*@example.dk.eml'; }
wait_until "[ \$(slow_received) -ge 2 ]" 30 "$BB_PID" || fail "slow campaign: started"
reloads=$(grep -c 'configuration reloaded' "$BB_LOG")
kill -HUP "$BB_PID"
wait_until "[ \$(grep -c 'configuration reloaded' '$BB_LOG') -gt $reloads ]" 20 "$BB_PID" || fail "slow campaign: reloaded"
assert_num -lt "$(slow_received)" 10 "slow campaign: the reload came while emails were waiting"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE recipient LIKE 'slow%' AND state IN ('queued','sending')\")\" = 0 ]" 60 "$BB_PID" ||
	fail "slow campaign: settled"
assert_eq "sent|10" "$(bb_sql "SELECT state || '|' || count(*) FROM messages WHERE recipient LIKE 'slow%' GROUP BY state")" \
	"slow campaign: all 10 sent, none left unknown by the reload"
assert_eq 10 "$(slow_received)" "slow campaign: each email reached the server once"
assert_num -ge "$(bb_sql "SELECT count(*) FROM message_events WHERE detail LIKE 'not sent: the daemon stopped or reloaded%'")" 1 \
	"slow campaign: the waiting ones were handed back, as the event log says"

# --- STOP while the email already waits in the worker's queue ---
# An unsubscribe cancels the queued messages; one the SMTP worker holds
# but has not started on is called back within a poll interval.
smtp_faults '{"rules": [{"stage": "data", "match": "wait*", "store": true, "code": 250, "text": "2.0.0 Ok", "delay": 0.5}]}'
campaign wait1@example.dk wait2@example.dk wait3@example.dk wait4@example.dk wait5@example.dk \
	wait6@example.dk wait7@example.dk wait8@example.dk
wait_received() { count_files "$SMTP_MAILDIR" "*-$1@example.dk.eml"; }
wait_until "[ \$(wait_received 'wait[0-9]') -ge 1 ]" 30 "$BB_PID" || fail "waiting: the campaign started"
assert_eq sending "$(state_of wait8@example.dk)" "waiting: the last email is with the worker, not sent yet"
bb_sql "UPDATE subscribers SET email_consent = 0 WHERE email = 'wait8@example.dk'"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE recipient LIKE 'wait%' AND state IN ('queued','sending')\")\" = 0 ]" 30 "$BB_PID" ||
	fail "waiting: settled"
assert_eq "cancelled|unsubscribed" "$(bb_sql "SELECT state || '|' || reason FROM messages WHERE recipient = 'wait8@example.dk'")" \
	"waiting: the unsubscribed one was called back and cancelled"
assert_eq 0 "$(wait_received wait8)" "waiting: it never reached the server"
assert_eq 7 "$(wait_received 'wait[1-7]')" "waiting: the others were sent"
alive stored-stall

# --- TLS failure: a certificate we do not trust ---
smtp_faults '{"rules": []}'
if [ -n "$other_cert" ]; then
	bb_stop 5
	BB_EMAIL=$(email_conf "$other_cert")
	bb_config
	bb_start
	campaign tls@example.dk
	wait_until "grep -qi 'not accepted' '$BB_LOG'" 20 "$BB_PID" || fail "TLS failure is logged"
	sleep 3
	assert_eq 0 "$(received tls@example.dk)" "TLS failure: nothing sent in clear or to an untrusted server"
	assert_eq "queued" "$(state_of tls@example.dk)" "TLS failure: the message waits"
	alive tls-failure
	sed -i "s|ca_file = \"$other_cert\"|ca_file = \"$SMTP_CERT\"|" "$BB_CONF"
	kill -HUP "$BB_PID"
	wait_until "[ \"\$(state_of tls@example.dk)\" = sent ]" 30 "$BB_PID" || fail "TLS fixed by reload: sent"
	assert_eq 1 "$(received tls@example.dk)" "TLS fixed: delivered exactly once"
else
	fail "make_cert produced no certificate file"
fi
bb_stop 5
done_testing
