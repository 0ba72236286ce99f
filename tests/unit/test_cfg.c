/* test_cfg.c - settings from the environment and the command line. Each row
 * is one cmocka test and reads
 *   environment, flags -> result, effective settings, words of the message.
 * Every known variable is unset before each row, so a row's environment is
 * exactly what it lists. Effective settings are written "NAME=value" in the
 * user's terms (LISTEN=tcp://[::]:2375, CONTAINERS=1, LISTEN_MODE=0660).
 * Defaults are docker-socket-proxy's, as the README's settings table lists
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"

#include "cfg.h"
#include "log.h"
#include "policy.h"

static const char *const general_vars[] = {
	"SOCKET_PATH", "LISTEN", "DISABLE_IPV6", "LOG_LEVEL", "POST", "ALLOW_START",
	"ALLOW_STOP", "ALLOW_RESTARTS", "LIBPOD", "ALLOW_SECRET_VALUES", "ALLOW_VOLUME_EXPORT",
	"LISTEN_MODE", "LISTEN_OWNER", "LISTEN_GROUP", "POLICY_FILE",
	"MAX_HEAD_SIZE", "MAX_HEADERS", "HEADER_TIMEOUT", "IDLE_TIMEOUT", "SHUTDOWN_TIMEOUT",
	"MAX_CONNECTIONS", "RUN_USER", "RUN_GROUP", "REFUSE_ROOT", "SECCOMP", "LANDLOCK",
};

static void clear_env(void)
{
	for (size_t i = 0; i < N_ROWS(general_vars); i++)
		unsetenv(general_vars[i]);
	for (size_t i = 0; i < policy_n_sections; i++)
		unsetenv(policy_sections[i].setting);
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		unsetenv(policy_libpod_switches[i].setting);
}

/* One effective setting in the user's terms, for "NAME=value" checks. */
static void render(const struct cfg *c, const char *key, char *out, size_t cap)
{
	out[0] = '\0';
	if (!strcmp(key, "SOCKET_PATH")) {
		snprintf(out, cap, "%s", c->socket_path);
	} else if (!strcmp(key, "LISTEN")) {
		size_t o = 0;
		for (size_t i = 0; i < c->n_listeners && o < cap; i++) {
			const struct cfg_listener *l = &c->listeners[i];
			const char *sep = i ? "," : "";
			if (l->kind == CFG_LISTEN_UNIX)
				o += (size_t)snprintf(out + o, cap - o, "%sunix://%s", sep, l->path);
			else if (strchr(l->host, ':'))
				o += (size_t)snprintf(out + o, cap - o, "%stcp://[%s]:%u", sep, l->host, l->port);
			else
				o += (size_t)snprintf(out + o, cap - o, "%stcp://%s:%u", sep, l->host, l->port);
		}
	} else if (!strcmp(key, "POLICY_FILE")) {
		snprintf(out, cap, "%s", c->policy_file);
	} else if (!strcmp(key, "LISTEN_COUNT")) {
		snprintf(out, cap, "%zu", c->n_listeners);
	} else if (!strcmp(key, "LOG_LEVEL")) {
		snprintf(out, cap, "%s", log_level_name((enum log_level)c->log_level));
	} else if (!strcmp(key, "POST")) {
		snprintf(out, cap, "%d", c->policy.post);
	} else if (!strcmp(key, "ALLOW_START")) {
		snprintf(out, cap, "%d", c->policy.allow_start);
	} else if (!strcmp(key, "ALLOW_STOP")) {
		snprintf(out, cap, "%d", c->policy.allow_stop);
	} else if (!strcmp(key, "ALLOW_RESTARTS")) {
		snprintf(out, cap, "%d", c->policy.allow_restarts);
	} else if (!strcmp(key, "LIBPOD")) {
		snprintf(out, cap, "%d", c->policy.libpod);
	} else if (!strcmp(key, "ALLOW_SECRET_VALUES")) {
		snprintf(out, cap, "%d", c->policy.allow_secret_values);
	} else if (!strcmp(key, "ALLOW_VOLUME_EXPORT")) {
		snprintf(out, cap, "%d", c->policy.allow_volume_export);
	} else if (!strcmp(key, "LISTEN_MODE")) {
		snprintf(out, cap, "%04o", c->listen_mode);
	} else if (!strcmp(key, "LISTEN_OWNER")) {
		snprintf(out, cap, "%ld", c->listen_uid);
	} else if (!strcmp(key, "LISTEN_GROUP")) {
		snprintf(out, cap, "%ld", c->listen_gid);
	} else if (!strcmp(key, "MAX_HEAD_SIZE")) {
		snprintf(out, cap, "%lu", c->max_head_size);
	} else if (!strcmp(key, "MAX_HEADERS")) {
		snprintf(out, cap, "%lu", c->max_headers);
	} else if (!strcmp(key, "HEADER_TIMEOUT")) {
		snprintf(out, cap, "%lu", c->header_timeout_s);
	} else if (!strcmp(key, "IDLE_TIMEOUT")) {
		snprintf(out, cap, "%lu", c->idle_timeout_s);
	} else if (!strcmp(key, "SHUTDOWN_TIMEOUT")) {
		snprintf(out, cap, "%lu", c->shutdown_timeout_s);
	} else if (!strcmp(key, "MAX_CONNECTIONS")) {
		snprintf(out, cap, "%lu", c->max_connections);
	} else if (!strcmp(key, "RUN_USER")) {
		snprintf(out, cap, "%ld", c->run_uid);
	} else if (!strcmp(key, "RUN_GROUP")) {
		snprintf(out, cap, "%ld", c->run_gid);
	} else if (!strcmp(key, "REFUSE_ROOT")) {
		snprintf(out, cap, "%d", c->refuse_root);
	} else if (!strcmp(key, "SECCOMP")) {
		snprintf(out, cap, "%d", c->seccomp);
	} else if (!strcmp(key, "LANDLOCK")) {
		snprintf(out, cap, "%d", c->landlock);
	} else if (!strcmp(key, "GATES_CLOSED")) {
		snprintf(out, cap, "%d", c->gates_set);
	} else if (!strncmp(key, "LIBPOD_", 7)) {
		for (size_t i = 0; i < policy_n_libpod_switches; i++)
			if (!strcmp(key, policy_libpod_switches[i].setting))
				snprintf(out, cap, "%d", c->policy.libpod_on[i]);
	} else {
		for (size_t i = 0; i < policy_n_sections; i++)
			if (!strcmp(key, policy_sections[i].setting)) {
				snprintf(out, cap, "%d", c->policy.section_on[i]);
				return;
			}
		fail_msg("a row checks unknown setting %s", key);
	}
}

struct cfg_row {
	const char *name;
	const char *env[10];  /* "NAME=value" */
	const char *argv[10]; /* flags, after the program name */
	enum cfg_result result;
	const char *expect[12];  /* "NAME=value" effective settings (CFG_RUN) */
	const char *err_says[4]; /* words of the error output (CFG_ERROR) */
	const char *out_says[3]; /* words of the standard output (CFG_EXIT) */
};

