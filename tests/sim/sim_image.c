/* sim_image.c - a profile's register image: sizing the libmodbus mapping,
 * encoding the physics into it, and reading it back for the served log
 * (see sim_image.h). It owns no sockets and no time; the device thread
 * decides when to fill and when to log. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "sim_image.h"
#include "sim_meter.h"
#include "sim_wind.h"
#include "xmalloc.h"

/* The span of addresses one table covers. */
struct sim_image_table {
	int start;
	int count;
};

struct sim_image {
	const struct profile *profile;
	int *quantity; /* per signal: the kind's quantity, or -1 */
	char *counter; /* per signal: 1 for an energy counter */
	struct sim_image_table table[5]; /* by function code, 1..4 */
};

static int
sim_image_find(enum device_kind kind, const char *name, char *counter)
{
	int q;

	if (kind == DEVICE_METER) {
		q = sim_meter_signal_find(name);
		*counter = q == SIM_METER_SUPWH || q == SIM_METER_DMDWH;
	} else {
		q = sim_wind_signal_find(name);
		*counter = q == SIM_TOTWH;
	}
	return q;
}

struct sim_image *
sim_image_new(const struct profile *p, enum device_kind kind)
{
	struct sim_image *im = xcalloc(1, sizeof(*im));

	im->profile = p;
	im->quantity = xcalloc((size_t)p->nsignals, sizeof(*im->quantity));
	im->counter = xcalloc((size_t)p->nsignals, 1);
	for (int fc = FC_COILS; fc <= FC_INPUT_REGISTERS; fc++)
		im->table[fc].start = -1;
	for (int i = 0; i < p->nsignals; i++) {
		const struct signal *s = &p->signals[i];
		struct sim_image_table *t = &im->table[s->fc];
		int end = s->address + profile_signal_width(s);

		/* A signal the model's plugin derives has no registers: the
		 * device does not serve it, so neither do we. */
		if (s->fc == 0) {
			im->quantity[i] = -1;
			continue;
		}
		im->quantity[i] =
		    sim_image_find(kind, s->name, &im->counter[i]);
		if (im->quantity[i] == -1)
			log_warn("ventosim: profile %s: signal %s is not "
			         "simulated for a %s; it is served as zero",
			         p->name, s->name,
			         kind == DEVICE_METER ? "meter" : "turbine");
		if (t->start == -1) {
			t->start = s->address;
			t->count = end - s->address;
			continue;
		}
		if (s->address < t->start) {
			t->count += t->start - s->address;
			t->start = s->address;
		}
		if (end > t->start + t->count)
			t->count = end - t->start;
	}
	for (int fc = FC_COILS; fc <= FC_INPUT_REGISTERS; fc++)
		if (im->table[fc].start == -1)
			im->table[fc].start = 0;
	return im;
}

void
sim_image_free(struct sim_image *im)
{
	if (im == NULL)
		return;
	free(im->quantity);
	free(im->counter);
	free(im);
}

modbus_mapping_t *
sim_image_mapping_new(const struct sim_image *im)
{
	const struct sim_image_table *t = im->table;

	/* A shifted mapping costs only the span the profile uses, which
	 * matters for a vendor map that starts at 30000 on 2000 devices. */
	return modbus_mapping_new_start_address(
	    (unsigned)t[FC_COILS].start, (unsigned)t[FC_COILS].count,
	    (unsigned)t[FC_DISCRETE_INPUTS].start,
	    (unsigned)t[FC_DISCRETE_INPUTS].count,
	    (unsigned)t[FC_HOLDING_REGISTERS].start,
	    (unsigned)t[FC_HOLDING_REGISTERS].count,
	    (unsigned)t[FC_INPUT_REGISTERS].start,
	    (unsigned)t[FC_INPUT_REGISTERS].count);
}

/* The registers of a register signal inside the mapping. */
static uint16_t *
sim_image_registers(const struct sim_image *im, const modbus_mapping_t *map,
                    const struct signal *s)
{
	if (s->fc == FC_HOLDING_REGISTERS)
		return map->tab_registers +
		       (s->address - im->table[FC_HOLDING_REGISTERS].start);
	return map->tab_input_registers +
	       (s->address - im->table[FC_INPUT_REGISTERS].start);
}

/* The bit of a coil or discrete input signal inside the mapping. */
static uint8_t *
sim_image_bit(const struct sim_image *im, const modbus_mapping_t *map,
              const struct signal *s)
{
	if (s->fc == FC_COILS)
		return map->tab_bits + (s->address - im->table[FC_COILS].start);
	return map->tab_input_bits +
	       (s->address - im->table[FC_DISCRETE_INPUTS].start);
}

/* Rounds a raw value into the range its type can hold. The bounds of the
 * 64-bit types are kept just inside 2^63 so the conversion is defined. */
static int64_t
sim_image_clamp(double raw, enum regval_type t)
{
	double lo, hi;

	switch (t) {
	case RV_BIT:
		return round(raw) != 0.0;
	case RV_U16:
		lo = 0, hi = UINT16_MAX;
		break;
	case RV_I16:
		lo = INT16_MIN, hi = INT16_MAX;
		break;
	case RV_U32:
		lo = 0, hi = UINT32_MAX;
		break;
	case RV_I32:
		lo = INT32_MIN, hi = INT32_MAX;
		break;
	case RV_U64: /* the decoder refuses a u64 above INT64_MAX */
		lo = 0, hi = 0x1.fffffffffffffp62;
		break;
	default:
		lo = -0x1.fffffffffffffp62, hi = 0x1.fffffffffffffp62;
		break;
	}
	raw = round(raw);
	if (!(raw >= lo))
		raw = lo;
	if (raw > hi)
		raw = hi;
	return (int64_t)raw;
}

