# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared helpers for integration tests and benchmarks. Source it first:
#
#   . "$(dirname "$0")/../lib/common.sh"
#
# It gives every test script:
#   - TEST_TMPDIR: a private temporary directory, removed at exit
#     (KEEP_TMP=1 keeps it and prints its path);
#   - one EXIT trap running the commands registered with on_exit in reverse
#     order, so every process a test starts is stopped by pid even when the
#     script fails half-way (INT/TERM/HUP are turned into an exit);
#   - pass/fail counters and assert_* helpers; the script's last line is
#     always "N passed, N failed" and its exit status is non-zero when
#     anything failed or the script ended early with an error.
#
# Processes are only ever stopped by the pid we started (stop_pid), never by
# name: several tests may run at the same time on one machine.

[ -n "${_BB_COMMON_SH:-}" ] && return 0
_BB_COMMON_SH=1

BB_PYTHON=${BB_PYTHON:-/usr/bin/python3}
TESTS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BB_TOP_DIR=$(cd "$TESTS_LIB_DIR/../.." && pwd)
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
TESTS_PASSED=0
TESTS_FAILED=0
_BB_ON_EXIT=()
_BB_FINISHED=""

TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/budbringer-${TEST_NAME}.XXXXXX") || {
	echo "cannot create a temporary directory under ${TMPDIR:-/tmp}" >&2
	exit 1
}
export TEST_TMPDIR BB_PYTHON TESTS_LIB_DIR BB_TOP_DIR

note() { printf '# %s\n' "$*" >&2; }

# ---------------------------------------------------------------- results ---

pass() {
	TESTS_PASSED=$((TESTS_PASSED + 1))
	printf 'ok %d - %s\n' $((TESTS_PASSED + TESTS_FAILED)) "$*"
}

fail() {
	TESTS_FAILED=$((TESTS_FAILED + 1))
	printf 'not ok %d - %s\n' $((TESTS_PASSED + TESTS_FAILED)) "$*"
}

# die MSG: count a failure and end the script (cleanup still runs).
die() {
	fail "$*"
	exit 1
}

# Print a (possibly multi-line) value indented, so whitespace differences show.
_bb_show() {
	printf '%s' "$2" | sed -e "s/^/#   $1| /" -e 's/$/|/' >&2
	printf '\n' >&2
}

# assert_eq EXPECTED ACTUAL [MSG]. An empty ACTUAL fails whatever is
# expected: it is what a failed query or command prints. Where nothing is
# the right answer, say so: assert_no_output runs the command and checks
# that it succeeded too.
assert_eq() {
	local expected=$1 actual=$2 msg=${3:-values are equal}
	if [ -z "$actual" ]; then
		fail "$msg (the actual value is empty; use assert_no_output where nothing is expected)"
		_bb_show expected "$expected"
		return 1
	fi
	if [ "$expected" == "$actual" ]; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	_bb_show expected "$expected"
	_bb_show "actual  " "$actual"
	return 1
}

# An empty actual value fails too: it is what a failed query or command
# gives, not a value that differs.
assert_ne() {
	local unexpected=$1 actual=$2 msg=${3:-values differ}
	if [ -n "$actual" ] && [ "$unexpected" != "$actual" ]; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	_bb_show "both    " "$actual"
	return 1
}

# assert_contains HAYSTACK NEEDLE [MSG]: fixed-string containment.
assert_contains() {
	local haystack=$1 needle=$2 msg=${3:-}
	[ -n "$msg" ] || msg="text contains '$2'"
	if [[ "$haystack" == *"$needle"* ]]; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	_bb_show needle "$needle"
	_bb_show text "$haystack"
	return 1
}

# assert_not_contains HAYSTACK NEEDLE [MSG]: an empty HAYSTACK fails (a
# failed read contains nothing).
assert_not_contains() {
	local haystack=$1 needle=$2 msg=${3:-}
	[ -n "$msg" ] || msg="text does not contain '$2'"
	if [ -z "$haystack" ]; then
		fail "$msg (the text is empty)"
		return 1
	fi
	if [[ "$haystack" != *"$needle"* ]]; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	_bb_show text "$haystack"
	return 1
}

