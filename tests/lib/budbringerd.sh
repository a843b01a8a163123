# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Start the real budbringerd for an integration test. Source after common.sh.
#
#   bb_config                 write $BB_CONF from the variables below
#   bb_start                  start budbringerd, wait for "ready", set BB_PID
#   bb_stop [TIMEOUT]         SIGTERM and wait (fails the test past TIMEOUT)
#   bb_kill9                  SIGKILL, no goodbye
#   bb ARGS…                  the staff CLI on the same config
#
# Pieces of config a test may set before bb_config (libconfig text):
#   BB_SMS_PROVIDERS   the inside of sms.providers = ( … )   (default: spool)
#   BB_SMS_EXTRA       more settings of the sms group
#   BB_EMAIL           the whole email group body              (default: spool)
#   BB_CAMPAIGNS       the campaigns group body
#   BB_HTTP_EXTRA      more settings of the http group
#   BB_ROOT_EXTRA      more top-level settings
# Exports BB_DIR, BB_DB, BB_CONF, BB_HTTP_PORT, BB_URL, BB_SPOOL_SMS,
# BB_SPOOL_MAIL, BB_SECRET_KEY, BB_INBOUND_SECRET, BB_DLR_SECRET, BB_LOG,
# BB_ENGINE.
#
# The database engine is BB_ENGINE: sqlite (the default; BB_DB is a file)
# or postgresql: then this script starts a private cluster for the test
# (tests/lib/postgres.sh, under TEST_TMPDIR/pg) and BB_DB is the URI of a
# fresh database in it. Assertions read the database through helpers that
# work on both:
#   bb_sql "SQL"              rows as a|b, one per line (sqlite3's list mode)
#   bb_sql_json "SELECT …"    the rows as a JSON array of objects
#   bb_sql_insert TABLE COL…  tab-separated rows from stdin into TABLE
#   bb_db_dump                every table as SQL text (.dump / pg_dump)
#   bb_tables                 the table names, one per line
#   bb_new_db                 BB_DB becomes a new, empty database
#   bb_sqlite_only "WHAT"     0 on SQLite; on PostgreSQL notes
#                             "sqlite only: WHAT" and returns 1

[ -n "${_BB_DAEMON_SH:-}" ] && return 0
_BB_DAEMON_SH=1

BB_BIN=${BB_BIN:-$BB_TOP_DIR/build}
BB_ENGINE=${BB_ENGINE:-sqlite}
case $BB_ENGINE in
sqlite | postgresql) ;;
*) die "BB_ENGINE=$BB_ENGINE: the engines are sqlite and postgresql" ;;
esac
BB_DIR=$TEST_TMPDIR/bb
BB_DB=$BB_DIR/budbringer.db
BB_CONF=$BB_DIR/budbringer.conf
BB_SPOOL_SMS=$BB_DIR/spool/sms
BB_SPOOL_MAIL=$BB_DIR/spool/mail
BB_LOG=$BB_DIR/budbringerd.log
# Shared secrets are refused under 32 characters (CFG_SECRET_MIN).
BB_SECRET_KEY=${BB_SECRET_KEY:-$(random_token 48)}
BB_INBOUND_SECRET=${BB_INBOUND_SECRET:-$(random_token 48)}
BB_DLR_SECRET=${BB_DLR_SECRET:-$(random_token 48)}
BB_HTTP_PORT=${BB_HTTP_PORT:-$(free_port)}
BB_URL=http://127.0.0.1:$BB_HTTP_PORT
BB_PID=""
mkdir -p "$BB_DIR"
if [ "$BB_ENGINE" = postgresql ]; then
	. "$TESTS_LIB_DIR/postgres.sh"
	require_cmd psql
	pg_start "$TEST_TMPDIR/pg" || die "PostgreSQL did not start (BB_ENGINE=postgresql)"
	BB_DB=$(pg_createdb budbringer) || die "cannot create the test database"
fi
export BB_DIR BB_DB BB_CONF BB_SPOOL_SMS BB_SPOOL_MAIL BB_LOG BB_SECRET_KEY BB_INBOUND_SECRET \
	BB_DLR_SECRET BB_HTTP_PORT BB_URL BB_ENGINE

