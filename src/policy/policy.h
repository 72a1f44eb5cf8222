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
#include "sysctl/knob.h"

#define IB_POLICY_DEFAULT_PATH "/etc/ironbox/policy.json"

struct ib_policy {
	struct ib_idpool pool;
	char **restricted_mounts; /* absolute host paths that may not be mounted */
	char **allowed_mounts;	  /* the shared host directories: all that may be bind-mounted */
	/* Host directories offered read-only (a kind node's /lib/modules): a
	 * bind of them, or inside them, must be read-only; a source that
	 * contains one is refused as restricted. */
	char **read_only_mounts;
	/* Engine-owned per-container files and named volumes inside a
	 * restricted path: glob patterns such as containers/x/resolv.conf. */
	char **engine_allowed;
	bool pool_configured; /* idRanges came from the policy file */
	/* Container root filesystems (and their overlay layers) inside a
	 * restricted path: patterns such as overlay2/x. */
	char **engine_rootfs;
	/* Enforce ironbox as the engines' only runtime (`ironbox install`, the
	 * Docker authorization plugin). Default: true. */
	bool enforce;
	/* Per entry of ib_knobs (sysctl/knob.h): the highest value a
	 * container may raise a max-reconciled knob of the host to
	 * ("sysctlMaximums"; the knob table's defaults). Unused for
	 * container-local knobs. */
	int64_t sysctl_max[IB_KNOB_CAP];
};

/* File format (JSON; every key optional, a missing key takes its default;
 * unknown keys and wrong types are errors):
 *   {"idRanges": {"base": 100000, "size": 65536, "count": 1024},
 *    "restrictedMounts": ["/etc/docker", ...],
 *    "allowedMounts": ["/home", ...],
 *    "readOnlyMounts": ["/lib/modules", ...],
 *    "engineAllowed": ["containers/x/resolv.conf", ...],
 *    "engineRootfs": ["overlay2/x", ...],
 *    "enforce": true,
 *    "sysctlMaximums": {"fs.file-max": 4194304, "vm.max_map_count": 1048576, ...}}
 * idRanges.size must be 65536; base >= 65536 (lower IDs are host accounts)
 * and base + size * count must stay below 2^32 - 1. A configured idRanges
 * that overlaps a host account (/etc/passwd uid, /etc/group gid) or a
 * subordinate range (/etc/subuid, /etc/subgid) is refused when the file is
 * loaded, naming the conflict; the built-in pool instead never hands out a
 * range holding such an ID. restrictedMounts and
 * allowedMounts are absolute paths. engineAllowed and engineRootfs entries
 * are fnmatch(3) patterns ('*' does not cross '/'): an absolute pattern is
 * matched against the whole path, a relative one against the part of the
 * path below the restricted entry it lies in (so "containers/x/resolv.conf"
 * (with x a '*') covers Docker's per-container files under any data root an
 * admin adds to restrictedMounts). A path is also covered when one of its
 * ancestors below the restricted entry matches (subdirectories of a named
 * volume).
 *
 * The decision (DESIGN.md behaviour 4 and the seeds' "File sharing") is
 * taken on the object that is then mounted, not on a path: the policy opens
 * each host path once (bind sources, the rootfs, overlay layers), finds
 * every path at which that object is visible on the host (a named volume
 * bound from /etc is /etc), and
 *  - refuses it when one of those paths is, is inside, or contains a
 *    restricted entry (unless engineAllowed -- engineRootfs for a rootfs --
 *    covers it), when it is, lies in or contains a restricted entry's own
 *    object, when it contains the host's root, or when it is or holds a
 *    listening socket of a container engine (docker.sock, by any name);
 *  - allows it when one of those paths lies in an allowedMounts entry (or
 *    its object in the entry's object): a shared host directory;
 *  - allows it when it is engine-owned (all its paths, or its object, are
 *    covered by engineAllowed/engineRootfs): a per-container file, a named
 *    volume, an image layer;
 *  - refuses anything else ("can't mount /usr/local/sbin because it's not
 *    in the admin policy's allowed mounts").
 * A recursive bind (rbind) and the rootfs take their submounts along: each
 * passes the same test. A filesystem of its own that an engine mounted in
 * its area (a named volume of type overlay, or from a device) shows what
 * its sources hold: each source (overlay layer, device or file path) passes
 * the same test too.
 * enforce (default true): `ironbox install` makes ironbox the engines' only
 * runtime and the Docker authorization plugin refuses the ways around it.
 * sysctlMaximums: per max-reconciled /proc/sys knob (sysctl/knob.h, rule
 * MAX: fs.inotify.*, fs.file-max, fs.nr_open, kernel.pid_max,
 * net.netfilter.nf_conntrack_max, vm.max_map_count), the highest value a
 * container may raise the host's knob to; a knob not listed keeps its
 * built-in default (the knob table's last column), a value the host has
 * already is never refused (the ceiling is max(ceiling, the host's own
 * value)). A name that is not such a knob (unknown, or container-local),
 * a value that is not an integer in the knob's kernel range: an error.
 * Lifting a ceiling is setting it to the kernel's maximum. A container's
 * write above it is refused with EPERM ("Operation not permitted") and
 * audited; the ceilings of a container are those of the policy at its
 * create. */

