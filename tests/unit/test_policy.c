/* Unit tests: the admin policy file, the mount decision, the namespace rule and
 * ib_policy_apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "idmap/idmap.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

#define REASON "(because they use the linux user-namespace for isolation)"

static char *tmpdir;

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/ib-policy-XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	tmpdir = ib_xstrdup(tmpl);
	ib_idmap_set_subid_paths("/dev/null", "/dev/null");
	ib_idmap_set_account_paths("/dev/null", "/dev/null");
	return 0;
}

static int group_teardown(void **state)
{
	char *cmd = ib_xasprintf("rm -rf '%s'", tmpdir);
	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(tmpdir);
	return 0;
}

/* ---- policy file ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct ib_policy *p = ib_policy_default();
	(void)state;
	assert_int_equal(p->pool.base, 100000);
	assert_int_equal(p->pool.size, 65536);
	assert_int_equal(p->pool.count, 1024);
	assert_true(ib_strv_len(p->restricted_mounts) > 10);
	assert_true(ib_strv_len(p->allowed_mounts) > 0);
	assert_true(ib_strv_len(p->engine_allowed) > 0);
	ib_policy_free(p);
}

static void test_default_json_roundtrip(void **state)
{
	char *json = ib_policy_default_json();
	ib_err err = {0};
	struct ib_policy *d = ib_policy_default(), *p = ib_policy_parse(json, &err);

	(void)state;
	assert_non_null(p);
	assert_memory_equal(&p->pool, &d->pool, sizeof(p->pool));
	assert_int_equal(ib_strv_len(p->restricted_mounts), ib_strv_len(d->restricted_mounts));
	for (size_t i = 0; d->restricted_mounts[i]; i++)
		assert_string_equal(p->restricted_mounts[i], d->restricted_mounts[i]);
	assert_int_equal(ib_strv_len(p->engine_allowed), ib_strv_len(d->engine_allowed));
	assert_memory_equal(p->sysctl_max, d->sysctl_max, sizeof(p->sysctl_max));
	ib_policy_free(p);
	ib_policy_free(d);
	free(json);
}

/* sysctlMaximums: the admin's ceilings of the max-reconciled knobs. */
static const struct ib_knob *knob(const char *name)
{
	const struct ib_knob *k = ib_knob_by_name(name);

	assert_non_null(k);
	return k;
}

#define SMAX(p, name) ((p)->sysctl_max[knob(name) - ib_knobs])

static void test_sysctl_max_defaults(void **state)
{
	struct ib_policy *d = ib_policy_default();
	char *json = ib_policy_default_json();
	struct json_object *doc = json_tokener_parse(json), *m;
	size_t n_max = 0;

	(void)state;
	/* Every max-reconciled knob has a ceiling within its range, which lets
	 * what real workloads write through (kind/kubelet, kube-proxy on up to
	 * 32 CPUs, Elasticsearch, systemd's pid_max) and stays well below the
	 * kernel's maximum where raising the host costs memory. */
	for (size_t i = 0; i < ib_n_knobs; i++) {
		if (ib_knobs[i].rule != IB_KNOB_MAX)
			continue;
		n_max++;
		assert_true(d->sysctl_max[i] >= ib_knobs[i].min);
		assert_true(d->sysctl_max[i] <= ib_knobs[i].max);
		assert_int_equal(d->sysctl_max[i], ib_knobs[i].ceiling);
	}
	assert_int_equal(n_max, 8);
	assert_true(SMAX(d, "fs.inotify.max_user_watches") >= 524288);
	assert_true(SMAX(d, "fs.inotify.max_user_instances") >= 8192);
	assert_true(SMAX(d, "vm.max_map_count") >= 262144);
	assert_true(SMAX(d, "net.netfilter.nf_conntrack_max") >= 32768 * 32);
	assert_int_equal(SMAX(d, "kernel.pid_max"), 4194304);
	assert_true(SMAX(d, "fs.file-max") < IB_KNOB_LONG_MAX);
	assert_true(SMAX(d, "fs.nr_open") < 2147483584LL);
	assert_true(SMAX(d, "vm.max_map_count") < IB_KNOB_INT_MAX);
	assert_true(SMAX(d, "net.netfilter.nf_conntrack_max") < IB_KNOB_INT_MAX);
	/* policy-init writes them, every max-reconciled knob and only those */
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "sysctlMaximums", &m));
	assert_int_equal(json_object_object_length(m), n_max);
	json_object_object_foreach(m, key, val)
	{
		assert_int_equal(knob(key)->rule, IB_KNOB_MAX);
		assert_int_equal(json_object_get_int64(val), SMAX(d, key));
	}
	json_object_put(doc);
	free(json);
	ib_policy_free(d);
}

static void test_sysctl_max_parse(void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"{\"sysctlMaximums\":[]}", "\"sysctlMaximums\" must be an object"},
	    {"{\"sysctlMaximums\":null}", "\"sysctlMaximums\" must be an object"},
	    {"{\"sysctlMaximums\":{\"fs.no-such\":1}}",
	     "\"sysctlMaximums\": unknown knob \"fs.no-such\""},
	    {"{\"sysctlMaximums\":{\"fs/file-max\":1}}", "unknown knob \"fs/file-max\""},
	    {"{\"sysctlMaximums\":{\"vm.overcommit_memory\":1}}",
	     "vm.overcommit_memory is not a max-reconciled knob"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":\"1000\"}}",
	     "\"sysctlMaximums.fs.file-max\" must be an integer"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":1.5}}", "must be an integer"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":null}}", "must be an integer"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":-1}}",
	     "\"sysctlMaximums.fs.file-max\" is out of the knob's range [0, "
	     "9223372036854775807]"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":18446744073709551615}}",
	     "out of the knob's range"},
	    {"{\"sysctlMaximums\":{\"fs.file-max\":9223372036854775808}}",
	     "out of the knob's range"},
	    {"{\"sysctlMaximums\":{\"fs.nr_open\":63}}",
	     "out of the knob's range [64, 2147483584]"},
	    {"{\"sysctlMaximums\":{\"fs.nr_open\":2147483585}}", "out of the knob's range"},
	    {"{\"sysctlMaximums\":{\"vm.max_map_count\":2147483648}}", "out of the knob's range"},
	    {"{\"sysctlMaximums\":{\"kernel.pid_max\":4194305}}", "out of the knob's range"},
	};
	ib_err err = {0};
	struct ib_policy *d = ib_policy_default(), *p;

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		ib_err e = {0};

		p = ib_policy_parse(bad[i].json, &e);
		if (p)
			fail_msg("accepted: %s", bad[i].json);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("%s: got `%s`, want `%s`", bad[i].json, e.msg, bad[i].msg);
	}
	/* Named knobs take the admin's value, the others keep their defaults;
	 * the kernel's own bounds are valid ceilings. */
	p = ib_policy_parse("{\"sysctlMaximums\":{\"fs.file-max\":9223372036854775807,"
			    "\"vm.max_map_count\":0,\"fs.nr_open\":64}}",
			    &err);
	assert_non_null(p);
	assert_int_equal(SMAX(p, "fs.file-max"), IB_KNOB_LONG_MAX);
	assert_int_equal(SMAX(p, "vm.max_map_count"), 0);
	assert_int_equal(SMAX(p, "fs.nr_open"), 64);
	assert_int_equal(SMAX(p, "fs.inotify.max_user_watches"),
			 SMAX(d, "fs.inotify.max_user_watches"));
	assert_int_equal(SMAX(p, "net.netfilter.nf_conntrack_max"),
			 SMAX(d, "net.netfilter.nf_conntrack_max"));
	ib_policy_free(p);
	/* an empty object: the defaults */
	p = ib_policy_parse("{\"sysctlMaximums\":{}}", &err);
	assert_non_null(p);
	assert_memory_equal(p->sysctl_max, d->sysctl_max, sizeof(p->sysctl_max));
	ib_policy_free(p);
	ib_policy_free(d);
}

