/* sim_gateway.c - a simulated Modbus gateway (see sim_gateway.h): one
 * thread that owns the gateway's listener or pseudo-terminal, its clients
 * and a connection to each of its units. Requests are handled one at a
 * time, start to end, as a gateway with one downstream bus does: a unit
 * that does not answer holds every other request for the gateway's
 * timeout, which is what the collector must cope with. The units are
 * whole simulated devices, so every fault of sim_fault.h applies to a unit
 * behind a gateway as it does to a device of its own. */
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "monotime.h"
#include "sim_gateway.h"
#include "xmalloc.h"

#define SIM_GATEWAY_MBAP 7
/* An ADU as Modbus TCP frames it: 6 header bytes and at most 254 more. */
#define SIM_GATEWAY_ADU_MAX 260
/* A read request on a serial line: unit, function, address, count, CRC. */
#define SIM_GATEWAY_RTU_READ 8
#define SIM_GATEWAY_POLL_MS 1000

struct sim_gateway_unit {
	int unit;
	int port; /* the simulated device's private loopback port */
	int fd;   /* the gateway's connection to it, or -1 */
};

struct sim_gateway_client {
	int fd; /* -1: a free slot */
	size_t len;
	uint8_t buf[SIM_GATEWAY_ADU_MAX];
};

struct sim_gateway {
	const struct device *link;
	int serial;       /* 1: Modbus RTU on a pseudo-terminal */
	int listen_fd;    /* TCP: the gateway's port */
	int pty_master;   /* RTU: the line, as the gateway's side of it */
	int pty_slave;    /* held open so the line never hangs up */
	char tty[sizeof(((struct serial_line *)0)->path)];
	int max_clients;
	int timeout_ms;
	struct sim_gateway_unit *units;
	int nunits;
	struct sim_gateway_client clients[SIM_GATEWAY_MAX_CLIENTS];
	size_t rtu_len; /* bytes of the line not yet taken as a request */
	uint8_t rtu_buf[SIM_GATEWAY_ADU_MAX];
	const atomic_int *stop;
	int wake_fd;
	pthread_t thread;
	int started;
	struct log_limit limit;
};

