/* spooler.h - the thread that takes the pollers' samples off the queue and
 * appends them, a tick's batch at a time, to the disk spool, synced. */
#ifndef VENTO_SPOOLER_H
#define VENTO_SPOOLER_H

#include "cfg.h"
#include "queue.h"
#include "spool.h"

struct spooler;

/* Starts the spooler for configuration c, taking from q, appending to sp;
 * all three must outlive it. Returns NULL with errno set when the thread
 * cannot start. */
struct spooler *spooler_start(const struct config *c, struct queue *q,
                              struct spool *sp);

/* Stops it after spooling what is queued (call once the pollers have
 * stopped), and frees it. Accepts NULL. */
void spooler_stop(struct spooler *sp);

/* Asks it to stop once the queue is empty; spooler_done says when. */
void spooler_request_stop(struct spooler *sp);

/* 1 once everything queued is spooled after a stop was requested. */
int spooler_done(struct spooler *sp);

/* Waits until the spooler has spooled a batch since the count *seen (the
 * caller's, updated), or timeout_ms passed, or it is done: the writer's
 * idle wait, which a batch spooled before it began does not prolong. */
void spooler_wait(struct spooler *sp, unsigned long long *seen, int timeout_ms);

/* Rows that could not be spooled (the disk full or failing), since start. */
long long spooler_lost(struct spooler *sp);

#endif
