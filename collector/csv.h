/* csv.h - the import file's format: 10-minute history as comma-separated
 * values with a header line, columns named as NREL's OpenOA names them.
 * This module reads a line into typed values; it knows nothing of devices
 * or databases (ctl_import.c judges the values against the devices). */
#ifndef VENTO_CSV_H
#define VENTO_CSV_H

#include <stddef.h>
#include <stdint.h>

#define CSV_MAX_FIELDS 64

/* The columns the format knows, in this order everywhere. */
enum csv_column {
	CSV_TIME,  /* period start, ISO 8601 with a UTC offset */
	CSV_ASSET, /* the device's name in vento.conf */
	CSV_W,     /* WTUR_W, mean active power, kW */
	CSV_WS,    /* WMET_HorWdSpd, mean wind speed, m/s */
	CSV_WD,    /* WMET_HorWdDir, wind direction, degrees */
	CSV_TURST, /* WTUR_TurSt, the state: a code or the model's name */
	CSV_PITCH, /* WROT_BlPthAngVal, blade pitch angle, degrees */
	CSV_TMP,   /* WMET_EnvTmp, ambient temperature, deg C */
	CSV_SUPWH, /* WTUR_SupWh, energy supplied in the period, kWh */
	CSV_NCOLUMNS,
};

/* Which file column holds which of ours: filled from the header line. */
struct csv_header {
	int map[CSV_MAX_FIELDS]; /* enum csv_column, or -1 to skip */
	int nfields;
};

/* One data line. Strings point into the line given to csv_row_parse. */
struct csv_row {
	int64_t period; /* seconds since 1970 UTC, a multiple of 600 */
	const char *asset;
	/* The state: state_code when state_is_code, otherwise state_name
	 * (the model's name for it); state_name is NULL when empty. */
	const char *state_name;
	int state_is_code;
	int64_t state_code;
	double value[CSV_NCOLUMNS]; /* the numeric columns' values */
	unsigned present;           /* bit (1 << column) when not empty */
};

/* The column's name in the header, in lower case: "wtur_w". */
const char *csv_column_name(enum csv_column c);

/* The unit of a column's values ("kW"), or "" when it has none. */
const char *csv_column_unit(enum csv_column c);

/*
 * Splits line in place into at most max fields at commas, honouring double
 * quotes as RFC 4180 has them ("a, b" and "say ""x"""); a line ending
 * (\n or \r\n) is dropped. Returns the number of fields (which may exceed
 * max: only max are stored), or -1 for a quote that is never closed.
 */
int csv_split(char *line, char **fields, int max);

/*
 * Reads the header line (in place). A UTF-8 byte-order mark is skipped,
 * names match without regard to case or surrounding blanks. Unknown
 * columns are an error unless skip_unknown; a column named twice and a
 * missing required column (time, asset_id, WTUR_SupWh) are errors.
 * Returns 0, or -1 with the first error's text in why.
 */
int csv_header_parse(struct csv_header *h, char *line, int skip_unknown,
		     char *why, size_t whylen);

/*
 * Reads a data line (in place) into row. Numbers must be finite: NaN and
 * infinities are refused, as are states that are neither a whole number
 * nor a name. Returns 0, or -1 with the reason in why.
 */
int csv_row_parse(const struct csv_header *h, char *line, struct csv_row *row,
		  char *why, size_t whylen);

/* Reads an ISO 8601 period start with a UTC offset ("2025-03-01T10:20:00
 * -03:00" without the blank, or "...Z") into seconds since 1970 UTC.
 * Returns 0, or -1 when it is not one or not on a 10-minute boundary. */
int csv_parse_time(const char *s, int64_t *t);

#endif
