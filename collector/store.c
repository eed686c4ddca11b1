/* store.c - writes samples to PostgreSQL with COPY, one transaction per
 * batch, and keeps the devices table in step with the configuration. The
 * only libpq user in ventod; only the writer thread calls it. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "xmalloc.h"

#define STORE_DAY_MS (86400LL * 1000)

struct store {
	const struct config *cfg;
	PGconn *conn;
	short *device_id;    /* per configured device: its id in the database */
	int **column_signal; /* per profile, per column: signal index or -1 */
	char *copy_sql;
	int64_t part_lo, part_hi; /* days (UTC) that have partitions */
	char error[512];
	char *buf; /* COPY data of one batch */
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	/* libpq messages end in a newline, some span lines: keep one line. */
	while ((nl = strchr(s->error, '\n')) != NULL)
		*nl = nl[1] ? ' ' : '\0';
}

static int
store_profile_index(const struct config *c, const struct profile *p)
{
	for (int i = 0; i < c->nprofiles; i++)
		if (c->profiles[i] == p)
			return i;
	return -1;
}

struct store *
store_open(const struct config *c)
{
	struct store *s = xcalloc(1, sizeof(*s));
	size_t len = 64;

	s->cfg = c;
	s->device_id = xcalloc((size_t)c->ndevices, sizeof(short));
	s->column_signal = xcalloc((size_t)c->nprofiles, sizeof(int *));
	for (int p = 0; p < c->nprofiles; p++) {
		const struct profile *pr = c->profiles[p];

		s->column_signal[p] = xcalloc((size_t)c->ncolumns, sizeof(int));
		for (int col = 0; col < c->ncolumns; col++)
			s->column_signal[p][col] = -1;
		for (int i = 0; i < pr->nsignals; i++)
			s->column_signal[p][pr->signals[i].column] = i;
	}
	for (int col = 0; col < c->ncolumns; col++)
		len += strlen(c->columns[col]) + 2;
	s->copy_sql = xmalloc(len);
	strcpy(s->copy_sql, "COPY raw_sample (time, device_id, quality");
	for (int col = 0; col < c->ncolumns; col++) {
		strcat(s->copy_sql, ", ");
		strcat(s->copy_sql, c->columns[col]);
	}
	strcat(s->copy_sql, ") FROM STDIN");
	return s;
}

void
store_disconnect(struct store *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	s->part_lo = s->part_hi = 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_disconnect(s);
	for (int p = 0; p < s->cfg->nprofiles; p++)
		free(s->column_signal[p]);
	free(s->column_signal);
	free(s->device_id);
	free(s->copy_sql);
	free(s->buf);
	free(s);
}

int
store_is_up(const struct store *s)
{
	return s->conn != NULL;
}

const char *
store_error(const struct store *s)
{
	return s->error;
}

