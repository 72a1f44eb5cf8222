/* libFuzzer target: the admin policy file (src/policy/policy_file.c).
 *
 * Input: one /etc/ironbox/policy.json document. The file is root-owned, so the
 * attacker here is a typo or a broken tool rather than a container, but the
 * runtime must still never crash on it nor mis-read it into a weaker policy:
 *   - a failure carries a code and a message;
 *   - an accepted policy has a pool that fits the 32-bit ID space with base >
 *     0 and 64K ranges, absolute normalized restricted/allowed paths, and no
 *     ".." component in an engineAllowed pattern;
 *   - every restricted entry, and every parent directory of one, is refused
 *     by ib_policy_path_restricted() (`-v /etc:/x`, `-v /:/host`), whatever
 *     the engineAllowed patterns say;
 *   - queries on a fixed set of tricky paths, and on paths the document
 *     names, run cleanly; an allowed path never contains a restricted entry;
 *   - a restricted entry placed below a missing top-level directory resolves
 *     lexically (ib_policy_resolve; nothing dropped);
 *   - every sysctlMaximums ceiling is a value of its max-reconciled knob.
 * Initialization checks that the built-in default policy, serialized by
 * ib_policy_default_json(), parses back to the same policy. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "fuzz_common.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

/* Paths the mount check sees in practice, plus traversal and odd shapes. */
static const char *const queries[] = {
    "/",
    "/etc",
    "/etc/",
    "/etc/docker/daemon.json",
    "/etc/docker/../docker/daemon.json",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/lib/docker/containers/abc/resolv.conf",
    "/var/lib/docker/containers/abc/../../../../etc/docker",
    "/var/lib/docker/containers/abc/mounts/secrets",
    "/var/lib/docker/volumes/v/_data/sub/dir",
    "/var/lib/docker/volumes/v/../../image",
    "/var/lib/containers/storage/overlay-containers/x/userdata/hosts",
    "/home/user/project",
    "/tmp",
    "//etc//docker/",
    "/./etc/./docker",
    "/..",
    "/run/ironbox/idmap.tab",
    "/dev/sda",
    "/proc/sys/kernel",
    "/sys/fs/cgroup",
};

static void check_normalized_abs(const char *key, size_t i, const char *p)
{
	size_t n;

	FZ_CHECK(p && p[0] == '/', "%s[%zu] not absolute: \"%s\"", key, i, p ? p : "(null)");
	n = strlen(p);
	FZ_CHECK(!strstr(p, "//") && (n == 1 || p[n - 1] != '/') && !strstr(p, "/./") &&
		     !strstr(p, "/../") && !(n >= 2 && !strcmp(p + n - 2, "/.")) &&
		     !(n >= 3 && !strcmp(p + n - 3, "/..")),
		 "%s[%zu] not normalized: \"%s\"", key, i, p);
}

static bool has_dotdot_component(const char *s)
{
	size_t n = strlen(s);

	return !strcmp(s, "..") || !strncmp(s, "../", 3) || strstr(s, "/../") ||
	       (n >= 3 && !strcmp(s + n - 3, "/.."));
}

/* a is b or inside b (both normalized). */
static bool at_or_below(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

/* One mount-source decision: it names the entry it matched, and a path that
 * is or contains a restricted entry is never allowed (`-v /etc:/x`). */
static void query(const struct ib_policy *p, const char *path)
{
	const char *which = NULL;
	bool r = ib_policy_path_restricted(p, path, &which);
	char *norm;

	FZ_CHECK(!r || which, "\"%s\" restricted without naming the entry", path);
	fz_touch(which);
	if (r || path[0] != '/')
		return;
	norm = ib_policy_normalize(path);
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++)
		FZ_CHECK(!at_or_below(p->restricted_mounts[i], norm),
			 "\"%s\" is allowed but contains the restricted entry \"%s\"", path,
			 p->restricted_mounts[i]);
	free(norm);
}

