#!/bin/bash
# SPDX-License-Identifier: MIT
# `make check`'s integration step: the SQLite pass and the PostgreSQL pass
# of run.sh side by side. A script waits on its peers (Kannel, SMTP,
# PostgreSQL, timers) far more than it computes, so the two passes share
# two cores well: 17 minutes one after the other, about 10 together. Each
# pass has its own logs (tests/output/, tests/output/postgresql/) and its
# own range of ports (free_port in tests/lib/common.sh), so they never
# meet. Prints each pass's output in turn, then both closing lines.
cd "$(dirname "$0")/../.." || exit 1
mkdir -p tests/output
BB_ENGINE=sqlite tests/integration/run.sh "$@" >tests/output/integration-sqlite.out 2>&1 &
sqlite_pid=$!
BB_ENGINE=postgresql tests/integration/run.sh "$@" >tests/output/integration-postgresql.out 2>&1 &
pg_pid=$!
wait "$sqlite_pid"; sqlite_rc=$?
wait "$pg_pid"; pg_rc=$?
for e in sqlite postgresql; do
	echo "--- integration on $e"
	cat "tests/output/integration-$e.out"
done
grep -h '^integration:' tests/output/integration-sqlite.out tests/output/integration-postgresql.out
[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
