/* Unit tests: translating ID options between the container's and the host's
 * user namespace (supervisor/idopts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "supervisor/idopts.h"

/* The first container of DESIGN.md: 0 100000 65536 for users and groups. */
static const struct ib_idmap ctr[] = {{0, 100000, 65536}};
static const struct ib_idopts_maps maps = {.uid = ctr, .n_uid = 1, .gid = ctr, .n_gid = 1};

static void test_key_kinds(void **state)
{
	(void)state;
	assert_int_equal(ib_idopts_key_kind("tmpfs", "uid"), IB_IDOPT_UID);
	assert_int_equal(ib_idopts_key_kind("tmpfs", "gid"), IB_IDOPT_GID);
	assert_int_equal(ib_idopts_key_kind("tmpfs", "mode"), IB_IDOPT_NONE);
	assert_int_equal(ib_idopts_key_kind("devpts", "gid"), IB_IDOPT_GID);
	assert_int_equal(ib_idopts_key_kind("proc", "gid"), IB_IDOPT_GID);
	assert_int_equal(ib_idopts_key_kind("proc", "uid"), IB_IDOPT_NONE);
	assert_int_equal(ib_idopts_key_kind("ext4", "resuid"), IB_IDOPT_UID);
	assert_int_equal(ib_idopts_key_kind("cifs", "cruid"), IB_IDOPT_UID);
	/* fuse parses and prints its IDs in its own user namespace */
	assert_int_equal(ib_idopts_key_kind("fuse", "user_id"), IB_IDOPT_NONE);
	assert_int_equal(ib_idopts_key_kind("fuse.sshfs", "uid"), IB_IDOPT_NONE);
	assert_int_equal(ib_idopts_key_kind("overlay", "uid"), IB_IDOPT_NONE);
	/* unknown context type: the usual keys */
	assert_int_equal(ib_idopts_key_kind(NULL, "uid"), IB_IDOPT_UID);
	assert_int_equal(ib_idopts_key_kind(NULL, "gid"), IB_IDOPT_GID);
	assert_int_equal(ib_idopts_key_kind(NULL, "size"), IB_IDOPT_NONE);
	assert_int_equal(ib_idopts_key_kind("tmpfs", NULL), IB_IDOPT_NONE);
}

static void test_map_id(void **state)
{
	uint32_t out;

	(void)state;
	/* to the container: host IDs of the range are mapped, container IDs kept */
	assert_true(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_CONTAINER, 100000, &out));
	assert_int_equal(out, 0);
	assert_true(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_CONTAINER, 165535, &out));
	assert_int_equal(out, 65535);
	assert_true(ib_idopts_map_id(&maps, IB_IDOPT_GID, IB_IDOPTS_TO_CONTAINER, 1000, &out));
	assert_int_equal(out, 1000);
	/* outside both sides: unchanged, reported */
	assert_false(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_CONTAINER, 165536, &out));
	assert_int_equal(out, 165536);
	assert_false(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_CONTAINER, 70000, &out));
	/* to the host: the other way round */
	assert_true(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_HOST, 0, &out));
	assert_int_equal(out, 100000);
	assert_true(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_HOST, 100005, &out));
	assert_int_equal(out, 100005);
	assert_false(ib_idopts_map_id(&maps, IB_IDOPT_UID, IB_IDOPTS_TO_HOST, 99999, &out));
	assert_false(ib_idopts_map_id(&maps, IB_IDOPT_NONE, IB_IDOPTS_TO_HOST, 0, &out));
}

static void test_map_id_several_ranges(void **state)
{
	/* 0 -> 200000 (1000 IDs), 1000 -> 500000 (1000 IDs) */
	static const struct ib_idmap two[] = {{0, 200000, 1000}, {1000, 500000, 1000}};
	struct ib_idopts_maps m = {.uid = two, .n_uid = 2, .gid = two, .n_gid = 2};
	uint32_t out;

	(void)state;
	assert_true(ib_idopts_map_id(&m, IB_IDOPT_UID, IB_IDOPTS_TO_CONTAINER, 500001, &out));
	assert_int_equal(out, 1001);
	assert_true(ib_idopts_map_id(&m, IB_IDOPT_UID, IB_IDOPTS_TO_HOST, 1999, &out));
	assert_int_equal(out, 500999);
	assert_false(ib_idopts_map_id(&m, IB_IDOPT_UID, IB_IDOPTS_TO_HOST, 2000, &out));
}

