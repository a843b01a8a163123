#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, items 1, 2 and 4 (ids): sign-up through the portal cannot take
# over a person, tells the portal nothing, and ids are never given twice.
# Also: a database of schema 4 that already holds a hijacked address
# migrates without losing anyone's confirmed consent.
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/budbringerd.sh"

require_cmd curl sqlite3
PORTAL_TOKEN=$(random_token 40)
BB_HTTP_EXTRA="portal_token_sha256 = \"$(printf %s "$PORTAL_TOKEN" | sha256sum | cut -d' ' -f1)\";"
bb_config
bb init >/dev/null
bb_start

signup() { # signup JSON: prints "CODE BODY"
	curl -s --max-time 10 -o "$TEST_TMPDIR/answer" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $PORTAL_TOKEN" -H 'Content-Type: application/json' \
		--data-binary "$1" "$BB_URL/api/v1/subscribers"
	printf ' %s' "$(cat "$TEST_TMPDIR/answer")"
}
mo() { # mo FROM TEXT ID: an SMS to us through the inbound webhook
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		"$BB_URL/sms/inbound?secret=$BB_INBOUND_SECRET&from=$1&to=1220&text=$(urlencode "$2")&id=$3"
}
sid_of() { # sid_of ADDRESS: the subscriber holding a phone or email ("none" if nobody)
	bb_sql "SELECT coalesce(CAST((SELECT id FROM subscribers WHERE phone = '$1' OR email = '$1') AS TEXT), 'none')"
}
interests_of() { # interests_of SUBSCRIBER: their interests, sorted, joined by commas
	bb_sql "SELECT interest FROM subscriber_interests WHERE subscriber_id = $1 ORDER BY interest" | paste -sd, -
}
confirm_link() { # confirm_link EMAIL: the confirm URL of the newest confirmation mail to EMAIL
	local id
	id=$(bb_sql "SELECT max(id) FROM messages WHERE kind = 'confirm' AND recipient = '$1'")
	[ -n "$id" ] || { echo "no confirmation message to $1" >&2; return 1; }
	wait_until "[ -s '$BB_SPOOL_MAIL/$id.eml' ]" 10 "$BB_PID" || { echo "no spool file $id.eml" >&2; return 1; }
	"$BB_PYTHON" - "$BB_SPOOL_MAIL/$id.eml" "$BB_URL" <<'PY'
import re, sys
from email import policy
from email.parser import BytesParser
msg = BytesParser(policy=policy.default).parsebytes(open(sys.argv[1], "rb").read())
text = msg.get_body(preferencelist=("plain",)).get_content()
m = re.search(re.escape(sys.argv[2]) + r"/confirm\?t=[A-Za-z0-9_.-]+", text)
print(m.group(0) if m else "")
PY
}
confirm_by_form() { # confirm_by_form URL: what the page's button does
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d via=page "$1"
}

# --- item 1: a known phone plus a stranger's email ---------------------------
assert_eq 200 "$(mo 4520500001 FRIVILLIG v-1)" "the victim texts the keyword"
assert_eq 200 "$(mo 4520500001 JA v-2)" "and confirms by SMS"
V=$(sid_of +4520500001)
assert_eq "active|1|none" "$(bb_sql "SELECT status, sms_consent, coalesce(email, 'none') FROM subscribers WHERE id = $V")" \
	"the victim is an active SMS subscriber without email"
signup '{"phone": "+45 20 50 00 01", "email": "evil@attacker.example", "lang": "en",
	"birth_year": 1990, "interests": ["faith"]}' >/dev/null
assert_eq "none" "$(bb_sql "SELECT coalesce(email, 'none') FROM subscribers WHERE id = $V")" \
	"the stranger's email is not attached to the victim"
E=$(sid_of evil@attacker.example)
assert_match "$E" '^[0-9]+$' "the stranger's email waits as its own record"
assert_ne "$V" "$E" "… a different subscriber than the victim"
assert_eq "pending|none" "$(bb_sql "SELECT status, coalesce(phone, 'none') FROM subscribers WHERE id = $E")" \
	"… pending and without the victim's phone"
link=$(confirm_link evil@attacker.example)
assert_match "$link" "^$BB_URL/confirm\\?t=" "the stranger got a confirmation link"
assert_eq 200 "$(confirm_by_form "$link")" "the stranger confirms their own email"
assert_eq "active|1" "$(bb_sql "SELECT status, email_consent FROM subscribers WHERE id = $E")" \
	"which makes only their own record active"
