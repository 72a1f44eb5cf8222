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
#include <unistd.h>

#include "common/fsid.h"
#include "common/util.h"

static const char *mountinfo =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 254:1 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n"
    "31 22 0:45 / /tmp/with\\040space rw - tmpfs tmpfs rw\n"
    "32 22 254:1 /srv/x /mnt/a rw - ext4 /dev/vda rw\n";

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

/* For real: a bind mount of a subdirectory of a tmpfs, in a private mount
 * namespace. The fd opened through the bind is the subdirectory. */
static void test_from_fd_through_bind(void **state)
{
	char tmpl[] = "/tmp/ib-fsid-XXXXXX";
	_cleanup_free_ char *a = NULL, *b = NULL, *sub = NULL;
	struct ib_fsid id = {0}, whole = {0};
	ib_err e = {0};
	int fd, rfd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	assert_non_null(mkdtemp(tmpl));
	a = ib_xasprintf("%s/a", tmpl);
	b = ib_xasprintf("%s/b", tmpl);
	sub = ib_xasprintf("%s/a/inner", tmpl);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	assert_int_equal(mount("tmpfs", a, "tmpfs", 0, NULL), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mount(sub, b, NULL, MS_BIND, NULL), 0);

	fd = open(b, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_fsid_from_fd(fd, NULL, &id, &e), 0);
	assert_string_equal(id.fs_path, "/inner");
	assert_string_equal(id.path, b);
	rfd = open(a, O_PATH | O_CLOEXEC);
	assert_int_equal(ib_fsid_from_fd(rfd, NULL, &whole, &e), 0);
	assert_string_equal(whole.fs_path, "/");
	assert_true(ib_fsid_within(&id, &whole));
	assert_false(ib_fsid_within(&whole, &id));
	close(fd);
	close(rfd);
	ib_fsid_clear(&id);
	ib_fsid_clear(&whole);
	umount2(b, MNT_DETACH);
	umount2(a, MNT_DETACH);
	rmdir(b);
	rmdir(a);
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_root_mount),
	    cmocka_unit_test(test_resolve_bind_volume),
	    cmocka_unit_test(test_resolve_escaped_and_errors),
	    cmocka_unit_test(test_within),
	    cmocka_unit_test(test_from_fd_through_bind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
