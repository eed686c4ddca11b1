/* spool.c - the on-disk queue between the pollers' queue and PostgreSQL.
 * Two threads use it: one appends (and syncs), the other reads and
 * acknowledges. A mutex guards the segment list; the append side's file
 * descriptor belongs to the appending thread alone, so that the sync of
 * each tick's record runs outside the lock and never holds up the reader
 * (only the rarer start of a new segment syncs under it).
 *
 * The spool is a directory of segment files, each named after the sequence
 * number of its first record (16 hex digits, ".seg"), plus "spool.id".
 * A segment starts with a 32-byte header - magic, CRC-32C of the rest, the
 * spool's id, the first sequence number - so that every segment says which
 * spool it belongs to (segments of older versions have none, and are read
 * as they are). A record is a 20-byte header - magic, payload length,
 * sequence number, CRC-32C of length, sequence and payload - then the
 * payload. Numbers are little-endian. Segments are appended to until they
 * reach a size, then a new one starts; a segment is deleted whole once all
 * its records are acknowledged, or when the byte bound needs the room.
 *
 * Sequence numbers are never used twice for records that may have been
 * stored: the newest segment is kept, empty if need be, so that its name
 * carries the numbering across restarts; a damaged record is cut out and
 * the records after it kept, never renumbered; and the reader is given only
 * synced records, so that a torn tail (whose numbers are used again) was
 * never stored. Numbers missing from the spool - dropped at the bound,
 * damaged - are remembered as holes, so that the reader, finding a gap
 * before its next record, can say exactly what it lost and why.
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
#define SPOOL_SEG_MAGIC 0x32475356u /* "VSG2" */
#define SPOOL_SEG_HEADER 32
#define SPOOL_MAX_RECORD (256u << 20)

struct spool_segment {
	uint64_t first_seq;
	uint64_t last_seq; /* first_seq - 1 while empty */
	uint64_t bytes;	   /* records' bytes, the header's not included */
	uint64_t hdr;	   /* SPOOL_SEG_HEADER, or 0 in an older segment */
	int named;	   /* its header is whole: it carries the numbering */
};

