/* rows.h - what the table-driven unit tests share: one cmocka test per
 * named table row, bytes that may hold NUL, and span checks. */
#ifndef DOCKGATE_TEST_ROWS_H
#define DOCKGATE_TEST_ROWS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "span.h"

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes that may contain NUL: B("a\0b") keeps all three. */
struct bytes {
	const char *p;
	size_t n;
};
#define B(s) { (s), sizeof(s) - 1 }

/* Registers fn as a test named "kind: name" with row as its state. */
void rows_add(CMUnitTestFunction fn, void *row, const char *kind, const char *name);

/* rows_add() for each row of the array table, named by the row's name. */
#define ROWS_ADD_EACH(fn, table, kind)                                       \
	for (size_t rows_i_ = 0; rows_i_ < N_ROWS(table); rows_i_++)         \
		rows_add((fn), &(table)[rows_i_], (kind), (table)[rows_i_].name)

/* Runs every registered test; the exit status of main. */
int rows_run(const char *group);

/* Fails the test unless got holds exactly want. */
void rows_check_span(const char *what, struct span got, const char *want);

#endif
