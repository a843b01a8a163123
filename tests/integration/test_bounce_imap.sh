#!/bin/bash
# SPDX-License-Identifier: MIT
# Bounces read from a real IMAP mailbox: a private Dovecot (Debian's
# dovecot-imapd, tests/lib/dovecot.sh) on IMAPS with a throw-away
# certificate given to the daemon as bounces.imap.ca_file, so the real TLS
# path with its certificate check is used. The daemon mails a campaign
# through aiosmtpd; the fixture bounces, rewritten to the VERP ids of the
# messages really sent, an out-of-office reply and a newsletter are put
# into the Maildir; then:
#   - a wrong password: the daemon logs the refused login clearly, handles
#     nothing, marks nothing, and tries again at the next interval;
#   - the password put right (the file is read each pass, no reload): each
#     bounce is handled once (hard bounces bounced + suppressed, a soft one
#     counted, a complaint unsubscribed, one naming no message of ours
#     recorded unmatched), and each handled mail is marked \Seen and moved
#     to Budbringer/Handled (created by the daemon);
#   - the out-of-office reply and the newsletter stay in INBOX, unseen, and
#     are fetched once per process, not again every interval;
#   - a restart handles nothing twice;
#   - a bounce that arrives while the database cannot take it (SQLite: the
#     write lock held by another process; PostgreSQL: the server stopped)
#     stays unseen in INBOX and is handled at the next pass after.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/smtp.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd curl sqlite3

DOMAIN=randers.example.dk
IMAP_PASS=$(random_token 20)
smtp_start "$TEST_TMPDIR/smtp" || die "the SMTP server did not start"
dovecot_start "$TEST_TMPDIR/dovecot" bounces "$IMAP_PASS" || die "Dovecot did not start"

PASSFILE=$BB_DIR/imap.pass
echo "not-the-password" >"$PASSFILE"
chmod 600 "$PASSFILE"
BB_LOG_LEVEL=debug
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@$DOMAIN\"; domain = \"$DOMAIN\"; max_attempts = 5;
  smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5; connections = 1; };"
