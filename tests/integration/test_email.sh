#!/bin/bash
# SPDX-License-Identifier: MIT
# The email channel against a real SMTP server (aiosmtpd with STARTTLS and
# AUTH, a throw-away certificate checked by the daemon):
#   - a campaign to 200 email subscribers arrives complete, each message
#     parseable by Python's email package, in the subscriber's language,
#     with a working signed List-Unsubscribe; sessions carry many messages;
#   - 451 for some recipients: retried and delivered; 550: bounced with the
#     server's reason;
#   - one-click unsubscribe (curl -X POST) stops the next campaign's mail;
#     a forged token gets 403 and changes nothing; GET changes nothing;
#   - /confirm: a signed link confirms, altered 403, expired 410;
#   - the server down, then hanging: messages wait and all go out once,
#     when it is back; the daemon keeps answering meanwhile;
#   - 50 consecutive TLS sessions (messages_per_session = 1) in one process.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/smtp.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl openssl

SMTP_PW=$(random_token 16)
smtp_start "$TEST_TMPDIR/smtp" --starttls --auth budbringer "$SMTP_PW" ||
	die "the SMTP server did not start"

email_conf() { # email_conf MESSAGES_PER_SESSION CONNECTIONS
	cat <<CONF
provider = "smtp"; from = "frivillig@randers.example.dk"; from_name = "Frivillig i Randers";
domain = "randers.example.dk"; unsubscribe_mailto = "afmeld@randers.example.dk"; max_attempts = 30;
smtp = { host = "127.0.0.1"; port = $SMTP_PORT; starttls = "required";
         username = "budbringer"; password = "$SMTP_PW"; timeout = 5;
         connections = $2; messages_per_session = $1; ca_file = "$SMTP_CERT"; verify_peer = true; };
CONF
}
BB_EMAIL=$(email_conf 100 2)
PORTAL_TOKEN=$(random_token 32)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";"
BB_SMS_EXTRA='backoff_initial = 1; backoff_max = 2;'
BB_CAMPAIGNS='frequency_cap = 0; expand_batch = 500;'
bb_config
bb init >/dev/null || die "budbringer init failed"

# 200 subscribers in four languages, plus two that get 451 twice and one 550.
langs=(da en ar tr)
for i in $(seq 1 200); do
	bb subscriber add --email "person$i@example.org" --lang "${langs[i % 4]}" \
		--consent "integration test" >/dev/null || die "subscriber add $i"
done
for a in fail451+one@example.org fail451+two@example.org fail550-nobody@example.org; do
	bb subscriber add --email "$a" --lang da --consent "integration test" >/dev/null ||
		die "subscriber add $a"
done