/* The span of raw values after which a counter of type t wraps to 0, or
 * 0 for a type that does not wrap within reach. */
static double
sim_image_modulus(enum regval_type t)
{
	switch (t) {
	case RV_U16:
	case RV_I16:
		return 0x1p16;
	case RV_U32:
	case RV_I32:
		return 0x1p32;
	default:
		return 0.0;
	}
}

/* A counter's raw value modulo its type's width: the bit pattern is
 * what regval_encode truncates to, so a signed type shows the wrap as a
 * jump to its most negative value, like a controller's int32. */
static int64_t
sim_image_wrap(double raw, double modulus)
{
	double r = fmod(round(raw), modulus);

	if (r < 0.0)
		r += modulus;
	return (int64_t)r;
}

void
sim_image_fill(const struct sim_image *im, modbus_mapping_t *map,
               const double *v)
{
	const struct profile *p = im->profile;

	for (int i = 0; i < p->nsignals; i++) {
		const struct signal *s = &p->signals[i];
		double raw, modulus;

		if (im->quantity[i] == -1)
			continue;
		raw = (v[im->quantity[i]] - s->offset) / s->scale;
		if (!isfinite(raw))
			raw = 0.0;
		modulus = im->counter[i] ? sim_image_modulus(s->type) : 0.0;
		if (modulus > 0.0) {
			regval_encode(sim_image_registers(im, map, s), s->type,
			              s->order, s->bit,
			              sim_image_wrap(raw, modulus), 0.0);
		} else if (s->fc == FC_COILS || s->fc == FC_DISCRETE_INPUTS) {
			*sim_image_bit(im, map, s) = round(raw) != 0.0;
		} else if (regval_is_float(s->type)) {
			if (s->type == RV_F32)
				raw = fmax(-FLT_MAX, fmin(raw, FLT_MAX));
			regval_encode(sim_image_registers(im, map, s), s->type,
			              s->order, s->bit, 0, raw);
		} else {
			regval_encode(sim_image_registers(im, map, s), s->type,
			              s->order, s->bit,
			              sim_image_clamp(raw, s->type), 0.0);
		}
	}
}

int
sim_image_counter_wrap(const struct sim_image *im, int q, double *wrap,
                       const char **type)
{
	const struct profile *p = im->profile;

	*type = NULL;
	for (int i = 0; i < p->nsignals; i++) {
		const struct signal *s = &p->signals[i];
		double modulus;

		if (im->quantity[i] != q)
			continue;
		*type = regval_type_name(s->type);
		modulus = sim_image_modulus(s->type);
		if (modulus == 0.0)
			return -1;
		/* A signed counter turns negative at half its span: that is
		 * where a client sees it wrap. */
		if (s->type == RV_I16 || s->type == RV_I32)
			modulus /= 2;
		*wrap = modulus * s->scale + s->offset;
		return 0;
	}
	return -1;
}

/* Per line: second (20), device, signal, value (%.17g is at most 24),
 * up to 4 raw words of 5, four commas, a newline; with room to spare. */
#define SIM_IMAGE_LINE_MAX (24 + DEVICE_NAME_MAX + PROFILE_NAME_MAX + 32 + 24)

size_t
sim_image_format_size(const struct sim_image *im)
{
	return (size_t)im->profile->nsignals * SIM_IMAGE_LINE_MAX + 1;
}

size_t
sim_image_format(const struct sim_image *im, const modbus_mapping_t *map,
                 int64_t second, const char *device, char *buf, size_t size)
{
	const struct profile *p = im->profile;
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->nsignals; i++) {
		const struct signal *s = &p->signals[i];
		uint16_t bitword;
		const uint16_t *regs;
		int width = profile_signal_width(s);
		int64_t iv = 0;
		double fv = 0.0;
		char value[40], raw[4 * 5 + 1];
		size_t rl = 0;

		if (s->fc == 0)
			continue; /* derived, not served */
		if (s->fc == FC_COILS || s->fc == FC_DISCRETE_INPUTS) {
			bitword = *sim_image_bit(im, map, s);
			regs = &bitword;
		} else {
			regs = sim_image_registers(im, map, s);
		}
		/* Decoded by the collector's own function, so the log says
		 * what a correct client reads, digit for digit. */
		if (profile_signal_decode(s, regs, &iv, &fv) == -1)
			snprintf(value, sizeof(value), "error:%s",
			         strerror(errno));
		else if (profile_signal_is_integer(s))
			snprintf(value, sizeof(value), "%" PRId64, iv);
		else
			snprintf(value, sizeof(value), "%.17g", fv);
		for (int w = 0; w < width && w < 4; w++)
			rl += (size_t)snprintf(raw + rl, sizeof(raw) - rl,
			                       w ? ":%04x" : "%04x", regs[w]);
		len += (size_t)snprintf(buf + len, size - len,
		                        "%" PRId64 ",%s,%s,%s,%s\n", second,
		                        device, s->name, value, raw);
		if (len >= size) { /* cannot happen with size from _size() */
			len = size - 1;
			break;
		}
	}
	return len;
}
