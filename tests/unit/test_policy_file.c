/* test_policy_file.c - the policy file: every error a file can have, at
 * the line and column an editor shows, and what a valid file builds:
 * extends chains, deny over allow, the /libpod twins, and which profile a
 * client gets. Error rows read
 *   file text -> "f.yml:LINE:COLUMN: " and words of the message.
 * The file is checked against three listeners: LISTENERS below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "rows.h"

#include "cidr.h"
#include "policy.h"
#include "policy_doc.h"
#include "policy_file.h"
#include "presets.h"
#include "profile.h"
#include "route.h"

#define TCP_LISTENER "tcp://0.0.0.0:2375"
#define UNIX_LISTENER "unix:///run/dockgate/ci.sock"
#define TCP6_LISTENER "tcp://[::]:2376"

static struct cfg_listener listeners[3];
static struct policy *env; /* the defaults plus CONTAINERS=1 */

static void setup_listeners(void)
{
	listeners[0] = (struct cfg_listener){ .kind = CFG_LISTEN_TCP, .host = "0.0.0.0",
					      .port = 2375, .text = TCP_LISTENER };
	listeners[1] = (struct cfg_listener){ .kind = CFG_LISTEN_UNIX,
					      .path = "/run/dockgate/ci.sock",
					      .text = UNIX_LISTENER };
	listeners[2] = (struct cfg_listener){ .kind = CFG_LISTEN_TCP, .host = "::",
					      .port = 2376, .text = TCP6_LISTENER };
}

static struct policy_file *parse(const char *text, char *err, size_t cap)
{
	return policy_file_parse("f.yml", text, strlen(text), listeners, 3, env, err, cap);
}

/* ==== Errors ==== */

struct error_row {
	const char *name;
	const char *text;
	const char *where; /* "f.yml:LINE:COLUMN: " */
	const char *words; /* in the message after it */
};

#define V "version: 1\n"
#define P V "profiles:\n"
#define C V "clients:\n"

