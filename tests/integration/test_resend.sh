#!/bin/bash
# SPDX-License-Identifier: MIT
# Resending `unknown` messages by hand never reaches an address on the
# suppression list, even when the subscriber's record still says consent 1
# (the list is what a STOP, an erase or a bounce leaves; the record can lag).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 sha256sum
bb_config
bb init >/dev/null
bb subscriber add --email keep@example.dk --lang da --consent "test: staff entered" >/dev/null ||
	die "cannot add a subscriber"
bb subscriber add --email listed@example.dk --lang da --consent "test: staff entered" >/dev/null ||
	die "cannot add a subscriber"
opp=$(bb --json opportunity add --title "da=Høstmarked" --summary "da=Hjælpere til boderne." \
	--url https://frivillig.example.dk/o/9 --publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
assert_match "$opp" '^[0-9]+$' "an opportunity is published"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id IS NOT NULL AND state = 'sent'\")\" = 2 ]" 20 "$BB_PID" ||
	fail "the automatic campaign did not send its two emails"
bb_stop
id_of() { bb_sql "SELECT id FROM messages WHERE recipient = '$1' AND campaign_id IS NOT NULL"; }
keep=$(id_of keep@example.dk); listed=$(id_of listed@example.dk)
assert_match "$keep $listed" '^[0-9]+ [0-9]+$' "both campaign messages exist"
# Both went out with their fate lost (as after a crash), and then the second
# address came onto the suppression list (a row as older versions wrote it:
# SHA-256 of the address) while its subscriber still has consent 1.
rm -f "$BB_SPOOL_MAIL/$keep.eml" "$BB_SPOOL_MAIL/$listed.eml"
bb_sql "UPDATE messages SET state = 'unknown' WHERE id IN ($keep, $listed);
	INSERT INTO suppressions(address_sha256, channel, reason, source, created_at)
	VALUES ('$(printf %s listed@example.dk | sha256sum | cut -d' ' -f1)', 'email', 'complaint', 'test', 0)"
assert_eq 1 "$(bb_sql "SELECT email_consent FROM subscribers WHERE email = 'listed@example.dk'")" \
	"the suppressed address's subscriber still says consent 1"

out=$(bb resend "$listed" 2>&1); rc=$?
assert_eq 1 "$rc" "resend of the suppressed address exits 1"
assert_contains "$out" "address suppressed" "… naming the suppression"
assert_eq unknown "$(bb_sql "SELECT state FROM messages WHERE id = $listed")" "… and leaves it unknown"
out=$(bb resend "$keep" 2>&1); rc=$?
assert_eq 0 "$rc" "resend of the other one works: $out"
assert_eq queued "$(bb_sql "SELECT state FROM messages WHERE id = $keep")" "… queued again"

# The outbox sends the one resent and never the refused one.
bb_start
wait_until "[ -s '$BB_SPOOL_MAIL/$keep.eml' ]" 20 "$BB_PID" || fail "the resent message did not go out"
assert_eq sent "$(bb_sql "SELECT state FROM messages WHERE id = $keep")" "the resent message is sent"
bb_stop
assert_eq unknown "$(bb_sql "SELECT state FROM messages WHERE id = $listed")" \
	"the refused one is still unknown after the outbox ran"
assert_cmd "[ ! -e '$BB_SPOOL_MAIL/$listed.eml' ]" "and was never handed to the provider"
done_testing
