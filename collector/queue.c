/* queue.c - a linked list under a mutex. Pollers push one sample per tick;
 * the writer takes the whole list at once, so the lock is held for a few
 * pointer moves only. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"
#include "xmalloc.h"

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct sample *head, *tail;
};

struct queue *
queue_open(void)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t attr;

	pthread_mutex_init(&q->lock, NULL);
	/* Waits time out on the monotonic clock, immune to clock steps. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->nonempty, &attr);
	pthread_condattr_destroy(&attr);
	return q;
}

void
queue_close(struct queue *q)
{
	struct sample *s, *next;

	if (q == NULL)
		return;
	for (s = q->head; s; s = next) {
		next = s->next;
		free(s);
	}
	pthread_cond_destroy(&q->nonempty);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void
queue_push(struct queue *q, struct sample *s)
{
	s->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

struct sample *
queue_take_all(struct queue *q, int timeout_ms)
{
	struct timespec until;
	struct sample *list;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (q->head == NULL) {
		if (pthread_cond_timedwait(&q->nonempty, &q->lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	list = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return list;
}
