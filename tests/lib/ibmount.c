/* ibmount: mount-family system calls, straight to the kernel (no mount(8)
 * deciding for us), for the vetting tests. Built static at test time.
 *
 *   ibmount OP ARGS...
 *
 * Prints "OK" (exit 0) or "ERR <ERRNO-NAME> <strerror>" (exit 1); 2 = usage.
 *
 *   mount SRC DST TYPE FLAGS DATA   mount(2); FLAGS hex, "-" = NULL string
 *   umount PATH FLAGS               umount2(2); FLAGS hex (2 = MNT_DETACH)
 *   setattr PATH SET CLR [REC]      mount_setattr(AT_FDCWD, PATH) SET/CLR hex
 *   clone-rw PATH DST               open_tree(PATH, OPEN_TREE_CLONE|AT_RECURSIVE),
 *                                   mount_setattr(clear RDONLY) on it,
 *                                   move_mount to DST
 *   clone PATH DST [REC]            open_tree(PATH, OPEN_TREE_CLONE[|AT_RECURSIVE]),
 *                                   move_mount to DST
 *   move FROM TO                    move_mount(AT_FDCWD, FROM, AT_FDCWD, TO, 0)
 *   pivot NEW OLD                   pivot_root(2)
 *   chdir-pivot DIR                 chdir(DIR), pivot_root(".", ".")
 *   fsmount TYPE DST [KEY=VAL...]   fsopen/fsconfig/fsmount/move_mount to DST
 *   loop N DIR                      N rounds of mount tmpfs on DIR + umount,
 *                                   prints "ns_per_pair <n>" before "OK"
 *   moveloop N FROM DIR             N rounds of mount tmpfs on DIR, move FROM
 *                                   onto it (refused: must fail EPERM), umount
 *                                   it at once (must succeed)
 *   in-root DIR OP ARGS...          chroot(DIR), chdir("/"), then OP
 *   as UID[:admin] OP ARGS...       all IDs UID, no groups, no capabilities
 *                                   (":admin": CAP_SYS_ADMIN kept), then OP
 *   nodump OP ARGS...               prctl(PR_SET_DUMPABLE, 0) (as runc's
 *                                   init), then OP
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	int e = errno;

	printf("ERR %s %s (%s)\n", strerrorname_np(e) ? strerrorname_np(e) : "?", strerror(e),
	       what);
	return 1;
}

static const char *str(const char *s)
{
	return strcmp(s, "-") ? s : NULL;
}

static int mount_setattr_(int dfd, const char *path, unsigned flags, struct mount_attr *a)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof(*a));
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "as") && argc >= 4) {
		char *end;
		long id = strtol(argv[2], &end, 10);
		bool admin = !strcmp(end, ":admin");
		struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct cd[2] = {{0}};

		if (setgroups(0, NULL) < 0 || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0 ||
		    setresuid((uid_t)id, (uid_t)id, (uid_t)id) < 0)
			return fail("as");
		if (admin)
			cd[0].effective = cd[0].permitted = 1u << CAP_SYS_ADMIN;
		if (syscall(SYS_capset, &hdr, cd) < 0)
			return fail("capset");
		return main(argc - 2, argv + 2);
	}
	if (!strcmp(op, "nodump") && argc >= 3) {
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			return fail("prctl");
		return main(argc - 1, argv + 1);
	}
	if (!strcmp(op, "in-root") && argc >= 4) {
		if (chroot(argv[2]) < 0 || chdir("/") < 0)
			return fail("chroot");
		return main(argc - 2, argv + 2);
	}
	if (!strcmp(op, "mount") && argc == 7) {
		if (syscall(SYS_mount, str(argv[2]), argv[3], str(argv[4]),
			    strtoul(argv[5], NULL, 16), str(argv[6])) < 0)
			return fail("mount");
	} else if (!strcmp(op, "umount") && argc == 4) {
		if (syscall(SYS_umount2, argv[2], (int)strtoul(argv[3], NULL, 16)) < 0)
			return fail("umount2");
	} else if (!strcmp(op, "setattr") && argc >= 5) {
		struct mount_attr a = {.attr_set = strtoull(argv[3], NULL, 16),
				       .attr_clr = strtoull(argv[4], NULL, 16)};

		if (mount_setattr_(AT_FDCWD, argv[2], argc > 5 ? AT_RECURSIVE : 0, &a) < 0)
			return fail("mount_setattr");
	} else if ((!strcmp(op, "clone-rw") && argc == 4) || (!strcmp(op, "clone") && argc >= 4)) {
		int rec = !strcmp(op, "clone-rw") || argc > 4;
		int fd =
		    (int)syscall(SYS_open_tree, AT_FDCWD, argv[2],
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
		struct mount_attr a = {.attr_clr = MOUNT_ATTR_RDONLY};

		if (fd < 0)
			return fail("open_tree");
		if (!strcmp(op, "clone-rw") &&
		    mount_setattr_(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
			return fail("mount_setattr");
		if (syscall(SYS_move_mount, fd, "", AT_FDCWD, argv[3], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail("move_mount");
	} else if (!strcmp(op, "move") && argc == 4) {
		if (syscall(SYS_move_mount, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 0) < 0)
			return fail("move_mount");
	} else if (!strcmp(op, "pivot") && argc == 4) {
		if (syscall(SYS_pivot_root, argv[2], argv[3]) < 0)
			return fail("pivot_root");
	} else if (!strcmp(op, "chdir-pivot") && argc == 3) {
		if (chdir(argv[2]) < 0)
			return fail("chdir");
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return fail("pivot_root");
	} else if (!strcmp(op, "fsmount") && argc >= 4) {
		int fs = (int)syscall(SYS_fsopen, argv[2], FSOPEN_CLOEXEC), m;

		if (fs < 0)
			return fail("fsopen");
		for (int i = 4; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (eq)
				*eq = '\0';
			if (syscall(SYS_fsconfig, fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
				    argv[i], eq ? eq + 1 : NULL, 0) < 0)
				return fail("fsconfig");
		}
		if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return fail("fsconfig create");
		m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
		if (m < 0)
			return fail("fsmount");
		if (syscall(SYS_move_mount, m, "", AT_FDCWD, argv[3], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail("move_mount");
	} else if (!strcmp(op, "loop") && argc == 4) {
		long n = strtol(argv[2], NULL, 10);
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++) {
			if (syscall(SYS_mount, "tmpfs", argv[3], "tmpfs", 0UL, NULL) < 0)
				return fail("mount");
			if (syscall(SYS_umount2, argv[3], 0) < 0)
				return fail("umount2");
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (n > 0)
			printf("ns_per_pair %lld\n",
			       ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
				(t1.tv_nsec - t0.tv_nsec)) /
				   n);
	} else if (!strcmp(op, "moveloop") && argc == 5) {
		long n = strtol(argv[2], NULL, 10);

		for (long i = 0; i < n; i++) {
			if (syscall(SYS_mount, "tmpfs", argv[4], "tmpfs", 0UL, NULL) < 0)
				return fail("mount");
			if (syscall(SYS_move_mount, AT_FDCWD, argv[3], AT_FDCWD, argv[4], 0) == 0) {
				printf("ERR moved %s onto %s\n", argv[3], argv[4]);
				return 1;
			}
			if (errno != EPERM)
				return fail("move_mount");
			if (syscall(SYS_umount2, argv[4], 0) < 0)
				return fail("umount2");
		}
	} else {
		fprintf(stderr, "usage: see tests/lib/ibmount.c\n");
		return 2;
	}
	printf("OK\n");
	return 0;
}
