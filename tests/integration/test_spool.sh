#!/bin/bash
# SPDX-License-Identifier: MIT
# Foundation, end to end on the spool provider with the real budbringerd:
# publishing an opportunity through the CLI makes spool files appear for
# exactly the matching subscribers, each in the right language; a restart
# (TERM or kill -9 mid-run) writes no message twice and loses none.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 100;'
bb_config
bb init >/dev/null || die "budbringer init failed"
year=$(date +%Y)

add() { bb subscriber add "$@" --consent "integration test" >/dev/null || die "subscriber add $*"; }
add --phone "+45 20 00 00 01" --lang da --born $((year - 18)) --interest sport        # match, da
add --phone 20000002 --lang en --born $((year - 18))                                 # no interests: match, en
add --phone 0045-20000003 --lang ar --born $((year - 21)) --interest sport           # match, ar
add --phone 20000004 --lang tr --born $((year - 16)) --interest sport                # no tr text: en
add --phone 20000005 --lang da --born $((year - 46)) --interest sport                # too old
add --phone 20000006 --lang da --interest sport                                      # unknown age, bounded opp
add --phone 20000007 --lang da --born $((year - 18)) --interest culture              # other interest
bb subscriber add --phone 20000008 --lang da --born $((year - 18)) --pending >/dev/null  # no consent
add --email ung@example.dk --lang da --born $((year - 15)) --interest sport          # email, exactly 15
add --phone 20000010 --email both@example.dk --lang en --born $((year - 25)) --interest children  # both, 25

