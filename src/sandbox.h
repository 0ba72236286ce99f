/* sandbox.h - least privilege once the sockets are open: switch to
 * RUN_USER/RUN_GROUP, forbid new privileges, restrict the filesystem and
 * TCP with Landlock, and allow only the system calls the event loop needs
 * with seccomp. Each step logs what it did; a step the kernel lacks is
 * said once and skipped, a step that fails stops startup. */
#ifndef DOCKGATE_SANDBOX_H
#define DOCKGATE_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

struct cfg;

/* Before anything is opened: REFUSE_ROOT against the user we will run
 * as. 0, or -1 after printing why to stderr (a settings error). */
int sandbox_preflight(const struct cfg *c);

/* The user and group dockgate serves as once sandbox_drop_privileges has
 * run: RUN_USER and RUN_GROUP (or that user's primary group), else the
 * ones it was started with. */
void sandbox_final_ids(const struct cfg *c, uid_t *uid, gid_t *gid);

/* Drops to the configured user and group.
 * 0, or -1 after logging why (the caller exits). */
int sandbox_drop_privileges(const struct cfg *c);

/* Installs PR_SET_NO_NEW_PRIVS, Landlock and seccomp, as configured.
 * 0, or -1 after logging why. */
int sandbox_restrict(const struct cfg *c);

/* Confines the janitor process (sockfile.c) to what it does: no new
 * privileges, Landlock allowing only file removal beneath the listener
 * directories dir_fds, and seccomp allowing only the calls syscalls.def
 * lists for it (reading, writing, removing a file, the clock, exit),
 * when those are configured. 0, or -1 (the janitor then exits). */
int sandbox_confine_janitor(const struct cfg *c, const int *dir_fds, size_t n);

#endif
