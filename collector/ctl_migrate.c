/* ctl_migrate.c - `ventoctl migrate`: applies schema/NNN_name.sql files in
 * order, each in its own transaction with its record in vento_migration, so
 * a failed file leaves the database at the version before it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct ctl_migration {
	int version;
	char name[256];
};

static int
ctl_migration_cmp(const void *a, const void *b)
{
	return ((const struct ctl_migration *)a)->version -
	       ((const struct ctl_migration *)b)->version;
}

/* Lists NNN_*.sql in dir, sorted. Returns the count, or -1. */
static int
ctl_migrations_list(const char *dir, struct ctl_migration **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct ctl_migration *m = NULL;
	int n = 0;

	if (d == NULL) {
		fprintf(stderr, "ventoctl: migrate: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 9 || len >= sizeof(m->name) ||
		    strspn(e->d_name, "0123456789") != 3 ||
		    e->d_name[3] != '_' ||
		    strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		m = xreallocarray(m, (size_t)n + 1, sizeof(*m));
		m[n].version = atoi(e->d_name);
		memcpy(m[n].name, e->d_name, len + 1);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(m, (size_t)n, sizeof(*m), ctl_migration_cmp);
	for (int i = 1; i < n; i++)
		if (m[i].version == m[i - 1].version) {
			fprintf(stderr,
				"ventoctl: migrate: %s and %s share version "
				"%d\n",
				m[i - 1].name, m[i].name, m[i].version);
			free(m);
			return -1;
		}
	*out = m;
	return n;
}

static char *
ctl_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int
ctl_apply(PGconn *conn, const char *dir, const struct ctl_migration *m)
{
	char path[4096], version[16];
	const char *params[2] = { version, m->name };
	char *sql;
	PGresult *r;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	snprintf(version, sizeof(version), "%d", m->version);
	if ((sql = ctl_read_file(path)) == NULL) {
		fprintf(stderr, "ventoctl: migrate: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (ctl_db_exec(conn, "BEGIN", "migrate", "BEGIN") == -1) {
		free(sql);
		return -1;
	}
	if (ctl_db_exec(conn, sql, "migrate", m->name) == -1) {
		free(sql);
		ctl_db_exec(conn, "ROLLBACK", "migrate", "ROLLBACK");
		return -1;
	}
	free(sql);
	r = PQexecParams(conn,
			 "INSERT INTO vento_migration (version, name) VALUES "
			 "($1, $2)",
			 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ventoctl: migrate: %s", PQresultErrorMessage(r));
		PQclear(r);
		ctl_db_exec(conn, "ROLLBACK", "migrate", "ROLLBACK");
		return -1;
	}
	PQclear(r);
	return ctl_db_exec(conn, "COMMIT", "migrate", m->name);
}

/* Runs a query with text parameters and returns its first value (or ""
 * for no row) in buf. Returns 0, or -1 after saying why. */
static int
ctl_migrate_value(PGconn *conn, const char *sql, int n,
		  const char *const *params, char *buf, size_t size)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: migrate: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	snprintf(buf, size, "%s",
		 PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* What this database is: "farm", "fleet", or "" before 017_fleet.sql. */
static int
ctl_migrate_kind(PGconn *conn, char *buf, size_t size)
{
	if (ctl_migrate_value(conn,
			      "SELECT to_regclass('vento_site') IS NOT NULL",
			      0, NULL, buf, size) == -1)
		return -1;
	if (strcmp(buf, "t") != 0) {
		buf[0] = '\0';
		return 0;
	}
	return ctl_migrate_value(conn, "SELECT kind FROM vento_site", 0, NULL,
				 buf, size);
}

/* Tells the migrations what this database is (017_fleet.sql reads it): a
 * fleet's, with --fleet or once it is one, else a farm's, with the code
 * and name of vento.conf. A farm's database is never made a fleet's. */
static int
ctl_migrate_site(struct ctl *ctl, PGconn *conn, int fleet)
{
	char kind[16];
	const struct config *c = ctl->cfg;
	const char *params[3] = {
		fleet ? "fleet" : "farm",
		c ? c->farm.code : "FARM",
		c ? c->farm.name : "",
	};

	if (ctl_migrate_kind(conn, kind, sizeof(kind)) == -1)
		return -1;
	if (fleet && strcmp(kind, "farm") == 0) {
		fprintf(stderr, "ventoctl: migrate: --fleet: this database is "
				"a farm's; a fleet database is made on a new "
				"database\n");
		return -1;
	}
	if (strcmp(kind, "fleet") == 0)
		params[0] = "fleet";
	return ctl_migrate_value(conn,
				 "SELECT set_config('vento.site', $1, false), "
				 "set_config('vento.farm_code', $2, false), "
				 "set_config('vento.farm_name', $3, false)",
				 3, params, kind, sizeof(kind));
}

/* After the migrations, at a farm: the database's farm is the one
 * vento.conf names (its code is fixed once given, since every row carries
 * it), its name as configured, and raw samples published to the fleet or
 * not as farm.publish_raw says. */
static int
ctl_migrate_farm(struct ctl *ctl, PGconn *conn)
{
	const struct config *c = ctl->cfg;
	char kind[16], code[64], raw[8];
	const char *params[2];

	if (ctl_migrate_kind(conn, kind, sizeof(kind)) == -1)
		return -1;
	if (strcmp(kind, "farm") != 0 || c == NULL)
		return 0;
	if (ctl_migrate_value(conn, "SELECT code FROM farm", 0, NULL, code,
			      sizeof(code)) == -1)
		return -1;
	if (strcmp(code, c->farm.code) != 0) {
		fprintf(stderr,
			"%s:%d: farm code %s, but this database is farm %s's: "
			"a farm's code is fixed once its database has it\n",
			c->file, c->farm.line, c->farm.code, code);
		return -1;
	}
	params[0] = c->farm.code;
	params[1] = c->farm.name;
	if (ctl_migrate_value(conn,
			      "UPDATE farm SET name = $2 WHERE code = $1 "
			      "AND name <> $2 RETURNING code",
			      2, params, code, sizeof(code)) == -1 ||
	    ctl_migrate_value(conn,
			      "SELECT count(*) FROM pg_publication_tables "
			      "WHERE pubname = 'vento_farm_append' AND "
			      "tablename = 'raw_sample'",
			      0, NULL, raw, sizeof(raw)) == -1)
		return -1;
	if (c->farm.publish_raw && strcmp(raw, "0") == 0)
		return ctl_db_exec(conn,
				   "ALTER PUBLICATION vento_farm_append ADD "
				   "TABLE raw_sample",
				   "migrate", "publish_raw");
	if (!c->farm.publish_raw && strcmp(raw, "0") != 0)
		return ctl_db_exec(conn,
				   "ALTER PUBLICATION vento_farm_append DROP "
				   "TABLE raw_sample",
				   "migrate", "publish_raw");
	return 0;
}

/* After the migrations, at a farm: raw_sample's column for every custom
 * signal the configuration's profiles declare (018_custom_signals.sql),
 * integers unscaled as bigint, the rest as real. */
static int
ctl_migrate_custom(struct ctl *ctl, PGconn *conn)
{
	const struct config *c = ctl->cfg;
	char kind[16], added[8];

	if (ctl_migrate_kind(conn, kind, sizeof(kind)) == -1)
		return -1;
	if (strcmp(kind, "fleet") == 0 || c == NULL)
		return 0;
	for (int p = 0; p < c->nprofiles; p++) {
		const struct profile *pr = c->profiles[p];

		for (int i = 0; i < pr->nsignals; i++) {
			const struct signal *sig = &pr->signals[i];
			const char *params[3] = {
				sig->name,
				profile_signal_is_integer(sig) ? "bigint"
							       : "real",
				sig->unit,
			};

			if (!sig->custom)
				continue;
			if (ctl_migrate_value(conn,
					      "SELECT vento_add_custom_signal("
					      "$1, $2, $3)",
					      3, params, added,
					      sizeof(added)) == -1) {
				fprintf(stderr, "%s:%d: custom signal %s "
					"could not be added (above)\n",
					pr->file, sig->line, sig->name);
				return -1;
			}
			if (strcmp(added, "t") == 0)
				printf("custom signal %s: column added (%s)\n",
				       sig->name, params[1]);
		}
	}
	return 0;
}

int
ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_migration *m = NULL;
	PGconn *conn;
	PGresult *r;
	int n, current, applied = 0, rc = CTL_OK, fleet = 0;

	if (argc > 1 && strcmp(argv[1], "--fleet") == 0) {
		fleet = 1;
		argc--;
		argv++;
	}
	if (argc > 1) {
		printf("usage: ventoctl [--schema-dir DIR] migrate [--fleet]\n"
		       "Applies the schema files NNN_name.sql not yet applied, "
		       "in order, each in its own transaction.\n"
		       "--fleet makes a new database a fleet's, which "
		       "farms replicate to (ventoctl fleet add).\n");
		return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
	}
	if ((n = ctl_migrations_list(ctl->schema_dir, &m)) == -1)
		return CTL_FAIL;
	ctl->fleet_wide = 1;
	if ((conn = ctl_db_connect(ctl)) == NULL) {
		free(m);
		return CTL_FAIL;
	}
	/* One migrator at a time; the lock ends with the session. */
	if (ctl_db_exec(conn, "SET client_min_messages = warning", "migrate",
			"set") == -1 ||
	    ctl_db_exec(conn, "SELECT pg_advisory_lock(7286001)", "migrate",
			"lock") == -1 ||
	    ctl_db_exec(conn, "CREATE TABLE IF NOT EXISTS vento_migration ("
		     " version int PRIMARY KEY,"
		     " name text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now())",
		     "migrate", "vento_migration") == -1 ||
	    ctl_migrate_site(ctl, conn, fleet) == -1) {
		rc = CTL_FAIL;
		goto out;
	}
	r = PQexec(conn, "SELECT coalesce(max(version), 0) FROM vento_migration");
	current = PQresultStatus(r) == PGRES_TUPLES_OK
			  ? atoi(PQgetvalue(r, 0, 0))
			  : -1;
	PQclear(r);
	if (current < 0) {
		rc = CTL_FAIL;
		goto out;
	}
	if (n > 0 && current > m[n - 1].version) {
		fprintf(stderr,
			"ventoctl: migrate: the database is at version %d, "
			"newer than the newest file here (%d): upgrade vento\n",
			current, m[n - 1].version);
		rc = CTL_FAIL;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (m[i].version <= current)
			continue;
		if (ctl_apply(conn, ctl->schema_dir, &m[i]) == -1) {
			rc = CTL_FAIL;
			goto out;
		}
		printf("applied %s\n", m[i].name);
		applied++;
	}
	if (ctl_migrate_farm(ctl, conn) == -1 ||
	    ctl_migrate_custom(ctl, conn) == -1) {
		rc = CTL_FAIL;
		goto out;
	}
	printf("schema at version %d (%d applied)\n",
	       applied ? m[n - 1].version : current, applied);
out:
	PQfinish(conn);
	free(m);
	return rc;
}
