/* sockfile.c - unix listener files; see sockfile.h.
 *
 * Why this is not bind(path), chmod(path), chown(path): whoever can write
 * the listener's directory can replace the fresh socket by a symlink (or a
 * hard link) between those calls, and a root-started proxy then changes
 * the mode and owner of any file. Here no call that changes a file takes
 * a name that someone else can change:
 *
 *   1. The directory is opened once; everything after is relative to that
 *      descriptor, so renaming a directory above it changes nothing.
 *   2. Only root and the user dockgate runs as (or the listener's owner)
 *      may write it: anybody else could also put their own listener there
 *      while dockgate is down and receive its clients' requests.
 *   3. The socket is bound inside a private directory made for this start
 *      (mode 0700, checked to be ours after opening it), where nobody else
 *      can add, rename or remove a name. Its mode and owner are set there,
 *      it starts listening there, and it is then renamed to its public
 *      name with RENAME_NOREPLACE: when it appears, it is complete.
 *   4. Its device and inode are recorded, and at exit the public name is
 *      removed only while it still holds that file.
 *
 * Someone who can write the directory may still rename the public name or
 * the private directory around; that moves directory entries, never makes
 * dockgate change a file it did not create.
 *
 * Removal at exit is the janitor's job: a small process forked once the
 * proxy runs as its final user and before it confines itself, which holds
 * only the listener directories and one end of a socket pair, waits for
 * the proxy's end to close (at exit, or if the proxy dies) and then removes
 * what is still dockgate's. So the proxy, which talks to clients, can
 * remove no file at all, and the janitor, which reads nothing but an EOF,
 * can remove only files in the listener directories. */
#include "sockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* The socket's name inside the private directory. */
#define SOCKFILE_TMP_NAME "s"
/* How long the exit waits for the janitor before stopping it. */
#define SOCKFILE_JANITOR_WAIT_MS 2000

/* Splits spec's path into the directory (opened) and the last name. */
static int open_dir(const struct cfg_listener *spec, struct sockfile *sf, char *dir, size_t cap)
{
	snprintf(dir, cap, "%s", spec->path);
	char *slash = strrchr(dir, '/');
	snprintf(sf->name, sizeof sf->name, "%s", slash + 1);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (sf->name[0] == '\0' || strcmp(sf->name, ".") == 0 || strcmp(sf->name, "..") == 0) {
		log_err("LISTEN: %s does not name a socket file in a directory", spec->text);
		errno = EISDIR;
		return -1;
	}
	/* The directory's own path may go through symlinks (/var/run ->
	 * /run): those are the host's, and the directory they lead to is
	 * checked below and then pinned by the descriptor. */
	sf->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return sf->dir_fd == -1 ? -1 : 0;
}

/* Whether uid may write the listener's directory without being a risk:
 * root, the user dockgate runs as, LISTEN_OWNER. */
static bool trusted_uid(const struct cfg *c, uid_t id, uid_t uid)
{
	return id == 0 || id == uid || (c->listen_uid >= 0 && id == (uid_t)c->listen_uid);
}

/* The POSIX access ACL as the kernel stores it in the extended attribute
 * system.posix_acl_access (include/uapi/linux/posix_acl_xattr.h): a
 * version, then entries of tag, permissions and id, little-endian. */
#define ACL_XATTR_VERSION 2
#define ACL_TAG_USER 0x02
#define ACL_TAG_GROUP 0x08
#define ACL_TAG_MASK 0x10
#define ACL_PERM_WRITE 0x02

static uint32_t le(const unsigned char *p, size_t n)
{
	uint32_t v = 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* Reads the directory's access ACL into buf. O_PATH descriptors have no
 * fgetxattr: open the directory itself for reading, or, where dockgate may
 * not read it, name it through /proc. Its size, 0 without an ACL, -1. */
static ssize_t read_acl(int dir_fd, unsigned char *buf, size_t cap)
{
	ssize_t n;
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		n = fgetxattr(fd, "system.posix_acl_access", buf, cap);
		close(fd);
	} else {
		char proc[32];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", dir_fd);
		n = getxattr(proc, "system.posix_acl_access", buf, cap);
	}
	if (n == -1 && (errno == ENODATA || errno == ENOTSUP))
		return 0;
	return n;
}

