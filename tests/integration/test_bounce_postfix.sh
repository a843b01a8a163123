#!/bin/bash
# SPDX-License-Identifier: MIT
# Bounces made by a real Postfix: a private instance from Debian's package
# (tests/lib/postfix.sh: its own main.cf/master.cf and queue in the test's
# directory, smtpd on a free loopback port, no system service). The daemon's
# smtp provider submits to it; it relays example.org to a sink on loopback
# (aiosmtpd, tests/lib/smtp_server.py) that refuses hard* with 550 5.1.1 and
# soft* with 450; Postfix's own bounce daemon writes the DSNs to the VERP
# sender bounce+<id>@randers.example.dk, and a pipe transport for that domain
# (the README's lines) hands each to `budbringer bounce`:
#   - every hard-refused message ends `bounced` with the sink's words, its
#     address suppressed (bounce), one row in the bounces table;
#   - a soft-refused message whose queue lifetime runs out (40 s here) comes
#     back as Postfix's "failed" DSN with the 4.x.x status: the message is
#     bounced, the address counted as a soft bounce (not suppressed);
#   - accepted messages stay `sent`, their addresses not suppressed;
#   - the database busy while a DSN arrives (SQLite: another process holds
#     the write lock; PostgreSQL: the server stopped) makes the pipe exit 75,
#     Postfix keeps the DSN deferred and brings it again: applied once after.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/smtp.sh"
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 postfix
[ "$(id -u)" -eq 0 ] || die "this test runs a private Postfix, whose master needs root: run it as root (CI does)"

DOMAIN=randers.example.dk
# The pipe transport runs `budbringer bounce` as this unprivileged user
# (pipe(8) refuses root), as the README's user=budbringer does.
PIPE_USER=nobody

smtp_start "$TEST_TMPDIR/sink" || die "the sink did not start"
smtp_faults '{"rules": [
  {"stage": "rcpt", "match": "hard*", "code": 550, "text": "5.1.1 Recipient address rejected: User unknown in local recipient table"},
  {"stage": "rcpt", "match": "soft*", "code": 450, "text": "4.2.0 Recipient address rejected: Greylisted, try again later"},
  {"stage": "rcpt", "match": "late*", "code": 450, "text": "4.3.0 Mailbox busy, try again later"}]}' ||
	die "the sink's rules did not take"

bb_config_pipe() { # the command line of the README's pipe transport
	echo "flags=Rq user=$PIPE_USER argv=$BB_BIN/budbringer -c $BB_CONF bounce --recipient \${original_recipient}"
}
# Soft failures give up fast (maximal_queue_lifetime). DSNs live as long
# (bounce_queue_lifetime; qmgr caps it at maximal_queue_lifetime): longer
# than the CLI waits for a locked SQLite database (about 15 s) and a retry,
# or Postfix would drop the kept DSN. Deferred mail is tried again every
# few seconds.
PF_MAIN_EXTRA="mydestination = $DOMAIN
relay_domains = example.org
transport_maps = inline:{ example.org=smtp:[127.0.0.1]:$SMTP_PORT, $DOMAIN=budbringer: }
queue_run_delay = 1s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
maximal_queue_lifetime = 40s
bounce_queue_lifetime = 40s
delay_warning_time = 0h"
PF_MASTER_EXTRA="budbringer unix - n n - - pipe
  $(bb_config_pipe)"
pf_start "$TEST_TMPDIR/postfix" || die "the private Postfix did not start"

