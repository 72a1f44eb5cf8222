/* Unit tests: the table of virtualised /proc/sys knobs (sysctl/knob.h), the
 * kernel's value syntax, and the host-wide max-reconcile table
 * (sysctl/hosttable.h) against a fake /proc/sys in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "supervisor/emul.h"
#include "sysctl/hosttable.h"
#include "sysctl/knob.h"

/* ---- the knob table ---- */

/* The emulated file of a knob (supervisor/emul.h), NULL if none. */
static const struct ib_emul_file *emul_of(const struct ib_knob *k)
{
	_cleanup_free_ char *path = ib_xasprintf("/proc/sys/%s", k->path);
	const struct ib_emul_file *found = NULL;

	for (size_t i = 0; ib_emul_files[i].name; i++)
		if (!strcmp(ib_emul_files[i].path, path)) {
			assert_null(found); /* one entry each */
			found = &ib_emul_files[i];
		}
	return found;
}

static void test_table_consistent(void **state)
{
	size_t n = 0;

	(void)state;
	assert_true(ib_n_knobs > 0);
	assert_true(ib_n_knobs <= IB_KNOB_CAP);
	for (size_t i = 0; i < ib_n_knobs; i++) {
		const struct ib_knob *k = &ib_knobs[i];
		_cleanup_free_ char *dotted = ib_xstrdup(k->path);

		/* name = path with dots (file-max keeps its dash) */
		for (char *p = dotted; *p; p++)
			if (*p == '/')
				*p = '.';
		assert_string_equal(dotted, k->name);
		assert_ptr_equal(ib_knob_by_name(k->name), k);
		assert_ptr_equal(ib_knob_by_path(k->path), k);
		assert_true(k->min <= k->max);
		assert_true(k->n >= 1 && k->n <= IB_KNOB_MAX_VALUES);
		/* max-reconciled knobs are single values */
		if (k->rule == IB_KNOB_MAX)
			assert_int_equal(k->n, 1);
		/* every knob is an emulated file: writable, flat name */
		const struct ib_emul_file *f = emul_of(k);
		_cleanup_free_ char *fname = ib_xasprintf("sysctl.%s", k->name);

		assert_non_null(f);
		assert_true(f->flags & IB_EMUL_SYSCTL);
		assert_non_null(f->write);
		assert_string_equal(f->name, fname);
		n++;
	}
	/* and no other entry is a knob */
	for (size_t i = 0; ib_emul_files[i].name; i++)
		if (ib_emul_files[i].flags & IB_EMUL_SYSCTL)
			n--;
	assert_int_equal(n, 0);
	assert_null(ib_knob_by_path("vm/swappiness"));
	assert_null(ib_knob_by_name("net.ipv4.ip_forward"));
	assert_null(ib_knob_by_name("kernel.hostname"));
}

static void test_rules(void **state)
{
	static const char *const local[] = {"vm.overcommit_memory", "vm.panic_on_oom",
					    "kernel.panic",	    "kernel.panic_on_oops",
					    "kernel.printk",	    "kernel.keys.root_maxkeys",
					    "kernel.keys.maxbytes", "fs.protected_regular"};
	static const char *const max[] = {"fs.inotify.max_user_watches",
					  "fs.inotify.max_user_instances",
					  "fs.file-max",
					  "fs.nr_open",
					  "kernel.pid_max",
					  "net.netfilter.nf_conntrack_max"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(local); i++) {
		assert_non_null(ib_knob_by_name(local[i]));
		assert_int_equal(ib_knob_by_name(local[i])->rule, IB_KNOB_LOCAL);
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(max); i++) {
		assert_non_null(ib_knob_by_name(max[i]));
		assert_int_equal(ib_knob_by_name(max[i])->rule, IB_KNOB_MAX);
	}
}

static void test_kernel_namespaces(void **state)
{
	const struct ib_knob *pid = ib_knob_by_name("kernel.pid_max");
	const struct ib_knob *om = ib_knob_by_name("vm.overcommit_memory");

	(void)state;
	assert_false(ib_knob_kernel_namespaces(pid, "6.13.2"));
	assert_false(ib_knob_kernel_namespaces(pid, "5.19.0-1-amd64"));
	assert_true(ib_knob_kernel_namespaces(pid, "6.14.0"));
	assert_true(ib_knob_kernel_namespaces(pid, "6.18.44-fc-v857"));
	assert_true(ib_knob_kernel_namespaces(pid, "7.0"));
	assert_false(ib_knob_kernel_namespaces(pid, "garbage"));
	assert_false(ib_knob_kernel_namespaces(om, "9.9"));
}

