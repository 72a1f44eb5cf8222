/* Unit tests for src/cgroup/cgroup.c: path resolution, conversions, mountinfo
 * parsing; plus a real create/join/freeze/destroy cycle when run as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "cgroup/cgroup.h"
#include "cgroup/cgroup_int.h"
#include "spec/spec.h"

/* ---- path resolution ---- */

static void expect_path(const char *in, bool systemd, const char *own, const char *want)
{
	ib_err err = {0};
	char *r = ib_cgroup_resolve_path_in(in, systemd, "ctr1", own, &err);

	if (!r)
		fail_msg("resolve `%s`: unexpected error: %s", in ? in : "(null)", err.msg);
	assert_string_equal(r, want);
	free(r);
}

static void expect_path_error(const char *in, bool systemd, const char *own)
{
	ib_err err = {0};
	char *r = ib_cgroup_resolve_path_in(in, systemd, "ctr1", own, &err);

	if (r)
		fail_msg("resolve `%s`: expected an error, got `%s`", in ? in : "(null)", r);
	assert_int_equal(err.code, EINVAL);
	assert_true(err.msg[0] != '\0');
}

/* ib_cgroup_at: paths below /sys/fs/cgroup from a cached fd of it, which is
 * checked to still be that directory. */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void test_cgroup_at(void **state)
{
	const char *rel;
	int fd, other, n;

	(void)state;
	if (access("/sys/fs/cgroup", F_OK) < 0)
		skip();
	assert_int_equal(ib_cgroup_at("/sys/fs/cgroupX/a", &rel), AT_FDCWD);
	assert_string_equal(rel, "/sys/fs/cgroupX/a");
	assert_int_equal(ib_cgroup_at("/tmp/x", &rel), AT_FDCWD);
	assert_int_equal(ib_cgroup_at("sys/fs/cgroup/x", &rel), AT_FDCWD);
	fd = ib_cgroup_at("/sys/fs/cgroup", &rel);
	assert_true(fd >= 0);
	assert_string_equal(rel, ".");
	assert_true(same_file(fd, "/sys/fs/cgroup"));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(ib_cgroup_at("/sys/fs/cgroup//memory/x", &rel), fd);
	assert_string_equal(rel, "memory/x");

	/* Attack: the number is closed behind the cache's back (a child's fd
	 * cleanup) and reused for another directory. */
	close(fd);
	other = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(other >= 0);
	if (other != fd) {
		assert_int_equal(dup2(other, fd), fd);
		close(other);
	}
	/* Control: that number now leads to /tmp; using it unchecked would
	 * resolve cgroup paths there. */
	assert_true(same_file(fd, "/tmp"));
	n = ib_cgroup_at("/sys/fs/cgroup/x", &rel);
	assert_true(n >= 0);
	assert_int_not_equal(n, fd);
	assert_true(same_file(n, "/sys/fs/cgroup"));
	/* Dropping the cache closes its own fd, never the reused number. */
	ib_cgroup_at_close();
	assert_true(same_file(fd, "/tmp"));
	assert_int_equal(fcntl(n, F_GETFD), -1);
	close(fd);

	/* Disabled (the supervisor): paths are used as they are. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ib_cgroup_at_disable();
		_exit(ib_cgroup_at("/sys/fs/cgroup/x", &rel) == AT_FDCWD &&
			      strcmp(rel, "/sys/fs/cgroup/x") == 0
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &n, 0), pid);
	assert_true(WIFEXITED(n) && WEXITSTATUS(n) == 0);
}

static void test_resolve_default(void **state)
{
	(void)state;
	expect_path(NULL, false, NULL, "/ctr1");
	expect_path("", false, NULL, "/ironbox/ctr1");
	/* systemd driver default */
	expect_path(NULL, true, NULL, "/system.slice/ironbox-ctr1.scope");
}

static void test_resolve_absolute(void **state)
{
	(void)state;
	expect_path("/a/b", false, NULL, "/a/b");
	expect_path("/a//b/./c/", false, NULL, "/a/b/c");
	/* ".." is refused outright, even where it would stay inside. */
	expect_path_error("/a/../b", false, "/ignored");
	expect_path_error("/a/..b/..", false, NULL);
	expect_path("/a/..b/c..", false, NULL, "/a/..b/c..");
	expect_path("/docker/0123abc", false, NULL, "/docker/0123abc");
	expect_path_error("/../x", false, NULL);
	expect_path_error("/a/../../x", false, NULL);
	expect_path_error("/", false, NULL);
	expect_path_error("/a/..", false, NULL);
}

static void test_resolve_relative(void **state)
{
	(void)state;
	expect_path("foo/bar", false, "/user.slice/x.scope", "/user.slice/x.scope/foo/bar");
	expect_path("foo", false, "/", "/foo");
	expect_path("./foo//bar/", false, "/own", "/own/foo/bar");
	expect_path_error("a/../b", false, "/own");
	expect_path_error("..", false, "/own");
	expect_path_error("../x", false, "/own");
	expect_path_error("a/../../x", false, "/own");
	expect_path_error("foo", false, NULL); /* no own cgroup known */
	expect_path_error(".", false, "/");    /* resolves to the root */
}