/* Logs a repeated complaint at most once a minute. */
static void __attribute__((format(printf, 2, 3)))
sim_gateway_complain(struct sim_gateway *gw, const char *fmt, ...)
{
	char msg[256];
	unsigned held;
	va_list ap;

	if (!log_limit_pass(&gw->limit, &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (held)
		log_warn("ventosim: %s (and %u more)", msg, held);
	else
		log_warn("ventosim: %s", msg);
}

/* The CRC of Modbus RTU: CRC-16/MODBUS, sent low byte first. */
static uint16_t
sim_gateway_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa001)
			                : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* An exception reply to the TCP request req, into reply; returns its
 * length. */
static size_t
sim_gateway_exception(const uint8_t *req, int code, uint8_t *reply)
{
	memcpy(reply, req, 4); /* transaction and protocol, echoed */
	reply[4] = 0;
	reply[5] = 3; /* unit, function, code */
	reply[6] = req[6];
	reply[7] = (uint8_t)(req[7] | 0x80);
	reply[8] = (uint8_t)code;
	return 9;
}

static void
sim_gateway_unit_close(struct sim_gateway_unit *u)
{
	if (u->fd != -1)
		close(u->fd);
	u->fd = -1;
}

static int
sim_gateway_unit_connect(struct sim_gateway_unit *u)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1;

	sa.sin_port = htons((uint16_t)u->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->fd == -1)
		return -1;
	setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A loopback connect completes or is refused at once. */
	if (connect(u->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		sim_gateway_unit_close(u);
		return -1;
	}
	return 0;
}

/* Reads from fd until have reaches want or the deadline passes. Returns
 * the bytes held, or -1 when the peer closed or failed. */
static ssize_t
sim_gateway_read_until(int fd, uint8_t *buf, size_t have, size_t want,
                       int64_t deadline)
{
	while (have < want) {
		int64_t left = deadline - monotime_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return (ssize_t)have;
		n = recv(fd, buf + have, want - have, 0);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			return -1;
		if (n > 0)
			have += (size_t)n;
	}
	return (ssize_t)have;
}

/*
 * Forwards the TCP request req to the unit it names and puts the unit's
 * reply, or the gateway's exception, into reply. Returns the reply's
 * length. Exception 10 (gateway path unavailable) for a unit the gateway
 * does not have; 11 (gateway target failed to respond) for one that is
 * not listening or does not answer in time, whose connection is then
 * closed so that its late answer is never taken for the next one's.
 * *reached says whether the reply is the unit's (1) or the gateway's (0).
 */
static size_t
sim_gateway_forward(struct sim_gateway *gw, const uint8_t *req, size_t len,
                    uint8_t *reply, int *reached)
{
	struct sim_gateway_unit *u = NULL;
	int64_t deadline = monotime_ms() + gw->timeout_ms;
	ssize_t got;
	size_t total;

	*reached = 0;
	for (int i = 0; i < gw->nunits; i++)
		if (gw->units[i].unit == req[6])
			u = &gw->units[i];
	if (u == NULL)
		return sim_gateway_exception(
		    req, MODBUS_EXCEPTION_GATEWAY_PATH, reply);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (u->fd == -1 && sim_gateway_unit_connect(u) == -1)
			break;
		if (send(u->fd, req, len, MSG_NOSIGNAL) == (ssize_t)len)
			break;
		/* The unit dropped its end (a disconnect fault): once
		 * more on a new connection. */
		sim_gateway_unit_close(u);
	}
	if (u->fd == -1)
		return sim_gateway_exception(
		    req, MODBUS_EXCEPTION_GATEWAY_TARGET, reply);
	got = sim_gateway_read_until(u->fd, reply, 0, 6, deadline);
	if (got == 6) {
		total = 6 + (((size_t)reply[4] << 8) | reply[5]);
		if (total > SIM_GATEWAY_ADU_MAX)
			total = SIM_GATEWAY_ADU_MAX;
		got = sim_gateway_read_until(u->fd, reply, 6, total, deadline);
		if (got == (ssize_t)total) {
			*reached = 1;
			return total;
		}
	}
	sim_gateway_unit_close(u);
	return sim_gateway_exception(req, MODBUS_EXCEPTION_GATEWAY_TARGET,
	                             reply);
}

static void
sim_gateway_drop(struct sim_gateway_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Answers the complete requests a TCP client has sent, in order. */
static void
sim_gateway_serve_client(struct sim_gateway *gw, struct sim_gateway_client *c)
{
	uint8_t reply[SIM_GATEWAY_ADU_MAX];
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	int reached;

	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		sim_gateway_drop(c);
		return;
	}
	if (n > 0)
		c->len += (size_t)n;
	while (c->len >= SIM_GATEWAY_MBAP) {
		int proto = (c->buf[2] << 8) | c->buf[3];
		int mlen = (c->buf[4] << 8) | c->buf[5];
		size_t total = 6 + (size_t)mlen, rlen;

		if (proto != 0 || mlen < 2 || mlen > 254) {
			sim_gateway_drop(c);
			return;
		}
		if (c->len < total)
			return;
		rlen = sim_gateway_forward(gw, c->buf, total, reply, &reached);
		if (send(c->fd, reply, rlen, MSG_NOSIGNAL) != (ssize_t)rlen) {
			sim_gateway_drop(c);
			return;
		}
		c->len -= total;
		memmove(c->buf, c->buf + total, c->len);
	}
}

/* Takes read requests off the serial line (eight bytes each, found by
 * their CRC: a byte that starts no valid frame is skipped, as a device on
 * a noisy line resynchronises), forwards each, and writes the reply as an
 * RTU frame. Unit 0 is a broadcast, never answered. */
