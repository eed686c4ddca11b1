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

/* A field as a number; NAN for NULL and for what is no finite number. */
static double
html_num(PGresult *r, int i, int k)
{
	double v = PQgetisnull(r, i, k) ? NAN : atof(PQgetvalue(r, i, k));

	return isfinite(v) ? v : NAN;
}

/* A coordinate: a missing value draws at the axis, never as "nan". */
static double
html_at(double v)
{
	return isfinite(v) ? v : 0;
}

/* A table cell of a number, "-" when there is none. */
static void
html_cell(FILE *f, PGresult *r, int i, int k, const char *cls)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "",
		cls ? "\"" : "");
	if (isnan(html_num(r, i, k)))
		fputs("-", f);
	else
		fputs(PQgetvalue(r, i, k), f);
	fputs("</td>", f);
}

/* The top of a value axis: max rounded up to 1, 2 or 5 times a power of
 * ten, so that its ticks fall on round numbers. */
static double
html_nice(double max)
{
	double p;

	if (!(max > 0))
		return 1;
	p = pow(10, floor(log10(max)));
	if (max <= p)
		return p;
	if (max <= 2 * p)
		return 2 * p;
	if (max <= 5 * p)
		return 5 * p;
	return 10 * p;
}

/*
 * A vertical value axis at x from y0 (value 0) up to y1 (value top), five
 * ticks with gridlines to x2, labelled, and the axis's title with its unit
 * turned along it.
 */
static void
html_yaxis(FILE *f, double x, double y0, double y1, double x2, double top,
	   const char *title)
{
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#333\"/>\n",
		x, y0, x, y1);
	for (int t = 0; t <= 5; t++) {
		double y = y0 - (y0 - y1) * t / 5;

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#e4e4e4\"/><text x=\"%.1f\" "
			"y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%g"
			"</text>\n",
			x + 1, y, x2, y, x - 3, y + 3, top * t / 5);
	}
	fprintf(f,
		"<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		"font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
		x - 46 < 9 ? 9 : x - 46, (y0 + y1) / 2, title);
}

/* A horizontal axis line from x to x2 at y, with its title below. */
static void
html_xaxis(FILE *f, double x, double x2, double y, const char *title)
{
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#333\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		"font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
		x, y, x2, y, (x + x2) / 2, y + 26, title);
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

/* Production against the budget: the month's and the year's to date, then
 * each month so far as bars and as a table whose numbers equal `ventoctl
 * production --json`. A report of a month shows no month after it. */
/* The rows of a table of the month and the year to date (column 0 says
 * which: "month" or "year"), then the table's end. */
static void
html_period_rows(struct html *h, PGresult *r, int ncols)
{
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), "month") == 0)
			fprintf(h->f, "<tr><th>%s %d</th>",
				html_months[h->month - 1], h->year);
		else
			fprintf(h->f, "<tr><th>year to date (Jan&ndash;%s)</th>",
				html_months[h->month - 1]);
		for (int k = 1; k < ncols; k++)
			html_cell(h->f, r, i, k, NULL);
		fprintf(h->f, "</tr>\n");
	}
	fprintf(h->f, "</table>\n");
}