bb_start
publish() { # publish TAG: an opportunity with texts in da/en/ar/tr; prints its id
	bb --json opportunity add \
		--title "da=Lektiecafé $1 søger frivillige" --summary "da=Hjælp børn med lektier – tirsdag kl. 16. Ærø & Æbler <3" \
		--title "en=Homework café $1 needs volunteers" --summary "en=Help children with homework on Tuesdays." \
		--title "ar=مقهى الواجبات $1 يحتاج متطوعين" --summary "ar=ساعد الأطفال في واجباتهم المدرسية يوم الثلاثاء." \
		--title "tr=Ödev kafesi $1 gönüllü arıyor" --summary "tr=Salı günleri çocuklara ödevlerinde yardım edin." \
		--url "https://frivillig.example.dk/o/$1" --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p'
}
state_count() { bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $1 AND state = '$2'"; }
settled() { # settled CAMPAIGN: nothing of it is queued or in flight any more
	[ "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $1 AND state IN ('queued','sending')")" = 0 ]
}

# check_mail LOW HIGH: parses every received .eml with seq in [LOW, HIGH] and
# prints a JSON summary (see the Python below).
check_mail() {
	bb_sql "SELECT id, email, lang FROM subscribers" >"$TEST_TMPDIR/subs.txt"
	"$BB_PYTHON" - "$SMTP_MAILDIR" "$1" "$2" "$BB_URL" "$TEST_TMPDIR/subs.txt" <<'EOF'
import base64, glob, json, os, re, sys
from email import policy
from email.parser import BytesParser
maildir, low, high, url, subs_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
subs = {}
for line in open(subs_file, encoding="utf-8"):
    sid, email, lang = line.rstrip("\n").split("|")
    subs[email] = (int(sid), lang)
titles = {"da": "Lektiecafé", "en": "Homework café", "ar": "مقهى الواجبات", "tr": "Ödev kafesi"}
summaries = {"da": "Hjælp børn med lektier", "en": "Help children with homework",
             "ar": "ساعد الأطفال", "tr": "Salı günleri çocuklara"}
out = {"count": 0, "errors": [], "rcpts": [], "unsub": {}, "sessions": {}, "msgids": 0}
msgids = set()
def err(f, why):
    out["errors"].append("%s: %s" % (os.path.basename(f), why))
for meta_file in sorted(glob.glob(os.path.join(maildir, "*.json"))):
    meta = json.load(open(meta_file))
    if not (low <= meta["seq"] <= high):
        continue
    f = meta_file[:-5] + ".eml"
    raw = open(f, "rb").read()
    out["count"] += 1
    rcpt = meta["rcpt"]
    out["rcpts"].append(rcpt)
    peer = meta.get("session") or "%s:%s" % tuple(meta["peer"])
    out["sessions"][peer] = out["sessions"].get(peer, 0) + 1
    if not meta["tls"] or meta["auth_user"] != "budbringer":
        err(f, "not over TLS with AUTH: %r" % meta)
    sid, lang = subs.get(rcpt, (0, "?"))
    if not re.fullmatch(r"bounce\+\d+@randers\.example\.dk", meta["mail_from"] or ""):
        err(f, "envelope sender %r" % meta["mail_from"])
    if b"\n" in raw.replace(b"\r\n", b"") or any(len(l) > 998 for l in raw.split(b"\r\n")):
        err(f, "bare LF or long line")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if msg.defects:
        err(f, "defects %r" % msg.defects)
    if msg.get_content_type() != "multipart/alternative":
        err(f, "type %s" % msg.get_content_type())
        continue
    if str(msg["To"]) != rcpt:
        err(f, "To %r" % str(msg["To"]))
    if msg["From"].addresses[0].display_name != "Frivillig i Randers":
        err(f, "From %r" % str(msg["From"]))
    lang_ok = lang if lang in titles else "da"
    if titles[lang_ok] not in str(msg["Subject"]):
        err(f, "subject %r for %s" % (str(msg["Subject"]), lang))
    for h in ("Message-ID", "Date", "MIME-Version", "List-Unsubscribe", "List-Unsubscribe-Post"):
        if len(msg.get_all(h) or []) != 1:
            err(f, "%d %s headers" % (len(msg.get_all(h) or []), h))
    msgids.add(str(msg["Message-ID"]))
    if str(msg["List-Unsubscribe-Post"]) != "List-Unsubscribe=One-Click":
        err(f, "List-Unsubscribe-Post %r" % str(msg["List-Unsubscribe-Post"]))
    lu = str(msg["List-Unsubscribe"])
    m = re.fullmatch(r"<(%s/unsubscribe\?t=([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+)>, <mailto:afmeld@randers\.example\.dk>" % re.escape(url), lu)
    if not m:
        err(f, "List-Unsubscribe %r" % lu)
    else:
        payload = base64.urlsafe_b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4)).decode()
        if payload.split("|")[:3] != ["1", "unsub", str(sid)]:
            err(f, "unsubscribe token %r is not for subscriber %d" % (payload, sid))
        out["unsub"][rcpt] = m.group(1)
    parts = list(msg.iter_parts())
    if [p.get_content_type() for p in parts] != ["text/plain", "text/html"]:
        err(f, "parts %r" % [p.get_content_type() for p in parts])
        continue
    text, html = parts[0].get_content(), parts[1].get_content()
    if summaries[lang_ok] not in text or summaries[lang_ok] not in html:
        err(f, "summary missing in %s" % lang)
    if m and m.group(1) not in text:
        err(f, "text part lacks the unsubscribe link")
    if 'href="https://frivillig.example.dk/o/' not in html:
        err(f, "html part lacks the button link")
    if lang == "ar" and 'dir="rtl"' not in html:
        err(f, "Arabic html not right-to-left")
    if "<3" in html or "&lt;3" not in html and lang == "da":
        err(f, "html not escaped")
out["msgids"] = len(msgids)
out["max_per_session"] = max(out["sessions"].values()) if out["sessions"] else 0
out["n_sessions"] = len(out["sessions"])
out["unique_rcpts"] = len(set(out["rcpts"]))
del out["rcpts"]
json.dump(out, sys.stdout, ensure_ascii=False)
EOF
}
jget() { "$BB_PYTHON" -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v, ensure_ascii=False) if isinstance(v,(dict,list)) else v)' "$1"; }
seq_now() { ls "$SMTP_MAILDIR" 2>/dev/null | grep -c '\.json$'; }

