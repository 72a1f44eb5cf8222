/* Unit tests: the identity of an object behind a path (common/fsid.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <errno.h>
#include <unistd.h>

#include "common/fsid.h"
#include "common/util.h"
#include "linux/syscalls.h"

static const char *mountinfo =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 254:1 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n"
    "31 22 0:45 / /tmp/with\\040space rw - tmpfs tmpfs rw\n"
    "32 22 254:1 /srv/x /mnt/a rw - ext4 /dev/vda rw\n";

/* ib_fd_readlink names fds through a kept /proc/self/fd: the same answer
 * as readlink(2) of the magic link, and in a forked child that child's own
 * fds (the kept directory is the parent's; a stale one would name the
 * parent's fd of that number). */
static void test_fd_readlink_own_fds_after_fork(void **state)
{
	char buf[4096], link[64];
	int fd = open("/", O_PATH | O_CLOEXEC);
	ssize_t n;
	pid_t pid;
	int status;

	(void)state;
	assert_true(fd >= 0);
	n = ib_fd_readlink(fd, buf, sizeof(buf) - 1);
	assert_int_equal(n, 1);
	assert_memory_equal(buf, "/", 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The same number, another object, in the child only. */
		int d = open("/proc", O_PATH | O_CLOEXEC);

		if (d < 0 || dup2(d, fd) < 0)
			_exit(2);
		n = ib_fd_readlink(fd, buf, sizeof(buf) - 1);
		_exit(n == 5 && !memcmp(buf, "/proc", 5) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's answer is unchanged; a closed fd is an error. */
	n = ib_fd_readlink(fd, buf, sizeof(buf) - 1);
	assert_int_equal(n, 1);
	close(fd);
	assert_int_equal(ib_fd_readlink(fd, buf, sizeof(buf) - 1), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_resolve_root_mount(void **state)
{
	_cleanup_free_ char *p = NULL;
	ib_err e = {0};
	dev_t dev;

	(void)state;
	assert_int_equal(ib_fsid_resolve(mountinfo, 22, "/etc/docker", &dev, &p, &e), 0);
	assert_string_equal(p, "/etc/docker");
	assert_true(dev == makedev(254, 1));
	free(p);
	assert_int_equal(ib_fsid_resolve(mountinfo, 22, "/", &dev, &p, &e), 0);
	assert_string_equal(p, "/");
}

/* A volume bound from /etc is /etc, whatever path reaches it. */
static void test_resolve_bind_volume(void **state)
{
	_cleanup_free_ char *p = NULL, *q = NULL;
	ib_err e = {0};
	dev_t dev;

	(void)state;
	assert_int_equal(
	    ib_fsid_resolve(mountinfo, 30, "/var/lib/docker/volumes/v/_data", &dev, &p, &e), 0);
	assert_string_equal(p, "/etc");
	assert_int_equal(ib_fsid_resolve(mountinfo, 30,
					 "/var/lib/docker/volumes/v/_data/docker/daemon.json", &dev,
					 &q, &e),
			 0);
	assert_string_equal(q, "/etc/docker/daemon.json");
	assert_true(ib_fspath_within(dev, q, makedev(254, 1), "/etc/docker"));
}

static void test_resolve_escaped_and_errors(void **state)
{
	_cleanup_free_ char *p = NULL;
	char *none = NULL;
	ib_err e = {0};
	dev_t dev;

	(void)state;
	assert_int_equal(ib_fsid_resolve(mountinfo, 31, "/tmp/with space/f", &dev, &p, &e), 0);
	assert_string_equal(p, "/f");
	assert_true(dev == makedev(0, 45));
	/* Not below the mount point: fail closed. */
	assert_int_equal(ib_fsid_resolve(mountinfo, 32, "/mnt/ab", &dev, &none, &e), -1);
	assert_int_equal(e.code, EXDEV);
	assert_null(none);
	/* Unknown mount. */
	assert_int_equal(ib_fsid_resolve(mountinfo, 99, "/x", &dev, &none, &e), -1);
	assert_int_equal(e.code, ENOENT);
}

static void test_within(void **state)
{
	dev_t d = makedev(8, 1), o = makedev(8, 2);

	(void)state;
	assert_true(ib_fspath_within(d, "/etc", d, "/etc"));
	assert_true(ib_fspath_within(d, "/etc/docker", d, "/etc"));
	assert_true(ib_fspath_within(d, "/etc", d, "/"));
	assert_false(ib_fspath_within(d, "/etcx", d, "/etc"));
	assert_false(ib_fspath_within(d, "/etc", d, "/etc/docker"));
	assert_false(ib_fspath_within(d, "/etc/docker", o, "/etc"));
}

/* The fixture of the tests below, in a private mount namespace: a tmpfs at
 * DIR/a and its subdirectory "inner" bound at DIR/b. false: not possible
 * here (not root). */
struct bind_fixture {
	char dir[32];
	char *a, *b;
};

static bool bind_fixture_make(struct bind_fixture *f)
{
	_cleanup_free_ char *sub = NULL;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return false;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ib-fsid-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->a = ib_xasprintf("%s/a", f->dir);
	f->b = ib_xasprintf("%s/b", f->dir);
	sub = ib_xasprintf("%s/a/inner", f->dir);
	assert_int_equal(mkdir(f->a, 0700), 0);
	assert_int_equal(mkdir(f->b, 0700), 0);
	assert_int_equal(mount("tmpfs", f->a, "tmpfs", 0, NULL), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mount(sub, f->b, NULL, MS_BIND, NULL), 0);
	return true;
}

static void bind_fixture_remove(struct bind_fixture *f)
{
	umount2(f->b, MNT_DETACH);
	umount2(f->a, MNT_DETACH);
	rmdir(f->b);
	rmdir(f->a);
	rmdir(f->dir);
	free(f->a);
	free(f->b);
}

/* For real: a bind mount of a subdirectory of a tmpfs, in a private mount
 * namespace. The fd opened through the bind is the subdirectory. */
static void test_from_fd_through_bind(void **state)
{
	struct bind_fixture f;
	struct ib_fsid id = {0}, whole = {0};
	ib_err e = {0};
	int fd, rfd;

	(void)state;
	if (!bind_fixture_make(&f))
		skip();

	fd = open(f.b, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_fsid_from_fd(fd, NULL, &id, &e), 0);
	assert_string_equal(id.fs_path, "/inner");
	assert_string_equal(id.path, f.b);
	rfd = open(f.a, O_PATH | O_CLOEXEC);
	assert_int_equal(ib_fsid_from_fd(rfd, NULL, &whole, &e), 0);
	assert_string_equal(whole.fs_path, "/");
	assert_true(ib_fsid_within(&id, &whole));
	assert_false(ib_fsid_within(&whole, &id));
	close(fd);
	close(rfd);
	ib_fsid_clear(&id);
	ib_fsid_clear(&whole);
	bind_fixture_remove(&f);
}

static const char *table_text =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 254:1 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n"
    "31 22 0:45 / /tmp/with\\040space rw - tmpfs tmpfs rw,size=4k\n"
    "32 22 254:1 /srv/x /mnt/a rw - ext4 /dev/vda rw\n"
    "33 32 0:46 / /mnt/a/sub rw - tmpfs tmpfs rw\n"
    "34 22 0:47 / /mnt/ab rw - tmpfs tmpfs rw\n"
    "35 22 254:1 /srv/x/y /mnt/c rw - ext4 /dev/vda rw\n"
    "40 22 0:50 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay "
    "rw,lowerdir=/l1:/l2,upperdir=/u\\054x,workdir=/w\n"
    "garbage line\n";

static void test_table_parse(void **state)
{
	struct ib_mount_table t;
	const struct ib_mount_entry *e;

	(void)state;
	ib_mount_table_parse(table_text, &t);
	assert_int_equal(t.n, 8);
	e = ib_mount_table_find(&t, 31);
	assert_non_null(e);
	assert_string_equal(e->mnt, "/tmp/with space");
	assert_string_equal(e->fstype, "tmpfs");
	assert_string_equal(e->super_opts, "rw,size=4k");
	assert_true(e->dev == makedev(0, 45));
	assert_int_equal(e->parent, 22);
	e = ib_mount_table_find(&t, 40);
	assert_string_equal(e->fstype, "overlay");
	/* super options stay escaped (commas inside paths) */
	assert_string_equal(e->super_opts, "rw,lowerdir=/l1:/l2,upperdir=/u\\054x,workdir=/w");
	assert_null(ib_mount_table_find(&t, 99));
	ib_mount_table_clear(&t);
}

static bool has(char **v, const char *s)
{
	for (size_t i = 0; v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* Every path at which an object shows: /etc is also the volume. */
static void test_table_visible(void **state)
{
	struct ib_mount_table t, t2;
	dev_t vda = makedev(254, 1);
	char **v, **canon;

	(void)state;
	ib_mount_table_parse(table_text, &t);
	ib_mount_table_parse("32 22 254:1 /srv/x /mnt/a rw - ext4 /dev/vda rw\n"
			     "35 22 254:1 /srv/x/y /mnt/c rw - ext4 /dev/vda rw\n",
			     &t2);
	v = ib_mount_table_visible(&t, vda, "/etc/docker", NULL);
	assert_int_equal(ib_strv_len(v), 2);
	assert_true(has(v, "/etc/docker"));
	assert_true(has(v, "/var/lib/docker/volumes/v/_data/docker"));
	ib_strv_free(v);
	v = ib_mount_table_visible(&t, vda, "/srv/x/y/z", &canon);
	assert_int_equal(ib_strv_len(v), 3);
	assert_true(has(v, "/srv/x/y/z"));
	assert_true(has(v, "/mnt/a/y/z"));
	assert_true(has(v, "/mnt/c/z"));
	/* Where it lives: through the mount of the whole filesystem. */
	assert_int_equal(ib_strv_len(canon), 1);
	assert_string_equal(canon[0], "/srv/x/y/z");
	ib_strv_free(v);
	ib_strv_free(canon);
	/* Without a mount of the filesystem's root, the most general one. */
	v = ib_mount_table_visible(&t2, vda, "/srv/x/y/z", &canon);
	assert_int_equal(ib_strv_len(v), 2);
	assert_int_equal(ib_strv_len(canon), 1);
	assert_string_equal(canon[0], "/mnt/a/y/z");
	ib_strv_free(v);
	ib_strv_free(canon);
	ib_mount_table_clear(&t2);
	/* /srv/xy is not below /srv/x */
	v = ib_mount_table_visible(&t, vda, "/srv/xy", NULL);
	assert_int_equal(ib_strv_len(v), 1);
	assert_string_equal(v[0], "/srv/xy");
	ib_strv_free(v);
	v = ib_mount_table_visible(&t, makedev(0, 45), "/", NULL);
	assert_int_equal(ib_strv_len(v), 1);
	assert_string_equal(v[0], "/tmp/with space");
	ib_strv_free(v);
	/* A filesystem no mount shows. */
	v = ib_mount_table_visible(&t, makedev(9, 9), "/", NULL);
	assert_int_equal(ib_strv_len(v), 0);
	ib_strv_free(v);
	ib_mount_table_clear(&t);
}

/* What a recursive bind takes along. */
static void test_table_below(void **state)
{
	struct ib_mount_table t;
	const struct ib_mount_entry **b;
	size_t n;

	(void)state;
	ib_mount_table_parse(table_text, &t);
	n = ib_mount_table_below(&t, "/mnt", 22, &b);
	assert_int_equal(n, 4); /* /mnt/a, /mnt/a/sub, /mnt/ab, /mnt/c */
	free(b);
	n = ib_mount_table_below(&t, "/mnt/a", 32, &b);
	assert_int_equal(n, 1);
	assert_string_equal(b[0]->mnt, "/mnt/a/sub");
	free(b);
	/* Through the mount below: the mount at the path itself counts. */
	n = ib_mount_table_below(&t, "/mnt/a", 22, &b);
	assert_int_equal(n, 2);
	free(b);
	ib_mount_table_clear(&t);
}

static void test_from_fd_table(void **state)
{
	struct ib_mount_table t;
	struct ib_fsid a = {0}, b = {0};
	ib_err e = {0};
	int fd = open("/", O_PATH | O_CLOEXEC);

	(void)state;
	assert_int_equal(ib_mount_table_read(&t, &e), 0);
	assert_int_equal(ib_fsid_from_fd_table(fd, &t, &a, &e), 0);
	assert_int_equal(ib_fsid_from_fd(fd, NULL, &b, &e), 0);
	assert_true(a.dev == b.dev);
	assert_string_equal(a.fs_path, b.fs_path);
	assert_int_equal(a.mnt_id, b.mnt_id);
	ib_fsid_clear(&a);
	ib_fsid_clear(&b);
	close(fd);
	ib_mount_table_clear(&t);
}

/* An fd opened by a symlink-free absolute path is named by that path: the
 * same identity as through its readlink, below a bind mount too. */
static void test_from_fd_named(void **state)
{
	struct bind_fixture f;
	struct ib_mount_table t;
	struct ib_fsid named = {0}, read_back = {0};
	ib_err e = {0};
	int fd;

	(void)state;
	if (!bind_fixture_make(&f))
		skip();
	assert_int_equal(ib_mount_table_read(&t, &e), 0);

	fd = ib_openat2(AT_FDCWD, f.b, O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
	assert_true(fd >= 0);
	assert_int_equal(ib_fsid_from_fd_named(fd, f.b, &t, &named, &e), 0);
	assert_int_equal(ib_fsid_from_fd_table(fd, &t, &read_back, &e), 0);
	assert_string_equal(named.fs_path, "/inner");
	assert_string_equal(named.fs_path, read_back.fs_path);
	assert_string_equal(named.path, read_back.path);
	assert_true(named.dev == read_back.dev && named.ino == read_back.ino &&
		    named.mnt_id == read_back.mnt_id);
	/* Only an absolute path names an fd. */
	ib_fsid_clear(&named);
	assert_int_equal(ib_fsid_from_fd_named(fd, "b", &t, &named, &e), -1);
	close(fd);
	ib_fsid_clear(&named);
	ib_fsid_clear(&read_back);
	ib_mount_table_clear(&t);
	bind_fixture_remove(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fd_readlink_own_fds_after_fork),
	    cmocka_unit_test(test_resolve_root_mount),
	    cmocka_unit_test(test_resolve_bind_volume),
	    cmocka_unit_test(test_resolve_escaped_and_errors),
	    cmocka_unit_test(test_within),
	    cmocka_unit_test(test_from_fd_through_bind),
	    cmocka_unit_test(test_table_parse),
	    cmocka_unit_test(test_table_visible),
	    cmocka_unit_test(test_table_below),
	    cmocka_unit_test(test_from_fd_table),
	    cmocka_unit_test(test_from_fd_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
