/* link.h - one Modbus connection (TCP, or RTU on a serial line) to the
 * devices behind it, owned by one poller thread (libmodbus contexts are not
 * thread-safe). */
#ifndef VENTO_LINK_H
#define VENTO_LINK_H

#include <stdint.h>

#include "cfg.h"
#include "plan.h"

struct link;

/* Descriptors a ventod needs besides one socket per device: the
 * database, the spool, the state files, and those lent to libmodbus. */
#define LINK_SPARE_FDS 1024

/* Prepares the link that reaches d (its host and port, or its serial
 * line); it connects on the first read, and reads address d's unit until
 * link_set_unit says otherwise. timeout is the reply timeout in seconds.
 * Returns the link; free with link_close. */
struct link *link_open(const struct device *d, double timeout);

/* The unit id the following reads address: a gateway or a serial line
 * reaches several. */
void link_set_unit(struct link *l, int unit);

/* Marks a link that several units share: a unit's timeout then costs the
 * link no backoff (its connection is renewed at once, or a serial line
 * flushed), since the other units still answer. */
void link_set_shared(struct link *l);

/* Closes the connection and frees the link. Accepts NULL. */
void link_close(struct link *l);

/*
 * Reads block b into regs (registers, or one bit per element for coils and
 * discrete inputs). Connects first if needed, unless the reconnect backoff
 * has not run out. Every reply is checked against its request (adu.c),
 * and bytes on the socket before the request or after the reply make it a
 * bad one. Returns 0, or -1 with errno set and *quality telling what went
 * wrong (enum sample_quality): an exception leaves the connection up,
 * since it says something about the block, not the link; every other
 * error closes it, so that a late reply can never be taken for the answer
 * to a later request, and schedules a reconnect with capped, jittered
 * backoff. A reply that does not match its request is QUALITY_LINK with
 * errno EMBBADDATA, and link_last_mismatch says why.
 */
int link_read(struct link *l, const struct plan_block *b, uint16_t *regs,
	      int *quality);

/* Ends a poll: gives back the descriptor lent to libmodbus for a socket
 * numbered above FD_SETSIZE, if one is held. */
void link_release(struct link *l);

/* What the last reply refused with EMBBADDATA got wrong, as a phrase
 * ("unit id 2, not 1"). Valid until the next read. */
const char *link_last_mismatch(const struct link *l);

/* The Modbus exception code of the last failed read, or 0. */
int link_last_exception(const struct link *l);

/* 1 while connected. */
int link_is_up(const struct link *l);

#endif
