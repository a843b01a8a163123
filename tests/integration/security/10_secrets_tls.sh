#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, items 5 and 7.
# 5: no sample secret runs. `budbringerd -t` (and the CLI) refuse a
#    CHANGE-ME value and a shared secret under 32 characters, naming the
#    setting and its line; a portal token under 32 characters is neither
#    made by `budbringer portal-token` nor accepted by the API; good
#    secrets pass and the daemon starts with them.
# 7: the SMTP password never crosses the wire in clear. Against a real
#    server (aiosmtpd) that offers AUTH but no STARTTLS, the default and
#    starttls = "enabled" with a login send no AUTH and no mail, and the
#    message says TLS is required; "disabled" with a password is refused;
#    with STARTTLS offered the default authenticates over TLS and delivers.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"
. "$(dirname "$0")/../../lib/smtp.sh"

require_cmd sqlite3 curl openssl
BBD=$BB_TOP_DIR/build/budbringerd
SAMPLE=$BB_TOP_DIR/etc/budbringer.conf

# variant NAME SED-SCRIPT: $BB_CONF edited, as $TEST_TMPDIR/NAME.conf
variant() {
	sed -e "$2" "$BB_CONF" > "$TEST_TMPDIR/$1.conf" && chmod 600 "$TEST_TMPDIR/$1.conf"
	echo "$TEST_TMPDIR/$1.conf"
}
line_of() { grep -n "$2" "$1" | head -1 | cut -d: -f1; }
# refused NAME FILE SETTING WORDS: -t exits 2 with "FILE:LINE: SETTING: WORDS"
refused() {
	local conf=$2 setting=$3 want=$4 out rc line
	out=$("$BBD" -t -c "$conf" 2>&1); rc=$?
	line=$(line_of "$conf" "${setting##*.} = ")
	assert_eq 2 "$rc" "$1: budbringerd -t refuses it (exit 2)"
	assert_contains "$out" "$conf:$line: $setting: $want" "$1: the error names $setting and line $line"
}

# ---- 5. secrets ---------------------------------------------------------
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$(random_token 48)" | sha256sum | cut -d' ' -f1)\";"
bb_config
sample_key=$(sed -n 's/^secret_key = "\(.*\)";.*/\1/p' "$SAMPLE")
sample_inbound=$(sed -n 's/^ *inbound_secret = "\([^"]*\)";.*/\1/p' "$SAMPLE")
assert_contains "$sample_key" "CHANGE-ME" "the sample's secret_key is a CHANGE-ME placeholder"
assert_contains "$(grep -B4 '^secret_key' "$SAMPLE")" "openssl rand -hex 32" "and the sample says how to make one"

c=$(variant sample_key "s|^secret_key = .*|secret_key = \"$sample_key\";|")
refused "the sample secret_key" "$c" secret_key "is the sample value (CHANGE-ME…): generate one with \`openssl rand -hex 32\`"
out=$("$BB_TOP_DIR/build/budbringer" -c "$c" subscriber list 2>&1)
assert_eq "2|secret_key: is the sample value" "$?|$(echo "$out" | grep -o 'secret_key: is the sample value')" \
	"the budbringer CLI refuses the same config"
c=$(variant lower_key 's|^secret_key = "\(.*\)";|secret_key = "\1change-me";|')
refused "a secret_key with change-me in lower case" "$c" secret_key "is the sample value (CHANGE-ME…)"
c=$(variant short_key 's|^secret_key = .*|secret_key = "0123456789abcdefghijklmnopqrstu";|')
refused "a 31-character secret_key" "$c" secret_key "is 31 characters; a shared secret needs at least 32"
c=$(variant sample_inbound "s|inbound_secret = \"[^\"]*\"|inbound_secret = \"$sample_inbound\"|")
refused "the sample inbound_secret ($sample_inbound)" "$c" http.inbound_secret "is the sample value (CHANGE-ME…)"
c=$(variant changeme_inbound "s|inbound_secret = \"[^\"]*\"|inbound_secret = \"CHANGE-ME-$(random_token 40)\"|")
refused "a long CHANGE-ME inbound_secret" "$c" http.inbound_secret "is the sample value (CHANGE-ME…)"
c=$(variant short_dlr "s|dlr_secret = \"[^\"]*\"|dlr_secret = \"$(random_token 20)\"|")
refused "a 20-character dlr_secret" "$c" http.dlr_secret "is 20 characters; a shared secret needs at least 32"
c=$(variant portal_changeme 's|portal_token_sha256 = "[^"]*"|portal_token_sha256 = "CHANGE-ME"|')
refused "a CHANGE-ME portal hash" "$c" http.portal_token_sha256 "is the sample value (CHANGE-ME…)"
c=$(variant portal_63 's|portal_token_sha256 = "\([0-9a-f]*\)[0-9a-f]"|portal_token_sha256 = "\1"|')
refused "a 63-digit portal hash" "$c" http.portal_token_sha256 "must be 64 lowercase hex digits"
c=$(variant provider_pw "s|providers = ( .* );|providers = ( { name = \"k\"; type = \"kannel\"; url = \"http://127.0.0.1:1/\"; username = \"u\"; password = \"CHANGE-ME-sendsms\"; } );|")
refused "a CHANGE-ME Kannel password" "$c" "sms.providers.[].password" "is the sample value (CHANGE-ME…)"

