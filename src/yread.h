/* yread.h - reading YAML that people review: one node event at a time,
 * with its place in the file, its type as a reviewer's tools read it,
 * and one-line errors "NAME:LINE:COLUMN: what is wrong" (1-based; columns
 * in characters, as editors count them).
 *
 * libyaml's event API underneath: only events show anchors, aliases and
 * tags, which are refused, because each makes what a line says depend on
 * text elsewhere. The caller walks its schema with yread_next() and the
 * checks below, and stops at the first error: every function that can
 * fail returns -1 with the message in the caller's err buffer, else 0. */
#ifndef DOCKGATE_YREAD_H
#define DOCKGATE_YREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* A place in the file, 1-based. */
struct yread_pos {
	unsigned line, column;
};

/* What the current event is. Plain scalars that spell null ("", "~",
 * null), a boolean (YAML 1.1's true/false/yes/no/on/off, as PyYAML
 * reads them) or a decimal integer are not strings; quoted scalars are. */
enum yread_kind {
	YREAD_STRING,
	YREAD_NULL,
	YREAD_BOOL,
	YREAD_INT,
	YREAD_LIST,     /* a sequence starts */
	YREAD_MAP,      /* a mapping starts */
	YREAD_LIST_END,
	YREAD_MAP_END,
	YREAD_OTHER,    /* the stream's or a document's start or end */
	YREAD_STREAM_END,
};

struct yread;

/* A reader of text[0..len) (which must outlive it), called name in
 * messages, writing them to err (err_cap bytes). NULL when out of memory,
 * with the message written. */
struct yread *yread_new(const char *name, const char *text, size_t len, char *err,
			size_t err_cap);
void yread_free(struct yread *y);

/* Writes "NAME:LINE:COLUMN: message" to the error buffer; returns -1. */
int yread_fail(struct yread *y, struct yread_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The place of byte offset in the text (a limit, a syntax error). */
struct yread_pos yread_pos_at(const struct yread *y, size_t offset);

/* Moves to the next event: a syntax error, an anchor, an alias or a tag
 * is an error. */
int yread_next(struct yread *y);

/* The current event: its kind, its kind as the messages name it ("a
 * string", "a list", "empty"), where it starts, and a scalar's bytes
 * (NUL-terminated; valid until the next event). */
enum yread_kind yread_kind(const struct yread *y);
const char *yread_kind_name(const struct yread *y);
struct yread_pos yread_here(const struct yread *y);
struct span yread_value(const struct yread *y);

/* Checks that the current event is a non-empty string of at most max
 * bytes without NUL; what names it in the message. */
int yread_string(struct yread *y, const char *what, size_t max, struct span *out);
/* A plain true or false: other spellings of a boolean are refused. */
int yread_bool(struct yread *y, const char *what, bool *out);
/* A decimal number from 0 to max. */
int yread_uint(struct yread *y, const char *what, unsigned long max, unsigned long *out);
/* Moves to the next event and checks that it is kind (YREAD_LIST or
 * YREAD_MAP). */
int yread_start(struct yread *y, enum yread_kind kind, const char *what);
/* Inside a list or mapping that yread_start() began: moves to its next
 * item (a mapping's: its key). 1 on an item, 0 at the collection's end,
 * -1 on an error (reported). */
int yread_item(struct yread *y);

/* The keys a mapping may hold, and where each was seen. */
#define YREAD_MAX_KEYS 8
struct yread_keys {
	const char *where;        /* "a profile", for the messages */
	const char *const *names; /* NULL-terminated, at most YREAD_MAX_KEYS */
	struct yread_pos seen[YREAD_MAX_KEYS]; /* line 0: not seen */
};

/* Moves to the next key of the current mapping: its index in keys, or
 * -2 at the mapping's end, or -1 for an unknown, duplicate or non-string
 * key. */
int yread_key(struct yread *y, struct yread_keys *keys);

/* Bytes of the file, escaped for a one-line message and cut to 60. */
struct yread_quoted {
	char s[96];
};
struct yread_quoted yread_quote(const char *s, size_t n);

#endif
