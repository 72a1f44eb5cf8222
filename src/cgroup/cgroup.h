/* cgroups v1, v2 and hybrid (v1 controllers + a v2 unified tree).
 * The runtime creates the container's cgroup(s) and applies limits before the
 * container process exists; the child joins them itself (cheap "0" writes to
 * v1 `tasks`, CLONE_INTO_CGROUP for v2). */
#ifndef IRONBOX_CGROUP_H
#define IRONBOX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/spec.h"

struct json_object;
struct ib_cgroup_layout;

enum ib_cgroup_mode { IB_CGROUP_V1, IB_CGROUP_V2, IB_CGROUP_HYBRID };

struct ib_cgroup {
	enum ib_cgroup_mode mode;
	char *path;	   /* cgroup path relative to each hierarchy root, starts with '/' */
	char **v1_dirs;	   /* absolute dirs created/used in each v1 hierarchy (NULL-terminated) */
	char *v2_dir;	   /* absolute dir in the unified hierarchy, or NULL */
	char *freezer_dir; /* v1 freezer dir, or NULL */
	/* ironbox created the leaf directory (in every hierarchy): everything
	 * in it is the container's, and it is removed with the container. A
	 * joined, pre-existing cgroup (owned == false) is never emptied nor
	 * removed. ib_cgroup_from_path leaves it false; callers set it from
	 * the container's state. */
	bool owned;
	/* The container's root owns the directory and its delegation files
	 * (ib_cgroup_delegate): its /sys/fs/cgroup view is mounted writable. */
	bool delegated;
};

/* A path below /sys/fs/cgroup as (directory fd, relative path) from an fd
 * of that directory opened once per process: a lookup from there never
 * walks sysfs, whose lock network namespaces being created hold
 * (cgroup_at.c). Other paths: (AT_FDCWD, path). */
int ib_cgroup_at(const char *path, const char **rel);
/* Drop that fd (the container's init: in a new mount namespace, and before
 * the container's code runs); a later call opens it again. */
void ib_cgroup_at_close(void);
/* Drop it for good: paths are resolved as they are (the supervisor). */
void ib_cgroup_at_disable(void);
/* open, access(F_OK), stat, mkdir and rmdir of a path, through ib_cgroup_at. */
int ib_cg_open(const char *path, int flags);
int ib_cg_access(const char *path);
struct stat;
int ib_cg_stat(const char *path, struct stat *st);
int ib_cg_mkdir(const char *path, mode_t mode);
int ib_cg_rmdir(const char *path);

/* Which mode this host is in (/sys/fs/cgroup layout). */
enum ib_cgroup_mode ib_cgroup_detect_mode(void);

/* Turn spec cgroupsPath (maybe NULL) into a path relative to hierarchy roots.
 * systemd: "slice:prefix:name" -> "/slice-hierarchy/prefix-name.scope".
 * Relative paths are placed under the caller's own cgroup (like runc). Pure
 * function apart from reading /proc/self/cgroup for relative paths. */
char *ib_cgroup_resolve_path(const char *cgroups_path, bool systemd, const char *id, ib_err *err);

/* What is at a cgroup path already (in the writable hierarchies). */
struct ib_cgroup_probe {
	bool exists;	/* the leaf exists in at least one hierarchy */
	bool partial;	/* ... but not in all of them */
	bool populated; /* it or a descendant has processes */
	bool frozen;	/* v1 freezer not THAWED, or v2 cgroup.freeze / frozen set */
};
int ib_cgroup_probe(const char *path, struct ib_cgroup_probe *out, ib_err *err);

/* Validate resources before anything is created (pure): linux.resources.unified
 * keys (ib_cgroup_check_unified_key), hugepage sizes. */
int ib_cgroup_check_resources(const struct ib_resources *res, ib_err *err);
/* A linux.resources.unified key is the name of one file in the container's own
 * v2 cgroup directory: [A-Za-z0-9._-] only, and either a controller's file
 * (memory., cpu., io., pids., cpuset., hugetlb., rdma., misc.) or one of the
 * two limits cgroup.max.depth / cgroup.max.descendants. Every other cgroup.*
 * file (cgroup.procs, cgroup.threads, cgroup.subtree_control, cgroup.freeze,
 * cgroup.kill, cgroup.type, ...) is refused. */
int ib_cgroup_check_unified_key(const char *key, ib_err *err);

/* Create the cgroup (mkdir in every hierarchy, the leaf must be new:
 * join_existing = false, the result is owned) or join an existing one (every
 * leaf must exist, nothing is created or removed below it: not owned), then
 * apply resources (may be NULL). A frozen cgroup is refused ("container's
 * cgroup unexpectedly frozen", like runc). On error nothing is left behind. */
struct ib_cgroup *ib_cgroup_create(const char *path, const struct ib_resources *res,
				   bool join_existing, ib_err *err);
