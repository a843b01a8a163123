#!/bin/bash
# SPDX-License-Identifier: MIT
# Staff commands against the real daemon on the spool provider: CSV import
# from "Danish Excel" (BOM, semicolons, quoted fields, bad rows), the
# delivery log (masking, --unmasked in the audit log, every filter, --json,
# --follow), stats compared with SQL counts, the evaluation report (table,
# CSV, self-contained HTML), GDPR export and erase (then a STOP from the
# number is still honoured and the person is in no table), and the
# retention purge in the daemon's housekeeping.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/budbringerd.sh"

require_cmd sqlite3 curl
PY=$BB_PYTHON
BB_ROOT_EXTRA="retention_days = 30;"
bb_config
bb init >/dev/null || die "init"
year=$(date +%Y)
today=$(TZ=Europe/Copenhagen date +%F)

# ------------------------------------------------------------- import ---
csv=$TEST_TMPDIR/tilmeldinger.csv
{
	printf '\xef\xbb\xbfphone;email;lang;born;interests;consent_source;consent_at\r\n'
	printf '+45 20 30 40 01;;da;2008;sport|culture;"Papirblanket; Frivilligcenter";2026-11-01\r\n'
	printf '20304002;"sara@example.dk";ar;2010;;"Frivilligbørs ""Randers""";01-11-2026\r\n'
	printf '20304003;;da;2009;sport;;2026-11-01\r\n'
	printf '123;;da;2008;;form;2026-11-01\r\n'
	printf ';ole@example;da;;;form;2026-11-01\r\n'
	printf '20 30 40 01;;da;;;form;2026-11-01\r\n'
	printf '20304005;;xx;;;form;2026-11-01\r\n'
	printf '20304006;;da;%s;;form;2026-11-01\r\n' "$((year - 10))"
	printf '20304007;;da;;golf;form;2026-11-01\r\n'
	printf '20304008;;en;1990;"nature, events";form;2026-10-31T14:30\r\n'
	printf '20304009;;da;;;form;2099-01-01\r\n'
	printf '20304010;;DA;;;"stand at the library,\r\nsigned list";2026-11-02\r\n'
	printf '20304011;;da;;;form;notadate\r\n'
	printf '20304012;;da;;;"form"x;2026-11-01\r\n'
} > "$csv"
out=$(bb subscriber import "$csv" --dry-run)
assert_contains "$out" "would import 4 subscribers, rejected 10 rows" "dry run counts good and bad rows"
assert_eq 0 "$(bb_sql 'SELECT count(*) FROM subscribers')" "dry run imports nothing"
out=$(bb subscriber import "$csv")
for want in "tilmeldinger.csv:4: rejected: no consent evidence" \
	"tilmeldinger.csv:5: rejected: phone '123'" \
	"tilmeldinger.csv:6: rejected: email 'ole@example' is not an email address" \
	"tilmeldinger.csv:7: rejected: same phone or email as line 2" \
	"tilmeldinger.csv:8: rejected: lang 'xx'" \
	"tilmeldinger.csv:9: rejected: born $((year - 10)): under the minimum age" \
	"tilmeldinger.csv:10: rejected: interest 'golf'" \
	"tilmeldinger.csv:12: rejected: consent_at '2099-01-01' is in the future" \
	"tilmeldinger.csv:15: rejected: consent_at 'notadate'" \
	"tilmeldinger.csv:16: rejected: text after a closing quote" \
	"imported 4 subscribers, rejected 10 rows"; do
	assert_contains "$out" "$want"
done
assert_eq 4 "$(bb_sql 'SELECT count(*) FROM subscribers')" "4 good rows imported"
assert_eq "Frivilligbørs \"Randers\"" "$(bb_sql "SELECT source FROM consent_log WHERE channel = 'email'")" \
	"quoted field with doubled quotes kept as consent source"
assert_eq "Papirblanket; Frivilligcenter" "$(bb_sql "SELECT sms_consent_source FROM subscribers WHERE phone = '+4520304001'")" \
	"a separator inside quotes stays in the field"
assert_eq "culture
sport" "$(bb_sql "SELECT interest FROM subscriber_interests i JOIN subscribers s ON s.id = i.subscriber_id WHERE s.phone = '+4520304001' ORDER BY 1")" \
	"interests split on |"
assert_eq "events
nature" "$(bb_sql "SELECT interest FROM subscriber_interests i JOIN subscribers s ON s.id = i.subscriber_id WHERE s.phone = '+4520304008' ORDER BY 1")" \
	"quoted comma-separated interests"
