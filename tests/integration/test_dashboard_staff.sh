#!/bin/bash
# SPDX-License-Identifier: MIT
# The staff pages of the dashboard beyond the log (issue 16): people
# (look-up, consent history, audited unmask, GDPR export and erase with a
# confirmation), the evaluation report (tables, SVG charts, the Danish
# Excel CSV byte for byte, the print stylesheet), suppressions (lift only
# a bounce, confirmed and audited), inbound SMS as conversations, and the
# new-campaign form (preview with the dry run, cost and UCS-2 warning,
# then schedule). And the SMS cost: stored with `sent`, summed in stats,
# the report, the campaign page and the overview.
# curl checks every page, every refused parameter (a 400 page naming it),
# that a POST without the CSRF token changes nothing, and the audit rows;
# then Chromium (playwright-core + axe-core, tests/browser/staff.mjs) walks
# the pages by keyboard as a staff member would, in Danish and English and
# at phone width. Screenshots land in tests/output/ (UPDATE_DOCS_SCREENSHOT=1
# copies one per page to docs/).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl
command -v chromium >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" chromium >&2
command -v npm >/dev/null 2>&1 || "$BB_TOP_DIR/scripts/install-deps.sh" npm >&2
require_cmd /usr/bin/chromium node npm
BROWSER_DIR=$BB_TOP_DIR/tests/browser
if [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] ||
   [ ! -f "$BROWSER_DIR/node_modules/axe-core/axe.min.js" ]; then
	(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund >&2) || die "npm ci in tests/browser failed"
fi
OUT=$BB_TOP_DIR/tests/output
mkdir -p "$OUT"

