#!/bin/bash
# SPDX-License-Identifier: MIT
# What comes back from email, with the real daemon and a real SMTP server
# (aiosmtpd answering 550 to fail550* recipients), and `budbringer bounce`
# fed the fixture bounces rewritten to the VERP addresses of the messages
# really sent:
#   - a 550 in the SMTP session: bounced with the server's words, suppressed;
#   - a hard bounce by mail: bounced + suppressed, and the next campaign
#     does not mail the address (its message is suppressed at the outbox);
#     a second copy counts once;
#   - soft bounces are counted and suppress the address at the third;
#   - a complaint: email consent withdrawn (consent log: revoke, source
#     complaint), address suppressed (complaint);
#   - a bounce naming no message of ours is recorded as unmatched and
#     changes nothing; an auto-reply changes nothing and records nothing;
#   - the database busy (SQLite: another process holds the write lock for
#     longer than the busy timeout; PostgreSQL: the server stopped): exit
#     75 (EX_TEMPFAIL, the MTA retries), and the same mail is taken after;
#   - staff list the suppressions with their evidence, lift a bounce one
#     (audit-logged with their name) and are refused a complaint one;
#   - stats and /metrics count bounces and complaints per campaign; the
#     daemon's log warns once when a campaign's rates pass 2 % / 0.1 %.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/smtp.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl

smtp_start "$TEST_TMPDIR/smtp" || die "the SMTP server did not start"
DOMAIN=randers.example.dk
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@$DOMAIN\"; domain = \"$DOMAIN\"; max_attempts = 5;
  smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"disabled\"; timeout = 5; connections = 1; };"
BB_ROOT_EXTRA='bounces = { soft_limit = 3; soft_days = 15; alert_min = 5; };'
BB_CAMPAIGNS='frequency_cap = 0;'
bb_config
bb init >/dev/null || die "budbringer init failed"
for a in hard soft complain ok1 ok2 fail550-gone; do
	bb subscriber add --email "$a@example.org" --lang da --consent "integration test" >/dev/null ||
		die "subscriber add $a"
done
bb_start

publish() { # publish TAG: an opportunity (its automatic campaign follows); prints the campaign id
	local opp
	opp=$(bb --json opportunity add --title "da=Frivillige søges $1" --summary "da=Hjælp til $1." \
		--url "https://frivillig.example.dk/o/$1" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
	wait_until "[ -n \"\$(bb_sql \"SELECT id FROM campaigns WHERE opportunity_id = $opp\")\" ]" 20 "$BB_PID" ||
		die "no campaign for opportunity $opp"
	bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp"
}
settled() { # settled CAMPAIGN: its email is expanded and nothing is queued or in flight
	[ "$(bb_sql "SELECT status FROM campaigns WHERE id = $1")" = done ]
}
msg() { bb_sql "SELECT id FROM messages WHERE campaign_id = $1 AND recipient = '$2@example.org'"; }
state() { bb_sql "SELECT state FROM messages WHERE id = $1"; }
suppression() { bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash "$1")'"; }
# feed FIXTURE MESSAGE_ID: the fixture with its VERP address made ours
feed() {
	sed -E "s/bounce\+[0-9]+@[A-Za-z0-9.-]+/bounce+$2@$DOMAIN/g" \
		"$BB_TOP_DIR/tests/fixtures/bounce/$1" >"$TEST_TMPDIR/in.eml"
	bb bounce --recipient "bounce+$2@$DOMAIN" <"$TEST_TMPDIR/in.eml" >"$TEST_TMPDIR/out.txt" 2>"$TEST_TMPDIR/err.txt"
}
rc_of() { "$@"; echo $?; }

c1=$(publish "juleløb")
wait_until "settled $c1" 30 "$BB_PID" || fail "campaign $c1 did not settle"
assert_eq 5 "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $c1 AND state = 'sent'")" \
	"five messages of the first campaign are sent"

# A 550 in the session: the same rules as a bounce by mail.
m=$(msg "$c1" fail550-gone)
assert_eq "bounced|550 5.1.1 no such user" "$(bb_sql "SELECT state, reason FROM messages WHERE id = $m")" \
	"550 to RCPT: bounced with the server's words"
