/* limit.c - per-client connection counts; see limit.h.
 *
 * Open addressing with linear probing and backward-shift deletion: no
 * tombstones, so lookups stay short however clients come and go. The
 * table has at least twice as many slots as connections can be open. */
#include "limit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct limit_key key;
	unsigned long count; /* 0: free */
};

static struct slot *slots;
static size_t mask;

int limit_init(size_t max_open)
{
	size_t n = 16;
	while (n < 2 * max_open + 1)
		n <<= 1;
	slots = calloc(n, sizeof *slots);
	if (slots == NULL)
		return -1;
	mask = n - 1;
	return 0;
}

void limit_fini(void)
{
	free(slots);
	slots = NULL;
}

/* FNV-1a: keys are short and not attacker-chosen enough to matter much
 * (an address or uid), and the table is never fuller than half. */
static size_t hash(const struct limit_key *k)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < sizeof k->bytes; i++)
		h = (h ^ k->bytes[i]) * 1099511628211ULL;
	return (size_t)h & mask;
}

/* The slot holding key, or the free slot where it would go. */
static size_t find(const struct limit_key *k)
{
	size_t i = hash(k);
	while (slots[i].count != 0 && memcmp(&slots[i].key, k, sizeof *k) != 0)
		i = (i + 1) & mask;
	return i;
}

bool limit_acquire(const struct limit_key *key, unsigned long per_client)
{
	size_t i = find(key);
	if (slots[i].count >= per_client)
		return false;
	slots[i].key = *key;
	slots[i].count++;
	return true;
}

void limit_release(const struct limit_key *key)
{
	size_t i = find(key);
	if (slots[i].count == 0 || --slots[i].count > 0)
		return;
	/* Backward-shift: pull later entries of the probe run into the hole
	 * when their home slot allows it. */
	size_t hole = i;
	for (size_t j = (i + 1) & mask; slots[j].count != 0; j = (j + 1) & mask) {
		size_t home = hash(&slots[j].key);
		bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
		if (movable) {
			slots[hole] = slots[j];
			slots[j].count = 0;
			hole = j;
		}
	}
}
