/* sim_device.c - one simulated device's Modbus TCP server (see
 * sim_device.h): the listening socket, the connected clients, the framing
 * of requests, the replies, the faults that bend them, and the refresh of
 * the register image once per UTC second. Everything here belongs to the
 * device's own thread once it has started; the only shared things are the
 * stop flag, the fault table and the served log.
 *
 * Requests are framed here, not by modbus_receive: modbus_receive waits
 * with select(), whose fd_set cannot hold a descriptor above 1023, and a
 * farm of 2000 devices has thousands of sockets. It also blocks on a client
 * that sends half a request, which would stall the other clients of the
 * device. Replies are built here too, into a buffer, not by modbus_reply,
 * which writes to the socket at once: a faulty device holds a reply back
 * (slow, late) or sends other bytes in its place (garbage). The reads vento
 * makes are the four read functions, whose replies are a few lines. */
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
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "sim_device.h"
#include "sim_meter.h"
#include "sim_rand.h"
#include "sim_wind.h"
#include "xmalloc.h"

/* A thread's stack: the deepest path is the served-log formatting
 * (snprintf); 256 KiB leaves room for the sanitizers and keeps 2000 threads
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

/* Seconds the served log remembers as logged or not. A held reply is sent
 * at most 2 * SIM_FAULT_MAX_DELAY_MS after its second, well inside. */
#define SIM_DEVICE_LOG_WINDOW 256

/* A reply built and not yet sent. */
struct sim_reply {
	int64_t due_ms; /* monotonic ms at which it goes out */
	int64_t second; /* the second a data reply carries; else INT64_MIN */
	size_t nlines;  /* served-log lines held for a delayed data reply */
	size_t len;
	size_t sent;    /* bytes of a trickled reply sent so far */
	int trickle_ms; /* >0: sent a byte at a time, this far apart */
	/* Room for the bytes hostile:trailing adds to the longest reply. */
	uint8_t adu[SIM_DEVICE_ADU_MAX + 8];
};

struct sim_client {
	int fd;        /* -1: a free slot */
	size_t len;    /* bytes of requests received so far */
	unsigned nreq; /* requests received on this connection */
	int held;      /* 1 while out waits for its due time */
	struct sim_reply out;
	char *lines; /* the served-log lines of out, allocated on first use */
	uint8_t buf[SIM_DEVICE_ADU_MAX];
};

struct sim_device {
	const struct device *dev;
	int index;
	const struct sim_image *image;
	struct sim_served *served;
	struct sim_faults *faults;
	uint64_t seed;
	modbus_t *ctx; /* only to listen: replies are built here */
	modbus_mapping_t *map;
	int listen_fd;                   /* -1 while refusing */
	int notify_fd;                   /* an eventfd: the faults changed */
	struct sim_wind_turbine turbine; /* a turbine's model */
	struct sim_meter *meter;         /* a meter's model */
	int64_t start;        /* the second the counters hold their start */
	int64_t image_second; /* the second the mapping holds */
	/* The served log: which recent seconds it has, a bit each. */
	int64_t logged_newest;
	uint64_t logged[SIM_DEVICE_LOG_WINDOW / 64];
	char *lines; /* the served-log lines of one second */
	size_t lines_size;
	/* Faults, as last taken from the table. */
	unsigned fault_gen;
	struct sim_fault_spec fault;
	enum sim_fault_action action; /* a counter action not yet applied */
	int64_t action_at;            /* the second it applies from */
	int64_t listen_at_ms;         /* while refusing: when to listen again */
	uint64_t garbage_key; /* garbage replies so far: their bytes' key */
	struct sim_client clients[SIM_DEVICE_MAX_CLIENTS];
	const atomic_int *stop;
	int wake_fd;
	pthread_t thread;
	int started;
	struct log_limit write_limit;  /* write requests refused */
	struct log_limit client_limit; /* connections that could not be kept */
	struct log_limit log_limit;    /* served-log write errors */
	struct log_limit listen_limit; /* listening again after a refusal */
};

