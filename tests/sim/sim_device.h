/* sim_device.h - one simulated turbine on the network: a Modbus TCP server
 * on the device's host:port, in its own thread with its own libmodbus
 * context, serving the register image of the physics at the current UTC
 * second to any number of clients (up to SIM_DEVICE_MAX_CLIENTS at once). */
#ifndef VENTO_SIM_DEVICE_H
#define VENTO_SIM_DEVICE_H

#include <stdatomic.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_image.h"
#include "sim_served.h"

/* Connections one device holds at once; more are accepted and closed at
 * once, as a small controller's TCP stack would. */
#define SIM_DEVICE_MAX_CLIENTS 8

struct sim_device;

/*
 * Creates the server of device d (index: its place in vento.conf, which
 * seeds its physics) and binds its listening socket, so that it accepts
 * connections from this return on, before its thread runs. im is the image
 * of d's profile; served may be NULL (no served log). The energy counter
 * holds its start value at second start. Returns the device, or NULL with
 * errno (EADDRINUSE ...) when it cannot listen. d, im and served must
 * outlive it. Free with sim_device_close.
 */
struct sim_device *sim_device_open(const struct device *d, int index,
                                   uint64_t seed, int64_t start,
                                   const struct sim_image *im,
                                   struct sim_served *served);

/*
 * Starts the device's thread. It serves until *stop is set; wake_fd is a
 * descriptor that turns readable at the same time, so that the thread
 * notices at once instead of at its next timeout. Returns 0, or -1 with
 * errno when the thread cannot be created.
 */
int sim_device_start(struct sim_device *sd, const atomic_int *stop,
                     int wake_fd);

/* Waits for a started device's thread to end; call after setting *stop. */
void sim_device_join(struct sim_device *sd);

/* Closes the sockets and frees the device. Accepts NULL. The thread must
 * have ended (or never started). */
void sim_device_close(struct sim_device *sd);

#endif
