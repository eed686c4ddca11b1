/* link.c - a device's Modbus TCP connection: connecting, reading, sorting
 * errors and backing off. It only ever reads: no write function of
 * libmodbus is called anywhere in vento. */
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "link.h"
#include "sample.h"
#include "xmalloc.h"

#define LINK_BACKOFF_MIN 1.0  /* seconds before the first reconnect */
#define LINK_BACKOFF_MAX 30.0 /* the cap, so a device back is seen soon */

struct link {
	const struct device *device;
	modbus_t *ctx;
	double timeout;
	double backoff;	     /* the current backoff, seconds */
	double retry_at;     /* monotonic seconds before which we wait */
	unsigned rand_state; /* for jitter; per link, so no shared state */
	int exception;
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
	l->timeout = timeout;
	l->backoff = LINK_BACKOFF_MIN;
	l->rand_state = (unsigned)d->port * 2654435761u + (unsigned)d->unit;
	return l;
}

static void
link_disconnect(struct link *l)
{
	if (l->ctx == NULL)
		return;
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

static int
link_connect(struct link *l)
{
	char port[16];
	uint32_t sec = (uint32_t)l->timeout;
	uint32_t usec = (uint32_t)((l->timeout - sec) * 1e6);
	int fd, on = 1, idle = 10, intvl = 5, cnt = 3;

	snprintf(port, sizeof(port), "%d", l->device->port);
	l->ctx = modbus_new_tcp_pi(l->device->host, port);
	if (l->ctx == NULL)
		return -1;
	/* Timeouts before connecting: libmodbus uses the response timeout
	 * for the connect too. Recovery stays off: we decide what a failure
	 * means, and libmodbus' own recovery sleeps and flushes. */
	modbus_set_response_timeout(l->ctx, sec, usec);
	modbus_set_byte_timeout(l->ctx, sec, usec);
	modbus_set_error_recovery(l->ctx, MODBUS_ERROR_RECOVERY_NONE);
	if (modbus_set_slave(l->ctx, l->device->unit) == -1 ||
	    modbus_connect(l->ctx) == -1) {
		int e = errno;

		modbus_free(l->ctx);
		l->ctx = NULL;
		errno = e;
		return -1;
	}
	/* Keepalive finds a peer that vanished without a FIN on links that
	 * are idle between slow polls. */
	fd = modbus_get_socket(l->ctx);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return 0;
}

static int
link_do_read(struct link *l, const struct plan_block *b, uint16_t *regs)
{
	uint8_t bits[PLAN_MAX_BITS];
	int n;

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
		errno = EMBBADDATA;
		return -1;
	}
	return n == -1 ? -1 : 0;
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
		*quality = e == ETIMEDOUT ? QUALITY_TIMEOUT : QUALITY_LINK;
		link_disconnect(l);
		link_schedule_retry(l);
	}
	errno = e;
	return -1;
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
