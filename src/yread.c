/* yread.c - reading YAML that people review; see yread.h. */
#include "yread.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "log.h"

struct yread {
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, when have_event */
	bool have_event;
	const char *name;
	const char *text;
	size_t len;
	char *err;
	size_t err_cap;
};

struct yread *yread_new(const char *name, const char *text, size_t len, char *err,
			size_t err_cap)
{
	struct yread *y = calloc(1, sizeof *y);
	if (y != NULL && !yaml_parser_initialize(&y->parser)) {
		free(y);
		y = NULL;
	}
	if (y == NULL) {
		snprintf(err, err_cap, "%s:1:1: out of memory", name);
		return NULL;
	}
	y->name = name;
	y->text = text;
	y->len = len;
	y->err = err;
	y->err_cap = err_cap;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, len);
	return y;
}

void yread_free(struct yread *y)
{
	if (y == NULL)
		return;
	if (y->have_event)
		yaml_event_delete(&y->ev);
	yaml_parser_delete(&y->parser);
	free(y);
}

int yread_fail(struct yread *y, struct yread_pos at, const char *fmt, ...)
{
	if (y->err_cap == 0)
		return -1;
	int n = snprintf(y->err, y->err_cap, "%s:%u:%u: ", y->name, at.line, at.column);
	if (n < 0 || (size_t)n >= y->err_cap)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(y->err + n, y->err_cap - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Columns count UTF-8 characters, as libyaml's marks do. */
struct yread_pos yread_pos_at(const struct yread *y, size_t offset)
{
	struct yread_pos at = { 1, 1 };
	for (size_t i = 0; i < offset && i < y->len; i++) {
		if (y->text[i] == '\n')
			at = (struct yread_pos){ at.line + 1, 1 };
		else if (((unsigned char)y->text[i] & 0xc0) != 0x80)
			at.column++;
	}
	return at;
}

static struct yread_pos pos_of(yaml_mark_t m)
{
	return (struct yread_pos){ (unsigned)m.line + 1, (unsigned)m.column + 1 };
}

struct yread_pos yread_here(const struct yread *y)
{
	return pos_of(y->ev.start_mark);
}

struct yread_quoted yread_quote(const char *s, size_t n)
{
	struct yread_quoted q;
	bool cut = n > 60;
	size_t len = log_escape(q.s, sizeof q.s - 4, s, cut ? 60 : n);
	if (cut)
		memcpy(q.s + len, "...", 4);
	return q;
}

static int syntax_error(struct yread *y)
{
	const yaml_parser_t *p = &y->parser;
	if (p->error == YAML_MEMORY_ERROR)
		return yread_fail(y, (struct yread_pos){ 1, 1 }, "out of memory");
	const char *problem = p->problem ? p->problem : "not valid YAML";
	/* A reader error (bad UTF-8, a control character) has no mark. */
	if (p->error == YAML_READER_ERROR)
		return yread_fail(y, yread_pos_at(y, p->problem_offset), "YAML: %s", problem);
	struct yread_pos at = pos_of(p->problem_mark);
	if (p->context == NULL)
		return yread_fail(y, at, "YAML: %s", problem);
	struct yread_pos ctx = pos_of(p->context_mark);
	return yread_fail(y, at, "YAML: %s (%s at %u:%u)", problem, p->context, ctx.line,
			  ctx.column);
}

static int refuse(struct yread *y, const char *what, const yaml_char_t *name, const char *why)
{
	const char *s = (const char *)name;
	return yread_fail(y, yread_here(y), "%s%s: %s", what, yread_quote(s, strlen(s)).s, why);
}

int yread_next(struct yread *y)
{
	if (y->have_event)
		yaml_event_delete(&y->ev);
	y->have_event = false;
	if (!yaml_parser_parse(&y->parser, &y->ev))
		return syntax_error(y);
	y->have_event = true;
	static const char aliases[] = "anchors and aliases are refused, so that every line "
				      "says what applies there";
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (y->ev.type) {
	case YAML_ALIAS_EVENT:
		return refuse(y, "an alias *", y->ev.data.alias.anchor, aliases);
	case YAML_SCALAR_EVENT:
		anchor = y->ev.data.scalar.anchor;
		tag = y->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = y->ev.data.sequence_start.anchor;
		tag = y->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = y->ev.data.mapping_start.anchor;
		tag = y->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return refuse(y, "an anchor &", anchor, aliases);
	if (tag != NULL)
		return refuse(y, "a tag ", tag, "tags are refused: a value's type is what it reads as");
	return 0;
}

static bool is_one_of(const char *v, size_t n, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strlen(*words) == n && memcmp(*words, v, n) == 0)
			return true;
	return false;
}

/* What PyYAML (YAML 1.1) makes of a plain scalar, so that a reviewer's
 * tools and dockgate never read a value differently. */
static enum yread_kind plain_kind(const char *v, size_t n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE",
		"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", NULL };
	if (is_one_of(v, n, nulls))
		return YREAD_NULL;
	if (is_one_of(v, n, bools))
		return YREAD_BOOL;
	size_t i = n > 0 && (v[0] == '-' || v[0] == '+') ? 1 : 0;
	if (i == n)
		return YREAD_STRING;
	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	return i == n ? YREAD_INT : YREAD_STRING;
}

enum yread_kind yread_kind(const struct yread *y)
{
	if (!y->have_event)
		return YREAD_OTHER;
	switch (y->ev.type) {
	case YAML_SCALAR_EVENT:
		if (y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return YREAD_STRING;
		return plain_kind((const char *)y->ev.data.scalar.value, y->ev.data.scalar.length);
	case YAML_SEQUENCE_START_EVENT: return YREAD_LIST;
	case YAML_MAPPING_START_EVENT: return YREAD_MAP;
	case YAML_SEQUENCE_END_EVENT: return YREAD_LIST_END;
	case YAML_MAPPING_END_EVENT: return YREAD_MAP_END;
	case YAML_STREAM_END_EVENT: return YREAD_STREAM_END;
	default: return YREAD_OTHER;
	}
}

const char *yread_kind_name(const struct yread *y)
{
	switch (yread_kind(y)) {
	case YREAD_STRING: return "a string";
	case YREAD_NULL: return "empty";
	case YREAD_BOOL: return "a boolean";
	case YREAD_INT: return "a number";
	case YREAD_LIST: return "a list";
	case YREAD_MAP: return "a mapping";
	default: return "nothing";
	}
}

struct span yread_value(const struct yread *y)
{
	if (!y->have_event || y->ev.type != YAML_SCALAR_EVENT)
		return (struct span){ "", 0 };
	return (struct span){ (const char *)y->ev.data.scalar.value, y->ev.data.scalar.length };
}

static bool is_scalar(enum yread_kind k)
{
	return k <= YREAD_INT;
}

int yread_string(struct yread *y, const char *what, size_t max, struct span *out)
{
	enum yread_kind k = yread_kind(y);
	if (k != YREAD_STRING)
		return yread_fail(y, yread_here(y), "%s must be a string, not %s%s", what,
				  yread_kind_name(y), is_scalar(k) ? " (quote it)" : "");
	struct span v = yread_value(y);
	if (v.n == 0)
		return yread_fail(y, yread_here(y), "%s must not be empty", what);
	if (memchr(v.p, '\0', v.n) != NULL)
		return yread_fail(y, yread_here(y), "%s holds a NUL character", what);
	if (v.n > max)
		return yread_fail(y, yread_here(y), "%s is longer than %zu bytes", what, max);
	*out = v;
	return 0;
}

int yread_bool(struct yread *y, const char *what, bool *out)
{
	struct span v = yread_value(y);
	if (yread_kind(y) != YREAD_BOOL)
		return yread_fail(y, yread_here(y), "%s must be true or false, not %s", what,
				  yread_kind_name(y));
	if (strcmp(v.p, "true") != 0 && strcmp(v.p, "false") != 0)
		return yread_fail(y, yread_here(y), "%s: write true or false, not %s", what,
				  yread_quote(v.p, v.n).s);
	*out = v.p[0] == 't';
	return 0;
}

int yread_uint(struct yread *y, const char *what, unsigned long max, unsigned long *out)
{
	if (yread_kind(y) != YREAD_INT)
		return yread_fail(y, yread_here(y), "%s must be a number, not %s", what,
				  yread_kind_name(y));
	struct span v = yread_value(y);
	unsigned long x = 0;
	bool over = v.p[0] == '-';
	for (size_t i = v.p[0] == '+' || v.p[0] == '-'; i < v.n && !over; i++) {
		unsigned long digit = (unsigned long)(v.p[i] - '0');
		over = x > (max - digit) / 10;
		x = x * 10 + digit;
	}
	if (over)
		return yread_fail(y, yread_here(y), "%s must be from 0 to %lu, not %s", what, max,
				  yread_quote(v.p, v.n).s);
	*out = x;
	return 0;
}

int yread_start(struct yread *y, enum yread_kind kind, const char *what)
{
	if (yread_next(y))
		return -1;
	if (yread_kind(y) == kind)
		return 0;
	return yread_fail(y, yread_here(y), "%s must be %s, not %s", what,
			  kind == YREAD_MAP ? "a mapping" : "a list", yread_kind_name(y));
}

int yread_item(struct yread *y)
{
	if (yread_next(y))
		return -1;
	enum yread_kind k = yread_kind(y);
	return k == YREAD_LIST_END || k == YREAD_MAP_END ? 0 : 1;
}

int yread_key(struct yread *y, struct yread_keys *keys)
{
	if (yread_next(y))
		return -1;
	enum yread_kind k = yread_kind(y);
	if (k == YREAD_MAP_END)
		return -2;
	if (!is_scalar(k) || k == YREAD_NULL)
		return yread_fail(y, yread_here(y), "a key of %s must be a name, not %s",
				  keys->where, yread_kind_name(y));
	struct span v = yread_value(y);
	char known[160] = "";
	for (int i = 0; keys->names[i] != NULL && i < YREAD_MAX_KEYS; i++) {
		if (span_eq(v, keys->names[i])) {
			if (keys->seen[i].line != 0)
				return yread_fail(y, yread_here(y),
						  "duplicate key '%s' in %s (first at %u:%u)",
						  keys->names[i], keys->where, keys->seen[i].line,
						  keys->seen[i].column);
			keys->seen[i] = yread_here(y);
			return i;
		}
		size_t o = strlen(known);
		snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", keys->names[i]);
	}
	return yread_fail(y, yread_here(y), "unknown key '%s' in %s (known: %s)",
			  yread_quote(v.p, v.n).s, keys->where, known);
}