static void
sim_gateway_serve_line(struct sim_gateway *gw)
{
	uint8_t req[SIM_GATEWAY_MBAP + 5], reply[SIM_GATEWAY_ADU_MAX];
	uint8_t frame[SIM_GATEWAY_ADU_MAX];
	int reached;
	ssize_t n = read(gw->pty_master, gw->rtu_buf + gw->rtu_len,
	                 sizeof(gw->rtu_buf) - gw->rtu_len);

	if (n <= 0)
		return;
	gw->rtu_len += (size_t)n;
	while (gw->rtu_len >= SIM_GATEWAY_RTU_READ) {
		const uint8_t *f = gw->rtu_buf;
		uint16_t crc = sim_gateway_crc(f, 6);
		size_t rlen, flen;

		if (f[6] != (crc & 0xff) || f[7] != (crc >> 8)) {
			gw->rtu_len--;
			memmove(gw->rtu_buf, gw->rtu_buf + 1, gw->rtu_len);
			continue;
		}
		if (f[0] != 0) {
			memset(req, 0, 6);
			req[5] = 6; /* unit and a 5-byte read PDU */
			memcpy(req + 6, f, 6);
			rlen = sim_gateway_forward(gw, req, sizeof(req), reply,
			                           &reached);
			flen = rlen - 6;
			memcpy(frame, reply + 6, flen);
			crc = sim_gateway_crc(frame, flen);
			frame[flen++] = (uint8_t)(crc & 0xff);
			frame[flen++] = (uint8_t)(crc >> 8);
			/* A line has no gateway to speak for a unit that does
			 * not answer: the master hears silence. */
			if (reached &&
			    write(gw->pty_master, frame, flen) != (ssize_t)flen)
				sim_gateway_complain(gw, "%s: write: %s",
				                     gw->tty, strerror(errno));
		}
		gw->rtu_len -= SIM_GATEWAY_RTU_READ;
		memmove(gw->rtu_buf, gw->rtu_buf + SIM_GATEWAY_RTU_READ,
		        gw->rtu_len);
	}
}

static void
sim_gateway_accept(struct sim_gateway *gw)
{
	int fd = accept4(gw->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1;

	if (fd == -1)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < gw->max_clients; i++)
		if (gw->clients[i].fd == -1) {
			gw->clients[i].fd = fd;
			gw->clients[i].len = 0;
			return;
		}
	/* Full: closed at once, as a gateway's small TCP stack does. */
	sim_gateway_complain(gw,
	                     "gateway %s:%d: connection refused: %d clients "
	                     "already",
	                     gw->link->host, gw->link->port, gw->max_clients);
	close(fd);
}

static void *
sim_gateway_run(void *arg)
{
	struct sim_gateway *gw = arg;
	struct pollfd fds[2 + SIM_GATEWAY_MAX_CLIENTS];
	int who[SIM_GATEWAY_MAX_CLIENTS];

	while (!atomic_load(gw->stop)) {
		int n = 0, nclients = 0;

		fds[n++] = (struct pollfd){.fd = gw->wake_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){
		    .fd = gw->serial ? gw->pty_master : gw->listen_fd,
		    .events = POLLIN};
		for (int i = 0; i < gw->max_clients; i++)
			if (gw->clients[i].fd != -1) {
				who[nclients++] = i;
				fds[n++] = (struct pollfd){
				    .fd = gw->clients[i].fd, .events = POLLIN};
			}
		if (poll(fds, (nfds_t)n, SIM_GATEWAY_POLL_MS) == -1) {
			if (errno == EINTR)
				continue;
			log_err("ventosim: gateway: poll: %s", strerror(errno));
			break;
		}
		if (atomic_load(gw->stop))
			break;
		for (int k = 0; k < nclients; k++)
			if (fds[2 + k].revents)
				sim_gateway_serve_client(gw,
				                         &gw->clients[who[k]]);
		if (fds[1].revents & POLLIN) {
			if (gw->serial)
				sim_gateway_serve_line(gw);
			else
				sim_gateway_accept(gw);
		}
	}
	return NULL;
}

/* The serial line: a pseudo-terminal in raw mode, with a symbolic link at
 * the configured tty path. */