assert_eq "$(TZ=Europe/Copenhagen date -d '2026-11-01 00:00' +%s)" \
	"$(bb_sql "SELECT sms_consent_at FROM subscribers WHERE phone = '+4520304002'")" \
	"Danish date 01-11-2026 is the consent time"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM subscribers s WHERE NOT EXISTS (SELECT 1 FROM consent_log c WHERE c.subscriber_id = s.id AND c.action = 'grant' AND c.evidence LIKE 'import of %')")" \
	"every imported subscriber has consent evidence in the consent log"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'subscriber.import' AND detail = 'imported=4 rejected=10'")" \
	"the import is in the audit log"
printf 'phone;email\n20304020;\n' > "$TEST_TMPDIR/noconsent.csv"
bb subscriber import "$TEST_TMPDIR/noconsent.csv" >/dev/null 2>&1
assert_eq 2 "$?" "a file without consent columns is refused as a whole"

# ------------------------------------------------- a campaign to log ---
bb association add "Randers Roklub" >/dev/null
opp=$(bb --json opportunity add --association "Randers Roklub" --title "da=Hjælpere til kaproning" \
	--summary "da=Vi mangler hjælpere." --url https://example.dk/ro --publish |
	sed -n 's/.*"id": \([0-9]*\).*/\1/p')
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'sent'\")\" = 5 ]" 30 "$BB_PID" ||
	die "automatic campaign sent (4 SMS, 1 email)"
camp=$(bb_sql "SELECT id FROM campaigns WHERE opportunity_id = $opp")
first=$(bb_sql "SELECT min(id) FROM messages")
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$first&status=1"
wait_until "[ \"\$(bb_sql \"SELECT state FROM messages WHERE id = $first\")\" = delivered ]" 10 || fail "DLR delivered"

# ---------------------------------------------------------------- log ---
log=$(bb log)
assert_contains "$log" "+45 20 •• •• 01" "log masks phone numbers"
assert_contains "$log" "s•••@example.dk" "log masks email addresses"
assert_not_contains "$log" "+4520304001" "log shows no full number"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'log.unmasked'")" "masked log is not audited"
log=$(bb log --unmasked --channel email)
assert_contains "$log" "sara@example.dk" "--unmasked shows the address"
assert_eq "1|--unmasked --channel email" "$(bb_sql "SELECT count(*), max(detail) FROM audit_log WHERE action = 'log.unmasked' AND actor = '$(id -un)'")" \
	"--unmasked is in the audit log with who and which filters"
n_events=$(bb_sql "SELECT count(*) FROM message_events")
assert_eq "$n_events" "$(bb log --json --limit 1000 | $PY -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["event"]))')" \
	"--json: one JSON object per line, one per event"
count() { bb log --json --limit 100000 "$@" | wc -l; }
assert_eq "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.campaign_id = $camp")" \
	"$(count --campaign "$camp")" "--campaign"
assert_eq "$(bb_sql "SELECT count(*) FROM message_events WHERE state = 'sent'")" "$(count --status sent)" "--status"
assert_eq "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.channel = 'email'")" \
	"$(count --channel email)" "--channel"
assert_eq "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE coalesce(e.provider, m.provider) = 'spool'")" \
	"$(count --provider spool)" "--provider"
sub=$(bb_sql "SELECT id FROM subscribers WHERE phone = '+4520304002'")
assert_eq "$(bb_sql "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.subscriber_id = $sub")" \
	"$(count --subscriber "$sub")" "--subscriber"
assert_eq "$n_events" "$(count --since 1h)" "--since 1h"
assert_eq "$n_events" "$(count --since "$today")" "--since DATE"
assert_eq 0 "$(count --since 2099-01-01)" "--since a future date"
assert_eq 1 "$(count --status delivered --channel sms --subscriber "$(bb_sql "SELECT subscriber_id FROM messages WHERE id = $first")")" \
	"filters combine"
assert_eq 3 "$(bb log --limit 3 | wc -l)" "--limit"
bb log --status nonsense >/dev/null 2>&1
assert_eq 2 "$?" "a bad --status is a usage error"
bb log --since yesterday >/dev/null 2>&1
assert_eq 2 "$?" "a bad --since is a usage error"
# --follow streams new events as they happen
spawn FOLLOW "$TEST_TMPDIR/follow.log" "$BB_BIN/budbringer" -c "$BB_CONF" log --follow --json --status delivered
wait_until "[ \$(wc -l < '$TEST_TMPDIR/follow.log') -ge 1 ]" 10 || fail "--follow prints the recent events first"
second=$(bb_sql "SELECT min(id) FROM messages WHERE id > $first AND channel = 'sms'")
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$second&status=1"
wait_until "grep -q '\"message\":$second,' '$TEST_TMPDIR/follow.log'" 10 &&
	pass "--follow streams new events" || fail "--follow shows a new event"
