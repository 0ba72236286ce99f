/* libFuzzer target: the policy file reader (policy_file_parse), on any
 * bytes as the file. Invariants: it accepts or refuses without a crash,
 * a leak or undefined behaviour; a refusal is one line that starts with
 * "fuzz.yml:LINE:COLUMN: " (both at least 1) and says something; an
 * accepted file has a profile for every target and a client only on a
 * listener it was given, and picking a profile for any peer gives a
 * valid index or -1. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "policy_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg_listener listeners[] = {
	{ .kind = CFG_LISTEN_TCP, .host = "0.0.0.0", .port = 2375, .text = "tcp://0.0.0.0:2375" },
	{ .kind = CFG_LISTEN_UNIX, .path = "/run/dockgate/ci.sock",
	  .text = "unix:///run/dockgate/ci.sock" },
	{ .kind = CFG_LISTEN_TCP, .host = "::", .port = 2376, .text = "tcp://[::]:2376" },
};
#define N_LISTENERS (sizeof listeners / sizeof listeners[0])

/* "fuzz.yml:L:C: text", L and C decimal and above 0. */
static void check_message(const char *err)
{
	const char *p = err + strlen("fuzz.yml:");
	assert(strncmp(err, "fuzz.yml:", strlen("fuzz.yml:")) == 0);
	for (int field = 0; field < 2; field++) {
		char *end;
		unsigned long n = strtoul(p, &end, 10);
		assert(end > p && *end == ':' && n >= 1);
		p = end + 1;
	}
	assert(p[0] == ' ' && p[1] != '\0');
	assert(strchr(err, '\n') == NULL);
}

static void check_accepted(const struct policy_file *f)
{
	for (size_t i = 0; i < f->n_profiles; i++)
		assert(f->profiles[i] != NULL);
	assert(f->default_profile >= -1 && f->default_profile < (long)f->n_profiles);
	struct sockaddr_in in = { .sin_family = AF_INET };
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "fd00::1", &in6.sin6_addr);
	struct ucred cred = { .pid = 1, .uid = 1000, .gid = 100 };
	for (size_t i = 0; i < f->n_clients; i++) {
		assert(f->clients[i].listener < N_LISTENERS);
		assert(f->clients[i].target < f->n_profiles);
	}
	for (size_t l = 0; l < N_LISTENERS; l++) {
		long picks[] = {
			policy_file_pick(f, l, (const struct sockaddr *)&in, NULL),
			policy_file_pick(f, l, (const struct sockaddr *)&in6, NULL),
			policy_file_pick(f, l, NULL, &cred),
			policy_file_pick(f, l, NULL, NULL),
		};
		for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
			assert(picks[i] >= -1 && picks[i] < (long)f->n_profiles);
			assert(picks[i] == -1 || policy_file_binds(f, l));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *env;
	if (env == NULL) {
		struct policy_settings s = { .post = false };
		env = policy_compile(&s, NULL, 0);
		assert(env != NULL);
	}
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_parse("fuzz.yml", (const char *)data, size, listeners,
						  N_LISTENERS, env, err, sizeof err);
	if (f == NULL) {
		check_message(err);
		return 0;
	}
	check_accepted(f);
	policy_file_free(f);
	return 0;
}
