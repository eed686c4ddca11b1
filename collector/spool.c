/* spool.c - the on-disk queue between the pollers' queue and PostgreSQL.
 * Two threads use it: one appends (and syncs), the other reads and
 * acknowledges. A mutex guards the segment list; the append side's file
 * descriptor belongs to the appending thread alone, so that the sync of
 * each tick's record runs outside the lock and never holds up the reader
 * (only the rarer start of a new segment syncs under it).
 *
 * The spool is a directory of segment files, each named after the sequence
 * number of its first record (16 hex digits, ".seg"), plus "spool.id".
 * A record is a 20-byte header - magic, payload length, sequence number,
 * CRC-32C of length, sequence and payload - then the payload. Numbers are
 * little-endian. Segments are appended to until they reach a size, then a
 * new one starts; a segment is deleted whole once all its records are
 * acknowledged, or when the byte bound needs the room.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "crc32c.h"
#include "spool.h"
#include "xmalloc.h"

#define SPOOL_MAGIC 0x31505356u /* "VSP1" */
#define SPOOL_HEADER 20
#define SPOOL_MAX_RECORD (256u << 20)

struct spool_segment {
	uint64_t first_seq;
	uint64_t last_seq; /* first_seq - 1 while empty */
	uint64_t bytes;
};

struct spool {
	pthread_mutex_t lock;
	char *dir;
	uint64_t id;
	uint64_t max_bytes, segment_max;
	struct spool_segment *segs; /* oldest first; the last is appended to */
	int nsegs;
	int append_fd; /* the last segment's, or -1 */
	uint64_t next_seq;
	/* The reader's cursor: the record after rd_seq is at rd_off of the
	 * segment starting at rd_first. */
	uint64_t rd_first, rd_seq;
	uint64_t rd_off;
	int rd_fd;
	unsigned char *rd_buf;
	size_t rd_cap;
	struct spool_stats stats;
};

static void
spool_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
spool_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
spool_get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
spool_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
spool_segment_path(const struct spool *s, uint64_t first, char *buf,
		   size_t n)
{
	snprintf(buf, n, "%s/%016" PRIx64 ".seg", s->dir, first);
}

static uint32_t
spool_record_crc(const unsigned char *hdr, const void *payload, size_t len)
{
	return crc32c(crc32c(0, hdr + 4, 12), payload, len);
}

static int
spool_fsync_dir(const struct spool *s)
{
	int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Reads spool.id, or makes it. */
static int
spool_load_id(struct spool *s)
{
	char path[4096], buf[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/spool.id", s->dir);
	if ((f = fopen(path, "r")) != NULL) {
		int ok = fgets(buf, sizeof(buf), f) != NULL &&
			 sscanf(buf, "%" SCNx64, &s->id) == 1 && s->id != 0;

		fclose(f);
		if (ok)
			return 0;
		fprintf(stderr, "<4>%s: unreadable; the spool starts anew\n",
			path);
	}
	do {
		if (getrandom(&s->id, sizeof(s->id), 0) != sizeof(s->id))
			return -1;
	} while (s->id == 0);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "%016" PRIx64 "\n", s->id);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return spool_fsync_dir(s);
}

/*
 * Reads the header and payload of the record at off of fd into the reader's
 * buffer. Returns 1 when a whole, valid record is there, 0 when the file
 * ends or the record is damaged (*damaged then says which).
 */
static int
spool_read_record(struct spool *s, int fd, uint64_t off, uint64_t file_size,
		  uint64_t *seq, size_t *len, int *damaged)
{
	unsigned char hdr[SPOOL_HEADER];
	uint32_t n;

	*damaged = 0;
	if (off == file_size)
		return 0;
	*damaged = 1;
	if (file_size - off < SPOOL_HEADER ||
	    pread(fd, hdr, SPOOL_HEADER, (off_t)off) != SPOOL_HEADER)
		return 0;
	n = spool_get32(hdr + 4);
	if (spool_get32(hdr) != SPOOL_MAGIC || n > SPOOL_MAX_RECORD ||
	    file_size - off - SPOOL_HEADER < n)
		return 0;
	if (s->rd_cap < n + 1) {
		s->rd_cap = n + 1;
		s->rd_buf = xreallocarray(s->rd_buf, s->rd_cap, 1);
	}
	if (pread(fd, s->rd_buf, n, (off_t)(off + SPOOL_HEADER)) != (ssize_t)n ||
	    spool_record_crc(hdr, s->rd_buf, n) != spool_get32(hdr + 16))
		return 0;
	*seq = spool_get64(hdr + 8);
	*len = n;
	*damaged = 0;
	return 1;
}

/* Checks segment g record by record and cuts it at the first damage. */
static int
spool_scan_segment(struct spool *s, struct spool_segment *g, int newest)
{
	char path[4096];
	struct stat st;
	uint64_t off = 0, seq, expect = g->first_seq;
	size_t len;
	int fd, damaged;

	spool_segment_path(s, g->first_seq, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while (spool_read_record(s, fd, off, (uint64_t)st.st_size, &seq, &len,
				 &damaged) == 1 &&
	       seq == expect) {
		off += SPOOL_HEADER + len;
		expect++;
	}
	if (off < (uint64_t)st.st_size) {
		uint64_t cut = (uint64_t)st.st_size - off;

		if (newest) {
			s->stats.torn_bytes += cut;
			fprintf(stderr,
				"<4>%s: cut an unsynced tail of %" PRIu64
				" bytes at offset %" PRIu64 "\n",
				path, cut, off);
		} else {
			/* The records after the damage are unreadable: count
			 * them by the next segment's first number. */
			s->stats.corrupt_records += (g + 1)->first_seq - expect;
			fprintf(stderr,
				"<3>%s: damaged record at offset %" PRIu64
				": %" PRIu64 " records (%" PRIu64
				" bytes) lost\n",
				path, off, (g + 1)->first_seq - expect, cut);
		}
		if (ftruncate(fd, (off_t)off) == -1 || fsync(fd) == -1) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	g->last_seq = expect - 1;
	g->bytes = off;
	return 0;
}

static int
spool_segment_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct spool_segment *)a)->first_seq;
	uint64_t y = ((const struct spool_segment *)b)->first_seq;

	return x < y ? -1 : x > y;
}

