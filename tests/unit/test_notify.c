/* Unit tests: the trapped-call table (supervisor/notify_rules.h), the BPF
 * ironbox loads from it (linux/seccomp.c: data path never trapped, set-id
 * calls always), and the host-shared decision (supervisor/notify.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/process.h"
#include "supervisor/notify.h"
#include "supervisor/sysinfo_msg.h"
#include "supervisor/notify_rules.h"

static bool traps(const char *name, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const struct ib_notify_rule *r = ib_notify_rule_named(name);
	uint64_t args[6] = {a0, a1, a2, a3, 0, 0};

	assert_non_null(r);
	return ib_notify_rule_traps(r, args);
}

static void test_register_decisions(void **state)
{
	(void)state;
	/* chmod family: only set-id modes */
	assert_false(traps("chmod", 0, 0755, 0, 0));
	assert_true(traps("chmod", 0, 04755, 0, 0));
	assert_true(traps("chmod", 0, 02711, 0, 0));
	assert_false(traps("chmod", 0, 01777, 0, 0));
	assert_true(traps("chmod", 0, 0xffffffff00004755ULL, 0, 0)); /* garbage high bits */
	assert_false(traps("fchmod", 3, 0600, 0, 0));
	assert_true(traps("fchmod", 3, 06755, 0, 0));
	assert_false(traps("fchmodat", (uint64_t)AT_FDCWD, 0, 0755, 0));
	assert_true(traps("fchmodat", (uint64_t)AT_FDCWD, 0, 04755, 0));
	assert_true(traps("fchmodat2", (uint64_t)AT_FDCWD, 0, 04755, 0));
	/* opens: only creating ones with a set-id mode */
	assert_false(traps("open", 0, O_RDONLY, 04755, 0)); /* mode ignored without O_CREAT */
	assert_false(traps("open", 0, O_CREAT | O_WRONLY, 0644, 0));
	assert_true(traps("open", 0, O_CREAT | O_WRONLY, 04755, 0));
	assert_true(traps("open", 0, O_TMPFILE | O_WRONLY, 02755, 0));
	assert_false(traps("openat", (uint64_t)AT_FDCWD, 0, O_RDWR, 04755));
	assert_false(traps("openat", (uint64_t)AT_FDCWD, 0, O_CREAT | O_RDWR, 0666));
	assert_true(traps("openat", (uint64_t)AT_FDCWD, 0, O_CREAT | O_RDWR, 04755));
	assert_true(traps("creat", 0, 04755, 0, 0));
	assert_false(traps("creat", 0, 0755, 0, 0));
	assert_true(traps("mknod", 0, S_IFREG | 04755, 0, 0));
	assert_false(traps("mknod", 0, S_IFIFO | 0644, 0, 0));
	assert_true(traps("mknodat", (uint64_t)AT_FDCWD, 0, 02644, 0));
	/* kernel-side answers, never the supervisor */
	assert_false(traps("openat2", 0, 0, 0, 0));
	assert_false(traps("io_uring_setup", 0, 0, 0, 0));
	assert_false(
	    traps("seccomp", SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 0));
}

static bool mount_traps(unsigned long flags)
{
	return traps("mount", 0, 0, 0, flags);
}

/* Rule "mount": the BPF decides pure propagation changes, open_tree
 * without a clone, fsopen/fspick and fsconfig's non-string commands. */
