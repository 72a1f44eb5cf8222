/* libFuzzer target: config.json (src/spec).
 *
 * Input: one config.json document, hostile. Per input:
 *   1. ib_spec_parse(): a failure must carry a code and a message; a success
 *      must give a spec whose every field is readable and satisfies what the
 *      parser promises its consumers (absolute clean root path, absolute
 *      mount destinations/hook paths/namespace paths/device paths, soft <=
 *      hard rlimits, in-range values, counts that match arrays);
 *   2. round trip: ib_spec_to_json() of that spec parses again to the same
 *      spec and serializes to the same text (the state dir stores this text
 *      and `start`/`delete` read it back);
 *   3. the same after the rewrite the policy stage does (user + cgroup
 *      namespaces added, a 64K mapping to a host range), so the stored
 *      config.json always carries the rewritten namespaces and mappings;
 *   4. ib_process_parse() (`exec --process FILE`) on the same text.
 * Everything is freed (LeakSanitizer). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "fuzz_common.h"
#include "spec/spec.h"

#define BUNDLE "/fuzz/bundle"

static void check_abs(const char *what, size_t i, const char *p)
{
	FZ_CHECK(p && p[0] == '/', "%s[%zu] is not an absolute path: \"%s\"", what, i,
		 p ? p : "(null)");
}

/* root.path is resolved against the bundle and lexically cleaned. */
static void check_clean_abs(const char *p)
{
	size_t n;

	FZ_CHECK(p && p[0] == '/', "root path not absolute: \"%s\"", p ? p : "(null)");
	n = strlen(p);
	FZ_CHECK(!strstr(p, "//"), "root path has \"//\": \"%s\"", p);
	FZ_CHECK(n == 1 || p[n - 1] != '/', "root path has a trailing slash: \"%s\"", p);
	FZ_CHECK(!strstr(p, "/./") && !(n >= 2 && !strcmp(p + n - 2, "/.")),
		 "root path has a \".\" component: \"%s\"", p);
	FZ_CHECK(!strstr(p, "/../") && !(n >= 3 && !strcmp(p + n - 3, "/..")),
		 "root path has a \"..\" component: \"%s\"", p);
}

