/* lateness.c - the lateness file: one line per device, "US NAME" (the name
 * last, since it may hold blanks), in the order of the configuration. Written whole and renamed over the old one,
 * so a reader never sees half of it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lateness.h"

int
lateness_write(const char *dir, const struct config *c,
	       const long long *late_us)
{
	char tmp[4096], path[4096];
	FILE *f;
	int e;

	snprintf(path, sizeof(path), "%s/lateness", dir);
	snprintf(tmp, sizeof(tmp), "%s/lateness.tmp", dir);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	for (int i = 0; i < c->ndevices; i++)
		fprintf(f, "%lld %s\n", late_us[i], c->devices[i].name);
	if (ferror(f)) {
		e = EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		e = errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	errno = e;
	return -1;
}

int
lateness_read(const char *dir, const struct config *c, long long *late_us)
{
	char path[4096], name[64];
	long long us;
	FILE *f;

	for (int i = 0; i < c->ndevices; i++)
		late_us[i] = -1;
	snprintf(path, sizeof(path), "%s/lateness", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fscanf(f, "%lld %63[^\n]", &us, name) == 2)
		for (int i = 0; i < c->ndevices; i++)
			if (strcmp(c->devices[i].name, name) == 0) {
				late_us[i] = us;
				break;
			}
	fclose(f);
	return 0;
}