static void test_translate_string(void **state)
{
	char *s;

	(void)state;
	/* what busybox and util-linux copy from /proc/mounts on remount */
	s = ib_idopts_translate("tmpfs", "uid=100000,gid=100000", &maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "uid=0,gid=0");
	free(s);
	s = ib_idopts_translate("tmpfs", "rw,size=65536k,mode=755,uid=100000,gid=100005,inode64",
				&maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "rw,size=65536k,mode=755,uid=0,gid=5,inode64");
	free(s);
	s = ib_idopts_translate("devpts", "newinstance,gid=100005,mode=620,ptmxmode=666", &maps,
				IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "newinstance,gid=5,mode=620,ptmxmode=666");
	free(s);
	s = ib_idopts_translate("proc", "hidepid=2,gid=100010", &maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "hidepid=2,gid=10");
	free(s);
	/* the user's own container IDs, performed from the host's namespace */
	s = ib_idopts_translate("tmpfs", "mode=1777,uid=0,gid=1000", &maps, IB_IDOPTS_TO_HOST);
	assert_string_equal(s, "mode=1777,uid=100000,gid=101000");
	free(s);
	/* nothing to change: NULL (the caller keeps its own buffer) */
	assert_null(ib_idopts_translate("tmpfs", "uid=0,gid=0", &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate("tmpfs", "size=1m", &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate("tmpfs", "", &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate("tmpfs", NULL, &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate("fuse", "fd=3,user_id=100000,group_id=0", &maps,
					IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate("overlay", "lowerdir=/a,uid=100000", &maps,
					IB_IDOPTS_TO_CONTAINER));
}

static void test_translate_garbage_untouched(void **state)
{
	char *s;

	(void)state;
	/* not numbers, overflow, empty, outside both sides, odd commas:
	 * left for the kernel to refuse, neighbours still translated */
	s = ib_idopts_translate("tmpfs", "uid=abc,gid=,uid=99999999999,,gid=100001,uid=-1,uid=7e5",
				&maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "uid=abc,gid=,uid=99999999999,,gid=1,uid=-1,uid=7e5");
	free(s);
	s = ib_idopts_translate("tmpfs", "uid=100000,", &maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(s, "uid=0,");
	free(s);
	assert_null(ib_idopts_translate("tmpfs", "uid=300000", &maps, IB_IDOPTS_TO_CONTAINER));
}

static void test_translate_value(void **state)
{
	char *v;

	(void)state;
	/* util-linux >= 2.39: one fsconfig(FSCONFIG_SET_STRING) per option */
	v = ib_idopts_translate_value("tmpfs", "uid", "100000", &maps, IB_IDOPTS_TO_CONTAINER);
	assert_string_equal(v, "0");
	free(v);
	v = ib_idopts_translate_value(NULL, "gid", "0", &maps, IB_IDOPTS_TO_HOST);
	assert_string_equal(v, "100000");
	free(v);
	assert_null(ib_idopts_translate_value("tmpfs", "uid", "100000", &maps, IB_IDOPTS_TO_HOST));
	assert_null(
	    ib_idopts_translate_value("tmpfs", "mode", "100000", &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate_value("tmpfs", "uid", NULL, &maps, IB_IDOPTS_TO_CONTAINER));
	assert_null(ib_idopts_translate_value("tmpfs", "uid", "x", &maps, IB_IDOPTS_TO_CONTAINER));
}

static void test_parse_map(void **state)
{
	struct ib_idmap *m = NULL;
	size_t n = 0;
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_idopts_parse_map("         0     100000      65536\n", &m, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].container_id, 0);
	assert_int_equal(m[0].host_id, 100000);
	assert_int_equal(m[0].size, 65536);
	free(m);
	assert_int_equal(ib_idopts_parse_map("0 0 4294967295\n", &m, &n, &err), 0);
	assert_int_equal(m[0].size, 4294967295u);
	free(m);
	assert_int_equal(ib_idopts_parse_map("0 100000\n", &m, &n, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_int_equal(ib_idopts_parse_map("0 1 2 3\n", &m, &n, &err), -1);
	assert_int_equal(ib_idopts_parse_map("0 1 0\n", &m, &n, &err), -1);
	assert_int_equal(ib_idopts_parse_map("", &m, &n, &err), 0);
	assert_int_equal(n, 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_kinds),
	    cmocka_unit_test(test_map_id),
	    cmocka_unit_test(test_map_id_several_ranges),
	    cmocka_unit_test(test_translate_string),
	    cmocka_unit_test(test_translate_garbage_untouched),
	    cmocka_unit_test(test_translate_value),
	    cmocka_unit_test(test_parse_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
