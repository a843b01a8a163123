#!/bin/bash
# SPDX-License-Identifier: MIT
# The staff dashboard in a real browser: Debian's chromium, headless,
# driven by playwright-core (tests/browser/dashboard.mjs). Logs in (a wrong
# password is refused first), checks the seeded campaign's counts, approves
# a pending association campaign and sees it change state, resends a
# message whose gateway answer was lost (`unknown`), switches to
# Danish, looks at it at phone width, logs out. Screenshots land in
# tests/output/ (UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/dashboard.png).
# Before the browser, curl checks what a browser would hide: CSRF refusals.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl
command -v chromium >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" chromium >&2
command -v npm >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" npm >&2
require_cmd /usr/bin/chromium node npm
BROWSER_DIR=$BB_TOP_DIR/tests/browser
if [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
	# The lock file pins playwright-core; it brings no browser of its own.
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

# --- the browser ---
export BB_URL DASH_USER=anna DASH_PASSWORD="$PASSWORD" DASH_AUTO_CAMPAIGN="$auto" \
	DASH_AUTO_TOTAL=4 DASH_AUTO_DELIVERED=2 DASH_AUTO_FAILED=2 DASH_PENDING_CAMPAIGN="$pending" DASH_OUT="$OUT" \
	DASH_HOSTILE_CAMPAIGN="$hostile" DASH_HOSTILE="$HOSTILE"
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