bb_config() {
	local providers=${BB_SMS_PROVIDERS:-"{ name = \"spool\"; type = \"spool\"; directory = \"$BB_SPOOL_SMS\"; }"}
	local email=${BB_EMAIL:-"provider = \"spool\"; spool_directory = \"$BB_SPOOL_MAIL\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig i Randers\"; domain = \"randers.example.dk\"; unsubscribe_mailto = \"afmeld@randers.example.dk\";"}
	local campaigns=${BB_CAMPAIGNS:-"frequency_cap = 0;"}
	# The sample config's interests, templates and languages, with our paths.
	sed -n '/^interests = {/,/^};/p; /^templates = {/,/^};/p' "$BB_TOP_DIR/etc/budbringer.conf" \
		> "$BB_DIR/common.conf.part"
	cat > "$BB_CONF" <<CONF
database = "$BB_DB";
log_level = "${BB_LOG_LEVEL:-info}";
poll_interval = 1;
languages = ["da", "en", "ar", "tr", "so", "ur", "pl", "fa", "uk"];
fallback = ["en", "da"];
secret_key = "$BB_SECRET_KEY";
user = "${BB_USER:-}";
${BB_ROOT_EXTRA:-}
http = {
  listen = "127.0.0.1:$BB_HTTP_PORT";
  public_url = "$BB_URL";
  inbound_secret = "$BB_INBOUND_SECRET";
  dlr_secret = "$BB_DLR_SECRET";
  ${BB_HTTP_EXTRA:-}
};
campaigns = { $campaigns };
sms = {
  sender = "Frivillig";
  ${BB_SMS_EXTRA:-}
  providers = ( $providers );
};
email = { $email };
$(cat "$BB_DIR/common.conf.part")
CONF
	chmod 600 "$BB_CONF"
}

bb() {
	"$BB_BIN/budbringer" -c "$BB_CONF" "$@"
}

bb_start() {
	[ -f "$BB_CONF" ] || bb_config
	# One log across restarts: each start appends.
	if [ -n "${BB_VALGRIND:-}" ]; then
		# Under valgrind: every error and definite leak is counted (see bb_valgrind_errors).
		valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
			--track-fds=no --log-file="$BB_DIR/valgrind.%p.log" \
			"$BB_BIN/budbringerd" -f -c "$BB_CONF" >> "$BB_LOG" 2>&1 </dev/null &
	else
		"$BB_BIN/budbringerd" -f -c "$BB_CONF" >> "$BB_LOG" 2>&1 </dev/null &
	fi
	BB_PID=$!
	on_exit "stop_pid $BB_PID"
	wait_until "grep -q 'ready pid=$BB_PID' '$BB_LOG'" "${BB_START_TIMEOUT:-15}" "$BB_PID" ||
		die "budbringerd did not become ready: $(tail -5 "$BB_LOG")"
	export BB_PID
}

bb_stop() {
	local t=${1:-5}
	[ -n "$BB_PID" ] || return 0
	stop_pid "$BB_PID" "$t" TERM || fail "budbringerd needed SIGKILL after ${t}s"
	BB_PID=""
}

bb_kill9() {
	[ -n "$BB_PID" ] || return 0
	kill -KILL "$BB_PID" 2>/dev/null
	wait_until "! pid_alive $BB_PID" 5
	BB_PID=""
}

