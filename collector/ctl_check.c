/* ctl_check.c - `ventoctl check yearly|comm|spool|freshness|fleet|all`, after
 * the monitoring-plugins conventions: exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN; one line of output; perfdata 'label'=value[UOM];warn;crit;
 * min;max; thresholds in the range syntax (10, 10:, ~:10, 10:20, @10:20),
 * where a value outside the range (inside, with @) raises the alert. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "health.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

static const char *const check_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

struct check_range {
	char text[32]; /* as given, for perfdata */
	double lo, hi; /* -INFINITY / INFINITY when open */
	int inside;    /* @: alert inside */
};

/* Parses a range; returns 0 or -1. */
static int
check_range_parse(const char *s, struct check_range *r)
{
	const char *colon;
	char *end;

	if (strlen(s) >= sizeof(r->text))
		return -1;
	snprintf(r->text, sizeof(r->text), "%s", s);
	r->inside = *s == '@';
	if (r->inside)
		s++;
	r->lo = 0;
	r->hi = INFINITY;
	if ((colon = strchr(s, ':')) == NULL) {
		r->hi = strtod(s, &end);
		return *s && *end == '\0' ? 0 : -1;
	}
	if (s[0] == '~' && s + 1 == colon)
		r->lo = -INFINITY;
	else if (s != colon) {
		r->lo = strtod(s, &end);
		if (end != colon)
			return -1;
	}
	if (colon[1] != '\0') {
		r->hi = strtod(colon + 1, &end);
		if (*end != '\0')
			return -1;
	}
	return r->lo <= r->hi ? 0 : -1;
}

/* 1 when v raises the range's alert. */
static int
check_range_alert(const struct check_range *r, double v)
{
	int outside = v < r->lo || v > r->hi;

	return r->inside ? !outside : outside;
}

struct check {
	struct ctl *ctl;
	const char *warn, *crit; /* from -w and -c, or NULL */
	const char *at;		 /* --at: judge the year as of then */
	int status;
	char text[256];
	char perf[512];
};

/* Judges v against the given or default thresholds, adds perfdata.
 * Returns the status. With dwarn and dcrit NULL, v is not judged: its
 * perfdata carries no thresholds (-w and -c are not applied to it, and a
 * monitoring system must not draw them as if they were). */
static int
check_judge(struct check *c, const char *label, double v, const char *uom,
	    const char *dwarn, const char *dcrit, const char *minmax)
{
	struct check_range w, k;
	int st = CHECK_OK;
	size_t n = strlen(c->perf);

	if (dwarn == NULL || dcrit == NULL) {
		memset(&w, 0, sizeof(w));
		memset(&k, 0, sizeof(k));
		/* An empty range alerts on nothing: lo > hi never holds. */
		w.lo = k.lo = 1;
		w.hi = k.hi = 0;
		w.inside = k.inside = 1;
	} else if (check_range_parse(c->warn ? c->warn : dwarn, &w) == -1 ||
		   check_range_parse(c->crit ? c->crit : dcrit, &k) == -1) {
		fprintf(stdout, "VENTO UNKNOWN - bad threshold range\n");
		exit(CHECK_UNKNOWN);
	}
	char shown[32];
	char *end;

	/* The value judged is the value shown: three decimals. */
	snprintf(shown, sizeof(shown), "%.3f", v);
	end = shown + strlen(shown) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
	v = atof(shown);
	if (check_range_alert(&k, v))
		st = CHECK_CRITICAL;
	else if (check_range_alert(&w, v))
		st = CHECK_WARNING;
	snprintf(c->perf + n, sizeof(c->perf) - n, "%s'%s'=%s%s;%s;%s;%s",
		 n ? " " : "", label, shown, uom, w.text, k.text, minmax);
	return st;
}

/* The longest text a check prints after "VENTO WARNING - ", so the line
 * stays within 80 characters for a pager or a monitoring overview. */
#define CHECK_TEXT_MAX 64

/* Runs a check's query. Returns its rows, or NULL with c->text saying
 * why, as "NAME: reason": the database's own message (a check that cannot
 * read must not look like one that found nothing), or "no data" for no
 * rows. */
