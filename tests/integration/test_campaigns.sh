#!/bin/bash
# SPDX-License-Identifier: MIT
# Campaigns with the real daemon on the spool provider: approval, cancel
# mid-campaign, scheduled send, a two-language campaign with custom texts,
# the frequency cap in `budbringer log`, quiet hours held then released by
# a SIGHUP reload.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3
year=$(date +%Y)
# Quiet hours around the current local minute (Europe/Copenhagen).
quiet_hours_now 30
BB_CAMPAIGNS="require_approval = true; frequency_cap = 3; $QUIET_HOURS"
bb_config
bb init >/dev/null || die "init"

bb association add "Kulturhuset" >/dev/null
bb association add "Spejderne" >/dev/null
now=$(date +%s) langs=(da ar tr en)
for i in $(seq 0 199); do
	printf '+4540%06d\t%s\t%d\tactive\t1\t%d\ttest\t0\t%d\t%d\n' \
		"$i" "${langs[i % 4]}" $((year - 16 - i % 20)) "$now" "$now" "$now"
done | bb_sql_insert subscribers phone lang birth_year status sms_consent sms_consent_at \
	sms_consent_source email_consent created_at updated_at || die "cannot add the subscribers"
opp() { bb --json opportunity add --association "$1" --title "da=$2" --summary "da=Kom og hjælp." \
	--title "en=$2 (en)" --summary "en=Come and help." --interest culture --url https://x.example/o \
	--publish | sed -n 's/.*"id": \([0-9]*\).*/\1/p'; }
o1=$(opp Kulturhuset "Lektiecafé")
bb_start

# --- quiet hours: the automatic campaign is expanded but held ---
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages\") -eq 200 ]" 20 "$BB_PID" || fail "auto campaign expanded"
sleep 2
assert_eq 0 "$(count_files "$BB_SPOOL_SMS")" "quiet hours: campaign SMS are held, not sent"
assert_eq 200 "$(bb_sql "SELECT count(*) FROM messages WHERE state = 'queued'")" "held messages stay queued, not dropped"
assert_eq 1 "$(grep -c "quiet hours: campaign SMS wait until $QUIET_END (Europe/Copenhagen)" "$BB_LOG")" \
	"quiet hours: the log says once that campaign SMS wait, and until when"
# Reload without quiet hours: they go out, nothing lost.
sed -i 's/quiet_hours = {[^}]*};//' "$BB_CONF"
kill -HUP "$BB_PID"
wait_until "[ \$(count_files '$BB_SPOOL_SMS') -eq 200 ]" 30 "$BB_PID" &&
	pass "quiet hours lifted by reload: all 200 sent" || fail "held messages sent after reload"
assert_cmd "grep -q 'configuration reloaded' '$BB_LOG'" "SIGHUP reloads the configuration"

# --- dry run: counts per language, segments, samples; queues nothing ---
o2=$(opp Spejderne "Juleløb")
wait_until "[ \$(bb_sql \"SELECT count(*) FROM campaigns WHERE opportunity_id = $o2\") -eq 1 ]" 10 "$BB_PID" ||
	fail "the second opportunity got its automatic campaign"
# Its expansion must be over, or its messages land between the two counts.
wait_until "[ \$(bb_sql \"SELECT count(*) FROM campaigns WHERE opportunity_id = $o2 AND status IN ('scheduled', 'expanding')\") -eq 0 ]" 30 "$BB_PID" ||
	fail "the automatic campaign was expanded"
before=$(bb_sql "SELECT count(*) FROM messages")
dry=$(bb --json campaign create --opportunity "$o2" --channels sms --age 15-20 --lang da,ar \
	--text "ar=تعال وساعد في سباق عيد الميلاد {url}" --dry-run)
assert_eq "$before" "$(bb_sql "SELECT count(*) FROM messages")" "dry run queues nothing"
expected_da=$(bb_sql "SELECT count(*) FROM subscribers WHERE lang='da' AND $year - birth_year BETWEEN 15 AND 20")
assert_contains "$dry" "\"sms\": $expected_da" "dry run counts the Danish audience"
assert_contains "$dry" "\"coding\": \"ucs2\"" "dry run shows Arabic as UCS-2"
assert_contains "$dry" "تعال وساعد" "dry run shows a rendered Arabic sample"

# --- approval: an association campaign waits for staff ---
out=$(bb campaign create --opportunity "$o1" --as-association Kulturhuset --channels sms --lang da,ar \
	--text "da=Ekstra: lektiecafé i aften {url}" --text "ar=إضافي: مقهى الواجبات الليلة {url}")