PASSWORD="rødgrød med fløde 2026"
HASH=$(printf '%s\n' "$PASSWORD" | "$BB_BIN/budbringer" hash-password) || die "hash-password"
BB_ROOT_EXTRA="staff = ( { user = \"anna\"; password_hash = \"$HASH\"; lang = \"en\"; },
  { user = \"bo\"; password_hash = \"$HASH\"; lang = \"da\"; } );"
BB_CAMPAIGNS="frequency_cap = 0;"
BB_SMS_PROVIDERS="{ name = \"spool\"; type = \"spool\"; directory = \"$BB_SPOOL_SMS\"; price_per_part = 0.285; currency = \"DKK\"; }"
bb_config
bb check-config >/dev/null || die "config with prices is valid"
DOMAIN=randers.example.dk

# People: young ones by SMS (one in Arabic), one by email only, one by both.
bb association add "Randers Roklub" >/dev/null || die "association"
for n in 20000001 20000002 20000003; do
	bb subscriber add --phone "$n" --born 2008 --interest sport --consent "signed form, test" >/dev/null || die "subscriber $n"
done
bb subscriber add --phone 20000005 --lang ar --born 2007 --consent "signed form, test" >/dev/null || die "subscriber ar"
bb subscriber add --email hard@example.org --lang da --born 1990 --consent "signed form, test" >/dev/null || die "subscriber email"
bb subscriber add --phone 20000006 --email both@example.org --lang en --born 2009 --consent "signed form, test" >/dev/null ||
	die "subscriber both"
AR_TITLE="مساعدون في سباق التجديف"
opp=$(bb --json opportunity add --association "Randers Roklub" --title "da=Hjælpere til kaproning" \
	--title "ar=$AR_TITLE" --summary "ar=نحتاج مساعدين على الشاطئ." \
	--summary "da=Vi mangler hjælpere på land." --url https://example.dk/ro --interest sport --publish |
	sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$opp" ] || die "opportunity"
bb_start
auto() { bb_sql "SELECT id FROM campaigns WHERE kind = 'auto' AND opportunity_id = $opp"; }
wait_until "[ -n \"\$(auto)\" ] && [ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = \$(auto) AND state = 'sent'\")\" -ge 6 ]" 30 "$BB_PID" ||
	die "the automatic campaign was sent: $(bb_sql "SELECT state, count(*) FROM messages GROUP BY state")"
auto=$(auto)

# Inbound SMS: a STOP from a stranger (a suppression), help twice from one number.
n=0
for t in "STOP" "HJÆLP" "hjælp igen" "FRIVILLIG SPORT"; do
	n=$((n + 1))
	from=+4531000001
	[ "$t" = STOP ] && from=+4531000009
	[ "$t" = "FRIVILLIG SPORT" ] && from=+4531000002
	curl -s -o /dev/null -G "$BB_URL/sms/inbound" --data-urlencode "secret=$BB_INBOUND_SECRET" \
		--data-urlencode "from=$from" --data-urlencode "to=1919" --data-urlencode "text=$t" \
		--data-urlencode "id=mo-$n"
done
wait_until "[ \"\$(bb_sql 'SELECT count(*) FROM inbound')\" -ge 4 ]" 10 || fail "inbound SMS recorded"
# A hard bounce of hard@example.org's campaign email: budbringer bounce fed
# a fixture rewritten to the message's VERP address (as test_bounce.sh).
hard=$(bb_sql "SELECT id FROM messages WHERE campaign_id = $auto AND recipient = 'hard@example.org'")
[ -n "$hard" ] || die "hard@example.org's message"
sed -E "s/bounce\+[0-9]+@[A-Za-z0-9.-]+/bounce+$hard@$DOMAIN/g" \
	"$BB_TOP_DIR/tests/fixtures/bounce/postfix_550_user_unknown.eml" > "$TEST_TMPDIR/bounce.eml"
bb bounce --recipient "bounce+$hard@$DOMAIN" < "$TEST_TMPDIR/bounce.eml" >/dev/null || fail "budbringer bounce"
assert_eq bounced "$(bb_sql "SELECT state FROM messages WHERE id = $hard")" "the hard bounce is recorded"
hard_key=$(bb_suppression_hash hard@example.org)
assert_eq bounce "$(bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$hard_key'")" \
	"… and the address is suppressed (bounce)"

# ------------------------------------------------------------------ cost ---
# Every sent SMS stores its parts x 0.285 DKK (285 thousandths a part).
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'sms' AND state = 'sent' AND
	(cost_milli IS NULL OR cost_milli <> 285 * segments)")" "every sent SMS has its cost: parts x price"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE channel = 'email' AND cost_milli IS NOT NULL")" \
	"email has no cost"
sms_cost=$(bb_sql "SELECT sum(cost_milli) FROM messages WHERE campaign_id = $auto")
assert_num -ge "$sms_cost" 1425 "five SMS of the campaign cost at least 5 x 285"
ar_parts=$(bb_sql "SELECT segments FROM messages WHERE campaign_id = $auto AND lang = 'ar' AND channel = 'sms'")
assert_eq ucs2 "$(bb_sql "SELECT coding FROM messages WHERE campaign_id = $auto AND lang = 'ar' AND channel = 'sms'")" \
	"the Arabic SMS is UCS-2"
stats=$(bb --json stats)
assert_contains "$stats" "\"cost_milli\": $sms_cost" "stats --json sums the cost"
assert_contains "$stats" '"association": "Randers Roklub"' "stats --json has the cost by association"
assert_match "$(bb stats)" "SMS cost by association \(DKK\)" "the stats table has the cost by association"
printf -v want_cost '%d.%02d' $(( (sms_cost + 5) / 1000 )) $(( ((sms_cost + 5) / 10) % 100 ))
assert_contains "$(bb stats --campaign "$auto")" " $want_cost" "stats --campaign shows the campaign's cost ($want_cost)"
today=$(date +%F)
csv=$(bb report --from "$(date +%Y)-01-01" --to "$today" --csv)
assert_match "$csv" ",association,Randers Roklub,0,0,0,0,0,0,0,0,1,,$want_cost" "the report's CSV has the cost per association"
dry=$(bb campaign create --opportunity "$opp" --channels sms --dry-run --text "da=Kom og hjælp: {url}" \
	--text "tr=Gönüllü şimdi: {url}")
assert_contains "$dry" "warning: tr: UCS-2" "the dry run warns that the Turkish text is UCS-2"
assert_contains "$dry" "because of: ş" "… naming the character"
assert_match "$dry" "total +5 +0 +0 +0 +[0-9.]+ DKK" "the dry run estimates the cost of the five SMS"
dryj=$(bb --json campaign create --opportunity "$opp" --channels sms --dry-run)
assert_match "$dryj" '"cost_milli": [1-9][0-9]*' "dry run --json has a cost estimate"

# ---------------------------------------------------------------- login ---
jar=$TEST_TMPDIR/jar
login() { # login USER JAR
	local c
	c=$(curl -s -c "$2" "$BB_URL/dashboard/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	curl -s -o /dev/null -w '%{http_code}' -b "$2" -c "$2" "$BB_URL/dashboard/login" \
		--data-urlencode "user=$1" --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$c"
}
assert_eq 303 "$(login bo "$jar")" "bo logs in"
csrf=$(curl -s -b "$jar" "$BB_URL/dashboard" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
[ -n "$csrf" ] || die "bo's csrf token"
get() { curl -s -b "$jar" "$BB_URL/dashboard$1"; }
code() { curl -s -o "$TEST_TMPDIR/page.html" -w '%{http_code}' -b "$jar" "$@"; }
problem() { grep -o 'id="problem">[^<]*' "$TEST_TMPDIR/page.html" | sed 's/id="problem">//'; }
# bad PATH PARAM: a 400 page that names the parameter
bad() {
	assert_eq 400 "$(code "$BB_URL/dashboard$1")" "$1 is refused"
	assert_match "$(problem)" "^$2: " "… with a page naming '$2'"
}
audits() { bb_sql "SELECT count(*) FROM audit_log WHERE action = '$1' AND actor = '$2'${3:+ AND subject = '$3'}"; }

page=$(get "")
assert_contains "$page" 'id="cost-30"' "the overview shows the SMS cost of the last 30 days"
assert_match "$page" "Randers Roklub</td><td class=\"num\" data-label=\"SMS\">[0-9]+</td><td class=\"num\" data-label=\"I alt\">${want_cost/./,}</td>" \
	"… per association, with a decimal comma in Danish"
for path in "" /log /campaigns/new /subscribers /report /suppressions /inbound; do
	assert_contains "$page" "<a href=\"/dashboard$path\"" "the menu leads to /dashboard$path"
done
page=$(get "/campaigns/$auto")
assert_contains "$page" "id=\"cost-total\" data-milli=\"$sms_cost\"" "the campaign page shows its cost"
assert_contains "$page" 'class="warn ucs2"' "… and warns that a text is UCS-2"

# --------------------------------------------------------------- people ---
sid=$(bb_sql "SELECT id FROM subscribers WHERE phone = '+4520000002'")
for form in "20000002" "+45 20 00 00 02" "0045-2000-0002"; do
	loc=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -G "$BB_URL/dashboard/subscribers" \
		--data-urlencode "q=$form")
	assert_eq "$BB_URL/dashboard/subscribers/$sid" "$loc" "the look-up '$form' finds the person"
done
eid=$(bb_sql "SELECT id FROM subscribers WHERE email = 'hard@example.org'")
assert_eq "$BB_URL/dashboard/subscribers/$eid" \
	"$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -G "$BB_URL/dashboard/subscribers" --data-urlencode "q=hard@EXAMPLE.org")" \
	"an email address is found whatever the case of its domain"
assert_contains "$(get "/subscribers?q=20999999")" 'id="not-found"' "an unknown number finds nobody"
bad "/subscribers?q=hello" q
bad "/subscribers?q=a%40b" q
assert_eq 404 "$(code "$BB_URL/dashboard/subscribers/999999")" "an unknown person is 404"
assert_eq 303 "$(curl -s -o /dev/null -w '%{http_code}' "$BB_URL/dashboard/subscribers/$sid")" "the people pages need a login"
page=$(get "/subscribers/$sid")
assert_contains "$page" 'data-status="active"' "the person's status"
assert_contains "$page" '<dd id="interests">sport</dd>' "… interests"
assert_contains "$page" 'data-action="grant"' "… and consent history"
assert_not_contains "$page" "20000002" "… with the number masked"
assert_eq 303 "$(code "$BB_URL/dashboard/subscribers/$sid" --data "unmask=1&csrf=forged")" \
	"an unmask without the CSRF token is sent away"
assert_not_contains "$(cat "$TEST_TMPDIR/page.html")" "20000002" "… and shows nothing"
assert_eq 0 "$(audits subscriber.unmask bo)" "… and writes nothing"
assert_eq 200 "$(code "$BB_URL/dashboard/subscribers/$sid" --data "unmask=1&csrf=$csrf")" "an unmask with the token"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" "+4520000002" "… shows the number"
assert_eq 1 "$(audits subscriber.unmask bo "subscriber:$sid")" "… and is audited with bo's name"
assert_eq 400 "$(code "$BB_URL/dashboard/subscribers/$sid" --data "unmask=2&csrf=$csrf")" "unmask=2 is refused"
# GDPR export: a JSON download, audited; without the token nothing.
assert_eq 303 "$(code "$BB_URL/dashboard/subscribers/$sid/export" --data "csrf=forged")" "an export without the token is sent away"
assert_eq 0 "$(audits gdpr.export bo)" "… and is not recorded"
assert_eq 405 "$(code "$BB_URL/dashboard/subscribers/$sid/export")" "an export by GET is not allowed"
curl -s -D "$TEST_TMPDIR/export.head" -o "$TEST_TMPDIR/export.json" -b "$jar" \
	"$BB_URL/dashboard/subscribers/$sid/export" --data "csrf=$csrf"
assert_match "$(cat "$TEST_TMPDIR/export.head")" "Content-Disposition: attachment; filename=\"subscriber-$sid.json\"" \
	"the export is a download"
assert_contains "$(cat "$TEST_TMPDIR/export.json")" '"phone": "+4520000002"' "… holding the person's data"
assert_contains "$(cat "$TEST_TMPDIR/export.json")" "\"subscriber_id\": $sid" "… the same JSON as the CLI's"
assert_eq 1 "$(audits gdpr.export bo "subscriber:$sid")" "the export is audited with bo's name"
# Erase: a confirmation step first; without the word nothing happens.
assert_eq 200 "$(code "$BB_URL/dashboard/subscribers/$sid/erase" --data "csrf=$csrf")" "erase asks for confirmation"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" 'name="confirm"' "… with a field to type ERASE"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM subscribers WHERE id = $sid")" "… and erases nothing yet"
bad_post() { # bad_post PATH DATA PARAM
	assert_eq 400 "$(code "$BB_URL/dashboard$1" --data "$2&csrf=$csrf")" "POST $1 $2 is refused"
	assert_match "$(problem)" "^$3: " "… with a page naming '$3'"
}
bad_post "/subscribers/$sid/erase" "confirm=yes" confirm
assert_eq 303 "$(code "$BB_URL/dashboard/subscribers/$sid/erase" --data "confirm=ERASE&csrf=forged")" \
	"an erase without the token is sent away"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM subscribers WHERE id = $sid")" "… and erases nothing"
assert_eq 200 "$(code "$BB_URL/dashboard/subscribers/$sid/erase" --data "confirm=ERASE&csrf=$csrf")" "erase with ERASE"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" 'id="erased"' "… says the person is erased"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM subscribers WHERE id = $sid")" "… the person is gone"
assert_eq 1 "$(audits gdpr.erase bo "subscriber:$sid")" "… audited with bo's name"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520000002'")" "… and no message keeps the number"
assert_eq 404 "$(code "$BB_URL/dashboard/subscribers/$sid")" "the erased person's page is gone"

