#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of tests/lib/kannel.sh against a real Kannel: MT (GSM and
# UCS-2, single and multi-part) reaches fakesmsc and decodes back byte for
# byte, DLRs reach the dlr-url, MO reaches the get-url, an smsbox outage and
# restart work, and everything stops by pid.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
. "$TESTS_LIB_DIR/kannel.sh"
. "$TESTS_LIB_DIR/http.sh"

# The recorder stands in for budbringerd's HTTP listener.
recorder_start "$TEST_TMPDIR/bb" || die "recorder did not start"
BB_HTTP_PORT=$RECORDER_PORT
export BB_INBOUND_SECRET=s3cret-For-Test
kannel_start "$TEST_TMPDIR/kannel" || die "kannel did not start"
pass "kannel started (bearerbox $KANNEL_BEARERBOX_PID, smsbox $KANNEL_SMSBOX_PID)"

assert_contains "$(cat "$KANNEL_CONF")" \
	"get-url = \"http://127.0.0.1:$BB_HTTP_PORT/sms/inbound?secret=s3cret-For-Test&from=%p&to=%P&text=%a&id=%I\"" \
	"sms-service get-url rendered from kannel-sms-service.conf.in"

# --- plain MT ---
r=$(kannel_sendsms from=1234 to=%2B4512345678 text=Hello)
assert_eq "202 0: Accepted for delivery" "$r" "sendsms accepts a GSM message"
assert_http 403 "$KANNEL_SENDSMS_URL?username=$KANNEL_USER&password=wrong&from=1&to=2&text=x" \
	"sendsms refuses a wrong password"
kannel_mt_wait 1 || fail "MT did not reach fakesmsc"
assert_eq "+4512345678	Hello" "$(kannel_mt_messages)" "MT printed as TO<TAB>TEXT"

# --- Arabic as UCS-2, single part, byte for byte ---
kannel_mt_clear
ar='مرحبا، هذه رسالة تجريبية'
ar_enc=$(printf '%s' "$ar" | iconv -f UTF-8 -t UTF-16BE | "$BB_PYTHON" -c \
	'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.buffer.read(), safe=""))')
r=$(kannel_sendsms from=1234 to=4520000001 coding=2 charset=UTF-16BE "text=$ar_enc")
assert_eq "202 0: Accepted for delivery" "$r" "sendsms accepts UCS-2 UTF-16BE"
kannel_mt_wait 1
assert_eq "4520000001	$ar" "$(kannel_mt_messages)" "Arabic decoded back byte for byte"
assert_eq ucs-2 "$(kannel_mt_messages --json | jsonl_select - 'r["coding"]')" \
	"single-part Arabic reported as ucs-2"

# --- multi-part: Danish 7-bit and Arabic UCS-2 ---
kannel_mt_clear
da=$(for i in $(seq 1 12); do printf 'Hej æøå ÆØÅ {%02d} € ' "$i"; done)
kannel_sendsms from=Kommune to=4520000002 charset=UTF-8 "text=$(urlencode "$da")" >/dev/null
long_ar=$(for i in $(seq 1 9); do printf '%s ' "$ar"; done)
kannel_sendsms from=Kommune to=4520000003 coding=2 charset=UTF-8 "text=$(urlencode "$long_ar")" >/dev/null
kannel_mt_wait 2
json=$(kannel_mt_messages --json)
assert_eq "4520000002	$da
4520000003	$long_ar" "$(kannel_mt_messages)" "multi-part messages joined whole"
assert_eq "2 4" "$(jsonl_select - 'r["parts"]' <<<"$json" | tr '\n' ' ' | sed 's/ $//')" \
	"Danish in 2 parts (153 septets each), Arabic in 4 (67 chars)"
assert_eq "text/access-log ucs-2/access-log" \
	"$(jsonl_select - 'r["coding"] + "/" + r["coding_from"]' <<<"$json" | tr '\n' ' ' | sed 's/ $//')" \
	"coding of multi-part messages taken from bearerbox's access log"
assert_eq "text ucs-2" \
	"$("$BB_PYTHON" "$TESTS_LIB_DIR/fakesmsc_decode.py" --json "$KANNEL_MT_LOG" |
		jsonl_select - 'r["coding"]' | tr '\n' ' ' | sed 's/ $//')" \
	"without the access log the coding is guessed right"

