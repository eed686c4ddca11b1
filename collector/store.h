/* store.h - ventod's side of PostgreSQL: the only libpq user in ventod. Only
 * the writer thread calls it. */
#ifndef VENTO_STORE_H
#define VENTO_STORE_H

#include "cfg.h"
#include "sample.h"

/* The schema version this binary writes; schema/NNN_*.sql up to it. */
#define STORE_SCHEMA_VERSION 1

struct store;

/* Prepares a store for configuration c (which must outlive it); it
 * connects in store_connect. */
struct store *store_open(const struct config *c);

/* Disconnects and frees. Accepts NULL. */
void store_close(struct store *s);

/*
 * Connects, checks the schema version and the raw table's columns, and
 * registers the configured devices. Returns 0, or -1 with the reason in
 * store_error(s).
 */
int store_connect(struct store *s);

void store_disconnect(struct store *s);
int store_is_up(const struct store *s);

/*
 * Writes the samples of list (linked by next) in one transaction with COPY.
 * Returns the number of rows written, or -1 with the reason in
 * store_error(s); then nothing of the list was written.
 */
long store_write(struct store *s, const struct sample *list);

/* The last error, one line. */
const char *store_error(const struct store *s);

#endif
