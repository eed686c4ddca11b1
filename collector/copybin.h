/* copybin.h - rows in PostgreSQL's binary COPY format, the way raw samples
 * go to the database: no number is printed and parsed again on the way. */
#ifndef VENTO_COPYBIN_H
#define VENTO_COPYBIN_H

#include <stddef.h>
#include <stdint.h>

/* The column types a raw sample has. */
enum copybin_type {
	COPYBIN_UNSUPPORTED = 0,
	COPYBIN_INT2,
	COPYBIN_INT4,
	COPYBIN_INT8,
	COPYBIN_FLOAT4,
	COPYBIN_FLOAT8,
	COPYBIN_TIMESTAMPTZ,
};

struct copybin {
	unsigned char *buf;
	size_t len, cap;
};

/* The type named as format_type() names it ("smallint", "real", ...). */
enum copybin_type copybin_type_named(const char *name);

/* Starts the data of one COPY: empties b and writes the header. */
void copybin_begin(struct copybin *b);

/* Starts a row of nfields fields. */
void copybin_row(struct copybin *b, int nfields);

void copybin_null(struct copybin *b);

/* A timestamptz field from milliseconds since the Unix epoch. */
void copybin_time(struct copybin *b, int64_t ms);

/*
 * A field of type t from an integer or a floating-point value. Each takes
 * what PostgreSQL would take as text: an integer column takes a float that
 * is a whole number, and nothing outside its type's range; a real column
 * takes nothing that would become infinite or zero in it. Returns 0, or -1
 * with errno ERANGE (out of range), EDOM (not whole) or EINVAL (t is
 * unsupported), having written nothing.
 */
int copybin_int(struct copybin *b, enum copybin_type t, int64_t v);
int copybin_float(struct copybin *b, enum copybin_type t, double v);

/* Ends the data. */
void copybin_end(struct copybin *b);

#endif
