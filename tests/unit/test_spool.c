/* test_spool.c - the disk spool: order, persistence, acknowledgement, the
 * byte bound, a torn tail and a damaged record. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../collector/crc32c.c"
#include "../../collector/spool.c"
#include "../../collector/xmalloc.c"
#include "tap.h"

static char dir[] = "/tmp/vento-test-spool.XXXXXX";

/* Record i's payload: its number and a length that varies with it. */
static size_t
payload(uint64_t i, unsigned char *buf)
{
	size_t n = 8 + (i * 37) % 300;

	for (size_t k = 0; k < n; k++)
		buf[k] = (unsigned char)(i + k);
	memcpy(buf, &i, sizeof(i));
	return n;
}

/* Reads every record after `after`; checks each is the payload of its
 * number. Returns how many, or -1 on a wrong one. */
static long
read_all(struct spool *s, uint64_t after, uint64_t *first, uint64_t *last)
{
	const void *data;
	size_t len;
	uint64_t seq;
	long n = 0;
	unsigned char want[512];
	int r;

	*first = *last = 0;
	while ((r = spool_next(s, after, &data, &len, &seq)) == 1) {
		if (payload(seq, want) != len || memcmp(want, data, len) != 0)
			return -1;
		if (n == 0)
			*first = seq;
		*last = after = seq;
		n++;
	}
	return r == 0 ? n : -1;
}

static char *
segment(int which)
{
	static char path[600];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), k = 0;

	path[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, ".seg") && k++ == which)
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return path;
}

