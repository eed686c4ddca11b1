/* housekeeping.h - what the writer does for the database besides storing
 * rows, on its own connection and thread: the 10-minute statistics of
 * what it stored, the collector's health row a minute, the raw
 * retention. */
#ifndef VENTO_HOUSEKEEPING_H
#define VENTO_HOUSEKEEPING_H

#include <stdint.h>

#include "health.h"
#include "store.h"

struct housekeeping;

struct housekeeping *housekeeping_open(void);

/* Frees it. Accepts NULL. */
void housekeeping_close(struct housekeeping *hk);

/* Rows with ticks lo_ms..hi_ms were stored: their periods' statistics
 * are due. */
void housekeeping_stored(struct housekeeping *hk, int64_t lo_ms, int64_t hi_ms);

/* The writer connected: the retention is due again. */
void housekeeping_connected(struct housekeeping *hk);

/* The collector's health as the main thread last summed it, handed over
 * in memory (any thread). */
void housekeeping_put_health(struct housekeeping *hk, const struct health *h);

/* Does what is due on st's connection. With final set, does it all now
 * (the writer is stopping). Failures are logged; the rows are not
 * affected by them. */
void housekeeping_run(struct housekeeping *hk, struct store *st, int final);

#endif
