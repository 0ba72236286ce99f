/* main.c - settings -> log -> policy -> listeners -> loop_run -> exit code.
 *
 * Exit status: 0 after a clean stop, 1 when the host refuses something at
 * startup (a listener cannot be opened), 2 for invalid settings. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "binding.h"
#include "cfg.h"
#include "check.h"
#include "conn.h"
#include "health.h"
#include "limit.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "policy_file.h"
#include "presets.h"
#include "profile.h"
#include "sandbox.h"

static struct loop main_loop;
static struct cfg settings;
static long long shutdown_deadline_ms; /* 0 while running */

/* SIGTERM/SIGINT: stop accepting, let in-flight requests finish, and stop
 * the loop once they have or the grace period is over. SIGHUP: reload
 * POLICY_FILE (binding.h). SIGUSR1, SIGUSR2 and SIGALRM: logged and
 * otherwise ignored. */
static void on_signal(struct loop_watch *w, uint32_t events)
{
	(void)events;
	struct signalfd_siginfo si;
	while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP && shutdown_deadline_ms == 0) {
			log_notice("SIGHUP from pid %u: reloading", (unsigned)si.ssi_pid);
			binding_reload();
			continue;
		}
		if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT) {
			/* Their default action would kill the proxy with no
			 * drain and leave the socket file behind: say so, and
			 * keep serving. */
			log_notice("%s from pid %u: ignored (only SIGTERM and SIGINT stop dockgate)",
				   strsignal((int)si.ssi_signo), (unsigned)si.ssi_pid);
			continue;
		}
		if (shutdown_deadline_ms != 0) {
			log_notice("second signal: stopping now");
			conn_close_all();
			loop_stop(&main_loop);
			return;
		}
		log_notice("%s: no new connections; %zu open get %lus to finish",
			   strsignal((int)si.ssi_signo), conn_count(),
			   settings.shutdown_timeout_s);
		shutdown_deadline_ms = loop_now_ms() + (long long)settings.shutdown_timeout_s * 1000;
		listen_close_all(&main_loop);
		conn_drain();
		if (conn_count() == 0) /* nothing in flight: no need to wait */
			loop_stop(&main_loop);
	}
}

/* Log lines wait for stderr: watch it while they do (see log.c). */
static struct loop_watch log_watch = { -1, NULL, NULL };

static void on_log_writable(struct loop_watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	log_flush();
}

static void on_log_backlog(int fd, bool pending)
{
	if (pending) {
		log_watch = (struct loop_watch){ fd, on_log_writable, NULL };
		/* On failure the tick still flushes, once a second. */
		if (loop_add(&main_loop, &log_watch, EPOLLOUT) == -1)
			log_watch.fd = -1;
	} else if (log_watch.fd != -1) {
		loop_del(&main_loop, &log_watch);
		log_watch.fd = -1;
	}
}

static void on_tick(void *ctx)
{
	(void)ctx;
	log_flush();
	conn_tick(NULL);
	if (shutdown_deadline_ms == 0)
		return;
	if (conn_count() == 0 || loop_now_ms() >= shutdown_deadline_ms) {
		if (conn_count() > 0)
			log_notice("grace period over: closing %zu connections", conn_count());
		conn_close_all();
		loop_stop(&main_loop);
	}
}

/* Says at startup, not at the first request, when the daemon's socket
 * cannot be used as the user we now are, and what would fix it. Requests
 * get 502 meanwhile; the proxy keeps serving and retries each time. */
static void check_upstream(const char *path)
{
	struct stat st;
	if (stat(path, &st) == -1) {
		log_warn("SOCKET_PATH %s: %s; requests get 502 until it exists", path,
			 strerror(errno));
		return;
	}
	if (access(path, R_OK | W_OK) == 0)
		return;
	log_warn("SOCKET_PATH %s is not writable as uid %u gid %u (it is owned by %u:%u, "
		 "mode %03o): run with its group, e.g. RUN_GROUP=%u or docker run "
		 "--group-add %u", path, (unsigned)getuid(), (unsigned)getgid(),
		 (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 0777),
		 (unsigned)st.st_gid, (unsigned)st.st_gid);
}

/* PROFILE=<preset>: the preset as a profile over the env rule list env,
 * widened by every setting at a value other than its default (profile.h,
 * profile_widen()); what was widened is logged. NULL after logging why
 * (a preset rule naming no route is a fault of this build). */
