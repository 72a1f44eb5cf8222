/* config.json -> typed structs. The parser validates shape and values; the
 * policy stage may rewrite the result (e.g. add a user namespace) before
 * create consumes it. All strings are owned by the struct. */
#ifndef IRONBOX_SPEC_H
#define IRONBOX_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct json_object;

enum ib_ns_type {
	IB_NS_PID,
	IB_NS_NET,
	IB_NS_IPC,
	IB_NS_UTS,
	IB_NS_MOUNT,
	IB_NS_USER,
	IB_NS_CGROUP,
	IB_NS_TIME,
	IB_NS_COUNT
};

struct ib_namespace {
	bool present; /* listed in linux.namespaces */
	char *path;   /* join this namespace; NULL = create a new one */
};

struct ib_idmap {
	uint32_t container_id, host_id, size;
};

/* The layers of an overlay, opened and decided on by the policy stage, in
 * the order overlayfs takes them. */
struct ib_overlay_src {
	char **keys;  /* "lowerdir+", "upperdir", "workdir", "datadir+" */
	int *fds;     /* same index: O_PATH fd of the layer directory */
	char **paths; /* same index: the path as written (messages) */
	size_t n;
	char **opts; /* other options: "key=value" or "flag" */
};

struct ib_mount {
	char *destination;
	char *source;
	char *type;
	char **options;		   /* raw option strings, NULL-terminated */
	unsigned long flags;	   /* MS_* derived from options */
	unsigned long clear;	   /* MS_* flags explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC) or 0 */
	bool bind;		   /* bind or rbind */
	bool recursive;		   /* rbind / r* propagation */
	bool idmap;		   /* "idmap"/"ridmap" option or uidMappings given */
	bool tmpcopyup;		   /* "tmpcopyup": copy the destination's contents into the tmpfs */
	/* MOUNT_ATTR_* set/cleared on the whole mount tree (mount_setattr with
	 * AT_RECURSIVE) by "rro", "rnosuid", "rrw", ...; MS_* flags of "ro",
	 * "nosuid", ... apply to the top mount only (like runc). */
	unsigned rec_attr_set, rec_attr_clr;
	char *data; /* comma-joined options not understood as flags (fs data) */
	struct ib_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	/* Set by the policy stage (ib_policy_apply); the parser leaves -1/true/NULL. */
	int source_fd; /* policy-opened object of a bind source (O_PATH or a detached clone), -1 if
			  none */
	bool host_shared; /* a bind of a shared host directory (not an engine-owned per-container
			     file or named volume): set-id files may not be created on it */
	struct ib_overlay_src *overlay; /* an "overlay" mount: its policed layers */
	/* A bind whose source lies inside the container's own rootfs: resolved
	 * there by the init, after the mounts before it (runc does so), never
	 * on the host. Its path relative to the rootfs; NULL otherwise. */
	char *rootfs_source;
	/* The identity of the bind source the policy decided on (common/fsid.h):
	 * its filesystem and path from that filesystem's root; NULL if none. */
	dev_t source_dev;
	char *source_fs_path;
	/* A recursive bind whose source had mounts below it: what the policy
	 * decided on, each as ib_mount_entry_identity(); the staged clone may
	 * hold nothing else (stage.c). NULL: none, the source is cloned alone. */
	char **source_below;
};

struct ib_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct ib_capabilities {
	/* Bit sets of CAP_* values (CAP_LAST_CAP < 64). */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct ib_process {
	bool terminal;
	unsigned console_width, console_height;
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
	char **args;
	char **env;
	char *cwd;
	struct ib_capabilities caps;
	bool has_caps;
	struct ib_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct ib_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds, 0 = none */
};

struct ib_hooks {
	struct ib_hook *prestart, *create_runtime, *create_container, *start_container, *poststart,
	    *poststop;
	size_t n_prestart, n_create_runtime, n_create_container, n_start_container, n_poststart,
	    n_poststop;
};

struct ib_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct ib_device_rule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = wildcard */
	char access[4];	      /* subset of "rwm" */
};

struct ib_sysctl {
	char *key, *value;
};

struct ib_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* libseccomp enum scmp_compare */
};

struct ib_seccomp_rule {
	char **names;
	uint32_t action; /* libseccomp SCMP_ACT_* */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct ib_seccomp_arg *args;
	size_t n_args;
};

struct ib_seccomp {
	uint32_t default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures;	 /* "SCMP_ARCH_X86_64", ... */
	char **flags;		 /* "SECCOMP_FILTER_FLAG_LOG", ... */
	char *listener_path;	 /* an OCI seccomp agent's socket (SCMP_ACT_NOTIFY) */
	char *listener_metadata; /* passed to it as is */
	struct ib_seccomp_rule *rules;
	size_t n_rules;
};

