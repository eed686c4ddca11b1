/* replay.c - replays a fuzz target's corpus under gcc's sanitizers: every
 * file in tests/fuzz/corpus/NAME (the seeds, and each crash fuzzing ever
 * found, kept as a regression input), one call of the target each. Built
 * as build/san/tests/unit/test_fuzz_NAME, so make check runs it. A crash
 * ends it with the sanitizer's report, and a line naming the input. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME: the target's name, as in tests/fuzz/fuzz_NAME.c"
#endif
#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS: the directory of the target's corpus"
#endif

/* The sanitizers' hooks, weak: a build without them has none. */
extern void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static char replay_path[4096];
static int replay_report_fd = 2;

static void
replay_died(void)
{
	dprintf(replay_report_fd, "fuzz_%s: the input that crashed: %s\n",
	        FUZZ_NAME, replay_path);
}

/* A target's own check fails with abort(): name the input then too. */
static void
replay_aborted(int sig)
{
	replay_died();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* What the code under test prints about bad input (file:line errors,
 * damage found) is its expected answer, not news: stderr goes to
 * /dev/null, the sanitizers' reports to a copy of it. */
static void
replay_quiet(void)
{
	int fd, null;

	if (__sanitizer_set_report_fd == NULL ||
	    __sanitizer_set_death_callback == NULL)
		return;
	if ((fd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (null = open("/dev/null", O_WRONLY)) == -1)
		return;
	__sanitizer_set_report_fd((void *)(intptr_t)fd);
	__sanitizer_set_death_callback(replay_died);
	replay_report_fd = fd;
	dup2(null, 2);
	close(null);
}

/* Reads a whole file; NULL when it cannot. */
static uint8_t *
replay_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*size = n;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	signal(SIGABRT, replay_aborted);
	replay_quiet();
	if (d == NULL) {
		printf("not ok 1 - fuzz_%s: no corpus at %s\n1..1\n", FUZZ_NAME,
		       dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		uint8_t *data;
		size_t size;

		if (e->d_name[0] == '.')
			continue;
		snprintf(replay_path, sizeof(replay_path), "%s/%s", dir,
		         e->d_name);
		if ((data = replay_read(replay_path, &size)) == NULL)
			continue;
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		n++;
	}
	closedir(d);
	printf("%sok 1 - fuzz_%s: the %d inputs of its corpus replay "
	       "cleanly\n1..1\n",
	       n > 0 ? "" : "not ", FUZZ_NAME, n);
	return n > 0 ? 0 : 1;
}
