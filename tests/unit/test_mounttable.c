/* Unit tests: mountinfo parsing and the questions asked of a mount table
 * (supervisor/mounttable.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "supervisor/mounttable.h"
#include "vet_fixture.h"

static void test_parse_fixture(void **state)
{
	struct ib_mnttab t;
	ib_err err = {0};
	const struct ib_mnt *m;

	(void)state;
	assert_int_equal(ib_mnttab_parse(FX_CREATED, &t, &err), 0);
	assert_int_equal(t.n, 17);
	m = ib_mnttab_find(&t, 101);
	assert_non_null(m);
	assert_int_equal(m->parent_id, 65);
	assert_int_equal(m->major, 254);
	assert_int_equal(m->minor, 0);
	assert_string_equal(m->root, "/vol");
	assert_string_equal(m->mountpoint, "/mnt/ro");
	assert_true(m->flags & MS_RDONLY);
	assert_string_equal(m->fstype, "ext4");
	assert_string_equal(m->source, "/dev/vda");
	assert_string_equal(m->super_opts, "rw,discard");
	m = ib_mnttab_find(&t, 112);
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	assert_string_equal(m->fstype, "tmpfs");
	assert_string_equal(m->super_opts, "rw,size=65536k,uid=100000,gid=100000");
	m = ib_mnttab_find(&t, 102);
	assert_string_equal(m->fstype, "fuse.ironbox");
	assert_null(ib_mnttab_find(&t, 75));
	/* the root's parent is outside the table */
	assert_null(ib_mnttab_parent(&t, ib_mnttab_find(&t, 65)));
	assert_int_equal(ib_mnttab_parent(&t, ib_mnttab_find(&t, 103))->id, 109);
	ib_mnttab_free(&t);
	assert_int_equal(t.n, 0);
}

/* A copy (what the agent's kept table hands each call) is deep: it
 * outlives the original and holds every field. */
static void test_copy_is_deep(void **state)
{
	struct ib_mnttab t, c;
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_mnttab_parse(FX_CREATED, &t, &err), 0);
	ib_mnttab_copy(&t, &c);
	assert_int_equal(c.n, t.n);
	for (size_t i = 0; i < t.n; i++) {
		const struct ib_mnt *a = &t.m[i], *b = &c.m[i];

		assert_int_equal(a->id, b->id);
		assert_int_equal(a->parent_id, b->parent_id);
		assert_int_equal(a->major, b->major);
		assert_int_equal(a->minor, b->minor);
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->propagation, b->propagation);
		assert_ptr_not_equal(a->root, b->root);
		assert_ptr_not_equal(a->mountpoint, b->mountpoint);
		assert_ptr_not_equal(a->fstype, b->fstype);
		assert_string_equal(a->root, b->root);
		assert_string_equal(a->mountpoint, b->mountpoint);
		assert_string_equal(a->fstype, b->fstype);
		if (a->source)
			assert_string_equal(a->source, b->source);
		else
			assert_null(b->source);
		if (a->super_opts)
			assert_string_equal(a->super_opts, b->super_opts);
		else
			assert_null(b->super_opts);
	}
	ib_mnttab_free(&t);
	/* the copy stands alone (ASan/valgrind would see a use after free) */
	assert_string_equal(ib_mnttab_find(&c, 101)->mountpoint, "/mnt/ro");
	assert_string_equal(ib_mnttab_find(&c, 101)->super_opts, "rw,discard");
	ib_mnttab_free(&c);
	/* an empty table */
	ib_mnttab_copy(&t, &c);
	assert_int_equal(c.n, 0);
	ib_mnttab_free(&c);
}

static void test_parse_escapes_and_optional(void **state)
{
	struct ib_mnttab t;
	ib_err err = {0};
	const char *text = "1 1 0:1 / / rw - rootfs rootfs rw\n"
			   "20 1 8:1 /a\\040dir /mnt/with\\040space\\134x rw,nosuid shared:3 "
			   "master:1 - ext4 /dev/sda1 rw\n"
			   "21 1 0:5 / /u rw unbindable - tmpfs none rw\n"
			   /* a bound namespace file (dockerd's netns/ID) */
			   "22 1 0:4 net:[4026532561] /run/netns/x rw - nsfs nsfs rw\n";

	(void)state;
	assert_int_equal(ib_mnttab_parse(text, &t, &err), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.m[3].root, "net:[4026532561]");
	assert_string_equal(t.m[3].fstype, "nsfs");
	assert_string_equal(t.m[1].root, "/a dir");
	assert_string_equal(t.m[1].mountpoint, "/mnt/with space\\x");
	assert_int_equal(t.m[1].propagation, IB_MNT_SHARED | IB_MNT_SLAVE);
	assert_string_equal(t.m[1].fstype, "ext4");
	assert_int_equal(t.m[2].propagation, IB_MNT_UNBINDABLE);
	/* a mount that is its own parent (the namespace root) has none */
	assert_null(ib_mnttab_parent(&t, &t.m[0]));
	ib_mnttab_free(&t);
}

