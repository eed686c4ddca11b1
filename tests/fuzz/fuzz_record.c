/* fuzz_record.c - the decoder of a spool record (collector/record.c): any
 * bytes decode or are refused with EBADMSG, never read out of bounds; a
 * record that decodes has its rows and values where it says. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"

/* Where the values read go, so that reading them is not optimised away. */
static volatile uint64_t fuzz_record_sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r;
	uint8_t *copy = malloc(size + 1);
	uint64_t sum = 0;

	/* An exact-size copy, so that a read past the end is seen. */
	memcpy(copy, data, size);
	if (record_decode(copy, size, &r) == 0) {
		for (int i = 0; i < r.nrows; i++) {
			const struct record_row *row = &r.rows[i];

			sum += (uint64_t)row->tick_ms + (uint64_t)row->quality +
			       strlen(row->device);
			for (int c = 0; c < r.ncolumns; c++)
				sum += row->values[c].tag == RECORD_INT
				           ? (uint64_t)row->values[c].iv
				           : (uint64_t)row->values[c].tag;
		}
		for (int c = 0; c < r.ncolumns; c++)
			sum += strnlen(r.columns[c], PROFILE_NAME_MAX);
		record_free(&r);
		fuzz_record_sink = sum;
	} else if (errno != EBADMSG) {
		abort(); /* damage is EBADMSG, as record.h says */
	}
	free(copy);
	return 0;
}
