/* ctl_report.c - the reports a manager reads: `ventoctl production`,
 * `availability` and `powercurve`, as tables or, with --json, for
 * scripts. The numbers come from the database's report functions
 * (schema/006_reports.sql), so Grafana and ventoctl agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The value after option name, or dflt. */
static const char *
ctl_report_opt(int argc, char **argv, const char *name, const char *dflt)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return dflt;
}

static int
ctl_report_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", usage);
			return 1;
		}
	return 0;
}

/* SQL for the year: the given one, or this year in local time. */
#define CTL_YEAR                                                               \
	"coalesce(nullif($1, '')::int, extract(year FROM now() AT TIME ZONE "  \
	"(SELECT time_zone FROM projection))::int)"

/* The year's local bounds as y.y0 and y.y1. */
#define CTL_YEAR_RANGE                                                         \
	"WITH y AS (SELECT min(month_start) AS y0, max(month_end) AS y1 "      \
	"FROM vento_budget(" CTL_YEAR ")) "

int
ctl_production(struct ctl *ctl, int argc, char **argv)
{
	const char *year = ctl_report_opt(argc, argv, "--year", "");
	const char *by = ctl_report_opt(argc, argv, "--by", "month");
	const char *params[1] = { year };
	PGconn *conn;
	int rc;

	if (ctl_report_help(argc, argv,
			    "usage: ventoctl production [--year Y] [--by "
			    "month|turbine|day]\nEnergy against the budget of "
			    "the projection, in MWh; then the yearly check "
			    "(--json: {months|turbines|days, year}).\n"))
		return CTL_OK;
	if (strcmp(by, "month") && strcmp(by, "turbine") && strcmp(by, "day")) {
		fprintf(stderr, "ventoctl: production: --by month, turbine or day\n");
		return CTL_USAGE;
	}
	ctl->fleet_wide = 1;
	if ((conn = ctl_db_connect(ctl)) == NULL)
		return CTL_FAIL;
	if (ctl->fleet && ctl->farm == NULL) {
		/* The whole fleet: each farm's year and their sum. */
		rc = ctl_fleet_yearly(ctl, conn, year);
		PQfinish(conn);
		return rc;
	}
	if (ctl->json)
		putchar('{');
	if (strcmp(by, "month") == 0)
		rc = ctl_table_member(ctl, conn, "months", 0,
			"SELECT month, round((actual_kwh / 1000)::numeric, 1) AS actual_mwh, "
			"round((budget_kwh / 1000)::numeric, 1) AS budget_mwh, "
			"round((actual_kwh / nullif(budget_kwh, 0) * 100)::numeric, 1) AS pct_of_budget, "
			"round((completeness * 100)::numeric, 1) AS data_pct "
			"FROM vento_monthly(" CTL_YEAR ")", 1, params);
	else if (strcmp(by, "turbine") == 0)
		rc = ctl_table_member(ctl, conn, "turbines", 0,
			"SELECT device, round((actual_kwh / 1000)::numeric, 1) AS actual_mwh, "
			"round((budget_kwh / 1000)::numeric, 1) AS budget_mwh, "
			"round((ratio * 100)::numeric, 1) AS pct_of_budget, "
			"round((completeness * 100)::numeric, 1) AS data_pct, flagged_periods "
			"FROM vento_yearly_by_device(" CTL_YEAR ")", 1, params);
	else
		rc = ctl_table_member(ctl, conn, "days", 0,
			"SELECT s.day, round((sum(s.energy_kwh) FILTER (WHERE d.kind = 'turbine') / 1000)::numeric, 1) AS turbines_mwh, "
			"round((sum(s.energy_kwh) FILTER (WHERE d.kind = 'meter') / 1000)::numeric, 1) AS meter_mwh, "
			"round((sum(s.valid_periods) FILTER (WHERE d.kind = 'turbine') * 100.0 / "
			"  greatest(1, 144 * (SELECT count(*) FROM device WHERE kind = 'turbine')))::numeric, 1) AS data_pct "
			"FROM stat_day s JOIN device d ON d.id = s.device_id "
			"WHERE extract(year FROM s.day) = " CTL_YEAR " GROUP BY s.day ORDER BY s.day",
			1, params);
	/* The yearly check under the table, in --json as "year": the same
	 * summary for scripts as for people. */
	if (rc == 0) {
		fputs(ctl->json ? ",\n" : "\n", stdout);
		rc = ctl_table_member(ctl, conn, "year", 1,
			"SELECT year, round((actual_kwh / 1e6)::numeric, 2) AS actual_gwh, "
			"round((budget_kwh / 1e6)::numeric, 2) AS budget_gwh, "
			"round((forecast_kwh / 1e6)::numeric, 2) AS forecast_gwh, "
			"round((projection_kwh / 1e6)::numeric, 2) AS projection_gwh, "
			"round((forecast_ratio * 100)::numeric, 1) AS forecast_pct, "
			"round((completeness * 100)::numeric, 1) AS data_pct, source "
			"FROM vento_yearly_check(" CTL_YEAR ")", 1, params);
	}
	if (ctl->json && rc == 0)
		puts("}");
	PQfinish(conn);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}

