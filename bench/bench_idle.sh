#!/bin/bash
# SPDX-License-Identifier: MIT
# An idle daemon: RSS and CPU over 60 s (goal: under 10 MB and 0.1% CPU —
# no busy polling). Measured twice: configured as in production (SMS
# through Kannel, email through SMTP with STARTTLS; the gateways are never
# called because there is nothing to send) and as `make run` runs it (spool
# providers only). The baseline is build/bench/idle_floor: an empty main()
# linked against the same libraries, i.e. what loading them costs.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

SECS=${BENCH_IDLE_SECONDS:-60}
FLOOR_BIN="$BB_TOP_DIR/build/bench/idle_floor"
[ -x "$FLOOR_BIN" ] || die "build/bench/idle_floor is missing (make bench builds it)"

status_mb() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

"$FLOOR_BIN" &
floor_pid=$!
sleep 2
floor_rss=$(status_mb "$floor_pid" VmRSS)
floor_file=$(status_mb "$floor_pid" RssFile)
kill "$floor_pid"
wait "$floor_pid" 2>/dev/null
note "empty main() linked against the same libraries: RSS ${floor_rss} MB (${floor_file} MB shared library pages)"

# measure LABEL: starts the daemon with the current bb_config settings.
measure() {
	local label=$1 t0 t1 hz rss hwm anon file cpu ratio
	bb_config
	bb init >/dev/null
	"$BB_PYTHON" "$BB_TOP_DIR/scripts/gen-subscribers.py" "$BB_DB" 1000 >/dev/null
	bb_start
	sleep 5
	hz=$(getconf CLK_TCK)
	t0=$(ticks "$BB_PID")
	sleep "$SECS"
	t1=$(ticks "$BB_PID")
	rss=$(status_mb "$BB_PID" VmRSS)
	hwm=$(status_mb "$BB_PID" VmHWM)
	anon=$(status_mb "$BB_PID" RssAnon)
	file=$(status_mb "$BB_PID" RssFile)
	cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.3f", (b - a) / hz / s * 100 }')
	ratio=$(awk -v a="$rss" -v b="$floor_rss" 'BEGIN { printf "%.2f", a / b }')
	note "idle ${SECS}s, $label: CPU ${cpu}%, RSS ${rss} MB (peak ${hwm} MB): ${anon} MB private, ${file} MB shared library pages"
	bb_stop 5
	rm -f "$BB_DB" "$BB_DB-wal" "$BB_DB-shm"
	printf 'RESULT\tidle daemon CPU over %ss, %s\t%s\t%%\t-\t-\t-\t<0.1%%\t%s\n' "$SECS" "$label" "$cpu" "$hwm"
	printf 'RESULT\tidle daemon RSS, %s (private %s MB + shared library pages %s MB)\t%s\tMB\tempty main() linked against the same libraries\t%s MB\t%s\t<10 MB\t%s\n' \
		"$label" "$anon" "$file" "$rss" "$floor_rss" "$ratio" "$hwm"
}

BB_SMS_PROVIDERS='{ name = "kannel"; type = "kannel"; url = "http://127.0.0.1:13013/cgi-bin/sendsms";
	username = "budbringer"; password = "idle-bench-password"; }'
BB_EMAIL='provider = "smtp"; from = "frivillig@randers.example.dk"; from_name = "Frivillig";
	domain = "randers.example.dk";
	smtp = { host = "127.0.0.1"; port = 2525; starttls = "required"; timeout = 5; };'
measure "Kannel + SMTP"

unset BB_SMS_PROVIDERS BB_EMAIL
measure "spool providers (make run)"
done_testing
