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

/* One device's plan as a JSON object: the same facts as the table, with
 * addresses as the profile writes them (its base added). */
static void
ctl_plan_device_json(const struct config *c, const struct device *d)
{
	struct plan *pl = plan_make(d->profile, c->max_gap);
	const struct profile *p = d->profile;

	printf("{\"device\":");
	ctl_json_string(d->name);
	printf(",\"profile\":");
	ctl_json_string(p->name);
	printf(",\"host\":");
	ctl_json_string(d->host);
	printf(",\"port\":%d,\"unit\":%d,\"address_base\":%d,\"reads\":[",
	       d->port, d->unit, p->address_base);
	for (int b = 0; b < pl->nblocks; b++) {
		const struct plan_block *bl = &pl->blocks[b];
		const char *sep = "";

		printf("%s{\"fc\":%d,\"address\":%d,\"count\":%d,"
		       "\"class\":\"%s\",\"signals\":[",
		       b ? "," : "", bl->fc, bl->address + p->address_base,
		       bl->count,
		       bl->poll_class == CLASS_FAST ? "fast" : "slow");
		for (int i = 0; i < p->nsignals; i++)
			if (pl->block_of[i] == b) {
				fputs(sep, stdout);
				ctl_json_string(p->signals[i].name);
				sep = ",";
			}
		printf("]}");
	}
	printf("]}");
	plan_free(pl);
}

int
ctl_plan(struct ctl *ctl, int argc, char **argv)
{
	const struct config *c;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: ventoctl plan [--json] [DEVICE...]\n"
		       "Prints the Modbus reads planned for each device "
		       "(default: all).\n");
		return CTL_OK;
	}
	if ((c = ctl_config(ctl)) == NULL)
		return CTL_FAIL;
	/* Every name is checked before anything is printed, so that --json
	 * never prints half a document. */
	for (int i = 1; i < argc; i++)
		if (cfg_find_device(c, argv[i]) == NULL) {
			fprintf(stderr,
			        "ventoctl: plan: no device '%s' in %s\n",
			        argv[i], c->file);
			return CTL_FAIL;
		}
	if (ctl->json)
		putchar('[');
	for (int i = 0; i < (argc == 1 ? c->ndevices : argc - 1); i++) {
		const struct device *d = argc == 1
		                             ? &c->devices[i]
		                             : cfg_find_device(c, argv[i + 1]);

		if (ctl->json) {
			if (i)
				putchar(',');
			ctl_plan_device_json(c, d);
		} else {
			if (i)
				putchar('\n');
			ctl_plan_device(c, d);
		}
	}
	if (ctl->json)
		puts("]");
	return CTL_OK;
}