# ---------------------------------------------------------- suppressions ---
page=$(get "/suppressions")
assert_contains "$page" "<tr data-reason=\"bounce\" data-key=\"$hard_key\">" "the suppression list shows the bounce"
assert_contains "$page" '<tr data-reason="stop"' "… and the STOP"
assert_contains "$page" "data-lift=\"$hard\"" "a bounce can be lifted"
assert_eq 1 "$(printf '%s' "$page" | grep -o 'data-lift=' | wc -l | tr -d ' ')" "… and nothing else can"
assert_contains "$page" "h•••@example.org" "the evidence's recipient is masked"
assert_not_contains "$page" "hard@example.org" "… never shown in full"
assert_not_contains "$page" "31000009" "the STOP's source is masked"
assert_not_contains "$page" "jens.hansen@" "an address in the server's answer is masked"
assert_not_contains "$(get "/suppressions?reason=stop")" 'data-reason="bounce"' "the reason filter"
bad "/suppressions?reason=lost" reason
assert_eq 405 "$(code "$BB_URL/dashboard/suppressions/lift")" "a lift by GET is not allowed"
assert_eq 303 "$(code "$BB_URL/dashboard/suppressions/lift" --data "key=$hard_key&channel=email&confirm=yes&csrf=forged")" \
	"a lift without the CSRF token is sent away"
