/* statelock.c - the state directory's lock: an open file description lock
 * (F_OFD_SETLK) on dir/ventod.lock. Unlike a process-associated lock it
 * is not dropped when some other descriptor of the file is closed, and
 * unlike a pid file it cannot go stale: the kernel releases it when the
 * process ends, kill -9 included. The file holds the holder's pid only so
 * that a second ventod can name it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statelock.h"

static long
statelock_read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int
statelock_take(const char *dir, long *holder)
{
	char path[4096], pid[32];
	struct flock fl;
	int fd, e, n;

	*holder = 0;
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/ventod.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET; /* the whole file */
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		e = errno == EACCES ? EWOULDBLOCK : errno;
		if (e == EWOULDBLOCK)
			*holder = statelock_read_pid(fd);
		close(fd);
		errno = e;
		return -1;
	}
	/* A fixed width overwrites the last holder's pid in place, which
	 * needs no new block on a full disk; the pid only names us, so
	 * failing to write it does not undo the lock. */
	n = snprintf(pid, sizeof(pid), "%-20ld\n", (long)getpid());
	if (pwrite(fd, pid, (size_t)n, 0) != n)
		(void)ftruncate(fd, 0);
	return fd;
}

void
statelock_release(int fd)
{
	if (fd != -1)
		close(fd);
}
