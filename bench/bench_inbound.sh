#!/bin/bash
# SPDX-License-Identifier: MIT
# Inbound SMS at load (issue 6): wrk sends Kannel-style GET /sms/inbound
# from 10,000 distinct numbers with a mix of join, confirm, stop, help and
# unknown text (bench/bench_inbound.lua), each with its own gateway id.
# Baseline: wrk against GET /healthz on the same listener, in the same run.
# Afterwards every answered request must be an inbound row (none lost).
# The daemon sends its replies meanwhile (spool provider), as in production.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

require_cmd wrk sqlite3 curl
DURATION=${BENCH_DURATION:-20}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_HTTP_THREADS:-4}
WRK_THREADS=${BENCH_WRK_THREADS:-1}   # wrk itself shares the two cores with budbringerd
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
field() { sed -n "s/.*\\<$2=\\([0-9]*\\).*/\\1/p" <<<"$1"; }

BB_HTTP_EXTRA="threads = $THREADS;"
# Replies go out meanwhile, as in production, through the spool provider
# on tmpfs: a gateway that answers at once. On disk its fsync per message
# would measure the disk (the database stays on disk).
SPOOL=$(mktemp -d /dev/shm/budbringer-bench-spool.XXXXXX) || die "no /dev/shm"
on_exit "rm -rf '$SPOOL'"
BB_SMS_PROVIDERS="{ name = \"spool\"; type = \"spool\"; directory = \"$SPOOL\"; ${BENCH_PROVIDER_EXTRA:-} }"
bb_config
bb init >/dev/null
bb_start

note "wrk: $CONNS connections for ${DURATION}s against /sms/inbound (http.threads = $THREADS)"
out=$(BENCH_SECRET=$BB_INBOUND_SECRET wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
	-s "$BB_TOP_DIR/bench/bench_inbound.lua" "$BB_URL" 2>&1)
inb=$(grep '^WRK ' <<<"$out")
[ -n "$inb" ] || die "wrk failed: $out"
note "inbound: $inb"
# Let the last requests and the outbox settle before counting.
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'queued'\")\" = 0 ]" 120 "$BB_PID" ||
	note "replies still queued after 120 s"
rows=$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id LIKE 'bench-%'")
replies=$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id LIKE 'bench-%' AND reply_message_id IS NOT NULL")
mix=$(bb_sql "SELECT group_concat(intent || '=' || n, ' ') FROM (SELECT intent, count(*) n FROM inbound GROUP BY intent)")
subs=$(bb_sql "SELECT group_concat(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM subscribers GROUP BY status)")
note "inbound rows $rows, replies $replies; intents: $mix; subscribers: $subs"

note "wrk: the same against /healthz"
out=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$BB_TOP_DIR/bench/bench_healthz.lua" \
	"$BB_URL/healthz" 2>&1)
hz=$(grep '^WRK ' <<<"$out")
[ -n "$hz" ] || die "wrk failed: $out"
note "healthz: $hz"
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BB_PID/status")
bb_stop 10

ok=$(( $(field "$inb" requests) - $(field "$inb" non2xx) ))
in_rps=$(calc "$ok / ($(field "$inb" duration_us) / 1000000)")
hz_rps=$(calc "$(field "$hz" requests) / ($(field "$hz" duration_us) / 1000000)")
in_p99=$(calc "$(field "$inb" p99_us) / 1000")
hz_p99=$(calc "$(field "$hz" p99_us) / 1000")
errors=$(( $(field "$inb" non2xx) + $(field "$inb" connect) + $(field "$inb" read) + $(field "$inb" write) + $(field "$inb" timeout) ))

assert_eq 0 "$errors" "every inbound request was answered 200"
# wrk stops counting at the deadline; requests still in flight then are
# handled by us but not counted by wrk: rows may exceed ok by < CONNS.
assert_num -ge "$rows" "$ok" "every answered message is an inbound row ($rows rows, $ok answered): none lost"
assert_num -le "$rows" $((ok + CONNS)) "and no more rows than requests sent"

printf 'RESULT\tinbound SMS (/sms/inbound, 10k numbers, mixed)\t%.0f\treq/s\twrk /healthz same listener\t%.0f req/s\t%.2f\t≥2,000/s\t%s\n' \
	"$in_rps" "$hz_rps" "$(calc "$in_rps / $hz_rps")" "$rss"
printf 'RESULT\tinbound SMS p99 latency\t%.1f\tms\twrk /healthz p99\t%.1f ms\t%.2f\t<50 ms\t%s\n' \
	"$in_p99" "$hz_p99" "$(calc "$in_p99 / ($hz_p99 > 0 ? $hz_p99 : 0.001)")" "$rss"
printf 'RESULT\tinbound rows after the run (none lost)\t%d\trows\t2xx answers counted by wrk\t%d\t%.3f\t= answers\t%s\n' \
	"$rows" "$ok" "$(calc "$rows / ($ok > 0 ? $ok : 1)")" "$rss"
done_testing
