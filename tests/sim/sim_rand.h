/* sim_rand.h - counter-based randomness for ventosim: every random number is
 * a hash of (seed, stream, key), so any second of any turbine can be computed
 * directly, in any order, from any thread, with no generator state. There is
 * no global rand() anywhere in the simulator. */
#ifndef VENTO_SIM_RAND_H
#define VENTO_SIM_RAND_H

#include <stdint.h>

/*
 * Streams keep unrelated quantities independent: the same key (an hour, a
 * second) in two streams gives unrelated numbers. A stream is one of these
 * kinds combined with a device index by sim_rand_stream; farm-wide streams
 * use device index -1.
 */
enum sim_rand_kind {
	SIM_RAND_WIND_HOUR = 1, /* farm-wide hourly wind anomaly */
	SIM_RAND_DIR_HOUR,      /* farm-wide hourly direction anomaly */
	SIM_RAND_TEMP_DAY,      /* farm-wide daily temperature anomaly */
	SIM_RAND_PRES_DAY,      /* farm-wide daily pressure anomaly */
	SIM_RAND_TURB_FAST,     /* per turbine, per second turbulence */
	SIM_RAND_TURB_SLOW,     /* per turbine, 30-second turbulence knots */
	SIM_RAND_DIR_FAST,      /* per turbine, per second vane noise */
	SIM_RAND_YAW_SLOW,      /* per turbine, nacelle yaw error knots */
	SIM_RAND_TURBINE,       /* per turbine constants (wake factor ...) */
	SIM_RAND_METER,         /* per meter constants (counter start) */
	SIM_RAND_GRID_HZ,       /* farm-wide, per second grid frequency */
	SIM_RAND_GARBAGE,       /* per device, the bytes of garbage replies */
};

/* Returns the stream number of a kind for one device (or -1: the farm). */
uint64_t sim_rand_stream(enum sim_rand_kind kind, int device);

/* Returns 64 well-mixed bits for (seed, stream, key) (splitmix64's
 * finaliser applied in a chain, so nearby keys give unrelated bits). */
uint64_t sim_rand_hash(uint64_t seed, uint64_t stream, int64_t key);

/* Returns a uniform number in the open interval (0, 1). */
double sim_rand_uniform(uint64_t seed, uint64_t stream, int64_t key);

/* Returns a standard normal number (mean 0, variance 1). */
double sim_rand_gauss(uint64_t seed, uint64_t stream, int64_t key);

/*
 * A smooth standard normal process sampled every period keys: the value at
 * key is the linear interpolation between the Gaussian knots around it,
 * divided by the interpolation's own standard deviation, so that it is
 * exactly N(0, 1) at every key, not only at the knots. period must be > 0.
 */
double sim_rand_knots(uint64_t seed, uint64_t stream, int64_t key,
                      int64_t period);

/*
 * Fills out[0..n-1] with sim_rand_knots(seed, stream, key0 + i * step,
 * period), the same values bit for bit, computing each knot's Gaussian
 * once rather than twice per key: the history generator's way through a
 * 10-minute period. step and period must be > 0.
 */
void sim_rand_knots_fill(uint64_t seed, uint64_t stream, int64_t key0,
                         int64_t step, int n, int64_t period, double *out);

#endif