/* Sequence numbers missing from the spool, and why. */
struct spool_hole {
	uint64_t first, last;
	enum spool_loss kind;
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
	uint64_t synced_seq; /* the reader sees records up to this one */
	uint64_t acked;	     /* the last spool_ack */
	int full;	     /* an append found no room on the disk */
	struct spool_hole *holes;
	int nholes;
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

/* Writes spool.id. */
static int
spool_write_id(struct spool *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/spool.id", s->dir);
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

/* Reads spool.id into s->id; 0 when it is not there or unreadable. */
static void
spool_read_id(struct spool *s)
{
	char path[4096], buf[32];
	FILE *f;

	s->id = 0;
	snprintf(path, sizeof(path), "%s/spool.id", s->dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, sizeof(buf), f) == NULL ||
	    sscanf(buf, "%" SCNx64, &s->id) != 1)
		s->id = 0;
	fclose(f);
	if (s->id == 0)
		fprintf(stderr, "<4>%s: unreadable\n", path);
}

static void
spool_make_seg_header(const struct spool *s, uint64_t first,
		      unsigned char *h)
{
	memset(h, 0, SPOOL_SEG_HEADER);
	spool_put32(h, SPOOL_SEG_MAGIC);
	spool_put64(h + 8, s->id);
	spool_put64(h + 16, first);
	spool_put32(h + 4, crc32c(0, h + 8, SPOOL_SEG_HEADER - 8));
}

/*
 * Reads the header of segment g: 1 with *id set when it has a valid one,
 * 0 when it is an older segment (it starts with a record), -1 when neither
 * (damaged, or not a segment).
 */
static int
spool_read_seg_header(struct spool *s, const struct spool_segment *g,
		      uint64_t *id)
{
	unsigned char h[SPOOL_SEG_HEADER];
	char path[4096];
	ssize_t n;
	int fd;

	spool_segment_path(s, g->first_seq, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n >= 4 && spool_get32(h) == SPOOL_MAGIC)
		return 0;
	if (n != SPOOL_SEG_HEADER || spool_get32(h) != SPOOL_SEG_MAGIC ||
	    spool_get32(h + 4) != crc32c(0, h + 8, SPOOL_SEG_HEADER - 8) ||
	    spool_get64(h + 16) != g->first_seq)
		return -1;
	*id = spool_get64(h + 8);
	return 1;
}

/* Moves segment i out of the spool, into dir/set-aside/, where nothing
 * reads it: for a segment whose records may belong to another spool. */
static void
spool_set_aside(struct spool *s, int i, const char *why)
{
	char from[4096], to[4096];

	spool_segment_path(s, s->segs[i].first_seq, from, sizeof(from));
	snprintf(to, sizeof(to), "%s/set-aside", s->dir);
	mkdir(to, 0750);
	snprintf(to, sizeof(to), "%s/set-aside/%016" PRIx64 ".seg", s->dir,
		 s->segs[i].first_seq);
	if (rename(from, to) == 0)
		fprintf(stderr,
			"<3>%s: %s; set aside in %s, not replayed\n", from,
			why, to);
	s->segs[i].bytes = 0;
	memmove(&s->segs[i], &s->segs[i + 1],
		(size_t)(s->nsegs - i - 1) * sizeof(*s->segs));
	s->nsegs--;
}

/*
 * The spool's identity: spool.id, or when that is unreadable the id its
 * segments carry, so that what they hold is never replayed under a new
 * identity (whose position the database does not know: every row would
 * go again). Segments of another spool, and headerless ones when the id is
 * not known, are set aside. A new id is made only for a spool with nothing
 * in it.
 */
static int
spool_load_id(struct spool *s)
{
	uint64_t id;

	spool_read_id(s);
	if (s->id == 0) {
		for (int i = s->nsegs - 1; i >= 0 && s->id == 0; i--)
			if (spool_read_seg_header(s, &s->segs[i], &id) == 1)
				s->id = id;
		if (s->id != 0) {
			fprintf(stderr,
				"<4>%s/spool.id: the spool's id %016" PRIx64
				" is taken from its segments\n",
				s->dir, s->id);
			if (spool_write_id(s) == -1)
				return -1;
		}
	}
	for (int i = 0; i < s->nsegs;) {
		int r = spool_read_seg_header(s, &s->segs[i], &id);

		if (r == 1 && s->id != 0 && id != s->id)
			spool_set_aside(s, i, "a segment of another spool");
		else if (r == 0 && s->id == 0)
			spool_set_aside(s, i, "a segment of a spool whose id "
					      "is lost");
		else {
			/* A damaged header is read past: its records
			 * say what they are. */
			s->segs[i].hdr = r == 0 ? 0 : SPOOL_SEG_HEADER;
			s->segs[i].named = r == 1;
			i++;
		}
	}
	if (s->id != 0)
		return 0;
	do {
		if (getrandom(&s->id, sizeof(s->id), 0) != sizeof(s->id))
			return -1;
	} while (s->id == 0);
	return spool_write_id(s);
}

/*
 * Checks the record at off of a buffer of n bytes: 1 when a whole, valid
 * record is there (its sequence number in *seq, payload length in *len),
 * else 0.
 */
static int
spool_check_record(const unsigned char *b, size_t n, size_t off,
		   uint64_t *seq, size_t *len)
{
	uint32_t l;

	if (n - off < SPOOL_HEADER || spool_get32(b + off) != SPOOL_MAGIC)
		return 0;
	l = spool_get32(b + off + 4);
	if (l > SPOOL_MAX_RECORD || n - off - SPOOL_HEADER < l ||
	    spool_record_crc(b + off, b + off + SPOOL_HEADER, l) !=
		    spool_get32(b + off + 16))
		return 0;
	*seq = spool_get64(b + off + 8);
	*len = l;
	return 1;
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

/* Remembers that first..last are missing, and why. */
static void
spool_add_hole(struct spool *s, uint64_t first, uint64_t last,
	       enum spool_loss kind)
{
	if (first <= s->acked)
		first = s->acked + 1; /* stored already: not lost */
	if (last < first)
		return;
	s->holes = xreallocarray(s->holes, (size_t)s->nholes + 1,
				 sizeof(*s->holes));
	s->holes[s->nholes].first = first;
	s->holes[s->nholes].last = last;
	s->holes[s->nholes].kind = kind;
	s->nholes++;
}

/* Makes segment file first with its header and the bytes given. */
static int
spool_write_segment(struct spool *s, uint64_t first, const void *data,
		    size_t len)
{
	unsigned char h[SPOOL_SEG_HEADER];
	char path[4096];
	int fd;

	spool_make_seg_header(s, first, h);
	spool_segment_path(s, first, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (write(fd, h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (len && write(fd, data, len) != (ssize_t)len) || fsync(fd) == -1) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	close(fd);
	return spool_fsync_dir(s);
}

/*
 * Checks segment i record by record. At damage, the rest of the segment is
 * searched for the next whole record: when there is one, the damaged
 * records are cut out (the rest becomes a segment of its own) and
 * remembered as a hole; when there is none, the newest segment's tail is
 * an append cut short (it was never synced, so never stored) and an older
 * segment's lost tail is a hole. Returns 0 or -1.
 */
static int
spool_scan_segment(struct spool *s, int i)
{
	struct spool_segment *g = &s->segs[i];
	int newest = i == s->nsegs - 1;
	char path[4096];
	struct stat st;
	uint64_t off = g->hdr, seq, expect = g->first_seq;
	size_t len;
	int fd, damaged;

	spool_segment_path(s, g->first_seq, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size < off)
		off = g->hdr = 0;
	/* A record numbered at or past the next segment's name is damage
	 * too (a damaged directory's overlapping segments): kept, it would
	 * be read twice, and its number given out again. */
	while (spool_read_record(s, fd, off, (uint64_t)st.st_size, &seq, &len,
				 &damaged) == 1 &&
	       seq == expect && (newest || seq < (g + 1)->first_seq)) {
		off += SPOOL_HEADER + len;
		expect++;
	}
	if (off < (uint64_t)st.st_size) {
		uint64_t cut = (uint64_t)st.st_size - off, found = 0;
		size_t rest = (size_t)cut, at = 0;
		unsigned char *b = xmalloc(rest ? rest : 1);

		/* Damage is rare: the rest is read whole and searched. */
		if (pread(fd, b, rest, (off_t)off) != (ssize_t)rest)
			rest = 0;
		for (at = 0; at + SPOOL_HEADER <= rest; at++)
			if (spool_check_record(b, rest, at, &found, &len) &&
			    found >= expect &&
			    (newest || found < (g + 1)->first_seq))
				break;
		if (at + SPOOL_HEADER <= rest) {
			if (spool_write_segment(s, found, b + at, rest - at) ==
			    -1) {
				free(b);
				close(fd);
				return -1;
			}
			fprintf(stderr,
				"<3>%s: damaged record at offset %" PRIu64
				": %" PRIu64 " records (%" PRIu64 "..%" PRIu64
				") lost; the records from %" PRIu64
				" on are kept\n",
				path, off, found - expect, expect, found - 1,
				found);
			spool_add_hole(s, expect, found - 1,
				       SPOOL_LOSS_DAMAGED);
			s->segs = xreallocarray(s->segs, (size_t)s->nsegs + 1,
						sizeof(*s->segs));
			g = &s->segs[i];
			memmove(&s->segs[i + 2], &s->segs[i + 1],
				(size_t)(s->nsegs - i - 1) * sizeof(*s->segs));
			s->segs[i + 1].first_seq = found;
			s->segs[i + 1].last_seq = found - 1;
			s->segs[i + 1].bytes = 0;
			s->segs[i + 1].hdr = SPOOL_SEG_HEADER;
			s->segs[i + 1].named = 1;
			s->nsegs++;
		} else if (newest) {
			s->stats.torn_bytes += cut;
			fprintf(stderr,
				"<4>%s: cut an unsynced tail of %" PRIu64
				" bytes at offset %" PRIu64 "\n",
				path, cut, off);
		} else if ((g + 1)->first_seq > expect) {
			/* The records after the damage are unreadable: count
			 * them by the next segment's first number. (A damaged
			 * directory can name that segment at or below the
			 * records found here: then none is known lost, and no
			 * hole runs backwards to count 2^64 of them.) */
			fprintf(stderr,
				"<3>%s: damaged record at offset %" PRIu64
				": %" PRIu64 " records (%" PRIu64 "..%" PRIu64
				", %" PRIu64 " bytes) lost\n",
				path, off, (g + 1)->first_seq - expect, expect,
				(g + 1)->first_seq - 1, cut);
			spool_add_hole(s, expect, (g + 1)->first_seq - 1,
				       SPOOL_LOSS_DAMAGED);
		}
		free(b);
		if (ftruncate(fd, (off_t)off) == -1 || fsync(fd) == -1) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	g->last_seq = expect - 1;
	g->bytes = off - g->hdr;
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
		s->segs[s->nsegs].hdr = SPOOL_SEG_HEADER;
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
	s->stats.bytes -= s->segs[i].bytes + s->segs[i].hdr;
	if (s->rd_fd != -1 && s->rd_first == s->segs[i].first_seq) {
		close(s->rd_fd);
		s->rd_fd = -1;
		s->rd_first = 0;
	}
	if (i == s->nsegs - 1 && s->append_fd != -1) {
		close(s->append_fd);
		s->append_fd = -1;
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
	    spool_list_segments(s) == -1 || spool_load_id(s) == -1)
		goto fail;
	for (int i = 0; i < s->nsegs; i++) {
		if (spool_scan_segment(s, i) == -1)
			goto fail;
		s->stats.bytes += s->segs[i].bytes + s->segs[i].hdr;
	}
	/* Empty segments hold nothing; the newest is kept when its header
	 * is whole, since its name carries the numbering on. */
	for (int i = 0; i < s->nsegs;)
		if (s->segs[i].bytes == 0 &&
		    (i < s->nsegs - 1 || !s->segs[i].named))
			spool_remove_segment(s, i);
		else
			i++;
	if (s->nsegs) {
		struct spool_segment *g = &s->segs[s->nsegs - 1];

		s->next_seq = g->last_seq + 1;
	} else {
		s->next_seq = 1;
	}
	s->synced_seq = s->next_seq - 1;
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
	free(s->holes);
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

/* Starts segment next_seq, header only. */
static int
spool_new_segment(struct spool *s)
{
	char path[4096];
	unsigned char h[SPOOL_SEG_HEADER];

	spool_segment_path(s, s->next_seq, path, sizeof(path));
	s->append_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC |
					  O_CLOEXEC,
			    0640);
	if (s->append_fd == -1)
		return -1;
	spool_make_seg_header(s, s->next_seq, h);
	if (write(s->append_fd, h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    spool_fsync_dir(s) == -1) {
		int e = errno;

		close(s->append_fd);
		s->append_fd = -1;
		unlink(path);
		errno = e;
		return -1;
	}
	s->segs = xreallocarray(s->segs, (size_t)s->nsegs + 1,
				sizeof(*s->segs));
	s->segs[s->nsegs].first_seq = s->next_seq;
	s->segs[s->nsegs].last_seq = s->next_seq - 1;
	s->segs[s->nsegs].bytes = 0;
	s->segs[s->nsegs].hdr = SPOOL_SEG_HEADER;
	s->segs[s->nsegs].named = 1;
	s->nsegs++;
	s->stats.bytes += SPOOL_SEG_HEADER;
	return 0;
}

/* Opens the last segment for appending, or starts a new one when it is
 * full or there is none. */
static int
spool_append_segment(struct spool *s)
{
	char path[4096];
	struct spool_segment *last = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;

	/* A segment holds consecutive numbers: after spool_advance, a new
	 * one starts. */
	if (last && last->last_seq + 1 != s->next_seq)
		last = NULL;
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
	return spool_new_segment(s);
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
		spool_add_hole(s, s->segs[0].first_seq, s->segs[0].last_seq,
			       SPOOL_LOSS_DROPPED);
		s->stats.dropped_bytes += s->segs[0].bytes;
		spool_remove_segment(s, 0);
	}
	if (spool_append_segment(s) == -1)
		goto fail;
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
		if (ftruncate(s->append_fd, (off_t)(g->hdr + g->bytes)) == -1)
			e = errno;
		errno = e;
		goto fail;
	}
	g->bytes += SPOOL_HEADER + len;
	g->last_seq = s->next_seq;
	s->stats.bytes += SPOOL_HEADER + len;
	*seq = s->next_seq++;
	return 0;
fail:
	if (errno == ENOSPC || errno == EDQUOT)
		s->full = 1;
	return -1;
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
	uint64_t upto;

	if (s->append_fd == -1)
		return 0;
	pthread_mutex_lock(&s->lock);
	upto = s->next_seq - 1;
	pthread_mutex_unlock(&s->lock);
	if (fdatasync(s->append_fd) == -1)
		return -1;
	pthread_mutex_lock(&s->lock);
	if (upto > s->synced_seq)
		s->synced_seq = upto;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int
spool_next_locked(struct spool *s, uint64_t after, const void **data,
		  size_t *len, uint64_t *seq)
{
	int i = 0, damaged;
	uint64_t off;

	if (after >= s->synced_seq)
		return 0;
	while (i < s->nsegs && s->segs[i].last_seq <= after)
		i++;
	if (i == s->nsegs)
		return 0;
	off = s->segs[i].hdr;
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
		if (spool_read_record(s, s->rd_fd, off,
				      s->segs[i].hdr + s->segs[i].bytes, seq,
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

/* Forgets the holes, or their parts, up to seq. */
static void
spool_trim_holes(struct spool *s, uint64_t seq)
{
	for (int i = 0; i < s->nholes;) {
		struct spool_hole *h = &s->holes[i];

		if (h->last <= seq) {
			*h = s->holes[--s->nholes];
			continue;
		}
		if (h->first <= seq)
			h->first = seq + 1;
		i++;
	}
}

int
spool_ack(struct spool *s, uint64_t seq)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (seq > s->acked)
		s->acked = seq;
	spool_trim_holes(s, seq);
	while (s->nsegs > 1 && s->segs[0].last_seq <= seq)
		spool_remove_segment(s, 0);
	/* On a full disk the newest segment stops growing and so would
	 * never be freed: once all of it is stored, it makes way for an
	 * empty one that carries the numbering on. */
	if (s->full && s->nsegs == 1 && s->segs[0].last_seq <= seq &&
	    s->segs[0].bytes > 0) {
		spool_remove_segment(s, 0);
		r = spool_new_segment(s);
		s->full = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

void
spool_advance(struct spool *s, uint64_t seq)
{
	pthread_mutex_lock(&s->lock);
	if (seq > s->next_seq) {
		s->next_seq = seq;
		/* The new number's segment carries it from now on. */
		if (s->append_fd != -1) {
			fdatasync(s->append_fd);
			close(s->append_fd);
			s->append_fd = -1;
		}
		spool_new_segment(s);
	}
	pthread_mutex_unlock(&s->lock);
}

int
spool_take_gap(struct spool *s, uint64_t first, uint64_t last,
	       uint64_t *dropped, uint64_t *damaged)
{
	uint64_t known = 0;

	*dropped = *damaged = 0;
	if (last < first)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->nholes; i++) {
		struct spool_hole *h = &s->holes[i];
		uint64_t lo = h->first > first ? h->first : first;
		uint64_t hi = h->last < last ? h->last : last;

		if (lo > hi)
			continue;
		if (h->kind == SPOOL_LOSS_DROPPED)
			*dropped += hi - lo + 1;
		else
			*damaged += hi - lo + 1;
		known += hi - lo + 1;
	}
	/* What no hole explains (segments removed by hand, say) is
	 * missing all the same. */
	*damaged += last - first + 1 - known;
	spool_trim_holes(s, last);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
spool_get_stats(struct spool *s, struct spool_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	st->first_seq = 0;
	for (int i = 0; i < s->nsegs && st->first_seq == 0; i++)
		if (s->segs[i].bytes > 0)
			st->first_seq = s->segs[i].first_seq;
	st->last_seq = s->next_seq - 1;
	st->dropped_records = st->corrupt_records = 0;
	for (int i = 0; i < s->nholes; i++) {
		uint64_t lo = s->holes[i].first > s->acked ? s->holes[i].first
							    : s->acked + 1;

		if (lo > s->holes[i].last)
			continue;
		if (s->holes[i].kind == SPOOL_LOSS_DROPPED)
			st->dropped_records += s->holes[i].last - lo + 1;
		else
			st->corrupt_records += s->holes[i].last - lo + 1;
	}
	pthread_mutex_unlock(&s->lock);
}
