/* ctl_import.c - `ventoctl import FILE.csv`: 10-minute history, for a
 * collector that starts mid-year. Columns are named as NREL's OpenOA names
 * them, matched without regard to case. Every line is checked before
 * anything is loaded, every error names its line, and the load is one
 * transaction: a failed import leaves nothing half-loaded. Rows already
 * computed from raw samples win over imported ones, and importing the
 * same file again changes nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "xmalloc.h"

#define CTL_IMPORT_MAX_ERRORS 20

/* The columns, in the order of the staging table. */
static const char *const ctl_import_columns[] = {
	"time", "asset_id", "wtur_w", "wmet_horwdspd", "wmet_horwddir",
	"wtur_turst", "wrot_blpthangval", "wmet_envtmp", "wtur_supwh",
};
#define CTL_IMPORT_NCOLS 9
enum { COL_TIME, COL_ASSET, COL_W, COL_WS, COL_WD, COL_TURST, COL_PITCH,
       COL_TMP, COL_SUPWH };

struct ctl_import {
	const char *file;
	int map[64];	/* file column -> ours, or -1 to skip */
	int nfile;
	int errors;
	char *copy; /* the staging rows, COPY text */
	size_t len, cap;
};

static void __attribute__((format(printf, 3, 4)))
ctl_import_error(struct ctl_import *im, long line, const char *fmt, ...)
{
	va_list ap;

	if (++im->errors > CTL_IMPORT_MAX_ERRORS)
		return;
	fprintf(stderr, "%s:%ld: ", im->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
ctl_import_put(struct ctl_import *im, const char *s, size_t n)
{
	if (im->len + n + 1 > im->cap) {
		im->cap = (im->len + n + 1) * 2;
		im->copy = xreallocarray(im->copy, im->cap, 1);
	}
	memcpy(im->copy + im->len, s, n);
	im->len += n;
}

/* Splits a CSV line in place (no quoting: the format has none). Returns
 * the number of fields. */
static int
ctl_import_split(char *line, char **fields, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line;; p++) {
		if (n < max)
			fields[n] = p;
		n++;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		*p = '\0';
	}
	return n;
}

static int
ctl_import_header(struct ctl_import *im, char *line, int skip_unknown)
{
	char *fields[64];
	int n = ctl_import_split(line, fields, 64), seen[CTL_IMPORT_NCOLS] = { 0 };

	if (n > 64) {
		ctl_import_error(im, 1, "more than 64 columns");
		return -1;
	}
	im->nfile = n;
	for (int i = 0; i < n; i++) {
		im->map[i] = -1;
		for (int k = 0; k < CTL_IMPORT_NCOLS; k++)
			if (strcasecmp(fields[i], ctl_import_columns[k]) == 0)
				im->map[i] = k;
		if (im->map[i] == -1 && !skip_unknown)
			ctl_import_error(im, 1,
					 "unknown column '%s' (--skip-unknown "
					 "ignores such columns)",
					 fields[i]);
		else if (im->map[i] >= 0 && seen[im->map[i]]++)
			ctl_import_error(im, 1, "column '%s' appears twice",
					 fields[i]);
	}
	if (!seen[COL_TIME] || !seen[COL_ASSET])
		ctl_import_error(im, 1, "the columns time and asset_id are "
					"required");
	return im->errors ? -1 : 0;
}

/* A time with a UTC offset, e.g. 2025-03-01T10:20:00-03:00 or ...Z, on a
 * 10-minute boundary. Writes it back as UTC for PostgreSQL. */
static int
ctl_import_time(const char *s, char *out, size_t n)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, used = 0;
	char sep, sign;

	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi,
		   &sec, &used) != 7 ||
	    (sep != 'T' && sep != ' '))
		return -1;
	s += used;
	if (strcmp(s, "Z") == 0 || strcmp(s, "+00:00") == 0) {
		sign = '+';
	} else if (sscanf(s, "%c%2d:%2d%n", &sign, &oh, &om, &used) == 3 &&
		   (sign == '+' || sign == '-') && s[used] == '\0') {
		;
	} else {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec != 0 || mi % 10 != 0 || om % 10 != 0)
		return -1;
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:00%c%02d:%02d", y, mo, d, h,
		 mi, sign, oh, om);
	return 0;
}

