/* Unit tests: the supervisor's pure pieces: what /proc opens may pin
 * (supervisor/snapshot.h), the caller's credentials and mounts
 * (supervisor/caller.h), audit lines (supervisor/audit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/audit.h"
#include "supervisor/caller.h"
#include "supervisor/snapshot.h"

static void test_snapshot_shared(void **state)
{
	struct ib_snapshot_cache c;
	struct ib_snapshot *a, *b, *d;

	(void)state;
	ib_snapshot_cache_init(&c, 4096, 8);
	a = ib_snapshot_get(&c, 2, "cpuinfo", 7);
	assert_non_null(a);
	/* the same content: the same snapshot, however many opens */
	for (int i = 0; i < 1000; i++)
		assert_ptr_equal(ib_snapshot_get(&c, 2, "cpuinfo", 7), a);
	assert_int_equal(c.count, 1);
	assert_int_equal(a->refs, 1001);
	/* another content is another snapshot; the old one lives while used */
	b = ib_snapshot_get(&c, 2, "cpuinfo2", 8);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(c.count, 2);
	assert_string_equal(b->text, "cpuinfo2");
	/* another file never shares */
	d = ib_snapshot_get(&c, 3, "cpuinfo2", 8);
	assert_ptr_not_equal(d, b);
	for (int i = 0; i < 1001; i++)
		ib_snapshot_put(&c, a);
	assert_int_equal(c.count, 2);
	ib_snapshot_put(&c, b);
	ib_snapshot_put(&c, d);
	assert_int_equal(c.count, 0);
	assert_int_equal(c.bytes, 0);
	assert_null(c.current[2]);
	assert_null(ib_snapshot_get(&c, IB_SNAPSHOT_FILES, "x", 1));
}

static void test_snapshot_budget(void **state)
{
	struct ib_snapshot_cache c;
	struct ib_snapshot *s[16];
	char text[64];
	size_t n = 0;

	(void)state;
	/* by count */
	ib_snapshot_cache_init(&c, 1 << 20, 4);
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "uptime %d", i);
		s[n] = ib_snapshot_get(&c, 0, text, strlen(text));
		assert_non_null(s[n]);
		n++;
	}
	assert_null(ib_snapshot_get(&c, 0, "uptime 99", 9));
	/* ... but the current content can still be shared */
	assert_ptr_equal(ib_snapshot_get(&c, 0, "uptime 3", 8), s[3]);
	ib_snapshot_put(&c, s[3]);
	ib_snapshot_put(&c, s[0]);
	assert_non_null(s[0] = ib_snapshot_get(&c, 0, "uptime 99", 9));
	for (size_t i = 0; i < n; i++)
		ib_snapshot_put(&c, s[i]);
	assert_int_equal(c.count, 0);
	/* by bytes */
	ib_snapshot_cache_init(&c, sizeof(struct ib_snapshot) + 101, 100);
	memset(text, 'x', sizeof(text));
	s[0] = ib_snapshot_get(&c, 1, text, 60);
	assert_non_null(s[0]);
	assert_null(ib_snapshot_get(&c, 1, text, 61));
	ib_snapshot_put(&c, s[0]);
	assert_int_equal(c.bytes, 0);
}

static const char *status_text =
    "Name:\tsh\nUmask:\t0027\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4243\n"
    "PPid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t10\t11\t12\t13\n"
    "Groups:\t10 27 100 \nNStgid:\t4242\t7\nNSpid:\t4243\t8\n"
    "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t00000000a80425fb\n";

static void test_parse_status(void **state)
{
	struct ib_caller_creds c;
	ib_err e = {0};

	(void)state;
	assert_int_equal(ib_caller_parse_status(status_text, &c, &e), 0);
	assert_int_equal(c.tgid, 4242);
	assert_int_equal(c.ns_tgid, 7);
	assert_int_equal(c.ns_tid, 8);
	assert_int_equal(c.fsuid, 1003);
	assert_int_equal(c.fsgid, 13);
	assert_int_equal(c.umask, 027);
	assert_int_equal(c.cap_eff, 0xa80425fbULL);
	assert_int_equal(c.n_groups, 3);
	assert_int_equal(c.groups[2], 100);
	assert_int_equal(ib_caller_parse_status("Name:\tx\n", &c, &e), -1);
	assert_int_equal(ib_caller_parse_status("Tgid:\t1\nUid:\t0\t0\n", &c, &e), -1);
}