"$BBD" -t -c "$BB_CONF" >"$TEST_TMPDIR/good.out" 2>&1
assert_eq 0 $? "good secrets (48 characters, a 64-digit portal hash): budbringerd -t exits 0 ($(cat "$TEST_TMPDIR/good.out"))"
c=$(variant exact32 "s|^secret_key = .*|secret_key = \"$(random_token 32)\";|; s|inbound_secret = \"[^\"]*\"|inbound_secret = \"$(random_token 32)\"|")
"$BBD" -t -c "$c" >/dev/null 2>&1
assert_eq 0 $? "32-character secrets are enough"
c=$(variant off 's|inbound_secret = "[^"]*"|inbound_secret = ""|; s|dlr_secret = "[^"]*"|dlr_secret = ""|')
"$BBD" -t -c "$c" >/dev/null 2>&1
assert_eq 0 $? "empty inbound and dlr secrets (those endpoints off) are no error"

# The portal token: made long by the CLI, refused short by the CLI and the API.
out=$(echo "$(random_token 20)" | "$BB_TOP_DIR/build/budbringer" portal-token --hash 2>&1)
assert_eq "2|is 20 characters; it needs 32" "$?|$(echo "$out" | grep -o 'is 20 characters; it needs 32')" \
	"portal-token --hash refuses a 20-character token"
out=$(echo "CHANGE-ME-$(random_token 40)" | "$BB_TOP_DIR/build/budbringer" portal-token --hash 2>&1)
assert_eq "2|the sample value" "$?|$(echo "$out" | grep -o 'the sample value')" "and a CHANGE-ME one"
gen=$("$BB_TOP_DIR/build/budbringer" --json portal-token)
long_token=$(echo "$gen" | "$BB_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])')
long_hash=$(echo "$gen" | "$BB_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["portal_token_sha256"])')
assert_num -ge "${#long_token}" 32 "portal-token makes a token of at least 32 characters (${#long_token})"
assert_eq "$(printf %s "$long_token" | sha256sum | cut -d' ' -f1)" "$long_hash" "and prints its SHA-256"
assert_eq "in the http group of the config: portal_token_sha256 = \"$long_hash\";" \
	"$(printf '%s\n' "$long_token" | "$BB_TOP_DIR/build/budbringer" portal-token --hash)" \
	"portal-token --hash prints the config line for an existing token"

short_token=$(random_token 20)
BB_HTTP_EXTRA="portal_token_sha256 = \"$long_hash\";"
bb_config
bb init >/dev/null || die "init"
bb_start
assert_http 200 "$BB_URL/healthz" "the daemon with good secrets starts and answers /healthz"
assert_http 200 "$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=%2B4520000099&to=1234&text=HJ%C3%86LP&id=s1" \
	"and takes inbound SMS with its 48-character secret"
api() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d '{}' -H "Authorization: Bearer $1" "$BB_URL/api/v1/subscribers"; }
assert_eq 400 "$(api "$long_token")" "the portal API takes the generated token (400 for the empty sign-up, not 401)"
bb_stop
sed -i "s|portal_token_sha256 = \"[^\"]*\"|portal_token_sha256 = \"$(printf %s "$short_token" | sha256sum | cut -d' ' -f1)\"|" "$BB_CONF"
bb_start
assert_eq 401 "$(api "$short_token")" "a 20-character portal token is refused even when its hash is configured"
bb_stop

# ---- 7. SMTP AUTH only over TLS ------------------------------------------
SMTP_PW=$(random_token 24)
smtp_start "$TEST_TMPDIR/smtp" --auth budbringer "$SMTP_PW" || die "smtp server did not start"
# The server logs AUTH when one arrives: a clear-text login from Python.
"$BB_PYTHON" - "$SMTP_PORT" "$SMTP_PW" <<'PY' >"$TEST_TMPDIR/control.out" 2>&1
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
s.ehlo("control")
s.login("budbringer", sys.argv[2])
s.quit()
PY
assert_eq "1|false" "$(grep -c '"verb": "AUTH"' "$SMTP_LOG")|$(grep '"verb": "AUTH"' "$SMTP_LOG" |
	"$BB_PYTHON" -c 'import json, sys; print(str(json.loads(sys.stdin.readline())["tls"]).lower())')" \
	"control: the server offers AUTH without STARTTLS and logs an AUTH that arrives"
skip=$(wc -l < "$SMTP_LOG")
log_after() { tail -n +$((skip + 1)) "$SMTP_LOG"; }

