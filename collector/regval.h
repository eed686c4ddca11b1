/* regval.h - Modbus register values: types, word orders, decode and encode.
 * Decoding is done here rather than by libmodbus, whose float helpers
 * changed their word order between versions. */
#ifndef VENTO_REGVAL_H
#define VENTO_REGVAL_H

#include <stdint.h>

enum regval_type {
	RV_BIT, /* a coil, a discrete input, or one bit of a register */
	RV_U16,
	RV_I16,
	RV_U32,
	RV_I32,
	RV_U64,
	RV_I64,
	RV_F32,
	RV_F64,
};

/*
 * Byte order of a value across its registers, with A the most significant
 * byte. ABCD is Modbus' own big-endian order; CDAB swaps words (for 64-bit
 * values: the least significant word first); BADC swaps the bytes within
 * each word; DCBA is little-endian throughout.
 */
enum regval_order {
	RV_ABCD,
	RV_BADC,
	RV_CDAB,
	RV_DCBA,
};

/* Returns the type for a name such as "f32", or -1. */
int regval_type_parse(const char *name);
const char *regval_type_name(enum regval_type t);
/* Returns the order for a name such as "CDAB", or -1. */
int regval_order_parse(const char *name);
const char *regval_order_name(enum regval_order o);

/* Number of 16-bit registers a value of type t occupies (1 for bits). */
int regval_width(enum regval_type t);
/* 1 when values of type t are floating point. */
int regval_is_float(enum regval_type t);

/*
 * Decodes the value that starts at regs. For integer types *iv holds the
 * exact value and *fv the same as a double; for floats *fv holds it and *iv
 * is 0. A bit is (regs[0] >> bit) & 1. Returns 0, or -1 with errno EDOM for
 * a NaN or an infinity, ERANGE for a u64 above INT64_MAX.
 */
int regval_decode(const uint16_t *regs, enum regval_type t,
		  enum regval_order o, int bit, int64_t *iv, double *fv);

/* Encodes a value into registers, the inverse of regval_decode; integer
 * types take iv (truncated to the type's width), floats take fv. For a bit,
 * sets or clears that bit of regs[0]. */
void regval_encode(uint16_t *regs, enum regval_type t, enum regval_order o,
		   int bit, int64_t iv, double fv);

#endif
