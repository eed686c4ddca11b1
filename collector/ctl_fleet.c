/* ctl_fleet.c - `ventoctl fleet add|remove|status` at a fleet database:
 * one subscription per farm, to the farm's publications vento_farm and
 * vento_farm_append (017_fleet.sql), by PostgreSQL's logical replication.
 * Subscriptions are a superuser's to make in PostgreSQL 15, so these run
 * as one (PGUSER=postgres, say); status runs as any reader. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

/* The tables that hold a farm's rows at the fleet, removed with it. */
static const char *const fleet_tables[] = {
	"stat_10min", "stat_day", "stat_day_bin", "stat_month_bin",
	"raw_minute", "collector_health", "raw_sample", "device",
	"model_state", "projection", "power_curve_ref", "site",
	"power_curve_density", "raw_device_minute", NULL,
};

/* Returns the first value of a query with text parameters in buf ("" for
 * no row). Returns 0, or -1 after saying why. */
static int
fleet_value(PGconn *conn, const char *sql, int n, const char *const *params,
	    char *buf, size_t size)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: fleet: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	snprintf(buf, size, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* 1 when the connected database is a fleet's; else says so, returns 0. */
static int
fleet_is_fleet(PGconn *conn)
{
	char kind[16];

	if (fleet_value(conn, "SELECT to_regclass('vento_site') IS NOT NULL",
			0, NULL, kind, sizeof(kind)) == -1)
		return 0;
	if (strcmp(kind, "t") == 0 &&
	    fleet_value(conn, "SELECT kind FROM vento_site", 0, NULL, kind,
			sizeof(kind)) == -1)
		return 0;
	if (strcmp(kind, "fleet") == 0)
		return 1;
	fprintf(stderr, "ventoctl: fleet: this database is not a fleet's "
			"(make one with ventoctl migrate --fleet)\n");
	return 0;
}

/* A farm code as 017_fleet.sql's CHECK has it; the subscription's name
 * is vento_farm_ and the code in lower case. */
static int
fleet_subname(const char *code, char *buf, size_t size)
{
	size_t n = strlen(code);

	if (n < 2 || n > 8 || !isupper((unsigned char)code[0]))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)code[i]) &&
		    !isdigit((unsigned char)code[i]))
			return -1;
	snprintf(buf, size, "vento_farm_");
	for (size_t i = 0; i < n; i++)
		buf[11 + i] = (char)tolower((unsigned char)code[i]);
	buf[11 + n] = '\0';
	return 0;
}

/* A connection to the farm whose conninfo is given (its password from
 * the pgpass file, as for the fleet's replication workers), or NULL after
 * saying why. */
static PGconn *
fleet_farm_connect(const char *conninfo, const char *verb)
{
	PGconn *farm = PQconnectdb(conninfo);

	if (PQstatus(farm) == CONNECTION_OK)
		return farm;
	fprintf(stderr, "ventoctl: fleet %s: cannot connect to the farm: %s",
		verb, PQerrorMessage(farm));
	PQfinish(farm);
	return NULL;
}

/* Looks at the farm before subscribing: its database is the farm of that
 * code, at a schema version the fleet has (a fleet is migrated first,
 * then its farms, so that the fleet has every column a farm publishes).
 * Returns 0, or -1 after saying why. */
static int
fleet_check_farm(PGconn *fleet, PGconn *farm, const char *code)
{
	char farm_code[64], farm_version[16], fleet_version[16];

	if (fleet_value(farm, "SELECT to_regclass('farm') IS NOT NULL", 0,
			NULL, farm_code, sizeof(farm_code)) == -1)
		return -1;
	if (strcmp(farm_code, "t") != 0)
		farm_code[0] = '\0';
	else if (fleet_value(farm, "SELECT code FROM farm", 0, NULL, farm_code,
			     sizeof(farm_code)) == -1)
		return -1;
	if (fleet_value(farm, "SELECT max(version) FROM vento_migration", 0,
			NULL, farm_version, sizeof(farm_version)) == -1 ||
	    fleet_value(fleet, "SELECT max(version) FROM vento_migration", 0,
			NULL, fleet_version, sizeof(fleet_version)) == -1)
		return -1;
	if (farm_code[0] == '\0')
		fprintf(stderr, "ventoctl: fleet add: the farm's database has "
				"no farm (run ventoctl migrate there)\n");
	else if (strcmp(farm_code, code) != 0)
		fprintf(stderr, "ventoctl: fleet add: that database is farm "
				"%s's, not %s's\n",
			farm_code, code);
	else if (atoi(farm_version) > atoi(fleet_version))
		fprintf(stderr, "ventoctl: fleet add: the farm's schema is "
				"version %s, the fleet's %s: migrate the fleet "
				"first\n",
			farm_version, fleet_version);
	else
		return 0;
	return -1;
}

