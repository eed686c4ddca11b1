/* sim_served.h - the served log: for each device and second, the values
 * ventosim put on the wire, so tests know exactly what a client could read
 * at each tick. One log shared by all device threads. */
#ifndef VENTO_SIM_SERVED_H
#define VENTO_SIM_SERVED_H

#include <stddef.h>

struct sim_served;

/* Opens path for appending (a test that restarts ventosim keeps the
 * earlier seconds). Returns the log, or NULL with errno. Free with
 * sim_served_close. */
struct sim_served *sim_served_open(const char *path);

/*
 * Appends the lines of one device-second (from sim_image_format) in one
 * write under the log's lock, and flushes them, so lines of two devices
 * never interleave and a reader sees whole device-seconds. Returns 0, or
 * -1 with errno when the write failed (the caller complains; the log keeps
 * trying).
 */
int sim_served_append(struct sim_served *log, const char *lines, size_t len);

/* Flushes and closes. Returns 0, or -1 with errno if the last flush or the
 * close failed. Accepts NULL. */
int sim_served_close(struct sim_served *log);

#endif
