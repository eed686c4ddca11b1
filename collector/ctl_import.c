/* ctl_import.c - `ventoctl import FILE.csv`: 10-minute history, for a
 * collector that starts mid-year. The file's format is csv.c's; here the
 * rows are judged against their devices and loaded. The devices and their
 * models' states come from vento.conf and the drivers it names, so an
 * import needs no ventod run. Every line is checked before anything is
 * kept, every error names its line, and the load is one transaction: a
 * failed import leaves nothing half-loaded. Rows are streamed to a staging
 * table by binary COPY as they are read and merged by one INSERT, so a
 * year of a farm is neither held in memory nor sent row by row. Rows
 * already computed from raw samples win over imported ones, and importing
 * the same file again changes nothing. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "copybin.h"
#include "csv.h"
#include "ctl.h"
#include "plugin.h"
#include "xmalloc.h"

#define CTL_IMPORT_MAX_ERRORS 20
/* COPY data goes out in pieces of about this size. */
#define CTL_IMPORT_CHUNK (1 << 20)

/* A state of a model, as model_state has it. */
struct ctl_import_state {
	char profile[PROFILE_NAME_MAX];
	int64_t code;
	char name[64];
};

/* A device of the database, with what its rows are judged by. */
struct ctl_import_device {
	char name[DEVICE_NAME_MAX];
	char profile[PROFILE_NAME_MAX];
	int id;
	double rated_kw;                       /* 0 when not known */
	const struct ctl_import_state *states; /* its model's, sorted */
	int nstates;
};

struct ctl_import {
	const char *file;
	int mark_invalid; /* implausible values kept, marked, not refused */
	int errors;
	long rows, marked;
	struct ctl_import_device *devices; /* sorted by name */
	int ndevices;
	struct ctl_import_state *states; /* a model's states together */
	int nstates;
	/* The (device, period) pairs seen, for a period given twice: an
	 * open-addressed table of keys and the line that gave each. */
	uint64_t *seen_key;
	long *seen_line;
	size_t seen_cap, seen_n;
	struct copybin copy;
	PGconn *conn; /* in COPY while copying */
	int copying;
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

static int
ctl_import_device_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_import_device *)a)->name,
		      ((const struct ctl_import_device *)b)->name);
}