static struct profile *env_profile(const struct cfg *c, const struct policy *env)
{
	const struct preset *pr = preset_find(c->profile); /* cfg_load checked it */
	const char *bad = NULL;
	struct profile *p = pr ? profile_from_preset(pr, env, &bad) : NULL;
	if (p == NULL && bad != NULL)
		log_err("PROFILE=%s: the preset's rule '%s' names no route", c->profile, bad);
	else if (p == NULL)
		log_err("PROFILE=%s: %s", c->profile, strerror(errno));
	if (p == NULL)
		return NULL;
	struct policy_settings defaults;
	cfg_default_policy(&defaults);
	char why[POLICY_ERROR_MAX], widened[512];
	struct policy *base = policy_compile(&defaults, why, sizeof why);
	int n = base ? profile_widen(p, base, widened, sizeof widened) : -1;
	policy_free(base);
	if (n < 0) {
		log_err("PROFILE=%s: %s", c->profile, base ? strerror(errno) : why);
		profile_free(p);
		return NULL;
	}
	log_notice("policy: PROFILE=%s judges every request by route (%s); %s%s", c->profile,
		   pr->client, n ? "widened by the settings at non-default values: " :
			       "no setting at a non-default value widens it",
		   n ? widened : "");
	/* A closed gate narrows no profile: say so, rather than let the
	 * setting read as if it closed what the preset allows. */
	for (enum policy_gate g = 0; g < POLICY_N_GATES; g++) {
		char ops[256];
		if (c->policy.gate_closed[g] && profile_gate_ignored(p, g, ops, sizeof ops) > 0)
			log_warn("PROFILE=%s: the closed gate %s does not narrow the preset: %s "
				 "stays allowed (deny it in a policy file profile that extends %s)",
				 c->profile, policy_gates[g].setting, ops, c->profile);
	}
	return p;
}

/* Many idle clients and event streams need many descriptors: take the
 * hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int watch_signals(struct loop_watch *w)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Signals whose default is to terminate and that an operator or a
	 * supervisor may send by habit (reload, log rotation, a stray
	 * alarm): read and logged instead. */
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return -1;
	*w = (struct loop_watch){ fd, on_signal, NULL };
	return loop_add(&main_loop, w, EPOLLIN);
}

/* Reads POLICY_FILE, when set, against the listeners and the env rule
 * list p. NULL with *failed set when it is not valid: the message names
 * the file, the line and the column. */
static struct policy_file *load_policy_file(const struct policy *p, bool *failed)
{
	*failed = false;
	if (settings.policy_file[0] == '\0')
		return NULL;
	char err[POLICY_DOC_ERROR_MAX];
	struct policy_file *f = policy_file_read(settings.policy_file, settings.listeners,
						 settings.n_listeners, p, err, sizeof err);
	if (f == NULL) {
		log_err("%s", err);
		*failed = true;
	}
	return f;
}

/* One line for the policy file: its profiles, its bindings, and who
 * serves the listeners it does not bind. */
static void log_policy_file(const struct policy_file *f)
{
	char names[512] = "";
	size_t o = 0;
	for (size_t i = 0; i < f->n_profiles && o < sizeof names; i++)
		o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "",
				      profile_name(f->profiles[i]));
	log_notice("policy file %s: profiles %s; %zu client entries; clients no entry "
		   "matches are served by %s", settings.policy_file, o ? names : "none",
		   f->n_clients, f->default_profile >= 0 ? "its profile default"
							 : "the environment's policy, or on a "
							   "listener with entries by nobody (403)");
}

/* `dockgate check`: the settings were validated as a start validates
 * them; report what each profile grants instead of serving. No socket is
 * opened and no daemon is asked. A NULL profile is the env rule list. */
static int run_check(const struct profile *const *profiles, size_t n, const struct policy *env)
{
	printf("dockgate check: the settings are valid\n\n");
	int rc = check_print_all(stdout, profiles, n, env) == -1 ? 1 : 0;
	if (rc != 0)
		log_err("check: %s", strerror(errno));
	fflush(stdout);
	log_drain(2000);
	return rc;
}

/* The profiles check and the startup log report: served (the settings'
 * profile, NULL for the env rule list alone, or the file's default),
 * then every other profile of the policy file f (may be NULL). The count,
 * with the list in *out to free; 0 and NULL when out of memory. */
static size_t profiles_to_report(const struct profile *served, const struct policy_file *f,
				 const struct profile ***out)
{
	size_t n_file = f ? f->n_profiles : 0, n = 0;
	const struct profile **list = calloc(n_file + 1, sizeof *list);
	*out = list;
	if (list == NULL)
		return 0;
	list[n++] = served;
	for (size_t i = 0; i < n_file; i++)
		if (f->profiles[i] != served)
			list[n++] = f->profiles[i];
	return n;
}

