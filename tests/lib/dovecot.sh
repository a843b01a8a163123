# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A private Dovecot IMAP server (Debian's dovecot-imapd) for one test: its
# own dovecot.conf under DIR, IMAPS on a free loopback port with a
# throw-away certificate (smtp.sh's make_cert), one user in a passwd-file,
# Maildir under DIR, no system service. Source common.sh and smtp.sh first.
#
#   dovecot_start DIR USER PASSWORD
#       exports DOVECOT_PORT DOVECOT_PID DOVECOT_CA (the certificate, its
#       own CA) DOVECOT_MAILDIR (USER's Maildir: new/ cur/ tmp/, folders
#       as .Name.Sub/) DOVECOT_LOG; folders use '/' as separator
#   dovecot_deliver FILE…   put mails into INBOX/new as a delivery would
#   dovecot_imap COMMAND    one IMAP command (curl; the INBOX selected),
#                           the untagged answer on stdout
#   dovecot_stop
#
# As root Dovecot's mail processes run as the unprivileged DOVECOT_MAIL_USER
# (default nobody), which owns the Maildir.

[ -n "${_BB_COMMON_SH:-}" ] || { echo "dovecot.sh: source common.sh first" >&2; return 1; }

DOVECOT_PID=""
DOVECOT_MAIL_USER=${DOVECOT_MAIL_USER:-nobody}

dovecot_start() {
	local dir=${1:?usage: dovecot_start DIR USER PASSWORD} user=${2:?} pass=${3:?} d uid gid
	command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || { note "dovecot is not installed (make deps: dovecot-imapd)"; return 1; }
	mkdir -p "$dir" || return 1
	DOVECOT_DIR=$(cd "$dir" && pwd)
	DOVECOT_PORT=$(free_port) || return 1
	DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
	DOVECOT_USER=$user DOVECOT_PASS=$pass
	make_cert "$DOVECOT_DIR/tls" || return 1
	DOVECOT_CA=$DOVECOT_DIR/tls/cert.pem
	DOVECOT_MAILDIR=$DOVECOT_DIR/mail/$user/Maildir
	mkdir -p "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/tmp" "$DOVECOT_DIR/run" || return 1
	printf '%s:{PLAIN}%s::::\n' "$user" "$pass" >"$DOVECOT_DIR/passwd"
	chmod 600 "$DOVECOT_DIR/passwd"
	if [ "$(id -u)" -eq 0 ]; then
		uid=$DOVECOT_MAIL_USER
		gid=$(id -gn "$DOVECOT_MAIL_USER") || return 1
		chown -R "$uid:$gid" "$DOVECOT_DIR/mail" || return 1
		# The auth process reads the passwd-file as the dovecot user.
		chgrp dovecot "$DOVECOT_DIR/passwd" && chmod 640 "$DOVECOT_DIR/passwd" || return 1
		# Dovecot's login and mail users must reach DIR: open search
		# permission on our own temporary tree only.
		d=$DOVECOT_DIR
		while [ "${#d}" -ge "${#TEST_TMPDIR}" ] && [ "$d" != / ]; do
			case $d in "$TEST_TMPDIR"*) chmod o+x "$d" ;; esac
			d=$(dirname "$d")
		done
	else
		uid=$(id -un) gid=$(id -gn)
	fi
	cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
# tests/lib/dovecot.sh: a private instance for one test
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/run/state
instance_name = budbringer-$(basename "$TEST_TMPDIR")
log_path = $DOVECOT_LOG
ssl = required
ssl_cert = <$DOVECOT_DIR/tls/cert.pem
ssl_key = <$DOVECOT_DIR/tls/key.pem
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DOVECOT_DIR/mail/%u
}
mail_location = maildir:$DOVECOT_DIR/mail/%u/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
first_valid_uid = 1
first_valid_gid = 1
default_login_user = dovenull
default_internal_user = dovecot
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_PORT
    ssl = yes
  }
}
CONF
	spawn DOVECOT_PID "$DOVECOT_DIR/dovecot.out" dovecot -F -c "$DOVECOT_DIR/dovecot.conf"
	export DOVECOT_PORT DOVECOT_PID DOVECOT_CA DOVECOT_MAILDIR DOVECOT_LOG DOVECOT_DIR
	wait_for_port "$DOVECOT_PORT" 15 "$DOVECOT_PID" || {
		note "dovecot did not start: $(cat "$DOVECOT_DIR/dovecot.out" "$DOVECOT_LOG" 2>/dev/null | tail -5)"
		return 1
	}
}

# dovecot_deliver FILE…: each into new/ under a unique Maildir name.
dovecot_deliver() {
	local f n=0 name
	for f in "$@"; do
		n=$((n + 1))
		name="$(date +%s).M${n}P$$.test"
		cp "$f" "$DOVECOT_MAILDIR/tmp/$name" || return 1
		[ "$(id -u)" -ne 0 ] || chown "$DOVECOT_MAIL_USER" "$DOVECOT_MAILDIR/tmp/$name"
		mv "$DOVECOT_MAILDIR/tmp/$name" "$DOVECOT_MAILDIR/new/$name" || return 1
	done
}

dovecot_imap() {
	curl -s --max-time 20 --cacert "$DOVECOT_CA" -u "$DOVECOT_USER:$DOVECOT_PASS" \
		"imaps://127.0.0.1:$DOVECOT_PORT/INBOX" -X "$1" | tr -d '\r'
}

dovecot_stop() {
	stop_pid "${DOVECOT_PID:-}" 10
	DOVECOT_PID=""
}