/* Built-in defaults (used when the file does not exist). */
struct ib_policy *ib_policy_default(void);
/* Parse JSON text (pure; for unit tests). Unknown keys are an error. */
struct ib_policy *ib_policy_parse(const char *json_text, ib_err *err);
/* Load from path: must be a regular file owned by root, not writable by group
 * or others (else refused: fail closed). Missing file -> defaults. */
struct ib_policy *ib_policy_load(const char *path, ib_err *err);
void ib_policy_free(struct ib_policy *p);
/* The default policy as JSON, for `ironbox policy-init` / install; its
 * idRanges is the built-in pool, moved up by whole ranges if it would
 * overlap this host's accounts or subordinate ranges. */
char *ib_policy_default_json(void);

/* Is bind-mounting host path `source` allowed (see above)? The path is
 * opened (never through a /proc magic link) and the opened object decided
 * on. Refusals read "can't mount SRC because it's configured as a
 * restricted host mount" or "can't mount SRC because it's not in the admin
 * policy's allowed mounts". *engine_owned (may be NULL) tells an engine-owned
 * object from a shared host directory. */
int ib_policy_check_mount_source(const struct ib_policy *p, const char *source, bool *engine_owned,
				 ib_err *err);
/* Pure form of the same decision on an already-resolved absolute path. */
bool ib_policy_path_restricted(const struct ib_policy *p, const char *resolved, const char **which);

/* Namespace rule: pid, net, ipc, uts must be new or non-host; error text
 * "containers can't share namespaces [pid, a network namespace] with the host
 * (because they use the linux user-namespace for isolation)". A missing
 * pid/net/ipc/uts entry, or a pid/net/ipc/uts/mount/cgroup path that is the
 * host's namespace, is an offender (listed in that order). */
int ib_policy_check_namespaces(const struct ib_spec *s, ib_err *err);
/* Same, comparing with the namespaces in host_ns_dir (e.g. "/proc/1/ns");
 * NULL = both /proc/1/ns and /proc/self/ns. A single offending network
 * namespace reads "containers can't share a network namespace with the host
 * (...)"; a user namespace path to the host's is refused with "containers
 * can't share the host's user namespace". */
int ib_policy_check_namespaces_at(const struct ib_spec *s, const char *host_ns_dir, ib_err *err);

/* Result of applying the policy. */
struct ib_isolation {
	uint32_t host_base; /* first host ID of the container's range */
	uint32_t size;	    /* 65536 */
	bool shared_userns; /* joined another container's user namespace */
	char *userns_path;  /* when shared: the user namespace to join */
};
void ib_isolation_clear(struct ib_isolation *iso);

/* Open and decide on every host path of the spec, keeping what was decided
 * on in it for create to mount (this is the mount part of ib_policy_apply):
 * s->root_fd (+ root_dev/root_ino, root_overlay when the rootfs is an
 * overlay: its layers), per bind mount source_fd (a detached clone of the
 * source, recursive for rbind) and host_shared, per "overlay" mount its
 * layers. Sources below state_root (ironbox's own state) are restricted.
 * On error the fds opened so far stay in s (ib_spec_free closes them). */
int ib_policy_open_mounts(const struct ib_policy *p, struct ib_spec *s, const char *state_root,
			  ib_err *err);

/* Apply all rules to spec s for container id (state root for the allocator):
 * refuse host namespaces and restricted mounts, ensure user + cgroup
 * namespaces, allocate (or share) the ID range and write the mappings into s.
 * On error nothing is allocated. Bind-mount sources under state_root are
 * restricted too. Spec mappings that reach host ID 0 or overlap another
 * container's range are refused; otherwise they are replaced by
 * {0, host_base, 65536} for both UIDs and GIDs.
 * When the spec joins namespaces (by /proc/PID/ns/X path) owned by another
 * container's user namespace, or names a user namespace path, the container
 * shares that user namespace and range: s->ns[IB_NS_USER].path is set to
 * /proc/PID/ns/user, out->shared_userns is true and the mappings in s
 * describe the joined range (create must setns, not write uid_map).
 * Release the range with ib_idmap_release(state_root, id) on delete (or if
 * create fails later). */
int ib_policy_apply(const struct ib_policy *p, struct ib_spec *s, const char *state_root,
		    const char *id, struct ib_isolation *out, ib_err *err);

/* Keep the ID-range table in dir for every state root (host-wide; holders are
 * then the containers' state dir paths). NULL = beside each state root. */
void ib_policy_set_idmap_dir(const char *dir);
/* Where the range of container id (in state_root) is recorded: returns the
 * holder name (malloc'd) and sets *table_dir. */
char *ib_policy_idmap_holder(const char *state_root, const char *id, const char **table_dir);

#endif
