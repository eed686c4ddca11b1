/* replay.c - replays a fuzz target's corpus under gcc's sanitizers: every
 * file in tests/fuzz/corpus/NAME (the seeds, and each crash fuzzing ever
 * found, kept as a regression input), one call of the target each. Built
 * as build/san/tests/unit/test_fuzz_NAME, so make check runs it. What the
 * code under test prints about bad input (file:line errors, damage found)
 * is its expected answer, so all inputs first run in one child process
 * with stderr to /dev/null; only when that fails does each input run in a
 * child of its own, stderr kept, so that each one that crashes or leaks is
 * named under the sanitizer's report. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME: the target's name, as in tests/fuzz/fuzz_NAME.c"
#endif
#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS: the directory of the target's corpus"
#endif

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

struct replay_input {
	char *path;
	uint8_t *data;
	size_t size;
};

/* Runs the target on inputs in[0..n) in a child; returns its wait
 * status. */
static int
replay_run(const struct replay_input *in, int n, int quiet)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (quiet && null != -1)
			dup2(null, 2);
		for (int i = 0; i < n; i++)
			LLVMFuzzerTestOneInput(in[i].data, in[i].size);
		exit(0); /* through the leak check */
	}
	while (waitpid(pid, &status, 0) == -1)
		;
	return status;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	struct replay_input *in = NULL;
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0, failed = 0;

	if (d == NULL) {
		printf("not ok 1 - fuzz_%s: no corpus at %s\n1..1\n", FUZZ_NAME,
		       dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((in = realloc(in, (size_t)(n + 1) * sizeof(*in))) == NULL)
			abort();
		if ((in[n].data = replay_read(path, &in[n].size)) == NULL)
			continue;
		if ((in[n].path = strdup(path)) == NULL)
			abort();
		n++;
	}
	closedir(d);
	if (replay_run(in, n, 1) != 0)
		for (int i = 0; i < n; i++) {
			int status = replay_run(&in[i], 1, 0);

			if (status == 0)
				continue;
			printf("# fuzz_%s: %s fails (%s %d)\n", FUZZ_NAME,
			       in[i].path,
			       WIFSIGNALED(status) ? "signal" : "status",
			       WIFSIGNALED(status) ? WTERMSIG(status)
						   : WEXITSTATUS(status));
			failed++;
		}
	printf("%sok 1 - fuzz_%s: %d of the %d inputs of its corpus fail\n"
	       "1..1\n",
	       n > 0 && failed == 0 ? "" : "not ", FUZZ_NAME, failed, n);
	for (int i = 0; i < n; i++) {
		free(in[i].path);
		free(in[i].data);
	}
	free(in);
	return n > 0 && failed == 0 ? 0 : 1;
}
