/* readcost.c - what one Modbus read costs the client in CPU, the floor under
 * ventod's CPU per point. It reads the same 40 input registers COUNT times
 * from one device three ways on one thread: with libmodbus' own read
 * (a send, then a select and a recv for each of the reply's three parts),
 * with the least a blocking client can do (one send, one recv), and
 * through link.c as ventod does (libmodbus framing the reply, every field
 * of it checked against the request, the socket looked at for stray bytes
 * before and after). It prints the thread's CPU per read for each:
 * `readcost HOST PORT COUNT [PAUSE_US]`. With a pause between reads, the
 * thread sleeps before each, as a poller does between ticks, and the cost
 * includes waking up. It only reads. */
#include <errno.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "sample.h"

#define READCOST_REGS 40

static long readcost_pause_us;

static void
readcost_pause(void)
{
	struct timespec ts = {.tv_sec = readcost_pause_us / 1000000,
	                      .tv_nsec = readcost_pause_us % 1000000 * 1000};

	if (readcost_pause_us > 0)
		nanosleep(&ts, NULL);
}

static double
readcost_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
readcost_libmodbus(const char *host, const char *port, long count, double *us)
{
	uint16_t regs[READCOST_REGS];
	modbus_t *ctx = modbus_new_tcp_pi(host, port);
	double t0;

	if (ctx == NULL || modbus_connect(ctx) == -1) {
		fprintf(stderr, "readcost: libmodbus: %s\n",
		        modbus_strerror(errno));
		modbus_free(ctx);
		return -1;
	}
	modbus_set_slave(ctx, 1);
	t0 = readcost_cpu_us();
	for (long i = 0; i < count; i++, readcost_pause())
		if (modbus_read_input_registers(ctx, 0, READCOST_REGS, regs) !=
		    READCOST_REGS) {
			fprintf(stderr, "readcost: read: %s\n",
			        modbus_strerror(errno));
			break;
		}
	*us = (readcost_cpu_us() - t0) / (double)count;
	modbus_close(ctx);
	modbus_free(ctx);
	return 0;
}

static int
readcost_raw(const char *host, const char *port, long count, double *us)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	unsigned char req[12] = {0, 0, 0, 0, 0, 6,
	                         1, 4, 0, 0, 0, READCOST_REGS};
	unsigned char rsp[9 + 2 * READCOST_REGS];
	int fd, on = 1;
	double t0;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		fprintf(stderr, "readcost: connect: %s\n", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	t0 = readcost_cpu_us();
	for (long i = 0; i < count; i++, readcost_pause()) {
		size_t got = 0;

		req[0] = (unsigned char)(i >> 8);
		req[1] = (unsigned char)i;
		if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
			break;
		while (got < sizeof(rsp)) {
			ssize_t n = recv(fd, rsp + got, sizeof(rsp) - got, 0);

			if (n <= 0)
				goto out;
			got += (size_t)n;
			if (got >= 8 && (rsp[7] & 0x80)) {
				fprintf(stderr, "readcost: exception %d\n",
				        got > 8 ? rsp[8] : 0);
				goto out;
			}
		}
		if (rsp[0] != req[0] || rsp[1] != req[1] || rsp[7] != 4) {
			fprintf(stderr, "readcost: unexpected reply\n");
			break;
		}
	}
out:
	*us = (readcost_cpu_us() - t0) / (double)count;
	close(fd);
	return 0;
}

static int
readcost_link(const char *host, const char *port, long count, double *us)
{
	struct device d = {.name = "readcost", .port = atoi(port), .unit = 1};
	struct plan_block b = {.fc = 4, .address = 0, .count = READCOST_REGS};
	uint16_t regs[PLAN_MAX_BITS];
	struct link *l;
	int quality;
	double t0;

	snprintf(d.host, sizeof(d.host), "%s", host);
	l = link_open(&d, 1.0);
	/* The first read connects: not counted. */
	if (link_read(l, &b, regs, &quality) == -1) {
		fprintf(stderr, "readcost: link: %s\n", modbus_strerror(errno));
		link_close(l);
		return -1;
	}
	t0 = readcost_cpu_us();
	for (long i = 0; i < count; i++, readcost_pause())
		if (link_read(l, &b, regs, &quality) == -1) {
			fprintf(stderr, "readcost: link: %s\n",
			        modbus_strerror(errno));
			break;
		}
	*us = (readcost_cpu_us() - t0) / (double)count;
	link_close(l);
	return 0;
}

int
main(int argc, char **argv)
{
	double lib, raw, lnk;
	long count;

	if (argc < 4 || argc > 5 || (count = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: readcost HOST PORT COUNT [PAUSE_US]\n");
		return 2;
	}
	if (argc == 5)
		readcost_pause_us = atol(argv[4]);
	if (readcost_libmodbus(argv[1], argv[2], count, &lib) == -1 ||
	    readcost_raw(argv[1], argv[2], count, &raw) == -1 ||
	    readcost_link(argv[1], argv[2], count, &lnk) == -1)
		return 1;
	printf("%.2f %.2f %.2f\n", lib, raw, lnk);
	return 0;
}
