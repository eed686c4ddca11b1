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
