#!/bin/bash
# SPDX-License-Identifier: MIT
# The delivery log at scale (issue 7): 5,000,000 messages with 10,000,000
# events (200 campaigns of 20,000 messages, then one of 1,000,000 — the
# newest; 1% failed, a fifth email). No ANALYZE, as in production. Times the first screen
# of `budbringer log` — the whole command: start, config, database open,
# query, print — for the common filters, against the baseline of the
# original single generic statement without the staff indexes, run by the
# sqlite3 shell on a copy of the database that lacks them. Goal: < 200 ms.
# The generated database is kept in build/bench/ between runs.
. "$(dirname "$0")/../tests/lib/common.sh"
. "$(dirname "$0")/../tests/lib/budbringerd.sh"

N=${BENCH_MESSAGES:-5000000}
CACHE=$BB_TOP_DIR/build/bench/log-$N-v2.db
bb_config
if [ -f "$CACHE" ] && [ "$(sqlite3 "$CACHE" 'PRAGMA user_version')" = "$(bb init >/dev/null; sqlite3 "$BB_DB" 'PRAGMA user_version')" ]; then
	cp "$CACHE" "$BB_DB"
else
	rm -f "$BB_DB"*
	bb init >/dev/null || die "init"
	note "generating $N messages and $((2 * N)) events (kept in $CACHE)"
	t0=$(date +%s)
	sqlite3 "$BB_DB" <<SQL || die "generation failed"
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;
BEGIN;
INSERT INTO associations(id, name, created_at) VALUES (1, 'Bench', 'x');
INSERT INTO opportunities(id, association_id, status, updated_at) VALUES (1, 1, 'published', 'x');
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 201)
INSERT INTO campaigns(id, kind, opportunity_id, association_id, status, channels, send_at,
  valid_until, created_by, created_at, updated_at)
SELECT i, 'staff', 1, 1, 'done', 'sms,email', 1790000000, 1790000000, 'bench', 1790000000, 1790000000 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO messages(id, campaign_id, subscriber_id, kind, channel, recipient, lang, body, state,
  reason, provider, provider_msgid, coding, segments, not_before, created_at, updated_at)
SELECT i, CASE WHEN i > $N * 4 / 5 THEN 201 ELSE 1 + (i - 1) * 200 / ($N * 4 / 5) END, i, 'campaign', CASE WHEN i % 5 = 0 THEN 'email' ELSE 'sms' END,
  CASE WHEN i % 5 = 0 THEN 'p' || i || '@example.dk' ELSE printf('+452%07d', i % 10000000) END,
  'da', 'Hej, vi mangler hjælpere', CASE WHEN i % 100 = 0 THEN 'failed' WHEN i % 3 = 0 THEN 'sent'
  ELSE 'delivered' END, CASE WHEN i % 100 = 0 THEN 'absent subscriber' END,
  CASE WHEN i % 5 = 0 THEN 'smtp' ELSE 'kannel' END, 'gw' || i, 'gsm7', 1,
  1790000000 + i / 4, 1790000000 + i / 4, 1790000000 + i / 4 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2 * $N)
INSERT INTO message_events(id, message_id, at, state, provider, provider_msgid, detail)
SELECT i, (i + 1) / 2, 1790000000 + (i + 1) / 8, CASE WHEN i % 2 = 1 THEN 'queued'
  WHEN ((i + 1) / 2) % 100 = 0 THEN 'failed' WHEN ((i + 1) / 2) % 3 = 0 THEN 'sent' ELSE 'delivered' END,
  CASE WHEN i % 2 = 0 THEN 'kannel' END, NULL,
  CASE WHEN i % 2 = 0 AND ((i + 1) / 2) % 100 = 0 THEN 'absent subscriber' END FROM c;
COMMIT;

SQL
	note "generated in $(($(date +%s) - t0))s"
	mkdir -p "$(dirname "$CACHE")"
	cp "$BB_DB" "$CACHE"
fi
# Recent events are "now": the newest is a few seconds old.
last_at=$(sqlite3 "$BB_DB" 'SELECT max(at) FROM message_events')
now=$(date +%s)

# The baseline: the same database without the staff indexes, queried with
# the statement `log` used before (one generic statement for all filters).
cp "$BB_DB" "$TEST_TMPDIR/baseline.db"
sqlite3 "$TEST_TMPDIR/baseline.db" "DROP INDEX message_events_state; DROP INDEX message_events_at;"
generic() { # campaign subscriber state channel provider since
	printf "SELECT * FROM (SELECT e.id, e.message_id, m.campaign_id, m.subscriber_id, e.at, m.channel, m.recipient, e.state, coalesce(e.provider, m.provider), coalesce(e.provider_msgid, m.provider_msgid), e.detail, m.lang FROM message_events e JOIN messages m ON m.id = e.message_id WHERE (%s = 0 OR m.campaign_id = %s) AND (%s = 0 OR m.subscriber_id = %s) AND (%s IS NULL OR e.state = %s) AND (%s IS NULL OR m.channel = %s) AND (%s IS NULL OR coalesce(e.provider, m.provider) = %s) AND e.at >= %s AND e.id > 0 ORDER BY e.id DESC LIMIT 50) ORDER BY 1;" \
		"$1" "$1" "$2" "$2" "$3" "$3" "$4" "$4" "$5" "$5" "$6"
}
ms() { # best of 3 wall-clock milliseconds of a command
	local best=999999 t0 t1 i
	for i in 1 2 3; do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
		[ $(( (t1 - t0) / 1000000 )) -lt $best ] && best=$(( (t1 - t0) / 1000000 ))
	done
	echo "$best"
}
run_case() { # figure, log args, generic args
	local figure=$1 ours base
	ours=$(ms "$BB_BIN/budbringer" -c "$BB_CONF" log $2)
	base=$(ms sqlite3 "$TEST_TMPDIR/baseline.db" "$(generic $3)")
	lines=$("$BB_BIN/budbringer" -c "$BB_CONF" log $2 | wc -l)
	note "$figure: ${ours} ms ($lines lines), baseline ${base} ms"
	printf 'RESULT\t%s\t%s\tms\t%s\t%s\t%s\t%s\t-\n' "$figure" "$ours" \
		"generic statement, no staff indexes (sqlite3 shell)" "$base" \
		"$(awk "BEGIN { printf \"%.2f\", $ours / ($base > 0 ? $base : 1) }")" "< 200 ms at 5M messages"
}
since_rel=$(( (now - last_at) / 60 + 60 ))m   # the last hour of generated traffic
since_abs=$((last_at - 3600))
run_case "log first screen, no filter ($N messages)" "" "0 0 NULL NULL NULL 0"
run_case "log --campaign (20,000 messages)" "--campaign 117" "117 0 NULL NULL NULL 0"
run_case "log --campaign (1,000,000 messages)" "--campaign 201" "201 0 NULL NULL NULL 0"
run_case "log --status failed" "--status failed" "0 0 'failed' NULL NULL 0"
run_case "log --subscriber" "--subscriber 4242424" "0 4242424 NULL NULL NULL 0"
run_case "log --channel email --status sent" "--channel email --status sent" "0 0 'sent' 'email' NULL 0"
run_case "log --since (last hour)" "--since $since_rel" "0 0 NULL NULL NULL $since_abs"
run_case "log --campaign --status failed" "--campaign 3 --status failed" "3 0 'failed' NULL NULL 0"
run_case "log --since (nothing matches)" "--since 1m" "0 0 NULL NULL NULL $now"
done_testing
