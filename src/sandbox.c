/* sandbox.c - privilege drop, Landlock and seccomp; see sandbox.h.
 *
 * Order matters: the listeners are bound and chowned before anything
 * here runs, so nothing after startup needs root, a new file, or a new
 * kind of socket. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h> /* setgroups */
#include <linux/landlock.h>
#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cfg.h"
#include "idmap.h"
#include "log.h"
#include "sanitizer.h"

int sandbox_preflight(const struct cfg *c)
{
	uid_t target = c->run_uid >= 0 ? (uid_t)c->run_uid : geteuid();
	if (c->refuse_root && target == 0) {
		fprintf(stderr, "dockgate: REFUSE_ROOT: would run as root; set RUN_USER "
				"(--user) to an unprivileged user or start as one\n");
		return -1;
	}
	return 0;
}

/* RUN_GROUP, else RUN_USER's own primary group, as su and setpriv do. */
static gid_t run_group(const struct cfg *c)
{
	if (c->run_gid >= 0)
		return (gid_t)c->run_gid;
	struct idmap_entry pw;
	return idmap_find(IDMAP_DB_PASSWD, IDMAP_PASSWD_PATH, NULL, c->run_uid, &pw) == 0
		       ? (gid_t)pw.gid : (gid_t)c->run_uid;
}

void sandbox_final_ids(const struct cfg *c, uid_t *uid, gid_t *gid)
{
	*uid = c->run_uid >= 0 ? (uid_t)c->run_uid : geteuid();
	*gid = c->run_uid >= 0 || c->run_gid >= 0 ? run_group(c) : getegid();
}

int sandbox_drop_privileges(const struct cfg *c)
{
	if (c->run_uid >= 0 || c->run_gid >= 0) {
		gid_t gid = run_group(c);
		if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1) {
			log_err("RUN_GROUP: cannot switch to gid %u: %s", (unsigned)gid,
				strerror(errno));
			return -1;
		}
		if (c->run_uid >= 0) {
			uid_t uid = (uid_t)c->run_uid;
			if (setresuid(uid, uid, uid) == -1) {
				log_err("RUN_USER: cannot switch to uid %u: %s", (unsigned)uid,
					strerror(errno));
				return -1;
			}
		}
		log_notice("running as uid %u gid %u", (unsigned)getuid(), (unsigned)getgid());
#ifdef SANITIZER_BUILD
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* setuid cleared it */
#endif
	}
	if (c->refuse_root && (getuid() == 0 || geteuid() == 0)) {
		log_err("REFUSE_ROOT: still root after the switch");
		return -1;
	}
	return 0;
}

/* ---- Landlock ---- */

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* The ruleset attribute of ABI 6; older kernels read a prefix of it. */
struct sandbox_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* Every filesystem right this kernel's Landlock knows. */
static uint64_t fs_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

static int allow_path(int ruleset, const char *path, uint64_t rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd == -1)
		return -1;
	struct landlock_path_beneath_attr rule = { .allowed_access = rights, .parent_fd = fd };
	long r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	return r == 0 ? 0 : -1;
}

/* After startup the proxy needs no file but /dev/null (the EMFILE reserve)
 * and POLICY_FILE, which a reload reads again; it never binds or connects
 * TCP, and it removes nothing: the unix listener files are removed by the
 * janitor (sockfile.c), whose own ruleset grants just that. Connecting to
 * the upstream unix socket is not a filesystem right Landlock governs, so
 * it keeps working. */
/* A ruleset handling every right this kernel's Landlock knows (so that
 * what is not granted is denied), or -1 after logging. */
static int create_ruleset(int abi)
{
	struct sandbox_ruleset_attr attr = { .handled_access_fs = fs_rights(abi) };
	size_t size = sizeof attr.handled_access_fs;
	if (abi >= 4) {
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size += sizeof attr.handled_access_net;
	}
	if (abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
		size += sizeof attr.scoped;
	}
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		log_err("landlock: cannot create a ruleset: %s", strerror(errno));
	return ruleset;
}

static int restrict_self(int ruleset, int bad)
{
	if (bad || syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		log_err("landlock: cannot restrict: %s", strerror(errno));
		close(ruleset);
		return -1;
	}
	close(ruleset);
	return 0;
}

/* Reading POLICY_FILE, for a reload, and nothing else: a rule on the file
 * itself (Landlock rules hold inodes, not names), so a file rewritten in
 * place can be read again and one renamed over it cannot. When the file
 * cannot be opened now, a reload could not read it anyway: say so and go
 * on without the rule. */
static void allow_policy_file(int ruleset, const char *path)
{
	if (path[0] == '\0')
		return;
	if (allow_path(ruleset, path, LANDLOCK_ACCESS_FS_READ_FILE) == -1)
		log_warn("landlock: POLICY_FILE %s: %s; a reload (SIGHUP) will not be able to "
			 "read it", path, strerror(errno));
}

