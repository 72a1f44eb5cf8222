/* Unit tests for src/linux/rootfs.c: creating mount destinations inside a
 * tree (symlinks resolved as if the tree were "/", dangling symlink targets
 * created inside it, never outside), and the --no-pivot mountinfo filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/rootfs.h"

static char top[64];   /* scratch dir: top/root is the tree, top/outside is not */
static char root[128]; /* top/root */
static int root_fd = -1;

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/ib-rootfs-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(root, sizeof(root), "%s/root", top);
	if (mkdir(root, 0755) < 0)
		return -1;
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void mk_link(const char *target, const char *rel)
{
	char p[8192];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* dev:ino of what fd is and of root/rel must be the same object. */
static void expect_at(int fd, const char *rel, mode_t type)
{
	struct stat a, b;
	char p[8192];

	if (fd < 0)
		fail_msg("open failed for %s", rel);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(fstat(fd, &a), 0);
	if (lstat(p, &b) < 0)
		fail_msg("%s was not created", p);
	assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	assert_int_equal(b.st_mode & S_IFMT, type);
	close(fd);
}

static void test_plain_paths(void **state)
{
	ib_err err = {0};

	(void)state;
	expect_at(ib_rootfs_open_dest(root_fd, "/a/b/c", false, &err), "a/b/c", S_IFDIR);
	/* Existing, repeated and trailing slashes, a file. */
	expect_at(ib_rootfs_open_dest(root_fd, "//a///b/c/", false, &err), "a/b/c", S_IFDIR);
	expect_at(ib_rootfs_open_dest(root_fd, "/a//f", true, &err), "a/f", S_IFREG);
	expect_at(ib_rootfs_open_dest(root_fd, "/", false, &err), ".", S_IFDIR);
	/* ".." cannot climb out of the tree. */
	expect_at(ib_rootfs_open_dest(root_fd, "/../../a/../../d", false, &err), "d", S_IFDIR);
}

static void test_dangling_symlinks(void **state)
{
	ib_err err = {0};

	(void)state;
	/* runc's "bind mount through a dangling symlink component". */
	mk_link("/tmp/foo/bar", "jump");
	assert_int_equal(mkdir(strcat(strcpy((char[PATH_MAX]){0}, root), "/etc"), 0755), 0);
	mk_link("/jump/baz/hosts", "etc/hosts");
	expect_at(ib_rootfs_open_dest(root_fd, "/etc/hosts", true, &err), "tmp/foo/bar/baz/hosts",
		  S_IFREG);
	/* The symlinks are still symlinks. */
	{
		struct stat st;
		char p[8192];
		snprintf(p, sizeof(p), "%s/etc/hosts", root);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	/* Trailing dangling symlink, relative target, as a directory. */
	mk_link("../var/lib/x", "etc/rel");
	expect_at(ib_rootfs_open_dest(root_fd, "/etc/rel", false, &err), "var/lib/x", S_IFDIR);
	/* A chain: l1 -> l2 -> /chain/end. */
	mk_link("l2", "l1");
	mk_link("/chain/end", "l2");
	expect_at(ib_rootfs_open_dest(root_fd, "/l1/sub", false, &err), "chain/end/sub", S_IFDIR);
}

static void test_never_outside(void **state)
{
	ib_err err = {0};
	char outside[256], target[512], inside[512];
	struct stat st;

	(void)state;
	snprintf(outside, sizeof(outside), "%s/outside", top);
	/* Relative climb past the root and an absolute host path. */
	snprintf(target, sizeof(target), "../../../../../../../../..%s", outside);
	mk_link(target, "esc1");
	mk_link(outside, "esc2");
	expect_at(ib_rootfs_open_dest(root_fd, "/esc1/x", false, &err),
		  strcat(strcpy(inside, outside + 1), "/x"), S_IFDIR);
	expect_at(ib_rootfs_open_dest(root_fd, "/esc2/y", true, &err),
		  strcat(strcpy(inside, outside + 1), "/y"), S_IFREG);
	assert_int_equal(lstat(outside, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* Only the last component missing (the short path of open_dest), in a
	 * directory reached through a symlink, and it is a symlink dangling to
	 * a host path whose directory exists: created inside, not there. */
	{
		char real[256], host_file[256];

		snprintf(real, sizeof(real), "%s/real", root);
		assert_int_equal(mkdir(real, 0755), 0);
		mk_link("/real", "via");
		snprintf(host_file, sizeof(host_file), "%s/z", top);
		mk_link(host_file, "real/last");
		expect_at(ib_rootfs_open_dest(root_fd, "/via/last", true, &err),
			  strcat(strcpy(inside, top + 1), "/z"), S_IFREG);
		assert_int_equal(lstat(host_file, &st), -1);
		assert_int_equal(errno, ENOENT);
		/* And a plain missing name there: created in place. */
		expect_at(ib_rootfs_open_dest(root_fd, "/via/new", false, &err), "real/new",
			  S_IFDIR);
	}

	/* A loop is an error, not a hang. */
	mk_link("/loop2", "loop1");
	mk_link("/loop1", "loop2");
	assert_int_equal(ib_rootfs_open_dest(root_fd, "/loop1/x", false, &err), -1);
	assert_int_equal(err.code, ELOOP);
	/* A component that is a file is an error. */
	expect_at(ib_rootfs_open_dest(root_fd, "/file", true, &err), "file", S_IFREG);
	assert_int_equal(ib_rootfs_open_dest(root_fd, "/file/x", false, &err), -1);
	assert_int_equal(err.code, ENOTDIR);
}

static void test_full_procfs_mounts(void **state)
{
	const char *mi = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
			 "23 1 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
			 "24 22 0:30 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw\n"
			 "25 1 0:21 /sys /mnt/procsys rw - proc proc rw\n"
			 "26 1 0:40 / /b/rootfs rw - overlay overlay rw\n"
			 "27 26 0:41 / /b/rootfs/proc rw - proc proc rw\n"
			 "28 26 0:42 / /b/rootfs/sys rw - sysfs sysfs rw\n"
			 "29 1 0:43 / /b/rootfs2/proc rw - proc proc rw\n"
			 "30 1 0:44 / /with\\040space rw shared:1 - proc proc rw\n"
			 "31 1 0:45 / /tmp rw - tmpfs tmpfs rw\n";
	char **mps = NULL;

	(void)state;
	assert_int_equal(ib_rootfs_full_procfs_mounts(mi, "/b/rootfs", &mps), 0);
	assert_non_null(mps);
	assert_string_equal(mps[0], "/proc");
	assert_string_equal(mps[1], "/sys");
	/* Not a full mount (/sys of proc) and the container's own are left. */
	assert_string_equal(mps[2], "/b/rootfs2/proc");
	assert_string_equal(mps[3], "/with space");
	assert_null(mps[4]);
	ib_strv_free(mps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plain_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dangling_symlinks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_never_outside, setup, teardown),
	    cmocka_unit_test(test_full_procfs_mounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