static int
html_monthly(struct html *h)
{
	char sql[768];
	PGresult *r;
	double top = 0;
	const int W = 720, H = 260, L = 70, B = 40, T = 10;
	int n;

	snprintf(sql, sizeof(sql),
		 "WITH m AS (SELECT * FROM vento_monthly(%d) WHERE month <= %d) "
		 "SELECT 'month', round((actual_kwh / 1000)::numeric, 1), "
		 "round((budget_kwh / 1000)::numeric, 1), round((actual_kwh / "
		 "nullif(budget_kwh, 0) * 100)::numeric, 1) FROM m WHERE month "
		 "= %d UNION ALL SELECT 'year', round((sum(actual_kwh) / "
		 "1000)::numeric, 1), round((sum(budget_kwh) / 1000)::numeric, "
		 "1), round((sum(actual_kwh) / nullif(sum(budget_kwh), 0) * "
		 "100)::numeric, 1) FROM m",
		 h->year, h->month, h->month);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	fprintf(h->f,
		"<h2>Budget against actual</h2>\n<table id=\"budget\"><tr><th>"
		"</th><th>actual MWh</th><th>budget MWh</th><th>actual %% of "
		"budget</th></tr>\n");
	html_period_rows(h, r, 4);
	PQclear(r);

	snprintf(sql, sizeof(sql),
		 "SELECT month, round((actual_kwh / 1000)::numeric, 1), "
		 "round((budget_kwh / 1000)::numeric, 1) FROM vento_monthly(%d) "
		 "WHERE month <= %d ORDER BY month",
		 h->year, h->month);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		top = fmax(top, fmax(html_at(html_num(r, i, 1)),
				     html_at(html_num(r, i, 2))));
	top = html_nice(top);
	fprintf(h->f,
		"<h2>Production against budget by month, %d</h2>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" "
		"aria-label=\"monthly production\"><title>Production against "
		"budget by month, %d (MWh)</title>\n",
		h->year, W, H, h->year);
	html_yaxis(h->f, L, H - B, T, W, top, "energy (MWh)");
	for (int i = 0; i < n; i++) {
		double a = html_at(html_num(r, i, 1));
		double b = html_at(html_num(r, i, 2));
		double x = L + i * (W - L) / 12.0;
		double ha = a / top * (H - B - T), hb = b / top * (H - B - T);

		fprintf(h->f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"%.1f\" "
			"fill=\"#bbb\"><title>budget %.1f MWh</title></rect>\n"
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"%.1f\" "
			"fill=\"#2a7ab0\"><title>actual %.1f MWh</title></rect>\n"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
			"text-anchor=\"middle\">%s</text>\n",
			x + 6, H - B - hb, hb, b, x + 26, H - B - ha, ha, a,
			x + 26, H - B + 13, html_months[i]);
	}
	html_xaxis(h->f, L, W, H - B, "month");
	fprintf(h->f,
		"</svg>\n<p class=\"legend\"><span style=\"color:#2a7ab0\">"
		"&#9632;</span> actual <span style=\"color:#bbb\">&#9632;</span> "
		"budget</p>\n");
	fprintf(h->f, "<table id=\"monthly\"><tr><th>month</th><th>actual "
		      "MWh</th><th>budget MWh</th></tr>\n");
	for (int i = 0; i < n; i++) {
		fprintf(h->f, "<tr><td>%s</td>", PQgetvalue(r, i, 0));
		html_cell(h->f, r, i, 1, "actual");
		html_cell(h->f, r, i, 2, NULL);
		fprintf(h->f, "</tr>\n");
	}
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
	double proj, top;
	const int W = 720, H = 280, L = 70, B = 40, T = 10;
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
	proj = n ? html_at(html_num(r, n - 1, 2)) : 0;
	for (int i = 0; i < n; i++)
		proj = fmax(proj, html_at(html_num(r, i, 1)));
	top = html_nice(proj);
	fprintf(h->f,
		"<h2>The year so far against the projection, %d</h2>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\""
		"cumulative energy\"><title>Cumulative energy of %d against "
		"the cumulative budget (GWh)</title>\n",
		h->year, W, H, h->year);
	html_yaxis(h->f, L, H - B, T, W, top, "cumulative energy (GWh)");
	/* A tick at each month's first day. */
	for (int m = 0, i = 0; m < 12 && n > 0; m++) {
		double x;

		while (i < n && atoi(PQgetvalue(r, i, 0) + 5) < m + 1)
			i++;
		x = L + i * (W - L) / (double)n;
		fprintf(h->f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#333\"/><text x=\"%.1f\" y=\"%d\" "
			"font-size=\"10\">%s</text>\n",
			x, H - B, x, H - B + 4, x + 2, H - B + 13,
			html_months[m]);
	}
	html_xaxis(h->f, L, W, H - B, "date");
	fprintf(h->f, "<polyline fill=\"none\" stroke=\"#bbb\" "
		      "stroke-width=\"2\" points=\"");
	for (int i = 0; i < n; i++)
		fprintf(h->f, "%.1f,%.1f ", L + i * (W - L) / (double)n,
			H - B - html_at(html_num(r, i, 2)) / top * (H - B - T));
	fprintf(h->f, "\"/>\n<polyline fill=\"none\" stroke=\"#2a7ab0\" "
		      "stroke-width=\"2\" points=\"");
	for (int i = 0; i < n && strcmp(PQgetvalue(r, i, 3), "t") == 0; i++)
		fprintf(h->f, "%.1f,%.1f ", L + i * (W - L) / (double)n,
			H - B - html_at(html_num(r, i, 1)) / top * (H - B - T));
	fprintf(h->f,
		"\"/>\n</svg>\n<p class=\"legend\"><span style=\"color:#2a7ab0\">"
		"&#9632;</span> actual <span style=\"color:#bbb\">&#9632;"
		"</span> budget (the projection's monthly shares)</p>\n");
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
	for (int k = 0; k < 6 && PQntuples(r) == 1; k++)
		html_cell(h->f, r, 0, k, NULL);
	if (PQntuples(r) == 1)
		fprintf(h->f, "<td>%s</td>", PQgetvalue(r, 0, 6));
	fprintf(h->f, "</tr></table>\n");
	PQclear(r);
	return 0;
}

/* The farm's availability (IEC 61400-26-1, time- and energy-based) for
 * the month and the year to date, then each turbine's for the month with
 * its power-curve performance of the year to date. */