email_conf() { # email_conf PORT SMTP-EXTRA
	echo "provider = \"smtp\"; from = \"frivillig@randers.example.dk\"; from_name = \"Frivillig\";
	domain = \"randers.example.dk\"; max_attempts = 20;
	smtp = { host = \"127.0.0.1\"; port = $1; username = \"budbringer\"; password = \"$SMTP_PW\";
	         timeout = 3; connections = 1; $2 };"
}
refusals() { # message events saying TLS is required, for ADDRESS
	bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
		WHERE m.recipient = '$1' AND e.detail LIKE '%does not offer STARTTLS, and TLS is required%'"
}
n=0
mail_to() { # mail_to ADDRESS: a campaign email for a new subscriber
	n=$((n + 1))
	local i
	i=$(echo sport culture social nature scouting | cut -d' ' -f$n)
	bb subscriber add --email "$1" --lang da --interest "$i" --consent test >/dev/null || die "subscriber $1"
	bb opportunity add --title "da=Test $n" --summary "da=Test $n." --interest "$i" \
		--url https://x.example/o --publish >/dev/null || die "opportunity $n"
}
BB_SMS_EXTRA='backoff_initial = 1; backoff_max = 2;'
for mode in default enabled; do
	if [ $mode = default ]; then BB_EMAIL=$(email_conf "$SMTP_PORT" ""); else
		BB_EMAIL=$(email_conf "$SMTP_PORT" 'starttls = "enabled";'); fi
	bb_config
	bb_start
	to=clear-$mode@example.dk
	mail_to "$to"
	wait_until "[ \$(refusals $to) -ge 1 ]" 30 "$BB_PID" || fail "starttls $mode: the message was never tried"
	# A later session must not AUTH either: wait for a second try.
	wait_until "[ \$(log_after | grep -c '\"verb\": \"EHLO\"') -ge 2 ]" 30 "$BB_PID" ||
		fail "starttls $mode: no second session"
	assert_num -ge "$(log_after | grep -c '"verb": "EHLO"')" 2 "starttls $mode: the daemon reached the server (EHLO)"
	assert_eq 0 "$(log_after | grep -c '"verb": "AUTH"')" "starttls $mode: no AUTH command reached the server without TLS"
	assert_eq 0 "$(log_after | grep -c '"event": "auth"')" "starttls $mode: no credentials either"
	assert_eq 0 "$(ls "$SMTP_MAILDIR" | grep -c "$to")" "starttls $mode: the message was not delivered"
	assert_ne sent "$(bb_sql "SELECT state FROM messages WHERE recipient = '$to'")" "starttls $mode: nor marked sent"
	assert_contains "$(bb_sql "SELECT detail FROM message_events e JOIN messages m ON m.id = e.message_id
		WHERE m.recipient = '$to' AND e.detail LIKE '%STARTTLS%' ORDER BY e.id DESC LIMIT 1")" \
		"127.0.0.1 does not offer STARTTLS, and TLS is required" "starttls $mode: the message says why: TLS is required"
	assert_contains "$(cat "$BB_LOG")" "starttls=required auth=yes" "starttls $mode: with a login the provider runs TLS-required"
	bb_stop
done

BB_EMAIL=$(email_conf "$SMTP_PORT" 'starttls = "disabled";')
bb_config
c=$(variant smtp_disabled '')
refused 'starttls = "disabled" with a password' "$c" email.smtp.starttls \
	"is \"disabled\" but email.smtp.username/password are set: the password would cross the network in clear"
c=$(variant smtp_disabled_nologin 's|username = "budbringer"; password = "[^"]*";||')
"$BBD" -t -c "$c" >/dev/null 2>&1
assert_eq 0 $? 'starttls = "disabled" without a login is still allowed (a plain local relay)'
smtp_stop

# With STARTTLS offered, the default authenticates over TLS and delivers.
smtp_start "$TEST_TMPDIR/smtp-tls" --starttls --auth budbringer "$SMTP_PW" || die "TLS smtp server did not start"
BB_EMAIL=$(email_conf "$SMTP_PORT" "ca_file = \"$SMTP_CERT\";")
bb_config
bb_start
mail_to tls@example.dk
smtp_wait_mail 1 30 || fail "default starttls: the message did not arrive over TLS"
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE recipient = 'tls@example.dk'\")\" = sent ]" 10 "$BB_PID"
assert_eq "sent" "$(bb_sql "SELECT state FROM messages WHERE recipient = 'tls@example.dk'")" "default starttls: sent"
assert_eq "true" "$(grep '"verb": "AUTH"' "$SMTP_LOG" | "$BB_PYTHON" -c \
	'import json, sys; print(" ".join(sorted({str(json.loads(l)["tls"]).lower() for l in sys.stdin})) or "none")')" \
	"default starttls: AUTH came, and only over TLS"
bb_stop

done_testing
