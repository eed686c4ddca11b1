/* store.c - writes samples to PostgreSQL with COPY, one transaction per
 * batch, and keeps the devices table in step with the configuration. The
 * only libpq user in ventod; only the writer thread calls it. */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copybin.h"
#include "log.h"
#include "plugin.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_DAY_MS (86400LL * 1000)
/* Binary COPY's signature, flags and header extension length. */
#define STORE_COPY_HEADER 19

struct store_device {
	char name[DEVICE_NAME_MAX];
	short id;
	char isolated; /* its rows are left out (store_isolate) */
};

struct store {
	const struct config *cfg;
	PGconn *conn;
	struct store_device *devices; /* sorted by name, for bsearch */
	int ndevices;
	char spool_id[24];
	int64_t part_lo, part_hi; /* days (UTC) that have partitions */
	char error[512];
	int error_is_data;
	char refusal[512]; /* its message and hint, when it is 42501 */
	int retention_days; /* the database's, read at connect */
	/* raw_sample's columns and their types, read at connect */
	char (*colnames)[PROFILE_NAME_MAX];
	enum copybin_type *coltypes;
	int ncols;
	/* The plan for the records' column list: made once per connection
	 * (see store_plan); plan_ncolumns is -1 when there is none. */
	int plan_ncolumns;
	char (*plan_columns)[PROFILE_NAME_MAX];
	enum copybin_type *plan_types;
	/* Per column of the plan, 1 when raw_sample has no such column: it
	 * is left out of the COPY, and a row with a value in it isolates its
	 * device. plan_nfields counts the columns sent. */
	char *plan_skip;
	int plan_nfields;
	char *plan_copy_sql, *plan_insert_sql;
	struct copybin copy; /* COPY data of one transaction */
	char sqlstate[6];    /* of the last error, "" when none came */
	long duplicates;     /* rows the last store_write found stored */
	long isolated_rows;  /* rows of isolated devices it left out */
	int position_known;  /* the database has a row for this spool */
};

static void store_plan_free(struct store *s);

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

struct store *
store_open(const struct config *c)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->cfg = c;
	s->plan_ncolumns = -1;
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
	free(s->devices);
	free(s->colnames);
	free(s->coltypes);
	free(s->copy.buf);
	store_plan_free(s);
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

/* Only data exceptions (22) and integrity violations (23) are the data's
 * fault, so that sending it again cannot help. Everything else - the
 * connection, authentication, a privilege revoked (42501), a table
 * missing, resources, the server shutting down - is a cause outside the
 * data that can be mended: the rows wait in the spool and go again. */
static void
store_classify(struct store *s, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", state ? state : "");
	if (strcmp(s->sqlstate, "42501") == 0) {
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);

		snprintf(s->refusal, sizeof(s->refusal), "%s%s%s",
			 msg ? msg : "", hint ? " (" : "", hint ? hint : "");
		if (hint)
			strncat(s->refusal, ")",
				sizeof(s->refusal) - strlen(s->refusal) - 1);
	}
	s->error_is_data = PQstatus(s->conn) == CONNECTION_OK && state &&
			   (strncmp(state, "22", 2) == 0 ||
			    strncmp(state, "23", 2) == 0);
}

/* After a failed registration: whether the database refused it because
 * only the schema's owner may change what is registered (42501). Then the
 * writer carries on with what the database holds, and says so in the log:
 * samples must not wait for an operator to reconcile a setting. */
static int
store_refused(struct store *s)
{
	if (strcmp(s->sqlstate, "42501") != 0)
		return 0;
	log_warn("writer: the database refused: %s; keeping the database's",
		 s->refusal);
	return 1;
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
	store_classify(s, r);
	PQclear(r);
	return NULL;
}

/* Runs a statement whose result is not needed. Returns 0 or -1. */
static int
store_command(struct store *s, const char *sql, int nparams,
	      const char *const *params)
{
	PGresult *r = store_query(s, sql, nparams, params);

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Runs a query whose answer is one whole number, which it returns (not
 * negative), or -1 on error. */
static int
store_int(struct store *s, const char *sql, int nparams,
	  const char *const *params)
{
	PGresult *r = store_query(s, sql, nparams, params);
	int n;

	if (r == NULL)
		return -1;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
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
	/* A signal without its column isolates the devices that have it
	 * (store_register_devices), not the farm. */
	return 0;
}

static int
store_device_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_device *)a)->name,
		      ((const struct store_device *)b)->name);
}

