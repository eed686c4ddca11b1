/* csv.c - the import file's format (csv.h): a header that names the
 * columns, then one line per device and 10-minute period. Lines are read
 * in place, without copies, because a year of a farm is millions of them.
 * Whether a value is plausible for its device is ctl_import.c's business;
 * here a value is only checked to be a value: a finite number, a time on a
 * period boundary, a state that is a code or a name. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"

static const char *const csv_names[CSV_NCOLUMNS] = {
	"time",		 "asset_id",	"wtur_w",
	"wmet_horwdspd", "wmet_horwddir", "wtur_turst",
	"wrot_blpthangval", "wmet_envtmp", "wtur_supwh",
};

static const char *const csv_units[CSV_NCOLUMNS] = {
	"", "", "kW", "m/s", "deg", "", "deg", "deg C", "kWh",
};

/* Without these a file cannot be placed or counted: a year of periods
 * without energy would load as a year of nothing produced. */
static const enum csv_column csv_required[] = {CSV_TIME, CSV_ASSET, CSV_SUPWH};

const char *
csv_column_name(enum csv_column c)
{
	return c < CSV_NCOLUMNS ? csv_names[c] : "?";
}

const char *
csv_column_unit(enum csv_column c)
{
	return c < CSV_NCOLUMNS ? csv_units[c] : "";
}

int
csv_split(char *line, char **fields, int max)
{
	char *r = line, *w;
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		if (n < max)
			fields[n] = r;
		n++;
		if (*r == '"') {
			/* A quoted field is unescaped in place: the writer
			 * never passes the reader. */
			w = r;
			r++;
			for (;;) {
				if (*r == '\0')
					return -1;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			/* Text after the closing quote belongs to the field,
			 * as spreadsheets read it. */
			while (*r != ',' && *r != '\0')
				*w++ = *r++;
			if (*r == '\0') {
				*w = '\0';
				break;
			}
			*w = '\0';
			r++;
			continue;
		}
		r += strcspn(r, ",");
		if (*r == '\0')
			break;
		*r++ = '\0';
	}
	return n;
}

/* Strips blanks on both sides, in place. */
static char *
csv_trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int
csv_header_parse(struct csv_header *h, char *line, int skip_unknown, char *why,
		 size_t whylen)
{
	char *fields[CSV_MAX_FIELDS];
	int seen[CSV_NCOLUMNS] = { 0 }, n;

	/* Spreadsheets begin UTF-8 files with a byte-order mark. strncmp
	 * stops at a shorter line's end, where memcmp would read past it. */
	if (strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	n = csv_split(line, fields, CSV_MAX_FIELDS);
	if (n == -1) {
		snprintf(why, whylen, "a quote is not closed");
		return -1;
	}
	if (n > CSV_MAX_FIELDS) {
		snprintf(why, whylen, "%d columns, at most %d", n,
			 CSV_MAX_FIELDS);
		return -1;
	}
	h->nfields = n;
	for (int i = 0; i < n; i++) {
		char *name = csv_trim(fields[i]);

		h->map[i] = -1;
		for (int k = 0; k < CSV_NCOLUMNS; k++)
			if (strcasecmp(name, csv_names[k]) == 0)
				h->map[i] = k;
		if (h->map[i] == -1 && !skip_unknown) {
			snprintf(why, whylen,
				 "unknown column '%s' (--skip-unknown ignores "
				 "such columns)",
				 name);
			return -1;
		}
		if (h->map[i] >= 0 && seen[h->map[i]]++) {
			snprintf(why, whylen, "column '%s' appears twice",
				 name);
			return -1;
		}
	}
	for (size_t k = 0; k < sizeof(csv_required) / sizeof(*csv_required);
	     k++)
		if (!seen[csv_required[k]]) {
			snprintf(why, whylen,
				 "the column %s is missing (required: time, "
				 "asset_id, WTUR_SupWh)",
				 csv_names[csv_required[k]]);
			return -1;
		}
	return 0;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no time zone, no libc state. */
static int64_t
csv_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

int
csv_parse_time(const char *s, int64_t *t)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, used = 0, sign = 1;
	char sep;

	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi,
		   &sec, &used) != 7 ||
	    used != 19 || (sep != 'T' && sep != ' '))
		return -1;
	s += used;
	if (strcmp(s, "Z") == 0) {
		;
	} else if ((s[0] == '+' || s[0] == '-') &&
		   sscanf(s + 1, "%2d:%2d%n", &oh, &om, &used) == 2 &&
		   used == 5 && s[1 + used] == '\0') {
		sign = s[0] == '-' ? -1 : 1;
	} else {
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) ||
	    h > 23 || mi > 59 || sec != 0 || mi % 10 != 0 || oh > 14 ||
	    om > 59 || om % 10 != 0)
		return -1;
	*t = csv_days(y, mo, d) * 86400 + h * 3600 + mi * 60 -
	     sign * (oh * 3600 + om * 60);
	return 0;
}

