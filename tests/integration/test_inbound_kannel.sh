#!/bin/bash
# SPDX-License-Identifier: MIT
# Inbound SMS through a real Kannel: fakesmsc injects the mobile-originated
# message, smsbox calls our get-url (the sms-service of
# tests/lib/kannel-sms-service.conf.in = etc/kannel-smsbox.conf), our reply
# goes back out through sendsms (the kannel provider) to fakesmsc.
#  1. Danish: join -> question -> JA -> welcome -> a campaign arrives ->
#     STOP -> confirmation -> the next campaign reaches others, not them;
#  2. the same in Arabic (UCS-2 both ways), every reply in Arabic;
#  3. duplicates: smsbox's own retry (%I is the same on every attempt)
#     while the daemon is down, and a replayed request, are handled once;
#  4. what smsbox gets back is never a text it could send (empty body).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"
. "$(dirname "$0")/../lib/kannel.sh"

require_cmd sqlite3 curl
# smsbox retries a failed get-url (e.g. while budbringerd restarts).
KANNEL_SMSBOX_EXTRA=$'http-request-retry = 30\nhttp-queue-delay = 1'
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"

BB_SMS_PROVIDERS="{ name = \"kannel\"; type = \"kannel\"; url = \"$KANNEL_SENDSMS_URL\";
	username = \"$KANNEL_USER\"; password = \"$KANNEL_PASS\"; dlr_mask = 0;
	rate = 50; concurrency = 4; connect_timeout = 2; timeout = 5; }"
BB_SMS_EXTRA='max_attempts = 30; backoff_initial = 1; backoff_max = 2;'
BB_CAMPAIGNS='frequency_cap = 0;'
bb_config
bb init >/dev/null || die "budbringer init failed"
bb_start

DA=4520300001      # as the SMSC gives it: no '+'
AR=4520300002
OTHER=+4520300009  # a subscriber added by staff, for the "nothing more" check

# mt_to NUMBER: the texts fakesmsc received for +NUMBER, one per line.
mt_to() {
	kannel_mt_messages | awk -F '\t' -v to="+$1" '$1 == to { print $2 }'
}
mt_count_to() {
	mt_to "$1" | grep -c . || true
}
# stored_reply NUMBER: the body of the newest reply/question to +NUMBER.
stored_reply() {
	bb_sql "SELECT body FROM messages WHERE recipient = '+$1' AND kind IN ('reply', 'confirm')
		ORDER BY id DESC LIMIT 1"
}
# expect_reply NUMBER N NEEDLE WHAT: wait for the Nth SMS to NUMBER, check it
# is exactly the stored reply and contains NEEDLE.
expect_reply() {
	local num=$1 n=$2 needle=$3 what=$4 got
	wait_until "[ \$(mt_count_to $num) -ge $n ]" 30 "$BB_PID" || {
		fail "$what: no SMS number $n to +$num"
		return 1
	}
	got=$(mt_to "$num" | sed -n "${n}p")
	assert_eq "$(stored_reply "$num")" "$got" "$what: fakesmsc got exactly the stored reply"
	assert_contains "$got" "$needle" "$what: '$needle'"
}
status_of() {
	bb_sql "SELECT status || ' ' || sms_consent || ' ' || lang FROM subscribers WHERE phone = '+$1'"
}
opportunity() {  # opportunity ARGS… -> id
	bb --json opportunity add "$@" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p'
}
campaign_of() {
	bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $1"
}
expanded() {  # the campaign of opportunity $1 has been turned into messages
	[ "$(bb_sql "SELECT count(*) FROM campaigns WHERE opportunity_id = $1 AND status IN ('sending', 'done')")" = 1 ]
}

# ---- 0. the configuration in etc/ is the one under test --------------------------
# group_lines FILE GROUP: the settings of one group, comments and blanks dropped
group_lines() {
	awk -v g="group = $2" '/^group = / { on = ($0 == g) } on && !/^[ \t]*(#|$)/' "$1"
}
assert_eq "$(group_lines "$BB_TOP_DIR/etc/kannel-smsbox.conf" sms-service |
		sed -e "s|127.0.0.1:8080/|127.0.0.1:$BB_HTTP_PORT/|" -e "s|secret=CHANGE-ME-inbound|secret=$BB_INBOUND_SECRET|")" \
	"$(group_lines "$KANNEL_CONF" sms-service)" \
	"the sms-service Kannel runs here is etc/kannel-smsbox.conf's (port and secret substituted)"
