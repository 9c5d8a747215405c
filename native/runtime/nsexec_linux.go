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
#include <linux/capability.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

// The helpers below run before the Go runtime starts, in a process
// re-executed by the daemon with _TWINBOX_ROLE set, and never start it:
// everything that needs Go (mounts, user and command lookup) the daemon
// does, on a thread that enters the container's mount namespace. Their
// protocol with the daemon (runtime_linux.go) is 8-byte records, a kind and
// a value, both int32: on fd 4, 'P' the container's (or exec'd process's)
// PID, 'X' its wait status, 'E' an errno when setting up failed; on the
// sync socket (fd 3, SOCK_SEQPACKET), from the child: 'R' ready, with the
// proc, sysfs and mqueue mounts it made in its namespaces, 'E' an errno and
// the step that failed; to the child: the exec message (see child_exec).

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

// Steps of child_exec, reported with an errno in 'E' records.
enum {
	stepRecv = 1, stepTerminal, stepHostname, stepCaps, stepNoNewPrivs,
	stepGroups, stepGid, stepUid, stepCapset, stepChdir, stepExec, stepMount, stepLoopback,
};

static void child_fail(int step, int err) {
	int32_t r[2] = {'E', (int32_t)((step << 16) | (err & 0xffff))};
	send(fdSync, r, sizeof r, MSG_NOSIGNAL);
	_exit(127);
}

// next returns the next NUL-terminated string of the exec message.
static char *next(char **cur, char *end) {
	char *s = *cur;
	char *z = memchr(s, 0, end - s);
	if (s >= end || !z)
		child_fail(stepRecv, EINVAL);
	*cur = z + 1;
	return s;
}

static long num(char **cur, char *end) { return strtol(next(cur, end), NULL, 10); }

// child_exec receives the exec message on the sync socket and becomes the
// container's command. The message is NUL-terminated strings: the path to
// execute, the working directory, the host name ("" to keep), the domain
// name, uid, gid, the number of groups and the groups, the capability mask
// (low and high 32 bits), "1" when a terminal comes with the message, argc
// and the arguments, envc and the environment. Success closes the sync
// socket (close-on-exec); the daemon reads that as "running".
static void child_exec(void) {
	static char buf[1 << 20];
	fcntl(fdSync, F_SETFD, FD_CLOEXEC);
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n;
	do {
		n = recvmsg(fdSync, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		child_fail(stepRecv, n < 0 ? errno : EPIPE);
	int tty = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&tty, CMSG_DATA(c), sizeof tty);
	char *cur = buf, *end = buf + n;
	buf[n] = 0;
	char *path = next(&cur, end), *cwd = next(&cur, end);
	char *host = next(&cur, end), *domain = next(&cur, end);
	uid_t uid = num(&cur, end);
	gid_t gid = num(&cur, end);
	long ngroups = num(&cur, end);
	if (ngroups < 0 || ngroups > 256)
		child_fail(stepRecv, EINVAL);
	gid_t groups[256];
	for (long i = 0; i < ngroups; i++)
		groups[i] = num(&cur, end);
	uint32_t caplo = strtoul(next(&cur, end), NULL, 10), caphi = strtoul(next(&cur, end), NULL, 10);
	int wanttty = num(&cur, end);
	long argc = num(&cur, end);
	if (argc < 1 || argc > 65536)
		child_fail(stepRecv, EINVAL);
	char **argv = calloc(argc + 1, sizeof *argv);
	for (long i = 0; i < argc; i++)
		argv[i] = next(&cur, end);
	long envc = num(&cur, end);
	if (envc < 0 || envc > 65536)
		child_fail(stepRecv, EINVAL);
	char **envp = calloc(envc + 1, sizeof *envp);
	for (long i = 0; i < envc; i++)
		envp[i] = next(&cur, end);

	if (wanttty) {
		if (tty < 0)
			child_fail(stepTerminal, EBADF);
		if (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) < 0)
			child_fail(stepTerminal, errno);
		for (int i = 0; i < 3; i++)
			if (dup2(tty, i) < 0)
				child_fail(stepTerminal, errno);
		close(tty);
	}
	if (*host && sethostname(host, strlen(host)) < 0)
		child_fail(stepHostname, errno);
	if (*domain && setdomainname(domain, strlen(domain)) < 0)
		child_fail(stepHostname, errno);
	for (int cap = 0; cap <= 63; cap++) {
		uint32_t bit = cap < 32 ? (caplo >> cap) & 1 : (caphi >> (cap - 32)) & 1;
		if (!bit && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail(stepCaps, errno);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(stepNoNewPrivs, errno);
	if (syscall(SYS_setgroups, ngroups, groups) < 0)
		child_fail(stepGroups, errno);
	if (syscall(SYS_setgid, gid) < 0)
		child_fail(stepGid, errno);
	if (syscall(SYS_setuid, uid) < 0)
		child_fail(stepUid, errno);
	if (uid == 0) {
		struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct d[2] = {
			{.effective = caplo, .permitted = caplo, .inheritable = caplo},
			{.effective = caphi, .permitted = caphi, .inheritable = caphi},
		};
		if (syscall(SYS_capset, &h, d) < 0)
			child_fail(stepCapset, errno);
	}
	if (chdir(cwd) < 0)
		child_fail(stepChdir, errno);
	signal(SIGPIPE, SIG_DFL);
	execve(path, argv, envp);
	child_fail(stepExec, errno);
}

// fsmount_new makes a detached mount of a pseudo filesystem whose
// namespace is the caller's (proc: its pid namespace, sysfs: its network
// namespace, mqueue: its IPC namespace), for the daemon to attach.
static int fsmount_new(const char *type, unsigned int attrs) {
	int fs = syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		close(fs);
		return -1;
	}
	int m = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
	close(fs);
	return m;
}

static void loopback_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		child_fail(stepLoopback, errno);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		child_fail(stepLoopback, errno);
	close(s);
}

