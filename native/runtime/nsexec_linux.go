//go:build linux && cgo

package runtime

/*
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

// The helpers below run before the Go runtime starts, in a process
// re-executed by the daemon with _TWINBOX_ROLE set. Their protocol with the
// daemon (runtime_linux.go) is 8-byte records on fd 4: a kind and a value,
// both int32: 'P' the container's (or exec'd process's) PID, 'X' its wait
// status, 'E' an errno when setting up failed.

enum { fdSync = 3, fdStatus = 4, fdHold = 5 };

static void record(int fd, int32_t kind, int32_t value) {
	int32_t r[2] = {kind, value};
	ssize_t n;
	do {
		n = write(fd, r, sizeof r);
	} while (n < 0 && errno == EINTR);
}

static void fail(int32_t err) {
	record(fdStatus, 'E', err);
	_exit(1);
}

static int envint(const char *name, int def) {
	const char *v = getenv(name);
	return v && *v ? atoi(v) : def;
}

// join_cgroups writes 0 (this process) into each cgroup.procs descriptor
// the daemon opened, listed in _TWINBOX_CGROUP_FDS ("7,8,9").
static void join_cgroups(void) {
	const char *s = getenv("_TWINBOX_CGROUP_FDS");
	while (s && *s) {
		int fd = atoi(s);
		if (write(fd, "0", 1) != 1)
			fail(errno);
		close(fd);
		s = strchr(s, ',');
		if (s)
			s++;
	}
}

static void close_cgroups(void) {
	const char *s = getenv("_TWINBOX_CGROUP_FDS");
	while (s && *s) {
		close(atoi(s));
		s = strchr(s, ',');
		if (s)
			s++;
	}
}

static void devnull_stdio(void) {
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

// become_go prepares the child to continue into the Go runtime as role.
static void become_go(const char *role) {
	signal(SIGPIPE, SIG_DFL);
	unsetenv("_TWINBOX_CLONE");
	unsetenv("_TWINBOX_NETNS_FD");
	unsetenv("_TWINBOX_CGROUP_FDS");
	unsetenv("_TWINBOX_HOLD");
	unsetenv("_TWINBOX_TARGET");
	setenv("_TWINBOX_ROLE", role, 1);
}

static void write_exit_file(int status) {
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", status);
	int fd = open("exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, buf, n) == n && fsync(fd) == 0) {
		close(fd);
		rename("exit.tmp", "exit");
		return;
	}
	close(fd);
}

// send_fds sends a 'P' record with the held descriptors to a restarted
// daemon.
static void send_fds(int conn, int32_t pid, int nhold) {
	int32_t r[2] = {'P', pid};
	struct iovec iov = {.iov_base = r, .iov_len = sizeof r};
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nhold > 16)
		nhold = 16;
	if (nhold > 0) {
		memset(cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nhold);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nhold);
		int *fds = (int *)CMSG_DATA(c);
		for (int i = 0; i < nhold; i++)
			fds[i] = fdHold + i;
	}
	sendmsg(conn, &msg, MSG_NOSIGNAL);
}

// monitor forks the container's first process into new namespaces and
// stays its parent until it ends.
static void monitor(void) {
	int flags = envint("_TWINBOX_CLONE", 0);
	int netfd = envint("_TWINBOX_NETNS_FD", -1);
	int nhold = envint("_TWINBOX_HOLD", 0);

	signal(SIGPIPE, SIG_IGN);
	if ((flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0)
		fail(errno);
	pid_t pid = fork();
	if (pid < 0)
		fail(errno);
	if (pid == 0) {
		join_cgroups();
		if (netfd >= 0) {
			if (setns(netfd, CLONE_NEWNET) < 0)
				fail(errno);
			close(netfd);
		}
		if (unshare(flags & ~CLONE_NEWPID) < 0)
			fail(errno);
		close(fdStatus);
		for (int i = 0; i < nhold; i++)
			close(fdHold + i);
		become_go("init");
		return;
	}
	close(fdSync);
	close_cgroups();
	if (netfd >= 0)
		close(netfd);
	devnull_stdio();
	record(fdStatus, 'P', pid);

	// Serve restarted daemons on ./monitor.sock (the daemon started us in
	// the container's folder).
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, "monitor.sock");
	unlink(sa.sun_path);
	if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0)) {
		close(lfd);
		lfd = -1;
	}
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	enum { maxConns = 8 };
	int conns[maxConns];
	int nconns = 0;
	for (;;) {
		struct pollfd p[2 + maxConns];
		int n = 0;
		p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int i = 0; i < nconns; i++)
			p[n++] = (struct pollfd){.fd = conns[i], .events = POLLIN};
		if (pidfd < 0) {
			// No pidfd: block in waitpid instead of polling.
			p[0].fd = -1;
		}
		int r = pidfd < 0 ? 1 : poll(p, n, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (pidfd < 0 || (p[0].revents & POLLIN)) {
			int status = 0;
			if (waitpid(pid, &status, 0) < 0)
				status = 255 << 8;
			write_exit_file(status);
			record(fdStatus, 'X', status);
			for (int i = 0; i < nconns; i++)
				record(conns[i], 'X', status);
			unlink("monitor.sock");
			_exit(0);
		}
		if (lfd >= 0 && (p[1].revents & POLLIN)) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				if (nconns == maxConns) {
					close(c);
				} else {
					send_fds(c, pid, nhold);
					conns[nconns++] = c;
				}
			}
		}
		for (int i = 0; i < nconns; i++) {
			if (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) {
				char b;
				if (recv(conns[i], &b, 1, MSG_DONTWAIT) <= 0) {
					close(conns[i]);
					conns[i] = conns[--nconns];
					i--;
				}
			}
		}
	}
}

// nsexec joins the namespaces of running process _TWINBOX_TARGET and forks
// the process `docker exec` runs there; it stays its parent.
static void nsexec(void) {
	int target = envint("_TWINBOX_TARGET", 0);
	static const char *names[] = {"ipc", "uts", "net", "pid", "mnt"};
	int fds[5];
	char path[64];
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "/proc/%d/ns/%s", target, names[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			fail(errno);
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 5; i++) {
		if (setns(fds[i], 0) < 0)
			fail(errno);
		close(fds[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	pid_t pid = fork();
	if (pid < 0)
		fail(errno);
	if (pid == 0) {
		close(devnull);
		join_cgroups();
		close(fdStatus);
		become_go("execinit");
		return;
	}
	close(fdSync);
	close_cgroups();
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}
	record(fdStatus, 'P', pid);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 255 << 8;
			break;
		}
	}
	record(fdStatus, 'X', status);
	_exit(0);
}

__attribute__((constructor)) static void twinbox_nsexec(void) {
	const char *role = getenv("_TWINBOX_ROLE");
	if (!role)
		return;
	if (strcmp(role, "monitor") == 0)
		monitor();
	else if (strcmp(role, "exec") == 0)
		nsexec();
}
*/
import "C"

// haveHelpers says the C helpers are linked in (this build has cgo).
const haveHelpers = true