# bb_suppression_hash ADDRESS: the suppression list's key for ADDRESS under
# this test's secret_key (HMAC-SHA256, as db_suppression_hash() makes it).
bb_suppression_hash() {
	"$BB_PYTHON" -c 'import hashlib, hmac, sys
key = hmac.new(sys.argv[1].encode(), b"budbringer suppression v1", hashlib.sha256).digest()
print(hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$BB_SECRET_KEY" "$1"
}

# bb_sql "SELECT …": read-only look at the database for assertions (and
# the few writes a test makes behind the daemon's back). Without an
# argument the SQL comes from stdin. On PostgreSQL psql prints what sqlite3
# prints in its list mode: columns joined by |, one row per line, NULL as
# nothing; statements run one by one, each in its own transaction, and the
# first error stops them (exit status non-zero), as in sqlite3.
bb_sql() {
	if [ "$BB_ENGINE" = postgresql ]; then
		_bb_psql "$@"
		return
	fi
	sqlite3 -cmd ".timeout 5000" "$BB_DB" "$@"
}

_bb_psql() {
	local a
	for a in "$@"; do
		case $a in
		-* | .*)
			echo "bb_sql: '$a' is for sqlite3 only (bb_sql_json, bb_db_dump, bb_tables work on both)" >&2
			return 2
			;;
		esac
	done
	if [ $# -eq 0 ]; then
		PGCLIENTENCODING=UTF8 psql -X -A -t -q -F'|' -v ON_ERROR_STOP=1 -d "$BB_DB"
	else
		printf '%s\n' "$*" | PGCLIENTENCODING=UTF8 psql -X -A -t -q -F'|' -v ON_ERROR_STOP=1 -d "$BB_DB"
	fi
}

# bb_sql_insert TABLE COLUMN… < ROWS: test data straight into a table (as
# a portal import would), in one transaction. ROWS are lines of
# tab-separated values, \N for NULL; every value goes as a quoted literal,
# which both engines convert to the column's type.
bb_sql_insert() {
	local table=${1:?usage: bb_sql_insert TABLE COLUMN… < ROWS}
	local sql
	shift
	sql=$("$BB_PYTHON" -c "$(cat <<'PY'
import sys
table, cols = sys.argv[1], sys.argv[2:]
lit = lambda v: "NULL" if v == "\\N" else "'" + v.replace("'", "''") + "'"
rows = []
for n, line in enumerate(sys.stdin.read().splitlines(), 1):
    vals = line.split("\t")
    if len(vals) != len(cols):
        sys.exit("bb_sql_insert: row %d has %d values for %d columns" % (n, len(vals), len(cols)))
    rows.append("(" + ", ".join(map(lit, vals)) + ")")
print("BEGIN;")
for i in range(0, len(rows), 500):
    print("INSERT INTO %s(%s) VALUES\n%s;" % (table, ", ".join(cols), ",\n".join(rows[i:i + 500])))
print("COMMIT;")
PY
)" "$table" "$@") || return 1
	printf '%s\n' "$sql" | bb_sql
}

# bb_sql_json "SELECT …": the rows as one JSON array of objects, keyed by
# column name (sqlite3 -json prints nothing for no rows; psql prints []).
bb_sql_json() {
	if [ "$BB_ENGINE" = postgresql ]; then
		local q=$1
		q=${q%"${q##*[![:space:];]}"}   # no trailing ; or blanks inside the subquery
		_bb_psql "SELECT coalesce(json_agg(bb_q), '[]'::json) FROM ($q) AS bb_q"
		return
	fi
	bb_sql -json "$1"
}

# bb_db_dump: the whole database as SQL text, rows as INSERT statements
# (sqlite3 .dump; pg_dump --inserts, where names carry "public."). The
# positions of PostgreSQL's sequences are left out: a rolled-back insert or
# an ON CONFLICT DO NOTHING moves them without changing a row, which a
# SQLite dump would not show either.
bb_db_dump() {
	if [ "$BB_ENGINE" = postgresql ]; then
		local dump
		dump=$(PGCLIENTENCODING=UTF8 "$PG_BINDIR/pg_dump" --inserts --no-owner --no-privileges -d "$BB_DB") ||
			return 1
		# pg_dump 15.14+ brackets its output with a random \restrict key.
		printf '%s\n' "$dump" | grep -v -e '^SELECT pg_catalog\.setval(' -e '^\\\(un\)\{0,1\}restrict '
		return 0
	fi
	bb_sql .dump
}

# bb_tables: the names of the database's tables, one per line, sorted.
bb_tables() {
	if [ "$BB_ENGINE" = postgresql ]; then
		bb_sql "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
			AND table_type = 'BASE TABLE' ORDER BY 1"
		return
	fi
	bb_sql "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
}

# bb_new_db: BB_DB becomes a new, empty database (run bb_config after it).
bb_new_db() {
	if [ "$BB_ENGINE" = postgresql ]; then
		_BB_DB_COUNT=$((${_BB_DB_COUNT:-1} + 1))
		BB_DB=$(pg_createdb "budbringer$_BB_DB_COUNT") || return 1
	else
		rm -f "$BB_DB" "$BB_DB-wal" "$BB_DB-shm"
	fi
	export BB_DB
}

# bb_sqlite_only "WHAT": for checks that are about the SQLite file itself
# (its WAL, its mode, copying or corrupting it, a full disk under it):
# true on SQLite; on PostgreSQL says the check is skipped and returns 1.
bb_sqlite_only() {
	[ "$BB_ENGINE" = sqlite ] && return 0
	note "sqlite only: $*"
	return 1
}

# bb_valgrind_errors: prints the number of reports valgrind wrote (memory
# errors and definite leaks) over every run of this test; 0 is clean. With
# --quiet every report's first line is "==PID== " and text ("Invalid read",
# "30 bytes in 6 blocks are definitely lost"); its stack is indented more.
bb_valgrind_errors() {
	local logs=("$BB_DIR"/valgrind.*.log)
	[ -e "${logs[0]}" ] || { echo "bb_valgrind_errors: no valgrind logs in $BB_DIR" >&2; return 1; }
	cat "${logs[@]}" | grep -cE '^==[0-9]+== [^ ]'
	return 0
}