static void test_mountinfo_lookup(void **state)
{
	const char *mi = "22 1 254:1 / / rw - ext4 /dev/vda rw\n"
			 "30 22 254:1 /srv/with\\040space /vol rw - ext4 /dev/vda rw\n"
			 "31 22 0:45 / /tmp rw - tmpfs tmpfs rw\n";
	_cleanup_free_ char *root = NULL, *mp = NULL;
	dev_t dev;

	(void)state;
	assert_int_equal(ib_mountinfo_lookup(mi, 30, &dev, &root, &mp), 0);
	assert_true(dev == makedev(254, 1));
	assert_string_equal(root, "/srv/with space");
	assert_string_equal(mp, "/vol");
	assert_int_equal(ib_mountinfo_lookup(mi, 99, &dev, &root, &mp), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_proc_self(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
	    {"/proc/self/fd/3", "/proc/7/fd/3"},
	    {"/proc/self", "/proc/7"},
	    {"/proc/thread-self/fd/3", "/proc/7/task/8/fd/3"},
	    {"/proc/selfish", "/proc/selfish"},
	    {"/vol/x", "/vol/x"},
	    {"proc/self/fd/3", "proc/self/fd/3"},
	};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *o = ib_caller_proc_self(cases[i].in, 7, 8);
		assert_string_equal(o, cases[i].out);
	}
	{
		/* no pid of its own namespace known: unchanged */
		_cleanup_free_ char *o = ib_caller_proc_self("/proc/self/fd/3", 0, 0);
		assert_string_equal(o, "/proc/self/fd/3");
	}
}

static void test_audit_line(void **state)
{
	struct json_object *args = json_object_new_object(), *o, *v;
	struct ib_audit_entry e = {.id = "c1",
				   .pid = 4242,
				   .container_pid = 7,
				   .syscall = "chmod",
				   .args = args,
				   .target = "/vol/x",
				   .rule = "setid",
				   .reason = "why",
				   .error = EPERM};
	_cleanup_free_ char *line = NULL;

	(void)state;
	json_object_object_add(args, "mode", json_object_new_string("04755"));
	line = ib_audit_line(&e);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_null(strchr(line, '\n') == line + strlen(line) - 1 ? NULL : line);
	o = json_tokener_parse(line);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "errno", &v));
	assert_string_equal(json_object_get_string(v), "EPERM");
	assert_true(json_object_object_get_ex(o, "args", &v));
	assert_true(json_object_object_get_ex(v, "mode", &v));
	assert_string_equal(json_object_get_string(v), "04755");
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_int_equal(json_object_get_int(v), 4242);
	assert_true(json_object_object_get_ex(o, "time", &v));
	json_object_put(o);
	json_object_put(args);
}

static void test_audit_cap(void **state)
{
	struct ib_audit_entry e = {.id = "c1", .syscall = "chmod", .rule = "setid", .error = EPERM};
	int fd = memfd_create("audit", MFD_CLOEXEC);
	size_t lines = 0;
	struct stat st;

	(void)state;
	assert_true(fd >= 0);
	while (ib_audit_write(fd, &e))
		lines++;
	/* full: nothing more is written, the host's /run cannot fill up */
	assert_true(lines > 1000);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size >= IB_AUDIT_MAX_BYTES && st.st_size < IB_AUDIT_MAX_BYTES + 4096);
	assert_false(ib_audit_write(fd, &e));
	assert_false(ib_audit_write(-1, &e));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snapshot_shared), cmocka_unit_test(test_snapshot_budget),
	    cmocka_unit_test(test_parse_status),    cmocka_unit_test(test_mountinfo_lookup),
	    cmocka_unit_test(test_proc_self),	    cmocka_unit_test(test_audit_line),
	    cmocka_unit_test(test_audit_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
