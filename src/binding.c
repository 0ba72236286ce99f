/* binding.c - which policy serves each client, and reloading the policy
 * file; see binding.h. */
#include "binding.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "path.h"
#include "policy_file.h"
#include "profile.h"

/* One loaded policy and the bindings of its clients. */
struct binding_generation {
	struct policy_file *file; /* NULL: no policy file */
	struct binding env;       /* the environment's policy (binding.h, case 4) */
	struct binding unmatched; /* no entry matches (case 3) */
	struct binding *of_profile; /* [i] is served by file->profiles[i] */
	/* Bindings connections hold, plus one while it is current. */
	unsigned long refs;
	struct binding_generation *next_retired;
};

static struct binding_generation *current;
static struct binding_generation *retired; /* still held by a connection */
static const struct cfg_listener *listeners;
static size_t n_listeners;
static const char *policy_path; /* "" or NULL: none */
static const struct policy *env_rules;
static const struct profile *env_profile;

static void generation_free(struct binding_generation *g)
{
	if (g == NULL)
		return;
	policy_file_free(g->file);
	free(g->of_profile);
	free(g);
}

/* A generation for file (NULL: none), holding the one reference of
 * being current; NULL on out of memory, file untouched. */
static struct binding_generation *generation_new(struct policy_file *file)
{
	struct binding_generation *g = calloc(1, sizeof *g);
	size_t n = file ? file->n_profiles : 0;
	struct binding *of_profile = calloc(n + 1, sizeof *of_profile);
	if (g == NULL || of_profile == NULL) {
		free(g);
		free(of_profile);
		errno = ENOMEM;
		return NULL;
	}
	g->file = file;
	g->of_profile = of_profile;
	g->env = (struct binding){ env_profile, false, g };
	g->unmatched = (struct binding){ NULL, true, g };
	for (size_t i = 0; i < n; i++)
		of_profile[i] = (struct binding){ file->profiles[i], false, g };
	g->refs = 1;
	return g;
}

int binding_setup(const struct cfg_listener *list, size_t n, const char *path,
		  const struct policy *env, const struct profile *env_prof,
		  struct policy_file *file)
{
	listeners = list;
	n_listeners = n;
	policy_path = path;
	env_rules = env;
	env_profile = env_prof;
	current = generation_new(file);
	if (current == NULL) {
		policy_file_free(file);
		return -1;
	}
	return 0;
}

/* Drops one reference to g; the last one frees it. */
static void generation_put(struct binding_generation *g)
{
	if (--g->refs > 0)
		return;
	for (struct binding_generation **at = &retired; *at != NULL; at = &(*at)->next_retired)
		if (*at == g) {
			*at = g->next_retired;
			break;
		}
	generation_free(g);
}

void binding_free(void)
{
	if (current != NULL) {
		current->next_retired = retired;
		retired = current;
		current = NULL;
		generation_put(retired);
	}
	/* Normally none is left: every connection released its binding. */
	while (retired != NULL) {
		struct binding_generation *g = retired;
		retired = g->next_retired;
		generation_free(g);
	}
}

size_t binding_generations(void)
{
	size_t n = current != NULL;
	for (const struct binding_generation *g = retired; g != NULL; g = g->next_retired)
		n++;
	return n;
}

/* binding.h's order: an entry, "default", nobody, the environment. */
static struct binding *choose(struct binding_generation *g, size_t listener,
			      const struct sockaddr *peer, const struct ucred *cred)
{
	const struct policy_file *f = g->file;
	if (f == NULL)
		return &g->env;
	long t = policy_file_pick(f, listener, peer, cred);
	if (t < 0)
		t = f->default_profile;
	if (t >= 0 && (size_t)t < f->n_profiles)
		return &g->of_profile[t];
	return policy_file_binds(f, listener) ? &g->unmatched : &g->env;
}

struct binding *binding_pick(size_t listener, const struct sockaddr *peer,
			     const struct ucred *cred)
{
	struct binding *b = choose(current, listener, peer, cred);
	current->refs++;
	return b;
}

/* What a unix peer's SO_PEERCRED says; false when it cannot be read. */
static bool read_cred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof *cred;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0 && len == sizeof *cred;
}

static bool read_address(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof *ss;
	return getpeername(fd, (struct sockaddr *)ss, &len) == 0;
}

static bool is_unix_listener(size_t listener)
{
	return listener < n_listeners && listeners[listener].kind == CFG_LISTEN_UNIX;
}

/* The binding of a client of listener (which has entries) who cannot be
 * named: a TCP client that reset its connection right after its request
 * head has no address any more (getpeername: ENOTCONN), and that head is
 * still judged. Only an entry without conditions ahead of every entry
 * with some serves it for sure; past an entry that might name it, it
 * would be "a client no entry names", and the entry without conditions
 * or the default behind may be wider than its own. Nobody then. */
static struct binding *pick_unknown(size_t listener)
{
	const struct policy_file *f = current->file;
	struct binding *b = &current->unmatched;
	for (size_t i = 0; i < f->n_clients; i++) {
		const struct policy_doc_client *c = &f->clients[i];
		if (c->listener != listener)
			continue;
		if (c->n_from == 0 && c->n_uids == 0 && c->n_gids == 0)
			b = &current->of_profile[c->target];
		break;
	}
	current->refs++;
	return b;
}