assert_eq bounce "$(bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$hard_key'")" "… and lifts nothing"
bad_post /suppressions/lift "key=xyz&channel=email" key
bad_post /suppressions/lift "key=$hard_key&channel=fax" channel
bad_post /suppressions/lift "key=$hard_key&channel=email&confirm=sure" confirm
stop_key=$(bb_sql "SELECT address_sha256 FROM suppressions WHERE reason = 'stop' LIMIT 1")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" "$BB_URL/dashboard/suppressions/lift" \
	--data "key=$stop_key&channel=sms&confirm=yes&csrf=$csrf")
assert_eq "$BB_URL/dashboard/suppressions?done=not_lifted" "$loc" "a STOP cannot be lifted by staff"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$stop_key'")" "… it stays"
assert_eq 200 "$(code "$BB_URL/dashboard/suppressions/lift" --data "key=$hard_key&channel=email&csrf=$csrf")" \
	"a lift asks for confirmation first"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" 'id="lift-confirm"' "… with a button to confirm"
assert_eq bounce "$(bb_sql "SELECT reason FROM suppressions WHERE address_sha256 = '$hard_key'")" "… and lifts nothing yet"
# (the browser lifts it: see staff.mjs)

# -------------------------------------------------------------- inbound ---
page=$(get "/inbound")
assert_contains "$page" 'data-sender="+45 31 •• •• 01"' "the inbound SMS per number, masked"
assert_match "$page" 'data-sender="\+45 31 •• •• 01">.*HJÆLP.*hjælp igen' "… as a conversation in order"
assert_contains "$page" 'class="out"' "… with the replies"
assert_not_contains "$page" "31000001" "… and no full number"
page=$(get "/inbound?number=31%2000%2000%2002&days=2")
assert_contains "$page" "FRIVILLIG SPORT" "the number filter in any written form"
assert_not_contains "$page" "HJÆLP" "… shows that number alone"
bad "/inbound?days=0" days
bad "/inbound?days=abc" days
bad "/inbound?days=181" days
bad "/inbound?number=hello" number
# Texts past retention_days are not shown, even before housekeeping clears them.
old=$(( $(date +%s) - 200 * 86400 ))
bb_sql "UPDATE inbound SET received_at = $old WHERE text = 'hjælp igen'"
assert_not_contains "$(get "/inbound?days=180")" "hjælp igen" "a text older than retention_days is not shown (days may not pass it)"

