/* Unit tests: per-container state directory, status, locking. */
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
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "state/state.h"

static int setup(void **state)
{
	char tmpl[] = "/tmp/ib-state-XXXXXX";
	char *dir = mkdtemp(tmpl);

	assert_non_null(dir);
	/* A root that does not exist yet: create_dir must make it (0700). */
	*state = ib_xasprintf("%s/root", dir);
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	char *cmd = ib_xasprintf("rm -rf '%.*s'", (int)(strrchr(root, '/') - root), root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(root);
	return 0;
}

static struct ib_state *make_state(const char *id, pid_t pid)
{
	struct ib_state *st = ib_xmalloc0(sizeof(*st));

	st->id = ib_xstrdup(id);
	st->pid = pid;
	st->pid_start = pid ? ib_proc_starttime(pid) : 0;
	st->bundle = ib_xstrdup("/bundle");
	st->rootfs = ib_xstrdup("/bundle/rootfs");
	st->created = ib_xstrdup("2024-01-02T03:04:05.000000006Z");
	st->cgroup_path = ib_xstrdup("");
	st->host_id_base = 165536;
	st->host_id_size = 65536;
	st->n_annotations = 1;
	st->annotation_keys = ib_xmalloc0(2 * sizeof(char *));
	st->annotation_values = ib_xmalloc0(2 * sizeof(char *));
	st->annotation_keys[0] = ib_xstrdup("org.example/key");
	st->annotation_values[0] = ib_xstrdup("value \"quoted\"");
	return st;
}

static void test_check_id(void **state)
{
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_state_check_id("abc", &err), 0);
	assert_int_equal(ib_state_check_id("a-b_c.d+e09", &err), 0);
	assert_int_equal(ib_state_check_id("0123456789abcdef0123456789abcdef", &err), 0);
	assert_int_equal(ib_state_check_id("", &err), -1);
	assert_int_equal(ib_state_check_id(NULL, &err), -1);
	assert_int_equal(ib_state_check_id(".", &err), -1);
	assert_int_equal(ib_state_check_id("..", &err), -1);
	assert_int_equal(ib_state_check_id("a/b", &err), -1);
	assert_string_equal(err.msg, "invalid container id format: a/b");
	assert_int_equal(ib_state_check_id("../x", &err), -1);
	assert_int_equal(ib_state_check_id("a b", &err), -1);
	assert_int_equal(ib_state_check_id("a\nb", &err), -1);
	assert_int_equal(ib_state_check_id("a,b", &err), -1);
}