/* Runs a query expecting tuples or a command result; NULL on error. */
static PGresult *
store_query(struct store *s, const char *sql, int nparams,
	    const char *const *params)
{
	PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, params, NULL,
				   NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	store_set_error(s, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return NULL;
}

static int
store_check_schema(struct store *s)
{
	PGresult *r = store_query(
		s, "SELECT coalesce(max(version), 0) FROM vento_migration", 0,
		NULL);
	int version;

	if (r == NULL) {
		store_set_error(s, "no vento schema in this database (%s); "
				   "run ventoctl migrate",
				s->error);
		return -1;
	}
	version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (version > STORE_SCHEMA_VERSION) {
		store_set_error(s,
				"the database schema is version %d, newer "
				"than this ventod (%d): upgrade vento",
				version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version < STORE_SCHEMA_VERSION) {
		store_set_error(s,
				"the database schema is version %d, this "
				"ventod needs %d: run ventoctl migrate",
				version, STORE_SCHEMA_VERSION);
		return -1;
	}
	r = store_query(s,
			"SELECT attname FROM pg_attribute WHERE attrelid = "
			"'raw_sample'::regclass AND attnum > 0 AND NOT "
			"attisdropped",
			0, NULL);
	if (r == NULL)
		return -1;
	for (int col = 0; col < s->cfg->ncolumns; col++) {
		int found = 0;

		for (int i = 0; i < PQntuples(r) && !found; i++)
			found = strcmp(PQgetvalue(r, i, 0),
				       s->cfg->columns[col]) == 0;
		if (!found) {
			store_set_error(s,
					"signal '%s' has no column in "
					"raw_sample: add it with a migration",
					s->cfg->columns[col]);
			PQclear(r);
			return -1;
		}
	}
	PQclear(r);
	return 0;
}

static int
store_register_devices(struct store *s)
{
	static const char *const kinds[] = { "turbine", "meter" };

	for (int i = 0; i < s->cfg->ndevices; i++) {
		const struct device *d = &s->cfg->devices[i];
		const char *params[3] = { d->name, kinds[d->kind],
					  d->profile->name };
		PGresult *r = store_query(
			s, "SELECT vento_register_device($1, $2, $3)", 3,
			params);

		if (r == NULL)
			return -1;
		s->device_id[i] = (short)atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return 0;
}

int
store_connect(struct store *s)
{
	char *conninfo;

	store_disconnect(s);
	/* Keys later in a connection string win: the configuration may
	 * still set its own timeout. */
	conninfo = xmalloc(strlen(s->cfg->conninfo) + 64);
	sprintf(conninfo, "connect_timeout=10 application_name=ventod %s",
		s->cfg->conninfo);
	s->conn = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		store_set_error(s, "%s", PQerrorMessage(s->conn));
		store_disconnect(s);
		return -1;
	}
	if (store_check_schema(s) == -1 || store_register_devices(s) == -1) {
		store_disconnect(s);
		return -1;
	}
	return 0;
}

/* Makes sure the days from lo to hi (ms) have partitions. */
static int
store_ensure_partitions(struct store *s, int64_t lo_ms, int64_t hi_ms)
{
	int64_t lo = lo_ms / STORE_DAY_MS, hi = hi_ms / STORE_DAY_MS;
	char from[32], to[32];
	const char *params[2] = { from, to };
	PGresult *r;

	if (s->part_hi != 0 && lo >= s->part_lo && hi <= s->part_hi)
		return 0;
	/* Create a day ahead, so that midnight never waits on DDL. */
	snprintf(from, sizeof(from), "%" PRId64, lo * 86400);
	snprintf(to, sizeof(to), "%" PRId64, (hi + 1) * 86400);
	r = store_query(s,
			"SELECT vento_ensure_partitions(to_timestamp($1), "
			"to_timestamp($2))",
			2, params);
	if (r == NULL)
		return -1;
	PQclear(r);
	if (s->part_hi == 0 || lo < s->part_lo)
		s->part_lo = lo;
	if (hi + 1 > s->part_hi)
		s->part_hi = hi + 1;
	return 0;
}

static void
store_append(struct store *s, const char *text, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = xreallocarray(s->buf, s->cap, 1);
	}
	memcpy(s->buf + s->len, text, n);
	s->len += n;
}

/* Formats one sample as a COPY text row. */
static void
store_format_row(struct store *s, const struct sample *smp)
{
	const struct config *c = s->cfg;
	const struct device *d = &c->devices[smp->device];
	const int *map = s->column_signal[store_profile_index(c, d->profile)];
	char field[64];
	struct tm tm;
	time_t secs = (time_t)(smp->tick_ms / 1000);
	int n;

	gmtime_r(&secs, &tm);
	n = (int)strftime(field, sizeof(field), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(field + n, sizeof(field) - (size_t)n, ".%03d+00\t%d\t%d",
		      (int)(smp->tick_ms % 1000), s->device_id[smp->device],
		      smp->quality);
	store_append(s, field, (size_t)n);
	for (int col = 0; col < c->ncolumns; col++) {
		int i = map[col];
		const struct sample_value *v = i >= 0 ? &smp->values[i] : NULL;

		if (v == NULL || !v->valid)
			n = snprintf(field, sizeof(field), "\t\\N");
		else if (profile_signal_is_integer(&d->profile->signals[i]))
			n = snprintf(field, sizeof(field), "\t%" PRId64, v->iv);
		else
			/* 17 digits carry a double exactly; PostgreSQL then
			 * rounds to the column's type. */
			n = snprintf(field, sizeof(field), "\t%.17g", v->fv);
		store_append(s, field, (size_t)n);
	}
	store_append(s, "\n", 1);
}

static int
store_exec(struct store *s, const char *sql)
{
	PGresult *r = store_query(s, sql, 0, NULL);

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

long
store_write(struct store *s, const struct sample *list)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	long rows = 0;
	PGresult *r;

	if (s->conn == NULL) {
		store_set_error(s, "not connected");
		return -1;
	}
	s->len = 0;
	for (const struct sample *p = list; p; p = p->next) {
		if (p->tick_ms < lo)
			lo = p->tick_ms;
		if (p->tick_ms > hi)
			hi = p->tick_ms;
		store_format_row(s, p);
		rows++;
	}
	if (rows == 0)
		return 0;
	if (store_ensure_partitions(s, lo, hi) == -1 ||
	    store_exec(s, "BEGIN") == -1)
		return -1;
	r = PQexec(s->conn, s->copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		store_set_error(s, "%s", PQresultErrorMessage(r));
		PQclear(r);
		goto rollback;
	}
	PQclear(r);
	if (PQputCopyData(s->conn, s->buf, (int)s->len) != 1 ||
	    PQputCopyEnd(s->conn, NULL) != 1) {
		store_set_error(s, "%s", PQerrorMessage(s->conn));
		goto rollback;
	}
	while ((r = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			store_set_error(s, "%s", PQresultErrorMessage(r));
			PQclear(r);
			while ((r = PQgetResult(s->conn)) != NULL)
				PQclear(r);
			goto rollback;
		}
		PQclear(r);
	}
	if (store_exec(s, "COMMIT") == -1)
		return -1;
	return rows;

rollback:
	r = PQexec(s->conn, "ROLLBACK");
	PQclear(r);
	return -1;
}