static int
ctl_import_number(const char *s)
{
	char *end;

	if (*s == '\0')
		return 0;
	errno = 0;
	strtod(s, &end);
	return *end == '\0' && errno == 0 ? 0 : -1;
}

static void
ctl_import_line(struct ctl_import *im, long lineno, char *line)
{
	char *fields[64], *val[CTL_IMPORT_NCOLS] = { 0 }, when[64];
	int n = ctl_import_split(line, fields, 64);
	char num[32];

	if (n != im->nfile) {
		ctl_import_error(im, lineno, "%d fields, the header has %d", n,
				 im->nfile);
		return;
	}
	for (int i = 0; i < n; i++)
		if (im->map[i] >= 0)
			val[im->map[i]] = fields[i];
	if (ctl_import_time(val[COL_TIME], when, sizeof(when)) == -1) {
		ctl_import_error(im, lineno,
				 "time '%s' is not an ISO 8601 10-minute "
				 "period start with a UTC offset",
				 val[COL_TIME]);
		return;
	}
	if (val[COL_ASSET][0] == '\0' || strpbrk(val[COL_ASSET], "\t\\")) {
		ctl_import_error(im, lineno, "bad asset_id '%s'", val[COL_ASSET]);
		return;
	}
	snprintf(num, sizeof(num), "%ld\t", lineno);
	ctl_import_put(im, num, strlen(num));
	ctl_import_put(im, when, strlen(when));
	for (int k = COL_ASSET; k < CTL_IMPORT_NCOLS; k++) {
		const char *v = val[k] ? val[k] : "";

		if (k != COL_ASSET && ctl_import_number(v) == -1) {
			ctl_import_error(im, lineno,
					 "column %s: '%s' is not a number",
					 ctl_import_columns[k], v);
			return;
		}
		ctl_import_put(im, "\t", 1);
		if (*v == '\0')
			ctl_import_put(im, "\\N", 2);
		else
			ctl_import_put(im, v, strlen(v));
	}
	ctl_import_put(im, "\n", 1);
}

/* Loads the checked rows in one transaction. */
static int
ctl_import_load(struct ctl_import *im, PGconn *conn)
{
	PGresult *r;

	if (ctl_db_exec(conn, "BEGIN", "import", NULL) == -1 ||
	    ctl_db_exec(conn,
			    "CREATE TEMP TABLE import_row (line int, period "
			    "timestamptz, asset text, w real, ws real, wd real, "
			    "turst real, pitch real, tmp real, kwh float8) ON "
			    "COMMIT DROP", "import", NULL) == -1)
		return -1;
	r = PQexec(conn, "COPY import_row FROM STDIN");
	PQclear(r);
	if (PQputCopyData(conn, im->copy, (int)im->len) != 1 ||
	    PQputCopyEnd(conn, NULL) != 1)
		return -1;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "ventoctl: import: %s",
				PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	/* Every asset must be a known device, every period once. */
	r = PQexec(conn,
		   "SELECT i.line, i.asset, (d.id IS NULL), "
		   "  count(*) OVER (PARTITION BY i.asset, i.period) > 1 "
		   "FROM import_row i LEFT JOIN device d ON d.name = i.asset "
		   "WHERE d.id IS NULL OR (i.asset, i.period) IN ("
		   "  SELECT asset, period FROM import_row GROUP BY 1, 2 "
		   "  HAVING count(*) > 1) ORDER BY i.line LIMIT 20");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: import: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++)
		ctl_import_error(im, atol(PQgetvalue(r, i, 0)),
				 strcmp(PQgetvalue(r, i, 2), "t") == 0
					 ? "asset_id '%s' is no device of the "
					   "database (ventod registers them)"
					 : "asset_id '%s' has this period "
					   "twice",
				 PQgetvalue(r, i, 1));
	PQclear(r);
	if (im->errors)
		return -1;
	if (ctl_db_exec(conn,
		"INSERT INTO stat_10min (device_id, period, source, n, valid, "
		"  wtur_w_mean, wmet_horwdspd_mean, wmet_horwddir_mean, "
		"  wtur_turst, wrot_blpthangval_mean, wmet_envtmp_mean, "
		"  t_available, t_unavailable, t_excluded, t_unknown, "
		"  energy_kwh, potential_kwh) "
		"SELECT d.id, i.period, 'import', 600, true, i.w, i.ws, i.wd, "
		"  i.turst, i.pitch, i.tmp, "
		"  600 * (g.g = 'available')::int, "
		"  600 * (g.g = 'unavailable')::int, "
		"  600 * (g.g = 'excluded')::int, 600 * (g.g = 'unknown')::int, "
		"  i.kwh, vento_ref_power(d.profile, i.ws) / 6.0 "
		"FROM import_row i JOIN device d ON d.name = i.asset "
		"LEFT JOIN model_state ms ON ms.profile = d.profile "
		"  AND ms.code = i.turst, "
		"LATERAL (SELECT vento_category_group(ms.category) AS g) g "
		/* Statistics from raw samples win; the same file again
		 * rewrites the same values. */
		"ON CONFLICT (device_id, period) DO UPDATE SET "
		"  wtur_w_mean = excluded.wtur_w_mean, "
		"  wmet_horwdspd_mean = excluded.wmet_horwdspd_mean, "
		"  wmet_horwddir_mean = excluded.wmet_horwddir_mean, "
		"  wtur_turst = excluded.wtur_turst, "
		"  wrot_blpthangval_mean = excluded.wrot_blpthangval_mean, "
		"  wmet_envtmp_mean = excluded.wmet_envtmp_mean, "
		"  t_available = excluded.t_available, "
		"  t_unavailable = excluded.t_unavailable, "
		"  t_excluded = excluded.t_excluded, "
		"  t_unknown = excluded.t_unknown, "
		"  energy_kwh = excluded.energy_kwh, "
		"  potential_kwh = excluded.potential_kwh "
		"WHERE stat_10min.source = 'import'", "import", NULL) == -1 ||
	    ctl_db_exec(conn,
		"SELECT vento_rollup_days(min(period), max(period) + "
		"interval '10 minutes') FROM import_row", "import", NULL) == -1)
		return -1;
	return 0;
}

