/* catalogue.h - the signals this version of vento stores: raw_sample's
 * signal columns, with their type, unit and meaning. A profile's signal
 * names one of them; `ventod -n` refuses any other, `ventoctl signals`
 * prints them, vento.conf(5) lists them. A migration that adds a column
 * to raw_sample adds its line in catalogue.c (test_catalogue compares the
 * two). */
#ifndef VENTO_CATALOGUE_H
#define VENTO_CATALOGUE_H

struct catalogue_signal {
	const char *name;    /* the column, an IEC 61400-25 or 61850 name */
	const char *type;    /* its SQL type: real, bigint, integer, smallint */
	const char *unit;    /* "" where it has none */
	const char *meaning; /* a few words */
};

/* The number of signals; catalogue_at(0 .. n-1) gives each, in the
 * order of the schema. */
int catalogue_count(void);
const struct catalogue_signal *catalogue_at(int i);

/* The signal with that name, or NULL. */
const struct catalogue_signal *catalogue_find(const char *name);

/* The known name closest to name (fewest single-character edits), for a
 * "did you mean" hint. Never NULL. */
const char *catalogue_closest(const char *name);

#endif