static int
spool_list_segments(struct spool *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		uint64_t first;
		char tail[8];

		if (strlen(e->d_name) != 20 ||
		    sscanf(e->d_name, "%16" SCNx64 "%7s", &first, tail) != 2 ||
		    strcmp(tail, ".seg") != 0)
			continue;
		s->segs = xreallocarray(s->segs, (size_t)s->nsegs + 1,
					sizeof(*s->segs));
		s->segs[s->nsegs].first_seq = first;
		s->segs[s->nsegs].last_seq = first - 1;
		s->segs[s->nsegs].bytes = 0;
		s->nsegs++;
	}
	closedir(d);
	if (s->nsegs > 1)
		qsort(s->segs, (size_t)s->nsegs, sizeof(*s->segs),
		      spool_segment_cmp);
	return 0;
}

static void
spool_remove_segment(struct spool *s, int i)
{
	char path[4096];

	spool_segment_path(s, s->segs[i].first_seq, path, sizeof(path));
	unlink(path);
	s->stats.bytes -= s->segs[i].bytes;
	if (s->rd_fd != -1 && s->rd_first == s->segs[i].first_seq) {
		close(s->rd_fd);
		s->rd_fd = -1;
		s->rd_first = 0;
	}
	memmove(&s->segs[i], &s->segs[i + 1],
		(size_t)(s->nsegs - i - 1) * sizeof(*s->segs));
	s->nsegs--;
}

struct spool *
spool_open(const char *dir, uint64_t max_bytes)
{
	struct spool *s = xcalloc(1, sizeof(*s));
	int e;

	pthread_mutex_init(&s->lock, NULL);
	s->dir = xstrdup(dir);
	s->append_fd = s->rd_fd = -1;
	s->max_bytes = max_bytes;
	/* Eight or more segments under the bound, so that dropping one for
	 * room costs at most an eighth of the spool. */
	s->segment_max = max_bytes / 8;
	if (s->segment_max > (64u << 20))
		s->segment_max = 64u << 20;
	if (s->segment_max < 4096)
		s->segment_max = 4096;
	if ((mkdir(dir, 0750) == -1 && errno != EEXIST) ||
	    spool_load_id(s) == -1 || spool_list_segments(s) == -1)
		goto fail;
	for (int i = 0; i < s->nsegs; i++) {
		if (spool_scan_segment(s, &s->segs[i], i == s->nsegs - 1) == -1)
			goto fail;
		s->stats.bytes += s->segs[i].bytes;
	}
	/* Empty segments, damaged at their first record, hold nothing. */
	for (int i = 0; i < s->nsegs;)
		if (s->segs[i].bytes == 0)
			spool_remove_segment(s, i);
		else
			i++;
	s->next_seq = s->nsegs ? s->segs[s->nsegs - 1].last_seq + 1 : 1;
	return s;
fail:
	e = errno;
	spool_close(s);
	errno = e;
	return NULL;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->append_fd != -1)
		close(s->append_fd);
	if (s->rd_fd != -1)
		close(s->rd_fd);
	free(s->segs);
	free(s->rd_buf);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t
spool_id(const struct spool *s)
{
	return s->id;
}

/* Opens the last segment for appending, or starts a new one when it is
 * full or there is none. */
