#!/bin/bash
# SPDX-License-Identifier: MIT
# Three budbringerd on one PostgreSQL database share a two-channel campaign
# to real Kannel and a real SMTP server: daemon A is killed with SIGKILL
# five times (and restarted), PostgreSQL itself is restarted under them,
# and daemon B stops with SIGTERM and hands over (C runs throughout). Afterwards every
# subscriber got exactly one SMS and one email: nothing twice at the peers,
# nothing left behind, `unknown` only for what a dead daemon held, and the
# provider's rate held for the service as a whole.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

if [ "$BB_ENGINE" != postgresql ]; then
	note "several daemons share a PostgreSQL database: this runs in the PostgreSQL pass"
	done_testing
fi
. "$(dirname "$0")/../lib/kannel.sh"
. "$(dirname "$0")/../lib/smtp.sh"
require_cmd curl
N=${CLUSTER_SUBSCRIBERS:-1500}   # each has a phone and an email: 2 × N messages
RATE=60                          # per second, per provider, for the whole service
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
smtp_start "$TEST_TMPDIR/smtp" || die "smtp server did not start"
BB_SMS_PROVIDERS="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 0;
	concurrency = 8; connect_timeout = 2; timeout = 5; rate = $RATE; }"
BB_SMS_EXTRA='max_attempts = 50; backoff_initial = 1; backoff_max = 2;'
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; max_attempts = 50;
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5;
	         connections = 2; messages_per_session = 50; rate = $RATE; };"
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 100;'

# One config, port and log per daemon; the rest is shared.
port_b=$(free_port) port_c=$(free_port)
BB_CONF=$BB_DIR/a.conf bb_config
BB_CONF=$BB_DIR/b.conf BB_HTTP_PORT=$port_b BB_URL=http://127.0.0.1:$port_b bb_config
BB_CONF=$BB_DIR/c.conf BB_HTTP_PORT=$port_c BB_URL=http://127.0.0.1:$port_c bb_config
BB_CONF=$BB_DIR/a.conf
bb init >/dev/null || die "init"
start() {   # start a|b|c: sets PID_A, PID_B or PID_C
	local pid
	BB_CONF=$BB_DIR/$1.conf BB_LOG=$BB_DIR/$1.log bb_start
	pid=$BB_PID
	BB_PID=""
	case $1 in a) PID_A=$pid ;; b) PID_B=$pid ;; c) PID_C=$pid ;; esac
}
daemon_id() { bb_sql "SELECT id FROM daemons WHERE pid = $1"; }

now=$(date +%s) langs=(da en ar)
for ((i = 0; i < N; i++)); do
	printf '+4571%06d\tk%d@example.dk\t%s\tactive\t1\t%d\ttest\t1\t%d\ttest\t%d\t%d\n' \
		"$i" "$i" "${langs[i % 3]}" "$now" "$now" "$now" "$now"
done | bb_sql_insert subscribers phone email lang status sms_consent sms_consent_at \
	sms_consent_source email_consent email_consent_at email_consent_source created_at updated_at ||
	die "cannot add the subscribers"
bb opportunity add --title "da=Fælles" --summary "da=To dæmoner." --title "ar=مشترك" \
	--summary "ar=اختبار." --title "en=Shared" --summary "en=Two daemons." \
	--url https://x.example/o >/dev/null
start a
start b
start c
assert_eq 3 "$(bb_sql "SELECT count(*) FROM daemons")" "the three daemons are in the registry"
t0=$(date +%s.%N)
bb opportunity publish 1 >/dev/null
total=$((2 * N))
settled() { bb_sql "SELECT count(*) FROM messages WHERE state NOT IN ('queued', 'sending')"; }
progress() {   # progress PERCENT: wait until that share of the campaign is settled
	WAIT_INTERVAL=0.05 wait_until "[ \$(settled) -ge $((total * $1 / 100)) ]" 90 ||
		fail "the campaign did not reach $1 %"
}