struct binding *binding_pick_fd(size_t listener, int fd)
{
	/* Only entries of the client's listener look at who it is: without
	 * one, no system call. */
	if (current->file == NULL || !policy_file_binds(current->file, listener))
		return binding_pick(listener, NULL, NULL);
	struct ucred cred;
	struct sockaddr_storage ss;
	bool is_unix = is_unix_listener(listener);
	bool known = is_unix ? read_cred(fd, &cred) : read_address(fd, &ss);
	if (!known)
		return pick_unknown(listener);
	return binding_pick(listener, is_unix ? NULL : (struct sockaddr *)&ss,
			    is_unix ? &cred : NULL);
}

void binding_release(struct binding *b)
{
	if (b != NULL)
		generation_put(b->generation);
}

bool binding_stale(const struct binding *b)
{
	return b->generation != current;
}

void binding_repick(struct binding **b, size_t listener, int fd)
{
	struct binding *now = binding_pick_fd(listener, fd);
	binding_release(*b);
	*b = now;
}

/* "uid 1000, gid 1000" or "address 10.0.0.7" of the client on fd, into
 * out; what cannot be read says so. */
static void describe_client(size_t listener, int fd, char *out, size_t cap)
{
	struct ucred cred;
	struct sockaddr_storage ss;
	if (is_unix_listener(listener)) {
		if (read_cred(fd, &cred))
			snprintf(out, cap, "uid %u, gid %u", (unsigned)cred.uid, (unsigned)cred.gid);
		else
			snprintf(out, cap, "its uid cannot be read: %s", strerror(errno));
		return;
	}
	if (!read_address(fd, &ss)) {
		snprintf(out, cap, "its address cannot be read: %s", strerror(errno));
		return;
	}
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	} else if (ss.ss_family == AF_INET6) {
		/* An IPv4 client of a dual-stack listener, as from: sees it. */
		const struct in6_addr *a = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, a->s6_addr + 12, host, sizeof host);
		else
			inet_ntop(AF_INET6, a, host, sizeof host);
	}
	snprintf(out, cap, "address %s", host);
}

void binding_deny_unmatched(size_t listener, int fd, const struct policy_request *rq,
			    struct policy_verdict *v)
{
	char client[96];
	describe_client(listener, fd, client, sizeof client);
	struct span m = rq->method, path = rq->path->path;
	v->allow = false;
	v->because = NULL;
	int n = snprintf(v->message, sizeof v->message,
			 "dockgate: %.*s %.*s is denied: no profile of the policy file matches "
			 "this client (%s) on listener %s", (int)(m.n > 32 ? 32 : m.n), m.p,
			 (int)(path.n > 80 ? 80 : path.n), path.p, client,
			 listener < n_listeners ? listeners[listener].text : "?");
	/* A long listener name is cut at the end of the message, and says
	 * so; the rest still says what happened. */
	if (n >= (int)sizeof v->message)
		memcpy(v->message + sizeof v->message - 4, "...", 4);
}

/* What a policy file says, in the words of the startup line (main.c):
 * its profiles, how many client entries, and who serves the clients none
 * matches. */
static void describe_file(const struct policy_file *f, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "profiles ");
	for (size_t i = 0; i < f->n_profiles && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "",
				      profile_name(f->profiles[i]));
	if (o < cap)
		snprintf(out + o, cap - o, "%s; %zu client entries; clients no entry matches are "
			 "served by %s", f->n_profiles ? "" : "none", f->n_clients,
			 f->default_profile >= 0 ? "its profile default"
						 : "the environment's policy, or on a listener "
						   "with entries by nobody (403)");
}

int binding_reload(void)
{
	if (policy_path == NULL || policy_path[0] == '\0') {
		log_notice("reload: nothing to reload: no POLICY_FILE is set, and the "
			   "environment's settings are read once, at startup");
		return -1;
	}
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_read(policy_path, listeners, n_listeners, env_rules,
						 err, sizeof err);
	if (f == NULL) {
		/* Landlock lets the proxy read the file it read at startup,
		 * by its inode: a file replaced (renamed over) since is
		 * another one. */
		bool denied = errno == EACCES && strstr(err, strerror(EACCES)) != NULL;
		log_warn("reload: %s; the policy in force stays%s", err,
			 denied ? " (a file replaced since startup, rather than rewritten in "
				  "place, cannot be read: see README.md, \"Reload\")" : "");
		return -1;
	}
	struct binding_generation *g = generation_new(f);
	if (g == NULL) {
		log_err("reload: %s: out of memory; the policy in force stays", policy_path);
		policy_file_free(f);
		return -1;
	}
	/* The one step that changes what judges: from here every new
	 * binding, and every connection's next request, is the new file's. */
	struct binding_generation *old = current;
	current = g;
	old->next_retired = retired;
	retired = old;
	generation_put(old);
	char what[768];
	describe_file(f, what, sizeof what);
	log_notice("reload: %s is in force: %s; open connections take it at their next "
		   "request", policy_path, what);
	return 0;
}

void binding_check_readable(void)
{
	if (policy_path == NULL || policy_path[0] == '\0')
		return;
	int fd = open(policy_path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		log_warn("POLICY_FILE %s cannot be read as uid %u (%s): a reload (SIGHUP) will "
			 "fail; make it readable by that user", policy_path, (unsigned)getuid(),
			 strerror(errno));
		return;
	}
	close(fd);
}
