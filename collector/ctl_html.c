/* ctl_html.c - `ventoctl report --month YYYY-MM -o FILE.html`: one
 * self-contained page a manager can open anywhere: production against the
 * budget, the year's cumulative energy against the projection,
 * availability and each turbine's power curve, as inline SVG. No
 * JavaScript, nothing fetched. Its numbers come from the same report
 * functions as `ventoctl production`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct html {
	FILE *f;
	PGconn *conn;
	int year, month;
	/* the year's start and the month's bounds, in the farm's time zone
	 * (the projection's), as SQL text */
	char year_from[40], from[40], to[40];
};

static PGresult *
html_query(struct html *h, const char *sql)
{
	PGresult *r = PQexec(h->conn, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: report: %s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

static double
html_num(PGresult *r, int i, int k)
{
	return PQgetisnull(r, i, k) ? NAN : atof(PQgetvalue(r, i, k));
}

/* Escapes text for HTML. */
static void
html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

static const char *const html_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Monthly production against the budget: bars, and a table whose numbers
 * equal `ventoctl production --json`. */
static int
html_monthly(struct html *h)
{
	char sql[512];
	PGresult *r;
	double max = 1;
	const int W = 720, H = 240, L = 50, B = 24;

	snprintf(sql, sizeof(sql),
		 "SELECT month, round((actual_kwh / 1000)::numeric, 1), "
		 "round((budget_kwh / 1000)::numeric, 1) FROM vento_monthly(%d)",
		 h->year);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		if (html_num(r, i, 1) > max)
			max = html_num(r, i, 1);
		if (html_num(r, i, 2) > max)
			max = html_num(r, i, 2);
	}
	fprintf(h->f, "<h2>Production against budget, %d</h2>\n"
		      "<svg width=\"%d\" height=\"%d\" role=\"img\" "
		      "aria-label=\"monthly production\">\n",
		h->year, W, H);
	for (int i = 0; i < PQntuples(r); i++) {
		double a = html_num(r, i, 1), b = html_num(r, i, 2);
		double x = L + i * (W - L) / 12.0;
		double ha = a / max * (H - B - 10), hb = b / max * (H - B - 10);

		fprintf(h->f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"%.1f\" "
			"fill=\"#bbb\"><title>budget %.1f MWh</title></rect>\n",
			x + 6, H - B - hb, hb, b);
		if (i + 1 <= h->month)
			fprintf(h->f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" "
				"height=\"%.1f\" fill=\"#2a7ab0\"><title>actual "
				"%.1f MWh</title></rect>\n",
				x + 26, H - B - ha, ha, a);
		fprintf(h->f,
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s</text>\n",
			x + 14, H - 8, html_months[i]);
	}
	fprintf(h->f,
		"<text x=\"0\" y=\"12\" font-size=\"11\">%.0f MWh</text>\n"
		"</svg>\n<p class=\"legend\"><span style=\"color:#2a7ab0\">"
		"&#9632;</span> actual <span style=\"color:#bbb\">&#9632;</span> "
		"budget</p>\n",
		max);
	fprintf(h->f, "<table id=\"monthly\"><tr><th>month</th><th>actual "
		      "MWh</th><th>budget MWh</th></tr>\n");
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(h->f,
			"<tr><td>%s</td><td class=\"actual\">%s</td>"
			"<td>%s</td></tr>\n",
			PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			PQgetvalue(r, i, 2));
	fprintf(h->f, "</table>\n");
	PQclear(r);
	return 0;
}

/* The year's cumulative energy by day against the cumulative budget, and
 * the projection; then the yearly check in words. */
static int
html_cumulative(struct html *h)
{
	char sql[1024];
	PGresult *r;
	double proj;
	const int W = 720, H = 260, L = 50, B = 20;
	int n;

	snprintf(sql, sizeof(sql),
		 "WITH d AS (SELECT generate_series(make_date(%d, 1, 1), "
		 "  make_date(%d, 12, 31), '1 day')::date AS day), "
		 "a AS (SELECT day, sum(energy_kwh) AS kwh FROM stat_day s "
		 "  JOIN device v ON v.id = s.device_id WHERE v.kind = "
		 "  (SELECT source FROM vento_yearly_check(%d, vento_day_start(("
		 "  make_date(%d, %d, 1) + interval '1 month')::date))) "
		 "  GROUP BY day) "
		 "SELECT d.day, sum(coalesce(a.kwh, 0)) OVER (ORDER BY d.day) / 1e6, "
		 "  vento_budget_to(%d, vento_day_start(d.day + 1)) / 1e6, "
		 "  d.day < make_date(%d, %d, 1) + interval '1 month' "
		 "FROM d LEFT JOIN a USING (day) ORDER BY d.day",
		 h->year, h->year, h->year, h->year, h->month, h->year, h->year,
		 h->month);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	n = PQntuples(r);
	proj = n ? html_num(r, n - 1, 2) : 1;
	if (!(proj > 0))
		proj = 1;
	fprintf(h->f,
		"<h2>The year so far against the projection</h2>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\""
		"cumulative energy\">\n<polyline fill=\"none\" stroke=\"#bbb\" "
		"stroke-width=\"2\" points=\"",
		W, H);
	for (int i = 0; i < n; i++)
		fprintf(h->f, "%.1f,%.1f ", L + i * (W - L) / (double)n,
			H - B - html_num(r, i, 2) / proj * (H - B - 10));
	fprintf(h->f, "\"/>\n<polyline fill=\"none\" stroke=\"#2a7ab0\" "
		      "stroke-width=\"2\" points=\"");
	for (int i = 0; i < n && strcmp(PQgetvalue(r, i, 3), "t") == 0; i++)
		fprintf(h->f, "%.1f,%.1f ", L + i * (W - L) / (double)n,
			H - B - html_num(r, i, 1) / proj * (H - B - 10));
	fprintf(h->f,
		"\"/>\n<text x=\"0\" y=\"12\" font-size=\"11\">%.0f GWh</text>"
		"\n<text x=\"%d\" y=\"%d\" font-size=\"11\">Jan</text><text "
		"x=\"%d\" y=\"%d\" font-size=\"11\">Dec</text>\n</svg>\n"
		"<p class=\"legend\"><span style=\"color:#2a7ab0\">&#9632;"
		"</span> actual <span style=\"color:#bbb\">&#9632;</span> "
		"budget</p>\n",
		proj, L, H - 4, W - 30, H - 4);
	PQclear(r);
	snprintf(sql, sizeof(sql),
		 "SELECT round((actual_kwh / 1e6)::numeric, 2), "
		 "round((budget_kwh / 1e6)::numeric, 2), "
		 "round((forecast_kwh / 1e6)::numeric, 2), "
		 "round((projection_kwh / 1e6)::numeric, 2), "
		 "round((forecast_ratio * 100)::numeric, 1), "
		 "round((completeness * 100)::numeric, 1), source "
		 "FROM vento_yearly_check(%d, vento_day_start((make_date(%d, "
		 "%d, 1) + interval '1 month')::date))",
		 h->year, h->year, h->month);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	fprintf(h->f,
		"<table id=\"yearly\"><tr><th>actual GWh</th><th>budget "
		"GWh</th><th>forecast GWh</th><th>projection GWh</th><th>"
		"forecast %%</th><th>data %%</th><th>source</th></tr>\n<tr>");
	for (int k = 0; k < 7; k++)
		fprintf(h->f, "<td>%s</td>", PQgetvalue(r, 0, k));
	fprintf(h->f, "</tr></table>\n");
	PQclear(r);
	return 0;
}

static int
html_availability(struct html *h)
{
	char sql[512];
	PGresult *r;
	const int W = 720, row = 14;

	snprintf(sql, sizeof(sql),
		 "SELECT device, round((availability * 100)::numeric, 2), "
		 "round((lost_kwh / 1000)::numeric, 1) FROM vento_availability("
		 "'%s'::timestamptz, '%s'::timestamptz)",
		 h->from, h->to);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	fprintf(h->f,
		"<h2>Availability, %s %d (IEC 61400-26, time-based)</h2>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\""
		"availability\">\n",
		html_months[h->month - 1], h->year, W, row * PQntuples(r) + 4);
	for (int i = 0; i < PQntuples(r); i++) {
		double a = html_num(r, i, 1);

		fprintf(h->f,
			"<text x=\"0\" y=\"%d\" font-size=\"11\">%s</text>"
			"<rect x=\"50\" y=\"%d\" width=\"%.1f\" height=\"10\" "
			"fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" font-size=\""
			"10\">%s %% (lost %s MWh)</text>\n",
			row * i + 11, PQgetvalue(r, i, 0), row * i + 2,
			isnan(a) ? 0 : a / 100 * 400,
			a < 95 ? "#c0392b" : "#27ae60",
			isnan(a) ? 55 : 55 + a / 100 * 400, row * i + 11,
			PQgetisnull(r, i, 1) ? "-" : PQgetvalue(r, i, 1),
			PQgetvalue(r, i, 2));
	}
	fprintf(h->f, "</svg>\n");
	PQclear(r);
	return 0;
}

/* A small chart per turbine: measured bins against the reference. */
static int
html_power_curves(struct html *h)
{
	PGresult *dev, *r;
	char sql[512];
	const int W = 220, H = 150;

	if ((dev = html_query(h, "SELECT name FROM device WHERE kind = "
				 "'turbine' ORDER BY name")) == NULL)
		return -1;
	fprintf(h->f, "<h2>Power curves, %d (IEC 61400-12-1, "
		      "density-normalised wind)</h2>\n<div class=\"curves\">\n",
		h->year);
	for (int d = 0; d < PQntuples(dev); d++) {
		char *name = PQescapeLiteral(h->conn, PQgetvalue(dev, d, 0),
					     strlen(PQgetvalue(dev, d, 0)));

		snprintf(sql, sizeof(sql),
			 "SELECT bin_wind, measured_kw, reference_kw FROM "
			 "vento_power_curve(%s, '%s'::timestamptz, "
			 "'%s'::timestamptz)",
			 name, h->year_from, h->to);
		PQfreemem(name);
		if ((r = html_query(h, sql)) == NULL) {
			PQclear(dev);
			return -1;
		}
		fprintf(h->f, "<svg width=\"%d\" height=\"%d\" role=\"img\" "
			      "aria-label=\"power curve\"><text x=\"4\" y=\"12\" "
			      "font-size=\"11\">",
			W, H);
		html_text(h->f, PQgetvalue(dev, d, 0));
		fprintf(h->f, "</text>\n<polyline fill=\"none\" stroke=\"#bbb\" "
			      "points=\"");
		for (int i = 0; i < PQntuples(r); i++)
			fprintf(h->f, "%.1f,%.1f ",
				10 + html_num(r, i, 0) / 26 * (W - 20),
				H - 10 - html_num(r, i, 2) / 4700 * (H - 30));
		fprintf(h->f, "\"/>\n");
		for (int i = 0; i < PQntuples(r); i++)
			fprintf(h->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
				      "fill=\"#2a7ab0\"/>",
				10 + html_num(r, i, 0) / 26 * (W - 20),
				H - 10 - html_num(r, i, 1) / 4700 * (H - 30));
		fprintf(h->f, "</svg>\n");
		PQclear(r);
	}
	fprintf(h->f, "</div>\n");
	PQclear(dev);
	return 0;
}

/* The bounds of the year and the month, as the budget sets them. */
static int
html_bounds(struct html *h)
{
	char sql[160];
	PGresult *r;

	snprintf(sql, sizeof(sql),
		 "SELECT min(month_start) OVER (), month_start, month_end "
		 "FROM vento_budget(%d) ORDER BY month",
		 h->year);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	if (PQntuples(r) != 12) {
		fprintf(stderr, "ventoctl: report: no projection for %d\n",
			h->year);
		PQclear(r);
		return -1;
	}
	snprintf(h->year_from, sizeof(h->year_from), "%s",
		 PQgetvalue(r, h->month - 1, 0));
	snprintf(h->from, sizeof(h->from), "%s", PQgetvalue(r, h->month - 1, 1));
	snprintf(h->to, sizeof(h->to), "%s", PQgetvalue(r, h->month - 1, 2));
	PQclear(r);
	return 0;
}

int
ctl_report(struct ctl *ctl, int argc, char **argv)
{
	struct html h = { 0 };
	const char *out = NULL, *month = NULL;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--month") == 0 && i + 1 < argc)
			month = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: ventoctl report --month YYYY-MM -o "
			       "FILE.html\nA self-contained page: production "
			       "against budget, the year against the "
			       "projection,\navailability and power curves, as "
			       "SVG. No JavaScript, no network.\n");
			return CTL_OK;
		} else
			return CTL_USAGE;
	}
	if (month == NULL || out == NULL ||
	    sscanf(month, "%4d-%2d", &h.year, &h.month) != 2 || h.month < 1 ||
	    h.month > 12) {
		fprintf(stderr, "usage: ventoctl report --month YYYY-MM -o FILE.html\n");
		return CTL_USAGE;
	}
	if ((h.conn = ctl_db_connect(ctl)) == NULL)
		return CTL_FAIL;
	if (html_bounds(&h) == -1) {
		PQfinish(h.conn);
		return CTL_FAIL;
	}
	if ((h.f = fopen(out, "w")) == NULL) {
		fprintf(stderr, "ventoctl: report: %s: %s\n", out,
			strerror(errno));
		PQfinish(h.conn);
		return CTL_FAIL;
	}
	fprintf(h.f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\""
		"utf-8\"><title>vento report %04d-%02d</title>\n<style>body{"
		"font-family:sans-serif;margin:2em;max-width:60em}table{"
		"border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
		"#ccc;padding:2px 8px;text-align:right}.curves svg{border:1px "
		"solid #eee;margin:2px}.legend{font-size:small}</style></head>"
		"\n<body>\n<h1>vento: the farm in %s %d</h1>\n",
		h.year, h.month, html_months[h.month - 1], h.year);
	if (html_monthly(&h) == -1 || html_cumulative(&h) == -1 ||
	    html_availability(&h) == -1 || html_power_curves(&h) == -1)
		rc = -1;
	fprintf(h.f, "</body></html>\n");
	if (fclose(h.f) != 0)
		rc = -1;
	PQfinish(h.conn);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}
