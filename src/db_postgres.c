/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL engine (libpq), for several daemons on one database, and
 * the only file that includes libpq-fe.h.
 *
 * Statements are written with ? and ?N as for SQLite; they become $N here
 * and are prepared once per connection, lazily at their first step, so a
 * connection that libpq had to re-establish (the server restarted)
 * prepares them again instead of failing for good. Parameters travel as
 * text with their types left to the server, which infers them from the
 * statement; where it cannot (`? IS NULL` alone), the SQL says CAST.
 *
 * The outermost transaction takes one advisory lock, the same rule as
 * SQLite's BEGIN IMMEDIATE: write transactions of every daemon and thread
 * run one at a time, so a read-then-write inside one is as safe on
 * PostgreSQL as it is on SQLite. Statements outside transactions, reads
 * among them, run side by side.
 */
#include "db_engine.h"
#include "budbringer/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "budb" in ASCII: the key of the service's write lock. */
#define PG_WRITE_LOCK "1651860578"

/* Type oids of pg_type.dat (stable across versions). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

struct pg_conn {
	PGconn *c;
	unsigned generation;  /* grows when libpq re-established the connection */
	unsigned next_name;
	int changes;
	char err[512];
};

struct pg_stmt {
	struct db_stmt base;
	char *sql;            /* with $N parameters */
	char name[16];        /* "" for a statement run once */
	Oid *types;           /* text for a number the SQL skips, else inferred */
	unsigned prepared_in; /* the generation it was prepared in; 0 = not yet */
	int n_params;
	char **values;
	PGresult *res;
	int row, n_rows;
};

#define PG(db) ((struct pg_conn *)(db)->conn)
#define PS(s) ((struct pg_stmt *)(s))

static void set_err(struct pg_conn *pc, const char *msg)
{
	size_t n;

	(void)bsnprintf(pc->err, sizeof(pc->err), "%s", msg && *msg ? msg : "unknown error");
	n = strlen(pc->err);
	while (n && (pc->err[n - 1] == '\n' || pc->err[n - 1] == ' '))
		pc->err[--n] = '\0';
}

/* Server notices (an IF NOT EXISTS that found the table) are not news. */
static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("postgresql: %s", msg);
}

/*
 * The password from a file that only our user may read (like every other
 * secret of the configuration), first line only.
 */
static char *read_password(const char *path)
{
	char buf[1024];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		error("cannot open database password_file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		error("database password_file '%s' must not be readable by group or others"
		      " (chmod 600)", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		error("cannot read database password_file '%s': %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!*buf) {
		error("database password_file '%s' is empty", path);
		return NULL;
	}
	return xstrdup(buf);
}

int db_check_postgresql_uri(const char *uri, struct sbuf *why)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(uri, &msg);
	int ret = 0;

	if (!opts) {
		sbuf_addf(why, "is not a PostgreSQL URI libpq understands: %s",
			  msg ? msg : "out of memory");
		PQfreemem(msg);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val) {
			sbuf_addstr(why, "holds a password: it would be logged; put it in"
				    " database_password_file (or PGPASSFILE) instead");
			ret = -1;
		}
	PQconninfoFree(opts);
	return ret;
}

static int pg_exec(struct db *db, const char *script)
{
	struct pg_conn *pc = PG(db);
	PGresult *r = PQexec(pc->c, script);
	ExecStatusType s = PQresultStatus(r);
	int ret = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		set_err(pc, r ? PQresultErrorMessage(r) : PQerrorMessage(pc->c));
		ret = error("sql: %s", pc->err);
	}
	PQclear(r);
	return ret;
}

/*
 * What every session starts with: no notices, and the time zone the
 * process runs in (the daemon and the CLI set TZ to the configured one),
 * so local days and years come out as SQLite's 'localtime' gives them.
 */
