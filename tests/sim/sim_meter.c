/* sim_meter.c - the simulated grid meter (see sim_meter.h). It owns a copy
 * of every turbine's physics (their hourly caches make a second of the
 * whole farm cheap) and its two counters; the injected states of the
 * turbines come from its owner. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_meter.h"
#include "sim_rand.h"
#include "xmalloc.h"

/* The most turbine-seconds one catch-up computes: about 0.4 s of work, well
 * under a client's timeout, whatever the size of the farm. */
#define SIM_METER_CATCHUP_WORK 200000
#define SIM_METER_CATCHUP_MIN 60

/* The capacitive charging of the collection grid's cables, kvar per
 * turbine: it makes the farm's reactive power a little negative when the
 * turbines stand still. */
#define SIM_METER_CHARGING_KVAR 6.0

struct sim_meter {
	uint64_t seed;
	int index;
	struct sim_wind_turbine *turbines;
	int nturbines;
	double supplied_wh; /* mmtr_supwh, exact sum of steps */
	double demanded_wh; /* mmtr_dmdwh */
	int64_t counter_second;
	int64_t catchup_max;
};

static const char *const sim_meter_signal_names[SIM_METER_NSIGNALS] = {
    [SIM_METER_W] = "mmxu_totw",      [SIM_METER_VAR] = "mmxu_totvar",
    [SIM_METER_HZ] = "mmxu_hz",       [SIM_METER_SUPWH] = "mmtr_supwh",
    [SIM_METER_DMDWH] = "mmtr_dmdwh",
};

const char *
sim_meter_signal_name(enum sim_meter_signal i)
{
	return sim_meter_signal_names[i];
}

int
sim_meter_signal_find(const char *name)
{
	for (int i = 0; i < SIM_METER_NSIGNALS; i++)
		if (strcmp(sim_meter_signal_names[i], name) == 0)
			return i;
	return -1;
}

struct sim_meter *
sim_meter_new(const struct config *c, uint64_t seed, int index, int64_t start)
{
	struct sim_meter *m = xcalloc(1, sizeof(*m));
	uint64_t s = sim_rand_stream(SIM_RAND_METER, index);

	m->seed = seed;
	m->index = index;
	m->turbines = xcalloc((size_t)c->ndevices + 1, sizeof(*m->turbines));
	for (int i = 0; i < c->ndevices; i++)
		if (c->devices[i].kind == DEVICE_TURBINE)
			sim_wind_turbine_init(&m->turbines[m->nturbines++],
			                      seed, i, start);
	/* A meter that has counted a few weeks of a large farm's export,
	 * and a little import. */
	m->supplied_wh = 5e10 + floor(1e9 * sim_rand_uniform(seed, s, 0));
	m->demanded_wh = 2e7 + floor(1e6 * sim_rand_uniform(seed, s, 1));
	m->counter_second = start;
	m->catchup_max = SIM_METER_CATCHUP_WORK / (m->nturbines + 1);
	if (m->catchup_max < SIM_METER_CATCHUP_MIN)
		m->catchup_max = SIM_METER_CATCHUP_MIN;
	return m;
}

void
sim_meter_free(struct sim_meter *m)
{
	if (m == NULL)
		return;
	free(m->turbines);
	free(m);
}

struct sim_wind_turbine *
sim_meter_turbines(struct sim_meter *m, int *n)
{
	*n = m->nturbines;
	return m->turbines;
}

void
sim_meter_sample_at(struct sim_meter *m, int64_t second,
                    struct sim_meter_sample *out)
{
	struct sim_wind_sample t;
	double w = 0.0, var = 0.0, u;

	/* The power of each turbine as it serves it (in float), so that a
	 * client summing what the turbines serve finds the meter's value
	 * less the losses, to float rounding. */
	for (int i = 0; i < m->nturbines; i++) {
		sim_wind_sample_at(&m->turbines[i], second, &t);
		w += (double)(float)t.v[SIM_W];
		var += (double)(float)t.v[SIM_VAR];
	}
	memset(out, 0, sizeof(*out));
	out->v[SIM_METER_W] =
	    w > 0.0 ? w * (1.0 - SIM_METER_LOSSES) : -SIM_METER_AUX_KW;
	out->v[SIM_METER_VAR] = var * (1.0 - SIM_METER_LOSSES) -
	                        SIM_METER_CHARGING_KVAR * m->nturbines;
	u = sim_rand_uniform(m->seed, sim_rand_stream(SIM_RAND_GRID_HZ, -1),
	                     second);
	out->v[SIM_METER_HZ] =
	    SIM_METER_HZ_NOMINAL + SIM_METER_HZ_NOISE * (2.0 * u - 1.0);
	out->v[SIM_METER_SUPWH] = floor(m->supplied_wh);
	out->v[SIM_METER_DMDWH] = floor(m->demanded_wh);
}

int64_t
sim_meter_advance(struct sim_meter *m, int64_t second,
                  struct sim_meter_sample *out)
{
	int64_t skipped = 0;

	if (second <= m->counter_second) {
		sim_meter_sample_at(m, second, out);
		return 0;
	}
	if (second - m->counter_second > m->catchup_max) {
		skipped = second - m->counter_second - m->catchup_max;
		m->counter_second = second - m->catchup_max;
	}
	while (m->counter_second < second) {
		double w;

		m->counter_second++;
		sim_meter_sample_at(m, m->counter_second, out);
		w = (double)(float)out->v[SIM_METER_W];
		if (w > 0.0)
			m->supplied_wh += w * (1000.0 / 3600.0);
		else
			m->demanded_wh += -w * (1000.0 / 3600.0);
	}
	out->v[SIM_METER_SUPWH] = floor(m->supplied_wh);
	out->v[SIM_METER_DMDWH] = floor(m->demanded_wh);
	return skipped;
}

void
sim_meter_counters_set(struct sim_meter *m, int64_t second, double supplied_wh,
                       double demanded_wh)
{
	struct sim_meter_sample scratch;

	if (second > m->counter_second)
		sim_meter_advance(m, second, &scratch);
	m->supplied_wh = supplied_wh;
	m->demanded_wh = demanded_wh;
}
