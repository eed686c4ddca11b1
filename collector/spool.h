/* spool.h - the on-disk queue between the pollers' queue and PostgreSQL.
 * One thread appends and syncs; another reads and acknowledges. */
#ifndef VENTO_SPOOL_H
#define VENTO_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* Why sequence numbers are missing from the spool. */
enum spool_loss {
	SPOOL_LOSS_DROPPED, /* given up to the byte bound */
	SPOOL_LOSS_DAMAGED, /* damaged on disk */
};

/* What opening found and what the byte bound has cost so far. */
struct spool_stats {
	uint64_t bytes;		   /* on disk now */
	uint64_t first_seq;	   /* oldest record kept, 0 when empty */
	uint64_t last_seq;	   /* newest number given, 0 when none yet */
	uint64_t dropped_records;  /* missing, dropped at the byte bound,
				      and not yet taken by spool_take_gap */
	uint64_t dropped_bytes;
	uint64_t torn_bytes;	   /* an unsynced tail cut off at open */
	uint64_t corrupt_records;  /* missing, damaged, not yet taken */
};

/*
 * Opens (creating if needed) the spool in directory dir, bounded to
 * max_bytes on disk. Checks every record: damaged records are cut out and
 * the records after them kept; a torn tail of the newest segment (an append
 * cut short, never synced) is cut off; both are named on stderr and the
 * damaged numbers remembered for spool_take_gap. An unreadable spool.id is
 * taken again from the segments' headers; segments of another spool are
 * set aside in dir/set-aside. Returns the spool, or NULL with errno set.
 */
struct spool *spool_open(const char *dir, uint64_t max_bytes);

/* Closes the spool; what it holds stays on disk. Accepts NULL. */
void spool_close(struct spool *s);

/* The spool's identity: a random 64-bit number made with it, so that a
 * position stored elsewhere is never applied to another spool. */
uint64_t spool_id(const struct spool *s);

/*
 * Appends one record and returns its sequence number in *seq (one more than
 * the last). Not durable until spool_sync. When the spool would exceed its
 * bound, the oldest segments are dropped first and counted. Returns 0, or
 * -1 with errno set.
 */
int spool_append(struct spool *s, const void *data, size_t len,
		 uint64_t *seq);

/* Makes every appended record durable (fdatasync). Only the appending
 * thread may call it. Returns 0 or -1. */
int spool_sync(struct spool *s);

/*
 * Reads the first record with a sequence number above `after` into a
 * buffer the spool owns (valid until the next spool_next). Records are
 * readable once synced, so that nothing stored can be lost to a torn
 * tail and its number used again. Returns 1 with *data, *len and *seq
 * set, 0 when there is none, -1 on error with errno set. A *seq above
 * after + 1 is a gap: see spool_take_gap.
 */
int spool_next(struct spool *s, uint64_t after, const void **data,
	       size_t *len, uint64_t *seq);

/* Records up to seq are stored elsewhere: frees the segments that hold
 * only such records (after a full disk, the newest too, leaving an empty
 * one that carries the numbering). Returns 0 or -1. */
int spool_ack(struct spool *s, uint64_t seq);

/* Numbers the next record from seq on (when seq is above the next one),
 * for a spool whose numbering was found behind the database's position:
 * no number the database has seen is given again. */
void spool_advance(struct spool *s, uint64_t seq);

/* The numbers first..last are missing before the next record the reader
 * got: says how many were dropped at the bound and how many damaged (or
 * missing for no known reason), each counted once. Returns 0. */
int spool_take_gap(struct spool *s, uint64_t first, uint64_t last,
		   uint64_t *dropped, uint64_t *damaged);

void spool_get_stats(struct spool *s, struct spool_stats *st);

#endif
