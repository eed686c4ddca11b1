/* fuzz_adu.c - the check of a Modbus TCP reply against its request, and
 * the decoding of the reply it accepts (collector/adu.c), then of every
 * value in it (collector/regval.c), as the poller decodes its signals. The
 * first eight bytes choose the request (function, count, address, unit)
 * and the values' type, word order and bit; the rest is the reply as
 * libmodbus framed it, at most ADU_MAX_LEN bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adu.h"
#include "fuzz.h"
#include "regval.h"

#define FUZZ_ADU_PREFIX 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t req[ADU_REQUEST_LEN], *rsp;
	uint16_t values[2000];
	char why[ADU_WHY_MAX];
	int fc, count, rc;

	if (size < FUZZ_ADU_PREFIX || size - FUZZ_ADU_PREFIX > ADU_MAX_LEN)
		return 0;
	/* The reads vento plans: 1..2000 bits or 1..125 registers. */
	fc = 1 + data[0] % 4;
	count = 1 + (data[1] << 8 | data[2]) % (fc <= 2 ? 2000 : 125);
	adu_request_build(req, 0x0a0b, data[5], fc, data[3] << 8 | data[4],
	                  count);
	/* A copy the size of what was framed: reading past it is a bug
	 * the sanitizer sees. */
	size -= FUZZ_ADU_PREFIX;
	rsp = malloc(size + 1);
	memcpy(rsp, data + FUZZ_ADU_PREFIX, size);
	rc = adu_reply_check(req, rsp, size, why);
	if (rc == 0) {
		enum regval_type t = (enum regval_type)(data[6] % (RV_F64 + 1));
		enum regval_order o = (enum regval_order)(data[6] / 16 % 4);
		int64_t iv;
		double fv;

		adu_reply_values(req, rsp, values);
		for (int i = 0; i + regval_width(t) <= count; i++)
			if (regval_decode(values + i, t, o, data[7] % 16, &iv,
			                  &fv) == -1 &&
			    errno != EDOM && errno != ERANGE)
				abort(); /* as regval.h says */
	} else if (rc == -1 && strnlen(why, sizeof(why)) == sizeof(why))
		abort(); /* the reason must be a string */
	free(rsp);
	return 0;
}