int main(int argc, char **argv)
{
	/* "check" is a command, not a setting: the flags after it are read
	 * as a start reads them. */
	bool checking = check_requested(argc, argv);
	if (checking) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	enum cfg_result r = cfg_load(&settings, argc, argv, stdout, stderr);
	if (r == CFG_EXIT)
		return 0;
	if (r == CFG_ERROR)
		return 2;
	if (settings.healthcheck && !checking)
		return health_check(&settings);
	if (sandbox_preflight(&settings) == -1)
		return 2;
	/* check reports on stdout; the log says only what is wrong. */
	if (checking && settings.log_level > LOG_L_WARNING)
		settings.log_level = LOG_L_WARNING;
	log_set_level((enum log_level)settings.log_level);
	/* Before the sandbox: it reopens stderr through /proc. Output still
	 * works, maybe blocking, when it cannot. */
	int opened = log_open();
	if (opened == -1)
		log_warn("stderr: %s; log output may block when it is not read",
			 strerror(errno));
	else if (opened == 1)
		log_notice("stderr cannot be opened again (%s): its shared file "
			   "description is now non-blocking, so that a slow reader never "
			   "stalls the proxy", strerror(errno));
	/* A client that vanishes must cost an EPIPE, never the process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	char why[POLICY_ERROR_MAX];
	struct policy *p = policy_compile(&settings.policy, why, sizeof why);
	if (p == NULL) {
		log_err("%s", why);
		return 1;
	}
	bool file_failed;
	struct policy_file *file = load_policy_file(p, &file_failed);
	if (file_failed) {
		policy_free(p);
		return 2;
	}
	/* With check, at its log level, only the notes. */
	cfg_log_summary(&settings, p);
	if (file != NULL)
		log_policy_file(file);
	/* The environment's policy: the PROFILE preset, or the env rule list
	 * when there is none. It serves every client the file does not. */
	struct profile *profile = NULL;
	if (settings.profile[0] != '\0' && (profile = env_profile(&settings, p)) == NULL)
		return 1;
	/* What check and the startup log report first: the file's default
	 * when it serves every client (no clients: entries), else the
	 * environment's policy; then the file's other profiles. */
	const struct profile *served = profile;
	if (file != NULL && file->n_clients == 0 && file->default_profile >= 0)
		served = file->profiles[file->default_profile];
	const struct profile *served_only[1] = { served };
	const struct profile **reported = NULL;
	size_t n_reported = profiles_to_report(served, file, &reported);
	if (reported == NULL) { /* out of memory: the served one alone */
		reported = served_only;
		n_reported = 1;
	}
	if (checking) {
		int rc = run_check(reported, n_reported, p);
		if (reported != served_only)
			free(reported);
		policy_file_free(file);
		profile_free(profile);
		policy_free(p);
		return rc;
	}
	struct loop_watch signals;
	if (loop_init(&main_loop) == -1 || watch_signals(&signals) == -1) {
		log_err("event loop setup: %s", strerror(errno));
		return 1;
	}
	/* Lines that wait for stderr now get flushed by the loop. */
	log_set_backlog_hook(on_log_backlog);
	check_log_all(reported, n_reported, p);
	if (reported != served_only)
		free(reported);
	/* Who serves each client: the file's bindings, over the environment's
	 * policy (binding.h). From here on the file is binding.c's. */
	if (binding_setup(settings.listeners, settings.n_listeners, settings.policy_file, p,
			  profile, file) == -1) {
		log_err("policy: %s", strerror(errno));
		return 1;
	}
	if (conn_setup(&main_loop, &settings, p) == -1) {
		log_err("cannot allocate the buffers every connection shares "
			"(MAX_HEAD_SIZE %lu, MAX_HEADERS %lu): %s",
			settings.max_head_size, settings.max_headers, strerror(errno));
		return 1;
	}
	if (listen_open_all(&main_loop, &settings) == -1)
		return 1;
	if (sandbox_drop_privileges(&settings) == -1) {
		listen_close_all(&main_loop);
		return 1;
	}
	check_upstream(settings.socket_path);
	binding_check_readable(); /* as the final user */
	if (listen_start_janitor(&settings) == -1 || sandbox_restrict(&settings) == -1) {
		listen_close_all(&main_loop);
		return 1;
	}
	main_loop.after_batch = conn_after_batch;
	main_loop.on_tick = on_tick;
	int rc = loop_run(&main_loop);
	if (rc == -1)
		log_err("event loop: %s", strerror(errno));
	listen_close_all(&main_loop);
	conn_close_all();
	conn_after_batch(NULL);
	close(signals.fd);
	log_set_backlog_hook(NULL); /* the loop that watched stderr goes */
	loop_fini(&main_loop);
	binding_free(); /* every connection has released its binding */
	profile_free(profile);
	policy_free(p);
	conn_setup_free();
	limit_fini();
	log_notice("stopped");
	log_drain(2000); /* the rest, waiting at most this long */
	return rc == -1 ? 1 : 0;
}