/* Reattach to an existing container cgroup (from state). */
struct ib_cgroup *ib_cgroup_from_path(const char *path, ib_err *err);
void ib_cgroup_free(struct ib_cgroup *cg);

/* O_DIRECTORY|O_PATH? fd of the v2 dir for clone3(CLONE_INTO_CGROUP); -1 if none. */
int ib_cgroup_v2_fd(const struct ib_cgroup *cg, ib_err *err);
/* Called by the (single-threaded) child: move itself into every v1 hierarchy
 * by writing "0" to `tasks` (avoids the global threadgroup rwsem), and into v2
 * unless already_in_v2. */
int ib_cgroup_join_self(const struct ib_cgroup *cg, bool already_in_v2, ib_err *err);
/* Does this v2 directory have a pids limit (pids.max other than "max";
 * unreadable counts as a limit)? Every task below it counts against it. */
bool ib_cgroup_v2_pids_limited(const char *v2_dir);
/* Is this v1 directory of the pids controller (pids.max)? The container's
 * first stage does not join those: the init joins them itself (stage1.c). */
bool ib_cgroup_v1_is_pids(const char *dir);

int ib_cgroup_update(const struct ib_cgroup *cg, const struct ib_resources *res, ib_err *err);
int ib_cgroup_freeze(const struct ib_cgroup *cg, bool frozen, ib_err *err);
/* 1 frozen, 0 not, -1 error. */
int ib_cgroup_is_frozen(const struct ib_cgroup *cg, ib_err *err);
/* All pids in the container cgroup (recursively). */
int ib_cgroup_pids(const struct ib_cgroup *cg, pid_t **pids, size_t *n, ib_err *err);
/* Send sig to every process in an owned cgroup (freezing around it to avoid
 * fork races); refused (EPERM) for a cgroup ironbox did not create. */
int ib_cgroup_kill_all(const struct ib_cgroup *cg, int sig, ib_err *err);
/* v1: thaw every sub-cgroup of an owned cgroup's freezer (and the cgroup):
 * tasks the container froze there never exit, not even killed, and the
 * init of a pid namespace waits for them. Not owned: nothing (0). */
int ib_cgroup_thaw_subtree(const struct ib_cgroup *cg, ib_err *err);
/* Send sig to the processes of the cgroup (recursively) whose pid namespace
 * is pidns_fd's or one below it: the container's own processes in a cgroup it
 * shares with others. Nothing is frozen. */
int ib_cgroup_kill_in_pidns(const struct ib_cgroup *cg, int sig, int pidns_fd, ib_err *err);
/* Owned cgroup: kill what is left and remove the directories, sub-cgroups
 * first (waiting for them to empty). Not owned: nothing (0). */
int ib_cgroup_destroy(const struct ib_cgroup *cg, ib_err *err);
/* The same, for a caller that knows which process still holds a cgroup and
 * how to wait for it (`run`: its supervisor, exiting): every directory is
 * tried once, then wait_busy(arg) is called (always, also when nothing is
 * owned), then what was busy is removed as ib_cgroup_destroy does. */
int ib_cgroup_destroy_then(const struct ib_cgroup *cg, void (*wait_busy)(void *), void *arg,
			   ib_err *err);
/* ---- Delegation (cgroup_delegate.c) ---- */

/* Annotation that turns delegation on ("true") or off ("false") whatever
 * the cgroup mount says. */
#define IB_CGROUP_DELEGATE_ANNOTATION "run.ironbox.cgroup-delegate"
/* Files of the container's own cgroup chowned to its root (NULL-terminated):
 * v1 cgroup.procs, tasks, cgroup.clone_children (never notify_on_release);
 * v2 cgroup.procs, cgroup.subtree_control, cgroup.threads. */
extern const char *const ib_cgroup_delegated_v1[];
extern const char *const ib_cgroup_delegated_v2[];
/* Does the spec ask for delegation? The annotation when present (anything
 * but true/1/false/0 is an error), else whether the spec's cgroup (or
 * cgroup2) mount is read-write (Docker: --privileged only). 1, 0 or -1. */
int ib_cgroup_delegation_wanted(const struct ib_spec *s, ib_err *err);
/* Delegate an owned cgroup to uid/gid (the host IDs of the container's
 * root): in every hierarchy its directory and the files above, decided on
 * the opened directory (a cgroup file system) and chowned relative to it
 * without following symlinks; sets cg->delegated. Limit files stay the
 * host's. A cgroup ironbox did not create is refused (EPERM). A v1
 * hierarchy that has a release agent, or whose hierarchy can't be told, is
 * left the host's (a warning): see ib_cgroup_v1_delegable. */
int ib_cgroup_delegate(struct ib_cgroup *cg, uid_t uid, gid_t gid, ib_err *err);
/* May the v1 hierarchy whose directories have device dev be delegated?
 * Only one of l that has no release agent: in a delegated directory the
 * container makes sub-cgroups whose notify_on_release it owns (the kernel
 * gives every file of a new cgroup to its creator), so on a hierarchy with
 * a release agent it could make host root run that agent, at will, with
 * an argument it chose. Unknown device: false (fail closed). Pure. */