static PGresult *
check_query(struct check *c, PGconn *conn, const char *name, const char *sql,
	    int nparams, const char *const *params)
{
	PGresult *r;

	if (conn == NULL) {
		snprintf(c->text, sizeof(c->text), "%s: %.*s", name,
			 CHECK_TEXT_MAX - 2 - (int)strlen(name),
			 c->ctl->db_reason);
		return NULL;
	}
	r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *why = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

		snprintf(c->text, sizeof(c->text), "%s: %.*s", name,
			 CHECK_TEXT_MAX - 2 - (int)strlen(name),
			 why ? why : PQerrorMessage(conn));
		c->text[strcspn(c->text, "\n")] = '\0';
		PQclear(r);
		return NULL;
	}
	if (PQntuples(r) < 1) {
		snprintf(c->text, sizeof(c->text), "%s: no data", name);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
check_yearly(struct check *c, PGconn *conn)
{
	PGresult *r;
	double forecast, comp, proj;
	int st;

	const char *params[1] = { c->at ? c->at : "now" };

	/* --at is read in the projection's time zone, as its year and the
	 * budget's months are: a date alone (2026-01-01) is local midnight,
	 * not the session's (which would judge the year before); a time
	 * with an offset keeps it. */
	if (conn != NULL) {
		r = PQexec(conn, "SELECT set_config('TimeZone', time_zone, "
				 "false) FROM projection");
		PQclear(r);
	}
	/* At a fleet, the fleet's year: the sum of its farms'. */
	r = check_query(c, conn, "yearly",
			c->ctl->fleet && c->ctl->farm == NULL
				? "SELECT forecast_ratio * 100, "
				  "coalesce(completeness, 0) * 100, "
				  "projection_kwh / 1e6 FROM "
				  "vento_fleet_yearly_check(extract(year FROM "
				  "$1::timestamptz AT TIME ZONE (SELECT "
				  "min(time_zone) FROM projection))::int, "
				  "$1::timestamptz) WHERE farm IS NULL"
				: "SELECT forecast_ratio * 100, "
				  "coalesce(completeness, 0) * 100, "
				  "projection_kwh / 1e6 FROM "
				  "vento_yearly_check(extract(year FROM "
				  "$1::timestamptz AT TIME ZONE (SELECT "
				  "time_zone FROM projection))::int, "
				  "$1::timestamptz)",
			1, params);
	if (r == NULL)
		return CHECK_UNKNOWN;
	forecast = atof(PQgetvalue(r, 0, 0));
	comp = atof(PQgetvalue(r, 0, 1));
	proj = atof(PQgetvalue(r, 0, 2));
	PQclear(r);
	st = check_judge(c, "forecast", forecast, "%", "97:", "90:", "0;");
	check_judge(c, "completeness", comp, "%", NULL, NULL, "0;100");
	/* Too little data to judge the year by: say so rather than guess. */
	if (comp < 50) {
		snprintf(c->text, sizeof(c->text),
			 "yearly: data only %.1f%% complete", comp);
		return CHECK_UNKNOWN;
	}
	snprintf(c->text, sizeof(c->text),
		 "yearly: forecast %.1f%% of %.0f GWh, data %.1f%%", forecast,
		 proj, comp);
	return st;
}


static int
check_comm(struct check *c, PGconn *conn)
{
	PGresult *r;
	int silent, total, len;
	char minmax[32];

	if ((r = check_query(c, conn, "comm",
			     "SELECT d.name, r.device_id IS NULL FROM device d "
			     "LEFT JOIN (SELECT DISTINCT device_id FROM "
			     "raw_sample WHERE time > now() - interval '60 "
			     "seconds' AND quality = 0) r ON r.device_id = d.id "
			     "ORDER BY d.name",
			     0, NULL)) == NULL)
		return CHECK_UNKNOWN;
	total = PQntuples(r);
	silent = 0;
	for (int i = 0; i < total; i++)
		silent += PQgetvalue(r, i, 1)[0] == 't';
	len = snprintf(c->text, sizeof(c->text),
		       "comm: %d of %d silent for 60 s", silent, total);
	/* Name the silent devices, as many as fit: the on-call operator's
	 * next question is always "which?". */
	for (int i = 0, named = 0; i < total && named < silent; i++) {
		const char *name = PQgetvalue(r, i, 0);
		int more = silent - named - 1, need;

		if (PQgetvalue(r, i, 1)[0] != 't')
			continue;
		/* Room for this name, and for " +N more" after it unless it
		 * is the last. */
		need = 2 + (int)strlen(name) + (more > 0 ? 12 : 0);
		if (len + need > CHECK_TEXT_MAX) {
			len += snprintf(c->text + len, sizeof(c->text) - len,
					" +%d more", silent - named);
			break;
		}
		len += snprintf(c->text + len, sizeof(c->text) - len, "%s%s",
				named == 0 ? ": " : ", ", name);
		named++;
	}
	PQclear(r);
	snprintf(minmax, sizeof(minmax), "0;%d", total);
	return check_judge(c, "silent", silent, "", "0", "4", minmax);
}

static int check_worse(int a, int b);

/* The fleet's farms: how far behind each is (now less the time its
 * collector last stored raw samples, as the fleet has received it), and
 * which the fleet does not hear from at all (subscription disabled or its
 * worker down). A farm that stops collecting falls behind too, so a
 * silent collector shows here as well as a broken link. */
static int
check_fleet(struct check *c, PGconn *conn)
{
	PGresult *r;
	int st = CHECK_OK, n, silent = 0, len;
	double worst = 0;
	const char *worst_farm = "";
	char label[32], minmax[32];

	if ((r = check_query(c, conn, "fleet",
			     "SELECT farm, coalesce(lag_s, 'Infinity'), "
			     "coalesce(enabled AND worker, true) FROM "
			     "vento_fleet_status()",
			     0, NULL)) == NULL)
		return CHECK_UNKNOWN;
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		double lag = atof(PQgetvalue(r, i, 1));

		snprintf(label, sizeof(label), "lag_%s", PQgetvalue(r, i, 0));
		st = check_worse(st, check_judge(c, label, isinf(lag) ? -1 : lag,
						 "s", "120", "600", "0;"));
		if (isinf(lag) || lag > worst) {
			worst = lag;
			worst_farm = PQgetvalue(r, i, 0);
		}
		silent += PQgetvalue(r, i, 2)[0] != 't';
	}
	snprintf(minmax, sizeof(minmax), "0;%d", n);
	{
		/* Not heard from is CRITICAL whatever the thresholds. */
		const char *w = c->warn, *k = c->crit;

		c->warn = "0";
		c->crit = "0";
		st = check_worse(st, check_judge(c, "silent", silent, "", "0",
						 "0", minmax));
		c->warn = w;
		c->crit = k;
	}
	if (n == 0) {
		snprintf(c->text, sizeof(c->text), "fleet: no farms");
		PQclear(r);
		return CHECK_UNKNOWN;
	}
	len = snprintf(c->text, sizeof(c->text), "fleet: %d farms, ", n);
	if (isinf(worst))
		len += snprintf(c->text + len, sizeof(c->text) - len,
				"%s never stored", worst_farm);
	else
		len += snprintf(c->text + len, sizeof(c->text) - len,
				"most behind %s %.0f s", worst_farm, worst);
	for (int i = 0, named = 0; i < n; i++) {
		if (PQgetvalue(r, i, 2)[0] == 't')
			continue;
		if (len + 12 > CHECK_TEXT_MAX) {
			len += snprintf(c->text + len, sizeof(c->text) - len,
					" +%d", silent - named);
			break;
		}
		len += snprintf(c->text + len, sizeof(c->text) - len, "%s%s",
				named == 0 ? "; not heard: " : ", ",
				PQgetvalue(r, i, 0));
		named++;
	}
	PQclear(r);
	return st;
}