static void test_resolve_systemd(void **state)
{
	(void)state;
	expect_path("system.slice:docker:abc", true, NULL, "/system.slice/docker-abc.scope");
	expect_path("a-b-c.slice:p:n", true, NULL, "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	expect_path(":p:n", true, NULL, "/system.slice/p-n.scope");
	expect_path("-.slice:p:n", true, NULL, "/system.slice/p-n.scope");
	expect_path("user.slice::n", true, NULL, "/user.slice/n.scope");
	expect_path("x.slice:p:my-sub.slice", true, NULL, "/my.slice/my-sub.slice");
	expect_path("kubepods-besteffort.slice:cri-containerd:0a1b", true, NULL,
		    "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-0a1b.scope");

	expect_path_error("foo", true, NULL);
	expect_path_error("a:b", true, NULL);
	expect_path_error("a.slice:b:c:d", true, NULL);
	expect_path_error("/abs/path", true, NULL);
	expect_path_error("bad:p:n", true, NULL);	      /* not a .slice */
	expect_path_error("a--b.slice:p:n", true, NULL);      /* empty component */
	expect_path_error("-a.slice:p:n", true, NULL);	      /* leading dash */
	expect_path_error("a-.slice:p:n", true, NULL);	      /* trailing dash */
	expect_path_error("system.slice:p:", true, NULL);     /* empty name */
	expect_path_error("system.slice:p:a/b", true, NULL);  /* slash in name */
	expect_path_error("sys/tem.slice:p:n", true, NULL);   /* slash in slice */
	expect_path_error("system.slice:../x:n", true, NULL); /* slash in prefix */
}

static void test_expand_slice(void **state)
{
	ib_err err = {0};
	char *r;

	(void)state;
	r = ib_cgroup_expand_slice("system.slice", &err);
	assert_string_equal(r, "/system.slice");
	free(r);
	r = ib_cgroup_expand_slice("a-b-c.slice", &err);
	assert_string_equal(r, "/a.slice/a-b.slice/a-b-c.slice");
	free(r);
	r = ib_cgroup_expand_slice("-.slice", &err);
	assert_string_equal(r, "/");
	free(r);
	assert_null(ib_cgroup_expand_slice(".slice", &err));
	assert_null(ib_cgroup_expand_slice("foo", &err));
	assert_null(ib_cgroup_expand_slice("a/b.slice", &err));
	assert_null(ib_cgroup_expand_slice(NULL, &err));
}

static void test_bad_id(void **state)
{
	ib_err err = {0};

	(void)state;
	assert_null(ib_cgroup_resolve_path_in(NULL, false, "a/b", NULL, &err));
	assert_null(ib_cgroup_resolve_path_in(NULL, false, "..", NULL, &err));
	assert_null(ib_cgroup_resolve_path_in(NULL, false, "", NULL, &err));
}

/* ---- /proc/self/cgroup ---- */

static const char proc_cgroup_hybrid[] = "9:name=systemd:/sys\n"
					 "8:pids:/p\n"
					 "4:memory:/process_api/27fe\n"
					 "1:cpu:/c\n"
					 "0::/uni\n";

static void test_own_path(void **state)
{
	ib_err err = {0};
	char *r;

	(void)state;
	r = ib_cgroup_own_path(proc_cgroup_hybrid, IB_CGROUP_HYBRID, &err);
	assert_string_equal(r, "/sys");
	free(r);
	r = ib_cgroup_own_path("8:pids:/p\n4:memory:/m\n", IB_CGROUP_V1, &err);
	assert_string_equal(r, "/p");
	free(r);
	r = ib_cgroup_own_path("12:name=foo:/f\n3:cpu,cpuacct:/cc\n", IB_CGROUP_V1, &err);
	assert_string_equal(r, "/cc");
	free(r);
	r = ib_cgroup_own_path("0::/user.slice/user-0.slice/session-1.scope\n", IB_CGROUP_V2, &err);
	assert_string_equal(r, "/user.slice/user-0.slice/session-1.scope");
	free(r);
	r = ib_cgroup_own_path(proc_cgroup_hybrid, IB_CGROUP_V2, &err);
	assert_string_equal(r, "/uni");
	free(r);
	assert_null(ib_cgroup_own_path("", IB_CGROUP_V2, &err));
	assert_null(ib_cgroup_own_path("4:memory:/m\n", IB_CGROUP_V2, &err));
}

/* ---- conversions ---- */

static void test_shares_to_weight(void **state)
{
	(void)state;
	assert_int_equal(ib_cgroup_shares_to_weight(0), 0);
	assert_int_equal(ib_cgroup_shares_to_weight(2), 1);
	assert_int_equal(ib_cgroup_shares_to_weight(1024), 39);
	assert_int_equal(ib_cgroup_shares_to_weight(512), 20);
	assert_int_equal(ib_cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(ib_cgroup_shares_to_weight(1), 1);	      /* clamped */
	assert_int_equal(ib_cgroup_shares_to_weight(1000000), 10000); /* clamped */
}

static void test_blkio_weight(void **state)
{
	(void)state;
	assert_int_equal(ib_cgroup_blkio_weight_to_io(0), 0);
	assert_int_equal(ib_cgroup_blkio_weight_to_io(10), 1);
	assert_int_equal(ib_cgroup_blkio_weight_to_io(500), 4950);
	assert_int_equal(ib_cgroup_blkio_weight_to_io(1000), 10000);
}

static void expect_cpu_max(int64_t quota, uint64_t period, const char *want)
{
	char *r = ib_cgroup_cpu_max(quota, period);
	if (!want) {
		assert_null(r);
		return;
	}
	assert_non_null(r);
	assert_string_equal(r, want);
	free(r);
}

static void test_cpu_max(void **state)
{
	(void)state;
	expect_cpu_max(0, 0, NULL);
	expect_cpu_max(-1, 0, NULL);
	expect_cpu_max(-1, 100000, "max 100000");
	expect_cpu_max(0, 250000, "max 250000");
	expect_cpu_max(50000, 0, "50000 100000");
	expect_cpu_max(20000, 50000, "20000 50000");
}

static void test_swap_v2(void **state)
{
	ib_err err = {0};
	int64_t out = 12345;
	const int64_t G = 1024 * 1024 * 1024;

	(void)state;
	assert_int_equal(ib_cgroup_swap_v2(0, -1, &out, &err), 0);
	assert_int_equal(out, -1); /* memory unlimited, swap unset: unlimited */
	assert_int_equal(ib_cgroup_swap_v2(-1, G, &out, &err), 0);
	assert_int_equal(out, -1);
	assert_int_equal(ib_cgroup_swap_v2(0, G, &out, &err), 0);
	assert_int_equal(out, 0); /* unset */
	assert_int_equal(ib_cgroup_swap_v2(2 * G, G, &out, &err), 0);
	assert_int_equal(out, G);
	assert_int_equal(ib_cgroup_swap_v2(G, G, &out, &err), 0);
	assert_int_equal(out, 0);
	assert_int_equal(ib_cgroup_swap_v2(G, 2 * G, &out, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_int_equal(ib_cgroup_swap_v2(G, 0, &out, &err), -1);
	assert_int_equal(ib_cgroup_swap_v2(G, -1, &out, &err), -1);
	assert_int_equal(ib_cgroup_swap_v2(G, -5, &out, &err), -1);
}

/* ---- mountinfo ---- */

static const char mountinfo_hybrid[] =
    "22 1 253:1 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    /* a bind mount of a sub-cgroup of the memory hierarchy: merged */
    "90 22 0:32 /docker/x /mnt/mem\\040dir rw,relatime - cgroup cgroup rw,memory\n";

static const char mountinfo_v2[] =
    "22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "60 22 0:45 / /proc rw - proc proc rw\n";

static const char mountinfo_v1[] =
    "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
    "26 20 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "27 26 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 26 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - "
    "cgroup cgroup rw,cpu,cpuacct\n"
    "30 26 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 "
    "- cgroup cgroup rw,net_cls,net_prio\n"
    "31 26 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,memory\n"
    "32 26 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
    "cgroup rw,cpuset,clone_children\n"
    "33 26 0:29 / /sys/fs/cgroup/perf_event ro,nosuid,nodev,noexec,relatime shared:15 - "
    "cgroup cgroup rw,perf_event\n";

static void test_mountinfo_hybrid(void **state)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};
	int mem, cpu, acct, sd;

	(void)state;
	assert_int_equal(ib_cgroup_parse_mountinfo(mountinfo_hybrid, &l, &err), 0);
	assert_int_equal(l.n, 10);
	assert_int_equal(ib_cgroup_layout_mode(&l), IB_CGROUP_HYBRID);
	assert_true(l.v2 >= 0);
	assert_true(l.h[l.v2].v2);
	assert_string_equal(l.h[l.v2].mount, "/sys/fs/cgroup/unified");
	mem = ib_cgroup_layout_find(&l, "memory");
	assert_true(mem >= 0);
	assert_string_equal(l.h[mem].mount, "/sys/fs/cgroup/memory"); /* root mount preferred */
	assert_string_equal(l.h[mem].root, "/");
	cpu = ib_cgroup_layout_find(&l, "cpu");
	acct = ib_cgroup_layout_find(&l, "cpuacct");
	assert_true(cpu >= 0 && acct >= 0 && cpu != acct);
	sd = ib_cgroup_layout_find(&l, "name=systemd");
	assert_true(sd >= 0);
	assert_string_equal(l.h[sd].controllers[0], "name=systemd");
	assert_int_equal(ib_cgroup_layout_find(&l, "hugetlb"), -1);
	assert_int_equal(ib_cgroup_layout_find(&l, "rw"), -1);
	ib_cgroup_layout_clear(&l);
}

static bool hide_unified(const char *mount, uint64_t mnt_id, bool v2, void *data)
{
	(void)mnt_id;
	(*(int *)data)++;
	return !(v2 && strcmp(mount, "/sys/fs/cgroup/unified") == 0);
}

/* A tmpfs over /sys/fs/cgroup/unified: the hybrid host is a v1 host. */
static void test_mountinfo_hidden_v2(void **state)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};
	int calls = 0;

	(void)state;
	assert_int_equal(
	    ib_cgroup_parse_mountinfo_usable(mountinfo_hybrid, hide_unified, &calls, &l, &err), 0);
	assert_true(calls >= 10);
	assert_int_equal(l.n, 9);
	assert_int_equal(l.v2, -1);
	assert_int_equal(ib_cgroup_layout_mode(&l), IB_CGROUP_V1);
	assert_true(ib_cgroup_layout_find(&l, "memory") >= 0);
	ib_cgroup_layout_clear(&l);
}

