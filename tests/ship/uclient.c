/* uclient.c - the smallest HTTP client for a unix socket, for the
 * socket-only deployment test: the client container has busybox, whose nc
 * and wget speak TCP only. Usage: uclient SOCKET < request; copies the
 * request to the socket and the answer to stdout until the peer closes
 * (send "Connection: close"). Exit 0 on a complete exchange, 1 otherwise.
 * Built static by tests/ship/conftest.py. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int copy(int from, int to)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(from, buf, sizeof buf)) > 0)
		if (write(to, buf, (size_t)n) != n)
			return -1;
	return n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: uclient SOCKET < request\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	alarm(20);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		perror(argv[1]);
		return 1;
	}
	if (copy(STDIN_FILENO, fd) == -1 || copy(fd, STDOUT_FILENO) == -1) {
		perror("uclient");
		return 1;
	}
	return 0;
}
