#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of rest_gateway.py and http_recorder.py through tests/lib/http.sh:
# success, auth, every injected fault, control file, idempotency, DLR
# callbacks and the --fast benchmark mode.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
. "$TESTS_LIB_DIR/http.sh"

recorder_start "$TEST_TMPDIR/cb" || die "recorder did not start"
restgw_start "$TEST_TMPDIR/gw" || die "rest_gateway did not start"

body() { # body MSISDN... : a request for these recipients
	"$BB_PYTHON" -c 'import json, sys
print(json.dumps({"sender": "Kommune", "message": "Hej æøå مرحبا", "encoding": "UCS2",
    "recipients": [{"msisdn": int(m) if m.isdigit() else m} for m in sys.argv[1:]],
    "userref": "m-17", "callback_url": sys.stdin.read().strip()}, ensure_ascii=False))' "$@" \
		<<<"$RECORDER_URL/sms/dlr"
}
req() { # req DATA [CURL ARGS...] -> "CODE BODY"
	local data=$1 out
	shift
	out=$(curl -s --max-time 2 -w '\n%{http_code}' -H "Authorization: Bearer ${TOKEN:-$RESTGW_TOKEN}" \
		-H 'Content-Type: application/json' --data-binary "$data" "$@" "$RESTGW_URL")
	printf '%s %s' "${out##*$'\n'}" "${out%$'\n'*}"
}

# --- success ---
assert_eq '200 {"ids": [{"msisdn": 4512345678, "id": "gw-1"}, {"msisdn": "4587654321", "id": "gw-2"}]}' \
	"$(req "$(body 4512345678 +4587654321 | sed 's/"+4587654321"/"4587654321"/')")" \
	"accepted, ids per recipient, msisdn echoed with its JSON type"
assert_eq "Hej æøå مرحبا" "$(jsonl_select "$RESTGW_LOG" 'r["json"]["message"]')" \
	"request logged with its UTF-8 JSON body"
assert_eq "Bearer $RESTGW_TOKEN" "$(jsonl_select "$RESTGW_LOG" 'r["headers"]["Authorization"]')" \
	"request headers logged"

# --- auth and validation ---
assert_eq '401 {"error": "unauthorized"}' "$(TOKEN=nope req "$(body 4511111111)")" \
	"wrong token gets 401"
assert_eq '400 {"error": "missing recipients"}' "$(req '{"sender": "K", "message": "x", "recipients": []}')" \
	"empty recipients get 400"
assert_eq '400 {"error": "invalid JSON"}' "$(req 'not json')" "non-JSON body gets 400"

# --- faults ---
restgw_config '{"fail_first": 2, "fail_status": 500}' || fail "control config"
codes=$(for _ in 1 2 3; do req "$(body 4511111111)" | cut -d' ' -f1; done | tr '\n' ' ')
assert_eq "500 500 200 " "$codes" "fail_first: two 500s then success"

restgw_config '{"mode": "503"}'
hdr=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $RESTGW_TOKEN" --data-binary "$(body 4511111111)" "$RESTGW_URL" | tr -d '\r')
assert_contains "$hdr" "HTTP/1.1 503" "mode 503"
assert_contains "$hdr" "Retry-After: 1" "503 carries Retry-After"

restgw_config '{"invalid_msisdns": ["4500000000"]}'
assert_eq '400 {"error": "invalid recipient", "msisdn": 4500000000}' \
	"$(req "$(body 4511111111 4500000000)")" "invalid recipient gets 400"

restgw_config '{"mode": "hang", "hang_seconds": 5}'
t0=$(_bb_now_ms)
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $RESTGW_TOKEN" --data-binary "$(body 4511111111)" "$RESTGW_URL"
rc=$?
assert_eq 28 "$rc" "hang: client times out (curl exit 28)"
assert_num -lt $(($(_bb_now_ms) - t0)) 2500 "hang: the timeout was the client's, not the server's"

restgw_config '{"mode": "close"}'
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $RESTGW_TOKEN" --data-binary "$(body 4511111111)" "$RESTGW_URL"
assert_eq 18 "$?" "close: connection closed mid-response (curl exit 18)"

restgw_config '{"mode": "garbage"}'
assert_match "$(req "$(body 4511111111)")" '^200 <html>' "garbage: 200 with a non-JSON body"

restgw_config '{"sequence": ["429", "garbage", "ok"], "mode": "502"}'
codes=$(for _ in 1 2 3 4; do req "$(body 4511111111)" | cut -d' ' -f1; done | tr '\n' ' ')
assert_eq "429 200 200 502 " "$codes" "sequence then mode"

# The control file works too and is re-read when it changes.
echo '{"mode": "500"}' >"$RESTGW_CONTROL.new" && mv "$RESTGW_CONTROL.new" "$RESTGW_CONTROL"
assert_eq 500 "$(req "$(body 4511111111)" | cut -d' ' -f1)" "control file change applied"
echo '{}' >"$RESTGW_CONTROL.new" && mv "$RESTGW_CONTROL.new" "$RESTGW_CONTROL"
assert_eq 200 "$(req "$(body 4511111111)" | cut -d' ' -f1)" "control file back to normal"

