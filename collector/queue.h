/* queue.h - the hand-over from pollers to the spooler: many producers, one
 * consumer, a mutex and a condition variable. The samples' only way from
 * the pollers to delivery; the other state threads share is each behind
 * its owner's lock or atomics (the spool, the spooler's batch count, the
 * health handed to the housekeeping, the pollers' and writer's counters
 * read by the main thread). */
#ifndef VENTO_QUEUE_H
#define VENTO_QUEUE_H

#include "sample.h"

struct queue;

struct queue *queue_open(void);
/* Frees the queue and any samples still in it. Accepts NULL. */
void queue_close(struct queue *q);

/* Appends s; the queue owns it from now on. Never blocks for long. */
void queue_push(struct queue *q, struct sample *s);

/*
 * Takes every queued sample, oldest first, as a list linked by next, waiting
 * up to timeout_ms for the first. Returns NULL when none came in time. The
 * caller owns the list.
 */
struct sample *queue_take_all(struct queue *q, int timeout_ms);

#endif