static long parse(const char *name, const char *text, struct ib_knob_value *v)
{
	ib_err e = {0};

	return ib_knob_parse(ib_knob_by_name(name), text, strlen(text), v, &e);
}

static void test_parse(void **state)
{
	struct ib_knob_value v = {{0}};

	(void)state;
	/* accepted like the kernel: blanks around, base 0 */
	assert_int_equal(parse("vm.overcommit_memory", "1\n", &v), 2);
	assert_int_equal(v.v[0], 1);
	assert_int_equal(parse("vm.overcommit_memory", "  2 \n", &v), 5);
	assert_int_equal(v.v[0], 2);
	assert_int_equal(parse("vm.overcommit_memory", "0x1", &v), 3);
	assert_int_equal(v.v[0], 1);
	assert_int_equal(parse("kernel.panic", "-10\n", &v), 4);
	assert_int_equal(v.v[0], -10);
	assert_int_equal(parse("kernel.panic", "2147483647", &v), 10);
	assert_int_equal(parse("kernel.panic", "-2147483648", &v), 11);
	assert_int_equal(v.v[0], -2147483648LL);
	assert_int_equal(parse("fs.file-max", "9223372036854775807\n", &v), 20);
	assert_int_equal(v.v[0], INT64_MAX);

	/* refused: EINVAL, value unchanged */
	v.v[0] = 42;
	assert_int_equal(parse("vm.overcommit_memory", "3\n", &v), -1);
	assert_int_equal(parse("vm.overcommit_memory", "-1\n", &v), -1);
	assert_int_equal(parse("vm.overcommit_memory", "garbage\n", &v), -1);
	assert_int_equal(parse("vm.overcommit_memory", "1x\n", &v), -1);
	assert_int_equal(parse("vm.overcommit_memory", "\n", &v), -1);
	assert_int_equal(parse("vm.overcommit_memory", "", &v), -1);
	assert_int_equal(parse("kernel.panic", "2147483648", &v), -1);
	assert_int_equal(parse("kernel.panic", "-2147483649", &v), -1);
	assert_int_equal(parse("kernel.panic", "99999999999999999999999", &v), -1);
	assert_int_equal(parse("fs.file-max", "-1", &v), -1);
	assert_int_equal(parse("fs.nr_open", "63", &v), -1);
	assert_int_equal(parse("kernel.keys.root_maxkeys", "0", &v), -1);
	assert_int_equal(parse("kernel.pid_max", "4194305", &v), -1);
	assert_int_equal(v.v[0], 42);
	{
		ib_err e = {0};
		assert_int_equal(ib_knob_parse(ib_knob_by_name("vm.panic_on_oom"), "3", 1, &v, &e),
				 -1);
		assert_int_equal(e.code, EINVAL);
	}

	/* a longer scalar write: the rest is left (a short write, as the
	 * kernel does; the caller's next write at offset > 0 is ignored) */
	assert_int_equal(parse("vm.overcommit_memory", "1 2\n", &v), 2);
	assert_int_equal(v.v[0], 1);
}

static void test_vector(void **state)
{
	const struct ib_knob *k = ib_knob_by_name("kernel.printk");
	struct ib_knob_value v = {{4, 4, 1, 7}};
	_cleanup_free_ char *a = NULL, *b = NULL;

	(void)state;
	a = ib_knob_format(k, &v);
	assert_string_equal(a, "4\t4\t1\t7\n");
	/* fewer values set only the first ones */
	assert_int_equal(parse("kernel.printk", "3\n", &v), 2);
	assert_int_equal(v.v[0], 3);
	assert_int_equal(v.v[1], 4);
	assert_int_equal(parse("kernel.printk", "1\t2 3 4\n", &v), 8);
	b = ib_knob_format(k, &v);
	assert_string_equal(b, "1\t2\t3\t4\n");
	assert_int_equal(parse("kernel.printk", "1 2 x 4\n", &v), -1);
	assert_int_equal(v.v[2], 3);
	{
		_cleanup_free_ char *c =
		    ib_knob_format(ib_knob_by_name("fs.file-max"), &(struct ib_knob_value){{77}});
		assert_string_equal(c, "77\n");
	}
}

