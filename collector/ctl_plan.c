/* ctl_plan.c - `ventoctl plan`: the reads ventod will make, per device. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "plan.h"

static void
ctl_plan_device(const struct config *c, const struct device *d)
{
	struct plan *pl = plan_make(d->profile, c->max_gap);

	printf("%s: profile %s, %s:%d unit %d, %d-based addresses, %d "
	       "reads\n",
	       d->name, d->profile->name, d->host, d->port, d->unit,
	       d->profile->address_base, pl->nblocks);
	plan_print(pl, d->profile, stdout);
	plan_free(pl);
}

int
ctl_plan(struct ctl *ctl, int argc, char **argv)
{
	const struct config *c;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: ventoctl plan [DEVICE...]\n"
		       "Prints the Modbus reads planned for each device "
		       "(default: all).\n");
		return CTL_OK;
	}
	if ((c = ctl_config(ctl)) == NULL)
		return CTL_FAIL;
	if (argc == 1) {
		for (int i = 0; i < c->ndevices; i++) {
			ctl_plan_device(c, &c->devices[i]);
			putchar('\n');
		}
		return CTL_OK;
	}
	for (int i = 1; i < argc; i++) {
		const struct device *d = cfg_find_device(c, argv[i]);

		if (d == NULL) {
			fprintf(stderr, "ventoctl: plan: no device '%s' in %s\n",
				argv[i], c->file);
			return CTL_FAIL;
		}
		ctl_plan_device(c, d);
	}
	return CTL_OK;
}
