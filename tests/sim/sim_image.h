/* sim_image.h - the register image of a profile as ventosim serves it: a
 * libmodbus mapping sized to the profile's signals, filled from a physics
 * sample, and read back signal by signal for the served log. One
 * struct sim_image per profile, shared read-only by the devices that use
 * it; each device owns its own mapping. */
#ifndef VENTO_SIM_IMAGE_H
#define VENTO_SIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "profile.h"
#include "sim_wind.h"

struct sim_image;

/*
 * Binds the signals of profile p to the physics' quantities by name.
 * Signals the physics does not produce are served as raw zeros; each is
 * reported once on stderr. Returns the image; free with sim_image_free.
 * p must outlive it.
 */
struct sim_image *sim_image_new(const struct profile *p);

void sim_image_free(struct sim_image *im);

/* Returns a new mapping for one device: each table (coils, discrete
 * inputs, holding, input registers) spans from its lowest signal address to
 * the end of its highest, zero-filled, so reads outside get the Modbus
 * exception for an illegal address. NULL with errno on failure. Free with
 * modbus_mapping_free. */
modbus_mapping_t *sim_image_mapping_new(const struct sim_image *im);

/*
 * Encodes sample into the mapping: for each signal, raw = round((value -
 * offset) / scale), clamped to the type's range, for integer types and
 * bits; (value - offset) / scale in the float type for floats. A value
 * that is not finite is served as 0, never as a NaN.
 */
void sim_image_fill(const struct sim_image *im, modbus_mapping_t *map,
                    const struct sim_wind_sample *sample);

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
