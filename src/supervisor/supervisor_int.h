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
