/* libFuzzer target: the path check and the policy on arbitrary targets.
 * Invariants: an accepted path is what the daemon routes without cleaning
 * it (no "//", no dot segment, no encoded '/' or '.', no control byte),
 * its section is its first segment after the version prefix, and an allow
 * verdict always names a section; with LIBPOD=1 an allowed /libpod path
 * names one after "/libpod" (never debug, never libpod again). Gates and
 * method switches only narrow: what they allow, the same settings without
 * them allow too. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_segment(struct span p, const char *seg)
{
	size_t n = strlen(seg);
	for (size_t i = 0; i + n + 1 <= p.n; i++)
		if (p.p[i] == '/' && memcmp(p.p + i + 1, seg, n) == 0 &&
		    (i + 1 + n == p.n || p.p[i + 1 + n] == '/'))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *open_all, *defaults, *libpod_all, *gated_all;
	if (open_all == NULL) {
		struct policy_settings s = { .post = true, .allow_start = true };
		for (size_t i = 0; i < policy_n_sections; i++)
			s.section_on[i] = true;
		open_all = policy_compile(&s, NULL, 0);
		s.libpod = true;
		libpod_all = policy_compile(&s, NULL, 0);
		for (size_t g = 0; g < POLICY_N_GATES; g++)
			s.gate_closed[g] = g % 3 != 0; /* most closed, some open */
		s.methods_split = s.allow_delete = s.allow_restarts = true;
		gated_all = policy_compile(&s, NULL, 0);
		struct policy_settings d = { 0 };
		for (size_t i = 0; i < policy_n_sections; i++)
			d.section_on[i] = policy_sections[i].default_on;
		defaults = policy_compile(&d, NULL, 0);
	}
	char *scratch = malloc(size + 1);
	struct span target = { (const char *)data, size };
	struct path_info info;
	if (path_check(target, scratch, size + 1, &info) == 0) {
		struct span p = info.path;
		assert(p.n >= 1 && p.p[0] == '/');
		assert(memmem(p.p, p.n, "//", 2) == NULL);
		assert(!has_segment(p, ".") && !has_segment(p, ".."));
		for (size_t i = 0; i < p.n; i++)
			assert((unsigned char)p.p[i] >= 0x20 && p.p[i] != 0x7f);
		assert(info.rest.n >= 1 && info.rest.p[0] == '/');
		assert(info.section.p == info.rest.p + 1);
		assert(memchr(info.section.p, '/', info.section.n) == NULL);
		struct policy_verdict v;
		struct span methods[] = { { "GET", 3 }, { "POST", 4 }, { "DELETE", 6 }, { "PUT", 3 } };
		for (size_t m = 0; m < 4; m++) {
			struct policy_request preq = { .method = methods[m], .path = &info, .has_body = m == 1 };
			policy_judge(open_all, &preq, &v);
			if (v.allow)
				assert(info.section.n > 0 && !span_eq(info.section, "debug"));
			else
				assert(strlen(v.message) < sizeof v.message);
			policy_judge(defaults, &preq, &v);
			if (v.allow)
				assert(m == 0); /* POST=0: nothing but GET/HEAD */
			struct policy_verdict narrow;
			policy_judge(gated_all, &preq, &narrow);
			policy_judge(libpod_all, &preq, &v);
			/* ALLOW_RESTARTS is gated_all's own grant. */
			assert(!narrow.allow || v.allow ||
			       strcmp(narrow.because, "ALLOW_RESTARTS") == 0);
			if (v.allow && span_eq(info.section, "libpod")) {
				/* The first segment after "/libpod/". */
				assert(info.rest.n > 8 && info.rest.p[7] == '/');
				struct span in = { info.rest.p + 8, info.rest.n - 8 };
				const char *end = memchr(in.p, '/', in.n);
				if (end != NULL)
					in.n = (size_t)(end - in.p);
				assert(in.n > 0 && !span_eq(in, "debug") && !span_eq(in, "libpod"));
			} else if (v.allow) {
				assert(info.section.n > 0 && !span_eq(info.section, "debug"));
			}
		}
	}
	free(scratch);
	return 0;
}
