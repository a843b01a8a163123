#!/bin/bash
# SPDX-License-Identifier: MIT
# The engines side by side (issue 14), each figure on SQLite (the
# baseline) and on PostgreSQL in the same run:
#  - 20,000 queued campaign SMS dispatched through the rest provider to a
#    local gateway that answers at once (rest_gateway.py --fast), every
#    state change and event recorded; on PostgreSQL also with two daemons
#    sharing the queue. Timed from the daemons' start until the database
#    shows every message `sent`. The campaign is expanded under quiet
#    hours first, so only the dispatch is timed.
#  - the same for 20,000 emails over 4 SMTP sessions into smtp-sink;
#  - inbound SMS: wrk with bench/bench_inbound.lua against /sms/inbound.
# PostgreSQL runs with pg_stat_statements: after each PostgreSQL dispatch
# the statements per message and their execution time are printed (the
# profile behind the figure). The 1M-subscriber expansion on both engines
# is in bench_campaign.sh.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"
. "$(dirname "$0")/../tests/lib/http.sh"
. "$(dirname "$0")/../tests/lib/smtp.sh"
. "$(dirname "$0")/../tests/lib/postgres.sh"

require_cmd sqlite3 psql curl smtp-sink wrk
N=${BENCH_SMS:-20000}
SESSIONS=${BENCH_SESSIONS:-4}
DURATION=${BENCH_DURATION:-10}
CONC=${BENCH_CONCURRENCY:-32}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
restgw_start "$TEST_TMPDIR/gw" --fast || die "gateway did not start"
sink_start "$TEST_TMPDIR/sink" || die "smtp-sink did not start"
# A server's memory, not the tests' 32 MB (SQLite has the page cache).
PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'
shared_buffers = 1GB
max_wal_size = 4GB" pg_start "$TEST_TMPDIR/pg" || die "PostgreSQL did not start"
BB_SMS_PROVIDERS="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
    concurrency = $CONC; connect_timeout = 5; timeout = 10; }"
port2=$(free_port)

BB_EMAIL="provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig i Randers\";
  domain = \"randers.example.dk\"; unsubscribe_mailto = \"afmeld@randers.example.dk\";
  smtp = { host = \"127.0.0.1\"; port = $SINK_PORT; starttls = \"disabled\"; timeout = 10;
           connections = $SESSIONS; messages_per_session = 1000; };"

# queue ENGINE DB CHANNEL: a new database with N subscribers reached on
# CHANNEL (sms or email) and their campaign queued.
queue() {
	BB_ENGINE=$1 BB_DB=$2
	quiet_hours_now 120 hold_email
	BB_CAMPAIGNS="frequency_cap = 0; expand_batch = 5000; $QUIET_HOURS"
	bb_config
	bb init >/dev/null || die "init failed on $1"
	now=$(date +%s)
	if [ "$3" = sms ]; then
		for ((i = 0; i < N; i++)); do
			printf '+4540%06d\t%s\tactive\t1\t%d\tbench\t0\t%d\t%d\n' "$i" da "$now" "$now" "$now"
		done | bb_sql_insert subscribers phone lang status sms_consent sms_consent_at \
			sms_consent_source email_consent created_at updated_at || die "cannot add the subscribers"
	else
		for ((i = 0; i < N; i++)); do
			printf 'person%06d@example.org\t%s\tactive\t0\t1\t%d\tbench\t%d\t%d\n' "$i" da "$now" "$now" "$now"
		done | bb_sql_insert subscribers email lang status sms_consent email_consent email_consent_at \
			email_consent_source created_at updated_at || die "cannot add the subscribers"
	fi
	bb opportunity add --title "da=Juleløb" --summary "da=Hjælpere til posterne ved juleløbet søndag." \
		--url https://frivillig.example.dk/o/1 --publish >/dev/null || die "opportunity add failed"
	bb_start
	wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'queued'\")\" -ge $N ]" 300 "$BB_PID" ||
		die "the campaign was not expanded on $1"
	bb_stop 10
	BB_CAMPAIGNS="frequency_cap = 0;"
	BB_CONF=$BB_DIR/budbringer.conf bb_config
	BB_CONF=$BB_DIR/second.conf BB_HTTP_PORT=$port2 BB_URL=http://127.0.0.1:$port2 bb_config
	if [ "$1" = postgresql ]; then
		pg_psql "$BB_DB" -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
			-c "SELECT pg_stat_statements_reset()" >/dev/null || die "pg_stat_statements is missing"
	fi
}

# profile [COUNT=N]: on PostgreSQL, the statements since the last reset
# per message (COUNT of them), with their execution time, busiest first.
profile() {
	local n=${1:-$N}
	pg_psql "$BB_DB" -At -F $'\t' -c "SELECT to_char(calls::numeric / $n, 'FM990.000'), to_char(total_exec_time * 1000 / $n, 'FM99990.0'),
			left(regexp_replace(query, '\\s+', ' ', 'g'), 90)
		FROM pg_stat_statements WHERE calls >= $n / 1000 ORDER BY total_exec_time DESC LIMIT 8" |
		while IFS=$'\t' read -r calls us q; do note "  $calls statements/msg, $us µs/msg: $q"; done
}

# The machine's busy and total CPU ticks so far (all cores, /proc/stat).
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