static void test_parse_ok(void **state)
{
	ib_err err = {0};
	struct ib_policy *p = ib_policy_parse(
	    "{\"idRanges\":{\"base\":200000,\"size\":65536,\"count\":10},"
	    "\"restrictedMounts\":[\"/srv/secret/\",\"//data//docker\",\"/a/./b/../c\"],"
	    "\"allowedMounts\":[],\"engineAllowed\":[\"containers/*/hosts\"]}",
	    &err);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->pool.base, 200000);
	assert_int_equal(p->pool.count, 10);
	assert_int_equal(ib_strv_len(p->restricted_mounts), 3);
	assert_string_equal(p->restricted_mounts[0], "/srv/secret");
	assert_string_equal(p->restricted_mounts[1], "/data/docker");
	assert_string_equal(p->restricted_mounts[2], "/a/c");
	assert_int_equal(ib_strv_len(p->allowed_mounts), 0);
	assert_string_equal(p->engine_allowed[0], "containers/*/hosts");
	ib_policy_free(p);

	/* Missing keys keep their defaults. */
	p = ib_policy_parse("{\"idRanges\":{\"count\":5}}", &err);
	assert_non_null(p);
	assert_int_equal(p->pool.base, 100000);
	assert_int_equal(p->pool.count, 5);
	assert_true(ib_strv_len(p->restricted_mounts) > 10);
	ib_policy_free(p);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
	    {"", "invalid JSON"},
	    {"{", "invalid JSON"},
	    {"{\"idRanges\":{}} x", "invalid JSON"},
	    {"[]", "top level must be an object"},
	    {"{\"restricted\":[]}", "unknown key \"restricted\""},
	    {"{\"idRanges\":{\"start\":1}}", "unknown key \"idRanges.start\""},
	    {"{\"idRanges\":[]}", "\"idRanges\" must be an object"},
	    {"{\"idRanges\":{\"base\":\"100000\"}}", "\"idRanges.base\" must be an integer"},
	    {"{\"idRanges\":{\"base\":-1}}", "\"idRanges.base\" is out of range"},
	    {"{\"idRanges\":{\"size\":4096}}", "\"idRanges.size\" must be 65536"},
	    {"{\"idRanges\":{\"base\":0}}", "\"idRanges.base\" must be at least 65536"},
	    {"{\"idRanges\":{\"base\":1}}", "\"idRanges.base\" must be at least 65536"},
	    {"{\"idRanges\":{\"base\":65535}}", "must be at least 65536 (lower IDs belong to "
						"host users and groups), not 65535"},
	    {"{\"idRanges\":{\"count\":0}}", "\"idRanges.count\" must be at least 1"},
	    {"{\"idRanges\":{\"count\":65535}}", "goes beyond the 32-bit ID space"},
	    {"{\"restrictedMounts\":\"/etc\"}", "must be an array of strings"},
	    {"{\"restrictedMounts\":[1]}", "must be an array of strings"},
	    {"{\"restrictedMounts\":[\"etc/docker\"]}", "is not an absolute path"},
	    {"{\"allowedMounts\":[\"\"]}", "empty entry"},
	    {"{\"engineAllowed\":[\"../x\"]}", "may not contain \"..\""},
	};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		ib_err err = {0};
		struct ib_policy *p = ib_policy_parse(cases[i].json, &err);
		if (p)
			fail_msg("accepted: %s", cases[i].json);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("%s: got `%s`, want `%s`", cases[i].json, err.msg, cases[i].msg);
	}
}