static int
html_availability(struct html *h)
{
	char sql[1400];
	PGresult *r;
	const int W = 720, row = 16, L = 60, B = 36;
	int n;

	snprintf(sql, sizeof(sql),
		 "SELECT p, turbines, round((availability * 100)::numeric, 2), "
		 "round((energy_availability * 100)::numeric, 2), "
		 "round((lost_kwh / 1000)::numeric, 1), round((unknown_h)::numeric, "
		 "1) FROM (SELECT 1 AS o, 'month' AS p, * FROM "
		 "vento_farm_availability('%s'::timestamptz, '%s'::timestamptz) "
		 "UNION ALL SELECT 2, 'year', * FROM vento_farm_availability('%s'"
		 "::timestamptz, '%s'::timestamptz)) f ORDER BY o",
		 h->from, h->to, h->year_from, h->to);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	fprintf(h->f,
		"<h2>Farm availability (IEC 61400-26-1)</h2>\n<table id=\"farm\">"
		"<tr><th></th><th>turbines</th><th>time-based %%</th><th>"
		"energy-based %%</th><th>lost MWh</th><th>information "
		"unavailable h</th></tr>\n");
	html_period_rows(h, r, 6);
	PQclear(r);

	snprintf(sql, sizeof(sql),
		 "SELECT a.device, round((a.availability * 100)::numeric, 2), "
		 "round((a.energy_availability * 100)::numeric, 2), "
		 "round((a.lost_kwh / 1000)::numeric, 1), round((p.ratio * "
		 "100)::numeric, 1), p.flagged "
		 "FROM vento_availability('%s'::timestamptz, '%s'::timestamptz) a "
		 "LEFT JOIN vento_performance('%s'::timestamptz, '%s'::timestamptz) "
		 "p ON p.device = a.device ORDER BY a.device",
		 h->from, h->to, h->year_from, h->to);
	if ((r = html_query(h, sql)) == NULL)
		return -1;
	n = PQntuples(r);
	fprintf(h->f,
		"<h2>Availability per turbine, %s %d (time-based)</h2>\n"
		"<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\""
		"availability\"><title>Time-based availability per turbine, %s "
		"%d (%%)</title>\n",
		html_months[h->month - 1], h->year, W, row * n + B + 4,
		html_months[h->month - 1], h->year);
	for (int t = 0; t <= 10; t++) {
		double x = L + (W - L - 20) * t / 10.0;

		fprintf(h->f,
			"<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%d\" "
			"font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
			x, x, row * n + 4, x, row * n + 16, t * 10);
	}
	for (int i = 0; i < n; i++) {
		double a = html_num(r, i, 1);

		fprintf(h->f, "<text x=\"0\" y=\"%d\" font-size=\"11\">",
			row * i + 12);
		html_text(h->f, PQgetvalue(r, i, 0));
		fprintf(h->f,
			"</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"11\" fill=\"%s\"><title>%s %%</title></rect>\n",
			L, row * i + 3, html_at(a) / 100 * (W - L - 20),
			a < 95 ? "#c0392b" : "#27ae60",
			isnan(a) ? "-" : PQgetvalue(r, i, 1));
	}
	fprintf(h->f,
		"<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		L, L, row * n + 4);
	html_xaxis(h->f, L, W - 20, row * n + 4, "time-based availability (%)");
	fprintf(h->f, "</svg>\n");
	fprintf(h->f,
		"<table id=\"turbines\"><tr><th>turbine</th><th>time-based "
		"%%</th><th>energy-based %%</th><th>lost MWh</th><th>"
		"performance %% (year to date)</th></tr>\n");
	for (int i = 0; i < n; i++) {
		fprintf(h->f, "<tr><td>");
		html_text(h->f, PQgetvalue(r, i, 0));
		fprintf(h->f, "</td>");
		for (int k = 1; k < 4; k++)
			html_cell(h->f, r, i, k, NULL);
		html_cell(h->f, r, i, 4,
			  strcmp(PQgetvalue(r, i, 5), "t") == 0 ? "flagged"
								: NULL);
		fprintf(h->f, "</tr>\n");
	}
	fprintf(h->f, "</table>\n");
	PQclear(r);
	return 0;
}

/* A small chart per turbine of the year to date: measured bins against
 * the reference, with its axes, and its figures above: the performance
 * ratio (flagged under 95 %) and the periods it rests on. */
static int
html_power_curves(struct html *h)
{
	PGresult *dev, *r, *perf;
	char sql[512];
	const int W = 240, H = 180, L = 44, B = 30, T = 32;

	snprintf(sql, sizeof(sql),
		 "SELECT device, round((ratio * 100)::numeric, 1), periods, "
		 "flagged FROM vento_performance('%s'::timestamptz, "
		 "'%s'::timestamptz)",
		 h->year_from, h->to);
	if ((perf = html_query(h, sql)) == NULL)
		return -1;
	if ((dev = html_query(h, "SELECT name FROM device WHERE kind = "
				 "'turbine' ORDER BY name")) == NULL) {
		PQclear(perf);
		return -1;
	}
	fprintf(h->f,
		"<h2>Power curves, Jan&ndash;%s %d (IEC 61400-12-1, "
		"density-normalised wind)</h2>\n<p class=\"legend\"><span "
		"style=\"color:#2a7ab0\">&#9679;</span> measured (mean power "
		"per 0.5 m/s bin) <span style=\"color:#999\">&#8212;</span> "
		"reference</p>\n<div class=\"curves\">\n",
		html_months[h->month - 1], h->year);
	for (int d = 0; d < PQntuples(dev); d++) {
		const char *dname = PQgetvalue(dev, d, 0);
		char *name = PQescapeLiteral(h->conn, dname, strlen(dname));
		double top = 0;
		int p = -1;

		snprintf(sql, sizeof(sql),
			 "SELECT bin_wind, measured_kw, reference_kw FROM "
			 "vento_power_curve(%s, '%s'::timestamptz, "
			 "'%s'::timestamptz)",
			 name, h->year_from, h->to);
		PQfreemem(name);
		if ((r = html_query(h, sql)) == NULL) {
			PQclear(dev);
			PQclear(perf);
			return -1;
		}
		for (int i = 0; i < PQntuples(perf); i++)
			if (strcmp(PQgetvalue(perf, i, 0), dname) == 0)
				p = i;
		for (int i = 0; i < PQntuples(r); i++)
			top = fmax(top, fmax(html_at(html_num(r, i, 1)),
					     html_at(html_num(r, i, 2))));
		top = html_nice(top);
		fprintf(h->f,
			"<svg width=\"%d\" height=\"%d\" role=\"img\" "
			"aria-label=\"power curve\"><title>Power curve of ",
			W, H);
		html_text(h->f, dname);
		fprintf(h->f, " (kW against m/s)</title><text x=\"4\" y=\"12\" "
			      "font-size=\"11\" font-weight=\"bold\">");
		html_text(h->f, dname);
		fprintf(h->f, "</text><text x=\"4\" y=\"25\" font-size=\"10\" "
			      "fill=\"%s\">",
			p >= 0 && strcmp(PQgetvalue(perf, p, 3), "t") == 0
				? "#c0392b"
				: "#333");
		if (p >= 0 && !isnan(html_num(perf, p, 1)))
			fprintf(h->f, "performance %s %%%s, %s periods",
				PQgetvalue(perf, p, 1),
				strcmp(PQgetvalue(perf, p, 3), "t") == 0
					? " (under 95 %)"
					: "",
				PQgetvalue(perf, p, 2));
		else
			fprintf(h->f, "performance: too few periods");
		fprintf(h->f, "</text>\n");
		html_yaxis(h->f, L, H - B, T, W - 6, top, "power (kW)");
		for (int t = 0; t <= 25; t += 5) {
			double x = L + t / 25.0 * (W - L - 6);

			fprintf(h->f,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\" stroke=\"#333\"/><text x=\"%.1f\" "
				"y=\"%d\" font-size=\"9\" text-anchor=\"middle\">"
				"%d</text>\n",
				x, H - B, x, H - B + 3, x, H - B + 12, t);
		}
		fprintf(h->f,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#333\"/><text x=\"%.1f\" y=\"%d\" "
			"font-size=\"10\" text-anchor=\"middle\">wind (m/s)"
			"</text>\n<polyline fill=\"none\" stroke=\"#999\" "
			"points=\"",
			L, H - B, W - 6, H - B, (L + W - 6) / 2.0, H - 4);
		for (int i = 0; i < PQntuples(r); i++)
			if (html_num(r, i, 0) <= 25)
				fprintf(h->f, "%.1f,%.1f ",
					L + html_at(html_num(r, i, 0)) / 25 *
						    (W - L - 6),
					H - B - html_at(html_num(r, i, 2)) /
							top * (H - B - T));
		fprintf(h->f, "\"/>\n");
		for (int i = 0; i < PQntuples(r); i++)
			if (!isnan(html_num(r, i, 1)) && html_num(r, i, 0) <= 25)
				fprintf(h->f,
					"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
					"fill=\"#2a7ab0\"/>",
					L + html_at(html_num(r, i, 0)) / 25 *
						    (W - L - 6),
					H - B - html_num(r, i, 1) / top *
							(H - B - T));
		fprintf(h->f, "</svg>\n");
		PQclear(r);
	}
	fprintf(h->f, "</div>\n");
	PQclear(dev);
	PQclear(perf);
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
		"solid #eee;margin:2px}.legend{font-size:small}td.flagged{"
		"color:#c0392b;font-weight:bold}th{text-align:left}</style>"
		"</head>"
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