bb association add "Randers Idrætsforening" >/dev/null
opp=$(bb --json opportunity add --association "Randers Idrætsforening" \
	--title "da=Fodboldtrænere søges" --summary "da=Træn U13 om tirsdagen." \
	--title "en=Football coaches wanted" --summary "en=Coach U13 on Tuesdays." \
	--title "ar=مطلوب مدربو كرة قدم" --summary "ar=درّب فريق تحت 13 يوم الثلاثاء." \
	--interest sport --interest children --min-age 15 --max-age 25 \
	--url https://frivillig.example.dk/o/1 | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
assert_match "$opp" '^[0-9]+$' "opportunity created as draft"

bb_start
sleep 1.5
assert_eq 0 "$(count_files "$BB_SPOOL_SMS")" "a draft opportunity sends nothing"

bb opportunity publish "$opp" >/dev/null
wait_until "[ \$(count_files '$BB_SPOOL_SMS') -ge 5 ] && [ \$(count_files '$BB_SPOOL_MAIL') -ge 2 ]" 20 "$BB_PID" ||
	fail "spool files did not appear"
# Let the loop run a few more turns: nothing else may arrive.
sleep 2.5

sms_to() { /usr/bin/python3 -c 'import json,sys
for f in sys.argv[1:]:
    d = json.load(open(f)); print(d["to"], d["lang"], d["text"])' "$BB_SPOOL_SMS"/*.json | sort; }
got=$(sms_to)
assert_eq "+4520000001 da
+4520000002 en
+4520000003 ar
+4520000004 en
+4520000010 en" "$(echo "$got" | cut -d' ' -f1,2)" "SMS went to exactly the matching subscribers, in their language"
assert_contains "$(echo "$got" | grep +4520000001)" "Fodboldtrænere søges" "Danish text for the Danish subscriber"
assert_contains "$(echo "$got" | grep +4520000003)" "مطلوب مدربو كرة قدم" "Arabic text for the Arabic subscriber"
assert_contains "$(echo "$got" | grep +4520000004)" "Football coaches wanted" "Turkish subscriber falls back to English"
assert_contains "$(echo "$got" | grep +4520000001)" "STOP" "every campaign SMS says how to stop"

mails=$(grep -h '^To:' "$BB_SPOOL_MAIL"/*.eml | sort | tr -d '\r')
assert_eq "To: both@example.dk
To: ung@example.dk" "$mails" "email went to exactly the matching subscribers"
assert_cmd "grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' $BB_SPOOL_MAIL/*.eml" "one-click unsubscribe header"
assert_eq "sent" "$(bb_sql "SELECT DISTINCT state FROM messages ORDER BY state")" "every message is sent"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM campaigns WHERE kind='auto'")" "one automatic campaign"
# A second daemon started by mistake on the same SQLite file stops before
# it touches anything (its start-up recovery would settle the first one's
# in-flight messages). On PostgreSQL several daemons share the database
# by design (test_cluster.sh).
if bb_sqlite_only "one daemon per database file"; then
	out=$(timeout 10 "$BB_BIN/budbringerd" -f -c "$BB_CONF" 2>&1); rc=$?
	assert_eq 1 "$rc" "a second daemon on the same database refuses to start"
	assert_contains "$out" "another budbringerd is running on database" "and says why"
	assert_cmd "pid_alive $BB_PID" "the first daemon runs on"
fi

# The portal touches the opportunity, closes and republishes it; we restart.
bb_sql "UPDATE opportunities SET updated_at = '2099-01-01T00:00:00Z' WHERE id = $opp" 2>/dev/null
bb opportunity close "$opp" >/dev/null; bb opportunity publish "$opp" >/dev/null
bb_stop 5
assert_cmd "grep -q 'stopped' '$BB_LOG'" "SIGTERM: a graceful stop"
before=$(( $(count_files "$BB_SPOOL_SMS") + $(count_files "$BB_SPOOL_MAIL") ))
# A file written again would keep its name (the message id) but not its inode.
spool_files() { (cd "$BB_SPOOL_SMS" && stat -c '%n %i' -- *; cd "$BB_SPOOL_MAIL" && stat -c '%n %i' -- *) | sort; }
files_before=$(spool_files)
bb_start
sleep 3
assert_eq "$before" "$(( $(count_files "$BB_SPOOL_SMS") + $(count_files "$BB_SPOOL_MAIL") ))" "restart and republish: no new spool files"
assert_eq "$files_before" "$(spool_files)" "restart and republish: no spool file written again"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM campaigns WHERE kind='auto' AND opportunity_id=$opp")" "still one automatic campaign"

# kill -9 in the middle of a bigger campaign.
bb_stop 5
# Test data straight into the subscriber table, as a portal import would.
now=$(date +%s) langs=(da en ar)
for i in $(seq 0 1499); do
	printf '+4531%06d\t%s\t%d\tactive\t1\t%d\ttest\t0\t%d\t%d\n' \
		"$i" "${langs[i % 3]}" $((year - 20)) "$now" "$now" "$now"
done | bb_sql_insert subscribers phone lang birth_year status sms_consent sms_consent_at \
	sms_consent_source email_consent created_at updated_at || die "cannot add the subscribers"
opp2=$(bb --json opportunity add --title "da=Juleløb" --summary "da=Hjælpere til poster." \
	--title "en=Christmas run" --summary "en=Helpers at the posts." --interest events \
	--url https://frivillig.example.dk/o/2 --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
bb_start
wait_until "[ \$(count_files '$BB_SPOOL_SMS') -ge $((before + 200)) ]" 30 "$BB_PID" || fail "second campaign did not start"
bb_kill9
mid=$(bb_sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.opportunity_id = $opp2")
note "killed with $mid messages of the second campaign in the database"
bb_start
# Matching: active, SMS consent, and no interests or the 'events' interest.
expected=$(bb_sql "SELECT count(*) FROM subscribers s WHERE status='active' AND sms_consent=1 AND phone IS NOT NULL AND (NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id=s.id) OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id=s.id AND interest='events'))")
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages m JOIN campaigns c ON c.id=m.campaign_id WHERE c.opportunity_id=$opp2 AND m.state='sent'\") -eq $expected ]" 60 "$BB_PID" ||
	fail "the second campaign did not finish after kill -9"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state IN ('queued','sending')")" "nothing left queued or sending"
dups=$(/usr/bin/python3 -c 'import json,sys
for f in sys.argv[1:]:
    d = json.load(open(f)); print(d["campaign"], d["to"])' "$BB_SPOOL_SMS"/*.json | sort | uniq -d | wc -l)
assert_eq 0 "$dups" "no recipient got the same campaign twice"
# Spool files are named by message id, so a resend would overwrite, not add:
# count the sends the daemon recorded instead.
assert_eq 0 "$(bb_sql "SELECT count(*) FROM (SELECT message_id FROM message_events WHERE state = 'sent'
	GROUP BY message_id HAVING count(*) > 1) AS twice")" "no message was sent twice (one 'sent' event each)"
assert_eq "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")" \
	"$(bb_sql "SELECT count(DISTINCT message_id) FROM message_events WHERE state = 'sent'")" \
	"every sent message has its 'sent' event"
files=$(count_files "$BB_SPOOL_SMS" '*.json')
sent=$(bb_sql "SELECT count(*) FROM messages WHERE channel='sms' AND state='sent'")
assert_eq "$sent" "$files" "one spool file per sent SMS: none lost"
assert_eq 0 "$(count_files "$BB_SPOOL_SMS" '.tmp-*')" "no half-written files left"
bb_stop 5
done_testing