static void test_mount_register_decisions(void **state)
{
	(void)state;
	assert_false(mount_traps(MS_PRIVATE));
	assert_false(mount_traps(MS_REC | MS_SHARED));
	assert_true(mount_traps(MS_MGC_VAL | MS_REC | MS_SLAVE)); /* trapped, decided there */
	assert_false(mount_traps(MS_PRIVATE | MS_MOVE)); /* the kernel changes propagation */
	assert_true(mount_traps(MS_UNBINDABLE));
	assert_true(mount_traps(MS_REC | MS_UNBINDABLE));
	assert_true(mount_traps(MS_PRIVATE | MS_UNBINDABLE));
	assert_true(mount_traps(MS_REMOUNT | MS_PRIVATE)); /* remount comes first */
	assert_true(mount_traps(MS_BIND | MS_SHARED));	   /* and bind */
	assert_true(mount_traps(0));			   /* a new filesystem */
	assert_true(mount_traps(MS_MGC_VAL));
	assert_true(mount_traps(MS_MGC_VAL | MS_RDONLY));
	assert_true(mount_traps(MS_MGC_VAL | MS_PRIVATE)); /* the value has these bits */
	assert_true(mount_traps(MS_RDONLY | MS_NOSUID));
	assert_true(mount_traps(MS_MOVE));
	assert_true(mount_traps(MS_REMOUNT | MS_BIND | MS_RDONLY));
	assert_true(traps("umount2", 0, 0, 0, 0));
	assert_true(traps("umount2", 0, MNT_DETACH, 0, 0));
	assert_false(traps("open_tree", (uint64_t)AT_FDCWD, 0, OPEN_TREE_CLOEXEC, 0));
	/* clones, fsopen and fsmount: ENOSYS in the kernel (O_PATH results
	 * cannot be handed over with ADDFD) */
	assert_false(traps("open_tree", (uint64_t)AT_FDCWD, 0, OPEN_TREE_CLONE, 0));
	assert_int_equal(ib_notify_rule_named("open_tree")->kind, IB_NOTIFY_ERRNO);
	assert_int_equal(ib_notify_rule_named("fsopen")->errno_value, ENOSYS);
	assert_int_equal(ib_notify_rule_named("fsmount")->errno_value, ENOSYS);
	assert_true(traps("move_mount", 0, 0, 0, 0));
	assert_true(traps("mount_setattr", 0, 0, 0, 0));
	assert_true(traps("pivot_root", 0, 0, 0, 0));
	assert_true(traps("fsconfig", 3, FSCONFIG_SET_STRING, 0, 0));
	assert_false(traps("fsconfig", 3, FSCONFIG_SET_FLAG, 0, 0));
	assert_false(traps("fsconfig", 3, FSCONFIG_CMD_CREATE, 0, 0));
	assert_null(ib_notify_rule_named("fspick"));
}

static void test_table_is_complete(void **state)
{
	(void)state;
	for (size_t i = 0; i < ib_notify_n_rules; i++) {
		const struct ib_notify_rule *r = &ib_notify_rules[i];

		/* libseccomp must know every name (the filter fails closed
		 * otherwise), or the entry gives the native number */
		if (seccomp_syscall_resolve_name(r->syscall) == __NR_SCMP_ERROR)
			assert_true(r->kind == IB_NOTIFY_ERRNO && r->native_nr > 0);
		assert_non_null(r->rule);
		if (r->kind == IB_NOTIFY_TRAP)
			assert_non_null(r->handler);
		else
			assert_true(r->errno_value > 0);
		/* a name resolves back to its entry */
		assert_ptr_equal(ib_notify_rule_named(r->syscall), r);
	}
	assert_null(ib_notify_rule_named("read"));
	assert_ptr_equal(ib_notify_rule_find(SCMP_ARCH_X86_64, SCMP_SYS(chmod)),
			 ib_notify_rule_named("chmod"));
	assert_null(ib_notify_rule_find(SCMP_ARCH_X86_64, SCMP_SYS(read)));
}

static void test_host_shared(void **state)
{
	struct ib_shared_src src[] = {{makedev(8, 1), "/srv/shared", "/srv/shared"},
				      {makedev(8, 2), "/", "/mnt/disk"}};
	struct ib_notify_policy p = {.id = "c", .shared = src, .n_shared = 2};
	const struct ib_shared_src *which = NULL;
	struct ib_caller_obj o = {0};

	(void)state;
	/* by path from the filesystem's root */
	o = (struct ib_caller_obj){.dev = makedev(8, 1),
				   .mount_known = true,
				   .mount_root = "/",
				   .fs_path = "/srv/shared/a"};
	assert_true(ib_notify_host_shared(&p, &o, &which));
	assert_ptr_equal(which, &src[0]);
	o.fs_path = "/srv/shared";
	assert_true(ib_notify_host_shared(&p, &o, NULL));
	o.fs_path = "/srv/sharedX/a"; /* whole components only */
	assert_false(ib_notify_host_shared(&p, &o, NULL));
	o.fs_path = "/srv";
	assert_false(ib_notify_host_shared(&p, &o, NULL));
	o.dev = makedev(8, 3); /* another filesystem */
	o.fs_path = "/srv/shared/a";
	assert_false(ib_notify_host_shared(&p, &o, NULL));
	/* a whole shared filesystem */
	o.dev = makedev(8, 2);
	o.fs_path = "/anything";
	assert_true(ib_notify_host_shared(&p, &o, &which));
	assert_ptr_equal(which, &src[1]);
	/* path unknown (deleted): decided by the mount it was reached through */
	o = (struct ib_caller_obj){.dev = makedev(8, 1), .mount_known = true};
	o.mount_root = "/srv/shared/sub"; /* a re-bind inside the shared dir */
	assert_true(ib_notify_host_shared(&p, &o, NULL));
	o.mount_root = "/"; /* a mount holding the shared dir: fail closed */
	assert_true(ib_notify_host_shared(&p, &o, NULL));
	o.mount_root = "/home";
	assert_false(ib_notify_host_shared(&p, &o, NULL));
	/* mount unknown too: its filesystem decides */
	o = (struct ib_caller_obj){.dev = makedev(8, 1)};
	assert_true(ib_notify_host_shared(&p, &o, NULL));
	o.dev = makedev(9, 9);
	assert_false(ib_notify_host_shared(&p, &o, NULL));
}