static int
ctl_import_register_state(PGconn *conn, const char *profile,
			  const struct profile_state *st)
{
	char code[24];
	const char *params[4] = { profile, code, st->name,
				  profile_category_name(st->category) };
	PGresult *r;
	int rc = 0;

	snprintf(code, sizeof(code), "%" PRId64, st->code);
	r = PQexecParams(conn,
			 "SELECT vento_register_state($1, $2::bigint, $3, $4)",
			 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: import: states of %s: %s", profile,
			PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Registers the configured devices and their models' states as ventod
 * does when it connects, so that history can come before the first poll. */
static int
ctl_import_register(PGconn *conn, const struct config *c)
{
	static const char *const kinds[] = { "turbine", "meter" };
	const struct projection *pj = &c->projection;
	char kwh[32], shares[256];
	const char *pparams[3] = { kwh, shares, pj->time_zone };
	PGresult *r;
	int n;

	/* The projection first: its time zone makes the local days the
	 * import's daily sums are rolled up by. */
	snprintf(kwh, sizeof(kwh), "%.0f", pj->annual_gwh * 1e6);
	n = snprintf(shares, sizeof(shares), "{");
	for (int m = 0; m < 12; m++)
		n += snprintf(shares + n, sizeof(shares) - (size_t)n, "%s%g",
			      m ? "," : "", pj->monthly_share[m]);
	snprintf(shares + n, sizeof(shares) - (size_t)n, "}");
	r = PQexecParams(conn,
			 "SELECT vento_set_projection($1::float8, "
			 "$2::float8[], $3)",
			 3, NULL, pparams, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: import: projection: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	/* The air densities next: the daily power-curve bins of the import
	 * are of wind normalised by them. */
	for (int p = 0; p <= c->nprofiles; p++) {
		double v = p < c->nprofiles ? c->profiles[p]->curve_air_density
					    : c->site_air_density;
		char rho[32];
		const char *dparams[2] = {
			p < c->nprofiles ? c->profiles[p]->name : NULL, rho
		};

		if (v <= 0)
			continue;
		snprintf(rho, sizeof(rho), "%g", v);
		r = PQexecParams(conn,
				 "SELECT vento_set_air_density($1, $2::real)",
				 2, NULL, dparams, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "ventoctl: import: air density: %s",
				PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	for (int i = 0; i < c->ndevices; i++) {
		const struct device *d = &c->devices[i];
		char wrap[32], rated[32];
		const char *params[5] = { d->name, kinds[d->kind],
					  d->profile->name, wrap, rated };

		snprintf(wrap, sizeof(wrap), "%.0f",
			 profile_counter_wrap_wh(d->profile));
		snprintf(rated, sizeof(rated), "%g", d->profile->rated_kw);
		r = PQexecParams(conn,
				 "SELECT vento_register_device($1, $2, $3, "
				 "$4::bigint, $5::real)",
				 5, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "ventoctl: import: device %s: %s",
				d->name, PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	for (int p = 0; p < c->nprofiles; p++) {
		const struct profile *pr = c->profiles[p];
		const struct vento_plugin_state *st;
		const char *why;
		struct plugin *pl;
		int rc = 0;

		for (int i = 0; i < pr->nstates; i++)
			if (ctl_import_register_state(conn, pr->name,
						      &pr->states[i]) == -1)
				return -1;
		/* A driver's states stand in where the profile has none. */
		if (pr->nstates > 0 || pr->plugin[0] == '\0')
			continue;
		if ((pl = plugin_open(c->plugin_dir, pr->plugin, &why)) ==
		    NULL) {
			fprintf(stderr, "%s: plugin '%s': %s\n", pr->file,
				pr->plugin, why);
			return -1;
		}
		for (st = plugin_driver(pl)->states; st && st->name && rc == 0;
		     st++) {
			struct profile_state ps = { .code = st->code,
						    .category = st->category };

			snprintf(ps.name, sizeof(ps.name), "%s", st->name);
			rc = ctl_import_register_state(conn, pr->name, &ps);
		}
		plugin_close(pl);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Reads the database's devices and states, which rows are judged by. */
static int
ctl_import_load_devices(struct ctl_import *im)
{
	PGresult *r = PQexec(im->conn, "SELECT profile, code, name FROM "
				       "model_state ORDER BY profile, code");

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		goto fail;
	im->nstates = PQntuples(r);
	im->states = xcalloc((size_t)im->nstates + 1, sizeof(*im->states));
	for (int i = 0; i < im->nstates; i++) {
		struct ctl_import_state *s = &im->states[i];

		snprintf(s->profile, sizeof(s->profile), "%s",
			 PQgetvalue(r, i, 0));
		s->code = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		snprintf(s->name, sizeof(s->name), "%s", PQgetvalue(r, i, 2));
	}
	PQclear(r);
	r = PQexec(im->conn, "SELECT name, id, rated_kw, profile FROM device");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		goto fail;
	im->ndevices = PQntuples(r);
	im->devices = xcalloc((size_t)im->ndevices + 1, sizeof(*im->devices));
	for (int i = 0; i < im->ndevices; i++) {
		struct ctl_import_device *d = &im->devices[i];
		const char *profile = PQgetvalue(r, i, 3);

		snprintf(d->name, sizeof(d->name), "%s", PQgetvalue(r, i, 0));
		d->id = atoi(PQgetvalue(r, i, 1));
		d->rated_kw = strtod(PQgetvalue(r, i, 2), NULL);
		snprintf(d->profile, sizeof(d->profile), "%s", profile);
		for (int k = 0; k < im->nstates; k++)
			if (strcmp(im->states[k].profile, profile) == 0) {
				if (d->nstates++ == 0)
					d->states = &im->states[k];
			}
	}
	PQclear(r);
	qsort(im->devices, (size_t)im->ndevices, sizeof(*im->devices),
	      ctl_import_device_cmp);
	return 0;
fail:
	fprintf(stderr, "ventoctl: import: %s", PQresultErrorMessage(r));
	PQclear(r);
	return -1;
}

/* Where a device's 10-minute values can physically be. Power may be a
 * little negative (a turbine at rest draws its own supply) and a little
 * above rated (gusts, overrating), by as much as the counter check of
 * 005_statistics.sql allows; the energy of a period is at most that power
 * for 10 minutes. A device whose rated power is not known is held to the
 * largest turbines built. */
static void
ctl_import_limits(const struct ctl_import_device *d, int col, double *lo,
		  double *hi)
{
	double rated = d->rated_kw > 0 ? d->rated_kw : 30000;

	switch (col) {
	case CSV_W:
		*lo = -0.1 * rated;
		*hi = 1.2 * rated;
		break;
	case CSV_SUPWH:
		*lo = 0;
		*hi = 1.2 * rated / 6;
		break;
	case CSV_WS:
		*lo = 0; /* beyond the strongest gust measured at hub height */
		*hi = 100;
		break;
	case CSV_WD:
		*lo = 0;
		*hi = 360;
		break;
	case CSV_PITCH:
		*lo = -180;
		*hi = 180;
		break;
	case CSV_TMP: /* beyond the coldest and hottest air measured */
		*lo = -90;
		*hi = 60;
		break;
	default:
		*lo = -INFINITY;
		*hi = INFINITY;
	}
}

/* Says what is wrong with a state, then the states the model has. */
static void __attribute__((format(printf, 4, 5)))
ctl_import_state_names(const struct ctl_import_device *d, char *why, size_t n,
		       const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	for (int i = 0; i < d->nstates && (len = strlen(why)) < n; i++)
		snprintf(why + len, n - len, "%s%" PRId64 " '%s'",
			 i ? ", " : " (", d->states[i].code, d->states[i].name);
	if (d->nstates && (len = strlen(why)) < n)
		snprintf(why + len, n - len, ")");
}

/* The state's code, from a code or the model's name for it. Returns 0, or
 * -1 with the reason in why. */
static int
ctl_import_state(const struct ctl_import_device *d, struct csv_row *row,
		 char *why, size_t n)
{
	if (!(row->present & 1u << CSV_TURST))
		return 0;
	if (row->state_name) {
		for (int i = 0; i < d->nstates; i++)
			if (strcasecmp(d->states[i].name, row->state_name) ==
			    0) {
				row->state_code = d->states[i].code;
				row->state_is_code = 1;
				return 0;
			}
		ctl_import_state_names(d, why, n,
				       "state '%s' is no state of "
				       "%s's model %s",
				       row->state_name, d->name, d->profile);
	} else if (d->nstates == 0) {
		if (row->state_code >= 0 && row->state_code <= 32767)
			return 0;
		snprintf(why, n, "state %" PRId64 " is out of range 0..32767",
			 row->state_code);
	} else {
		for (int i = 0; i < d->nstates; i++)
			if (d->states[i].code == row->state_code)
				return 0;
		ctl_import_state_names(d, why, n,
				       "state %" PRId64 " is no state of %s's "
				       "model %s",
				       row->state_code, d->name, d->profile);
	}
	return -1;
}

/* Judges a row against its device. Returns a mask of the implausible
 * columns (bit 1 << column), naming the first in why. */
static unsigned
ctl_import_judge(const struct ctl_import_device *d, struct csv_row *row,
		 char *why, size_t n)
{
	char other[256];
	unsigned bad = 0;

	for (int k = CSV_W; k < CSV_NCOLUMNS; k++) {
		double lo, hi;

		if (k == CSV_TURST || !(row->present & 1u << k))
			continue;
		ctl_import_limits(d, k, &lo, &hi);
		if (row->value[k] >= lo && row->value[k] <= hi)
			continue;
		if (!bad)
			snprintf(why, n,
				 "column %s: %g %s is not plausible for %s "
				 "(%g to %g %s)",
				 csv_column_name(k), row->value[k],
				 csv_column_unit(k), d->name, lo, hi,
				 csv_column_unit(k));
		bad |= 1u << k;
	}
	if ((row->present & 1u << CSV_TURST) &&
	    ctl_import_state(d, row, bad ? other : why,
			     bad ? sizeof(other) : n) == -1)
		bad |= 1u << CSV_TURST;
	return bad;
}

/* The staging table's columns, in COPY order. */
#define CTL_IMPORT_STAGE_FIELDS 11

/* Sends what the buffer holds when it is big enough, or always. */
static int
ctl_import_flush(struct ctl_import *im, int always)
{
	if (im->copy.len == 0 || (!always && im->copy.len < CTL_IMPORT_CHUNK))
		return 0;
	if (PQputCopyData(im->conn, (const char *)im->copy.buf,
			  (int)im->copy.len) != 1) {
		fprintf(stderr, "ventoctl: import: %s",
			PQerrorMessage(im->conn));
		return -1;
	}
	im->copy.len = 0;
	return 0;
}

/* Notes that line gives device id's period t (seconds). Returns 0, or the
 * earlier line that gave it too. */
static long
ctl_import_seen(struct ctl_import *im, int id, int64_t t, long line)
{
	uint64_t key = (uint64_t)id << 40 | (uint64_t)(t / 600), h;
	size_t i;

	if (2 * (im->seen_n + 1) > im->seen_cap) {
		uint64_t *keys = im->seen_key;
		long *lines = im->seen_line;
		size_t cap = im->seen_cap;

		im->seen_cap = cap ? 2 * cap : 1 << 16;
		im->seen_key = xcalloc(im->seen_cap, sizeof(*im->seen_key));
		im->seen_line = xcalloc(im->seen_cap, sizeof(*im->seen_line));
		im->seen_n = 0;
		for (size_t k = 0; k < cap; k++)
			if (lines[k])
				ctl_import_seen(
				    im, (int)(keys[k] >> 40),
				    (int64_t)(keys[k] & ((1ULL << 40) - 1)) *
					600,
				    lines[k]);
		free(keys);
		free(lines);
	}
	/* Fibonacci hashing: keys of one device differ in their low bits. */
	h = key * 0x9e3779b97f4a7c15ULL;
	for (i = (size_t)(h >> 20) & (im->seen_cap - 1); im->seen_line[i];
	     i = (i + 1) & (im->seen_cap - 1))
		if (im->seen_key[i] == key)
			return im->seen_line[i];
	im->seen_key[i] = key;
	im->seen_line[i] = line;
	im->seen_n++;
	return 0;
}

/* An implausible value is staged as it is, for the record of what was
 * marked; only plausible ones reach the statistics (ctl_import_merge). */
static void
ctl_import_value(struct copybin *b, const struct csv_row *row, int col)
{
	if (row->present & 1u << col)
		copybin_float(b, COPYBIN_FLOAT8, row->value[col]);
	else
		copybin_null(b);
}

/* Checks a line and stages it. Errors are counted and said. */
static void
ctl_import_line(struct ctl_import *im, long lineno, char *line,
		const struct csv_header *h)
{
	struct ctl_import_device key, *d;
	struct csv_row row;
	char why[512];
	unsigned bad;
	long first;

	if (csv_row_parse(h, line, &row, why, sizeof(why)) == -1) {
		ctl_import_error(im, lineno, "%s", why);
		return;
	}
	snprintf(key.name, sizeof(key.name), "%s", row.asset);
	d = strlen(row.asset) < sizeof(key.name)
		? bsearch(&key, im->devices, (size_t)im->ndevices, sizeof(key),
			  ctl_import_device_cmp)
		: NULL;
	if (d == NULL) {
		ctl_import_error(im, lineno,
				 "asset_id '%s' is no device of %s or the "
				 "database",
				 row.asset, "vento.conf");
		return;
	}
	if ((first = ctl_import_seen(im, d->id, row.period, lineno)) != 0) {
		ctl_import_error(im, lineno,
				 "asset_id '%s' has this period twice (line "
				 "%ld)",
				 row.asset, first);
		return;
	}
	bad = ctl_import_judge(d, &row, why, sizeof(why));
	if (bad && !im->mark_invalid) {
		ctl_import_error(im, lineno,
				 "%s (--mark-invalid imports such values "
				 "marked invalid)",
				 why);
		return;
	}
	im->rows++;
	im->marked += bad != 0;
	if (im->errors)
		return; /* nothing more is sent: it will be rolled back */
	copybin_row(&im->copy, CTL_IMPORT_STAGE_FIELDS);
	copybin_int(&im->copy, COPYBIN_INT4, lineno);
	copybin_int(&im->copy, COPYBIN_INT2, d->id);
	copybin_time(&im->copy, row.period * 1000);
	ctl_import_value(&im->copy, &row, CSV_W);
	ctl_import_value(&im->copy, &row, CSV_WS);
	ctl_import_value(&im->copy, &row, CSV_WD);
	if ((row.present & 1u << CSV_TURST) && row.state_is_code &&
	    !(bad & 1u << CSV_TURST))
		copybin_int(&im->copy, COPYBIN_INT8, row.state_code);
	else
		copybin_null(&im->copy);
	ctl_import_value(&im->copy, &row, CSV_PITCH);
	ctl_import_value(&im->copy, &row, CSV_TMP);
	ctl_import_value(&im->copy, &row, CSV_SUPWH);
	copybin_int(&im->copy, COPYBIN_INT4, (int64_t)bad);
	if (ctl_import_flush(im, 0) == -1)
		im->errors++;
}

static int
ctl_import_begin(struct ctl_import *im, const struct config *c)
{
	PGresult *r;

	/* The staging table of a year of a farm is about 200 MB: in
	 * memory, not spilled from PostgreSQL's default of 8 MB (it is set
	 * before the session's first temporary table, and taken only as
	 * used). */
	if (ctl_db_exec(im->conn, "SET temp_buffers = '256MB'", "import",
			NULL) == -1 ||
	    ctl_db_exec(im->conn, "BEGIN", "import", NULL) == -1 ||
	    ctl_import_register(im->conn, c) == -1 ||
	    ctl_import_load_devices(im) == -1 ||
	    ctl_db_exec(im->conn,
			"CREATE TEMP TABLE import_row (line int, device_id "
			"smallint, period timestamptz, w float8, ws float8, "
			"wd float8, turst bigint, pitch float8, tmp float8, "
			"kwh float8, bad int) ON COMMIT DROP",
			"import", NULL) == -1)
		return -1;
	r = PQexec(im->conn, "COPY import_row FROM STDIN (FORMAT binary)");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "ventoctl: import: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	im->copying = 1;
	copybin_begin(&im->copy);
	return 0;
}

/* Ends the COPY: cancelled when there were errors. Returns 0 or -1. */
static int
ctl_import_end_copy(struct ctl_import *im)
{
	PGresult *r;
	int rc = 0;

	im->copying = 0;
	if (im->errors == 0) {
		copybin_end(&im->copy);
		if (ctl_import_flush(im, 1) == -1)
			return -1;
	}
	if (PQputCopyEnd(im->conn, im->errors ? "errors in the file" : NULL) !=
	    1)
		return -1;
	while ((r = PQgetResult(im->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && im->errors == 0) {
			fprintf(stderr, "ventoctl: import: %s",
				PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	return im->errors ? -1 : rc;
}

/* The staged rows as stat_10min has them: implausible values left out,
 * the state's availability group, the reference energy at the measured
 * wind normalised to the reference curve's air density (a file has no
 * pressure: the site's density, 013_farm_numbers.sql). vento_ref_power
 * costs two index probes, so it is called once per
 * distinct model and wind speed of the file (a few thousand at the
 * hundredths of m/s SCADA exports write), not once per row. */
static const char ctl_import_view_sql[] =
	"CREATE TEMP TABLE import_pot ON COMMIT DROP AS "
	"SELECT p.profile, p.ws, (vento_ref_power(p.profile, p.ws * "
	"  vento_wind_factor(NULL, (SELECT air_density FROM site), "
	"  coalesce((SELECT c.air_density FROM power_curve_density c "
	"  WHERE c.profile = p.profile), 1.225))) / 6.0)::real "
	"  AS kwh FROM (SELECT DISTINCT d.profile, i.ws::real AS ws "
	"  FROM import_row i JOIN device d ON d.id = i.device_id "
	"  WHERE i.ws IS NOT NULL AND i.bad & 8 = 0) p; "
	"ANALYZE import_pot; "
	"CREATE TEMP VIEW import_stat AS "
	"SELECT i.device_id, i.period, i.bad = 0 AS valid, "
	"  (CASE WHEN i.bad & 4 = 0 THEN i.w END)::real AS w, "
	"  (CASE WHEN i.bad & 8 = 0 THEN i.ws END)::real AS ws, "
	"  (CASE WHEN i.bad & 16 = 0 THEN i.wd END)::real AS wd, "
	"  (CASE WHEN i.bad & 32 = 0 THEN i.turst END)::smallint AS turst, "
	"  (CASE WHEN i.bad & 64 = 0 THEN i.pitch END)::real AS pitch, "
	"  (CASE WHEN i.bad & 128 = 0 THEN i.tmp END)::real AS tmp, "
	"  (600 * (g.g = 'available')::int)::smallint AS t_available, "
	"  (600 * (g.g = 'unavailable')::int)::smallint AS t_unavailable, "
	"  (600 * (g.g = 'excluded')::int)::smallint AS t_excluded, "
	"  (600 * (g.g = 'unknown')::int)::smallint AS t_unknown, "
	"  CASE WHEN i.bad & 256 = 0 THEN i.kwh END AS kwh, "
	"  pot.kwh AS potential, "
	"  CASE WHEN i.bad <> 0 THEN concat_ws(' ', "
	"    CASE WHEN i.bad & 4 <> 0 THEN 'wtur_w=' || i.w END, "
	"    CASE WHEN i.bad & 8 <> 0 THEN 'wmet_horwdspd=' || i.ws END, "
	"    CASE WHEN i.bad & 16 <> 0 THEN 'wmet_horwddir=' || i.wd END, "
	"    CASE WHEN i.bad & 32 <> 0 THEN 'wtur_turst' END, "
	"    CASE WHEN i.bad & 64 <> 0 THEN 'wrot_blpthangval=' || i.pitch "
	"      END, "
	"    CASE WHEN i.bad & 128 <> 0 THEN 'wmet_envtmp=' || i.tmp END, "
	"    CASE WHEN i.bad & 256 <> 0 THEN 'wtur_supwh=' || i.kwh END) "
	"  END AS implausible "
	"FROM import_row i JOIN device d ON d.id = i.device_id "
	"LEFT JOIN import_pot pot ON pot.profile = d.profile "
	"  AND pot.ws = i.ws::real AND i.bad & 8 = 0 "
	"LEFT JOIN model_state ms ON ms.profile = d.profile "
	"  AND ms.code = i.turst AND i.bad & 32 = 0, "
	"LATERAL (SELECT vento_category_group(ms.category) AS g) g";

/* Earlier imports of the same periods are replaced where they differ:
 * the same file again writes nothing. Statistics computed from raw
 * samples win. */
static const char ctl_import_update_sql[] =
	"UPDATE stat_10min s SET valid = n.valid, wtur_w_mean = n.w, "
	"  wmet_horwdspd_mean = n.ws, wmet_horwddir_mean = n.wd, "
	"  wtur_turst = n.turst, wrot_blpthangval_mean = n.pitch, "
	"  wmet_envtmp_mean = n.tmp, t_available = n.t_available, "
	"  t_unavailable = n.t_unavailable, t_excluded = n.t_excluded, "
	"  t_unknown = n.t_unknown, energy_kwh = n.kwh, "
	"  potential_kwh = n.potential, implausible = n.implausible "
	"FROM import_stat n "
	"WHERE s.device_id = n.device_id AND s.period = n.period "
	"  AND s.source = 'import' AND (s.valid, s.wtur_w_mean, "
	"  s.wmet_horwdspd_mean, s.wmet_horwddir_mean, s.wtur_turst, "
	"  s.wrot_blpthangval_mean, s.wmet_envtmp_mean, s.t_available, "
	"  s.t_unavailable, s.t_excluded, s.t_unknown, s.energy_kwh, "
	"  s.potential_kwh, s.implausible) IS DISTINCT FROM (n.valid, n.w, "
	"  n.ws, n.wd, n.turst, n.pitch, n.tmp, n.t_available, "
	"  n.t_unavailable, n.t_excluded, n.t_unknown, n.kwh, n.potential, "
	"  n.implausible)";

/* New periods by a plain INSERT: ON CONFLICT's speculative insertion
 * costs a fifth more per row. A period that ventod's rollup stores between
 * the two statements fails the import, which can then be run again. */
#define CTL_IMPORT_INSERT_SQL                                                  \
	"INSERT INTO stat_10min (device_id, period, source, n, valid, "               \
	"  wtur_w_mean, wmet_horwdspd_mean, wmet_horwddir_mean, wtur_turst, "         \
	"  wrot_blpthangval_mean, wmet_envtmp_mean, t_available, "                    \
	"  t_unavailable, t_excluded, t_unknown, energy_kwh, potential_kwh, "         \
	"  implausible) "                                                             \
	"SELECT n.device_id, n.period, 'import', 600, n.valid, n.w, n.ws, "           \
	"  n.wd, n.turst, n.pitch, n.tmp, n.t_available, n.t_unavailable, "           \
	"  n.t_excluded, n.t_unknown, n.kwh, n.potential, n.implausible "             \
	"FROM import_stat n"

/* Runs a statement that changes rows; returns how many, or -1. */
static long
ctl_import_count(struct ctl_import *im, const char *sql)
{
	PGresult *r = PQexec(im->conn, sql);
	long n;

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: import: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	n = PQresultStatus(r) == PGRES_TUPLES_OK
		    ? atol(PQgetvalue(r, 0, 0))
		    : atol(PQcmdTuples(r));
	PQclear(r);
	return n;
}

/* Merges the staged rows into the statistics, rolls up their days and
 * commits. Prints the counts. Returns 0 or -1. */
static int
ctl_import_merge(struct ctl_import *im)
{
	long fresh, replaced, overlap, raw = 0;

	/* Statistics of the staged rows and memory enough for hash joins
	 * keep a year's rows out of sorts on disk. */
	if (ctl_db_exec(im->conn,
			"ANALYZE import_row; SET LOCAL work_mem = '64MB'",
			"import", NULL) == -1 ||
	    ctl_db_exec(im->conn, ctl_import_view_sql, "import", NULL) == -1 ||
	    (overlap = ctl_import_count(
		     im, "SELECT count(*) FROM (SELECT 1 FROM stat_10min "
			 "WHERE period BETWEEN (SELECT min(period) FROM "
			 "import_row) AND (SELECT max(period) FROM import_row) "
			 "LIMIT 1) o")) == -1)
		return -1;
	if (overlap == 0) {
		/* History before anything stored, the common case: nothing to
		 * replace, nothing to look up. */
		fresh = ctl_import_count(im, CTL_IMPORT_INSERT_SQL);
		replaced = 0;
	} else {
		/* A probe of the statistics per row is right for a day's file,
		 * but a year's is joined faster by hashing: random reads of a
		 * table larger than memory took minutes. */
		if (im->rows > 10000 &&
		    ctl_db_exec(im->conn, "SET LOCAL enable_nestloop = off",
				"import", NULL) == -1)
			return -1;
		if ((replaced = ctl_import_count(im, ctl_import_update_sql)) ==
		    -1)
			return -1;
		fresh = ctl_import_count(im, CTL_IMPORT_INSERT_SQL " WHERE NOT "
						"EXISTS (SELECT 1 FROM "
						"stat_10min s WHERE s.device_id "
						"= n.device_id AND s.period = "
						"n.period)");
	}
	if (fresh == -1)
		return -1;
	/* Only a file imported before has periods that were neither new nor
	 * replaced: unchanged, or computed from raw samples. */
	if (fresh + replaced < im->rows &&
	    (raw = ctl_import_count(im,
				    "SELECT count(*) FROM import_row i JOIN "
				    "stat_10min s USING (device_id, period) "
				    "WHERE s.source = 'raw'")) == -1)
		return -1;
	/* The daily sums read what was just written: with the table's
	 * statistics as they were before (empty, say) their plan took three
	 * times as long for a year. */
	if (im->rows > 10000 &&
	    ctl_db_exec(im->conn, "ANALYZE stat_10min", "import", NULL) == -1)
		return -1;
	if (ctl_db_exec(im->conn,
			"SELECT vento_rollup_days(min(period), max(period) + "
			"interval '10 minutes') FROM import_row",
			"import", NULL) == -1)
		return -1;
	if (ctl_db_exec(im->conn, "COMMIT", "import", NULL) == -1)
		return -1;
	printf("%s: %ld periods: %ld new, %ld replaced, %ld unchanged, %ld "
	       "left as computed from raw samples",
	       im->file, im->rows, fresh, replaced,
	       im->rows - fresh - replaced - raw, raw);
	if (im->marked)
		printf("; %ld marked invalid", im->marked);
	printf("\n");
	return 0;
}

static void
ctl_import_usage(FILE *f)
{
	fprintf(f, "usage: ventoctl import [--skip-unknown] [--mark-invalid] "
		   "FILE.csv\n");
}

int
ctl_import(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_import im = { 0 };
	struct csv_header h;
	int skip_unknown = 0;
	char *line = NULL, why[512];
	size_t cap = 0;
	long lineno = 0;
	struct config *c;
	FILE *f = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--skip-unknown") == 0)
			skip_unknown = 1;
		else if (strcmp(argv[i], "--mark-invalid") == 0)
			im.mark_invalid = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			ctl_import_usage(stdout);
			printf(
			    "Loads 10-minute history: columns time, asset_id "
			    "and WTUR_SupWh (kWh in the period), and\n"
			    "WTUR_W, WMET_HorWdSpd, WMET_HorWdDir, "
			    "WTUR_TurSt, WROT_BlPthAngVal, WMET_EnvTmp,\n"
			    "any case. See ventoctl(1) for units, states and "
			    "limits.\n");
			return CTL_OK;
		} else if (im.file == NULL && argv[i][0] != '-')
			im.file = argv[i];
		else {
			ctl_import_usage(stderr);
			return CTL_USAGE;
		}
	}
	if (im.file == NULL) {
		ctl_import_usage(stderr);
		return CTL_USAGE;
	}
	if ((f = fopen(im.file, "r")) == NULL) {
		fprintf(stderr, "ventoctl: import: %s: %s\n", im.file,
			strerror(errno));
		return CTL_FAIL;
	}
	if (getline(&line, &cap, f) == -1) {
		ctl_import_error(&im, 1, "empty file");
	} else if (csv_header_parse(&h, line, skip_unknown, why, sizeof(why)) ==
		   -1) {
		ctl_import_error(&im, 1, "%s", why);
	} else if ((c = ctl_config(ctl)) == NULL) {
		im.errors++; /* cfg_load said why */
	} else if ((im.conn = ctl_db_connect(ctl)) == NULL ||
		   ctl_import_begin(&im, c) == -1) {
		im.errors++;
	} else {
		lineno = 1;
		while (getline(&line, &cap, f) != -1) {
			lineno++;
			if (line[strspn(line, " \t\r\n")] == '\0')
				continue;
			ctl_import_line(&im, lineno, line, &h);
		}
		if (ferror(f))
			ctl_import_error(&im, lineno, "%s", strerror(errno));
		if (ctl_import_end_copy(&im) == -1 ||
		    ctl_import_merge(&im) == -1) {
			if (im.errors == 0)
				im.errors++;
		}
	}
	free(line);
	fclose(f);
	if (im.conn)
		PQfinish(im.conn); /* without COMMIT: rolled back */
	free(im.copy.buf);
	free(im.devices);
	free(im.states);
	free(im.seen_key);
	free(im.seen_line);
	if (im.errors) {
		if (im.errors > CTL_IMPORT_MAX_ERRORS)
			fprintf(stderr, "%s: %d more errors\n", im.file,
				im.errors - CTL_IMPORT_MAX_ERRORS);
		fprintf(stderr, "%s: nothing imported\n", im.file);
		return CTL_FAIL;
	}
	return CTL_OK;
}
