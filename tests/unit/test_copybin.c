/* test_copybin.c - the binary COPY encoding, byte for byte as PostgreSQL
 * reads it, and the values a column's type refuses as PostgreSQL would. */
#include <errno.h>
#include <string.h>

#include "../../collector/copybin.c"
#include "../../collector/xmalloc.c"
#include "tap.h"

/* The bytes written since mark equal want. */
static int
wrote(const struct copybin *b, size_t mark, const void *want, size_t n)
{
	return b->len - mark == n && memcmp(b->buf + mark, want, n) == 0;
}

/* Encodes v (a float if is_float) into type t; returns errno, or 0, and
 * checks that a refusal writes nothing. */
static int
refusal(enum copybin_type t, int is_float, double fv, int64_t iv)
{
	struct copybin b = {0};
	int r, e = 0;

	copybin_begin(&b);
	size_t mark = b.len;
	errno = 0;
	r = is_float ? copybin_float(&b, t, fv) : copybin_int(&b, t, iv);
	if (r == -1)
		e = b.len == mark ? errno : -1;
	free(b.buf);
	return e;
}

int
main(void)
{
	struct copybin b = {0};
	size_t mark;

	copybin_begin(&b);
	ok(wrote(&b, 0, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19),
	   "the header: signature, no flags, no extension");
	mark = b.len;
	copybin_row(&b, 45);
	ok(wrote(&b, mark, "\0\055", 2), "a row starts with its field count");
	mark = b.len;
	copybin_null(&b);
	ok(wrote(&b, mark, "\377\377\377\377", 4), "NULL is length -1");
	mark = b.len;
	copybin_time(&b, 946684800000LL);
	ok(wrote(&b, mark, "\0\0\0\10\0\0\0\0\0\0\0\0", 12),
	   "2000-01-01 UTC is PostgreSQL's zero");
	mark = b.len;
	copybin_time(&b, 946684801500LL);
	ok(wrote(&b, mark, "\0\0\0\10\0\0\0\0\0\026\343\140", 12),
	   "1.5 s later is 1500000 us");
	mark = b.len;
	copybin_time(&b, 0);
	ok(wrote(&b, mark, "\0\0\0\10\377\374\242\376\304\310\040\0", 12),
	   "the Unix epoch is -946684800000000 us");
	mark = b.len;
	ok(copybin_int(&b, COPYBIN_INT2, -2) == 0 &&
	       wrote(&b, mark, "\0\0\0\2\377\376", 6),
	   "smallint -2");
	mark = b.len;
	ok(copybin_int(&b, COPYBIN_INT4, 70000) == 0 &&
	       wrote(&b, mark, "\0\0\0\4\0\1\021\160", 8),
	   "integer 70000");
	mark = b.len;
	ok(copybin_int(&b, COPYBIN_INT8, INT64_MAX) == 0 &&
	       wrote(&b, mark, "\0\0\0\10\177\377\377\377\377\377\377\377", 12),
	   "bigint INT64_MAX");
	mark = b.len;
	ok(copybin_float(&b, COPYBIN_FLOAT4, 1.5) == 0 &&
	       wrote(&b, mark, "\0\0\0\4\077\300\0\0", 8),
	   "real 1.5");
	mark = b.len;
	ok(copybin_int(&b, COPYBIN_FLOAT4, 3) == 0 &&
	       wrote(&b, mark, "\0\0\0\4\100\100\0\0", 8),
	   "an integer into a real column: 3.0");
	mark = b.len;
	ok(copybin_float(&b, COPYBIN_FLOAT8, -2.0) == 0 &&
	       wrote(&b, mark, "\0\0\0\10\300\0\0\0\0\0\0\0", 12),
	   "double precision -2.0");
	mark = b.len;
	ok(copybin_float(&b, COPYBIN_INT8, 4096.0) == 0 &&
	       wrote(&b, mark, "\0\0\0\10\0\0\0\0\0\0\020\0", 12),
	   "a whole float into a bigint column");
	mark = b.len;
	copybin_end(&b);
	ok(wrote(&b, mark, "\377\377", 2),
	   "the trailer is a field count of -1");
	free(b.buf);

	ok(copybin_type_named("smallint") == COPYBIN_INT2 &&
	       copybin_type_named("real") == COPYBIN_FLOAT4 &&
	       copybin_type_named("double precision") == COPYBIN_FLOAT8 &&
	       copybin_type_named("timestamp with time zone") ==
	           COPYBIN_TIMESTAMPTZ,
	   "types by their format_type names");
	ok(copybin_type_named("text") == COPYBIN_UNSUPPORTED,
	   "text is not a type ventod writes");
	ok(refusal(COPYBIN_INT2, 0, 0, 32768) == ERANGE,
	   "smallint 32768 is out of range");
	ok(refusal(COPYBIN_INT2, 0, 0, -32769) == ERANGE,
	   "smallint -32769 is out of range");
	ok(refusal(COPYBIN_INT4, 0, 0, 1LL << 31) == ERANGE,
	   "integer 2^31 is out of range");
	ok(refusal(COPYBIN_INT4, 1, 1.5, 0) == EDOM,
	   "1.5 into an integer column is refused");
	ok(refusal(COPYBIN_INT8, 1, 9223372036854775808.0, 0) == ERANGE,
	   "2^63 into a bigint column is out of range");
	ok(refusal(COPYBIN_INT8, 1, NAN, 0) == EDOM,
	   "NaN into a bigint column is refused");
	ok(refusal(COPYBIN_FLOAT4, 1, 1e39, 0) == ERANGE,
	   "1e39 would be infinite as real");
	ok(refusal(COPYBIN_FLOAT4, 1, 1e-50, 0) == ERANGE,
	   "1e-50 would be zero as real");
	ok(refusal(COPYBIN_FLOAT4, 1, 0.0, 0) == 0, "zero is zero");
	ok(refusal(COPYBIN_UNSUPPORTED, 0, 0, 1) == EINVAL,
	   "an unsupported type is refused");
	return done();
}
