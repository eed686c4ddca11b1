/* sim_fault.h - faults injected into simulated devices: the syntax of a
 * fault spec, and the table of every device's faults that the main thread
 * writes (at start, and on SIGHUP from a faults file) and the device
 * threads read.
 *
 * A spec is "none" or a comma-separated list of:
 *   dead                    connections accepted, requests read and dropped
 *   slow:MS                 every reply sent MS ms late (1..60000)
 *   late:MS                 the same, meant beyond the client's timeout
 *   exception:FC:ADDR:CODE  a read with function FC (1..4) covering wire
 *                           address ADDR (0-based) gets exception CODE
 *                           (1..255); up to SIM_FAULT_MAX_EXCEPTIONS
 *   disconnect:N            every Nth request of a connection closes it
 *   garbage                 every reply replaced by random bytes
 *   hostile:KIND[:N]        every Nth data reply of a connection (default
 *                           every one) is a plausible reply that does not
 *                           match its request, KIND one of:
 *                             unit      from another unit id
 *                             length    its MBAP length 2 more than sent
 *                             trickle   sent a byte every 100 ms
 *                             trailing  followed by 3 stray bytes
 *                             second    followed by a second reply with
 *                                       the next transaction id and other
 *                                       values, nobody asked for
 *                           Each is logged ("hostile reply (KIND) in
 *                           second S") and never written to the served
 *                           log: no value of it may be stored.
 *   refuse:S                no listening socket for S seconds (1..3600)
 *   wrap                    the energy counter jumps to 30 s of rated
 *                           power below the wrap of its type (turbines)
 *   reset                   the energy counter(s) restart from 0
 *   fault:stop              production state 4, no power (turbines)
 *   maintenance             production state 5, no power (turbines)
 *   derate[:PCT]            the power PCT % (1..99, default 10) under the
 *                           curve in the state of full performance, as a
 *                           controller limiting a turbine does unasked:
 *                           what a power-curve check must find (turbines)
 * slow and late add up. refuse, wrap and reset are actions: they happen
 * once, when a spec that holds them is set and differs from the device's
 * current one (to repeat one, set the device to none and back).
 *
 * A faults file has one line per device, "DEVICE SPEC"; # starts a
 * comment. A device the file does not name keeps its faults; a line that
 * cannot be used (no such device, a bad spec, a device named twice) is
 * reported as FILE:LINE and skipped. Communication faults change at once;
 * production states and counter actions from the next whole second, so
 * that every thread agrees on the state of every second. */
#ifndef VENTO_SIM_FAULT_H
#define VENTO_SIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_wind.h"

#define SIM_FAULT_MAX_EXCEPTIONS 8
#define SIM_FAULT_MAX_DELAY_MS 60000
#define SIM_FAULT_MAX_REFUSE_S 3600
/* Longest text of a spec, canonical or as written. */
#define SIM_FAULT_SPEC_MAX 512

/* The energy below the wrap point that `wrap` leaves: 30 s of rated power,
 * Wh. */
#define SIM_FAULT_WRAP_MARGIN_WH (SIM_WIND_RATED_KW * 30.0 * 1000.0 / 3600.0)

/* The hostile replies, by kind (0: none). */
enum sim_fault_hostile {
	SIM_HOSTILE_NONE,
	SIM_HOSTILE_UNIT,
	SIM_HOSTILE_LENGTH,
	SIM_HOSTILE_TRICKLE,
	SIM_HOSTILE_TRAILING,
	SIM_HOSTILE_SECOND,
};

/* A hostile:trickle reply's pace, ms a byte. */
#define SIM_FAULT_TRICKLE_MS 100

/* The name of a hostile kind ("unit", ...). */
const char *sim_fault_hostile_name(int kind);

struct sim_fault_exception {
	int fc;
	int address;
	int code;
};

/* One device's faults; all zero is none. */
struct sim_fault_spec {
	int dead;
	int slow_ms;
	int late_ms;
	int disconnect; /* close at every Nth request of a connection; 0: no */
	int garbage;
	int hostile;       /* enum sim_fault_hostile */
	int hostile_every; /* every Nth data reply of a connection */
	int nexceptions;
	struct sim_fault_exception exceptions[SIM_FAULT_MAX_EXCEPTIONS];
	int refuse_s; /* action: refuse connections this long; 0: no */
	int wrap;     /* action */
	int reset;    /* action */
	int state;    /* 0, SIM_STATE_FAULT or SIM_STATE_MAINTENANCE */
	int derate_pct; /* power withheld, % of the curve's; 0: none */
};

/* Counter actions, as a device thread takes them from the table. */
enum sim_fault_action {
	SIM_FAULT_ACTION_NONE,
	SIM_FAULT_ACTION_WRAP,
	SIM_FAULT_ACTION_RESET,
};

/*
 * Parses text into *spec. Returns 0, or -1 with a message (without the
 * file or the device) in err.
 */
int sim_fault_parse(const char *text, struct sim_fault_spec *spec, char *err,
                    size_t errsize);

/* Writes the canonical text of spec ("none", or its faults in a fixed
 * order) into buf; size SIM_FAULT_SPEC_MAX is always enough. */
void sim_fault_format(const struct sim_fault_spec *spec, char *buf,
                      size_t size);

/* Returns the reply delay of spec, ms: slow and late add up. */
int sim_fault_delay_ms(const struct sim_fault_spec *spec);

/* Returns 1 if a read of nb items at address with function fc meets an
 * injected exception, and sets *code to it. */
int sim_fault_exception_for(const struct sim_fault_spec *spec, int fc,
                            int address, int nb, int *code);

struct sim_faults;

/* A table of no faults for every device of c, which must outlive it. Free
 * with sim_faults_free. */
struct sim_faults *sim_faults_new(const struct config *c);

/* Accepts NULL. */
void sim_faults_free(struct sim_faults *f);

/*
 * Main thread. Applies --fault DEVICE=SPEC. At start only: its production
 * state holds for every second, as if always so. Returns 0, or -1 after
 * printing what is wrong.
 */
int sim_faults_option(struct sim_faults *f, const char *arg);

/*
 * Main thread. Reads a faults file (lines "DEVICE SPEC", # comments) and
 * applies each line whose spec differs from the device's current one,
 * logging one line per device changed; sets changed[i] for each. A bad
 * line is reported as FILE:LINE and skipped. initial: at start (see
 * sim_faults_option); otherwise a production state changes from the next
 * second on, and so do counter actions. Returns the number of bad lines,
 * or -1 with errno when the file cannot be read.
 */
int sim_faults_load(struct sim_faults *f, const char *path, int initial,
                    char *changed);

/*
 * Device thread of device index: if its faults changed since *gen (0 at
 * first), copies them into *spec, takes a pending refusal into *refuse_s
 * (else 0) and returns 1; returns 0 when nothing changed. Cheap when
 * nothing did: one atomic load.
 */
int sim_faults_poll(struct sim_faults *f, int index, unsigned *gen,
                    struct sim_fault_spec *spec, int *refuse_s);

/*
 * Device thread of device index, before it computes a new second (read
 * the clock before calling: a change made after the call takes effect
 * after that second). Brings the injected states of the n turbines t (by
 * their index) up to date and takes the device's pending counter action,
 * if any, into *action and the second it applies from into *at.
 */
void sim_faults_sync(struct sim_faults *f, int index,
                     struct sim_wind_turbine *t, int n,
                     enum sim_fault_action *action, int64_t *at);

#endif