static void check_policy(const struct ib_policy *p)
{
	FZ_CHECK(p->pool.size == 65536, "idRanges.size %u accepted", p->pool.size);
	FZ_CHECK(p->pool.base > 0, "idRanges.base 0 accepted (host root would be mapped)");
	FZ_CHECK(p->pool.count > 0, "idRanges.count 0 accepted");
	FZ_CHECK((uint64_t)p->pool.base + (uint64_t)p->pool.size * p->pool.count <= UINT32_MAX,
		 "idRanges beyond 2^32 accepted: base %u count %u", p->pool.base, p->pool.count);

	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++)
		check_normalized_abs("restrictedMounts", i, p->restricted_mounts[i]);
	for (size_t i = 0; p->allowed_mounts && p->allowed_mounts[i]; i++)
		check_normalized_abs("allowedMounts", i, p->allowed_mounts[i]);
	for (size_t i = 0; p->engine_allowed && p->engine_allowed[i]; i++) {
		FZ_CHECK(p->engine_allowed[i][0], "engineAllowed[%zu] empty", i);
		FZ_CHECK(!has_dotdot_component(p->engine_allowed[i]),
			 "engineAllowed[%zu] has a \"..\" component: \"%s\"", i,
			 p->engine_allowed[i]);
	}

	for (size_t i = 0; i < ib_n_knobs; i++)
		FZ_CHECK(ib_knobs[i].rule != IB_KNOB_MAX || (p->sysctl_max[i] >= ib_knobs[i].min &&
							     p->sysctl_max[i] <= ib_knobs[i].max),
			 "sysctlMaximums.%s = %lld accepted", ib_knobs[i].name,
			 (long long)p->sysctl_max[i]);

	/* Each restricted entry and each of its parents is refused. */
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		char *path = strdup(p->restricted_mounts[i]);
		const char *which = NULL;

		if (!path)
			abort();
		for (;;) {
			char *slash;

			which = NULL;
			FZ_CHECK(ib_policy_path_restricted(p, path, &which),
				 "\"%s\" (restricted entry \"%s\" or a parent of it) is allowed",
				 path, p->restricted_mounts[i]);
			FZ_CHECK(which, "restricted \"%s\" without naming the entry", path);
			fz_touch(which);
			if (!strcmp(path, "/"))
				break;
			slash = strrchr(path, '/');
			if (slash == path)
				slash[1] = '\0';
			else
				*slash = '\0';
		}
		free(path);
	}

	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		query(p, queries[i]);
	/* Paths the document itself names (allowed directories, absolute
	 * patterns taken literally, entries plus a child). */
	for (size_t i = 0; p->allowed_mounts && p->allowed_mounts[i]; i++)
		query(p, p->allowed_mounts[i]);
	for (size_t i = 0; p->engine_allowed && p->engine_allowed[i]; i++)
		if (p->engine_allowed[i][0] == '/')
			query(p, p->engine_allowed[i]);
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		char *child = NULL;

		if (asprintf(&child, "%s/containers/x/resolv.conf", p->restricted_mounts[i]) < 0)
			abort();
		query(p, child);
		free(child);
	}
}

/* A top-level directory no host has (checked at start-up). */
#define MISSING "/ib-fuzz-no-such-dir"

/* Resolving a path below a missing directory is lexical: normalized, nothing
 * dropped (what the mount check compares with the restricted entries).
 * Returns 0 when a known open bug was hit. */
static int check_resolve_missing(const struct ib_policy *p)
{
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		char *path = NULL, *want, *got;
		int ok;

		if (asprintf(&path, MISSING "%s", p->restricted_mounts[i]) < 0)
			abort();
		want = ib_policy_normalize(path);
		got = ib_policy_resolve(path);
		ok = FZ_CHECK_OPEN("policy-resolve-missing", !strcmp(got, want),
				   "ib_policy_resolve(\"%s\") = \"%s\", want \"%s\"", path, got,
				   want);
		free(path);
		free(want);
		free(got);
		if (!ok)
			return 0;
	}
	return 1;
}

static void log_sink(enum ib_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)data;
	fz_touch(msg);
}

static bool strv_equal(char **a, char **b)
{
	size_t i;

	for (i = 0; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return (!a || !a[i]) && (!b || !b[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ib_policy *def = ib_policy_default(), *back;
	char *json = ib_policy_default_json();
	ib_err err = {0};

	(void)argc;
	(void)argv;
	ib_log_set_sink(log_sink, NULL);
	ib_log_set_level(IB_LOG_DEBUG);
	FZ_CHECK(access(MISSING, F_OK) < 0, MISSING " exists on this host");

	back = ib_policy_parse(json, &err);
	FZ_CHECK(back, "the default policy JSON does not parse: %s\n%s", err.msg, json);
	FZ_CHECK(back->pool.base == def->pool.base && back->pool.size == def->pool.size &&
		     back->pool.count == def->pool.count &&
		     strv_equal(back->restricted_mounts, def->restricted_mounts) &&
		     strv_equal(back->allowed_mounts, def->allowed_mounts) &&
		     strv_equal(back->engine_allowed, def->engine_allowed) &&
		     !memcmp(back->sysctl_max, def->sysctl_max, sizeof(def->sysctl_max)),
		 "the default policy JSON parses to a different policy");
	check_policy(def);
	ib_policy_free(back);
	ib_policy_free(def);
	free(json);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstring(data, size);
	ib_err err = {0};
	struct ib_policy *p;

	if (!text)
		return -1;
	p = ib_policy_parse(text, &err);
	if (!p) {
		fz_check_error("ib_policy_parse", &err);
	} else {
		check_policy(p);
		check_resolve_missing(p); /* last: it may stop at a known open bug */
		ib_policy_free(p);
	}
	free(text);
	return 0;
}