static int
sim_gateway_open_line(struct sim_gateway *gw)
{
	struct termios t;
	struct stat st;
	char name[64];

	gw->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (gw->pty_master == -1 || grantpt(gw->pty_master) == -1 ||
	    unlockpt(gw->pty_master) == -1 ||
	    ptsname_r(gw->pty_master, name, sizeof(name)) != 0)
		return -1;
	gw->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (gw->pty_slave == -1 || tcgetattr(gw->pty_slave, &t) == -1)
		return -1;
	cfmakeraw(&t);
	if (tcsetattr(gw->pty_slave, TCSANOW, &t) == -1 ||
	    fcntl(gw->pty_master, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	if (lstat(gw->tty, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		unlink(gw->tty);
	}
	return symlink(name, gw->tty);
}

struct sim_gateway *
sim_gateway_open(const struct device *link, int max_clients, int timeout_ms)
{
	struct sim_gateway *gw = xcalloc(1, sizeof(*gw));
	int saved;

	gw->link = link;
	gw->serial = cfg_device_is_serial(link);
	gw->listen_fd = gw->pty_master = gw->pty_slave = -1;
	gw->max_clients = max_clients;
	gw->timeout_ms = timeout_ms;
	gw->limit.interval = 60;
	gw->wake_fd = -1;
	for (int i = 0; i < SIM_GATEWAY_MAX_CLIENTS; i++)
		gw->clients[i].fd = -1;
	if (gw->serial) {
		snprintf(gw->tty, sizeof(gw->tty), "%s", link->serial.path);
		if (sim_gateway_open_line(gw) == -1)
			goto fail;
	} else {
		char port[16];
		modbus_t *ctx;

		/* libmodbus only to listen, as sim_device does. */
		snprintf(port, sizeof(port), "%d", link->port);
		ctx = modbus_new_tcp_pi(link->host, port);
		if (ctx == NULL)
			goto fail;
		gw->listen_fd = modbus_tcp_pi_listen(ctx, 16);
		saved = errno;
		modbus_free(ctx);
		errno = saved;
		if (gw->listen_fd == -1 ||
		    fcntl(gw->listen_fd, F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(gw->listen_fd, F_SETFD, FD_CLOEXEC) == -1)
			goto fail;
	}
	return gw;

fail:
	saved = errno;
	sim_gateway_close(gw);
	errno = saved;
	return NULL;
}

void
sim_gateway_add_unit(struct sim_gateway *gw, int unit, int port)
{
	gw->units = xreallocarray(gw->units, (size_t)gw->nunits + 1,
	                          sizeof(*gw->units));
	gw->units[gw->nunits++] =
	    (struct sim_gateway_unit){.unit = unit, .port = port, .fd = -1};
}

int
sim_gateway_start(struct sim_gateway *gw, const atomic_int *stop, int wake_fd)
{
	int rc;

	gw->stop = stop;
	gw->wake_fd = wake_fd;
	rc = pthread_create(&gw->thread, NULL, sim_gateway_run, gw);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	gw->started = 1;
	return 0;
}

void
sim_gateway_join(struct sim_gateway *gw)
{
	if (gw->started)
		pthread_join(gw->thread, NULL);
	gw->started = 0;
}

void
sim_gateway_close(struct sim_gateway *gw)
{
	char target[64];
	char name[64];
	ssize_t n;

	if (gw == NULL)
		return;
	for (int i = 0; i < SIM_GATEWAY_MAX_CLIENTS; i++)
		if (gw->clients[i].fd != -1)
			close(gw->clients[i].fd);
	for (int i = 0; i < gw->nunits; i++)
		sim_gateway_unit_close(&gw->units[i]);
	free(gw->units);
	if (gw->listen_fd != -1)
		close(gw->listen_fd);
	/* The tty link goes only while it still points at our line. */
	if (gw->pty_master != -1 && gw->tty[0] &&
	    ptsname_r(gw->pty_master, name, sizeof(name)) == 0 &&
	    (n = readlink(gw->tty, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		if (strcmp(target, name) == 0)
			unlink(gw->tty);
	}
	if (gw->pty_slave != -1)
		close(gw->pty_slave);
	if (gw->pty_master != -1)
		close(gw->pty_master);
	free(gw);
}