BB_ROOT_EXTRA="bounces = { soft_limit = 3; soft_days = 15; alert_min = 1000;
  imap = { url = \"imaps://127.0.0.1:$DOVECOT_PORT/INBOX\"; user = \"bounces\"; password_file = \"$PASSFILE\";
           ca_file = \"$DOVECOT_CA\"; processed_folder = \"Budbringer/Handled\"; interval = 3; timeout = 10; }; };"
bb_config
bb init >/dev/null || die "budbringer init failed"
for a in hard1 hard2 soft1 complain1 ok1 late1; do
	bb subscriber add --email "$a@example.org" --lang da --consent "integration test" >/dev/null ||
		die "subscriber add $a"
done
bb_start
assert_contains "$(grep 'imap bounce reader ready' "$BB_LOG")" "folder=INBOX processed_folder=Budbringer/Handled interval=3s" \
	"the reader starts with its settings (and no password in the log)"

opp=$(bb --json opportunity add --title "da=Frivillige søges" --summary "da=Hjælp til løbet." \
	--url "https://frivillig.example.dk/o/1" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
wait_until "[ -n \"\$(bb_sql \"SELECT id FROM campaigns WHERE opportunity_id = $opp\")\" ]" 20 "$BB_PID" ||
	die "no campaign for opportunity $opp"
c=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp")
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $c AND state = 'sent'\")\" -eq 6 ]" 30 "$BB_PID" ||
	die "the campaign's six emails were not sent"
msg() { bb_sql "SELECT id FROM messages WHERE campaign_id = $c AND recipient = '$1@example.org'"; }
state() { bb_sql "SELECT state FROM messages WHERE id = $1"; }
suppression() { bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash "$1")'"; }

# The mailbox: five bounces rewritten to our messages, two mails not ours.
fx=$BB_TOP_DIR/tests/fixtures/bounce
mk() { sed -E "s/bounce\+[0-9]+@[A-Za-z0-9.-]+/bounce+$2@$DOMAIN/g" "$fx/$1" >"$TEST_TMPDIR/$3.eml"; }
mk postfix_550_user_unknown.eml "$(msg hard1)" b1
mk gmail_nosuchuser.eml "$(msg hard2)" b2
mk gmail_mailbox_full_422.eml "$(msg soft1)" b3
mk yahoo_arf_complaint.eml "$(msg complain1)" b4
mk exim_permanent.eml 987654321 b5
cp "$fx/out_of_office_en.eml" "$TEST_TMPDIR/ooo.eml"
printf '%s\r\n' "From: Nyhedsbrev <news@example.org>" "To: bounce@$DOMAIN" \
	"Subject: Ugens nyheder fra foreningerne" "Date: Mon, 07 Dec 2026 09:00:00 +0100" \
	"Message-ID: <news-1@example.org>" "MIME-Version: 1.0" "Content-Type: text/plain; charset=utf-8" \
	"" "Kom til juleløbet i Randers." >"$TEST_TMPDIR/news.eml"
dovecot_deliver "$TEST_TMPDIR"/b{1,2,3,4,5}.eml "$TEST_TMPDIR/ooo.eml" "$TEST_TMPDIR/news.eml" ||
	die "cannot put the mails into the Maildir"
assert_eq "* STATUS INBOX (MESSAGES 7 UNSEEN 7)" "$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')" \
	"the mailbox holds seven unseen mails"

# A wrong password: logged clearly, nothing touched, tried again.
wait_until "[ \$(grep -c 'imap: login to .* refused' '$BB_LOG') -ge 2 ]" 40 "$BB_PID" ||
	fail "no two refused logins in the log"
assert_contains "$(grep 'imap: login' "$BB_LOG" | head -1)" \
	"login to 'imaps://127.0.0.1:$DOVECOT_PORT/INBOX' as 'bounces' refused: check bounces.imap.user and the password in '$PASSFILE'; trying again in 3s" \
	"a wrong password: the log names the server, the user and the password file"
assert_eq 0 "$(grep -c -- "$IMAP_PASS\|not-the-password" "$BB_LOG")" "no password in the log"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM bounces")" "a wrong password: nothing handled"
assert_eq "* STATUS INBOX (MESSAGES 7 UNSEEN 7)" "$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')" \
	"a wrong password: nothing marked or moved"

# The password put right: the next pass reads the mailbox.
echo "$IMAP_PASS" >"$PASSFILE"
wait_until "grep -q 'imap: read .INBOX. on .*handled=5 left=2' '$BB_LOG'" 40 "$BB_PID" ||
	fail "the reader did not handle the five bounces: $(grep 'imap:' "$BB_LOG" | tail -5)"
for a in hard1 hard2; do
	m=$(msg $a)
	assert_eq bounced "$(state "$m")" "$a: bounced from the mailbox"
	assert_eq bounce "$(suppression "$a@example.org")" "$a: suppressed (bounce)"
	assert_eq "imap|permanent|bounced" "$(bb_sql "SELECT via || '|' || kind || '|' || outcome FROM bounces WHERE message_id = $m")" \
		"$a: one bounce row, via imap"
done
soft=$(msg soft1)
assert_eq sent "$(state "$soft")" "soft1: still sent"
assert_eq "imap|temporary|counted" "$(bb_sql "SELECT via || '|' || kind || '|' || outcome FROM bounces WHERE message_id = $soft")" \
	"soft1: counted once"
comp=$(msg complain1)
assert_eq complaint "$(suppression complain1@example.org)" "complain1: suppressed (complaint)"
assert_eq 0 "$(bb_sql "SELECT email_consent FROM subscribers WHERE email = 'complain1@example.org'")" \
	"complain1: email consent withdrawn"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM bounces WHERE outcome = 'unmatched' AND via = 'imap'")" \
	"the bounce naming no message of ours: recorded unmatched"
assert_eq 5 "$(bb_sql "SELECT count(*) FROM bounces")" "five bounce rows, one per bounce"
assert_eq sent "$(state "$(msg ok1)")" "ok1: untouched"
assert_no_output "ok1: not suppressed" suppression ok1@example.org

# Handled mail moved and seen; the rest left unseen in INBOX.
assert_eq "* STATUS Budbringer/Handled (MESSAGES 5 UNSEEN 0)" \
	"$(dovecot_imap 'STATUS "Budbringer/Handled" (MESSAGES UNSEEN)')" "the five handled mails are in Budbringer/Handled, seen"
assert_eq "* STATUS INBOX (MESSAGES 2 UNSEEN 2)" "$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')" \
	"two mails left in INBOX, unseen"
inbox=$(cat "$DOVECOT_MAILDIR"/new/* "$DOVECOT_MAILDIR"/cur/* 2>/dev/null)
assert_contains "$inbox" "Subject: Ugens nyheder fra foreningerne" "the newsletter stays in INBOX"
assert_contains "$inbox" "$(grep -m1 '^Subject:' "$fx/out_of_office_en.eml")" "the out-of-office reply stays in INBOX"
assert_eq 0 "$(find "$DOVECOT_MAILDIR/cur" -name '*:2,*S*' | wc -l)" "nothing in INBOX carries the \\Seen flag"
assert_eq 2 "$(grep -c "imap: uid=[0-9]* left in 'INBOX': not a bounce" "$BB_LOG")" \
	"the two mails not ours were fetched once"

# The next pass fetches nothing again.
passes=$(grep -c "imap: read 'INBOX'" "$BB_LOG")
wait_until "[ \$(grep -c \"imap: read 'INBOX'\" '$BB_LOG') -gt $passes ]" 30 "$BB_PID" || fail "no next pass"
assert_contains "$(grep "imap: read 'INBOX'" "$BB_LOG" | tail -1)" "nothing new, left=2" "the next pass: nothing new"
assert_eq 2 "$(grep -c "imap: uid=[0-9]* left in 'INBOX': not a bounce" "$BB_LOG")" \
	"the next pass does not fetch the mails not ours again"

# A restart handles nothing twice.
bb_stop
bb_start
wait_until "[ \$(grep -c 'imap: read .INBOX. on .*handled=0 left=2' '$BB_LOG') -ge 1 ]" 30 "$BB_PID" ||
	fail "no pass after the restart: $(grep 'imap:' "$BB_LOG" | tail -3)"
assert_eq 5 "$(bb_sql "SELECT count(*) FROM bounces")" "after a restart: still five bounce rows"
assert_eq "* STATUS INBOX (MESSAGES 2 UNSEEN 2)" "$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')" \
	"after a restart: the two mails not ours are still in INBOX, unseen"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $(msg hard1) AND state = 'bounced'")" \
	"after a restart: hard1 bounced once"

# The database cannot take a bounce: it stays unseen for the next pass.
late=$(msg late1)
mk postfix_550_user_unknown.eml "$late" b6
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
dovecot_deliver "$TEST_TMPDIR/b6.eml" || die "cannot put the late bounce into the Maildir"
wait_until "grep -q 'imap: the database cannot take the bounce now; uid=[0-9]* stays unseen' '$BB_LOG'" 60 "$BB_PID" ||
	fail "the reader did not meet the busy database: $(grep 'imap' "$BB_LOG" | tail -3)"
assert_eq "* STATUS INBOX (MESSAGES 3 UNSEEN 3)" "$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')" \
	"busy database: the bounce stays in INBOX, unseen"
if [ "$BB_ENGINE" = sqlite ]; then
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$lock_pid"
else
	_pg_run "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1 ||
		die "PostgreSQL did not start again"
	_pg_read_pid || die "no postmaster after the restart"
fi
wait_until "[ \"\$(state $late)\" = bounced ]" 60 "$BB_PID" ||
	fail "the late bounce was not handled after the database came back: $(grep 'imap' "$BB_LOG" | tail -3)"
assert_eq bounced "$(state "$late")" "after the database came back: late1 bounced"
assert_eq "imap|permanent|bounced" "$(bb_sql "SELECT via || '|' || kind || '|' || outcome FROM bounces WHERE message_id = $late")" \
	"after the database came back: handled once"
wait_until "[ \"\$(dovecot_imap 'STATUS INBOX (MESSAGES UNSEEN)')\" = '* STATUS INBOX (MESSAGES 2 UNSEEN 2)' ]" 20 ||
	fail "the late bounce was not moved out of INBOX"
assert_eq "* STATUS Budbringer/Handled (MESSAGES 6 UNSEEN 0)" \
	"$(dovecot_imap 'STATUS "Budbringer/Handled" (MESSAGES UNSEEN)')" "after the database came back: moved to Budbringer/Handled"

# Settings are checked: plain imap:// needs allow_plaintext.
sed -i "s|url = \"imaps://|url = \"imap://|" "$BB_CONF"
out=$("$BB_BIN/budbringerd" -t -c "$BB_CONF" 2>&1)
assert_contains "$out" "is plain imap://" "imap:// without allow_plaintext is refused by budbringerd -t"
done_testing
