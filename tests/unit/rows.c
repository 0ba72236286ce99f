/* rows.c - registration of table rows as cmocka tests; see rows.h. */
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>

#define ROWS_MAX 1024

static struct CMUnitTest tests[ROWS_MAX];
static char names[ROWS_MAX][200];
static size_t n_tests;

void rows_add(CMUnitTestFunction fn, void *row, const char *kind, const char *name)
{
	if (n_tests == ROWS_MAX) {
		fprintf(stderr, "rows: more than %d rows, raise ROWS_MAX\n", ROWS_MAX);
		exit(1);
	}
	snprintf(names[n_tests], sizeof names[n_tests], "%s: %s", kind, name);
	tests[n_tests] = (struct CMUnitTest){ names[n_tests], fn, NULL, NULL, row };
	n_tests++;
}

int rows_run(const char *group)
{
	return _cmocka_run_group_tests(group, tests, n_tests, NULL, NULL);
}

void rows_check_span(const char *what, struct span got, const char *want)
{
	if (!span_eq(got, want))
		fail_msg("%s: got '%.*s', want '%s'", what, (int)got.n, got.p, want);
}