/* A row whose settings also leave notes for the log (see struct cfg). */
struct note_row {
	struct cfg_row row;
	const char *notes_say[3];  /* words some note says */
	const char *notes_lack[2]; /* words no note may say */
};

#define BOOLS "use 1/0, true/false, yes/no, on/off"

static struct cfg_row cfg_rows[] = {
	/* Defaults: the environment of docker-socket-proxy with nothing set. */
	{ "defaults", { NULL }, { NULL }, CFG_RUN,
	  { "SOCKET_PATH=/var/run/docker.sock", "LISTEN=tcp://[::]:2375", "LOG_LEVEL=info",
	    "POST=0", "ALLOW_START=0", "ALLOW_STOP=0", "ALLOW_RESTARTS=0", "EVENTS=1", "PING=1",
	    "VERSION=1", "CONTAINERS=0", "LIBPOD=0" }, { NULL }, { NULL } },
	{ "defaults: every other section is off", { NULL }, { NULL }, CFG_RUN,
	  { "AUTH=0", "BUILD=0", "COMMIT=0", "CONFIGS=0", "DISTRIBUTION=0", "EXEC=0", "GRPC=0",
	    "IMAGES=0", "INFO=0", "NETWORKS=0", "NODES=0", "PLUGINS=0" }, { NULL }, { NULL } },
	{ "defaults: every other section is off (continued)", { NULL }, { NULL }, CFG_RUN,
	  { "SECRETS=0", "SERVICES=0", "SESSION=0", "SWARM=0", "SYSTEM=0", "TASKS=0", "VOLUMES=0" },
	  { NULL }, { NULL } },
	{ "defaults: limits and unix listener options", { NULL }, { NULL }, CFG_RUN,
	  { "LISTEN_MODE=0660", "LISTEN_OWNER=-1", "LISTEN_GROUP=-1", "MAX_HEAD_SIZE=65536",
	    "MAX_HEADERS=100", "HEADER_TIMEOUT=10", "IDLE_TIMEOUT=60", "SHUTDOWN_TIMEOUT=10",
	    "MAX_CONNECTIONS=4096" }, { NULL }, { NULL } },
	{ "defaults: sandbox on, no user switch", { NULL }, { NULL }, CFG_RUN,
	  { "SECCOMP=1", "LANDLOCK=1", "REFUSE_ROOT=0", "RUN_USER=-1", "RUN_GROUP=-1" },
	  { NULL }, { NULL } },
	{ "RUN_USER and RUN_GROUP by name", { "RUN_USER=nobody", "RUN_GROUP=nogroup" }, { NULL },
	  CFG_RUN, { "RUN_USER=65534", "RUN_GROUP=65534" }, { NULL }, { NULL } },
	{ "--user and --group are the flags of RUN_USER and RUN_GROUP", { NULL },
	  { "--user=1000", "--group", "999" }, CFG_RUN, { "RUN_USER=1000", "RUN_GROUP=999" },
	  { NULL }, { NULL } },
	{ "an unknown RUN_USER is refused", { "RUN_USER=no-such-user-dg" }, { NULL }, CFG_ERROR,
	  { NULL }, { "RUN_USER", "no-such-user-dg" }, { NULL } },
	{ "SECCOMP=0 and LANDLOCK=off turn the sandbox off", { "SECCOMP=0", "LANDLOCK=off" },
	  { NULL }, CFG_RUN, { "SECCOMP=0", "LANDLOCK=0" }, { NULL }, { NULL } },
	{ "SECCOMP=maybe is refused", { "SECCOMP=maybe" }, { NULL }, CFG_ERROR, { NULL },
	  { "SECCOMP", BOOLS }, { NULL } },
	{ "DISABLE_IPV6=1 makes the default listener 0.0.0.0", { "DISABLE_IPV6=1" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375" }, { NULL }, { NULL } },
	{ "DISABLE_IPV6=yes makes the default listener 0.0.0.0", { "DISABLE_IPV6=yes" }, { NULL },
	  CFG_RUN, { "LISTEN=tcp://0.0.0.0:2375" }, { NULL }, { NULL } },
	{ "DISABLE_IPV6=0 keeps [::]", { "DISABLE_IPV6=0" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://[::]:2375" }, { NULL }, { NULL } },
	{ "DISABLE_IPV6 does not change an explicit LISTEN",
	  { "DISABLE_IPV6=1", "LISTEN=tcp://[::1]:2375" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://[::1]:2375" }, { NULL }, { NULL } },
	{ "DISABLE_IPV6=maybe is an error naming DISABLE_IPV6", { "DISABLE_IPV6=maybe" }, { NULL },
	  CFG_ERROR, { NULL }, { "DISABLE_IPV6", "'maybe'", BOOLS }, { NULL } },

	/* The policy switches. */
	{ "POST=yes", { "POST=yes" }, { NULL }, CFG_RUN, { "POST=1" }, { NULL }, { NULL } },
	{ "ALLOW_START=on", { "ALLOW_START=on" }, { NULL }, CFG_RUN,
	  { "ALLOW_START=1", "ALLOW_STOP=0", "ALLOW_RESTARTS=0", "POST=0" }, { NULL }, { NULL } },
	{ "ALLOW_STOP=TRUE", { "ALLOW_STOP=TRUE" }, { NULL }, CFG_RUN,
	  { "ALLOW_START=0", "ALLOW_STOP=1", "ALLOW_RESTARTS=0" }, { NULL }, { NULL } },
	{ "ALLOW_RESTARTS=1", { "ALLOW_RESTARTS=1" }, { NULL }, CFG_RUN,
	  { "ALLOW_START=0", "ALLOW_STOP=0", "ALLOW_RESTARTS=1" }, { NULL }, { NULL } },
	{ "POST=maybe is an error naming POST", { "POST=maybe" }, { NULL }, CFG_ERROR, { NULL },
	  { "POST", "'maybe'", BOOLS }, { NULL } },
	{ "ALLOW_START=2 is an error naming ALLOW_START", { "ALLOW_START=2" }, { NULL }, CFG_ERROR,
	  { NULL }, { "ALLOW_START", "'2'", BOOLS }, { NULL } },
	{ "LIBPOD=1", { "LIBPOD=1" }, { NULL }, CFG_RUN,
	  { "LIBPOD=1", "CONTAINERS=0", "POST=0", "ALLOW_START=0" }, { NULL }, { NULL } },
	/* linuxserver's LIBPOD_* switches: each off by default (its image
	 * turns LIBPOD_PING and LIBPOD_VERSION on), each its own boolean, and
	 * any one present closes the gates, as in that image. */
	{ "defaults: every LIBPOD_* switch off, gates open", { NULL }, { NULL }, CFG_RUN,
	  { "LIBPOD_PING=0", "LIBPOD_VERSION=0", "LIBPOD_CONTAINERS=0", "LIBPOD_PODS=0",
	    "LIBPOD_ALLOW_POD_START=0", "GATES_CLOSED=0" }, { NULL }, { NULL } },
	{ "LIBPOD_CONTAINERS=1 leaves LIBPOD and CONTAINERS off",
	  { "LIBPOD_CONTAINERS=1" }, { NULL }, CFG_RUN,
	  { "LIBPOD_CONTAINERS=1", "LIBPOD=0", "CONTAINERS=0", "LIBPOD_IMAGES=0", "GATES_CLOSED=1" },
	  { NULL }, { NULL } },
	{ "LIBPOD_PING=0 present closes the gates", { "LIBPOD_PING=0" }, { NULL }, CFG_RUN,
	  { "LIBPOD_PING=0", "GATES_CLOSED=1" }, { NULL }, { NULL } },
	{ "LIBPOD_ALLOW_POD_RESTARTS=true", { "LIBPOD_ALLOW_POD_RESTARTS=true" }, { NULL }, CFG_RUN,
	  { "LIBPOD_ALLOW_POD_RESTARTS=1", "LIBPOD_ALLOW_RESTARTS=0", "ALLOW_RESTARTS=0" }, { NULL },
	  { NULL } },
	{ "--libpod-play alone means on", { NULL }, { "--libpod-play" }, CFG_RUN,
	  { "LIBPOD_PLAY=1" }, { NULL }, { NULL } },
	{ "--libpod-pods=0 wins over LIBPOD_PODS=1", { "LIBPOD_PODS=1" }, { "--libpod-pods=0" },
	  CFG_RUN, { "LIBPOD_PODS=0" }, { NULL }, { NULL } },
	{ "LIBPOD_PODS=maybe is an error naming LIBPOD_PODS", { "LIBPOD_PODS=maybe" }, { NULL },
	  CFG_ERROR, { NULL }, { "LIBPOD_PODS", "'maybe'", BOOLS }, { NULL } },
	{ "LIBPOD=Yes", { "LIBPOD=Yes" }, { NULL }, CFG_RUN, { "LIBPOD=1" }, { NULL }, { NULL } },
	{ "LIBPOD=off", { "LIBPOD=off" }, { NULL }, CFG_RUN, { "LIBPOD=0" }, { NULL }, { NULL } },
	{ "LIBPOD=maybe is an error naming LIBPOD", { "LIBPOD=maybe" }, { NULL }, CFG_ERROR, { NULL },
	  { "LIBPOD", "'maybe'", BOOLS }, { NULL } },
	{ "--libpod alone means on", { NULL }, { "--libpod" }, CFG_RUN, { "LIBPOD=1" }, { NULL },
	  { NULL } },
	{ "--libpod=0 wins over LIBPOD=1", { "LIBPOD=1" }, { "--libpod=0" }, CFG_RUN, { "LIBPOD=0" },
	  { NULL }, { NULL } },
	{ "--libpod=2 names LIBPOD and the flag", { NULL }, { "--libpod=2" }, CFG_ERROR, { NULL },
	  { "LIBPOD", "(flag)", "'2'", BOOLS }, { NULL } },
	{ "--LIBPOD is an unknown option", { NULL }, { "--LIBPOD" }, CFG_ERROR, { NULL },
	  { "unknown option" }, { NULL } },
	{ "defaults: secret values and volume export stay denied", { NULL }, { NULL }, CFG_RUN,
	  { "ALLOW_SECRET_VALUES=0", "ALLOW_VOLUME_EXPORT=0" }, { NULL }, { NULL } },
	{ "ALLOW_SECRET_VALUES=1", { "ALLOW_SECRET_VALUES=1", "SECRETS=1" }, { NULL }, CFG_RUN,
	  { "ALLOW_SECRET_VALUES=1", "SECRETS=1", "ALLOW_VOLUME_EXPORT=0", "POST=0" }, { NULL },
	  { NULL } },
	{ "--allow-volume-export=yes", { NULL }, { "--allow-volume-export=yes" }, CFG_RUN,
	  { "ALLOW_VOLUME_EXPORT=1", "ALLOW_SECRET_VALUES=0" }, { NULL }, { NULL } },
	{ "ALLOW_SECRET_VALUES=maybe is an error naming it", { "ALLOW_SECRET_VALUES=maybe" }, { NULL },
	  CFG_ERROR, { NULL }, { "ALLOW_SECRET_VALUES", "'maybe'", BOOLS }, { NULL } },
	{ "several sections at once", { "CONTAINERS=1", "IMAGES=true", "EVENTS=0", "NETWORKS=on" },
	  { NULL }, CFG_RUN, { "CONTAINERS=1", "IMAGES=1", "EVENTS=0", "NETWORKS=1", "PING=1" },
	  { NULL }, { NULL } },
	{ "every bad boolean is reported, not just the first", { "CONTAINERS=maybe", "POST=nope" },
	  { NULL }, CFG_ERROR, { NULL }, { "CONTAINERS", "'maybe'", "POST", "'nope'" }, { NULL } },
	{ "unknown variables are ignored", { "FOO=bar", "CONTAINER=1" }, { NULL }, CFG_RUN,
	  { "CONTAINERS=0" }, { NULL }, { NULL } },

	/* LISTEN. */
	{ "LISTEN IPv4", { "LISTEN=tcp://127.0.0.1:2375" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://127.0.0.1:2375", "LISTEN_COUNT=1" }, { NULL }, { NULL } },
	{ "LISTEN IPv6 in brackets", { "LISTEN=tcp://[::1]:2376" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://[::1]:2376" }, { NULL }, { NULL } },
	{ "LISTEN localhost is 127.0.0.1", { "LISTEN=tcp://localhost:2375" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://127.0.0.1:2375" }, { NULL }, { NULL } },
	{ "LISTEN unix socket", { "LISTEN=unix:///run/dockgate/docker.sock" }, { NULL }, CFG_RUN,
	  { "LISTEN=unix:///run/dockgate/docker.sock" }, { NULL }, { NULL } },
	{ "LISTEN tcp and unix, comma-separated",
	  { "LISTEN=tcp://0.0.0.0:2375,unix:///run/dockgate.sock" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375,unix:///run/dockgate.sock", "LISTEN_COUNT=2" }, { NULL }, { NULL } },
	{ "LISTEN with a space after the comma",
	  { "LISTEN=tcp://0.0.0.0:2375, unix:///run/dockgate.sock" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375,unix:///run/dockgate.sock" }, { NULL }, { NULL } },
	{ "LISTEN with spaces around the whole value",
	  { "LISTEN=  tcp://0.0.0.0:2375  " }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375" }, { NULL }, { NULL } },
	/* Spaces around items are trimmed, so one before a comma is too. */
	{ "LISTEN with a space before the comma",
	  { "LISTEN=tcp://0.0.0.0:2375 ,unix:///run/dockgate.sock" }, { NULL }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375,unix:///run/dockgate.sock" }, { NULL }, { NULL } },
	{ "LISTEN port 1 and 65535", { "LISTEN=tcp://127.0.0.1:1,tcp://127.0.0.1:65535" }, { NULL },
	  CFG_RUN, { "LISTEN=tcp://127.0.0.1:1,tcp://127.0.0.1:65535" }, { NULL }, { NULL } },
	{ "LISTEN with 8 listeners",
	  { "LISTEN=unix:///l1,unix:///l2,unix:///l3,unix:///l4,unix:///l5,unix:///l6,unix:///l7,unix:///l8" },
	  { NULL }, CFG_RUN, { "LISTEN_COUNT=8" }, { NULL }, { NULL } },
	{ "LISTEN with 9 listeners",
	  { "LISTEN=unix:///l1,unix:///l2,unix:///l3,unix:///l4,unix:///l5,unix:///l6,unix:///l7,unix:///l8,unix:///l9" },
	  { NULL }, CFG_ERROR, { NULL }, { "LISTEN", "8" }, { NULL } },
	{ "LISTEN empty", { "LISTEN=" }, { NULL }, CFG_ERROR, { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN without a scheme", { "LISTEN=0.0.0.0:2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "'0.0.0.0:2375'", "tcp://", "unix://" }, { NULL } },
	{ "LISTEN http://", { "LISTEN=http://0.0.0.0:2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "tcp://" }, { NULL } },
	{ "LISTEN tcp:// alone", { "LISTEN=tcp://" }, { NULL }, CFG_ERROR, { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN without a port", { "LISTEN=tcp://127.0.0.1" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "port" }, { NULL } },
	{ "LISTEN with an empty port", { "LISTEN=tcp://127.0.0.1:" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "port" }, { NULL } },
	{ "LISTEN port 0", { "LISTEN=tcp://127.0.0.1:0" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "1 to 65535" }, { NULL } },
	{ "LISTEN port 65536", { "LISTEN=tcp://127.0.0.1:65536" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "1 to 65535" }, { NULL } },
	{ "LISTEN port with a sign", { "LISTEN=tcp://127.0.0.1:+2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN" }, { NULL } },
	{ "LISTEN port with letters", { "LISTEN=tcp://127.0.0.1:2375x" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN" }, { NULL } },
	{ "LISTEN with a path after the port", { "LISTEN=tcp://127.0.0.1:2375/" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN without a host", { "LISTEN=tcp://:2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "host" }, { NULL } },
	{ "LISTEN with a host name", { "LISTEN=tcp://docker.example.com:2375" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN", "numeric" }, { NULL } },
	{ "LISTEN IPv6 without the closing bracket", { "LISTEN=tcp://[::1:2375" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN", "[ADDR]:PORT" }, { NULL } },
	{ "LISTEN IPv6 in brackets without a port", { "LISTEN=tcp://[::1]" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN IPv6 in brackets without the colon", { "LISTEN=tcp://[::1]2375" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN empty brackets", { "LISTEN=tcp://[]:2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN" }, { NULL } },
	/* RFC 3986 §3.2.2: an IPv6 address in an authority is written in
	 * brackets, and brackets hold only an IPv6 (or IPvFuture) literal. */
	{ "LISTEN IPv6 without brackets is ambiguous", { "LISTEN=tcp://::1:2375" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN", "[ADDR]:PORT" }, { NULL } },
	{ "LISTEN IPv4 in brackets", { "LISTEN=tcp://[127.0.0.1]:2375" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN" }, { NULL } },
	{ "LISTEN relative unix path", { "LISTEN=unix://run/dockgate.sock" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN", "absolute" }, { NULL } },
	{ "LISTEN unix:// alone", { "LISTEN=unix://" }, { NULL }, CFG_ERROR, { NULL }, { "LISTEN" },
	  { NULL } },
	{ "LISTEN unix path of 108 bytes",
	  { "LISTEN=unix:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  { NULL }, CFG_ERROR, { NULL }, { "LISTEN", "108" }, { NULL } },
	{ "LISTEN unix path of 107 bytes",
	  { "LISTEN=unix:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  { NULL }, CFG_RUN, { "LISTEN_COUNT=1" }, { NULL }, { NULL } },
	{ "LISTEN with an empty item between commas",
	  { "LISTEN=tcp://0.0.0.0:2375,,unix:///run/d.sock" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "empty" }, { NULL } },
	{ "LISTEN with a leading comma", { "LISTEN=,tcp://0.0.0.0:2375" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "empty" }, { NULL } },
	{ "LISTEN with a trailing comma", { "LISTEN=tcp://0.0.0.0:2375," }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN", "empty" }, { NULL } },
	{ "LISTEN only a comma", { "LISTEN=," }, { NULL }, CFG_ERROR, { NULL }, { "LISTEN" }, { NULL } },

	/* LOG_LEVEL: the syslog names. */
	{ "LOG_LEVEL=debug", { "LOG_LEVEL=debug" }, { NULL }, CFG_RUN, { "LOG_LEVEL=debug" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=notice", { "LOG_LEVEL=notice" }, { NULL }, CFG_RUN, { "LOG_LEVEL=notice" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=warning", { "LOG_LEVEL=warning" }, { NULL }, CFG_RUN, { "LOG_LEVEL=warning" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=err", { "LOG_LEVEL=err" }, { NULL }, CFG_RUN, { "LOG_LEVEL=err" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=crit", { "LOG_LEVEL=crit" }, { NULL }, CFG_RUN, { "LOG_LEVEL=crit" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=alert", { "LOG_LEVEL=alert" }, { NULL }, CFG_RUN, { "LOG_LEVEL=alert" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=emerg", { "LOG_LEVEL=emerg" }, { NULL }, CFG_RUN, { "LOG_LEVEL=emerg" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=info", { "LOG_LEVEL=info" }, { NULL }, CFG_RUN, { "LOG_LEVEL=info" }, { NULL }, { NULL } },
	{ "LOG_LEVEL=warn is unknown", { "LOG_LEVEL=warn" }, { NULL }, CFG_ERROR, { NULL },
	  { "LOG_LEVEL", "'warn'", "debug, info, notice, warning, err, crit, alert or emerg" }, { NULL } },
	{ "LOG_LEVEL=error is unknown", { "LOG_LEVEL=error" }, { NULL }, CFG_ERROR, { NULL },
	  { "LOG_LEVEL", "'error'" }, { NULL } },
	{ "LOG_LEVEL=verbose is unknown", { "LOG_LEVEL=verbose" }, { NULL }, CFG_ERROR, { NULL },
	  { "LOG_LEVEL" }, { NULL } },
	{ "LOG_LEVEL empty is unknown", { "LOG_LEVEL=" }, { NULL }, CFG_ERROR, { NULL }, { "LOG_LEVEL" },
	  { NULL } },

	/* SOCKET_PATH. */
	{ "SOCKET_PATH absolute", { "SOCKET_PATH=/run/user/1000/docker.sock" }, { NULL }, CFG_RUN,
	  { "SOCKET_PATH=/run/user/1000/docker.sock" }, { NULL }, { NULL } },
	{ "SOCKET_PATH relative", { "SOCKET_PATH=docker.sock" }, { NULL }, CFG_ERROR, { NULL },
	  { "SOCKET_PATH", "'docker.sock'", "absolute" }, { NULL } },
	{ "SOCKET_PATH empty", { "SOCKET_PATH=" }, { NULL }, CFG_ERROR, { NULL }, { "SOCKET_PATH" }, { NULL } },
	{ "SOCKET_PATH of 108 bytes",
	  { "SOCKET_PATH=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  { NULL }, CFG_ERROR, { NULL }, { "SOCKET_PATH", "108" }, { NULL } },

	/* POLICY_FILE: any path, read at startup (policy_file.h). */
	{ "POLICY_FILE unset is none", { NULL }, { NULL }, CFG_RUN, { "POLICY_FILE=" }, { NULL },
	  { NULL } },
	{ "POLICY_FILE relative is kept", { "POLICY_FILE=policy.yml" }, { NULL }, CFG_RUN,
	  { "POLICY_FILE=policy.yml" }, { NULL }, { NULL } },
	{ "--policy is its flag", { "POLICY_FILE=/a.yml" }, { "--policy", "/etc/dockgate/p.yml" },
	  CFG_RUN, { "POLICY_FILE=/etc/dockgate/p.yml" }, { NULL }, { NULL } },
	{ "POLICY_FILE of 256 bytes", { "POLICY_FILE=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, { NULL }, CFG_ERROR, { NULL },
	  { "POLICY_FILE", "256" }, { NULL } },

	/* Numbers: whole decimal numbers within the stated range. */
	{ "MAX_HEAD_SIZE at its minimum", { "MAX_HEAD_SIZE=1024" }, { NULL }, CFG_RUN,
	  { "MAX_HEAD_SIZE=1024" }, { NULL }, { NULL } },
	{ "MAX_HEAD_SIZE at its maximum", { "MAX_HEAD_SIZE=1048576" }, { NULL }, CFG_RUN,
	  { "MAX_HEAD_SIZE=1048576" }, { NULL }, { NULL } },
	{ "MAX_HEAD_SIZE below its minimum", { "MAX_HEAD_SIZE=1023" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE", "'1023'", "1024 to 1048576" }, { NULL } },
	{ "MAX_HEAD_SIZE above its maximum", { "MAX_HEAD_SIZE=1048577" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE", "1024 to 1048576" }, { NULL } },
	{ "MAX_HEAD_SIZE with a unit", { "MAX_HEAD_SIZE=64k" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE" }, { NULL } },
	{ "MAX_HEAD_SIZE negative", { "MAX_HEAD_SIZE=-1" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE" }, { NULL } },
	{ "MAX_HEAD_SIZE with a plus sign", { "MAX_HEAD_SIZE=+2048" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE" }, { NULL } },
	{ "MAX_HEAD_SIZE with a leading space", { "MAX_HEAD_SIZE= 2048" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEAD_SIZE" }, { NULL } },
	{ "MAX_HEAD_SIZE that overflows", { "MAX_HEAD_SIZE=99999999999999999999999" }, { NULL },
	  CFG_ERROR, { NULL }, { "MAX_HEAD_SIZE" }, { NULL } },
	{ "MAX_HEADERS below its minimum", { "MAX_HEADERS=7" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_HEADERS", "8 to 1000" }, { NULL } },
	{ "HEADER_TIMEOUT=0 is not allowed", { "HEADER_TIMEOUT=0" }, { NULL }, CFG_ERROR, { NULL },
	  { "HEADER_TIMEOUT" }, { NULL } },
	{ "SHUTDOWN_TIMEOUT=0 is allowed", { "SHUTDOWN_TIMEOUT=0" }, { NULL }, CFG_RUN,
	  { "SHUTDOWN_TIMEOUT=0" }, { NULL }, { NULL } },
	{ "IDLE_TIMEOUT and MAX_CONNECTIONS", { "IDLE_TIMEOUT=5", "MAX_CONNECTIONS=10" }, { NULL },
	  CFG_RUN, { "IDLE_TIMEOUT=5", "MAX_CONNECTIONS=10" }, { NULL }, { NULL } },
	{ "MAX_CONNECTIONS=0 is not allowed", { "MAX_CONNECTIONS=0" }, { NULL }, CFG_ERROR, { NULL },
	  { "MAX_CONNECTIONS" }, { NULL } },

	/* Unix listener options. */
	{ "LISTEN_MODE=0600", { "LISTEN_MODE=0600" }, { NULL }, CFG_RUN, { "LISTEN_MODE=0600" }, { NULL }, { NULL } },
	{ "LISTEN_MODE=600 is octal too", { "LISTEN_MODE=600" }, { NULL }, CFG_RUN, { "LISTEN_MODE=0600" },
	  { NULL }, { NULL } },
	{ "LISTEN_MODE=0999 is not octal", { "LISTEN_MODE=0999" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN_MODE", "octal" }, { NULL } },
	{ "LISTEN_MODE=01777 is more than a file mode", { "LISTEN_MODE=01777" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN_MODE" }, { NULL } },
	{ "LISTEN_MODE=0666 is world-writable: refused", { "LISTEN_MODE=0666" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN_MODE", "world-writable" }, { NULL } },
	{ "LISTEN_MODE=0662 is world-writable: refused", { "LISTEN_MODE=0662" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LISTEN_MODE" }, { NULL } },
	{ "LISTEN_MODE=0664 (world-readable only) is accepted", { "LISTEN_MODE=0664" }, { NULL }, CFG_RUN,
	  { "LISTEN_MODE=0664" }, { NULL }, { NULL } },
	{ "LISTEN_MODE=rw-rw----", { "LISTEN_MODE=rw-rw----" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN_MODE" }, { NULL } },
	{ "LISTEN_OWNER and LISTEN_GROUP by number", { "LISTEN_OWNER=1000", "LISTEN_GROUP=999" }, { NULL },
	  CFG_RUN, { "LISTEN_OWNER=1000", "LISTEN_GROUP=999" }, { NULL }, { NULL } },
	{ "LISTEN_OWNER and LISTEN_GROUP by name", { "LISTEN_OWNER=root", "LISTEN_GROUP=root" }, { NULL },
	  CFG_RUN, { "LISTEN_OWNER=0", "LISTEN_GROUP=0" }, { NULL }, { NULL } },
	{ "LISTEN_OWNER unknown", { "LISTEN_OWNER=dockgate-no-such-user" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN_OWNER", "'dockgate-no-such-user'" }, { NULL } },
	{ "LISTEN_GROUP unknown", { "LISTEN_GROUP=dockgate-no-such-group" }, { NULL }, CFG_ERROR, { NULL },
	  { "LISTEN_GROUP" }, { NULL } },

	/* Flags mirror the variables, and win over the environment. */
	{ "--containers alone means on", { NULL }, { "--containers" }, CFG_RUN, { "CONTAINERS=1" },
	  { NULL }, { NULL } },
	{ "--containers=1", { NULL }, { "--containers=1" }, CFG_RUN, { "CONTAINERS=1" }, { NULL }, { NULL } },
	{ "--containers=0 wins over CONTAINERS=1", { "CONTAINERS=1" }, { "--containers=0" }, CFG_RUN,
	  { "CONTAINERS=0" }, { NULL }, { NULL } },
	{ "--post=yes wins over POST=0", { "POST=0" }, { "--post=yes" }, CFG_RUN, { "POST=1" }, { NULL },
	  { NULL } },
	{ "--events=off turns a default section off", { NULL }, { "--events=off" }, CFG_RUN,
	  { "EVENTS=0" }, { NULL }, { NULL } },
	{ "--version=0 is the VERSION section", { NULL }, { "--version=0" }, CFG_RUN, { "VERSION=0" },
	  { NULL }, { NULL } },
	{ "a good flag repairs a bad variable", { "CONTAINERS=maybe" }, { "--containers=1" }, CFG_RUN,
	  { "CONTAINERS=1" }, { NULL }, { NULL } },
	{ "--listen=VALUE wins over LISTEN", { "LISTEN=tcp://0.0.0.0:2375" },
	  { "--listen=unix:///run/dockgate.sock" }, CFG_RUN, { "LISTEN=unix:///run/dockgate.sock" },
	  { NULL }, { NULL } },
	{ "--listen VALUE as two arguments", { NULL }, { "--listen", "tcp://127.0.0.1:2375" }, CFG_RUN,
	  { "LISTEN=tcp://127.0.0.1:2375" }, { NULL }, { NULL } },
	{ "--socket-path", { "SOCKET_PATH=/a.sock" }, { "--socket-path=/b.sock" }, CFG_RUN,
	  { "SOCKET_PATH=/b.sock" }, { NULL }, { NULL } },
	{ "--log-level", { "LOG_LEVEL=err" }, { "--log-level", "debug" }, CFG_RUN, { "LOG_LEVEL=debug" },
	  { NULL }, { NULL } },
	{ "--disable-ipv6 alone means on", { NULL }, { "--disable-ipv6" }, CFG_RUN,
	  { "LISTEN=tcp://0.0.0.0:2375" }, { NULL }, { NULL } },
	{ "--allow-restarts and --max-head-size", { NULL },
	  { "--allow-restarts", "--max-head-size=131072" }, CFG_RUN,
	  { "ALLOW_RESTARTS=1", "MAX_HEAD_SIZE=131072" }, { NULL }, { NULL } },
	{ "the last of two flags wins", { NULL }, { "--containers=1", "--containers=0" }, CFG_RUN,
	  { "CONTAINERS=0" }, { NULL }, { NULL } },
	{ "a bad flag value names the setting and the flag", { NULL }, { "--post=maybe" }, CFG_ERROR,
	  { NULL }, { "POST", "(flag)", "'maybe'", BOOLS }, { NULL } },
	{ "an unknown flag", { NULL }, { "--bogus=1" }, CFG_ERROR, { NULL }, { "unknown option", "--bogus" },
	  { NULL } },
	{ "an upper-case flag is unknown", { NULL }, { "--CONTAINERS=1" }, CFG_ERROR, { NULL },
	  { "unknown option" }, { NULL } },
	{ "a bare argument is unknown", { NULL }, { "containers" }, CFG_ERROR, { NULL },
	  { "unknown option" }, { NULL } },
	{ "a value flag without a value", { NULL }, { "--listen" }, CFG_ERROR, { NULL },
	  { "--listen", "value" }, { NULL } },
	{ "an empty non-boolean is still refused", { "LOG_LEVEL=" }, { NULL }, CFG_ERROR, { NULL },
	  { "LOG_LEVEL", "debug, info" }, { NULL } },
	/* Empty is off only where off is docker-socket-proxy's meaning: the
	 * switches that guard dockgate itself refuse it (SECCOMP= from an
	 * unset compose variable must not drop the sandbox). */
	{ "SECCOMP= (empty) is refused, not read as off", { "SECCOMP=" }, { NULL }, CFG_ERROR,
	  { NULL }, { "SECCOMP", "''", BOOLS }, { NULL } },
	{ "LANDLOCK= (empty) is refused, not read as off", { "LANDLOCK=" }, { NULL }, CFG_ERROR,
	  { NULL }, { "LANDLOCK", "''" }, { NULL } },
	{ "REFUSE_ROOT= (empty) is refused", { "REFUSE_ROOT=" }, { NULL }, CFG_ERROR, { NULL },
	  { "REFUSE_ROOT", "''" }, { NULL } },
	{ "--help prints the settings and exits", { NULL }, { "--help" }, CFG_EXIT, { NULL }, { NULL },
	  { "Usage", "--containers", "ALLOW_RESTARTS" } },
	{ "--help explains LIBPOD", { NULL }, { "--help" }, CFG_EXIT, { NULL }, { NULL },
	  { "--libpod", "LIBPOD", "/libpod/containers/json needs CONTAINERS=1" } },
	{ "--help lists linuxserver's LIBPOD_* switches", { NULL }, { "--help" }, CFG_EXIT, { NULL },
	  { NULL }, { "--libpod-allow-pod-restarts", "LIBPOD_PLAY", "/libpod/play (Podman only)" } },
	{ "-h is --help", { NULL }, { "-h" }, CFG_EXIT, { NULL }, { NULL }, { "Usage" } },
	{ "--help works even with a bad environment", { "CONTAINERS=maybe", "LISTEN=nonsense" },
	  { "--help" }, CFG_EXIT, { NULL }, { NULL }, { "Usage" } },
	{ "--version prints the version and exits", { NULL }, { "--version" }, CFG_EXIT, { NULL },
	  { NULL }, { "dockgate " DOCKGATE_VERSION } },
	{ "--help gives RUN_GROUP one default", { NULL }, { "--help" }, CFG_EXIT, { NULL }, { NULL },
	  { "RUN_GROUP        group (name or gid) to switch to (default: RUN_USER's primary group;" } },
};

/* Settings that work and leave a note for the log. */
static struct note_row note_rows[] = {
	{ { "LIBPOD_PLAY=1 warns that play kube is root-equivalent", { "LIBPOD_PLAY=1" }, { NULL },
	    CFG_RUN, { "LIBPOD_PLAY=1" }, { NULL }, { NULL } },
	  { "LIBPOD_PLAY=1 opens /libpod/play", "root-equivalent" }, { "ignored" } },
	{ { "LIBPOD_PODS=1 warns", { "LIBPOD_PODS=1" }, { NULL }, CFG_RUN, { "LIBPOD_PODS=1" },
	    { NULL }, { NULL } },
	  { "LIBPOD_PODS=1 opens /libpod/pods", "root-equivalent" }, { NULL } },
	{ { "LIBPOD_GENERATE=1 warns of the environment it hands out", { "LIBPOD_GENERATE=1" },
	    { NULL }, CFG_RUN, { "LIBPOD_GENERATE=1" }, { NULL }, { NULL } },
	  { "LIBPOD_GENERATE=1 opens /libpod/generate", "environment" }, { NULL } },
	{ { "LIBPOD_CONTAINERS=1 is a setting, not ignored", { "LIBPOD_CONTAINERS=1" }, { NULL },
	    CFG_RUN, { "LIBPOD_CONTAINERS=1" }, { NULL }, { NULL } },
	  { NULL }, { "LIBPOD_CONTAINERS" } },
	{ { "LIBPOD_PLAY=0 says nothing", { "LIBPOD_PLAY=0" }, { NULL }, CFG_RUN,
	    { "LIBPOD_PLAY=0" }, { NULL }, { NULL } },
	  { NULL }, { "LIBPOD_PLAY" } },
	{ { "LIBPOD_CONTAINER=1 looks like LIBPOD_CONTAINERS", { "LIBPOD_CONTAINER=1" }, { NULL },
	    CFG_RUN, { "LIBPOD_CONTAINERS=0" }, { NULL }, { NULL } },
	  { "did you mean LIBPOD_CONTAINERS?" }, { NULL } },
	{ { "LIBPOD_KUBE=1 is no setting", { "LIBPOD_KUBE=1" }, { NULL }, CFG_RUN, { NULL },
	    { NULL }, { NULL } },
	  { "LIBPOD_KUBE is not a setting and is ignored" }, { NULL } },
	{ { "CONTAINERS= (empty, as compose writes CONTAINERS:) is off", { "CONTAINERS=" }, { NULL },
	  CFG_RUN, { "CONTAINERS=0" }, { NULL }, { NULL } },
	  { "CONTAINERS is empty: read as 0 (off)" }, { NULL } },
	{ { "PING= turns a section that is on by default off", { "PING=" }, { NULL }, CFG_RUN,
	  { "PING=0", "VERSION=1" }, { NULL }, { NULL } }, { "PING is empty" }, { NULL } },
	{ { "ALLOW_STOP= and DISABLE_IPV6= (general booleans) are off",
	    { "ALLOW_STOP=", "DISABLE_IPV6=" }, { NULL }, CFG_RUN,
	    { "ALLOW_STOP=0", "LISTEN=tcp://[::]:2375" }, { NULL }, { NULL } },
	  { "ALLOW_STOP is empty", "DISABLE_IPV6 is empty" }, { NULL } },
	{ { "a variable name is escaped in its note", { "ALLOW_X\nforged line=1" }, { NULL },
	    CFG_RUN, { "POST=0" }, { NULL }, { NULL } },
	  { "ALLOW_X\\x0aforged line is not a setting" }, { "\n" } },
	{ { "--containers= (an empty flag) is off", { "CONTAINERS=1" }, { "--containers=" }, CFG_RUN,
	  { "CONTAINERS=0" }, { NULL }, { NULL } }, { "CONTAINERS is empty" }, { NULL } },
	{ { "CONTAINER=1 is noted as CONTAINERS misspelt", { "CONTAINER=1" }, { NULL }, CFG_RUN,
	  { "CONTAINERS=0" }, { NULL }, { NULL } },
	  { "CONTAINER is not a setting and is ignored: did you mean CONTAINERS?" }, { NULL } },
	{ { "ALLOW_RESTART=1 points at ALLOW_RESTARTS, the nearest", { "ALLOW_RESTART=1" }, { NULL },
	  CFG_RUN, { "ALLOW_RESTARTS=0" }, { NULL }, { NULL } },
	  { "did you mean ALLOW_RESTARTS?" }, { "ALLOW_START?" } },
	{ { "a lower-case setting is noted", { "containers=1", "LogLevel=debug" }, { NULL }, CFG_RUN,
	  { "CONTAINERS=0", "LOG_LEVEL=info" }, { NULL }, { NULL } },
	  { "containers is not a setting", "did you mean LOG_LEVEL?" }, { NULL } },
	{ { "an unknown ALLOW_ or GUARD_ variable is noted", { "ALLOW_EVERYTHING=1", "GUARD_X=1" },
	  { NULL }, CFG_RUN, { "POST=0" }, { NULL }, { NULL } },
	  { "ALLOW_EVERYTHING is not a setting", "GUARD_X is not a setting" }, { NULL } },
	{ { "HOST, PORT and IMAGE_TAG are not taken for POST or IMAGES",
	  { "HOST=h", "PORT=1", "IMAGE_TAG=x", "NODE_ENV=x", "SYSTEMD_EXEC_PID=1" }, { NULL }, CFG_RUN,
	  { "POST=0" }, { NULL }, { NULL } }, { NULL }, { "not a setting" } },
};

/* Loads with the row's environment and flags; out and err are captured. */
static enum cfg_result load(const char *const *env, const char *const *flags, struct cfg *c,
			    char **out, char **err)
{
	clear_env();
	for (size_t i = 0; env[i] != NULL; i++) {
		char name[128];
		const char *eq = strchr(env[i], '=');
		assert_non_null(eq);
		snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
		assert_int_equal(setenv(name, eq + 1, 1), 0);
	}
	static char prog[] = "dockgate";
	char *argv[16] = { prog };
	int argc = 1;
	for (size_t i = 0; flags[i] != NULL; i++)
		argv[argc++] = strdup(flags[i]);
	argv[argc] = NULL;
	size_t out_n, err_n;
	FILE *fo = open_memstream(out, &out_n);
	FILE *fe = open_memstream(err, &err_n);
	assert_non_null(fo);
	assert_non_null(fe);
	enum cfg_result r = cfg_load(c, argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	for (int i = 1; i < argc; i++)
		free(argv[i]);
	clear_env();
	for (size_t i = 0; env[i] != NULL; i++) { /* misspelt ones too */
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(strchr(env[i], '=') - env[i]), env[i]);
		unsetenv(name);
	}
	return r;
}

static const char *result_name(enum cfg_result r)
{
	return r == CFG_RUN ? "CFG_RUN" : r == CFG_EXIT ? "CFG_EXIT" : "CFG_ERROR";
}

static bool notes_say(const struct cfg *c, const char *words)
{
	for (size_t i = 0; i < c->n_notes && i < CFG_MAX_NOTES; i++)
		if (strstr(c->notes[i], words) != NULL)
			return true;
	return false;
}

static void check_row_notes(const struct cfg_row *row, const char *const *say,
			    const char *const *lack)
{
	struct cfg c;
	char *out = NULL, *err = NULL;
	enum cfg_result r = load(row->env, row->argv, &c, &out, &err);
	char msg[2048];
	msg[0] = '\0';
	if (r != row->result)
		snprintf(msg, sizeof msg, "result %s, want %s; err: %s", result_name(r),
			 result_name(row->result), err);
	for (size_t i = 0; !msg[0] && r == CFG_RUN && i < N_ROWS(row->expect) && row->expect[i]; i++) {
		const char *eq = strchr(row->expect[i], '=');
		char key[64], got[1200];
		snprintf(key, sizeof key, "%.*s", (int)(eq - row->expect[i]), row->expect[i]);
		render(&c, key, got, sizeof got);
		if (strcmp(got, eq + 1) != 0)
			snprintf(msg, sizeof msg, "%s=%s, want %s", key, got, row->expect[i]);
	}
	if (!msg[0] && row->result != CFG_ERROR && err[0] != '\0')
		snprintf(msg, sizeof msg, "unexpected error output: %s", err);
	if (!msg[0] && row->result == CFG_ERROR && err[0] == '\0')
		snprintf(msg, sizeof msg, "no error message");
	for (size_t i = 0; !msg[0] && i < N_ROWS(row->err_says) && row->err_says[i]; i++)
		if (strstr(err, row->err_says[i]) == NULL)
			snprintf(msg, sizeof msg, "error output does not say \"%s\": %s",
				 row->err_says[i], err);
	for (size_t i = 0; !msg[0] && i < N_ROWS(row->out_says) && row->out_says[i]; i++)
		if (strstr(out, row->out_says[i]) == NULL)
			snprintf(msg, sizeof msg, "output does not say \"%s\": %.300s", row->out_says[i], out);
	for (size_t i = 0; !msg[0] && say != NULL && say[i] != NULL; i++)
		if (!notes_say(&c, say[i]))
			snprintf(msg, sizeof msg, "no note says \"%s\" (%zu notes)", say[i], c.n_notes);
	for (size_t i = 0; !msg[0] && lack != NULL && lack[i] != NULL; i++)
		if (notes_say(&c, lack[i]))
			snprintf(msg, sizeof msg, "a note says \"%s\"", lack[i]);
	if (!msg[0] && row->result != CFG_EXIT && out[0] != '\0')
		snprintf(msg, sizeof msg, "unexpected standard output: %.300s", out);
	free(out);
	free(err);
	if (msg[0])
		fail_msg("%s", msg);
}

static void check_row(const struct cfg_row *row)
{
	check_row_notes(row, NULL, NULL);
}

static void test_cfg(void **state)
{
	check_row(*state);
}

static void test_notes(void **state)
{
	const struct note_row *n = *state;
	const char *say[4] = { 0 }, *lack[3] = { 0 };
	memcpy(say, n->notes_say, sizeof n->notes_say);
	memcpy(lack, n->notes_lack, sizeof n->notes_lack);
	check_row_notes(&n->row, say, lack);
}

/* ==== Booleans in every accepted spelling, and bad ones ==== */

static const char *const true_spellings[] = {
	"1", "true", "TRUE", "True", "tRuE", "yes", "YES", "Yes", "on", "ON", "On",
};
static const char *const false_spellings[] = {
	"0", "false", "FALSE", "False", "no", "NO", "No", "off", "OFF", "Off",
};
/* The empty value is read as false (see the note rows). */
static const char *const bad_spellings[] = {
	"maybe", "2", "10", "-1", "y", "n", "t", "f", " 1", "1 ", "truee", "enable",
	"yes please", "0x1", "01", "none",
};

struct gen_row {
	struct cfg_row row;
	char name[128], env[64], expect[64], said[64];
};
static struct gen_row gen_rows[N_ROWS(true_spellings) + N_ROWS(false_spellings) +
			       2 * N_ROWS(bad_spellings)];
static size_t n_gen;

static void generate_bool_rows(void)
{
	for (size_t i = 0; i < N_ROWS(true_spellings); i++) {
		struct gen_row *g = &gen_rows[n_gen++];
		snprintf(g->name, sizeof g->name, "CONTAINERS=%s is true", true_spellings[i]);
		snprintf(g->env, sizeof g->env, "CONTAINERS=%s", true_spellings[i]);
		snprintf(g->expect, sizeof g->expect, "CONTAINERS=1");
		g->row = (struct cfg_row){ g->name, { g->env }, { NULL }, CFG_RUN, { g->expect },
					   { NULL }, { NULL } };
	}
	for (size_t i = 0; i < N_ROWS(false_spellings); i++) {
		struct gen_row *g = &gen_rows[n_gen++];
		snprintf(g->name, sizeof g->name, "VERSION=%s is false", false_spellings[i]);
		snprintf(g->env, sizeof g->env, "VERSION=%s", false_spellings[i]);
		snprintf(g->expect, sizeof g->expect, "VERSION=0");
		g->row = (struct cfg_row){ g->name, { g->env }, { NULL }, CFG_RUN, { g->expect },
					   { NULL }, { NULL } };
	}
	/* A section boolean and a general one (they are parsed apart). */
	static const char *const vars[] = { "CONTAINERS", "ALLOW_STOP" };
	for (size_t v = 0; v < N_ROWS(vars); v++) {
		for (size_t i = 0; i < N_ROWS(bad_spellings); i++) {
			struct gen_row *g = &gen_rows[n_gen++];
			snprintf(g->name, sizeof g->name, "%s='%s' is an error naming %s", vars[v],
				 bad_spellings[i], vars[v]);
			snprintf(g->env, sizeof g->env, "%s=%s", vars[v], bad_spellings[i]);
			snprintf(g->said, sizeof g->said, "%s: '%s'", vars[v], bad_spellings[i]);
			g->row = (struct cfg_row){ g->name, { g->env }, { NULL }, CFG_ERROR, { NULL },
						   { g->said, BOOLS }, { NULL } };
		}
	}
}

/* Every section setting is read from its variable and from its flag. */
struct section_row {
	char name[96], env[64], flag[64], expect[64];
	struct cfg_row by_env, by_flag;
};
static struct section_row section_rows[32];

static void test_section_env(void **state)
{
	const struct section_row *s = *state;
	check_row(&s->by_env);
}

static void test_section_flag(void **state)
{
	const struct section_row *s = *state;
	check_row(&s->by_flag);
}

static void generate_section_rows(void)
{
	for (size_t i = 0; i < policy_n_sections && i < N_ROWS(section_rows); i++) {
		struct section_row *s = &section_rows[i];
		const char *S = policy_sections[i].setting;
		bool on = !policy_sections[i].default_on; /* the value that is not the default */
		snprintf(s->name, sizeof s->name, "%s", S);
		snprintf(s->env, sizeof s->env, "%s=%d", S, on);
		snprintf(s->expect, sizeof s->expect, "%s=%d", S, on);
		char lower[48];
		size_t k = 0;
		for (; S[k] && k + 1 < sizeof lower; k++)
			lower[k] = (char)(S[k] >= 'A' && S[k] <= 'Z' ? S[k] - 'A' + 'a' : S[k]);
		lower[k] = '\0';
		snprintf(s->flag, sizeof s->flag, "--%s=%d", lower, on);
		s->by_env = (struct cfg_row){ s->name, { s->env }, { NULL }, CFG_RUN, { s->expect },
					      { NULL }, { NULL } };
		s->by_flag = (struct cfg_row){ s->name, { NULL }, { s->flag }, CFG_RUN, { s->expect },
					       { NULL }, { NULL } };
		rows_add(test_section_env, s, "section from its variable", s->name);
		rows_add(test_section_flag, s, "section from its flag", s->name);
	}
}

int main(void)
{
	ROWS_ADD_EACH(test_cfg, cfg_rows, "cfg");
	for (size_t i = 0; i < N_ROWS(note_rows); i++)
		rows_add(test_notes, &note_rows[i], "notes", note_rows[i].row.name);
	generate_bool_rows();
	for (size_t i = 0; i < n_gen; i++)
		rows_add(test_cfg, &gen_rows[i].row, "boolean", gen_rows[i].row.name);
	generate_section_rows();
	return rows_run("cfg");
}