static struct error_row error_rows[] = {
	/* Keys. */
	{ "unknown key at the top", V "profile:\n  a: {}\n", "f.yml:2:1: ",
	  "unknown key 'profile' in the file (known: version, profiles, clients)" },
	{ "unknown key in a profile", P "  web:\n    allows: [ContainerList]\n", "f.yml:4:5: ",
	  "unknown key 'allows' in profile web" },
	{ "unknown key in a client entry", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    user: [1]\n", "f.yml:5:5: ", "unknown key 'user' in a client entry" },
	{ "unknown key in a section rule", P "  a:\n    allow:\n      - section: networks\n"
	  "        method: [GET]\n", "f.yml:6:9: ", "unknown key 'method' in a section rule" },
	{ "duplicate key at the top", V "version: 1\n", "f.yml:2:1: ",
	  "duplicate key 'version' in the file (first at 1:1)" },
	{ "duplicate key in a profile", P "  a:\n    allow: [ContainerList]\n"
	  "    allow: [ContainerLogs]\n", "f.yml:5:5: ",
	  "duplicate key 'allow' in profile a (first at 4:5)" },
	{ "duplicate profile", P "  a: {}\n  b: {}\n  a: {}\n", "f.yml:5:3: ",
	  "duplicate key: profile 'a' is defined at 3:3 already" },
	{ "a key that is a list", P "  a:\n    [x]: 1\n", "f.yml:4:5: ",
	  "a key of profile a must be a name, not a list" },

	/* Types. */
	{ "allow is a string", P "  a:\n    allow: ContainerList\n", "f.yml:4:12: ",
	  "allow must be a list, not a string" },
	{ "profiles is a list", V "profiles: [a]\n", "f.yml:2:11: ",
	  "profiles must be a mapping, not a list" },
	{ "a profile is empty", P "  a:\n", "f.yml:3:5: ",
	  "profile a must be a mapping, not empty" },
	{ "libpod is yes", P "  a:\n    libpod: yes\n", "f.yml:4:13: ",
	  "libpod: write true or false, not yes" },
	{ "libpod is a string", P "  a:\n    libpod: \"true\"\n", "f.yml:4:13: ",
	  "libpod must be true or false, not a string" },
	{ "version is quoted", "version: \"1\"\nclients: []\n", "f.yml:1:10: ",
	  "version must be a number, not a string" },
	{ "version 2", "version: 2\nclients: []\n", "f.yml:1:10: ",
	  "version 2 is not known: this dockgate reads version 1" },
	{ "version is missing", "clients: []\n", "f.yml:1:1: ", "version: 1 is missing" },
	{ "nothing but the version", V, "f.yml:1:1: ",
	  "the file has neither profiles: nor clients:" },
	{ "a rule that is a number", P "  a:\n    allow: [12]\n", "f.yml:4:13: ",
	  "a rule must be a string, not a number (quote it)" },
	{ "a rule that is a list", P "  a:\n    allow: [[ContainerList]]\n", "f.yml:4:13: ",
	  "a rule is an operation, 'METHOD /template' or a section: mapping, not a list" },
	{ "a rule with a NUL", P "  a:\n    allow: [\"Container\\0List\"]\n", "f.yml:4:13: ",
	  "a rule holds a NUL character" },
	{ "a profile name that is a number", P "  1: {}\n", "f.yml:3:3: ",
	  "a profile name must be a string, not a number" },
	{ "a client entry that is a string", C "  - " TCP_LISTENER "\n", "f.yml:3:5: ",
	  "a client entry must be a mapping (listener:, profile:, ...), not a string" },
	{ "extends is a list", P "  a:\n    extends: [env]\n", "f.yml:4:14: ",
	  "extends must be a string, not a list" },

	/* Operations, templates, sections. */
	{ "unknown operation", P "  a:\n    allow:\n      - ContainerList\n      - ContainerLog\n",
	  "f.yml:6:9: ", "unknown operation 'ContainerLog'" },
	{ "unknown operation in deny", P "  a:\n    deny: [ContainerList, ContainerExprt]\n",
	  "f.yml:4:27: ", "unknown operation 'ContainerExprt'" },
	{ "a template that matches no route", P "  a:\n    allow:\n"
	  "      - GET /containers/{id}/secrets\n", "f.yml:5:9: ",
	  "rule 'GET /containers/{id}/secrets' matches no route" },
	{ "a template with the version prefix", P "  a:\n    allow:\n"
	  "      - GET /v1.41/containers/json\n", "f.yml:5:9: ", "without the /vX.Y prefix" },
	{ "a libpod template", P "  a:\n    allow:\n      - GET /libpod/containers/json\n",
	  "f.yml:5:9: ", "set libpod: true for its /libpod twin" },
	{ "a method in lower case", P "  a:\n    allow:\n      - get /containers/json\n",
	  "f.yml:5:9: ", "the method must be GET, HEAD, POST, PUT, DELETE, OPTIONS or *" },
	{ "a template without a method", P "  a:\n    allow:\n      - /containers/json\n",
	  "f.yml:5:9: ", "needs a method: 'GET /containers/json'" },
	{ "two spaces after the method", P "  a:\n    allow:\n      - GET  /containers/json\n",
	  "f.yml:5:9: ", "write one space, then a path template" },
	{ "GET does not name the any-method debug routes", P "  a:\n    allow:\n"
	  "      - GET /debug/pprof/heap\n", "f.yml:5:9: ", "matches no route" },
	{ "unknown section", P "  a:\n    allow:\n      - section: container\n", "f.yml:5:18: ",
	  "unknown section 'container'" },
	{ "a section rule without section", P "  a:\n    allow:\n      - methods: [GET]\n",
	  "f.yml:5:9: ", "a section rule needs section: NAME" },
	{ "a section without routes for the methods", P "  a:\n    allow:\n"
	  "      - section: _ping\n        methods: [DELETE]\n", "f.yml:5:9: ",
	  "section '_ping' has no route for these methods" },
	{ "an unknown method", P "  a:\n    allow:\n      - section: networks\n"
	  "        methods: [GET, FETCH]\n", "f.yml:6:24: ", "unknown method 'FETCH'" },
	{ "an empty method list", P "  a:\n    allow:\n      - section: networks\n"
	  "        methods: []\n", "f.yml:6:18: ", "methods is empty" },

	/* Profiles and what they extend. */
	{ "unknown parent", P "  a:\n    extends: trafik\n", "f.yml:4:14: ",
	  "extends 'trafik' is no profile of this file, no preset (" },
	{ "a cycle of two", P "  a:\n    extends: b\n  b:\n    extends: a\n", "f.yml:6:14: ",
	  "extends cycle: a -> b -> a" },
	{ "a cycle of three", P "  a:\n    extends: b\n  b:\n    extends: c\n  c:\n"
	  "    extends: a\n", "f.yml:8:14: ", "extends cycle: a -> b -> c -> a" },
	{ "a profile that extends itself", P "  a:\n    extends: a\n", "f.yml:4:14: ",
	  "extends cycle: a -> a" },
	{ "a profile called env", P "  env: {}\n", "f.yml:3:3: ",
	  "profile name 'env' is the environment's policy" },
	{ "a profile name with a slash", P "  a/b: {}\n", "f.yml:3:3: ",
	  "profile name 'a/b': use letters, digits" },

	/* Clients. */
	{ "unknown listener", C "  - listener: tcp://0.0.0.0:9999\n    profile: env\n",
	  "f.yml:3:15: ", "listener 'tcp://0.0.0.0:9999' is not one of LISTEN's "
	  "(" TCP_LISTENER ", " UNIX_LISTENER ", " TCP6_LISTENER ")" },
	{ "unknown client profile", C "  - listener: " TCP_LISTENER "\n    profile: nobody\n",
	  "f.yml:4:14: ", "profile 'nobody' is no profile of this file" },
	{ "a client entry without a profile", C "  - listener: " TCP_LISTENER "\n",
	  "f.yml:3:5: ", "a client entry needs profile:" },
	{ "a client entry without a listener", C "  - profile: env\n", "f.yml:3:5: ",
	  "a client entry needs listener:" },
	{ "a CIDR with a prefix too long", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    from: [10.0.0.0/33]\n", "f.yml:5:12: ",
	  "'10.0.0.0/33': the prefix length must be 0 to 32" },
	{ "a CIDR with host bits", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    from: [10.1.0.0/8]\n", "f.yml:5:12: ",
	  "'10.1.0.0/8' has bits set after its first 8: the block is 10.0.0.0/8" },
	{ "an IPv6 CIDR with host bits", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    from: [\"fd00::1/8\"]\n", "f.yml:5:12: ", "the block is fd00::/8" },
	{ "a CIDR that is a name", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    from: [localhost]\n", "f.yml:5:12: ", "'localhost' is not an address block" },
	{ "an empty from list", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    from: []\n", "f.yml:5:11: ", "from is empty: it would match no client" },
	{ "uid on a TCP listener", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    uid: [1000]\n", "f.yml:5:5: ",
	  TCP_LISTENER " is a TCP listener: uid and gid match clients of unix listeners" },
	{ "gid on a TCP listener", C "  - listener: " TCP_LISTENER "\n    profile: env\n"
	  "    gid: [1000]\n", "f.yml:5:5: ", "is a TCP listener" },
	{ "from on a unix listener", C "  - from: [10.0.0.0/8]\n    listener: " UNIX_LISTENER
	  "\n    profile: env\n", "f.yml:3:5: ",
	  UNIX_LISTENER " is a unix listener: from matches clients of TCP listeners" },
	{ "a uid out of range", C "  - listener: " UNIX_LISTENER "\n    profile: env\n"
	  "    uid: [4294967295]\n", "f.yml:5:11: ", "uid must be from 0 to 4294967294" },
	{ "a negative gid", C "  - listener: " UNIX_LISTENER "\n    profile: env\n"
	  "    gid: [-1]\n", "f.yml:5:11: ", "gid must be from 0 to 4294967294, not -1" },
	{ "a uid name", C "  - listener: " UNIX_LISTENER "\n    profile: env\n"
	  "    uid: [root]\n", "f.yml:5:11: ", "uid must be a number, not a string" },

	/* YAML itself. */
	{ "a syntax error", P "  a:\n    allow: [ContainerList\n", "f.yml:5:1: ", "YAML: " },
	{ "a tab for indentation", P "\ta: {}\n", "f.yml:3:1: ", "YAML: " },
	{ "an anchor", P "  a: &base\n    allow: [ContainerList]\n  b: *base\n", "f.yml:3:6: ",
	  "an anchor &base: anchors and aliases are refused" },
	{ "an anchor on a list", P "  a:\n    allow: &l [ContainerList]\n", "f.yml:4:12: ",
	  "an anchor &l" },
	{ "a tag", "version: !!int 1\nclients: []\n", "f.yml:1:10: ", "a tag tag:yaml.org,2002:int" },
	{ "a second document", V "clients: []\n---\n" V, "f.yml:3:1: ",
	  "a second YAML document" },
	{ "an empty file", "", "f.yml:1:1: ", "the file is empty" },
	{ "a file of comments", "# nothing\n", "f.yml:2:1: ", "the file is empty" },
	{ "a file that is a list", "- version: 1\n", "f.yml:1:1: ",
	  "a policy file must be a mapping, not a list" },
	{ "invalid UTF-8", V "clients: []\n# \xff\n", "f.yml:3:3: ", "YAML: invalid" },
};

static void test_error(void **state)
{
	const struct error_row *row = *state;
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = parse(row->text, err, sizeof err);
	if (f != NULL) {
		policy_file_free(f);
		fail_msg("parsed, want %s%s", row->where, row->words);
	}
	size_t n = strlen(row->where);
	if (strncmp(err, row->where, n) != 0 || strstr(err + n, row->words) == NULL)
		fail_msg("got '%s', want '%s...%s...'", err, row->where, row->words);
}

/* A file over the size limit is refused before it is parsed, at the
 * place where it crosses the limit. */
static void test_size_limit(void **state)
{
	(void)state;
	size_t len = POLICY_DOC_MAX_BYTES + 1;
	char *text = malloc(len);
	assert_non_null(text);
	memset(text, '#', len);
	for (size_t i = 99; i < len; i += 100)
		text[i] = '\n';
	char err[POLICY_DOC_ERROR_MAX];
	assert_null(policy_file_parse("f.yml", text, len, listeners, 3, env, err, sizeof err));
	char want[POLICY_DOC_ERROR_MAX];
	snprintf(want, sizeof want, "f.yml:%d:%d: the file is larger than %d bytes",
		 POLICY_DOC_MAX_BYTES / 100 + 1, POLICY_DOC_MAX_BYTES % 100 + 1,
		 POLICY_DOC_MAX_BYTES);
	assert_string_equal(err, want);
	/* Exactly at the limit it is read (and found to be all comment). */
	assert_null(policy_file_parse("f.yml", text, len - 1, listeners, 3, env, err, sizeof err));
	assert_non_null(strstr(err, "the file is empty"));
	free(text);
}

/* A preset's name is no profile name either. */
static void test_preset_name_taken(void **state)
{
	(void)state;
	char text[200], err[POLICY_DOC_ERROR_MAX];
	snprintf(text, sizeof text, P "  %s: {}\n", presets[0].name);
	assert_null(parse(text, err, sizeof err));
	assert_non_null(strstr(err, "f.yml:3:3: profile name"));
	assert_non_null(strstr(err, "is a preset's: choose another name"));
}

/* What cannot be read is said with the path. */
static void test_unreadable(void **state)
{
	(void)state;
	char err[POLICY_DOC_ERROR_MAX];
	assert_null(policy_file_read("/nonexistent/policy.yml", listeners, 3, env, err,
				     sizeof err));
	assert_string_equal(err, "/nonexistent/policy.yml: No such file or directory");
	assert_null(policy_file_read("/", listeners, 3, env, err, sizeof err));
	assert_string_equal(err, "/: not a regular file");
}

/* ==== Valid files ==== */

static const struct route *route_named(const char *operation)
{
	for (size_t i = 0; i < route_table_len; i++)
		if (strcmp(route_table[i].operation, operation) == 0)
			return &route_table[i];
	fail_msg("no route %s", operation);
	return NULL;
}

/* Fails unless profile p decides want for operation (its /libpod twin
 * with libpod), set by origin when origin is not NULL. */
static void expect(const struct profile *p, const char *operation, bool libpod,
		   enum profile_decision want, const char *origin)
{
	const char *got_origin = NULL;
	enum profile_decision got = profile_get(p, route_named(operation), libpod, &got_origin);
	if (got != want)
		fail_msg("profile %s, %s%s: decision %d, want %d", profile_name(p), operation,
			 libpod ? " (libpod)" : "", got, want);
	if (origin != NULL && (got_origin == NULL || strcmp(got_origin, origin) != 0))
		fail_msg("profile %s, %s%s: origin '%s', want '%s'", profile_name(p), operation,
			 libpod ? " (libpod)" : "", got_origin ? got_origin : "(none)", origin);
}

/* What a valid file builds: profile f->profiles[profile] decides want for
 * operation (its /libpod twin with libpod), set by origin unless NULL. */
struct decision {
	size_t profile;
	const char *operation;
	bool libpod;
	enum profile_decision want;
	const char *origin;
};

/* expect() for each of want[0..), which ends at a NULL operation. */
static void expect_all(const struct policy_file *f, const struct decision *want)
{
	for (; want->operation != NULL; want++)
		expect(f->profiles[want->profile], want->operation, want->libpod, want->want,
		       want->origin);
}

static struct policy_file *parse_ok(const char *text)
{
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = parse(text, err, sizeof err);
	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

static struct sockaddr_storage ipv4(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage ipv6(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	return ss;
}

static long pick_tcp(const struct policy_file *f, size_t listener, struct sockaddr_storage ss)
{
	return policy_file_pick(f, listener, (const struct sockaddr *)&ss, NULL);
}

static long pick_unix(const struct policy_file *f, size_t listener, unsigned uid, unsigned gid)
{
	struct ucred cred = { .pid = 1, .uid = uid, .gid = gid };
	return policy_file_pick(f, listener, NULL, &cred);
}

/* Of test_full_file's profiles: 0 base, 1 child, 2 grandchild, 3 default,
 * 4 env, 5 the preset. */
static const struct decision full_file_decisions[] = {
	{ 0, "ContainerList", false, PROFILE_ALLOW, "f.yml:5:9" },
	{ 0, "ContainerLogs", false, PROFILE_ALLOW, "f.yml:7:9" },
	{ 0, "NetworkList", false, PROFILE_ALLOW, "f.yml:8:9" },
	{ 0, "NetworkCreate", false, PROFILE_DENY, NULL }, /* a section allows reads */
	{ 0, "ContainerCreate", false, PROFILE_DENY, NULL },
	{ 0, "ContainerList", true, PROFILE_DENY, NULL }, /* libpod: false */
	{ 1, "ContainerList", false, PROFILE_ALLOW, "f.yml:5:9" },
	{ 1, "ContainerTop", false, PROFILE_ALLOW, "f.yml:11:13" },
	{ 1, "ContainerInspect", false, PROFILE_DENY, "f.yml:13:9" },
	{ 2, "ContainerInspect", false, PROFILE_ALLOW, "f.yml:16:13" },
	{ 2, "ContainerTop", false, PROFILE_ALLOW, "f.yml:11:13" },
	{ 3, "ContainerList", false, PROFILE_BY_ENV, NULL },
	{ 3, "ContainerList", true, PROFILE_BY_ENV, NULL },
	{ 3, "ContainerArchive", false, PROFILE_DENY, "f.yml:19:12" },
	/* A deny reaches the /libpod twin even without libpod: true. */
	{ 3, "ContainerArchive", true, PROFILE_DENY, "f.yml:19:12" },
	{ 4, "ImageList", false, PROFILE_BY_ENV, NULL },
	{ 5, "ContainerList", false, PROFILE_DENY, NULL },
	{ 0, NULL, false, PROFILE_DENY, NULL },
};

/* Every part of the schema in one file: extends chains, a section rule,
 * env, a preset named by a client, and each kind of client condition. */
static void test_full_file(void **state)
{
	(void)state;
	char text[2048];
	snprintf(text, sizeof text,
		 "version: 1\n"
		 "profiles:\n"
		 "  base:\n"                               /* 3 */
		 "    allow:\n"
		 "      - ContainerList\n"                 /* 5:9 */
		 "      - ContainerInspect\n"              /* 6:9 */
		 "      - GET /containers/{x}/logs\n"      /* 7:9 */
		 "      - section: networks\n"             /* 8:9 */
		 "  child:\n"
		 "    extends: base\n"
		 "    allow: [ContainerTop]\n"             /* 11:13 */
		 "    deny:\n"
		 "      - ContainerInspect\n"              /* 13:9 */
		 "  grandchild:\n"
		 "    extends: child\n"
		 "    allow: [ContainerInspect]\n"         /* 16:13 */
		 "  default:\n"
		 "    extends: env\n"
		 "    deny: [ContainerArchive]\n"          /* 19:12 */
		 "clients:\n"
		 "  - listener: " TCP_LISTENER "\n"
		 "    from: [10.0.0.0/8, \"192.168.1.7\"]\n"
		 "    profile: child\n"
		 "  - listener: " TCP_LISTENER "\n"
		 "    profile: grandchild\n"
		 "  - listener: " UNIX_LISTENER "\n"
		 "    uid: [1000]\n"
		 "    gid: [100, 101]\n"
		 "    profile: env\n"
		 "  - listener: \"" TCP6_LISTENER "\"\n"
		 "    from: [\"fd00::/8\", 10.0.0.0/8]\n"
		 "    profile: %s\n", presets[0].name);
	struct policy_file *f = parse_ok(text);
	assert_int_equal(f->n_profiles, 6);
	const char *names[] = { "base", "child", "grandchild", "default", "env", presets[0].name };
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(profile_name(f->profiles[i]), names[i]);
	assert_int_equal(f->default_profile, 3);
	assert_int_equal(f->n_clients, 4);

	expect_all(f, full_file_decisions);

	/* First match wins; the IPv4-mapped form of an address is that address. */
	assert_int_equal(pick_tcp(f, 0, ipv4("10.1.2.3")), 1);
	assert_int_equal(pick_tcp(f, 0, ipv6("::ffff:10.1.2.3")), 1);
	assert_int_equal(pick_tcp(f, 0, ipv4("192.168.1.7")), 1);
	assert_int_equal(pick_tcp(f, 0, ipv4("192.168.1.8")), 2);
	assert_int_equal(pick_tcp(f, 0, ipv6("fd00::1")), 2);
	assert_int_equal(policy_file_pick(f, 0, NULL, NULL), 2);
	assert_int_equal(pick_unix(f, 1, 1000, 100), 4);
	assert_int_equal(pick_unix(f, 1, 1000, 101), 4);
	assert_int_equal(pick_unix(f, 1, 1000, 102), -1); /* uid and gid must both hold */
	assert_int_equal(pick_unix(f, 1, 0, 100), -1);
	assert_int_equal(policy_file_pick(f, 1, NULL, NULL), -1);
	assert_int_equal(pick_tcp(f, 2, ipv6("fd00::5")), 5);
	assert_int_equal(pick_tcp(f, 2, ipv6("::ffff:10.9.9.9")), 5);
	assert_int_equal(pick_tcp(f, 2, ipv6("2001:db8::1")), -1);
	assert_true(policy_file_binds(f, 0));
	assert_true(policy_file_binds(f, 1));
	assert_true(policy_file_binds(f, 2));
	assert_false(policy_file_binds(f, 3));
	policy_file_free(f);
}

static const struct decision deny_wins_decisions[] = {
	{ 0, "ContainerLogs", false, PROFILE_DENY, "f.yml:4:12" },
	{ 0, "ContainerList", false, PROFILE_ALLOW, "f.yml:5:28" },
	{ 1, "ContainerList", false, PROFILE_DENY, "f.yml:9:9" },
	{ 1, "ContainerCreate", false, PROFILE_DENY, "f.yml:9:9" },
	{ 0, NULL, false, PROFILE_DENY, NULL },
};

/* Within a profile deny wins, whichever comes first in the file; a
 * section deny takes every method. */
static void test_deny_wins(void **state)
{
	(void)state;
	struct policy_file *f = parse_ok(P
		"  a:\n"
		"    deny: [ContainerLogs]\n"                    /* 4:12 */
		"    allow: [ContainerLogs, ContainerList]\n"
		"  b:\n"
		"    allow: [ContainerList, ContainerCreate]\n"
		"    deny:\n"
		"      - section: containers\n");                /* 9:9 */
	expect_all(f, deny_wins_decisions);
	assert_int_equal(f->default_profile, -1);
	assert_false(policy_file_binds(f, 0));
	assert_int_equal(policy_file_pick(f, 0, NULL, NULL), -1);
	policy_file_free(f);
}

static const struct decision libpod_decisions[] = {
	{ 0, "ContainerList", true, PROFILE_ALLOW, NULL },
	{ 0, "ContainerInspect", true, PROFILE_DENY, NULL },
	{ 1, "ContainerLogs", true, PROFILE_ALLOW, NULL },
	{ 1, "ContainerList", true, PROFILE_ALLOW, NULL },
	{ 2, "ContainerList", true, PROFILE_ALLOW, NULL },
	{ 2, "ContainerTop", false, PROFILE_ALLOW, NULL },
	{ 2, "ContainerTop", true, PROFILE_DENY, NULL },
	{ 3, "ContainerInspect", true, PROFILE_BY_ENV, NULL },
	{ 3, "ContainerLogs", true, PROFILE_ALLOW, NULL },
	{ 0, NULL, false, PROFILE_DENY, NULL },
};

/* libpod: true gives the twins the Docker routes' decisions, inherited
 * ones too; a child inherits the flag unless it says otherwise. */
static void test_libpod(void **state)
{
	(void)state;
	struct policy_file *f = parse_ok(P
		"  pod:\n"
		"    libpod: true\n"
		"    allow: [ContainerList]\n"
		"  pod-child:\n"
		"    extends: pod\n"
		"    allow: [ContainerLogs]\n"
		"  docker-only:\n"
		"    extends: pod\n"
		"    libpod: false\n"
		"    allow: [ContainerTop]\n"
		"  from-env:\n"
		"    extends: env\n"
		"    libpod: true\n"
		"    allow: [ContainerLogs]\n");
	expect_all(f, libpod_decisions);
	policy_file_free(f);
}

/* A profile may name its parent before defining it. */
static void test_forward_parent(void **state)
{
	(void)state;
	struct policy_file *f = parse_ok(P
		"  child:\n"
		"    extends: parent\n"
		"  parent:\n"
		"    allow: [SystemInfo]\n"
		"clients:\n"
		"  - listener: " UNIX_LISTENER "\n"
		"    profile: child\n");
	expect(f->profiles[0], "SystemInfo", false, PROFILE_ALLOW, "f.yml:6:13");
	assert_int_equal(pick_unix(f, 1, 0, 0), 0);
	policy_file_free(f);
}

/* The commented example the project ships is valid. */
static void test_example_file(void **state)
{
	(void)state;
	struct cfg_listener example[3] = {
		{ .kind = CFG_LISTEN_UNIX, .path = "/run/dockgate/traefik.sock",
		  .text = "unix:///run/dockgate/traefik.sock" },
		{ .kind = CFG_LISTEN_TCP, .host = "0.0.0.0", .port = 2375,
		  .text = "tcp://0.0.0.0:2375" },
		{ .kind = CFG_LISTEN_UNIX, .path = "/run/dockgate/ci.sock",
		  .text = "unix:///run/dockgate/ci.sock" },
	};
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_read(DOCKGATE_SOURCE_DIR "/docs/policy.example.yml",
						 example, 3, env, err, sizeof err);
	if (f == NULL)
		fail_msg("%s", err);
	assert_true(f->n_profiles >= 3);
	assert_true(f->default_profile >= 0);
	for (size_t i = 0; i < 3; i++)
		assert_true(policy_file_binds(f, i));
	policy_file_free(f);
}

/* ==== Address blocks ==== */

static void test_cidr(void **state)
{
	(void)state;
	struct cidr c;
	assert_int_equal(cidr_parse("10.0.0.0/8", &c), CIDR_OK);
	struct sockaddr_storage in = ipv4("10.255.0.1"), out = ipv4("11.0.0.1");
	assert_true(cidr_contains(&c, (const struct sockaddr *)&in));
	assert_false(cidr_contains(&c, (const struct sockaddr *)&out));
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), CIDR_OK);
	assert_true(cidr_contains(&c, (const struct sockaddr *)&out));
	struct sockaddr_storage v6 = ipv6("2001:db8::1");
	assert_false(cidr_contains(&c, (const struct sockaddr *)&v6));
	assert_int_equal(cidr_parse("2001:db8::/33", &c), CIDR_OK);
	assert_true(cidr_contains(&c, (const struct sockaddr *)&v6));
	struct sockaddr_storage v6out = ipv6("2001:db8:8000::1");
	assert_false(cidr_contains(&c, (const struct sockaddr *)&v6out));
	assert_int_equal(cidr_parse("192.168.1.7", &c), CIDR_OK);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("10.0.0.0/", &c), CIDR_BAD_PREFIX);
	assert_int_equal(cidr_parse("10.0.0.0/+8", &c), CIDR_BAD_PREFIX);
	assert_int_equal(cidr_parse("::/129", &c), CIDR_BAD_PREFIX);
	assert_int_equal(cidr_parse("10.0.0/8", &c), CIDR_BAD_ADDRESS);
	assert_int_equal(cidr_parse("10.0.0.1/31", &c), CIDR_HOST_BITS);
}

int main(void)
{
	setup_listeners();
	struct policy_settings s = { .post = false };
	for (size_t i = 0; i < policy_n_sections; i++)
		s.section_on[i] = policy_sections[i].default_on ||
				  strcmp(policy_sections[i].setting, "CONTAINERS") == 0;
	env = policy_compile(&s, NULL, 0);
	if (env == NULL)
		return 1;
	ROWS_ADD_EACH(test_error, error_rows, "error");
	rows_add(test_size_limit, NULL, "error", "a file over the size limit");
	rows_add(test_preset_name_taken, NULL, "error", "a profile called as a preset");
	rows_add(test_unreadable, NULL, "error", "a file that cannot be read");
	rows_add(test_full_file, NULL, "valid", "every part of the schema");
	rows_add(test_deny_wins, NULL, "valid", "deny wins within a profile");
	rows_add(test_libpod, NULL, "valid", "libpod twins");
	rows_add(test_forward_parent, NULL, "valid", "a parent defined after its child");
	rows_add(test_example_file, NULL, "valid", "docs/policy.example.yml");
	rows_add(test_cidr, NULL, "cidr", "address blocks");
	int rc = rows_run("policy_file");
	policy_free(env);
	return rc;
}
