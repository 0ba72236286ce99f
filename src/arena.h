/* arena.h - memory that is freed all at once: what a parsed file holds
 * (strings, lists) lives exactly as long as the result, and an error
 * half-way frees it with one call. Not for anything per request. */
#ifndef DOCKGATE_ARENA_H
#define DOCKGATE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks; /* zero-initialised: empty */
};

/* n zeroed bytes, aligned for any type, that live until arena_free();
 * NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* Makes room for item n (of size bytes each) in the array *items whose
 * capacity is *cap, doubling it when full (the old array stays in the
 * arena). 0, or -1 when out of memory. */
int arena_grow(struct arena *a, void **items, size_t n, size_t *cap, size_t size);

/* A NUL-terminated copy of s[0..n); NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

void arena_free(struct arena *a);

#endif
