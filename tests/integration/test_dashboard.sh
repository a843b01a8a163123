#!/bin/bash
# SPDX-License-Identifier: MIT
# The staff dashboard in a real browser: Debian's chromium, headless,
# driven by playwright-core (tests/browser/dashboard.mjs). Logs in (a wrong
# password is refused first), checks the seeded campaign's counts, approves
# a pending association campaign and sees it change state, resends a
# message whose gateway answer was lost (`unknown`), switches to
# Danish, looks at it at phone width, logs out; walks the delivery log
# (filters, a message's page, unmasking one row), the campaign page, and
# checks every page with axe-core (WCAG 2.1 AA). Screenshots land in
# tests/output/ (UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/dashboard.png).
# Before the browser, curl checks what a browser would hide: CSRF refusals.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl
command -v chromium >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" chromium >&2
command -v npm >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" npm >&2
require_cmd /usr/bin/chromium node npm
BROWSER_DIR=$BB_TOP_DIR/tests/browser
if [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] ||
   [ ! -f "$BROWSER_DIR/node_modules/axe-core/axe.min.js" ]; then
	# The lock file pins playwright-core and axe-core; neither brings a browser.
	(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund >&2) || die "npm ci in tests/browser failed"
fi
OUT=$BB_TOP_DIR/tests/output
mkdir -p "$OUT"

PASSWORD="rødgrød med fløde 2026"
HASH=$(printf '%s\n' "$PASSWORD" | "$BB_BIN/budbringer" hash-password) || die "hash-password"
assert_match "$HASH" '^\$y\$' "hash-password makes a yescrypt hash"
BB_ROOT_EXTRA="staff = ( { user = \"anna\"; password_hash = \"$HASH\"; lang = \"en\"; },
  { user = \"bo\"; password_hash = \"$HASH\"; lang = \"da\"; } );"
BB_CAMPAIGNS="require_approval = true; frequency_cap = 0;"
bb_config
bb check-config >/dev/null || die "config with a staff list is valid"

token=$(bb --json association add "Randers Roklub" | sed -n 's/.*"token": "\([^"]*\)".*/\1/p')
[ -n "$token" ] || die "association token"
for n in 20000001 20000002 20000003; do
	bb subscriber add --phone "$n" --born 2008 --consent "signed form, test" >/dev/null || die "subscriber"
done
opp=$(bb --json opportunity add --association "Randers Roklub" --title "da=Hjælpere til kaproning" \
	--summary "da=Vi mangler hjælpere på land." --url https://example.dk/ro --publish |
	sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$opp" ] || die "opportunity"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state IN ('sent','delivered')\")\" = 3 ]" 30 "$BB_PID" ||
	die "the automatic campaign was sent"
auto=$(bb_sql "SELECT id FROM campaigns WHERE kind = 'auto' AND opportunity_id = $opp")
# Delivery reports: two delivered, one failed with the gateway's reason;
# and inbound SMS, so failures and inbound traffic have something to show.
ids=($(bb_sql "SELECT id FROM messages WHERE campaign_id = $auto ORDER BY id"))
for i in 0 1; do
	curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[$i]}&status=1"
done
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=${ids[2]}&status=2&answer=NACK%2F0x0000000b%2FInvalid+Destination+Address"
auto_states() { bb_sql "SELECT state FROM messages WHERE campaign_id = $auto ORDER BY id" | paste -sd, -; }
wait_until "[ \"\$(auto_states)\" = delivered,delivered,failed ]" 10 ||
	fail "delivery reports recorded"
# A fourth message whose gateway answer was lost: `unknown`, for staff to resend.
bb subscriber add --phone 20000004 --born 2008 --consent "signed form, test" >/dev/null || die "subscriber 4"
now=$(date +%s)
bb_sql "INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang, body, state,
	reason, provider, attempts, not_before, created_at, updated_at)
	SELECT $auto, id, 'campaign', 'sms', phone, 'da', 'Hjælpere til kaproning', 'unknown',
	'no answer from sendsms after the request went out: test', 'spool', 1, $now,
	$now, $now FROM subscribers WHERE phone = '+4520000004'"