/* Finds a named user or group entry of the directory's ACL that lets
 * someone untrusted write (through the mask, which caps named entries).
 * 0 and *who filled when found, 1 when none, -1 when the ACL is unreadable. */
static int check_acl(const struct cfg *c, int dir_fd, uid_t uid, gid_t gid, char *who, size_t cap)
{
	unsigned char acl[4 + 8 * 512];
	ssize_t n = read_acl(dir_fd, acl, sizeof acl);
	if (n == -1 || (n > 0 && (n < 4 || (n - 4) % 8 != 0 || le(acl, 4) != ACL_XATTR_VERSION))) {
		snprintf(who, cap, "someone its access ACL may name (cannot read it: %s)",
			 n == -1 ? strerror(errno) : "unknown format");
		return -1;
	}
	unsigned mask = ACL_PERM_WRITE;
	for (ssize_t i = 4; i < n; i += 8)
		if (le(acl + i, 2) == ACL_TAG_MASK)
			mask = le(acl + i + 2, 2);
	for (ssize_t i = 4; i < n; i += 8) {
		unsigned tag = le(acl + i, 2);
		uint32_t id = le(acl + i + 4, 4);
		if (!(le(acl + i + 2, 2) & mask & ACL_PERM_WRITE))
			continue;
		if (tag == ACL_TAG_USER && !trusted_uid(c, (uid_t)id, uid)) {
			snprintf(who, cap, "user %u (through its ACL)", (unsigned)id);
			return 0;
		}
		if (tag == ACL_TAG_GROUP && id != 0 && id != gid) {
			snprintf(who, cap, "group %u (through its ACL)", (unsigned)id);
			return 0;
		}
	}
	return 1;
}

/* 0 when only trusted users can write the directory; else logs which
 * setting, which directory, its owner and mode, and returns -1. Trusted:
 * root, the user dockgate runs as (RUN_USER, else the one it started as)
 * and LISTEN_OWNER; for group write, root's group and dockgate's final
 * group. World-writable is refused even with the sticky bit: anyone could
 * hold the name while dockgate is down and receive its clients. The
 * owner's and others' mode bits are not the whole answer: a POSIX ACL can
 * give write to further users and groups (the group bits then show its
 * mask), so its named entries are checked too. */
static int check_dir(const struct cfg *c, const struct cfg_listener *spec, const char *dir,
		     int dir_fd)
{
	struct stat st;
	if (fstat(dir_fd, &st) == -1)
		return -1;
	uid_t uid;
	gid_t gid;
	sandbox_final_ids(c, &uid, &gid);
	char who[96] = "";
	if (!trusted_uid(c, st.st_uid, uid))
		snprintf(who, sizeof who, "its owner");
	else if ((st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != gid)
		snprintf(who, sizeof who, "its group");
	else if (st.st_mode & S_IWOTH)
		snprintf(who, sizeof who, "everybody");
	else if (check_acl(c, dir_fd, uid, gid, who, sizeof who) == 1)
		return 0;
	log_err("LISTEN: %s: the directory %s (owner %u, group %u, mode %04o) is writable by %s; "
		"only root and the user dockgate runs as (uid %u, gid %u) may write it, or "
		"someone else could replace the socket: give it to one of them, or remove "
		"group and other write permission and ACL entries granting write", spec->text, dir,
		(unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777), who,
		(unsigned)uid, (unsigned)gid);
	errno = EPERM;
	return -1;
}

/* Connects a non-blocking socket of type to the socket file held by the
 * O_PATH descriptor file_fd; 0 or the errno. Connecting by name would
 * follow a symlink that the directory's writer can swap in after the
 * check: root would then connect to any socket that writer chooses. The
 * /proc/self/fd name reaches exactly the inode held (as systemd does for
 * long socket paths). Never blocks: a unix connect that would wait for a
 * full backlog fails with EAGAIN. */
static int probe(int type, int file_fd)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d", file_fd);
	int r = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ? 0 : errno;
	close(fd);
	return r;
}