stop_pid "$FOLLOW"
assert_eq 2 "$(wc -l < "$TEST_TMPDIR/follow.log")" "--follow printed each event once"

# -------------------------------------------------------------- stats ---
curl -s -o /dev/null "$BB_URL/sms/dlr?secret=$BB_DLR_SECRET&id=$((second + 1))&status=2&answer=absent"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE state = 'failed'\")\" = 1 ]" 10 || fail "failure DLR"
bb --json stats > "$TEST_TMPDIR/stats.json" || fail "stats --json"
bb_sql_json "SELECT campaign_id, channel, lang, state, reason, segments FROM messages" > "$TEST_TMPDIR/rows.json"
check=$($PY - "$TEST_TMPDIR/stats.json" "$TEST_TMPDIR/rows.json" <<'PY'
import json, sys, collections
s = json.load(open(sys.argv[1])); rows = json.load(open(sys.argv[2]))
bad = []
def expect(what, got, want):
    if got != want: bad.append(f"{what}: stats {got} != sql {want}")
o = s["overall"]
expect("total", o["total"], len(rows))
for st in ["queued","sending","sent","delivered","failed","expired","unknown","suppressed","cancelled"]:
    expect(st, o[st], sum(1 for r in rows if r["state"] == st))
expect("segments", o["sms_segments"], sum(r["segments"] or 0 for r in rows if r["channel"] == "sms" and r["state"] in ("sending","sent","delivered","failed","unknown")))
expect("failed by reason", o.get("failed_by_reason"), dict(collections.Counter(r["reason"] or "unspecified" for r in rows if r["state"] == "failed")))
out = sum(o[k] for k in ("sent","delivered","failed","unknown"))
expect("delivery_rate", round(o["delivery_rate"], 6), round(o["delivered"] / out, 6))
for ch in ("sms", "email"):
    expect(ch, s["by_channel"][ch]["total"], sum(1 for r in rows if r["channel"] == ch))
for lang in {r["lang"] for r in rows}:
    expect(lang, s["by_lang"][lang]["total"], sum(1 for r in rows if r["lang"] == lang))
for cid, fig in s["campaigns"].items():
    expect("campaign " + cid, fig["total"], sum(1 for r in rows if (r["campaign_id"] or 0) == int(cid)))
print("; ".join(bad) or "ok")
PY
)
assert_eq ok "$check" "stats --json agrees with SQL counts (states, reasons, segments, rate, channel, language, campaign)"
table=$(bb stats)
assert_match "$table" "failed +absent=1|failed +.*absent" "stats table lists failures by reason"
assert_contains "$(bb stats --campaign "$camp")" "by channel" "stats --campaign"

# ------------------------------------------------------------- report ---
csvout=$(bb report --from "$year-01-01" --to "$today" --csv)
assert_contains "$csvout" "from,to,dimension,key,active_start,active_end,signups,optouts,sent,delivered,bounced,complaints,campaigns,delivery_rate,sms_cost_DKK" "report CSV header"
assert_contains "$csvout" "$year-01-01,$today,total,,0,4,4,0,5,2,0,0,0,0.4000" "report totals: 4 sign-ups, 5 sent, 2 delivered, no bounces or complaints"
assert_contains "$csvout" ",association,Randers Roklub,0,0,0,0,0,0,0,0,1," "campaigns per association"
assert_contains "$csvout" ",lang,ar,0,1,1,0,2," "report by language: Sara's SMS and email"
b1=$((year - 2008)); b2=$((year - 2010))
want_young=$(( (b1 >= 15 && b1 <= 25) + (b2 >= 15 && b2 <= 25) ))
assert_contains "$csvout" ",band,15-25,0,$want_young,$want_young," "report by age band"
bb report --from "$year-01-01" --to "$today" --html "$TEST_TMPDIR/report.html" >/dev/null || fail "report --html"
html=$(cat "$TEST_TMPDIR/report.html")
assert_contains "$html" "<svg" "HTML report has inline SVG charts"
assert_not_contains "$html" "src=" "HTML report loads nothing"
assert_not_contains "$html" "<link" "HTML report links nothing"
assert_contains "$(bb report --from "$year-01-01" --to "$today")" "age 15-25" "report table"
bb report --from "$today" --to "$year-01-01" >/dev/null 2>&1
assert_eq 2 "$?" "report --to before --from is a usage error"

