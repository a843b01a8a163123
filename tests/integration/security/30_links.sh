#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, items 3 and 4 (the links in our messages):
#  1. a mail scanner that sends HEAD and GET to every link of every message
#     we spooled (bodies, HTML, List-Unsubscribe) and submits no form
#     changes nothing: database dump, consent log and spool are the same;
#  2. GET /confirm is a page in the person's language (right to left for
#     Arabic and Urdu) with one button; only its POST records the consent,
#     with the page's question as evidence and the time;
#  3. an unsubscribe link binds the address it was sent to: after the
#     person's email changed it withdraws nothing; for the current address
#     it works by page + POST and by RFC 8058 one-click; links made before
#     the binding keep working;
#  4. confirm links live email.confirm_valid_days (checked in the token's
#     expiry claim; 0 is refused by name); tampered and expired tokens get
#     403/410 by GET and POST and write nothing.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3
PY=/usr/bin/python3
PORTAL_TOKEN=$(random_token 40)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";"
bb_config
bb init >/dev/null || die "budbringer init failed"
bb association add "Forening A" >/dev/null || die "association add"
bb subscriber add --email anna@example.org --lang da --consent "test fixture" >/dev/null || die "add anna"
bb subscriber add --email carl@example.org --lang en --consent "test fixture" >/dev/null || die "add carl"
bb subscriber add --email dora@example.org --lang tr --consent "test fixture" >/dev/null || die "add dora"
bb subscriber add --phone 20400001 --lang da --consent "test fixture" >/dev/null || die "add a phone"
bb_start