/* A finite number, the whole field. Returns 0, -1 when it is no number,
 * -2 when it is NaN or infinite. */
static int
csv_number(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -1;
	/* strtod takes "nan", "inf" and "1e999" (as infinity): none is a
	 * measurement. A tiny value that underflows is near enough 0. */
	return isfinite(*v) ? 0 : -2;
}

int
csv_row_parse(const struct csv_header *h, char *line, struct csv_row *row,
	      char *why, size_t whylen)
{
	char *fields[CSV_MAX_FIELDS], *val[CSV_NCOLUMNS] = { 0 };
	int n = csv_split(line, fields, CSV_MAX_FIELDS);

	memset(row, 0, sizeof(*row));
	if (n == -1) {
		snprintf(why, whylen, "a quote is not closed");
		return -1;
	}
	if (n != h->nfields) {
		snprintf(why, whylen, "%d fields, the header has %d", n,
			 h->nfields);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (h->map[i] >= 0)
			val[h->map[i]] = csv_trim(fields[i]);
	if (csv_parse_time(val[CSV_TIME], &row->period) == -1) {
		snprintf(why, whylen,
			 "time '%s' is not an ISO 8601 10-minute period start "
			 "with a UTC offset",
			 val[CSV_TIME]);
		return -1;
	}
	if (val[CSV_ASSET][0] == '\0') {
		snprintf(why, whylen, "asset_id is empty");
		return -1;
	}
	row->asset = val[CSV_ASSET];
	row->present = 1u << CSV_TIME | 1u << CSV_ASSET;
	for (int k = CSV_W; k < CSV_NCOLUMNS; k++) {
		const char *v = val[k];

		if (v == NULL || *v == '\0')
			continue;
		row->present |= 1u << k;
		if (k == CSV_TURST) {
			double code;
			int rc = csv_number(v, &code);

			if (rc == -2) {
				snprintf(why, whylen,
					 "column wtur_turst: '%s' is not a "
					 "finite number",
					 v);
				return -1;
			}
			if (rc == -1) {
				/* A name starts with a letter: "1x" is a
				 * mistyped code, not a state's name. */
				if (!isalpha((unsigned char)*v)) {
					snprintf(why, whylen,
						 "column wtur_turst: '%s' is "
						 "neither a state code nor a "
						 "name",
						 v);
					return -1;
				}
				row->state_name = v;
				continue;
			}
			if (code != floor(code) || fabs(code) > 9.2e18) {
				snprintf(why, whylen,
					 "column wtur_turst: '%s' is not a "
					 "whole state code",
					 v);
				return -1;
			}
			row->state_is_code = 1;
			row->state_code = (int64_t)code;
			row->value[k] = code;
			continue;
		}
		switch (csv_number(v, &row->value[k])) {
		case -1:
			snprintf(why, whylen, "column %s: '%s' is not a number",
				 csv_names[k], v);
			return -1;
		case -2:
			snprintf(why, whylen,
				 "column %s: '%s' is not a finite number",
				 csv_names[k], v);
			return -1;
		}
	}
	return 0;
}
