/* sim_rand.c - counter-based random numbers for ventosim (see sim_rand.h).
 * Pure functions of their arguments; nothing here keeps state. */
#include <math.h>
#include <stdint.h>

#include "sim_rand.h"

#define SIM_RAND_GOLDEN 0x9e3779b97f4a7c15ULL
/* 2 pi, spelled out: M_PI is not ISO C. */
#define SIM_RAND_TAU 6.283185307179586

/* splitmix64's finaliser: a bijection on 64 bits with full avalanche. */
static uint64_t
sim_rand_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
sim_rand_stream(enum sim_rand_kind kind, int device)
{
	/* device -1 (the farm) becomes 0xffffffff: no turbine has it. */
	return ((uint64_t)kind << 32) | (uint32_t)device;
}

uint64_t
sim_rand_hash(uint64_t seed, uint64_t stream, int64_t key)
{
	/* Adding the golden ratio before each round keeps a zero input from
	 * mapping to zero, and chaining the rounds makes (seed, stream, key)
	 * and a permutation of it give unrelated results. */
	uint64_t h = sim_rand_mix(seed + SIM_RAND_GOLDEN);

	h = sim_rand_mix(h + stream + SIM_RAND_GOLDEN);
	return sim_rand_mix(h + (uint64_t)key + SIM_RAND_GOLDEN);
}

/* The top 53 bits, centred in their interval: never 0, never 1. */
static double
sim_rand_unit(uint64_t h)
{
	return ((double)(h >> 11) + 0.5) * 0x1.0p-53;
}

double
sim_rand_uniform(uint64_t seed, uint64_t stream, int64_t key)
{
	return sim_rand_unit(sim_rand_hash(seed, stream, key));
}

double
sim_rand_gauss(uint64_t seed, uint64_t stream, int64_t key)
{
	/* Box-Muller, with the second uniform drawn from one more round of
	 * the mixer rather than from another key, so keys stay one-to-one
	 * with Gaussians. */
	uint64_t h = sim_rand_hash(seed, stream, key);
	double u1 = sim_rand_unit(h);
	double u2 = sim_rand_unit(sim_rand_mix(h + SIM_RAND_GOLDEN));

	return sqrt(-2.0 * log(u1)) * cos(SIM_RAND_TAU * u2);
}

/* Floor division, so that negative keys (seconds before 1970) fall in the
 * right interval too. */
static int64_t
sim_rand_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

double
sim_rand_knots(uint64_t seed, uint64_t stream, int64_t key, int64_t period)
{
	int64_t k = sim_rand_floordiv(key, period);
	double u = (double)(key - k * period) / (double)period;
	double g0 = sim_rand_gauss(seed, stream, k);
	double g1 = sim_rand_gauss(seed, stream, k + 1);

	/* The interpolation of two independent N(0,1) has variance
	 * (1-u)^2 + u^2, down to 1/2 mid-way; dividing by its root keeps
	 * the marginal exactly N(0,1) at the cost of a slightly sharper
	 * path mid-way, which nobody can see in wind data. */
	return ((1.0 - u) * g0 + u * g1) / sqrt((1.0 - u) * (1.0 - u) + u * u);
}

void
sim_rand_knots_fill(uint64_t seed, uint64_t stream, int64_t key0, int64_t step,
                    int n, int64_t period, double *out)
{
	int64_t have = INT64_MIN; /* the knot g0 belongs to */
	double g0 = 0.0, g1 = 0.0;

	for (int i = 0; i < n; i++) {
		int64_t key = key0 + (int64_t)i * step;
		int64_t k = sim_rand_floordiv(key, period);
		double u = (double)(key - k * period) / (double)period;

		if (k != have) {
			/* Keys ascend: usually the next knot pair shares one
			 * Gaussian with the last. */
			g0 = have != INT64_MIN && k == have + 1
			         ? g1
			         : sim_rand_gauss(seed, stream, k);
			g1 = sim_rand_gauss(seed, stream, k + 1);
			have = k;
		}
		/* The expression of sim_rand_knots, so the values agree to
		 * the bit. */
		out[i] = ((1.0 - u) * g0 + u * g1) /
		         sqrt((1.0 - u) * (1.0 - u) + u * u);
	}
}
