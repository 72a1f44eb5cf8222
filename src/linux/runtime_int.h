/* Internal interfaces between the runtime side of create/exec (create.c,
 * exec.c) and the code that runs in the container process (init.c). */
#ifndef IRONBOX_RUNTIME_INT_H
#define IRONBOX_RUNTIME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "cgroup/cgroup.h"
#include "spec/spec.h"

/* Everything the container's init needs; it is a copy of the runtime's
 * memory (clone3 without CLONE_VM), so pointers stay valid. */
struct ib_init_cfg {
	const char *id;
	const char *bundle;
	const struct ib_spec *spec;
	const struct ib_cgroup *cg;
	bool in_v2_cgroup;	  /* placed there by CLONE_INTO_CGROUP */
	int sync_fd;		  /* our end of the socketpair */
	int fifo_fd;		  /* O_PATH fd of exec.fifo, or (start_by_socket) */
	bool start_by_socket;	  /* ...our end of a socketpair: `run` releases us */
	int console_fd;		  /* connected --console-socket or -1 */
	bool console_relayed;	  /* console_fd leads to our own pty relay (run) */
	int userns_fd;		  /* shared user namespace to join, or -1 */
	const char *stage_dir;	  /* staged, locked bind mounts (stage.h) */
	const char *procview_dir; /* supervisor's FUSE files for /proc, or NULL */
	int clone_flags;	  /* namespaces the second stage must create (shared userns) */
	bool no_pivot, no_new_keyring;
	int preserve_fds;
	pid_t runtime_pid; /* our parent; we die with it until created */
};

/* Start the container's init (stage1.c): its first stage joins the
 * cgroups (v2 through CLONE_INTO_CGROUP v2fd, if >= 0) and the user
 * namespace, forks the init (our child) and sends its pidfd over sync_fd.
 * Returns the first stage's pid, to reap, or -1. */
pid_t ib_init_spawn(struct ib_init_cfg *c, int v2fd, ib_err *err);
/* The init, once in its namespaces: never returns. */
__attribute__((noreturn)) void ib_init_stage2(struct ib_init_cfg *c);

/* The fds a container process keeps while it sets itself up: stdio, the
 * preserve fds after them (3 .. 3+preserve-1) and keep[] (its own, all
 * close-on-exec: the sync socket, exec.fifo). Every other fd is closed. */
/* Hand the listener of the spec's seccomp filter to its listenerPath agent
 * with the container's state (status "creating" for the init, "running"
 * for an exec). */
int ib_forward_to_agent(const char *id, pid_t init_pid, pid_t process_pid, const char *bundle,
			const char *status, const struct ib_spec *s, int listener_fd, ib_err *err);

struct ib_setup_fds {
	int preserve;
	const int *keep;
	size_t n_keep;
	/* The sync socket: where the listener of a spec filter with a
	 * listenerPath goes (the runtime hands it to the seccomp agent). */
	int agent_sock;
};

/* What is left to do once set up: execve(path, process.args, env). */
struct ib_exec_plan {
	char *path;
	char **env;
};

/* The set-up of a container process (init and exec), all of it done before
 * it reports ready so that afterwards only execve remains (for init: the
 * exec.fifo write and the startContainer hooks first, like runc): close
 * inherited fds, rlimits, LSM label, environment (merged process.env, HOME
 * from the container's /etc/passwd), cwd (as root, again as the user if root
 * was refused, then checked to be inside the root), seccomp, user,
 * capabilities, no_new_privs, umask, the executable's lookup. Clears the
 * parent-death signal. */
int ib_process_setup(const struct ib_process *p, const struct ib_seccomp *sc,
		     const struct ib_setup_fds *fds, struct ib_exec_plan *plan, ib_err *err);
/* execve the plan; returns only on failure. */
int ib_process_execve(const struct ib_process *p, struct ib_exec_plan *plan, ib_err *err);

/* Allocate a pty inside the container (its /dev/ptmx), owned by the
 * process's uid, send the master over console_sock, make the slave our
 * controlling terminal and stdio. With bind_console the slave is also
 * bind-mounted on /dev/console; relayed (the runtime itself relays the pty
 * to its stdio) clears ONLCR, as runc's relay does. */
int ib_console_setup(int console_sock, const struct ib_process *p, bool bind_console, bool relayed,
		     ib_err *err);

/* Receive one fd sent with ib_send_fd_named. */
int ib_recv_fd(int sock, ib_err *err);
/* Wait for our child pid, forwarding SIGINT, SIGTERM, ... to it; with a pty
 * master (>= 0) also relay it to our stdio (raw mode when stdin is a
 * terminal; SIGWINCH resizes). Exit status as a shell reports it. */
int ib_wait_container(pid_t pid, int pidfd, int master, int *exit_status, ib_err *err);

/* --pid-file: the pid, written atomically. */
int ib_write_pid_file(const char *path, pid_t pid, ib_err *err);
/* `run`'s delete (forced): known is the spec create had (no config.json
 * read back); sup_child the supervisor, our child, exiting with the init:
 * its cgroup is removed last, once it is reaped (killed if it lingers),
 * while the rest is torn down meanwhile. */
struct ib_global_opts;
int ib_container_delete_after_run(const struct ib_global_opts *g, const char *id,
				  const struct ib_spec *known, pid_t sup_child, ib_err *err);

/* Before anything is created: validate the cgroup resources and decide what
 * to do at the container's cgroup path. A new path is created and owned
 * (*join = false). An existing one is joined (*join = true, not owned: never
 * emptied nor removed) when it is empty, or when it is the cgroup of another
 * live container of state root `root` (a pod sharing one cgroup). Refused:
 * a path that exists with other processes in it, is frozen, or exists in
 * only some hierarchies. */
int ib_cgroup_plan(const char *root, const char *id, const char *path,
		   const struct ib_resources *res, bool *join, ib_err *err);

/* OCI state JSON handed to hooks. */
char *ib_hook_state_json(const char *id, pid_t pid, const char *bundle, const char *status,
			 const struct ib_spec *s);

#endif
