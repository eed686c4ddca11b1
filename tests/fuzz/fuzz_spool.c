/* fuzz_spool.c - the spool read back from disk (collector/spool.c) and
 * each record in it decoded (collector/record.c), as ventod does after a
 * crash: whatever the segment files hold, opening cuts or counts the
 * damage and reading yields whole records only.
 *
 * The first byte chooses how the rest becomes segment files. Even: the
 * bytes are one segment as they are (damage of every kind, rarely a valid
 * record, whose checksum a mutation cannot find). Odd: they are chunks
 * "LEN(2, little-endian) FLAGS PAYLOAD[LEN]" made into records with a valid
 * header and checksum, so that the fuzzer reaches the record decoder through
 * the spool; FLAGS bit 0 skips a sequence number, bit 1 spoils the checksum,
 * bit 2 starts a new segment at this record, named after it or, with bit
 * 3, after a number two lower (overlapping segments, as damage to a
 * directory could leave them). In framed inputs, bit 1 of the first byte
 * gives each segment the header of the current format (its spool's id and
 * first number), bit 2 with another spool's id (set aside at open). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "fuzz.h"
#include "record.h"
#include "spool.h"

/* As spool.c writes them. */
#define FUZZ_SPOOL_MAGIC 0x31505356u     /* "VSP1", a record */
#define FUZZ_SPOOL_SEG_MAGIC 0x32475356u /* "VSG2", a segment */
#define FUZZ_SPOOL_ID 0xa1u              /* what spool.id says */

static char fuzz_dir[256];

static void
fuzz_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
fuzz_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fuzz_spool_clear(const char *dir);

/* The directory goes when the fuzzer ends; after a crash,
 * tests/fuzz/run removes it. */
static void
fuzz_spool_cleanup(void)
{
	char path[300];

	fuzz_spool_clear(fuzz_dir);
	snprintf(path, sizeof(path), "%s/spool.id", fuzz_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/set-aside", fuzz_dir);
	rmdir(path);
	rmdir(fuzz_dir);
}

/* A directory of our own, on tmpfs when there is one: every input
 * rewrites it, and spool.c syncs. Named after the process, so that
 * tests/fuzz/run can remove what a crash left. */
static const char *
fuzz_spool_dir(void)
{
	FILE *f;
	char path[300];

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/vento-fuzz-spool.%d",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	         (int)getpid());
	if (mkdir(fuzz_dir, 0700) == -1 && errno != EEXIST)
		abort();
	/* The identity, so that opening does not make and sync one. */
	snprintf(path, sizeof(path), "%s/spool.id", fuzz_dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "%016x\n", FUZZ_SPOOL_ID);
	fclose(f);
	atexit(fuzz_spool_cleanup);
	return fuzz_dir;
}

/* Removes the segments of dir, and those set aside in dir/set-aside. */
static void
fuzz_spool_clear(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".seg") != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	snprintf(path, sizeof(path), "%s/set-aside", dir);
	if (strstr(dir, "/set-aside") == NULL && access(path, F_OK) == 0)
		fuzz_spool_clear(path);
}

/* A segment file named after first; with a header of the current format
 * when mode says so. */
static FILE *
fuzz_segment(const char *dir, uint64_t first, int mode)
{
	char path[600];
	uint8_t h[32] = {0};
	FILE *f;

	snprintf(path, sizeof(path), "%s/%016llx.seg", dir,
	         (unsigned long long)first);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (mode & 6) {
		fuzz_put32(h, FUZZ_SPOOL_SEG_MAGIC);
		fuzz_put64(h + 8, mode & 4 ? FUZZ_SPOOL_ID + 1 : FUZZ_SPOOL_ID);
		fuzz_put64(h + 16, first);
		fuzz_put32(h + 4, crc32c(0, h + 8, sizeof(h) - 8));
		fwrite(h, 1, sizeof(h), f);
	}
	return f;
}

/* Odd inputs: chunks made into checksummed records. Returns the bytes
 * written. */
static size_t
fuzz_spool_framed(const char *dir, int mode, const uint8_t *p, size_t n)
{
	uint64_t seq = 1;
	size_t written = 0;
	FILE *f = fuzz_segment(dir, seq, mode);

	while (n >= 3) {
		size_t len = (size_t)p[0] | (size_t)p[1] << 8, flags = p[2];
		uint8_t hdr[20];

		p += 3, n -= 3;
		if (len > n)
			len = n;
		seq += flags & 1;
		if ((flags & 4) && ftell(f) > 0) {
			fclose(f);
			f = fuzz_segment(
			    dir, (flags & 8) && seq > 2 ? seq - 2 : seq, mode);
		}
		fuzz_put32(hdr, FUZZ_SPOOL_MAGIC);
		fuzz_put32(hdr + 4, (uint32_t)len);
		fuzz_put64(hdr + 8, seq);
		fuzz_put32(hdr + 16, crc32c(crc32c(0, hdr + 4, 12), p, len) ^
		                         (uint32_t)((flags >> 1) & 1));
		fwrite(hdr, 1, sizeof(hdr), f);
		fwrite(p, 1, len, f);
		written += sizeof(hdr) + len;
		p += len, n -= len;
		seq++;
	}
	fclose(f);
	return written;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_spool_dir();
	struct spool *s;
	struct spool_stats st;
	const void *rec;
	size_t len;
	uint64_t seq, after = 0;
	size_t written = size - 1;
	int n = 0;

	if (size < 1)
		return 0;
	fuzz_spool_clear(dir);
	if (data[0] & 1) {
		written = fuzz_spool_framed(dir, data[0], data + 1, size - 1);
	} else {
		FILE *f = fuzz_segment(dir, 1, 0);

		fwrite(data + 1, 1, size - 1, f);
		fclose(f);
	}
	/* What opening prints about damage is its job, not news here. */
	if ((s = spool_open(dir, 1 << 20)) == NULL)
		abort();
	while (n++ < 1000 && spool_next(s, after, &rec, &len, &seq) == 1) {
		struct record r;

		if (seq <= after)
			abort(); /* numbers only go up */
		if (record_decode(rec, len, &r) == 0)
			record_free(&r);
		after = seq;
	}
	spool_get_stats(s, &st);
	/* Never more lost than there was: a record takes 20 bytes at least,
	 * and each chunk skips at most one number. */
	if (st.corrupt_records > 2 * (written / 20 + 1) ||
	    st.torn_bytes > written)
		abort();
	/* One more record after whatever was found, synced (the reader gets
	 * synced records only), and read back. */
	if (spool_append(s, "x", 1, &seq) == 0 && spool_sync(s) == 0 &&
	    (spool_next(s, seq - 1, &rec, &len, &seq) != 1 || len != 1 ||
	     memcmp(rec, "x", 1) != 0))
		abort();
	spool_close(s);
	return 0;
}
