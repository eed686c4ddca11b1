/* poller.h - one link's thread: reads the devices behind one connection in
 * turn on their schedule and queues a sample per device per tick. A dead
 * or slow link costs only its own thread; a dead unit behind a live link
 * costs the others on it only its timeout. */
#ifndef VENTO_POLLER_H
#define VENTO_POLLER_H

#include <stdint.h>

#include "cfg.h"
#include "plan.h"
#include "queue.h"

struct poller;

/* What the main thread may read about a poller while it runs. */
struct poller_stats {
	long long ticks;      /* samples queued */
	long long failed;     /* samples with a quality other than ok */
	long long missed;     /* ticks not polled on time (a row each, quality
			       * missed): a poll overran, or a reload */
	int fresh;	      /* devices with a good sample since fresh_ms */
};

/* Lateness: from a poll's scheduled start to the end of its last read,
 * counted in buckets: 0.25 ms wide below 50 ms, 5 ms wide below 1050 ms,
 * and one for anything later. */
#define POLLER_LATE_BUCKETS 401

/* Adds this poller's lateness counts into hist. */
void poller_add_lateness(struct poller *p, unsigned long long *hist);

/* The upper edge, in microseconds, of lateness bucket b. */
long long poller_lateness_edge_us(int b);

/*
 * Starts polling the ndevices devices of c numbered in devices[], which
 * share one link, each with its plan (plans[k] for devices[k]), queueing
 * samples on q. c, the plans and q must outlive the poller. resume_ms, if
 * not NULL, holds each device's first tick to give a row (what poller_stop
 * returned for it, so that a reload leaves no tick without a row), or 0
 * for the next tick from now: ticks of it that can no longer be polled in
 * their interval get a row of quality missed. Returns the poller, or NULL
 * with errno set when the thread cannot be created.
 */
struct poller *poller_start(const struct config *c, const int *devices,
			    int ndevices, const struct plan *const *plans,
			    struct queue *q, const int64_t *resume_ms);

/* Asks the thread to stop without waiting, so that many pollers can wind
 * down at once before poller_stop joins each. */
void poller_request_stop(struct poller *p);

/* Asks the thread to stop, waits for it (at most a poll of its devices
 * plus a fraction of a second) and frees the poller. Returns the tick (ms)
 * it would have polled next, for poller_start's resume_ms; 0 for NULL. */
int64_t poller_stop(struct poller *p);

/* Sets late_us[i], for each device i (its index in the configuration) of
 * this poller, to the lateness of its last poll in microseconds, -1 while
 * it has none (not polled yet, or waiting out its backoff). */
void poller_get_lateness(struct poller *p, long long *late_us);

/* The poller's counts; fresh counts its devices whose newest good sample
 * is of tick fresh_ms or later. */
void poller_get_stats(struct poller *p, int64_t fresh_ms,
		      struct poller_stats *st);

#endif
