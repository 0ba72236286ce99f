/* answer.c - dockgate's own JSON responses. */
#include "answer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

const char *answer_reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Writes msg as the inside of a JSON string into dst (cap bytes, NUL
 * terminated, truncated if needed). Returns the length written. */
static size_t json_escape(char *dst, size_t cap, const char *msg)
{
	size_t o = 0;
	/* 7 bytes of headroom: the longest escape (\u00XX) and the NUL. */
	for (const unsigned char *s = (const unsigned char *)msg; *s && o + 7 < cap; s++) {
		if (*s == '"' || *s == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)*s;
		} else if (*s < 0x20 || *s == 0x7f) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", *s);
		} else {
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
	return o;
}

int answer_build(struct buf *out, int status, const char *msg, unsigned flags)
{
	bool close = flags & ANSWER_CLOSE;
	char body[1024];
	size_t n = (size_t)snprintf(body, sizeof body, "{\"message\":\"");
	n += json_escape(body + n, sizeof body - n - 4, msg);
	n += (size_t)snprintf(body + n, sizeof body - n, "\"}\n");
	char head[256];
	int h = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n%s\r\n",
			 status, answer_reason(status), n,
			 close ? "Connection: close\r\n" : "");
	/* A HEAD response announces the length of the body it leaves out. */
	size_t body_n = (flags & ANSWER_NO_BODY) ? 0 : n;
	if (buf_space(out) < (size_t)h + body_n)
		return -1;
	buf_append(out, head, (size_t)h);
	buf_append(out, body, body_n);
	return 0;
}
