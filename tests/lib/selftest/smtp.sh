#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of tests/lib/smtp.sh: smtp_server.py (plain, STARTTLS + AUTH,
# per-recipient 451/550, DATA faults, 421 greeting, down, hang) driven by
# Python's smtplib, and Postfix smtp-sink driven by smtp-source.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
. "$TESTS_LIB_DIR/smtp.sh"

# smtpc ARGS: a small smtplib client. Prints one line per step:
#   "rcpt ADDR CODE", "data CODE", "error TYPE CODE" ...
smtpc() {
	"$BB_PYTHON" - "$@" <<'EOF'
import smtplib, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
rcpts = sys.argv[3].split(",")
user = sys.argv[4] if len(sys.argv) > 4 else None
pw = sys.argv[5] if len(sys.argv) > 5 else None
ca = sys.argv[6] if len(sys.argv) > 6 else None
msg = ("From: Budbringer <noreply@example.org>\r\nTo: x@example.org\r\n"
       "Subject: =?UTF-8?B?SGVqIMOmw7jDpQ==?=\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n"
       "Hej æøå\r\n.leading dot\r\nمرحبا\r\n").encode("utf-8")
try:
    s = smtplib.SMTP("127.0.0.1", port, timeout=3)
    s.ehlo("client.test")
    if mode in ("tls", "tls-auth"):
        ctx = ssl.create_default_context(cafile=ca)
        s.starttls(context=ctx)
        s.ehlo("client.test")
    if mode in ("auth", "tls-auth"):
        try:
            s.login(user, pw)
            print("auth 235")
        except smtplib.SMTPAuthenticationError as e:
            print("auth %d" % e.smtp_code)
        except smtplib.SMTPNotSupportedError:
            print("auth not-offered")
    code, _ = s.mail("noreply@example.org")
    print("mail %d" % code)
    ok = []
    for r in rcpts:
        code, text = s.rcpt(r)
        print("rcpt %s %d" % (r, code))
        if code == 250:
            ok.append(r)
    if ok:
        code, text = s.data(msg)
        print("data %d" % code)
    s.quit()
except smtplib.SMTPServerDisconnected as e:
    print("error disconnected")
except smtplib.SMTPConnectError as e:
    print("error connect %d" % e.smtp_code)
except smtplib.SMTPResponseException as e:
    print("error response %d" % e.smtp_code)
except ConnectionRefusedError:
    print("error refused")
except (TimeoutError, OSError) as e:
    print("error %s" % type(e).__name__)
EOF
}