static void test_target(void **state)
{
	int64_t vals[] = {5, 900, 20};

	(void)state;
	assert_int_equal(ib_sysctl_target(100, NULL, 0), 100);
	assert_int_equal(ib_sysctl_target(100, vals, 3), 900);
	assert_int_equal(ib_sysctl_target(1000, vals, 3), 1000);
	assert_int_equal(ib_sysctl_target(100, vals, 1), 100);
}

/* The admin's ceiling: a value may raise the host up to max(ceiling, the
 * host's original); above the ceiling it is recorded as the ceiling. */
static void test_ceiling_pure(void **state)
{
	(void)state;
	assert_true(ib_sysctl_within_ceiling(100, 1000, 50));
	assert_true(ib_sysctl_within_ceiling(1000, 1000, 50));
	assert_false(ib_sysctl_within_ceiling(1001, 1000, 50));
	assert_false(ib_sysctl_within_ceiling(INT64_MAX, 1000, 50));
	/* raises nothing: the host's own value is at least as high */
	assert_true(ib_sysctl_within_ceiling(5000, 1000, 5000));
	assert_false(ib_sysctl_within_ceiling(5001, 1000, 5000));
	assert_true(ib_sysctl_within_ceiling(INT64_MAX, 1000, INT64_MAX));
	/* a ceiling of 0: never above the host's own */
	assert_false(ib_sysctl_within_ceiling(1, 0, 0));
	assert_true(ib_sysctl_within_ceiling(0, 0, 0));
	assert_int_equal(ib_sysctl_recorded(100, 1000), 100);
	assert_int_equal(ib_sysctl_recorded(1000, 1000), 1000);
	assert_int_equal(ib_sysctl_recorded(5000, 1000), 1000);
}

/* ---- the host table, on a fake /proc/sys ---- */

struct fixture {
	char *dir, *table, *procsys;
};

/* Once dead_now is set, holders whose name contains "dead" are gone. */
static bool dead_now;

static bool alive_unless_dead(const char *holder, pid_t pid, unsigned long long start)
{
	(void)pid;
	(void)start;
	return !dead_now || strstr(holder, "dead") == NULL;
}

static void put(const struct fixture *f, const char *path, const char *text)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/%s", f->procsys, path);
	_cleanup_free_ char *d = ib_xstrdup(p);
	ib_err e = {0};

	*strrchr(d, '/') = '\0';
	assert_int_equal(ib_mkdir_p(d, 0755, &e), 0);
	assert_int_equal(ib_write_file_atomic(p, text, strlen(text), 0644, &e), 0);
}

static long long get(const struct fixture *f, const char *path)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/%s", f->procsys, path);
	_cleanup_free_ char *text = NULL;
	ib_err e = {0};

	assert_int_equal(ib_read_file_at(AT_FDCWD, p, &text, NULL, &e), 0);
	return strtoll(text, NULL, 10);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/ib-sysctl-XXXXXX";
	struct fixture *f = ib_xmalloc0(sizeof(*f));

	assert_non_null(mkdtemp(tmpl));
	f->dir = ib_xstrdup(tmpl);
	f->table = ib_xasprintf("%s/run", tmpl);
	f->procsys = ib_xasprintf("%s/sys", tmpl);
	ib_sysctl_set_paths(f->table, f->procsys);
	ib_sysctl_set_alive(alive_unless_dead);
	dead_now = false;
	put(f, "fs/inotify/max_user_watches", "8192\n");
	put(f, "fs/file-max", "1000\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = ib_xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	ib_sysctl_set_paths(NULL, NULL);
	ib_sysctl_set_alive(NULL);
	free(f->dir);
	free(f->table);
	free(f->procsys);
	free(f);
	return 0;
}

static bool table_exists(const struct fixture *f)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/sysctl.json", f->table);

	return access(p, F_OK) == 0;
}

#define W "fs/inotify/max_user_watches"
/* No admin ceiling (the knob's own range only). */
#define NOCAP INT64_MAX

