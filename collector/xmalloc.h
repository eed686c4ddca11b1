/* xmalloc.h - allocation that never returns NULL: running out of memory is
 * fatal, so callers need no error path for it. */
#ifndef VENTO_XMALLOC_H
#define VENTO_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

#endif
