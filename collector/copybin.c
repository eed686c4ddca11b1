/* copybin.c - PostgreSQL's binary COPY format (see copybin.h): a header,
 * then per row a 16-bit field count and per field a 32-bit length and the
 * value in network byte order, then a count of -1. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "copybin.h"
#include "xmalloc.h"

/* Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC. */
#define COPYBIN_PG_EPOCH_US 946684800000000LL

static unsigned char *
copybin_room(struct copybin *b, size_t n)
{
	unsigned char *p;

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->buf = xreallocarray(b->buf, b->cap, 1);
	}
	p = b->buf + b->len;
	b->len += n;
	return p;
}

static void
copybin_be(struct copybin *b, uint64_t v, int bytes)
{
	unsigned char *p = copybin_room(b, (size_t)bytes);

	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

enum copybin_type
copybin_type_named(const char *name)
{
	static const struct {
		const char *name;
		enum copybin_type type;
	} types[] = {
	    {"smallint", COPYBIN_INT2},
	    {"integer", COPYBIN_INT4},
	    {"bigint", COPYBIN_INT8},
	    {"real", COPYBIN_FLOAT4},
	    {"double precision", COPYBIN_FLOAT8},
	    {"timestamp with time zone", COPYBIN_TIMESTAMPTZ},
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, types[i].name) == 0)
			return types[i].type;
	return COPYBIN_UNSUPPORTED;
}

void
copybin_begin(struct copybin *b)
{
	static const unsigned char sig[11] = "PGCOPY\n\377\r\n";

	b->len = 0;
	memcpy(copybin_room(b, sizeof(sig)), sig, sizeof(sig));
	copybin_be(b, 0, 4); /* flags */
	copybin_be(b, 0, 4); /* header extension length */
}

void
copybin_row(struct copybin *b, int nfields)
{
	copybin_be(b, (uint64_t)nfields, 2);
}

void
copybin_null(struct copybin *b)
{
	copybin_be(b, 0xffffffffu, 4);
}

void
copybin_time(struct copybin *b, int64_t ms)
{
	copybin_be(b, 8, 4);
	copybin_be(b, (uint64_t)(ms * 1000 - COPYBIN_PG_EPOCH_US), 8);
}

int
copybin_int(struct copybin *b, enum copybin_type t, int64_t v)
{
	switch (t) {
	case COPYBIN_INT2:
		if (v < INT16_MIN || v > INT16_MAX)
			break;
		copybin_be(b, 2, 4);
		copybin_be(b, (uint64_t)v, 2);
		return 0;
	case COPYBIN_INT4:
		if (v < INT32_MIN || v > INT32_MAX)
			break;
		copybin_be(b, 4, 4);
		copybin_be(b, (uint64_t)v, 4);
		return 0;
	case COPYBIN_INT8:
		copybin_be(b, 8, 4);
		copybin_be(b, (uint64_t)v, 8);
		return 0;
	case COPYBIN_FLOAT4:
	case COPYBIN_FLOAT8:
		return copybin_float(b, t, (double)v);
	default:
		errno = EINVAL;
		return -1;
	}
	errno = ERANGE;
	return -1;
}

int
copybin_float(struct copybin *b, enum copybin_type t, double v)
{
	uint32_t u32;
	uint64_t u64;
	float f;

	switch (t) {
	case COPYBIN_INT2:
	case COPYBIN_INT4:
	case COPYBIN_INT8:
		if (isnan(v) || v != floor(v)) {
			errno = EDOM;
			return -1;
		}
		/* 2^63 is the first double past INT64_MAX. */
		if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) {
			errno = ERANGE;
			return -1;
		}
		return copybin_int(b, t, (int64_t)v);
	case COPYBIN_FLOAT4:
		f = (float)v;
		if ((isinf(f) && !isinf(v)) || (f == 0 && v != 0)) {
			errno = ERANGE;
			return -1;
		}
		memcpy(&u32, &f, sizeof(u32));
		copybin_be(b, 4, 4);
		copybin_be(b, u32, 4);
		return 0;
	case COPYBIN_FLOAT8:
		memcpy(&u64, &v, sizeof(u64));
		copybin_be(b, 8, 4);
		copybin_be(b, u64, 8);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

void
copybin_end(struct copybin *b)
{
	copybin_be(b, 0xffff, 2);
}
