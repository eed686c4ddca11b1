/* sim_device.h - one simulated device on the network, a turbine or the grid
 * meter: a Modbus TCP server on the device's host:port, in its own thread,
 * serving the register image of its model at the current UTC second to any
 * number of clients (up to SIM_DEVICE_MAX_CLIENTS at once), with the
 * faults the table of sim_fault.h holds for it. */
#ifndef VENTO_SIM_DEVICE_H
#define VENTO_SIM_DEVICE_H

#include <stdatomic.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_fault.h"
#include "sim_image.h"
#include "sim_served.h"

/* Connections one device holds at once; more are accepted and closed at
 * once, as a small controller's TCP stack would. */
#define SIM_DEVICE_MAX_CLIENTS 8

/* Descriptors one device may hold: its listener, its notification, and
 * its clients. */
#define SIM_DEVICE_MAX_FDS (2 + SIM_DEVICE_MAX_CLIENTS)

/* What every device of a run shares. All of it must outlive the devices;
 * served may be NULL (no served log). */
struct sim_device_env {
	const struct config *config;
	uint64_t seed;
	int64_t start; /* the second the energy counters hold their start */
	struct sim_served *served;
	struct sim_faults *faults;
};

struct sim_device;

/*
 * Creates the server of device index of env->config (its place in
 * vento.conf seeds its physics) and binds its listening socket, so that it
 * accepts connections from this return on, before its thread runs. im is
 * the image of its profile for its kind. Returns the device, or NULL with
 * errno (EADDRINUSE ...) when it cannot listen. Free with
 * sim_device_close.
 */
struct sim_device *sim_device_open(const struct sim_device_env *env, int index,
                                   const struct sim_image *im);

/*
 * Starts the device's thread. It serves until *stop is set; wake_fd is a
 * descriptor that turns readable at the same time, so that the thread
 * notices at once instead of at its next timeout. Returns 0, or -1 with
 * errno when the thread cannot be created.
 */
int sim_device_start(struct sim_device *sd, const atomic_int *stop,
                     int wake_fd);

/* The TCP port the device listens on, as bound (a device configured with
 * port 0 gets one from the kernel, and keeps it when it listens again
 * after a refusal). */
int sim_device_port(struct sim_device *sd);

/* Tells the device's thread that its faults changed, so that it acts now
 * (a refusal, a dropped connection) rather than at its next wakeup. Any
 * thread may call it. */
void sim_device_notify(struct sim_device *sd);

/* Waits for a started device's thread to end; call after setting *stop. */
void sim_device_join(struct sim_device *sd);

/* Closes the sockets and frees the device. Accepts NULL. The thread must
 * have ended (or never started). */
void sim_device_close(struct sim_device *sd);

#endif