# dispatch DAEMONS: RATE becomes msg/s until every queued message is sent;
# BUSY the share of the machine's CPU in use meanwhile (%).
dispatch() {
	local t0 t1 pids=() sent b0 a0 b1 a1
	read -r b0 a0 < <(cpu_ticks)
	t0=$(_bb_now_ms)
	bb_start; pids+=("$BB_PID"); BB_PID=""
	if [ "$1" -ge 2 ]; then
		BB_CONF=$BB_DIR/second.conf BB_LOG=$BB_DIR/second.log bb_start; pids+=("$BB_PID"); BB_PID=""
	fi
	WAIT_INTERVAL=0.05 wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge $N ]" 300 ||
		fail "not all sent: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
	t1=$(_bb_now_ms)
	read -r b1 a1 < <(cpu_ticks)
	BUSY=$(calc "100 * ($b1 - $b0) / ($a1 - $a0)")
	for p in "${pids[@]}"; do stop_pid "$p" 10 TERM; done
	sent=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")
	assert_eq "$N" "$sent" "$BB_ENGINE, $1 daemon(s): every queued message was sent once"
	RATE=$(calc "$sent / (($t1 - $t0) / 1000)")
}

# inbound ENGINE DB: RATE req/s answered 2xx, P99 ms, and none lost.
inbound() {
	local out inb rows ok
	BB_ENGINE=$1 BB_DB=$2
	BB_HTTP_EXTRA="threads = 4;"
	BB_SMS_PROVIDERS="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
	    concurrency = $CONC; connect_timeout = 5; timeout = 10; }"
	bb_config
	bb init >/dev/null || die "init failed on $1"
	if [ "$1" = postgresql ]; then
		pg_psql "$BB_DB" -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
			-c "SELECT pg_stat_statements_reset()" >/dev/null || die "pg_stat_statements is missing"
	fi
	bb_start
	out=$(BENCH_SECRET=$BB_INBOUND_SECRET wrk -t1 -c32 -d"${DURATION}s" --timeout 10s \
		-s "$BB_TOP_DIR/bench/bench_inbound.lua" "$BB_URL" 2>&1)
	inb=$(grep '^WRK ' <<<"$out")
	[ -n "$inb" ] || die "wrk failed: $out"
	bb_stop 10
	field() { sed -n "s/.*\\<$1=\\([0-9]*\\).*/\\1/p" <<<"$inb"; }
	ok=$(($(field requests) - $(field non2xx)))
	rows=$(bb_sql "SELECT count(*) FROM inbound WHERE gateway_id LIKE 'bench-%'")
	assert_num -ge "$rows" "$ok" "$1: every answered inbound SMS is a row ($rows rows, $ok answered)"
	RATE=$(calc "$ok / ($(field duration_us) / 1000000)")
	P99=$(calc "$(field p99_us) / 1000")
	ROWS=$rows
}

result() {  # result FIGURE PG SQLITE UNIT GOAL
	printf 'RESULT\t%s\t%.0f\t%s\tthe same on SQLite\t%.0f %s\t%.2f\t%s\t-\n' \
		"$1" "$2" "$4" "$3" "$4" "$(calc "$2 / $3")" "$5"
}

# ---- SMS ---------------------------------------------------------------------
queue sqlite "$BB_DIR/sms.db" sms
dispatch 1; r_sqlite=$RATE
note "SMS, SQLite, one daemon: $r_sqlite msg/s (CPU busy $BUSY %)"
queue postgresql "$(pg_createdb sms1)" sms
dispatch 1; r_pg1=$RATE
note "SMS, PostgreSQL, one daemon: $r_pg1 msg/s (CPU busy $BUSY %)"
profile
queue postgresql "$(pg_createdb sms2)" sms
dispatch 2; r_pg2=$RATE
note "SMS, PostgreSQL, two daemons: $r_pg2 msg/s (CPU busy $BUSY %)"

# ---- email -------------------------------------------------------------------
queue sqlite "$BB_DIR/email.db" email
dispatch 1; e_sqlite=$RATE
note "email, SQLite: $e_sqlite msg/s (CPU busy $BUSY %)"
queue postgresql "$(pg_createdb email1)" email
dispatch 1; e_pg1=$RATE
note "email, PostgreSQL: $e_pg1 msg/s (CPU busy $BUSY %)"
profile

# ---- inbound -----------------------------------------------------------------
inbound sqlite "$BB_DIR/inbound.db"; i_sqlite=$RATE; p_sqlite=$P99
note "inbound, SQLite: $i_sqlite req/s, p99 $p_sqlite ms"
inbound postgresql "$(pg_createdb inbound)"; i_pg=$RATE; p_pg=$P99
note "inbound, PostgreSQL: $i_pg req/s, p99 $p_pg ms"
profile "$ROWS"

result "SMS dispatch on PostgreSQL, one daemon (20k queued, rest provider)" "$r_pg1" "$r_sqlite" msg/s "≥0.7× SQLite"
printf 'RESULT\tSMS dispatch on PostgreSQL, two daemons\t%.0f\tmsg/s\tone daemon on PostgreSQL\t%.0f msg/s\t%.2f\t≥1.0× one daemon\t-\n' \
	"$r_pg2" "$r_pg1" "$(calc "$r_pg2 / $r_pg1")"
result "Email dispatch on PostgreSQL (20k queued, $SESSIONS SMTP sessions into smtp-sink)" "$e_pg1" "$e_sqlite" msg/s "≥0.7× SQLite"
result "inbound SMS on PostgreSQL (/sms/inbound, mixed, ${DURATION}s)" "$i_pg" "$i_sqlite" req/s "≥0.7× SQLite"
printf 'RESULT\tinbound SMS p99 on PostgreSQL\t%.1f\tms\tthe same on SQLite\t%.1f ms\t%.2f\t-\t-\n' \
	"$p_pg" "$p_sqlite" "$(calc "$p_pg / ($p_sqlite > 0 ? $p_sqlite : 0.001)")"
done_testing
