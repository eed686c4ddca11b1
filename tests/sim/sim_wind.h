/* sim_wind.h - the physics of one simulated 4.5 MW direct-drive turbine of
 * the vento demo farm (40 turbines, Bahia, Brazil): wind, power curve,
 * operating state, rotor, pitch, direction, temperature, pressure and the
 * energy counter. Everything but the counter is a pure function of (seed,
 * turbine index, UTC second), so a test, the history generator and the
 * Modbus server all agree on what any turbine did at any second. It knows
 * nothing of Modbus, registers or profiles. */
#ifndef VENTO_SIM_WIND_H
#define VENTO_SIM_WIND_H

#include <stdint.h>

/*
 * Operating states served in wtur_turst. These are the codes of the
 * simulated model's controller, not IEC 61400-26 categories: the model's
 * plugin maps them.
 *   1 standby: the wind is below cut-in (3 m/s); rotor stopped, blades
 *     feathered. IEC 61400-26: out of environmental specification.
 *   2 producing (full or partial performance, by the power).
 *   3 stopped: the wind is above cut-out (25 m/s); blades feathered.
 *     IEC 61400-26: out of environmental specification.
 *   4 fault, 5 maintenance: injected from outside (ventosim's fault:stop
 *     and maintenance, through struct sim_wind_override); the wind alone
 *     never gives them. Rotor stopped, blades feathered, no power, the
 *     counter stands still.
 */
enum sim_wind_state {
	SIM_STATE_STANDBY = 1,
	SIM_STATE_PRODUCING = 2,
	SIM_STATE_STOPPED_HIGH_WIND = 3,
	SIM_STATE_FAULT = 4,
	SIM_STATE_MAINTENANCE = 5,
};

/* The quantities the physics produces, named like the signals of a profile
 * (IEC 61400-25 names in lower case); sim_wind_signal_name gives them. */
enum sim_wind_signal {
	SIM_W,       /* wtur_w: active power, kW */
	SIM_VAR,     /* wtur_var: reactive power, kvar */
	SIM_TOTWH,   /* wtur_totwh: energy counter, whole Wh */
	SIM_WDSPD,   /* wmet_horwdspd: hub-height wind, m/s */
	SIM_WDDIR,   /* wmet_horwddir: wind direction, deg 0..359.9 */
	SIM_NACDIR,  /* wnac_dir: nacelle position, deg 0..359.9 */
	SIM_ROTSPD,  /* wrot_rotspd: rotor speed, rpm */
	SIM_GENSPD,  /* wgen_spd: generator speed, rpm (direct drive) */
	SIM_PITCH,   /* wrot_blpthangval: blade pitch, deg */
	SIM_ENVTMP,  /* wmet_envtmp: ambient temperature, C */
	SIM_ENVPRES, /* wmet_envpres: ambient pressure, hPa */
	SIM_TURST,   /* wtur_turst: enum sim_wind_state */
	SIM_NSIGNALS
};

/* The farm's local time, America/Bahia: UTC-3 all year, no DST, in
 * seconds east of UTC. Months and the diurnal cycles follow it, and the
 * history's timestamps carry it. */
#define SIM_WIND_UTC_OFFSET (-3 * 3600)

/* The rated power of the model, kW. */
#define SIM_WIND_RATED_KW 4500.0

/* How many changes of an injected state a turbine remembers. */
#define SIM_WIND_OVERRIDES 8

/*
 * States forced on a turbine's controller from outside, as a short
 * history: from second from[i] on (ascending), state[i], where 0 means
 * none (the controller decides by the wind). A second before from[0] has
 * none. Keeping the history, not just the current state, lets a counter
 * catch-up and the grid meter, which compute past seconds, agree with what
 * was served at each of them. gen changes with every change, so a reader
 * copies a history only when it changed.
 */
struct sim_wind_override {
	unsigned gen;
	int n;
	int64_t from[SIM_WIND_OVERRIDES];
	int state[SIM_WIND_OVERRIDES];
};

/* Physical values of one turbine at one second, indexed by
 * enum sim_wind_signal. Always finite. */
struct sim_wind_sample {
	double v[SIM_NSIGNALS];
};

/*
 * One turbine: its constants, its energy counter, and a cache of the
 * farm-wide hourly values (which are costly: a window of hashed
 * Gaussians). The cache changes no result; it only saves time. Not shared
 * between threads: each server thread owns its turbines.
 */
struct sim_wind_turbine {
	uint64_t seed;
	int index;          /* the device's index in vento.conf */
	double wake;        /* free-wind factor 0.93..1.03: wakes, terrain */
	double vane_offset; /* deg: where this vane reads the farm wind */
	double yaw_offset;  /* deg: this nacelle's mean yaw error */
	double counter_wh;  /* the energy counter, exact sum of steps */
	int64_t counter_second; /* the second counter_wh belongs to */
	int64_t cache_hour;     /* the hour whose values below are cached */
	double cache_wind[2];   /* farm mean wind at cache_hour, +1, m/s */
	double cache_dir[2];    /* farm direction anomaly at cache_hour, +1 */
	struct sim_wind_override override; /* injected states, none at init */
	double derate; /* share of the curve's power withheld (a derate
	                * fault: a controller limiting the turbine), 0..1 */
	/* The Weibull quantiles of the farm wind's hours of the two local
	 * months last used (see sim_wind.c), by hour from the month's first:
	 * (-ln q)^(1/k), the month's scale not applied. */
	int64_t month_h0[2]; /* the month's first UTC hour; 0: unused slot */
	int month_n[2];      /* its hours */
	double month_w[2][31 * 24];
};