static void test_mountinfo_v2(void **state)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_cgroup_parse_mountinfo(mountinfo_v2, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v2, 0);
	assert_string_equal(l.h[0].mount, "/sys/fs/cgroup");
	assert_int_equal(ib_cgroup_layout_mode(&l), IB_CGROUP_V2);
	assert_int_equal(ib_cgroup_layout_find(&l, "memory"), -1);
	ib_cgroup_layout_clear(&l);
}

static void test_mountinfo_v1(void **state)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};
	int cpu, sd, pe;

	(void)state;
	assert_int_equal(ib_cgroup_parse_mountinfo(mountinfo_v1, &l, &err), 0);
	assert_int_equal(l.n, 6);
	assert_int_equal(l.v2, -1);
	assert_int_equal(ib_cgroup_layout_mode(&l), IB_CGROUP_V1);
	cpu = ib_cgroup_layout_find(&l, "cpu");
	assert_true(cpu >= 0);
	assert_int_equal(ib_cgroup_layout_find(&l, "cpuacct"), cpu); /* co-mounted */
	assert_string_equal(l.h[cpu].mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(ib_cgroup_layout_find(&l, "net_prio"),
			 ib_cgroup_layout_find(&l, "net_cls"));
	sd = ib_cgroup_layout_find(&l, "name=systemd");
	assert_true(sd >= 0);
	assert_int_equal(ib_strv_len(l.h[sd].controllers), 1); /* xattr, release_agent dropped */
	/* ... but the hierarchy is known to have a release agent */
	assert_true(l.h[sd].release_agent);
	assert_false(l.h[cpu].release_agent);
	assert_int_equal(l.h[sd].major, 0);
	assert_int_equal(l.h[sd].minor, 23);
	assert_int_equal(ib_strv_len(l.h[ib_cgroup_layout_find(&l, "cpuset")].controllers), 1);
	pe = ib_cgroup_layout_find(&l, "perf_event");
	assert_true(pe >= 0 && l.h[pe].readonly);
	assert_false(l.h[cpu].readonly);
	ib_cgroup_layout_clear(&l);
}