# --------------------------------------------------------- new campaign ---
page=$(get "/campaigns/new")
assert_contains "$page" "<option value=\"$opp\">#$opp Hjælpere til kaproning" "the form offers the published opportunity"
assert_contains "$page" 'name="lang_ar"' "… the configured languages"
assert_contains "$page" 'name="interest_sport"' "… the interests"
ncamp() { bb_sql "SELECT count(*) FROM campaigns"; }
before=$(ncamp)
form="opportunity=$opp&ch_sms=1&min_age=15&max_age=25"
assert_eq 200 "$(code "$BB_URL/dashboard/campaigns/new" --data "$form&action=preview&csrf=$csrf" \
	--data-urlencode "text_tr=Gönüllü şimdi: {url}")" "preview"
page=$(cat "$TEST_TMPDIR/page.html")
assert_match "$page" '<article class="rendered" data-lang="da">.*<span class="coding">GSM-7</span>' "the Danish SMS is rendered as GSM-7"
assert_match "$page" '<article class="rendered" data-lang="tr">.*<span class="coding">UCS-2</span>' "the Turkish text is UCS-2"
assert_match "$page" 'class="warn ucs2">[^<]*<span class="culprits">ş' "… with a warning naming ş"
assert_match "$page" '<span class="left">[0-9]+</span>' "characters left in the last part"
assert_match "$page" "<td class=\"num\" id=\"total-sms\">4</td>" "the dry run counts four SMS recipients aged 15–25"
assert_match "$page" 'id="estimate" data-milli="[1-9][0-9]*"' "… and estimates the cost"
assert_contains "$page" "$AR_TITLE" "the Arabic rendering is shown"
assert_eq "$before" "$(ncamp)" "a preview creates nothing"
# Refusals: each field by its rule, campaign_create()'s own rules after.
bad_post /campaigns/new "$form&action=launch" action
bad_post /campaigns/new "opportunity=abc&action=preview" opportunity
bad_post /campaigns/new "$form&action=preview&ch_email=yes" ch_email
bad_post /campaigns/new "opportunity=$opp&ch_sms=1&min_age=200&action=preview" min_age
bad_post /campaigns/new "opportunity=$opp&ch_sms=1&max_age=x&action=preview" max_age
bad_post /campaigns/new "$form&action=preview&send_at=tomorrow" send_at
bad_post /campaigns/new "$form&action=preview&send_at=2020-01-01T10:00" send_at
bad_post /campaigns/new "$form&action=preview&lang_da=2" lang_da
bad_post /campaigns/new "$form&action=preview&interest_sport=on" interest_sport
assert_eq 400 "$(code "$BB_URL/dashboard/campaigns/new" --data "opportunity=$opp&action=schedule&csrf=$csrf")" \
	"no channel: refused by campaign_create()"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" "no channel: give sms, email or both" "… with the CLI's and the API's words"
