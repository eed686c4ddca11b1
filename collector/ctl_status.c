/* ctl_status.c - `ventoctl status`: each device's newest sample and the
 * farm's total, read from the database as the reader role would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "health.h"
#include "lateness.h"
#include "xmalloc.h"

/* Only the last minutes are searched: the raw table's BRIN index makes that
 * cheap, and a device silent for longer is shown as silent. */
static const char ctl_status_sql[] =
	"SELECT d.name, d.kind, coalesce(q.name, 'quality ' || r.quality), "
	"       coalesce(r.wtur_w, r.mmxu_totw), "
	"       r.wmet_horwdspd, r.wtur_turst, "
	"       extract(epoch FROM now() - r.time)::float8, "
	"       coalesce(ms.name, 'state ' || r.wtur_turst), "
	"       coalesce(r.errors, 0) "
	"FROM device d LEFT JOIN ("
	"  SELECT DISTINCT ON (device_id) device_id, time, quality, wtur_w, "
	"         mmxu_totw, wmet_horwdspd, wtur_turst, "
	"         count(*) FILTER (WHERE quality <> 0) "
	"           OVER (PARTITION BY device_id) AS errors "
	"  FROM raw_sample WHERE time > now() - interval '10 minutes' "
	"  ORDER BY device_id, time DESC) r ON r.device_id = d.id "
	"LEFT JOIN quality q ON q.code = r.quality "
	"LEFT JOIN model_state ms ON ms.profile = d.profile "
	"  AND ms.code = r.wtur_turst "
	"ORDER BY d.kind DESC, d.name";

/* The quality's name comes from the schema's quality table; a device with
 * no row in the window has none. */
static const char *
ctl_quality_name(const char *q)
{
	return q[0] == '\0' ? "-" : q;
}

/* Each device's poll lateness as ventod last wrote it (lateness.c), into
 * *late_us by device index; NULL when there is no configuration. */
static void
ctl_status_lateness(struct ctl *ctl, long long **late_us)
{
	if (ctl_config(ctl) == NULL)
		return;
	*late_us = xcalloc((size_t)ctl->cfg->ndevices + 1, sizeof(**late_us));
	lateness_read(ctl->cfg->state_dir, ctl->cfg, *late_us);
}

static long long
ctl_status_late_of(struct ctl *ctl, const long long *late_us, const char *name)
{
	const struct device *d;

	if (late_us == NULL || (d = cfg_find_device(ctl->cfg, name)) == NULL)
		return -1;
	return late_us[d - ctl->cfg->devices];
}

/* A field's text, or NULL for SQL NULL. */
static const char *
ctl_status_value(const PGresult *r, int i, int k)
{
	return PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
}

static void
ctl_status_json(struct ctl *ctl, const long long *late_us, PGresult *r)
{
	long long us;

	printf("{\"devices\":[");
	for (int i = 0; i < PQntuples(r); i++) {
		printf("%s{\"name\":", i ? "," : "");
		ctl_json_string(PQgetvalue(r, i, 0));
		printf(",\"kind\":\"%s\"", PQgetvalue(r, i, 1));
		if (PQgetisnull(r, i, 6)) {
			printf(",\"age_s\":null}");
			continue;
		}
		printf(",\"quality\":\"%s\",\"age_s\":",
		       ctl_quality_name(PQgetvalue(r, i, 2)));
		ctl_json_number(PQgetvalue(r, i, 6));
		printf(",\"power_kw\":");
		ctl_json_number(ctl_status_value(r, i, 3));
		printf(",\"wind_ms\":");
		ctl_json_number(ctl_status_value(r, i, 4));
		printf(",\"state\":");
		ctl_json_number(ctl_status_value(r, i, 5));
		if (PQgetisnull(r, i, 7))
			printf(",\"state_name\":null");
		else {
			printf(",\"state_name\":");
			ctl_json_string(PQgetvalue(r, i, 7));
		}
		printf(",\"errors_10min\":");
		ctl_json_number(PQgetvalue(r, i, 8));
		us = ctl_status_late_of(ctl, late_us, PQgetvalue(r, i, 0));
		if (us >= 0)
			printf(",\"late_ms\":%.1f}", (double)us / 1000);
		else
			printf(",\"late_ms\":null}");
	}
	printf("]}\n");
}

/* What the collector lost since it started, and why, when it lost
 * anything: a line an operator cannot miss. */
static void
ctl_status_losses(const struct config *cfg, const struct health *h)
{
	/* Quarantined records count while they wait, however old: replay
	 * brings them back. */
	int quarantined = ctl_quarantine_count(cfg->state_dir);

	if (h->lost + h->spool_dropped + h->damaged + quarantined > 0)
		printf("collector: LOST since start: %lld rows not spooled "
		       "(disk full or unwritable), %lld batches dropped at the "
		       "spool bound, %lld batches damaged or missing; %d "
		       "batches in quarantine (ventoctl quarantine list)\n",
		       h->lost, h->spool_dropped, h->damaged, quarantined);
	if (h->isolated > 0)
		printf("collector: LOST since start: %lld rows of devices the "
		       "database cannot store (isolated; the log says which "
		       "and why)\n",
		       h->isolated);
	if (h->duplicates > 0)
		printf("collector: %lld rows sent again were refused as "
		       "stored already (not lost, not doubled)\n",
		       h->duplicates);
}

