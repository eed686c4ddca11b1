/* sim_device.c - one simulated turbine's Modbus TCP server (see
 * sim_device.h): the listening socket, the connected clients, the framing
 * of requests, and the refresh of the register image once per UTC second.
 * Everything here belongs to the device's own thread once it has started;
 * the only shared things are the stop flag and the served log.
 *
 * Requests are framed here, not by modbus_receive: modbus_receive waits
 * with select(), whose fd_set cannot hold a descriptor above 1023, and a
 * farm of 2000 devices has thousands of sockets. It also blocks on a client
 * that sends half a request, which would stall the other clients of the
 * device. libmodbus still builds and sends every reply (modbus_reply,
 * modbus_reply_exception); the requests it would answer by sleeping and
 * flushing (a bad count) are answered here first. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sim_device.h"
#include "sim_wind.h"
#include "xmalloc.h"

/* A thread's stack: the deepest path is modbus_reply (a 260-byte reply) and
 * snprintf; 256 KiB leaves room for the sanitizers and keeps 2000 threads
 * at half a gigabyte of address space, little of it touched. */
#define SIM_DEVICE_STACK (256 * 1024)

/* The longest the thread sleeps before it looks at the stop flag again.
 * wake_fd ends the wait at once on shutdown, so this is only a fallback,
 * and it is not shorter because idle wakeups are what 2000 threads cost:
 * measured, 100 ms took 28 % of a core with no client at all, 1 s 2 %. */
#define SIM_DEVICE_POLL_MS 1000

/* The MBAP header: transaction (2), protocol (2), length (2), unit (1). */
#define SIM_DEVICE_MBAP 7
/* A read request: the header, the function, the address and the count. */
#define SIM_DEVICE_READ_LEN (SIM_DEVICE_MBAP + 5)
/* Largest ADU: the header's 6 bytes before the unit plus a length of at
 * most 254 (the unit and a 253-byte PDU). */
#define SIM_DEVICE_ADU_MAX MODBUS_TCP_MAX_ADU_LENGTH

struct sim_client {
	int fd;     /* -1: a free slot */
	size_t len; /* bytes of a request received so far */
	uint8_t buf[SIM_DEVICE_ADU_MAX];
};

struct sim_device {
	const struct device *dev;
	const struct sim_image *image;
	struct sim_served *served;
	modbus_t *ctx;
	modbus_mapping_t *map;
	int listen_fd;
	struct sim_wind_turbine turbine;
	int64_t image_second;  /* the second the mapping holds */
	int64_t logged_second; /* the last second written to the log */
	char *lines;           /* the served-log lines of one second */
	size_t lines_size;
	struct sim_client clients[SIM_DEVICE_MAX_CLIENTS];
	const atomic_int *stop;
	int wake_fd;
	pthread_t thread;
	int started;
	struct log_limit write_limit;  /* write requests refused */
	struct log_limit client_limit; /* connections that could not be kept */
	struct log_limit log_limit;    /* served-log write errors */
};

