/* writer.h - delivery: the spooler (spooler.c) takes the pollers' samples off
 * the queue into the disk spool, and the writer thread stores them in
 * PostgreSQL. */
#ifndef VENTO_WRITER_H
#define VENTO_WRITER_H

#include <stdint.h>

#include "cfg.h"
#include "health.h"
#include "queue.h"

struct writer;

struct writer_stats {
	long long rows;		/* rows committed */
	long long backlog;	/* spool records not yet stored */
	long long spool_bytes;	/* the spool's size on disk */
	long long dropped;	/* rows that could not be spooled */
	long long spool_dropped; /* records dropped at the spool's bound
				    before they were stored */
	long long damaged;	/* records damaged on disk or missing */
	int64_t newest_ms;	/* newest tick committed, or 0 */
	int64_t progress_ms;	/* monotonic ms of the last loop turn */
	long long quarantined;	/* records set aside as refused data */
	long long duplicates;	/* rows refused as already stored */
	long long isolated;	/* rows of isolated devices, not stored */
	int db_up;
};

/* Starts the writer for configuration c, taking from q. Both must outlive
 * it. Returns NULL with errno set when the thread cannot start. */
struct writer *writer_start(const struct config *c, struct queue *q);

/* Stops the writer after spooling what is queued and a last attempt to
 * store it, and frees it. Call after the pollers have stopped. Accepts NULL. */
void writer_stop(struct writer *w);

void writer_get_stats(struct writer *w, struct writer_stats *st);

/* Hands the writer the collector's health, as the main thread last summed
 * it, for the database's collector_health row a minute. */
void writer_put_health(struct writer *w, const struct health *h);

#endif