/* Logs why the socket at the name stays; errno EADDRINUSE. */
static void refuse_live(const struct cfg_listener *spec, int stream, int dgram)
{
	if (stream == 0 || stream == EAGAIN)
		log_err("LISTEN: %s: a live socket is there (%s); not replacing it", spec->text,
			stream == 0 ? "it accepts connections" : "its listen queue is full");
	else if (stream == EPROTOTYPE || dgram == EPROTOTYPE || dgram == 0)
		log_err("LISTEN: %s: a socket of another process is there (of another type, or "
			"bound and not yet listening); not replacing it", spec->text);
	else
		log_err("LISTEN: %s: cannot tell whether the socket there is stale (connect: %s); "
			"not replacing it", spec->text, strerror(stream != ECONNREFUSED ? stream : dgram));
	errno = EADDRINUSE;
}

/* Removes what is at the public name when it is a socket nobody has bound
 * (a crashed dockgate's): both a stream and a datagram connect must find
 * no socket at all (ECONNREFUSED). A listener of any type, a socket that
 * is bound but not listening (the datagram probe then gets EPROTOTYPE),
 * a full backlog (EAGAIN), anything but a socket: logged and refused.
 * The file is opened without following a symlink and probed through that
 * descriptor; it is removed only while the name still holds it. */
