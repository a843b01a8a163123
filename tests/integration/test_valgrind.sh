#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon under valgrind (memcheck, full leak check) through a small
# integration run, twice: (1) a campaign on the spool provider in two
# languages, inbound SMS keywords, the API, a reload, a graceful stop;
# (2) the production paths: SMS through real Kannel (libcurl) with delivery
# reports, email through an SMTP server with STARTTLS and AUTH (libESMTP,
# OpenSSL, worker threads), a reload and a stop. Clean means no memory
# error and no definite leak in either run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"
. "$(dirname "$0")/../lib/smtp.sh"

require_cmd valgrind
BB_VALGRIND=1
BB_START_TIMEOUT=60
bb_config
bb init >/dev/null
year=$(date +%Y)
for i in 1 2 3 4 5 6; do
	bb subscriber add --phone "2000000$i" --email "p$i@example.dk" --lang "$([ $((i % 2)) -eq 0 ] && echo ar || echo da)" \
		--born $((year - 17)) --consent test >/dev/null
done
bb association add "Forening" >/dev/null
bb_start
bb opportunity add --association Forening --title "da=Hjælpere" --summary "da=Kom og hjælp." \
	--title "ar=مساعدون" --summary "ar=تعال وساعد." --url https://x.example/o --publish >/dev/null
wait_until "[ \$(ls '$BB_SPOOL_SMS' | wc -l) -eq 6 ] && [ \$(ls '$BB_SPOOL_MAIL' | wc -l) -eq 6 ]" 90 "$BB_PID" ||
	fail "campaign sent under valgrind"
for text in FRIVILLIG JA HJÆLP "INFO 1" STOP; do
	curl -s --max-time 30 -o /dev/null "$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=%2B4529999999&to=1234&text=$(urlencode "$text")&id=vg-$(urlencode "$text")"
done
curl -s --max-time 30 -o /dev/null -X POST -H 'Authorization: Bearer wrong' -d '{}' "$BB_URL/api/v1/campaigns"
curl -s --max-time 30 -o /dev/null "$BB_URL/metrics"
curl -s --max-time 30 -o /dev/null -X POST -d 'List-Unsubscribe=One-Click' "$BB_URL/unsubscribe?t=forged.token"
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 60 "$BB_PID" || fail "reload under valgrind"
sleep 2
bb_stop 60
assert_cmd "ls $BB_DIR/valgrind.*.log >/dev/null 2>&1" "the daemon ran under valgrind"

# ---- 2. Kannel + SMTP with STARTTLS ------------------------------------------
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
SMTP_PW=$(random_token 16)
smtp_start "$TEST_TMPDIR/smtp" --starttls --auth budbringer "$SMTP_PW" || die "the SMTP server did not start"
BB_SMS_PROVIDERS="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 1; }"
BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; unsubscribe_mailto = \"afmeld@randers.example.dk\";
	smtp = { host = \"127.0.0.1\"; port = $SMTP_PORT; starttls = \"required\"; timeout = 10;
	         username = \"budbringer\"; password = \"$SMTP_PW\"; ca_file = \"$SMTP_CERT\";
	         verify_peer = true; connections = 2; messages_per_session = 2; };"
bb_new_db || die "cannot make a second database"
bb_config
bb init >/dev/null
for i in 1 2 3 4 5 6; do
	bb subscriber add --phone "2100000$i" --email "q$i@example.dk" --lang "$([ $((i % 2)) -eq 0 ] && echo ar || echo da)" \
		--born $((year - 17)) --consent test >/dev/null
done
bb_start
bb opportunity add --title "da=Hjælpere" --summary "da=Kom og hjælp." \
	--title "ar=مساعدون" --summary "ar=تعال وساعد." --url https://x.example/o --publish >/dev/null
kannel_mt_wait 6 90 || fail "the SMS campaign did not reach Kannel under valgrind"
smtp_wait_mail 6 90 || fail "the email campaign did not reach the SMTP server under valgrind"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'delivered'\")\" = 6 ]" 90 "$BB_PID" ||
	fail "delivery reports under valgrind"
assert_eq "delivered|6 sent|6" "$(bb_sql "SELECT state || '|' || count(*) FROM messages GROUP BY state ORDER BY state" | tr '\n' ' ' | sed 's/ $//')" \
	"Kannel + SMTP under valgrind: 6 SMS delivered, 6 emails sent"
assert_eq 6 "$(kannel_mt_count)" "each SMS reached Kannel once"
assert_eq 6 "$(smtp_mail_count)" "each email reached the SMTP server once"
kill -HUP "$BB_PID"
wait_until "[ \$(grep -c 'configuration reloaded' '$BB_LOG') -ge 2 ]" 60 "$BB_PID" || fail "second reload under valgrind"
sleep 2
bb_stop 60
kannel_stop || note "kannel needed SIGKILL"
smtp_stop
assert_cmd "[ \$(ls $BB_DIR/valgrind.*.log | wc -l) -ge 2 ]" "both runs were under valgrind"
assert_eq 0 "$(bb_valgrind_errors)" "valgrind: no memory errors, no definite leaks"
[ "$(bb_valgrind_errors)" -eq 0 ] || cat "$BB_DIR"/valgrind.*.log | head -60
done_testing
