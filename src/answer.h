/* answer.h - dockgate's own responses: the 4xx and 5xx it sends when it
 * refuses, times out or cannot reach the daemon, each a complete HTTP/1.1
 * response with a JSON body {"message": ...}, the form the Docker CLI and
 * SDKs print for the daemon's own errors.
 *
 * Pure functions: no I/O, no globals. The response is appended to a
 * buffer the caller owns and sends. */
#ifndef DOCKGATE_ANSWER_H
#define DOCKGATE_ANSWER_H

struct buf;

enum answer_flags {
	ANSWER_CLOSE = 1u,   /* announce Connection: close */
	ANSWER_NO_BODY = 2u, /* the request was HEAD: headers only (RFC 9110 §9.3.2) */
};

/* Appends a complete response with status, its standard reason phrase and
 * the JSON body {"message": msg} (with ANSWER_NO_BODY, only the head that
 * would carry it, Content-Length included). msg is escaped as a JSON
 * string; one longer than about 1000 bytes is cut, and the body stays
 * valid JSON. flags: enum answer_flags. 0, or -1 when out has no room for
 * the whole response, and then nothing is appended. */
int answer_build(struct buf *out, int status, const char *msg, unsigned flags);

/* The standard reason phrase for a status code dockgate sends, "Error"
 * for any other. */
const char *answer_reason(int status);

#endif