lost=$(bb_sql "SELECT id FROM messages WHERE recipient = '+4520000004'")
[ -n "$lost" ] || die "the unknown message"
n=0
for t in "STOP" "HJÆLP" "FRIVILLIG SPORT"; do
	n=$((n + 1))
	curl -s -o /dev/null -G "$BB_URL/sms/inbound" --data-urlencode "secret=$BB_INBOUND_SECRET" \
		--data-urlencode "from=+453100000$n" --data-urlencode "to=1919" --data-urlencode "text=$t" \
		--data-urlencode "id=mo-$n"
done
wait_until "[ \"\$(bb_sql 'SELECT count(*) FROM inbound')\" -ge 3 ]" 10 || fail "inbound SMS recorded"

# An association's own campaign waits for approval (campaigns.require_approval).
resp=$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d "{\"opportunity_id\": $opp, \"channels\": [\"sms\"], \"texts\": {\"da\": \"Sidste chance: {title} {url}\"}}" \
	"$BB_URL/api/v1/campaigns")
pending=$(printf '%s' "$resp" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
[ -n "$pending" ] || die "association campaign created: $resp"
assert_eq pending_approval "$(bb_sql "SELECT status FROM campaigns WHERE id = $pending")" \
	"the association campaign waits for approval"

# Values others wrote, each carrying markup: an association's name, an
# opportunity's title, a campaign's creator, a failure reason and the text
# a mail server bounced with. The page must show them as text.
HOSTILE=$'<script>&"\''
hq=${HOSTILE//\'/\'\'}
bb_sql "INSERT INTO associations(name, created_at) VALUES ('Forening $hq', 'x');
	INSERT INTO opportunities(association_id, status, updated_at)
		SELECT id, 'closed', 'x' FROM associations WHERE name = 'Forening $hq';
	INSERT INTO opportunity_texts(opportunity_id, lang, title, summary)
		SELECT max(id), 'da', 'Titel $hq', 'resume' FROM opportunities;
	INSERT INTO opportunity_texts(opportunity_id, lang, title, summary)
		SELECT max(id), 'en', 'Titel $hq', 'resume' FROM opportunities;
	INSERT INTO campaigns(kind, opportunity_id, association_id, status, channels, send_at,
		valid_until, created_by, created_at, updated_at)
		SELECT 'association', max(o.id), max(o.association_id), 'done', 'email', $now,
		$((now + 86400)), 'staff $hq', $now, $now FROM opportunities o;
	INSERT INTO messages(campaign_id, kind, channel, recipient, lang, state, reason, provider,
		not_before, created_at, updated_at)
		SELECT max(id), 'campaign', 'email', 'x@example.dk', 'da', 'failed', 'reason $hq',
		'smtp', $now, $now, $now FROM campaigns;
	INSERT INTO message_events(message_id, at, state, provider, detail)
		SELECT max(id), $now, 'failed', 'smtp', '550 5.1.1 bounced $hq' FROM messages"
hostile=$(bb_sql "SELECT max(id) FROM campaigns")
assert_eq "Titel $HOSTILE" "$(bb_sql "SELECT title FROM opportunity_texts WHERE lang = 'da' ORDER BY opportunity_id DESC LIMIT 1")" \
	"hostile values are seeded"

# --- what the browser does not show: refusals ---
jar=$TEST_TMPDIR/jar
assert_http 303 "$BB_URL/dashboard" "no session: /dashboard redirects"
assert_http 403 "$BB_URL/dashboard/login" "login without the login form's cookie is refused" \
	--data-urlencode user=anna --data-urlencode "password=$PASSWORD" --data-urlencode csrf=x
login_csrf=$(curl -s -c "$jar" "$BB_URL/dashboard/login" |
	sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
assert_http 401 "$BB_URL/dashboard/login" "unknown user refused" -b "$jar" \
	--data-urlencode user=mallory --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$login_csrf"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" "$BB_URL/dashboard/login" \
	--data-urlencode user=bo --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$login_csrf")
assert_eq 303 "$code" "curl logs in as bo"
page=$(curl -s -b "$jar" "$BB_URL/dashboard")
assert_contains "$page" "Venter på godkendelse" "bo's dashboard is in Danish"
curl -s -o /dev/null -b "$jar" "$BB_URL/dashboard/approve" --data "id=$pending&csrf=forged"
assert_eq pending_approval "$(bb_sql "SELECT status FROM campaigns WHERE id = $pending")" \
	"a form without the session's CSRF token changes nothing"
assert_http 303 "$BB_URL/dashboard/approve" "approve without a session goes to the login" \
	--data "id=$pending"
assert_eq pending_approval "$(bb_sql "SELECT status FROM campaigns WHERE id = $pending")" \
	"approve without a session changes nothing"
assert_http 405 "$BB_URL/dashboard/approve" "approve by GET is not allowed" -b "$jar"
assert_http 200 "$BB_URL/dashboard/static/style.css" "the stylesheet is served by the daemon"

# --- the delivery log, a message, a campaign (issue 16) ---
log_get() { curl -s -b "$jar" "$BB_URL/dashboard/log$1"; }
page=$(log_get "")
assert_contains "$page" "Leveringslog" "the log is in bo's language"
assert_contains "$page" "data-message=\"${ids[2]}\"" "the log lists the failed message's events"
assert_not_contains "$page" "20000003" "the log masks phone numbers"
page=$(log_get "?status=failed")
assert_contains "$page" "Invalid Destination Address" "status=failed shows the gateway's reason"
assert_not_contains "$page" "data-message=\"${ids[0]}\"" "… and not the delivered messages"
# A phone number in any written form finds exactly that number's events.
for form in "20000003" "+45 20 00 00 03" "0045-2000-0003"; do
	page=$(log_get "?recipient=$(printf %s "$form" | sed 's/ /%20/g; s/+/%2B/g')")
	got=$(printf '%s' "$page" | grep -o 'data-message="[0-9]*"' | sort -u | paste -sd, -)
	assert_eq "data-message=\"${ids[2]}\"" "$got" "recipient '$form' finds message ${ids[2]} alone"
done
page=$(log_get "?recipient=x%40Example.DK")
assert_contains "$page" "data-message=\"$(bb_sql "SELECT max(id) FROM messages WHERE recipient = 'x@example.dk'")\"" \
	"an email address is found whatever the case of its domain"
page=$(log_get "?campaign=$auto&channel=sms&provider=spool&since=1d&until=$(date -d "+2 days" +%F)")
assert_contains "$page" "data-message=\"${ids[1]}\"" "campaign, channel, provider, since and until filter together"
assert_contains "$(log_get "?subscriber=$(bb_sql "SELECT subscriber_id FROM messages WHERE id = ${ids[1]}")")" \
	"data-message=\"${ids[1]}\"" "the subscriber filter"
# Every bad parameter: 400 and a page that names it.
for bad in "campaign=0" "campaign=abc" "status=bogus" "channel=fax" "provider=a%20b" \
	"subscriber=-2" "since=yesterday" "until=2026-13-45" "recipient=hello" "recipient=a%40b" \
	"before=1e5"; do
	code=$(curl -s -o "$TEST_TMPDIR/bad.html" -w '%{http_code}' -b "$jar" "$BB_URL/dashboard/log?$bad")
	assert_eq 400 "$code" "log?$bad is refused"
	assert_match "$(grep -o 'id="problem">[^<]*' "$TEST_TMPDIR/bad.html")" "problem\">${bad%%=*}: " \
		"… with a page naming '${bad%%=*}'"
done
assert_http 404 "$BB_URL/dashboard/messages/999999" "an unknown message is 404" -b "$jar"
assert_http 404 "$BB_URL/dashboard/campaigns/999999" "an unknown campaign is 404" -b "$jar"
assert_http 303 "$BB_URL/dashboard/log" "the log needs a login"
assert_http 303 "$BB_URL/dashboard/messages/${ids[2]}" "a message page needs a login"

# Keyset paging: 120 events of one message, 50 to a page, each older page
# starting below the last one, none twice, none left out.
bb_sql "INSERT INTO messages(kind, channel, recipient, lang, state, provider, not_before,
	created_at, updated_at) VALUES ('reply', 'sms', '+4520009999', 'da', 'sent', 'spool',
	$now, $now, $now)"
pm=$(bb_sql "SELECT id FROM messages WHERE recipient = '+4520009999'")
bb_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
	INSERT INTO message_events(message_id, at, state, provider, detail)
	SELECT $pm, $now, 'sent', 'spool', 'paging ' || i FROM n"
url="?recipient=%2B4520009999"
seen=""; pages=0
while [ -n "$url" ] && [ $pages -lt 5 ]; do
	page=$(log_get "$url")
	pages=$((pages + 1))
	seen="$seen $(printf '%s' "$page" | grep -o 'data-event="[0-9]*"' | tr -dc '0-9\n' | paste -sd' ' -)"
	url=$(printf '%s' "$page" | grep -o 'href="/dashboard/log[^"]*" id="older"' | sed 's/href="\/dashboard\/log//; s/" id="older"//; s/&amp;/\&/g')
done
assert_eq 3 "$pages" "120 events make three pages"
assert_eq 120 "$(printf '%s\n' $seen | sort -un | wc -l | tr -d ' ')" "every event shown once"
assert_eq "$(printf '%s\n' $seen | sort -rn | paste -sd' ' -)" "$(printf '%s\n' $seen | paste -sd' ' -)" \
	"newest first across the pages"
assert_contains "$url$(log_get "?recipient=%2B4520009999&before=$(bb_sql "SELECT max(id) FROM message_events")")" \
	'id="newest"' "a later page links back to the newest"
# The keyset queries run on an index on both engines, not a scan and sort.
if [ "$BB_ENGINE" = postgresql ]; then
	plan() { bb_sql "SET enable_seqscan = off; EXPLAIN $1"; }
else
	plan() { bb_sql "EXPLAIN QUERY PLAN $1"; }
fi
p=$(plan "SELECT e.id FROM message_events e JOIN messages m ON m.id = e.message_id
	WHERE m.recipient = '+4520009999' ORDER BY e.id DESC LIMIT 51")
assert_contains "$p" "messages_recipient" "the recipient search uses messages_recipient"
p=$(plan "SELECT e.id FROM message_events e WHERE e.id >= 0 AND e.id < 100 ORDER BY e.id DESC LIMIT 51")
assert_match "$p" "INTEGER PRIMARY KEY|message_events_pkey" "the next page starts on the primary key"
assert_not_contains "$p" "TEMP B-TREE" "… without sorting"
p=$(plan "SELECT e.id FROM message_events e WHERE e.state = 'failed' AND e.id < 100 ORDER BY e.id DESC LIMIT 51")
assert_contains "$p" "message_events_state" "a status filter pages on message_events_state"

# Unmasking one row: with the session's CSRF token only, audited by name.
csrf=$(curl -s -b "$jar" "$BB_URL/dashboard" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
[ -n "$csrf" ] || die "bo's csrf token"
code=$(curl -s -o "$TEST_TMPDIR/unmask.html" -w '%{http_code}' -b "$jar" "$BB_URL/dashboard/log" \
	--data "status=failed&unmask=${ids[2]}&csrf=forged")
assert_eq 303 "$code" "an unmask without the CSRF token is sent away"
assert_not_contains "$(cat "$TEST_TMPDIR/unmask.html")" "20000003" "… and shows nothing"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'message.unmask'")" "… and writes nothing"
code=$(curl -s -o "$TEST_TMPDIR/unmask.html" -w '%{http_code}' -b "$jar" "$BB_URL/dashboard/log" \
	--data "status=failed&unmask=${ids[2]}&csrf=$csrf")
assert_eq 200 "$code" "an unmask with the token is answered with the page"
assert_contains "$(cat "$TEST_TMPDIR/unmask.html")" "+4520000003" "… showing that recipient"
assert_eq 1 "$(grep -o '+452000000[0-9]' "$TEST_TMPDIR/unmask.html" | wc -l | tr -d ' ')" "… and no other"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'message.unmask' AND actor = 'bo' AND subject = 'message:${ids[2]}'")" \
	"the unmask is in the audit log with the staff member's name"
assert_http 400 "$BB_URL/dashboard/log" "an unmask of no message is refused" -b "$jar" \
	--data "unmask=x&csrf=$csrf"

# The message page: its events in order, the gateway's answers.
page=$(curl -s -b "$jar" "$BB_URL/dashboard/messages/${ids[2]}")
assert_eq "queued,sending,sent,failed" "$(printf '%s' "$page" | grep -o '<tr data-state="[a-z]*"' | sed 's/.*="//; s/"//' | paste -sd, -)" \
	"the message page lists its events in order"
assert_contains "$page" "Invalid Destination Address" "… with the delivery report's reason"
assert_not_contains "$page" "20000003" "… and the recipient masked"
assert_contains "$(curl -s -b "$jar" "$BB_URL/dashboard/messages/${ids[2]}" --data "unmask=1&csrf=$csrf")" \
	"+4520000003" "a POST with the token shows the message's recipient"
assert_eq 2 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'message.unmask' AND actor = 'bo'")" \
	"… audited too"

# The campaign page: funnels, reasons, the rate chart, the texts.
page=$(curl -s -b "$jar" "$BB_URL/dashboard/campaigns/$auto")
assert_match "$page" '<tr data-key="sms"><th scope="row">sms</th><td class="num n-total">4</td><td class="num n-0">2</td>' \
	"the funnel by channel counts 4 SMS, 2 delivered"
assert_contains "$page" '<table id="by-band">' "… a funnel by age band"
assert_contains "$page" '<tr data-key="15-25">' "… with the subscribers' band"
assert_contains "$page" 'NACK/0x0000000b/Invalid Destination Address' "failures are grouped by reason"
assert_match "$page" '<section id="rate"><h2>[^<]*</h2><svg' "the messages per minute are drawn as SVG"
assert_match "$page" 'data-channel="sms"><th scope="row">da</th><td>sms</td><td class="num">[0-9]+</td><td class="coding">GSM-7</td>' \
	"the Danish SMS text is GSM-7"
assert_contains "$page" 'data-action="resend-'"$auto"'"' "the page offers to resend the unknown message"
page=$(curl -s -b "$jar" "$BB_URL/dashboard/campaigns/$pending")
assert_contains "$page" 'data-action="approve-'"$pending"'"' "a pending campaign can be approved from its page"
assert_match "$page" 'class="template" data-lang="da">.*<td class="coding">GSM-7</td>' "… and shows its own text's coding"
curl -s -o /dev/null -b "$jar" "$BB_URL/dashboard/cancel" --data "id=$pending&back=campaign"
assert_eq pending_approval "$(bb_sql "SELECT status FROM campaigns WHERE id = $pending")" \
	"cancel from the campaign page without the CSRF token changes nothing"
assert_http 303 "$BB_URL/dashboard/lang" "the language switch refuses to leave the site" -b "$jar" \
	--data "lang=da&back=//evil.example&csrf=$csrf"
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" "$BB_URL/dashboard/lang" \
	--data "lang=da&back=//evil.example&csrf=$csrf")
assert_eq "$BB_URL/dashboard" "$loc" "… and goes to the overview instead"

# --- the browser ---
export BB_URL DASH_USER=anna DASH_PASSWORD="$PASSWORD" DASH_AUTO_CAMPAIGN="$auto" \
	DASH_AUTO_TOTAL=4 DASH_AUTO_DELIVERED=2 DASH_AUTO_FAILED=2 DASH_PENDING_CAMPAIGN="$pending" DASH_OUT="$OUT" \
	DASH_HOSTILE_CAMPAIGN="$hostile" DASH_HOSTILE="$HOSTILE" DASH_FAILED_MESSAGE="${ids[2]}" \
	DASH_FAILED_NUMBER=+4520000003
if [ -n "${UPDATE_DOCS_SCREENSHOT:-}" ]; then
	export DASH_DOCS_SCREENSHOT=$BB_TOP_DIR/docs/dashboard.png
	mkdir -p "$BB_TOP_DIR/docs"
fi
rm -f "$OUT"/dashboard*.png # the screenshot check must see this run's
node "$BROWSER_DIR/dashboard.mjs" > "$TEST_TMPDIR/browser.log" 2>&1
browser_rc=$?
while read -r verdict msg; do
	case $verdict in
	PASS) pass "browser: $msg" ;;
	FAIL) fail "browser: $msg" ;;
	CHECKS) ;;
	*) note "browser: $verdict $msg" ;;
	esac