# coding=2 without charset: Kannel takes the UTF-8 bytes as UCS-2 as they
# are, which a phone shows as garbage. The decoder must not hide that.
kannel_mt_clear
kannel_sendsms from=1234 to=4520000009 coding=2 "text=$(urlencode "$long_ar")" >/dev/null
kannel_mt_wait 1
assert_ne "4520000009	$long_ar" "$(kannel_mt_messages)" "UTF-8 sent as UCS-2 does not decode back"

# --- DLR: the fake SMSC reports ACK (8) then delivered (1) for mask 31 ---
dlr_url=$(urlencode "$RECORDER_URL/sms/dlr?id=m42&status=%d&smsc=%i")
kannel_sendsms from=1234 to=4520000004 text=dlr dlr-mask=31 "dlr-url=$dlr_url" >/dev/null
recorder_wait 2 /sms/dlr || fail "DLRs did not arrive"
assert_eq "m42 8
m42 1" "$(jsonl_select "$RECORDER_LOG" 'r["query"]["id"][0] + " " + r["query"]["status"][0]' \
	'r["route"] == "/sms/dlr"')" "dlr-url called with status 8 then 1"

# --- MO: ASCII as text, Arabic and Danish as ucs2; smsbox calls get-url ---
kannel_mo 4511111111 1234 "JA tak"
kannel_mo 4522222222 1234 "نعم"
kannel_mo 4533333333 1234 "HJÆLP"
recorder_wait 3 /sms/inbound 10 || fail "MO did not reach get-url"
assert_eq "s3cret-For-Test 4511111111 1234 JA tak
s3cret-For-Test 4522222222 1234 نعم
s3cret-For-Test 4533333333 1234 HJÆLP" \
	"$(jsonl_select "$RECORDER_LOG" '" ".join(r["query"][k][0] for k in ("secret", "from", "to", "text"))' \
		'r["route"] == "/sms/inbound"')" "MO arrives at get-url as UTF-8 with secret"
ids=$(jsonl_select "$RECORDER_LOG" 'r["query"]["id"][0]' 'r["route"] == "/sms/inbound"')
assert_match "${ids%%$'\n'*}" '^[0-9a-f-]{36}$' "MO carries Kannel's message id"
# %a joins the words with single spaces: runs of blanks and newlines go.
kannel_mo 4511111111 1234 "Hej  med
dig a+b&c=d 100%"
recorder_wait 4 /sms/inbound 10
assert_eq "Hej med dig a+b&c=d 100%" \
	"$(jsonl_select "$RECORDER_LOG" 'r["query"]["text"][0]' 'r["route"] == "/sms/inbound"' | tail -1)" \
	"special characters survive, whitespace is collapsed by %a"

# --- smsbox outage mid-campaign ---
kannel_stop_smsbox || fail "smsbox did not stop on SIGTERM"
assert_http 000 "$KANNEL_SENDSMS_URL" "sendsms unreachable while smsbox is down"
assert_cmd "pid_alive $KANNEL_FAKESMSC_MO_PID" "MO fakesmsc survives the smsbox outage"
kannel_mo 4544444444 1234 "STOP"
sleep 1.5
kannel_start_smsbox || die "smsbox did not restart"
r=$(kannel_sendsms from=1234 to=4520000005 text=after)
assert_eq "202 0: Accepted for delivery" "$r" "sendsms works again after restart"
recorder_wait 5 /sms/inbound 10 || fail "MO queued during the outage was not delivered"
assert_eq "4544444444 STOP" \
	"$(jsonl_select "$RECORDER_LOG" 'r["query"]["from"][0] + " " + r["query"]["text"][0]' \
		'r["route"] == "/sms/inbound"' | tail -1)" "MO sent during the outage arrives after it"

# --- clean stop by pid ---
pids="$KANNEL_BEARERBOX_PID $KANNEL_SMSBOX_PID $KANNEL_FAKESMSC_MT_PID $KANNEL_FAKESMSC_MO_PID"
kannel_stop
assert_eq 0 $? "kannel_stop stopped everything with SIGTERM"
left=""
for p in $pids; do pid_alive "$p" && left="$left $p"; done
assert_no_output "no Kannel process left" test -z "$left"
done_testing