int
main(void)
{
	unsigned char buf[512];
	struct spool *s;
	struct spool_stats st;
	uint64_t seq, first, last, id;
	long n;
	int fails = 0;

	if (mkdtemp(dir) == NULL)
		return 1;

	s = spool_open(dir, 1 << 20);
	ok(s != NULL, "a new spool opens");
	id = spool_id(s);
	ok(id != 0, "it has an identity");
	for (uint64_t i = 1; i <= 100; i++) {
		size_t len = payload(i, buf);

		fails += spool_append(s, buf, len, &seq) != 0 || seq != i;
	}
	ok(fails == 0, "100 appends numbered 1..100");
	ok(spool_sync(s) == 0, "sync");
	n = read_all(s, 0, &first, &last);
	ok(n == 100 && first == 1 && last == 100, "all 100 read back in order (%ld)", n);
	n = read_all(s, 57, &first, &last);
	ok(n == 43 && first == 58, "reading after 57 starts at 58");
	spool_close(s);

	s = spool_open(dir, 1 << 20);
	ok(s && spool_id(s) == id, "reopened with the same identity");
	n = read_all(s, 50, &first, &last);
	ok(n == 50 && first == 51 && last == 100, "records survive a reopen");
	spool_append(s, buf, payload(101, buf), &seq);
	ok(seq == 101, "numbering goes on after a reopen");
	spool_close(s);

	/* A torn tail: the last record half written. */
	{
		char *path = segment(0);
		int fd = open(path, O_WRONLY);
		off_t end = lseek(fd, 0, SEEK_END);

		ok(ftruncate(fd, end - 5) == 0, "tail of %s torn", path);
		close(fd);
	}
	s = spool_open(dir, 1 << 20);
	spool_get_stats(s, &st);
	ok(st.torn_bytes > 0, "the torn tail is counted (%llu bytes)",
	   (unsigned long long)st.torn_bytes);
	n = read_all(s, 0, &first, &last);
	ok(n == 100 && last == 100, "only the torn record is gone");
	spool_append(s, buf, payload(101, buf), &seq);
	ok(seq == 101, "the torn number is reused");
	ok(read_all(s, 100, &first, &last) == 0,
	   "an appended record is not read before it is synced");
	spool_sync(s);
	n = read_all(s, 0, &first, &last);
	ok(n == 101, "and reads back whole");
	spool_close(s);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -f %s/*.seg", dir);
		ok(system(cmd) == 0, "spool emptied");
	}

	/* The bound: 64 KiB, segments of 8 KiB. */
	s = spool_open(dir, 64 << 10);
	for (uint64_t i = 1; i <= 2000; i++)
		spool_append(s, buf, payload(i, buf), &seq);
	spool_sync(s);
	spool_get_stats(s, &st);
	ok(st.bytes <= 64 << 10, "the spool stays under its bound (%llu)",
	   (unsigned long long)st.bytes);
	ok(st.dropped_records > 0 && st.first_seq == st.dropped_records + 1,
	   "the oldest records were dropped and counted (%llu)",
	   (unsigned long long)st.dropped_records);
	n = read_all(s, 0, &first, &last);
	ok(n > 0 && first == st.first_seq && last == 2000 &&
		   (uint64_t)n == 2000 - st.dropped_records,
	   "what is kept is the newest, without holes (%ld)", n);

	/* Acknowledging frees whole segments. */
	spool_ack(s, 1900);
	spool_get_stats(s, &st);
	ok(st.first_seq > 1000 && st.first_seq <= 1901,
	   "ack frees the segments before 1900 (first now %llu)",
	   (unsigned long long)st.first_seq);
	n = read_all(s, 1900, &first, &last);
	ok(n == 100 && first == 1901, "records after the ack remain");
	spool_close(s);

	/* A damaged record in an older segment: that segment ends there,
	 * the later ones are intact. */
	{
		char *path = segment(0);
		int fd = open(path, O_RDWR);
		unsigned char x = 0xff;

		ok(pwrite(fd, &x, 1, 100) == 1, "a byte of %s damaged", path);
		close(fd);
	}
	s = spool_open(dir, 64 << 10);
	spool_get_stats(s, &st);
	ok(st.corrupt_records > 0, "the damaged records are counted (%llu)",
	   (unsigned long long)st.corrupt_records);
	n = read_all(s, 0, &first, &last);
	ok(n > 0 && last == 2000, "reading skips the damage and goes on to 2000");
	spool_close(s);

	/* Garbage where a segment should be. */
	{
		char path[600];
		FILE *f;

		snprintf(path, sizeof(path), "%s/00000000000fffff.seg", dir);
		f = fopen(path, "w");
		fputs("this is not a spool segment at all", f);
		fclose(f);
	}
	s = spool_open(dir, 64 << 10);
	ok(s != NULL, "a garbage segment does not stop the spool");
	n = read_all(s, 0, &first, &last);
	ok(n > 0 && last == 2000, "the good records still read");
	spool_append(s, buf, payload(2001, buf), &seq);
	ok(seq == 2001, "appending goes on at 2001");
	spool_close(s);

	/* Identity and numbering: 25 records, all stored, then the first
	 * one damaged and spool.id made unreadable. */
	{
		char cmd[600];
		uint64_t dropped, damaged;
		FILE *f;

		snprintf(cmd, sizeof(cmd), "rm -rf %s/*.seg %s/spool.id %s/set-aside",
			 dir, dir, dir);
		ok(system(cmd) == 0, "spool emptied again");
		s = spool_open(dir, 1 << 20);
		id = spool_id(s);
		for (uint64_t i = 1; i <= 25; i++)
			spool_append(s, buf, payload(i, buf), &seq);
		spool_sync(s);
		spool_ack(s, 25);
		spool_close(s);
		{
			int fd = open(segment(0), O_RDWR);
			unsigned char x = 0xff;

			ok(pwrite(fd, &x, 1, 32 + 25) == 1,
			   "the first record of the only segment damaged");
			close(fd);
		}
		snprintf(cmd, sizeof(cmd), "%s/spool.id", dir);
		f = fopen(cmd, "w");
		fputs("garbage\n", f);
		fclose(f);
		s = spool_open(dir, 1 << 20);
		ok(s && spool_id(s) == id,
		   "an unreadable spool.id is taken from the segments");
		spool_append(s, buf, payload(26, buf), &seq);
		ok(seq == 26, "numbering goes on at 26, not 1 (%llu)",
		   (unsigned long long)seq);
		spool_sync(s);
		n = read_all(s, 0, &first, &last);
		ok(n == 25 && first == 2 && last == 26,
		   "the records after the damage are kept (%ld, %llu..%llu)",
		   n, (unsigned long long)first, (unsigned long long)last);
		spool_take_gap(s, 1, 1, &dropped, &damaged);
		ok(dropped == 0 && damaged == 1, "the damaged one is a hole");
		spool_close(s);

		/* The bound, with 100 of the records stored: only those
		 * not stored count as lost. */
		snprintf(cmd, sizeof(cmd), "rm -rf %s/*.seg", dir);
		ok(system(cmd) == 0, "spool emptied once more");
		s = spool_open(dir, 64 << 10);
		for (uint64_t i = 1; i <= 200; i++)
			spool_append(s, buf, payload(i, buf), &seq);
		spool_ack(s, 100);
		for (uint64_t i = 201; i <= 2000; i++)
			spool_append(s, buf, payload(i, buf), &seq);
		spool_sync(s);
		spool_get_stats(s, &st);
		spool_take_gap(s, 101, st.first_seq - 1, &dropped, &damaged);
		ok(dropped == st.first_seq - 101 && damaged == 0,
		   "the gap after the stored records is what the bound "
		   "dropped (%llu)", (unsigned long long)dropped);
		spool_get_stats(s, &st);
		ok(st.dropped_records == 0, "and it is taken once");
		spool_close(s);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done();
}