static int
check_worse(int a, int b)
{
	/* CRITICAL beats WARNING beats UNKNOWN beats OK. */
	static const int rank[] = { 0, 2, 3, 1 };

	return rank[b] > rank[a] ? b : a;
}

/* Says what was lost, only the causes that lost something, in few enough
 * words for the check's one line. */
static void
check_spool_losses(const struct health *h, char *out, size_t n,
		   size_t fit)
{
	const long long v[5] = { h->lost, h->spool_dropped, h->damaged,
				 h->quarantined, h->isolated };
	static const char *const longer[5] = {
		"rows not spooled", "batches dropped at the bound",
		"batches damaged", "batches in quarantine",
		"rows of isolated devices",
	};
	static const char *const shorter[5] = {
		"unspooled", "dropped", "damaged", "quarantined", "isolated",
	};

	for (int pass = 0; pass < 2; pass++) {
		size_t len = (size_t)snprintf(out, n, "LOST");
		int k = 0;

		for (int i = 0; i < 5; i++)
			if (v[i] > 0 && len < n)
				len += (size_t)snprintf(out + len, n - len,
							"%s %lld %s",
							k++ ? "," : "", v[i],
							pass ? shorter[i]
							     : longer[i]);
		if (len <= fit)
			return;
	}
}

/* Past this many lost batches and rows since ventod started, a loss is
 * CRITICAL rather than a WARNING: a minute of the farm. */
