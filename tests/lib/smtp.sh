# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# SMTP test peers on 127.0.0.1. Source common.sh first.
#
# smtp_* : smtp_server.py (aiosmtpd), records every message, optional
#          STARTTLS and AUTH, fault injection changeable while it runs.
#   smtp_start DIR [--starttls] [--require-starttls] [--auth USER PASS]
#     --starttls     make a throw-away self-signed certificate (CN=localhost,
#                    SAN DNS:localhost, IP:127.0.0.1) and offer STARTTLS
#     --auth U P     offer AUTH PLAIN/LOGIN and require it before MAIL (only
#                    after STARTTLS when --starttls is given)
#     exports SMTP_HOST (127.0.0.1) SMTP_PORT SMTP_PID SMTP_DIR
#             SMTP_MAILDIR (DIR/mail: NNNNNN-RCPT.eml + .json per recipient)
#             SMTP_LOG (DIR/smtp.jsonl) SMTP_FAULTS (DIR/faults.json)
#             SMTP_CERT SMTP_KEY (empty without --starttls; the cert is
#             its own CA, give it to the client as CA file)
#             SMTP_USER SMTP_PASS (empty without --auth)
#   smtp_faults 'JSON'      replace the fault settings and wait until live
#                           (see smtp_server.py: mode, rules, fail451_times)
#   smtp_mail_count         messages x recipients received
#   smtp_wait_mail N [TIMEOUT=10]
#   smtp_stop
#
# sink_* : Postfix smtp-sink for benchmarks (no TLS, AUTH not advertised).
#   sink_start DIR [--dump] [extra smtp-sink options...]
#     --dump   one file per message in DIR/dump/ (made writable by the
#              smtp-sink user); slows it down by orders of magnitude
#     exports SINK_PORT SINK_PID SINK_DIR SINK_OUT (the -c counters)
#   sink_count              messages received so far
#   sink_wait N [TIMEOUT=30]
#   sink_stop

[ -n "${_BB_COMMON_SH:-}" ] || { echo "smtp.sh: source common.sh first" >&2; return 1; }

# make_cert DIR: self-signed certificate DIR/cert.pem + DIR/key.pem.
make_cert() {
	local dir=${1:?usage: make_cert DIR}
	mkdir -p "$dir" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 || {
		note "openssl failed: $(cat "$dir/openssl.log")"
		return 1
	}
}

smtp_start() {
	local dir=${1:?usage: smtp_start DIR [options]} port
	local -a args=()
	shift
	mkdir -p "$dir" || return 1
	SMTP_DIR=$(cd "$dir" && pwd)
	SMTP_CERT="" SMTP_KEY="" SMTP_USER="" SMTP_PASS=""
	while [ $# -gt 0 ]; do
		case $1 in
		--starttls)
			make_cert "$SMTP_DIR/tls" || return 1
			SMTP_CERT=$SMTP_DIR/tls/cert.pem
			SMTP_KEY=$SMTP_DIR/tls/key.pem
			args+=(--tls-cert "$SMTP_CERT" --tls-key "$SMTP_KEY")
			;;
		--auth)
			SMTP_USER=${2:?--auth USER PASS}
			SMTP_PASS=${3?--auth USER PASS}
			args+=(--auth-user "$SMTP_USER" --auth-pass "$SMTP_PASS")
			shift 2
			;;
		*) args+=("$1") ;;
		esac
		shift
	done
	port=$(free_port) || return 1
	SMTP_HOST=127.0.0.1
	SMTP_PORT=$port
	SMTP_MAILDIR=$SMTP_DIR/mail
	SMTP_LOG=$SMTP_DIR/smtp.jsonl
	SMTP_FAULTS=$SMTP_DIR/faults.json
	[ -e "$SMTP_FAULTS" ] || echo '{}' >"$SMTP_FAULTS"
	spawn SMTP_PID "$SMTP_DIR/smtp_server.out" "$BB_PYTHON" \
		"$TESTS_LIB_DIR/smtp_server.py" --port "$port" --dir "$SMTP_DIR" \
		--faults "$SMTP_FAULTS" "${args[@]}"
	export SMTP_HOST SMTP_PORT SMTP_PID SMTP_DIR SMTP_MAILDIR SMTP_LOG \
		SMTP_FAULTS SMTP_CERT SMTP_KEY SMTP_USER SMTP_PASS
	if ! wait_until "[ -s '$SMTP_DIR/smtp_server.out' ]" 10 "$SMTP_PID" ||
		! wait_for_port "$port" 10 "$SMTP_PID"; then
		note "smtp_server did not start: $(cat "$SMTP_DIR/smtp_server.out")"
		return 1
	fi
}

