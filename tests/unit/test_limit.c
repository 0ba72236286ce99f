/* Unit tests for limit.c: per-client counts, and the table staying right
 * through many acquire/release orders (checked against a plain model). */
#include <stdlib.h>
#include <string.h>

#include "rows.h" /* cmocka and what it needs */

#include "limit.h"

static struct limit_key key_of(unsigned n)
{
	struct limit_key k;
	memset(&k, 0, sizeof k);
	k.bytes[0] = 2;
	memcpy(k.bytes + 1, &n, sizeof n);
	return k;
}

static void test_per_client_cap(void **state)
{
	(void)state;
	assert_int_equal(limit_init(8), 0);
	struct limit_key a = key_of(1), b = key_of(2);
	assert_true(limit_acquire(&a, 2));
	assert_true(limit_acquire(&a, 2));
	assert_false(limit_acquire(&a, 2)); /* a third from the same client */
	assert_true(limit_acquire(&b, 2));  /* another client is not affected */
	limit_release(&a);
	assert_true(limit_acquire(&a, 2)); /* a freed slot is usable again */
	limit_release(&a);
	limit_release(&a);
	limit_release(&b);
	limit_fini();
}

/* Random interleavings over many keys (forcing probe runs and deletions in
 * the middle of them) must always agree with a plain array of counts. */
static void test_against_model(void **state)
{
	(void)state;
	enum { KEYS = 300, OPS = 200000, CAP = 3 };
	assert_int_equal(limit_init(KEYS * CAP), 0);
	unsigned model[KEYS] = { 0 };
	srand(12345);
	for (int op = 0; op < OPS; op++) {
		unsigned k = (unsigned)rand() % KEYS;
		struct limit_key key = key_of(k * 7919u);
		if (rand() % 2) {
			bool got = limit_acquire(&key, CAP);
			assert_int_equal(got, model[k] < CAP);
			if (got)
				model[k]++;
		} else if (model[k] > 0) {
			limit_release(&key);
			model[k]--;
		}
	}
	limit_fini();
}

int main(void)
{
	rows_add(test_per_client_cap, NULL, "limit", "one client is capped, others are not");
	rows_add(test_against_model, NULL, "limit", "200,000 random operations agree with a model");
	return rows_run("limit");
}