static int landlock_restrict(const struct cfg *c)
{
	int abi = landlock_abi();
	if (abi == 0) {
		log_notice("landlock: not available in this kernel; filesystem not restricted");
		return 0;
	}
	int ruleset = create_ruleset(abi);
	if (ruleset < 0)
		return -1;
	int bad = allow_path(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE);
	allow_policy_file(ruleset, c->policy_file);
#ifdef SANITIZER_BUILD
	/* LeakSanitizer reads /proc/self/task at exit. */
	bad |= allow_path(ruleset, "/proc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
#endif
	if (restrict_self(ruleset, bad) == -1)
		return -1;
	log_notice("landlock: ABI %d: no file access but reading /dev/null%s, no removal%s",
		   abi, c->policy_file[0] ? " and POLICY_FILE" : "",
		   abi >= 4 ? ", no TCP bind or connect" : "");
	return 0;
}

/* The janitor's Landlock: file removal in the listener directories (a
 * path-beneath rule: Landlock has no rule for one name), nothing else. */
static int landlock_janitor(const int *dir_fds, size_t n)
{
	int abi = landlock_abi();
	if (abi == 0)
		return 0;
	int ruleset = create_ruleset(abi);
	if (ruleset < 0)
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++) {
		struct landlock_path_beneath_attr rule = {
			.allowed_access = LANDLOCK_ACCESS_FS_REMOVE_FILE, .parent_fd = dir_fds[i],
		};
		bad = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0;
	}
	return restrict_self(ruleset, bad);
}

/* ---- seccomp ---- */

/* One allowed system call, or one argument condition under which a call
 * is allowed; the rows come from syscalls.def. */
struct sandbox_call {
	const char *name;
	int nr; /* libseccomp's number for it on this architecture */
	unsigned n_args; /* 0: any arguments; 1: only when arg holds */
	struct scmp_arg_cmp arg;
};

/* Argument conditions are spelt out in full (libseccomp's SCMP_A* macros
 * leave fields to default initialisation, which -Wextra under clang
 * rejects). */
#define SANDBOX_PROXY_CALL(name) { #name, SCMP_SYS(name), 0, { 0, 0, 0, 0 } },
#define SANDBOX_PROXY_CALL_IF(name, arg_index, op, datum_a, datum_b, limit) \
	{ #name, SCMP_SYS(name), 1, { arg_index, op, datum_a, datum_b } },
static const struct sandbox_call proxy_calls[] = {
#include "syscalls.def"
};

#define SANDBOX_JANITOR_CALL(name) { #name, SCMP_SYS(name), 0, { 0, 0, 0, 0 } },
static const struct sandbox_call janitor_calls[] = {
#include "syscalls.def"
};

#define SANDBOX_N_CALLS(list) (sizeof list / sizeof list[0])

/* How many different system calls calls[0, n) names: a call with two
 * argument conditions is one. What the startup line reports, and what
 * SECURITY.md lists. */
static size_t count_calls(const struct sandbox_call *calls, size_t n)
{
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && strcmp(calls[j].name, calls[i].name) != 0)
			j++;
		distinct += j == i;
	}
	return distinct;
}

/* Loads a filter that allows calls[0, n) and takes otherwise (a
 * SCMP_ACT_* action) on any other call. 0, or -1 after logging which
 * rule or step failed. */
static int install_filter(uint32_t otherwise, const struct sandbox_call *calls, size_t n)
{
	scmp_filter_ctx ctx = seccomp_init(otherwise);
	if (ctx == NULL) {
		log_err("seccomp: cannot start a filter");
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct sandbox_call *call = &calls[i];
		r = call->n_args == 0 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call->nr, 0)
				      : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call->nr, 1, call->arg);
		if (r != 0)
			log_err("seccomp: cannot allow %s: %s", call->name, strerror(-r));
	}
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r != 0)
			log_err("seccomp: cannot load the filter: %s", strerror(-r));
	}
	seccomp_release(ctx);
	return r == 0 ? 0 : -1;
}

/* An unexpected system call is a bug or an attack: say which one, in one
 * line that needs no other call than write, and stop. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	char line[96];
	int n = snprintf(line, sizeof line,
			 "dockgate: seccomp: system call %d is not allowed; stopping\n",
			 si->si_syscall);
	ssize_t unused = write(STDERR_FILENO, line, (size_t)n);
	(void)unused;
	_exit(70);
}

/* The proxy's filter: a trap, so that on_sigsys names the call. 0, or
 * -1 after logging. */
static int seccomp_install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		log_err("seccomp: cannot catch SIGSYS: %s", strerror(errno));
		return -1;
	}
	int r = install_filter(SCMP_ACT_TRAP, proxy_calls, SANDBOX_N_CALLS(proxy_calls));
	/* Building the filter took about 50 KB of heap that is free now but
	 * still resident; give those pages back (madvise and brk, both in
	 * the allowlist). */
	malloc_trim(0);
	return r;
}

int sandbox_restrict(const struct cfg *c)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_err("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	if (c->landlock && landlock_restrict(c) == -1)
		return -1;
	if (!c->seccomp) {
		log_notice("seccomp: off (SECCOMP=0)");
		return 0;
	}
#ifdef SANITIZER_BUILD
	/* The sanitizers' runtime (LeakSanitizer's stop-the-world, report
	 * symbolizing) needs ptrace, clone and files: no allowlist fits. */
	log_notice("seccomp: off in a sanitizer build");
	return 0;
#endif
	if (seccomp_install() == -1)
		return -1;
	log_notice("seccomp: %zu system calls allowed, anything else stops the process",
		   count_calls(proxy_calls, SANDBOX_N_CALLS(proxy_calls)));
	return 0;
}

int sandbox_confine_janitor(const struct cfg *c, const int *dir_fds, size_t n)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (c->landlock && landlock_janitor(dir_fds, n) == -1)
		return -1;
	if (!c->seccomp)
		return 0;
#ifdef SANITIZER_BUILD
	return 0; /* as for the proxy, see sandbox_restrict() */
#endif
	return install_filter(SCMP_ACT_KILL_PROCESS, janitor_calls, SANDBOX_N_CALLS(janitor_calls));
}
