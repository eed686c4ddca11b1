/* ctl_table.c - prints a query's result as an aligned table for people or
 * as JSON for scripts: every reporting command goes through here, so they
 * all look and parse alike. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

/* Numeric types by OID (pg_type): printed bare in JSON, right-aligned. */
static int
ctl_table_numeric(Oid type)
{
	switch (type) {
	case 20:   /* int8 */
	case 21:   /* int2 */
	case 23:   /* int4 */
	case 700:  /* float4 */
	case 701:  /* float8 */
	case 1700: /* numeric */
		return 1;
	default:
		return 0;
	}
}

void
ctl_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

void
ctl_json_number(const char *s)
{
	char *end;
	double v;

	/* strtod reads PostgreSQL's NaN and Infinity, which JSON lacks; a
	 * consumer must see no number there, not a wrong one. */
	if (s == NULL || *s == '\0' || (v = strtod(s, &end), *end != '\0') ||
	    !isfinite(v))
		fputs("null", stdout);
	else
		fputs(s, stdout);
}

/* How a result is printed: as a table, or in JSON as an array of objects
 * ending a document, an array or one object inside a document. */
enum ctl_table_mode {
	CTL_TABLE_TEXT,
	CTL_TABLE_JSON,
	CTL_TABLE_JSON_ARRAY,
	CTL_TABLE_JSON_OBJECT
};

static void
ctl_table_print(PGresult *r, enum ctl_table_mode mode)
{
	int rows = PQntuples(r), cols = PQnfields(r);
	int *width = xcalloc((size_t)cols, sizeof(int));

	if (mode == CTL_TABLE_JSON_OBJECT && rows == 0) {
		printf("null");
		free(width);
		return;
	}
	if (mode != CTL_TABLE_TEXT) {
		if (mode == CTL_TABLE_JSON_OBJECT)
			rows = 1;
		else
			printf("[");
		for (int i = 0; i < rows; i++) {
			printf("%s{", i ? ",\n " : "");
			for (int k = 0; k < cols; k++) {
				printf("%s", k ? "," : "");
				ctl_json_string(PQfname(r, k));
				putchar(':');
				if (PQgetisnull(r, i, k))
					printf("null");
				else if (ctl_table_numeric(PQftype(r, k)))
					ctl_json_number(PQgetvalue(r, i, k));
				else
					ctl_json_string(PQgetvalue(r, i, k));
			}
			printf("}");
		}
		if (mode != CTL_TABLE_JSON_OBJECT)
			printf("]");
		if (mode == CTL_TABLE_JSON)
			putchar('\n');
		free(width);
		return;
	}
	for (int k = 0; k < cols; k++) {
		width[k] = (int)strlen(PQfname(r, k));
		for (int i = 0; i < rows; i++)
			if (PQgetlength(r, i, k) > width[k])
				width[k] = PQgetlength(r, i, k);
	}
	for (int k = 0; k < cols; k++) {
		char name[64];
		size_t n = strlen(PQfname(r, k));

		for (size_t c = 0; c < n && c < sizeof(name) - 1; c++)
			name[c] = (char)(PQfname(r, k)[c] >= 'a' &&
						 PQfname(r, k)[c] <= 'z'
					 ? PQfname(r, k)[c] - 32
					 : PQfname(r, k)[c]);
		name[n < sizeof(name) - 1 ? n : sizeof(name) - 1] = '\0';
		printf(ctl_table_numeric(PQftype(r, k)) ? "%s%*s" : "%s%-*s",
		       k ? "  " : "", width[k], name);
	}
	putchar('\n');
	for (int i = 0; i < rows; i++) {
		for (int k = 0; k < cols; k++)
			printf(ctl_table_numeric(PQftype(r, k)) ? "%s%*s"
								  : "%s%-*s",
			       k ? "  " : "", width[k],
			       PQgetisnull(r, i, k) ? "-" : PQgetvalue(r, i, k));
		putchar('\n');
	}
	free(width);
}

static int
ctl_table_run(PGconn *conn, enum ctl_table_mode mode, const char *key,
	      const char *sql, int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL,
				   NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ventoctl: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (key != NULL && mode != CTL_TABLE_TEXT) {
		ctl_json_string(key);
		putchar(':');
	}
	ctl_table_print(r, mode);
	PQclear(r);
	return 0;
}

int
ctl_table_query(struct ctl *ctl, PGconn *conn, const char *sql, int nparams,
		const char *const *params)
{
	return ctl_table_run(conn, ctl->json ? CTL_TABLE_JSON : CTL_TABLE_TEXT,
			     NULL, sql, nparams, params);
}

int
ctl_table_member(struct ctl *ctl, PGconn *conn, const char *key, int one,
		 const char *sql, int nparams, const char *const *params)
{
	enum ctl_table_mode mode = CTL_TABLE_TEXT;

	if (ctl->json)
		mode = one ? CTL_TABLE_JSON_OBJECT : CTL_TABLE_JSON_ARRAY;
	return ctl_table_run(conn, mode, key, sql, nparams, params);
}