done < "$TEST_TMPDIR/browser.log"
assert_eq 0 "$browser_rc" "the browser script exited cleanly"
# Every check() call of the script (one line each, less the catch-all that
# reports an exception) must have passed, and the script must say so.
expected=$(( $(grep -c '^[[:space:]]*check(' "$BROWSER_DIR/dashboard.mjs") - 1 ))
assert_eq "$expected" "$(grep -c '^PASS' "$TEST_TMPDIR/browser.log")" "all $expected browser checks passed"
assert_eq "CHECKS $expected" "$(grep '^CHECKS' "$TEST_TMPDIR/browser.log")" "… and the script ran to its end"
assert_cmd "[ -s '$OUT/dashboard.png' ]" "a screenshot was saved in tests/output/dashboard.png"
if [ -n "${UPDATE_DOCS_SCREENSHOT:-}" ]; then
	cp "$OUT/dashboard-log.png" "$OUT/dashboard-message.png" "$OUT/dashboard-campaign.png" \
		"$BB_TOP_DIR/docs/"
fi

# What the browser did is on record.
status=$(bb_sql "SELECT status FROM campaigns WHERE id = $pending")
assert_ne pending_approval "$status" "the database agrees: campaign $pending approved"
assert_eq "dashboard:anna" "$(bb_sql "SELECT approved_by FROM campaigns WHERE id = $pending")" \
	"approved_by names the staff member"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.approve' AND actor = 'anna' AND subject = 'campaign:$pending'")" \
	"the approval is in the audit log"
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE id = $lost\")\" = sent ]" 10 "$BB_PID" ||
	fail "the resent message was sent: $(bb_sql "SELECT state FROM messages WHERE id = $lost")"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'message.resend' AND actor = 'anna' AND subject = 'message:$lost'")" \
	"the resend is in the audit log"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM message_events WHERE message_id = $lost AND detail = 'resent by hand by anna'")" \
	"and in the message's events"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM dashboard_sessions WHERE \"user\" = 'anna'")" \
	"logout removed anna's session"