/* Opens the listening socket, non-blocking: a client that resets between
 * poll() and accept() must not hang the thread in accept(). Returns 0 or
 * -1 with errno. */
static int
sim_device_listen(struct sim_device *sd)
{
	int saved;

	/* libmodbus sets SO_REUSEADDR, so a restart (or the end of a
	 * refusal) does not wait for the last run's TIME_WAIT sockets. */
	sd->listen_fd = modbus_tcp_pi_listen(sd->ctx, 16);
	if (sd->listen_fd == -1)
		return -1;
	if (fcntl(sd->listen_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sd->listen_fd, F_SETFD, FD_CLOEXEC) == -1) {
		saved = errno;
		close(sd->listen_fd);
		sd->listen_fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

struct sim_device *
sim_device_open(const struct sim_device_env *env, int index,
                const struct sim_image *im)
{
	const struct device *d = &env->config->devices[index];
	struct sim_device *sd = xcalloc(1, sizeof(*sd));
	char port[16];
	int saved;

	sd->dev = d;
	sd->index = index;
	sd->image = im;
	sd->served = env->served;
	sd->faults = env->faults;
	sd->seed = env->seed;
	sd->listen_fd = -1;
	sd->notify_fd = -1;
	sd->start = env->start;
	sd->image_second = INT64_MIN;
	sd->logged_newest = INT64_MIN;
	sd->wake_fd = -1;
	sd->write_limit.interval = 60;
	sd->client_limit.interval = 60;
	sd->log_limit.interval = 60;
	sd->listen_limit.interval = 60;
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++)
		sd->clients[i].fd = -1;
	if (d->kind == DEVICE_METER)
		sd->meter =
		    sim_meter_new(env->config, env->seed, index, env->start);
	else
		sim_wind_turbine_init(&sd->turbine, env->seed, index,
		                      env->start);
	sd->lines_size = sim_image_format_size(im);
	sd->lines = xmalloc(sd->lines_size);

	snprintf(port, sizeof(port), "%d", d->port);
	sd->ctx = modbus_new_tcp_pi(d->host, port);
	if (sd->ctx == NULL)
		goto fail;
	sd->map = sim_image_mapping_new(im);
	if (sd->map == NULL)
		goto fail;
	sd->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sd->notify_fd == -1)
		goto fail;
	if (sim_device_listen(sd) == -1)
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

/* Applies a counter action (wrap, reset) at the end of the second before
 * sd->action_at, so the seconds from action_at on integrate from the new
 * value. An action given at start (INT64_MIN) replaces the start value:
 * it is taken at the first refresh, when the counters are still at
 * sd->start. */
static void
sim_device_counter_action(struct sim_device *sd)
{
	int64_t when =
	    sd->action_at == INT64_MIN ? sd->start : sd->action_at - 1;
	long long from = (long long)when + 1;
	double wrap, wh;
	const char *type;

	if (sd->action == SIM_FAULT_ACTION_RESET) {
		if (sd->meter != NULL)
			sim_meter_counters_set(sd->meter, when, 0.0, 0.0);
		else
			sim_wind_counter_set(&sd->turbine, when, 0.0);
		log_info("ventosim: %s: energy counter reset to 0 from second "
		         "%lld",
		         sd->dev->name, from);
	} else if (sd->meter != NULL) {
		/* sim_fault refuses wrap on a meter. */
	} else if (sim_image_counter_wrap(sd->image, SIM_TOTWH, &wrap, &type) ==
	           -1) {
		log_warn("ventosim: %s: wrap ignored: profile %s serves "
		         "wtur_totwh %s%s; wrap needs a counter of 32 bits or "
		         "less (a u64 does not wrap in any turbine's life)",
		         sd->dev->name, sd->dev->profile->name,
		         type != NULL ? "as " : "not at all",
		         type != NULL ? type : "");
	} else {
		wh = wrap - SIM_FAULT_WRAP_MARGIN_WH;
		if (wh < 0.0)
			wh = 0.0;
		sim_wind_counter_set(&sd->turbine, when, wh);
		log_info("ventosim: %s: energy counter set to %.0f Wh from "
		         "second %lld, %.0f Wh below its wrap at %.0f Wh",
		         sd->dev->name, wh, from, wrap - wh, wrap);
	}
	sd->action = SIM_FAULT_ACTION_NONE;
}

/* Brings the register image to second: the injected states are taken
 * from the fault table, the model (and its counters) advance, the mapping
 * is encoded again. */
static void
sim_device_refresh(struct sim_device *sd, int64_t second)
{
	struct sim_wind_sample ts;
	struct sim_meter_sample ms;
	struct sim_wind_turbine *t = &sd->turbine;
	enum sim_fault_action action;
	int64_t skipped, at;
	int n = 1;

	if (second == sd->image_second)
		return;
	if (sd->meter != NULL)
		t = sim_meter_turbines(sd->meter, &n);
	sim_faults_sync(sd->faults, sd->index, t, n, &action, &at);
	if (action != SIM_FAULT_ACTION_NONE) {
		sd->action = action;
		sd->action_at = at;
	}
	if (sd->action != SIM_FAULT_ACTION_NONE && second >= sd->action_at)
		sim_device_counter_action(sd);
	if (sd->meter != NULL) {
		skipped = sim_meter_advance(sd->meter, second, &ms);
		sim_image_fill(sd->image, sd->map, ms.v);
	} else {
		skipped = sim_wind_advance(t, second, &ts);
		sim_image_fill(sd->image, sd->map, ts.v);
	}
	if (skipped > 0)
		log_warn("ventosim: %s: the energy counters skipped %lld s "
		         "of a gap too long to catch up",
		         sd->dev->name, (long long)skipped);
	sd->image_second = second;
}

/* 1 if the served log has second, or if it is too old to tell. */
static int
sim_device_logged(const struct sim_device *sd, int64_t second)
{
	uint64_t k = (uint64_t)second % SIM_DEVICE_LOG_WINDOW;

	if (sd->logged_newest == INT64_MIN || second > sd->logged_newest)
		return 0;
	if (sd->logged_newest - second >= SIM_DEVICE_LOG_WINDOW)
		return 1;
	return (sd->logged[k / 64] >> (k % 64)) & 1;
}

static void
sim_device_mark_logged(struct sim_device *sd, int64_t second)
{
	uint64_t k;

	if (sd->logged_newest == INT64_MIN ||
	    second - sd->logged_newest >= SIM_DEVICE_LOG_WINDOW) {
		memset(sd->logged, 0, sizeof(sd->logged));
		sd->logged_newest = second;
	}
	/* Seconds that enter the window are forgotten from the last turn
	 * of the ring. */
	while (sd->logged_newest < second) {
		sd->logged_newest++;
		k = (uint64_t)sd->logged_newest % SIM_DEVICE_LOG_WINDOW;
		sd->logged[k / 64] &= ~(UINT64_C(1) << (k % 64));
	}
	k = (uint64_t)second % SIM_DEVICE_LOG_WINDOW;
	sd->logged[k / 64] |= UINT64_C(1) << (k % 64);
}

/*
 * Writes the served-log lines of second, once per second: lines, or when
 * NULL, the mapping's (which must then hold second).
 */
static void
sim_device_log(struct sim_device *sd, int64_t second, const char *lines,
               size_t len)
{
	if (sd->served == NULL || sim_device_logged(sd, second))
		return;
	sim_device_mark_logged(sd, second);
	if (lines == NULL) {
		len =
		    sim_image_format(sd->image, sd->map, second, sd->dev->name,
		                     sd->lines, sd->lines_size);
		lines = sd->lines;
	}
	if (sim_served_append(sd->served, lines, len) == -1)
		sim_device_complain(sd, &sd->log_limit, "served log: %s",
		                    strerror(errno));
}

static void
sim_device_drop(struct sim_client *c)
{
	/* A held reply dies with its connection: nobody could read it, so
	 * it is not logged. */
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->nreq = 0;
	c->held = 0;
}

/* The MBAP header of a reply to req with a PDU of pdu bytes. */
static void
sim_device_header(struct sim_reply *r, const uint8_t *req, size_t pdu)
{
	r->adu[0] = req[0]; /* the transaction id, echoed */
	r->adu[1] = req[1];
	r->adu[2] = 0; /* protocol: Modbus */
	r->adu[3] = 0;
	r->adu[4] = (uint8_t)((pdu + 1) >> 8); /* the unit and the PDU */
	r->adu[5] = (uint8_t)(pdu + 1);
	r->adu[6] = req[6];
	r->len = SIM_DEVICE_MBAP + pdu;
}

static void
sim_device_exception(struct sim_reply *r, const uint8_t *req, int code)
{
	sim_device_header(r, req, 2);
	r->adu[7] = (uint8_t)(req[7] | 0x80);
	r->adu[8] = (uint8_t)code;
	r->second = INT64_MIN;
}

/*
 * The items a read asks for, as a pointer into the mapping (registers or
 * bits), or NULL when they are not all within it: Modbus' illegal data
 * address.
 */
static const void *
sim_device_items(const struct sim_device *sd, int fc, int address, int nb)
{
	const modbus_mapping_t *m = sd->map;
	int start, count, off;

	switch (fc) {
	case MODBUS_FC_READ_COILS:
		start = m->start_bits, count = m->nb_bits;
		break;
	case MODBUS_FC_READ_DISCRETE_INPUTS:
		start = m->start_input_bits, count = m->nb_input_bits;
		break;
	case MODBUS_FC_READ_HOLDING_REGISTERS:
		start = m->start_registers, count = m->nb_registers;
		break;
	default:
		start = m->start_input_registers, count = m->nb_input_registers;
		break;
	}
	off = address - start;
	if (off < 0 || off + nb > count)
		return NULL;
	switch (fc) {
	case MODBUS_FC_READ_COILS:
		return m->tab_bits + off;
	case MODBUS_FC_READ_DISCRETE_INPUTS:
		return m->tab_input_bits + off;
	case MODBUS_FC_READ_HOLDING_REGISTERS:
		return m->tab_registers + off;
	default:
		return m->tab_input_registers + off;
	}
}

/*
 * Builds into r the reply to one complete request for this unit: the data
 * of the current second, or an exception (a function other than a read, a
 * bad count, an injected exception, an address outside the image).
 */
static void
sim_device_build(struct sim_device *sd, const uint8_t *req, size_t len,
                 struct sim_reply *r)
{
	int fc = req[7], address, nb, max, code;
	const void *items;
	size_t bytes;

	if (fc < MODBUS_FC_READ_COILS || fc > MODBUS_FC_READ_INPUT_REGISTERS) {
		/* vento only reads; a write would also be overwritten by the
		 * physics at the next second. */
		sim_device_complain(sd, &sd->write_limit,
		                    "function 0x%02x refused: the simulator "
		                    "serves reads only",
		                    fc);
		sim_device_exception(r, req, MODBUS_EXCEPTION_ILLEGAL_FUNCTION);
		return;
	}
	address = (req[8] << 8) | req[9];
	nb = len == SIM_DEVICE_READ_LEN ? (req[10] << 8) | req[11] : 0;
	max = fc <= MODBUS_FC_READ_DISCRETE_INPUTS ? MODBUS_MAX_READ_BITS
	                                           : MODBUS_MAX_READ_REGISTERS;
	if (nb < 1 || nb > max) {
		sim_device_exception(r, req,
		                     MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
		return;
	}
	if (sim_fault_exception_for(&sd->fault, fc, address, nb, &code)) {
		sim_device_exception(r, req, code);
		return;
	}
	if ((items = sim_device_items(sd, fc, address, nb)) == NULL) {
		sim_device_exception(r, req,
		                     MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
		return;
	}

	/* The state is that of the second the request is processed in,
	 * also when the reply leaves later. */
	r->second = sim_device_now();
	sim_device_refresh(sd, r->second);
	/* A refresh re-encodes in place: the pointer still holds. */
	if (fc <= MODBUS_FC_READ_DISCRETE_INPUTS) {
		const uint8_t *bits = items;

		bytes = (size_t)(nb + 7) / 8;
		memset(r->adu + 9, 0, bytes);
		for (int i = 0; i < nb; i++)
			if (bits[i])
				r->adu[9 + i / 8] |= (uint8_t)(1u << (i % 8));
	} else {
		const uint16_t *regs = items;

		bytes = (size_t)nb * 2;
		for (int i = 0; i < nb; i++) {
			r->adu[9 + 2 * i] = (uint8_t)(regs[i] >> 8);
			r->adu[9 + 2 * i + 1] = (uint8_t)regs[i];
		}
	}
	sim_device_header(r, req, 2 + bytes);
	r->adu[7] = (uint8_t)fc;
	r->adu[8] = (uint8_t)bytes;
}

/*
 * Replaces a reply by as many bytes of noise, drawn from the seed: a
 * client must not take it for a reply, so the transaction id, the
 * protocol and the length are each made wrong for certain.
 */
static void
sim_device_garble(struct sim_device *sd, const uint8_t *req,
                  struct sim_reply *r)
{
	uint64_t stream = sim_rand_stream(SIM_RAND_GARBAGE, sd->index);
	uint64_t key = sd->garbage_key++ * 64;
	size_t length;

	for (size_t i = 0; i < r->len; i += 8) {
		uint64_t h = sim_rand_hash(sd->seed, stream, (int64_t)key++);

		for (size_t b = 0; b < 8 && i + b < r->len; b++)
			r->adu[i + b] = (uint8_t)(h >> (8 * b));
	}
	if (r->adu[0] == req[0] && r->adu[1] == req[1])
		r->adu[0] ^= 0x80;
	if (r->adu[2] == 0 && r->adu[3] == 0)
		r->adu[3] = 1;
	length = ((size_t)r->adu[4] << 8) | r->adu[5];
	if (length == r->len - 6)
		r->adu[5] ^= 1;
	r->second = INT64_MIN;
}

/* Sends a reply, after logging its second when it carries data. lines:
 * see sim_device_log. Returns 0, or -1 when the client must be dropped. */
static int
sim_device_send(struct sim_device *sd, struct sim_client *c,
                const struct sim_reply *r, const char *lines)
{
	ssize_t n;

	/* Logged before the reply leaves, so a test that holds a reply can
	 * read the log for its second without racing the simulator. */
	if (r->second != INT64_MIN)
		sim_device_log(sd, r->second, lines, r->nlines);
	n = send(c->fd, r->adu, r->len, MSG_NOSIGNAL);
	return n == (ssize_t)r->len ? 0 : -1;
}

/*
 * Sends the data reply r bent as the device's hostile fault says (see
 * sim_fault.h); it never logs its own second as served. Returns 0, or -1
 * when the client must be dropped.
 */
static int
sim_device_hostile(struct sim_device *sd, struct sim_client *c,
                   struct sim_reply *r)
{
	int kind = sd->fault.hostile;
	size_t length = (size_t)r->adu[4] << 8 | r->adu[5];
	unsigned tid = (unsigned)r->adu[0] << 8 | r->adu[1];
	struct sim_reply extra;

	log_info("ventosim: %s: hostile reply (%s) in second %lld",
	         sd->dev->name, sim_fault_hostile_name(kind),
	         (long long)r->second);
	switch (kind) {
	case SIM_HOSTILE_UNIT:
		r->adu[6] = (uint8_t)(r->adu[6] + 1);
		break;
	case SIM_HOSTILE_LENGTH:
		length += 2;
		r->adu[4] = (uint8_t)(length >> 8);
		r->adu[5] = (uint8_t)length;
		break;
	case SIM_HOSTILE_TRAILING:
		memset(r->adu + r->len, 0, 3);
		r->len += 3;
		break;
	case SIM_HOSTILE_TRICKLE:
		r->second = INT64_MIN;
		r->trickle_ms = SIM_FAULT_TRICKLE_MS;
		r->due_ms = monotime_ms() + r->trickle_ms;
		c->out = *r;
		c->held = 1;
		return 0;
	case SIM_HOSTILE_SECOND:
		/* The reply itself is good, and served; the second one
		 * carries the transaction id the client will use next, and
		 * values that were never served. */
		extra = *r;
		extra.second = INT64_MIN;
		extra.adu[0] = (uint8_t)((tid + 1) >> 8);
		extra.adu[1] = (uint8_t)(tid + 1);
		for (size_t i = SIM_DEVICE_MBAP + 2; i < extra.len; i++)
			extra.adu[i] ^= 1;
		if (sim_device_send(sd, c, r, NULL) == -1)
			return -1;
		return sim_device_send(sd, c, &extra, NULL);
	}
	r->second = INT64_MIN;
	return sim_device_send(sd, c, r, NULL);
}

/*
 * Acts on one complete request: answers it now, holds its reply, or
 * drops it, as the device's faults say. Returns 0, or -1 when the client
 * must be dropped (a reply could not be sent, or disconnect:N).
 */
static int
sim_device_request(struct sim_device *sd, struct sim_client *c,
                   const uint8_t *req, size_t len)
{
	struct sim_reply r;
	int delay;

	c->nreq++;
	if (sd->fault.disconnect != 0 &&
	    c->nreq % (unsigned)sd->fault.disconnect == 0)
		return -1;
	if (sd->fault.dead)
		return 0;
	/* Another unit id gets no answer at all, as from a device that is
	 * not the one addressed: the client times out, which is what the
	 * collector must survive with a wrong unit id in vento.conf. */
	if (req[6] != sd->dev->unit)
		return 0;
	sim_device_build(sd, req, len, &r);
	r.nlines = 0;
	r.sent = 0;
	r.trickle_ms = 0;
	if (sd->fault.garbage)
		sim_device_garble(sd, req, &r);
	/* A hostile reply goes at once: slow and late do not apply. */
	if (sd->fault.hostile && r.second != INT64_MIN &&
	    c->nreq % (unsigned)sd->fault.hostile_every == 0)
		return sim_device_hostile(sd, c, &r);
	delay = sim_fault_delay_ms(&sd->fault);
	if (delay == 0)
		return sim_device_send(sd, c, &r, NULL);

	/* Held: the lines of its second are taken now, while the mapping
	 * holds that second, and logged if it is ever sent. */
	if (r.second != INT64_MIN && sd->served != NULL) {
		if (sim_device_logged(sd, r.second)) {
			r.second = INT64_MIN;
		} else {
			if (c->lines == NULL)
				c->lines = xmalloc(sd->lines_size);
			r.nlines = sim_image_format(sd->image, sd->map,
			                            r.second, sd->dev->name,
			                            c->lines, sd->lines_size);
		}
	}
	r.due_ms = monotime_ms() + delay;
	c->out = r;
	c->held = 1;
	return 0;
}

/* Answers the complete requests a client has sent, in order, until one
 * reply is held (a device answers a connection one request at a time).
 * Drops the client on bytes that cannot be Modbus TCP. */
static void
sim_device_process(struct sim_device *sd, struct sim_client *c)
{
	while (!c->held && c->len >= SIM_DEVICE_MBAP) {
		int proto = (c->buf[2] << 8) | c->buf[3];
		int mlen = (c->buf[4] << 8) | c->buf[5];
		size_t total = 6 + (size_t)mlen;
		int rc;

		/* The length counts the unit and the PDU: a function code
		 * at least, 253 bytes of PDU at most. */
		if (proto != 0 || mlen < 2 || mlen > 254) {
			sim_device_drop(c);
			return;
		}
		if (c->len < total)
			return;
		rc = sim_device_request(sd, c, c->buf, total);
		if (rc == -1) {
			sim_device_drop(c);
			return;
		}
		c->len -= total;
		memmove(c->buf, c->buf + total, c->len);
	}
}

/* Reads what the client sent and answers it (clients may pipeline).
 * Drops the client on end of file and on an error. */
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
	sim_device_process(sd, c);
}

/* Sends a held reply that is due, then answers what waited behind it. A
 * trickled reply goes a byte at each release, and stays held until its
 * last. */
static void
sim_device_release(struct sim_device *sd, struct sim_client *c)
{
	struct sim_reply *r = &c->out;

	if (r->trickle_ms > 0) {
		if (send(c->fd, r->adu + r->sent, 1, MSG_NOSIGNAL) != 1) {
			sim_device_drop(c);
			return;
		}
		if (++r->sent < r->len) {
			r->due_ms += r->trickle_ms;
			return;
		}
		c->held = 0;
		sim_device_process(sd, c);
		return;
	}
	c->held = 0;
	if (sim_device_send(sd, c, &c->out, c->lines) == -1) {
		sim_device_drop(c);
		return;
	}
	sim_device_process(sd, c);
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
		struct sim_client *c = &sd->clients[i];

		if (c->fd == -1) {
			c->fd = fd;
			c->len = 0;
			c->nreq = 0;
			c->held = 0;
			return;
		}
	}
	sim_device_complain(sd, &sd->client_limit,
	                    "connection refused: %d clients already",
	                    SIM_DEVICE_MAX_CLIENTS);
	close(fd);
}

/* Takes a change of the device's faults from the table; a refusal starts
 * at once: the connections go, and so does the listening socket, so the
 * kernel answers a connect with a reset. */
static void
sim_device_take_faults(struct sim_device *sd)
{
	int refuse_s;

	if (!sim_faults_poll(sd->faults, sd->index, &sd->fault_gen, &sd->fault,
	                     &refuse_s) ||
	    refuse_s == 0)
		return;
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++)
		if (sd->clients[i].fd != -1)
			sim_device_drop(&sd->clients[i]);
	if (sd->listen_fd != -1) {
		close(sd->listen_fd);
		sd->listen_fd = -1;
	}
	sd->listen_at_ms = monotime_ms() + (int64_t)refuse_s * 1000;
	log_info("ventosim: %s: refusing connections for %d s", sd->dev->name,
	         refuse_s);
}