static int remove_stale(const struct cfg_listener *spec, const struct sockfile *sf)
{
	int file_fd = openat(sf->dir_fd, sf->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (file_fd == -1)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	if (fstat(file_fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		close(file_fd);
		log_err("LISTEN: %s: something that is not a socket is there; not replacing it",
			spec->text);
		errno = EEXIST;
		return -1;
	}
	int stream = probe(SOCK_STREAM, file_fd);
	int dgram = stream == ECONNREFUSED ? probe(SOCK_DGRAM, file_fd) : -1;
	close(file_fd);
	if (stream != ECONNREFUSED || dgram != ECONNREFUSED) {
		refuse_live(spec, stream, dgram);
		return -1;
	}
	struct stat again;
	/* Remove the very file probed, not one put there since. */
	if (fstatat(sf->dir_fd, sf->name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
	    again.st_dev == st.st_dev && again.st_ino == st.st_ino &&
	    unlinkat(sf->dir_fd, sf->name, 0) == 0) {
		log_notice("LISTEN: %s: replaced a stale socket file", spec->text);
		return 0;
	}
	errno = EADDRINUSE;
	return -1;
}

/* Makes the private directory ".NAME.XXXXXXXXXXXXXXXX" next to the public
 * name and opens it. Someone who can write the listener's directory could
 * swap in their own directory between mkdirat and openat: the descriptor
 * is accepted only if it is a directory of ours that nobody else may
 * write. Its descriptor, or -1. */
static int make_private_dir(struct sockfile *sf, char *tmp, size_t cap)
{
	unsigned char rnd[8];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	int n = snprintf(tmp, cap, ".%.40s.", sf->name);
	for (size_t i = 0; i < sizeof rnd && (size_t)n + 2 < cap; i++)
		n += snprintf(tmp + n, cap - (size_t)n, "%02x", rnd[i]);
	if (mkdirat(sf->dir_fd, tmp, 0700) == -1)
		return -1;
	int fd = openat(sf->dir_fd, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) == -1 || st.st_uid != geteuid() || (st.st_mode & 077))) {
		close(fd);
		errno = EPERM;
		fd = -1;
	}
	if (fd == -1) {
		int saved = errno;
		unlinkat(sf->dir_fd, tmp, AT_REMOVEDIR);
		errno = saved;
	}
	return fd;
}

/* Removes the POSIX ACL attr from name in the working directory, without
 * following a symlink. 0 when name has none now: removed, never had one
 * (ENODATA) or a file system without ACLs (ENOTSUP). Checked afterwards:
 * a file system that ignores the removal must not pass either. */
static int drop_acl(const char *name, const char *attr)
{
	if (lremovexattr(name, attr) == -1 && errno != ENODATA && errno != ENOTSUP)
		return -1;
	if (lgetxattr(name, attr, NULL, 0) >= 0) {
		errno = EPERM;
		return -1;
	}
	return errno == ENODATA || errno == ENOTSUP ? 0 : -1;
}

/* Binds fd to SOCKFILE_TMP_NAME in the private directory priv_fd, with no
 * access at all until the mode is set (umask 0777: the umask is process
 * wide, and nothing else runs yet). A unix socket's address is a path:
 * the working directory is moved there and back for a relative one.
 *
 * A default ACL on the listener's directory is copied to the private
 * directory, and from there to the socket as its access ACL; chmod then
 * turns the ACL's mask into the group bits, which makes every named entry
 * (user:1000:rw) effective, whatever LISTEN_MODE, LISTEN_OWNER and
 * LISTEN_GROUP say. So the private directory loses both its ACLs before
 * the bind, and the socket its access ACL after it: its access is exactly
 * its mode, owner and group. Logs and fails when an ACL stays. */
static int bind_private(const struct cfg_listener *spec, const char *dir, int fd, int priv_fd,
			int cwd_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", SOCKFILE_TMP_NAME);
	if (fchdir(priv_fd) == -1)
		return -1;
	const char *stays = NULL;
	int r = -1;
	if (drop_acl(".", "system.posix_acl_default") == -1)
		stays = "the default ACL of the private directory";
	else if (drop_acl(".", "system.posix_acl_access") == -1)
		stays = "the access ACL of the private directory";
	else {
		mode_t old = umask(0777);
		r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
		umask(old);
		if (r == 0 && drop_acl(SOCKFILE_TMP_NAME, "system.posix_acl_access") == -1) {
			stays = "the access ACL of the new socket";
			r = -1;
		}
	}
	int saved = errno;
	if (stays != NULL)
		log_err("LISTEN: %s: cannot remove %s, inherited from the directory %s (%s); "
			"refusing to start, the socket could be open to more users than its "
			"mode, owner and group say: remove the directory's default ACL "
			"(setfacl -k)", spec->text, stays, dir, strerror(saved));
	if (fchdir(cwd_fd) == -1)
		return -1;
	errno = saved;
	return r;
}

/* In the private directory nobody else can change a name, so the name
 * still holds our socket. chmod comes before chown: once the file belongs
 * to LISTEN_OWNER only CAP_FOWNER could change its mode, and CAP_CHOWN
 * alone must be enough. AT_SYMLINK_NOFOLLOW anyway, as a second lock.
 * Records the inode, then listens and publishes the socket. */
static int finish(const struct cfg *c, int fd, int priv_fd, struct sockfile *sf)
{
	struct stat st;
	if (fchmodat(priv_fd, SOCKFILE_TMP_NAME, c->listen_mode, 0) == -1 ||
	    fchownat(priv_fd, SOCKFILE_TMP_NAME, (uid_t)c->listen_uid, (gid_t)c->listen_gid,
		     AT_SYMLINK_NOFOLLOW) == -1 ||
	    fstatat(priv_fd, SOCKFILE_TMP_NAME, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    listen(fd, 511) == -1)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	sf->dev = st.st_dev;
	sf->ino = st.st_ino;
	/* NOREPLACE: a socket that appeared at the name since the stale
	 * check is someone else's and stays. */
	if (renameat2(priv_fd, SOCKFILE_TMP_NAME, sf->dir_fd, sf->name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() never replaces. */
	if (linkat(priv_fd, SOCKFILE_TMP_NAME, sf->dir_fd, sf->name, 0) == -1)
		return -1;
	unlinkat(priv_fd, SOCKFILE_TMP_NAME, 0);
	return 0;
}

/* The usual failure after a reboot: /run is a fresh tmpfs, Docker made the
 * bind-mounted directory again, root-owned, and the image's user may not
 * create the socket there. Says who owns it and who dockgate is, and what
 * keeps the directory right across reboots. */
static void explain_no_permission(const struct cfg_listener *spec, const char *dir, int dir_fd)
{
	int saved = errno;
	struct stat st;
	if (fstat(dir_fd, &st) == -1) {
		errno = saved;
		return;
	}
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	log_err("LISTEN: %s: cannot create the socket in the directory %s (owner %u, group %u, "
		"mode %04o) as uid %u gid %u: %s; give the directory to uid %u "
		"(install -d -o %u -g %u -m 0755 %s; after a reboot a tmpfs /run loses it: a "
		"tmpfiles.d line 'd %s 0755 %u %u -' makes it at every boot), or mount a tmpfs "
		"with uid=%u there", spec->text, dir, (unsigned)st.st_uid, (unsigned)st.st_gid,
		(unsigned)(st.st_mode & 07777), uid, gid, strerror(saved), uid, uid, gid, dir, dir,
		uid, gid, uid);
	errno = saved;
}

static int setup(const struct cfg *c, const struct cfg_listener *spec, const char *dir,
		 struct sockfile *sf, int fd, int cwd_fd)
{
	char tmp[64];
	if (remove_stale(spec, sf) == -1)
		return -1;
	int priv_fd = make_private_dir(sf, tmp, sizeof tmp);
	if (priv_fd == -1) {
		if (errno == EACCES || errno == EROFS)
			explain_no_permission(spec, dir, sf->dir_fd);
		return -1;
	}
	int r = bind_private(spec, dir, fd, priv_fd, cwd_fd);
	if (r == 0)
		r = finish(c, fd, priv_fd, sf);
	int saved = errno;
	unlinkat(priv_fd, SOCKFILE_TMP_NAME, 0); /* gone after a success */
	close(priv_fd);
	unlinkat(sf->dir_fd, tmp, AT_REMOVEDIR);
	errno = saved;
	return r;
}

int sockfile_open(const struct cfg *c, const struct cfg_listener *spec, struct sockfile *sf)
{
	char dir[CFG_UNIX_PATH_MAX];
	sf->dir_fd = -1;
	sf->dev = 0;
	sf->ino = 0;
	if (open_dir(spec, sf, dir, sizeof dir) == -1)
		return -1;
	int fd = -1;
	int cwd_fd = -1;
	if (check_dir(c, spec, dir, sf->dir_fd) == 0 &&
	    (cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0 &&
	    setup(c, spec, dir, sf, fd, cwd_fd) == 0) {
		close(cwd_fd);
		return fd;
	}
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (cwd_fd >= 0)
		close(cwd_fd);
	close(sf->dir_fd);
	sf->dir_fd = -1;
	errno = saved;
	return -1;
}

void sockfile_remove(struct sockfile *sf)
{
	if (sf->dir_fd < 0)
		return;
	struct stat st;
	if (fstatat(sf->dir_fd, sf->name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		; /* already gone */
	else if (st.st_dev == sf->dev && st.st_ino == sf->ino) {
		/* A directory dockgate's final user may not write (root's,
		 * with RUN_USER) keeps the file: say so, it outlives us. */
		if (unlinkat(sf->dir_fd, sf->name, 0) == -1)
			log_warn("cannot remove the unix listener file %s: %s; it stays until "
				 "the next start replaces it", sf->name, strerror(errno));
	} else
		log_notice("not removing the unix listener file %s: another file has taken "
			   "its place", sf->name);
	close(sf->dir_fd);
	sf->dir_fd = -1;
}

static pid_t janitor_pid = -1;
static int janitor_fd = -1; /* the proxy's end; closing it starts the cleanup */

/* Closes every descriptor above 2 but those in keep (ascending). Older
 * kernels lack close_range: there, few descriptors are open this early. */
static void close_others(const int *keep, size_t n)
{
	unsigned lo = 3;
	int bad = 0;
	for (size_t i = 0; i <= n; i++) {
		unsigned hi = i < n ? (unsigned)keep[i] : ~0U;
		if (hi > lo)
			bad |= close_range(lo, hi - 1, 0);
		if (i < n && hi + 1 > lo)
			lo = hi + 1;
	}
	for (int fd = 3; bad && fd < 1024; fd++) {
		size_t i = 0;
		while (i < n && keep[i] != fd)
			i++;
		if (i == n)
			close(fd);
	}
}

static void janitor_main(const struct cfg *c, int sock, struct sockfile *const *files, size_t n)
{
	int keep[CFG_MAX_LISTENERS + 2], dirs[CFG_MAX_LISTENERS];
	size_t k = 0;
	keep[k++] = sock;
	if (log_fd() > STDERR_FILENO) /* stderr reopened: the log writes there */
		keep[k++] = log_fd();
	for (size_t i = 0; i < n; i++)
		keep[k++] = dirs[i] = files[i]->dir_fd;
	for (size_t i = 1; i < k; i++) /* insertion sort: at most 10 */
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	close_others(keep, k);
	/* A Ctrl-C or a stop signal for the whole group is for the proxy;
	 * the janitor ends when the proxy does. */
	static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM };
	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
		signal(quiet[i], SIG_IGN);
	char b = 1;
	if (sandbox_confine_janitor(c, dirs, n) == -1 || write(sock, &b, 1) != 1)
		_exit(1);
	for (;;) {
		ssize_t r = read(sock, &b, 1);
		if (r == 0 || (r == -1 && errno != EINTR))
			break;
	}
	for (size_t i = 0; i < n; i++)
		sockfile_remove(files[i]);
	_exit(0);
}

int sockfile_start_janitor(const struct cfg *c, struct sockfile *const *files, size_t n)
{
	if (n == 0)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		janitor_main(c, sv[1], files, n);
	close(sv[1]);
	char b;
	ssize_t r = -1;
	if (pid > 0)
		do
			r = read(sv[0], &b, 1);
		while (r == -1 && errno == EINTR);
	if (r != 1) { /* it could not confine itself: it has exited */
		int saved = pid == -1 ? errno : ECHILD;
		close(sv[0]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		errno = saved;
		return -1;
	}
	janitor_pid = pid;
	janitor_fd = sv[0];
	for (size_t i = 0; i < n; i++) { /* the janitor's now */
		close(files[i]->dir_fd);
		files[i]->dir_fd = -1;
	}
	return 0;
}

/* Waits up to ms for the janitor to exit, which closes its end of the
 * pair: 1 once it has, 0 when the time is up, -1 with errno when it
 * cannot wait. A blocking read with a receive timeout, because the
 * sandbox allows read and setsockopt but no poll; without the timeout a
 * stopped janitor would hold the exit for ever. */
static int janitor_exited(int ms)
{
	struct timespec now, end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (end.tv_sec - now.tv_sec) * 1000000L + (end.tv_nsec - now.tv_nsec) / 1000;
		if (left <= 0)
			return 0;
		struct timeval tv = { .tv_sec = left / 1000000L, .tv_usec = left % 1000000L };
		if (setsockopt(janitor_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
			return -1;
		char b;
		ssize_t r = read(janitor_fd, &b, 1);
		if (r == 0 || (r == -1 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
	}
}

void sockfile_stop_janitor(void)
{
	if (janitor_pid == -1)
		return;
	/* End of file for the janitor; our end stays open to see it exit. */
	shutdown(janitor_fd, SHUT_WR);
	int done = janitor_exited(SOCKFILE_JANITOR_WAIT_MS);
	int wait_error = errno;
	close(janitor_fd);
	janitor_fd = -1;
	/* A janitor stopped (SIGSTOP, possible for its uid) or stuck must not
	 * hold the exit forever. tgkill, not kill: the one the sandbox allows.
	 * Landlock's signal scope may forbid it: then it is left to finish
	 * on its own once it runs again. */
	if (done == -1) {
		/* It has its end of file and will be done in a moment: killing
		 * it instead would leave the files for certain. */
		log_warn("cannot wait for the process that removes the listener files (pid %d; "
			 "SO_RCVTIMEO: %s): it finishes on its own", (int)janitor_pid,
			 strerror(wait_error));
		janitor_pid = -1;
		return;
	}
	if (done == 0) {
		log_warn("the process that removes the listener files (pid %d) did not finish "
			 "within %d ms; stopping it, the files may stay", (int)janitor_pid,
			 SOCKFILE_JANITOR_WAIT_MS);
		if (syscall(SYS_tgkill, janitor_pid, janitor_pid, SIGKILL) == -1) {
			log_warn("cannot stop pid %d: %s; not waiting for it", (int)janitor_pid,
				 strerror(errno));
			janitor_pid = -1;
			return;
		}
	}
	while (waitpid(janitor_pid, NULL, 0) == -1 && errno == EINTR)
		;
	janitor_pid = -1;
}