static void set_ok(const char *name, const char *holder, int64_t v)
{
	ib_err e = {0};
	int r = ib_sysctl_host_set(ib_knob_by_name(name), holder, 1, 1, v, NOCAP, &e);

	if (r < 0)
		fail_msg("set %s=%lld: %s", name, (long long)v, e.msg);
}

static void release_ok(const char *holder)
{
	ib_err e = {0};

	if (ib_sysctl_host_release(holder, &e) < 0)
		fail_msg("release %s: %s", holder, e.msg);
}

/* Two containers: the host holds the max, back to its original after both. */
static void test_max_and_restore(void **state)
{
	struct fixture *f = *state;
	int64_t orig = 0;
	ib_err e = {0};

	set_ok("fs.inotify.max_user_watches", "/c1", 524288);
	assert_int_equal(get(f, W), 524288);
	set_ok("fs.inotify.max_user_watches", "/c2", 100000);
	assert_int_equal(get(f, W), 524288);
	assert_int_equal(
	    ib_sysctl_host_original(ib_knob_by_name("fs.inotify.max_user_watches"), &orig, &e), 1);
	assert_int_equal(orig, 8192);
	/* c1 lowers its value: the host follows, to the max of the others */
	set_ok("fs.inotify.max_user_watches", "/c1", 200000);
	assert_int_equal(get(f, W), 200000);
	release_ok("/c1");
	assert_int_equal(get(f, W), 100000);
	release_ok("/c2");
	assert_int_equal(get(f, W), 8192);
	assert_false(table_exists(f));
	{
		/* a writer killed before its rename left its temporary file */
		_cleanup_free_ char *tmp = ib_xasprintf("%s/sysctl.json.tmp.99999", f->table);
		ib_err e2 = {0};

		assert_int_equal(ib_write_file_atomic(tmp, "{", 1, 0600, &e2), 0);
		set_ok("fs.inotify.max_user_watches", "/c3", 9000);
		assert_int_equal(access(tmp, F_OK), -1);
		release_ok("/c3");
	}
	assert_int_equal(
	    ib_sysctl_host_original(ib_knob_by_name("fs.inotify.max_user_watches"), &orig, &e), 0);
	/* releasing again, or an unknown holder: nothing */
	release_ok("/c2");
	assert_int_equal(get(f, W), 8192);
}

static int set_capped(const char *name, const char *holder, int64_t v, int64_t ceiling, ib_err *e)
{
	return ib_sysctl_host_set(ib_knob_by_name(name), holder, 1, 1, v, ceiling, e);
}

/* The holder values the table records for knob name (in holder order). */
static size_t recorded(const struct fixture *f, const char *name, int64_t *out, size_t max)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/sysctl.json", f->table);
	_cleanup_free_ char *text = NULL;
	struct json_object *doc, *knobs, *hs, *v;
	ib_err e = {0};
	size_t n = 0;

	if (ib_read_file_at(AT_FDCWD, p, &text, NULL, &e) < 0)
		return 0;
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "knobs", &knobs));
	for (size_t i = 0; i < json_object_array_length(knobs); i++) {
		struct json_object *k = json_object_array_get_idx(knobs, i);

		assert_true(json_object_object_get_ex(k, "name", &v));
		if (strcmp(json_object_get_string(v), name) != 0)
			continue;
		assert_true(json_object_object_get_ex(k, "holders", &hs));
		for (size_t j = 0; j < json_object_array_length(hs) && n < max; j++) {
			assert_true(json_object_object_get_ex(json_object_array_get_idx(hs, j),
							      "value", &v));
			out[n++] = json_object_get_int64(v);
		}
	}
	json_object_put(doc);
	return n;
}

/* A container cannot raise the host above the admin's ceiling: refused with
 * EPERM, nothing recorded, the host as it was; up to it works; without the
 * ceiling (the negative control) the same write raises the host. */
