/* cfg.c - the settings table, environment and flag parsing, validation;
 * see cfg.h. Names and defaults follow docker-socket-proxy so that a user
 * swaps the image and keeps the environment. */
#include "cfg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idmap.h"
#include "log.h"
#include "presets.h"

extern char **environ;

#ifndef DOCKGATE_VERSION
#define DOCKGATE_VERSION "0.0.0-dev"
#endif
#ifndef DOCKGATE_BUILD
#define DOCKGATE_BUILD "unknown build"
#endif

enum cfg_type {
	CFG_T_BOOL,
	CFG_T_PATH,
	CFG_T_FILE,
	CFG_T_LISTEN,
	CFG_T_LEVEL,
	CFG_T_UINT,
	CFG_T_MODE,
	CFG_T_USER,
	CFG_T_GROUP,
	CFG_T_PROFILE,
};

struct setting {
	const char *env;
	const char *flag; /* NULL: --env-name-in-lower-case */
	enum cfg_type type;
	size_t offset;    /* where in struct cfg the value goes */
	const char *def; /* NULL: computed (LISTEN) or unset */
	unsigned long min, max;
	const char *help;
};

#define CFG_AT(field) offsetof(struct cfg, field)
#define CFG_GATE_AT(gate) (CFG_AT(gate_allow) + (gate) * sizeof(bool))

/* Every setting but the per-section booleans, which come from
 * policy_sections. Order is the order of --help. */
