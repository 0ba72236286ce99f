/* Unit tests for src/syscalls.def, the seccomp allow-lists: every name is
 * a system call on each architecture dockgate is built for, or known to
 * be missing there; and no call is listed twice, or both with and
 * without a condition, in one list. */
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rows.h" /* cmocka and what it needs */

struct call_row {
	const char *list; /* "proxy" or "janitor" */
	const char *name;
	bool conditional;
	char title[64];
};

static struct call_row rows[] = {
#define SANDBOX_PROXY_CALL(name) { "proxy", #name, false, "" },
#define SANDBOX_PROXY_CALL_IF(name, arg, op, datum_a, datum_b, limit) { "proxy", #name, true, "" },
#define SANDBOX_JANITOR_CALL(name) { "janitor", #name, false, "" },
#include "syscalls.def"
};

/* The architectures of the release builds: Debian's amd64, arm64, armhf,
 * i386, ppc64el and s390x. */
static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{ "x86_64", SCMP_ARCH_X86_64 },
	{ "aarch64", SCMP_ARCH_AARCH64 },
	{ "arm", SCMP_ARCH_ARM },
	{ "x86", SCMP_ARCH_X86 },
	{ "ppc64le", SCMP_ARCH_PPC64LE },
	{ "s390x", SCMP_ARCH_S390X },
};

/* The calls of the lists that an architecture lacks, and why that is
 * right or what its port still needs. libseccomp leaves a missing call
 * out of that architecture's filter. */
static const struct {
	const char *name, *arch, *why;
} absent[] = {
	{ "epoll_wait", "aarch64", "glibc calls epoll_pwait there, which is listed" },
	{ "newfstatat", "arm", "32-bit glibc calls fstatat64 or statx instead, both listed" },
	{ "newfstatat", "x86", "32-bit glibc calls fstatat64 or statx instead, both listed" },
	{ "mmap", "arm", "glibc calls mmap2 there, which is listed" },
	{ "clock_gettime64", "x86_64", "a 64-bit architecture's clock_gettime has a 64-bit time_t" },
	{ "clock_gettime64", "aarch64", "a 64-bit architecture's clock_gettime has a 64-bit time_t" },
	{ "clock_gettime64", "ppc64le", "a 64-bit architecture's clock_gettime has a 64-bit time_t" },
	{ "clock_gettime64", "s390x", "a 64-bit architecture's clock_gettime has a 64-bit time_t" },
	{ "fstat64", "x86_64", "64-bit: fstat and newfstatat" },
	{ "fstat64", "aarch64", "64-bit: fstat and newfstatat" },
	{ "fstat64", "ppc64le", "64-bit: fstat and newfstatat" },
	{ "fstat64", "s390x", "64-bit: fstat and newfstatat" },
	{ "fstatat64", "x86_64", "64-bit: newfstatat" },
	{ "fstatat64", "aarch64", "64-bit: newfstatat" },
	{ "fstatat64", "ppc64le", "64-bit: newfstatat" },
	{ "fstatat64", "s390x", "64-bit: newfstatat" },
	{ "fcntl64", "x86_64", "64-bit: fcntl" },
	{ "fcntl64", "aarch64", "64-bit: fcntl" },
	{ "fcntl64", "ppc64le", "64-bit: fcntl" },
	{ "fcntl64", "s390x", "64-bit: fcntl" },
	{ "mmap2", "x86_64", "64-bit: mmap" },
	{ "mmap2", "aarch64", "64-bit: mmap" },
	{ "mmap2", "ppc64le", "64-bit: mmap" },
	{ "mmap2", "s390x", "64-bit: mmap" },
	{ "recv", "x86_64", "glibc calls recvfrom there, which is listed" },
	{ "recv", "aarch64", "glibc calls recvfrom there, which is listed" },
	{ "send", "x86_64", "glibc calls sendto there, which is listed" },
	{ "send", "aarch64", "glibc calls sendto there, which is listed" },
};

static bool expected_absent(const char *name, const char *arch)
{
	for (size_t i = 0; i < N_ROWS(absent); i++)
		if (strcmp(absent[i].name, name) == 0 && strcmp(absent[i].arch, arch) == 0)
			return true;
	return false;
}

/* Each name is a system call on each architecture (i386's socket calls
 * through socketcall count), except where the table above says it is
 * missing, and there it is: a call of one architecture only, added
 * without a guard, fails here. */
static void test_resolves(void **state)
{
	const struct call_row *row = *state;
	for (size_t a = 0; a < N_ROWS(arches); a++) {
		int nr = seccomp_syscall_resolve_name_rewrite(arches[a].token, row->name);
		if (nr == __NR_SCMP_ERROR)
			fail_msg("%s: libseccomp does not know %s", row->list, row->name);
		bool missing = nr < 0;
		if (missing != expected_absent(row->name, arches[a].name))
			fail_msg("%s: %s is %s on %s", row->list, row->name,
				 missing ? "missing (say why in absent[] or guard it)"
					 : "there after all (drop it from absent[])",
				 arches[a].name);
	}
}

/* Listed once: a second plain row adds nothing, and a plain row beside a
 * conditional one would make the condition meaningless. Rows of one
 * conditional call (fcntl's two commands) are alternatives. */
static void test_listed_once(void **state)
{
	const struct call_row *row = *state;
	for (size_t i = 0; i < N_ROWS(rows); i++) {
		const struct call_row *other = &rows[i];
		if (other == row || strcmp(other->list, row->list) != 0 ||
		    strcmp(other->name, row->name) != 0)
			continue;
		if (!row->conditional || !other->conditional)
			fail_msg("%s lists %s twice, %s", row->list, row->name,
				 row->conditional || other->conditional
					 ? "with and without a condition" : "both without a condition");
	}
}

int main(void)
{
	for (size_t i = 0; i < N_ROWS(rows); i++) {
		snprintf(rows[i].title, sizeof rows[i].title, "%s %s%s", rows[i].list,
			 rows[i].name, rows[i].conditional ? " (with a condition)" : "");
		rows_add(test_resolves, &rows[i], "on every architecture", rows[i].title);
		rows_add(test_listed_once, &rows[i], "listed once", rows[i].title);
	}
	return rows_run("syscalls");
}