# --- idempotency ---
a=$(req "$(body 4522222222)" -H 'Idempotency-Key: k-1')
b=$(req "$(body 4522222222)" -H 'Idempotency-Key: k-1')
assert_eq "$a" "$b" "same Idempotency-Key gets the same ids"
assert_eq "True" "$(jsonl_select "$RESTGW_LOG" 'str(r["replay"])' 'r.get("kind") == "request"' | tail -1)" \
	"the replay is marked in the log"

# A lost answer (garbage, close, hang) still accepted the message: a retry
# with the same key is a replay of the original ids, one without a key (or
# with dedupe off) is a second acceptance.
last() { tail -n 1 "$RESTGW_LOG" | jsonl_select - "$1"; }  # last EXPR: over the last request
restgw_config '{"sequence": ["garbage", "close", "hang"], "hang_seconds": 3}'
req "$(body 4555555555)" -H 'Idempotency-Key: k-lost' >/dev/null
id=$(last 'r["ids"][0]')
assert_eq "garbage True [200, {\"ids\": [{\"msisdn\": 4555555555, \"id\": \"$id\"}]}]" \
	"$(last '"%s %s %s" % (r["action"], r["accepted"], json.dumps([r["lost_answer"]["status"], r["lost_answer"]["body"]]))')" \
	"garbage: accepted first, the lost answer logged"
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $RESTGW_TOKEN" -H 'Idempotency-Key: k-lost' \
	--data-binary "$(body 4555555555)" "$RESTGW_URL"
assert_eq "close False True $id" "$(last '"%s %s %s %s" % (r["action"], r["accepted"], r["replay"], r["ids"][0])')" \
	"close with a known key: a replay, nothing new accepted"
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $RESTGW_TOKEN" -H 'Idempotency-Key: k-hang' \
	--data-binary "$(body 4566666666)" "$RESTGW_URL"
hung=$(last 'r["ids"][0]')
assert_eq "hang True" "$(last '"%s %s" % (r["action"], r["accepted"])')" "hang: accepted before hanging"
assert_match "$(req "$(body 4566666666)" -H 'Idempotency-Key: k-hang')" "^200 .*\"$hung\"" \
	"retry while the first request still hangs: the original success"
assert_eq "True False" "$(last '"%s %s" % (r["replay"], r["accepted"])')" "and it is logged as a replay"
req "$(body 4555555555)" >/dev/null
assert_eq "True False" "$(last '"%s %s" % (r["accepted"], r["replay"])')" "a retry without the key is a second acceptance"
restgw_config '{"dedupe": false}'
req "$(body 4555555555)" -H 'Idempotency-Key: k-lost' >/dev/null
assert_eq "True False" "$(last '"%s %s" % (r["accepted"], r["replay"])')" "dedupe off: the same key is accepted again"
restgw_config '{}'

# --- DLR callbacks ---
out=$(restgw_dlr gw-1 DELIVERED)
assert_eq '{"callback_status": 200, "callback_error": null}' "$out" "DLR posted on demand"
recorder_wait 1 /sms/dlr 5
assert_eq '{"id": "gw-1", "msisdn": 4512345678, "status": "DELIVERED", "error": null, "code": null, "userref": "m-17"}' \
	"$(jsonl_select "$RECORDER_LOG" 'json.dumps({k: v for k, v in json.loads(r["body"]).items() if k != "time"})' \
		'r["route"] == "/sms/dlr"')" "DLR body as JSON"
assert_eq POST "$(jsonl_select "$RECORDER_LOG" 'r["method"]')" "DLR is a POST"
restgw_dlr gw-2 UNDELIVERABLE "no such subscriber" >/dev/null
recorder_wait 2 /sms/dlr 5
assert_contains "$(tail -1 "$RECORDER_LOG")" 'UNDELIVERABLE' "failed DLR on demand"
restgw_config '{"auto_dlr": "DELIVERED", "auto_dlr_delay": 0.1}'
req "$(body 4533333333 4544444444)" >/dev/null
recorder_wait 4 /sms/dlr 5 || fail "auto DLRs"
assert_eq 4 "$(recorder_count /sms/dlr)" "auto_dlr posts one DLR per recipient"
n=$(restgw_count)
assert_num -ge "$n" 20 "state counts requests ($n)"
restgw_stop || fail "rest_gateway did not stop on SIGTERM"

# --- fast mode ---
restgw_start "$TEST_TMPDIR/fast" --fast || die "fast rest_gateway did not start"
assert_eq '202 {"ids": [{"msisdn": 4511111111, "id": "gw-1"}]}' "$(req "$(body 4511111111)")" \
	"fast mode answers 202 with ids"
assert_eq 0 "$(wc -l <"$RESTGW_LOG")" "fast mode logs nothing per request"
if command -v wrk >/dev/null; then
	cat >"$TEST_TMPDIR/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"sender":"K","message":"x","recipients":[{"msisdn":4511111111}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $RESTGW_TOKEN"
EOF
	rate=$(wrk -t2 -c8 -d1s -s "$TEST_TMPDIR/post.lua" "$RESTGW_URL" | awk '/Requests\/sec/ { printf "%d", $2 }')
	note "rest_gateway --fast: $rate requests/s with wrk -t2 -c8"
	assert_num -gt "${rate:-0}" 200 "fast mode serves wrk"
fi
restgw_stop
recorder_stop
done_testing