static void walk_idmaps(const char *what, const struct ib_idmap *m, size_t n)
{
	FZ_CHECK(n == 0 || m, "%s: %zu mappings but no array", what, n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(m[i].size > 0, "%s[%zu]: size 0 accepted", what, i);
}

static void walk_process(const struct ib_process *p)
{
	FZ_CHECK(p->n_additional_gids == 0 || p->additional_gids, "additionalGids: no array");
	for (size_t i = 0; i < p->n_additional_gids; i++)
		(void)*(volatile gid_t *)&p->additional_gids[i];
	FZ_CHECK(!p->has_umask || p->umask <= 07777, "umask %o accepted", (unsigned)p->umask);
	fz_touch_strv(p->args);
	fz_touch_strv(p->env);
	if (p->cwd)
		check_abs("process.cwd", 0, p->cwd);
	FZ_CHECK(p->n_rlimits == 0 || p->rlimits, "rlimits: no array");
	for (size_t i = 0; i < p->n_rlimits; i++) {
		FZ_CHECK(p->rlimits[i].resource >= 0, "rlimits[%zu]: bad resource", i);
		FZ_CHECK(p->rlimits[i].soft <= p->rlimits[i].hard,
			 "rlimits[%zu]: soft > hard accepted", i);
	}
	fz_touch(p->apparmor_profile);
	fz_touch(p->selinux_label);
	FZ_CHECK(!p->has_oom_score_adj || (p->oom_score_adj >= -1000 && p->oom_score_adj <= 1000),
		 "oomScoreAdj %d accepted", p->oom_score_adj);
}

static void walk_hooks(const char *what, const struct ib_hook *h, size_t n)
{
	FZ_CHECK(n == 0 || h, "hooks.%s: no array", what);
	for (size_t i = 0; i < n; i++) {
		check_abs(what, i, h[i].path);
		fz_touch_strv(h[i].args);
		fz_touch_strv(h[i].env);
		FZ_CHECK(h[i].timeout >= 0, "hooks.%s[%zu]: negative timeout", what, i);
	}
}

static void walk_resources(const struct ib_resources *r)
{
	FZ_CHECK(r->n_devices == 0 || r->devices, "resources.devices: no array");
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct ib_device_rule *d = &r->devices[i];
		FZ_CHECK(d->type == 'a' || d->type == 'b' || d->type == 'c',
			 "resources.devices[%zu]: type '%c'", i, d->type);
		FZ_CHECK(memchr(d->access, 0, sizeof(d->access)), "access not terminated");
		FZ_CHECK(strspn(d->access, "rwm") == strlen(d->access),
			 "resources.devices[%zu]: access \"%s\"", i, d->access);
		FZ_CHECK(d->major >= -1 && d->minor >= -1, "resources.devices[%zu]: numbers", i);
	}
	FZ_CHECK(!r->has_mem_swappiness || r->mem_swappiness <= 100, "swappiness accepted");
	fz_touch(r->cpuset_cpus);
	fz_touch(r->cpuset_mems);
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++)
		(void)*(volatile int64_t *)&r->blkio_weight_devices[i].major;
	for (size_t i = 0; i < r->n_throttle_read_bps; i++)
		(void)*(volatile uint64_t *)&r->throttle_read_bps[i].rate;
	for (size_t i = 0; i < r->n_throttle_write_bps; i++)
		(void)*(volatile uint64_t *)&r->throttle_write_bps[i].rate;
	for (size_t i = 0; i < r->n_throttle_read_iops; i++)
		(void)*(volatile uint64_t *)&r->throttle_read_iops[i].rate;
	for (size_t i = 0; i < r->n_throttle_write_iops; i++)
		(void)*(volatile uint64_t *)&r->throttle_write_iops[i].rate;
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		FZ_CHECK(r->hugepage_limits[i].page_size, "hugepageLimits[%zu]: no pageSize", i);
	for (size_t i = 0; i < r->n_unified; i++) {
		FZ_CHECK(r->unified_keys[i] && r->unified_values[i], "unified[%zu]: NULL", i);
		fz_touch(r->unified_keys[i]);
		fz_touch(r->unified_values[i]);
	}
}