assert_eq 400 "$(code "$BB_URL/dashboard/campaigns/new" --data "opportunity=$opp&ch_sms=1&min_age=30&max_age=20&action=schedule&csrf=$csrf")" \
	"ages the wrong way round are refused"
assert_contains "$(cat "$TEST_TMPDIR/page.html")" "age range 30-20 is not valid" "… by the same rule as the CLI"
assert_eq 400 "$(code "$BB_URL/dashboard/campaigns/new" --data "opportunity=999&ch_sms=1&action=schedule&csrf=$csrf")" \
	"an unknown opportunity is refused"
assert_eq 400 "$(code "$BB_URL/dashboard/campaigns/new" --data "$form&action=preview&csrf=$csrf" --data-urlencode "text_da={nope}")" \
	"a text with an unknown placeholder is refused"
assert_eq 303 "$(code "$BB_URL/dashboard/campaigns/new" --data "$form&action=schedule&csrf=forged")" \
	"schedule without the CSRF token is sent away"
assert_eq "$before" "$(ncamp)" "nothing was created by any of these"
# (the browser schedules one: see staff.mjs)

# --------------------------------------------------------------- report ---
year=$(date +%Y)
page=$(get "/report")
assert_contains "$page" "<b id=\"period\">$year-01-01–$today</b>" "the report defaults to this year so far"
assert_match "$page" '<tr data-reach="band:15-25"><th scope="row">15–25</th><td class="num now">[0-9]+</td><td class="num prev">0</td>' \
	"the reach of 15–25-year-olds against the period before"
assert_contains "$page" '<tr data-reach="lang:ar">' "… and of each language"
assert_match "$page" '<section id="reach">.*<svg' "… drawn as an SVG chart"
assert_match "$page" '<section id="chart-signups" class="chart"><h2>[^<]*</h2><svg' "sign-ups and opt-outs are charted"
assert_contains "$page" '<th scope="row" dir="auto">Randers Roklub</th><td class="num">1</td>' "campaigns per association"
assert_contains "$(get /static/style.css)" "@page{size:A4" "the stylesheet lays the report out on A4"
assert_contains "$(get /static/style.css)" "@media print{" "… with print rules"
for b in "from=2026-13-01" "from=yesterday" "to=2026-02-30" "to=26-01-01"; do
	bad "/report?$b" "${b%%=*}"
done
bad "/report?from=2026-05-01&to=2026-04-30" to
# The CSV for Danish Excel: the CLI's figures byte for byte, with a BOM,
# semicolons, decimal commas and CRLF.
curl -s -D "$TEST_TMPDIR/csv.head" -o "$TEST_TMPDIR/page.csv" -b "$jar" \
	"$BB_URL/dashboard/report.csv?from=$year-01-01&to=$today"
assert_match "$(cat "$TEST_TMPDIR/csv.head")" "Content-Type: text/csv; charset=utf-8" "the CSV is text/csv in UTF-8"
assert_match "$(cat "$TEST_TMPDIR/csv.head")" "Content-Disposition: attachment; filename=\"evaluering-$year-01-01-$today.csv\"" \
	"… a download"
