#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon under valgrind (memcheck, full leak check) through a small
# integration run: a campaign on the spool provider in two languages,
# inbound SMS keywords, the API, a reload, a graceful stop. Clean means no
# memory error and no definite leak.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

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
assert_eq 0 "$(bb_valgrind_errors)" "valgrind: no memory errors, no definite leaks"
[ "$(bb_valgrind_errors)" -eq 0 ] || cat "$BB_DIR"/valgrind.*.log | head -60
done_testing