static int session_setup(struct pg_conn *pc)
{
	const char *tz = getenv("TZ");
	char *lit = NULL;
	struct sbuf sql = SBUF_INIT;
	PGresult *r;
	int ret = 0;

	PQsetNoticeProcessor(pc->c, quiet_notice, NULL);
	sbuf_addstr(&sql, "SET client_min_messages = warning");
	if (tz && *tz && (lit = PQescapeLiteral(pc->c, *tz == ':' ? tz + 1 : tz,
						strlen(*tz == ':' ? tz + 1 : tz))))
		sbuf_addf(&sql, "; SET TIME ZONE %s", lit);
	else
		sbuf_addstr(&sql, "; SET TIME ZONE 'UTC'");
	r = PQexec(pc->c, sql.buf);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(pc, PQresultErrorMessage(r));
		ret = error("cannot set up the PostgreSQL session: %s", pc->err);
	}
	PQclear(r);
	PQfreemem(lit);
	sbuf_release(&sql);
	return ret;
}

static int pg_open(struct db *db, const char *uri, const struct db_options *opt)
{
	const char *keys[] = { "dbname", "fallback_application_name", "password", NULL };
	const char *vals[] = { uri, "budbringer", NULL, NULL };
	struct pg_conn *pc = xcalloc(1, sizeof(*pc));
	char *password = NULL;

	db->conn = pc;
	if (opt->password_file && *opt->password_file) {
		if (!(password = read_password(opt->password_file)))
			return -1;
		vals[2] = password;
	} else {
		keys[2] = NULL;
	}
	pc->c = PQconnectdbParams(keys, vals, 1);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (!pc->c || PQstatus(pc->c) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		set_err(pc, pc->c ? PQerrorMessage(pc->c) : "out of memory");
		return error("cannot connect to PostgreSQL database '%s': %s",
			     pc->c ? PQdb(pc->c) : "?", pc->err);
	}
	pc->generation = 1;
	return session_setup(pc);
}

static void pg_close(struct db *db)
{
	struct pg_conn *pc = PG(db);

	if (pc->c)
		PQfinish(pc->c);
	free(pc);
	db->conn = NULL;
}

/* The protocol's limit (a 16-bit count); db copy's multi-row INSERTs
 * bind thousands. */
#define PG_MAX_PARAMS 65535

/*
 * ? and ?N become $N outside quotes; a bare ? takes the number after the
 * largest so far, as in SQLite. Returns the parameter count (-1 past
 * PG_MAX_PARAMS); used[N-1] says whether $N occurs.
 */
static int translate(const char *sql, struct sbuf *out, bool *used)
{
	int max = 0;

	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			const char *q = strchr(p + 1, *p);
			size_t n = q ? (size_t)(q - p) + 1 : strlen(p);

			sbuf_add(out, p, n);
			p += n;
		} else if (*p == '?') {
			int n = 0;

			for (p++; *p >= '0' && *p <= '9'; p++)
				n = n * 10 + (*p - '0');
			if (!n)
				n = max + 1;
			if (n > PG_MAX_PARAMS)
				return -1;
			if (n > max)
				max = n;
			used[n - 1] = true;
			sbuf_addf(out, "$%d", n);
		} else {
			sbuf_addch(out, *p++);
		}
	}
	return max;
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql, bool persistent)
{
	bool *used = xcalloc(PG_MAX_PARAMS, sizeof(*used));
	struct sbuf t = SBUF_INIT;
	int n = translate(sql, &t, used);
	struct pg_stmt *s;

	if (n < 0) {
		free(used);
		sbuf_release(&t);
		set_err(PG(db), "too many parameters");
		error("sql prepare: more than %d parameters", PG_MAX_PARAMS);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.db = db;
	s->n_params = n;
	s->sql = sbuf_detach(&t, NULL);
	if (n) {
		s->values = xcalloc((size_t)n, sizeof(*s->values));
		s->types = xcalloc((size_t)n, sizeof(*s->types));
		for (int i = 0; i < n; i++)
			s->types[i] = used[i] ? 0 : OID_TEXT;
	}
	free(used);
	if (persistent)
		(void)bsnprintf(s->name, sizeof(s->name), "bb%u", ++PG(db)->next_name);
	return &s->base;
}

static void clear_values(struct pg_stmt *s)
{
	for (int i = 0; i < s->n_params; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
}

static void pg_reset(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);

	PQclear(s->res);
	s->res = NULL;
	s->row = s->n_rows = 0;
	clear_values(s);
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);

	/* Named (cached) statements live as long as the connection: no
	 * DEALLOCATE is needed; statements run once have no name. */
	pg_reset(st);
	free(s->values);
	free(s->types);
	free(s->sql);
	free(s);
}