static const struct setting settings[] = {
	{ "SOCKET_PATH", NULL, CFG_T_PATH, CFG_AT(socket_path), "/var/run/docker.sock", 0, 0,
	  "the Docker daemon's unix socket (upstream)" },
	{ "LISTEN", NULL, CFG_T_LISTEN, CFG_AT(listeners), NULL, 0, 0,
	  "comma-separated listeners: tcp://HOST:PORT ([::1]:2375 for IPv6) and "
	  "unix:///PATH; default tcp://[::]:2375, or tcp://0.0.0.0:2375 with DISABLE_IPV6" },
	{ "DISABLE_IPV6", NULL, CFG_T_BOOL, CFG_AT(disable_ipv6), "0", 0, 0,
	  "listen on 0.0.0.0 instead of dual-stack [::] by default" },
	{ "LOG_LEVEL", NULL, CFG_T_LEVEL, CFG_AT(log_level), "info", 0, 0,
	  "debug, info, notice, warning, err, crit, alert or emerg" },
	{ "PROFILE", NULL, CFG_T_PROFILE, CFG_AT(profile), NULL, 0, 0,
	  "judge every request by the operations of a built-in profile (a preset; an unknown "
	  "name is refused with the list) instead of by API section; a section, POST or "
	  "ALLOW_* setting at a value other than its default widens it by what that value "
	  "allows; empty: no profile" },
	{ "POST", NULL, CFG_T_BOOL, CFG_AT(policy.post), "0", 0, 0,
	  "allow methods other than GET and HEAD on the allowed sections; only POST once DELETE, "
	  "PUT or PATCH is set" },
	/* Tecnativa's proposed method switches: present at all (even 0),
	 * they split what POST=1 opens (see apply_gates()). */
	{ "DELETE", NULL, CFG_T_BOOL, CFG_AT(policy.allow_delete), "0", 0, 0,
	  "allow DELETE on the allowed sections; once DELETE, PUT or PATCH is set, even to 0, "
	  "POST opens only POST, each of these only its own method, and no setting other methods" },
	{ "PUT", NULL, CFG_T_BOOL, CFG_AT(policy.allow_put), "0", 0, 0,
	  "allow PUT on the allowed sections (docker cp into a container); see DELETE" },
	{ "PATCH", NULL, CFG_T_BOOL, CFG_AT(policy.allow_patch), "0", 0, 0,
	  "allow PATCH on the allowed sections (no Docker route takes it); see DELETE" },
	{ "ALLOW_START", NULL, CFG_T_BOOL, CFG_AT(policy.allow_start), "0", 0, 0,
	  "allow POST /containers/{id}/start even with CONTAINERS=0 or POST=0; no body, and "
	  "of the query only detachKeys" },
	{ "ALLOW_STOP", NULL, CFG_T_BOOL, CFG_AT(policy.allow_stop), "0", 0, 0,
	  "allow POST /containers/{id}/stop even with CONTAINERS=0 or POST=0; no body, and of "
	  "the query only t (timeout for libpod), 0 to 3600 seconds" },
	{ "ALLOW_RESTARTS", NULL, CFG_T_BOOL, CFG_AT(policy.allow_restarts), "0", 0, 0,
	  "allow POST /containers/{id}/stop, /restart and /kill even with CONTAINERS=0 or POST=0; "
	  "no body; restart also takes signal, kill only signal" },
	/* linuxserver's grants and gates: the gate family (gate_family()). */
	{ "ALLOW_PAUSE", NULL, CFG_T_BOOL, CFG_AT(policy.allow_pause), "0", 0, 0,
	  "allow POST /containers/{id}/pause even with CONTAINERS=0 or POST=0; no body, no query" },
	{ "ALLOW_UNPAUSE", NULL, CFG_T_BOOL, CFG_AT(policy.allow_unpause), "0", 0, 0,
	  "allow POST /containers/{id}/unpause even with CONTAINERS=0 or POST=0; no body, no query" },
	{ "ALLOW_ARCHIVE", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_ARCHIVE), NULL, 0, 0,
	  "gate of /containers/{id}/archive (docker cp, out and in): 0 denies it whatever "
	  "CONTAINERS and POST say, 1 leaves it to them" },
	{ "ALLOW_CHANGES", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_CHANGES), NULL, 0, 0,
	  "gate of /containers/{id}/changes (docker diff), as ALLOW_ARCHIVE" },
	{ "ALLOW_EXPORT", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_EXPORT), NULL, 0, 0,
	  "gate of /containers/{id}/export (docker export), as ALLOW_ARCHIVE" },
	{ "ALLOW_LOGS", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_LOGS), NULL, 0, 0,
	  "gate of /containers/{id}/logs (docker logs), as ALLOW_ARCHIVE" },
	{ "ALLOW_TOP", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_TOP), NULL, 0, 0,
	  "gate of /containers/{id}/top (docker top), as ALLOW_ARCHIVE" },
	{ "ALLOW_ATTACH", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_ATTACH), NULL, 0, 0,
	  "gate of /containers/{id}/attach and attach/ws (docker attach), as ALLOW_ARCHIVE" },
	{ "ALLOW_EXEC", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_EXEC), NULL, 0, 0,
	  "gate of POST /containers/{id}/exec (docker exec's create; EXEC opens its start), as "
	  "ALLOW_ARCHIVE" },
	{ "ALLOW_KILL", NULL, CFG_T_BOOL, CFG_GATE_AT(POLICY_GATE_KILL), NULL, 0, 0,
	  "gate of /containers/{id}/kill (docker kill), as ALLOW_ARCHIVE; ALLOW_RESTARTS still "
	  "grants kill" },
	/* Off by default: a Docker client never sends /libpod, and each libpod
	 * path must pass the same section and method rules as its Docker twin. */
	{ "LIBPOD", NULL, CFG_T_BOOL, CFG_AT(policy.libpod), "0", 0, 0,
	  "judge Podman's /vX.Y.Z/libpod/PATH exactly as /PATH: the same section, POST and "
	  "ALLOW_* settings apply (/libpod/containers/json needs CONTAINERS=1); libpod-only "
	  "paths (/libpod/pods, /play, /generate, /manifests) open only with their own "
	  "LIBPOD_<SECTION>, /libpod/kube never" },
	/* Reads that return secret data on newer Podman: not what a
	 * read-only section promises, so each has a switch of its own. */
	{ "ALLOW_SECRET_VALUES", NULL, CFG_T_BOOL, CFG_AT(policy.allow_secret_values), "0", 0, 0,
	  "with SECRETS=1, allow a query key showsecret on /secrets (Podman 4.7 and later then "
	  "return the secret's plaintext); denied otherwise, whatever POST says" },
	{ "ALLOW_VOLUME_EXPORT", NULL, CFG_T_BOOL, CFG_AT(policy.allow_volume_export), "0", 0, 0,
	  "with /libpod/volumes open (LIBPOD=1 VOLUMES=1, or LIBPOD_VOLUMES=1), allow GET "
	  "/libpod/volumes/{name}/export (Podman 5.6 and "
	  "later return the volume's files); denied otherwise, whatever POST says" },
	/* Read once at startup, before a socket is opened; policy_file.h. */
	{ "POLICY_FILE", "--policy", CFG_T_FILE, CFG_AT(policy_file), NULL, 0, 0,
	  "a YAML policy file: named profiles and which clients each serves (README.md, "
	  "\"Policy file\"); any error in it stops dockgate with status 2; SIGHUP reads it "
	  "again, and an error then keeps the policy in force" },
	{ "LISTEN_MODE", NULL, CFG_T_MODE, CFG_AT(listen_mode), "0660", 0, 0777,
	  "file mode (octal) of unix listener sockets" },
	{ "LISTEN_OWNER", NULL, CFG_T_USER, CFG_AT(listen_uid), NULL, 0, 0,
	  "owner (name or uid) of unix listener sockets" },
	{ "LISTEN_GROUP", NULL, CFG_T_GROUP, CFG_AT(listen_gid), NULL, 0, 0,
	  "group (name or gid) of unix listener sockets" },
	{ "MAX_HEAD_SIZE", NULL, CFG_T_UINT, CFG_AT(max_head_size), "65536", 1024, 1048576,
	  "largest request head in bytes (431 above it)" },
	{ "MAX_HEADERS", NULL, CFG_T_UINT, CFG_AT(max_headers), "100", 8, 1000,
	  "most header fields in a request (431 above it)" },
	{ "HEADER_TIMEOUT", NULL, CFG_T_UINT, CFG_AT(header_timeout_s), "10", 1, 3600,
	  "seconds a client has to send a request head once it started (408)" },
	{ "IDLE_TIMEOUT", NULL, CFG_T_UINT, CFG_AT(idle_timeout_s), "60", 1, 86400,
	  "seconds an idle keep-alive connection waits for its next request, and a "
	  "request body may go without moving a byte" },
	{ "SHUTDOWN_TIMEOUT", NULL, CFG_T_UINT, CFG_AT(shutdown_timeout_s), "10", 0, 3600,
	  "seconds in-flight requests get to finish after SIGTERM/SIGINT" },
	{ "MAX_CONNECTIONS", NULL, CFG_T_UINT, CFG_AT(max_connections), "4096", 1, 1000000,
	  "most client connections at once (503 above it)" },
	{ "MAX_CONNECTIONS_PER_CLIENT", NULL, CFG_T_UINT, CFG_AT(max_connections_per_client),
	  "1024", 1, 1000000,
	  "most connections from one client address (TCP) or user id (unix) (503 above it)" },
	{ "UPSTREAM_POOL", NULL, CFG_T_UINT, CFG_AT(upstream_pool), "256", 0, 100000,
	  "idle daemon connections kept for reuse by the next clients, each for at most "
	  "IDLE_TIMEOUT (0: a new daemon connection for every client)" },
	/* USER and GROUP are the shell's own variables, hence RUN_*. */
	{ "RUN_USER", "--user", CFG_T_USER, CFG_AT(run_uid), NULL, 0, 0,
	  "user (name or uid) to switch to once the sockets are open" },
	{ "RUN_GROUP", "--group", CFG_T_GROUP, CFG_AT(run_gid), NULL, 0, 0,
	  "group (name or gid) to switch to" },
	{ "REFUSE_ROOT", NULL, CFG_T_BOOL, CFG_AT(refuse_root), "0", 0, 0,
	  "exit instead of serving as root (after RUN_USER is applied)" },
	{ "SECCOMP", NULL, CFG_T_BOOL, CFG_AT(seccomp), "1", 0, 0,
	  "allow only the system calls the proxy needs; 0 turns it off for debugging" },
	{ "LANDLOCK", NULL, CFG_T_BOOL, CFG_AT(landlock), "1", 0, 0,
	  "restrict file and TCP access with Landlock where the kernel has it" },
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])
/* Then the sections, then the LIBPOD_* switches (policy.h). */
#define N_ALL (N_SETTINGS + 32 + 32)
#define N_BEFORE_LIBPOD (N_SETTINGS + policy_n_sections)