int
ctl_import(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_import im = { 0 };
	int skip_unknown = 0;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, rows = 0;
	PGconn *conn;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--skip-unknown") == 0)
			skip_unknown = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: ventoctl import [--skip-unknown] FILE.csv\n"
			       "Loads 10-minute history: columns time, asset_id, "
			       "WTUR_W, WMET_HorWdSpd, WMET_HorWdDir, WTUR_TurSt,\n"
			       "WROT_BlPthAngVal, WMET_EnvTmp, WTUR_SupWh (kWh "
			       "in the period), any case.\n");
			return CTL_OK;
		} else if (im.file == NULL)
			im.file = argv[i];
		else
			return CTL_USAGE;
	}
	if (im.file == NULL) {
		fprintf(stderr, "usage: ventoctl import [--skip-unknown] FILE.csv\n");
		return CTL_USAGE;
	}
	if ((f = fopen(im.file, "r")) == NULL) {
		fprintf(stderr, "ventoctl: import: %s: %s\n", im.file,
			strerror(errno));
		return CTL_FAIL;
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if (lineno == 1) {
			if (ctl_import_header(&im, line, skip_unknown) == -1)
				break;
			continue;
		}
		if (line[strspn(line, " \r\n")] == '\0')
			continue;
		ctl_import_line(&im, lineno, line);
		rows++;
	}
	free(line);
	fclose(f);
	if (lineno == 0)
		ctl_import_error(&im, 1, "empty file");
	if (im.errors == 0 && (conn = ctl_db_connect(ctl)) != NULL) {
		if (ctl_import_load(&im, conn) == -1 ||
		    ctl_db_exec(conn, "COMMIT", "import", NULL) == -1) {
			if (im.errors == 0)
				im.errors++;
		}
		PQfinish(conn);
	} else if (im.errors == 0) {
		im.errors++;
	}
	free(im.copy);
	if (im.errors) {
		if (im.errors > CTL_IMPORT_MAX_ERRORS)
			fprintf(stderr, "%s: %d more errors\n", im.file,
				im.errors - CTL_IMPORT_MAX_ERRORS);
		fprintf(stderr, "%s: nothing imported\n", im.file);
		return CTL_FAIL;
	}
	printf("%s: %ld periods imported\n", im.file, rows);
	return CTL_OK;
}