struct sim_device *
sim_device_open(const struct device *d, int index, uint64_t seed, int64_t start,
                const struct sim_image *im, struct sim_served *served)
{
	struct sim_device *sd = xcalloc(1, sizeof(*sd));
	char port[16];
	int saved;

	sd->dev = d;
	sd->image = im;
	sd->served = served;
	sd->listen_fd = -1;
	sd->image_second = INT64_MIN;
	sd->logged_second = INT64_MIN;
	sd->wake_fd = -1;
	sd->write_limit.interval = 60;
	sd->client_limit.interval = 60;
	sd->log_limit.interval = 60;
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++)
		sd->clients[i].fd = -1;
	sim_wind_turbine_init(&sd->turbine, seed, index, start);
	sd->lines_size = sim_image_format_size(im);
	sd->lines = xmalloc(sd->lines_size);

	snprintf(port, sizeof(port), "%d", d->port);
	sd->ctx = modbus_new_tcp_pi(d->host, port);
	if (sd->ctx == NULL)
		goto fail;
	sd->map = sim_image_mapping_new(im);
	if (sd->map == NULL)
		goto fail;
	/* libmodbus sets SO_REUSEADDR, so a restart does not wait for the
	 * last run's TIME_WAIT sockets. */
	sd->listen_fd = modbus_tcp_pi_listen(sd->ctx, 16);
	if (sd->listen_fd == -1)
		goto fail;
	/* Non-blocking: a client that resets between poll() and accept()
	 * must not hang the thread in accept(). */
	if (fcntl(sd->listen_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sd->listen_fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	return sd;

fail:
	saved = errno;
	sim_device_close(sd);
	errno = saved;
	return NULL;
}

/* Logs a repeated complaint at most once a minute per kind,
 * saying how many were held back since (collectd's c_complain). */
static void __attribute__((format(printf, 3, 4)))
sim_device_complain(struct sim_device *sd, struct log_limit *l, const char *fmt,
                    ...)
{
	char msg[256];
	va_list ap;
	unsigned held;

	if (!log_limit_pass(l, &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (held > 0)
		log_warn("ventosim: %s: %s (and %u more since)", sd->dev->name,
		         msg, held);
	else
		log_warn("ventosim: %s: %s", sd->dev->name, msg);
}

static int64_t
sim_device_now(void)
{
	struct timespec ts;

	/* The state served is that of the current whole UTC second: tv_sec
	 * is floor(CLOCK_REALTIME) for any time after 1970. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Brings the register image to second: the physics (and the energy
 * counter) advance, the mapping is encoded again. */
static void
sim_device_refresh(struct sim_device *sd, int64_t second)
{
	struct sim_wind_sample sample;
	int64_t skipped;

	if (second == sd->image_second)
		return;
	skipped = sim_wind_advance(&sd->turbine, second, &sample);
	if (skipped > 0)
		log_warn("ventosim: %s: no request for %lld s; the energy "
		         "counter skipped the first %lld s of them",
		         sd->dev->name,
		         (long long)(skipped + SIM_WIND_CATCHUP_MAX),
		         (long long)skipped);
	sim_image_fill(sd->image, sd->map, &sample);
	sd->image_second = second;
}

/* Writes the image of this second to the served log, once per second. */
static void
sim_device_log(struct sim_device *sd, int64_t second)
{
	size_t len;

	if (sd->served == NULL || second == sd->logged_second)
		return;
	sd->logged_second = second;
	len = sim_image_format(sd->image, sd->map, second, sd->dev->name,
	                       sd->lines, sd->lines_size);
	if (sim_served_append(sd->served, sd->lines, len) == -1)
		sim_device_complain(sd, &sd->log_limit, "served log: %s",
		                    strerror(errno));
}

static void
sim_device_drop(struct sim_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Sends an exception reply. Returns 0, or -1 when it could not be sent. */
static int
sim_device_except(struct sim_device *sd, const uint8_t *req, unsigned code)
{
	return modbus_reply_exception(sd->ctx, req, code) == -1 ? -1 : 0;
}

/*
 * Answers one complete request. Returns 0, or -1 when the client must be
 * dropped (the reply could not be sent).
 */
static int
sim_device_request(struct sim_device *sd, struct sim_client *c,
                   const uint8_t *req, int len)
{
	int unit = req[6], fc = req[7], nb, max;
	int64_t second;

	/* Another unit id gets no answer at all, as from a device that is
	 * not the one addressed: the client times out, which is what the
	 * collector must survive with a wrong unit id in vento.conf. */
	if (unit != sd->dev->unit)
		return 0;
	modbus_set_socket(sd->ctx, c->fd);
	if (fc < MODBUS_FC_READ_COILS || fc > MODBUS_FC_READ_INPUT_REGISTERS) {
		/* vento only reads; a write would also be overwritten by the
		 * physics at the next second. */
		sim_device_complain(sd, &sd->write_limit,
		                    "function 0x%02x refused: the simulator "
		                    "serves reads only",
		                    fc);
		return sim_device_except(sd, req,
		                         MODBUS_EXCEPTION_ILLEGAL_FUNCTION);
	}
	nb = len == SIM_DEVICE_READ_LEN ? (req[10] << 8) | req[11] : 0;
	max = fc <= MODBUS_FC_READ_DISCRETE_INPUTS ? MODBUS_MAX_READ_BITS
	                                           : MODBUS_MAX_READ_REGISTERS;
	if (nb < 1 || nb > max)
		return sim_device_except(sd, req,
		                         MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);

	second = sim_device_now();
	sim_device_refresh(sd, second);
	/* Logged before the reply leaves, so a test that holds a reply can
	 * read the log for its second without racing the simulator. */
	sim_device_log(sd, second);
	return modbus_reply(sd->ctx, req, len, sd->map) == -1 ? -1 : 0;
}

/* Reads what the client sent and answers every complete request in it
 * (clients may pipeline). Drops the client on end of file, on an error,
 * and on bytes that cannot be Modbus TCP. */
static void
sim_device_serve_client(struct sim_device *sd, struct sim_client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		/* A client that goes away is routine, not news. */
		sim_device_drop(c);
		return;
	}
	if (n == -1)
		return;
	c->len += (size_t)n;
	while (c->len >= SIM_DEVICE_MBAP) {
		int proto = (c->buf[2] << 8) | c->buf[3];
		int mlen = (c->buf[4] << 8) | c->buf[5];
		size_t total = 6 + (size_t)mlen;

		/* The length counts the unit and the PDU: a function code
		 * at least, 253 bytes of PDU at most. */
		if (proto != 0 || mlen < 2 || mlen > 254) {
			sim_device_drop(c);
			return;
		}
		if (c->len < total)
			return;
		if (sim_device_request(sd, c, c->buf, (int)total) == -1) {
			sim_device_drop(c);
			return;
		}
		c->len -= total;
		memmove(c->buf, c->buf + total, c->len);
	}
}

static void
sim_device_accept(struct sim_device *sd)
{
	int one = 1, fd;

	fd = accept4(sd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1 && (errno == EMFILE || errno == ENFILE)) {
		/* The connection stays queued and the listener readable:
		 * pause, or the thread would spin on it. */
		struct timespec pause = {0, 100 * 1000 * 1000};

		sim_device_complain(sd, &sd->client_limit, "accept: %s",
		                    strerror(errno));
		nanosleep(&pause, NULL);
		return;
	}
	if (fd == -1)
		return; /* EAGAIN: the client gave up first; others: retry */
	/* Replies are single small segments; Nagle would hold a pipelined
	 * client's second reply for its ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
		if (sd->clients[i].fd == -1) {
			sd->clients[i].fd = fd;
			sd->clients[i].len = 0;
			return;
		}
	}
	sim_device_complain(sd, &sd->client_limit,
	                    "connection refused: %d clients already",
	                    SIM_DEVICE_MAX_CLIENTS);
	close(fd);
}

static void *
sim_device_run(void *arg)
{
	struct sim_device *sd = arg;
	struct pollfd fds[2 + SIM_DEVICE_MAX_CLIENTS];
	int who[SIM_DEVICE_MAX_CLIENTS];

	while (!atomic_load(sd->stop)) {
		int n = 0, nclients = 0;

		fds[n++] = (struct pollfd){.fd = sd->wake_fd, .events = POLLIN};
		fds[n++] =
		    (struct pollfd){.fd = sd->listen_fd, .events = POLLIN};
		for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
			if (sd->clients[i].fd == -1)
				continue;
			who[nclients++] = i;
			fds[n++] = (struct pollfd){.fd = sd->clients[i].fd,
			                           .events = POLLIN};
		}
		if (poll(fds, (nfds_t)n, SIM_DEVICE_POLL_MS) == -1) {
			if (errno != EINTR) {
				log_err("ventosim: %s: poll: %s", sd->dev->name,
				        strerror(errno));
				break;
			}
			continue;
		}
		if (atomic_load(sd->stop))
			break;
		/* Clients first: their slots are the ones the poll set
		 * describes, and accepting may fill a free one. */
		for (int k = 0; k < nclients; k++)
			if (fds[2 + k].revents != 0)
				sim_device_serve_client(sd,
				                        &sd->clients[who[k]]);
		if (fds[1].revents & POLLIN)
			sim_device_accept(sd);
	}
	return NULL;
}

int
sim_device_start(struct sim_device *sd, const atomic_int *stop, int wake_fd)
{
	pthread_attr_t attr;
	int rc;

	sd->stop = stop;
	sd->wake_fd = wake_fd;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SIM_DEVICE_STACK);
	rc = pthread_create(&sd->thread, &attr, sim_device_run, sd);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	sd->started = 1;
	return 0;
}

void
sim_device_join(struct sim_device *sd)
{
	if (sd->started)
		pthread_join(sd->thread, NULL);
	sd->started = 0;
}

void
sim_device_close(struct sim_device *sd)
{
	if (sd == NULL)
		return;
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++)
		if (sd->clients[i].fd != -1)
			sim_device_drop(&sd->clients[i]);
	if (sd->listen_fd != -1)
		close(sd->listen_fd);
	/* The sockets were ours, not the context's: free it without
	 * modbus_close, which would close a stale descriptor. */
	if (sd->ctx != NULL)
		modbus_free(sd->ctx);
	if (sd->map != NULL)
		modbus_mapping_free(sd->map);
	free(sd->lines);
	free(sd);
}