static int
spool_append_segment(struct spool *s)
{
	char path[4096];
	struct spool_segment *last = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;

	if (s->append_fd != -1 && last && last->bytes < s->segment_max)
		return 0;
	if (s->append_fd != -1) {
		if (fdatasync(s->append_fd) == -1)
			return -1;
		close(s->append_fd);
		s->append_fd = -1;
	}
	if (last && last->bytes < s->segment_max) {
		spool_segment_path(s, last->first_seq, path, sizeof(path));
		s->append_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		return s->append_fd == -1 ? -1 : 0;
	}
	spool_segment_path(s, s->next_seq, path, sizeof(path));
	s->append_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC |
					  O_CLOEXEC,
			    0640);
	if (s->append_fd == -1 || spool_fsync_dir(s) == -1)
		return -1;
	s->segs = xreallocarray(s->segs, (size_t)s->nsegs + 1,
				sizeof(*s->segs));
	s->segs[s->nsegs].first_seq = s->next_seq;
	s->segs[s->nsegs].last_seq = s->next_seq - 1;
	s->segs[s->nsegs].bytes = 0;
	s->nsegs++;
	return 0;
}

static int
spool_append_locked(struct spool *s, const void *data, size_t len,
		    uint64_t *seq)
{
	unsigned char hdr[SPOOL_HEADER];
	struct spool_segment *g;
	ssize_t w;

	if (len > SPOOL_MAX_RECORD) {
		errno = EMSGSIZE;
		return -1;
	}
	/* The bound: the oldest segments go first, never the one being
	 * appended to. */
	while (s->nsegs > 1 &&
	       s->stats.bytes + SPOOL_HEADER + len > s->max_bytes) {
		s->stats.dropped_records +=
			s->segs[0].last_seq - s->segs[0].first_seq + 1;
		s->stats.dropped_bytes += s->segs[0].bytes;
		spool_remove_segment(s, 0);
	}
	if (spool_append_segment(s) == -1)
		return -1;
	g = &s->segs[s->nsegs - 1];
	spool_put32(hdr, SPOOL_MAGIC);
	spool_put32(hdr + 4, (uint32_t)len);
	spool_put64(hdr + 8, s->next_seq);
	spool_put32(hdr + 16, spool_record_crc(hdr, data, len));
	{
		struct iovec iov[2] = {
			{ .iov_base = hdr, .iov_len = SPOOL_HEADER },
			{ .iov_base = (void *)(uintptr_t)data, .iov_len = len },
		};

		w = writev(s->append_fd, iov, 2);
	}
	if (w != (ssize_t)(SPOOL_HEADER + len)) {
		int e = w == -1 ? errno : ENOSPC;

		/* Cut a partial record, so the next append follows a whole
		 * one. */
		if (ftruncate(s->append_fd, (off_t)g->bytes) == -1)
			e = errno;
		errno = e;
		return -1;
	}
	g->bytes += SPOOL_HEADER + len;
	g->last_seq = s->next_seq;
	s->stats.bytes += SPOOL_HEADER + len;
	*seq = s->next_seq++;
	return 0;
}

int
spool_append(struct spool *s, const void *data, size_t len, uint64_t *seq)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = spool_append_locked(s, data, len, seq);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
spool_sync(struct spool *s)
{
	if (s->append_fd == -1)
		return 0;
	return fdatasync(s->append_fd);
}

static int
spool_next_locked(struct spool *s, uint64_t after, const void **data,
		  size_t *len, uint64_t *seq)
{
	int i = 0, damaged;
	uint64_t off = 0;

	while (i < s->nsegs && s->segs[i].last_seq <= after)
		i++;
	if (i == s->nsegs)
		return 0;
	/* Reading on from the cursor is the common case; anything else
	 * scans the segment from its start. */
	if (s->rd_fd != -1 && s->rd_first == s->segs[i].first_seq &&
	    s->rd_seq == after)
		off = s->rd_off;
	else if (s->rd_fd == -1 || s->rd_first != s->segs[i].first_seq) {
		char path[4096];

		if (s->rd_fd != -1)
			close(s->rd_fd);
		spool_segment_path(s, s->segs[i].first_seq, path,
				   sizeof(path));
		if ((s->rd_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
		s->rd_first = s->segs[i].first_seq;
	}
	for (;;) {
		if (spool_read_record(s, s->rd_fd, off, s->segs[i].bytes, seq,
				      len, &damaged) != 1) {
			errno = damaged ? EBADMSG : ENODATA;
			return -1;
		}
		off += SPOOL_HEADER + *len;
		if (*seq > after)
			break;
	}
	s->rd_seq = *seq;
	s->rd_off = off;
	*data = s->rd_buf;
	return 1;
}

int
spool_next(struct spool *s, uint64_t after, const void **data, size_t *len,
	   uint64_t *seq)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = spool_next_locked(s, after, data, len, seq);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
spool_ack(struct spool *s, uint64_t seq)
{
	pthread_mutex_lock(&s->lock);
	while (s->nsegs > 1 && s->segs[0].last_seq <= seq)
		spool_remove_segment(s, 0);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
spool_get_stats(struct spool *s, struct spool_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	st->first_seq = s->nsegs ? s->segs[0].first_seq : 0;
	st->last_seq = s->next_seq - 1;
	pthread_mutex_unlock(&s->lock);
}