/* Where each value came from, for the error messages. */
struct raw_values {
	const char *value[N_ALL];
	const char *source[N_ALL];
};

static const char *setting_name(size_t i)
{
	if (i < N_SETTINGS)
		return settings[i].env;
	if (i < N_BEFORE_LIBPOD)
		return policy_sections[i - N_SETTINGS].setting;
	return policy_libpod_switches[i - N_BEFORE_LIBPOD].setting;
}

/* Index of a general setting by name; the table is fixed, so a miss is a
 * programming error caught by the unit tests. */
static size_t setting_index(const char *env)
{
	size_t i = 0;
	while (i < N_SETTINGS && strcmp(settings[i].env, env) != 0)
		i++;
	return i;
}

static size_t n_all(void)
{
	return N_BEFORE_LIBPOD + policy_n_libpod_switches;
}

/* "--socket-path" for "SOCKET_PATH", unless the table names the flag. */
static void flag_name(size_t i, char *out, size_t cap)
{
	if (i < N_SETTINGS && settings[i].flag != NULL) {
		snprintf(out, cap, "%s", settings[i].flag);
		return;
	}
	const char *env = setting_name(i);
	size_t o = 0;
	out[o++] = '-';
	out[o++] = '-';
	for (; *env && o + 1 < cap; env++)
		out[o++] = *env == '_' ? '-' : (char)tolower((unsigned char)*env);
	out[o] = '\0';
}

