/* fuzz_csv.c - the import file's reader (collector/csv.c) as ventoctl
 * import uses it: the input's first line is the header, read with
 * --skip-unknown when the input's first byte is odd; every further line is
 * a data line. What it accepts must be what csv.h promises: a period on a
 * 10-minute boundary, finite numbers, a state that is a code or a name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"

/* A copy of n bytes as a string of its own size: reading past it is a bug
 * the sanitizer sees. */
static char *
fuzz_csv_line(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_header h;
	const uint8_t *p = data, *end = data + size, *nl;
	char why[256], *line;
	int rc;

	if (size == 0)
		return 0;
	nl = memchr(p, '\n', size);
	line = fuzz_csv_line(p, (size_t)((nl ? nl : end) - p));
	rc = csv_header_parse(&h, line, data[0] & 1, why, sizeof(why));
	free(line);
	if (rc == -1) {
		if (strnlen(why, sizeof(why)) == sizeof(why))
			abort(); /* the reason must be a string */
		return 0;
	}
	if (h.nfields < 1 || h.nfields > CSV_MAX_FIELDS)
		abort();
	for (p = nl ? nl + 1 : end; p < end; p = nl ? nl + 1 : end) {
		struct csv_row row;

		nl = memchr(p, '\n', (size_t)(end - p));
		line = fuzz_csv_line(p, (size_t)((nl ? nl : end) - p));
		if (csv_row_parse(&h, line, &row, why, sizeof(why)) == 0) {
			if (row.period % 600 != 0 || row.asset == NULL ||
			    row.asset[0] == '\0')
				abort();
			for (int k = CSV_W; k < CSV_NCOLUMNS; k++)
				if ((row.present & 1u << k) &&
				    !isfinite(row.value[k]))
					abort();
			if ((row.present & 1u << CSV_TURST) &&
			    !row.state_is_code == !row.state_name)
				abort(); /* a code or a name, never both */
		} else if (strnlen(why, sizeof(why)) == sizeof(why)) {
			abort();
		}
		free(line);
	}
	return 0;
}