static void walk_spec(const struct ib_spec *s)
{
	FZ_CHECK(s->oci_version && !strncmp(s->oci_version, "1.", 2), "ociVersion \"%s\" accepted",
		 s->oci_version ? s->oci_version : "(null)");
	check_clean_abs(s->root_path);
	fz_touch(s->hostname);
	fz_touch(s->domainname);
	if (s->process)
		walk_process(s->process);

	FZ_CHECK(s->n_mounts == 0 || s->mounts, "mounts: no array");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];
		check_abs("mounts.destination", i, m->destination);
		fz_touch(m->source);
		fz_touch(m->type);
		fz_touch_strv(m->options);
		fz_touch(m->data);
		walk_idmaps("mounts.uidMappings", m->uid_mappings, m->n_uid_mappings);
		walk_idmaps("mounts.gidMappings", m->gid_mappings, m->n_gid_mappings);
		FZ_CHECK(!m->n_uid_mappings || m->idmap, "mounts[%zu]: mappings but no idmap", i);
	}

	walk_hooks("prestart", s->hooks.prestart, s->hooks.n_prestart);
	walk_hooks("createRuntime", s->hooks.create_runtime, s->hooks.n_create_runtime);
	walk_hooks("createContainer", s->hooks.create_container, s->hooks.n_create_container);
	walk_hooks("startContainer", s->hooks.start_container, s->hooks.n_start_container);
	walk_hooks("poststart", s->hooks.poststart, s->hooks.n_poststart);
	walk_hooks("poststop", s->hooks.poststop, s->hooks.n_poststop);

	for (size_t i = 0; i < s->n_annotations; i++) {
		FZ_CHECK(s->annotation_keys[i] && s->annotation_values[i], "annotation %zu NULL",
			 i);
		FZ_CHECK(ib_spec_annotation(s, s->annotation_keys[i]),
			 "annotation \"%s\" not found by ib_spec_annotation",
			 s->annotation_keys[i]);
	}

	for (int i = 0; i < IB_NS_COUNT; i++) {
		FZ_CHECK(s->ns[i].present || !s->ns[i].path, "namespace %d: path but not present",
			 i);
		if (s->ns[i].path)
			check_abs("linux.namespaces.path", (size_t)i, s->ns[i].path);
	}
	walk_idmaps("linux.uidMappings", s->uid_mappings, s->n_uid_mappings);
	walk_idmaps("linux.gidMappings", s->gid_mappings, s->n_gid_mappings);

	FZ_CHECK(s->n_devices == 0 || s->devices, "devices: no array");
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct ib_device *d = &s->devices[i];
		check_abs("linux.devices.path", i, d->path);
		FZ_CHECK(d->type && strchr("cbup", d->type), "devices[%zu]: type '%c'", i, d->type);
		FZ_CHECK(d->major >= 0 && d->minor >= 0, "devices[%zu]: negative numbers", i);
		FZ_CHECK((d->mode & ~07777) == 0, "devices[%zu]: mode %o", i, (unsigned)d->mode);
	}
	fz_touch(s->cgroups_path);
	if (s->has_resources)
		walk_resources(&s->resources);
	for (size_t i = 0; i < s->n_sysctls; i++) {
		FZ_CHECK(s->sysctls[i].key && s->sysctls[i].value, "sysctl %zu NULL", i);
		fz_touch(s->sysctls[i].key);
		fz_touch(s->sysctls[i].value);
	}
	if (s->seccomp) {
		fz_touch_strv(s->seccomp->architectures);
		fz_touch_strv(s->seccomp->flags);
		fz_touch(s->seccomp->listener_path);
		for (size_t i = 0; i < s->seccomp->n_rules; i++) {
			const struct ib_seccomp_rule *r = &s->seccomp->rules[i];
			FZ_CHECK(r->names && r->names[0], "seccomp rule %zu without names", i);
			fz_touch_strv(r->names);
			for (size_t k = 0; k < r->n_args; k++)
				FZ_CHECK(r->args[k].index <= 5 && r->args[k].op >= 0,
					 "seccomp rule %zu arg %zu: index %u op %d", i, k,
					 r->args[k].index, r->args[k].op);
		}
	}
	for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
		check_abs("linux.maskedPaths", i, s->masked_paths[i]);
	for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
		check_abs("linux.readonlyPaths", i, s->readonly_paths[i]);
	fz_touch(s->mount_label);
	FZ_CHECK(!s->personality_domain || !strcmp(s->personality_domain, "LINUX") ||
		     !strcmp(s->personality_domain, "LINUX32"),
		 "personality \"%s\" accepted", s->personality_domain);
	FZ_CHECK(s->json && json_object_is_type(s->json, json_type_object),
		 "parsed spec keeps no JSON object");
}

static bool idmaps_equal(const struct ib_idmap *a, size_t na, const struct ib_idmap *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].container_id != b[i].container_id || a[i].host_id != b[i].host_id ||
		    a[i].size != b[i].size)
			return false;
	return true;
}