static void test_parse_rejects_garbage(void **state)
{
	static const char *const bad[] = {
	    "20 1 8:1 / /mnt rw ext4 /dev/sda1 rw\n",		/* no separator */
	    "20 1 8:1 / /mnt rw -\n",				/* nothing after it */
	    "x 1 8:1 / /mnt rw - ext4 /dev/sda1 rw\n",		/* bad id */
	    "20 1 81 / /mnt rw - ext4 /dev/sda1 rw\n",		/* bad device */
	    "20 1 8:1 rel /mnt rw - ext4 /dev/sda1 rw\n",	/* relative root */
	    "20 1 0:4 net:[1] /mnt rw - ext4 /dev/sda1 rw\n",	/* ... but on nsfs */
	    "20 1 8:1 / mnt rw - ext4 /dev/sda1 rw\n",		/* relative mount point */
	    "20 1 99999999999:1 / /m rw - ext4 /dev/sda1 rw\n", /* device out of range */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ib_mnttab t;
		ib_err err = {0};
		/* a good line first: the whole table is refused, nothing leaks */
		char *text = NULL;

		assert_true(asprintf(&text, "1 1 0:1 / / rw - rootfs rootfs rw\n%s", bad[i]) > 0);
		assert_int_equal(ib_mnttab_parse(text, &t, &err), -1);
		assert_int_equal(err.code, EINVAL);
		assert_int_equal(t.n, 0);
		assert_null(t.m);
		free(text);
	}
}

static void test_path_under(void **state)
{
	(void)state;
	assert_true(ib_path_under("/a/b", "/a"));
	assert_true(ib_path_under("/a", "/a"));
	assert_true(ib_path_under("/a/b", "/a/"));
	assert_true(ib_path_under("/anything", "/"));
	assert_false(ib_path_under("/ab", "/a"));
	assert_false(ib_path_under("/a", "/a/b"));
	assert_false(ib_path_under("relative", "/"));
}

static void test_fs_path_and_spot(void **state)
{
	struct ib_mnttab t;
	ib_err err = {0};
	char *p = NULL;
	unsigned maj = 0, min = 0;

	(void)state;
	assert_int_equal(ib_mnttab_parse(FX_CREATED, &t, &err), 0);
	/* inside the rootfs mount, whose root is a sub-directory of its fs */
	p = ib_mnt_fs_path(ib_mnttab_find(&t, 65), "/root/tmpfs");
	assert_string_equal(p, "/b/rootfs/root/tmpfs");
	free(p);
	p = ib_mnt_fs_path(ib_mnttab_find(&t, 65), "/");
	assert_string_equal(p, "/b/rootfs");
	free(p);
	p = ib_mnt_fs_path(ib_mnttab_find(&t, 129), "/proc/sys/kernel");
	assert_string_equal(p, "/sys/kernel");
	free(p);
	p = ib_mnt_fs_path(ib_mnttab_find(&t, 109), "/proc");
	assert_string_equal(p, "/");
	free(p);
	assert_null(ib_mnt_fs_path(ib_mnttab_find(&t, 109), "/procx"));
	/* where the mounts sit */
	assert_true(ib_mnttab_spot(&t, ib_mnttab_find(&t, 103), &maj, &min, &p));
	assert_int_equal(maj, 0);
	assert_int_equal(min, 43);
	assert_string_equal(p, "/meminfo");
	free(p);
	assert_true(ib_mnttab_spot(&t, ib_mnttab_find(&t, 101), &maj, &min, &p));
	assert_int_equal(maj, 254);
	assert_string_equal(p, "/b/rootfs/mnt/ro");
	free(p);
	assert_true(ib_mnttab_spot(&t, ib_mnttab_find(&t, 116), &maj, &min, &p));
	assert_int_equal(min, 48);
	assert_string_equal(p, "/cpu");
	free(p);
	assert_false(ib_mnttab_spot(&t, ib_mnttab_find(&t, 65), &maj, &min, &p));
	/* ancestry */
	assert_true(ib_mnttab_is_ancestor(&t, ib_mnttab_find(&t, 114), ib_mnttab_find(&t, 116)));
	assert_true(ib_mnttab_is_ancestor(&t, ib_mnttab_find(&t, 65), ib_mnttab_find(&t, 116)));
	assert_false(ib_mnttab_is_ancestor(&t, ib_mnttab_find(&t, 109), ib_mnttab_find(&t, 116)));
	ib_mnttab_free(&t);
}

