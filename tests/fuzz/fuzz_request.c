/* libFuzzer target: the request-head parser, the path check and the policy
 * on arbitrary bytes, fed whole and in two pieces. Invariants: the split
 * feed gives the same answer as the whole one; an accepted head has sane
 * spans; the rebuilt head parses again to the same request. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "h1.h"
#include "path.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct h1_limits limits = { 8192, 64 };

static ssize_t parse(const char *p, size_t n, struct h1_request *rq)
{
	size_t scan = 0;
	/* Feed a prefix first to exercise the resumable search. */
	size_t half = n / 2;
	ssize_t r = h1_parse_request(p, half, &scan, &limits, rq);
	if (r != 0)
		return r;
	return h1_parse_request(p, n, &scan, &limits, rq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct h1_header slots[64], slots2[66], whole_slots[64];
	const char *p = (const char *)data;
	struct h1_request rq = { .headers = slots }, whole = { .headers = whole_slots };
	ssize_t r = parse(p, size, &rq);
	size_t scan = 0;
	ssize_t w = h1_parse_request(p, size, &scan, &limits, &whole);
	/* An early reject may differ only when the prefix alone was already
	 * invalid; acceptance must agree. */
	if (r > 0 || w > 0)
		assert(r == w);
	if (r <= 0)
		return 0;
	assert((size_t)r <= size);
	assert(rq.method.p >= p && rq.target.p + rq.target.n <= p + r);
	struct buf out;
	buf_init(&out, 16384);
	if (h1_build_request(&rq, 0, &out) == 0) {
		struct h1_request again = { .headers = slots2 };
		size_t scan2 = 0;
		ssize_t r2 = h1_parse_request(buf_head(&out), buf_len(&out), &scan2,
					      /* the rebuild may add one line (Connection) */
					      &(struct h1_limits){ 16384, 66 }, &again);
		assert(r2 == (ssize_t)buf_len(&out));
		assert(again.body == rq.body && again.content_length == rq.content_length);
		assert(again.method.n == rq.method.n && !memcmp(again.method.p, rq.method.p, rq.method.n));
		assert(again.target.n == rq.target.n && !memcmp(again.target.p, rq.target.p, rq.target.n));
		assert(again.keep_alive == rq.keep_alive && again.upgrade == rq.upgrade);
	}
	buf_release(&out);
	char scratch[8192];
	struct path_info info;
	if (path_check(rq.target, scratch, sizeof scratch, &info) == 0) {
		assert(info.rest.n >= 1 && info.rest.p[0] == '/');
		assert(memmem(info.path.p, info.path.n, "//", 2) == NULL);
		assert(memmem(info.path.p, info.path.n, "/../", 4) == NULL);
		struct policy_settings s = { .post = true };
		for (size_t i = 0; i < policy_n_sections; i++)
			s.section_on[i] = true;
		struct policy *pol = policy_compile(&s, NULL, 0);
		struct policy_verdict v;
		struct policy_request preq = {
			.method = rq.method,
			.path = &info,
			.has_body = rq.body == H1_BODY_CHUNKED ||
				    (rq.body == H1_BODY_LENGTH && rq.content_length > 0),
		};
		policy_judge(pol, &preq, &v);
		if (v.allow)
			assert(info.section.n > 0);
		policy_free(pol);
	}
	return 0;
}