# --- 1. a campaign to 203 subscribers -------------------------------------
opp1=$(publish one)
assert_match "$opp1" '^[0-9]+$' "first opportunity published"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM campaigns\")\" = 1 ]" 15 "$BB_PID" || die "no campaign"
c1=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp1")
wait_until "[ \$(smtp_mail_count) -ge 202 ] && settled $c1" 90 "$BB_PID" ||
	fail "campaign 1 did not settle: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
sleep 1 # anything sent twice would show now
sum=$(check_mail 1 100000)
assert_eq 202 "$(echo "$sum" | jget count)" "202 messages arrived (200 + the two 451 ones after retries)"
assert_eq 202 "$(echo "$sum" | jget unique_rcpts)" "no recipient got the campaign twice"
assert_eq 202 "$(echo "$sum" | jget msgids)" "every message has its own Message-ID"
assert_eq "[]" "$(echo "$sum" | jget errors)" "every message parses, in its language, with subject, body, List-Unsubscribe"
assert_num -ge "$(echo "$sum" | jget max_per_session)" 10 "SMTP sessions carry many messages (max $(echo "$sum" | jget max_per_session) in one)"
assert_num -le "$(echo "$sum" | jget n_sessions)" 40 "$(echo "$sum" | jget n_sessions) sessions for 202 messages"
assert_eq 202 "$(state_count "$c1" sent)" "202 messages are sent"
assert_eq "bounced|550 5.1.1 no such user" \
	"$(bb_sql "SELECT state, reason FROM messages WHERE recipient = 'fail550-nobody@example.org'")" \
	"550: bounced with the server's reason"
assert_eq "sent|3
sent|3" "$(bb_sql "SELECT state, attempts FROM messages WHERE recipient LIKE 'fail451+%' ORDER BY id")" \
	"451 twice: retried, delivered at the third attempt"
assert_num -ge "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.recipient LIKE 'fail451+%' AND e.state = 'queued' AND e.detail LIKE '451 4.3.0%'")" 4 \
	"each 451 is in the event log with the server's answer"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.recipient = 'person1@example.org' AND e.state = 'sent' AND e.detail LIKE '250 %'")" \
	"the sent event carries the server's 250 answer"