/* Listens again when a refusal is over; retries every second when the
 * port is taken meanwhile. */
static void
sim_device_relisten(struct sim_device *sd, int64_t now_ms)
{
	if (sd->listen_fd != -1 || now_ms < sd->listen_at_ms)
		return;
	if (sim_device_listen(sd) == -1) {
		sim_device_complain(
		    sd, &sd->listen_limit, "cannot listen on %s:%d again: %s",
		    sd->dev->host, sd->dev->port, strerror(errno));
		sd->listen_at_ms = now_ms + 1000;
		return;
	}
	log_info("ventosim: %s: accepting connections again", sd->dev->name);
}

/* The poll timeout: the fallback, or sooner for a held reply or the end
 * of a refusal. */
static int
sim_device_timeout(const struct sim_device *sd, int64_t now_ms)
{
	int64_t next = now_ms + SIM_DEVICE_POLL_MS;

	if (sd->listen_fd == -1 && sd->listen_at_ms < next)
		next = sd->listen_at_ms;
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
		const struct sim_client *c = &sd->clients[i];

		if (c->fd != -1 && c->held && c->out.due_ms < next)
			next = c->out.due_ms;
	}
	return next <= now_ms ? 0 : (int)(next - now_ms);
}

static void *
sim_device_run(void *arg)
{
	struct sim_device *sd = arg;
	struct pollfd fds[3 + SIM_DEVICE_MAX_CLIENTS];
	int who[SIM_DEVICE_MAX_CLIENTS];

	while (!atomic_load(sd->stop)) {
		int n = 0, nclients = 0, listening;
		int64_t now_ms = monotime_ms();
		uint64_t count;

		sim_device_take_faults(sd);
		sim_device_relisten(sd, now_ms);
		listening = sd->listen_fd != -1;
		fds[n++] = (struct pollfd){.fd = sd->wake_fd, .events = POLLIN};
		fds[n++] =
		    (struct pollfd){.fd = sd->notify_fd, .events = POLLIN};
		if (listening)
			fds[n++] = (struct pollfd){.fd = sd->listen_fd,
			                           .events = POLLIN};
		for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
			const struct sim_client *c = &sd->clients[i];

			if (c->fd == -1)
				continue;
			who[nclients++] = i;
			/* A client with a held reply is not read (its next
			 * request waits its turn), but its going away is
			 * seen, so the reply is never sent to nobody. */
			fds[n++] = (struct pollfd){.fd = c->fd,
			                           .events = c->held ? POLLRDHUP
			                                             : POLLIN};
		}
		if (poll(fds, (nfds_t)n, sim_device_timeout(sd, now_ms)) ==
		    -1) {
			if (errno != EINTR) {
				log_err("ventosim: %s: poll: %s", sd->dev->name,
				        strerror(errno));
				break;
			}
			continue;
		}
		if (atomic_load(sd->stop))
			break;
		/* Faults first, so that a change is in force before the
		 * requests that woke us with it are answered. */
		if ((fds[1].revents & POLLIN) &&
		    read(sd->notify_fd, &count, sizeof(count)) == -1 &&
		    errno != EAGAIN)
			log_warn("ventosim: %s: eventfd: %s", sd->dev->name,
			         strerror(errno));
		sim_device_take_faults(sd);
		/* Clients next: their slots are the ones the poll set
		 * describes, and accepting may fill a free one. A refusal
		 * just dropped them all, and the listener. */
		for (int k = 0; k < nclients; k++) {
			struct sim_client *c = &sd->clients[who[k]];
			short ev = fds[n - nclients + k].revents;

			if (c->fd == -1 || ev == 0)
				continue;
			if (c->held)
				sim_device_drop(c);
			else
				sim_device_serve_client(sd, c);
		}
		if (listening && sd->listen_fd != -1 &&
		    (fds[2].revents & POLLIN))
			sim_device_accept(sd);
		now_ms = monotime_ms();
		for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
			struct sim_client *c = &sd->clients[i];

			if (c->fd != -1 && c->held && c->out.due_ms <= now_ms)
				sim_device_release(sd, c);
		}
		/* The meter's counters integrate every second, polled or
		 * not: catching up a long silence would cost a sample of
		 * every turbine for each second of it. */
		if (sd->meter != NULL)
			sim_device_refresh(sd, sim_device_now());
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

