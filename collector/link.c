/* link.c - one Modbus connection, a TCP host and port or a serial line
 * (RTU), and the units read over it: connecting, reading, sorting errors
 * and backing off. It only ever reads: no write function of libmodbus is
 * called anywhere in vento.
 *
 * libmodbus 3.1.6 waits for a reply with select(2), whose fd_set holds only
 * descriptors below FD_SETSIZE (1024); glibc aborts on a larger one. A farm
 * of thousands of devices needs more sockets than that, so a link connects
 * the socket itself (with poll) and, when the socket's number is high,
 * lends libmodbus a duplicate below FD_SETSIZE for the length of one
 * poll (link_release ends it). Sockets from LINK_KEEP_BELOW up are moved above FD_SETSIZE, so
 * that the numbers between stay free to lend. */
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adu.h"
#include "link.h"
#include "log.h"
#include "sample.h"
#include "xmalloc.h"

#define LINK_BACKOFF_MIN 1.0  /* seconds before the first reconnect */
#define LINK_BACKOFF_MAX 30.0 /* the cap, so a device back is seen soon */

#define LINK_KEEP_BELOW (FD_SETSIZE / 2)
/* Requests on lent descriptors at once: the numbers from LINK_KEEP_BELOW
 * to FD_SETSIZE, less a margin for the daemon's other descriptors (the
 * database, the spool, the state files). */
#define LINK_LEND_SLOTS (FD_SETSIZE - LINK_KEEP_BELOW - 128)

static sem_t link_lend_slots;
static pthread_once_t link_lend_once = PTHREAD_ONCE_INIT;

static void
link_lend_init(void)
{
	sem_init(&link_lend_slots, 0, LINK_LEND_SLOTS);
}

struct link {
	const struct device *device;
	modbus_t *ctx;
	int fd;	  /* the connection's socket, when ctx is open */
	int lent; /* its duplicate below FD_SETSIZE that libmodbus uses, or -1 */
	double timeout;
	double backoff;	     /* the current backoff, seconds */
	double retry_at;     /* monotonic seconds before which we wait */
	unsigned rand_state; /* for jitter; per link, so no shared state */
	int exception;
	uint16_t tid;		 /* the last request's transaction id */
	int unit;		 /* the unit the next reads address */
	int rtu;		 /* 1: a serial line, spoken in Modbus RTU */
	int shared;		 /* 1: several units are read over it */
	char why[ADU_WHY_MAX]; /* what the last bad reply got wrong */
};

static double
link_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct link *
link_open(const struct device *d, double timeout)
{
	struct link *l = xcalloc(1, sizeof(*l));

	l->device = d;
	l->unit = d->unit;
	l->rtu = cfg_device_is_serial(d);
	l->timeout = timeout;
	l->backoff = LINK_BACKOFF_MIN;
	l->lent = -1;
	l->rand_state = (unsigned)d->port * 2654435761u + (unsigned)d->unit;
	pthread_once(&link_lend_once, link_lend_init);
	return l;
}

void
link_release(struct link *l)
{
	if (l->lent == -1)
		return;
	modbus_set_socket(l->ctx, l->fd);
	close(l->lent);
	l->lent = -1;
	sem_post(&link_lend_slots);
}

static void
link_disconnect(struct link *l)
{
	if (l->ctx == NULL)
		return;
	link_release(l);
	modbus_close(l->ctx);
	modbus_free(l->ctx);
	l->ctx = NULL;
}

void
link_close(struct link *l)
{
	if (l == NULL)
		return;
	link_disconnect(l);
	free(l);
}

/* Waits the backoff, with jitter of -50..0 % so that devices that failed
 * together do not all come back in the same instant, then doubles it. */
static void
link_schedule_retry(struct link *l)
{
	double jitter = 0.5 + 0.5 * (double)rand_r(&l->rand_state) / RAND_MAX;

	l->retry_at = link_now() + l->backoff * jitter;
	l->backoff *= 2;
	if (l->backoff > LINK_BACKOFF_MAX)
		l->backoff = LINK_BACKOFF_MAX;
}

/* Connects a non-blocking socket to one address within the timeout (ms).
 * Returns the socket, or -1 with errno set. */
