#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run`: a demo database on the spool provider, the daemon in the
# foreground. Everything lives in ./demo (delete it to start over).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/demo
mkdir -p "$demo/spool/sms" "$demo/spool/mail"
# 64 random hex digits, made here and never committed.
random_secret() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
if [ ! -f "$demo/budbringer.conf" ]; then
	sed -e "s|/var/lib/budbringer/budbringer.db|$demo/budbringer.db|" \
	    -e "s|/var/lib/budbringer/spool|$demo/spool|g" \
	    -e "s|https://frivillig.example.dk\"|http://127.0.0.1:${BB_DEMO_PORT:-8080}\"|" \
	    -e "s|127.0.0.1:8080|127.0.0.1:${BB_DEMO_PORT:-8080}|" \
	    -e 's|^user = "budbringer";.*|user = "";  # the demo runs as whoever starts it|' \
	    "$top/etc/budbringer.conf" > "$demo/budbringer.conf"
	chmod 600 "$demo/budbringer.conf"
fi
# The sample's CHANGE-ME secrets are refused: give the demo its own (this
# also mends a demo config made before they were refused).
if grep -q '^[^#]*CHANGE-ME' "$demo/budbringer.conf"; then
	sed -e "s|^secret_key = \"CHANGE-ME[^\"]*\"|secret_key = \"$(random_secret)\"|" \
	    -e "s|inbound_secret = \"CHANGE-ME[^\"]*\"|inbound_secret = \"$(random_secret)\"|" \
	    -e "s|dlr_secret = \"CHANGE-ME[^\"]*\"|dlr_secret = \"$(random_secret)\"|" \
	    "$demo/budbringer.conf" > "$demo/budbringer.conf.new"
	chmod 600 "$demo/budbringer.conf.new"
	mv "$demo/budbringer.conf.new" "$demo/budbringer.conf"
fi
# A staff login for the dashboard: user "demo" with a random password,
# kept (mode 600) in demo/staff-password so every run can print it.
if ! grep -q '^staff = ' "$demo/budbringer.conf"; then
	(umask 077; od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$demo/staff-password")
	hash=$(cat "$demo/staff-password" | "$top/build/budbringer" hash-password)
	printf '\n# The demo staff login (scripts/demo.sh; the password is in staff-password).\n' \
		>> "$demo/budbringer.conf"
	printf 'staff = ( { user = "demo"; password_hash = "%s"; lang = "da"; } );\n' "$hash" \
		>> "$demo/budbringer.conf"
fi
if [ ! -f "$demo/budbringer.db" ]; then
	"$top/scripts/demo-data.sh" "$demo/budbringer.conf" "$top/build"
fi
cat <<MSG

  Budbringer demo — the daemon runs in the foreground (Ctrl-C stops it).
  Dashboard:    http://127.0.0.1:${BB_DEMO_PORT:-8080}/dashboard
                user demo, password $(cat "$demo/staff-password" 2>/dev/null || echo "(see $demo/staff-password)")
  SMS land in   $demo/spool/sms/*.json
                (campaign SMS wait during quiet hours, 21:00-08:00 Copenhagen time:
                the log says so; replies to inbound SMS go at once)
  Email lands in $demo/spool/mail/*.eml
  In another terminal:
    $top/build/budbringer -c $demo/budbringer.conf campaign list
    $top/build/budbringer -c $demo/budbringer.conf log
    $top/build/budbringer -c $demo/budbringer.conf opportunity publish 3
    curl http://127.0.0.1:${BB_DEMO_PORT:-8080}/metrics

MSG
exec "$top/build/budbringerd" -f -c "$demo/budbringer.conf"