int
ctl_availability(struct ctl *ctl, int argc, char **argv)
{
	const char *params[1] = { ctl_report_opt(argc, argv, "--year", "") };
	PGconn *conn;
	int rc;

	if (ctl_report_help(argc, argv,
			    "usage: ventoctl availability [--year Y]\n"
			    "Availability per IEC 61400-26-1 of every turbine "
			    "and of the farm, time- and energy-based, with the "
			    "hours in each group and the energy lost.\n"))
		return CTL_OK;
	if ((conn = ctl_db_connect(ctl)) == NULL)
		return CTL_FAIL;
	if (ctl->json)
		putchar('{');
	rc = ctl_table_member(ctl, conn, "turbines", 0,
		CTL_YEAR_RANGE
		"SELECT device, round((availability * 100)::numeric, 2) AS availability_pct, "
		"round((energy_availability * 100)::numeric, 2) AS energy_availability_pct, "
		"round(available_h::numeric, 1) AS available_h, "
		"round(unavailable_h::numeric, 1) AS unavailable_h, "
		"round(unknown_h::numeric, 1) AS info_unavailable_h, "
		"round(excluded_h::numeric, 1) AS excluded_h, "
		"round(((lost_kwh + unknown_lost_kwh) / 1000)::numeric, 1) AS lost_mwh "
		"FROM y, vento_availability(y.y0, y.y1)", 1, params);
	if (rc == 0) {
		fputs(ctl->json ? ",\n" : "\n", stdout);
		rc = ctl_table_member(ctl, conn, "farm", 1,
			CTL_YEAR_RANGE
			"SELECT turbines, round((availability * 100)::numeric, 2) AS availability_pct, "
			"round((energy_availability * 100)::numeric, 2) AS energy_availability_pct, "
			"round(available_h::numeric, 1) AS available_h, "
			"round(unavailable_h::numeric, 1) AS unavailable_h, "
			"round(unknown_h::numeric, 1) AS info_unavailable_h, "
			"round(excluded_h::numeric, 1) AS excluded_h, "
			"round(((lost_kwh + unknown_lost_kwh) / 1000)::numeric, 1) AS lost_mwh "
			"FROM y, vento_farm_availability(y.y0, y.y1)", 1, params);
	}
	if (ctl->json && rc == 0)
		puts("}");
	PQfinish(conn);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}

/* Says what the bins' wind is normalised to (IEC 61400-12-1): the air
 * density the model's reference curve is stated at, from the measured
 * air or else the site's mean density. */
static int
ctl_powercurve_density(PGconn *conn, const char *device)
{
	const char *params[1] = { device };
	PGresult *r = PQexecParams(conn,
		"SELECT coalesce(c.air_density, 1.225)::numeric(5,3), "
		"(SELECT air_density FROM site)::numeric(5,3) "
		"FROM device d LEFT JOIN power_curve_density c ON c.profile = d.profile "
		"WHERE d.name = $1", 1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) == 1)
		printf("wind normalised to %s kg/m3, the reference curve's "
		       "air density, from the air's measured pressure and "
		       "temperature, else %s%s%s\n",
		       PQgetvalue(r, 0, 0),
		       PQgetisnull(r, 0, 1) ? "not normalised (no site "
					      "air_density in vento.conf)"
					    : "the site's ",
		       PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1),
		       PQgetisnull(r, 0, 1) ? "" : " kg/m3");
	PQclear(r);
	return 0;
}

int
ctl_powercurve(struct ctl *ctl, int argc, char **argv)
{
	const char *device = NULL;
	const char *params[2];
	PGconn *conn;
	int rc;

	if (ctl_report_help(argc, argv,
			    "usage: ventoctl powercurve DEVICE [--year Y]\n"
			    "The measured power curve (IEC 61400-12-1, 0.5 m/s "
			    "bins of density-normalised wind) against the "
			    "reference.\n"))
		return CTL_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--year") == 0)
			i++;
		else if (device == NULL)
			device = argv[i];
	}
	if (device == NULL) {
		fprintf(stderr, "usage: ventoctl powercurve DEVICE [--year Y]\n");
		return CTL_USAGE;
	}
	params[0] = ctl_report_opt(argc, argv, "--year", "");
	params[1] = device;
	if ((conn = ctl_db_connect(ctl)) == NULL)
		return CTL_FAIL;
	rc = ctl_table_query(ctl, conn,
		CTL_YEAR_RANGE
		"SELECT bin_wind AS wind_ms, periods, round(measured_kw::numeric, 1) AS measured_kw, "
		"round(reference_kw::numeric, 1) AS reference_kw, "
		"round((measured_kw / nullif(reference_kw, 0) * 100)::numeric, 1) AS pct "
		"FROM y, vento_power_curve($2, y.y0, y.y1)", 2, params);
	if (rc == 0 && !ctl->json)
		rc = ctl_powercurve_density(conn, device);
	if (rc == 0 && !ctl->json) {
		putchar('\n');
		rc = ctl_table_query(ctl, conn,
			CTL_YEAR_RANGE
			"SELECT device, periods, round((ratio * 100)::numeric, 1) AS performance_pct, "
			"CASE WHEN flagged THEN 'UNDER 95%' ELSE 'ok' END AS verdict "
			"FROM y, vento_performance(y.y0, y.y1) WHERE device = $2", 2, params);
	}
	PQfinish(conn);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}