// container_child readies a new container's first process: it makes the
// mounts only a process inside its namespaces can make, hands them to the
// daemon, which sets the root filesystem up, and waits for the exec message.
static void container_child(void) {
	if (envint("_TWINBOX_LO", 0))
		loopback_up();
	const unsigned int nse = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	int fds[3] = {
		fsmount_new("proc", nse),
		fsmount_new("sysfs", nse | (envint("_TWINBOX_SYSFS_RW", 0) ? 0 : MOUNT_ATTR_RDONLY)),
		fsmount_new("mqueue", nse),
	};
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0)
			child_fail(stepMount, errno);
	int32_t r[2] = {'R', 0};
	struct iovec iov = {.iov_base = r, .iov_len = sizeof r};
	char cbuf[CMSG_SPACE(sizeof fds)];
	memset(cbuf, 0, sizeof cbuf);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	if (sendmsg(fdSync, &msg, MSG_NOSIGNAL) < 0)
		_exit(127);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	child_exec();
}

// write_exit_file records the status for a daemon that restarts later
// (not synced: after a machine crash no container runs anyway).
static void write_exit_file(int status) {
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", status);
	int fd = open("exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, buf, n) == n) {
		close(fd);
		rename("exit.tmp", "exit");
		return;
	}
	close(fd);
}

// held are the descriptors the monitor keeps for a restarted daemon: the
// read ends of the output pipes (inherited as fdHold...), or the terminal's
// master (sent over the hold socket once the daemon made it).
static int held[16];
static int nheld;

// send_fds sends a 'P' record with the held descriptors to a restarted
// daemon.
static void send_fds(int conn, int32_t pid) {
	int32_t r[2] = {'P', pid};
	struct iovec iov = {.iov_base = r, .iov_len = sizeof r};
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nheld > 0) {
		memset(cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nheld);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nheld);
		memcpy(CMSG_DATA(c), held, sizeof(int) * nheld);
	}
	sendmsg(conn, &msg, MSG_NOSIGNAL);
}

// take_held receives descriptors to hold from the hold socket; it returns
// -1 at the end of the socket.
static int take_held(int sock) {
	char b[8];
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = b, .iov_len = sizeof b};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[4];
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (k > 4 ? 4 : k));
		for (int i = 0; i < k && i < 4; i++) {
			if (nheld < 16)
				held[nheld++] = fds[i];
			else
				close(fds[i]);
		}
	}
	return 0;
}

// monitor forks the container's first process into new namespaces and
// stays its parent until it ends.
static void monitor(void) {
	int flags = envint("_TWINBOX_CLONE", 0);
	int netfd = envint("_TWINBOX_NETNS_FD", -1);
	int pidnsfd = envint("_TWINBOX_PIDNS_FD", -1); // --pid container:
	int ipcnsfd = envint("_TWINBOX_IPCNS_FD", -1); // --ipc container:
	int nhold = envint("_TWINBOX_HOLD", 0);
	int holdsock = envint("_TWINBOX_HOLDSOCK", -1);
	for (int i = 0; i < nhold && i < 16; i++)
		held[nheld++] = fdHold + i;

	signal(SIGPIPE, SIG_IGN);
	// Serve restarted daemons (from before the daemon learns the PID) on ./monitor.sock (the daemon started us in
	// the container's folder).
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, "monitor.sock");
	unlink(sa.sun_path);
	if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0)) {
		close(lfd);
		lfd = -1;
	}
	if ((flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0)
		fail(errno);
	// Joining a PID namespace, like making one, takes effect for children.
	if (pidnsfd >= 0) {
		if (setns(pidnsfd, CLONE_NEWPID) < 0)
			fail(errno);
		close(pidnsfd);
	}
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
		if (ipcnsfd >= 0) {
			if (setns(ipcnsfd, CLONE_NEWIPC) < 0)
				fail(errno);
			close(ipcnsfd);
		}
		if (unshare(flags & ~CLONE_NEWPID) < 0)
			fail(errno);
		close(fdStatus);
		if (lfd >= 0)
			close(lfd);
		for (int i = 0; i < nhold; i++)
			close(fdHold + i);
		if (holdsock >= 0)
			close(holdsock);
		container_child();
	}
	close(fdSync);
	close_cgroups();
	if (netfd >= 0)
		close(netfd);
	if (ipcnsfd >= 0)
		close(ipcnsfd);
	devnull_stdio();
	record(fdStatus, 'P', pid);

	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	enum { maxConns = 8 };
	int conns[maxConns];
	int nconns = 0;
	for (;;) {
		struct pollfd p[3 + maxConns];
		int n = 0;
		p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = holdsock, .events = POLLIN};
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
			// The file first: a daemon that learns the status or finds no
			// socket can rely on it.
			write_exit_file(status);
			unlink("monitor.sock");
			record(fdStatus, 'X', status);
			for (int i = 0; i < nconns; i++)
				record(conns[i], 'X', status);
			_exit(0);
		}
		if (lfd >= 0 && (p[1].revents & POLLIN)) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				if (nconns == maxConns) {
					close(c);
				} else {
					send_fds(c, pid);
					conns[nconns++] = c;
				}
			}
		}
		if (holdsock >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)) && take_held(holdsock) < 0) {
			close(holdsock);
			holdsock = -1;
		}
		for (int i = 0; i < nconns; i++) {
			if (p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) {
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
		child_exec();
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