static void test_create_dir(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	struct stat sb;
	char *dir;

	assert_int_equal(ib_state_create_dir(root, "c1", &err), 0);
	assert_int_equal(stat(root, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	/* Where the filesystem has inode flags (ext4), the root we made is
	 * marked the top of unrelated trees. */
	{
		int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags = 0;

		assert_true(fd >= 0);
		struct statfs sf;

		assert_int_equal(fstatfs(fd, &sf), 0);
		if (sf.f_type == 0xEF53 /* ext2/3/4 */) {
			assert_int_equal(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
			assert_true(flags & FS_TOPDIR_FL);
		}
		close(fd);
	}
	dir = ib_state_path(root, "c1", NULL);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	free(dir);
	assert_true(ib_state_exists(root, "c1"));
	assert_false(ib_state_exists(root, "c2"));

	assert_int_equal(ib_state_create_dir(root, "c1", &err), -1);
	assert_int_equal(err.code, EEXIST);
	assert_string_equal(err.msg, "container with id exists: c1");
	assert_int_equal(ib_state_create_dir(root, "bad/id", &err), -1);
	assert_int_equal(err.code, EINVAL);
}

static void test_save_load(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	struct ib_state *st = make_state("roundtrip", getpid());
	_cleanup_state_ struct ib_state *got = NULL;

	st->started = true;
	st->systemd_cgroup = true;
	assert_int_equal(ib_state_create_dir(root, "roundtrip", &err), 0);
	assert_int_equal(ib_state_save(root, st, &err), 0);
	got = ib_state_load(root, "roundtrip", &err);
	assert_non_null(got);
	assert_string_equal(got->id, "roundtrip");
	assert_int_equal(got->pid, getpid());
	assert_true(got->pid_start == st->pid_start && got->pid_start != 0);
	assert_string_equal(got->bundle, "/bundle");
	assert_string_equal(got->rootfs, "/bundle/rootfs");
	assert_string_equal(got->created, "2024-01-02T03:04:05.000000006Z");
	assert_true(got->started);
	assert_true(got->systemd_cgroup);
	assert_int_equal(got->host_id_base, 165536);
	assert_int_equal(got->host_id_size, 65536);
	assert_int_equal(got->n_annotations, 1);
	assert_string_equal(got->annotation_keys[0], "org.example/key");
	assert_string_equal(got->annotation_values[0], "value \"quoted\"");
	/* No hooks recorded: unknown, start and delete read config.json. */
	assert_false(got->hooks_recorded);

	/* Saved again (atomic replace) with a change. */
	st->started = false;
	st->hooks_recorded = true;
	st->poststop_hooks = true;
	assert_int_equal(ib_state_save(root, st, &err), 0);
	ib_state_free(got);
	got = ib_state_load(root, "roundtrip", &err);
	assert_non_null(got);
	assert_false(got->started);
	assert_true(got->hooks_recorded);
	assert_false(got->poststart_hooks);
	assert_true(got->poststop_hooks);
	ib_state_free(st);

	/* Missing container: runc's message. */
	assert_null(ib_state_load(root, "nothere", &err));
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "container \"nothere\" does not exist");

	assert_int_equal(ib_state_remove(root, "roundtrip", &err), 0);
	assert_false(ib_state_exists(root, "roundtrip"));
	assert_int_equal(ib_state_remove(root, "roundtrip", &err), 0);
}

static void test_list(void **state)
{
	const char *root = *state;
	_cleanup_strv_ char **ids = NULL;
	ib_err err = {0};
	char *junk;

	/* Root that does not exist: empty list. */
	assert_int_equal(ib_state_list(root, &ids, &err), 0);
	assert_int_equal(ib_strv_len(ids), 0);
	ib_strv_free(ids);
	ids = NULL;

	assert_int_equal(ib_state_create_dir(root, "zeta", &err), 0);
	assert_int_equal(ib_state_create_dir(root, "alpha", &err), 0);
	assert_int_equal(ib_state_create_dir(root, "mid", &err), 0);
	/* Files beside the containers (the ID allocator's table) are not listed. */
	junk = ib_xasprintf("%s/idmap.tab", root);
	assert_int_equal(ib_write_file_atomic(junk, "{}", 2, 0600, &err), 0);
	free(junk);
	assert_int_equal(ib_state_list(root, &ids, &err), 0);
	assert_int_equal(ib_strv_len(ids), 3);
	assert_string_equal(ids[0], "alpha");
	assert_string_equal(ids[1], "mid");
	assert_string_equal(ids[2], "zeta");
}

static void test_status(void **state)
{
	const char *root = *state;
	struct ib_state *st;
	ib_err err = {0};
	pid_t child;
	int status;
	char *json;

	/* pid 0: stopped. */
	st = make_state("s", 0);
	assert_int_equal(ib_state_status(root, st), IB_STATUS_STOPPED);
	ib_state_free(st);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	st = make_state("s", child);
	assert_true(st->pid_start != 0);
	/* Created: its exec fifo waits for start. */
	{
		_cleanup_free_ char *dir = ib_state_path(root, "s", NULL);
		_cleanup_free_ char *fifo = ib_state_path(root, "s", "exec.fifo");

		assert_int_equal(ib_mkdir_p(dir, 0700, &err), 0);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(ib_state_status(root, st), IB_STATUS_CREATED);
		/* start removes it: running, with no state written. */
		assert_int_equal(unlink(fifo), 0);
		assert_int_equal(ib_state_status(root, st), IB_STATUS_RUNNING);
		/* run's state says so itself (and so does a start whose unlink
		 * failed). */
		assert_int_equal(mkfifo(fifo, 0600), 0);
		st->started = true;
		assert_int_equal(ib_state_status(root, st), IB_STATUS_RUNNING);
		unlink(fifo);
	}

	json = ib_state_oci_json(root, st, false);
	assert_non_null(strstr(json, "\"status\":\"running\""));
	assert_non_null(strstr(json, "\"ociVersion\":\"1.0.2\""));
	assert_non_null(strstr(json, "\"owner\":\"\""));
	assert_non_null(strstr(json, "\"bundle\":\"/bundle\""));
	assert_non_null(strstr(json, "\"annotations\":{\"org.example/key\""));
	free(json);

	/* Same pid, different start time: a recycled pid is not our init. */
	st->pid_start++;
	assert_int_equal(ib_state_status(root, st), IB_STATUS_STOPPED);
	st->pid_start--;

	/* A zombie is stopped. */
	kill(child, SIGKILL);
	for (int i = 0; i < 200; i++) {
		char path[64], buf[256] = {0};
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			(void)n;
			if (strstr(buf, ") Z "))
				break;
		}
		usleep(10000);
	}
	assert_int_equal(ib_state_status(root, st), IB_STATUS_STOPPED);
	json = ib_state_oci_json(root, st, true);
	assert_non_null(strstr(json, "\"status\": \"stopped\""));
	assert_non_null(strstr(json, "\"pid\": 0"));
	free(json);

	/* Reaped: gone. */
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(ib_state_status(root, st), IB_STATUS_STOPPED);
	assert_int_equal(ib_proc_starttime(child), 0);
	ib_state_free(st);
	(void)err;

	assert_string_equal(ib_status_name(IB_STATUS_PAUSED), "paused");
	assert_string_equal(ib_status_name(IB_STATUS_CREATING), "creating");
}

static void test_lock(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	int fd, status;
	pid_t child;

	assert_int_equal(ib_state_lock(root, "nolock", &err), -1);
	assert_int_equal(err.code, ENOENT);

	assert_int_equal(ib_state_create_dir(root, "locked", &err), 0);
	fd = ib_state_lock(root, "locked", &err);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* A separate open file description: must not get the lock. */
		char *path = ib_state_path(root, "locked", NULL);
		int fd2 = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd2 < 0)
			_exit(2);
		if (flock(fd2, LOCK_EX | LOCK_NB) == 0)
			_exit(1);
		_exit(errno == EWOULDBLOCK ? 0 : 3);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	close(fd);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char *path = ib_state_path(root, "locked", NULL);
		int fd2 = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_exit(fd2 >= 0 && flock(fd2, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The child pid is waiting for an flock (a "->" line of /proc/locks). */
static bool blocked_on_flock(pid_t pid)
{
	char *text = NULL, want[64];
	bool found;

	snprintf(want, sizeof(want), "-> FLOCK  ADVISORY  WRITE %d ", (int)pid);
	if (ib_read_file_at(AT_FDCWD, "/proc/locks", &text, NULL, NULL) < 0)
		return false;
	found = strstr(text, want) != NULL;
	free(text);
	return found;
}

/* A waiter whose container is deleted meanwhile, and an other container
 * created with the same id, must not come back holding a lock on the old,
 * removed directory while reading the new one's state. */
static void test_lock_of_removed_dir(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	int fd, status;
	pid_t child;

	assert_int_equal(ib_state_create_dir(root, "gone", &err), 0);
	fd = ib_state_lock(root, "gone", &err);
	assert_true(fd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ib_err e = {0};
		int r;

		close(fd); /* the parent's holds the lock for both otherwise */
		r = ib_state_lock(root, "gone", &e);
		_exit(r < 0 && e.code == ENOENT ? 0 : 1);
	}
	for (int i = 0; i < 5000 && !blocked_on_flock(child); i++)
		usleep(1000);
	assert_true(blocked_on_flock(child));
	assert_int_equal(ib_state_remove_locked(root, "gone", &fd, &err), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(ib_state_create_dir(root, "gone", &err), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The new container's lock is free and works. */
	fd = ib_state_lock(root, "gone", &err);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_id),
	    cmocka_unit_test_setup_teardown(test_create_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_of_removed_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