/* Registers a device and keeps the name-to-id table sorted. p may be NULL
 * for a device no longer configured. Returns its id, or -1. */
static int
store_register(struct store *s, const char *name, const char *kind,
	       const struct profile *p)
{
	char wrap[32], rated[32];
	const char *params[5] = { name, kind, p ? p->name : "unknown", wrap,
				  rated };
	struct store_device *d;
	int id;

	snprintf(wrap, sizeof(wrap), "%.0f", p ? profile_counter_wrap_wh(p) : 0);
	snprintf(rated, sizeof(rated), "%g", p ? p->rated_kw : 0);
	/* A device no longer configured keeps what it was registered as. */
	id = store_int(s,
		       p ? "SELECT vento_register_device($1, $2, $3, $4::bigint, "
			   "$5::real)"
			 : "SELECT coalesce((SELECT id FROM device WHERE name = "
			   "$1), vento_register_device($1, $2, $3, $4::bigint, "
			   "$5::real))",
		       5, params);
	if (id == -1 && store_refused(s))
		id = store_int(s,
			       "SELECT coalesce((SELECT id FROM device WHERE "
			       "name = $1), -1)",
			       1, params);
	if (id == -1)
		return -1;
	s->devices = xreallocarray(s->devices, (size_t)s->ndevices + 1,
				   sizeof(*s->devices));
	d = &s->devices[s->ndevices++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->id = (short)id;
	d->isolated = 0;
	qsort(s->devices, (size_t)s->ndevices, sizeof(*s->devices),
	      store_device_cmp);
	return 0;
}

/* Registers one state of a profile in model_state. */
static int
store_register_state(struct store *s, const char *profile, int64_t code,
		     const char *name, enum vento_iec_category category)
{
	char code_text[24];
	const char *params[4] = {
		profile, code_text, name, profile_category_name(category),
	};

	snprintf(code_text, sizeof(code_text), "%" PRId64, code);
	if (store_command(s, "SELECT vento_register_state($1, $2, $3, $4)", 4,
			  params) == -1 &&
	    !store_refused(s))
		return -1;
	return 0;
}

/* Keeps model_state in step with the profiles' states, or their drivers'
 * where a profile declares none. */
static int
store_register_states(struct store *s)
{
	for (int p = 0; p < s->cfg->nprofiles; p++) {
		const struct profile *pr = s->cfg->profiles[p];

		for (int i = 0; i < pr->nstates; i++)
			if (store_register_state(s, pr->name,
						 pr->states[i].code,
						 pr->states[i].name,
						 pr->states[i].category) == -1)
				return -1;
		if (pr->nstates > 0 || pr->driver == NULL ||
		    pr->driver->states == NULL)
			continue;
		for (const struct vento_plugin_state *st = pr->driver->states;
		     st->name; st++)
			if (store_register_state(s, pr->name, st->code,
						 st->name, st->category) == -1)
				return -1;
	}
	return 0;
}

/* The projection of the configuration, for the budget. */
static int
store_set_projection(struct store *s)
{
	const struct projection *p = &s->cfg->projection;
	char kwh[32], shares[256];
	const char *params[3] = { kwh, shares, p->time_zone };
	int n;

	snprintf(kwh, sizeof(kwh), "%.0f", p->annual_gwh * 1e6);
	n = snprintf(shares, sizeof(shares), "{");
	for (int m = 0; m < 12; m++)
		n += snprintf(shares + n, sizeof(shares) - (size_t)n, "%s%g",
			      m ? "," : "", p->monthly_share[m]);
	snprintf(shares + n, sizeof(shares) - (size_t)n, "}");
	if (store_command(s,
			"SELECT vento_set_projection($1::float8, $2::float8[], "
			"$3)",
			3, params) == -1 &&
	    !store_refused(s))
		return -1;
	return 0;
}

/* The air densities of the configuration for the power curves: each
 * profile's reference curve's, and the site's mean where it is said. */
static int
store_set_air_densities(struct store *s)
{
	char rho[32];
	const char *params[2] = { NULL, rho };

	for (int p = 0; p <= s->cfg->nprofiles; p++) {
		double v = p < s->cfg->nprofiles
				   ? s->cfg->profiles[p]->curve_air_density
				   : s->cfg->site_air_density;

		if (v <= 0)
			continue;
		params[0] = p < s->cfg->nprofiles ? s->cfg->profiles[p]->name
						  : NULL;
		snprintf(rho, sizeof(rho), "%g", v);
		if (store_command(s,
				  "SELECT vento_set_air_density($1, $2::real)",
				  2, params) == -1 &&
		    !store_refused(s))
			return -1;
	}
	return 0;
}

/* The raw retention of the configuration, kept by the database, which
 * drops by it. A writer can lengthen it, not shorten it: then the
 * database's stays. */
static int
store_set_retention(struct store *s)
{
	char days[16];
	const char *params[1] = { days };

	snprintf(days, sizeof(days), "%d", s->cfg->retention_days);
	s->retention_days = store_int(s, "SELECT vento_set_retention($1::int)",
				      1, params);
	if (s->retention_days == -1 && store_refused(s))
		s->retention_days = store_int(
			s, "SELECT raw_retention_days FROM vento_setting", 0,
			NULL);
	return s->retention_days == -1 ? -1 : 0;
}

/*
 * Isolates a device whose rows the database cannot take - its
 * registration refused as data, or a signal of it without its column in
 * raw_sample - so that the others are stored: its rows are left out of
 * every write and counted (store_isolated), and the log says why, once a
 * connection. `ventod -n` refuses what it can see of this beforehand.
 */
static void
store_isolate(struct store *s, const char *name, const char *why)
{
	struct store_device *d = NULL;

	for (int i = 0; i < s->ndevices && d == NULL; i++)
		if (strcmp(s->devices[i].name, name) == 0)
			d = &s->devices[i];
	if (d && d->isolated)
		return;
	log_err("%s: its rows cannot be stored (%s): the device is isolated, "
		"its rows are counted as lost, the other devices are stored",
		name, why);
	if (d == NULL) {
		s->devices = xreallocarray(s->devices, (size_t)s->ndevices + 1,
					   sizeof(*s->devices));
		d = &s->devices[s->ndevices++];
		snprintf(d->name, sizeof(d->name), "%s", name);
	}
	d->id = -1;
	d->isolated = 1;
	qsort(s->devices, (size_t)s->ndevices, sizeof(*s->devices),
	      store_device_cmp);
}

/* The first signal of profile p that raw_sample has no column for, or
 * NULL. Needs the columns (store_load_columns). */
static const char *
store_missing_column(const struct store *s, const struct profile *p)
{
	for (int i = 0; p && i < p->nsignals; i++) {
		int found = 0;

		for (int c = 0; c < s->ncols && !found; c++)
			found = strcmp(s->colnames[c], p->signals[i].name) == 0;
		if (!found)
			return p->signals[i].name;
	}
	return NULL;
}

static int
store_register_devices(struct store *s)
{
	static const char *const kinds[] = { "turbine", "meter" };
	char why[sizeof(s->error) + 64];
	const char *missing;

	s->ndevices = 0;
	for (int i = 0; i < s->cfg->ndevices; i++) {
		const struct device *d = &s->cfg->devices[i];

		if ((missing = store_missing_column(s, d->profile)) != NULL) {
			snprintf(why, sizeof(why),
				 "signal '%s' has no column in raw_sample: add "
				 "it with a migration",
				 missing);
			store_isolate(s, d->name, why);
			continue;
		}
		if (store_register(s, d->name, kinds[d->kind], d->profile) ==
		    -1) {
			if (!s->error_is_data)
				return -1;
			snprintf(why, sizeof(why), "registration refused: %s",
				 s->error);
			store_isolate(s, d->name, why);
		}
	}
	return 0;
}

/* The database id of a device named in a record. A device no longer in
 * the configuration is registered as it comes, so that its spooled rows
 * are not lost. Returns -2 for an isolated device (its registration
 * refused as data, now or before), -1 on another error. */
static int
store_device_id(struct store *s, const char *name)
{
	struct store_device key = { .id = 0 }, *d;

	snprintf(key.name, sizeof(key.name), "%s", name);
	d = bsearch(&key, s->devices, (size_t)s->ndevices, sizeof(key),
		    store_device_cmp);
	if (d)
		return d->isolated ? -2 : d->id;
	if (store_register(s, name, "turbine", NULL) == -1) {
		char why[sizeof(s->error) + 32];

		if (!s->error_is_data)
			return -1;
		snprintf(why, sizeof(why), "registration refused: %s", s->error);
		s->error_is_data = 0;
		store_isolate(s, name, why);
		return -2;
	}
	return store_device_id(s, name);
}

static int
store_read_position(struct store *s, uint64_t *acked)
{
	const char *params[1] = { s->spool_id };
	PGresult *r = store_query(
		s, "SELECT acked FROM spool_position WHERE spool_id = $1", 1,
		params);

	if (r == NULL)
		return -1;
	*acked = PQntuples(r) ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	s->position_known = PQntuples(r) > 0;
	PQclear(r);
	return 0;
}

/* Reads raw_sample's columns and their types, for the binary COPY. */
static int
store_load_columns(struct store *s)
{
	PGresult *r = store_query(
		s,
		"SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
		"WHERE attrelid = 'raw_sample'::regclass AND attnum > 0 "
		"AND NOT attisdropped",
		0, NULL);

	if (r == NULL)
		return -1;
	s->ncols = PQntuples(r);
	s->colnames = xreallocarray(s->colnames, (size_t)s->ncols,
				    sizeof(*s->colnames));
	s->coltypes = xreallocarray(s->coltypes, (size_t)s->ncols,
				    sizeof(*s->coltypes));
	for (int i = 0; i < s->ncols; i++) {
		snprintf(s->colnames[i], sizeof(s->colnames[i]), "%s",
			 PQgetvalue(r, i, 0));
		s->coltypes[i] = copybin_type_named(PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return 0;
}

/* Whether raw_sample has a column of that name, of any type. */
static int
store_has_column(const struct store *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (strcmp(s->colnames[i], name) == 0)
			return 1;
	return 0;
}

static enum copybin_type
store_column_type(const struct store *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (strcmp(s->colnames[i], name) == 0)
			return s->coltypes[i];
	return COPYBIN_UNSUPPORTED;
}

int
store_connect(struct store *s, uint64_t spool_id, uint64_t *acked)
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
		const char *msg = PQerrorMessage(s->conn);

		/* TLS refusals name libpq's words, not what to look at. */
		store_set_error(s, "%s%s", msg,
				strstr(msg, "certificate verify failed") ||
						strstr(msg, "server certificate for")
					? " (the server's certificate is not "
					  "signed by sslrootcert's CA, or names "
					  "another host)"
					: "");
		store_disconnect(s);
		return -1;
	}
	snprintf(s->spool_id, sizeof(s->spool_id), "%016" PRIx64, spool_id);
	/* The types may have changed while we were away. */
	store_plan_free(s);
	if (store_check_schema(s) == -1 || store_load_columns(s) == -1 ||
	    store_register_devices(s) == -1 ||
	    store_register_states(s) == -1 || store_set_projection(s) == -1 ||
	    store_set_air_densities(s) == -1 ||
	    store_set_retention(s) == -1 ||
	    store_read_position(s, acked) == -1) {
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

	if (s->part_hi != 0 && lo >= s->part_lo && hi <= s->part_hi)
		return 0;
	/* Create a day ahead, so that midnight never waits on DDL. */
	snprintf(from, sizeof(from), "%" PRId64, lo * 86400);
	snprintf(to, sizeof(to), "%" PRId64, (hi + 1) * 86400);
	if (store_command(s,
			"SELECT vento_ensure_partitions(to_timestamp($1), "
			"to_timestamp($2))",
			2, params) == -1)
		return -1;
	if (s->part_hi == 0 || lo < s->part_lo)
		s->part_lo = lo;
	if (hi + 1 > s->part_hi)
		s->part_hi = hi + 1;
	return 0;
}

/* The plan for records of one column list, made once per connection (and
 * again only when a record names other columns, after a reload): each
 * column's type, then device_id's and quality's, and the COPY statement. */
static void
store_plan_free(struct store *s)
{
	free(s->plan_types);
	free(s->plan_skip);
	s->plan_skip = NULL;
	free(s->plan_columns);
	free(s->plan_copy_sql);
	free(s->plan_insert_sql);
	s->plan_types = NULL;
	s->plan_columns = NULL;
	s->plan_copy_sql = s->plan_insert_sql = NULL;
	s->plan_ncolumns = -1;
}

static int
store_columns_same(char (*a)[PROFILE_NAME_MAX], int na,
		   char (*b)[PROFILE_NAME_MAX], int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static int
store_plan_matches(const struct store *s, const struct record *rec)
{
	return s->plan_ncolumns >= 0 &&
	       store_columns_same(s->plan_columns, s->plan_ncolumns,
				  rec->columns, rec->ncolumns);
}

/* The types of a record's columns, then of device_id and quality. A
 * signal column missing is left out (skip[col] set: its devices are
 * isolated); device_id or quality missing is the data's fault. Returns
 * -1 then, else the number of signal columns missing. */
static int
store_plan_types(struct store *s, const struct record *rec,
		 enum copybin_type *types, char *skip)
{
	int missing = 0;

	for (int col = 0; col < rec->ncolumns + 2; col++) {
		const char *name = col < rec->ncolumns ? rec->columns[col]
			: col == rec->ncolumns ? "device_id" : "quality";

		types[col] = store_column_type(s, name);
		if (col < rec->ncolumns) {
			skip[col] = types[col] == COPYBIN_UNSUPPORTED &&
				    !store_has_column(s, name);
			missing += skip[col];
			if (skip[col])
				continue;
		}
		if (types[col] == COPYBIN_UNSUPPORTED) {
			store_set_error(s, "raw_sample has no column \"%s\" of a "
					"type ventod writes", name);
			s->error_is_data = 1;
			return -1;
		}
	}
	return missing;
}

/* Makes the plan for rec's columns unless it is the current one. A column
 * unknown to the types read at connect sends us to read them again
 * first: a migration may have added it since. */
static int
store_plan(struct store *s, const struct record *rec)
{
	enum copybin_type *types;
	char *skip;
	size_t n = 80;
	char *sql;
	int missing;

	if (store_plan_matches(s, rec))
		return 0;
	store_plan_free(s);
	types = xcalloc((size_t)rec->ncolumns + 2, sizeof(*types));
	skip = xcalloc((size_t)rec->ncolumns + 1, 1);
	missing = store_plan_types(s, rec, types, skip);
	if (missing != 0 && (store_load_columns(s) == -1 ||
			     (missing = store_plan_types(s, rec, types, skip)) == -1)) {
		free(types);
		free(skip);
		return -1;
	}
	s->plan_nfields = rec->ncolumns - missing;
	for (int col = 0; col < rec->ncolumns; col++)
		n += strlen(rec->columns[col]) + 4;
	sql = xmalloc(n);
	strcpy(sql, "raw_sample (time, device_id, quality");
	for (int col = 0; col < rec->ncolumns; col++) {
		if (skip[col])
			continue;
		/* Quoted: a column name comes from the spool, not from us. */
		strcat(sql, ", \"");
		strcat(sql, rec->columns[col]);
		strcat(sql, "\"");
	}
	strcat(sql, ")");
	s->plan_copy_sql = xmalloc(n + 64);
	snprintf(s->plan_copy_sql, n + 64,
		 "COPY %s FROM STDIN WITH (FORMAT binary)", sql);
	s->plan_insert_sql = xmalloc(n + 64);
	snprintf(s->plan_insert_sql, n + 64, "INSERT INTO %s VALUES ", sql);
	free(sql);
	s->plan_types = types;
	s->plan_skip = skip;
	s->plan_ncolumns = rec->ncolumns;
	s->plan_columns = xcalloc((size_t)rec->ncolumns + 1,
				  sizeof(*s->plan_columns));
	for (int col = 0; col < rec->ncolumns; col++)
		snprintf(s->plan_columns[col], sizeof(s->plan_columns[col]),
			 "%s", rec->columns[col]);
	return 0;
}

/* Adds one row of a record to the COPY data, in the plan's types. A value
 * its column cannot take is the data's fault, as PostgreSQL would say of
 * it as text. */
static int
store_copy_row(struct store *s, const struct record *rec,
	       const struct record_row *row)
{
	const enum copybin_type *types = s->plan_types;
	int id = store_device_id(s, row->device);

	if (id == -1)
		return -1;
	/* A value for a column raw_sample lacks: the device that sends
	 * it is isolated, as at connect. */
	for (int col = 0; col < rec->ncolumns && id >= 0; col++)
		if (s->plan_skip[col] && row->values[col].tag != RECORD_NULL) {
			char why[128];

			snprintf(why, sizeof(why),
				 "signal '%s' has no column in raw_sample: add "
				 "it with a migration",
				 rec->columns[col]);
			store_isolate(s, row->device, why);
			id = -2;
		}
	if (id == -2) {
		s->isolated_rows++;
		return 0;
	}
	copybin_row(&s->copy, 3 + s->plan_nfields);
	copybin_time(&s->copy, row->tick_ms);
	copybin_int(&s->copy, types[rec->ncolumns], id);
	copybin_int(&s->copy, types[rec->ncolumns + 1], row->quality);
	for (int col = 0; col < rec->ncolumns; col++) {
		const struct record_value *v = &row->values[col];
		int r = 0;

		if (s->plan_skip[col])
			continue;
		if (v->tag == RECORD_NULL)
			copybin_null(&s->copy);
		else if (v->tag == RECORD_INT)
			r = copybin_int(&s->copy, types[col], v->iv);
		else
			r = copybin_float(&s->copy, types[col], v->fv);
		if (r == -1) {
			char num[32];

			if (v->tag == RECORD_INT)
				snprintf(num, sizeof(num), "%" PRId64, v->iv);
			else
				snprintf(num, sizeof(num), "%.17g", v->fv);
			store_set_error(s, "%s at %" PRId64 " ms, column \"%s\": "
					"%s %s",
					row->device, row->tick_ms,
					rec->columns[col], num,
					errno == EDOM ? "is not a whole number"
						      : "is out of range");
			s->error_is_data = 1;
			return -1;
		}
	}
	return 0;
}

/* Builds the COPY data of records recs[0..n) (which share one column
 * list) in s->copy. */
static int
store_copy_build(struct store *s, const struct record *recs, int n)
{
	if (store_plan(s, &recs[0]) == -1)
		return -1;
	copybin_begin(&s->copy);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < recs[k].nrows; i++)
			if (store_copy_row(s, &recs[k], &recs[k].rows[i]) == -1)
				return -1;
	copybin_end(&s->copy);
	return 0;
}

/* Sends s->copy with the plan's COPY inside the open transaction. */
static int
store_copy_send(struct store *s)
{
	PGresult *r = PQexec(s->conn, s->plan_copy_sql);

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		store_set_error(s, "%s", PQresultErrorMessage(r));
		store_classify(s, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQputCopyData(s->conn, (const char *)s->copy.buf,
			  (int)s->copy.len) != 1 ||
	    PQputCopyEnd(s->conn, NULL) != 1) {
		store_set_error(s, "%s", PQerrorMessage(s->conn));
		s->error_is_data = 0;
		return -1;
	}
	while ((r = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			store_set_error(s, "%s", PQresultErrorMessage(r));
			store_classify(s, r);
			PQclear(r);
			while ((r = PQgetResult(s->conn)) != NULL)
				PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	return 0;
}

static uint32_t
store_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Sends s->copy's rows as INSERTs that skip a row already stored, for a
 * batch in which COPY met one: the binary COPY fields are the binary
 * parameters as they are. As many rows per statement as PostgreSQL's
 * 65535 parameters allow. Adds the rows inserted to *inserted.
 */
static int
store_insert_send(struct store *s, long *inserted)
{
	const unsigned char *p = s->copy.buf + STORE_COPY_HEADER,
			    *end = s->copy.buf + s->copy.len;
	int nf = s->plan_nfields + 3, per = 65535 / nf;
	const char **values = xcalloc((size_t)per * (size_t)nf, sizeof(char *));
	int *lengths = xcalloc((size_t)per * (size_t)nf, sizeof(int));
	int *formats = xcalloc((size_t)per * (size_t)nf, sizeof(int));
	size_t cap = strlen(s->plan_insert_sql) + (size_t)per * (size_t)nf * 8 + 64;
	char *sql = xmalloc(cap);
	int rc = 0;

	for (int i = 0; i < per * nf; i++)
		formats[i] = 1;
	while (rc == 0 && end - p >= 2 && !(p[0] == 0xff && p[1] == 0xff)) {
		int rows = 0, np = 0;
		size_t len = (size_t)snprintf(sql, cap, "%s", s->plan_insert_sql);
		PGresult *r;

		while (rows < per && end - p >= 2 &&
		       !(p[0] == 0xff && p[1] == 0xff)) {
			p += 2; /* the field count, nf */
			len += (size_t)snprintf(sql + len, cap - len, "%s(",
						rows ? "," : "");
			for (int f = 0; f < nf; f++) {
				int32_t flen = (int32_t)store_be32(p);

				p += 4;
				values[np] = flen < 0 ? NULL : (const char *)p;
				lengths[np] = flen < 0 ? 0 : flen;
				if (flen > 0)
					p += flen;
				np++;
				len += (size_t)snprintf(sql + len, cap - len,
							"%s$%d", f ? "," : "",
							np);
			}
			len += (size_t)snprintf(sql + len, cap - len, ")");
			rows++;
		}
		snprintf(sql + len, cap - len, " ON CONFLICT DO NOTHING");
		r = PQexecParams(s->conn, sql, np, NULL, values, lengths,
				 formats, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			store_set_error(s, "%s", PQresultErrorMessage(r));
			store_classify(s, r);
			rc = -1;
		} else {
			*inserted += atol(PQcmdTuples(r));
		}
		PQclear(r);
	}
	free(values);
	free(lengths);
	free(formats);
	free(sql);
	return rc;
}

static int
store_set_position(struct store *s, uint64_t seq)
{
	char acked[24];
	const char *params[2] = { s->spool_id, acked };

	/* Never back: records replayed after the spool's numbering was
	 * found behind the database's (see writer.c) leave it where it
	 * is. */
	snprintf(acked, sizeof(acked), "%" PRIu64, seq);
	return store_command(s,
			"INSERT INTO spool_position (spool_id, acked) "
			"VALUES ($1, $2) ON CONFLICT (spool_id) DO UPDATE "
			"SET acked = greatest(spool_position.acked, "
			"excluded.acked), updated_at = now()",
			2, params);
}

/* One transaction: the records' rows, a COPY per run of records with the
 * same columns (one in all, unless a reload changed them), or INSERTs that
 * skip rows already stored; then the position, unless seq is 0. */
static int
store_write_tx(struct store *s, const struct record *recs, int n,
	       uint64_t seq, int skip_stored, long *inserted)
{
	long isolated;

	*inserted = 0;
	s->isolated_rows = 0;
	if (store_command(s, "BEGIN", 0, NULL) == -1)
		return -1;
	for (int k = 0, run; k < n; k += run) {
		long rows = recs[k].nrows;

		for (run = 1; k + run < n &&
			      store_columns_same(recs[k + run].columns,
						 recs[k + run].ncolumns,
						 recs[k].columns,
						 recs[k].ncolumns);
		     run++)
			rows += recs[k + run].nrows;
		if (rows == 0)
			continue;
		isolated = s->isolated_rows;
		if (store_copy_build(s, &recs[k], run) == -1)
			goto rollback;
		if (skip_stored) {
			if (store_insert_send(s, inserted) == -1)
				goto rollback;
		} else {
			if (store_copy_send(s) == -1)
				goto rollback;
			*inserted += rows - (s->isolated_rows - isolated);
		}
	}
	if ((seq != 0 && store_set_position(s, seq) == -1) ||
	    store_command(s, "COMMIT", 0, NULL) == -1)
		goto rollback;
	return 0;

rollback:
	if (PQstatus(s->conn) == CONNECTION_OK)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	return -1;
}

long
store_write(struct store *s, const struct record *recs, int n,
	    int64_t lo_ms, int64_t hi_ms, uint64_t seq)
{
	long rows = 0, inserted;

	s->error_is_data = 0;
	s->duplicates = 0;
	s->sqlstate[0] = '\0';
	if (s->conn == NULL) {
		store_set_error(s, "not connected");
		return -1;
	}
	for (int k = 0; k < n; k++)
		rows += recs[k].nrows;
	if (rows > 0 && store_ensure_partitions(s, lo_ms, hi_ms) == -1)
		return -1;
	/* Devices new to the database are registered outside the
	 * transaction, so that a rollback cannot undo an id we keep. */
	for (int k = 0; k < n; k++)
		for (int i = 0; i < recs[k].nrows; i++)
			if (store_device_id(s, recs[k].rows[i].device) == -1)
				return -1;
	if (store_write_tx(s, recs, n, seq, 0, &inserted) == 0)
		return inserted;
	/* A row already stored (a replay) refuses the whole COPY: the batch
	 * goes again, row by row skipping those, and they are counted. */
	if (strcmp(s->sqlstate, "23505") != 0)
		return -1;
	s->error_is_data = 0;
	if (store_write_tx(s, recs, n, seq, 1, &inserted) == -1)
		return -1;
	s->duplicates = rows - inserted - s->isolated_rows;
	return inserted;
}

long
store_insert(struct store *s, const struct record *rec)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	long inserted;

	s->error_is_data = 0;
	s->duplicates = 0;
	s->sqlstate[0] = '\0';
	if (s->conn == NULL) {
		store_set_error(s, "not connected");
		return -1;
	}
	if (rec->nrows == 0)
		return 0;
	for (int i = 0; i < rec->nrows; i++) {
		if (rec->rows[i].tick_ms < lo)
			lo = rec->rows[i].tick_ms;
		if (rec->rows[i].tick_ms > hi)
			hi = rec->rows[i].tick_ms;
		if (store_device_id(s, rec->rows[i].device) == -1)
			return -1;
	}
	if (store_ensure_partitions(s, lo, hi) == -1 ||
	    store_write_tx(s, rec, 1, 0, 1, &inserted) == -1)
		return -1;
	s->duplicates = rec->nrows - inserted - s->isolated_rows;
	return inserted;
}

int
store_skip(struct store *s, uint64_t seq)
{
	return store_set_position(s, seq);
}

long
store_isolated(const struct store *s)
{
	return s->isolated_rows;
}

int
store_error_is_data(const struct store *s)
{
	return s->error_is_data;
}

int
store_position_known(const struct store *s)
{
	return s->position_known;
}

long
store_duplicates(const struct store *s)
{
	return s->duplicates;
}

int
store_drop_old(struct store *s, int *retention_days)
{
	*retention_days = s->retention_days;
	return store_int(s, "SELECT vento_drop_partitions()", 0, NULL);
}

int
store_rollup(struct store *s, int64_t from_ms, int64_t to_ms)
{
	char from[32], to[32];
	const char *params[2] = { from, to };

	snprintf(from, sizeof(from), "%.3f", (double)from_ms / 1000);
	snprintf(to, sizeof(to), "%.3f", (double)to_ms / 1000);
	return store_int(s,
			 "SELECT vento_rollup(to_timestamp($1::float8), "
			 "to_timestamp($2::float8))",
			 2, params);
}

int
store_health(struct store *s, const struct health *h)
{
	char v[16][32];
	const char *params[16];

	snprintf(v[0], 32, "%lld", (long long)h->updated);
	snprintf(v[1], 32, "%d", h->devices);
	snprintf(v[2], 32, "%d", h->devices_ok);
	snprintf(v[3], 32, "%lld", h->ticks);
	snprintf(v[4], 32, "%lld", h->missed);
	snprintf(v[5], 32, "%.3f", (double)h->late_p50_us / 1000);
	snprintf(v[6], 32, "%.3f", (double)h->late_p99_us / 1000);
	snprintf(v[7], 32, "%lld", h->spool_bytes);
	snprintf(v[8], 32, "%lld", h->spool_backlog);
	snprintf(v[9], 32, "%lld", h->spool_dropped);
	snprintf(v[10], 32, "%lld", h->rows);
	snprintf(v[11], 32, "%lld", h->lost);
	snprintf(v[12], 32, "%lld", h->damaged);
	snprintf(v[13], 32, "%lld", h->quarantined);
	snprintf(v[14], 32, "%lld", h->duplicates);
	snprintf(v[15], 32, "%lld", h->isolated);
	for (int i = 0; i < 16; i++)
		params[i] = v[i];
	return store_command(s,
			"INSERT INTO collector_health (time, devices, "
			"devices_ok, ticks, missed, late_p50_ms, late_p99_ms, "
			"spool_bytes, spool_backlog, spool_dropped, "
			"rows_stored, lost_unspooled, lost_damaged, "
			"quarantined, duplicates, lost_dropped, lost_isolated) "
			"VALUES (to_timestamp($1::float8), $2, $3, $4, $5, $6, "
			"$7, $8, $9, $10, $11, $12, $13, $14, $15, $10, $16)",
			16, params);
}