cid=$(echo "$out" | sed -n 's/^campaign \([0-9]*\) created.*/\1/p')
assert_match "$cid" '^[0-9]+$' "association campaign created"
assert_contains "$out" "SMS cost per message:" "segment cost shown at creation"
assert_eq "pending_approval" "$(bb_sql "SELECT status FROM campaigns WHERE id = $cid")" "waits for approval"
before=$(bb_sql "SELECT count(*) FROM campaigns")
out=$(bb campaign create --opportunity "$o1" --as-association Spejderne --channels sms 2>&1); rc=$?
assert_eq 2 "$rc" "an association cannot campaign for another's opportunity: exit 2"
assert_contains "$out" "opportunity $o1 belongs to another association" "… saying why"
assert_eq "$before" "$(bb_sql "SELECT count(*) FROM campaigns")" "… and creating nothing"
sleep 2
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $cid")" "nothing expands before approval"
bb campaign approve "$cid" >/dev/null || fail "approve"
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $cid AND state IN ('sent','suppressed')\") -eq 100 ]" 20 "$BB_PID" ||
	fail "approved campaign went out"
da=$(grep -l '"campaign":'"$cid"',' "$BB_SPOOL_SMS"/*.json | xargs grep -h -o '"lang":"da"' | wc -l)
ar_text=$(grep -h '"campaign":'"$cid"',' "$BB_SPOOL_SMS"/*.json | grep '"lang":"ar"' | head -1)
assert_num -gt "$da" 0 "Danish custom text sent"
assert_contains "$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["text"])' "$ar_text")" "إضافي: مقهى الواجبات الليلة" "Arabic custom text sent in Arabic"
assert_eq 0 "$(grep -h '"campaign":'"$cid"',' "$BB_SPOOL_SMS"/*.json | grep -c -v '"lang":"\(da\|ar\)"')" "language filter: only da and ar"

# --- scheduled send ---
o3=$(opp Kulturhuset "Koncert")
out=$(bb campaign create --opportunity "$o3" --channels sms --at +1m --idempotency-key koncert-1)
sid=$(echo "$out" | sed -n 's/^campaign \([0-9]*\) created.*/\1/p')
out2=$(bb campaign create --opportunity "$o3" --channels sms --at +1m --idempotency-key koncert-1)
assert_contains "$out2" "exists already" "same idempotency key: no second campaign"
sleep 2
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $sid")" "scheduled campaign waits for its time"
bb_sql "UPDATE campaigns SET send_at = $(date +%s) WHERE id = $sid" >/dev/null
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages WHERE campaign_id = $sid\") -gt 0 ]" 15 "$BB_PID" ||
	fail "scheduled campaign expands when due"

# --- the cap: the fourth campaign in a week (cap 3) is suppressed and visible in the log ---
wait_until "[ \$(bb_sql \"SELECT count(*) FROM campaigns WHERE id = $sid AND status IN ('sending','done')\") -eq 1 ]" 15 "$BB_PID" ||
	fail "the scheduled campaign expanded"
capped=$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $sid AND reason = 'cap' AND state = 'suppressed'")
assert_num -gt "$capped" 0 "frequency cap recorded as suppressed"
assert_contains "$(bb log --status suppressed --limit 3)" "cap" "budbringer log shows the cap"

# --- cancel mid-campaign: nothing after the cancel point ---
bb_stop 5
sed -i 's/providers = ( { name = "spool"; type = "spool";/providers = ( { name = "spool"; type = "spool"; rate = 10;/' "$BB_CONF"
sed -i "s/frequency_cap = 3;/frequency_cap = 0;/" "$BB_CONF"
bb_start
o4=$(opp Spejderne "Oprydning")
wait_until "[ \$(bb_sql \"SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.opportunity_id = $o4 AND m.state = 'sent'\") -ge 20 ]" 30 "$BB_PID" ||
	fail "slow campaign started"
c4=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $o4")
bb campaign cancel "$c4" >/dev/null || fail "cancel"
at_cancel=$(grep -l '"campaign":'"$c4"',' "$BB_SPOOL_SMS"/*.json | wc -l)
sleep 3
after=$(grep -l '"campaign":'"$c4"',' "$BB_SPOOL_SMS"/*.json | wc -l)
assert_num -le "$((after - at_cancel))" 1 "after cancel at most the one message already in flight went out ($at_cancel then $after)"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $c4 AND state IN ('queued','sending')")" "nothing of the cancelled campaign is left to send"
assert_eq "cancelled" "$(bb_sql "SELECT status FROM campaigns WHERE id = $c4")" "campaign is cancelled"
assert_num -gt "$(bb_sql "SELECT count(*) FROM messages WHERE campaign_id = $c4 AND state = 'cancelled'")" 100 "its queued messages became cancelled"
bb_stop 5
done_testing
