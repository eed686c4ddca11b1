/* fuzz_cfg.c - the configuration and the profile it names, parsed and
 * checked (collector/cfg.c with libconfig): any text is a configuration
 * or a list of file:line errors, with nothing leaked and nothing read out
 * of bounds. The input is the text of vento.conf, then a NUL byte, then
 * the text of profiles/fz.conf (the seeds name profile "fz"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "fuzz.h"

/* libconfig 1.5 (Debian 12) leaks the string it was reading when a syntax
 * error ends the file inside one (64 bytes, shown with config_read_string
 * alone); that leak is libconfig's, not the parser's here. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static char fuzz_dir[256];
static char fuzz_conf[300], fuzz_profile[320];

/* The directory, named after the process, goes when the fuzzer ends;
 * after a crash, tests/fuzz/run removes it. */
static void
fuzz_cfg_cleanup(void)
{
	char sub[300];

	unlink(fuzz_conf);
	unlink(fuzz_profile);
	snprintf(sub, sizeof(sub), "%s/profiles", fuzz_dir);
	rmdir(sub);
	rmdir(fuzz_dir);
}

static void
fuzz_cfg_write(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		abort();
	fwrite(p, 1, n, f);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t conf_len = nul ? (size_t)(nul - data) : size;
	struct config *c;

	if (fuzz_dir[0] == '\0') {
		char sub[300];

		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/vento-fuzz-cfg.%d",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
		         (int)getpid());
		if (mkdir(fuzz_dir, 0700) == -1 && errno != EEXIST)
			abort();
		snprintf(sub, sizeof(sub), "%s/profiles", fuzz_dir);
		mkdir(sub, 0700);
		snprintf(fuzz_conf, sizeof(fuzz_conf), "%s/vento.conf",
		         fuzz_dir);
		snprintf(fuzz_profile, sizeof(fuzz_profile),
		         "%s/profiles/fz.conf", fuzz_dir);
		atexit(fuzz_cfg_cleanup);
	}
	fuzz_cfg_write(fuzz_conf, data, conf_len);
	fuzz_cfg_write(fuzz_profile, nul ? nul + 1 : data + size,
	               nul ? size - conf_len - 1 : 0);
	/* Errors go to stderr, as ventod -n prints them; make fuzz closes
	 * it (-close_fd_mask=2) for speed. */
	c = cfg_load(fuzz_conf);
	if (c != NULL) {
		for (int i = 0; i < c->ndevices; i++)
			if (cfg_find_device(c, c->devices[i].name) == NULL)
				abort(); /* every device is found by name */
		cfg_free(c);
	}
	return 0;
}
