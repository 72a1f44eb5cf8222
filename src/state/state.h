/* Per-container state directory: <root>/<id>/ holding state.json (written
 * atomically), config.json (the effective, policy-rewritten spec), exec.fifo
 * while the container is created-but-not-started, and a lock file. Every
 * command that reads-modifies state holds the container's flock. */
#ifndef IRONBOX_STATE_H
#define IRONBOX_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define IB_DEFAULT_ROOT "/run/ironbox"

enum ib_status {
	IB_STATUS_CREATING,
	IB_STATUS_CREATED,
	IB_STATUS_RUNNING,
	IB_STATUS_PAUSED,
	IB_STATUS_STOPPED
};

struct ib_state {
	char *id;
	pid_t pid;		      /* container init, 0 before it exists */
	unsigned long long pid_start; /* starttime from /proc/PID/stat: guards against pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *owner;
	char *cgroup_path; /* relative cgroup path (see cgroup.h) */
	bool systemd_cgroup;
	bool cgroup_owned;    /* ironbox created it; else joined (see cgroup.h) */
	bool started;	      /* run started it (start: its exec fifo is gone) */
	pid_t supervisor_pid; /* the container's supervisor (supervisor.h), 0 if none */
	unsigned long long supervisor_start; /* its starttime */
	uint32_t host_id_base;		     /* ID range (see idmap.h) */
	uint32_t host_id_size;
	/* Whether the spec has poststart/poststop hooks (hooks_recorded: the
	 * state says; else unknown): start and delete then read config.json
	 * back only when they have hooks to run. */
	bool hooks_recorded, poststart_hooks, poststop_hooks;
	char **annotation_keys, **annotation_values;
	size_t n_annotations;
};

/* Validate a container id (runc rules: [\w+-\.]+, not "." or ".."). */
int ib_state_check_id(const char *id, ib_err *err);

/* Create <root>/<id> exclusively (EEXIST -> "container with id exists: ID"). */
int ib_state_create_dir(const char *root, const char *id, ib_err *err);
/* Lock the container (flock LOCK_EX on its directory <root>/<id>). Returns
 * the lock fd; "does not exist" when the directory was removed meanwhile. */
int ib_state_lock(const char *root, const char *id, ib_err *err);
int ib_state_save(const char *root, const struct ib_state *st, ib_err *err);
/* ENOENT -> "container does not exist" message like runc. */
struct ib_state *ib_state_load(const char *root, const char *id, ib_err *err);
void ib_state_free(struct ib_state *st);
void ib_state_freep(struct ib_state **st);
#define _cleanup_state_ __attribute__((cleanup(ib_state_freep)))
/* Remove the state directory and its files. */
int ib_state_remove(const char *root, const char *id, ib_err *err);
/* The same for the holder of its lock (*lockfd, from ib_state_lock): the
 * directory goes last, still locked; then the lock is closed (*lockfd = -1). */
int ib_state_remove_locked(const char *root, const char *id, int *lockfd, ib_err *err);
/* Ids of all containers under root (sorted). */
int ib_state_list(const char *root, char ***ids, ib_err *err);
/* Does <root>/<id> exist? (used by the ID allocator's stale check) */
bool ib_state_exists(const char *root, const char *id);

/* Live status: stopped when the pid is gone, a zombie, or was reused;
 * created while exec.fifo exists; paused when the freezer says so. */
enum ib_status ib_state_status(const char *root, const struct ib_state *st);
const char *ib_status_name(enum ib_status s);
/* starttime (field 22) of /proc/PID/stat, 0 if gone. */
unsigned long long ib_proc_starttime(pid_t pid);

/* OCI state JSON as `runc state` prints it (ociVersion, id, pid, status,
 * bundle, rootfs, created, owner, annotations), plus "supervisor":
 * "running" or "dead" while the container is not stopped (dead: its
 * trapped system calls fail with ENOSYS, its emulated /proc files with
 * ENOTCONN). */
char *ib_state_oci_json(const char *root, const struct ib_state *st, bool pretty);

/* Is the container's supervisor running? (pid and starttime recorded) */
bool ib_state_supervisor_alive(const struct ib_state *st);

/* Paths inside the state dir (malloc'd). */
char *ib_state_path(const char *root, const char *id, const char *file);

#endif