/* A farm's custom signals (018_custom_signals.sql) are columns of its
 * raw_sample. A subscription stops at a column its table lacks, so the
 * fleet takes each of them before it takes the farm's raw samples (fleet
 * add, fleet refresh); two farms may share a name only with one type.
 * Returns 0, or -1 after saying why. */
static int
fleet_take_custom_signals(PGconn *fleet, PGconn *farm, const char *code)
{
	char has[8], added[8];
	PGresult *r;
	int rc = 0;

	if (fleet_value(farm, "SELECT to_regclass('custom_signal') IS NOT NULL",
			0, NULL, has, sizeof(has)) == -1)
		return -1;
	if (strcmp(has, "t") != 0)
		return 0;
	r = PQexec(farm, "SELECT name, sql_type, unit FROM custom_signal "
			 "ORDER BY name");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: fleet: farm %s: %s", code,
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *params[3] = { PQgetvalue(r, i, 0),
					  PQgetvalue(r, i, 1),
					  PQgetvalue(r, i, 2) };

		rc = fleet_value(fleet,
				 "SELECT vento_add_custom_signal($1, $2, $3)",
				 3, params, added, sizeof(added));
		if (rc == 0 && strcmp(added, "t") == 0)
			printf("farm %s: custom signal %s: column added at the "
			       "fleet (%s)\n",
			       code, params[0], params[1]);
	}
	PQclear(r);
	return rc;
}

/* Each enabled subscription of the server (of any database: the workers
 * are the server's) holds one of its logical replication workers for
 * good, and copying a farm's tables takes one more for a while: a farm
 * beyond that would be subscribed and never replicate, so it is refused,
 * naming the setting. Returns 0, or -1 after saying why. */
static int
fleet_check_workers(PGconn *conn)
{
	char subs[16], workers[16];

	if (fleet_value(conn,
			"SELECT count(*) FROM pg_subscription WHERE subenabled",
			0, NULL, subs, sizeof(subs)) == -1 ||
	    fleet_value(conn, "SELECT current_setting("
			      "'max_logical_replication_workers')",
			0, NULL, workers, sizeof(workers)) == -1)
		return -1;
	if (atoi(subs) + 2 <= atoi(workers))
		return 0;
	fprintf(stderr,
		"ventoctl: fleet add: this server runs at most %s logical "
		"replication workers (max_logical_replication_workers) and %s "
		"subscriptions hold one each: another farm needs one for itself "
		"and one free to copy its tables. Raise max_logical_replication_workers to %d or "
		"more and max_worker_processes by as many, restart PostgreSQL, "
		"then add the farm\n",
		workers, subs, atoi(subs) + 2);
	return -1;
}

static int
fleet_add(PGconn *conn, const char *code, const char *conninfo)
{
	PGconn *farm;
	char sub[32], exists[8], *lit, *sql;
	const char *params[1] = { sub };
	int rc;

	fleet_subname(code, sub, sizeof(sub));
	if (fleet_value(conn,
			"SELECT count(*) FROM pg_subscription WHERE subname = "
			"$1",
			1, params, exists, sizeof(exists)) == -1)
		return CTL_FAIL;
	if (strcmp(exists, "0") != 0) {
		fprintf(stderr, "ventoctl: fleet add: farm %s is in the fleet "
				"already\n",
			code);
		return CTL_FAIL;
	}
	params[0] = code;
	if (fleet_value(conn, "SELECT count(*) FROM device WHERE farm = $1", 1,
			params, exists, sizeof(exists)) == -1)
		return CTL_FAIL;
	if (strcmp(exists, "0") != 0) {
		fprintf(stderr, "ventoctl: fleet add: the fleet holds rows of "
				"farm %s from before: ventoctl fleet remove %s "
				"first\n",
			code, code);
		return CTL_FAIL;
	}
	if (fleet_check_workers(conn) == -1)
		return CTL_FAIL;
	if ((farm = fleet_farm_connect(conninfo, "add")) == NULL)
		return CTL_FAIL;
	rc = fleet_check_farm(conn, farm, code);
	if (rc == 0)
		rc = fleet_take_custom_signals(conn, farm, code);
	PQfinish(farm);
	if (rc == -1)
		return CTL_FAIL;
	if ((lit = PQescapeLiteral(conn, conninfo, strlen(conninfo))) == NULL) {
		fprintf(stderr, "ventoctl: fleet add: %s", PQerrorMessage(conn));
		return CTL_FAIL;
	}
	sql = xmalloc(strlen(lit) + 256);
	/* Each farm its own subscription and slot, named after it; the
	 * farm's existing rows are copied first, then its changes follow. */
	sprintf(sql,
		"CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION vento_farm, "
		"vento_farm_append WITH (copy_data = true)",
		sub, lit);
	PQfreemem(lit);
	rc = ctl_db_exec(conn, sql, "fleet add", code);
	free(sql);
	if (rc == -1)
		return CTL_FAIL;
	printf("farm %s added: subscription %s\n", code, sub);
	return CTL_OK;
}

