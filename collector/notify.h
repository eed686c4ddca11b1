/* notify.h - the systemd notification protocol (sd_notify), spoken
 * directly over the datagram socket in $NOTIFY_SOCKET. Main thread only. */
#ifndef VENTO_NOTIFY_H
#define VENTO_NOTIFY_H

#include <stdint.h>

/* Opens the socket named by $NOTIFY_SOCKET, if any. Returns 0, also when
 * not run by systemd, or -1 with errno set when the variable is unusable. */
int notify_open(void);

/* Sends one message such as "READY=1\nSTATUS=polling". Does nothing when
 * not run by systemd. */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval systemd asked for, in microseconds, or 0. */
uint64_t notify_watchdog_usec(void);

void notify_close(void);

#endif