/* One line about the collector itself, from its health file. */
static void
ctl_status_collector(struct ctl *ctl)
{
	struct health h;
	long age;

	if (ctl_config(ctl) == NULL)
		return;
	if (health_read(ctl->cfg->state_dir, &h) == -1) {
		printf("collector: no health file in %s (ventod not running "
		       "with this configuration?)\n",
		       ctl->cfg->state_dir);
		return;
	}
	age = (long)(time(NULL) - h.updated);
	if (h.pid == 0) {
		printf("collector: STOPPED %ld s ago; spool %.1f MB with %lld "
		       "batches not yet stored\n",
		       age, (double)h.spool_bytes / 1048576.0, h.spool_backlog);
		ctl_status_losses(ctl->cfg, &h);
		return;
	}
	printf("collector: pid %ld, %s (%ld s ago), database %s, spool %.1f "
	       "MB with %lld batches not yet stored, %lld batches dropped at "
	       "the spool bound\n",
	       h.pid, age > 10 ? "NOT UPDATING" : "updating", age,
	       h.db_up ? "up" : "DOWN", (double)h.spool_bytes / 1048576.0,
	       h.spool_backlog, h.spool_dropped);
	ctl_status_losses(ctl->cfg, &h);
}

int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	PGconn *conn;
	PGresult *r;
	double total_kw = 0, wind_sum = 0;
	long long *late_us = NULL;
	int fresh = 0, nwind = 0, n, turbines = 0,
	    colour = isatty(STDOUT_FILENO);

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0)) {
		printf("usage: ventoctl status\n"
		       "Each device's newest sample (last 10 minutes): state, "
		       "power, wind, age, quality; and the farm's total.\n");
		return CTL_OK;
	}
	ctl->fleet_wide = 1;
	if ((conn = ctl_db_connect(ctl)) == NULL) {
		if (!ctl->json)
			ctl_status_collector(ctl);
		return CTL_FAIL;
	}
	if (ctl->fleet && ctl->farm == NULL) {
		/* A fleet has no collector: its farms' replication. */
		int rc = ctl_fleet_status(ctl, conn);

		PQfinish(conn);
		return rc;
	}
	r = PQexec(conn, ctl_status_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: status: %s",
			PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(conn);
		return CTL_FAIL;
	}
	if (ctl->json) {
		ctl_status_lateness(ctl, &late_us);
		ctl_status_json(ctl, late_us, r);
		free(late_us);
		PQclear(r);
		PQfinish(conn);
		return CTL_OK;
	}
	n = PQntuples(r);
	ctl_status_lateness(ctl, &late_us);
	printf("%-8s %-8s %9s %7s %8s %7s %7s %-9s %s\n", "DEVICE", "KIND",
	       "POWER_KW", "WIND_MS", "AGE_S", "LATE_MS", "ERR_10M", "QUALITY",
	       "STATE");
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(r, i, 0);

		turbines += strcmp(PQgetvalue(r, i, 1), "turbine") == 0;

		if (PQgetisnull(r, i, 6)) {
			printf("%s%-8s %-8s %9s %7s %8s %7s %7s %-9s %s%s\n",
			       colour ? "\033[31m" : "", name,
			       PQgetvalue(r, i, 1), "-", "-", "-", "-", "-",
			       "-", "no data in 10 min",
			       colour ? "\033[0m" : "");
			continue;
		}
		double age = atof(PQgetvalue(r, i, 6));
		const char *quality = ctl_quality_name(PQgetvalue(r, i, 2));
		char power[32] = "-", wind[32] = "-", late[32] = "-";
		long long us = ctl_status_late_of(ctl, late_us, name);

		if (age < 10 && strcmp(quality, "ok") == 0)
			fresh++;
		if (!PQgetisnull(r, i, 3)) {
			if (strcmp(PQgetvalue(r, i, 1), "turbine") == 0)
				total_kw += atof(PQgetvalue(r, i, 3));
			snprintf(power, sizeof(power), "%.1f",
				 atof(PQgetvalue(r, i, 3)));
		}
		if (!PQgetisnull(r, i, 4)) {
			wind_sum += atof(PQgetvalue(r, i, 4));
			nwind++;
			snprintf(wind, sizeof(wind), "%.2f",
				 atof(PQgetvalue(r, i, 4)));
		}
		/* Colour only on a terminal: red for a failing device, yellow
		 * for a stale one. */
		const char *on = !colour ? ""
				 : strcmp(quality, "ok") != 0 ? "\033[31m"
				 : age >= 10			? "\033[33m"
								: "";
		if (us >= 0)
			snprintf(late, sizeof(late), "%.1f", (double)us / 1000);
		printf("%s%-8s %-8s %9s %7s %8.1f %7s %7s %-9s %s%s\n", on,
		       name, PQgetvalue(r, i, 1), power, wind, age, late,
		       PQgetvalue(r, i, 8), quality,
		       PQgetisnull(r, i, 7) ? "-" : PQgetvalue(r, i, 7),
		       *on ? "\033[0m" : "");
	}
	printf("\nfarm: %.1f MW from %d turbines, mean wind %.2f m/s, %d of %d "
	       "devices with a good sample in the last 10 s\n",
	       total_kw / 1000, turbines, nwind ? wind_sum / nwind : 0.0, fresh,
	       n);
	ctl_status_collector(ctl);
	free(late_us);
	PQclear(r);
	PQfinish(conn);
	return CTL_OK;
}
