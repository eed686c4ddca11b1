/* store.h - ventod's side of PostgreSQL: the only libpq user in ventod. Only
 * the writer thread calls it. */
#ifndef VENTO_STORE_H
#define VENTO_STORE_H

#include <stdint.h>

#include "cfg.h"
#include "health.h"
#include "record.h"

/* The schema version this binary writes: the newest schema/NNN_*.sql, which
 * the Makefile passes in. */
#ifndef STORE_SCHEMA_VERSION
#error "STORE_SCHEMA_VERSION comes from the Makefile"
#endif

struct store;

/* Prepares a store for configuration c (which must outlive it); it
 * connects in store_connect. */
struct store *store_open(const struct config *c);

/* Disconnects and frees. Accepts NULL. */
void store_close(struct store *s);

/*
 * Connects, checks the schema version and the raw table's columns,
 * registers the configured devices, and reads how far the spool spool_id
 * has been stored into *acked (0 when never). Returns 0, or -1 with the
 * reason in store_error(s).
 */
int store_connect(struct store *s, uint64_t spool_id, uint64_t *acked);

/* Whether the database, at the last store_connect, had a position for the
 * spool at all (a database new to this spool has none: what the spool
 * held before is not its loss). */
int store_position_known(const struct store *s);

void store_disconnect(struct store *s);
int store_is_up(const struct store *s);

/*
 * Writes n records in one transaction, with one COPY, together with the spool
 * position seq they end at; their rows' ticks lie in [lo_ms, hi_ms]
 * (partitions are made for them first). Returns the number of rows written, or -1 with
 * the reason in store_error(s); then nothing was written, and
 * store_error_is_data(s) tells whether the data itself was refused (so
 * that retrying cannot help) rather than the connection failing.
 */
long store_write(struct store *s, const struct record *recs, int n,
		 int64_t lo_ms, int64_t hi_ms, uint64_t seq);

/* Writes one record's rows in a transaction of their own, skipping rows
 * already stored (counted by store_duplicates), without moving any spool
 * position: for records brought back from quarantine. Returns the rows
 * written, or -1 with the reason in store_error(s). */
long store_insert(struct store *s, const struct record *rec);

/* Moves the spool position to seq alone, past a record set aside. */
int store_skip(struct store *s, uint64_t seq);

/* Whether the last failure was the data's (SQLSTATE class 22 or 23), so
 * that only setting the record aside can help; any other failure is
 * retried. */
int store_error_is_data(const struct store *s);

/* How many rows of the last successful store_write were already stored
 * (a replay) and so refused by raw_sample's unique key: counted, not
 * written twice, not a failure. */
long store_duplicates(const struct store *s);

/* How many rows of the last successful store_write or store_insert
 * belonged to isolated devices (see store.c's store_isolate) and were
 * left out: lost, to be counted by the caller. */
long store_isolated(const struct store *s);

/* Recomputes the 10-minute statistics (and daily sums) of the periods
 * that [from_ms, to_ms) touches. Returns the periods written, or -1. */
int store_rollup(struct store *s, int64_t from_ms, int64_t to_ms);

/* Records the collector's health (a row a minute). Returns 0 or -1. */
int store_health(struct store *s, const struct health *h);

/* Drops the raw partitions older than the retention the database keeps
 * (set at connect from the configuration's, which a writer can lengthen
 * but not shorten), that retention in *retention_days. Returns how many,
 * or -1. */
int store_drop_old(struct store *s, int *retention_days);

/* The last error, one line. */
const char *store_error(const struct store *s);

#endif
