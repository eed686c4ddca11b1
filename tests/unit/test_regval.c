/* test_regval.c - decoding against known register images, for every type
 * and word order, and encoding as its exact inverse. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../../collector/regval.c"
#include "tap.h"

struct known {
	enum regval_type type;
	enum regval_order order;
	uint16_t regs[4];
	int64_t iv;
	double fv;
};

/* 123.456f is 0x42f6e979; 1234.5678 is 0x40934a456d5cfaad. */
static const struct known known[] = {
	{ RV_F32, RV_ABCD, { 0x42f6, 0xe979 }, 0, 123.456f },
	{ RV_F32, RV_BADC, { 0xf642, 0x79e9 }, 0, 123.456f },
	{ RV_F32, RV_CDAB, { 0xe979, 0x42f6 }, 0, 123.456f },
	{ RV_F32, RV_DCBA, { 0x79e9, 0xf642 }, 0, 123.456f },
	{ RV_F32, RV_ABCD, { 0xbf00, 0x0000 }, 0, -0.5 },
	{ RV_F64, RV_ABCD, { 0x4093, 0x4a45, 0x6d5c, 0xfaad }, 0, 1234.5678 },
	{ RV_F64, RV_CDAB, { 0xfaad, 0x6d5c, 0x4a45, 0x4093 }, 0, 1234.5678 },
	{ RV_F64, RV_BADC, { 0x9340, 0x454a, 0x5c6d, 0xadfa }, 0, 1234.5678 },
	{ RV_F64, RV_DCBA, { 0xadfa, 0x5c6d, 0x454a, 0x9340 }, 0, 1234.5678 },
	{ RV_U16, RV_ABCD, { 0xfffe }, 65534, 0 },
	{ RV_U16, RV_BADC, { 0x3412 }, 0x1234, 0 },
	{ RV_I16, RV_ABCD, { 0xfffe }, -2, 0 },
	{ RV_I16, RV_DCBA, { 0xfeff }, -2, 0 },
	{ RV_U32, RV_ABCD, { 0x1234, 0x5678 }, 0x12345678, 0 },
	{ RV_U32, RV_CDAB, { 0x5678, 0x1234 }, 0x12345678, 0 },
	{ RV_U32, RV_BADC, { 0x3412, 0x7856 }, 0x12345678, 0 },
	{ RV_U32, RV_DCBA, { 0x7856, 0x3412 }, 0x12345678, 0 },
	{ RV_U32, RV_ABCD, { 0xffff, 0xffff }, 4294967295LL, 0 },
	{ RV_I32, RV_ABCD, { 0xffff, 0xfffe }, -2, 0 },
	{ RV_I32, RV_CDAB, { 0xfffe, 0xffff }, -2, 0 },
	{ RV_U64, RV_ABCD, { 0x0102, 0x0304, 0x0506, 0x0708 }, 0x0102030405060708LL, 0 },
	{ RV_U64, RV_CDAB, { 0x0708, 0x0506, 0x0304, 0x0102 }, 0x0102030405060708LL, 0 },
	{ RV_U64, RV_BADC, { 0x0201, 0x0403, 0x0605, 0x0807 }, 0x0102030405060708LL, 0 },
	{ RV_U64, RV_DCBA, { 0x0807, 0x0605, 0x0403, 0x0201 }, 0x0102030405060708LL, 0 },
	{ RV_I64, RV_ABCD, { 0xffff, 0xffff, 0xffff, 0xfffd }, -3, 0 },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];
		int64_t iv;
		double fv;
		uint16_t back[4] = { 0 };
		int w = regval_width(k->type);

		ok(regval_decode(k->regs, k->type, k->order, 0, &iv, &fv) == 0,
		   "%s %s image %zu decodes", regval_type_name(k->type),
		   regval_order_name(k->order), i);
		if (regval_is_float(k->type))
			ok(fv == k->fv, "%s %s = %.9g (got %.9g)",
			   regval_type_name(k->type),
			   regval_order_name(k->order), k->fv, fv);
		else
			ok(iv == k->iv && fv == (double)k->iv,
			   "%s %s = %lld (got %lld)", regval_type_name(k->type),
			   regval_order_name(k->order), (long long)k->iv,
			   (long long)iv);
		regval_encode(back, k->type, k->order, 0, k->iv, k->fv);
		ok(memcmp(back, k->regs, (size_t)w * 2) == 0,
		   "%s %s encodes back to the same registers",
		   regval_type_name(k->type), regval_order_name(k->order));
	}

	/* Not-a-number and infinity are errors, never values. */
	{
		uint16_t nan32[2] = { 0x7fc0, 0x0000 };
		uint16_t inf32[2] = { 0x7f80, 0x0000 };
		uint16_t nan64[4] = { 0x7ff8, 0, 0, 0 };
		uint16_t big[4] = { 0x8000, 0, 0, 0 };
		int64_t iv;
		double fv;

		errno = 0;
		ok(regval_decode(nan32, RV_F32, RV_ABCD, 0, &iv, &fv) == -1 &&
			   errno == EDOM,
		   "f32 NaN is EDOM");
		errno = 0;
		ok(regval_decode(inf32, RV_F32, RV_ABCD, 0, &iv, &fv) == -1 &&
			   errno == EDOM,
		   "f32 infinity is EDOM");
		errno = 0;
		ok(regval_decode(nan64, RV_F64, RV_ABCD, 0, &iv, &fv) == -1 &&
			   errno == EDOM,
		   "f64 NaN is EDOM");
		errno = 0;
		ok(regval_decode(big, RV_U64, RV_ABCD, 0, &iv, &fv) == -1 &&
			   errno == ERANGE,
		   "u64 above INT64_MAX is ERANGE");
	}

	/* Bits of a register. */
	{
		uint16_t r = 0x8008;
		int64_t iv;
		double fv;

		regval_decode(&r, RV_BIT, RV_ABCD, 3, &iv, &fv);
		ok(iv == 1, "bit 3 of 0x8008 is set");
		regval_decode(&r, RV_BIT, RV_ABCD, 4, &iv, &fv);
		ok(iv == 0, "bit 4 of 0x8008 is clear");
		regval_decode(&r, RV_BIT, RV_ABCD, 15, &iv, &fv);
		ok(iv == 1, "bit 15 of 0x8008 is set");
		regval_encode(&r, RV_BIT, RV_ABCD, 3, 0, 0);
		regval_encode(&r, RV_BIT, RV_ABCD, 0, 1, 0);
		ok(r == 0x8001, "encoding bits changes only those bits");
	}

	/* Names round-trip; unknown names are refused. */
	for (int t = 0; t <= RV_F64; t++)
		ok(regval_type_parse(regval_type_name((enum regval_type)t)) == t,
		   "type name %s", regval_type_name((enum regval_type)t));
	ok(regval_type_parse("float") == -1, "unknown type name refused");
	ok(regval_order_parse("ABDC") == -1, "unknown order refused");
	return done();
}
