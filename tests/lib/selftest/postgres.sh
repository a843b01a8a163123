#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of tests/lib/postgres.sh: a private cluster starts on a Unix
# socket only, a database is created and queried with psql (output in
# sqlite3's list mode, NULL as nothing), data survives a restart (new
# postmaster pid), and the stop by pid leaves no postmaster behind.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
. "$TESTS_LIB_DIR/postgres.sh"

require_cmd psql
pg_start "$TEST_TMPDIR/pg" || die "the cluster did not start"
pass "cluster started (postmaster $PG_PID, socket in $PG_SOCKDIR)"
assert_cmd "[ -S '$PG_SOCKDIR/.s.PGSQL.5432' ]" "the Unix socket is in the cluster's directory"
assert_cmd "! grep -q 'listening on IP' '$PG_LOG'" "no TCP listener"
if [ "$(id -u)" -eq 0 ]; then
	assert_eq postgres "$(stat -c %U "$PG_DATA")" "as root the cluster belongs to the postgres user"
	assert_eq postgres "$(ps -o user= -p "$PG_PID")" "… and the postmaster runs as postgres"
fi

uri=$(pg_createdb selftest) || die "pg_createdb failed"
assert_eq "postgresql:///selftest?host=$PG_SOCKDIR&user=budbringer" "$uri" "pg_createdb prints the database's URI"
assert_eq "$uri" "$(pg_uri selftest)" "pg_uri gives the same"
q() { pg_psql "$uri" -A -t -F'|' "$@"; }
q -c "CREATE TABLE t(id bigint PRIMARY KEY, name text, n bigint)" || fail "create a table"
q -c "INSERT INTO t VALUES (1, 'æøå مرحبا', 10), (2, NULL, NULL), (3, 'a|b', 30)" || fail "insert rows"
assert_eq "1|æøå مرحبا|10
2||
3|a|b|30" "$(q -c "SELECT id, name, n FROM t ORDER BY id")" \
	"rows print as a|b, one per line, NULL as nothing, UTF-8 intact"
assert_eq UTF8 "$(q -c "SHOW server_encoding")" "the cluster is UTF8"
assert_eq "C" "$(q -c "SHOW lc_collate")" "and sorts bytewise (locale C), as SQLite does"
assert_eq "budbringer" "$(q -c "SELECT current_user")" "we are the budbringer role"
out=$(q -c "SELECT nope FROM t" 2>&1); rc=$?
assert_ne 0 "$rc" "an error makes psql exit non-zero"
assert_contains "$out" 'column "nope" does not exist' "… and says why"

old=$PG_PID
pg_restart || die "pg_restart failed"
assert_ne "$old" "$PG_PID" "pg_restart: a new postmaster ($old -> $PG_PID)"
assert_cmd "! pid_alive $old" "… and the old one is gone"
assert_eq 3 "$(q -c "SELECT count(*) FROM t")" "the data survived the restart"

pid=$PG_PID
pg_stop
assert_eq 0 $? "pg_stop stopped the postmaster with SIGINT (fast shutdown)"
assert_cmd "! pid_alive $pid" "no postmaster left (pid $pid)"
assert_cmd "[ ! -e '$PG_SOCKDIR/.s.PGSQL.5432' ]" "its socket is gone"
out=$(q -c "SELECT 1" 2>&1)
assert_contains "$out" "No such file or directory" "a stopped cluster refuses connections"
done_testing
