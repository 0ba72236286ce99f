/* libFuzzer target: the path check and the policy on arbitrary targets.
 * Invariants: an accepted path is what the daemon routes without cleaning
 * it (no "//", no dot segment, no encoded '/' or '.', no control byte),
 * its section is its first segment after the version prefix, and an allow
 * verdict always names a section; with LIBPOD=1 an allowed /libpod path
 * names one after "/libpod" (never debug, never libpod again). Gates and
 * method switches only narrow: what they allow, the same settings without
 * them allow too. linuxserver's LIBPOD_<SECTION> switches judge every path
 * as LIBPOD=1 with those sections does. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two policies that must agree on every request: the /libpod twins of
 * every section but exec opened by their LIBPOD_<SECTION> switches, and by
 * LIBPOD=1 with those sections; with POST=1 (the exec closure) and with
 * POST=0 and gates closed (attach/ws, healthcheck, the gates). */
static void compile_twin_pair(bool post, struct policy **by_switch, struct policy **by_libpod)
{
	struct policy_settings l = { .post = post, .libpod = true, .allow_start = true };
	for (size_t g = 0; g < POLICY_N_GATES; g++)
		l.gate_closed[g] = !post && g % 2 == 0;
	for (size_t k = 0; k < policy_n_libpod_switches; k++) {
		const struct policy_libpod_switch *w = &policy_libpod_switches[k];
		for (size_t i = 0; i < policy_n_sections; i++)
			if (w->kind == POLICY_LP_TWIN && strcmp(w->name, "exec") != 0 &&
			    strcmp(w->name, policy_sections[i].segment) == 0)
				l.section_on[i] = true;
	}
	struct policy_settings s = l;
	s.libpod = false;
	for (size_t k = 0; k < policy_n_libpod_switches; k++) {
		const struct policy_libpod_switch *w = &policy_libpod_switches[k];
		s.libpod_on[k] = (w->kind == POLICY_LP_TWIN && strcmp(w->name, "exec") != 0) ||
				 strcmp(w->setting, "LIBPOD_ALLOW_START") == 0;
	}
	*by_switch = policy_compile(&s, NULL, 0);
	*by_libpod = policy_compile(&l, NULL, 0);
}

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
	static struct policy *by_switch[2], *by_libpod[2];
	if (open_all == NULL) {
		compile_twin_pair(true, &by_switch[0], &by_libpod[0]);
		compile_twin_pair(false, &by_switch[1], &by_libpod[1]);
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
			for (size_t k = 0; k < 2; k++) {
				struct policy_verdict a, b;
				policy_judge(by_switch[k], &preq, &a);
				policy_judge(by_libpod[k], &preq, &b);
				assert(a.allow == b.allow);
			}
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