signup() {  # signup JSON: prints the HTTP status of the portal's sign-up
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $PORTAL_TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$1" "$BB_URL/api/v1/subscribers"
}
settled() {
	[ "$(bb_sql "SELECT count(*) FROM messages WHERE state IN ('queued','sending')")" = 0 ]
}
id_of() { bb_sql "SELECT id FROM subscribers WHERE email = '$1'"; }
state() { bb_sql "SELECT email_consent || ' ' || (SELECT count(*) FROM consent_log WHERE subscriber_id = s.id)
	FROM subscribers s WHERE id = $1"; }
# Everything the daemon keeps: every table, and every spooled file.
snapshot() {
	bb_db_dump
	find "$BB_DIR/spool" -type f -printf '%P %s\n' | sort
	find "$BB_DIR/spool" -type f -exec sha256sum {} + | sort
}
# payload TOKEN: the signed payload "1|purpose|id|expires|channel"
payload() {
	"$PY" -c 'import base64,sys; p=sys.argv[1].split(".")[0]; print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1"
}
# sign PAYLOAD / tag ADDRESS: as token.c and mail_confirm.c do, with the test config's key
keyed() {
	"$PY" - "$@" <<'EOF'
import base64, hashlib, hmac, os, re, sys
key = re.search(r'^secret_key = "([^"]*)";', open(os.environ["BB_CONF"]).read(), re.M).group(1)
if sys.argv[1] == "tag":
    print(hashlib.sha256((key + "|" + sys.argv[2]).encode()).hexdigest()[:16])
else:
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    p = b64(sys.argv[2].encode())
    print(p + "." + b64(hmac.new(key.encode(), p.encode(), hashlib.sha256).digest()))
EOF
}

# --- the messages: two sign-ups (confirmation emails) and a campaign --------
t0=$(date +%s)
assert_match "$(signup '{"email": "amal@example.org", "lang": "ar"}')" '^202$' "portal sign-up in Arabic accepted"
assert_match "$(signup '{"phone": "20400002", "lang": "da"}')" '^202$' "portal sign-up by phone accepted"
t1=$(date +%s)
bb opportunity add --association "Forening A" --title "da=Lektiecafé" --summary "da=Tirsdage." \
	--title "en=Homework café" --summary "en=On Tuesdays." --title "tr=Ödev kafesi" --summary "tr=Salı." \
	--url "https://frivillig.example.dk/o/1" --publish >/dev/null || die "opportunity add"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE kind = 'campaign'\")\" -ge 4 ] && settled" 30 "$BB_PID" ||
	fail "the campaign did not go out: $(bb_sql "SELECT kind, channel, state, count(*) FROM messages GROUP BY 1, 2, 3")"
assert_eq "campaign email 3
campaign sms 1
confirm email 1
confirm sms 1" "$(bb_sql "SELECT kind, channel, count(*) FROM messages WHERE state = 'sent' GROUP BY 1, 2 ORDER BY 1, 2" | tr '|' ' ')" \
	"all messages are in the spool"
sleep 2 # anything the daemon still writes on its own would show below

# --- 1. the scanner: HEAD and GET on every link, no form --------------------
before=$(snapshot)
"$PY" - "$BB_SPOOL_MAIL" "$BB_SPOOL_SMS" "$BB_URL" > "$TEST_TMPDIR/scan.txt" <<'EOF'
import glob, html, json, re, sys, urllib.request, urllib.error
from email import policy
from email.parser import BytesParser
mail, sms, ours = sys.argv[1:4]
URL = re.compile(r'https?://[^\s<>"\')]+')
urls = {}   # (url, where it was found): a scanner opens each link it finds
for f in sorted(glob.glob(mail + "/*.eml")):
    msg = BytesParser(policy=policy.default).parsebytes(open(f, "rb").read())
    for u in re.findall(r'<(https?://[^>]+)>', str(msg.get("List-Unsubscribe", ""))):
        urls[u, "List-Unsubscribe"] = 1
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            for u in URL.findall(part.get_content()):   # QP and base64 decoded
                urls[html.unescape(u), part.get_content_type()] = 1
for f in sorted(glob.glob(sms + "/*.json")):
    for u in URL.findall(json.dumps(json.load(open(f)), ensure_ascii=False)):
        urls[u, "sms"] = 1
for u, where in sorted(urls):
    if not u.startswith(ours + "/"):
        print("external", where, u)
        continue
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(u, method=method, headers={"User-Agent": "LinkScanner/1.0"})
        try:
            code = urllib.request.urlopen(req, timeout=10).status   # follows redirects
        except urllib.error.HTTPError as e:
            code = e.code
        print(method, code, where, u)
EOF
after=$(snapshot)
scan=$(cat "$TEST_TMPDIR/scan.txt")
cut -c1-100 "$TEST_TMPDIR/scan.txt" | sed 's/^/# scan: /' >&2
note "scanner: $(grep -c '' <<<"$scan") requests"
assert_eq 2 "$(grep -cE "^(HEAD|GET) 200 text/plain $BB_URL/confirm\\?t=" <<<"$scan")" \
	"the scanner opened the confirm link (HEAD and GET): 200"
assert_eq 8 "$(grep -cE "^(HEAD|GET) 200 List-Unsubscribe $BB_URL/unsubscribe\\?t=" <<<"$scan")" \
	"it opened the List-Unsubscribe links of the 3 campaign emails and the confirmation (HEAD and GET): 200"
assert_num -ge "$(grep -cE "^(HEAD|GET) 200 text/html $BB_URL/unsubscribe\\?t=" <<<"$scan")" 1 \
	"and the unsubscribe link in the HTML body"
assert_eq 0 "$(grep -cvE '^(HEAD|GET) 200 |^external ' <<<"$scan")" "every link of ours answered 200"
assert_eq 0 "$(grep '^external' <<<"$scan" | grep -cv 'https://frivillig.example.dk/o/1$')" \
	"the only other link is the opportunity's"
if [ "$before" = "$after" ]; then
	pass "HEAD and GET on every link changed nothing: every table and spool file as before"
else
	fail "HEAD and GET on every link changed something"
	diff <(echo "$before") <(echo "$after") | head -20 >&2
fi
amal=$(id_of amal@example.org)
s0=$(state "$amal")
assert_match "$s0" '^0 [0-9]+$' "the Arabic sign-up has no email consent"
assert_eq "pending" "$(bb_sql "SELECT status FROM subscribers WHERE id = $amal")" "and it is still pending"

# --- 2. the confirm page, and its POST ---------------------------------------
confirm_url=$(grep -oE "^GET 200 text/plain $BB_URL/confirm\\?t=.*" <<<"$scan" | awk '{print $4}')
curl -s --max-time 10 -H 'Accept-Language: en' -o "$TEST_TMPDIR/confirm.html" "$confirm_url"
form=$("$PY" - "$TEST_TMPDIR/confirm.html" <<'EOF'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
forms = re.findall(r'<form\b[^>]*>.*?</form>', page, re.S)
print(len(forms), page.count("<button"), len(re.findall(r'<input\b', page)))
f = forms[0] if forms else ""
m = re.search(r'method="([^"]*)" action="([^"]*)"', f)
print(m.group(1) if m else "-", html.unescape(m.group(2)) if m else "-")
print("&".join("%s=%s" % kv for kv in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', f)))
print(html.unescape(re.search(r'<p>(.*?)</p>', page, re.S).group(1)) if "<p>" in page else "-")
EOF
)
assert_contains "$(cat "$TEST_TMPDIR/confirm.html")" '<html lang="ar" dir="rtl">' \
	"the confirm page is in the person's language (Arabic), right to left, whatever the browser says"
assert_eq "1 1 1" "$(sed -n 1p <<<"$form")" "one form with one button (and one hidden field), nothing else to click"
assert_eq "post /confirm?t=${confirm_url#*t=}" "$(sed -n 2p <<<"$form")" "the form POSTs to the same link"
question=$(sed -n 4p <<<"$form")
assert_match "$question" '؟$' "the page asks a question (in Arabic)"
ta=$(date +%s)
code=$(curl -s -o "$TEST_TMPDIR/done.html" -w '%{http_code}' --max-time 10 -X POST \
	--data "$(sed -n 3p <<<"$form")" "$BB_URL$(sed -n 2p <<<"$form" | cut -d' ' -f2)")
tb=$(date +%s)
assert_eq 200 "$code" "submitting the form: 200"
s1=$(state "$amal")
assert_eq "1 $(( ${s0#* } + 1 ))" "$s1" "now the email consent is recorded, once"
ev=$(bb_sql "SELECT action || '|' || channel || '|' || source FROM consent_log WHERE subscriber_id = $amal ORDER BY id DESC LIMIT 1")
assert_eq "grant|email|email:confirm-page" "$ev" "consent log: granted on the confirm page"
assert_contains "$(bb_sql "SELECT evidence FROM consent_log WHERE subscriber_id = $amal ORDER BY id DESC LIMIT 1")" \
	"\"$question\"" "its evidence is the exact question the page showed"
at=$(bb_sql "SELECT at FROM consent_log WHERE subscriber_id = $amal ORDER BY id DESC LIMIT 1")
assert_cmd "[ '$at' -ge $ta ] && [ '$at' -le $tb ]" "with the time of the POST ($at in $ta..$tb)"
assert_eq "active email:confirm-page" "$(bb_sql "SELECT status || ' ' || email_consent_source FROM subscribers WHERE id = $amal")" \
	"the subscriber is active"
curl -s --max-time 10 -o "$TEST_TMPDIR/again.html" "$confirm_url"
assert_not_contains "$(cat "$TEST_TMPDIR/again.html")" "<form" "once confirmed, the link shows no button any more"
curl -s -o /dev/null --max-time 10 -X POST -d via=page "$confirm_url"
assert_eq "$s1" "$(state "$amal")" "and posting again records nothing twice"

# --- 3. unsubscribe links bind the address they were sent to -----------------
unsub_of() {  # unsub_of ADDRESS: the List-Unsubscribe URL of its campaign email
	"$PY" - "$BB_SPOOL_MAIL" "$1" <<'EOF'
import glob, re, sys
from email import policy
from email.parser import BytesParser
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = BytesParser(policy=policy.default).parsebytes(open(f, "rb").read())
    if m["To"].addresses[0].addr_spec == sys.argv[2] and m["List-Unsubscribe"]:
        print(re.search(r'<(https?://[^>]+)>', str(m["List-Unsubscribe"])).group(1))
EOF
}
anna=$(id_of anna@example.org) carl=$(id_of carl@example.org) dora=$(id_of dora@example.org)
ua=$(unsub_of anna@example.org)
uc=$(unsub_of carl@example.org)
assert_match "$ua $uc" "^$BB_URL/unsubscribe\\?t=[^ ]+ $BB_URL/unsubscribe\\?t=" "anna and carl have unsubscribe links"
assert_eq "1|unsub|$anna|0|$(keyed tag anna@example.org)" "$(payload "${ua#*t=}")" \
	"anna's token binds her address (its keyed tag) and never expires"
bb_sql "UPDATE subscribers SET email = 'anna.new@example.org' WHERE id = $anna"
s0=$(state "$anna")
assert_http 403 "$ua" "after her email changed, the old link's one-click POST: 403" -X POST -d List-Unsubscribe=One-Click
assert_http 403 "$ua" "its page POST: 403" -X POST -d via=page
page=$(curl -s --max-time 10 "$ua")
assert_not_contains "$page" "<form" "its GET page offers no button"
assert_eq "$s0" "$(state "$anna")" "the link for the old address withdrew nothing"
bb_sql "UPDATE subscribers SET email = 'anna@example.org' WHERE id = $anna"
page=$(curl -s --max-time 10 "$ua")
assert_contains "$page" "<form method=\"post\" action=\"/unsubscribe?t=${ua#*t=}\">" \
	"while the address is hers, GET shows the page with its button"
assert_eq "1" "$(state "$anna" | cut -d' ' -f1)" "GET withdrew nothing"
assert_http 200 "$ua" "the page's POST: 200" -X POST -d via=page
assert_eq "0 revoke|email:unsubscribe-page" "$(bb_sql "SELECT email_consent FROM subscribers WHERE id = $anna") $(bb_sql \
	"SELECT action || '|' || source FROM consent_log WHERE subscriber_id = $anna ORDER BY id DESC LIMIT 1")" \
	"anna is unsubscribed by the page"
assert_http 200 "$uc" "carl's RFC 8058 one-click POST: 200" -X POST -d List-Unsubscribe=One-Click
assert_eq "0 revoke|email:one-click" "$(bb_sql "SELECT email_consent FROM subscribers WHERE id = $carl") $(bb_sql \
	"SELECT action || '|' || source FROM consent_log WHERE subscriber_id = $carl ORDER BY id DESC LIMIT 1")" \
	"carl is unsubscribed by one-click"
legacy=$(keyed sign "1|unsub|$dora|0|")
assert_http 200 "$BB_URL/unsubscribe?t=$legacy" "a link made before the binding (no address tag) still works" \
	-X POST -d List-Unsubscribe=One-Click
assert_eq 0 "$(bb_sql "SELECT email_consent FROM subscribers WHERE id = $dora")" "dora is unsubscribed"

# --- 4. confirm links expire, bad tokens write nothing -----------------------
exp=$(payload "${confirm_url#*t=}" | cut -d'|' -f4)
assert_cmd "[ '$exp' -ge $((t0 + 7 * 86400)) ] && [ '$exp' -le $((t1 + 7 * 86400)) ]" \
	"by default a confirm link expires 7 days after it was made ($exp)"
bb_stop
sed -i 's/^email = { /email = { confirm_valid_days = 0; /' "$BB_CONF"
assert_contains "$("$BB_BIN/budbringerd" -t -c "$BB_CONF" 2>&1)" "email.confirm_valid_days: 0 is out of range 1..90" \
	"0 days is refused, naming the setting"
sed -i 's/confirm_valid_days = 0;/confirm_valid_days = 1;/' "$BB_CONF"
assert_cmd "'$BB_BIN/budbringerd' -t -c '$BB_CONF' >/dev/null" "1 day is accepted"
bb_start
t0=$(date +%s)
assert_match "$(signup '{"email": "bilal@example.org", "lang": "ur"}')" '^202$' "portal sign-up in Urdu accepted"
t1=$(date +%s)
bilal=$(id_of bilal@example.org)
wait_until "settled" 15 "$BB_PID" || fail "the confirmation email did not go out"
link=$("$PY" - "$BB_SPOOL_MAIL" bilal@example.org <<'EOF'
import glob, re, sys
from email import policy
from email.parser import BytesParser
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = BytesParser(policy=policy.default).parsebytes(open(f, "rb").read())
    if m["To"].addresses[0].addr_spec == sys.argv[2]:
        print(re.search(r'https?://\S+/confirm\?t=[A-Za-z0-9_.-]+', m.get_body(("plain",)).get_content()).group(0))
EOF
)
tok=${link#*t=}
IFS='|' read -r v purpose id exp tag <<<"$(payload "$tok")"
assert_eq "1 confirm $bilal $(keyed tag bilal@example.org)" "$v $purpose $id $tag" "the new confirm link binds bilal's address"
assert_cmd "[ '$exp' -ge $((t0 + 86400)) ] && [ '$exp' -le $((t1 + 86400)) ]" \
	"with confirm_valid_days = 1 it expires one day after it was made ($exp in $((t0 + 86400))..$((t1 + 86400)))"
assert_contains "$(curl -s --max-time 10 "$link")" '<html lang="ur" dir="rtl">' "the confirm page in Urdu is right to left"
before=$(snapshot)
expired=$(keyed sign "1|confirm|$bilal|$(($(date +%s) - 10))|$(keyed tag bilal@example.org)")
flipped=${tok%?}$( [ "${tok: -1}" = A ] && echo B || echo A )
other=$(keyed sign "1|confirm|$bilal|$(($(date +%s) + 3600))|$(keyed tag someone@example.org)")
code_of() {  # code_of METHOD URL: the status; POST as the page's button does
	case $1 in
	HEAD) curl -s -o /dev/null -w '%{http_code}' --max-time 10 -I "$2" ;;
	POST) curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d via=page "$2" ;;
	*) curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$2" ;;
	esac
}
for m in GET HEAD POST; do
	assert_eq 410 "$(code_of "$m" "$BB_URL/confirm?t=$expired")" "expired confirm link, $m: 410"
	assert_eq 403 "$(code_of "$m" "$BB_URL/confirm?t=$flipped")" "tampered confirm link, $m: 403"
	assert_eq 403 "$(code_of "$m" "$BB_URL/confirm?t=$other")" "a confirm link for another address, $m: 403"
done
assert_http 403 "$BB_URL/unsubscribe?t=${ua%?}x" "tampered unsubscribe link: 403" -X POST -d List-Unsubscribe=One-Click
if [ "$before" = "$(snapshot)" ]; then
	pass "expired and tampered links wrote nothing"
else
	fail "expired or tampered links wrote something"
fi
assert_match "$(state "$bilal") $(bb_sql "SELECT status FROM subscribers WHERE id = $bilal")" '^0 [0-9]+ pending$' \
	"bilal is still pending, without email consent"

done_testing