static void test_ceiling(void **state)
{
	struct fixture *f = *state;
	const char *w = "fs.inotify.max_user_watches";
	int64_t vals[4];
	ib_err e = {0};

	/* above it, no table yet: refused, nothing left behind */
	assert_int_equal(set_capped(w, "/c1", 2000000, 1048576, &e), -1);
	assert_int_equal(e.code, EPERM);
	assert_non_null(strstr(e.msg, "above the admin policy's maximum 1048576"));
	assert_false(table_exists(f));
	assert_int_equal(get(f, W), 8192);
	/* under and at it: the host follows */
	assert_int_equal(set_capped(w, "/c1", 524288, 1048576, &e), 0);
	assert_int_equal(get(f, W), 524288);
	assert_int_equal(set_capped(w, "/c2", 1048576, 1048576, &e), 0);
	assert_int_equal(get(f, W), 1048576);
	/* a holder raising its value above it keeps its earlier value */
	e = (ib_err){0};
	assert_int_equal(set_capped(w, "/c1", 1048577, 1048576, &e), -1);
	assert_int_equal(e.code, EPERM);
	assert_int_equal(recorded(f, w, vals, 4), 2);
	assert_int_equal(vals[0], 524288);
	assert_int_equal(vals[1], 1048576);
	release_ok("/c2");
	assert_int_equal(get(f, W), 524288);
	/* a new holder above it: not recorded, the host unchanged */
	assert_int_equal(set_capped(w, "/c3", INT64_MAX, 1048576, &e), -1);
	assert_int_equal(recorded(f, w, vals, 4), 1);
	assert_int_equal(get(f, W), 524288);
	/* negative control: without the ceiling the same write goes through */
	assert_int_equal(set_capped(w, "/c3", 2000000, NOCAP, &e), 0);
	assert_int_equal(get(f, W), 2000000);
	release_ok("/c3");
	release_ok("/c1");
	assert_int_equal(get(f, W), 8192);
	assert_false(table_exists(f));
}

/* A value the host has already is not refused (it raises nothing), and is
 * recorded as the ceiling: should the admin lower the host later, it
 * holds the host no higher than the ceiling. The host's original is the
 * admin's current value (a change since the last reconcile counts). */
static void test_ceiling_host_higher(void **state)
{
	struct fixture *f = *state;
	const char *fm = "fs.file-max";
	int64_t vals[4];
	ib_err e = {0};

	put(f, "fs/file-max", "9000000\n");
	assert_int_equal(set_capped(fm, "/c1", 9000000, 4194304, &e), 0);
	assert_int_equal(get(f, "fs/file-max"), 9000000);
	assert_int_equal(recorded(f, fm, vals, 4), 1);
	assert_int_equal(vals[0], 4194304);
	/* above the host's own: refused */
	assert_int_equal(set_capped(fm, "/c2", 9000001, 4194304, &e), -1);
	assert_int_equal(e.code, EPERM);
	assert_int_equal(get(f, "fs/file-max"), 9000000);
	/* the admin lowers the host: c1 holds it at the ceiling, not 9000000 */
	put(f, "fs/file-max", "1000\n");
	assert_int_equal(set_capped(fm, "/c2", 2000, 4194304, &e), 0);
	assert_int_equal(get(f, "fs/file-max"), 4194304);
	/* the admin raises it above the ceiling: that much is allowed now */
	put(f, "fs/file-max", "20000000\n");
	assert_int_equal(set_capped(fm, "/c2", 20000000, 4194304, &e), 0);
	assert_int_equal(get(f, "fs/file-max"), 20000000);
	assert_int_equal(set_capped(fm, "/c2", 20000001, 4194304, &e), -1);
	assert_int_equal(e.code, EPERM);
	release_ok("/c1");
	release_ok("/c2");
	assert_int_equal(get(f, "fs/file-max"), 20000000);
	assert_false(table_exists(f));
}

/* A value below the host's never lowers it. */
static void test_below_original(void **state)
{
	struct fixture *f = *state;

	set_ok("fs.inotify.max_user_watches", "/c1", 100);
	assert_int_equal(get(f, W), 8192);
	release_ok("/c1");
	assert_int_equal(get(f, W), 8192);
}

/* A holder that died without releasing (supervisor killed, state dir
 * gone) is dropped at the next operation on the table. */
