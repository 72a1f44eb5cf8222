/* The per-container supervisor (DESIGN.md, "Shape of the code"): the
 * container's kernel proxy, started by `create`, gone with the container,
 * charged to it. Two processes, both outside the container's namespaces
 * except as noted:
 *   - ironbox-sup (host root): serves the emulated /proc, /sys and /dev
 *     files over FUSE (emul.h) when /proc is emulated, owns the control socket
 *     <state dir>/sup.sock (root only, peers checked with SO_PEERCRED) through
 *     which `create` and `exec` hand it the seccomp listeners of the
 *     container's processes, and forwards them to
 *   - ironbox-notify (in the container's user namespace, notify.h): decides
 *     the calls ironbox's seccomp filter traps (notify_rules.h), audited in
 *     <state dir>/audit.log.
 * If either dies the other exits: the kernel then fails every trapped call
 * of this container with ENOSYS (fail closed) and `ironbox state` reports
 * "supervisor": "dead". Other containers are not affected.
 *
 * Both run in a child cgroup "ironbox-supervisor" of the container's memory
 * cgroup (v1 memory hierarchy, or v2 when its memory controller is on):
 * memory is hierarchical, so they are charged to the container's limit,
 * while the container's own cgroup keeps only its processes (v2's
 * no-internal-process rule holds when a delegated container enables
 * controllers, v1 freezer/pids never see them). `ps` and `kill --all`
 * leave them out; see README.md for pause on v2. */
#ifndef IRONBOX_SUPERVISOR_H
#define IRONBOX_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "cgroup/cgroup.h"
#include "spec/spec.h"

#define IB_SUPERVISOR_CGROUP "ironbox-supervisor"
#define IB_SUPERVISOR_SOCKET "sup.sock"

struct ib_shared_src; /* notify.h */

/* Where the read-only view of the emulated files is (procfs_fuse.c). */
#define IB_PROCVIEW_RO_SUFFIX "-ro"

struct ib_supervisor_cfg {
	const char *id;
	const char *state_dir;	     /* <root>/<id>: control socket, audit log */
	const char *proc_mountpoint; /* serve the /proc files there; NULL: none */
	/* (and a read-only view of them at proc_mountpoint IB_PROCVIEW_RO_SUFFIX) */
	const struct ib_cgroup *cg;	    /* the container's (charged to it); may be NULL */
	int userns_fd;			    /* the container's user namespace */
	const struct ib_shared_src *shared; /* host-shared bind sources */
	size_t n_shared;
	char *const *masked, *const *readonly; /* the spec's (NULL-terminated), rule "mount" */
	uid_t root_uid;	    /* host uid of the container's root: may write /proc/sys knobs */
	bool proc_readonly; /* the spec's /proc is read-only: so are the knobs */
	/* The admin's ceilings of the max-reconciled knobs, one per entry of
	 * ib_knobs (policy "sysctlMaximums"); NULL: the built-in defaults. */
	const int64_t *sysctl_max;
	/* The mount namespace we go back to once the container is attached
	 * (-1: none): we start in the runtime's staging namespace, which then
	 * goes, its RCU grace period while the container starts rather than
	 * when it has exited. */
	int host_mntns_fd;
};

struct ib_supervisor {
	pid_t pid;		  /* ironbox-sup */
	unsigned long long start; /* its starttime (/proc/PID/stat) */
	int ctl_fd;		  /* our end of the control pair, -1 when detached */
	bool fuse;		  /* the /proc files are served */
};

/* Fork the supervisor; ib_supervisor_ready returns once it serves (its
 * FUSE mount, if any, in place; the caller may work meanwhile). A /proc
 * emulation that cannot be mounted is not an error (sv->fuse says), the
 * rest is (the supervisor is then gone). */
int ib_supervisor_start(const struct ib_supervisor_cfg *cfg, struct ib_supervisor *sv, ib_err *err);
int ib_supervisor_ready(struct ib_supervisor *sv, ib_err *err);
/* Hand it the container's init and the listener of its filter: it serves
 * until that process exits. ib_supervisor_attached then waits for its
 * answer (the caller may work meanwhile). */
int ib_supervisor_attach(struct ib_supervisor *sv, pid_t init, int listener_fd, ib_err *err);
int ib_supervisor_attached(struct ib_supervisor *sv, ib_err *err);
/* Create failed: the supervisor exits. */
void ib_supervisor_abort(struct ib_supervisor *sv);

/* `exec`: hand the listener of a new process to the running supervisor of
 * the container whose state dir is state_dir. */
int ib_supervisor_add_listener(const char *state_dir, int listener_fd, ib_err *err);
/* Its counters (notify.h: struct ib_notify_stats) as a JSON object text. */
int ib_supervisor_stats(const char *state_dir, char **json, ib_err *err);
/* Is pid the supervisor sup or its agent? (they share the container's
 * memory cgroup; `ps` leaves them out) */
bool ib_supervisor_is_ours(pid_t sup, pid_t pid);
/* The container is gone: make sure its supervisor is too (SIGKILL through
 * a pidfd, only if (pid, start) still name it), waiting up to a second. */
void ib_supervisor_kill(pid_t pid, unsigned long long start);

/* The host-shared bind sources of s (ib_mount.host_shared), identified on
 * the host side (common/fsid.h), for the supervisor's rules. */
int ib_supervisor_shared_sources(const struct ib_spec *s, struct ib_shared_src **out, size_t *n,
				 ib_err *err);
void ib_supervisor_shared_free(struct ib_shared_src *v, size_t n);

#endif