struct ib_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct ib_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct ib_hugepage_limit {
	char *page_size;
	uint64_t limit;
};

/* Resource values: has_* says whether the field was given. */
struct ib_resources {
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_swappiness,
	    has_disable_oom_killer, has_mem_use_hierarchy;
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel;
	uint64_t mem_swappiness;
	bool disable_oom_killer, mem_use_hierarchy;

	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_rt_runtime, has_cpu_rt_period,
	    has_cpu_idle, has_cpu_burst;
	uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpuset_cpus, *cpuset_mems;

	bool has_pids_limit;
	int64_t pids_limit;

	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct ib_weight_device *blkio_weight_devices;
	size_t n_blkio_weight_devices;
	struct ib_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
	    *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
	    n_throttle_write_iops;

	struct ib_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;

	struct ib_device_rule *devices;
	size_t n_devices;

	/* linux.resources.unified: cgroup v2 file -> value */
	char **unified_keys, **unified_values;
	size_t n_unified;
};

struct ib_spec {
	char *oci_version;
	char *root_path; /* absolute after ib_spec_load (resolved against the bundle) */
	bool root_readonly;
	/* Set by the policy stage: the rootfs directory it decided on (O_PATH,
	 * -1 if none), its identity (st_dev, st_ino: the init checks that
	 * root_path still names it), and the layers of the engine's overlay
	 * mounted there (NULL if the rootfs is not an overlay). */
	int root_fd;
	dev_t root_dev;
	ino_t root_ino;
	struct ib_overlay_src *root_overlay;
	/* The mounts below the rootfs directory the policy decided on, as
	 * source_below of a mount (NULL: none, the directory is cloned alone). */
	char **root_below;
	char *hostname, *domainname;
	struct ib_process *process; /* may be NULL (create without process is invalid, checked) */
	struct ib_mount *mounts;
	size_t n_mounts;
	struct ib_hooks hooks;
	char **annotation_keys, **annotation_values;
	size_t n_annotations;

	/* linux */
	struct ib_namespace ns[IB_NS_COUNT];
	struct ib_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct ib_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct ib_resources resources;
	bool has_resources;
	struct ib_sysctl *sysctls;
	size_t n_sysctls;
	struct ib_seccomp *seccomp;	  /* NULL = no filter */
	unsigned long rootfs_propagation; /* MS_* or 0 for default (MS_REC|MS_SLAVE) */
	char **masked_paths, **readonly_paths;
	char *mount_label;
	char *personality_domain;

	/* The parsed document, kept so the state dir can store the effective config. */
	struct json_object *json;
};

/* Parse a config.json document. bundle is used to resolve a relative root.path. */
struct ib_spec *ib_spec_parse(const char *json_text, const char *bundle, ib_err *err);
/* Read bundle/config.json and parse it. */
struct ib_spec *ib_spec_load(const char *bundle, ib_err *err);
/* Parse just a process object (exec --process FILE). */
struct ib_process *ib_process_parse(const char *json_text, ib_err *err);
void ib_spec_free(struct ib_spec *s);
/* Close the fds the policy stage opened (bind sources, rootfs, overlay
 * layers) once mounts are prepared: they must never reach the container. */
void ib_spec_close_fds(struct ib_spec *s);
void ib_overlay_src_free(struct ib_overlay_src *o);
void ib_process_free(struct ib_process *p);
void ib_spec_freep(struct ib_spec **s);
#define _cleanup_spec_ __attribute__((cleanup(ib_spec_freep)))

/* Lookup helpers. */
const char *ib_ns_name(enum ib_ns_type t);	/* "pid", "network", ... (OCI names) */
int ib_ns_clone_flag(enum ib_ns_type t);	/* CLONE_NEW* */
const char *ib_ns_proc_name(enum ib_ns_type t); /* "pid", "net", ... (/proc/PID/ns names) */
int ib_cap_from_name(const char *name);		/* "CAP_SYS_ADMIN" -> 21, -1 if unknown */
const char *ib_cap_name(int cap);
int ib_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
const char *ib_spec_annotation(const struct ib_spec *s, const char *key);

/* Serialize the (possibly policy-rewritten) spec back to JSON for the state dir:
 * the original document with linux.namespaces / uid/gidMappings replaced. */
char *ib_spec_to_json(const struct ib_spec *s);

/* The default config.json that `ironbox spec` writes (like runc spec). */
const char *ib_spec_default_json(void);

#endif