assert_eq "active|1|0|none|da" "$(bb_sql "SELECT status, sms_consent, email_consent, coalesce(email, 'none'), lang
	FROM subscribers WHERE id = $V")" "the victim's record is untouched"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM subscriber_interests WHERE subscriber_id = $V AND interest = 'faith'")" \
	"the stranger did not choose the victim's interests"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE subscriber_id = $V AND channel = 'email'")" \
	"nothing for the victim ever goes to an email"

# --- item 1: a known email plus a stranger's phone ---------------------------
signup '{"email": "owner@example.dk", "lang": "da", "interests": ["sport"]}' >/dev/null
W=$(sid_of owner@example.dk)
assert_eq 200 "$(confirm_by_form "$(confirm_link owner@example.dk)")" "the owner confirms their email"
signup '{"email": "owner@example.dk", "phone": "20500009", "lang": "en", "interests": ["faith"]}' >/dev/null
assert_eq "none" "$(bb_sql "SELECT coalesce(phone, 'none') FROM subscribers WHERE id = $W")" \
	"the stranger's phone is not attached to the email's owner"
P=$(sid_of +4520500009)
assert_ne "$W" "$P" "the phone is a record of its own"
assert_eq 200 "$(mo 4520500009 JA p-1)" "the phone's holder answers JA"
assert_eq "active|1|none" "$(bb_sql "SELECT status, sms_consent, coalesce(email, 'none') FROM subscribers WHERE id = $P")" \
	"their JA confirms only the phone's own record"
assert_eq "active|0|1|sport" "$(bb_sql "SELECT status, sms_consent, email_consent FROM subscribers WHERE id = $W")|$(interests_of "$W")" \
	"the email's owner keeps their consent and interests"

# --- item 1: the real owner's later sign-up is not dropped -------------------
signup '{"phone": "20500020", "lang": "en", "birth_year": 1990, "interests": ["faith"]}' >/dev/null
signup '{"phone": "20500020", "lang": "da", "birth_year": 2007, "interests": ["sport", "culture"]}' >/dev/null
assert_eq "pending|da|2007|culture,sport" "$(bb_sql "SELECT status, lang, birth_year FROM subscribers
	WHERE phone = '+4520500020'")|$(interests_of "$(sid_of +4520500020)")" "until confirmed, the latest form decides the profile"
assert_eq 200 "$(mo 4520500020 JA o-1)" "the owner answers JA"
signup '{"phone": "20500020", "lang": "en", "birth_year": 1990, "interests": ["faith"]}' >/dev/null
assert_eq "active|da|2007" "$(bb_sql "SELECT status, lang, birth_year FROM subscribers WHERE phone = '+4520500020'")" \
	"once confirmed, a form cannot change the profile"

# --- item 2: the portal learns nothing ---------------------------------------
assert_eq 200 "$(mo 4520500030 STOP s-1)" "a number says STOP"
bb subscriber erase --phone +4520500001 >/dev/null 2>&1 || true
declare -A answers
answers[unknown-phone]=$(signup '{"phone": "20500040"}')
answers[pending-phone]=$(signup '{"phone": "20500040"}')
answers[active-phone]=$(signup '{"phone": "20500009"}')
answers[stopped-phone]=$(signup '{"phone": "20500030"}')
answers[unknown-email]=$(signup '{"email": "nobody@example.dk"}')
answers[pending-email]=$(signup '{"email": "nobody@example.dk"}')
answers[active-email]=$(signup '{"email": "owner@example.dk"}')
answers[two-people]=$(signup '{"email": "owner@example.dk", "phone": "20500009"}')
for k in "${!answers[@]}"; do
	assert_eq "${answers[unknown-phone]}" "${answers[$k]}" "sign-up answer for a $k is the unknown's"
done
assert_match "${answers[unknown-phone]}" '^202 \{"status":"received"' "… 202 received, no id"
assert_contains "$(cat "$BB_LOG")" "portal sign-up sms=stopped" "the log says what happened: stopped"
assert_contains "$(cat "$BB_LOG")" "portal sign-up sms=confirmed subscriber=$P" "… already confirmed"
assert_contains "$(cat "$BB_LOG")" "portal sign-up sms=throttled" "… asked a moment ago"
assert_contains "$(bb subscriber export --email owner@example.dk)" "portal.signup" \
	"staff see the sign-up attempts in the person's export"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE recipient = '+4520500030' AND kind = 'confirm'")" \
	"the STOPped number got no question"