# --- 2. the links: forged, GET, one-click POST ------------------------------
unsub_url=$(echo "$sum" | jget unsub | "$BB_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["person7@example.org"])')
assert_match "$unsub_url" "^$BB_URL/unsubscribe\\?t=" "person7 has an unsubscribe link"
consent() { bb_sql "SELECT email_consent FROM subscribers WHERE email = '$1'"; }
tok=${unsub_url#*t=}
forged_payload=$(printf '1|unsub|%s|0|' "$(bb_sql "SELECT id FROM subscribers WHERE email='person8@example.org'")" |
	base64 | tr '+/' '-_' | tr -d '=\n')
assert_http 403 "$BB_URL/unsubscribe?t=$forged_payload.${tok#*.}" "another subscriber's id with person7's MAC: 403" -X POST
flipped=${tok%?}$( [ "${tok: -1}" = A ] && echo B || echo A )
assert_http 403 "$BB_URL/unsubscribe?t=$flipped" "an altered token: 403" -X POST -d List-Unsubscribe=One-Click
assert_http 403 "$BB_URL/unsubscribe" "no token: 403" -X POST
assert_eq "1 1" "$(consent person7@example.org) $(consent person8@example.org)" "rejected links changed nothing"
page=$(curl -s --max-time 10 -H 'Accept-Language: en' "$unsub_url")
assert_contains "$page" '<form method="post" action="/unsubscribe?t=' "GET shows a page with a button that POSTs"
assert_contains "$page" 'Gönüllülükle ilgili e-postaları' "the page is in the subscriber's language (Turkish), not the browser's"
assert_eq 1 "$(consent person7@example.org)" "GET changes nothing"
code=$(curl -s -o "$TEST_TMPDIR/oneclick.html" -w '%{http_code}' --max-time 10 -X POST \
	-d List-Unsubscribe=One-Click "$unsub_url")
assert_eq 200 "$code" "one-click POST without login or cookies: 200"
assert_eq 0 "$(consent person7@example.org)" "email consent withdrawn"
assert_eq "revoke|email:one-click" "$(bb_sql "SELECT l.action, l.source FROM consent_log l JOIN subscribers s
	ON s.id = l.subscriber_id WHERE s.email = 'person7@example.org' ORDER BY l.id DESC LIMIT 1")" \
	"consent log: revoked by one-click"

# --- 3. double opt-in: the portal signs someone up, the email, /confirm -----
before=$(seq_now)
code=$(curl -s -o "$TEST_TMPDIR/signup.json" -w '%{http_code}' --max-time 10 -X POST \
	-H "Authorization: Bearer $PORTAL_TOKEN" -H 'Content-Type: application/json' \
	--data '{"email": "newcomer@example.org", "lang": "ar"}' "$BB_URL/api/v1/subscribers")
assert_eq 202 "$code" "portal sign-up accepted: $(cat "$TEST_TMPDIR/signup.json")"
newid=$(bb_sql "SELECT id FROM subscribers WHERE email = 'newcomer@example.org'")
smtp_wait_mail $((before + 1)) 20 || fail "no confirmation email arrived"
eml=$(ls "$SMTP_MAILDIR"/*-newcomer@example.org.eml 2>/dev/null | head -1)
link=$("$BB_PYTHON" - "$eml" "$BB_URL" <<'EOF'
import re, sys
from email import policy
from email.parser import BytesParser
msg = BytesParser(policy=policy.default).parsebytes(open(sys.argv[1], "rb").read())
assert not msg.defects, msg.defects
assert str(msg["Subject"]) == "يرجى تأكيد اشتراكك", str(msg["Subject"])
assert msg["Auto-Submitted"] is None and msg["Precedence"] is None, "a confirmation is not bulk"
text, html = [p.get_content() for p in msg.iter_parts()]
m = re.search(re.escape(sys.argv[2]) + r"/confirm\?t=[A-Za-z0-9_.-]+", text)
assert m, text
assert 'href="%s"' % m.group(0) in html, "the HTML button links to the same confirm URL"
assert 'dir="rtl"' in html and "تأكيد" in html
print(m.group(0))
EOF
)
assert_match "$link" "^$BB_URL/confirm\\?t=" "the confirmation email (Arabic, text and button) carries a confirm link"
confirm_token() { # confirm_token ID EXPIRES EMAIL: signed as mail_confirm.c does
	"$BB_PYTHON" - "$1" "$2" "$3" <<'EOF'
import base64, hashlib, hmac, re, sys, os
conf = open(os.environ["BB_CONF"]).read()
key = re.search(r'^secret_key = "([^"]*)";', conf, re.M).group(1)
tag = hashlib.sha256((key + "|" + sys.argv[3]).encode()).hexdigest()[:16]
b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
p = b64(("1|confirm|%s|%s|%s" % (sys.argv[1], sys.argv[2], tag)).encode())
print(p + "." + b64(hmac.new(key.encode(), p.encode(), hashlib.sha256).digest()))
EOF
}
good=${link#*t=}
flipped=${good%?}$( [ "${good: -1}" = A ] && echo B || echo A )
assert_http 403 "$BB_URL/confirm?t=$flipped" "altered confirm link: 403"
assert_http 403 "$BB_URL/confirm?t=$(confirm_token "$newid" $(($(date +%s) + 3600)) other@example.org)" \
	"a link made for another address: 403"
assert_http 410 "$BB_URL/confirm?t=$(confirm_token "$newid" $(($(date +%s) - 10)) newcomer@example.org)" \
	"expired confirm link: 410"
assert_eq "pending 0" "$(bb_sql "SELECT status || ' ' || email_consent FROM subscribers WHERE id = $newid")" \
	"bad confirm links changed nothing"
page=$(curl -s --max-time 10 "$link")
assert_contains "$page" 'dir="rtl"' "confirm page in Arabic, right to left"
assert_contains "$page" '<form method="post" action="/confirm?t=' "GET /confirm asks, with a button that POSTs"
assert_eq "pending 0" "$(bb_sql "SELECT status || ' ' || email_consent FROM subscribers WHERE id = $newid")" \
	"opening the link is not consent"
assert_http 200 "$link" "the page's button confirms" -X POST -d via=page
assert_eq "active 1" "$(bb_sql "SELECT status || ' ' || email_consent FROM subscribers WHERE id = $newid")" \
	"POST /confirm activates email consent"
assert_eq "grant|email:confirm-page" "$(bb_sql "SELECT action || '|' || source FROM consent_log
	WHERE subscriber_id = $newid ORDER BY id DESC LIMIT 1")" "consent log: granted on the confirm page"

# --- 4. the second campaign skips the person who unsubscribed --------------
before=$(seq_now)
opp2=$(publish two)
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM campaigns WHERE opportunity_id = $opp2\")\" = 1 ]" 15 "$BB_PID" ||
	die "no second campaign"
c2=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp2")
wait_until "settled $c2 && [ \$(smtp_mail_count) -ge $((before + 202)) ]" 90 "$BB_PID" ||
	fail "campaign 2 did not settle"
sleep 1
sum=$(check_mail $((before + 1)) 100000)
assert_eq 202 "$(echo "$sum" | jget count)" "second campaign: 202 messages (one person left, one joined)"
assert_eq "[]" "$(echo "$sum" | jget errors)" "second campaign parses"
assert_eq 1 "$(ls "$SMTP_MAILDIR" | grep -c -- '-person7@example.org\.json$')" \
	"person7 got only the first campaign's message"
assert_eq 2 "$(ls "$SMTP_MAILDIR" | grep -c -- '-newcomer@example.org\.json$')" \
	"the newly confirmed person got the confirmation and the second campaign"

# --- 5. the server goes down, then comes back ------------------------------
smtp_faults '{"mode": "down"}' || die "cannot take the SMTP server down"
before=$(seq_now)
bb campaign create --opportunity "$opp2" --channels email --lang ar >/dev/null || die "campaign create"
c3=$(bb_sql "SELECT max(id) FROM campaigns")
n3=$(bb_sql "SELECT count(*) FROM subscribers WHERE lang = 'ar' AND email_consent = 1")
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $c3 AND attempts >= 2\")\" = $n3 ]" 40 "$BB_PID" ||
	fail "messages were not retried while the server was down"
assert_eq 0 "$(state_count "$c3" sent)" "nothing is sent while the server is down"
assert_eq 0 "$(state_count "$c3" failed)" "nothing failed: the messages wait"
assert_num -ge "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.campaign_id = $c3 AND e.detail LIKE 'cannot connect to 127.0.0.1:%'")" "$n3" \
	"the event log says why: cannot connect"
# The server comes back but hangs: it accepts and never greets. The
# greeting timeout (5 s here) ends each try; the daemon stays responsive.
smtp_faults '{"mode": "hang"}' || die "cannot make the SMTP server hang"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.campaign_id = $c3 AND e.detail LIKE 'not sent: no greeting from the server%'\")\" -ge 1 ]" 40 "$BB_PID" ||
	fail "a hanging server was not given up on"
t0=$(_bb_now_ms)
assert_http 200 "$BB_URL/healthz" "the daemon answers while the SMTP server hangs" --max-time 2
assert_num -lt $(($(_bb_now_ms) - t0)) 1000 "… at once"
assert_eq 0 "$(state_count "$c3" failed)" "a hanging server fails nothing: the messages wait"
smtp_faults '{}' || die "cannot bring the SMTP server back"
wait_until "[ \"\$(state_count $c3 sent)\" = $n3 ]" 60 "$BB_PID" || fail "messages did not go out after the outage"
sleep 1.5
assert_eq "$n3" "$(($(seq_now) - before))" "after the outage: $n3 messages arrived, none twice"

# --- 6. 50 TLS sessions in one process (reload: one message per session) ---
BB_EMAIL=$(email_conf 1 1)
bb_config
kill -HUP "$BB_PID"
wait_until "grep -q 'configuration reloaded' '$BB_LOG'" 10 "$BB_PID" || die "reload failed"
before=$(seq_now)
connects=$(grep -c '"event": "connect"' "$SMTP_LOG")
for i in $(seq 1 50); do
	bb subscriber add --email "tls$i@example.org" --lang en --consent "integration test" >/dev/null ||
		die "subscriber tls$i"
done
bb campaign create --opportunity "$opp2" --channels email --lang en >/dev/null || die "campaign create"
c4=$(bb_sql "SELECT max(id) FROM campaigns")
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $c4\")\" -ge 100 ] && settled $c4" 120 "$BB_PID" ||
	fail "campaign 4 did not settle"
n4=$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $c4")
assert_eq 100 "$n4" "campaign 4 went to the 100 English subscribers"
assert_eq "$n4" "$(state_count "$c4" sent)" "all $n4 sent, one TLS session each"
sum=$(check_mail $((before + 1)) 100000)
assert_eq "$n4" "$(echo "$sum" | jget n_sessions)" "$n4 separate TLS sessions"
assert_eq 1 "$(echo "$sum" | jget max_per_session)" "one message per session"
assert_eq "[]" "$(echo "$sum" | jget errors)" "all of them parse and were sent over TLS with AUTH"
assert_cmd "pid_alive $BB_PID" "the daemon survived $n4 consecutive STARTTLS sessions"
assert_num -le "$(($(grep -c '"event": "connect"' "$SMTP_LOG") - connects))" $((2 * n4 + 2)) \
	"at most one connect probe per session"

bb_stop 5
assert_not_contains "$(cat "$BB_LOG")" "AddressSanitizer" "no sanitizer report in the log (run with BB_BIN=build/asan to check)"
done_testing
