/* regval.c - decoding and encoding of typed values in Modbus registers. It
 * knows nothing of profiles or devices; tests check it against known
 * register images for every type and word order. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "regval.h"

static const char *const regval_type_names[] = {
	"bit", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64",
};

static const char *const regval_order_names[] = {
	"ABCD", "BADC", "CDAB", "DCBA",
};

int
regval_type_parse(const char *name)
{
	for (int i = 0; i <= RV_F64; i++)
		if (strcmp(name, regval_type_names[i]) == 0)
			return i;
	return -1;
}

const char *
regval_type_name(enum regval_type t)
{
	return regval_type_names[t];
}

int
regval_order_parse(const char *name)
{
	for (int i = 0; i <= RV_DCBA; i++)
		if (strcmp(name, regval_order_names[i]) == 0)
			return i;
	return -1;
}

const char *
regval_order_name(enum regval_order o)
{
	return regval_order_names[o];
}

int
regval_width(enum regval_type t)
{
	switch (t) {
	case RV_U32:
	case RV_I32:
	case RV_F32:
		return 2;
	case RV_U64:
	case RV_I64:
	case RV_F64:
		return 4;
	default:
		return 1;
	}
}

int
regval_is_float(enum regval_type t)
{
	return t == RV_F32 || t == RV_F64;
}

/* Register i of n (in wire order) holds which big-endian word of the value,
 * and are its bytes swapped? */
static int
regval_word_index(enum regval_order o, int i, int n)
{
	return (o == RV_CDAB || o == RV_DCBA) ? n - 1 - i : i;
}

static int
regval_bytes_swapped(enum regval_order o)
{
	return o == RV_BADC || o == RV_DCBA;
}

static uint16_t
regval_swap16(uint16_t w)
{
	return (uint16_t)((w >> 8) | (w << 8));
}

/* Gathers n registers into one big-endian unsigned integer. */
static uint64_t
regval_gather(const uint16_t *regs, enum regval_order o, int n)
{
	uint16_t words[4];
	uint64_t v = 0;

	for (int i = 0; i < n; i++) {
		uint16_t w = regs[i];

		if (regval_bytes_swapped(o))
			w = regval_swap16(w);
		words[regval_word_index(o, i, n)] = w;
	}
	for (int i = 0; i < n; i++)
		v = (v << 16) | words[i];
	return v;
}

static void
regval_scatter(uint16_t *regs, enum regval_order o, int n, uint64_t v)
{
	for (int i = 0; i < n; i++) {
		int shift = 16 * (n - 1 - regval_word_index(o, i, n));
		uint16_t w = (uint16_t)(v >> shift);

		regs[i] = regval_bytes_swapped(o) ? regval_swap16(w) : w;
	}
}

int
regval_decode(const uint16_t *regs, enum regval_type t, enum regval_order o,
	      int bit, int64_t *iv, double *fv)
{
	uint64_t u = t == RV_BIT ? 0 : regval_gather(regs, o, regval_width(t));
	float f;
	double d;

	*iv = 0;
	switch (t) {
	case RV_BIT:
		*iv = (regs[0] >> bit) & 1;
		break;
	case RV_U16:
	case RV_U32:
		*iv = (int64_t)u;
		break;
	case RV_I16:
		*iv = (int16_t)u;
		break;
	case RV_I32:
		*iv = (int32_t)u;
		break;
	case RV_U64:
		if (u > INT64_MAX) {
			errno = ERANGE;
			return -1;
		}
		*iv = (int64_t)u;
		break;
	case RV_I64:
		*iv = (int64_t)u;
		break;
	case RV_F32: {
		uint32_t u32 = (uint32_t)u;

		memcpy(&f, &u32, sizeof(f));
		*fv = f;
		goto check_finite;
	}
	case RV_F64:
		memcpy(&d, &u, sizeof(d));
		*fv = d;
		goto check_finite;
	}
	*fv = (double)*iv;
	return 0;

check_finite:
	if (!isfinite(*fv)) {
		errno = EDOM;
		return -1;
	}
	return 0;
}

void
regval_encode(uint16_t *regs, enum regval_type t, enum regval_order o,
	      int bit, int64_t iv, double fv)
{
	uint64_t u;

	switch (t) {
	case RV_BIT:
		if (iv)
			regs[0] = (uint16_t)(regs[0] | (1u << bit));
		else
			regs[0] = (uint16_t)(regs[0] & ~(1u << bit));
		return;
	case RV_F32: {
		float f = (float)fv;
		uint32_t u32;

		memcpy(&u32, &f, sizeof(u32));
		u = u32;
		break;
	}
	case RV_F64:
		memcpy(&u, &fv, sizeof(u));
		break;
	default:
		u = (uint64_t)iv;
		break;
	}
	regval_scatter(regs, o, regval_width(t), u);
}
