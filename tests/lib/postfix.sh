# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A private Postfix instance (Debian's postfix package) for one test: its own
# main.cf/master.cf, queue and data directories under DIR, smtpd on a free
# loopback port, no system service, no syslog (the log goes to DIR/maillog
# through postlogd). Source common.sh first. Needs root: Postfix's master
# starts as root and drops to mail_owner (postfix) for its daemons.
#
#   pf_start DIR          write the config from the variables below, start
#                         `postfix -c DIR/conf start-fg` in the background,
#                         wait until smtpd answers; exports PF_DIR PF_CONF
#                         PF_PORT PF_LOG PF_PID (master's pid)
#   pf_stop               SIGTERM to master by its pid (postfix stop would
#                         need the config to still name this queue)
#   pf_log_count ERE      lines of the Postfix log matching ERE
#   pf_queue_empty        true when nothing is queued (active, deferred, …)
#
# Set before pf_start (main.cf / master.cf text):
#   PF_MAIN_EXTRA      more main.cf lines (mydestination, relay_domains,
#                      transport_maps, lifetimes, …)
#   PF_MASTER_EXTRA    more master.cf services (e.g. a pipe transport)

[ -n "${_BB_COMMON_SH:-}" ] || { echo "postfix.sh: source common.sh first" >&2; return 1; }

PF_PID=""

pf_start() {
	local dir=${1:?usage: pf_start DIR} d
	[ "$(id -u)" -eq 0 ] || { note "a private Postfix needs root (its master drops to the postfix user); run the test as root"; return 1; }
	command -v postfix >/dev/null || [ -x /usr/sbin/postfix ] || { note "postfix is not installed (make deps)"; return 1; }
	id postfix >/dev/null 2>&1 || { note "no user 'postfix' (package postfix)"; return 1; }
	getent group postdrop >/dev/null || { note "no group 'postdrop' (package postfix)"; return 1; }
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data" || return 1
	PF_DIR=$(cd "$dir" && pwd)
	PF_CONF=$PF_DIR/conf
	PF_LOG=$PF_DIR/maillog
	PF_PORT=$(free_port) || return 1
	# The postfix user must reach the queue and data directories: open
	# search permission on our own temporary tree only.
	d=$PF_DIR
	while [ "${#d}" -ge "${#TEST_TMPDIR}" ] && [ "$d" != / ]; do
		case $d in "$TEST_TMPDIR"*) chmod o+x "$d" ;; esac
		d=$(dirname "$d")
	done
	chown postfix "$PF_DIR/data" || return 1
	cat >"$PF_CONF/main.cf" <<CONF
# tests/lib/postfix.sh: a private instance for one test
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.test.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
recipient_delimiter = +
alias_maps =
alias_database =
local_recipient_maps =
maillog_file_prefixes = $PF_DIR
maillog_file = $PF_LOG
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no
${PF_MAIN_EXTRA:-}
CONF
	# Every service unchrooted (column 5 = n): the queue is no chroot
	# with /etc inside.
	cat >"$PF_CONF/master.cf" <<CONF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
${PF_MASTER_EXTRA:-}
CONF
	postfix -c "$PF_CONF" check >"$PF_DIR/check.log" 2>&1 || {
		note "postfix check failed: $(cat "$PF_DIR/check.log")"
		return 1
	}
	spawn _pf_script_pid "$PF_DIR/start-fg.out" postfix -c "$PF_CONF" start-fg
	on_exit "pf_stop"
	wait_until "[ -s '$PF_DIR/queue/pid/master.pid' ]" 15 "$_pf_script_pid" || {
		note "postfix did not start: $(cat "$PF_DIR/start-fg.out" "$PF_LOG" 2>/dev/null | tail -5)"
		return 1
	}
	PF_PID=$(tr -d ' \n' <"$PF_DIR/queue/pid/master.pid")
	[[ "$PF_PID" =~ ^[0-9]+$ ]] || { note "no master pid in $PF_DIR/queue/pid/master.pid"; PF_PID=""; return 1; }
	export PF_DIR PF_CONF PF_PORT PF_LOG PF_PID
	wait_for_port "$PF_PORT" 15 "$PF_PID" || { note "smtpd does not listen on $PF_PORT: $(tail -5 "$PF_LOG")"; return 1; }
}

pf_stop() {
	[ -n "$PF_PID" ] || return 0
	stop_pid "$PF_PID" 15 TERM
	PF_PID=""
}

pf_log_count() {
	grep -cE -- "$1" "$PF_LOG" 2>/dev/null || true
}

pf_queue_empty() {
	[ -z "$(find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" "$PF_DIR/queue/deferred" \
		"$PF_DIR/queue/maildrop" -type f 2>/dev/null | head -1)" ]
}
