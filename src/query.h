/* query.h - a request's query string, read the way the daemon reads it.
 *
 * The daemon reads a query with Go's url.ParseQuery: pairs split on '&',
 * key and value percent-decoded with '+' as a space, the first of
 * duplicate keys winning in r.Form.Get; a ';' fails the parse on Go 1.17
 * and later but split pairs before. Podman decodes the pairs into structs
 * with gorilla/schema, which matches keys with strings.EqualFold. The
 * checks here are stricter than both, so that no reading of a query
 * differs from the one judged. Nothing here allocates; spans point into
 * the query given. */
#ifndef DOCKGATE_QUERY_H
#define DOCKGATE_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* The next '&'-separated piece of q from *at (start at 0), split at its
 * first '=' into key and value (empty without one), both as sent; false
 * at the end. */
bool query_next(struct span q, size_t *at, struct span *key, struct span *value);

/* True for plain decimal digits (no sign, no escape) worth 0 to max,
 * max below 10000. */
bool query_seconds(struct span v, unsigned max);

/* True for a signal as the daemon parses one ("SIGTERM", "TERM", "15"):
 * letters and digits only, so no escape or '+' can make it read
 * otherwise. */
bool query_signal(struct span v);

/* True when some key of q, split on '&' or ';' (old Go split on both) and
 * decoded as Go decodes it, names the field name (lower-case ASCII) for
 * gorilla/schema, whatever its value: equal under Unicode simple case
 * folding, or followed by a ".sub" path. */
bool query_has_key(struct span q, const char *name);

#endif
