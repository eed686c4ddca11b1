/* sim_history.h - ventosim --history: the 10-minute history of the
 * turbines of a configuration, written as CSV with the column names of
 * NREL's OpenOA, the format `ventoctl import` reads. The physics is
 * sim_wind's; this module owns the times, the choice of turbines and the
 * format. */
#ifndef VENTO_SIM_HISTORY_H
#define VENTO_SIM_HISTORY_H

#include <stdint.h>

#include "cfg.h"

/*
 * Reads a time for --history: an ISO 8601 date (YYYY-MM-DD, midnight of
 * the farm's local time, SIM_WIND_UTC_OFFSET) or a timestamp with a UTC offset
 * (YYYY-MM-DDTHH:MM[:SS] then Z or +HH:MM / -HH:MM; a space may stand for
 * the T). Sets *second to its Unix time. Returns 0, or -1 when s is none
 * of these.
 */
int sim_history_parse_time(const char *s, int64_t *second);

/*
 * Writes the periods [from, to) (both on 10-minute boundaries, from < to)
 * of every turbine of c marked in serve (serve[i] for c->devices[i]; NULL:
 * every turbine) to path ("-": standard output), each turbine derated by
 * derate[i] % of its curve's power (NULL: none), one line per turbine and
 * period, period by period. The header is
 *   time,asset_id,WTUR_W,WMET_HorWdSpd,WMET_HorWdDir,WTUR_TurSt,
 *   WROT_BlPthAngVal,WMET_EnvTmp,WTUR_SupWh
 * with time the period start in the farm's local time with its offset
 * (2025-01-01T00:00:00-03:00) and WTUR_SupWh the period's energy in kWh
 * (OpenOA's exports carry kWh per period under that name). Returns 0, or
 * -1 with errno set when the file cannot be written; a regular file left
 * incomplete is removed.
 */
int sim_history_write(const struct config *c, const char *serve,
                      const int *derate, uint64_t seed, int64_t from,
                      int64_t to, const char *path);

#endif
