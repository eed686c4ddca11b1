/* replay.c - replays a fuzz target's corpus under gcc's sanitizers: every
 * file in tests/fuzz/corpus/NAME (the seeds, and each crash fuzzing ever
 * found, kept as a regression input), one call of the target each. Built
 * as build/san/tests/unit/test_fuzz_NAME, so make check runs it. A crash
 * ends it with the sanitizer's report, after the line naming the input. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL) {
		printf("not ok 1 - fuzz_%s: no corpus at %s\n1..1\n", FUZZ_NAME,
		       dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		uint8_t *data;
		size_t size;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((data = replay_read(path, &size)) == NULL)
			continue;
		/* Said first, so that a crash's report follows the name of
		 * its input. What the code under test prints about bad input
		 * (file:line errors, damage found) is its expected answer. */
		printf("# %s\n", path);
		fflush(stdout);
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
