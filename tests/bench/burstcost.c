/* burstcost.c - what a tick of N devices would cost a poller that keeps
 * every request in flight at once on one thread, with epoll, instead of a
 * thread per device blocked in libmodbus: the measure for choosing between
 * the two. Each round, once every PERIOD_MS, it sends one read of 40 input
 * registers to each of N devices on ports BASE..BASE+N-1, then takes the
 * replies as they come. It prints the thread's CPU per read (us) and the
 * median and the longest time from a round's start to its last reply
 * (ms): `burstcost HOST BASE N ROUNDS PERIOD_MS`. It only reads. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

#define BURST_REGS 40
#define BURST_REPLY (9 + 2 * BURST_REGS)

struct burst_conn {
	int fd;
	size_t got;
	unsigned char rsp[BURST_REPLY];
};

static double
burst_clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
burst_connect(const char *host, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char service[16];
	int fd, on = 1;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd != -1)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static int
burst_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One round: a request to every device, then every reply. Returns 0, or
 * -1 when a device failed or the round took over 10 s. */
static int
burst_round(struct burst_conn *c, int n, int ep, unsigned tid)
{
	unsigned char req[12] = { 0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, BURST_REGS };
	struct epoll_event ev[256];
	int done = 0;

	req[0] = (unsigned char)(tid >> 8);
	req[1] = (unsigned char)tid;
	for (int i = 0; i < n; i++) {
		c[i].got = 0;
		if (send(c[i].fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
			return -1;
	}
	while (done < n) {
		int k = epoll_wait(ep, ev, 256, 10000);

		if (k <= 0)
			return -1;
		for (int j = 0; j < k; j++) {
			struct burst_conn *cc = ev[j].data.ptr;
			ssize_t r = recv(cc->fd, cc->rsp + cc->got,
			                 BURST_REPLY - cc->got, MSG_DONTWAIT);

			if (r <= 0) {
				if (r == -1 && errno == EAGAIN)
					continue;
				return -1;
			}
			cc->got += (size_t)r;
			if (cc->got >= 8 && (cc->rsp[7] & 0x80))
				return -1;
			if (cc->got == BURST_REPLY) {
				if (cc->rsp[0] != req[0] || cc->rsp[1] != req[1])
					return -1;
				done++;
			}
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct burst_conn *c;
	double *ms, cpu0;
	int n, rounds, period_ms, base, ep, r = 0;

	if (argc != 6 || (n = atoi(argv[3])) <= 0 ||
	    (rounds = atoi(argv[4])) <= 0 || (period_ms = atoi(argv[5])) <= 0) {
		fprintf(stderr, "usage: burstcost HOST BASE N ROUNDS PERIOD_MS\n");
		return 2;
	}
	base = atoi(argv[2]);
	c = xcalloc((size_t)n, sizeof(*c));
	ms = xcalloc((size_t)rounds, sizeof(*ms));
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c[i] };

		c[i].fd = burst_connect(argv[1], base + i);
		if (c[i].fd == -1 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) == -1) {
			fprintf(stderr, "burstcost: device %d: %s\n", i,
			        strerror(errno));
			return 1;
		}
	}
	cpu0 = burst_clock_us(CLOCK_THREAD_CPUTIME_ID);
	for (int k = 0; k < rounds && r == 0; k++) {
		double start = burst_clock_us(CLOCK_MONOTONIC);
		struct timespec pause;
		double left;

		r = burst_round(c, n, ep, (unsigned)k);
		ms[k] = (burst_clock_us(CLOCK_MONOTONIC) - start) / 1000;
		left = period_ms - ms[k];
		if (left > 0) {
			pause.tv_sec = (time_t)(left / 1000);
			pause.tv_nsec = (long)((left - (double)pause.tv_sec * 1000) * 1e6);
			nanosleep(&pause, NULL);
		}
	}
	if (r == -1) {
		fprintf(stderr, "burstcost: a round failed\n");
		return 1;
	}
	printf("%.2f ", (burst_clock_us(CLOCK_THREAD_CPUTIME_ID) - cpu0) /
	                        ((double)rounds * n));
	qsort(ms, (size_t)rounds, sizeof(*ms), burst_cmp);
	printf("%.2f %.2f\n", ms[rounds / 2], ms[rounds - 1]);
	for (int i = 0; i < n; i++)
		close(c[i].fd);
	close(ep);
	free(c);
	free(ms);
	return 0;
}
