/* `events`: OOM notifications and the end of a container, from its memory
 * cgroup, as runc reports them.
 * - cgroup v1 memory controller (also on hybrid hosts, where the memory
 *   controller is a v1 hierarchy): an eventfd registered for
 *   memory.oom_control through cgroup.event_control; the kernel also signals
 *   it when the cgroup is removed (the container was deleted).
 * - cgroup v2: inotify on memory.events (an increase of "oom_kill") and on
 *   cgroup.events ("populated 0": every process of the container is gone). */
#ifndef IRONBOX_EVENTS_H
#define IRONBOX_EVENTS_H

#include <stdbool.h>

#include "common/err.h"
#include "cgroup/cgroup.h"

struct ib_oom_watch;

/* Watch the container's cgroup; the library picks v1 or v2 from where its
 * memory controller lives. ENOENT when no memory controller is there. */
struct ib_oom_watch *ib_oom_watch_open(const struct ib_cgroup *cg, ib_err *err);
/* The v1 and v2 forms on a given directory (exported for tests). */
struct ib_oom_watch *ib_oom_watch_open_v1(const char *memory_dir, ib_err *err);
struct ib_oom_watch *ib_oom_watch_open_v2(const char *dir, ib_err *err);
/* Pollable (POLLIN) fd. */
int ib_oom_watch_fd(const struct ib_oom_watch *w);
/* After POLLIN (or at any time: never blocks): the number of OOM events
 * since the last call; *gone is set once the cgroup was removed or emptied
 * (no more events will come). -1 on error. */
int ib_oom_watch_read(struct ib_oom_watch *w, bool *gone, ib_err *err);
void ib_oom_watch_free(struct ib_oom_watch *w);

#endif