# The rate is the service's: with the three daemons undisturbed, the first
# 40 % of the SMS cannot arrive faster than RATE allows (less two seconds of
# burst). Taken before the kills: the 15 s until a dead daemon's claims are
# settled would otherwise stretch any run past the bound.
sms_sent() { bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state = 'sent'"; }
WAIT_INTERVAL=0.05 wait_until "[ \$(sms_sent) -ge $((N * 40 / 100)) ]" 90 || fail "the SMS did not start"
t_rate=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t_rate" 'BEGIN { printf "%.1f", b - a }')
note "three daemons sent $((N * 40 / 100)) SMS in ${elapsed}s at rate $RATE/s"
assert_num -ge "${elapsed%.*}" "$((N * 40 / 100 / RATE - 2))" "three daemons together kept to rate = $RATE"

held=0
for k in 1 2 3 4 5; do
	progress $((40 + k * 6))
	id_a=$(daemon_id "$PID_A")
	# Kill it with messages in its hands when we can catch that moment
	# (a claim lasts milliseconds), so that the others must settle them.
	WAIT_INTERVAL=0.01 wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages
		WHERE state = 'sending' AND claimed_by = $id_a\") -gt 0 ]" 5 2>/dev/null
	kill -KILL "$PID_A"; wait_until "! pid_alive $PID_A" 5
	n=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sending' AND claimed_by = $id_a")
	held=$((held + n))
	note "kill $k of daemon A ($id_a): $(settled) of $total settled, $n claimed by it"
	assert_num -lt "$(settled)" "$total" "kill $k landed while the campaign was going"
	start a
done

progress 74
pg_restart || fail "PostgreSQL did not restart"
note "PostgreSQL restarted under the daemons at $(settled) of $total"
progress 78
assert_cmd "pid_alive $PID_A && pid_alive $PID_B && pid_alive $PID_C" "the daemons outlived the PostgreSQL restart"

id_b=$(daemon_id "$PID_B")
stop_pid "$PID_B" 10 TERM || fail "daemon B needed SIGKILL"
assert_num -lt "$(settled)" "$total" "daemon B stopped while the campaign was going"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sending' AND claimed_by = $id_b")" \
	"daemon B stopped with SIGTERM and left no claim behind"
assert_no_output "… and left the registry" bb_sql "SELECT id FROM daemons WHERE id = $id_b"

# A and C finish, and settle what the killed instances held once they
# are 15 s silent.
WAIT_INTERVAL=0.2 wait_until "[ \$(settled) -eq $total ]" 180 "$PID_C" ||
	fail "all $total messages settled"
stop_pid "$PID_A" 10 TERM || fail "daemon A needed SIGKILL"
stop_pid "$PID_C" 10 TERM || fail "daemon C needed SIGKILL"

assert_eq "$total" "$(bb_sql "SELECT count(*) FROM messages")" "every subscriber got exactly one message per channel"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM campaigns")" "the opportunity became one campaign however many daemons polled"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state NOT IN ('sent','delivered','failed','unknown')")" \
	"every message is in one final state"
unknown=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'unknown'")
note "unknown after 5 kills: $unknown; claimed by the killed daemons: $held"
assert_num -gt "$held" 0 "the kills left claims for the other daemons to settle"
assert_num -le "$unknown" "$held" "only what a killed daemon held became unknown"
assert_eq "$unknown" "$(bb_sql "SELECT count(DISTINCT message_id) FROM message_events WHERE state = 'unknown' AND detail LIKE '%not resent%'")" \
	"each unknown message says it was in flight and was not resent"
sent_a=$(grep -c 'message sent msg=' "$BB_DIR/a.log")
sent_b=$(grep -c 'message sent msg=' "$BB_DIR/b.log")
sent_c=$(grep -c 'message sent msg=' "$BB_DIR/c.log")
note "sent by A: $sent_a, by B: $sent_b, by C: $sent_c"
assert_num -gt "$sent_c" 0 "daemon C sent part of the campaign"
assert_num -gt "$sent_b" 0 "daemon B sent part of the campaign"
assert_num -gt "$sent_a" 0 "daemon A sent part of the campaign"
assert_eq 0 "$(cat "$BB_DIR/a.log" "$BB_DIR/b.log" "$BB_DIR/c.log" | sed -n 's/.*message sent msg=\([0-9]*\) .*/\1/p' | sort | uniq -d | wc -l)" \
	"no message was sent by two daemons"

sms_dups=$(kannel_mt_messages | cut -f1 | sort | uniq -d | wc -l)
sms_got=$(kannel_mt_messages | cut -f1 | sort -u | wc -l)
mail_dups=$(ls "$SMTP_MAILDIR" | grep '\.eml$' | sed 's/^[0-9]*-//' | sort | uniq -d | wc -l)
mail_got=$(ls "$SMTP_MAILDIR" | grep -c '\.eml$')
assert_eq 0 "$sms_dups" "no phone received the SMS twice"
assert_eq 0 "$mail_dups" "no address received the email twice"
sent_sms=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state IN ('sent','delivered')")
sent_mail=$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'email' AND state IN ('sent','delivered')")
assert_num -ge "$sms_got" "$sent_sms" "fakesmsc got every SMS recorded as sent"
assert_num -ge "$mail_got" "$sent_mail" "the SMTP server got every email recorded as sent"
done_testing
