/* Between the supervisor's process loop (supervisor.c) and its FUSE
 * filesystem (procfs_fuse.c). */
#ifndef IRONBOX_SUPERVISOR_INT_H
#define IRONBOX_SUPERVISOR_INT_H

#include "supervisor/supervisor.h"

struct fuse_session;

/* The current content of one served file (malloc'd), NULL on failure. */
char *ib_supervisor_render(const char *name);
/* A session mounted on mountpoint, NULL on failure. */
struct fuse_session *ib_procfs_fuse_new(const char *mountpoint);

#endif
