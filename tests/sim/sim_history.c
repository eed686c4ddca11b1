/* sim_history.c - the 10-minute history of simulated turbines as OpenOA
 * CSV (see sim_history.h). It asks sim_wind for each period's statistics
 * and only formats them: no physics here.
 *
 * Energy: a period's WTUR_SupWh is sim_wind's mean power times 1/6 h,
 * rounded to the Wh, and the WTUR_W printed is exactly six times that
 * energy (both with three decimals), so that WTUR_W x 1/6 h = WTUR_SupWh
 * holds exactly for every line as printed, and sums of either agree.
 *
 * Speed: a year of 40 turbines is 2.1 million lines, 148 MB, written in
 * about 7 s of CPU. The farm-wide part of a period is computed once for
 * all turbines (in sim_wind), and numbers are formatted by hand: printf
 * took a fifth of the time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim_history.h"
#include "sim_wind.h"
#include "xmalloc.h"

static const char sim_history_header[] =
    "time,asset_id,WTUR_W,WMET_HorWdSpd,WMET_HorWdDir,WTUR_TurSt,"
    "WROT_BlPthAngVal,WMET_EnvTmp,WTUR_SupWh\n";

/* Days from 1970-01-01 to a civil date (Howard Hinnant's
 * days_from_civil): no timegm and no TZ. */
static int64_t
sim_history_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
sim_history_month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

int
sim_history_parse_time(const char *s, int64_t *second)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, n = 0;
	int64_t offset;
	char sep;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    mo < 1 || mo > 12 || d < 1 || d > sim_history_month_days(y, mo))
		return -1;
	s += n;
	if (*s == '\0') {
		/* A bare date: midnight at the farm. */
		offset = SIM_WIND_UTC_OFFSET;
	} else {
		sep = *s++;
		if ((sep != 'T' && sep != ' ') ||
		    sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		s += n;
		if (*s == ':') {
			if (sscanf(s, ":%2d%n", &sec, &n) != 1 || n != 3)
				return -1;
			s += n;
		}
		if (strcmp(s, "Z") == 0) {
			offset = 0;
		} else if ((*s == '+' || *s == '-') &&
		           sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) == 2 &&
		           n == 5 && s[6] == '\0' && oh <= 23 && om <= 59) {
			offset = (int64_t)(oh * 3600 + om * 60) *
			         (*s == '-' ? -1 : 1);
		} else {
			return -1;
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	*second = sim_history_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	          sec - offset;
	return 0;
}

/* Writes the decimal digits of v >= 0. Returns the end. */
static char *
sim_history_uint(char *p, unsigned long long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* Writes v >= 0, given in units of 10^-decimals, with that many decimals.
 * Returns the end. */
static char *
sim_history_scaled(char *p, unsigned long long v, int decimals)
{
	unsigned long long scale = 1;
	char *q;

	for (int i = 0; i < decimals; i++)
		scale *= 10;
	p = sim_history_uint(p, v / scale);
	*p++ = '.';
	v %= scale;
	q = p + decimals;
	for (int i = 0; i < decimals; i++, v /= 10)
		q[-1 - i] = (char)('0' + v % 10);
	return q;
}

/* Writes v rounded to decimals (1 or 2) places, as printf's %.Nf would
 * but for the rounding of exact halves. Returns the end. */
static char *
sim_history_fixed(char *p, double v, int decimals)
{
	double scale = decimals == 1 ? 10.0 : 100.0;
	long long x = llround(fabs(v) * scale);

	if (v < 0 && x != 0)
		*p++ = '-';
	return sim_history_scaled(p, (unsigned long long)x, decimals);
}

/* Appends the string s. Returns the end. */
static char *
sim_history_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* The period start in the farm's local time with its offset. */
static void
sim_history_stamp(char *buf, size_t n, int64_t second)
{
	time_t local = (time_t)(second + SIM_WIND_UTC_OFFSET);
	struct tm tm;
	int off = abs(SIM_WIND_UTC_OFFSET) / 60;

	gmtime_r(&local, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, SIM_WIND_UTC_OFFSET < 0 ? '-' : '+',
	         off / 60, off % 60);
}

int
sim_history_write(const struct config *c, const char *serve,
                  const int *derate, uint64_t seed, int64_t from, int64_t to,
                  const char *path)
{
	struct sim_wind_history *h;
	struct sim_wind_turbine *t;
	const char **names;
	int nt = 0, to_stdout = strcmp(path, "-") == 0, saved, bad;
	int regular = 0;
	struct stat st;
	FILE *fp;

	if (from >= to || from % SIM_WIND_PERIOD != 0 ||
	    to % SIM_WIND_PERIOD != 0) {
		errno = EINVAL;
		return -1;
	}
	fp = to_stdout ? stdout : fopen(path, "we");
	if (fp == NULL)
		return -1;
	/* Only a regular file is removed when writing fails, never a device
	 * or a pipe that was named as the output. */
	if (!to_stdout && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
		regular = 1;
	/* Large writes: the file is some 80 bytes a line. */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);

	t = xcalloc((size_t)c->ndevices + 1, sizeof(*t));
	names = xcalloc((size_t)c->ndevices + 1, sizeof(*names));
	for (int i = 0; i < c->ndevices; i++) {
		if (c->devices[i].kind != DEVICE_TURBINE ||
		    (serve != NULL && !serve[i]))
			continue;
		/* The device's index in the configuration, as the live
		 * server has it: the same turbine, the same wind. */
		sim_wind_turbine_init(&t[nt], seed, i, from);
		if (derate != NULL)
			t[nt].derate = derate[i] / 100.0;
		names[nt++] = c->devices[i].name;
	}

	h = sim_wind_history_new(seed);
	fputs(sim_history_header, fp);
	for (int64_t p = from; p < to && !ferror(fp); p += SIM_WIND_PERIOD) {
		char stamp[64];

		sim_wind_history_period(h, p);
		sim_history_stamp(stamp, sizeof(stamp), p);
		for (int i = 0; i < nt; i++) {
			struct sim_wind_period s;
			char line[256], *q = line;
			long long wh;

			sim_wind_history_turbine(h, &t[i], &s);
			/* kW x 1/6 h, in Wh: the energy as printed. */
			wh = llround(s.w_kw * (1000.0 / 6.0));
			q = sim_history_str(q, stamp);
			*q++ = ',';
			q = sim_history_str(q, names[i]);
			*q++ = ',';
			q = sim_history_scaled(q, (unsigned long long)(6 * wh),
			                       3);
			*q++ = ',';
			q = sim_history_fixed(q, s.wdspd, 2);
			*q++ = ',';
			q = sim_history_fixed(q, s.wddir, 1);
			*q++ = ',';
			q = sim_history_uint(q, (unsigned long long)s.turst);
			*q++ = ',';
			q = sim_history_fixed(q, s.pitch, 2);
			*q++ = ',';
			q = sim_history_fixed(q, s.envtmp, 2);
			*q++ = ',';
			q = sim_history_scaled(q, (unsigned long long)wh, 3);
			*q++ = '\n';
			fwrite(line, 1, (size_t)(q - line), fp);
		}
	}
	sim_wind_history_free(h);
	free(names);
	free(t);

	bad = fflush(fp) == EOF || ferror(fp);
	saved = errno;
	if (!to_stdout && fclose(fp) == EOF && !bad) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		if (regular)
			unlink(path);
		errno = saved != 0 ? saved : EIO;
		return -1;
	}
	return 0;
}