/* Drops the farm's subscription (and its slot at the farm, when the farm
 * answers; else says what to drop there), then the farm's rows here: the
 * farm keeps its whole history, and adding it again copies it again. */
static int
fleet_remove(PGconn *conn, const char *code)
{
	char sub[32], exists[8], sql[256];
	const char *params[1];

	fleet_subname(code, sub, sizeof(sub));
	params[0] = sub;
	if (fleet_value(conn,
			"SELECT count(*) FROM pg_subscription WHERE subname = "
			"$1",
			1, params, exists, sizeof(exists)) == -1)
		return CTL_FAIL;
	if (strcmp(exists, "0") != 0) {
		snprintf(sql, sizeof(sql), "DROP SUBSCRIPTION %s", sub);
		if (ctl_db_exec(conn, sql, "fleet remove", NULL) == -1) {
			fprintf(stderr,
				"ventoctl: fleet remove: the farm did not "
				"answer; the subscription goes without its "
				"slot: drop replication slot %s at the farm "
				"(SELECT pg_drop_replication_slot('%s'))\n",
				sub, sub);
			snprintf(sql, sizeof(sql),
				 "ALTER SUBSCRIPTION %s DISABLE", sub);
			if (ctl_db_exec(conn, sql, "fleet remove", NULL) == -1)
				return CTL_FAIL;
			snprintf(sql, sizeof(sql),
				 "ALTER SUBSCRIPTION %s SET (slot_name = NONE)",
				 sub);
			if (ctl_db_exec(conn, sql, "fleet remove", NULL) == -1)
				return CTL_FAIL;
			snprintf(sql, sizeof(sql), "DROP SUBSCRIPTION %s", sub);
			if (ctl_db_exec(conn, sql, "fleet remove", NULL) == -1)
				return CTL_FAIL;
		}
	}
	if (ctl_db_exec(conn, "BEGIN", "fleet remove", NULL) == -1)
		return CTL_FAIL;
	params[0] = code;
	for (int i = 0; fleet_tables[i]; i++) {
		PGresult *r;

		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE farm = $1",
			 fleet_tables[i]);
		r = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "ventoctl: fleet remove: %s: %s",
				fleet_tables[i], PQresultErrorMessage(r));
			PQclear(r);
			ctl_db_exec(conn, "ROLLBACK", "fleet remove", NULL);
			return CTL_FAIL;
		}
		PQclear(r);
	}
	{
		PGresult *r = PQexecParams(conn,
					   "DELETE FROM farm WHERE code = $1",
					   1, NULL, params, NULL, NULL, 0);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			fprintf(stderr, "ventoctl: fleet remove: farm: %s",
				PQresultErrorMessage(r));
		PQclear(r);
		if (!ok) {
			ctl_db_exec(conn, "ROLLBACK", "fleet remove", NULL);
			return CTL_FAIL;
		}
	}
	if (ctl_db_exec(conn, "COMMIT", "fleet remove", NULL) == -1)
		return CTL_FAIL;
	printf("farm %s removed\n", code);
	return CTL_OK;
}

int
ctl_fleet_status(struct ctl *ctl, PGconn *conn)
{
	return ctl_table_query(
		       ctl, conn,
		       "SELECT farm, name, subscription, CASE WHEN NOT enabled "
		       "THEN 'disabled' WHEN worker THEN 'streaming' ELSE "
		       "'down' END AS state, round(lag_s::numeric, 1) AS "
		       "lag_s, to_char(stored_at AT TIME ZONE 'UTC', "
		       "'YYYY-MM-DD HH24:MI:SS') AS last_stored, "
		       "to_char(heard_at AT TIME ZONE 'UTC', "
		       "'YYYY-MM-DD HH24:MI:SS') AS last_heard, "
		       "to_char(last_period AT TIME ZONE 'UTC', "
		       "'YYYY-MM-DD HH24:MI') AS last_period "
		       "FROM vento_fleet_status()",
		       0, NULL) == -1
		       ? CTL_FAIL
		       : CTL_OK;
}

/* After a farm publishes more (farm.publish_raw set, a custom signal
 * added, or a migration that adds a table to its publications): the
 * fleet takes the farm's custom signals' columns, then the subscription
 * takes the new tables, copying what they hold. */