static void test_parent_cycle_terminates(void **state)
{
	struct ib_mnttab t;
	ib_err err = {0};
	/* hostile or torn input: 2 and 3 are each other's parent */
	const char *text = "2 3 0:1 / /a rw - tmpfs t rw\n3 2 0:2 / /a/b rw - tmpfs t rw\n"
			   "4 9 0:3 / /c rw - tmpfs t rw\n";

	(void)state;
	assert_int_equal(ib_mnttab_parse(text, &t, &err), 0);
	assert_false(ib_mnttab_is_ancestor(&t, &t.m[2], &t.m[0]));
	ib_mnttab_free(&t);
}

static void test_flag_words(void **state)
{
	(void)state;
	assert_int_equal(ib_mnt_flag_word("ro"), MS_RDONLY);
	assert_int_equal(ib_mnt_flag_word("noexec"), MS_NOEXEC);
	assert_int_equal(ib_mnt_flag_word("rw"), 0);
	assert_int_equal(ib_mnt_flag_word("idmapped"), 0);
}

static void assert_same_mnt(const struct ib_mnt *a, const struct ib_mnt *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->parent_id, b->parent_id);
	assert_int_equal(a->major, b->major);
	assert_int_equal(a->minor, b->minor);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->propagation, b->propagation);
	assert_string_equal(a->root, b->root);
	assert_string_equal(a->mountpoint, b->mountpoint);
	assert_string_equal(a->fstype, b->fstype);
	assert_string_equal(a->source, b->source);
	assert_string_equal(a->super_opts, b->super_opts);
}

/* What statmount(2) says of a mount becomes the very entry the parser
 * makes of mountinfo's line for it (the kept table mixes both): flags,
 * atime words, propagation, subtype, missing source, superblock flags,
 * escaped options, names with spaces (raw in statmount). */
