/* spoolgen.c - writes a backlog into a spool, as a ventod would have while
 * the database was away: one record per tick for every device of a
 * configuration, SECONDS ticks ending a minute ago. For the backfill
 * benchmark: `spoolgen CONF SECONDS`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cfg.h"
#include "record.h"
#include "spool.h"
#include "xmalloc.h"

int
main(int argc, char **argv)
{
	struct config *c;
	struct spool *sp;
	char dir[4096];
	long seconds;
	int64_t end;

	if (argc != 3 || (seconds = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: spoolgen CONF SECONDS\n");
		return 2;
	}
	if ((c = cfg_load(argv[1])) == NULL)
		return 1;
	mkdir(c->state_dir, 0750);
	snprintf(dir, sizeof(dir), "%s/spool", c->state_dir);
	if ((sp = spool_open(dir, c->spool_max_bytes)) == NULL) {
		perror(dir);
		return 1;
	}
	end = ((int64_t)time(NULL) - 60) * 1000;
	for (long t = 0; t < seconds; t++) {
		struct sample *list = NULL;
		unsigned char *buf;
		size_t len;
		uint64_t seq;

		for (int d = c->ndevices - 1; d >= 0; d--) {
			const struct profile *p = c->devices[d].profile;
			struct sample *s = xcalloc(1, sizeof(*s) +
				(size_t)p->nsignals * sizeof(s->values[0]));

			s->tick_ms = end - (seconds - t) * 1000;
			s->device = d;
			s->nvalues = p->nsignals;
			for (int i = 0; i < p->nsignals; i++) {
				const char *name = p->signals[i].name;

				/* Plausible values: a producing state, counters
				 * that rise, measurements that vary. */
				s->values[i].valid = 1;
				s->values[i].iv = strcmp(name, "wtur_turst") == 0
							  ? 2
							  : 1000000 + t * 1250 + d;
				s->values[i].fv = (double)((t * 7 + d * 13 + i) % 4500) / 3.0;
			}
			s->next = list;
			list = s;
		}
		buf = record_encode(c, list, &len);
		if (spool_append(sp, buf, len, &seq) == -1) {
			perror("spool_append");
			return 1;
		}
		free(buf);
		while (list) {
			struct sample *next = list->next;

			free(list);
			list = next;
		}
	}
	spool_sync(sp);
	spool_close(sp);
	cfg_free(c);
	return 0;
}