/* The real filter: a child loads it and sends us its listener. Whatever
 * the child does on the data path must never reach the listener. */
static int recv_fd(int sock)
{
	char b, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&b, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	int fd = -1;

	if (recvmsg(sock, &m, 0) <= 0)
		return -1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	return fd;
}

static void send_fd(int sock, int fd)
{
	char b = 'L', cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&b, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) < 0)
		_exit(90);
}

static int child_data_path(const char *dir)
{
	char p[4096], q[4096];
	struct open_how how = {.flags = O_RDONLY};
	int fd;

	snprintf(p, sizeof(p), "%s/f", dir);
	snprintf(q, sizeof(q), "%s/g", dir);
	for (int i = 0; i < 100; i++) {
		unlink(q);
		fd = (int)syscall(SYS_open, p, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
		if (fd < 0 || syscall(SYS_fchmod, fd, 0600) < 0 ||
		    syscall(SYS_chmod, p, 0755) < 0 ||
		    syscall(SYS_fchmodat, AT_FDCWD, p, 01777) < 0)
			return 10;
		close(fd);
		/* a set-id mode without O_CREAT is no create: not trapped */
		fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 04755);
		if (fd < 0)
			return 11;
		close(fd);
		if (syscall(SYS_mknod, q, S_IFREG | 0644, 0) < 0)
			return 12;
	}
	/* kernel-side answers */
	if (syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how)) >= 0 || errno != ENOSYS)
		return 13;
	if (syscall(SYS_io_uring_setup, 1, (char[120]){0}) >= 0 || errno != EPERM)
		return 14;
	/* setxattrat (463): unknown to older libseccomp, still ENOSYS */
	if (syscall(463, AT_FDCWD, p, 0, "user.x", NULL, 0) >= 0 || errno != ENOSYS)
		return 15;
	/* an xattr of another size is the data path */
	if (setxattr(p, "user.ib", "v", 1, 0) < 0 && errno != ENOTSUP)
		return 16;
	return 0;
}

