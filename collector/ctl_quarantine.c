/* ctl_quarantine.c - `ventoctl quarantine list|show|replay`: the spool
 * records the database refused as data, which ventod set aside in
 * state_dir/quarantine (SEQ.rec, the record's bytes, and SEQ.reason).
 * Once the cause is mended (a constraint, a column), replay stores them,
 * skipping rows stored already, and removes them; until then each is a
 * loss that status and check spool show. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "record.h"
#include "store.h"
#include "xmalloc.h"

static int
ctl_quarantine_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The quarantined records' names (SEQ.rec), sorted; NULL-terminated, or
 * NULL when there is no quarantine. The caller frees each and the array. */
static char **
ctl_quarantine_names(const char *state_dir, int *n)
{
	char path[4096];
	struct dirent *e;
	char **names = NULL;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "%s/quarantine", state_dir);
	if ((d = opendir(path)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".rec") != 0)
			continue;
		names = xreallocarray(names, (size_t)*n + 2, sizeof(*names));
		names[(*n)++] = xstrdup(e->d_name);
		names[*n] = NULL;
	}
	closedir(d);
	if (*n > 1)
		qsort(names, (size_t)*n, sizeof(*names), ctl_quarantine_cmp);
	return names;
}

static void
ctl_quarantine_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
ctl_quarantine_count(const char *state_dir)
{
	int n;
	char **names = ctl_quarantine_names(state_dir, &n);

	ctl_quarantine_free(names, n);
	return n;
}

/* Reads a whole file into a buffer the caller frees. NULL on error. */
static unsigned char *
ctl_quarantine_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, got;

	*len = 0;
	if (f == NULL)
		return NULL;
	do {
		cap = cap ? cap * 2 : 65536;
		buf = xreallocarray(buf, cap, 1);
		got = fread(buf + *len, 1, cap - *len, f);
		*len += got;
	} while (*len == cap);
	fclose(f);
	return buf;
}