# --------------------------------------------------------------- GDPR ---
curl -s -o /dev/null -G "$BB_URL/sms/inbound" --data-urlencode "secret=$BB_INBOUND_SECRET" \
	--data-urlencode "from=+4520304002" --data-urlencode "to=1919" --data-urlencode "text=SPORT" \
	--data-urlencode "id=mo-1"
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM inbound WHERE sender = '+4520304002'\")\" = 1 ]" 10 || fail "inbound recorded"
held=$(bb_sql "SELECT count(*) FROM messages WHERE subscriber_id = $sub OR recipient IN ('+4520304002', 'sara@example.dk')")
export_json=$(bb subscriber export --phone 20304002)
check=$(printf '%s' "$export_json" | HELD=$held $PY -c '
import json, os, sys
j = json.load(sys.stdin)
ok = j["profile"]["email"] == "sara@example.dk" and len(j["messages"]) == int(os.environ["HELD"]) and \
     any("Randers" in c["source"] for c in j["consent_log"]) and len(j["inbound"]) == 1 and \
     all("events" in m for m in j["messages"])
print("ok" if ok else json.dumps(j)[:400])')
assert_eq ok "$check" "export holds profile, consent log, messages with events, inbound texts"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'gdpr.export' AND subject = 'subscriber:$sub'")" \
	"export is in the audit log"
total_before=$(bb_sql "SELECT count(*) FROM messages")
out=$(bb subscriber erase --phone 20304002)
assert_contains "$out" "subscriber $sub erased" "erase"
dump=$(bb_db_dump)
assert_match "$dump" 'INSERT INTO (public\.)?erased_subscribers' "the database dump worked (so what it lacks counts)"
assert_not_contains "$dump" "sara@example.dk" "the email is in no table"
assert_not_contains "$dump" "4520304002" "the phone number is in no table"
assert_not_contains "$dump" "Frivilligbørs" "the consent evidence is gone"
assert_eq "$total_before" "$(bb_sql "SELECT count(*) FROM messages")" "messages stay as anonymous counts"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM erased_subscribers WHERE lang = 'ar'")" "an anonymous row keeps language and band"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM audit_log WHERE action = 'gdpr.erase' AND subject = 'subscriber:$sub'")" \
	"erase is in the audit log"
# A STOP from the erased number is still honoured.
code=$(curl -s -o /dev/null -w '%{http_code}' -G "$BB_URL/sms/inbound" --data-urlencode "secret=$BB_INBOUND_SECRET" \
	--data-urlencode "from=+4520304002" --data-urlencode "to=1919" --data-urlencode "text=STOP" --data-urlencode "id=mo-2")
assert_eq 200 "$code" "a STOP from the erased number is accepted"
wait_until "[ \"\$(bb_sql \"SELECT intent FROM inbound WHERE gateway_id = 'mo-2'\")\" = stop ]" 10 || fail "STOP understood"
assert_eq 1 "$(bb_sql "SELECT count(*) FROM suppressions WHERE address_sha256 = '$(bb_suppression_hash +4520304002)'
	AND channel = 'sms'")" "the number stays suppressed (keyed hash)"
bb subscriber add --phone 20304002 --consent "new form" >/dev/null 2>&1
assert_eq 1 "$?" "staff cannot re-add an erased number that said stop"
printf 'phone,consent_source,consent_at\n20304002,form,2026-11-01\n' > "$TEST_TMPDIR/again.csv"
assert_contains "$(bb subscriber import "$TEST_TMPDIR/again.csv")" "asked not to be contacted" \
	"nor import it"
bb subscriber erase 999999 >/dev/null 2>&1
assert_eq 1 "$?" "erasing an unknown subscriber fails"

# ---------------------------------------------------------- retention ---
assert_ne 0 "$(bb_sql "SELECT count(*) FROM messages WHERE body IS NOT NULL")" "bodies are kept while young"
total_before=$(bb_sql "SELECT count(*) FROM messages")
bb_stop
bb_sql "UPDATE messages SET created_at = created_at - 40 * 86400; UPDATE inbound SET received_at = received_at - 40 * 86400; DELETE FROM housekeeping"
bb_start
wait_until "[ \"\$(bb_sql \"SELECT count(*) FROM messages WHERE body IS NOT NULL OR subject IS NOT NULL\")\" = 0 ]" 15 "$BB_PID" ||
	fail "retention purge of message bodies"
assert_eq 0 "$(bb_sql "SELECT count(*) FROM inbound WHERE text IS NOT NULL")" "retention purge of inbound texts"
assert_eq "$total_before" "$(bb_sql "SELECT count(*) FROM messages")" "purged messages are still counted"
assert_cmd "grep -q 'housekeeping: retention purge' '$BB_LOG'" "the purge is logged"
bb_stop
done_testing