# --- plain server ---
smtp_start "$TEST_TMPDIR/plain" || die "smtp_server did not start"
out=$(smtpc "$SMTP_PORT" plain "a@example.org,b@example.org")
assert_eq "mail 250
rcpt a@example.org 250
rcpt b@example.org 250
data 250" "$out" "plain delivery to two recipients"
smtp_wait_mail 2 || fail "mail files did not appear"
emls=("$SMTP_MAILDIR"/*.eml)
eml=${emls[0]}
assert_eq "$SMTP_MAILDIR/000001-a@example.org.eml" "$eml" "file named counter-recipient"
printf 'From: Budbringer <noreply@example.org>\r\nTo: x@example.org\r\nSubject: =?UTF-8?B?SGVqIMOmw7jDpQ==?=\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHej æøå\r\n.leading dot\r\nمرحبا\r\n' >"$TEST_TMPDIR/expected.eml"
assert_file_eq "$TEST_TMPDIR/expected.eml" "$eml" "message stored byte for byte (CRLF, dot-unstuffed)"
meta=$(cat "$SMTP_MAILDIR/000002-b@example.org.json")
assert_contains "$meta" '"rcpt": "b@example.org"' "metadata names the recipient"
assert_contains "$meta" '"tls": false' "metadata: no TLS"

# --- fault injection: built-in 451 (twice) and 550 rules ---
out=$(smtpc "$SMTP_PORT" plain "fail451+x@example.org,fail550@example.org,ok@example.org")
assert_eq "mail 250
rcpt fail451+x@example.org 451
rcpt fail550@example.org 550
rcpt ok@example.org 250
data 250" "$out" "451 and 550 per recipient, others accepted"
smtpc "$SMTP_PORT" plain "fail451+x@example.org" >/dev/null
out=$(smtpc "$SMTP_PORT" plain "fail451+x@example.org")
assert_eq "mail 250
rcpt fail451+x@example.org 250
data 250" "$out" "fail451+ accepted on the third try"
assert_eq 4 "$(smtp_mail_count)" "4 files after the retries"
assert_eq 2 "$(grep -c '"address": "fail451+x@example.org", "status": "451' "$SMTP_LOG")" \
	"session log shows two 451 answers"

# --- rules from the faults file, changed while running ---
smtp_faults '{"rules": [{"stage": "rcpt", "match": "*@slow.test", "code": 452, "text": "4.2.2 mailbox full", "times": 1},
	{"stage": "data", "match": "big@*", "code": 552, "text": "5.3.4 too big"}]}' || fail "faults not applied"
out=$(smtpc "$SMTP_PORT" plain "u@slow.test,big@example.org")
assert_eq "mail 250
rcpt u@slow.test 452
rcpt big@example.org 250
data 552" "$out" "custom rcpt rule and DATA rule"
out=$(smtpc "$SMTP_PORT" plain "fail550@example.org")
assert_eq "mail 250
rcpt fail550@example.org 250
data 250" "$out" "built-in rules replaced by the file's rules"

# A stored message whose answer never comes (the client times out after 3 s).
smtp_faults '{"rules": [{"stage": "data", "match": "lost@*", "store": true, "code": 250, "delay": 5, "close": true}]}' ||
	fail "faults not applied"
before=$(smtp_mail_count)
assert_match "$(smtpc "$SMTP_PORT" plain lost@example.org)" "rcpt lost@example.org 250
error (disconnected|TimeoutError|timeout)" "store rule: the client hears nothing after the data"
assert_eq $((before + 1)) "$(smtp_mail_count)" "store rule: but the message was stored"
assert_eq 1 "$(grep -c '"event": "data", .*"lost@example.org".*"stored": true' "$SMTP_LOG")" "store rule: logged as stored"
smtp_faults '{"mode": "greeting421"}' || fail "faults not applied"
assert_eq "error connect 421" "$(smtpc "$SMTP_PORT" plain a@example.org)" "421 at greeting"
smtp_faults '{"mode": "down"}' || fail "faults not applied"
assert_eq "error refused" "$(smtpc "$SMTP_PORT" plain a@example.org)" "down: connection refused"
smtp_faults '{"mode": "hang"}' || fail "faults not applied"
assert_match "$(smtpc "$SMTP_PORT" plain a@example.org)" "error (disconnected|TimeoutError|timeout)" \
	"hang: client times out waiting for the greeting"
smtp_faults '{"rules": [{"stage": "rcpt", "match": "bye@*", "code": 421, "text": "4.4.2 closing", "close": true}]}'
assert_match "$(smtpc "$SMTP_PORT" plain bye@example.org,a@example.org)" "rcpt bye@example.org 421" \
	"421 on RCPT then close"
smtp_faults '{}'
assert_contains "$(smtpc "$SMTP_PORT" plain a@example.org)" "data 250" "back to normal after down/hang"
smtp_stop || fail "smtp_server did not stop on SIGTERM"

# --- STARTTLS + AUTH ---
smtp_start "$TEST_TMPDIR/tls" --starttls --auth mailer 'pa ss:w0rd' || die "TLS smtp_server did not start"
assert_cmd "[ -s '$SMTP_CERT' ] && [ -s '$SMTP_KEY' ]" "certificate generated"
out=$(smtpc "$SMTP_PORT" tls-auth "t@example.org" mailer 'pa ss:w0rd' "$SMTP_CERT")
assert_eq "auth 235
mail 250
rcpt t@example.org 250
data 250" "$out" "STARTTLS (verified against SMTP_CERT) + AUTH"
out=$(smtpc "$SMTP_PORT" tls-auth "t@example.org" mailer wrong "$SMTP_CERT")
assert_contains "$out" "auth 535" "wrong password gets 535"
assert_contains "$(smtpc "$SMTP_PORT" plain t@example.org)" "mail 530" "MAIL without AUTH gets 530"
out=$(smtpc "$SMTP_PORT" auth t@example.org mailer 'pa ss:w0rd')
assert_eq "auth not-offered" "${out%%$'\n'*}" \
	"AUTH not offered before STARTTLS"
smtp_wait_mail 1
meta=$(cat "$SMTP_MAILDIR"/000001-*.json)
assert_contains "$meta" '"auth_user": "mailer"' "metadata records the AUTH user"
assert_contains "$meta" '"tls": true' "metadata records TLS"
smtp_stop

# --- AUTH without TLS ---
smtp_start "$TEST_TMPDIR/auth" --auth u p || die "AUTH smtp_server did not start"
assert_contains "$(smtpc "$SMTP_PORT" auth x@example.org u p)" "auth 235" "AUTH over plain when no TLS"
smtp_stop

# --- smtp-sink for benchmarks ---
require_cmd smtp-sink smtp-source
sink_start "$TEST_TMPDIR/sink" || die "smtp-sink did not start"
smtp-source -s 4 -m 200 -d "127.0.0.1:$SINK_PORT" >/dev/null 2>&1
sink_wait 200 10 || fail "smtp-sink count"
assert_eq 200 "$(sink_count)" "smtp-sink counted 200 messages"
sink_stop || fail "smtp-sink did not stop on SIGTERM"
sink_start "$TEST_TMPDIR/sinkdump" --dump || die "smtp-sink --dump did not start"
smtp-source -m 3 "127.0.0.1:$SINK_PORT" >/dev/null 2>&1
sink_wait 3 10
wait_until "[ \$(find '$SINK_DIR/dump' -type f | wc -l) -ge 3 ]" 5
assert_eq 3 "$(find "$SINK_DIR/dump" -type f | wc -l)" "smtp-sink dumped one file per message"
sink_stop
done_testing
