/* ctl_read.c - `ventoctl read DEVICE [SIGNAL...]`: a one-off diagnostic
 * read, each signal on its own request, printed decoded and raw. Reads
 * only, like everything in vento. */
#include <errno.h>
#include <inttypes.h>
#include <modbus.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "link.h"
#include "sample.h"

static int
ctl_read_signal(struct link *l, const struct device *d,
		const struct signal *s)
{
	static const char *const tables[] = {
		"", "coil", "discrete input", "holding register",
		"input register",
	};
	struct plan_block b = { .fc = s->fc,
				.address = s->address,
				.count = profile_signal_width(s) };
	uint16_t regs[4];
	int64_t iv;
	double fv;
	int quality;

	if (link_read(l, &b, regs, &quality) == -1) {
		printf("%s %s: %s %d: %s%s\n", d->name, s->name, tables[s->fc],
		       s->address + d->profile->address_base,
		       errno == EMBBADDATA ? "reply refused: " : "",
		       errno == EMBBADDATA ? link_last_mismatch(l)
					   : modbus_strerror(errno));
		return -1;
	}
	printf("%-18s ", s->name);
	if (profile_signal_decode(s, regs, &iv, &fv) == -1)
		printf("%-16s", errno == EDOM ? "not-a-number" : "out-of-range");
	else if (profile_signal_is_integer(s))
		printf("%-16" PRId64, iv);
	else
		printf("%-16.6g", fv);
	printf(" %-5s raw", s->unit);
	for (int i = 0; i < b.count; i++)
		printf("%c%04x", i ? ':' : ' ', regs[i]);
	/* A word order means nothing to a value of one register or bit. */
	printf("  (%s %d, %s%s%s)\n", tables[s->fc],
	       s->address + d->profile->address_base, regval_type_name(s->type),
	       b.count > 1 ? " " : "",
	       b.count > 1 ? regval_order_name(s->order) : "");
	return 0;
}

int
ctl_read(struct ctl *ctl, int argc, char **argv)
{
	const struct config *c;
	const struct device *d;
	struct link *l;
	int failed = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: ventoctl read DEVICE [SIGNAL...]\n"
		       "Reads signals of a device now and prints them decoded "
		       "and raw (hex).\n");
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if ((c = ctl_config(ctl)) == NULL)
		return CTL_FAIL;
	if ((d = cfg_find_device(c, argv[1])) == NULL) {
		fprintf(stderr, "ventoctl: read: no device '%s' in %s\n",
			argv[1], c->file);
		return CTL_FAIL;
	}
	for (int i = 2; i < argc; i++)
		if (profile_find_signal(d->profile, argv[i]) == NULL) {
			fprintf(stderr,
				"ventoctl: read: %s has no signal '%s' "
				"(profile %s)\n",
				d->name, argv[i], d->profile->name);
			return CTL_FAIL;
		}
	l = link_open(d, c->timeout);
	for (int i = 0; i < d->profile->nsignals; i++) {
		const struct signal *s = &d->profile->signals[i];
		int wanted = argc == 2;

		for (int k = 2; k < argc && !wanted; k++)
			wanted = strcmp(argv[k], s->name) == 0;
		if (wanted && s->fc == 0) {
			printf("%-18s (derived by plugin %s)\n", s->name,
			       d->profile->plugin);
			continue;
		}
		if (wanted && ctl_read_signal(l, d, s) == -1) {
			failed = 1;
			if (!link_is_up(l))
				break;
		}
	}
	link_close(l);
	return failed ? CTL_FAIL : CTL_OK;
}