BB_EMAIL="provider = \"smtp\"; from = \"frivillig@$DOMAIN\"; domain = \"$DOMAIN\"; max_attempts = 5;
  smtp = { host = \"127.0.0.1\"; port = $PF_PORT; starttls = \"disabled\"; timeout = 10; connections = 1; };"
BB_ROOT_EXTRA='bounces = { soft_limit = 3; soft_days = 15; alert_min = 1000; };'
bb_config
bb init >/dev/null || die "budbringer init failed"
for a in hard1 hard2 soft1 late1 ok1 ok2; do
	bb subscriber add --email "$a@example.org" --lang da --consent "integration test" >/dev/null ||
		die "subscriber add $a"
done
# What the pipe user must reach: the config (mode 600, its own now) and,
# on SQLite, the database directory (SQLite, running as root in the daemon,
# gives new -wal/-shm files the database file's owner).
chown "$PIPE_USER" "$BB_CONF" || die "chown the config"
[ "$BB_ENGINE" = sqlite ] && { chown -R "$PIPE_USER" "$BB_DIR" || die "chown the database directory"; }
d=$BB_DIR
while [ "${#d}" -ge "${#TEST_TMPDIR}" ] && [ "$d" != / ]; do
	chmod o+x "$d"
	d=$(dirname "$d")
done
runuser -u "$PIPE_USER" -- "$BB_BIN/budbringer" -c "$BB_CONF" stats >/dev/null ||
	die "the pipe user cannot use the database"
bb_start

msg() { bb_sql "SELECT id FROM messages WHERE campaign_id = $1 AND recipient = '$2@example.org'"; }
state() { bb_sql "SELECT state FROM messages WHERE id = $1"; }
suppression() { bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash "$1")'"; }
bounce_rows() { bb_sql "SELECT via || '|' || kind || '|' || outcome FROM bounces WHERE message_id = $1 ORDER BY id" | paste -sd,; }
# The DSN Postfix made for message M, as its pipe delivery shows in the log.
dsn_lines() { grep -E "to=<bounce\+$1@$DOMAIN>, relay=budbringer,.*status=($2)" "$PF_LOG"; }

opp=$(bb --json opportunity add --title "da=Frivillige søges til juleløbet" --summary "da=Hjælp til løbet." \
	--url "https://frivillig.example.dk/o/1" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
wait_until "[ -n \"\$(bb_sql \"SELECT id FROM campaigns WHERE opportunity_id = $opp\")\" ]" 20 "$BB_PID" ||
	die "no campaign for opportunity $opp"
c=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp")
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $c AND state IN ('sent','bounced')\")\" -ge 6 ]" 30 "$BB_PID" ||
	die "the campaign's six emails did not reach Postfix: $(bb_sql "SELECT recipient, state, reason FROM messages WHERE campaign_id = $c")"
assert_eq 6 "$(pf_log_count "postfix/qmgr.*from=<bounce\+[0-9]+@$DOMAIN>")" \
	"Postfix queued six messages with the VERP envelope sender"

# Hard refusals: Postfix's DSN reaches budbringer bounce through the pipe.
for a in hard1 hard2; do
	m=$(msg "$c" $a)
	wait_until "[ \"\$(state $m)\" = bounced ]" 30 "$BB_PID" ||
		fail "$a: not bounced: $(state "$m"); $(grep "bounce+$m@" "$PF_LOG" | tail -3)"
	assert_eq bounced "$(state "$m")" "$a: the message is bounced by Postfix's DSN"
	assert_contains "$(bb_sql "SELECT reason FROM messages WHERE id = $m")" \
		"550 5.1.1 Recipient address rejected: User unknown in local recipient table" \
		"$a: the reason is the sink's words as Postfix reported them"
	assert_eq bounce "$(suppression "$a@example.org")" "$a: the address is suppressed (reason bounce)"
	assert_eq "mail|permanent|bounced" "$(bounce_rows "$m")" "$a: one bounce row, by mail, bounced"
	assert_eq 1 "$(dsn_lines "$m" sent | wc -l)" "$a: Postfix delivered its DSN to the pipe once"
	assert_eq 1 "$(pf_log_count "to=<$a@example.org>.*dsn=5\.1\.1, status=bounced")" \
		"$a: Postfix bounced it once with 5.1.1"
done

# The database busy while a DSN arrives. late1 was refused with 450 so far;
# with the database locked the sink now refuses it for good, Postfix's DSN
# finds the database unable to take it, and Postfix keeps the DSN.
late=$(msg "$c" late1)
wait_until "grep -q 'to=<late1@example.org>.*status=deferred' '$PF_LOG'" 20 "$PF_PID" ||
	die "Postfix did not defer late1"
if [ "$BB_ENGINE" = sqlite ]; then
	mkfifo "$TEST_TMPDIR/lock.fifo"
	sqlite3 "$BB_DB" <"$TEST_TMPDIR/lock.fifo" >"$TEST_TMPDIR/lock.out" 2>&1 &
	lock_pid=$!
	exec 7>"$TEST_TMPDIR/lock.fifo"
	on_exit "exec 7>&- 2>/dev/null; stop_pid $lock_pid"
	echo "BEGIN IMMEDIATE; INSERT INTO housekeeping(task, last_run) VALUES ('lock-test', 0);" >&7
	wait_until "! sqlite3 -cmd '.timeout 100' '$BB_DB' 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null" 10 ||
		die "the lock was not taken"
else
	pg_stop || die "PostgreSQL did not stop"
fi
smtp_faults '{"rules": [
  {"stage": "rcpt", "match": "hard*", "code": 550, "text": "5.1.1 Recipient address rejected: User unknown in local recipient table"},
  {"stage": "rcpt", "match": "soft*", "code": 450, "text": "4.2.0 Recipient address rejected: Greylisted, try again later"},
  {"stage": "rcpt", "match": "late*", "code": 550, "text": "5.2.1 Mailbox disabled, not accepting messages"}]}' ||
	die "the sink's new rules did not take"
