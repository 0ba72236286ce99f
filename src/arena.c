/* arena.c - memory that is freed all at once; see arena.h. One malloc per
 * allocation keeps every block visible to AddressSanitizer; the files
 * this serves are read once, at startup. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	struct arena_chunk *c = malloc(sizeof *c + n);
	if (c == NULL)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	memset(c->data, 0, n);
	return c->data;
}

int arena_grow(struct arena *a, void **items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t more = *cap ? *cap * 2 : 8;
	if (more > SIZE_MAX / 2 / size)
		return -1;
	void *grown = arena_alloc(a, more * size);
	if (grown == NULL)
		return -1;
	if (n > 0)
		memcpy(grown, *items, n * size);
	*items = grown;
	*cap = more;
	return 0;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *copy = arena_alloc(a, n + 1);
	if (copy != NULL)
		memcpy(copy, s, n);
	return copy;
}

void arena_free(struct arena *a)
{
	while (a->chunks != NULL) {
		struct arena_chunk *next = a->chunks->next;
		free(a->chunks);
		a->chunks = next;
	}
}