static void test_dead_holder_dropped(void **state)
{
	struct fixture *f = *state;

	set_ok("fs.inotify.max_user_watches", "/dead-c1", 900000);
	set_ok("fs.file-max", "/dead-c1", 5000);
	assert_int_equal(get(f, W), 900000);
	assert_int_equal(get(f, "fs/file-max"), 5000);
	dead_now = true;
	/* any other container's operation reconciles every knob */
	set_ok("fs.inotify.max_user_watches", "/c2", 10000);
	assert_int_equal(get(f, W), 10000);
	assert_int_equal(get(f, "fs/file-max"), 1000);
	release_ok("/c2");
	assert_int_equal(get(f, W), 8192);
	assert_false(table_exists(f));
}

/* The admin changes the knob while containers hold it: that becomes the
 * original, which the host returns to. */
static void test_admin_change(void **state)
{
	struct fixture *f = *state;

	set_ok("fs.inotify.max_user_watches", "/c1", 50000);
	assert_int_equal(get(f, W), 50000);
	put(f, W, "70000\n");
	set_ok("fs.inotify.max_user_watches", "/c2", 60000);
	assert_int_equal(get(f, W), 70000);
	release_ok("/c1");
	release_ok("/c2");
	assert_int_equal(get(f, W), 70000);
}

/* What the kernel refuses is not kept, and the host is left as it was. */
static void test_kernel_refuses(void **state)
{
	struct fixture *f = *state;
	const struct ib_knob *k = ib_knob_by_name("fs.nr_open");
	_cleanup_free_ char *p = ib_xasprintf("%s/fs/nr_open", f->procsys);
	_cleanup_free_ char *w = ib_xasprintf("%s/" W, f->procsys);
	ib_err e = {0};
	pid_t pid;
	int st;

	/* a knob the host lacks (or cannot be read) */
	assert_int_equal(ib_sysctl_host_set(k, "/c1", 1, 1, 4096, NOCAP, &e), -1);
	assert_false(table_exists(f));
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(ib_sysctl_host_set(k, "/c1", 1, 1, 4096, NOCAP, &e), -1);
	assert_false(table_exists(f));
	/* out of the knob's range: refused before anything */
	assert_int_equal(ib_sysctl_host_set(ib_knob_by_name("fs.inotify.max_user_watches"), "/c1",
					    1, 1, -5, NOCAP, &e),
			 -1);
	assert_int_equal(e.code, EINVAL);
	/* a container-local knob never reaches the host table */
	assert_int_equal(
	    ib_sysctl_host_set(ib_knob_by_name("vm.overcommit_memory"), "/c1", 1, 1, 1, NOCAP, &e),
	    -1);
	assert_false(table_exists(f));
	assert_int_equal(get(f, W), 8192);

	/* The kernel refuses a write (here: a read-only bind over the knob in
	 * a private mount namespace): the new value is not kept, the holder's
	 * earlier one is. */
	set_ok("fs.inotify.max_user_watches", "/c1", 20000);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(3); /* no mount namespace here: skip */
		if (mount(w, w, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, w, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			_exit(3);
		if (ib_sysctl_host_set(ib_knob_by_name("fs.inotify.max_user_watches"), "/c1", 1, 1,
				       900000, NOCAP, &e) != -1)
			_exit(1);
		if (ib_sysctl_host_set(ib_knob_by_name("fs.inotify.max_user_watches"), "/c9", 1, 1,
				       900000, NOCAP, &e) != -1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 3)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(get(f, W), 20000);
	/* c9 was never recorded: once c1 goes, the host is back */
	release_ok("/c1");
	assert_int_equal(get(f, W), 8192);
	assert_false(table_exists(f));
}

/* A process killed between saving the table and writing the kernel (the
 * supervisor SIGKILLed by delete while it releases): the kernel is left at
 * the value before, which is not taken for the admin's. */
static void test_killed_midway(void **state)
{
	struct fixture *f = *state;
	static const char table[] =
	    "{\"version\": 1, \"knobs\": [{\"name\": \"fs.inotify.max_user_watches\", "
	    "\"original\": 8192, \"applied\": 30000, \"prev\": 50000, \"holders\": "
	    "[{\"id\": \"/c1\", \"pid\": 1, \"start\": 1, \"value\": 30000}]}]}";
	_cleanup_free_ char *p = ib_xasprintf("%s/sysctl.json", f->table);
	ib_err e = {0};

	/* c2 (50000) was being released: table saved, kernel not yet written */
	assert_int_equal(ib_mkdir_p(f->table, 0700, &e), 0);
	assert_int_equal(ib_write_file_atomic(p, table, strlen(table), 0600, &e), 0);
	put(f, W, "50000\n");
	release_ok("/c2");
	assert_int_equal(get(f, W), 30000);
	release_ok("/c1");
	assert_int_equal(get(f, W), 8192);
	assert_false(table_exists(f));

	/* the same, killed after the kernel write */
	assert_int_equal(ib_write_file_atomic(p, table, strlen(table), 0600, &e), 0);
	put(f, W, "30000\n");
	release_ok("/c2");
	assert_int_equal(get(f, W), 30000);
	release_ok("/c1");
	assert_int_equal(get(f, W), 8192);
}

/* A table that cannot be parsed: every operation fails, nothing changes. */
static void test_corrupted(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "{",
	    "[]",
	    "{\"version\": 2, \"knobs\": []}",
	    "{\"version\": 1, \"knobs\": [{\"name\": \"vm.overcommit_memory\", \"original\": 0, "
	    "\"applied\": 0, \"prev\": 0, \"holders\": []}]}",
	    "{\"version\": 1, \"knobs\": [{\"name\": \"fs.file-max\", \"original\": 0, "
	    "\"applied\": 0, \"prev\": 0, \"holders\": [{\"id\": \"/c\", \"pid\": 1, "
	    "\"start\": 1, \"value\": -3}]}]}",
	    "{\"version\": 1, \"knobs\": [{\"name\": \"no.such\", \"original\": 0, "
	    "\"applied\": 0, \"prev\": 0, \"holders\": []}]}",
	    "{\"version\": 1, \"knobs\": [{\"name\": \"fs.file-max\", \"original\": 0, "
	    "\"applied\": 0, \"holders\": []}]}",
	};
	_cleanup_free_ char *p = ib_xasprintf("%s/sysctl.json", f->table);
	ib_err e = {0};
	int64_t v;

	assert_int_equal(ib_mkdir_p(f->table, 0700, &e), 0);
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		assert_int_equal(ib_write_file_atomic(p, bad[i], strlen(bad[i]), 0600, &e), 0);
		assert_int_equal(ib_sysctl_host_set(ib_knob_by_name("fs.inotify.max_user_watches"),
						    "/c1", 1, 1, 900000, NOCAP, &e),
				 -1);
		assert_int_equal(e.code, EUCLEAN);
		assert_int_equal(ib_sysctl_host_release("/c1", &e), -1);
		assert_int_equal(ib_sysctl_host_original(ib_knob_by_name("fs.file-max"), &v, &e),
				 -1);
		assert_int_equal(get(f, W), 8192);
	}
}

