/* sim_meter.h - the simulated grid meter at the farm's point of
 * connection. What it measures follows from the turbines: the export is
 * the sum of the power of every turbine of the configuration at that
 * second, as sim_wind gives it (injected production states included), less
 * the losses of the collection grid and the transformer; with nothing
 * produced the farm imports its auxiliary consumption. Its energy counters
 * integrate, second by second, what it serves. It knows nothing of Modbus,
 * registers or profiles. */
#ifndef VENTO_SIM_METER_H
#define VENTO_SIM_METER_H

#include <stdint.h>

#include "cfg.h"
#include "sim_wind.h"

/* The quantities the meter produces, named like the signals of a profile
 * (IEC 61850 MMXU and MMTR names in lower case). */
enum sim_meter_signal {
	SIM_METER_W,     /* mmxu_totw: active power, kW; negative: import */
	SIM_METER_VAR,   /* mmxu_totvar: reactive power, kvar */
	SIM_METER_HZ,    /* mmxu_hz: grid frequency, Hz */
	SIM_METER_SUPWH, /* mmtr_supwh: energy exported, whole Wh */
	SIM_METER_DMDWH, /* mmtr_dmdwh: energy imported, whole Wh */
	SIM_METER_NSIGNALS
};

/* Share of the turbines' power lost between them and the meter. */
#define SIM_METER_LOSSES 0.025
/* What the farm draws from the grid when no turbine produces, kW. */
#define SIM_METER_AUX_KW 40.0
/* The grid's nominal frequency (Brazil), Hz, and the noise around it. */
#define SIM_METER_HZ_NOMINAL 60.0
#define SIM_METER_HZ_NOISE 0.02

/* Values of the meter at one second, indexed by enum sim_meter_signal. */
struct sim_meter_sample {
	double v[SIM_METER_NSIGNALS];
};

struct sim_meter;

/* Returns the signal name of a quantity ("mmxu_totw" ...). */
const char *sim_meter_signal_name(enum sim_meter_signal i);

/* Returns the quantity a profile signal of that name carries, or -1. */
int sim_meter_signal_find(const char *name);

/*
 * Sets up the meter that is device index of c, summing every turbine of c.
 * Its counters hold start values at second start that depend only on seed
 * and index. Returns the meter; free with sim_meter_free. c must outlive
 * it.
 */
struct sim_meter *sim_meter_new(const struct config *c, uint64_t seed,
                                int index, int64_t start);

/* Accepts NULL. */
void sim_meter_free(struct sim_meter *m);

/*
 * The turbines the meter sums, *n of them, with their indices in the
 * configuration: the owner brings their injected states up to date
 * (sim_faults_sync) before asking for a new second.
 */
struct sim_wind_turbine *sim_meter_turbines(struct sim_meter *m, int *n);

/* Fills out with the meter at second, without touching the counters. */
void sim_meter_sample_at(struct sim_meter *m, int64_t second,
                         struct sim_meter_sample *out);

/*
 * Advances the counters to second, integrating each second after theirs
 * (the power as served, in float, like the turbines' counters), then fills
 * out with the meter at second. Each second costs one sample of every
 * turbine, so a long catch-up is cut short: returns the seconds skipped
 * without integrating, normally 0 (see sim_wind_advance).
 */
int64_t sim_meter_advance(struct sim_meter *m, int64_t second,
                          struct sim_meter_sample *out);

/* Sets both counters as they stand at the end of second (see
 * sim_wind_counter_set). */
void sim_meter_counters_set(struct sim_meter *m, int64_t second,
                            double supplied_wh, double demanded_wh);

#endif