wait_until "dsn_lines $late deferred | grep -q 'cannot take it now'" 60 "$PF_PID" ||
	fail "the DSN for late1 was not deferred: $(grep "bounce+$late@" "$PF_LOG" | tail -3)"
assert_contains "$(dsn_lines "$late" deferred | head -1)" "temporary failure" \
	"busy database: the pipe's exit 75 is a temporary failure to Postfix"
assert_eq 0 "$(dsn_lines "$late" 'bounced|sent' | wc -l)" "busy database: the DSN is neither delivered nor dropped"
if [ "$BB_ENGINE" = sqlite ]; then
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$lock_pid"
else
	_pg_run "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1 ||
		die "PostgreSQL did not start again"
	_pg_read_pid || die "no postmaster after the restart"
fi
wait_until "[ \"\$(state $late)\" = bounced ]" 60 "$PF_PID" ||
	fail "late1 not bounced after the database came back: $(grep "bounce+$late@" "$PF_LOG" | tail -3)"
assert_eq bounced "$(state "$late")" "after the retry: the message is bounced"
assert_contains "$(bb_sql "SELECT reason FROM messages WHERE id = $late")" "5.2.1 Mailbox disabled" \
	"after the retry: with the sink's words"
assert_eq bounce "$(suppression late1@example.org)" "after the retry: the address is suppressed"
assert_eq "mail|permanent|bounced" "$(bounce_rows "$late")" "after the retry: handled once"
assert_eq 1 "$(dsn_lines "$late" sent | wc -l)" "after the retry: Postfix delivered the kept DSN"

# The soft refusal: Postfix gives up after maximal_queue_lifetime and
# sends a "failed" DSN with the last 4.x.x status.
soft=$(msg "$c" soft1)
wait_until "dsn_lines $soft sent | grep -q ." 90 "$PF_PID" ||
	fail "no DSN for soft1 reached the pipe: $(grep -E "soft1@|bounce\+$soft@" "$PF_LOG" | tail -3)"
assert_eq 1 "$(pf_log_count "from=<bounce\+$soft@$DOMAIN>, status=expired, returned to sender")" \
	"soft1: Postfix gave up after its queue lifetime (status=expired)"
assert_eq "mail|temporary|counted" "$(bounce_rows "$soft")" \
	"soft1: its DSN is one row, a soft bounce counted for the address"
assert_eq 4.2.0 "$(bb_sql "SELECT status FROM bounces WHERE message_id = $soft")" "soft1: with Postfix's 4.2.0"
assert_eq bounced "$(state "$soft")" "soft1: the message is bounced (it will not arrive)"
assert_contains "$(bb_sql "SELECT reason FROM messages WHERE id = $soft")" "Greylisted, try again later" \
	"soft1: with the sink's last words"
assert_no_output "soft1: one soft bounce does not suppress the address" suppression soft1@example.org

# Accepted recipients are untouched.
for a in ok1 ok2; do
	m=$(msg "$c" $a)
	assert_eq sent "$(state "$m")" "$a: still sent"
	assert_eq 0 "$(bb_sql "SELECT count(*) FROM bounces WHERE message_id = $m")" "$a: no bounce row"
	assert_no_output "$a: not suppressed" suppression "$a@example.org"
	assert_eq 1 "$(find "$SMTP_MAILDIR" -name "*-$a@example.org.json" | wc -l)" "$a: the sink has it"
done

# Every DSN reached the pipe and was handled once; nothing is left queued.
wait_until pf_queue_empty 30 "$PF_PID" || fail "Postfix still has mail queued: $(find "$PF_DIR/queue/deferred" -type f)"
assert_eq 4 "$(pf_log_count "relay=budbringer, .*status=sent")" "Postfix handed four DSNs to budbringer bounce"
assert_eq 0 "$(pf_log_count "relay=budbringer, .*status=bounced")" "no DSN was refused by the pipe"
assert_eq 4 "$(bb_sql "SELECT count(*) FROM bounces")" "four bounce rows, one per DSN"
assert_eq 0 "$(pf_log_count "discarded|undeliverable postmaster notification")" "no DSN was discarded"

pf_stop
assert_cmd "! pid_alive ${PF_PID:-0}" "Postfix's master stopped by its pid"
done_testing