int
sim_device_port(struct sim_device *sd)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);
	char port[16];
	modbus_t *ctx;
	int p;

	if (sd->listen_fd == -1 ||
	    getsockname(sd->listen_fd, (struct sockaddr *)&sa, &len) == -1)
		return -1;
	p = ntohs(sa.sin6_port); /* at the same place in sockaddr_in */
	if (sd->dev->port == 0) {
		/* Listen on this port again after a refusal, not another. */
		snprintf(port, sizeof(port), "%d", p);
		ctx = modbus_new_tcp_pi(sd->dev->host, port);
		if (ctx != NULL) {
			modbus_free(sd->ctx);
			sd->ctx = ctx;
		}
	}
	return p;
}

void
sim_device_notify(struct sim_device *sd)
{
	uint64_t one = 1;

	/* Only EAGAIN can fail this, at a count near 2^64: the thread is
	 * woken already. */
	if (write(sd->notify_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("ventosim: %s: eventfd: %s", sd->dev->name,
		         strerror(errno));
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
	for (int i = 0; i < SIM_DEVICE_MAX_CLIENTS; i++) {
		if (sd->clients[i].fd != -1)
			sim_device_drop(&sd->clients[i]);
		free(sd->clients[i].lines);
	}
	if (sd->listen_fd != -1)
		close(sd->listen_fd);
	if (sd->notify_fd != -1)
		close(sd->notify_fd);
	/* The sockets were ours, not the context's: free it without
	 * modbus_close, which would close a stale descriptor. */
	if (sd->ctx != NULL)
		modbus_free(sd->ctx);
	if (sd->map != NULL)
		modbus_mapping_free(sd->map);
	sim_meter_free(sd->meter);
	free(sd->lines);
	free(sd);
}