/* The longest stretch of seconds sim_wind_advance integrates one by one;
 * beyond it the counter skips the energy of the older seconds. */
#define SIM_WIND_CATCHUP_MAX 86400

/* Returns the signal name of a quantity ("wtur_w" ...). */
const char *sim_wind_signal_name(enum sim_wind_signal i);

/* Returns the quantity a profile signal of that name carries, or -1 when the
 * physics does not produce it. */
int sim_wind_signal_find(const char *name);

/*
 * Sets up turbine index of the farm of that seed. Its counter holds, at
 * second start, a start value that depends only on seed and index
 * (1e9 Wh + index * 1e7 Wh + up to 1e6 Wh).
 */
void sim_wind_turbine_init(struct sim_wind_turbine *t, uint64_t seed, int index,
                           int64_t start);

/* Returns the state forced on the turbine at second, or 0 for none. */
int sim_wind_override_at(const struct sim_wind_override *o, int64_t second);

/*
 * Records that from second from on the state is state (0: none). from must
 * not be before the last entry's; an entry of the same second is replaced.
 * When the history is full the oldest change is forgotten.
 */
void sim_wind_override_add(struct sim_wind_override *o, int64_t from,
                           int state);

/*
 * Fills out with the state of the turbine at second, without touching the
 * counter: SIM_TOTWH is the counter as it stands. Used for the catch-up and
 * by --print.
 */
void sim_wind_sample_at(struct sim_wind_turbine *t, int64_t second,
                        struct sim_wind_sample *out);

/*
 * Advances the counter to second, integrating the power of every second
 * after the counter's one by one (counter_wh += P kW * 1000 / 3600, with P
 * as served, in float), then fills out with the state at second. A second
 * at or before the counter's (the clock stepped back) leaves the counter
 * alone. Returns the number of seconds the catch-up skipped without
 * integrating (see SIM_WIND_CATCHUP_MAX), normally 0.
 */
int64_t sim_wind_advance(struct sim_wind_turbine *t, int64_t second,
                         struct sim_wind_sample *out);

/*
 * Sets the counter to wh as it stands at the end of second: the seconds
 * up to it are integrated first when it lies ahead of the counter's; at or
 * before the counter's second, only the value is replaced. The seconds
 * after it integrate on from wh (a controller's counter reset, or a jump
 * to just below a wrap).
 */
void sim_wind_counter_set(struct sim_wind_turbine *t, int64_t second,
                          double wh);

/* The power curve of the model, kW at a density-normalised wind speed in
 * m/s, for a producing turbine (cut-out is the controller's decision, not
 * the curve's). */
double sim_wind_power_curve(double v);

/*
 * 10-minute history: the statistics of a period of a turbine, computed
 * without stepping through its seconds (how, and how closely they match
 * the live turbine's, is in sim_wind.c). No injected states: a history
 * is of turbines in production, derated where t->derate says. The
 * period's energy is w_kw / 6 kWh.
 */

/* Seconds in a period, and the step at which the history samples the
 * slow turbulence and the farm's weather within one. */
#define SIM_WIND_PERIOD 600
#define SIM_WIND_HISTORY_STEP 10

/* One turbine's statistics of one period. */
struct sim_wind_period {
	double w_kw;   /* mean active power, kW */
	double wdspd;  /* mean hub-height wind, m/s */
	double wddir;  /* vector mean wind direction, deg 0..359.9 */
	double pitch;  /* mean blade pitch, deg */
	double envtmp; /* mean ambient temperature, C */
	int turst;     /* the state held longest (enum sim_wind_state) */
};

/* The farm-wide part of a period and the tables every turbine shares. */
struct sim_wind_history;

/* Returns the history of the farm of that seed (about 2 MB of tables,
 * built here in a few tens of ms). Free with sim_wind_history_free. */
struct sim_wind_history *sim_wind_history_new(uint64_t seed);

/* Frees h; NULL is allowed. */
void sim_wind_history_free(struct sim_wind_history *h);

/* Computes the farm-wide values of the period that starts at second start
 * (a multiple of SIM_WIND_PERIOD), for sim_wind_history_turbine. */
void sim_wind_history_period(struct sim_wind_history *h, int64_t start);

/* Fills out with the statistics of turbine t (of h's seed, from
 * sim_wind_turbine_init; its counter and injected states are not used) in
 * h's current period. */
void sim_wind_history_turbine(const struct sim_wind_history *h,
                              const struct sim_wind_turbine *t,
                              struct sim_wind_period *out);

#endif
