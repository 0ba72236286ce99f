/* cfg.h - settings: one table drives the environment, the flags, --help,
 * the startup summary and the error messages. Everything is validated
 * before a socket is opened. */
#ifndef DOCKGATE_CFG_H
#define DOCKGATE_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "policy.h"
#include "profile.h"

#define CFG_MAX_LISTENERS 8
#define CFG_UNIX_PATH_MAX 108
#define CFG_MAX_NOTES 8
#define CFG_NOTE_MAX 320
#define CFG_FILE_PATH_MAX 256

enum cfg_listener_kind { CFG_LISTEN_TCP, CFG_LISTEN_UNIX };

struct cfg_listener {
	enum cfg_listener_kind kind;
	char host[64]; /* TCP: numeric address, without brackets */
	unsigned port; /* TCP */
	char path[CFG_UNIX_PATH_MAX]; /* unix */
	char text[160];               /* as written in LISTEN, for logs */
};

struct cfg {
	char socket_path[CFG_UNIX_PATH_MAX];
	struct cfg_listener listeners[CFG_MAX_LISTENERS];
	size_t n_listeners;
	int log_level; /* enum log_level */
	struct policy_settings policy;
	char policy_file[CFG_FILE_PATH_MAX]; /* POLICY_FILE; "": none */
	/* PROFILE: the preset that judges every request instead of the
	 * sections, widened by settings at non-default values; "" for none */
	char profile[PROFILE_NAME_MAX];
	/* ALLOW_ARCHIVE ... ALLOW_KILL as set (false when unset): they become
	 * policy.gate_closed, which depends on gates_set as well. */
	bool gate_allow[POLICY_N_GATES];
	/* Some variable of the gate family (a gate, ALLOW_PAUSE or
	 * ALLOW_UNPAUSE) is present, even empty: the gates not opened are
	 * closed, as in linuxserver's docker-socket-proxy. */
	bool gates_set;
	unsigned long max_head_size;
	unsigned long max_headers;
	unsigned long header_timeout_s;
	unsigned long idle_timeout_s;
	unsigned long shutdown_timeout_s;
	unsigned long max_connections;
	unsigned long max_connections_per_client;
	unsigned long upstream_pool; /* idle daemon connections kept for reuse */
	unsigned listen_mode;   /* file mode of unix listeners */
	long listen_uid;        /* -1: leave as created */
	long listen_gid;        /* -1: leave as created */
	bool listen_is_default; /* LISTEN was not set: IPv4 fallback allowed */
	bool disable_ipv6;      /* the default listener is IPv4 only */
	long run_uid;           /* -1: keep the user we were started as */
	long run_gid;           /* -1: keep the group (or the user's group) */
	bool refuse_root;       /* exit rather than serve as uid 0 */
	bool seccomp;           /* system call allowlist after startup */
	bool landlock;          /* filesystem and network restriction */
	bool healthcheck;       /* --healthcheck: probe our own listener, exit */
	/* What the settings did that a user may not expect (an empty value
	 * read as off, a variable that looks like a misspelt setting): found
	 * before the log is open, logged by cfg_log_summary(). */
	char notes[CFG_MAX_NOTES][CFG_NOTE_MAX];
	size_t n_notes;
};

enum cfg_result {
	CFG_RUN = 0,   /* settings valid: run */
	CFG_EXIT = 1,  /* --help or --version was printed: exit 0 */
	CFG_ERROR = -1 /* a message naming the setting went to err: exit 2 */
};

/* The socket address of listener l, in *ss; host, when not NULL, replaces
 * the listener's address (the health probe asks on loopback). Returns the
 * address length; ss->ss_family tells the socket family. */
socklen_t cfg_listener_address(const struct cfg_listener *l, const char *host,
			       struct sockaddr_storage *ss);

/* Reads LISTEN's comma-separated listeners into c->listeners. 0, or -1
 * with *why saying what is wrong. */
int cfg_parse_listen(const char *v, struct cfg *c, const char **why);

/* Reads the environment, then argv (flags win), into *c. */
enum cfg_result cfg_load(struct cfg *c, int argc, char **argv, FILE *out, FILE *err);

/* The policy settings every setting at its default gives: what the
 * image's ENV sets, which PROFILE's widening compares with. */
void cfg_default_policy(struct policy_settings *s);

/* Logs the effective settings and policy at startup, and warns about
 * c->notes. */
void cfg_log_summary(const struct cfg *c, const struct policy *p);

#endif
