/* Unit tests for src/linux/events.c: the cgroup v2 OOM watcher driven
 * through ordinary files (inotify works the same on them), and the v1
 * eventfd watcher on a real memory cgroup when run as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/events.h"

static void put(const char *dir, const char *file, const char *text)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_v2_oom_kill_and_exit(void **state)
{
	char dir[] = "/tmp/ib-events-XXXXXX";
	struct ib_oom_watch *w;
	ib_err err = {0};
	bool gone = true;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\n");
	put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
	w = ib_oom_watch_open_v2(dir, &err);
	if (!w)
		fail_msg("open: %s", err.msg);
	/* Kills from before the watch started are not news. */
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_false(gone);

	/* memory.events changes without a new kill (memory.high hit): no event. */
	put(dir, "memory.events", "low 0\nhigh 7\nmax 0\noom 0\noom_kill 2\n");
	assert_true(readable(ib_oom_watch_fd(w), 2000));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_false(gone);
	/* Nothing pending: never blocks. */
	assert_false(readable(ib_oom_watch_fd(w), 0));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);

	/* One more kill: one event. */
	put(dir, "memory.events", "low 0\nhigh 7\nmax 1\noom 1\noom_kill 3\n");
	assert_true(readable(ib_oom_watch_fd(w), 2000));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 1);
	assert_false(gone);

	/* Processes still there after a frozen toggle: not the end. */
	put(dir, "cgroup.events", "populated 1\nfrozen 1\n");
	assert_true(readable(ib_oom_watch_fd(w), 2000));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_false(gone);

	/* Every process gone: the end. */
	put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
	assert_true(readable(ib_oom_watch_fd(w), 2000));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_true(gone);
	ib_oom_watch_free(w);

	/* Already empty when the watch starts: gone at once. */
	w = ib_oom_watch_open_v2(dir, &err);
	assert_non_null(w);
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_true(gone);
	ib_oom_watch_free(w);

	/* No memory.events (memory controller not enabled): an error. */
	{
		char p[4096];
		snprintf(p, sizeof(p), "%s/memory.events", dir);
		unlink(p);
		assert_null(ib_oom_watch_open_v2(dir, &err));
		assert_int_equal(err.code, ENOENT);
		snprintf(p, sizeof(p), "%s/cgroup.events", dir);
		unlink(p);
	}
	rmdir(dir);
}

/* v1: the eventfd fires when the cgroup is removed, and the watcher reports
 * the end, not an OOM. */
static void test_v1_removal_ends(void **state)
{
	char dir[256];
	struct ib_oom_watch *w;
	ib_err err = {0};
	bool gone = false;

	(void)state;
	if (geteuid() != 0 || access("/sys/fs/cgroup/memory/cgroup.event_control", F_OK) < 0)
		skip();
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/ib-unit-events-%d", (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	w = ib_oom_watch_open_v1(dir, &err);
	if (!w) {
		rmdir(dir);
		fail_msg("open: %s", err.msg);
	}
	assert_false(readable(ib_oom_watch_fd(w), 0));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_false(gone);
	assert_int_equal(rmdir(dir), 0);
	assert_true(readable(ib_oom_watch_fd(w), 5000));
	assert_int_equal(ib_oom_watch_read(w, &gone, &err), 0);
	assert_true(gone);
	ib_oom_watch_free(w);

	/* No such cgroup: an error, nothing registered. */
	assert_null(ib_oom_watch_open_v1(dir, &err));
	assert_int_equal(err.code, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_oom_kill_and_exit),
	    cmocka_unit_test(test_v1_removal_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
