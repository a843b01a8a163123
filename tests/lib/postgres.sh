# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A private PostgreSQL cluster for one test script: no system service, no
# TCP port (a Unix socket in the cluster's directory only), stopped by its
# pid when the script exits. Source common.sh first.
#
#   pg_start DIR         initdb into DIR/data (-A trust -U budbringer, UTF8,
#                        locale C), start it with pg_ctl -w; socket in DIR
#   pg_stop              fast shutdown (SIGINT) of the postmaster, by pid
#   pg_restart           pg_ctl restart -m fast; PG_PID is the new postmaster
#   pg_createdb NAME     create database NAME, print its URI
#   pg_uri [NAME]        print the URI of database NAME (default postgres):
#                        postgresql:///NAME?host=SOCKETDIR&user=budbringer
#   pg_psql URI ARGS…    psql -X on URI (ARGS as for psql)
# Exports PG_DIR, PG_DATA, PG_SOCKDIR, PG_LOG, PG_PID, PG_BINDIR.
#
# postgres and initdb refuse to run as root: as root, DIR is given to the
# postgres user (created by Debian's postgresql package), every directory
# of the test's own temporary tree above it gets search permission (o+x),
# and initdb, pg_ctl and postgres run through `runuser -u postgres --`.
# Not as root they run as the test's own user.
#
# PG_MAX_CONNECTIONS (default 100) sets max_connections; PG_EXTRA_CONF is
# appended to postgresql.conf (the benches load pg_stat_statements). Settings are for
# tests: fsync, synchronous_commit and full_page_writes are
# off (a crash of the machine loses the cluster, which a test never needs).

[ -n "${_BB_COMMON_SH:-}" ] || { echo "postgres.sh: source common.sh first" >&2; return 1; }
[ -n "${_BB_POSTGRES_SH:-}" ] && return 0
_BB_POSTGRES_SH=1

if [ -z "${PG_BINDIR:-}" ]; then
	PG_BINDIR=/usr/lib/postgresql/15/bin
	[ -x "$PG_BINDIR/postgres" ] ||
		PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
PG_PID=""
PG_SOCKET_NAME=/.s.PGSQL.5432
PG_OWNER=${PG_OWNER:-postgres}
export PG_BINDIR

# _pg_run CMD…: as the cluster's owner (runuser when we are root).
_pg_run() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_OWNER" -- "$@"
	else
		"$@"
	fi
}

pg_uri() {
	printf 'postgresql:///%s?host=%s&user=budbringer\n' "${1:-postgres}" "$PG_SOCKDIR"
}

pg_psql() {
	local uri=${1:?usage: pg_psql URI [psql args]}
	shift
	PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -d "$uri" "$@"
}

pg_start() {
	local dir=${1:?usage: pg_start DIR} d
	[ -x "$PG_BINDIR/postgres" ] || { note "no PostgreSQL server in '$PG_BINDIR' (package postgresql)"; return 1; }
	command -v psql >/dev/null || { note "psql is not installed (package postgresql-client)"; return 1; }
	[ -z "$PG_PID" ] || { note "pg_start: a cluster runs already (pid $PG_PID)"; return 1; }
	mkdir -p "$dir" || return 1
	PG_DIR=$(cd "$dir" && pwd)
	PG_DATA=$PG_DIR/data
	PG_LOG=$PG_DIR/postgres.log
	PG_SOCKDIR=$PG_DIR
	# A Unix socket path holds at most 107 bytes: with a long TMPDIR the
	# socket goes to a short directory of its own under /tmp.
	if [ $((${#PG_SOCKDIR} + ${#PG_SOCKET_NAME})) -gt 100 ]; then
		PG_SOCKDIR=$(mktemp -d /tmp/bbpg.XXXXXX) || return 1
		on_exit "rm -rf -- '$PG_SOCKDIR'"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		id "$PG_OWNER" >/dev/null 2>&1 || { note "no user '$PG_OWNER' to run PostgreSQL as (package postgresql)"; return 1; }
		chown "$PG_OWNER" "$PG_DIR" "$PG_SOCKDIR" || return 1
		chmod 755 "$PG_DIR" "$PG_SOCKDIR" || return 1
		# The postgres user must reach DIR: open search permission on
		# our own temporary tree only.
		d=$(dirname "$PG_DIR")
		while [ "${#d}" -ge "${#TEST_TMPDIR}" ] && [ "$d" != / ]; do
			case $d in "$TEST_TMPDIR"*) chmod o+x "$d" ;; esac
			d=$(dirname "$d")
		done
		runuser -u "$PG_OWNER" -- test -w "$PG_DIR" ||
			{ note "user $PG_OWNER cannot write to $PG_DIR (a directory above it closed?)"; return 1; }
	fi
	_pg_run "$PG_BINDIR/initdb" -D "$PG_DATA" -A trust -U budbringer -E UTF8 --locale=C \
		--no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1 || {
		note "initdb failed: $(tail -5 "$PG_DIR/initdb.log")"
		return 1
	}
	cat >>"$PG_DATA/postgresql.conf" <<CONF

# tests/lib/postgres.sh: a private cluster for one test script
listen_addresses = ''
unix_socket_directories = '$PG_SOCKDIR'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = ${PG_MAX_CONNECTIONS:-100}
log_line_prefix = '%m [%p] %d '
${PG_EXTRA_CONF:-}
CONF
	on_exit "pg_stop"
	_pg_run "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1 || {
		note "pg_ctl start failed: $(tail -5 "$PG_LOG" 2>/dev/null)"
		_pg_read_pid
		return 1
	}
	_pg_read_pid || { note "no postmaster pid in $PG_DATA/postmaster.pid"; return 1; }
	export PG_DIR PG_DATA PG_SOCKDIR PG_LOG PG_PID
}

# The first line of postmaster.pid is the postmaster's pid.
_pg_read_pid() {
	PG_PID=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)
	[[ "$PG_PID" =~ ^[0-9]+$ ]] || { PG_PID=""; return 1; }
	pid_alive "$PG_PID" || { PG_PID=""; return 1; }
	export PG_PID
}

# pg_stop [TIMEOUT=30]: SIGINT is PostgreSQL's fast shutdown (sessions are
# ended, then a checkpoint). Returns 1 if SIGKILL was needed.
pg_stop() {
	local rc=0
	[ -n "$PG_PID" ] || return 0
	stop_pid "$PG_PID" "${1:-30}" INT || rc=1
	PG_PID=""
	return $rc
}

pg_restart() {
	local old=$PG_PID
	[ -n "$old" ] || { note "pg_restart: no cluster runs"; return 1; }
	_pg_run "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 60 restart \
		>"$PG_DIR/pg_ctl.log" 2>&1 || {
		note "pg_ctl restart failed: $(tail -5 "$PG_LOG")"
		_pg_read_pid
		return 1
	}
	_pg_read_pid || { note "no postmaster after the restart"; return 1; }
	[ "$PG_PID" != "$old" ] || { note "pg_restart: still the old postmaster $old"; return 1; }
}

# pg_createdb NAME: NAME must be a plain identifier (letters, digits, _).
pg_createdb() {
	local name=${1:?usage: pg_createdb NAME}
	[[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || { note "pg_createdb: '$name' is not a plain lower-case name"; return 1; }
	[ -n "$PG_PID" ] || { note "pg_createdb: no cluster runs (pg_start first)"; return 1; }
	pg_psql "$(pg_uri postgres)" -c "CREATE DATABASE $name" >/dev/null || return 1
	pg_uri "$name"
}
