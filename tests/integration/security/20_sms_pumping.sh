#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, item 6: the portal's form cannot make us text the world.
# Confirmation SMS to numbers that never texted us go only to allowed
# countries and within hourly caps (all, and per block of 10,000 numbers);
# a number that texted us is never held back.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3
PORTAL_TOKEN=$(random_token 40)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";"
BB_SMS_EXTRA="confirm_countries = [\"45\", \"46\"]; confirm_hourly_cap = 6; confirm_prefix_hourly_cap = 3;"
bb_config
bb init >/dev/null
bb_start

signup() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $PORTAL_TOKEN" \
		-H 'Content-Type: application/json' --data-binary "{\"phone\": \"$1\"}" "$BB_URL/api/v1/subscribers"
}
questions() { # questions E164: confirmation SMS queued to it
	bb_sql "SELECT count(*) FROM messages WHERE kind = 'confirm' AND recipient = '$1'"
}
spooled_to() { # spooled_to E164: SMS spool files addressed to it
	grep -l -F "\"$1\"" "$BB_SPOOL_SMS"/*.json 2>/dev/null | wc -l
}
metric() { curl -s --max-time 5 "$BB_URL/metrics" | grep -F "budbringer_confirm_sms_held_total{reason=\"$1\"}" | awk '{ print $2 }'; }

# --- countries ----------------------------------------------------------------
assert_eq 202 "$(signup +4520900001)" "a Danish number signs up"
wait_until "[ \"\$(spooled_to +4520900001)\" = 1 ]" 10 "$BB_PID" || fail "the Danish number got no question"
assert_eq 1 "$(spooled_to +4520900001)" "… and gets its question, sent"
for n in +12025550123 +447700900123 +882123456789 +4790012345; do
	assert_eq 202 "$(signup "$n")" "sign-up for $n answered as any other"
	assert_eq 0 "$(questions "$n")" "no question queued to $n (country not allowed)"
done
assert_eq 4 "$(metric country)" "the four held back are counted in /metrics (reason country)"
assert_eq 202 "$(signup +46701234567)" "a Swedish number (allowed) signs up"
assert_eq 1 "$(questions +46701234567)" "… and is asked"

# --- a number that texted us is its owner asking ------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=447700900999&to=1220&text=FRIVILLIG&id=uk-1")
assert_eq 200 "$code" "a British number texts the keyword"
assert_num -ge "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+447700900999'")" 1 \
	"it gets its answer by SMS"
assert_eq 202 "$(signup +447700900999)" "then signs up on the portal"
wait_until "[ \"\$(questions +447700900999)\" -ge 1 ]" 5 "$BB_PID" || true
assert_num -ge "$(questions +447700900999)" 1 "… and is asked although +44 is not allowed: it texted us"

# --- per block of 10,000 numbers (cap 3), then the whole service (cap 6) -----
# So far this hour: +4520900001 and +46701234567 (the +44 number texted us).
for n in 1 2 3; do signup "+452091000$n" >/dev/null; done
assert_eq "1 1 1" "$(questions +4520910001) $(questions +4520910002) $(questions +4520910003)" \
	"three numbers of block +452091 are asked"
assert_eq 202 "$(signup +4520910004)" "a fourth in the same block signs up"
assert_eq 0 "$(questions +4520910004)" "… and is held: 3 an hour per block"
assert_eq 1 "$(metric prefix_cap)" "counted as prefix_cap"
assert_eq 202 "$(signup +4520920001)" "a number of another block"
assert_eq 1 "$(questions +4520920001)" "… is asked (6th of the hour)"
assert_eq 202 "$(signup +4520930001)" "the next, in yet another block"
assert_eq 0 "$(questions +4520930001)" "… is held: 6 an hour in all"
signup +4520940001 >/dev/null
assert_eq 0 "$(questions +4520940001)" "and so is the one after"
assert_eq 2 "$(metric global_cap)" "counted as global_cap"
assert_eq 1 "$(grep -c 'confirmation SMS held back, global_cap reached' "$BB_LOG")" \
	"the log warns once when the service cap is reached"
assert_eq 1 "$(grep -c 'confirmation SMS held back, prefix_cap reached' "$BB_LOG")" \
	"… and once for the block"
wait_until "[ \"\$(spooled_to +4520920001)\" = 1 ]" 10 "$BB_PID" || fail "the last one allowed was not sent"
assert_eq 0 "$(spooled_to +4520930001)" "nothing reached the provider for a held number"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=4520940001&to=1220&text=FRIVILLIG&id=dk-9")" \
	"the held number texts the keyword itself"
wait_until "[ \"\$(spooled_to +4520940001)\" -ge 1 ]" 10 "$BB_PID" || true
assert_num -ge "$(spooled_to +4520940001)" 1 "… and gets its answer whatever the caps"
bb_stop
done_testing