static void test_mountinfo_escape_and_only_named(void **state)
{
	static const char text[] =
	    "40 31 0:37 / /weird\\040mount rw,relatime - cgroup cgroup rw,name=systemd\n"
	    "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
	    "garbage line\n";
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};
	int sd;

	(void)state;
	assert_int_equal(ib_cgroup_parse_mountinfo(text, &l, &err), 0);
	assert_int_equal(l.n, 2);
	sd = ib_cgroup_layout_find(&l, "name=systemd");
	assert_string_equal(l.h[sd].mount, "/weird mount");
	/* only a named v1 hierarchy next to cgroup2: still a v2 host */
	assert_int_equal(ib_cgroup_layout_mode(&l), IB_CGROUP_V2);
	ib_cgroup_layout_clear(&l);
}

/* ---- integration (root) ---- */

static char test_path[64], fail_path[64], join_path[64];

static void cleanup_path(const char *path)
{
	ib_err err = {0};
	struct ib_cgroup *cg = ib_cgroup_from_path(path, &err);
	if (cg) {
		cg->owned = true; /* made by this test */
		ib_cgroup_destroy(cg, &err);
		ib_cgroup_free(cg);
	}
}

static int integration_teardown(void **state)
{
	(void)state;
	if (geteuid() == 0) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s/sub", fail_path);
		cleanup_path(test_path);
		cleanup_path(join_path);
		cleanup_path(sub);
		cleanup_path(fail_path);
	}
	return 0;
}

static char *read_trim(const char *dir, const char *file)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/%s", dir, file);
	char *s = NULL;
	ib_err err = {0};

	if (ib_read_file_at(AT_FDCWD, p, &s, NULL, &err) < 0)
		return NULL;
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* The dir in cg that holds file. */
static const char *dir_with(const struct ib_cgroup *cg, const char *file)
{
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", cg->v1_dirs[i], file);
		if (access(p, F_OK) == 0)
			return cg->v1_dirs[i];
	}
	if (cg->v2_dir) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", cg->v2_dir, file);
		if (access(p, F_OK) == 0)
			return cg->v2_dir;
	}
	return NULL;
}

