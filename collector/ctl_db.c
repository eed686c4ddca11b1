/* ctl_db.c - ventoctl's configuration and database connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

/* Whether path is an empty file (/dev/null, say): a configuration that
 * says nothing, not one with errors. */
static int
ctl_config_is_empty(const char *path)
{
	FILE *f = fopen(path, "r");
	int empty = f != NULL && fgetc(f) == EOF;

	if (f)
		fclose(f);
	return empty;
}

struct config *
ctl_config(struct ctl *ctl)
{
	if (ctl->cfg == NULL)
		ctl->cfg = ctl_config_is_empty(ctl->conf_path)
				   ? cfg_empty(ctl->conf_path)
				   : cfg_load(ctl->conf_path);
	return ctl->cfg;
}

/* Sets ctl->fleet when the database is a fleet's (017_fleet.sql's
 * vento_site). Returns 0 or -1. */
static int
ctl_db_site(struct ctl *ctl, PGconn *conn)
{
	PGresult *r = PQexec(conn, "SELECT to_regclass('vento_site') IS NOT "
				   "NULL");
	int has = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		  strcmp(PQgetvalue(r, 0, 0), "t") == 0;

	PQclear(r);
	ctl->fleet = 0;
	if (!has)
		return 0;
	r = PQexec(conn, "SELECT kind FROM vento_site");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		int refused = state && strcmp(state, "42501") == 0;

		/* A login that may not read it (the writer, say) reads no
		 * farm's rows either: each command then says what it was
		 * refused, which tells more than this refusal would. */
		if (!refused)
			fprintf(stderr, "ventoctl: %s", PQresultErrorMessage(r));
		PQclear(r);
		return refused ? 0 : -1;
	}
	ctl->fleet = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "fleet") == 0;
	PQclear(r);
	return 0;
}

/* --farm CODE: the session sees that farm's rows only (017_fleet.sql's
 * row-level security at a fleet), so that every report is the farm's. At
 * a farm's own database, CODE must be the farm's. Returns 0 or -1. */
static int
ctl_db_scope(PGconn *conn, const char *code)
{
	const char *params[1] = { code };
	PGresult *r;
	int rc = -1;

	/* Row-level security does not bind a superuser (or a role that
	 * bypasses it), who would see every farm: such a session reads as
	 * the reader. */
	r = PQexec(conn, "SELECT rolsuper OR rolbypassrls FROM pg_roles "
			 "WHERE rolname = current_user");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0 &&
	    ctl_db_exec(conn, "SET ROLE vento_reader", "--farm", NULL) == -1) {
		PQclear(r);
		return -1;
	}
	PQclear(r);
	r = PQexecParams(conn,
			 "SELECT set_config('vento.farm', $1, false), "
			 "(SELECT count(*) FROM farm WHERE code = $1)",
			 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "ventoctl: --farm: %s", PQresultErrorMessage(r));
	else if (strcmp(PQgetvalue(r, 0, 1), "0") == 0)
		fprintf(stderr, "ventoctl: --farm: no farm %s in this "
				"database\n",
			code);
	else
		rc = 0;
	PQclear(r);
	return rc;
}

/* Keeps why the connection failed, as one line, and says it. */
static void
ctl_db_fail(struct ctl *ctl, const char *what, const char *why)
{
	char *nl;

	snprintf(ctl->db_error, sizeof(ctl->db_error), "%s%s", what, why);
	while ((nl = strchr(ctl->db_error, '\n')) != NULL)
		*nl = nl[1] ? ' ' : '\0';
	fprintf(stderr, "ventoctl: %s\n", ctl->db_error);
	snprintf(ctl->db_reason, sizeof(ctl->db_reason), "%.*s",
		 (int)sizeof(ctl->db_reason) - 1, ctl->db_error);
}

/* The reason of libpq's message for a check's short line: the server's
 * or the socket's own words after the last "failed: ", to the end of its
 * line, without the severity ("role "x" does not exist", "certificate
 * verify failed"). */