assert_eq bounce "$(suppression fail550-gone@example.org)" "550 to RCPT: the address is suppressed (bounce)"
assert_eq "smtp|bounced" "$(bb_sql "SELECT via, outcome FROM bounces WHERE message_id = $m")" \
	"550 to RCPT: recorded as a bounce via smtp"

# A hard bounce by mail.
hard=$(msg "$c1" hard)
assert_eq 0 "$(rc_of feed postfix_550_user_unknown.eml "$hard")" "hard bounce: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "bounced: message $hard (5.1.1)" "hard bounce: says what it did"
assert_eq bounced "$(state "$hard")" "hard bounce: the message is bounced"
assert_contains "$(bb_sql "SELECT reason FROM messages WHERE id = $hard")" "5.1.1" "hard bounce: the server's words"
assert_eq bounce "$(suppression hard@example.org)" "hard bounce: the address is suppressed (bounce)"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $hard AND state = 'bounced'")" \
	"hard bounce: one event"
assert_contains "$(bb log --status bounced)" "bounced" "budbringer log shows the bounced state"
# A second copy: counts once.
assert_eq 0 "$(rc_of feed postfix_550_user_unknown.eml "$hard")" "second copy: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "duplicate" "second copy: a duplicate"
assert_eq "bounced|1,duplicate|1" "$(bb_sql "SELECT outcome, count(*) FROM bounces WHERE message_id = $hard GROUP BY outcome ORDER BY outcome" | paste -sd,)" \
	"second copy: recorded once as bounced, once as a duplicate"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $hard AND state = 'bounced'")" \
	"second copy: no second event"

# Soft bounces: two (different statuses of one message) are counted.
soft=$(msg "$c1" soft)
assert_eq 0 "$(rc_of feed gmail_mailbox_full_422.eml "$soft")" "soft bounce 1: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "soft bounce counted: message $soft (4.2.2), 1 of 3" "soft bounce 1 counted"
assert_eq 0 "$(rc_of feed postfix_delayed.eml "$soft")" "soft bounce 2: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "2 of 3" "soft bounce 2 counted"
assert_eq sent "$(state "$soft")" "soft bounces leave the message sent"
assert_no_output "two soft bounces do not suppress" suppression soft@example.org

# A complaint.
comp=$(msg "$c1" complain)
sid=$(bb_sql "SELECT id FROM subscribers WHERE email = 'complain@example.org'")
assert_eq 0 "$(rc_of feed yahoo_arf_complaint.eml "$comp")" "complaint: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "complaint: message $comp (abuse), unsubscribed from email" "complaint: says so"
assert_eq "0|unsubscribed" "$(bb_sql "SELECT email_consent, status FROM subscribers WHERE id = $sid")" \
	"complaint: email consent withdrawn"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM consent_log WHERE subscriber_id = $sid AND channel = 'email' AND action = 'revoke' AND source = 'complaint'")" \
	"complaint: consent log says revoke, source complaint"
assert_eq complaint "$(suppression complain@example.org)" "complaint: the address is suppressed (complaint)"

# Rates past their thresholds (alert_min = 5 emails out): the daemon's log warns, once.
wait_until "grep -q 'campaign hard-bounce rate past 2% campaign=$c1 ' '$BB_LOG'" 10 "$BB_PID" ||
	fail "no warning for the hard-bounce rate"
wait_until "grep -q 'campaign complaint rate past 0.1% campaign=$c1 ' '$BB_LOG'" 10 "$BB_PID" ||
	fail "no warning for the complaint rate"
assert_eq 1 "$(grep -c "campaign hard-bounce rate past 2% campaign=$c1 " "$BB_LOG")" "the hard-bounce warning comes once"

# Unmatched and auto-reply: nothing changes.
before=$(bb_sql "SELECT (SELECT count(*) FROM message_events) || ',' || (SELECT count(*) FROM suppressions) || ',' || (SELECT count(*) FROM consent_log)")
assert_eq 0 "$(rc_of feed exim_permanent.eml 987654321)" "unmatched: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "unmatched" "unmatched: says so"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM bounces WHERE outcome = 'unmatched' AND message_id IS NULL")" \
	"unmatched: recorded"
