/* The admin policy and the isolation rules (DESIGN.md behaviours 1-5).
 * policy_apply runs between spec parsing and create: it rewrites the spec
 * (adds user/cgroup namespaces, ID mappings) or refuses it, before anything
 * is created. */
#ifndef IRONBOX_POLICY_H
#define IRONBOX_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "idmap/idmap.h"
#include "spec/spec.h"

#define IB_POLICY_DEFAULT_PATH "/etc/ironbox/policy.json"

struct ib_policy {
	struct ib_idpool pool;
	char **restricted_mounts; /* absolute host paths that may not be bind-mounted */
	char **allowed_mounts;    /* shared directories always allowed (unless restricted) */
	/* Engine-owned per-container files allowed even under a restricted path:
	 * glob patterns such as /var/lib/docker/containers/x/resolv.conf. */
	char **engine_allowed;
};

/* Built-in defaults (used when the file does not exist). */
struct ib_policy *ib_policy_default(void);
/* Parse JSON text (pure; for unit tests). Unknown keys are an error. */
struct ib_policy *ib_policy_parse(const char *json_text, ib_err *err);
/* Load from path: must be a regular file owned by root, not writable by group
 * or others (else refused: fail closed). Missing file -> defaults. */
struct ib_policy *ib_policy_load(const char *path, ib_err *err);
void ib_policy_free(struct ib_policy *p);
/* The default policy as JSON, for `ironbox policy-init` / install. */
char *ib_policy_default_json(void);

/* Is bind-mounting host path `source` allowed? source is resolved
 * (symlinks, "..", trailing slashes) against the host root first. A source that
 * is, is inside, or contains a restricted path is refused with
 * "can't mount SRC because it's configured as a restricted host mount". */
int ib_policy_check_mount_source(const struct ib_policy *p, const char *source, ib_err *err);
/* Pure form of the same decision on an already-resolved absolute path. */
bool ib_policy_path_restricted(const struct ib_policy *p, const char *resolved, const char **which);

/* Namespace rule: pid, net, ipc, uts must be new or non-host; error text
 * "containers can't share namespaces [pid, a network namespace] with the host
 * (because they use the linux user-namespace for isolation)". host_ns_paths
 * gives, per ib_ns_type, the host namespace to compare with (NULL = /proc/1/ns/X). */
int ib_policy_check_namespaces(const struct ib_spec *s, ib_err *err);

/* Result of applying the policy. */
struct ib_isolation {
	uint32_t host_base;      /* first host ID of the container's range */
	uint32_t size;           /* 65536 */
	bool shared_userns;      /* joined another container's user namespace */
	char *userns_path;       /* when shared: the user namespace to join */
};

/* Apply all rules to spec s for container id (state root for the allocator):
 * refuse host namespaces and restricted mounts, ensure user + cgroup
 * namespaces, allocate (or share) the ID range and write the mappings into s.
 * On error nothing is allocated. */
int ib_policy_apply(const struct ib_policy *p, struct ib_spec *s, const char *state_root,
		    const char *id, struct ib_isolation *out, ib_err *err);

#endif
