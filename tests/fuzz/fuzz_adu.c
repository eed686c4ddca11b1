/* fuzz_adu.c - the check of a Modbus TCP reply against its request, and
 * the decoding of the reply it accepts (collector/adu.c). The first six
 * bytes choose the request (function, address, count, unit); the rest is
 * the reply as libmodbus framed it, at most ADU_MAX_LEN bytes. */
#include <stdlib.h>
#include <string.h>

#include "adu.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t req[ADU_REQUEST_LEN], *rsp;
	uint16_t values[2000];
	char why[ADU_WHY_MAX];
	int fc, count, rc;

	if (size < 6 || size - 6 > ADU_MAX_LEN)
		return 0;
	/* The reads vento plans: 1..2000 bits or 1..125 registers. */
	fc = 1 + data[0] % 4;
	count = 1 + (data[1] << 8 | data[2]) % (fc <= 2 ? 2000 : 125);
	adu_request_build(req, 0x0a0b, data[5], fc, data[3] << 8 | data[4],
			  count);
	/* A copy the size of what was framed: reading past it is a bug
	 * the sanitizer sees. */
	rsp = malloc(size - 6 + 1);
	memcpy(rsp, data + 6, size - 6);
	rc = adu_reply_check(req, rsp, size - 6, why);
	if (rc == 0)
		adu_reply_values(req, rsp, values);
	else if (rc == -1 && strnlen(why, sizeof(why)) == sizeof(why))
		abort(); /* the reason must be a string */
	free(rsp);
	return 0;
}
