/* The library API behind the CLI verbs. Every function returns 0 / -1 with
 * err filled; nothing here prints or exits. */
#ifndef IRONBOX_CONTAINER_H
#define IRONBOX_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/spec.h"
#include "state/state.h"

struct ib_global_opts {
	const char *root;	 /* state root, default /run/ironbox */
	const char *policy_path; /* default /etc/ironbox/policy.json */
	bool systemd_cgroup;
	bool debug;
};

/* The state root in use (--root or the default). */
static inline const char *ib_root_of(const struct ib_global_opts *g)
{
	return g && g->root ? g->root : IB_DEFAULT_ROOT;
}

struct ib_create_opts {
	const char *id;
	const char *bundle;	    /* absolute path */
	const char *pid_file;	    /* may be NULL */
	const char *console_socket; /* may be NULL */
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	/* run only: */
	bool detach;
	bool keep; /* run --keep: don't delete after exit */
};

/* create: the container process exists, namespaces/mounts/cgroups are set up,
 * it waits for start. */
int ib_container_create(const struct ib_global_opts *g, const struct ib_create_opts *o,
			ib_err *err);
int ib_container_start(const struct ib_global_opts *g, const char *id, ib_err *err);
/* run = create + start (+ wait + delete unless detach). *exit_status gets the
 * container's exit code (128+signal when killed), like runc run. */
int ib_container_run(const struct ib_global_opts *g, const struct ib_create_opts *o,
		     int *exit_status, ib_err *err);

struct ib_exec_opts {
	const char *id;
	struct ib_process *process; /* built by the CLI from --process or args+flags */
	const char *pid_file;
	const char *console_socket;
	bool detach;
	bool ignore_paused; /* exec --ignore-paused: into a paused container */
	int preserve_fds;
};
int ib_container_exec(const struct ib_global_opts *g, const struct ib_exec_opts *o,
		      int *exit_status, ib_err *err);

int ib_container_kill(const struct ib_global_opts *g, const char *id, int sig, bool all,
		      ib_err *err);
int ib_container_delete(const struct ib_global_opts *g, const char *id, bool force, ib_err *err);
int ib_container_pause(const struct ib_global_opts *g, const char *id, ib_err *err);
int ib_container_resume(const struct ib_global_opts *g, const char *id, ib_err *err);
/* OCI state JSON (malloc'd). */
int ib_container_state(const struct ib_global_opts *g, const char *id, char **json, ib_err *err);
int ib_container_update(const struct ib_global_opts *g, const char *id,
			const struct ib_resources *res, ib_err *err);
int ib_container_pids(const struct ib_global_opts *g, const char *id, pid_t **pids, size_t *n,
		      ib_err *err);
/* pidfd of the container's init (checked against pid reuse); ESRCH when it
 * is not running. */
int ib_container_init_pidfd(const struct ib_global_opts *g, const char *id, ib_err *err);
/* One `runc events --stats` JSON object (malloc'd). */
int ib_container_stats(const struct ib_global_opts *g, const char *id, char **json, ib_err *err);

/* The supervisor's audit log of container id (JSON lines, malloc'd; empty
 * when nothing was denied), or with stats its counters (a JSON object). */
int ib_container_audit(const struct ib_global_opts *g, const char *id, bool stats, char **out,
		       ib_err *err);
/* `events`: a stats event at once and every interval_ms, an "oom" event
 * for each OOM kill in the container's memory cgroup, each passed to fn as
 * one JSON object; returns 0 when the container is gone (its cgroup
 * removed, or emptied on cgroup v2), like runc. fn returns <0 to stop. */
typedef int (*ib_event_fn)(const char *json, void *arg);
int ib_container_events(const struct ib_global_opts *g, const char *id, int64_t interval_ms,
			ib_event_fn fn, void *arg, ib_err *err);

/* Give back the ID range of container id (state root root). */
int ib_container_release_range(const char *root, const char *id, ib_err *err);

#endif
