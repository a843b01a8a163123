#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash safety with real peers: a 5,000-message campaign over both channels
# (SMS through real Kannel to fakesmsc, email over SMTP to aiosmtpd) while
# budbringerd is killed with SIGKILL at 10 random moments — mid-expansion,
# mid-SMTP session, mid-dispatch — and restarted each time. Afterwards every
# message is in exactly one final state, nothing is left queued or sending,
# no recipient received the same campaign message twice (counted at the
# peers), and messages in flight at a kill are `unknown` (these gateways
# take no idempotency key), never resent blindly.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"
. "$(dirname "$0")/../lib/smtp.sh"

require_cmd sqlite3 curl
N=${CRASH_SUBSCRIBERS:-2500}   # each has a phone and an email: 2 × N messages
KILLS=${CRASH_KILLS:-10}
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
smtp_start "$TEST_TMPDIR/smtp" || die "smtp server did not start"

BB_SMS_PROVIDERS="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 0;
	concurrency = 8; connect_timeout = 2; timeout = 5; rate = 100; }"
BB_SMS_EXTRA='max_attempts = 50; backoff_initial = 1; backoff_max = 2;'
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; max_attempts = 50;
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5;
	         connections = 2; messages_per_session = 50; rate = 100; };"
# 100 messages/s a channel: the daemon sends while the test restarts it,
# so unlimited it could finish the campaign before the last kills.
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 20;'
bb_config
bb init >/dev/null || die "init"
now=$(date +%s) langs=(da en ar)
for ((i = 0; i < N; i++)); do
	printf '+4570%06d\tc%d@example.dk\t%s\tactive\t1\t%d\ttest\t1\t%d\ttest\t%d\t%d\n' \
		"$i" "$i" "${langs[i % 3]}" "$now" "$now" "$now" "$now"
done | bb_sql_insert subscribers phone email lang status sms_consent sms_consent_at \
	sms_consent_source email_consent email_consent_at email_consent_source created_at updated_at ||
	die "cannot add the subscribers"
bb opportunity add --title "da=Nedbrud" --summary "da=Test af nedbrud." --title "ar=انهيار" \
	--summary "ar=اختبار." --title "en=Crash" --summary "en=Crash test." \
	--url https://x.example/o >/dev/null
bb_start
bb opportunity publish 1 >/dev/null
total=$((2 * N))
done_count() { bb_sql "SELECT count(*) FROM messages WHERE state NOT IN ('queued', 'sending')"; }
expanded() { bb_sql "SELECT count(*) FROM messages"; }
prev=0 in_flight=0
for k in $(seq 1 "$KILLS"); do
	if [ "$k" -le 2 ]; then
		# The first kills land in the middle of the expansion.
		WAIT_INTERVAL=0.01 wait_until "[ \$(expanded) -gt $(( (k - 1) * total / 3 )) ]" 30 "$BB_PID" ||
			fail "kill $k: the expansion did not progress"
	else
		# Then spread over the sending: each kill once a further 5 % is
		# settled since the last one.
		WAIT_INTERVAL=0.01 wait_until "[ \$(done_count) -gt $((prev + total / 20)) ]" 60 "$BB_PID" ||
			fail "kill $k: sending did not progress"
	fi
	before=$(done_count)
	prev=$before
	bb_kill9
	after_kill=$(expanded)
	# What the dead daemon held: claimed, handed over, answer not recorded.
	held=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sending'")
	in_flight=$((in_flight + held))
	note "kill $k: $before of $total messages settled, $after_kill expanded, $held in flight"
	if [ "$k" -le 2 ]; then
		assert_num -lt "$after_kill" "$total" "kill $k landed mid-expansion"
	else
		assert_num -lt "$before" "$total" "kill $k landed while messages were in flight"
	fi
	bb_start
done
wait_until "[ \$(done_count) -eq $total ]" 180 "$BB_PID" || fail "all $total messages settled after the kills"
sleep 2
bb_stop 10

assert_eq "$total" "$(bb_sql "SELECT count(*) FROM messages")" "every subscriber got exactly one message per channel"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state IN ('queued','sending')")" "nothing left queued or sending"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state NOT IN ('sent','delivered','failed','unknown')")" \
	"every message is in one final state (sent, delivered, failed or unknown)"
unknown=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'unknown'")
note "unknown after $KILLS kills: $unknown"
# Without work in flight the kills would prove nothing about recovery.
assert_num -gt "$in_flight" 0 "the kills left work in flight ($in_flight messages claimed in all)"
assert_num -gt "$unknown" 0 "recovery settled what was in flight: some messages are unknown"
assert_num -le "$unknown" "$in_flight" "and only what was in flight is unknown"

# What the peers received.
sms_dups=$(kannel_mt_messages | cut -f1 | sort | uniq -d | wc -l)
sms_got=$(kannel_mt_messages | cut -f1 | sort -u | wc -l)
assert_eq 0 "$sms_dups" "no phone received the campaign SMS twice"
mail_dups=$(ls "$SMTP_MAILDIR" | grep '\.eml$' | sed 's/^[0-9]*-//' | sort | uniq -d | wc -l)
mail_got=$(ls "$SMTP_MAILDIR" | grep -c '\.eml$')
assert_eq 0 "$mail_dups" "no address received the campaign email twice"
sent_sms=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state IN ('sent','delivered')")
sent_mail=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'email' AND state IN ('sent','delivered')")
unk_sms=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state = 'unknown'")
unk_mail=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'email' AND state = 'unknown'")
# Every sent message arrived; an unknown one may or may not have.
assert_num -ge "$sms_got" "$sent_sms" "fakesmsc got every SMS recorded as sent ($sms_got ≥ $sent_sms)"
assert_num -le "$sms_got" "$((sent_sms + unk_sms))" "and nothing beyond sent + unknown"
assert_num -ge "$mail_got" "$sent_mail" "the SMTP server got every email recorded as sent ($mail_got ≥ $sent_mail)"
assert_num -le "$mail_got" "$((sent_mail + unk_mail))" "and nothing beyond sent + unknown"
assert_eq "$unknown" "$(bb_sql "SELECT count(DISTINCT message_id) FROM message_events WHERE state = 'unknown' AND detail LIKE '%not resent%'")" \
	"each unknown message says it was in flight and was not resent"
done_testing
