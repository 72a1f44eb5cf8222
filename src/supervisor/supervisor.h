/* The per-container supervisor (DESIGN.md, "Shape of the code"): a small
 * process outside the container, started by `create`, that serves the
 * container's view of non-namespaced /proc files over FUSE (procview.h) and
 * exits with the container. One container's supervisor failing affects only
 * that container; nothing runs before `create` and nothing is shared. */
#ifndef IRONBOX_SUPERVISOR_H
#define IRONBOX_SUPERVISOR_H

#include <sys/types.h>

#include "common/err.h"

/* The /proc files the supervisor serves (NULL-terminated). */
extern const char *const ib_supervisor_files[];

struct ib_supervisor {
	pid_t pid;
	int ctl_fd; /* our end of the control pipe pair, -1 when detached */
};

/* Fork the supervisor: it mounts its filesystem on mountpoint (an empty
 * directory of the caller's mount namespace) and serves the container whose
 * cgroup is cgroup_path. Returns once the mount is in place. */
int ib_supervisor_start(const char *mountpoint, const char *cgroup_path, struct ib_supervisor *sv,
			ib_err *err);
/* Hand it the container's init: it serves until that process exits. */
int ib_supervisor_attach(struct ib_supervisor *sv, pid_t init, ib_err *err);
/* Create failed: the supervisor unmounts and exits. */
void ib_supervisor_abort(struct ib_supervisor *sv);

#endif