#define CHECK_LOST_CRITICAL "60"

static int
check_spool(struct check *c)
{
	struct health h;
	const char *warn = c->warn, *crit = c->crit;
	double age;
	long long lost;
	long stale;
	int st, lst;
	char loss[160] = "";

	if (ctl_config(c->ctl) == NULL ||
	    health_read(c->ctl->cfg->state_dir, &h) == -1) {
		snprintf(c->text, sizeof(c->text), "spool: no health file");
		return CHECK_UNKNOWN;
	}
	stale = (long)(time(NULL) - h.updated);
	age = h.spool_backlog > 0 && h.newest_ms > 0
		      ? (double)time(NULL) - (double)h.newest_ms / 1000
		      : 0;
	if (h.spool_backlog > 0 && h.newest_ms == 0)
		age = (double)h.spool_backlog; /* about a batch a second */
	st = check_judge(c, "backlog_age", age, "s", "60", "600", "0;");
	/* -w and -c are the backlog's; every loss is at least a WARNING. */
	h.quarantined = ctl_quarantine_count(c->ctl->cfg->state_dir);
	lost = h.lost + h.spool_dropped + h.damaged + h.quarantined +
	       h.isolated;
	c->warn = c->crit = NULL;
	lst = check_judge(c, "lost", (double)lost, "", "0", CHECK_LOST_CRITICAL,
			  "0;");
	c->warn = warn;
	c->crit = crit;
	if (h.pid == 0 || stale > 30) {
		if (lst == CHECK_OK)
			snprintf(c->text, sizeof(c->text),
				 "spool: ventod not running (health %ld s old)",
				 stale);
		else {
			check_spool_losses(&h, loss, sizeof(loss),
					   CHECK_TEXT_MAX - 27);
			snprintf(c->text, sizeof(c->text),
				 "spool: ventod not running; %s", loss);
		}
		return CHECK_CRITICAL;
	}
	if (lst != CHECK_OK)
		check_spool_losses(&h, loss, sizeof(loss), CHECK_TEXT_MAX - 7);
	if (lst != CHECK_OK) {
		snprintf(c->text, sizeof(c->text), "spool: %s", loss);
		return check_worse(st, lst);
	}
	snprintf(c->text, sizeof(c->text), "spool: backlog %.0f s", age);
	return st;
}

