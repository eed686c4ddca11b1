/* test_catalogue.c - the signal catalogue is raw_sample's signal columns,
 * no more and no less, each with the type the schema gives it: the
 * columns are read from the schema files (schema/NNN_name.sql) as a fresh
 * database applies them (CREATE TABLE raw_sample, then every ALTER TABLE
 * raw_sample ADD or DROP COLUMN, file by file), so a migration that adds a
 * column without its catalogue line fails here. */
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/catalogue.c"
#include "tap.h"

#define MAX_COLUMNS 512

struct column {
	char name[64];
	char type[32];
};

static struct column columns[MAX_COLUMNS];
static int ncolumns;

static void
column_add(const char *name, const char *type)
{
	/* The row's key (with the farm's code, at a fleet) and quality are
	 * not signals. */
	if (strcmp(name, "time") == 0 || strcmp(name, "device_id") == 0 ||
	    strcmp(name, "quality") == 0 || strcmp(name, "farm") == 0 ||
	    ncolumns == MAX_COLUMNS)
		return;
	snprintf(columns[ncolumns].name, sizeof(columns[0].name), "%s", name);
	snprintf(columns[ncolumns].type, sizeof(columns[0].type), "%s", type);
	ncolumns++;
}

static void
column_drop(const char *name)
{
	for (int i = 0; i < ncolumns; i++)
		if (strcmp(columns[i].name, name) == 0) {
			columns[i] = columns[--ncolumns];
			return;
		}
}

/* Reads an identifier at *p (skipping blanks) into out; returns its
 * length, 0 when there is none. */
static size_t
word(const char **p, char *out, size_t size)
{
	size_t n = 0;

	while (isspace((unsigned char)**p))
		(*p)++;
	while ((isalnum((unsigned char)**p) || **p == '_') && n + 1 < size)
		out[n++] = (char)tolower((unsigned char)*(*p)++);
	out[n] = '\0';
	return n;
}

/* A column definition "name type[ ...]" at p: added. */
static void
definition(const char *p)
{
	char name[64], type[32], second[32];

	if (word(&p, name, sizeof(name)) == 0 ||
	    word(&p, type, sizeof(type)) == 0)
		return;
	if (strcmp(type, "double") == 0 && word(&p, second, sizeof(second)))
		snprintf(type, sizeof(type), "double precision");
	if (strcmp(name, "constraint") == 0 || strcmp(name, "primary") == 0 ||
	    strcmp(name, "unique") == 0)
		return;
	column_add(name, type);
}

/* One statement's clause of an ALTER TABLE raw_sample. */
static void
alter_clause(const char *p)
{
	char w[64], name[64];

	if (word(&p, w, sizeof(w)) == 0)
		return;
	if (strcmp(w, "add") == 0) {
		const char *q = p;

		if (word(&q, w, sizeof(w)) && strcmp(w, "column") == 0)
			p = q;
		else if (strcmp(w, "constraint") == 0)
			return;
		q = p;
		if (word(&q, w, sizeof(w)) && strcmp(w, "if") == 0) {
			/* IF NOT EXISTS: a column named at run time (a
			 * custom signal's, %I in a format) is no line of
			 * the catalogue. */
			word(&q, w, sizeof(w));
			word(&q, w, sizeof(w));
			p = q;
		}
		definition(p);
	} else if (strcmp(w, "drop") == 0 && word(&p, w, sizeof(w)) &&
	           strcmp(w, "column") == 0 && word(&p, name, sizeof(name))) {
		if (strcmp(name, "if") == 0) /* IF EXISTS */
			word(&p, name, sizeof(name)),
			    word(&p, name, sizeof(name));
		column_drop(name);
	}
}

/* Whether lower (a line in lower case) has "what raw_sample" with the
 * table's name whole (raw_sample_fleet is another table). Returns where
 * the name ends, or NULL. */
static const char *
names_raw_sample(const char *lower, const char *what)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s raw_sample", what);
	for (p = strstr(lower, key); p; p = strstr(p + 1, key)) {
		const char *end = p + strlen(key);

		if (!isalnum((unsigned char)*end) && *end != '_')
			return end;
	}
	return NULL;
}

static int
schema_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	enum { NONE, CREATE, ALTER } mode = NONE;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, "--"), *start = line, lower[1024];

		if (dash)
			*dash = '\0';
		for (size_t i = 0; i <= strlen(line); i++)
			lower[i] = (char)tolower((unsigned char)line[i]);
		if (mode == NONE && names_raw_sample(lower, "create table")) {
			mode = CREATE;
			continue;
		}
		if (mode == NONE && names_raw_sample(lower, "alter table")) {
			mode = ALTER;
			start = line + (names_raw_sample(lower, "alter table") -
			                lower);
		}
		if (mode == CREATE) {
			if (line[strspn(line, " \t")] == ')')
				mode = NONE;
			else
				definition(line);
			continue;
		}
		if (mode == ALTER) {
			/* Clauses are separated by commas; a ; ends it. */
			char *semi = strchr(start, ';');

			if (semi)
				*semi = '\0';
			for (char *c = strtok(start, ","); c;
			     c = strtok(NULL, ","))
				alter_clause(c);
			if (semi)
				mode = NONE;
		}
	}
	fclose(f);
	return 0;
}

int
main(void)
{
	glob_t g;
	int known = 1, typed = 1, listed = 1;

	ok(glob("schema/[0-9][0-9][0-9]_*.sql", 0, NULL, &g) == 0,
	   "schema/*.sql found (run from the repository root)");
	for (size_t i = 0; i < g.gl_pathc; i++)
		schema_read(g.gl_pathv[i]);
	globfree(&g);
	ok(ncolumns >= 12, "raw_sample has %d signal columns in schema/",
	   ncolumns);
	for (int i = 0; i < ncolumns; i++) {
		const struct catalogue_signal *s =
		    catalogue_find(columns[i].name);

		if (s == NULL) {
			printf("# raw_sample.%s (%s) has no line in "
			       "collector/catalogue.c\n",
			       columns[i].name, columns[i].type);
			known = 0;
		} else if (strcmp(s->type, columns[i].type) != 0) {
			printf("# %s: the schema says %s, the catalogue %s\n",
			       s->name, columns[i].type, s->type);
			typed = 0;
		}
	}
	ok(known, "every signal column of raw_sample is in the catalogue");
	ok(typed, "with the schema's type");
	for (int i = 0; i < catalogue_count(); i++) {
		int found = 0;

		for (int k = 0; k < ncolumns; k++)
			found |=
			    strcmp(columns[k].name, catalogue_at(i)->name) == 0;
		if (!found) {
			printf(
			    "# the catalogue's %s is no column of raw_sample\n",
			    catalogue_at(i)->name);
			listed = 0;
		}
	}
	ok(listed, "every signal of the catalogue is a column of raw_sample");
	{
		int described = 1;

		for (int i = 0; i < catalogue_count(); i++)
			described &= catalogue_at(i)->meaning[0] != '\0' &&
			             catalogue_at(i)->unit != NULL;
		ok(described, "every signal has a meaning");
	}
	ok(strcmp(catalogue_closest("wrot_rotspeed"), "wrot_rotspd") == 0,
	   "a near miss gets its signal (wrot_rotspeed -> wrot_rotspd)");
	ok(strcmp(catalogue_closest("wtur_tw"), "wtur_w") == 0,
	   "one letter off finds its signal (wtur_tw -> wtur_w)");
	return done();
}
