/* test_binding.c - which binding serves a client, and reloads. Pick rows
 * read
 *   file (with or without "default"), listener, who the client is
 *     -> the profile that serves it, "nobody" (the 403) or "env".
 * Then the life of generations across reloads: a reload that fails
 * changes nothing, a good one retires the old generation, which lives
 * until the last connection holding it lets go; and the 403 of a client
 * nobody serves, read from real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "rows.h"

#include "binding.h"
#include "path.h"
#include "policy.h"
#include "policy_file.h"
#include "profile.h"

#define TCP_LISTENER "tcp://0.0.0.0:2375"
#define UNIX_LISTENER "unix:///run/dockgate/a.sock"
#define FREE_LISTENER "unix:///run/dockgate/free.sock"

static struct cfg_listener listeners[3];
static struct policy *env;
static struct profile *env_profile; /* PROFILE's stand-in */

#define PROFILES                                                       \
	"version: 1\n"                                                 \
	"profiles:\n"                                                  \
	"  lister:\n    allow: [ContainerList]\n"                      \
	"  informer:\n    allow: [SystemInfo]\n"
#define CLIENTS                                                        \
	"clients:\n"                                                   \
	"  - listener: " TCP_LISTENER "\n    from: [10.0.0.0/8]\n"     \
	"    profile: lister\n"                                        \
	"  - listener: " UNIX_LISTENER "\n    uid: [1000]\n"           \
	"    profile: informer\n"                                      \
	"  - listener: " UNIX_LISTENER "\n    gid: [50]\n"             \
	"    profile: lister\n"
#define DEFAULT "  default:\n    allow: [SystemPing]\n"

static void setup_listeners(void)
{
	listeners[0] = (struct cfg_listener){ .kind = CFG_LISTEN_TCP, .host = "0.0.0.0",
					      .port = 2375, .text = TCP_LISTENER };
	listeners[1] = (struct cfg_listener){ .kind = CFG_LISTEN_UNIX,
					      .path = "/run/dockgate/a.sock", .text = UNIX_LISTENER };
	listeners[2] = (struct cfg_listener){ .kind = CFG_LISTEN_UNIX,
					      .path = "/run/dockgate/free.sock",
					      .text = FREE_LISTENER };
}

