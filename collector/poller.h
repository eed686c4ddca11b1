/* poller.h - one device's thread: reads the device on its own schedule and
 * queues a sample per tick. A dead or slow device costs only its own
 * thread. */
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
	int64_t last_ok_ms;   /* tick of the newest good sample, or 0 */
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
 * Starts polling device number `device` of c with plan pl, queueing samples
 * on q. c, pl and q must outlive the poller. resume_ms is the first tick
 * to give a row (what poller_stop returned for the same device, so that a
 * reload leaves no tick without a row), or 0 for the next tick from now:
 * ticks of it that can no longer be polled in their interval get a row of
 * quality missed. Returns the poller, or NULL with errno set when the
 * thread cannot be created.
 */
struct poller *poller_start(const struct config *c, int device,
			    const struct plan *pl, struct queue *q,
			    int64_t resume_ms);

/* Asks the thread to stop without waiting, so that many pollers can wind
 * down at once before poller_stop joins each. */
void poller_request_stop(struct poller *p);

/* Asks the thread to stop, waits for it (at most one reply timeout plus a
 * fraction of a second) and frees the poller. Returns the tick (ms) it
 * would have polled next, for poller_start's resume_ms; 0 for NULL. */
int64_t poller_stop(struct poller *p);

void poller_get_stats(struct poller *p, struct poller_stats *st);

#endif
