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
#
# The wire journal (src/wire.c) bounds that: after each kill the messages
# the restart leaves `unknown` are at most those that could be on the wire
# at that moment — for SMTP, connections × 2 (smtp_session.c's feed()
# keeps at most two messages in libESMTP's list, the one in progress and
# the next, and only a message whose DATA has begun counts), for the
# Kannel provider its `concurrency` — and every other message the dead
# daemon held goes back to the queue.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"
. "$(dirname "$0")/../lib/smtp.sh"

require_cmd sqlite3 curl
N=${CRASH_SUBSCRIBERS:-2500}   # each has a phone and an email: 2 × N messages
KILLS=${CRASH_KILLS:-10}
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
smtp_start "$TEST_TMPDIR/smtp" || die "smtp server did not start"

SMS_CONCURRENCY=8 SMTP_CONNECTIONS=2 SMTP_PIPELINE=2
BB_SMS_PROVIDERS="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 0;
	concurrency = $SMS_CONCURRENCY; connect_timeout = 2; timeout = 5; rate = 100; }"
BB_SMS_EXTRA='max_attempts = 50; backoff_initial = 1; backoff_max = 2;'
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; max_attempts = 50;
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5;
	         connections = $SMTP_CONNECTIONS; messages_per_session = 50; rate = 100; };"
# 100 messages/s a channel: the daemon sends while the test restarts it,
# so unlimited it could finish the campaign before the last kills.
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 20;'
# On PostgreSQL there is no database file to keep the journal beside.
[ "$BB_ENGINE" = postgresql ] && BB_ROOT_EXTRA="journal_directory = \"$BB_DIR\";"
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
# What each dead daemon held ("KILL ID" lines): SQLite settles it before
# the restart is ready, PostgreSQL only once the dead daemon's heartbeat
# is CLUSTER_DEAD_AFTER old, so the bound is checked at the end, each
# message that recovery made `unknown` counted for the last kill that
# found it held (an earlier recovery had put it back in the queue).
HELD=$TEST_TMPDIR/held
: >"$HELD"
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
	dead=$(bb_sql "SELECT max(id) FROM daemons")
	bb_kill9
	after_kill=$(expanded)
	# What the dead daemon held: claimed, handed over, answer not recorded.
	held=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sending' AND claimed_by = $dead")
	in_flight=$((in_flight + held))
	bb_sql "SELECT id FROM messages WHERE state = 'sending' AND claimed_by = $dead" | sed "s/^/$k /" >>"$HELD"
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
# The bound, kill by kill.
bb_sql "SELECT DISTINCT e.message_id, m.channel FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE e.state = 'unknown' AND e.detail LIKE 'in flight when the daemon stopped%'" >"$TEST_TMPDIR/unknown"
per_kill=$(awk -F'[ |]' 'NR == FNR { last[$2] = $1; next }
	{ k = ($1 in last) ? last[$1] : "none"; n[k " " $2]++ }
	END { for (x in n) print x, n[x] }' "$HELD" "$TEST_TMPDIR/unknown")
assert_eq 0 "$(echo "$per_kill" | awk '$1 == "none" { n += $3 } END { print n + 0 }')" \
	"every message recovery made unknown was held by a daemon that was killed"
for k in $(seq 1 "$KILLS"); do
	n_mail=$(echo "$per_kill" | awk -v k="$k" '$1 == k && $2 == "email" { print $3 }')
	n_sms=$(echo "$per_kill" | awk -v k="$k" '$1 == k && $2 == "sms" { print $3 }')
	n_held=$(awk -v k="$k" '$1 == k' "$HELD" | wc -l)
	note "kill $k: held $n_held, left unknown: ${n_mail:-0} emails, ${n_sms:-0} SMS"
	assert_num -le "${n_mail:-0}" $((SMTP_CONNECTIONS * SMTP_PIPELINE)) \
		"kill $k: unknown emails (${n_mail:-0}) at most connections × pipelined messages"
	assert_num -le "${n_sms:-0}" "$SMS_CONCURRENCY" \
		"kill $k: unknown SMS (${n_sms:-0}) at most the provider's concurrency"
done
requeued=$(bb_sql "SELECT count(*) FROM message_events WHERE state = 'queued' AND detail LIKE 'claimed but not yet sent%'")
assert_num -gt "$requeued" 0 "recovery put back in the queue what had not gone out ($requeued messages)"
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
