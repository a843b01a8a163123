# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# HTTP test peers on 127.0.0.1. Source common.sh first.
#
# recorder_* : http_recorder.py, records every request it gets (a stand-in
#              for budbringerd's /sms/inbound and /sms/dlr, or any callback).
#   recorder_start DIR [--status 200] [--body ok] [--port PORT]
#     exports RECORDER_PORT RECORDER_URL (http://127.0.0.1:PORT)
#             RECORDER_LOG (JSON lines) RECORDER_PID
#   recorder_count [ROUTE]          requests so far (optionally on one path)
#   recorder_wait N [ROUTE] [TIMEOUT=10]
#   recorder_stop
#
# restgw_* : rest_gateway.py, a fake JSON REST SMS gateway.
#   restgw_start DIR [rest_gateway.py options...]
#     exports RESTGW_PORT RESTGW_BASE_URL (http://127.0.0.1:PORT)
#             RESTGW_URL ($RESTGW_BASE_URL/sms) RESTGW_TOKEN RESTGW_LOG
#             RESTGW_CONTROL (control file) RESTGW_PID
#     RESTGW_TOKEN is generated unless set before the call.
#   restgw_config 'JSON'            replace the fault settings (synchronous)
#   restgw_dlr ID [STATUS=DELIVERED] [ERROR]   post a DLR to the callback_url
#   restgw_state                    GET /_control/state (JSON)
#   restgw_count                    requests to /sms so far
#   restgw_stop

[ -n "${_BB_COMMON_SH:-}" ] || { echo "http.sh: source common.sh first" >&2; return 1; }

# jsonl_select FILE 'EXPR' ['FILTER']: print the Python expression EXPR for
# every JSON line r of FILE (for which FILTER is true), one result a line;
# strings print raw, anything else as JSON. FILE "-" reads stdin.
#   jsonl_select "$RECORDER_LOG" 'r["query"]["text"][0]' 'r["route"] == "/sms/inbound"'
_BB_JSONL_PY='
import json, sys
path, expr = sys.argv[1], sys.argv[2]
flt = sys.argv[3] if len(sys.argv) > 3 else "True"
try:
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
except OSError as e:
    sys.exit("jsonl_select: cannot read %s: %s" % (path, e.strerror))
for line in f:
    if not line.strip():
        continue
    r = json.loads(line)
    if not eval(flt, {"r": r, "json": json}):
        continue
    v = eval(expr, {"r": r, "json": json})
    print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
'
jsonl_select() {
	"$BB_PYTHON" -c "$_BB_JSONL_PY" "$@"
}

# ---------------------------------------------------------------- recorder ---

recorder_start() {
	local dir=${1:?usage: recorder_start DIR [options]} port=""
	shift
	if [ "${1:-}" = "--port" ]; then
		port=$2
		shift 2
	fi
	mkdir -p "$dir" || return 1
	[ -n "$port" ] || port=$(free_port) || return 1
	RECORDER_PORT=$port
	RECORDER_URL=http://127.0.0.1:$port
	RECORDER_LOG=$(cd "$dir" && pwd)/requests.jsonl
	: >"$RECORDER_LOG"
	spawn RECORDER_PID "$dir/recorder.out" "$BB_PYTHON" \
		"$TESTS_LIB_DIR/http_recorder.py" --port "$port" --log "$RECORDER_LOG" "$@"
	export RECORDER_PORT RECORDER_URL RECORDER_LOG RECORDER_PID
	wait_for_port "$port" 10 "$RECORDER_PID" || {
		note "http_recorder did not start: $(cat "$dir/recorder.out")"
		return 1
	}
}

recorder_count() {
	if [ -n "${1:-}" ]; then
		local lines
		lines=$(jsonl_select "$RECORDER_LOG" 'r["n"]' "r['route'] == $(_bb_pystr "$1")") || return 1
		printf '%s' "$lines" | grep -c . || true
	else
		[ -r "$RECORDER_LOG" ] || { echo "recorder_count: cannot read '$RECORDER_LOG'" >&2; return 1; }
		grep -c . "$RECORDER_LOG" || true
	fi
}

recorder_wait() {
	local n=$1 route=${2:-} t=${3:-10}
	wait_until "[ \"\$(recorder_count $(printf %q "$route"))\" -ge $n ]" "$t" "$RECORDER_PID"
}

recorder_stop() {
	stop_pid "${RECORDER_PID:-}" 5
}

# Python string literal of $1 (for filters built in shell).
_bb_pystr() {
	"$BB_PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

# ------------------------------------------------------------ REST gateway ---

restgw_start() {
	local dir=${1:?usage: restgw_start DIR [options]} port
	shift
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	port=$(free_port) || return 1
	RESTGW_PORT=$port
	RESTGW_BASE_URL=http://127.0.0.1:$port
	RESTGW_URL=$RESTGW_BASE_URL/sms
	RESTGW_TOKEN=${RESTGW_TOKEN:-$(random_token 32)}
	RESTGW_LOG=$dir/requests.jsonl
	RESTGW_CONTROL=$dir/control.json
	: >"$RESTGW_LOG"
	[ -e "$RESTGW_CONTROL" ] || echo '{}' >"$RESTGW_CONTROL"
	spawn RESTGW_PID "$dir/rest_gateway.out" "$BB_PYTHON" \
		"$TESTS_LIB_DIR/rest_gateway.py" --port "$port" --log "$RESTGW_LOG" \
		--control "$RESTGW_CONTROL" --token "$RESTGW_TOKEN" "$@"
	export RESTGW_PORT RESTGW_BASE_URL RESTGW_URL RESTGW_TOKEN RESTGW_LOG \
		RESTGW_CONTROL RESTGW_PID
	wait_for_port "$port" 10 "$RESTGW_PID" || {
		note "rest_gateway did not start: $(cat "$dir/rest_gateway.out")"
		return 1
	}
}

restgw_config() {
	curl -sf --max-time 5 -o /dev/null -H 'Content-Type: application/json' \
		--data-binary "$1" "$RESTGW_BASE_URL/_control/config"
}

restgw_dlr() {
	local body
	body=$("$BB_PYTHON" -c 'import json, sys
a = sys.argv[1:]
print(json.dumps({"id": a[0], "status": a[1] if len(a) > 1 else "DELIVERED",
                  "error": a[2] if len(a) > 2 else None}))' "$@") || return 1
	curl -s --max-time 10 -H 'Content-Type: application/json' \
		--data-binary "$body" "$RESTGW_BASE_URL/_control/dlr"
	echo
}

restgw_state() {
	curl -sf --max-time 5 "$RESTGW_BASE_URL/_control/state"
	echo
}

restgw_count() {
	restgw_state | "$BB_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["requests"])'
}

restgw_stop() {
	stop_pid "${RESTGW_PID:-}" 5
}