static int
link_connect_addr(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, r;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Connects to the device's first address that answers. */
static int
link_connect_socket(const struct link *l)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char port[16];
	int fd = -1, r;

	snprintf(port, sizeof(port), "%d", l->device->port);
	r = getaddrinfo(l->device->host, port, &hints, &res);
	if (r != 0) {
		errno = r == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = link_connect_addr(ai, (int)(l->timeout * 1000));
	freeaddrinfo(res);
	return fd;
}

/* Opens the serial line. libmodbus frames RTU itself and checks a
 * reply's CRC, unit, function and count against the request. */
static int
link_connect_rtu(struct link *l)
{
	const struct serial_line *line = &l->device->serial;
	uint32_t sec = (uint32_t)l->timeout;
	uint32_t usec = (uint32_t)((l->timeout - sec) * 1e6);
	int e;

	l->ctx = modbus_new_rtu(line->path, line->baud, line->parity,
				line->data_bits, line->stop_bits);
	if (l->ctx == NULL)
		return -1;
	modbus_set_response_timeout(l->ctx, sec, usec);
	modbus_set_byte_timeout(l->ctx, 0, 0);
	modbus_set_error_recovery(l->ctx, MODBUS_ERROR_RECOVERY_NONE);
	if (modbus_connect(l->ctx) == -1) {
		e = errno;
		modbus_free(l->ctx);
		l->ctx = NULL;
		errno = e;
		return -1;
	}
	l->fd = modbus_get_socket(l->ctx);
	/* What the line held before we opened it answers nobody's request. */
	modbus_flush(l->ctx);
	log_debug("%s: opened %s, %d %d%c%d", l->device->name, line->path,
		  line->baud, line->data_bits, line->parity, line->stop_bits);
	return 0;
}

/* One read on the serial line, through libmodbus's own read functions. */
static int
link_do_read_rtu(struct link *l, const struct plan_block *b, uint16_t *regs)
{
	uint8_t bits[PLAN_MAX_BITS];
	int n;

	modbus_set_slave(l->ctx, l->unit);
	switch (b->fc) {
	case FC_COILS:
	case FC_DISCRETE_INPUTS:
		n = b->fc == FC_COILS
			    ? modbus_read_bits(l->ctx, b->address, b->count, bits)
			    : modbus_read_input_bits(l->ctx, b->address,
						     b->count, bits);
		for (int i = 0; i < n; i++)
			regs[i] = bits[i];
		break;
	case FC_HOLDING_REGISTERS:
		n = modbus_read_registers(l->ctx, b->address, b->count, regs);
		break;
	default:
		n = modbus_read_input_registers(l->ctx, b->address, b->count,
						regs);
		break;
	}
	if (n != -1 && n != b->count) {
		snprintf(l->why, sizeof(l->why), "%d values, not %d", n,
			 b->count);
		errno = EMBBADDATA;
		return -1;
	}
	return n == -1 ? -1 : 0;
}

static int
link_connect(struct link *l)
{
	char port[16];
	uint32_t sec = (uint32_t)l->timeout;
	uint32_t usec = (uint32_t)((l->timeout - sec) * 1e6);
	int fd, on = 1, idle = 10, intvl = 5, cnt = 3;

	if (l->rtu)
		return link_connect_rtu(l);
	fd = link_connect_socket(l);
	if (fd == -1)
		return -1;
	if (fd >= LINK_KEEP_BELOW) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);

		if (high != -1) {
			close(fd);
			fd = high;
		}
	}
	/* Keepalive finds a peer that vanished without a FIN on links that
	 * are idle between slow polls. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	snprintf(port, sizeof(port), "%d", l->device->port);
	l->ctx = modbus_new_tcp_pi(l->device->host, port);
	if (l->ctx == NULL) {
		close(fd);
		return -1;
	}
	/* Recovery stays off: we decide what a failure means, and
	 * libmodbus' own recovery sleeps and flushes. No byte timeout:
	 * libmodbus then waits for the whole reply within the response
	 * timeout (Linux' select counts the time down), so a reply trickled
	 * a byte at a time is a timeout, not a reply that took seconds. */
	modbus_set_response_timeout(l->ctx, sec, usec);
	modbus_set_byte_timeout(l->ctx, 0, 0);
	modbus_set_error_recovery(l->ctx, MODBUS_ERROR_RECOVERY_NONE);
	modbus_set_slave(l->ctx, l->device->unit);
	modbus_set_socket(l->ctx, fd);
	l->fd = fd;
	log_debug("%s: connected to %s:%d, socket %d%s", l->device->name,
		  l->device->host, l->device->port, fd,
		  fd < FD_SETSIZE ? "" : ", lent below 1024 for each request");
	return 0;
}

/* Bytes waiting on the socket, or 0 when it cannot say. */
static int
link_pending(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) == -1)
		return 0;
	return n;
}

/*
 * One request and its reply, on the descriptor libmodbus uses. The request
 * is ours (our transaction id, unit and function); libmodbus frames the
 * reply and waits for it (modbus_receive_confirmation), and adu.c checks
 * all of it against the request. A device that answers one request at a
 * time leaves nothing on the socket between a reply and the next request:
 * bytes there before we ask, or after the reply we framed, are a second
 * reply nobody asked for or a reply longer than it says, and whatever they
 * are, the reply they trail cannot be trusted.
 */
