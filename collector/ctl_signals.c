/* ctl_signals.c - `ventoctl signals`: the signal catalogue, the names a
 * profile's signals may take, with type, unit and meaning. Needs neither
 * the configuration nor the database: it is what this version stores. */
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "ctl.h"

int
ctl_signals(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 1) {
		FILE *f = strcmp(argv[1], "--help") == 0 ? stdout : stderr;

		fprintf(f, "usage: ventoctl [--json] signals\n"
			   "  the signals this version stores (raw_sample's "
			   "columns): name, type, unit, meaning\n");
		return f == stdout ? CTL_OK : CTL_USAGE;
	}
	if (ctl->json) {
		printf("[");
		for (int i = 0; i < catalogue_count(); i++) {
			const struct catalogue_signal *s = catalogue_at(i);

			printf("%s{\"name\":", i ? "," : "");
			ctl_json_string(s->name);
			printf(",\"type\":");
			ctl_json_string(s->type);
			printf(",\"unit\":");
			ctl_json_string(s->unit);
			printf(",\"meaning\":");
			ctl_json_string(s->meaning);
			printf("}");
		}
		printf("]\n");
		return CTL_OK;
	}
	printf("%-18s %-8s %-6s %s\n", "SIGNAL", "TYPE", "UNIT", "MEANING");
	for (int i = 0; i < catalogue_count(); i++) {
		const struct catalogue_signal *s = catalogue_at(i);

		printf("%-18s %-8s %-6s %s\n", s->name, s->type,
		       s->unit[0] ? s->unit : "-", s->meaning);
	}
	return CTL_OK;
}