static void test_from_stat_matches_mountinfo(void **state)
{
	static const struct {
		struct ib_mnt_stat s;
		const char *line;
	} cases[] = {
	    {{.id = 300,
	      .parent_id = 65,
	      .major = 0,
	      .minor = 77,
	      .attr = 0,
	      .propagation = 1 << 18,
	      .root = "/",
	      .mountpoint = "/tmp/t",
	      .fstype = "tmpfs",
	      .source = "tmpfs",
	      .opts = "uid=100000,gid=100000",
	      .sb_flags = 0},
	     "300 65 0:77 / /tmp/t rw,relatime - tmpfs tmpfs rw,uid=100000,gid=100000"},
	    {{.id = 301,
	      .parent_id = 300,
	      .major = 0,
	      .minor = 78,
	      .attr = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x80,
	      .propagation = (1 << 20) | (1 << 19),
	      .root = "/a dir",
	      .mountpoint = "/tmp/t/with space",
	      .fstype = "fuse",
	      .subtype = "sshfs",
	      .source = NULL,
	      .opts = "",
	      .sb_flags = 0x1 | 0x10 | 0x80},
	     "301 300 0:78 /a\\040dir /tmp/t/with\\040space ro,nosuid,nodev,noexec,noatime,"
	     "nodiratime shared:4 master:2 - fuse.sshfs none ro,sync,dirsync"},
	    {{.id = 302,
	      .parent_id = 300,
	      .major = 8,
	      .minor = 1,
	      .attr = 0x20,
	      .propagation = 1 << 17,
	      .root = "/",
	      .mountpoint = "/x",
	      .fstype = "ext4",
	      .source = "/dev/sda1",
	      .opts = "a\\054b",
	      .sb_flags = 1u << 25},
	     "302 300 8:1 / /x rw unbindable - ext4 /dev/sda1 rw,lazytime,a\\054b"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ib_mnttab t;
		struct ib_mnt m;
		ib_err err = {0};

		assert_int_equal(ib_mnttab_parse(cases[i].line, &t, &err), 0);
		assert_int_equal(t.n, 1);
		ib_mnt_from_stat(&cases[i].s, &m);
		assert_same_mnt(&m, &t.m[0]);
		ib_mnt_free(&m);
		ib_mnttab_free(&t);
	}
}

/* Entries added and removed one by one (the kept table between reads). */
static void test_add_remove(void **state)
{
	struct ib_mnttab t, ref;
	struct ib_mnt_stat s = {.id = 500,
				.parent_id = 101,
				.major = 0,
				.minor = 90,
				.root = "/",
				.mountpoint = "/mnt/ro/sub",
				.fstype = "tmpfs",
				.source = "tmpfs",
				.opts = ""};
	struct ib_mnt m;
	ib_err err = {0};
	size_t n;

	(void)state;
	assert_int_equal(ib_mnttab_parse(FX_CREATED, &t, &err), 0);
	assert_int_equal(ib_mnttab_parse(FX_CREATED, &ref, &err), 0);
	n = t.n;
	for (int round = 0; round < 100; round++) {
		ib_mnt_from_stat(&s, &m);
		ib_mnttab_add(&t, &m);
		ib_mnt_free(&m);
		assert_int_equal(t.n, n + 1);
		assert_string_equal(ib_mnttab_find(&t, 500)->mountpoint, "/mnt/ro/sub");
		assert_int_equal(ib_mnttab_parent(&t, ib_mnttab_find(&t, 500))->id, 101);
		assert_true(ib_mnttab_remove(&t, 500));
		assert_false(ib_mnttab_remove(&t, 500));
		assert_null(ib_mnttab_find(&t, 500));
	}
	/* what is left is the table as read, in its order */
	assert_int_equal(t.n, ref.n);
	for (size_t i = 0; i < t.n; i++)
		assert_same_mnt(&t.m[i], &ref.m[i]);
	/* removing from the middle keeps the others */
	assert_true(ib_mnttab_remove(&t, 101));
	assert_int_equal(t.n, ref.n - 1);
	assert_null(ib_mnttab_find(&t, 101));
	assert_non_null(ib_mnttab_find(&t, 102));
	ib_mnttab_free(&t);
	ib_mnttab_free(&ref);
}

/* The comparison of the kernel's mount lists before and after a call:
 * exactly what was added and removed, whatever the order; duplicates and
 * changes beyond the room given still count. */
static void test_ids_delta(void **state)
{
	uint64_t added[2], removed[2];
	size_t na, nr;

	(void)state;
	{
		uint64_t b[] = {5, 1, 3}, a[] = {3, 9, 1, 5};
		assert_int_equal(ib_mnt_ids_delta(b, 3, a, 4, added, &na, removed, &nr, 2), 1);
		assert_int_equal(na, 1);
		assert_int_equal(added[0], 9);
		assert_int_equal(nr, 0);
	}
	{
		uint64_t b[] = {5, 1, 3}, a[] = {5, 1};
		assert_int_equal(ib_mnt_ids_delta(b, 3, a, 2, added, &na, removed, &nr, 2), 1);
		assert_int_equal(nr, 1);
		assert_int_equal(removed[0], 3);
		assert_int_equal(na, 0);
	}
	{
		/* one removed and one added: same count, two differences */
		uint64_t b[] = {1, 2, 3}, a[] = {1, 2, 4};
		assert_int_equal(ib_mnt_ids_delta(b, 3, a, 3, added, &na, removed, &nr, 2), 2);
	}
	{
		uint64_t b[] = {1, 2}, a[] = {1, 2};
		assert_int_equal(ib_mnt_ids_delta(b, 2, a, 2, added, &na, removed, &nr, 2), 0);
	}
	{
		uint64_t b[] = {1, 2}, a[] = {1, 2, 2};
		assert_int_equal(ib_mnt_ids_delta(b, 2, a, 3, added, &na, removed, &nr, 2), 1);
	}
	{
		uint64_t b[] = {1}, a[] = {1, 2, 3, 4, 5};
		assert_int_equal(ib_mnt_ids_delta(b, 1, a, 5, added, &na, removed, &nr, 2), 4);
		assert_int_equal(na, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_fixture),
	    cmocka_unit_test(test_copy_is_deep),
	    cmocka_unit_test(test_parse_escapes_and_optional),
	    cmocka_unit_test(test_parse_rejects_garbage),
	    cmocka_unit_test(test_path_under),
	    cmocka_unit_test(test_fs_path_and_spot),
	    cmocka_unit_test(test_parent_cycle_terminates),
	    cmocka_unit_test(test_flag_words),
	    cmocka_unit_test(test_from_stat_matches_mountinfo),
	    cmocka_unit_test(test_add_remove),
	    cmocka_unit_test(test_ids_delta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
