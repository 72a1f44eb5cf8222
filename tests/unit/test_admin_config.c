/* Unit tests: merging ironbox's settings into engine configs and undoing
 * it (admin/toml_edit.h, admin/json_edit.h), and the policy's "enforce". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "admin/json_edit.h"
#include "admin/toml_edit.h"
#include "common/util.h"
#include "policy/policy.h"

/* Debian 12's /etc/containerd/config.toml. */
static const char debian_containerd[] = "version = 2\n"
					"\n"
					"[plugins]\n"
					"  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
					"    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
					"      bin_dir = \"/usr/lib/cni\"\n"
					"      conf_dir = \"/etc/cni/net.d\"\n"
					"  [plugins.\"io.containerd.internal.v1.opt\"]\n"
					"    path = \"/var/lib/containerd/opt\"\n";

static const char *const T_CTD[] = {"plugins", "io.containerd.grpc.v1.cri", "containerd", NULL};
static const char *const T_RT[] = {
    "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "ironbox", NULL};
static const char *const T_OPT[] = {
    "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "ironbox", "options", NULL};
static const char *const T_ENGINE[] = {"engine", NULL};
static const char *const T_RTS[] = {"engine", "runtimes", NULL};

static const struct ib_toml_set ctd_sets[] = {
    {.table = T_CTD, .key = "default_runtime_name", .value = "\"ironbox\""},
    {.table = T_RT, .key = "runtime_type", .value = "\"io.containerd.runc.v2\""},
    {.table = T_OPT, .key = "BinaryName", .value = "\"/usr/local/bin/ironbox\""},
};

static void test_toml_containerd_roundtrip(void **state)
{
	ib_err err = {0};
	_cleanup_free_ char *out = NULL, *again = NULL, *back = NULL, *v = NULL;

	(void)state;
	out = ib_toml_apply("config.toml", debian_containerd, ctd_sets, 3, &err);
	assert_non_null(out);
	/* The original text is untouched, a marked block is appended. */
	assert_memory_equal(out, debian_containerd, strlen(debian_containerd));
	assert_non_null(strstr(out, IB_TOML_BLOCK_BEGIN));
	assert_non_null(strstr(out, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes."
				    "ironbox.options]\nBinaryName = \"/usr/local/bin/ironbox\"\n"));
	v = ib_toml_get("x", out, T_OPT, "BinaryName", &err);
	assert_string_equal(v, "\"/usr/local/bin/ironbox\"");
	/* Idempotent. */
	again = ib_toml_apply("config.toml", out, ctd_sets, 3, &err);
	assert_non_null(again);
	assert_string_equal(again, out);
	/* Revert gives the original bytes back. */
	back = ib_toml_revert(out);
	assert_string_equal(back, debian_containerd);
	assert_int_equal(ib_toml_containerd_version("x", debian_containerd, &err), 2);
	assert_int_equal(ib_toml_containerd_version("x", "[plugins]\n", &err), 1);
}

static void test_toml_existing_table_and_key(void **state)
{
	static const char conf[] = "# Podman\n"
				   "[containers]\n"
				   "log_driver = \"k8s-file\"\n"
				   "\n"
				   "[engine]\n"
				   "  cgroup_manager = \"cgroupfs\"\n"
				   "  runtime = \"crun\"   # chosen by the admin\n"
				   "\n"
				   "[engine.runtimes]\n"
				   "crun = [\n"
				   "  \"/usr/bin/crun\",\n"
				   "]\n";
	struct ib_toml_set sets[] = {
	    {.table = T_RTS, .key = "ironbox", .value = "[\"/usr/local/bin/ironbox\"]"},
	    {.table = T_ENGINE, .key = "runtime", .value = "\"ironbox\""},
	};
	ib_err err = {0};
	_cleanup_free_ char *out = ib_toml_apply("containers.conf", conf, sets, 2, &err);
	_cleanup_free_ char *back = NULL, *v = NULL, *again = NULL;

	(void)state;
	assert_non_null(out);
	/* The admin's runtime line is disabled (not lost), ours follows it,
	 * with the same indentation. */
	assert_non_null(strstr(out, IB_TOML_DISABLED
			       "  runtime = \"crun\"   # chosen by the "
			       "admin\n  runtime = \"ironbox\" " IB_TOML_MANAGED "\n"));
	assert_non_null(
	    strstr(out, "[engine.runtimes]\nironbox = [\"/usr/local/bin/ironbox\"] " IB_TOML_MANAGED
			"\ncrun = [\n"));
	assert_null(strstr(out, IB_TOML_BLOCK_BEGIN));
	v = ib_toml_get("x", out, T_ENGINE, "runtime", &err);
	assert_string_equal(v, "\"ironbox\"");
	again = ib_toml_apply("containers.conf", out, sets, 2, &err);
	assert_string_equal(again, out);
	back = ib_toml_revert(out);
	assert_string_equal(back, conf);
}

static void test_toml_tricky_syntax(void **state)
{
	/* Lines that look like table headers inside strings and arrays must
	 * not be taken for headers. */
	static const char conf[] = "title = \"\"\"\n"
				   "[engine]\n"
				   "runtime = \"nope\"\n"
				   "\"\"\"\n"
				   "lit = '''\n[engine.runtimes]\n'''\n"
				   "matrix = [\n"
				   "[1, 2]\n"
				   "]\n"
				   "when = 1979-05-27 07:32:00Z\n"
				   "'quoted.key' = { a = 1, b = [\"]\"] }\n"
				   "[engine]\n"
				   "x = 1";
	struct ib_toml_set sets[] = {
	    {.table = T_ENGINE, .key = "runtime", .value = "\"ironbox\""},
	    {.table = T_RTS, .key = "ironbox", .value = "[\"/b\"]"},
	};
	ib_err err = {0};
	_cleanup_free_ char *out = ib_toml_apply("c", conf, sets, 2, &err);
	_cleanup_free_ char *back = NULL;

	(void)state;
	assert_non_null(out);
	/* Inserted after the real [engine] header (the last one), and the
	 * missing table appended (after a newline the file lacked). */
	assert_non_null(
	    strstr(out, "[engine]\nruntime = \"ironbox\" " IB_TOML_MANAGED "\nx = 1\n"));
	assert_non_null(strstr(out, "[engine.runtimes]\nironbox = [\"/b\"]\n"));
	back = ib_toml_revert(out);
	/* The only difference: the final newline the block needed. */
	assert_int_equal(strlen(back), strlen(conf) + 1);
	assert_memory_equal(back, conf, strlen(conf));
}

static void test_toml_refusals(void **state)
{
	struct ib_toml_set sets[] = {
	    {.table = T_ENGINE, .key = "runtime", .value = "\"ironbox\""},
	};
	ib_err err = {0};
	char *out;

	(void)state;
	/* engine given as an inline table: can't add a key to it. */
	out = ib_toml_apply("c", "engine = { runtime = \"crun\" }\n", sets, 1, &err);
	assert_null(out);
	assert_non_null(strstr(err.msg, "inline table"));
	/* engine defined by dotted keys: can't add an [engine] header. */
	ib_err_clear(&err);
	out = ib_toml_apply("c", "engine.cgroup_manager = \"cgroupfs\"\n", sets, 1, &err);
	assert_null(out);
	assert_non_null(strstr(err.msg, "dotted keys"));
	/* A multi-line value to replace: by hand. */
	ib_err_clear(&err);
	out = ib_toml_apply("c", "[engine]\nruntime = \"\"\"\ncrun\"\"\"\n", sets, 1, &err);
	assert_null(out);
	assert_non_null(strstr(err.msg, "spans several lines"));
	/* Not TOML. */
	ib_err_clear(&err);
	out = ib_toml_apply("c", "[engine\nruntime = 1\n", sets, 1, &err);
	assert_null(out);
	ib_err_clear(&err);
	out = ib_toml_apply("c", "x = \"unterminated\n", sets, 1, &err);
	assert_null(out);
	ib_err_clear(&err);
	out = ib_toml_apply("c", "x = 1 y = 2\n", sets, 1, &err);
	assert_null(out);
	/* Quoting. */
	char *q = ib_toml_string("/a \"b\"\\c");
	assert_string_equal(q, "\"/a \\\"b\\\"\\\\c\"");
	free(q);
	assert_null(ib_toml_string("a\nb"));
}

static void test_toml_empty_and_crlf(void **state)
{
	struct ib_toml_set sets[] = {
	    {.table = T_RTS, .key = "ironbox", .value = "[\"/b\"]"},
	};
	ib_err err = {0};
	_cleanup_free_ char *out = ib_toml_apply("c", "", sets, 1, &err);
	_cleanup_free_ char *crlf = NULL, *back = NULL;

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, IB_TOML_BLOCK_BEGIN
			    "\n[engine.runtimes]\nironbox = [\"/b\"]\n" IB_TOML_BLOCK_END "\n");
	back = ib_toml_revert(out);
	assert_string_equal(back, "");
	free(back);
	crlf = ib_toml_apply("c", "[engine.runtimes]\r\nrunc = [\"/r\"]\r\n", sets, 1, &err);
	assert_non_null(crlf);
	back = ib_toml_revert(crlf);
	assert_string_equal(back, "[engine.runtimes]\r\nrunc = [\"/r\"]\r\n");
}

/* ------------------------------------------------------------------ JSON */

static const char *const J_RT[] = {"runtimes", "ironbox", "path", NULL};
static const char *const J_DEF[] = {"default-runtime", NULL};
static const char *const J_AUTHZ[] = {"authorization-plugins", NULL};
static const char *const J_NH[] = {"builder", "entitlements", "network-host", NULL};

static char *apply_json(const char *text, struct json_object **edits, ib_err *err)
{
	struct json_object *doc = ib_json_parse_config("daemon.json", text, err), *bin, *rt, *f;
	char *out = NULL;

	if (!doc)
		return NULL;
	bin = json_object_new_string("/usr/local/bin/ironbox");
	rt = json_object_new_string("ironbox");
	f = json_object_new_boolean(0);
	struct ib_json_change ch[] = {
	    {.path = J_RT, .value = bin},
	    {.path = J_DEF, .value = rt},
	    {.path = J_AUTHZ, .append = "ironbox-authz"},
	    {.path = J_NH, .value = f},
	};
	if (ib_json_apply("daemon.json", doc, ch, 4, edits, err) == 0)
		out = ib_json_format(doc);
	json_object_put(bin);
	json_object_put(rt);
	json_object_put(f);
	json_object_put(doc);
	return out;
}

static void test_json_merge_and_revert(void **state)
{
	static const char orig[] = "{\"default-runtime\": \"runc\", \"authorization-plugins\": "
				   "[\"other\"], \"runtimes\": {\"crun\": {\"path\": \"/c\"}}, "
				   "\"builder\": {\"gc\": {\"enabled\": true}}}";
	ib_err err = {0};
	struct json_object *edits = NULL, *doc, *want, *v;
	_cleanup_free_ char *out = apply_json(orig, &edits, &err), *back = NULL;
	int kept;

	(void)state;
	assert_non_null(out);
	doc = ib_json_parse_config("x", out, &err);
	assert_true(json_object_object_get_ex(doc, "default-runtime", &v));
	assert_string_equal(json_object_get_string(v), "ironbox");
	assert_true(json_object_object_get_ex(doc, "authorization-plugins", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_int_equal(json_object_array_length(edits), 4);
	/* Applying again changes nothing. */
	{
		struct json_object *e2 = NULL;
		_cleanup_free_ char *again = apply_json(out, &e2, &err);
		assert_string_equal(again, out);
		assert_int_equal(json_object_array_length(e2), 0);
		json_object_put(e2);
	}
	/* Revert: semantically the original, created objects pruned. */
	assert_int_equal(ib_json_revert(doc, edits, &kept, &err), 0);
	assert_int_equal(kept, 0);
	want = ib_json_parse_config("x", orig, &err);
	assert_true(json_object_equal(doc, want));
	json_object_put(want);
	json_object_put(doc);
	json_object_put(edits);
}

static void test_json_admin_changed_since(void **state)
{
	ib_err err = {0};
	struct json_object *edits = NULL, *doc, *v;
	_cleanup_free_ char *out = apply_json("{}", &edits, &err);
	int kept;

	(void)state;
	assert_non_null(out);
	doc = ib_json_parse_config("x", out, &err);
	/* The admin picks another default runtime after install. */
	json_object_object_add(doc, "default-runtime", json_object_new_string("crun"));
	assert_int_equal(ib_json_revert(doc, edits, &kept, &err), 0);
	assert_int_equal(kept, 1);
	assert_true(json_object_object_get_ex(doc, "default-runtime", &v));
	assert_string_equal(json_object_get_string(v), "crun");
	/* Everything else ironbox added is gone, with the objects it created. */
	assert_false(json_object_object_get_ex(doc, "runtimes", NULL));
	assert_false(json_object_object_get_ex(doc, "builder", NULL));
	assert_false(json_object_object_get_ex(doc, "authorization-plugins", NULL));
	assert_int_equal(json_object_object_length(doc), 1);
	json_object_put(doc);
	json_object_put(edits);
}

static void test_json_refusals(void **state)
{
	ib_err err = {0};
	struct json_object *edits = NULL;

	(void)state;
	assert_null(apply_json("{\"runtimes\": \"x\"}", &edits, &err));
	assert_non_null(strstr(err.msg, "not an object"));
	ib_err_clear(&err);
	assert_null(apply_json("{\"authorization-plugins\": \"x\"}", &edits, &err));
	assert_non_null(strstr(err.msg, "not an array"));
	ib_err_clear(&err);
	assert_null(apply_json("{} x", &edits, &err));
	ib_err_clear(&err);
	assert_null(apply_json("[]", &edits, &err));
	ib_err_clear(&err);
	/* Empty text: an empty object. */
	_cleanup_free_ char *out = apply_json(" \n", &edits, &err);
	assert_non_null(out);
	json_object_put(edits);
}

/* ---------------------------------------------------------------- policy */

static void test_policy_enforce_key(void **state)
{
	ib_err err = {0};
	struct ib_policy *p;

	(void)state;
	p = ib_policy_default();
	assert_true(p->enforce);
	ib_policy_free(p);
	p = ib_policy_parse("{\"enforce\": false}", &err);
	assert_non_null(p);
	assert_false(p->enforce);
	ib_policy_free(p);
	p = ib_policy_parse("{\"enforce\": true}", &err);
	assert_true(p->enforce);
	ib_policy_free(p);
	p = ib_policy_parse("{\"enforce\": \"yes\"}", &err);
	assert_null(p);
	assert_non_null(strstr(err.msg, "enforce"));
	/* The default policy file says it. */
	char *json = ib_policy_default_json();
	assert_non_null(strstr(json, "\"enforce\": true"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_toml_containerd_roundtrip),
	    cmocka_unit_test(test_toml_existing_table_and_key),
	    cmocka_unit_test(test_toml_tricky_syntax),
	    cmocka_unit_test(test_toml_refusals),
	    cmocka_unit_test(test_toml_empty_and_crlf),
	    cmocka_unit_test(test_json_merge_and_revert),
	    cmocka_unit_test(test_json_admin_changed_since),
	    cmocka_unit_test(test_json_refusals),
	    cmocka_unit_test(test_policy_enforce_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
