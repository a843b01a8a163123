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
# BB_SPOOL_MAIL, BB_SECRET_KEY, BB_INBOUND_SECRET, BB_DLR_SECRET, BB_LOG.

[ -n "${_BB_DAEMON_SH:-}" ] && return 0
_BB_DAEMON_SH=1

BB_BIN=${BB_BIN:-$BB_TOP_DIR/build}
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
export BB_DIR BB_DB BB_CONF BB_SPOOL_SMS BB_SPOOL_MAIL BB_LOG BB_SECRET_KEY BB_INBOUND_SECRET \
	BB_DLR_SECRET BB_HTTP_PORT BB_URL

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

# bb_sql "SELECT …": read-only look at the database for assertions.
bb_sql() {
	sqlite3 -cmd ".timeout 5000" "$BB_DB" "$@"
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