static int
link_do_read_on(struct link *l, const struct plan_block *b, uint16_t *regs)
{
	uint8_t req[ADU_REQUEST_LEN], rsp[ADU_MAX_LEN];
	int fd = modbus_get_socket(l->ctx), n, code;
	ssize_t sent;

	if ((n = link_pending(fd)) > 0) {
		snprintf(l->why, sizeof(l->why),
			 "%d bytes waiting before the request", n);
		errno = EMBBADDATA;
		return -1;
	}
	adu_request_build(req, ++l->tid, l->unit, b->fc, b->address,
			  b->count);
	do
		sent = send(fd, req, sizeof(req), MSG_NOSIGNAL);
	while (sent == -1 && errno == EINTR);
	if (sent != (ssize_t)sizeof(req)) {
		/* 12 bytes on an empty socket buffer: short only when the
		 * connection is going. */
		if (sent != -1)
			errno = EPIPE;
		return -1;
	}
	n = modbus_receive_confirmation(l->ctx, rsp);
	if (n == -1) {
		if (errno == EMBBADDATA)
			snprintf(l->why, sizeof(l->why),
				 "a reply longer than any");
		return -1;
	}
	code = adu_reply_check(req, rsp, (size_t)n, l->why);
	if (code == -1)
		return -1;
	if ((n = link_pending(fd)) > 0) {
		snprintf(l->why, sizeof(l->why),
			 "%d bytes after the reply", n);
		errno = EMBBADDATA;
		return -1;
	}
	if (code > 0) {
		errno = MODBUS_ENOBASE + code;
		return -1;
	}
	adu_reply_values(req, rsp, regs);
	return 0;
}

/* Reads on the socket itself when libmodbus can select() it, else on a
 * duplicate below FD_SETSIZE, taken at the poll's first read. */
static int
link_do_read(struct link *l, const struct plan_block *b, uint16_t *regs)
{
	if (l->fd >= FD_SETSIZE && l->lent == -1) {
		while (sem_wait(&link_lend_slots) == -1 && errno == EINTR)
			;
		l->lent = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
		if (l->lent == -1 || l->lent >= FD_SETSIZE) {
			if (l->lent != -1)
				close(l->lent);
			l->lent = -1;
			sem_post(&link_lend_slots);
			errno = EMFILE;
			return -1;
		}
		modbus_set_socket(l->ctx, l->lent);
	}
	return l->rtu ? link_do_read_rtu(l, b, regs)
		      : link_do_read_on(l, b, regs);
}

int
link_read(struct link *l, const struct plan_block *b, uint16_t *regs,
	  int *quality)
{
	int e;

	l->exception = 0;
	if (l->ctx == NULL) {
		if (link_now() < l->retry_at) {
			*quality = QUALITY_LINK;
			errno = ENOTCONN;
			return -1;
		}
		if (link_connect(l) == -1) {
			e = errno;
			link_schedule_retry(l);
			*quality = QUALITY_LINK;
			errno = e;
			return -1;
		}
	}
	if (link_do_read(l, b, regs) == 0) {
		l->backoff = LINK_BACKOFF_MIN;
		return 0;
	}
	e = errno;
	if (e > MODBUS_ENOBASE && e < EMBXGTAR + 1) {
		l->exception = e - MODBUS_ENOBASE;
		*quality = QUALITY_EXCEPTION;
	} else {
		/* A reply that does not match its request (EMBBADDATA) is
		 * a link error too, and closes the connection: what follows
		 * it on the socket is out of step with our requests. */
		*quality = e == ETIMEDOUT ? QUALITY_TIMEOUT : QUALITY_LINK;
		if (l->shared && e == ETIMEDOUT) {
			/* One unit that does not answer says nothing about
			 * the others behind the gateway or on the line: the
			 * unit waits its own backoff (the poller's), the link
			 * drops only what may still arrive late. */
			if (l->rtu) {
				modbus_flush(l->ctx);
			} else {
				link_disconnect(l);
				l->retry_at = 0;
			}
		} else {
			link_disconnect(l);
			link_schedule_retry(l);
		}
	}
	errno = e;
	return -1;
}

void
link_set_unit(struct link *l, int unit)
{
	l->unit = unit;
}

void
link_set_shared(struct link *l)
{
	l->shared = 1;
}

const char *
link_last_mismatch(const struct link *l)
{
	return l->why;
}

int
link_last_exception(const struct link *l)
{
	return l->exception;
}

int
link_is_up(const struct link *l)
{
	return l->ctx != NULL;
}