assert_eq "efbbbf" "$(head -c 3 "$TEST_TMPDIR/page.csv" | od -An -tx1 | tr -d ' \n')" "… starting with the UTF-8 BOM"
assert_eq "from;to;dimension;key;active_start;active_end;signups;optouts;sent;delivered;bounced;complaints;campaigns;delivery_rate;sms_cost_DKK" \
	"$(head -1 "$TEST_TMPDIR/page.csv" | tail -c +4 | tr -d '\r')" "… semicolons between the columns"
assert_eq "$(wc -l < "$TEST_TMPDIR/page.csv")" "$(grep -c $'\r$' "$TEST_TMPDIR/page.csv")" "… CRLF at every line's end"
{ printf '\xef\xbb\xbf'; bb report --from "$year-01-01" --to "$today" --csv | sed 's/,/;/g; s/\./,/g; s/$/\r/'; } > "$TEST_TMPDIR/cli.csv"
assert_file_eq "$TEST_TMPDIR/cli.csv" "$TEST_TMPDIR/page.csv" "the page's CSV holds the CLI report's figures, byte for byte"
assert_match "$(cat "$TEST_TMPDIR/page.csv")" ";total;;[0-9;]+;0,[0-9]{4};[0-9]+,[0-9]{2}"$'\r' "decimal commas in the rate and the cost"
assert_eq 400 "$(code "$BB_URL/dashboard/report.csv?from=x")" "the CSV checks its parameters too"

# -------------------------------------------------------------- browser ---
export BB_URL DASH_USER=anna DASH_PASSWORD="$PASSWORD" DASH_OPPORTUNITY="$opp" DASH_OUT="$OUT" \
	DASH_PERSON_PHONE="20 00 00 03" DASH_PERSON_E164=+4520000003 DASH_BOUNCE_MESSAGE="$hard" \
	DASH_AR_TITLE="$AR_TITLE"
rm -f "$OUT"/dashboard-{new,report,people,suppressions,inbound}*.png
person3=$(bb_sql "SELECT id FROM subscribers WHERE phone = '+4520000003'")
campaigns_before=$(bb_sql "SELECT coalesce(max(id), 0) FROM campaigns")
node "$BROWSER_DIR/staff.mjs" > "$TEST_TMPDIR/browser.log" 2>&1
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
expected=$(( $(grep -c '^[[:space:]]*check(' "$BROWSER_DIR/staff.mjs") - 1 ))
assert_eq "$expected" "$(grep -c '^PASS' "$TEST_TMPDIR/browser.log")" "all $expected browser checks passed"
assert_eq "CHECKS $expected" "$(grep '^CHECKS' "$TEST_TMPDIR/browser.log")" "… and the script ran to its end"
for shot in new report people suppressions inbound; do
	assert_cmd "[ -s '$OUT/dashboard-$shot.png' ]" "a screenshot of the $shot page in tests/output/"
done
if [ -n "${UPDATE_DOCS_SCREENSHOT:-}" ]; then
	cp "$OUT"/dashboard-{new,report,people,suppressions,inbound}.png "$BB_TOP_DIR/docs/"
fi

# What the browser did is on record, with anna's name.
created=$(bb_sql "SELECT id FROM campaigns WHERE id > $campaigns_before AND kind = 'staff'")
assert_eq "dashboard:anna" "$(bb_sql "SELECT created_by FROM campaigns WHERE id = ${created:-0}")" \
	"the campaign made in the browser names anna"
assert_eq "sms|15|25" "$(bb_sql "SELECT channels, min_age, max_age FROM campaigns WHERE id = ${created:-0}")" \
	"… with the channels and ages chosen"
assert_eq 1 "$(audits campaign.create anna "campaign:${created:-0}")" "… and its creation is audited"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM campaign_texts WHERE campaign_id = ${created:-0} AND lang = 'tr'")" \
	"… with the Turkish text"
assert_eq 1 "$(audits gdpr.export anna "subscriber:$person3")" "the browser's export is audited"
assert_eq 1 "$(audits gdpr.erase anna "subscriber:$person3")" "the browser's erasure is audited"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM subscribers WHERE phone = '+4520000003'")" "… and the person is gone"
assert_eq 1 "$(audits suppression.lift anna "suppression:$hard_key")" "the lift is audited with anna's name"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$hard_key'")" "… and the suppression is gone"

done_testing