static void test_integration(void **state)
{
	struct ib_resources res;
	struct ib_cgroup *cg, *again;
	ib_err err = {0};
	int pfd[2];
	pid_t child;
	char c = 0;
	pid_t *pids = NULL;
	size_t n = 0;
	bool found = false;
	const char *d;
	char *v;
	struct json_object *stats, *o, *cur;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip();

	memset(&res, 0, sizeof(res));
	res.has_mem_limit = true;
	res.mem_limit = 64 * 1024 * 1024;
	res.has_pids_limit = true;
	res.pids_limit = 32;
	cg = ib_cgroup_create(test_path, &res, false, &err);
	if (!cg)
		fail_msg("create: %s", err.msg);
	assert_true(cg->v2_dir || (cg->v1_dirs && cg->v1_dirs[0]));

	if (cg->mode == IB_CGROUP_V2) {
		d = dir_with(cg, "memory.max");
		assert_non_null(d);
		v = read_trim(d, "memory.max");
	} else {
		d = dir_with(cg, "memory.limit_in_bytes");
		assert_non_null(d);
		v = read_trim(d, "memory.limit_in_bytes");
	}
	assert_string_equal(v, "67108864");
	free(v);
	d = dir_with(cg, "pids.max");
	assert_non_null(d);
	v = read_trim(d, "pids.max");
	assert_string_equal(v, "32");
	free(v);

	/* from_path finds the same directories */
	again = ib_cgroup_from_path(test_path, &err);
	if (!again)
		fail_msg("from_path: %s", err.msg);
	assert_int_equal(ib_strv_len(again->v1_dirs), ib_strv_len(cg->v1_dirs));
	assert_int_equal(!!again->v2_dir, !!cg->v2_dir);
	ib_cgroup_free(again);

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ib_err cerr = {0};
		char r = ib_cgroup_join_self(cg, false, &cerr) == 0 ? 'y' : 'n';
		if (r == 'n')
			fprintf(stderr, "join_self: %s\n", cerr.msg);
		if (write(pfd[1], &r, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	assert_int_equal(c, 'y');

	assert_int_equal(ib_cgroup_pids(cg, &pids, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		found |= pids[i] == child;
	free(pids);
	assert_true(found);

	assert_int_equal(ib_cgroup_is_frozen(cg, &err), 0);
	if (ib_cgroup_freeze(cg, true, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	assert_int_equal(ib_cgroup_is_frozen(cg, &err), 1);
	if (ib_cgroup_freeze(cg, false, &err) < 0)
		fail_msg("thaw: %s", err.msg);
	assert_int_equal(ib_cgroup_is_frozen(cg, &err), 0);

	stats = ib_cgroup_stats(cg, &err);
	if (!stats)
		fail_msg("stats: %s", err.msg);
	assert_true(json_object_object_get_ex(stats, "pids", &o));
	assert_true(json_object_object_get_ex(o, "current", &cur));
	assert_true(json_object_get_uint64(cur) >= 1);
	assert_true(json_object_object_get_ex(o, "limit", &cur));
	assert_int_equal(json_object_get_uint64(cur), 32);
	assert_true(json_object_object_get_ex(stats, "memory", &o));
	assert_true(json_object_object_get_ex(o, "usage", &o));
	assert_true(json_object_object_get_ex(o, "limit", &cur));
	assert_int_equal(json_object_get_uint64(cur), 64 * 1024 * 1024);
	assert_true(json_object_object_get_ex(stats, "cpu", &o));
	json_object_put(stats);

	if (ib_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		assert_int_not_equal(access(cg->v1_dirs[i], F_OK), 0);
	if (cg->v2_dir)
		assert_int_not_equal(access(cg->v2_dir, F_OK), 0);
	ib_cgroup_free(cg);
}

/* A failing limit leaves nothing behind, including created parents. */
static void test_integration_rollback(void **state)
{
	struct ib_resources res;
	struct ib_cgroup *cg;
	ib_err err = {0};
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	char sub[128];

	(void)state;
	if (geteuid() != 0)
		skip();
	memset(&res, 0, sizeof(res));
	res.has_pids_limit = true;
	res.pids_limit = 8;
	res.cpuset_cpus = (char *)"99999"; /* no such CPU */
	snprintf(sub, sizeof(sub), "%s/sub", fail_path);
	cg = ib_cgroup_create(sub, &res, false, &err);
	assert_null(cg);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(ib_cgroup_read_layout(&l, &err), 0);
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *p = ib_xasprintf("%s%s", l.h[i].mount, fail_path);
		if (access(p, F_OK) == 0)
			fail_msg("`%s` left behind", p);
	}
	ib_cgroup_layout_clear(&l);
}

/* ---- linux.resources.unified keys ---- */

static void test_unified_keys(void **state)
{
	static const char *const ok[] = {
	    "memory.max",	"memory.swap.max",
	    "memory.oom.group", "cpu.max",
	    "cpu.weight",	"io.max",
	    "io.bfq.weight",	"pids.max",
	    "cpuset.cpus",	"hugetlb.2MB.max",
	    "rdma.max",		"misc.max",
	    "cgroup.max.depth", "cgroup.max.descendants",
	};
	static const char *const bad[] = {
	    "cgroup.procs",
	    "cgroup.threads",
	    "cgroup.subtree_control",
	    "cgroup.freeze",
	    "cgroup.kill",
	    "cgroup.type",
	    "cgroup.max.depth/x",
	    "../cgroup.procs",
	    "memory.max/../../cgroup.procs",
	    "a/b.max",
	    "/memory.max",
	    "..",
	    ".",
	    "",
	    "memory.",
	    "memory..max",
	    "memory",
	    "devices.allow",
	    "freezer.state",
	    "tasks",
	    "release_agent",
	    "notify_on_release",
	    "memory.max\n",
	    "memory max",
	    "net_cls.classid",
	};
	struct ib_resources r;
	char *k[] = {(char *)"memory.max", NULL}, *v[] = {(char *)"1\n2", NULL};
	ib_err err = {0};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(ok); i++)
		if (ib_cgroup_check_unified_key(ok[i], &err) < 0)
			fail_msg("`%s` refused: %s", ok[i], err.msg);
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++)
		if (ib_cgroup_check_unified_key(bad[i], &err) == 0)
			fail_msg("`%s` accepted", bad[i]);
	assert_int_equal(ib_cgroup_check_unified_key("cgroup.procs", &err), -1);
	assert_string_equal(err.msg, "cgroup v2 control file `cgroup.procs` can't be set through "
				     "linux.resources.unified");
	/* Values are one line. */
	memset(&r, 0, sizeof(r));
	r.unified_keys = k;
	r.unified_values = v;
	r.n_unified = 1;
	assert_int_equal(ib_cgroup_check_resources(&r, &err), -1);
	v[0] = (char *)"max";
	assert_int_equal(ib_cgroup_check_resources(&r, &err), 0);
	k[0] = (char *)"cgroup.procs";
	assert_int_equal(ib_cgroup_check_resources(&r, &err), -1);
}

/* An existing cgroup is joined, not owned: never emptied or removed; a
 * frozen one is refused; a new leaf must be new. */
static void test_integration_join(void **state)
{
	struct ib_cgroup *made, *joined;
	struct ib_cgroup_probe p;
	ib_err err = {0};
	pid_t child;
	int status;
	char sub[128];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
	assert_false(p.exists);
	made = ib_cgroup_create(join_path, NULL, false, &err);
	if (!made)
		fail_msg("create: %s", err.msg);
	assert_true(made->owned);
	/* Creating it again (it exists now) fails and removes nothing. */
	assert_null(ib_cgroup_create(join_path, NULL, false, &err));
	assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
	assert_true(p.exists);
	assert_false(p.partial);
	assert_false(p.populated);
	assert_false(p.frozen);

	/* A process of "someone else" in it. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ib_err cerr = {0};
		if (ib_cgroup_join_self(made, false, &cerr) < 0)
			_exit(3);
		for (;;)
			pause();
	}
	for (int i = 0; i < 200; i++) {
		assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
		if (p.populated)
			break;
		usleep(10000);
	}
	assert_true(p.populated);

	joined = ib_cgroup_create(join_path, NULL, true, &err);
	if (!joined)
		fail_msg("join: %s", err.msg);
	assert_false(joined->owned);
	/* Not ours: kill_all refuses, destroy leaves process and directory. */
	assert_int_equal(ib_cgroup_kill_all(joined, SIGKILL, &err), -1);
	assert_int_equal(err.code, EPERM);
	assert_int_equal(ib_cgroup_destroy(joined, &err), 0);
	assert_int_equal(kill(child, 0), 0);
	assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
	assert_true(p.exists && p.populated);
	ib_cgroup_free(joined);

	/* Frozen: refused, for the cgroup itself and for a new child of it. */
	if (ib_cgroup_freeze(made, true, &err) == 0) {
		assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
		assert_true(p.frozen);
		assert_null(ib_cgroup_create(join_path, NULL, true, &err));
		assert_non_null(strstr(err.msg, "container's cgroup unexpectedly frozen"));
		snprintf(sub, sizeof(sub), "%s/new", join_path);
		assert_null(ib_cgroup_create(sub, NULL, false, &err));
		assert_non_null(strstr(err.msg, "container's cgroup unexpectedly frozen"));
		assert_int_equal(ib_cgroup_probe(sub, &p, &err), 0);
		assert_false(p.exists);
		assert_int_equal(ib_cgroup_freeze(made, false, &err), 0);
	}

	/* The owner empties and removes it. */
	assert_int_equal(ib_cgroup_destroy(made, &err), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(ib_cgroup_probe(join_path, &p, &err), 0);
	assert_false(p.exists);
	ib_cgroup_free(made);
}

/* ---- delegation ---- */

static int wanted(const char *json)
{
	ib_err err = {0};
	struct ib_spec *sp = ib_spec_parse(json, "/nonexistent", &err);
	int r;

	if (!sp)
		fail_msg("parse: %s", err.msg);
	r = ib_cgroup_delegation_wanted(sp, &err);
	ib_spec_free(sp);
	return r;
}

#define SPEC_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
#define CG_MOUNT(opts)                                                                             \
	"\"mounts\":[{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":"          \
	"\"cgroup\",\"options\":[" opts "]}]"

static void test_delegation_wanted(void **state)
{
	(void)state;
	/* Docker: --privileged mounts cgroupfs rw, everything else ro. */
	assert_int_equal(wanted(SPEC_HEAD CG_MOUNT("\"nosuid\",\"rw\"") "}"), 1);
	assert_int_equal(wanted(SPEC_HEAD CG_MOUNT("\"nosuid\"") "}"), 1);
	assert_int_equal(wanted(SPEC_HEAD CG_MOUNT("\"nosuid\",\"ro\"") "}"), 0);
	assert_int_equal(wanted(SPEC_HEAD "\"mounts\":[]}"), 0);
	/* The annotation decides either way. */
	assert_int_equal(
	    wanted(SPEC_HEAD CG_MOUNT("\"ro\"") ",\"annotations\":{\"" IB_CGROUP_DELEGATE_ANNOTATION
						"\":\"true\"}}"),
	    1);
	assert_int_equal(
	    wanted(SPEC_HEAD "\"annotations\":{\"" IB_CGROUP_DELEGATE_ANNOTATION "\":\"1\"}}"), 1);
	assert_int_equal(
	    wanted(SPEC_HEAD CG_MOUNT("\"rw\"") ",\"annotations\":{\"" IB_CGROUP_DELEGATE_ANNOTATION
						"\":\"false\"}}"),
	    0);
	/* Anything else is refused (fail closed). */
	assert_int_equal(
	    wanted(SPEC_HEAD CG_MOUNT("\"ro\"") ",\"annotations\":{\"" IB_CGROUP_DELEGATE_ANNOTATION
						"\":\"yes\"}}"),
	    -1);
	assert_int_equal(
	    wanted(SPEC_HEAD CG_MOUNT("\"rw\"") ",\"annotations\":{\"" IB_CGROUP_DELEGATE_ANNOTATION
						"\":\"\"}}"),
	    -1);
}

/* Only a cgroup file system is delegated, and only an owned cgroup. */
/* A v1 hierarchy with a release agent is never delegated: the container
 * would own notify_on_release in the sub-cgroups it makes there and could
 * make host root run the agent with an argument it chose. Decided by the
 * device of the directory (the hierarchy), fail closed. */
static void test_v1_delegable(void **state)
{
	static const char text[] =
	    "27 26 0:23 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
	    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
	    "28 26 0:24 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
	    /* an agent whose path has a comma (escaped by the kernel), set on a
	     * hierarchy mounted twice: the bind of a sub-cgroup says so too */
	    "29 26 0:25 / /tmp/ibt rw - cgroup cgroup rw,release_agent=/a\\054b,name=ibt\n"
	    "30 26 0:25 /x /mnt/x rw - cgroup cgroup rw,release_agent=/a\\054b,name=ibt\n"
	    /* release_agent= with an empty value is no agent */
	    "31 26 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,release_agent=\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_cgroup_parse_mountinfo(text, &l, &err), 0);
	assert_int_equal(l.n, 5);
	assert_false(ib_cgroup_v1_delegable(&l, 0, 23)); /* systemd-cgroups-agent */
	assert_true(ib_cgroup_v1_delegable(&l, 0, 24));	 /* pids: no agent */
	assert_false(ib_cgroup_v1_delegable(&l, 0, 25)); /* ibt, both mounts */
	assert_true(ib_cgroup_v1_delegable(&l, 0, 26));	 /* empty agent */
	assert_false(ib_cgroup_v1_delegable(&l, 0, 38)); /* not a v1 hierarchy */
	assert_false(ib_cgroup_v1_delegable(&l, 0, 99)); /* unknown */
	assert_false(ib_cgroup_v1_delegable(&l, 1, 23));
	assert_false(ib_cgroup_v1_delegable(NULL, 0, 24));
	ib_cgroup_layout_clear(&l);
	/* notify_on_release is never among the delegated files */
	for (size_t k = 0; ib_cgroup_delegated_v1[k]; k++)
		assert_string_not_equal(ib_cgroup_delegated_v1[k], "notify_on_release");
}

static void test_delegate_refuses(void **state)
{
	char tmpl[] = "/tmp/ib-cgdeleg-XXXXXX";
	char *v1[] = {tmpl, NULL};
	struct ib_cgroup cg = {.mode = IB_CGROUP_V1, .path = (char *)"/x", .v1_dirs = v1};
	ib_err err = {0};
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	cg.owned = false;
	assert_int_equal(ib_cgroup_delegate(&cg, 4242, 4242, &err), -1);
	assert_int_equal(err.code, EPERM);
	cg.owned = true;
	assert_int_equal(ib_cgroup_delegate(&cg, 4242, 4242, &err), -1);
	assert_non_null(strstr(err.msg, "not a cgroup file system"));
	assert_false(cg.delegated);
	assert_int_equal(stat(tmpl, &st), 0);
	assert_int_not_equal(st.st_uid, 4242);
	rmdir(tmpl);
}

struct walk_count {
	int pre, post;
};

static int count_pre(int fd, void *data, ib_err *err)
{
	(void)fd;
	(void)err;
	((struct walk_count *)data)->pre++;
	return 0;
}

static int rm_post(int parent, const char *name, void *data, ib_err *err)
{
	((struct walk_count *)data)->post++;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0)
		return ib_err_sys(err, "rmdir %s", name);
	return 0;
}

/* A tree deeper than PATH_MAX as a path is walked and removed bottom-up. */
static void test_walk_deep(void **state)
{
	char tmpl[] = "/tmp/ib-cgwalk-XXXXXX";
	char name[201];
	struct walk_count wc = {0};
	ib_err err = {0};
	int top, fd;
	const int depth = 40; /* 40 * 201 > PATH_MAX */

	(void)state;
	memset(name, 'd', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_non_null(mkdtemp(tmpl));
	top = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(top >= 0);
	fd = dup(top);
	for (int i = 0; i < depth; i++) {
		int n;
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		if (i == 3)
			assert_int_equal(mkdirat(fd, "sibling", 0755), 0);
		n = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(n >= 0);
		close(fd);
		fd = n;
	}
	close(fd);
	/* a symlink is never followed */
	assert_int_equal(symlinkat("/", top, "link"), 0);
	if (ib_cg_walk(top, count_pre, rm_post, &wc, &err) < 0)
		fail_msg("walk: %s", err.msg);
	assert_int_equal(wc.pre, depth + 2);
	assert_int_equal(wc.post, depth + 1);
	assert_int_equal(unlinkat(top, "link", 0), 0);
	close(top);
	assert_int_equal(rmdir(tmpl), 0);
}

/* A delegated cgroup: its root (an unprivileged uid here) makes and limits
 * sub-cgroups and moves itself into them, but cannot write its own limits;
 * destroy kills it there (even in a sub-cgroup it froze) and removes all. */
#define DELEG_UID 231072
static void test_integration_delegate(void **state)
{
	struct ib_resources res;
	struct ib_cgroup *cg;
	ib_err err = {0};
	int pfd[2], status;
	char c = 0;
	pid_t child;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	memset(&res, 0, sizeof(res));
	res.has_pids_limit = true;
	res.pids_limit = 16;
	cg = ib_cgroup_create(test_path, &res, false, &err);
	if (!cg)
		fail_msg("create: %s", err.msg);
	if (ib_cgroup_delegate(cg, DELEG_UID, DELEG_UID, &err) < 0)
		fail_msg("delegate: %s", err.msg);
	assert_true(cg->delegated);
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++) {
		const char *d = cg->v1_dirs[i];
		assert_int_equal(stat(d, &st), 0);
		assert_int_equal(st.st_uid, DELEG_UID);
		for (size_t k = 0; ib_cgroup_delegated_v1[k]; k++) {
			_cleanup_free_ char *p =
			    ib_xasprintf("%s/%s", d, ib_cgroup_delegated_v1[k]);
			assert_int_equal(stat(p, &st), 0);
			assert_int_equal(st.st_uid, DELEG_UID);
			assert_int_equal(st.st_gid, DELEG_UID);
		}
		if (ib_cg_file_exists(d, "pids.max")) {
			_cleanup_free_ char *p = ib_xasprintf("%s/pids.max", d);
			assert_int_equal(stat(p, &st), 0);
			assert_int_equal(st.st_uid, 0);
		}
		{
			_cleanup_free_ char *p = ib_xasprintf("%s/notify_on_release", d);
			assert_int_equal(stat(p, &st), 0);
			assert_int_equal(st.st_uid, 0);
		}
	}
	if (cg->v2_dir)
		for (size_t k = 0; ib_cgroup_delegated_v2[k]; k++) {
			_cleanup_free_ char *p =
			    ib_xasprintf("%s/%s", cg->v2_dir, ib_cgroup_delegated_v2[k]);
			if (stat(p, &st) == 0)
				assert_int_equal(st.st_uid, DELEG_UID);
		}

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ib_err cerr = {0};
		const char *why = NULL;
		char *dirs[32];
		size_t nd = 0;

		if (ib_cgroup_join_self(cg, false, &cerr) < 0)
			why = "join";
		else if (setgroups(0, NULL) < 0 || setresgid(DELEG_UID, DELEG_UID, DELEG_UID) < 0 ||
			 setresuid(DELEG_UID, DELEG_UID, DELEG_UID) < 0)
			why = "setuid";
		for (size_t i = 0; !why && cg->v1_dirs && cg->v1_dirs[i] && nd < 31; i++)
			dirs[nd++] = cg->v1_dirs[i];
		if (cg->v2_dir)
			dirs[nd++] = cg->v2_dir;
		for (size_t i = 0; !why && i < nd; i++) {
			_cleanup_free_ char *sub = ib_xasprintf("%s/sub", dirs[i]);
			_cleanup_free_ char *subsub = ib_xasprintf("%s/sub/subsub", dirs[i]);
			/* cpuset: children copy the parent's cpus and mems */
			if (ib_cg_file_exists(dirs[i], "cgroup.clone_children") &&
			    ib_cg_write(dirs[i], "cgroup.clone_children", "1", &cerr) < 0)
				why = "clone_children";
			else if (mkdir(sub, 0755) < 0 || mkdir(subsub, 0755) < 0)
				why = "mkdir";
			else if (ib_cg_file_exists(subsub, "pids.max") &&
				 ib_cg_write(subsub, "pids.max", "4", &cerr) < 0)
				why = "sub-cgroup pids.max";
			else if (ib_cg_write(subsub, "cgroup.procs", "0", &cerr) < 0)
				why = "move into sub-cgroup";
			else if (ib_cg_file_exists(dirs[i], "pids.max") &&
				 (ib_cg_write(dirs[i], "pids.max", "max", &cerr) == 0 ||
				  errno != EACCES))
				why = "own pids.max writable";
			else if (ib_cg_file_exists(dirs[i], "freezer.state") &&
				 (ib_cg_write(dirs[i], "freezer.state", "THAWED", &cerr) == 0 ||
				  errno != EACCES))
				why = "own freezer.state writable";
		}
		c = why ? 'n' : 'y';
		if (why)
			fprintf(stderr, "delegated child: %s: %s\n", why, cerr.msg);
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		/* Never hold the runner's output (a failing destroy leaves it). */
		{
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			dup2(null, 1);
			dup2(null, 2);
		}
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	assert_int_equal(c, 'y');
	/* What a container could do: freeze its own sub-cgroup. */
	if (cg->freezer_dir) {
		_cleanup_free_ char *sub = ib_xasprintf("%s/sub", cg->freezer_dir);
		assert_int_equal(ib_cg_write(sub, "freezer.state", "FROZEN", &err), 0);
	}
	if (ib_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		assert_int_not_equal(access(cg->v1_dirs[i], F_OK), 0);
	if (cg->v2_dir)
		assert_int_not_equal(access(cg->v2_dir, F_OK), 0);
	ib_cgroup_free(cg);
}

/* The supervisor is charged below a v2 cgroup only where no pids limit
 * would count its tasks (supervisor.c, charge_prepare). */
static void put(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_v2_pids_limited(void **state)
{
	char tmpl[] = "/tmp/ib-cgpids-XXXXXX";
	char p[256];

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_false(ib_cgroup_v2_pids_limited(tmpl)); /* no pids controller */
	put(tmpl, "pids.max", "max\n");
	assert_false(ib_cgroup_v2_pids_limited(tmpl));
	put(tmpl, "pids.max", "1\n");
	assert_true(ib_cgroup_v2_pids_limited(tmpl));
	put(tmpl, "pids.max", "4096\n");
	assert_true(ib_cgroup_v2_pids_limited(tmpl));
	put(tmpl, "pids.max", "");
	assert_true(ib_cgroup_v2_pids_limited(tmpl));
	snprintf(p, sizeof(p), "%s/pids.max", tmpl);
	unlink(p);
	assert_int_equal(mkdir(p, 0700), 0); /* unreadable: a limit */
	assert_true(ib_cgroup_v2_pids_limited(tmpl));
	rmdir(p);
	rmdir(tmpl);
}

static void test_v2_subpath(void **state)
{
	ib_err err = {0};
	char *r;

	(void)state;
	r = ib_cgroup_v2_subpath("9:pids:/c1\n0::/c1/init.scope\n", "/c1", &err);
	assert_non_null(r);
	assert_string_equal(r, "init.scope");
	free(r);
	r = ib_cgroup_v2_subpath("0::/c1\n", "/c1", &err);
	assert_non_null(r);
	assert_string_equal(r, "");
	free(r);
	r = ib_cgroup_v2_subpath("0::/a/c1/x/y\n", "/a/c1", &err);
	assert_non_null(r);
	assert_string_equal(r, "x/y");
	free(r);
	/* outside: a sibling with the same prefix, the parent, another tree */
	assert_null(ib_cgroup_v2_subpath("0::/c10/init.scope\n", "/c1", &err));
	assert_int_equal(err.code, EPERM);
	assert_null(ib_cgroup_v2_subpath("0::/\n", "/c1", &err));
	assert_null(ib_cgroup_v2_subpath("0::/other\n", "/c1", &err));
	assert_null(ib_cgroup_v2_subpath("1:cpu:/c1\n", "/c1", &err));
	assert_null(ib_cgroup_v2_subpath("0::/c1/../x\n", "/c1", &err));
	assert_null(ib_cgroup_v2_subpath("", "/c1", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_default),
	    cmocka_unit_test(test_resolve_absolute),
	    cmocka_unit_test(test_resolve_relative),
	    cmocka_unit_test(test_resolve_systemd),
	    cmocka_unit_test(test_expand_slice),
	    cmocka_unit_test(test_bad_id),
	    cmocka_unit_test(test_own_path),
	    cmocka_unit_test(test_shares_to_weight),
	    cmocka_unit_test(test_blkio_weight),
	    cmocka_unit_test(test_cpu_max),
	    cmocka_unit_test(test_swap_v2),
	    cmocka_unit_test(test_mountinfo_hybrid),
	    cmocka_unit_test(test_mountinfo_hidden_v2),
	    cmocka_unit_test(test_mountinfo_v2),
	    cmocka_unit_test(test_mountinfo_v1),
	    cmocka_unit_test(test_mountinfo_escape_and_only_named),
	    cmocka_unit_test_teardown(test_integration, integration_teardown),
	    cmocka_unit_test_teardown(test_integration_rollback, integration_teardown),
	    cmocka_unit_test(test_unified_keys),
	    cmocka_unit_test_teardown(test_integration_join, integration_teardown),
	    cmocka_unit_test(test_delegation_wanted),
	    cmocka_unit_test(test_v1_delegable),
	    cmocka_unit_test(test_delegate_refuses),
	    cmocka_unit_test(test_walk_deep),
	    cmocka_unit_test(test_cgroup_at),
	    cmocka_unit_test(test_v2_subpath),
	    cmocka_unit_test(test_v2_pids_limited),
	    cmocka_unit_test_teardown(test_integration_delegate, integration_teardown),
	};

	snprintf(test_path, sizeof(test_path), "/ironbox-test-%d", (int)getpid());
	snprintf(fail_path, sizeof(fail_path), "/ironbox-test-%d-fail", (int)getpid());
	snprintf(join_path, sizeof(join_path), "/ironbox-test-%d-join", (int)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