/* Concurrent writers (processes) never lose each other's values. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	pid_t pids[8];

	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char holder[32];
			ib_err e = {0};

			snprintf(holder, sizeof(holder), "/c%d", i);
			for (int j = 0; j < 20; j++)
				if (ib_sysctl_host_set(
					ib_knob_by_name("fs.inotify.max_user_watches"), holder, 1,
					1, 10000 + i * 1000 + j, NOCAP, &e) < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(get(f, W), 10000 + 7 * 1000 + 19);
	for (int i = 7; i >= 0; i--) {
		char holder[32];

		snprintf(holder, sizeof(holder), "/c%d", i);
		release_ok(holder);
		assert_int_equal(get(f, W), i ? 10000 + (i - 1) * 1000 + 19 : 8192);
	}
}

static void test_holder_name(void **state)
{
	_cleanup_free_ char *a = ib_sysctl_holder("/tmp", "c1");
	_cleanup_free_ char *b = ib_sysctl_holder("/nonexistent-dir/x", "c1");

	(void)state;
	assert_string_equal(a, "/tmp/c1");
	assert_string_equal(b, "/nonexistent-dir/x/c1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_consistent),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_kernel_namespaces),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_target),
	    cmocka_unit_test(test_holder_name),
	    cmocka_unit_test_setup_teardown(test_max_and_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_below_original, setup, teardown),
	    cmocka_unit_test(test_ceiling_pure),
	    cmocka_unit_test_setup_teardown(test_ceiling, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ceiling_host_higher, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dead_holder_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_midway, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