# --- item 4: ids are never given twice --------------------------------------
signup '{"phone": "20500050"}' >/dev/null
last=$(sid_of +4520500050)
assert_eq "$last" "$(bb_sql "SELECT max(id) FROM subscribers")" "the newest sign-up has the highest id"
bb subscriber erase --phone +4520500050 >/dev/null || fail "erase failed"
signup '{"phone": "20500051"}' >/dev/null
next=$(sid_of +4520500051)
assert_cmd "[ '$next' -gt '$last' ]" "after erasing id $last the next person gets $next, not $last again"
assert_not_contains "$(bb subscriber export --phone +4520500051)" "erase" \
	"the new person's export shows nobody's erase"
bb_stop

# --- migration of a schema-4 database holding a hijacked address -----------
# The fixture is a SQLite file of schema 4; a PostgreSQL database starts at
# today's schema, so there it has nothing older to migrate from.
bb_sqlite_only "migration of the schema-4 SQLite fixture" || done_testing
BB_DB=$BB_DIR/v4.db
sqlite3 "$BB_DB" < "$BB_TOP_DIR/tests/fixtures/schema-v4.sql" || die "cannot load the schema-4 fixture"
sed -i "s#^database = .*#database = \"$BB_DB\";#" "$BB_CONF"
grants_before=$(bb_sql "SELECT count(*) FROM consent_log WHERE action = 'grant'")
assert_eq 4 "$(bb_sql "PRAGMA user_version")" "the fixture is a schema-4 database"
bb init >/dev/null || fail "bb init on the schema-4 database failed"
assert_num -ge "$(bb_sql "PRAGMA user_version")" 5 "… migrated to schema 5 (or later)"
assert_eq "$grants_before" "$(bb_sql "SELECT count(*) FROM consent_log WHERE action = 'grant'")" \
	"every consent grant is still in the log"
assert_eq "1|+4511111111|none|active|1" "$(bb_sql "SELECT id, phone, coalesce(email, 'none'), status, sms_consent
	FROM subscribers WHERE id = 1")" "subscriber 1 keeps their confirmed phone and loses the unconfirmed email"
assert_eq "pending|none|none" "$(bb_sql "SELECT status, coalesce(birth_year, 'none'),
	coalesce((SELECT group_concat(interest) FROM subscriber_interests WHERE subscriber_id = s.id), 'none')
	FROM subscribers s WHERE email = 'evil@attacker.example'")" \
	"the hijacking email is its own pending record, without its victim's profile"
assert_eq "+4533333333|three@example.dk|1|1" "$(bb_sql "SELECT phone, email, sms_consent, email_consent FROM subscribers WHERE id = 3")" \
	"a person with both addresses confirmed keeps both"
assert_eq "none|four@example.dk|1" "$(bb_sql "SELECT coalesce(phone, 'none'), email, email_consent FROM subscribers WHERE id = 4")" \
	"an unconfirmed phone beside a confirmed email moves out"
assert_eq "+4522222222|none|pending" "$(bb_sql "SELECT phone, coalesce(email, 'none'), status FROM subscribers WHERE id = 2")" \
	"a pending record with two unconfirmed addresses keeps the phone"
assert_eq "2008|culture" "$(bb_sql "SELECT birth_year, (SELECT group_concat(interest) FROM subscriber_interests
	WHERE subscriber_id = s.id) FROM subscribers s WHERE email = 'two@example.dk'")" \
	"… and its email waits apart with the form's profile"
assert_eq "+4555555555|none" "$(bb_sql "SELECT phone, coalesce(email, 'none') FROM subscribers WHERE id = 5")" \
	"a number that said STOP stays the person's (it was confirmed once)"
assert_eq "cancelled|cancelled" "$(bb_sql "SELECT group_concat(state, '|') FROM (SELECT state FROM messages WHERE kind = 'confirm' ORDER BY id)")" \
	"the confirmations queued to moved addresses are withdrawn"
assert_eq 7 "$(bb_sql "SELECT min(id) FROM subscribers WHERE id > 5")" \
	"new records start above the erased subscriber 6"
bb subscriber add --phone +4566666666 --pending >/dev/null 2>&1 || fail "adding a subscriber after the migration failed"
assert_cmd "[ \"\$(sid_of +4566666666)\" -gt 10 ]" "ids keep counting up after the migration"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM pragma_foreign_key_check")" "no row breaks a foreign key"
done_testing