/* When the server went away, one attempt to come back; the statement that
 * saw it fails either way (it may or may not have run). */
static void reconnect_if_lost(struct pg_conn *pc)
{
	if (PQstatus(pc->c) != CONNECTION_BAD)
		return;
	PQreset(pc->c);
	if (PQstatus(pc->c) == CONNECTION_OK) {
		pc->generation++;
		(void)session_setup(pc);
		log_warn("reconnected to PostgreSQL");
	}
}

static bool is_dml(const char *tag)
{
	return !strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) ||
	       !strncmp(tag, "DELETE", 6) || !strncmp(tag, "MERGE", 5);
}

static int failed(struct pg_stmt *s, PGresult *r)
{
	struct pg_conn *pc = PG(s->base.db);

	set_err(pc, r ? PQresultErrorMessage(r) : PQerrorMessage(pc->c));
	PQclear(r);
	reconnect_if_lost(pc);
	return DB_ERROR;
}

static int run(struct pg_stmt *s)
{
	struct pg_conn *pc = PG(s->base.db);
	const char *const *vals = (const char *const *)s->values;
	ExecStatusType status;
	PGresult *r;

	if (!*s->name) {
		r = PQexecParams(pc->c, s->sql, s->n_params, s->types, vals, NULL, NULL, 0);
	} else {
		if (s->prepared_in != pc->generation) {
			r = PQprepare(pc->c, s->name, s->sql, s->n_params, s->types);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				return failed(s, r);
			PQclear(r);
			s->prepared_in = pc->generation;
		}
		r = PQexecPrepared(pc->c, s->name, s->n_params, vals, NULL, NULL, 0);
	}
	status = PQresultStatus(r);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		return failed(s, r);
	if (is_dml(PQcmdStatus(r)))
		pc->changes = atoi(PQcmdTuples(r));
	s->res = r;
	s->n_rows = status == PGRES_TUPLES_OK ? PQntuples(r) : 0;
	s->row = -1;
	return DB_DONE;
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);

	if (!s->res && run(s) == DB_ERROR)
		return DB_ERROR;
	if (s->row + 1 >= s->n_rows) {
		s->row = s->n_rows;
		return DB_DONE;
	}
	s->row++;
	return DB_ROW;
}

static int pg_param_count(struct db_stmt *st)
{
	return PS(st)->n_params;
}

static int bind_str(struct db_stmt *st, int idx, char *v)
{
	struct pg_stmt *s = PS(st);

	if (idx < 1 || idx > s->n_params) {
		free(v);
		set_err(PG(st->db), "bind index out of range");
		return -1;
	}
	free(s->values[idx - 1]);
	s->values[idx - 1] = v;
	return 0;
}

static int pg_bind_int64(struct db_stmt *st, int idx, long long v)
{
	char buf[24];

	(void)bsnprintf(buf, sizeof(buf), "%lld", v);
	return bind_str(st, idx, xstrdup(buf));
}

static int pg_bind_double(struct db_stmt *st, int idx, double v)
{
	char buf[40];

	(void)bsnprintf(buf, sizeof(buf), "%.17g", v);
	return bind_str(st, idx, xstrdup(buf));
}

static int pg_bind_text(struct db_stmt *st, int idx, const char *v, size_t len)
{
	char *copy = xcalloc(1, len + 1);

	memcpy(copy, v, len);
	copy[len] = '\0';
	return bind_str(st, idx, copy);
}

static int pg_bind_null(struct db_stmt *st, int idx)
{
	return bind_str(st, idx, NULL);
}

static int pg_column_count(struct db_stmt *st)
{
	return PS(st)->res ? PQnfields(PS(st)->res) : 0;
}

static const char *pg_column_name(struct db_stmt *st, int col)
{
	return PS(st)->res ? PQfname(PS(st)->res, col) : NULL;
}

