/* Between the supervisor's process loop (supervisor.c), its FUSE
 * filesystem (procfs_fuse.c) and its control socket (control.c). */
#ifndef IRONBOX_SUPERVISOR_INT_H
#define IRONBOX_SUPERVISOR_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/supervisor.h"

struct fuse_session;
struct ib_notify_stats;

/* The counters shared with the notification agent (NULL in the runtime). */
extern struct ib_notify_stats *ib_sup_stats;

/* Mount the emulated files' FUSE filesystem on mountpoint (in the runtime,
 * before the init's mount namespace is copied); returns its /dev/fuse fd. */
int ib_procfs_fuse_mount(const char *mountpoint, ib_err *err);
/* The session serving that mount (fuse_fd, adopted), NULL on failure. */
struct fuse_session *ib_procfs_fuse_new(int fuse_fd);

/* ---- /proc/sys (proc_sys.c): the IB_EMUL_SYSCTL entries of emul.h ---- */
/* Which knobs are served, which are read-only (the spec), who may write,
 * the admin's ceilings; refusals by a ceiling are audited to audit_fd
 * (duplicated: the caller keeps its fd). */
void ib_proc_sys_init(const struct ib_supervisor_cfg *cfg, int audit_fd);
/* The container is gone: its max-reconciled values leave the host. */
void ib_proc_sys_exit(void);

/* ---- the notification agent (agent_link.c) ---- */
struct ib_notify_policy;
struct pollfd;
/* What the agent will get: the policy, the container's user namespace and
 * the audit sink (both fds kept, then closed once it is started). */
void ib_sup_agent_prepare(const struct ib_notify_policy *pol, int userns_fd, int audit_fd);
/* At attach, before the init runs the user's program: its mount
 * namespace, mount table and ID maps (the jail of rule "mount"). */
int ib_sup_agent_take_jail(pid_t init, int pidfd);
/* A seccomp listener (from create or exec, consumed): held until the first
 * notification starts the agent, then forwarded to it. */
int ib_sup_agent_listener(int fd);
/* What to poll: the held listeners, or the agent's sockets. */
size_t ib_sup_agent_n_pollfds(void);
size_t ib_sup_agent_pollfds(struct pollfd *pfd, size_t max);
/* After poll: may start the agent. -1: it is gone or could not start. */
int ib_sup_agent_events(const struct pollfd *pfd, size_t n);
/* Stop it (EOF on its socket) and reap it. */
void ib_sup_agent_stop(void);
/* Put fds[i] at 3 + i (-1: closed) and close every fd above (supervisor.c). */
int ib_sup_place_fds(const int *fds, int n);
/* Answer one rule "sysinfo" request on sock (supervisor.c). */
void ib_sup_answer_sysinfo(int sock);

/* ---- control socket (control.c) ---- */
enum { IB_SUP_OP_LISTENER = 1, IB_SUP_OP_STATS = 2 };

/* Listening socket <dirfd>/sup.sock, mode 0600. */
int ib_sup_ctl_listen(int state_dirfd, const char *state_dir, ib_err *err);
/* Serve one connection accepted on lsock: op_listener forwards a received
 * listener fd (consumed), the stats are rendered from ib_sup_stats. */
void ib_sup_ctl_serve(int lsock, int (*op_listener)(int fd));

/* One fd (and a byte) over a unix socket. */
int ib_sup_send_fd(int sock, const void *data, size_t len, int fd);
/* Receive data (exactly len bytes) and maybe one fd (-1 if none). */
int ib_sup_recv_fd(int sock, void *data, size_t len, int *fd);

#endif