n_bounces=$(bb_sql "SELECT count(*) FROM bounces")
bb bounce <"$BB_TOP_DIR/tests/fixtures/bounce/out_of_office_en.eml" >"$TEST_TMPDIR/out.txt"
assert_eq 0 "$?" "auto-reply: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "not a bounce" "auto-reply: not a bounce"
assert_eq "$n_bounces" "$(bb_sql "SELECT count(*) FROM bounces")" "auto-reply: nothing recorded"
assert_eq "$before" "$(bb_sql "SELECT (SELECT count(*) FROM message_events) || ',' || (SELECT count(*) FROM suppressions) || ',' || (SELECT count(*) FROM consent_log)")" \
	"unmatched and auto-reply: no event, suppression or consent change"

# The next campaign skips the bounced and the complaining addresses.
c2=$(publish "sommerfest")
wait_until "settled $c2" 30 "$BB_PID" || fail "campaign $c2 did not settle"
assert_eq "suppressed|address suppressed (bounce)" \
	"$(bb_sql "SELECT state, reason FROM messages WHERE id = $(msg "$c2" hard)")" \
	"next campaign: the hard-bounced address is suppressed, not mailed"
assert_no_output "next campaign: nothing for the complaining address (no consent)" msg "$c2" complain
assert_eq 1 "$(find "$SMTP_MAILDIR" -name '*-hard@example.org.json' | wc -l)" \
	"next campaign: the SMTP server got only the first campaign's message for the bounced address"
assert_eq sent "$(state "$(msg "$c2" ok1)")" "next campaign: the others are mailed"
# The third soft bounce (a message of the second campaign) suppresses.
assert_eq 0 "$(rc_of feed gmail_mailbox_full_422.eml "$(msg "$c2" soft)")" "soft bounce 3: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "address suppressed (bounce) after 3" "soft bounce 3 suppresses"
assert_eq bounce "$(suppression soft@example.org)" "three soft bounces in 15 days: suppressed (bounce)"

# Numbers.
stats=$(bb --json stats --campaign "$c1")
assert_eq "2|1" "$(echo "$stats" | "$BB_PYTHON" -c 'import json,sys; b=json.load(sys.stdin)["bounces_by_campaign"]["'"$c1"'"]; print("%d|%d" % (b["hard_bounces"], b["complaints"]))')" \
	"stats: two hard bounces and one complaint in the first campaign"
assert_contains "$(bb stats)" "bounces and complaints by campaign" "stats: the bounce table"
assert_contains "$(curl -s "$BB_URL/metrics")" 'budbringer_bounces_total{kind="permanent",outcome="bounced"} 2' \
	"/metrics: bounces by outcome"
assert_contains "$(curl -s "$BB_URL/metrics")" "budbringer_campaign_complaints{campaign=\"$c1\"} 1" \
	"/metrics: complaints per campaign"

# Reputation per email provider and per day (both campaigns' email).
stats=$(bb --json stats)
assert_eq "example.org|2|1" "$(echo "$stats" | "$BB_PYTHON" -c 'import json,sys
p = json.load(sys.stdin)["bounces_by_provider"]
print("|".join(str(x) for x in (p[0]["key"], p[0]["hard_bounces"], p[0]["complaints"])) if len(p) == 1 else p)')" \
	"stats: one provider (example.org) with two hard bounces and one complaint"
assert_match "$(echo "$stats" | "$BB_PYTHON" -c 'import json,sys
d = json.load(sys.stdin)["bounces_by_day"]
print("|".join(str(x) for x in (d[-1]["key"], d[-1]["hard_bounces"], d[-1]["complaints"], d[-1]["soft_bounces"])))')" \
	'^20[0-9]{2}-[01][0-9]-[0-3][0-9]\|2\|1\|3$' "stats: today's email with two hard bounces, one complaint, three soft bounces"
assert_contains "$(bb stats)" "email reputation by provider (last 30 days)" "stats: the provider table"
metrics=$(curl -s "$BB_URL/metrics")
assert_match "$metrics" 'budbringer_email_hard_bounces_by_provider\{provider="example.org"\} 2' \
	"/metrics: hard bounces by provider"