/* One note for the log (see struct cfg); the last slot says how many more
 * there were. */
static void add_note(struct cfg *c, const char *fmt, ...)
{
	if (c->n_notes >= CFG_MAX_NOTES) {
		snprintf(c->notes[CFG_MAX_NOTES - 1], CFG_NOTE_MAX,
			 "more notes about the settings were dropped (%zu in all)", ++c->n_notes);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->notes[c->n_notes++], CFG_NOTE_MAX, fmt, ap);
	va_end(ap);
}

/* docker-socket-proxy reads an empty variable (CONTAINERS= in a compose
 * file) as false, so a drop-in must too; it is noted because it also turns
 * off a section that is on by default (PING=). */
static const char *empty_bool_as_off(struct cfg *c, const char *name, const char *v)
{
	if (v == NULL || *v != '\0')
		return v;
	add_note(c, "%s is empty: read as 0 (off), as docker-socket-proxy does", name);
	return "0";
}

/* The booleans that guard dockgate itself, not the API: docker-socket-
 * proxy has none of them, and off is the weaker setting. An empty value
 * (SECCOMP= from an unset compose variable) is refused, never read as
 * off. */
static bool guards_dockgate(const struct setting *s)
{
	return s->offset == CFG_AT(seccomp) || s->offset == CFG_AT(landlock) ||
	       s->offset == CFG_AT(refuse_root);
}

static bool same_ignoring_case(const char *a, size_t an, const char *b)
{
	return strlen(b) == an && strncasecmp(a, b, an) == 0;
}

/* Levenshtein distance of a[0..an) and b, ignoring case; names are short. */
static size_t edit_distance(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b), row[64];
	if (an >= 64 || bn >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j];
			bool same = toupper((unsigned char)a[i - 1]) == toupper((unsigned char)b[j - 1]);
			size_t best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[bn];
}

/* How far name[0..n) is from setting s when it looks like a misspelling
 * of it, else SIZE_MAX. A short setting (PING, POST, IMAGES) matches only
 * in another case or with a plural s added or dropped: at one edit, HOST
 * and PORT would look like POST. A longer one matches within two edits
 * (CONTAINER, SOCKETPATH, LOGLEVEL). */
static size_t lookalike_distance(const char *name, size_t n, const char *s)
{
	size_t sn = strlen(s);
	if (sn >= 7) {
		size_t d = edit_distance(name, n, s);
		return d <= 2 ? d : SIZE_MAX;
	}
	if (n == sn + 1 && toupper((unsigned char)name[sn]) == 'S')
		return strncasecmp(name, s, sn) == 0 ? 1 : SIZE_MAX;
	if (sn == n + 1 && s[n] == 'S')
		return strncasecmp(name, s, n) == 0 ? 1 : SIZE_MAX;
	return same_ignoring_case(name, n, s) ? 0 : SIZE_MAX;
}

/* Prefixes dockgate keeps for its own settings: a variable with one of
 * them that is no setting is a mistake. */
static bool has_reserved_prefix(const char *name, size_t n)
{
	static const char *const prefixes[] = { "ALLOW_", "LIBPOD_", "GUARD_", "DOCKGATE_" };
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t pn = strlen(prefixes[i]);
		if (n > pn && strncasecmp(name, prefixes[i], pn) == 0)
			return true;
	}
	return false;
}