static int
fleet_refresh(PGconn *conn, const char *code)
{
	char sub[32], sql[128], *conninfo;
	const char *params[1] = { sub };
	PGconn *farm;
	PGresult *r;
	int rc;

	fleet_subname(code, sub, sizeof(sub));
	r = PQexecParams(conn,
			 "SELECT subconninfo FROM pg_subscription WHERE "
			 "subname = $1",
			 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: fleet refresh: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		return CTL_FAIL;
	}
	if (PQntuples(r) != 1) {
		fprintf(stderr, "ventoctl: fleet refresh: farm %s is not in the "
				"fleet (ventoctl fleet status lists its farms)\n",
			code);
		PQclear(r);
		return CTL_FAIL;
	}
	conninfo = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	farm = fleet_farm_connect(conninfo, "refresh");
	free(conninfo);
	if (farm == NULL)
		return CTL_FAIL;
	rc = fleet_take_custom_signals(conn, farm, code);
	PQfinish(farm);
	if (rc == -1)
		return CTL_FAIL;
	snprintf(sql, sizeof(sql), "ALTER SUBSCRIPTION %s REFRESH PUBLICATION",
		 sub);
	if (ctl_db_exec(conn, sql, "fleet refresh", code) == -1)
		return CTL_FAIL;
	printf("farm %s refreshed\n", code);
	return CTL_OK;
}

int
ctl_fleet_yearly(struct ctl *ctl, PGconn *conn, const char *year)
{
	const char *params[1] = { year };

	return ctl_table_query(
		       ctl, conn,
		       "SELECT coalesce(farm, 'fleet') AS farm, turbines, "
		       "round((actual_kwh / 1000)::numeric, 1) AS actual_mwh, "
		       "round((budget_kwh / 1000)::numeric, 1) AS budget_mwh, "
		       "round((ratio * 100)::numeric, 1) AS pct_of_budget, "
		       "round((forecast_kwh / 1e6)::numeric, 2) AS "
		       "forecast_gwh, round((projection_kwh / 1e6)::numeric, "
		       "2) AS projection_gwh, round((completeness * "
		       "100)::numeric, 1) AS data_pct "
		       "FROM vento_fleet_yearly_check(coalesce(nullif($1, "
		       "'')::int, extract(year FROM now())::int), now())",
		       1, params) == -1
		       ? CTL_FAIL
		       : CTL_OK;
}

int
ctl_fleet(struct ctl *ctl, int argc, char **argv)
{
	PGconn *conn;
	char sub[32];
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    !((strcmp(argv[1], "add") == 0 && argc == 4) ||
	      (strcmp(argv[1], "remove") == 0 && argc == 3) ||
	      (strcmp(argv[1], "refresh") == 0 && argc == 3) ||
	      (strcmp(argv[1], "status") == 0 && argc == 2))) {
		printf("usage: ventoctl fleet add FARM CONNINFO\n"
		       "       ventoctl fleet remove FARM\n"
		       "       ventoctl fleet refresh FARM\n"
		       "       ventoctl fleet status\n"
		       "At a fleet database (ventoctl migrate --fleet): add a "
		       "farm (a subscription to its publications), remove one "
		       "(and its rows here), take what a farm newly publishes "
		       "(refresh), or show each farm's replication.\n");
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? CTL_OK
								     : CTL_USAGE;
	}
	if (argc > 2 && fleet_subname(argv[2], sub, sizeof(sub)) == -1) {
		fprintf(stderr, "ventoctl: fleet: farm code '%s': expected 2 "
				"to 8 upper-case letters or digits, starting "
				"with a letter\n",
			argv[2]);
		return CTL_USAGE;
	}
	ctl->fleet_wide = 1;
	if ((conn = ctl_db_connect(ctl)) == NULL)
		return CTL_FAIL;
	if (strcmp(argv[1], "status") == 0) {
		/* At a farm, the farm itself; at a fleet, every farm. */
		rc = ctl_fleet_status(ctl, conn);
		PQfinish(conn);
		return rc;
	}
	if (!fleet_is_fleet(conn)) {
		PQfinish(conn);
		return CTL_FAIL;
	}
	if (strcmp(argv[1], "add") == 0)
		rc = fleet_add(conn, argv[2], argv[3]);
	else if (strcmp(argv[1], "remove") == 0)
		rc = fleet_remove(conn, argv[2]);
	else if (strcmp(argv[1], "refresh") == 0)
		rc = fleet_refresh(conn, argv[2]);
	else
		rc = CTL_USAGE;
	PQfinish(conn);
	return rc;
}