/* What the state dir keeps must mean the same spec. */
static void compare_specs(const char *stage, const struct ib_spec *a, const struct ib_spec *b)
{
	FZ_CHECK(fz_streq(a->oci_version, b->oci_version), "%s: ociVersion changed", stage);
	FZ_CHECK(fz_streq(a->root_path, b->root_path), "%s: root path \"%s\" became \"%s\"", stage,
		 a->root_path, b->root_path);
	FZ_CHECK(a->root_readonly == b->root_readonly, "%s: root.readonly changed", stage);
	FZ_CHECK(fz_streq(a->hostname, b->hostname), "%s: hostname changed", stage);
	FZ_CHECK(!a->process == !b->process, "%s: process appeared/disappeared", stage);
	FZ_CHECK(a->n_mounts == b->n_mounts, "%s: %zu mounts became %zu", stage, a->n_mounts,
		 b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		FZ_CHECK(fz_streq(a->mounts[i].destination, b->mounts[i].destination) &&
			     fz_streq(a->mounts[i].source, b->mounts[i].source) &&
			     a->mounts[i].flags == b->mounts[i].flags &&
			     a->mounts[i].clear == b->mounts[i].clear &&
			     a->mounts[i].bind == b->mounts[i].bind,
			 "%s: mount %zu changed", stage, i);
	}
	for (int i = 0; i < IB_NS_COUNT; i++)
		FZ_CHECK(a->ns[i].present == b->ns[i].present &&
			     fz_streq(a->ns[i].path, b->ns[i].path),
			 "%s: namespace %s changed", stage, ib_ns_name((enum ib_ns_type)i));
	FZ_CHECK(
	    idmaps_equal(a->uid_mappings, a->n_uid_mappings, b->uid_mappings, b->n_uid_mappings),
	    "%s: uidMappings changed", stage);
	FZ_CHECK(
	    idmaps_equal(a->gid_mappings, a->n_gid_mappings, b->gid_mappings, b->n_gid_mappings),
	    "%s: gidMappings changed", stage);
	FZ_CHECK(a->n_devices == b->n_devices && a->n_sysctls == b->n_sysctls &&
		     !a->seccomp == !b->seccomp && a->n_annotations == b->n_annotations,
		 "%s: devices/sysctls/seccomp/annotations changed", stage);
}

/* spec -> JSON -> spec -> JSON: same spec, same text. */
static void round_trip(const char *stage, const struct ib_spec *s)
{
	char *j1 = ib_spec_to_json(s), *j2;
	ib_err err = {0};
	struct ib_spec *s2;

	FZ_CHECK(j1, "%s: ib_spec_to_json returned NULL", stage);
	s2 = ib_spec_parse(j1, BUNDLE, &err);
	FZ_CHECK(s2, "%s: ib_spec_to_json output does not parse: %s\n%s", stage, err.msg, j1);
	walk_spec(s2);
	compare_specs(stage, s, s2);
	j2 = ib_spec_to_json(s2);
	FZ_CHECK(j2 && !strcmp(j1, j2), "%s: serialization not stable:\n%s\n%s", stage, j1,
		 j2 ? j2 : "(null)");
	free(j1);
	free(j2);
	ib_spec_free(s2);
}

static struct ib_idmap *one_map(uint32_t host)
{
	struct ib_idmap *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->container_id = 0;
	m->host_id = host;
	m->size = 65536;
	return m;
}

/* What ib_policy_apply does to an accepted spec (without the allocator). */
static void policy_rewrite(struct ib_spec *s)
{
	s->ns[IB_NS_USER].present = true;
	s->ns[IB_NS_CGROUP].present = true;
	free(s->uid_mappings);
	free(s->gid_mappings);
	s->uid_mappings = one_map(165536);
	s->gid_mappings = one_map(165536);
	s->n_uid_mappings = s->n_gid_mappings = 1;
}

static void log_sink(enum ib_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)data;
	FZ_CHECK(msg, "NULL log message");
	fz_touch(msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ib_log_set_sink(log_sink, NULL);
	ib_log_set_level(IB_LOG_DEBUG);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstring(data, size);
	ib_err err = {0};
	struct ib_spec *s;
	struct ib_process *p;

	if (!text)
		return -1;

	s = ib_spec_parse(text, BUNDLE, &err);
	if (!s) {
		fz_check_error("ib_spec_parse", &err);
	} else {
		walk_spec(s);
		round_trip("round trip", s);
		policy_rewrite(s);
		round_trip("round trip after the policy rewrite", s);
		ib_spec_free(s);
	}

	memset(&err, 0, sizeof(err));
	p = ib_process_parse(text, &err);
	if (!p) {
		fz_check_error("ib_process_parse", &err);
	} else {
		walk_process(p);
		ib_process_free(p);
	}
	free(text);
	return 0;
}