/* The first line of SEQ.reason, or "-". */
static void
ctl_quarantine_reason(const char *dir, const char *name, char *out, size_t n)
{
	char path[4096 + 512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%.*s.reason", dir,
	         (int)(strlen(name) - 4), name);
	snprintf(out, n, "-");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(out, (int)n, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void
ctl_quarantine_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
ctl_quarantine_list(struct ctl *ctl, const char *dir)
{
	int n;
	char **names = ctl_quarantine_names(ctl->cfg->state_dir, &n);

	if (ctl->json)
		printf("[");
	else if (n == 0)
		printf("no quarantined records in %s\n", dir);
	else
		printf("%-16s %5s %-20s %s\n", "RECORD", "ROWS", "FIRST_TICK",
		       "REASON");
	for (int i = 0; i < n; i++) {
		char path[4096 + 512], reason[512], when[32] = "-";
		struct record rec;
		unsigned char *buf;
		size_t len;
		int rows = -1;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		buf = ctl_quarantine_read(path, &len);
		if (buf && record_decode(buf, len, &rec) == 0) {
			rows = rec.nrows;
			if (rec.nrows > 0)
				ctl_quarantine_time(rec.rows[0].tick_ms, when,
				                    sizeof(when));
			record_free(&rec);
		}
		free(buf);
		ctl_quarantine_reason(dir, names[i], reason, sizeof(reason));
		if (ctl->json) {
			printf("%s{\"record\":\"%.*s\",\"rows\":", i ? "," : "",
			       (int)(strlen(names[i]) - 4), names[i]);
			if (rows < 0)
				printf("null");
			else
				printf("%d", rows);
			printf(",\"first_tick\":");
			ctl_json_string(when);
			printf(",\"reason\":");
			ctl_json_string(reason);
			printf("}");
		} else {
			char nrows[16] = "?";

			if (rows >= 0)
				snprintf(nrows, sizeof(nrows), "%d", rows);
			printf("%-16.*s %5s %-20s %s\n",
			       (int)(strlen(names[i]) - 4), names[i], nrows,
			       when, reason);
		}
	}
	if (ctl->json)
		printf("]\n");
	ctl_quarantine_free(names, n);
	return CTL_OK;
}

/* The path of record SEQ (16 hex digits, or a number) in dir. */
#define CTL_QUARANTINE_PATH (4096 + 512)

static void
ctl_quarantine_path(const char *dir, const char *seq, char *out, size_t n)
{
	char *end;
	uint64_t v = strtoull(seq, &end, 16);

	snprintf(out, n, "%s/%016" PRIx64 ".rec", dir, *end ? 0 : v);
}

static int
ctl_quarantine_show(struct ctl *ctl, const char *dir, const char *seq)
{
	char path[CTL_QUARANTINE_PATH], reason[512], when[32];
	struct record rec;
	unsigned char *buf;
	size_t len;

	ctl_quarantine_path(dir, seq, path, sizeof(path));
	if ((buf = ctl_quarantine_read(path, &len)) == NULL) {
		fprintf(stderr, "ventoctl: quarantine: %s: %s\n", path,
		        strerror(errno));
		return CTL_FAIL;
	}
	ctl_quarantine_reason(dir, strrchr(path, '/') + 1, reason,
	                      sizeof(reason));
	if (record_decode(buf, len, &rec) == -1) {
		printf("record %s (%zu bytes): not a valid record; refused "
		       "for: %s\n",
		       seq, len, reason);
		free(buf);
		return CTL_FAIL;
	}
	free(buf);
	printf("# record %s: %d rows; refused for: %s\n", seq, rec.nrows,
	       reason);
	for (int i = 0; i < rec.nrows; i++) {
		const struct record_row *row = &rec.rows[i];

		ctl_quarantine_time(row->tick_ms, when, sizeof(when));
		printf("%s %s quality=%d", row->device, when, row->quality);
		for (int c = 0; c < rec.ncolumns; c++) {
			const struct record_value *v = &row->values[c];

			if (v->tag == RECORD_INT)
				printf(" %s=%" PRId64, rec.columns[c], v->iv);
			else if (v->tag == RECORD_FLOAT)
				printf(" %s=%.9g", rec.columns[c], v->fv);
		}
		printf("\n");
	}
	(void)ctl;
	record_free(&rec);
	return CTL_OK;
}

/* Stores one quarantined record; removes it when stored. Returns CTL_OK,
 * or CTL_FAIL after saying why. */
static int
ctl_quarantine_replay_one(struct store *st, const char *path)
{
	char reason[CTL_QUARANTINE_PATH + 16];
	struct record rec;
	unsigned char *buf;
	size_t len;
	long rows;
	const char *name = strrchr(path, '/') + 1;

	if ((buf = ctl_quarantine_read(path, &len)) == NULL) {
		fprintf(stderr, "ventoctl: quarantine: %s: %s\n", path,
		        strerror(errno));
		return CTL_FAIL;
	}
	if (record_decode(buf, len, &rec) == -1) {
		free(buf);
		fprintf(stderr,
		        "ventoctl: quarantine: %s is not a valid "
		        "record: it cannot be stored\n",
		        path);
		return CTL_FAIL;
	}
	free(buf);
	rows = store_insert(st, &rec);
	record_free(&rec);
	if (rows == -1) {
		fprintf(stderr,
		        "ventoctl: quarantine: record %.16s is still "
		        "refused: %s\n",
		        name, store_error(st));
		return CTL_FAIL;
	}
	printf("record %.16s: %ld rows stored, %ld stored already\n", name,
	       rows, store_duplicates(st));
	if (store_isolated(st) > 0) {
		/* Kept: a replay once the cause is mended stores the rest,
		 * and what is stored already is refused, not doubled. */
		printf("record %.16s: %ld rows of isolated devices not stored "
		       "(see above); it stays in quarantine\n",
		       name, store_isolated(st));
		return CTL_FAIL;
	}
	unlink(path);
	snprintf(reason, sizeof(reason), "%.*s.reason", (int)(strlen(path) - 4),
	         path);
	unlink(reason);
	return CTL_OK;
}

static int
ctl_quarantine_replay(struct ctl *ctl, const char *dir, int argc, char **argv)
{
	struct store *st = store_open(ctl->cfg);
	uint64_t acked;
	int rc = CTL_OK, n = 0;
	char **names = NULL;

	if (store_connect(st, 0, &acked) == -1) {
		fprintf(stderr, "ventoctl: quarantine replay: %s\n",
		        store_error(st));
		store_close(st);
		return CTL_FAIL;
	}
	if (argc == 0)
		names = ctl_quarantine_names(ctl->cfg->state_dir, &n);
	for (int i = 0; i < (argc ? argc : n); i++) {
		char path[CTL_QUARANTINE_PATH];

		if (argc)
			ctl_quarantine_path(dir, argv[i], path, sizeof(path));
		else
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ctl_quarantine_replay_one(st, path) != CTL_OK) {
			rc = CTL_FAIL;
			if (!store_is_up(st) || !store_error_is_data(st))
				break; /* the database, not the record */
		}
	}
	ctl_quarantine_free(names, n);
	store_close(st);
	return rc;
}

int
ctl_quarantine(struct ctl *ctl, int argc, char **argv)
{
	char dir[4096];

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "list") && strcmp(argv[1], "show") &&
	     strcmp(argv[1], "replay")) ||
	    (strcmp(argv[1], "show") == 0 && argc != 3)) {
		printf("usage: ventoctl quarantine list | show RECORD | replay "
		       "[RECORD...]\n"
		       "The spool records the database refused as data, set "
		       "aside in state_dir/quarantine:\n"
		       "  list    each record, its rows, first tick and "
		       "reason\n"
		       "  show    a record's rows\n"
		       "  replay  store them (all, or those named) once the "
		       "cause is mended;\n"
		       "          rows stored already are skipped; a record "
		       "stored is removed\n");
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if (ctl_config(ctl) == NULL)
		return CTL_FAIL;
	snprintf(dir, sizeof(dir), "%s/quarantine", ctl->cfg->state_dir);
	if (strcmp(argv[1], "list") == 0)
		return ctl_quarantine_list(ctl, dir);
	if (strcmp(argv[1], "show") == 0)
		return ctl_quarantine_show(ctl, dir, argv[2]);
	return ctl_quarantine_replay(ctl, dir, argc - 2, argv + 2);
}
