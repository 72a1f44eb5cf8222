/* Releasing what the parser (spec.c and the spec_*.c of each area) made (spec.h). */
#include "spec/spec.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

static void hooks_free(struct ib_hook *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].path);
		ib_strv_free(h[i].args);
		ib_strv_free(h[i].env);
	}
	free(h);
}

void ib_overlay_src_free(struct ib_overlay_src *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		if (o->fds[i] >= 0)
			close(o->fds[i]);
	ib_strv_free(o->keys);
	ib_strv_free(o->paths);
	ib_strv_free(o->opts);
	free(o->fds);
	free(o);
}

static void mount_free(struct ib_mount *m)
{
	if (m->source_fd >= 0)
		close(m->source_fd);
	m->source_fd = -1;
	free(m->rootfs_source);
	m->rootfs_source = NULL;
	free(m->source_fs_path);
	m->source_fs_path = NULL;
	ib_strv_free(m->source_below);
	m->source_below = NULL;
	ib_overlay_src_free(m->overlay);
	m->overlay = NULL;
	free(m->destination);
	free(m->source);
	free(m->type);
	ib_strv_free(m->options);
	free(m->data);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

static void seccomp_free(struct ib_seccomp *sc)
{
	if (!sc)
		return;
	ib_strv_free(sc->architectures);
	ib_strv_free(sc->flags);
	free(sc->listener_path);
	free(sc->listener_metadata);
	for (size_t i = 0; sc->rules && i < sc->n_rules; i++) {
		ib_strv_free(sc->rules[i].names);
		free(sc->rules[i].args);
	}
	free(sc->rules);
	free(sc);
}

static void resources_free(struct ib_resources *r)
{
	free(r->cpuset_cpus);
	free(r->cpuset_mems);
	free(r->blkio_weight_devices);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	free(r->devices);
	ib_strv_free(r->unified_keys);
	ib_strv_free(r->unified_values);
}

void ib_process_free(struct ib_process *p)
{
	if (!p)
		return;
	free(p->additional_gids);
	ib_strv_free(p->args);
	ib_strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p);
}

void ib_spec_close_fds(struct ib_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->mounts && i < s->n_mounts; i++) {
		if (s->mounts[i].source_fd >= 0)
			close(s->mounts[i].source_fd);
		s->mounts[i].source_fd = -1;
		ib_overlay_src_free(s->mounts[i].overlay);
		s->mounts[i].overlay = NULL;
	}
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = -1;
	ib_overlay_src_free(s->root_overlay);
	s->root_overlay = NULL;
	ib_strv_free(s->root_below);
	s->root_below = NULL;
}

void ib_spec_free(struct ib_spec *s)
{
	if (!s)
		return;
	ib_spec_close_fds(s);
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	ib_process_free(s->process);
	for (size_t i = 0; s->mounts && i < s->n_mounts; i++)
		mount_free(&s->mounts[i]);
	free(s->mounts);
	hooks_free(s->hooks.prestart, s->hooks.n_prestart);
	hooks_free(s->hooks.create_runtime, s->hooks.n_create_runtime);
	hooks_free(s->hooks.create_container, s->hooks.n_create_container);
	hooks_free(s->hooks.start_container, s->hooks.n_start_container);
	hooks_free(s->hooks.poststart, s->hooks.n_poststart);
	hooks_free(s->hooks.poststop, s->hooks.n_poststop);
	ib_strv_free(s->annotation_keys);
	ib_strv_free(s->annotation_values);
	for (int i = 0; i < IB_NS_COUNT; i++)
		free(s->ns[i].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; s->devices && i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free(s->cgroups_path);
	resources_free(&s->resources);
	for (size_t i = 0; s->sysctls && i < s->n_sysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->sysctls);
	seccomp_free(s->seccomp);
	ib_strv_free(s->masked_paths);
	ib_strv_free(s->readonly_paths);
	free(s->mount_label);
	free(s->personality_domain);
	if (s->json)
		json_object_put(s->json);
	free(s);
}

void ib_spec_freep(struct ib_spec **s)
{
	if (s) {
		ib_spec_free(*s);
		*s = NULL;
	}
}
