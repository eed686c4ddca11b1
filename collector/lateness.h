/* lateness.h - each device's poll lateness: how long after its tick the
 * device's last poll ended. ventod writes it to a small file in its state
 * directory every second, beside the health file; ventoctl status shows
 * it. On a link that several devices share (a gateway, a serial line) it
 * shows who waits behind whom, and what a unit that does not answer costs
 * the others. */
#ifndef VENTO_LATENESS_H
#define VENTO_LATENESS_H

#include "cfg.h"

/* Writes late_us[i] (microseconds; -1 for a device not polled since the
 * start, or waiting out its backoff) for each device i of c to
 * dir/lateness, atomically. Returns 0 or -1 with errno set. */
int lateness_write(const char *dir, const struct config *c,
		   const long long *late_us);

/* Reads dir/lateness into late_us[i] for each device i of c, -1 for a
 * device the file does not have. Returns 0, or -1 with errno set (ENOENT
 * when ventod never wrote it), all of late_us then -1. */
int lateness_read(const char *dir, const struct config *c, long long *late_us);

#endif