/* A misspelt setting would otherwise be ignored without a word
 * (CONTAINER=1, ALLOW_RESTART=1): name each variable that looks like one. */
static void note_lookalikes(struct cfg *c, char **env)
{
	for (; env != NULL && *env != NULL; env++) {
		const char *eq = strchr(*env, '=');
		size_t n = eq ? (size_t)(eq - *env) : strlen(*env);
		const char *near = NULL;
		size_t nearest = SIZE_MAX;
		bool exact = false;
		for (size_t i = 0; i < n_all() && !exact; i++) {
			const char *s = setting_name(i);
			exact = strlen(s) == n && strncmp(*env, s, n) == 0;
			size_t d = lookalike_distance(*env, n, s);
			if (d < nearest) {
				nearest = d;
				near = s;
			}
		}
		if (exact)
			continue;
		/* The name is anyone's who sets the environment: escaped, so
		 * that it cannot end the log line. */
		char name[64 * 4 + 1];
		log_escape(name, sizeof name, *env, n < 64 ? n : 64);
		if (near != NULL)
			add_note(c, "%s is not a setting and is ignored: did you mean %s?", name, near);
		else if (has_reserved_prefix(*env, n))
			add_note(c, "%s is not a setting and is ignored (dockgate --help lists them)",
				 name);
	}
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_ulong(const char *v, int base, unsigned long *out)
{
	if (*v == '\0' || *v == '-' || *v == '+' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	char *end;
	unsigned long x = strtoul(v, &end, base);
	if (errno || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

/* A user or group: a decimal id, or else the exact name of an entry in
 * /etc/passwd or /etc/group (idmap.h: no NSS). */
static int parse_id(const char *v, bool group, long *out)
{
	unsigned long id;
	if (parse_ulong(v, 10, &id) == 0 && id <= (unsigned long)IDMAP_ID_MAX) {
		*out = (long)id;
		return 0;
	}
	struct idmap_entry e;
	if (group ? idmap_find(IDMAP_DB_GROUP, IDMAP_GROUP_PATH, v, 0, &e)
		  : idmap_find(IDMAP_DB_PASSWD, IDMAP_PASSWD_PATH, v, 0, &e))
		return -1;
	*out = e.id;
	return 0;
}

static const char *accepted(const struct setting *s, char *tmp, size_t cap)
{
	switch (s->type) {
	case CFG_T_BOOL: return "use 1/0, true/false, yes/no, on/off";
	case CFG_T_PATH: return "use an absolute path shorter than 108 bytes";
	case CFG_T_FILE: return "use a path shorter than 256 bytes";
	case CFG_T_LEVEL: return "use debug, info, notice, warning, err, crit, alert or emerg";
	case CFG_T_MODE: return "use an octal file mode such as 0660";
	case CFG_T_USER: return "use a numeric uid or a user name from /etc/passwd";
	case CFG_T_GROUP: return "use a numeric gid or a group name from /etc/group";
	case CFG_T_UINT:
		snprintf(tmp, cap, "use a whole number from %lu to %lu", s->min, s->max);
		return tmp;
	case CFG_T_LISTEN: return "use tcp://HOST:PORT or unix:///PATH, comma-separated";
	case CFG_T_PROFILE: break; /* profile_choices() */
	}
	return "";
}

/* "use one of ping, traefik, ... (or empty for none)" into out. */
static const char *profile_choices(char *out, size_t cap)
{
	size_t used = (size_t)snprintf(out, cap, "use one of");
	for (size_t i = 0; i < n_presets && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s %s", i ? "," : "",
					 presets[i].name);
	if (used < cap)
		snprintf(out + used, cap - used, ", or empty for none");
	return out;
}

static int bad_value(FILE *err, const char *name, const char *source,
		     const char *value, const char *what)
{
	fprintf(err, "dockgate: %s%s: '%s' is not valid (%s)\n", name, source, value, what);
	return -1;
}

/* Converts one general setting's text into *c. 0 or -1 (message printed). */
static int apply_setting(const struct setting *s, const char *v, const char *src,
			 struct cfg *c, FILE *err)
{
	char tmp[80];
	bool b = false;
	unsigned long n = 0;
	long id = -1;
	const char *why = NULL;
	int bad = 0;
	switch (s->type) {
	case CFG_T_BOOL: bad = parse_bool(v, &b); break;
	case CFG_T_UINT: bad = parse_ulong(v, 10, &n) || n < s->min || n > s->max; break;
	case CFG_T_MODE:
		bad = parse_ulong(v, 8, &n) || n > s->max;
		/* Anyone who can write the socket can talk to the daemon. */
		if (!bad && (n & 0002))
			return bad_value(err, s->env, src, v,
					 "a world-writable socket would open the API to every "
					 "local user; use 0660 or stricter plus LISTEN_GROUP");
		break;
	case CFG_T_PATH: bad = v[0] != '/' || strlen(v) >= sizeof c->socket_path; break;
	case CFG_T_FILE: bad = strlen(v) >= sizeof c->policy_file; break;
	case CFG_T_LEVEL: bad = log_level_parse(v) < 0; break;
	case CFG_T_LISTEN:
		if (cfg_parse_listen(v, c, &why))
			return bad_value(err, s->env, src, v, why);
		return 0;
	case CFG_T_USER: bad = parse_id(v, false, &id); break;
	case CFG_T_GROUP: bad = parse_id(v, true, &id); break;
	case CFG_T_PROFILE:
		if (v[0] != '\0' && preset_find(v) == NULL) {
			char choices[CFG_NOTE_MAX];
			return bad_value(err, s->env, src, v, profile_choices(choices, sizeof choices));
		}
		break;
	}
	if (bad)
		return bad_value(err, s->env, src, v, accepted(s, tmp, sizeof tmp));
	char *at = (char *)c + s->offset;
	switch (s->type) {
	case CFG_T_BOOL: *(bool *)at = b; break;
	case CFG_T_UINT: *(unsigned long *)at = n; break;
	case CFG_T_MODE: *(unsigned *)at = (unsigned)n; break;
	case CFG_T_PATH:
	case CFG_T_FILE: strcpy(at, v); break;
	case CFG_T_PROFILE: snprintf(at, PROFILE_NAME_MAX, "%s", v); break;
	case CFG_T_LEVEL: *(int *)at = log_level_parse(v); break;
	case CFG_T_USER:
	case CFG_T_GROUP: *(long *)at = id; break;
	case CFG_T_LISTEN: break;
	}
	return 0;
}

/* True for a gate (ALLOW_ARCHIVE ... ALLOW_KILL). */
static bool is_gate(const struct setting *s)
{
	return s->offset >= CFG_AT(gate_allow) &&
	       s->offset < CFG_AT(gate_allow) + sizeof ((struct cfg *)0)->gate_allow;
}

/* The gate family: the variables that linuxserver's docker-socket-proxy
 * added and sets to 0 in its image, the gates and the pause grants. */
static bool gate_family(const struct setting *s)
{
	return is_gate(s) || s->offset == CFG_AT(policy.allow_pause) ||
	       s->offset == CFG_AT(policy.allow_unpause);
}

/* The default --help shows for s: its value, or what happens without one. */
static const char *default_shown(const struct setting *s)
{
	if (s->def != NULL)
		return s->def;
	if (is_gate(s))
		return "open; 0 once any gate, ALLOW_PAUSE or ALLOW_UNPAUSE is set";
	if (s->type == CFG_T_LISTEN)
		return "tcp://[::]:2375";
	if (s->type == CFG_T_PROFILE)
		return "none";
	if (s->offset == CFG_AT(run_gid))
		return "RUN_USER's primary group; unchanged without RUN_USER";
	if (s->type == CFG_T_FILE)
		return "none";
	return "unchanged";
}

static void print_help(FILE *out)
{
	fprintf(out,
		"Usage: dockgate [--SETTING=VALUE]...\n"
		"       dockgate check [--SETTING=VALUE]...\n"
		"A strict proxy for the Docker Engine API socket: it lets through only\n"
		"the API sections you allow and answers everything else with 403.\n"
		"'dockgate check' validates the settings as a start would (exit 2 with the\n"
		"same message when they are not valid), then prints, per profile, every\n"
		"operation they allow and a warning for each that is root-equivalent or\n"
		"hands data out, with the setting that closes it; it opens no socket.\n\n"
		"Every setting is an environment variable or the flag shown; flags win.\n"
		"Booleans accept 1/0, true/false, yes/no, on/off.\n\n");
	char flag[40];
	for (size_t i = 0; i < N_SETTINGS; i++) {
		flag_name(i, flag, sizeof flag);
		fprintf(out, "  %-20s %-16s %s (default: %s)\n", flag, settings[i].env,
			settings[i].help, default_shown(&settings[i]));
	}
	fprintf(out, "\nAPI sections, allowed when true (first path segment after /vX.Y):\n");
	for (size_t i = 0; i < policy_n_sections; i++) {
		flag_name(N_SETTINGS + i, flag, sizeof flag);
		fprintf(out, "  %-20s %-16s /%s (default: %d)\n", flag,
			policy_sections[i].setting, policy_sections[i].segment,
			policy_sections[i].default_on);
	}
	fprintf(out, "\nPodman's API, linuxserver/docker-socket-proxy's switches (default: 0 each;\n"
		     "a twin opens /libpod/SECTION with POST's method rule and the section's\n"
		     "deny rules, independently of SECTION and LIBPOD; a grant is ALLOW_<ACTION>\n"
		     "on /libpod/containers or /libpod/pods alone; setting any closes the gates\n"
		     "not opened, as ALLOW_PAUSE does):\n");
	for (size_t i = 0; i < policy_n_libpod_switches; i++) {
		const struct policy_libpod_switch *w = &policy_libpod_switches[i];
		bool section = w->kind == POLICY_LP_TWIN || w->kind == POLICY_LP_ONLY;
		flag_name(N_BEFORE_LIBPOD + i, flag, sizeof flag);
		fprintf(out, "  %-27s %-25s %s%s%s%s\n", flag, w->setting,
			section ? "/libpod/" : w->name,
			section ? w->name : w->kind == POLICY_LP_GRANT ? " on /libpod/containers"
								     : " on /libpod/pods",
			w->kind == POLICY_LP_ONLY ? " (Podman only)" : "",
			w->warning != NULL ? "; warns" : "");
	}
	fprintf(out, "\n  --healthcheck        probe the first listener with HEAD /_ping and exit 0 when\n"
		     "                       dockgate answers (for HEALTHCHECK in images without a shell)\n");
	fprintf(out, "  --help               print this text\n"
		     "  --version            print the version (--version=0 turns the VERSION section off)\n");
}

/* Collects flag values into raw (flags win over the environment). */
static enum cfg_result read_flags(int argc, char **argv, struct raw_values *raw,
				  struct cfg *c, FILE *out, FILE *err)
{
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (!strcmp(arg, "--healthcheck")) {
			c->healthcheck = true;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			print_help(out);
			return CFG_EXIT;
		}
		if (!strcmp(arg, "--version")) {
			fprintf(out, "dockgate %s (%s; seccomp, landlock)\n", DOCKGATE_VERSION,
				DOCKGATE_BUILD);
			return CFG_EXIT;
		}
		const char *eq = strchr(arg, '=');
		size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		size_t i;
		char flag[40];
		for (i = 0; i < n_all(); i++) {
			flag_name(i, flag, sizeof flag);
			if (strlen(flag) == nlen && strncmp(flag, arg, nlen) == 0)
				break;
		}
		if (i == n_all()) {
			fprintf(err, "dockgate: unknown option '%s' (see --help)\n", arg);
			return CFG_ERROR;
		}
		bool is_bool = i >= N_SETTINGS || settings[i].type == CFG_T_BOOL;
		if (eq != NULL) {
			raw->value[i] = eq + 1;
		} else if (is_bool) {
			raw->value[i] = "1"; /* "--containers" alone means on */
		} else if (a + 1 < argc) {
			raw->value[i] = argv[++a];
		} else {
			fprintf(err, "dockgate: %s needs a value (see --help)\n", flag);
			return CFG_ERROR;
		}
		raw->source[i] = " (flag)";
	}
	return CFG_RUN;
}

/* docker-socket-proxy has no gates: CONTAINERS=1 opens the whole section,
 * and that stays the contract while none is set. linuxserver's image sets
 * every variable of the gate family to 0 and opens a gate only with
 * ALLOW_<NAME>=1; a user who names any of them (even empty) comes from
 * there, or asks for gates, and gets every gate not opened closed. The
 * method switches likewise: only once DELETE, PUT or PATCH is present does
 * POST=1 stop opening every method. Presence is read from raw (the
 * environment and the flags), as a default cannot tell. */
static void apply_gates(struct cfg *c, const struct raw_values *raw)
{
	c->gates_set = false;
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (gate_family(&settings[i]) && raw->value[i] != NULL)
			c->gates_set = true;
	/* The LIBPOD_* switches are linuxserver's alone: whoever sets one
	 * comes from its image, where every gate starts closed. */
	for (size_t i = N_BEFORE_LIBPOD; i < n_all(); i++)
		if (raw->value[i] != NULL)
			c->gates_set = true;
	for (size_t g = 0; g < POLICY_N_GATES; g++)
		c->policy.gate_closed[g] = c->gates_set && !c->gate_allow[g];
	c->policy.methods_split = raw->value[setting_index("DELETE")] != NULL ||
				  raw->value[setting_index("PUT")] != NULL ||
				  raw->value[setting_index("PATCH")] != NULL;
}

/* Reads LIBPOD_* switch k from v (NULL: unset, off), as a section is read;
 * one that opens something root-equivalent or handing data out says what
 * in a note, logged as a warning at startup. Returns 1 when v is no
 * boolean (after the message to err), else 0. */
static int apply_libpod(struct cfg *c, size_t k, const char *v, const char *source, FILE *err)
{
	const struct policy_libpod_switch *w = &policy_libpod_switches[k];
	bool on = false;
	v = empty_bool_as_off(c, w->setting, v);
	if (v != NULL && parse_bool(v, &on))
		return bad_value(err, w->setting, source, v, "use 1/0, true/false, yes/no, on/off");
	c->policy.libpod_on[k] = on;
	if (on && w->warning != NULL)
		add_note(c, "%s=1 opens /libpod/%s: %s", w->setting, w->name, w->warning);
	return 0;
}

enum cfg_result cfg_load(struct cfg *c, int argc, char **argv, FILE *out, FILE *err)
{
	memset(c, 0, sizeof *c);
	c->listen_uid = -1;
	c->listen_gid = -1;
	c->run_uid = -1;
	c->run_gid = -1;
	struct raw_values raw = { 0 };
	for (size_t i = 0; i < n_all(); i++) {
		raw.value[i] = getenv(setting_name(i));
		raw.source[i] = "";
	}
	enum cfg_result r = read_flags(argc, argv, &raw, c, out, err);
	if (r != CFG_RUN)
		return r;
	note_lookalikes(c, environ);
	int bad = 0;
	for (size_t i = 0; i < n_all(); i++) {
		const char *v = raw.value[i];
		if (i >= N_BEFORE_LIBPOD) {
			bad |= apply_libpod(c, i - N_BEFORE_LIBPOD, v, raw.source[i], err);
			continue;
		}
		if (i >= N_SETTINGS) {
			const struct policy_section *s = &policy_sections[i - N_SETTINGS];
			bool b = s->default_on;
			v = empty_bool_as_off(c, s->setting, v);
			if (v != NULL && parse_bool(v, &b))
				bad |= bad_value(err, s->setting, raw.source[i], v,
						 "use 1/0, true/false, yes/no, on/off");
			c->policy.section_on[i - N_SETTINGS] = b;
			continue;
		}
		if (settings[i].type == CFG_T_BOOL && !guards_dockgate(&settings[i]))
			v = empty_bool_as_off(c, settings[i].env, v);
		if (v == NULL)
			v = settings[i].def;
		if (v == NULL && settings[i].type == CFG_T_LISTEN) {
			bool no_v6 = false;
			/* DISABLE_IPV6 itself is validated in its own turn. */
			const char *d6 = raw.value[setting_index("DISABLE_IPV6")];
			if (d6 != NULL)
				parse_bool(d6, &no_v6);
			v = no_v6 ? "tcp://0.0.0.0:2375" : "tcp://[::]:2375";
			c->listen_is_default = true;
		}
		if (v != NULL)
			bad |= apply_setting(&settings[i], v, raw.source[i], c, err);
	}
	apply_gates(c, &raw);
	return bad ? CFG_ERROR : CFG_RUN;
}

void cfg_default_policy(struct policy_settings *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < policy_n_sections; i++)
		s->section_on[i] = policy_sections[i].default_on;
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *st = &settings[i];
		bool b;
		if (st->type != CFG_T_BOOL || st->def == NULL || st->offset < CFG_AT(policy) ||
		    st->offset >= CFG_AT(policy) + sizeof(struct policy_settings) ||
		    parse_bool(st->def, &b) != 0)
			continue;
		*(bool *)((char *)s + (st->offset - CFG_AT(policy))) = b;
	}
}
