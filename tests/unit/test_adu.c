/* test_adu.c - every field of a Modbus TCP reply is checked against its
 * request, and a reply that passes gives its items exactly. */
#include <errno.h>
#include <string.h>

#include "../../collector/adu.c"
#include "tap.h"

static uint8_t req[ADU_REQUEST_LEN];
static uint8_t rsp[ADU_MAX_LEN];
static char why[ADU_WHY_MAX];

/* The good reply to req: registers 0x0102, 0x0304, ... or bits 1,0,1,1,... */
static size_t
good_reply(void)
{
	int count = req[10] << 8 | req[11];
	size_t bytes =
	    req[7] <= 2 ? (size_t)(count + 7) / 8 : (size_t)count * 2;

	memcpy(rsp, req, 7);
	rsp[4] = (uint8_t)((bytes + 3) >> 8);
	rsp[5] = (uint8_t)(bytes + 3);
	rsp[7] = req[7];
	rsp[8] = (uint8_t)bytes;
	for (size_t i = 0; i < bytes; i++)
		rsp[9 + i] = (uint8_t)(req[7] <= 2 ? 0x0d : i + 1);
	return 9 + bytes;
}

static int
check(size_t len)
{
	why[0] = '\0';
	errno = 0;
	return adu_reply_check(req, rsp, len, why);
}

static int
refused(size_t len, const char *expect)
{
	int rc = check(len);

	if (rc != -1 || errno != EMBBADDATA || strstr(why, expect) == NULL) {
		printf("# rc %d, errno %d, why '%s', expected '%s'\n", rc,
		       errno, why, expect);
		return 0;
	}
	return 1;
}

int
main(void)
{
	uint16_t out[125];
	size_t len;

	adu_request_build(req, 0x1234, 7, 3, 0x0100, 3);
	ok(memcmp(req, "\x12\x34\0\0\0\x06\x07\x03\x01\x00\0\x03", 12) == 0,
	   "a read request: tid, protocol 0, length 6, unit, fc, address, "
	   "count");

	len = good_reply();
	ok(check(len) == 0, "the good reply passes");
	adu_reply_values(req, rsp, out);
	ok(out[0] == 0x0102 && out[1] == 0x0304 && out[2] == 0x0506,
	   "its registers, high byte first");

	len = good_reply();
	rsp[1] ^= 1;
	ok(refused(len, "transaction id 4661, not 4660"),
	   "another transaction id: refused, saying both");
	len = good_reply();
	rsp[3] = 1;
	ok(refused(len, "protocol id 1"),
	   "protocol id 1 (libmodbus 3.1.6 lets it through): refused");
	len = good_reply();
	rsp[2] = 1;
	ok(refused(len, "protocol id 256"), "protocol id 256: refused");
	len = good_reply();
	rsp[6] = 8;
	ok(refused(len, "unit id 8, not 7"),
	   "a reply from another unit: refused");
	len = good_reply();
	rsp[5] += 2;
	ok(refused(len, "MBAP length 11 for 9 bytes"),
	   "an MBAP length that claims more than came: refused");
	len = good_reply();
	rsp[5] -= 1;
	ok(refused(len, "MBAP length 8 for 9 bytes"),
	   "an MBAP length that claims less: refused");
	len = good_reply();
	rsp[7] = 4;
	ok(refused(len, "function code 4, not 3"),
	   "another function code: refused");
	len = good_reply();
	rsp[8] = 4, rsp[5] = 7, len = 13;
	ok(refused(len, "byte count 4, not 6"),
	   "fewer registers than asked, lengths consistent: refused");
	len = good_reply();
	ok(refused(len - 1, "MBAP length"), "a reply cut short: refused");
	ok(refused(5, "a reply of 5 bytes"), "a stub: refused");
	ok(refused(ADU_MAX_LEN + 1, "a reply of 261 bytes"),
	   "longer than any ADU: refused");

	/* Exceptions. */
	memcpy(rsp, req, 7);
	rsp[5] = 3, rsp[7] = 0x83, rsp[8] = 2;
	ok(check(9) == 2, "a well-formed exception gives its code");
	rsp[7] = 0x84;
	ok(refused(9, "function code 132, not 3"),
	   "an exception for another function: refused");
	rsp[7] = 0x83, rsp[8] = 0;
	ok(refused(9, "exception code 0"), "exception code 0: refused");
	rsp[8] = 0x20;
	ok(refused(9, "exception code 32"),
	   "an unknown exception code: refused");
	rsp[8] = 2, rsp[5] = 4;
	ok(refused(10, "an exception reply of 10 bytes"),
	   "an exception with a byte too many: refused");

	/* Bits: 10 coils in two bytes, the first LSB first. */
	adu_request_build(req, 1, 1, 1, 0, 10);
	len = good_reply();
	ok(len == 11 && check(len) == 0, "a coil reply of two bytes passes");
	rsp[9] = 0x0d, rsp[10] = 0x02;
	adu_reply_values(req, rsp, out);
	ok(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 1 &&
	       out[4] == 0 && out[8] == 0 && out[9] == 1,
	   "its bits, least significant first");
	rsp[8] = 1, rsp[5] = 4;
	ok(refused(10, "byte count 1, not 2"), "a coil byte short: refused");

	/* A 125-register read, the longest vento plans. */
	adu_request_build(req, 65535, 255, 4, 65410, 125);
	len = good_reply();
	ok(len == 259 && check(len) == 0, "125 input registers pass");
	return done();
}
