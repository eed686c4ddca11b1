/* sim_gateway.h - a simulated Modbus gateway: several unit ids behind one
 * TCP port, or behind one serial line (Modbus RTU on a pseudo-terminal).
 * Each unit is an ordinary simulated device (sim_device.h) listening on a
 * private loopback port; the gateway forwards every request to the unit it
 * names, one request at a time, as the park's gateways do. */
#ifndef VENTO_SIM_GATEWAY_H
#define VENTO_SIM_GATEWAY_H

#include <stdatomic.h>

#include "cfg.h"

/* Connections a gateway holds at most; the usual small gateway's. */
#define SIM_GATEWAY_MAX_CLIENTS 8

/* Descriptors one gateway may hold: its listener (or its pseudo-terminal
 * pair), its clients, and a connection to each unit. */
#define SIM_GATEWAY_FDS(units) (3 + SIM_GATEWAY_MAX_CLIENTS + (units))

struct sim_gateway;

/*
 * Opens the gateway of link: it listens on the link's host and port, or,
 * for a serial link, makes a pseudo-terminal and a symbolic link to it at
 * the configured tty path (refusing to replace anything but a symbolic
 * link), so that the collector opens it as its serial line. max_clients
 * (1..SIM_GATEWAY_MAX_CLIENTS) bounds its TCP connections; timeout_ms is
 * how long it waits for a unit before answering exception 11 (gateway
 * target failed to respond). Returns the gateway, or NULL with errno.
 */
struct sim_gateway *sim_gateway_open(const struct device *link,
                                     int max_clients, int timeout_ms);

/* Puts unit id `unit`, served by a simulated device on 127.0.0.1:port,
 * behind the gateway. Call before sim_gateway_start. */
void sim_gateway_add_unit(struct sim_gateway *gw, int unit, int port);

/* Starts its thread; see sim_device_start. Returns 0 or -1 with errno. */
int sim_gateway_start(struct sim_gateway *gw, const atomic_int *stop,
                      int wake_fd);

void sim_gateway_join(struct sim_gateway *gw);

/* Closes everything, removes the tty link, frees. Accepts NULL. */
void sim_gateway_close(struct sim_gateway *gw);

#endif
