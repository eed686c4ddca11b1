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

int
ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_migration *m = NULL;
	PGconn *conn;
	PGresult *r;
	int n, current, applied = 0, rc = CTL_OK;

	if (argc > 1) {
		printf("usage: ventoctl [--schema-dir DIR] migrate\n"
		       "Applies the schema files NNN_name.sql not yet applied, "
		       "in order, each in its own transaction.\n");
		return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
	}
	if ((n = ctl_migrations_list(ctl->schema_dir, &m)) == -1)
		return CTL_FAIL;
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
		     "migrate", "vento_migration") == -1) {
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
	printf("schema at version %d (%d applied)\n",
	       applied ? m[n - 1].version : current, applied);
out:
	PQfinish(conn);
	free(m);
	return rc;
}