static struct policy_file *parse(const char *text)
{
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_parse("p.yml", text, strlen(text), listeners, 3, env,
						  err, sizeof err);
	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

/* What a binding says, as a row names it. */
static const char *served_as(const struct binding *b)
{
	if (b->unmatched)
		return "nobody";
	if (b->profile == NULL)
		return "env rules";
	return profile_name(b->profile);
}

/* ==== Picks ==== */

struct pick_row {
	const char *name;
	bool with_default;
	size_t listener;
	const char *address; /* TCP: IPv4 or IPv6 text; NULL: none */
	long uid, gid;       /* unix: -1 for no credentials */
	const char *want;    /* a profile's name, "nobody", or "PROFILE" (env_profile) */
};

static struct pick_row pick_rows[] = {
	{ "tcp entry by address", false, 0, "10.1.2.3", -1, -1, "lister" },
	{ "tcp dual-stack IPv4 client", false, 0, "::ffff:10.9.9.9", -1, -1, "lister" },
	{ "tcp no entry matches: nobody", false, 0, "192.168.1.1", -1, -1, "nobody" },
	{ "tcp no entry matches: default", true, 0, "192.168.1.1", -1, -1, "default" },
	{ "tcp peer unknown: nobody", false, 0, NULL, -1, -1, "nobody" },
	{ "unix entry by uid", false, 1, NULL, 1000, 1000, "informer" },
	{ "unix first match wins", false, 1, NULL, 1000, 50, "informer" },
	{ "unix entry by gid", false, 1, NULL, 7, 50, "lister" },
	{ "unix no entry matches: nobody", false, 1, NULL, 0, 0, "nobody" },
	{ "unix no entry matches: default", true, 1, NULL, 0, 0, "default" },
	{ "unix no credentials: nobody", false, 1, NULL, -1, -1, "nobody" },
	{ "listener without entries: the environment's", false, 2, NULL, 0, 0, "PROFILE" },
	{ "listener without entries: default", true, 2, NULL, 0, 0, "default" },
};

static void run_pick_row(void **state)
{
	const struct pick_row *row = *state;
	struct policy_file *f = parse(row->with_default ? PROFILES DEFAULT CLIENTS
							: PROFILES CLIENTS);
	assert_int_equal(binding_setup(listeners, 3, NULL, env, env_profile, f), 0);
	struct sockaddr_storage ss = { 0 };
	struct sockaddr *peer = NULL;
	if (row->address != NULL && inet_pton(AF_INET, row->address,
					      &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		peer = (struct sockaddr *)&ss;
	} else if (row->address != NULL) {
		assert_int_equal(inet_pton(AF_INET6, row->address,
					   &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		ss.ss_family = AF_INET6;
		peer = (struct sockaddr *)&ss;
	}
	struct ucred cred = { .pid = 1, .uid = (uid_t)row->uid, .gid = (gid_t)row->gid };
	struct binding *b = binding_pick(row->listener, peer, row->uid >= 0 ? &cred : NULL);
	const char *want = strcmp(row->want, "PROFILE") == 0 ? profile_name(env_profile)
							     : row->want;
	assert_string_equal(served_as(b), want);
	assert_false(binding_stale(b));
	binding_release(b);
	binding_free();
}

/* Without a policy file every client is the environment's: the PROFILE
 * preset's profile, or the env rule list. */
static void test_no_file(void **state)
{
	(void)state;
	assert_int_equal(binding_setup(listeners, 3, "", env, NULL, NULL), 0);
	struct binding *b = binding_pick(0, NULL, NULL);
	assert_string_equal(served_as(b), "env rules");
	assert_int_equal(binding_reload(), -1); /* nothing to reload */
	assert_false(binding_stale(b));
	binding_release(b);
	binding_free();
	assert_int_equal(binding_generations(), 0);
}

/* ==== Reloads ==== */

static char policy_path[64];

static void write_policy(const char *text)
{
	FILE *fp = fopen(policy_path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct policy_file *read_policy(void)
{
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_read(policy_path, listeners, 3, env, err, sizeof err);
	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

#define TO_LISTER "  - listener: " TCP_LISTENER "\n    profile: lister\n"
#define TO_INFORMER "  - listener: " TCP_LISTENER "\n    profile: informer\n"

/* A good reload retires the generation; connections holding it keep it
 * alive (their log strings point into it) until they let go. */
static void test_reload_retires_until_released(void **state)
{
	(void)state;
	write_policy(PROFILES "clients:\n" TO_LISTER);
	assert_int_equal(binding_setup(listeners, 3, policy_path, env, NULL, read_policy()), 0);
	struct binding *held = binding_pick(0, NULL, NULL), *also = binding_pick(0, NULL, NULL);
	const struct profile *old = held->profile;
	assert_string_equal(served_as(held), "lister");

	write_policy(PROFILES "clients:\n" TO_INFORMER);
	assert_int_equal(binding_reload(), 0);
	assert_true(binding_stale(held));
	assert_int_equal(binding_generations(), 2);
	/* The old profile is still whole for those who hold it. */
	assert_ptr_equal(held->profile, old);
	assert_string_equal(profile_name(old), "lister");
	struct binding *fresh = binding_pick(0, NULL, NULL);
	assert_string_equal(served_as(fresh), "informer");
	assert_false(binding_stale(fresh));

	/* A connection's next request picks again. */
	binding_repick(&also, 0, -1);
	assert_string_equal(served_as(also), "informer");
	assert_int_equal(binding_generations(), 2); /* held still holds it */
	binding_release(held);
	assert_int_equal(binding_generations(), 1);

	/* A generation nobody holds goes at once. */
	write_policy(PROFILES "clients:\n" TO_LISTER);
	binding_release(fresh);
	binding_release(also);
	assert_int_equal(binding_reload(), 0);
	assert_int_equal(binding_generations(), 1);
	binding_free();
	assert_int_equal(binding_generations(), 0);
}

/* A file that fails to load changes nothing: same generation, same
 * profile for new clients, nothing stale. */
static void test_failed_reload_changes_nothing(void **state)
{
	(void)state;
	write_policy(PROFILES "clients:\n" TO_LISTER);
	assert_int_equal(binding_setup(listeners, 3, policy_path, env, NULL, read_policy()), 0);
	struct binding *held = binding_pick(0, NULL, NULL);
	static const char *const broken[] = {
		PROFILES "clients:\n  - listener: tcp://1.2.3.4:5\n    profile: lister\n",
		PROFILES "  x:\n    allow: [NoSuchOperation]\n",
		"version: 1\nprofiles: [",
		"",
	};
	for (size_t i = 0; i < N_ROWS(broken); i++) {
		write_policy(broken[i]);
		assert_int_equal(binding_reload(), -1);
		assert_false(binding_stale(held));
		assert_int_equal(binding_generations(), 1);
		struct binding *b = binding_pick(0, NULL, NULL);
		assert_ptr_equal(b, held);
		binding_release(b);
	}
	unlink(policy_path);
	assert_int_equal(binding_reload(), -1);
	assert_false(binding_stale(held));
	binding_release(held);
	binding_free();
}

/* ==== Picking from a socket, and the 403 of nobody ==== */

static struct policy_verdict deny_of(size_t listener, int fd)
{
	struct path_info path = { .path = { "/v1.41/containers/json", 22 } };
	struct policy_request rq = { .method = { "GET", 3 }, .path = &path };
	struct policy_verdict v;
	binding_deny_unmatched(listener, fd, &rq, &v);
	assert_false(v.allow);
	return v;
}

static void test_unix_socket(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char text[512];
	snprintf(text, sizeof text, PROFILES "clients:\n  - listener: " UNIX_LISTENER
		 "\n    uid: [%u]\n    profile: informer\n", (unsigned)getuid() + 1);
	assert_int_equal(binding_setup(listeners, 3, NULL, env, NULL, parse(text)), 0);
	struct binding *b = binding_pick_fd(1, sv[0]);
	assert_true(b->unmatched);
	struct policy_verdict v = deny_of(1, sv[0]);
	char want[200];
	snprintf(want, sizeof want, "dockgate: GET /v1.41/containers/json is denied: no profile "
		 "of the policy file matches this client (uid %u, gid %u) on listener "
		 UNIX_LISTENER, (unsigned)getuid(), (unsigned)getgid());
	assert_string_equal(v.message, want);
	binding_release(b);
	binding_free();

	snprintf(text, sizeof text, PROFILES "clients:\n  - listener: " UNIX_LISTENER
		 "\n    uid: [%u]\n    profile: informer\n", (unsigned)getuid());
	assert_int_equal(binding_setup(listeners, 3, NULL, env, NULL, parse(text)), 0);
	b = binding_pick_fd(1, sv[0]);
	assert_string_equal(served_as(b), "informer");
	binding_release(b);
	/* A socket whose peer cannot be read matches no entry that asks. */
	b = binding_pick_fd(1, -1);
	assert_true(b->unmatched);
	binding_release(b);
	binding_free();
	close(sv[0]);
	close(sv[1]);
}

static void test_tcp_socket(void **state)
{
	(void)state;
	int server = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	assert_int_equal(bind(server, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(server, 1), 0);
	assert_int_equal(getsockname(server, (struct sockaddr *)&sa, &len), 0);
	int client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&sa, sizeof sa), 0);
	int fd = accept(server, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(binding_setup(listeners, 3, NULL, env, NULL,
				       parse(PROFILES CLIENTS)), 0);
	struct binding *b = binding_pick_fd(0, fd); /* 127.0.0.1 is not 10/8 */
	assert_true(b->unmatched);
	struct policy_verdict v = deny_of(0, fd);
	assert_non_null(strstr(v.message, "matches this client (address 127.0.0.1) on listener "
				TCP_LISTENER));
	binding_release(b);
	binding_free();
	close(fd);
	close(client);
	close(server);
}

/* ==== Hostile clients ==== */

/* An entry for a narrow profile ahead of one that takes everybody else on
 * the listener: a client the narrow entry names must never fall through
 * to the wide one. */
#define NARROW_THEN_WIDE(block)                                        \
	PROFILES "clients:\n"                                          \
	"  - listener: " TCP_LISTENER "\n    from: [\"" block "\"]\n"  \
	"    profile: lister\n"                                        \
	"  - listener: " TCP_LISTENER "\n    profile: informer\n"

static const char *served_address(const char *address)
{
	struct sockaddr_storage ss = { 0 };
	if (inet_pton(AF_INET, address, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, address, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		fail_msg("%s is no address", address);
	struct binding *b = binding_pick(0, (struct sockaddr *)&ss, NULL);
	const char *as = served_as(b);
	binding_release(b);
	return as; /* a name in the generation, which stays current */
}

struct block_row {
	const char *name;
	const char *block;
	const char *address;
	const char *want; /* lister: the block's entry; informer: the next */
};

/* An IPv4 client is the same client on a 0.0.0.0 listener (AF_INET) and
 * on a [::] one (::ffff:a.b.c.d), and a block names the same clients
 * whichever way it is written. */
static struct block_row block_rows[] = {
	{ "IPv4-mapped block, IPv4 client", "::ffff:10.0.0.0/104", "10.1.2.3", "lister" },
	{ "IPv4-mapped block, mapped client", "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", "lister" },
	{ "IPv4-mapped block, other client", "::ffff:10.0.0.0/104", "11.0.0.1", "informer" },
	{ "IPv4-mapped host, IPv4 client", "::ffff:10.1.2.3", "10.1.2.3", "lister" },
	{ "IPv4-mapped /128, mapped client", "::ffff:10.1.2.3/128", "::ffff:10.1.2.3", "lister" },
	{ "IPv4 block, mapped client", "10.0.0.0/8", "::ffff:10.1.2.3", "lister" },
	{ "IPv4 /32, mapped client", "10.1.2.3/32", "::ffff:10.1.2.3", "lister" },
	{ "IPv4 /32, next address", "10.1.2.3/32", "10.1.2.4", "informer" },
	{ "IPv4 /0 is every IPv4 client", "0.0.0.0/0", "::ffff:192.0.2.1", "lister" },
	{ "IPv4 /0 is no IPv6 client", "0.0.0.0/0", "2001:db8::1", "informer" },
	{ "IPv6 /0 is every client", "::/0", "10.1.2.3", "lister" },
	{ "IPv6 /0, mapped client", "::/0", "::ffff:10.1.2.3", "lister" },
	{ "IPv6 /96 is not IPv4's", "::/96", "10.1.2.3", "informer" },
	{ "IPv6 /128 of a mapped address", "::ffff:a01:203/128", "10.1.2.3", "lister" },
	{ "IPv6 block, IPv6 client", "fd00::/8", "fd12::1", "lister" },
	{ "IPv6 block, IPv4 client", "fd00::/8", "10.1.2.3", "informer" },
};

static void run_block_row(void **state)
{
	const struct block_row *row = *state;
	char text[1024];
	snprintf(text, sizeof text, NARROW_THEN_WIDE("%s"), row->block);
	assert_int_equal(binding_setup(listeners, 3, NULL, env, NULL, parse(text)), 0);
	assert_string_equal(served_address(row->address), row->want);
	binding_free();
}

/* A TCP connection to this process: *client and *server its two ends. */
static void tcp_pair(int *client, int *server)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&sa, sizeof sa), 0);
	*server = accept(ls, NULL, NULL);
	assert_true(*server >= 0);
	close(ls);
}

/* A client that sends its request and resets the connection is gone when
 * the proxy reads who it is again after a reload (getpeername: ENOTCONN).
 * Its request may still be in the proxy's buffer, and is judged: it must
 * not be judged as "a client no from: names", which falls through to the
 * entry without conditions behind its own. */
static void test_reset_client_repicks(void **state)
{
	(void)state;
	write_policy(NARROW_THEN_WIDE("127.0.0.0/8"));
	assert_int_equal(binding_setup(listeners, 3, policy_path, env, NULL, read_policy()), 0);
	int client, fd;
	tcp_pair(&client, &fd);
	struct binding *b = binding_pick_fd(0, fd);
	assert_string_equal(served_as(b), "lister");
	assert_int_equal(binding_reload(), 0);
	assert_true(binding_stale(b));
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	assert_int_equal(setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
	close(client);
	usleep(10000);
	binding_repick(&b, 0, fd);
	assert_string_equal(served_as(b), "nobody");
	binding_release(b);
	binding_free();
	close(fd);
}

int main(void)
{
	setup_listeners();
	struct policy_settings s = { .post = false };
	for (size_t i = 0; i < policy_n_sections; i++)
		s.section_on[i] = policy_sections[i].default_on;
	env = policy_compile(&s, NULL, 0);
	env_profile = profile_new("from-PROFILE", env, false);
	snprintf(policy_path, sizeof policy_path, "/tmp/dgt-binding-%ld.yml", (long)getpid());
	ROWS_ADD_EACH(run_pick_row, pick_rows, "pick");
	rows_add(test_no_file, NULL, "pick", "no policy file");
	rows_add(test_reload_retires_until_released, NULL, "reload", "retires until released");
	rows_add(test_failed_reload_changes_nothing, NULL, "reload", "a failure changes nothing");
	rows_add(test_unix_socket, NULL, "socket", "unix: SO_PEERCRED and the 403");
	rows_add(test_tcp_socket, NULL, "socket", "tcp: getpeername and the 403");
	ROWS_ADD_EACH(run_block_row, block_rows, "hostile");
	rows_add(test_reset_client_repicks, NULL, "hostile", "a reset client after a reload");
	int rc = rows_run("binding");
	unlink(policy_path);
	profile_free(env_profile);
	policy_free(env);
	return rc;
}