static void test_filter(void **state)
{
	char tmpl[] = "/tmp/ib-notify-XXXXXX", path[64];
	int sp[2], status = 0, listener, fd;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd pfd;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/f", tmpl);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ib_err e = {0};
		char go;
		int r;

		close(sp[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		fd = ib_seccomp_load_supervised(true, &e);
		if (fd < 0)
			_exit(92);
		send_fd(sp[1], fd);
		close(fd);
		/* one listener per filter chain: the kernel's rule, and ours */
		if (ib_seccomp_load_supervised(true, &e) >= 0 || e.code != EBUSY)
			_exit(94);
		r = child_data_path(tmpl);
		if (r)
			_exit(r);
		if (write(sp[1], "D", 1) != 1 || read(sp[1], &go, 1) != 1)
			_exit(93);
		/* trapped: our parent answers EPERM */
		if (syscall(SYS_chmod, path, 04755) == 0 || errno != EPERM)
			_exit(20);
		_exit(0);
	}
	close(sp[1]);
	listener = recv_fd(sp[0]);
	assert_true(listener >= 0);
	{
		char d;
		assert_int_equal(read(sp[0], &d, 1), 1);
		assert_int_equal(d, 'D');
	}
	/* nothing on the data path reached the listener */
	pfd = (struct pollfd){.fd = listener, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(write(sp[0], "G", 1), 1);
	memset(&req, 0, sizeof(req));
	assert_int_equal(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
	assert_ptr_equal(ib_notify_rule_find(req.data.arch, req.data.nr),
			 ib_notify_rule_named("chmod"));
	assert_int_equal(req.data.args[1], 04755);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -EPERM;
	assert_int_equal(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(listener);
	close(sp[0]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/g", tmpl);
	unlink(path);
	rmdir(tmpl);
}

/* Without its listener, a trapped call fails closed (ENOSYS), the rest runs. */
static void test_listener_gone(void **state)
{
	char tmpl[] = "/tmp/ib-notify-XXXXXX", path[64];
	int status = 0;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/f", tmpl);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ib_err e = {0};
		int fd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		fd = ib_seccomp_load_supervised(true, &e);
		if (fd < 0)
			_exit(92);
		close(fd);
		if (syscall(SYS_chmod, path, 04755) == 0 || errno != ENOSYS)
			_exit(10);
		if (syscall(SYS_chmod, path, 0700) < 0)
			_exit(11);
		/* no listener of the container's own, even with ours gone: it
		 * would get our trapped calls */
		fd = ib_seccomp_load_supervised(true, &e);
		if (fd >= 0 || e.code != EBUSY)
			_exit(12);
		if (syscall(SYS_chmod, path, 04700) == 0 || errno != ENOSYS)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	unlink(path);
	rmdir(tmpl);
}

/* Where sysinfo(2)'s answer may be written: writable mappings only, the
 * whole range, across adjacent mappings. */
static void test_sysinfo_range_writable(void **state)
{
	static const char maps[] = "00400000-00401000 r-xp 00000000 08:01 1 /bin/x\n"
				   "00600000-00601000 rw-p 00000000 08:01 1 /bin/x\n"
				   "00601000-00603000 rw-p 00000000 00:00 0 [heap]\n"
				   "7f0000000000-7f0000001000 r--p 00000000 00:00 0\n";

	(void)state;
	assert_true(ib_sysinfo_range_writable(maps, 0x600000, 112));
	/* spans two adjacent writable mappings */
	assert_true(ib_sysinfo_range_writable(maps, 0x600ff0, 112));
	assert_true(ib_sysinfo_range_writable(maps, 0x602f90, 112));
	/* past the end of the heap, read-only, unmapped, NULL, wrap-around */
	assert_false(ib_sysinfo_range_writable(maps, 0x602fa0, 112));
	assert_false(ib_sysinfo_range_writable(maps, 0x400000, 112));
	assert_false(ib_sysinfo_range_writable(maps, 0x7f0000000000, 64));
	assert_false(ib_sysinfo_range_writable(maps, 0x500000, 64));
	assert_false(ib_sysinfo_range_writable(maps, 0, 112));
	assert_false(ib_sysinfo_range_writable(maps, UINT64_MAX - 10, 112));
	assert_false(ib_sysinfo_range_writable("", 0x600000, 112));
}

/* Rule "sysinfo": always trapped with ironbox's listener; without it (the
 * spec's own seccomp agent) the kernel answers, while the boundaries still
 * fail closed. */
static void test_sysinfo_rule(void **state)
{
	const struct ib_notify_rule *r = ib_notify_rule_named("sysinfo");
	uint64_t args[6] = {0};
	int status = 0;
	pid_t pid;

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->kind, IB_NOTIFY_TRAP);
	assert_true(r->view_only);
	assert_true(ib_notify_rule_traps(r, args));
	assert_ptr_equal(ib_notify_rule_find(SCMP_ARCH_X86_64, SCMP_SYS(sysinfo)), r);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sysinfo si;
		ib_err e = {0};

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		if (ib_seccomp_load_supervised(false, &e) < 0)
			_exit(92);
		if (sysinfo(&si) < 0)
			_exit(10);
		if (syscall(SYS_chmod, "/nonexistent-ib", 04755) == 0 || errno != EPERM)
			_exit(11);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* With the listener gone, sysinfo fails like every trapped call. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sysinfo si;
		ib_err e = {0};
		int fd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		fd = ib_seccomp_load_supervised(true, &e);
		if (fd < 0)
			_exit(92);
		close(fd);
		if (sysinfo(&si) == 0 || errno != ENOSYS)
			_exit(10);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_decisions),
	    cmocka_unit_test(test_table_is_complete),
	    cmocka_unit_test(test_mount_register_decisions),
	    cmocka_unit_test(test_host_shared),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_listener_gone),
	    cmocka_unit_test(test_sysinfo_rule),
	    cmocka_unit_test(test_sysinfo_range_writable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