static char *write_policy(const char *name, const char *text, mode_t mode)
{
	char *path = ib_xasprintf("%s/%s", tmpdir, name);
	ib_err err = {0};

	unlink(path);
	assert_int_equal(ib_write_file_atomic(path, text, strlen(text), mode, &err), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_load(void **state)
{
	ib_err err = {0};
	struct ib_policy *p;
	char *path, *want, *sub, *link;

	(void)state;
	/* Missing file: defaults. */
	path = ib_xasprintf("%s/nonexistent.json", tmpdir);
	p = ib_policy_load(path, &err);
	assert_non_null(p);
	assert_int_equal(p->pool.base, 100000);
	ib_policy_free(p);
	free(path);

	/* Root-owned, 0644: fine. */
	path = write_policy("ok.json", "{\"idRanges\":{\"count\":7}}", 0644);
	p = ib_policy_load(path, &err);
	assert_non_null(p);
	assert_int_equal(p->pool.count, 7);
	ib_policy_free(p);
	free(path);

	/* World- or group-writable: refused. */
	path = write_policy("ww.json", "{}", 0666);
	want = ib_xasprintf("policy file %s is writable by non-root users; refusing to run", path);
	assert_null(ib_policy_load(path, &err));
	assert_string_equal(err.msg, want);
	free(want);
	free(path);
	path = write_policy("gw.json", "{}", 0620);
	assert_null(ib_policy_load(path, &err));
	assert_non_null(strstr(err.msg, "is writable by non-root users; refusing to run"));
	free(path);

	/* Owned by another user: refused. */
	if (geteuid() == 0) {
		path = write_policy("user.json", "{}", 0644);
		assert_int_equal(chown(path, 1000, 1000), 0);
		want = ib_xasprintf("policy file %s is writable by non-root users; refusing to run",
				    path);
		assert_null(ib_policy_load(path, &err));
		assert_string_equal(err.msg, want);
		free(want);
		free(path);
	}

	/* Bad content: error names the file. */
	path = write_policy("bad.json", "{\"nope\":1}", 0600);
	assert_null(ib_policy_load(path, &err));
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "unknown key \"nope\""));
	free(path);

	/* A symlink is refused. */
	path = write_policy("target.json", "{}", 0644);
	link = ib_xasprintf("%s/link.json", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_null(ib_policy_load(link, &err));
	assert_non_null(strstr(err.msg, "symbolic link"));
	free(link);
	free(path);

	/* In a directory others can write to (not sticky): refused. */
	sub = ib_xasprintf("%s/open", tmpdir);
	assert_int_equal(mkdir(sub, 0777), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	path = ib_xasprintf("%s/p.json", sub);
	assert_int_equal(ib_write_file_atomic(path, "{}", 2, 0644, &err), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(ib_policy_load(path, &err));
	assert_non_null(strstr(err.msg, "is writable by non-root users"));
	/* ... unless sticky, like /tmp. */
	assert_int_equal(chmod(sub, 01777), 0);
	p = ib_policy_load(path, &err);
	assert_non_null(p);
	ib_policy_free(p);
	free(path);
	free(sub);
}

/* An admin's pool: at least 65536, no overlap with host accounts or
 * subordinate ranges (named in the error). */
static void test_pool_host_check(void **state)
{
	struct ib_idpool pool = {.base = 100000, .size = 65536, .count = 10};
	const char *passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
	const char *group = "root:x:0:\nnogroup:x:65534:\n";
	ib_err err = {0};
	char *pw, *pol, *want;
	struct ib_policy *p;

	(void)state;
	assert_int_equal(ib_idmap_check_pool(&pool, passwd, group, "", NULL, &err), 0);
	assert_int_equal(ib_idmap_check_pool(&pool, NULL, NULL, NULL, NULL, &err), 0);
	assert_int_equal(ib_idmap_check_pool(&pool, "svc:x:100005:100005::/:/bin/false\n", group,
					     NULL, NULL, &err),
			 -1);
	assert_string_equal(err.msg, "policy: \"idRanges\" (IDs 100000-755359) overlaps host user "
				     "`svc` (uid 100005 in /etc/passwd)");
	assert_int_equal(
	    ib_idmap_check_pool(&pool, passwd, "# x\nbig:x:755359:a,b\n", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "policy: \"idRanges\" (IDs 100000-755359) overlaps host group "
				     "`big` (gid 755359 in /etc/group)");
	/* Just past the end: fine. */
	assert_int_equal(ib_idmap_check_pool(&pool, passwd, "big:x:755360:\n", NULL, NULL, &err),
			 0);
	assert_int_equal(
	    ib_idmap_check_pool(&pool, passwd, group, "alice:90000:65536\n", NULL, &err), -1);
	assert_string_equal(err.msg,
			    "policy: \"idRanges\" (IDs 100000-755359) overlaps the "
			    "subordinate user IDs of `alice` (90000-155535 in /etc/subuid)");
	assert_int_equal(ib_idmap_check_pool(&pool, passwd, group, NULL, "bob:700000:1\n", &err),
			 -1);
	assert_non_null(strstr(err.msg, "subordinate group IDs of `bob` (700000-700000 in "
					"/etc/subgid)"));
	pool.base = 1;
	assert_int_equal(ib_idmap_check_pool(&pool, NULL, NULL, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "must be at least 65536"));

	/* Loading: a configured pool is checked against the host's files... */
	pw = write_policy("passwd", "svc:x:200001:200001::/:/bin/false\n", 0644);
	ib_idmap_set_account_paths(pw, "/dev/null");
	pol = write_policy("pool.json", "{\"idRanges\":{\"base\":200000,\"count\":2}}", 0644);
	assert_null(ib_policy_load(pol, &err));
	want = ib_xasprintf("%s: policy: \"idRanges\" (IDs 200000-331071) overlaps host user `svc` "
			    "(uid 200001 in /etc/passwd)",
			    pol);
	assert_string_equal(err.msg, want);
	free(want);
	free(pol);
	/* ...the built-in pool is not (its allocator skips such ranges). */
	pol = write_policy("nopool.json", "{\"restrictedMounts\":[\"/x\"]}", 0644);
	p = ib_policy_load(pol, &err);
	if (!p)
		fail_msg("%s", err.msg);
	assert_false(p->pool_configured);
	ib_policy_free(p);
	free(pol);
	pol = write_policy("pool2.json", "{\"idRanges\":{\"base\":300000,\"count\":2}}", 0644);
	p = ib_policy_load(pol, &err);
	assert_non_null(p);
	assert_true(p->pool_configured);
	ib_policy_free(p);
	free(pol);
	/* policy-init writes a pool clear of the host's accounts. */
	{
		char *json = ib_policy_default_json();
		ib_idmap_set_account_paths(pw, "/dev/null");
		free(json);
		pol = write_policy("passwd", "svc:x:100005:100005::/:/bin/false\n", 0644);
		free(pol);
		json = ib_policy_default_json();
		p = ib_policy_parse(json, &err);
		assert_non_null(p);
		assert_int_equal(p->pool.base, 165536);
		assert_int_equal(p->pool.count, 1024);
		ib_policy_free(p);
		free(json);
	}
	ib_idmap_set_account_paths("/dev/null", "/dev/null");
	free(pw);
}

/* ---- mount decision ------------------------------------------------------- */

static void test_path_restricted_table(void **state)
{
	static const struct {
		const char *path;
		bool restricted;
		const char *which;
	} cases[] = {
	    {"/etc/docker", true, "/etc/docker"},
	    {"/etc/docker/daemon.json", true, "/etc/docker"},
	    {"/etc/docker/", true, "/etc/docker"},
	    {"/etc//docker", true, "/etc/docker"},
	    {"/etc", true, "/etc/docker"},
	    {"/", true, NULL},
	    {"/var", true, NULL},
	    {"/etc/dockerx", false, NULL},
	    {"/etc/passwd", false, NULL},
	    {"/var/run/docker.sock", true, "/var/run/docker.sock"},
	    {"/run/docker.sock", true, "/run/docker.sock"},
	    {"/run/containerd/containerd.sock", true, "/run/containerd"},
	    {"/var/lib/docker", true, "/var/lib/docker"},
	    {"/var/lib/docker/containers/abc", true, "/var/lib/docker"},
	    {"/var/lib/docker/containers/abc/config.v2.json", true, "/var/lib/docker"},
	    {"/var/lib/docker/overlay2/xyz/diff", true, "/var/lib/docker"},
	    {"/var/lib/docker/containers/abc/resolv.conf", false, NULL},
	    {"/var/lib/docker/containers/abc/hostname", false, NULL},
	    {"/var/lib/docker/containers/abc/hosts", false, NULL},
	    {"/var/lib/docker/containers/abc/mounts/shm", false, NULL},
	    {"/var/lib/docker/containers/abc/def/resolv.conf", true, "/var/lib/docker"},
	    {"/var/lib/docker/volumes/myvol/_data", false, NULL},
	    {"/var/lib/docker/volumes/myvol/_data/sub/dir", false, NULL},
	    {"/var/lib/docker/volumes/myvol", true, "/var/lib/docker"},
	    {"/var/lib/docker/volumes", true, "/var/lib/docker"},
	    {"/var/lib/docker/volumes/myvol/_data/../../../containers", true, "/var/lib/docker"},
	    {"/var/lib/containers/storage/overlay-containers/abc/userdata/resolv.conf", false,
	     NULL},
	    {"/run/containers/storage/overlay-containers/abc/userdata/.containerenv", false, NULL},
	    {"/var/lib/containers/storage/overlay/abc/diff", true, "/var/lib/containers"},
	    {"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/hosts", false, NULL},
	    {"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm", false, NULL},
	    {"/etc/ironbox/policy.json", true, "/etc/ironbox"},
	    {"/run/ironbox", true, "/run/ironbox"},
	    {"/lib/modules/6.1.0", false, NULL}, /* offered read-only */
	    {"/lib", true, "/lib/modules"},	 /* contains it */
	    {"/usr/lib", true, "/usr/lib/modules"},
	    {"/boot", true, "/boot"},
	    {"/dev/sda", true, "/dev"},
	    {"/proc/1/root", true, "/proc"},
	    {"/sys/kernel", true, "/sys"},
	    {"/home", false, NULL},
	    {"/home/alice/project", false, NULL},
	    {"/tmp/foo", false, NULL},
	    {"/srv/data", false, NULL},
	    {"/tmp/../etc/docker", true, "/etc/docker"},
	};
	struct ib_policy *p = ib_policy_default();

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		const char *which = NULL;
		bool r = ib_policy_path_restricted(p, cases[i].path, &which);
		if (r != cases[i].restricted)
			fail_msg("%s: restricted=%d, want %d", cases[i].path, r,
				 cases[i].restricted);
		if (r)
			assert_non_null(which);
		if (cases[i].which && strcmp(which, cases[i].which))
			fail_msg("%s: matched %s, want %s", cases[i].path, which, cases[i].which);
	}
	ib_policy_free(p);
}

static void expect_refused_msg(const struct ib_policy *p, const char *source, const char *why)
{
	ib_err err = {0};
	/* The message shows the source without trailing slashes. */
	int len = (int)strlen(source);
	while (len > 1 && source[len - 1] == '/')
		len--;
	char *want = ib_xasprintf("can't mount %.*s because %s", len, source, why);
	if (ib_policy_check_mount_source(p, source, NULL, &err) == 0)
		fail_msg("%s was allowed", source);
	if (strcmp(err.msg, want))
		fail_msg("%s: got \"%s\", want \"%s\"", source, err.msg, want);
	free(want);
}

#define RESTRICTED "it's configured as a restricted host mount"
#define NOT_ALLOWED "it's not in the admin policy's allowed mounts"

static void expect_refused(const struct ib_policy *p, const char *source)
{
	expect_refused_msg(p, source, RESTRICTED);
}

static void expect_allowed_as(const struct ib_policy *p, const char *source, bool engine)
{
	ib_err err = {0};
	bool eng = !engine;
	if (ib_policy_check_mount_source(p, source, &eng, &err) < 0)
		fail_msg("%s refused: %s", source, err.msg);
	if (eng != engine)
		fail_msg("%s: engine-owned=%d, want %d", source, eng, engine);
}

static void expect_allowed(const struct ib_policy *p, const char *source)
{
	expect_allowed_as(p, source, false);
}

static char *mkpath(const char *fmt, const char *sub)
{
	char *s = ib_xasprintf(fmt, tmpdir, sub);
	char *slash = s;

	/* mkdir -p of the directory part */
	while ((slash = strchr(slash + 1, '/'))) {
		*slash = '\0';
		(void)mkdir(s, 0755);
		*slash = '/';
	}
	return s;
}

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* The live decision on real paths (default policy). */
static void test_check_mount_source(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *link = ib_xasprintf("%s/link-to-docker", tmpdir);
	char *link2 = ib_xasprintf("%s/link-to-etc", tmpdir);
	char *link3 = ib_xasprintf("%s/link-to-sbin", tmpdir);
	char *s;
	int fd;

	(void)state;
	/* Restricted: the entries, their parents, the host root. */
	expect_refused(p, "/etc/docker");
	expect_refused(p, "/etc/docker/");
	expect_refused(p, "/etc");
	expect_refused(p, "/");
	expect_refused(p, "//");
	expect_refused(p, "/var");
	expect_refused(p, "/tmp/../etc/docker");
	/* Missing, but restricted: said so (nothing would be mounted anyway). */
	expect_refused(p, "/etc/docker/no-such-file.json");
	expect_refused(p, "/tmp/nonexistent/../../etc/docker/daemon2.json");
	expect_refused(p, "/proc/1");
	expect_refused(p, "/sys/kernel");
	/* Not shared: system directories (written as host root through an
	 * ID-mapped bind). */
	expect_refused_msg(p, "/usr/local/sbin", NOT_ALLOWED);
	expect_refused_msg(p, "/usr", RESTRICTED); /* holds /usr/lib/modules */
	expect_refused_msg(p, "/etc/cron.d", NOT_ALLOWED);
	expect_refused_msg(p, "/root", NOT_ALLOWED);
	expect_refused_msg(p, "/var/lib", RESTRICTED); /* holds /var/lib/docker */
	expect_refused_msg(p, "/bin", NOT_ALLOWED);
	expect_refused_msg(p, "/lib", RESTRICTED); /* /usr/lib, holds the modules */
	expect_refused_msg(p, "/usr/share", NOT_ALLOWED);
	expect_refused_msg(p, "/etc/passwd", NOT_ALLOWED);
	/* Shared directories. */
	expect_allowed(p, "/home");
	expect_allowed(p, "/var/tmp");
	expect_allowed(p, "/opt");
	expect_allowed(p, tmpdir);

	/* A symlink pointing into a restricted path, or out of the shared
	 * ones: the object decides, not the name. */
	assert_int_equal(symlink("/etc/docker", link), 0);
	expect_refused(p, link);
	s = ib_xasprintf("%s/", link);
	expect_refused(p, s);
	free(s);
	assert_int_equal(symlink("/etc/ssl", link2), 0);
	s = ib_xasprintf("%s/../docker", link2);
	expect_refused(p, s);
	free(s);
	assert_int_equal(symlink("/usr/local/sbin", link3), 0);
	expect_refused_msg(p, link3, NOT_ALLOWED);

	/* Magic links of the runtime are never a source. */
	fd = open("/home", O_PATH | O_CLOEXEC);
	s = ib_xasprintf("/proc/self/fd/%d", fd);
	expect_refused_msg(p, s,
			   "its path goes through a magic link (/proc/PID/fd/N, /proc/PID/root, "
			   "...) or a symlink loop");
	free(s);
	s = ib_xasprintf("/proc/%d/root/home", (int)getpid());
	expect_refused_msg(p, s,
			   "its path goes through a magic link (/proc/PID/fd/N, /proc/PID/root, "
			   "...) or a symlink loop");
	free(s);
	close(fd);

	free(link);
	free(link2);
	free(link3);
	ib_policy_free(p);
}

/* An admin's data root, restricted: the engine's own files and volumes in
 * it are engine-owned; anything else of it is refused. */
static void test_custom_data_root(void **state)
{
	ib_err err = {0};
	char *root = mkpath("%s/%s", "dockerd-root/");
	char *json = ib_xasprintf("{\"restrictedMounts\":[\"%s/dockerd-root\"],"
				  "\"allowedMounts\":[\"%s\"]}",
				  tmpdir, tmpdir);
	struct ib_policy *p = ib_policy_parse(json, &err);
	char *hosts = mkpath("%s/%s", "dockerd-root/containers/abc/hosts");
	char *vol = mkpath("%s/%s", "dockerd-root/volumes/x/_data/");
	char *cfg = mkpath("%s/%s", "dockerd-root/containers/abc/config.v2.json");
	char *img = mkpath("%s/%s", "dockerd-root/image/overlay2/");

	(void)state;
	assert_non_null(p);
	touch(hosts);
	touch(cfg);
	expect_refused(p, root);
	expect_refused(p, tmpdir);
	expect_refused(p, img);
	expect_refused(p, cfg);
	expect_allowed_as(p, hosts, true);
	expect_allowed_as(p, vol, true);
	ib_policy_free(p);
	free(json);
	free(root);
	free(hosts);
	free(vol);
	free(cfg);
	free(img);
}

/* The decision on objects, from mountinfo text (no file system access). */
static const char *mi_text =
    "22 1 254:1 / / rw - ext4 /dev/vda rw\n"
    /* docker volume create -o type=none -o o=bind -o device=/etc v */
    "30 22 254:1 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n"
    /* ... device=/usr/local/sbin w, device=/home/u/data y */
    "31 22 254:1 /usr/local/sbin /var/lib/docker/volumes/w/_data rw - ext4 /dev/vda rw\n"
    "32 22 254:1 /home/u/data /var/lib/docker/volumes/y/_data rw - ext4 /dev/vda rw\n"
    /* /srv/docker bind-mounted as a second data root */
    "33 22 254:1 /srv/dock /var/lib/dock2 rw - ext4 /dev/vda rw\n"
    /* an engine's rootfs overlay */
    "40 22 0:50 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay "
    "rw,lowerdir=/var/lib/docker/overlay2/l/X,upperdir=/var/lib/docker/overlay2/abc/diff\n"
    "41 22 0:45 / /run rw - tmpfs tmpfs rw\n";

static enum ib_verdict decide(const struct ib_mount_ctx *c, dev_t dev, const char *fs_path,
			      ino_t ino, mode_t mode, enum ib_role role, const char **which)
{
	struct ib_fsid id = {.dev = dev, .fs_path = (char *)fs_path, .ino = ino, .mode = mode};
	return ib_mount_ctx_decide(c, &id, role, which);
}

static void test_decide_objects(void **state)
{
	struct ib_policy *p = ib_policy_default();
	struct ib_mount_ctx c;
	dev_t vda = makedev(254, 1), ovl = makedev(0, 50);
	const char *which = NULL;

	(void)state;
	ib_policy_free(p);
	p = ib_policy_default();
	ib_strv_push(&p->restricted_mounts, "/var/lib/dock2");
	ib_mount_ctx_init_text(&c, p, mi_text);
	/* A volume bound from /etc is /etc. */
	assert_int_equal(decide(&c, vda, "/etc", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/etc/docker");
	/* One bound from a system directory is not shared (a named volume
	 * does not make it engine-owned). */
	assert_int_equal(decide(&c, vda, "/usr/local/sbin", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_OTHER);
	/* One bound from a shared directory is shared. */
	assert_int_equal(decide(&c, vda, "/home/u/data", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_ALLOWED);
	/* A plain named volume, a per-container file: engine-owned. */
	assert_int_equal(
	    decide(&c, vda, "/var/lib/docker/volumes/z/_data", 0, S_IFDIR, IB_ROLE_BIND, NULL),
	    IB_V_ENGINE);
	assert_int_equal(
	    decide(&c, vda, "/var/lib/docker/containers/abc/hosts", 0, S_IFREG, IB_ROLE_BIND, NULL),
	    IB_V_ENGINE);
	assert_int_equal(
	    decide(&c, vda, "/var/lib/docker/volumes/z", 0, S_IFDIR, IB_ROLE_BIND, &which),
	    IB_V_RESTRICTED);
	/* The second data root is restricted under both of its names. */
	assert_int_equal(decide(&c, vda, "/srv/dock/overlay2", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/var/lib/dock2");
	/* /srv holds it: by its object (set as the live policy finds it). */
	assert_int_equal(decide(&c, vda, "/srv", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_ALLOWED);
	ib_pentry_set_id(&c.restricted[c.n_restricted - 1], vda, "/srv/dock", 9, S_IFDIR);
	assert_int_equal(decide(&c, vda, "/srv", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/var/lib/dock2");
	/* A volume of that data root is engine-owned, though /srv is shared. */
	assert_int_equal(
	    decide(&c, vda, "/srv/dock/volumes/q/_data", 0, S_IFDIR, IB_ROLE_BIND, NULL),
	    IB_V_ENGINE);
	/* The host root, a system directory, a shared one. */
	assert_int_equal(decide(&c, vda, "/", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_RESTRICTED);
	assert_int_equal(decide(&c, vda, "/usr", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_RESTRICTED); /* holds /usr/lib/modules */
	assert_int_equal(decide(&c, vda, "/usr/share", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_OTHER);
	/* The kernel's modules: offered read-only (the object, by its path). */
	assert_int_equal(decide(&c, vda, "/lib/modules", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_ALLOWED_RO);
	assert_int_equal(
	    decide(&c, vda, "/usr/lib/modules/6.1.0/kernel", 0, S_IFDIR, IB_ROLE_BIND, NULL),
	    IB_V_ALLOWED_RO);
	assert_int_equal(decide(&c, vda, "/usr/lib", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/usr/lib/modules");
	assert_int_equal(decide(&c, vda, "/home/u", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_ALLOWED);
	/* /run holds the engine sockets. */
	assert_int_equal(decide(&c, makedev(0, 45), "/", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_RESTRICTED);
	/* The engine's rootfs: engine-owned as a rootfs, never as a bind. */
	assert_int_equal(decide(&c, ovl, "/", 0, S_IFDIR, IB_ROLE_ROOTFS, NULL), IB_V_ENGINE);
	assert_int_equal(decide(&c, ovl, "/", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_RESTRICTED);
	assert_int_equal(
	    decide(&c, vda, "/var/lib/docker/overlay2/abc/diff", 0, S_IFDIR, IB_ROLE_ROOTFS, NULL),
	    IB_V_ENGINE);
	assert_int_equal(decide(&c, vda, "/var/lib/docker/image", 0, S_IFDIR, IB_ROLE_ROOTFS, NULL),
			 IB_V_RESTRICTED);
	/* A rootfs elsewhere must be shared like a bind. */
	assert_int_equal(decide(&c, vda, "/usr/share", 0, S_IFDIR, IB_ROLE_ROOTFS, NULL),
			 IB_V_OTHER);
	assert_int_equal(decide(&c, vda, "/home/u/rootfs", 0, S_IFDIR, IB_ROLE_ROOTFS, NULL),
			 IB_V_ALLOWED);
	ib_mount_ctx_clear(&c);

	/* Nested entries: the innermost one's patterns decide. */
	ib_strv_push(&p->restricted_mounts, "/var/lib");
	ib_mount_ctx_init_text(&c, p, mi_text);
	assert_int_equal(
	    decide(&c, vda, "/var/lib/docker/volumes/z/_data", 0, S_IFDIR, IB_ROLE_BIND, NULL),
	    IB_V_ENGINE);
	assert_int_equal(decide(&c, vda, "/var/lib/apt", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/var/lib");
	assert_int_equal(decide(&c, vda, "/var/lib/docker/image", 0, S_IFDIR, IB_ROLE_BIND, &which),
			 IB_V_RESTRICTED);
	assert_string_equal(which, "/var/lib/docker");
	ib_mount_ctx_clear(&c);
	ib_policy_free(p);
}

/* Restricted entries are compared by the object they name too: a data
 * root reached through another name, a hard link of a restricted file, the
 * host root. */
static void test_decide_identity(void **state)
{
	struct ib_policy *p = ib_policy_default();
	struct ib_mount_ctx c;
	dev_t vda = makedev(254, 1);
	const char *mi = "22 1 254:1 / / rw - ext4 /dev/vda rw\n";

	(void)state;
	ib_mount_ctx_init_text(&c, p, mi);
	for (size_t i = 0; i < c.n_restricted; i++) {
		if (!strcmp(c.restricted[i].literal, "/var/lib/docker"))
			/* /var/lib/docker is a symlink to /data/docker here. */
			ib_pentry_set_id(&c.restricted[i], vda, "/data/docker", 77, S_IFDIR);
		if (!strcmp(c.restricted[i].literal, "/etc/docker"))
			ib_pentry_set_id(&c.restricted[i], vda, "/etc/docker", 78, S_IFDIR);
		if (!strcmp(c.restricted[i].literal, "/run/docker.sock"))
			ib_pentry_set_id(&c.restricted[i], vda, "/run/docker.sock", 79, S_IFSOCK);
	}
	ib_pentry_set_id(&c.allowed[0], vda, "/home", 80, S_IFDIR);
	assert_int_equal(decide(&c, vda, "/data/docker/overlay2", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_RESTRICTED);
	assert_int_equal(decide(&c, vda, "/data", 0, S_IFDIR, IB_ROLE_BIND, NULL), IB_V_RESTRICTED);
	assert_int_equal(
	    decide(&c, vda, "/data/docker/volumes/v/_data", 0, S_IFDIR, IB_ROLE_BIND, NULL),
	    IB_V_ENGINE);
	/* A hard link of a restricted file, by any name. */
	assert_int_equal(decide(&c, vda, "/home/u/s", 79, S_IFSOCK, IB_ROLE_BIND, NULL),
			 IB_V_RESTRICTED);
	assert_int_equal(decide(&c, vda, "/home/u/t", 81, S_IFSOCK, IB_ROLE_BIND, NULL),
			 IB_V_ALLOWED);
	/* Another filesystem's "/" is not the host root. */
	assert_int_equal(decide(&c, makedev(8, 1), "/x", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_OTHER);
	ib_mount_ctx_clear(&c);
	ib_policy_free(p);
}

/* An alias never makes an object shared: a volume bound from a system
 * directory by an engine whose data root lies in a shared directory (not
 * restricted: a test setup, a rootless engine in /home). A shared directory
 * that is itself a bind of another one is shared by its object. */
static void test_decide_aliases(void **state)
{
	struct ib_policy *p = ib_policy_default();
	struct ib_mount_ctx c;
	dev_t vda = makedev(254, 1);
	const char *mi =
	    "22 1 254:1 / / rw - ext4 /dev/vda rw\n"
	    "30 22 254:1 /usr/local/sbin /tmp/dd/volumes/s/_data rw - ext4 /dev/vda rw\n"
	    "31 22 254:1 /data/home /home rw - ext4 /dev/vda rw\n";

	(void)state;
	ib_mount_ctx_init_text(&c, p, mi);
	assert_int_equal(decide(&c, vda, "/usr/local/sbin", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_OTHER);
	/* /home is a bind of /data/home: by path, /home/u is an alias... */
	assert_int_equal(decide(&c, vda, "/data/home/u", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_OTHER);
	/* ...but the allowed entry /home names the object /data/home. */
	for (size_t i = 0; i < c.n_allowed; i++)
		if (!strcmp(c.allowed[i].literal, "/home"))
			ib_pentry_set_id(&c.allowed[i], vda, "/data/home", 5, S_IFDIR);
	assert_int_equal(decide(&c, vda, "/data/home/u", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_ALLOWED);
	assert_int_equal(decide(&c, vda, "/usr/local/sbin", 0, S_IFDIR, IB_ROLE_BIND, NULL),
			 IB_V_OTHER);
	ib_mount_ctx_clear(&c);
	ib_policy_free(p);
}

/* Listening sockets served by one child named comm: `path` itself when n
 * is 0, else n of them, path<i>.sock. Used below: a socket served by an
 * engine ("dockerd") is refused by any name, and a directory holding a hard
 * link to it is refused too; served by another program it is not an
 * engine's. */
static pid_t serve_many(const char *path, size_t n, const char *comm, int *hold)
{
	int ready[2], h[2];
	pid_t pid;
	char b;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(h, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(h[1]);
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		for (size_t i = 0; i < (n ? n : 1); i++) {
			struct sockaddr_un sa = {.sun_family = AF_UNIX};
			int s = socket(AF_UNIX, SOCK_STREAM, 0);

			if (n)
				snprintf(sa.sun_path, sizeof(sa.sun_path), "%s%zu.sock", path, i);
			else
				snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
			if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			    listen(s, 1) < 0)
				_exit(1);
		}
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		(void)!read(h[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(h[0]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	*hold = h[1];
	return pid;
}

static pid_t serve_socket(const char *path, const char *comm, int *hold)
{
	return serve_many(path, 0, comm, hold);
}

static void stop_serving(pid_t pid, int hold)
{
	close(hold);
	waitpid(pid, NULL, 0);
}

static void test_engine_socket(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *sockdir = mkpath("%s/%s", "run-engine/");
	char *sock = ib_xasprintf("%s/run-engine/engine.sock", tmpdir);
	char *pub = mkpath("%s/%s", "shared/a/b/");
	char *other = mkpath("%s/%s", "shared-other/x/");
	char *hl = ib_xasprintf("%s/shared/a/b/hl", tmpdir);
	char *shared = ib_xasprintf("%s/shared", tmpdir);
	char *other_top = ib_xasprintf("%s/shared-other", tmpdir);
	int hold;
	pid_t pid;
	ino_t found = 0;

	(void)state;
	(void)pub;
	(void)other;
	/* Not an engine's socket: a plain shared file. */
	pid = serve_socket(sock, "notanengine", &hold);
	expect_allowed(p, sock);
	expect_allowed(p, sockdir);
	stop_serving(pid, hold);
	unlink(sock);

	pid = serve_socket(sock, "dockerd", &hold);
	expect_refused(p, sock);
	expect_refused(p, sockdir);
	/* A hard link, by another name, in a shared directory. */
	assert_int_equal(link(sock, hl), 0);
	expect_refused(p, hl);
	expect_refused(p, shared);
	expect_allowed(p, other_top);
	/* The bounded search fails closed. */
	{
		struct stat st;
		int d = open(shared, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_int_equal(stat(sock, &st), 0);
		assert_int_equal(ib_tree_has_inode(d, &st.st_ino, 1, 100, 0, &found), 1);
		assert_int_equal(found, st.st_ino);
		assert_int_equal(ib_tree_has_inode(d, &st.st_ino, 1, 2, 0, &found), -1);
		/* Directories weigh: the same tree, too costly to search. */
		assert_int_equal(ib_tree_has_inode(d, &st.st_ino, 1, 100, 60, &found), -1);
		close(d);
	}
	stop_serving(pid, hold);
	unlink(hl);
	unlink(sock);
	free(sockdir);
	free(sock);
	free(pub);
	free(other);
	free(hl);
	free(shared);
	free(other_top);
	ib_policy_free(p);
}

/* Many listening sockets on the filesystem (a state root of hundreds of
 * containers): a directory's tree is searched for them first. The answers
 * are those of test_engine_socket; a search that misses (mutation) lets
 * the hard-linked engine socket through. */
static void test_engine_socket_among_many(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *many = mkpath("%s/%s", "many-socks/");
	char *sockdir = mkpath("%s/%s", "run-engine2/");
	char *sock = ib_xasprintf("%s/run-engine2/engine.sock", tmpdir);
	char *deep = mkpath("%s/%s", "shared2/a/b/c/");
	char *hl = ib_xasprintf("%s/shared2/a/b/c/hl", tmpdir);
	char *shared = ib_xasprintf("%s/shared2", tmpdir);
	char *other = mkpath("%s/%s", "shared2-other/x/y/");
	char *other_top = ib_xasprintf("%s/shared2-other", tmpdir);
	int many_hold, hold;
	pid_t many_pid, pid;

	(void)state;
	(void)deep;
	(void)other;
	many_pid = serve_many(many, 100, "notanengine", &many_hold);
	pid = serve_socket(sock, "dockerd", &hold);
	assert_int_equal(link(sock, hl), 0);
	expect_refused(p, sock);
	expect_refused(p, sockdir);
	expect_refused(p, hl);
	expect_refused(p, shared);
	expect_allowed(p, other_top);
	expect_allowed(p, many);
	stop_serving(pid, hold);
	stop_serving(many_pid, many_hold);
	unlink(hl);
	unlink(sock);
	free(many);
	free(sockdir);
	free(sock);
	free(deep);
	free(hl);
	free(shared);
	free(other);
	free(other_top);
	ib_policy_free(p);
}

/* A mount below a recursive bind is searched by its path: a directory
 * renamed into that path after the mount table was read must not be
 * searched instead of the mount (it holds no socket; the mount holds an
 * engine's). Control: before the rename, the engine socket is found. */
static void test_engine_socket_below_renamed(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *share = mkpath("%s/%s", "bshare/sub/");
	char *moved = ib_xasprintf("%s/bshare-moved", tmpdir);
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	share[strlen(share) - strlen("sub/")] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *sub = ib_xasprintf("%s/sub", share), *prefix = ib_xasprintf("%s/m", sub);
		char *sock = ib_xasprintf("%s/engine.sock", sub);
		struct ib_mount_ctx c;
		struct ib_fsid id;
		ib_err e = {0};
		bool eng = false;
		int many_hold, hold, fd, r;
		pid_t many_pid, srv;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", sub, "tmpfs", 0, NULL) < 0)
			_exit(2);
		/* More sockets on the tmpfs than are located one by one. */
		many_pid = serve_many(prefix, 80, "notanengine", &many_hold);
		srv = serve_socket(sock, "dockerd", &hold);
		fd = open(share, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || ib_mount_ctx_init(&c, p, NULL, &e) < 0 ||
		    ib_fsid_from_fd_table(fd, &c.mt, &id, &e) < 0)
			_exit(2);
		r = ib_mount_ctx_check_below(&c, &id, IB_ROLE_BIND, share, &eng, NULL, &e);
		if (r == 0)
			_exit(3); /* control: the engine socket below is found */
		ib_err_clear(&e);
		ib_mount_ctx_clear(&c);
		ib_fsid_clear(&id);
		/* The table is read, then a plain directory takes the mount's path. */
		if (ib_mount_ctx_init(&c, p, NULL, &e) < 0 ||
		    ib_fsid_from_fd_table(fd, &c.mt, &id, &e) < 0 || rename(share, moved) < 0 ||
		    mkdir(share, 0755) < 0 || mkdir(sub, 0755) < 0)
			_exit(2);
		r = ib_mount_ctx_check_below(&c, &id, IB_ROLE_BIND, share, &eng, NULL, &e);
		stop_serving(srv, hold);
		stop_serving(many_pid, many_hold);
		_exit(r == 0 ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(share);
	free(moved);
	ib_policy_free(p);
}

/* A named volume bound from a restricted directory, for real: a bind mount
 * in a private mount namespace (child process). */
static void test_volume_bound_from_restricted(void **state)
{
	char *etc = mkpath("%s/%s", "v-etc/docker/");
	char *sbin = mkpath("%s/%s", "v-sbin/");
	char *vols = mkpath("%s/%s", "v-root/volumes/v/_data/");
	char *vols2 = mkpath("%s/%s", "v-root/volumes/w/_data/");
	char *home = mkpath("%s/%s", "v-home/");
	char *json = ib_xasprintf("{\"restrictedMounts\":[\"%s/v-etc/docker\",\"%s/v-root\"],"
				  "\"allowedMounts\":[\"%s/v-home\"]}",
				  tmpdir, tmpdir, tmpdir);
	ib_err err = {0};
	struct ib_policy *p = ib_policy_parse(json, &err);
	int status;
	pid_t pid;

	(void)state;
	(void)etc;
	(void)home;
	assert_non_null(p);
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *src = ib_xasprintf("%s/v-etc", tmpdir);
		ib_err e = {0};
		bool eng = false;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(2);
		/* The volumes, plain: engine-owned. */
		if (ib_policy_check_mount_source(p, vols, &eng, &e) < 0 || !eng)
			_exit(3);
		/* o=bind,device=<a parent of a restricted dir>: restricted. */
		if (mount(src, vols, NULL, MS_BIND, NULL) < 0)
			_exit(2);
		if (ib_policy_check_mount_source(p, vols, NULL, &e) == 0 ||
		    !strstr(e.msg, "restricted host mount"))
			_exit(4);
		/* device=<a system directory>: not shared. */
		if (mount(sbin, vols2, NULL, MS_BIND, NULL) < 0)
			_exit(2);
		if (ib_policy_check_mount_source(p, vols2, NULL, &e) == 0 ||
		    !strstr(e.msg, "not in the admin policy's allowed mounts"))
			_exit(5);
		/* A shared directory holding a mount of a restricted one: a
		 * recursive bind takes it along. */
		if (mount(src, home, NULL, MS_BIND, NULL) < 0)
			_exit(2);
		{
			char *h2 = ib_xasprintf("%s/v-home", tmpdir);
			(void)umount2(home, MNT_DETACH);
			if (mkdir(h2, 0755) < 0 && errno != EEXIST)
				_exit(2);
			char *sub = ib_xasprintf("%s/v-home/sub", tmpdir);
			if (mkdir(sub, 0755) < 0 && errno != EEXIST)
				_exit(2);
			if (mount(src, sub, NULL, MS_BIND, NULL) < 0)
				_exit(2);
			if (ib_policy_check_mount_source(p, h2, NULL, &e) == 0 ||
			    !strstr(e.msg, "(mounted below it) is configured as a restricted"))
				_exit(6);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed at step %d", WEXITSTATUS(status));
	ib_policy_free(p);
	free(json);
	free(etc);
	free(sbin);
	free(vols);
	free(vols2);
	free(home);
}

/* ---- namespaces ----------------------------------------------------------- */

static void spec_all_ns(struct ib_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->root_fd = -1;
	s->ns[IB_NS_PID].present = true;
	s->ns[IB_NS_NET].present = true;
	s->ns[IB_NS_IPC].present = true;
	s->ns[IB_NS_UTS].present = true;
}

static void spec_cleanup(struct ib_spec *s)
{
	for (int i = 0; i < IB_NS_COUNT; i++)
		free(s->ns[i].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	memset(s, 0, sizeof(*s));
}

/* A child in fresh namespaces (flags), kept alive until child_stop. */
struct child {
	pid_t pid;
	int fd; /* write end: closing it ends the child */
};

static struct child child_start(int flags)
{
	int ready[2], hold[2];
	struct child c;
	char b;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(flags) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		(void)read(hold[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	c.fd = hold[1];
	return c;
}

static void child_stop(struct child *c)
{
	int status;
	close(c->fd);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
}

static void test_namespaces(void **state)
{
	struct ib_spec s;
	ib_err err = {0};

	(void)state;
	spec_all_ns(&s);
	assert_int_equal(ib_policy_check_namespaces(&s, &err), 0);

	/* docker run --pid=host */
	s.ns[IB_NS_PID].present = false;
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share namespaces [pid] with the host " REASON);

	/* docker run --network=host */
	spec_all_ns(&s);
	s.ns[IB_NS_NET].present = false;
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share a network namespace with the host " REASON);

	/* Several: all listed, in order. */
	memset(&s, 0, sizeof(s));
	s.ns[IB_NS_IPC].present = true;
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg, "containers can't share namespaces [pid, a network namespace, "
				     "uts] with the host " REASON);

	/* A path to the host's namespace. */
	spec_all_ns(&s);
	s.ns[IB_NS_NET].path = ib_xstrdup("/proc/self/ns/net");
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share a network namespace with the host " REASON);
	spec_cleanup(&s);
	if (access("/proc/1/ns/net", R_OK) == 0) {
		spec_all_ns(&s);
		s.ns[IB_NS_NET].path = ib_xstrdup("/proc/1/ns/net");
		assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
		assert_string_equal(err.msg, "containers can't share a network namespace with "
					     "the host " REASON);
		spec_cleanup(&s);
	}

	spec_all_ns(&s);
	s.ns[IB_NS_UTS].path = ib_xstrdup("/proc/self/ns/uts");
	s.ns[IB_NS_IPC].path = ib_xstrdup("/proc/self/ns/ipc");
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share namespaces [ipc, uts] with the host " REASON);
	spec_cleanup(&s);

	/* cgroup: missing is fine (added by apply), the host's is refused. */
	spec_all_ns(&s);
	s.ns[IB_NS_CGROUP].present = true;
	s.ns[IB_NS_CGROUP].path = ib_xstrdup("/proc/self/ns/cgroup");
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share namespaces [cgroup] with the host " REASON);
	spec_cleanup(&s);

	/* The host's user namespace. */
	spec_all_ns(&s);
	s.ns[IB_NS_USER].present = true;
	s.ns[IB_NS_USER].path = ib_xstrdup("/proc/self/ns/user");
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_non_null(strstr(err.msg, "containers can't share the host's user namespace"));
	spec_cleanup(&s);

	/* A path that does not open. */
	spec_all_ns(&s);
	s.ns[IB_NS_NET].path = ib_xstrdup("/nonexistent/ns/net");
	assert_int_equal(ib_policy_check_namespaces(&s, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/ns/net"));
	spec_cleanup(&s);
}

static void test_namespaces_fresh_netns(void **state)
{
	struct child c = child_start(CLONE_NEWNET);
	struct ib_spec s;
	ib_err err = {0};
	char *dir = ib_xasprintf("%s/fakehost", tmpdir), *lnk = ib_xasprintf("%s/net", dir);

	(void)state;
	spec_all_ns(&s);
	s.ns[IB_NS_NET].path = ib_xasprintf("/proc/%d/ns/net", (int)c.pid);
	assert_int_equal(ib_policy_check_namespaces(&s, &err), 0);

	/* Injected host: that netns now is "the host's". */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(symlink(s.ns[IB_NS_NET].path, lnk), 0);
	assert_int_equal(ib_policy_check_namespaces_at(&s, dir, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share a network namespace with the host " REASON);
	spec_cleanup(&s);
	child_stop(&c);
	free(lnk);
	free(dir);
}

/* ---- apply ---------------------------------------------------------------- */

static char *new_state_root(void)
{
	static int n;
	char *root = ib_xasprintf("%s/state%d", tmpdir, n++);
	assert_int_equal(mkdir(root, 0700), 0);
	return root;
}

static void test_apply_basic(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root();
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	uint32_t base;

	(void)state;
	spec_all_ns(&s);
	assert_int_equal(ib_policy_apply(p, &s, root, "first", &iso, &err), 0);
	assert_int_equal(iso.host_base, 100000);
	assert_int_equal(iso.size, 65536);
	assert_false(iso.shared_userns);
	assert_null(iso.userns_path);
	assert_true(s.ns[IB_NS_USER].present);
	assert_null(s.ns[IB_NS_USER].path);
	assert_true(s.ns[IB_NS_CGROUP].present);
	assert_true(s.ns[IB_NS_MOUNT].present);
	assert_int_equal(s.n_uid_mappings, 1);
	assert_int_equal(s.uid_mappings[0].container_id, 0);
	assert_int_equal(s.uid_mappings[0].host_id, 100000);
	assert_int_equal(s.uid_mappings[0].size, 65536);
	assert_int_equal(s.n_gid_mappings, 1);
	assert_int_equal(s.gid_mappings[0].host_id, 100000);
	assert_int_equal(ib_idmap_lookup(root, "first", &base, &err), 0);
	assert_int_equal(base, 100000);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	/* A second container, and one that brought its own (harmless) mappings
	 * and user namespace (--userns=host is the same minus the entry). */
	spec_all_ns(&s);
	s.ns[IB_NS_USER].present = true;
	s.uid_mappings = ib_xmalloc0(sizeof(*s.uid_mappings));
	s.uid_mappings[0] = (struct ib_idmap){0, 500000000, 65536};
	s.n_uid_mappings = 1;
	assert_int_equal(ib_policy_apply(p, &s, root, "second", &iso, &err), 0);
	assert_int_equal(iso.host_base, 165536);
	assert_int_equal(s.n_uid_mappings, 1);
	assert_int_equal(s.uid_mappings[0].host_id, 165536);
	assert_int_equal(s.gid_mappings[0].host_id, 165536);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	free(root);
	ib_policy_free(p);
}

static void test_apply_refusals(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root();
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	uint32_t base;
	char *opts[] = {"rbind", "ro", NULL};
	struct ib_mount m = {.destination = "/mnt/docker",
			     .source = "/etc/docker",
			     .type = "none",
			     .options = opts,
			     .bind = true,
			     .recursive = true,
			     .source_fd = -1};

	(void)state;
	/* Host namespace. */
	spec_all_ns(&s);
	s.ns[IB_NS_PID].present = false;
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_string_equal(err.msg,
			    "containers can't share namespaces [pid] with the host " REASON);

	/* Restricted mount (bind given as an option). */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_string_equal(err.msg, "can't mount /etc/docker because it's "
				     "configured as a restricted host mount");
	/* A non-bind mount's source is not a host path. */
	m.options = NULL;
	m.bind = false;
	m.type = "proc";
	m.source = "/etc/docker";
	assert_int_equal(ib_policy_apply(p, &s, root, "nonbind", &iso, &err), 0);
	ib_isolation_clear(&iso);
	spec_cleanup(&s);

	/* The state root itself is restricted. */
	spec_all_ns(&s);
	m.type = "bind";
	m.bind = true;
	m.source = root;
	s.mounts = &m;
	s.n_mounts = 1;
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_non_null(strstr(err.msg, "restricted host mount"));
	spec_cleanup(&s);

	/* Mappings that reach host root. */
	spec_all_ns(&s);
	s.ns[IB_NS_USER].present = true;
	s.gid_mappings = ib_xmalloc0(sizeof(*s.gid_mappings));
	s.gid_mappings[0] = (struct ib_idmap){0, 0, 4294967295u};
	s.n_gid_mappings = 1;
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_string_equal(err.msg, "user namespace mappings in config.json map container root "
				     "to host root; refused");
	spec_cleanup(&s);

	/* Mappings overlapping another container's range ("nonbind" holds
	 * 100000). */
	spec_all_ns(&s);
	s.uid_mappings = ib_xmalloc0(sizeof(*s.uid_mappings));
	s.uid_mappings[0] = (struct ib_idmap){0, 120000, 65536};
	s.n_uid_mappings = 1;
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_string_equal(err.msg, "user namespace mappings in config.json overlap the "
				     "user-ID range of container nonbind; refused");
	spec_cleanup(&s);

	/* Nothing was allocated for the refused container. */
	assert_int_equal(ib_idmap_lookup(root, "c", &base, &err), -1);
	assert_int_equal(err.code, ENOENT);

	/* Exhausted pool: clear error, nothing left. */
	p->pool.count = 1;
	spec_all_ns(&s);
	assert_int_equal(ib_policy_apply(p, &s, root, "c", &iso, &err), -1);
	assert_string_equal(err.msg, "no free user-ID range: all 1 ranges of 65536 IDs are in use");
	assert_false(s.ns[IB_NS_USER].present);
	spec_cleanup(&s);

	free(root);
	ib_policy_free(p);
}

/* Every host path of a spec is opened and decided on by ib_policy_apply,
 * and what was decided on is kept in the spec for create. */
static void test_apply_host_paths(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root();
	char *rootfs = mkpath("%s/%s", "a-rootfs/");
	char *vol = mkpath("%s/%s", "a-vol/");
	char *l = mkpath("%s/%s", "a-ovl/l/"), *u = mkpath("%s/%s", "a-ovl/u/"),
	     *w = mkpath("%s/%s", "a-ovl/w/");
	char *good_data = ib_xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,index=off", l, u, w);
	struct ib_mount m = {.destination = "/x", .type = "bind", .bind = true, .source_fd = -1};
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	struct stat st;
	int fd;

	(void)state;
	/* root.path "/" (the host's root, ID-mapped: root there). */
	spec_all_ns(&s);
	s.root_fd = -1;
	s.root_path = "/";
	assert_int_equal(ib_policy_apply(p, &s, root, "r", &iso, &err), -1);
	assert_string_equal(err.msg, "can't mount / as the container's root filesystem because "
				     "it's configured as a restricted host mount");
	if (s.root_fd >= 0)
		close(s.root_fd);
	s.root_fd = -1;
	s.root_path = "/usr/share";
	assert_int_equal(ib_policy_apply(p, &s, root, "r", &iso, &err), -1);
	assert_string_equal(err.msg, "can't mount /usr/share as the container's root filesystem "
				     "because it's not in the admin policy's allowed mounts");
	if (s.root_fd >= 0)
		close(s.root_fd);
	/* A bundle's rootfs in a shared directory: kept open, identified. */
	s.root_fd = -1;
	s.root_path = rootfs;
	assert_int_equal(ib_policy_apply(p, &s, root, "r", &iso, &err), 0);
	assert_true(s.root_fd >= 0);
	assert_int_equal(stat(rootfs, &st), 0);
	assert_true(s.root_dev == st.st_dev && s.root_ino == st.st_ino);
	assert_null(s.root_overlay);
	close(s.root_fd);
	s.root_path = NULL;
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	/* A bind: a detached clone of the very source decided on. */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	m.source = vol;
	assert_int_equal(ib_policy_apply(p, &s, root, "b", &iso, &err), 0);
	assert_true(m.source_fd >= 0);
	assert_true(m.host_shared);
	assert_int_equal(fstat(m.source_fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	close(m.source_fd);
	m.source_fd = -1;
	free(m.source_fs_path);
	m.source_fs_path = NULL;
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	/* Magic links: never. */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	fd = open(vol, O_PATH | O_CLOEXEC);
	m.source = ib_xasprintf("/proc/self/fd/%d", fd);
	assert_int_equal(ib_policy_apply(p, &s, root, "m", &iso, &err), -1);
	assert_non_null(strstr(err.msg, "goes through a magic link"));
	assert_int_equal(m.source_fd, -1);
	free(m.source);
	close(fd);
	spec_cleanup(&s);

	/* An overlay mount of config.json: its layers are host paths. */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	m.type = "overlay";
	m.bind = false;
	m.source = "overlay";
	m.data = "lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w";
	assert_int_equal(ib_policy_apply(p, &s, root, "o", &iso, &err), -1);
	assert_string_equal(err.msg,
			    "can't mount /etc because it's configured as a restricted host mount");
	ib_overlay_src_free(m.overlay);
	m.overlay = NULL;
	m.data = ib_xasprintf("lowerdir=%s:/usr/local/sbin", l);
	assert_int_equal(ib_policy_apply(p, &s, root, "o", &iso, &err), -1);
	assert_string_equal(err.msg, "can't mount /usr/local/sbin because it's not in the admin "
				     "policy's allowed mounts");
	free(m.data);
	ib_overlay_src_free(m.overlay);
	m.overlay = NULL;
	m.data = good_data;
	assert_int_equal(ib_policy_apply(p, &s, root, "o", &iso, &err), 0);
	assert_non_null(m.overlay);
	assert_int_equal(m.overlay->n, 3);
	assert_string_equal(m.overlay->keys[0], "lowerdir+");
	assert_string_equal(m.overlay->keys[1], "upperdir");
	assert_string_equal(m.overlay->keys[2], "workdir");
	assert_string_equal(m.overlay->opts[0], "index=off");
	assert_true(m.overlay->fds[0] >= 0);
	assert_true(m.host_shared);
	ib_overlay_src_free(m.overlay);
	m.overlay = NULL;
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	free(good_data);
	free(l);
	free(u);
	free(w);
	free(vol);
	free(rootfs);
	free(root);
	ib_policy_free(p);
}

/* readOnlyMounts (a kind node's /lib/modules): a bind of the directory or
 * of something inside it only read-only ("ro", or "rro" for what lies
 * below it); a bind of its parent is refused as restricted. */
static void test_apply_read_only(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root();
	char *parent = mkpath("%s/%s", "ro-parent/");
	char *mods = mkpath("%s/%s", "ro-parent/modules/");
	char *ver = mkpath("%s/%s", "ro-parent/modules/6.1.0/");
	struct ib_mount m = {
	    .destination = "/lib/modules", .type = "bind", .bind = true, .source_fd = -1};
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	char *want;

	(void)state;
	ib_strv_free(p->read_only_mounts);
	p->read_only_mounts = NULL;
	ib_strv_push(&p->read_only_mounts, mods);
	/* Read-write: refused. */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	m.source = mods;
	assert_int_equal(ib_policy_apply(p, &s, root, "rw", &iso, &err), -1);
	want = ib_xasprintf("can't mount %.*s read-write because the admin policy offers it "
			    "read-only (add :ro)",
			    (int)strlen(mods) - 1, mods); /* shown without the trailing slash */
	assert_string_equal(err.msg, want);
	free(want);
	assert_int_equal(m.source_fd, -1);
	spec_cleanup(&s);
	/* Read-only: the directory and something inside it. */
	for (int i = 0; i < 2; i++) {
		spec_all_ns(&s);
		s.mounts = &m;
		s.n_mounts = 1;
		m.source = i ? ver : mods;
		m.flags = MS_RDONLY;
		assert_int_equal(ib_policy_apply(p, &s, root, "ro", &iso, &err), 0);
		assert_true(m.source_fd >= 0);
		close(m.source_fd);
		m.source_fd = -1;
		free(m.source_fs_path); /* the policy's identification of the object */
		m.source_fs_path = NULL;
		m.flags = 0;
		spec_cleanup(&s);
		ib_isolation_clear(&iso);
	}
	/* Its parent (which would show it writable): restricted. */
	spec_all_ns(&s);
	s.mounts = &m;
	s.n_mounts = 1;
	m.source = parent;
	m.flags = MS_RDONLY;
	assert_int_equal(ib_policy_apply(p, &s, root, "p", &iso, &err), -1);
	want = ib_xasprintf("can't mount %.*s because it's configured as a restricted host mount",
			    (int)strlen(parent) - 1, parent);
	assert_string_equal(err.msg, want);
	free(want);
	m.flags = 0;
	spec_cleanup(&s);
	/* Never as a root filesystem (it would be written). */
	spec_all_ns(&s);
	s.root_path = mods;
	assert_int_equal(ib_policy_apply(p, &s, root, "r", &iso, &err), -1);
	assert_non_null(strstr(err.msg, "offers it read-only, as a bind mount only"));
	if (s.root_fd >= 0)
		close(s.root_fd);
	s.root_path = NULL;
	spec_cleanup(&s);

	free(ver);
	free(mods);
	free(parent);
	free(root);
	ib_policy_free(p);
}

static void test_apply_stale(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root(), *dir = ib_xasprintf("%s/alive", root);
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	pid_t pid;
	int status;

	(void)state;
	/* Far from real containers' ranges: a range used by a live process is
	 * never reclaimed. */
	p->pool.base = 3000000000u;
	p->pool.count = 3;
	/* Three runtimes that allocated and exited: one container has a state
	 * dir with its init recorded, one died mid-create before it had a state
	 * dir, one after (state.json without an init). */
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char *f = ib_xasprintf("%s/state.json", dir);
		char *d2 = ib_xasprintf("%s/halfway", root),
		     *f2 = ib_xasprintf("%s/state.json", d2);
		ib_err e = {0};

		assert_int_equal(ib_write_file_atomic(f, "{\"pid\": 4242}", 13, 0600, &e), 0);
		assert_int_equal(mkdir(d2, 0700), 0);
		assert_int_equal(ib_write_file_atomic(f2, "{\"pid\": 0}", 10, 0600, &e), 0);
		free(f);
		free(f2);
		free(d2);
	}
	pid = fork();
	if (pid == 0) {
		struct ib_spec cs;
		struct ib_isolation ci;
		ib_err e = {0};
		spec_all_ns(&cs);
		if (ib_policy_apply(p, &cs, root, "alive", &ci, &e) < 0)
			_exit(1);
		spec_all_ns(&cs);
		if (ib_policy_apply(p, &cs, root, "halfway", &ci, &e) < 0)
			_exit(1);
		spec_all_ns(&cs);
		_exit(ib_policy_apply(p, &cs, root, "crashed", &ci, &e) < 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);

	spec_all_ns(&s);
	assert_int_equal(ib_policy_apply(p, &s, root, "new", &iso, &err), 0);
	assert_int_equal(iso.host_base, 3000000000u + 65536);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);
	free(dir);
	free(root);
	ib_policy_free(p);
}

static void test_apply_shared_userns(void **state)
{
	struct ib_policy *p = ib_policy_default();
	char *root = new_state_root();
	struct ib_isolation iso;
	struct ib_spec s;
	ib_err err = {0};
	uint32_t base = 0;
	struct child c;
	char *path, *want;

	(void)state;
	/* Container X: range 100000, its user namespace is a child process's. */
	spec_all_ns(&s);
	assert_int_equal(ib_policy_apply(p, &s, root, "x", &iso, &err), 0);
	assert_int_equal(iso.host_base, 100000);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);
	c = child_start(CLONE_NEWUSER | CLONE_NEWNET);
	path = ib_xasprintf("/proc/%d/uid_map", (int)c.pid);
	assert_int_equal(ib_write_file_at(AT_FDCWD, path, "0 100000 65536", 14, &err), 0);
	free(path);
	path = ib_xasprintf("/proc/%d/gid_map", (int)c.pid);
	assert_int_equal(ib_write_file_at(AT_FDCWD, path, "0 100000 65536", 14, &err), 0);
	free(path);

	/* --net=container:x */
	spec_all_ns(&s);
	s.ns[IB_NS_NET].path = ib_xasprintf("/proc/%d/ns/net", (int)c.pid);
	assert_int_equal(ib_policy_apply(p, &s, root, "y", &iso, &err), 0);
	want = ib_xasprintf("/proc/%d/ns/user", (int)c.pid);
	assert_true(iso.shared_userns);
	assert_string_equal(iso.userns_path, want);
	assert_int_equal(iso.host_base, 100000);
	assert_true(s.ns[IB_NS_USER].present);
	assert_string_equal(s.ns[IB_NS_USER].path, want);
	assert_int_equal(s.uid_mappings[0].host_id, 100000);
	assert_int_equal(ib_idmap_lookup(root, "y", &base, &err), 0);
	assert_int_equal(base, 100000);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	/* x is deleted: the range stays with y. */
	assert_int_equal(ib_idmap_release(root, "x", &err), 0);
	spec_all_ns(&s);
	assert_int_equal(ib_policy_apply(p, &s, root, "z", &iso, &err), 0);
	assert_int_equal(iso.host_base, 165536);
	spec_cleanup(&s);
	ib_isolation_clear(&iso);

	/* A user namespace that is no ironbox container's range. */
	assert_int_equal(ib_idmap_release(root, "y", &err), 0);
	spec_all_ns(&s);
	s.ns[IB_NS_NET].path = ib_xasprintf("/proc/%d/ns/net", (int)c.pid);
	assert_int_equal(ib_policy_apply(p, &s, root, "w", &iso, &err), -1);
	assert_non_null(strstr(err.msg, "not allocated"));
	spec_cleanup(&s);

	child_stop(&c);
	free(want);
	free(root);
	ib_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_default_json_roundtrip),
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_sysctl_max_defaults),
	    cmocka_unit_test(test_sysctl_max_parse),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_pool_host_check),
	    cmocka_unit_test(test_path_restricted_table),
	    cmocka_unit_test(test_check_mount_source),
	    cmocka_unit_test(test_custom_data_root),
	    cmocka_unit_test(test_decide_objects),
	    cmocka_unit_test(test_decide_identity),
	    cmocka_unit_test(test_decide_aliases),
	    cmocka_unit_test(test_engine_socket),
	    cmocka_unit_test(test_engine_socket_among_many),
	    cmocka_unit_test(test_engine_socket_below_renamed),
	    cmocka_unit_test(test_volume_bound_from_restricted),
	    cmocka_unit_test(test_apply_host_paths),
	    cmocka_unit_test(test_apply_read_only),
	    cmocka_unit_test(test_namespaces),
	    cmocka_unit_test(test_namespaces_fresh_netns),
	    cmocka_unit_test(test_apply_basic),
	    cmocka_unit_test(test_apply_refusals),
	    cmocka_unit_test(test_apply_stale),
	    cmocka_unit_test(test_apply_shared_userns),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
