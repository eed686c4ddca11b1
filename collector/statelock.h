/* statelock.h - one ventod per state directory: its spool, health file and
 * quarantine have one writer, or records would be numbered twice and rows
 * lost and doubled. */
#ifndef VENTO_STATELOCK_H
#define VENTO_STATELOCK_H

/*
 * Takes the lock of state directory dir (making dir if needed) for this
 * process and writes its pid into dir/ventod.lock. The lock lasts until
 * statelock_release or the process ends, however it ends. Returns a
 * descriptor, or -1 with errno set: EWOULDBLOCK when another process holds
 * it, its pid then in *holder (0 when it could not be read).
 */
int statelock_take(const char *dir, long *holder);

/* Gives the lock up. Accepts -1. */
void statelock_release(int fd);

#endif