# assert_no_output MSG COMMAND [ARG…]: COMMAND exits 0 (every part of a
# pipeline in it, too) and prints nothing, on stdout or stderr.
assert_no_output() {
	local msg=$1 out rc
	shift
	out=$(set -o pipefail; "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		pass "$msg"
		return 0
	fi
	fail "$msg (exit $rc)"
	_bb_show output "$out"
	return 1
}

# count_files DIR [GLOB]: prints how many entries of DIR match GLOB (default
# *); fails loudly when DIR does not exist, so a wrong path is not 0.
count_files() {
	local dir=$1 glob=${2:-*} f n=0
	[ -d "$dir" ] || { echo "count_files: no directory '$dir'" >&2; return 1; }
	for f in "$dir"/$glob; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# assert_match STRING ERE [MSG]: bash [[ =~ ]] regular expression.
assert_match() {
	local string=$1 re=$2 msg=${3:-}
	[ -n "$msg" ] || msg="text matches /$2/"
	if [[ "$string" =~ $re ]]; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	_bb_show regex "$re"
	_bb_show text "$string"
	return 1
}

# assert_num OP A B [MSG]: integer comparison, OP one of -eq -ne -lt -le -gt -ge.
assert_num() {
	local op=$1 a=$2 b=$3 msg=${4:-$2 $1 $3}
	if [[ "$a" =~ ^-?[0-9]+$ && "$b" =~ ^-?[0-9]+$ ]] && test "$a" "$op" "$b"; then
		pass "$msg"
		return 0
	fi
	fail "$msg ($a $op $b is false)"
	return 1
}

# assert_cmd "SHELL CONDITION" [MSG]: passes when the condition succeeds.
assert_cmd() {
	local cond=$1 msg=${2:-$1}
	if eval "$cond"; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	return 1
}

# assert_file_eq EXPECTED_FILE ACTUAL_FILE [MSG]: byte-for-byte comparison.
assert_file_eq() {
	local expected=$1 actual=$2 msg=${3:-$2 equals $1}
	if cmp -s -- "$expected" "$actual"; then
		pass "$msg"
		return 0
	fi
	fail "$msg"
	diff -u -- "$expected" "$actual" 2>&1 | head -40 | sed 's/^/#   /' >&2
	return 1
}

# assert_http STATUS URL [MSG] [curl args...]: one request, compares the code.
assert_http() {
	local want=$1 url=$2 msg=${3:-HTTP $1 from $2} got
	shift 3 2>/dev/null || shift $#
	got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url")
	assert_eq "$want" "$got" "$msg"
}

# ---------------------------------------------------------------- cleanup ---

# on_exit "COMMAND": run COMMAND (eval'd) when the script exits, however it
# exits. Commands run in reverse order of registration.
on_exit() {
	_BB_ON_EXIT+=("$1")
}

_bb_exit() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM HUP
	for ((i = ${#_BB_ON_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_BB_ON_EXIT[i]}" || note "cleanup failed: ${_BB_ON_EXIT[i]}"
	done
	if [ "$rc" -ne 0 ] && [ "$TESTS_FAILED" -eq 0 ]; then
		fail "$TEST_NAME ended early with status $rc"
	fi
	if [ -n "${KEEP_TMP:-}" ]; then
		note "kept $TEST_TMPDIR"
	else
		rm -rf -- "$TEST_TMPDIR"
	fi
	printf '%d passed, %d failed\n' "$TESTS_PASSED" "$TESTS_FAILED"
	[ "$TESTS_FAILED" -eq 0 ] || [ "$rc" -ne 0 ] || rc=1
	exit "$rc"
}
trap _bb_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# done_testing: end the script; the summary line comes from the EXIT trap.
done_testing() {
	exit 0
}

# -------------------------------------------------------------- processes ---

# Milliseconds since the epoch; EPOCHREALTIME (bash 5) avoids a fork per poll.
_bb_now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		echo $((10#$t / 1000))
	else
		echo $(($(date +%s%N) / 1000000))
	fi
}

# pid_alive PID: true while PID exists and is not a zombie.
pid_alive() {
	local pid=$1 state
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "$state" != "Z" ]
}

# stop_pid PID [TIMEOUT=10] [SIGNAL=TERM]: send SIGNAL, wait up to TIMEOUT
# seconds, then SIGKILL. Returns 0 once the process is gone, 1 if it needed
# SIGKILL (a test may treat that as a failed graceful shutdown).
stop_pid() {
	local pid=$1 timeout=${2:-10} sig=${3:-TERM} deadline rc=0
	[ -n "$pid" ] || return 0
	if pid_alive "$pid"; then
		kill -s "$sig" "$pid" 2>/dev/null
		deadline=$(($(_bb_now_ms) + timeout * 1000))
		while pid_alive "$pid" && [ "$(_bb_now_ms)" -lt "$deadline" ]; do
			sleep 0.05
		done
		if pid_alive "$pid"; then
			note "pid $pid still alive ${timeout}s after SIG$sig, sending SIGKILL"
			kill -s KILL "$pid" 2>/dev/null
			while pid_alive "$pid"; do sleep 0.05; done
			rc=1
		fi
	fi
	# Reap it if it is our child; a no-op error otherwise.
	wait "$pid" 2>/dev/null
	return $rc
}

# spawn VAR LOGFILE CMD [ARGS...]: start CMD in the background with stdout and
# stderr in LOGFILE, store its pid in VAR and register stop_pid for it.
spawn() {
	# Underscored locals: the caller's VAR may be called "pid".
	local _var=$1 _log=$2 _pid
	shift 2
	"$@" >"$_log" 2>&1 </dev/null &
	_pid=$!
	printf -v "$_var" '%s' "$_pid"
	on_exit "stop_pid $_pid"
}

# ---------------------------------------------------------------- waiting ---


# wait_until "SHELL CONDITION" [TIMEOUT=10] [PID]: poll (every
# ${WAIT_INTERVAL:-0.1}s) until the eval'd condition succeeds. Fails early
# when PID is given and that process has died.
wait_until() {
	local cond=$1 timeout=${2:-10} pid=${3:-} deadline
	deadline=$(($(_bb_now_ms) + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }')))
	while :; do
		eval "$cond" && return 0
		if [ -n "$pid" ] && ! pid_alive "$pid"; then
			note "process $pid died while waiting for: $cond"
			return 1
		fi
		[ "$(_bb_now_ms)" -lt "$deadline" ] || break
		sleep "${WAIT_INTERVAL:-0.1}"
	done
	note "timed out after ${timeout}s waiting for: $cond"
	return 1
}

_bb_port_open() {
	(: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for_port PORT [TIMEOUT=10] [PID]: until 127.0.0.1:PORT accepts.
wait_for_port() {
	wait_until "_bb_port_open $(printf %q "$1")" "${2:-10}" "${3:-}"
}

_bb_http_up() {
	local code
	code=$(curl -s -k -o /dev/null --max-time 2 -w '%{http_code}' "$1" 2>/dev/null)
	[ -n "$code" ] && [ "$code" != "000" ]
}

# wait_for_http URL [TIMEOUT=10] [PID]: until URL answers with any HTTP status.
wait_for_http() {
	wait_until "_bb_http_up $(printf %q "$1")" "${2:-10}" "${3:-}"
}

# quiet_hours_now MINUTES [hold_email]: sets QUIET_HOURS to a
# campaigns.quiet_hours setting whose window is the current Copenhagen time
# ± MINUTES (so campaigns are held until it is lifted), and QUIET_END to
# its end as HH:MM.
quiet_hours_now() {
	local now_min start end
	now_min=$((10#$(TZ=Europe/Copenhagen date +%H) * 60 + 10#$(TZ=Europe/Copenhagen date +%M)))
	start=$(( (now_min + 1440 - $1) % 1440 ))
	end=$(( (now_min + $1) % 1440 ))
	QUIET_END=$(printf '%02d:%02d' $((end / 60)) $((end % 60)))
	QUIET_HOURS=$(printf 'quiet_hours = { start = "%02d:%02d"; end = "%s";%s };' \
		$((start / 60)) $((start % 60)) "$QUIET_END" "${2:+ hold_email = true;}")
}

# ------------------------------------------------------------------ ports ---

# free_port: print a TCP port free on 127.0.0.1. Ports come from below the
# kernel's ephemeral range (so a client's source port cannot take it between
# our check and the server's bind) and are never handed out twice in one test.
free_port() {
	"$BB_PYTHON" - "$TEST_TMPDIR/.ports" <<'EOF'
import os, random, socket, sys
used_file = sys.argv[1]
try:
    with open(used_file) as f:
        used = {int(x) for x in f.read().split()}
except OSError:
    used = set()
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
lo, hi = (20000, low - 1) if low > 21000 else (0, 0)
# The SQLite and the PostgreSQL pass may run at once (run-both.sh): each
# takes its own half of the range, so neither can take a port the other
# picked and has not bound yet.
if hi:
    mid = (lo + hi) // 2
    lo, hi = (mid + 1, hi) if os.environ.get("BB_ENGINE") == "postgresql" else (lo, mid)
def bindable(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return s.getsockname()[1]
    except OSError:
        return 0
    finally:
        s.close()
port = 0
for _ in range(500):
    cand = random.randint(lo, hi) if hi else 0
    if cand in used:
        continue
    port = bindable(cand)
    if port and port not in used:
        break
    port = 0
if not port:
    sys.exit("free_port: no free port found")
with open(used_file, "a") as f:
    f.write("%d\n" % port)
print(port)
EOF
}

# random_token [LEN=24]: URL-safe random string for passwords and secrets.
random_token() {
	head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "${1:-24}"
	echo
}

# urlencode STRING: percent-encode every byte but unreserved ones.
urlencode() {
	"$BB_PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1].encode("utf-8", "surrogateescape"), safe=""))' "$1"
}

# require_cmd CMD...: end the test early (as a failure) when a tool is missing.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || die "required tool '$c' is not installed (scripts/install-deps.sh)"
	done
}