assert_contains "$(group_lines "$KANNEL_CONF" smsbox)" "mo-recode = true" "smsbox recodes UCS-2 MO to UTF-8, as etc/ says"
assert_contains "$(group_lines "$BB_TOP_DIR/etc/kannel-smsbox.conf" smsbox)" "mo-recode = true" "etc/ has mo-recode"
assert_contains "$(sed -n 's/^ *listen = "\(.*\)";.*/\1/p; s/^ *inbound_secret = "\([^"]*\)";.*/\1/p' "$BB_TOP_DIR/etc/budbringer.conf" | tr '\n' ' ')" \
	"127.0.0.1:8080 CHANGE-ME-inbound" "etc/budbringer.conf listens where etc/kannel-smsbox.conf calls"

bb subscriber add --phone "$OTHER" --lang da --interest sport --consent "test fixture" >/dev/null ||
	die "cannot add the control subscriber"

# ---- 1. Danish ----------------------------------------------------------------
kannel_mo $DA 1220 "Frivillig  SPORT 2006"
expect_reply $DA 1 "Svar JA" "join"
assert_eq "pending 0 da" "$(status_of $DA)" "a join makes a pending subscriber without consent"
assert_eq "sport" "$(bb_sql "SELECT interest FROM subscriber_interests i
	JOIN subscribers s ON s.id = i.subscriber_id WHERE s.phone = '+$DA' ORDER BY interest")" "with the interest"
assert_eq 2006 "$(bb_sql "SELECT birth_year FROM subscribers WHERE phone = '+$DA'")" "and the birth year"
question=$(stored_reply $DA)

kannel_mo $DA 1220 "ja"
expect_reply $DA 2 "Velkommen" "confirm"
assert_eq "active 1 da" "$(status_of $DA)" "JA makes the subscriber active with SMS consent"
assert_eq "sms:+$DA" "$(bb_sql "SELECT source FROM consent_log WHERE action = 'grant' AND
	subscriber_id = (SELECT id FROM subscribers WHERE phone = '+$DA')")" "consent source is the number"
assert_eq "$question" "$(bb_sql "SELECT evidence FROM consent_log WHERE action = 'grant' AND
	subscriber_id = (SELECT id FROM subscribers WHERE phone = '+$DA')")" \
	"consent evidence is the question they answered"

opp1=$(opportunity --interest sport --url "https://frivillig.example.dk/o/1" \
	--title "da=Fodboldtrænere søges" --summary "da=Træn U13 om tirsdagen." \
	--title "ar=مطلوب مدربو كرة قدم" --summary "ar=درّب فريق تحت 13 سنة.")
assert_match "$opp1" '^[0-9]+$' "first opportunity published"
wait_until "[ \$(mt_count_to $DA) -ge 3 ]" 30 "$BB_PID" || fail "the campaign did not reach +$DA"
assert_contains "$(mt_to $DA | sed -n 3p)" "Fodboldtrænere søges" "the campaign SMS arrived, in Danish"
assert_eq "campaign" "$(bb_sql "SELECT kind FROM messages WHERE recipient = '+$DA' ORDER BY id DESC LIMIT 1")" \
	"it is the campaign message"

kannel_mo $DA 1220 "STOP"
expect_reply $DA 4 "afmeldt" "stop"
assert_eq "unsubscribed 0 da" "$(status_of $DA)" "STOP unsubscribes at once"

# the next campaign: the control subscriber gets it, the stopped one not
kannel_mt_clear
opp2=$(opportunity --interest sport --title "da=Håndboldhjælpere" --summary "da=Til stævnet.")
wait_until "expanded $opp2" 30 "$BB_PID" || fail "second campaign not expanded"
wait_until "[ \$(mt_count_to ${OTHER#+}) -ge 1 ]" 30 "$BB_PID" || fail "control subscriber got nothing"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state IN ('queued','sending')\")\" = 0 ]" 30 ||
	fail "the outbox did not drain"
assert_eq 0 "$(mt_count_to $DA)" "after STOP: nothing more reaches +$DA"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+$DA' AND campaign_id = $(campaign_of "$opp2")")" \
	"and nothing was even queued for them"

# ---- 2. Arabic ------------------------------------------------------------------
kannel_mt_clear
kannel_mo $AR 1220 "انضم رياضة"
expect_reply $AR 1 "أرسل نعم" "Arabic join"
assert_eq "pending 0 ar" "$(status_of $AR)" "the Arabic join stores Arabic as the language"
kannel_mo $AR 1220 "نَعَم"
expect_reply $AR 2 "أهلا بك" "Arabic confirm (with tashkeel)"
assert_eq "active 1 ar" "$(status_of $AR)" "نعم confirms"
opp3=$(opportunity --interest sport --title "da=Svømmetrænere" --summary "da=Om lørdagen." \
	--title "ar=مدربو سباحة" --summary "ar=يوم السبت.")
wait_until "[ \$(mt_count_to $AR) -ge 3 ]" 30 "$BB_PID" || fail "the Arabic campaign did not arrive"
assert_contains "$(mt_to $AR | sed -n 3p)" "مدربو سباحة" "the campaign arrived in Arabic"
kannel_mo $AR 1220 "توقف"
expect_reply $AR 4 "تم إلغاء اشتراكك" "Arabic stop"
assert_eq "unsubscribed 0 ar" "$(status_of $AR)" "توقف unsubscribes"
assert_eq "ucs2" "$(bb_sql "SELECT DISTINCT coding FROM messages WHERE recipient = '+$AR' ORDER BY coding")" \
	"Arabic replies went as UCS-2"
kannel_mt_clear
opp4=$(opportunity --interest sport --title "da=Løbehjælpere" --summary "da=Til løbet." \
	--title "ar=مساعدو الجري" --summary "ar=للسباق.")
wait_until "expanded $opp4" 30 "$BB_PID" || fail "fourth campaign not expanded"
wait_until "[ \$(mt_count_to ${OTHER#+}) -ge 1 ]" 30 "$BB_PID" || fail "control subscriber got nothing"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state IN ('queued','sending')\")\" = 0 ]" 30 ||
	fail "the outbox did not drain"
assert_eq 0 "$(mt_count_to $AR)" "after توقف: nothing more reaches +$AR"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+$AR' AND campaign_id = $(campaign_of "$opp4")")" \
	"and nothing was even queued for them"

# ---- 3. duplicates ----------------------------------------------------------------
# An MO that arrives while we are down: smsbox's attempts are refused at
# the connection, and its retry after the restart is handled (replayed
# MOs with the same %I are checked below).
rows=$(bb_sql "SELECT count(*) FROM inbound")
bb_stop
kannel_mt_clear
kannel_mo 4520300003 1220 "HJÆLP"
wait_until "grep -q 'ERROR: Couldn.t fetch <.*from=4520300003' '$KANNEL_DIR/smsbox.log'" 15 ||
	fail "smsbox did not try (and fail) to deliver the MO while we were down"
bb_start
expect_reply 4520300003 1 "Sådan bruger du" "MO sent while the daemon was down, after smsbox's retry"
assert_eq $((rows + 1)) "$(bb_sql "SELECT count(*) FROM inbound")" "recorded once after smsbox's retry"
gid=$(bb_sql "SELECT gateway_id FROM inbound WHERE sender = '+4520300003'")
assert_match "$gid" '^[0-9a-f-]{36}$' "the gateway id is Kannel's UUID (%I)"

# the very request smsbox made, once more (a retry after a lost answer)
code=$(curl -s -o "$TEST_TMPDIR/replay.out" -w '%{http_code}' \
	"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=4520300003&to=1220&text=HJ%C3%86LP&id=$gid")
assert_eq 200 "$code" "a replayed MO is accepted (so the gateway stops retrying)"
assert_eq 0 "$(stat -c %s "$TEST_TMPDIR/replay.out")" "with an empty body (nothing for smsbox to send)"
assert_eq $((rows + 1)) "$(bb_sql "SELECT count(*) FROM inbound")" "but not recorded twice"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520300003'")" "and answered once"
assert_cmd "grep -q 'inbound duplicate ignored gateway_id=$gid' '$BB_LOG'" "the duplicate is logged"

# ---- 4. what smsbox sees -------------------------------------------------------------
code=$(curl -s -o "$TEST_TMPDIR/wrong.out" -w '%{http_code}' \
	"$BB_URL/sms/inbound?secret=wrong&from=4520300004&to=1220&text=STOP&id=x1")
assert_eq 403 "$code" "a wrong secret is refused"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id = 'x1'")" "and nothing is recorded"
assert_cmd "! grep -q '$BB_INBOUND_SECRET' '$BB_LOG'" "the secret never appears in our log"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM inbound WHERE reply_message_id IS NOT NULL AND reply IS NULL")" \
	"every reply is recorded with its inbound message"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM (SELECT reply_message_id FROM inbound WHERE reply_message_id IS NOT NULL
	GROUP BY reply_message_id HAVING count(*) > 1) AS shared")" \
	"no reply answers two messages"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE state NOT IN ('sent', 'delivered')")" \
	"every message went out: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"

bb_stop 5
kannel_stop || fail "kannel needed SIGKILL"
done_testing