static int
check_freshness(struct check *c, PGconn *conn)
{
	PGresult *r;
	double age;

	if ((r = check_query(c, conn, "freshness",
			     "SELECT extract(epoch FROM now() - max(time)) "
			     "FROM raw_sample WHERE time > now() - interval "
			     "'1 day'",
			     0, NULL)) == NULL)
		return CHECK_UNKNOWN;
	if (PQgetisnull(r, 0, 0)) {
		PQclear(r);
		snprintf(c->text, sizeof(c->text),
			 "freshness: no row in a day");
		return CHECK_CRITICAL;
	}
	age = atof(PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(c->text, sizeof(c->text), "freshness: newest row %.1f s old",
		 age);
	return check_judge(c, "age", age, "s", "10", "60", "0;");
}

int
ctl_check(struct ctl *ctl, int argc, char **argv)
{
	struct check c = { .ctl = ctl };
	const char *what = NULL;
	PGconn *conn = NULL;
	char line[1024] = "";
	int st = CHECK_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			c.warn = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.crit = argv[++i];
		else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc)
			c.at = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: ventoctl check yearly|comm|spool|"
			       "freshness|all [-w RANGE] [-c RANGE] [--at TIME]\n"
			       "Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
			       "  yearly     year-end forecast, %% of the "
			       "projection (default -w 97: -c 90:);\n"
			       "             --at judges the year as of TIME\n"
			       "  comm       devices silent for 60 s (-w 0 -c 4)\n"
			       "  spool      age of the unstored backlog, s "
			       "(-w 60 -c 600); any loss since ventod\n"
			       "             started is a WARNING, past "
			       CHECK_LOST_CRITICAL " a CRITICAL\n"
			       "  freshness  age of the newest stored row, s "
			       "(-w 10 -c 60)\n"
			       "  fleet      at a fleet, how far behind each farm "
			       "is, s (-w 120 -c 600);\n"
			       "             a farm not heard from is CRITICAL\n");
			return CHECK_OK;
		} else if (what == NULL)
			what = argv[i];
		else
			what = "";
	}
	if (what == NULL || (strcmp(what, "yearly") && strcmp(what, "comm") &&
			     strcmp(what, "spool") && strcmp(what, "freshness") &&
			     strcmp(what, "all") && strcmp(what, "fleet"))) {
		printf("VENTO UNKNOWN - usage: ventoctl check yearly|comm|spool|"
		       "freshness|fleet|all [-w RANGE] [-c RANGE]\n");
		return CHECK_UNKNOWN;
	}
	if (strcmp(what, "all") == 0 && (c.warn || c.crit)) {
		printf("VENTO UNKNOWN - check all takes no thresholds\n");
		return CHECK_UNKNOWN;
	}
	/* The one line on stdout is the check's answer; why the database
	 * is unreachable goes to stderr, for a person running it. */
	/* At a fleet, yearly and fleet answer for the whole fleet. */
	ctl->fleet_wide = strcmp(what, "yearly") == 0 || strcmp(what, "fleet") == 0;
	if (strcmp(what, "spool") != 0)
		conn = ctl_db_connect(ctl);
	if (strcmp(what, "all") != 0) {
		if (strcmp(what, "yearly") == 0)
			st = check_yearly(&c, conn);
		else if (strcmp(what, "comm") == 0)
			st = check_comm(&c, conn);
		else if (strcmp(what, "spool") == 0)
			st = check_spool(&c);
		else if (strcmp(what, "fleet") == 0)
			st = check_fleet(&c, conn);
		else
			st = check_freshness(&c, conn);
		snprintf(line, sizeof(line), "%s", c.text);
	} else {
		int (*const dbchecks[])(struct check *, PGconn *) = {
			check_yearly, check_comm, check_freshness,
		};

		static const char *const names[] = {
			"yearly", "comm", "freshness", "spool",
		};
		char brief[256] = "", unknown[256] = "";

		for (size_t i = 0; i < 4; i++) {
			int s = i < 3 ? dbchecks[i](&c, conn) : check_spool(&c);

			st = check_worse(st, s);
			if (s == CHECK_OK)
				continue;
			if (s == CHECK_UNKNOWN && unknown[0] == '\0')
				snprintf(unknown, sizeof(unknown), "%s", c.text);
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 "%s%s", line[0] ? "; " : "", c.text);
			snprintf(brief + strlen(brief),
				 sizeof(brief) - strlen(brief), "%s%s %s",
				 brief[0] ? ", " : "", names[i], check_names[s]);
		}
		/* One line of about 80 characters: when the details do not
		 * fit, the names and states do, with why the first UNKNOWN is
		 * one (a refusal, say) when that fits too. */
		if (strlen(line) > 62) {
			fprintf(stderr, "ventoctl: check all: %s\n", line);
			snprintf(line, sizeof(line), "%s", brief);
			if (unknown[0] && strlen(brief) + strlen(unknown) + 3 <=
						  CHECK_TEXT_MAX)
				snprintf(line, sizeof(line), "%s (%s)", brief,
					 unknown);
		}
		if (line[0] == '\0')
			snprintf(line, sizeof(line), "all checks OK");
	}
	if (conn == NULL && strcmp(what, "spool") != 0 && st == CHECK_UNKNOWN)
		/* Within the line's width: the whole of it is on stderr. */
		snprintf(line, sizeof(line), "database unreachable: %.*s",
			 CHECK_TEXT_MAX - 22, ctl->db_reason);
	if (c.perf[0])
		printf("VENTO %s - %s | %s\n", check_names[st], line, c.perf);
	else
		printf("VENTO %s - %s\n", check_names[st], line);
	PQfinish(conn);
	return st;
}
