/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_DIALECT_H
#define BUDBRINGER_DB_DIALECT_H

/*
 * Private to src/db*.c: the few places where SQLite's SQL and
 * PostgreSQL's differ, as fragments with one name and two spellings.
 * A statement that needs one is written once as a macro of the dialect D
 * and becomes a struct db_sql with DB_DIALECTS():
 *
 *   #define GET(D) "SELECT " D##STRING_AGG "(interest, ',') FROM …"
 *   static const struct db_sql get = DB_DIALECTS(GET);
 *   st = db_prepare_dialect(db, &get);
 *
 * Everything else is written in the SQL both engines share (ON CONFLICT,
 * RETURNING, CTEs, CASE, coalesce, CAST where PostgreSQL cannot infer a
 * parameter's type).
 */

#define DB_DIALECTS(STMT) { .sqlite = STMT(SQLITE_), .postgresql = STMT(PG_) }
/* One text for both, where a struct db_sql is expected. */
#define DB_BOTH(sql) { .sqlite = sql, .postgresql = sql }

/* The claim columns of a state change (db_bind_change's ?10, ?11). */
#define DB_CLAIM_SET \
	" claimed_by = CASE WHEN ?1 = 'sending' THEN CAST(?10 AS BIGINT) END," \
	" claimed_until = CASE WHEN ?1 = 'sending' THEN CAST(?11 AS BIGINT) END"

/* The cost of a change into `sent` (db_bind_change's ?13: the price per
 * part in thousandths, NULL = not priced). */
#define DB_COST_SET \
	" cost_milli = CASE WHEN CAST(?13 AS BIGINT) IS NULL THEN cost_milli" \
	"  ELSE coalesce(segments, 1) * CAST(?13 AS BIGINT) END"

/* A string aggregate with a separator: name(expr, sep). */
#define SQLITE_STRING_AGG "group_concat"
#define PG_STRING_AGG "string_agg"

/* The elements of a JSON array of strings bound to p, as rows of text. */
#define SQLITE_JSON_VALUES(p) "SELECT value FROM json_each(" p ")"
#define PG_JSON_VALUES(p) "SELECT json_array_elements_text(CAST(" p " AS json))"

/* The elements of a JSON array bound to p as rows j(value), each a JSON
 * value: JSON_ID_AT(i) is element i of an array row as an integer. */
#define SQLITE_JSON_ROWS(p) "json_each(" p ") AS j"
#define PG_JSON_ROWS(p) "json_array_elements(CAST(" p " AS json)) AS j(value)"
#define SQLITE_JSON_ID_AT(i) "j.value ->> " i
#define PG_JSON_ID_AT(i) "CAST(j.value ->> " i " AS bigint)"
/*
 * Column col is one of the integers of the JSON array of numbers bound to
 * p (ID_IN), or one of the first elements of its array rows (ROW_ID_IN,
 * for JSON_ROWS). On PostgreSQL as `= ANY(ARRAY(…))`: a set the planner
 * sizes at ten, so it probes the primary key. Written as IN (subquery) or
 * as the join alone, the planner weighed a hash join over all the rows
 * in the state tested, with statistics that are stale in the middle of
 * a campaign, and read every queued row for each claim of sixteen.
 */
#define SQLITE_ID_IN(col, p) col " IN (SELECT value FROM json_each(" p "))"
#define PG_ID_IN(col, p) \
	col " = ANY(ARRAY(SELECT CAST(json_array_elements_text(CAST(" p " AS json)) AS bigint)))"
#define SQLITE_ROW_ID_IN(col, p) "1"
#define PG_ROW_ID_IN(col, p) \
	col " = ANY(ARRAY(SELECT CAST(json_array_elements(CAST(" p " AS json)) ->> 0 AS bigint)))"

/* True when text a contains text b (no LIKE wildcards in b). */
#define SQLITE_CONTAINS(a, b) "instr(" a ", " b ") > 0"
#define PG_CONTAINS(a, b) "strpos(" a ", " b ") > 0"

/* The domain of an email address a, lower case ("" when it has no @). */
#define SQLITE_EMAIL_DOMAIN(a) "lower(substr(" a ", instr(" a ", '@') + 1))"
#define PG_EMAIL_DOMAIN(a) "lower(substr(" a ", strpos(" a ", '@') + 1))"

/* The local calendar day (YYYY-MM-DD) and year of unix time t. */
#define SQLITE_LOCAL_DAY(t) "date(" t ", 'unixepoch', 'localtime')"
#define PG_LOCAL_DAY(t) "to_char(to_timestamp(" t "), 'YYYY-MM-DD')"
#define SQLITE_LOCAL_YEAR(t) "CAST(strftime('%Y', " t ", 'unixepoch', 'localtime') AS INTEGER)"
#define PG_LOCAL_YEAR(t) "CAST(extract(year FROM to_timestamp(" t ")) AS bigint)"

/* After a SELECT: lock the rows of table alias t that are returned,
 * passing over those another transaction holds (a job queue's claim).
 * SQLite has one writer at a time: nothing to skip. */
#define SQLITE_SKIP_LOCKED(t) ""
#define PG_SKIP_LOCKED(t) " FOR UPDATE OF " t " SKIP LOCKED"

/* 32 random hex digits: an id that is unique and tells nothing (a
 * callback event's). */
#define SQLITE_RANDOM_HEX "lower(hex(randomblob(16)))"
#define PG_RANDOM_HEX "replace(CAST(gen_random_uuid() AS text), '-', '')"

/* The current unix time in seconds. */
#define SQLITE_NOW "CAST(strftime('%s', 'now') AS INTEGER)"
#define PG_NOW "CAST(extract(epoch FROM now()) AS bigint)"

/* A join SQLite must do in the written order (its CROSS JOIN);
 * PostgreSQL's planner chooses. */
#define SQLITE_ORDERED_JOIN "CROSS JOIN"
#define PG_ORDERED_JOIN "JOIN"

/*
 * Column col in a test the planner must not serve from an index: the
 * outbox names its rows by id, and a state test answered by the partial
 * index messages_due (WHERE state = 'queued') would read every queued
 * row of the campaign for each claim. SQLite's way is `+col`; on
 * PostgreSQL an expression (`col || ''`) no index or partial-index
 * predicate matches.
 */
#define SQLITE_UNINDEXED(col) "+" col
#define PG_UNINDEXED(col) "(" col " || '')"

/* The age band of report_age_band() (db_report.h) in SQL, for year Y and
 * birth year B: the report and the campaign page count alike. */
#define DB_AGE_BAND(Y, B) \
	"CASE WHEN " B " IS NULL OR " B " <= 0 THEN 'unknown' WHEN (" Y ") - " B " <= 14 THEN" \
	" 'under15' WHEN (" Y ") - " B " <= 25 THEN '15-25' ELSE '26+' END"

#endif
