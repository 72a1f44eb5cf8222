/* ibsetid: the system calls of ironbox's supervisor rules, one at a time,
 * straight to the kernel (no libc wrapper deciding for us). Built static at
 * test time (tests/lib/common.bash: build_helper) and copied into rootfs
 * images.
 *
 *   ibsetid OP ARGS...
 *
 * Prints "OK" (exit 0) or "ERR <ERRNO-NAME> <strerror>" (exit 1); 2 = usage.
 * MODE is octal.
 *
 *   chmod PATH MODE            chmod(2)
 *   fchmod PATH MODE           open(PATH, O_RDONLY) + fchmod(2)
 *   fchmodat PATH MODE         fchmodat(AT_FDCWD, PATH, MODE)
 *   fchmodat2 PATH MODE        fchmodat2(AT_FDCWD, PATH, MODE, 0)
 *   chmod-dirfd DIR NAME MODE  fchmodat(open(DIR), NAME, MODE)
 *   chmod-procfd PATH MODE     chmod("/proc/self/fd/N") of an O_PATH fd of PATH
 *   chmod32 PATH MODE          chmod through the i386 ABI (int 0x80), x86_64 only
 *   open PATH MODE             open(PATH, O_CREAT|O_WRONLY, MODE)
 *   openat PATH MODE           openat(AT_FDCWD, PATH, O_CREAT|O_WRONLY|O_EXCL, MODE)
 *   creat PATH MODE            creat(2)
 *   tmpfile DIR NAME MODE      openat(DIR, O_TMPFILE|O_WRONLY, MODE), linkat to DIR/NAME
 *   mknod PATH MODE            mknod(PATH, S_IFREG|MODE, 0)
 *   fcap PATH                  setxattr(PATH, "security.capability", cap_setuid=ep (v2))
 *   fcap-fd PATH               the same with fsetxattr on open(PATH, O_RDONLY)
 *   xattr20 PATH               setxattr(PATH, "user.ib", 20 bytes): not a capability
 *   getxattr PATH NAME         prints "OK <value>" (the host side of a test)
 *   openat2 PATH               openat2(AT_FDCWD, PATH, {O_RDONLY})
 *   io_uring                   io_uring_setup(1)
 *   setxattrat PATH            setxattrat(AT_FDCWD, PATH, 0, "user.x", NULL, 0) (463)
 *   setxattrat32 PATH          the same through the i386 ABI, x86_64 only
 *   swap A B MS                renameat2(A, B, RENAME_EXCHANGE) in a loop for MS ms
 *   open-n PATH MODE N         `open` N times (each fd closed); prints
 *                              "OK <opened> <ENXIO count>", ERR on another error
 *   listener                   a seccomp filter (allow all) with a new listener
 *   datapath DIR N             N rounds of open(O_CREAT, 0644)/chmod 0755/fchmod
 *                              0600/openat(O_CREAT, 0640)/mknod 0644/read in DIR
 *   hold-open PATH N [USEC]    open PATH N times (and read a byte of each, USEC
 *                              apart), print "held N", then sleep until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static int report(long rc)
{
	if (rc >= 0) {
		puts("OK");
		return 0;
	}
	printf("ERR %s %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?",
	       strerror(errno));
	return 1;
}

static mode_t octal(const char *s)
{
	return (mode_t)strtoul(s, NULL, 8);
}

static long fchmod_path(const char *path, mode_t mode)
{
	int fd = (int)syscall(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
	long rc;

	if (fd < 0)
		return -1;
	rc = syscall(SYS_fchmod, fd, mode);
	close(fd);
	return rc;
}

#if defined(__x86_64__)
static char path32[4096];
static long chmod32(const char *path, mode_t mode)
{
	long rc;

	if ((uintptr_t)path32 > 0xffffffffUL) {
		errno = ENOSYS;
		return -1;
	}
	snprintf(path32, sizeof(path32), "%s", path);
	__asm__ volatile("int $0x80"
			 : "=a"(rc)
			 : "a"(15L), "b"((long)(uintptr_t)path32), "c"((long)mode)
			 : "memory");
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}
#endif

static int swap_loop(const char *a, const char *b, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++)
			if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0)
				return report(-1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	return report(0);
}

static int open_n(const char *path, mode_t mode, int n)
{
	int opened = 0, enxio = 0;

	for (int i = 0; i < n; i++) {
		long fd = syscall(SYS_open, path, O_CREAT | O_WRONLY | O_CLOEXEC, mode);

		if (fd >= 0) {
			opened++;
			close((int)fd);
		} else if (errno == ENXIO) {
			enxio++;
		} else {
			return report(-1);
		}
	}
	printf("OK %d %d\n", opened, enxio);
	return 0;
}

static int datapath(const char *dir, int n)
{
	char p[4096], q[4096], r[4096];

	for (int i = 0; i < n; i++) {
		int fd;
		char c;

		snprintf(p, sizeof(p), "%s/dp-%d", dir, i % 8);
		snprintf(q, sizeof(q), "%s/dq-%d", dir, i % 8);
		snprintf(r, sizeof(r), "%s/dn-%d", dir, i % 8);
		unlink(q);
		unlink(r);
		fd = (int)syscall(SYS_open, p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 || syscall(SYS_chmod, p, 0755) < 0 || syscall(SYS_fchmod, fd, 0600) < 0)
			return report(-1);
		close(fd);
		fd = (int)syscall(SYS_openat, AT_FDCWD, q, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
				  0640);
		if (fd < 0 || syscall(SYS_mknod, r, S_IFREG | 0644, 0) < 0)
			return report(-1);
		(void)!read(fd, &c, 1);
		close(fd);
	}
	return report(0);
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "chmod") && argc == 4)
		return report(syscall(SYS_chmod, argv[2], octal(argv[3])));
	if (!strcmp(op, "fchmod") && argc == 4)
		return report(fchmod_path(argv[2], octal(argv[3])));
	if (!strcmp(op, "fchmodat") && argc == 4)
		return report(syscall(SYS_fchmodat, AT_FDCWD, argv[2], octal(argv[3])));
	if (!strcmp(op, "fchmodat2") && argc == 4)
		return report(syscall(SYS_fchmodat2, AT_FDCWD, argv[2], octal(argv[3]), 0));
	if (!strcmp(op, "chmod-dirfd") && argc == 5) {
		int d = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (d < 0)
			return report(-1);
		return report(syscall(SYS_fchmodat, d, argv[3], octal(argv[4])));
	}
	if (!strcmp(op, "chmod-procfd") && argc == 4) {
		int fd = open(argv[2], O_PATH | O_CLOEXEC);
		char link[64];
		if (fd < 0)
			return report(-1);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		return report(syscall(SYS_chmod, link, octal(argv[3])));
	}
#if defined(__x86_64__)
	if (!strcmp(op, "chmod32") && argc == 4)
		return report(chmod32(argv[2], octal(argv[3])));
#endif
	if (!strcmp(op, "open") && argc == 4)
		return report(
		    syscall(SYS_open, argv[2], O_CREAT | O_WRONLY | O_CLOEXEC, octal(argv[3])));
	if (!strcmp(op, "openat") && argc == 4)
		return report(syscall(SYS_openat, AT_FDCWD, argv[2],
				      O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, octal(argv[3])));
	if (!strcmp(op, "creat") && argc == 4)
		return report(syscall(SYS_creat, argv[2], octal(argv[3])));
	if (!strcmp(op, "tmpfile") && argc == 5) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, argv[2], O_TMPFILE | O_WRONLY,
				      octal(argv[4]));
		char link[64], dest[4096];
		if (fd < 0)
			return report(-1);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		snprintf(dest, sizeof(dest), "%s/%s", argv[2], argv[3]);
		return report(linkat(AT_FDCWD, link, AT_FDCWD, dest, AT_SYMLINK_FOLLOW));
	}
	if (!strcmp(op, "mknod") && argc == 4)
		return report(syscall(SYS_mknod, argv[2], S_IFREG | octal(argv[3]), 0));
	if ((!strcmp(op, "fcap") || !strcmp(op, "fcap-fd")) && argc == 3) {
		struct vfs_cap_data d;
		memset(&d, 0, sizeof(d));
		d.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
		d.data[0].permitted = 1U << CAP_SETUID;
		if (!strcmp(op, "fcap"))
			return report(
			    setxattr(argv[2], "security.capability", &d, XATTR_CAPS_SZ_2, 0));
		{
			int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return report(-1);
			return report(fsetxattr(fd, "security.capability", &d, XATTR_CAPS_SZ_2, 0));
		}
	}
	if (!strcmp(op, "getxattr") && argc == 4) {
		char v[256];
		ssize_t n = getxattr(argv[2], argv[3], v, sizeof(v) - 1);
		if (n < 0)
			return report(-1);
		v[n] = '\0';
		printf("OK %s\n", v);
		return 0;
	}
	if (!strcmp(op, "xattr20") && argc == 3)
		return report(setxattr(argv[2], "user.ib", "01234567890123456789", 20, 0));
	if (!strcmp(op, "openat2") && argc == 3) {
		struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
		return report(syscall(SYS_openat2, AT_FDCWD, argv[2], &how, sizeof(how)));
	}
	if (!strcmp(op, "setxattrat") && argc == 3)
		return report(syscall(463, AT_FDCWD, argv[2], 0, "user.x", NULL, 0));
#if defined(__x86_64__)
	if (!strcmp(op, "setxattrat32") && argc == 3) {
		static char name32[16] = "user.x";
		long rc;
		snprintf(path32, sizeof(path32), "%s", argv[2]);
		__asm__ volatile("int $0x80"
				 : "=a"(rc)
				 : "a"(463L), "b"(-100L), "c"((long)(uintptr_t)path32), "d"(0L),
				   "S"((long)(uintptr_t)name32), "D"(0L)
				 : "memory");
		if (rc < 0 && rc > -4096) {
			errno = (int)-rc;
			rc = -1;
		}
		return report(rc);
	}
#endif
	if (!strcmp(op, "io_uring") && argc == 2) {
		char params[120] = {0};
		return report(syscall(SYS_io_uring_setup, 1, params));
	}
	if (!strcmp(op, "listener") && argc == 2) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = {.len = 1, .filter = &allow};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return report(-1);
		return report(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
	}
	if (!strcmp(op, "swap") && argc == 5)
		return swap_loop(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(op, "open-n") && argc == 5)
		return open_n(argv[2], octal(argv[3]), atoi(argv[4]));
	if (!strcmp(op, "datapath") && argc == 4)
		return datapath(argv[2], atoi(argv[3]));
	if (!strcmp(op, "hold-open") && (argc == 4 || argc == 5)) {
		int n = atoi(argv[3]);
		useconds_t delay = argc == 5 ? (useconds_t)atoi(argv[4]) : 0;
		for (int i = 0; i < n; i++) {
			int fd = open(argv[2], O_RDONLY);
			char c;
			if (fd < 0 || read(fd, &c, 1) != 1)
				return report(-1);
			if (delay)
				usleep(delay);
		}
		printf("held %d\n", n);
		fflush(stdout);
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: ibsetid OP ARGS (see the source)\n");
	return 2;
}