# smtp_faults 'JSON': write the faults file atomically and wait until the
# server reports it applied.
smtp_faults() {
	local sum
	printf '%s' "$1" >"$SMTP_FAULTS.new" || return 1
	sum=$(sha1sum <"$SMTP_FAULTS.new" | cut -d' ' -f1)
	mv -f "$SMTP_FAULTS.new" "$SMTP_FAULTS" || return 1
	wait_until "[ \"\$(cat '$SMTP_FAULTS.applied' 2>/dev/null)\" = $sum ]" 5 "$SMTP_PID"
}

smtp_mail_count() {
	count_files "$SMTP_MAILDIR" '*.json'
}

smtp_wait_mail() {
	wait_until "[ \"\$(smtp_mail_count)\" -ge $1 ]" "${2:-10}" "$SMTP_PID"
}

smtp_stop() {
	stop_pid "${SMTP_PID:-}" 5
}

# ------------------------------------------------------------- smtp-sink ---

sink_start() {
	local dir=${1:?usage: sink_start DIR [--dump] [options]} port d
	local -a args=(-a -c)
	shift
	mkdir -p "$dir" || return 1
	SINK_DIR=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		args+=(-u "${SINK_USER:-nobody}")
	fi
	if [ "${1:-}" = "--dump" ]; then
		shift
		mkdir -p "$SINK_DIR/dump" || return 1
		if [ "$(id -u)" -eq 0 ]; then
			chown "${SINK_USER:-nobody}" "$SINK_DIR/dump" || return 1
			# The unprivileged sink must be able to reach the dump dir:
			# open up search permission on our own temporary tree only.
			d=$SINK_DIR
			while [ "${#d}" -ge "${#TEST_TMPDIR}" ] && [ "$d" != / ]; do
				case $d in "$TEST_TMPDIR"*) chmod o+x "$d" ;; esac
				d=$(dirname "$d")
			done
		fi
		args+=(-d "$SINK_DIR/dump/%Y%m%d%H%M%S.")
	fi
	port=$(free_port) || return 1
	SINK_PORT=$port
	SINK_OUT=$SINK_DIR/smtp-sink.out
	spawn SINK_PID "$SINK_OUT" smtp-sink "${args[@]}" "$@" "127.0.0.1:$port" 256
	export SINK_PORT SINK_PID SINK_DIR SINK_OUT
	wait_for_port "$port" 10 "$SINK_PID" || {
		note "smtp-sink did not start: $(cat "$SINK_OUT")"
		return 1
	}
}

# sink_count: the "mesg=" counter smtp-sink -c prints (\r-separated).
sink_count() {
	# -c rewrites one "\rsess=N quit=N mesg=N" record per message, so the
	# file grows by ~25 bytes a message: read only its end (scanning all of
	# it took 0.1-0.3 s of CPU per call at 20,000-60,000 messages).
	local n
	n=$(tail -c 128 "$SINK_OUT" 2>/dev/null)
	case $n in
	*mesg=[0-9]*) n=${n##*mesg=}; n=${n%%[!0-9]*} ;;
	*) n=0 ;;
	esac
	echo "${n:-0}"
}

sink_wait() {
	wait_until "[ \"\$(sink_count)\" -ge $1 ]" "${2:-30}" "$SINK_PID"
}

sink_stop() {
	stop_pid "${SINK_PID:-}" 5
}