static void
ctl_db_reason(struct ctl *ctl, const char *msg)
{
	const char *r = msg, *p;

	while ((p = strstr(r, "failed: ")) != NULL)
		r = p + 8;
	if (strncmp(r, "FATAL:  ", 8) == 0 || strncmp(r, "ERROR:  ", 8) == 0)
		r += 8;
	snprintf(ctl->db_reason, sizeof(ctl->db_reason), "%.*s",
		 (int)strcspn(r, "\n"), r);
}

/* Sets keyword to value in the parameter arrays, replacing it if there. */
static void
ctl_db_param(const char **keys, const char **values, int *n,
	     const char *keyword, const char *value)
{
	int i;

	for (i = 0; i < *n && strcmp(keys[i], keyword) != 0; i++)
		;
	keys[i] = keyword;
	values[i] = value;
	if (i == *n)
		(*n)++;
}

PGconn *
ctl_db_connect(struct ctl *ctl)
{
	PQconninfoOption *given, *known;
	const char **keys, **values;
	char *err = NULL;
	PGconn *conn;
	int n = 0, size = 2;

	if (ctl_config(ctl) == NULL) {
		const char *base = strrchr(ctl->conf_path, '/');

		/* Never another database instead: the errors are above. */
		ctl_db_fail(ctl, ctl->conf_path, " has errors: not connecting");
		snprintf(ctl->db_reason, sizeof(ctl->db_reason),
			 "%.100s has errors", base ? base + 1 : ctl->conf_path);
		return NULL;
	}
	if ((given = PQconninfoParse(ctl->cfg->ctl_conninfo, &err)) == NULL) {
		ctl_db_fail(ctl, "database.ctl_conninfo: ",
			    err ? err : "out of memory");
		PQfreemem(err);
		return NULL;
	}
	known = PQconndefaults();
	for (PQconninfoOption *o = given; o->keyword; o++)
		size++;
	for (PQconninfoOption *o = known; o && o->keyword; o++)
		size++;
	keys = xcalloc((size_t)size + 1, sizeof(*keys));
	values = xcalloc((size_t)size + 1, sizeof(*values));
	ctl_db_param(keys, values, &n, "connect_timeout", "10");
	ctl_db_param(keys, values, &n, "application_name", "ventoctl");
	/* A PG* variable overrides the service, as a person running ventoctl
	 * by hand expects (PGUSER=vento_owner ventoctl migrate): given as a
	 * parameter, it beats what the service file says, where libpq alone
	 * would let the file win. A parameter ctl_conninfo writes out wins
	 * over both, as in libpq. */
	for (PQconninfoOption *o = known; o && o->keyword; o++) {
		const char *v = o->envvar ? getenv(o->envvar) : NULL;

		if (v && *v)
			ctl_db_param(keys, values, &n, o->keyword, v);
	}
	for (PQconninfoOption *o = given; o->keyword; o++)
		if (o->val)
			ctl_db_param(keys, values, &n, o->keyword, o->val);
	conn = PQconnectdbParams(keys, values, 0);
	free(keys);
	free(values);
	PQconninfoFree(given);
	PQconninfoFree(known);
	if (PQstatus(conn) != CONNECTION_OK) {
		ctl_db_fail(ctl, "cannot connect to the database: ",
			    PQerrorMessage(conn));
		ctl_db_reason(ctl, PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	if (ctl_db_site(ctl, conn) == -1 ||
	    (ctl->farm != NULL && ctl_db_scope(conn, ctl->farm) == -1)) {
		PQfinish(conn);
		return NULL;
	}
	if (ctl->fleet && ctl->farm == NULL && !ctl->fleet_wide) {
		fprintf(stderr,
			"ventoctl: this is a fleet database: name the farm "
			"with --farm CODE (for the whole fleet: status, "
			"production, check yearly|fleet, fleet status)\n");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
ctl_db_exec(PGconn *conn, const char *sql, const char *cmd, const char *what)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: %s: %s%s%s", cmd, what ? what : "",
			what ? ": " : "", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}
