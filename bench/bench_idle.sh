#!/bin/bash
# SPDX-License-Identifier: MIT
# An idle daemon: RSS and CPU over 60 s (goal: under 10 MB and 0.1% CPU —
# no busy polling). The baseline is the same daemon's first 5 s after start.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

SECS=${BENCH_IDLE_SECONDS:-60}
bb_config
bb init >/dev/null
"$BB_PYTHON" "$BB_TOP_DIR/scripts/gen-subscribers.py" "$BB_DB" 1000 >/dev/null
bb_start
sleep 5
ticks() { awk '{ print $14 + $15 }' "/proc/$BB_PID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$SECS"
t1=$(ticks)
rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
hwm=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
anon=$(awk '/RssAnon/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
file=$(awk '/RssFile/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.3f", (b - a) / hz / s * 100 }')
note "idle ${SECS}s: CPU ${cpu}%, RSS ${rss} MB (peak ${hwm} MB): ${anon} MB private, ${file} MB shared library pages"
bb_stop 5
printf 'RESULT\tidle daemon CPU over %ss\t%s\t%%\t-\t-\t-\t<0.1%%\t%s\n' "$SECS" "$cpu" "$hwm"
printf 'RESULT\tidle daemon RSS (private %s MB + shared libraries %s MB)\t%s\tMB\t-\t-\t-\t<10 MB\t%s\n' "$anon" "$file" "$rss" "$hwm"
done_testing