/* The current row's value, NULL for SQL NULL or no row. */
static const char *value(struct db_stmt *st, int col)
{
	struct pg_stmt *s = PS(st);

	if (!s->res || s->row < 0 || s->row >= s->n_rows || col < 0 || col >= PQnfields(s->res) ||
	    PQgetisnull(s->res, s->row, col))
		return NULL;
	if (PQftype(s->res, col) == OID_BOOL)
		return *PQgetvalue(s->res, s->row, col) == 't' ? "1" : "0";
	return PQgetvalue(s->res, s->row, col);
}

static enum db_type pg_column_type(struct db_stmt *st, int col)
{
	const char *v = value(st, col);

	if (!v)
		return DB_NULL;
	switch (PQftype(PS(st)->res, col)) {
	case OID_BOOL: case OID_INT8: case OID_INT2: case OID_INT4: case OID_OID:
		return DB_INTEGER;
	case OID_NUMERIC:
		/* sum() of integers is numeric: whole numbers stay integers. */
		return strpbrk(v, ".eE") ? DB_FLOAT : DB_INTEGER;
	case OID_FLOAT4: case OID_FLOAT8:
		return DB_FLOAT;
	default:
		return DB_TEXT;
	}
}

static long long pg_column_int64(struct db_stmt *st, int col)
{
	const char *v = value(st, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static double pg_column_double(struct db_stmt *st, int col)
{
	const char *v = value(st, col);

	return v ? strtod(v, NULL) : 0.0;
}

static const char *pg_column_text(struct db_stmt *st, int col)
{
	return value(st, col);
}

static const char *pg_errmsg(struct db *db)
{
	return PG(db)->err;
}

static int pg_changes(struct db *db)
{
	return PG(db)->changes;
}

static bool pg_in_transaction(const struct db *db)
{
	return PQtransactionStatus(((const struct pg_conn *)db->conn)->c) != PQTRANS_IDLE;
}

static int pg_begin(struct db *db)
{
	return pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")");
}

static int pg_begin_claim(struct db *db)
{
	return pg_exec(db, "BEGIN");
}

static int pg_schema_version(struct db *db)
{
	static const char exists[] = "SELECT to_regclass('budbringer_schema') IS NOT NULL";
	static const char get[] = "SELECT version FROM budbringer_schema";
	struct db_stmt *st = db_prepare(db, exists);
	int rc, v = -1;

	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW && !db_column_int(st, 0))
		v = 0;
	db_reset(st);
	if (rc != DB_ROW) {
		error("sql: %s", db_errmsg(db));
		return -1;
	}
	if (v == 0)
		return 0;
	if (!(st = db_prepare(db, get)))
		return -1;
	if (db_step(st) == DB_ROW)
		v = db_column_int(st, 0);
	else
		error("database has a budbringer_schema table without a version");
	db_reset(st);
	return v;
}

static int pg_set_schema_version(struct db *db, int v)
{
	char sql[160];

	if (bsnprintf(sql, sizeof(sql),
		      "CREATE TABLE IF NOT EXISTS budbringer_schema(version integer NOT NULL);"
		      " DELETE FROM budbringer_schema; INSERT INTO budbringer_schema VALUES (%d)",
		      v) < 0)
		return -1;
	return pg_exec(db, sql);
}

/* Several daemons share one PostgreSQL database: nothing to lock. */
static int pg_lock_daemon(struct db *db, struct sbuf *err)
{
	(void)db;
	(void)err;
	return 0;
}

/* Foreign keys stay on: PostgreSQL's migrations never rebuild tables. */
static int pg_nothing(struct db *db)
{
	(void)db;
	return 0;
}

static void pg_shrink(struct db *db)
{
	(void)db;
}

const struct db_engine db_engine_postgres = {
	.kind = DB_POSTGRESQL,
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.step = pg_step,
	.reset = pg_reset,
	.param_count = pg_param_count,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.column_type = pg_column_type,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.exec = pg_exec,
	.errmsg = pg_errmsg,
	.changes = pg_changes,
	.in_transaction = pg_in_transaction,
	.begin = pg_begin,
	.begin_claim = pg_begin_claim,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.migrate_begin = pg_nothing,
	.migrate_check = pg_nothing,
	.migrate_end = pg_nothing,
	.checkpoint = pg_nothing,
	.shrink = pg_shrink,
	.lock_daemon = pg_lock_daemon,
	.expand_connection = pg_nothing,
};