assert_not_contains "$(bb_sql "SELECT token_sha256 FROM dashboard_sessions")" \
	"$(sed -n 's/.*bb_session\t//p' "$jar")" "the database holds session hashes, not tokens"
# Wrong passwords slow down the address they come from, never a user: a
# known and an unknown name get the same answers, and the user can still
# log in from elsewhere (issue 13, item 8).
login() { # login FROM-ADDRESS USER PASSWORD -> "STATUS RETRY-AFTER" of the login POST
	local j=$TEST_TMPDIR/jar-$1-$2 c
	c=$(curl -s --interface "$1" -c "$j" "$BB_URL/dashboard/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s --interface "$1" -o "$TEST_TMPDIR/login-body" -D "$TEST_TMPDIR/login-head" -w '%{http_code}' \
		-b "$j" -c "$j" "$BB_URL/dashboard/login" \
		--data-urlencode "user=$2" --data-urlencode "password=$3" --data-urlencode "csrf=$c"
	printf ' %s' "$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/ip' "$TEST_TMPDIR/login-head")"
}
codes=""
for i in 1 2 3 4 5; do codes="$codes$(login 127.0.0.3 bo "wrong $i")|"; done
assert_eq "401 |401 |401 |401 |401 |" "$codes" "five wrong passwords from one address are refused"
r=$(login 127.0.0.3 bo "$PASSWORD")
assert_match "$r" '^429 [0-9]+$' "then that address waits, even with the right password, and is told how long"
known_body=$(sed 's/name="csrf" value="[^"]*"//' "$TEST_TMPDIR/login-body")
r2=$(login 127.0.0.3 nobody-at-all "$PASSWORD")
assert_match "$r2" '^429 [0-9]+$' "an unknown user name from that address gets the same answer"
assert_eq "$known_body" "$(sed 's/name="csrf" value="[^"]*"//' "$TEST_TMPDIR/login-body" | sed 's/nobody-at-all/bo/g')" \
	"… with the same page"
assert_match "$(login 127.0.0.4 bo "$PASSWORD")" '^303' "bo logs in from another address: nobody is locked out"
assert_match "$(login 127.0.0.4 anna "$PASSWORD")" '^303' "and so does anna"
for i in 1 2 3 4 5; do login 127.0.0.5 "ghost$i" "wrong" >/dev/null; done
assert_match "$(login 127.0.0.5 ghost6 wrong)" '^429 [0-9]+$' "unknown user names are counted the same way"
assert_eq 5 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'dashboard.login_failed' AND subject = 'remote:127.0.0.3'")" \
	"wrong passwords are in the audit log, by address"
done_testing
