/* adu.c - Modbus TCP read requests and the check of their replies (see
 * adu.h). libmodbus frames a reply by its function code and byte count; it
 * checks the transaction id, the function and the byte count, but neither
 * the unit id (a gateway's other turbine) nor the MBAP length (a reply
 * that lies about its own size), and its protocol-id test lets 0x0001
 * through. Here every field is compared with the request, so that a reply
 * is only taken when all of it agrees. Nothing here touches a socket. */
#include <errno.h>
#include <modbus.h>
#include <stdarg.h>
#include <stdio.h>

#include "adu.h"

void
adu_request_build(uint8_t req[ADU_REQUEST_LEN], uint16_t tid, int unit, int fc,
                  int address, int count)
{
	req[0] = (uint8_t)(tid >> 8);
	req[1] = (uint8_t)tid;
	req[2] = 0; /* protocol: Modbus */
	req[3] = 0;
	req[4] = 0; /* length: the unit and a PDU of 5 bytes */
	req[5] = 6;
	req[6] = (uint8_t)unit;
	req[7] = (uint8_t)fc;
	req[8] = (uint8_t)(address >> 8);
	req[9] = (uint8_t)address;
	req[10] = (uint8_t)(count >> 8);
	req[11] = (uint8_t)count;
}

static int __attribute__((format(printf, 2, 3)))
adu_bad(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, ADU_WHY_MAX, fmt, ap);
	va_end(ap);
	errno = EMBBADDATA;
	return -1;
}

/* The byte count of the data reply to req. */
static unsigned
adu_expected_bytes(const uint8_t *req)
{
	unsigned count = (unsigned)req[10] << 8 | req[11];

	return req[7] <= MODBUS_FC_READ_DISCRETE_INPUTS ? (count + 7) / 8
	                                                : count * 2;
}

int
adu_reply_check(const uint8_t *req, const uint8_t *rsp, size_t len, char *why)
{
	unsigned mbap, bytes;

	/* The shortest reply is an exception: the header, the function and
	 * its code. libmodbus frames no longer one than ADU_MAX_LEN. */
	if (len < ADU_MBAP + 2 || len > ADU_MAX_LEN)
		return adu_bad(why, "a reply of %u bytes", (unsigned)len);
	if (rsp[0] != req[0] || rsp[1] != req[1])
		return adu_bad(why, "transaction id %u, not %u",
		               (unsigned)rsp[0] << 8 | rsp[1],
		               (unsigned)req[0] << 8 | req[1]);
	if (rsp[2] != 0 || rsp[3] != 0)
		return adu_bad(why, "protocol id %u, not 0",
		               (unsigned)rsp[2] << 8 | rsp[3]);
	mbap = (unsigned)rsp[4] << 8 | rsp[5];
	if (mbap != len - 6)
		return adu_bad(why, "MBAP length %u for %u bytes after it",
		               mbap, (unsigned)len - 6);
	if (rsp[6] != req[6])
		return adu_bad(why, "unit id %u, not %u", rsp[6], req[6]);
	if (rsp[7] == (req[7] | 0x80)) {
		if (len != ADU_MBAP + 2)
			return adu_bad(why, "an exception reply of %u bytes",
			               (unsigned)len);
		if (rsp[8] == 0 || rsp[8] >= MODBUS_EXCEPTION_MAX)
			return adu_bad(why, "exception code %u unknown",
			               rsp[8]);
		return rsp[8];
	}
	if (rsp[7] != req[7])
		return adu_bad(why, "function code %u, not %u", rsp[7], req[7]);
	bytes = adu_expected_bytes(req);
	if (rsp[8] != bytes)
		return adu_bad(why, "byte count %u, not %u", rsp[8], bytes);
	if (len != ADU_MBAP + 2 + bytes)
		return adu_bad(why, "a reply of %u bytes, not %u",
		               (unsigned)len, ADU_MBAP + 2 + bytes);
	return 0;
}

void
adu_reply_values(const uint8_t *req, const uint8_t *rsp, uint16_t *out)
{
	int count = req[10] << 8 | req[11];
	const uint8_t *data = rsp + ADU_MBAP + 2;

	if (req[7] <= MODBUS_FC_READ_DISCRETE_INPUTS) {
		for (int i = 0; i < count; i++)
			out[i] = (data[i / 8] >> (i % 8)) & 1;
		return;
	}
	for (int i = 0; i < count; i++)
		out[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
}