assert_match "$metrics" 'budbringer_email_complaints_by_day\{day="20[0-9-]{8}"\} 1' "/metrics: complaints by day"
report=$(bb --json report --from "$(date +%F)" --to "$(date +%F)")
assert_eq "2|1" "$(echo "$report" | "$BB_PYTHON" -c 'import json,sys
t = [r for r in json.load(sys.stdin)["rows"] if r["dimension"] == "total"][0]
print("%d|%d" % (t["bounced"], t["complaints"]))')" "report: two bounced campaign messages and one complaint"
assert_contains "$(bb report --from "$(date +%F)" --to "$(date +%F)")" "compl." "report table: bounced and complaints columns"
bb campaign resume-email "$c1" >"$TEST_TMPDIR/out.txt" 2>&1
assert_eq 1 "$?" "resume-email of a campaign that is not paused: exit 1"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "is not paused" "resume-email: says it is not paused"

# The database cannot take it: EX_TEMPFAIL, then the same mail is taken.
bb_stop
ok1=$(msg "$c1" ok1)
if [ "$BB_ENGINE" = sqlite ]; then
	(echo 'BEGIN IMMEDIATE; INSERT INTO housekeeping(task, last_run) VALUES (' "'lock-test'" ', 0);'
	 sleep 25; echo 'ROLLBACK;') | sqlite3 "$BB_DB" &
	lock_pid=$!
	on_exit "kill $lock_pid 2>/dev/null || true"
	wait_until "! sqlite3 -cmd '.timeout 100' '$BB_DB' 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null" 10 ||
		die "the lock was not taken"
	assert_eq 75 "$(rc_of feed postfix_550_user_unknown.eml "$ok1")" "database locked: exit 75 (EX_TEMPFAIL)"
	assert_contains "$(cat "$TEST_TMPDIR/err.txt")" "cannot take it now" "database locked: says the MTA keeps it"
	wait "$lock_pid"
else
	pg_stop
	assert_eq 75 "$(rc_of feed postfix_550_user_unknown.eml "$ok1")" "database down: exit 75 (EX_TEMPFAIL)"
	assert_contains "$(cat "$TEST_TMPDIR/err.txt")" "cannot take it now" "database down: says the MTA keeps it"
	_pg_run "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1 ||
		die "PostgreSQL did not start again"
	_pg_read_pid || die "no postmaster after the restart"
fi
assert_eq sent "$(state "$ok1")" "nothing changed while the database was busy"
assert_eq 0 "$(rc_of feed postfix_550_user_unknown.eml "$ok1")" "the same mail again: exit 0"
assert_eq bounced "$(state "$ok1")" "the same mail again: bounced"

# Staff: list with evidence, lift a bounce, refused for a complaint.
list=$(bb suppression list --reason bounce)
assert_contains "$list" "msg=$hard" "suppression list: the bounce's message as evidence"
assert_contains "$list" "5.1.1" "suppression list: the bounce's status"
assert_contains "$(bb suppression list --reason complaint)" "msg=$comp" "suppression list: the complaint's evidence"
bb suppression lift hard@example.org >"$TEST_TMPDIR/out.txt"
assert_eq 0 "$?" "lift a bounce suppression: exit 0"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "lifted by $(id -un)" "lift: says who lifted it"
assert_no_output "lift: the suppression is gone" suppression hard@example.org
assert_eq "$(id -un)|suppression:$(bb_suppression_hash hard@example.org)" \
	"$(bb_sql "SELECT actor, subject FROM audit_log WHERE action = 'suppression.lift'")" \
	"lift: audit-logged with the staff member's name"
bb suppression lift complain@example.org >"$TEST_TMPDIR/out.txt" 2>&1
assert_eq 1 "$?" "lift a complaint suppression: refused (exit 1)"
assert_contains "$(cat "$TEST_TMPDIR/out.txt")" "fresh consent" "lift refused: says fresh consent is needed"
assert_eq complaint "$(suppression complain@example.org)" "lift refused: the complaint suppression stays"

done_testing