bool ib_cgroup_v1_delegable(const struct ib_cgroup_layout *l, unsigned major, unsigned minor);

/* v2, "no internal processes": once the container enabled domain
 * controllers in its own cgroup.subtree_control (systemd, after moving its
 * processes to init.scope), nothing can join its cgroup itself (EBUSY). An
 * exec'd process then joins the v2 cgroup of the container's init (like
 * runc): the fd of that directory, opened beneath the container's own one
 * (RESOLVE_BENEATH, no symlinks); pidfd checks pid is still that process.
 * A cgroup outside the container's is refused (EPERM). */
int ib_cgroup_v2_fd_of_pid(const struct ib_cgroup *cg, pid_t pid, int pidfd, ib_err *err);
/* Pure part: the path of the "0::" line of /proc/<pid>/cgroup text below
 * cg_path ("" for cg_path itself), NULL (EPERM) if it is not inside. */
char *ib_cgroup_v2_subpath(const char *proc_cgroup, const char *cg_path, ib_err *err);

/* The "data" object of `runc events --stats` (cpu, memory, pids, blkio, hugetlb). */
struct json_object *ib_cgroup_stats(const struct ib_cgroup *cg, ib_err *err);

/* ---- Lower-level pieces, exposed for unit tests and other modules. ---- */

/* One mounted cgroup hierarchy, from /proc/self/mountinfo. */
struct ib_cgroup_hierarchy {
	char *mount;	    /* mount point */
	char *root;	    /* root of the mount inside the hierarchy ("/" normally) */
	char **controllers; /* v1: "cpu", "cpuacct", "name=systemd", ...; v2: NULL */
	bool v2;
	bool readonly;
	/* v1: the hierarchy has a release agent (release_agent= in the super
	 * options, as the kernel shows it whatever the mount's root). */
	bool release_agent;
	unsigned major, minor; /* its device (st_dev of every directory in it) */
};

struct ib_cgroup_layout {
	struct ib_cgroup_hierarchy *h;
	size_t n;
	int v2; /* index in h of the unified hierarchy, -1 if none */
};

/* Parse mountinfo text into the list of cgroup hierarchies (one entry per
 * hierarchy: bind mounts of the same superblock are merged). */
int ib_cgroup_parse_mountinfo(const char *text, struct ib_cgroup_layout *out, ib_err *err);
/* The same, keeping only the cgroup mounts usable() accepts (mnt_id: the
 * mount's ID, mountinfo's first field). */
typedef bool (*ib_cgroup_usable_fn)(const char *mount, uint64_t mnt_id, bool v2, void *data);
int ib_cgroup_parse_mountinfo_usable(const char *text, ib_cgroup_usable_fn usable, void *data,
				     struct ib_cgroup_layout *out, ib_err *err);
/* The layout really there, from /proc/self/mountinfo: a cgroup mount counts
 * only when it is what its mount point shows (the mount ID statx gives for
 * that path), not hidden by something mounted over it. */
int ib_cgroup_read_layout(struct ib_cgroup_layout *out, ib_err *err);
void ib_cgroup_layout_clear(struct ib_cgroup_layout *l);
enum ib_cgroup_mode ib_cgroup_layout_mode(const struct ib_cgroup_layout *l);
/* Index of the v1 hierarchy carrying controller (e.g. "memory",
 * "name=systemd"), -1 if none. */
int ib_cgroup_layout_find(const struct ib_cgroup_layout *l, const char *controller);

/* The caller's own cgroup from /proc/self/cgroup text: the "0::" line in v2
 * mode, else the name=systemd line, else the first v1 controller line. */
char *ib_cgroup_own_path(const char *proc_cgroup_text, enum ib_cgroup_mode mode, ib_err *err);
/* Pure version of ib_cgroup_resolve_path; own_cgroup is used for relative
 * paths (may be NULL when none is needed). */
char *ib_cgroup_resolve_path_in(const char *cgroups_path, bool systemd, const char *id,
				const char *own_cgroup, ib_err *err);
/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice". */
char *ib_cgroup_expand_slice(const char *slice, ib_err *err);

/* v1 -> v2 value conversions (as runc does them). */
uint64_t ib_cgroup_shares_to_weight(uint64_t shares);	      /* 0 = unset */
uint64_t ib_cgroup_blkio_weight_to_io(uint64_t blkio_weight); /* 0 = unset */
/* cpu.max value ("max 100000", "50000 100000"); NULL when nothing is set. */
char *ib_cgroup_cpu_max(int64_t quota, uint64_t period);
/* memory.swap.max from OCI swap (mem+swap) and memory limit: *out = -1 for
 * "max", 0 for "don't write", else the swap-only amount. */
int ib_cgroup_swap_v2(int64_t swap, int64_t mem, int64_t *out, ib_err *err);

#endif
