/* ctl_db.c - ventoctl's configuration and database connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct config *
ctl_config(struct ctl *ctl)
{
	if (ctl->cfg == NULL)
		ctl->cfg = cfg_load(ctl->conf_path);
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
		fprintf(stderr, "ventoctl: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
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

PGconn *
ctl_db_connect(struct ctl *ctl)
{
	const char *conninfo = "";
	char *full;
	PGconn *conn;

	if (ctl_config(ctl) != NULL)
		conninfo = ctl->cfg->conninfo;
	else
		fprintf(stderr, "ventoctl: %s not usable; connecting with the "
				"PG* environment alone\n",
			ctl->conf_path);
	full = xmalloc(strlen(conninfo) + 64);
	sprintf(full, "connect_timeout=10 application_name=ventoctl %s",
		conninfo);
	conn = PQconnectdb(full);
	free(full);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "ventoctl: cannot connect to the database: %s",
			PQerrorMessage(conn));
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
