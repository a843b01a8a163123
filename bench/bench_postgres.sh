#!/bin/bash
# SPDX-License-Identifier: MIT
# The engines side by side (issue 14): the same 20,000 queued campaign SMS
# dispatched through the rest provider to a local gateway that answers at
# once (rest_gateway.py --fast), every state change and event recorded —
# on SQLite (the baseline), on PostgreSQL with one daemon, and on
# PostgreSQL with two daemons sharing the queue. Timed from the daemons'
# start until the database shows every message `sent`. The campaign is
# expanded under quiet hours first, so only the dispatch is timed.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"
. "$(dirname "$0")/../tests/lib/http.sh"
. "$(dirname "$0")/../tests/lib/postgres.sh"

require_cmd sqlite3 psql curl
N=${BENCH_SMS:-20000}
CONC=${BENCH_CONCURRENCY:-32}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
restgw_start "$TEST_TMPDIR/gw" --fast || die "gateway did not start"
pg_start "$TEST_TMPDIR/pg" || die "PostgreSQL did not start"
BB_SMS_PROVIDERS="{ name = \"gw\"; type = \"rest\"; url = \"$RESTGW_URL\"; token = \"$RESTGW_TOKEN\";
    concurrency = $CONC; connect_timeout = 5; timeout = 10; }"
port2=$(free_port)

# queue ENGINE DB: a new database with N subscribers and their campaign queued.
queue() {
	BB_ENGINE=$1 BB_DB=$2
	quiet_hours_now 120
	BB_CAMPAIGNS="frequency_cap = 0; expand_batch = 5000; $QUIET_HOURS"
	bb_config
	bb init >/dev/null || die "init failed on $1"
	now=$(date +%s)
	for ((i = 0; i < N; i++)); do
		printf '+4540%06d\t%s\tactive\t1\t%d\tbench\t0\t%d\t%d\n' "$i" da "$now" "$now" "$now"
	done | bb_sql_insert subscribers phone lang status sms_consent sms_consent_at \
		sms_consent_source email_consent created_at updated_at || die "cannot add the subscribers"
	bb opportunity add --title "da=Juleløb" --summary "da=Hjælpere til posterne." \
		--url https://frivillig.example.dk/o/1 --publish >/dev/null || die "opportunity add failed"
	bb_start
	wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'queued'\")\" -ge $N ]" 300 "$BB_PID" ||
		die "the campaign was not expanded on $1"
	bb_stop 10
	BB_CAMPAIGNS="frequency_cap = 0;"
	BB_CONF=$BB_DIR/budbringer.conf bb_config
	BB_CONF=$BB_DIR/second.conf BB_HTTP_PORT=$port2 BB_URL=http://127.0.0.1:$port2 bb_config
}

# dispatch DAEMONS: RATE becomes msg/s until every queued message is sent.
dispatch() {
	local t0 t1 pids=() sent
	t0=$(_bb_now_ms)
	bb_start; pids+=("$BB_PID"); BB_PID=""
	if [ "$1" -ge 2 ]; then
		BB_CONF=$BB_DIR/second.conf BB_LOG=$BB_DIR/second.log bb_start; pids+=("$BB_PID"); BB_PID=""
	fi
	WAIT_INTERVAL=0.05 wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" -ge $N ]" 300 ||
		fail "not all sent: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
	t1=$(_bb_now_ms)
	for p in "${pids[@]}"; do stop_pid "$p" 10 TERM; done
	sent=$(bb_sql "SELECT count(*) FROM messages WHERE state = 'sent'")
	assert_eq "$N" "$sent" "$BB_ENGINE, $1 daemon(s): every queued SMS was sent once"
	RATE=$(calc "$sent / (($t1 - $t0) / 1000)")
}

sqlite_db=$BB_DIR/bench.db
queue sqlite "$sqlite_db"
dispatch 1; r_sqlite=$RATE
note "SQLite, one daemon: $r_sqlite msg/s"
queue postgresql "$(pg_createdb one)"
dispatch 1; r_pg1=$RATE
note "PostgreSQL, one daemon: $r_pg1 msg/s"
queue postgresql "$(pg_createdb two)"
dispatch 2; r_pg2=$RATE
note "PostgreSQL, two daemons: $r_pg2 msg/s"

printf 'RESULT\tSMS dispatch on PostgreSQL, one daemon (20k queued, rest provider)\t%.0f\tmsg/s\tthe same on SQLite\t%.0f msg/s\t%.2f\t≥0.7× SQLite\t-\n' \
	"$r_pg1" "$r_sqlite" "$(calc "$r_pg1 / $r_sqlite")"
printf 'RESULT\tSMS dispatch on PostgreSQL, two daemons\t%.0f\tmsg/s\tone daemon on PostgreSQL\t%.0f msg/s\t%.2f\t≥1.0× one daemon\t-\n' \
	"$r_pg2" "$r_pg1" "$(calc "$r_pg2 / $r_pg1")"
done_testing
