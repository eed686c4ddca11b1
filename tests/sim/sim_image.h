/* sim_image.h - the register image of a profile as ventosim serves it: a
 * libmodbus mapping sized to the profile's signals, filled from a physics
 * sample (a turbine's or a meter's), and read back signal by signal for the
 * served log. One struct sim_image per profile and kind of device, shared
 * read-only by the devices that use it; each device owns its own
 * mapping. */
#ifndef VENTO_SIM_IMAGE_H
#define VENTO_SIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "cfg.h"
#include "profile.h"

struct sim_image;

/*
 * Binds the signals of profile p to the quantities of a device of that
 * kind by name: enum sim_wind_signal for a turbine, enum sim_meter_signal
 * for a meter. Signals the model does not produce are served as raw zeros;
 * each is reported once on stderr. A signal the model's plugin derives
 * (fc 0) has no registers: it is neither served nor logged. Returns the image;
 * free with sim_image_free. p must outlive it.
 */
struct sim_image *sim_image_new(const struct profile *p, enum device_kind kind);

void sim_image_free(struct sim_image *im);

/* Returns a new mapping for one device: each table (coils, discrete
 * inputs, holding, input registers) spans from its lowest signal address to
 * the end of its highest, zero-filled, so reads outside get the Modbus
 * exception for an illegal address. NULL with errno on failure. Free with
 * modbus_mapping_free. */
modbus_mapping_t *sim_image_mapping_new(const struct sim_image *im);

/*
 * Encodes a sample (v indexed by the kind's quantities) into the mapping:
 * for each signal, raw = round((value - offset) / scale), clamped to the
 * type's range, for integer types and bits; (value - offset) / scale in
 * the float type for floats. Energy counters in an integer type of 16 or
 * 32 bits are not clamped but served modulo the type's width, as a
 * controller's counter wraps (two's complement for a signed type). A
 * value that is not finite is served as 0, never as a NaN.
 */
void sim_image_fill(const struct sim_image *im, modbus_mapping_t *map,
                    const double *v);

/*
 * Finds where the served counter of quantity q wraps: stores in *wrap the
 * physical value (Wh) at which a client sees it fall (2^32 * scale +
 * offset for a u32, 2^31 * scale + offset for an i32, where it turns
 * negative). Returns 0, or -1 when the profile does not serve q or serves
 * it in a type that does not wrap within reach (64 bits, a float); *type
 * is then the type's name, or NULL if q is not served.
 */
int sim_image_counter_wrap(const struct sim_image *im, int q, double *wrap,
                           const char **type);

/* Upper bound of the bytes sim_image_format writes for one second. */
size_t sim_image_format_size(const struct sim_image *im);

/*
 * Writes the served-log lines of one device at one second into buf, one per
 * signal: "second,device,signal,value,raw\n", where value is what
 * profile_signal_decode reads back from the mapping (PRId64 for integer
 * signals, %.17g otherwise) and raw is the signal's registers as 4-digit
 * lower-case hex words joined by ':' (a coil or discrete input as one word,
 * 0000 or 0001). Returns the length written (buf is NUL-terminated);
 * size must be at least sim_image_format_size.
 */
size_t sim_image_format(const struct sim_image *im, const modbus_mapping_t *map,
                        int64_t second, const char *device, char *buf,
                        size_t size);

#endif
