/* ctl_signals.c - `ventoctl signals`: the signal catalogue, the names a
 * profile's signals may take, with type, unit and meaning, and then the
 * site's custom signals that the configuration's profiles declare. Needs
 * no database, and the configuration only for the custom signals. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "catalogue.h"
#include "ctl.h"
#include "profile.h"

/* Calls f for each custom signal of the configuration, once per name. */
static void
ctl_signals_custom(struct ctl *ctl,
		   void (*f)(const struct profile *, const struct signal *, int),
		   int *n)
{
	const struct config *c;

	if (access(ctl->conf_path, R_OK) == -1 || (c = ctl_config(ctl)) == NULL)
		return;
	for (int p = 0; p < c->nprofiles; p++)
		for (int i = 0; i < c->profiles[p]->nsignals; i++) {
			const struct signal *s = &c->profiles[p]->signals[i];
			int seen = 0;

			for (int q = 0; q < p && !seen; q++)
				seen = profile_find_signal(c->profiles[q],
							   s->name) != NULL;
			if (s->custom && !seen)
				f(c->profiles[p], s, (*n)++);
		}
}

static const char *
ctl_signals_type(const struct signal *s)
{
	return profile_signal_is_integer(s) ? "bigint" : "real";
}

static void
ctl_signals_custom_json(const struct profile *p, const struct signal *s, int n)
{
	(void)n;
	printf(",{\"name\":");
	ctl_json_string(s->name);
	printf(",\"type\":\"%s\",\"unit\":", ctl_signals_type(s));
	ctl_json_string(s->unit);
	printf(",\"meaning\":\"custom\",\"custom\":true,\"profile\":");
	ctl_json_string(p->name);
	printf("}");
}

static void
ctl_signals_custom_line(const struct profile *p, const struct signal *s, int n)
{
	if (n == 0)
		printf("custom signals of this site (x_..., a column each by "
		       "ventoctl migrate):\n");
	printf("%-18s %-8s %-6s custom, profile %s\n", s->name,
	       ctl_signals_type(s), s->unit[0] ? s->unit : "-", p->name);
}

int
ctl_signals(struct ctl *ctl, int argc, char **argv)
{
	int n = 0;

	if (argc > 1) {
		FILE *f = strcmp(argv[1], "--help") == 0 ? stdout : stderr;

		fprintf(f, "usage: ventoctl [--json] signals\n"
			   "  the signals this version stores (raw_sample's "
			   "columns): name, type, unit, meaning; then the "
			   "custom signals of the configuration's profiles\n");
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
		ctl_signals_custom(ctl, ctl_signals_custom_json, &n);
		printf("]\n");
		return CTL_OK;
	}
	printf("%-18s %-8s %-6s %s\n", "SIGNAL", "TYPE", "UNIT", "MEANING");
	for (int i = 0; i < catalogue_count(); i++) {
		const struct catalogue_signal *s = catalogue_at(i);

		printf("%-18s %-8s %-6s %s\n", s->name, s->type,
		       s->unit[0] ? s->unit : "-", s->meaning);
	}
	ctl_signals_custom(ctl, ctl_signals_custom_line, &n);
	return CTL_OK;
}
