/* `events`: OOM notifications from the container's memory cgroup (v1 eventfd
 * or v2 inotify), periodic stats, and the end of the stream when the
 * container goes away. */
#include "linux/events.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cgroup/cgroup_int.h"
#include "linux/container.h"
#include "state/state.h"

struct ib_oom_watch {
	bool v2;
	int fd;		    /* v1: eventfd; v2: inotify */
	int oom_fd;	    /* v1: memory.oom_control, kept open for the registration */
	char *dir;	    /* the cgroup directory */
	int wd_memory;	    /* v2: watch of memory.events, -1 if none */
	int wd_cgroup;	    /* v2: watch of cgroup.events */
	uint64_t oom_kills; /* v2: last seen "oom_kill" */
	bool gone;
};

void ib_oom_watch_free(struct ib_oom_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->oom_fd >= 0)
		close(w->oom_fd);
	free(w->dir);
	free(w);
}

static void oom_watch_freep(struct ib_oom_watch **w)
{
	ib_oom_watch_free(*w);
}
#define _cleanup_oom_watch_ __attribute__((cleanup(oom_watch_freep)))

static struct ib_oom_watch *watch_new(const char *dir, bool v2)
{
	struct ib_oom_watch *w = ib_xmalloc0(sizeof(*w));

	w->v2 = v2;
	w->fd = w->oom_fd = w->wd_memory = w->wd_cgroup = -1;
	w->dir = ib_xstrdup(dir);
	return w;
}

struct ib_oom_watch *ib_oom_watch_open_v1(const char *memory_dir, ib_err *err)
{
	_cleanup_oom_watch_ struct ib_oom_watch *w = watch_new(memory_dir, false);
	_cleanup_close_ int dfd = open(memory_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char line[64];
	int n;

	if (dfd < 0) {
		ib_err_sys(err, "memory cgroup `%s`", memory_dir);
		return NULL;
	}
	w->oom_fd = openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (w->oom_fd < 0) {
		ib_err_sys(err, "open `%s/memory.oom_control`", memory_dir);
		return NULL;
	}
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		ib_err_sys(err, "eventfd");
		return NULL;
	}
	/* "<eventfd> <fd of memory.oom_control>": the kernel signals the
	 * eventfd on every OOM in the cgroup, and when the cgroup goes away. */
	n = snprintf(line, sizeof(line), "%d %d", w->fd, w->oom_fd);
	{
		_cleanup_close_ int ctl =
		    openat(dfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (ctl < 0 || ib_write_all(ctl, line, (size_t)n) != n) {
			ib_err_sys(err, "register OOM notification in `%s`", memory_dir);
			return NULL;
		}
	}
	return IB_STEAL(w);
}

/* "populated 0" in cgroup.events (or the file is gone): nothing left. */
static bool v2_emptied(const char *dir)
{
	_cleanup_free_ char *t = ib_cg_read(dir, "cgroup.events", NULL);
	uint64_t populated = 0;

	if (!t)
		return true;
	return ib_cg_kv_u64(t, "populated", &populated) && populated == 0;
}

static bool v2_oom_kills(const char *dir, uint64_t *out)
{
	_cleanup_free_ char *t = ib_cg_read(dir, "memory.events", NULL);

	return t && ib_cg_kv_u64(t, "oom_kill", out);
}

struct ib_oom_watch *ib_oom_watch_open_v2(const char *dir, ib_err *err)
{
	_cleanup_oom_watch_ struct ib_oom_watch *w = watch_new(dir, true);
	_cleanup_free_ char *mem = ib_xasprintf("%s/memory.events", dir);
	_cleanup_free_ char *cgev = ib_xasprintf("%s/cgroup.events", dir);

	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0) {
		ib_err_sys(err, "inotify");
		return NULL;
	}
	/* cgroupfs sends no IN_DELETE_SELF: the end is "populated 0". */
	w->wd_cgroup = inotify_add_watch(w->fd, cgev, IN_MODIFY);
	if (w->wd_cgroup < 0) {
		ib_err_sys(err, "watch `%s`", cgev);
		return NULL;
	}
	w->wd_memory = inotify_add_watch(w->fd, mem, IN_MODIFY);
	if (w->wd_memory < 0) {
		ib_err_sys(err, "watch `%s`", mem);
		return NULL;
	}
	/* Only kills from now on are news. Read after the watch was added, so
	 * that a kill in between is seen as a change later, not lost. */
	(void)v2_oom_kills(dir, &w->oom_kills);
	w->gone = v2_emptied(dir);
	return IB_STEAL(w);
}

struct ib_oom_watch *ib_oom_watch_open(const struct ib_cgroup *cg, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	_cleanup_free_ char *dir = NULL;
	bool v2 = false;

	if (ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	dir = ib_cg_ctl_dir(cg, &l, "memory", false, &v2);
	if (!dir) {
		ib_err_set(err, ENOENT, "memory controller missing");
		return NULL;
	}
	return v2 ? ib_oom_watch_open_v2(dir, err) : ib_oom_watch_open_v1(dir, err);
}

int ib_oom_watch_fd(const struct ib_oom_watch *w)
{
	return w->fd;
}

static int read_v1(struct ib_oom_watch *w, bool *gone, ib_err *err)
{
	_cleanup_free_ char *ctl = ib_xasprintf("%s/cgroup.event_control", w->dir);
	uint64_t count = 0;

	if (read(w->fd, &count, sizeof(count)) != (ssize_t)sizeof(count)) {
		if (errno == EAGAIN)
			return 0;
		return ib_err_sys(err, "read OOM eventfd");
	}
	/* The kernel signals the eventfd when the cgroup is removed, too. */
	if (access(ctl, F_OK) < 0 && errno == ENOENT) {
		w->gone = *gone = true;
		return 0;
	}
	/* One event per wake-up, however many OOMs it counts (like runc). */
	return count ? 1 : 0;
}

static int read_v2(struct ib_oom_watch *w, bool *gone, ib_err *err)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool mem_changed = false, cg_changed = false;
	uint64_t kills = 0;
	int n = 0;

	for (;;) {
		ssize_t r = read(w->fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0)
			return ib_err_sys(err, "read inotify");
		for (char *p = buf; p < buf + r;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->wd == w->wd_memory)
				mem_changed = true;
			else if (e->wd == w->wd_cgroup)
				cg_changed = true;
			if (e->mask & IN_IGNORED)
				cg_changed = true; /* watch removed: the file went away */
			p += sizeof(*e) + e->len;
		}
	}
	if (mem_changed && v2_oom_kills(w->dir, &kills) && kills > w->oom_kills) {
		uint64_t d = kills - w->oom_kills;
		n = d > INT_MAX ? INT_MAX : (int)d;
		w->oom_kills = kills;
	}
	if (cg_changed && v2_emptied(w->dir))
		w->gone = true;
	*gone = w->gone;
	return n;
}

int ib_oom_watch_read(struct ib_oom_watch *w, bool *gone, ib_err *err)
{
	*gone = w->gone;
	if (w->gone)
		return 0;
	return w->v2 ? read_v2(w, gone, err) : read_v1(w, gone, err);
}

/* ---- the events stream ---- */

static int emit_oom(const char *id, ib_event_fn fn, void *arg)
{
	struct json_object *o = json_object_new_object();
	int r;

	json_object_object_add(o, "type", json_object_new_string("oom"));
	json_object_object_add(o, "id", json_object_new_string(id));
	r = fn(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE),
	       arg);
	json_object_put(o);
	return r;
}

/* One stats event. 1 when the container is gone (state or cgroup removed),
 * 0 otherwise (a failure to read stats is only a warning, like runc). */
static int emit_stats(const struct ib_global_opts *g, const char *id, ib_event_fn fn, void *arg)
{
	_cleanup_free_ char *json = NULL;
	ib_err e = {0};

	if (ib_container_stats(g, id, &json, &e) < 0) {
		if (e.code == ENOENT || e.code == ESRCH)
			return 1;
		ib_warn("%s", e.msg);
		return 0;
	}
	return fn(json, arg) < 0 ? -1 : 0;
}

int ib_container_events(const struct ib_global_opts *g, const char *id, int64_t interval_ms,
			ib_event_fn fn, void *arg, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);
	_cleanup_oom_watch_ struct ib_oom_watch *w = NULL;
	_cleanup_close_ int tfd = -1;
	struct ib_cgroup *cg;
	struct itimerspec its = {0};

	if (!st)
		return -1;
	if (ib_state_status(root, st) == IB_STATUS_STOPPED)
		return ib_err_set(err, ESRCH, "container with id %s is not running", id);
	if (!st->cgroup_path || !*st->cgroup_path)
		return ib_err_set(err, ENOENT, "container %s has no cgroup", id);
	cg = ib_cgroup_from_path(st->cgroup_path, err);
	if (!cg)
		return -1;
	w = ib_oom_watch_open(cg, err);
	ib_cgroup_free(cg);
	if (!w) {
		if (err->code != ENOENT)
			return ib_err_wrap(err, "events of %s", id);
		/* No memory controller: stats only, until the container is gone. */
		ib_debug("events %s: no OOM notifications: %s", id, err->msg);
		ib_err_clear(err);
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0)
		return ib_err_sys(err, "timerfd");
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(tfd, 0, &its, NULL) < 0)
		return ib_err_sys(err, "timerfd");
	/* A first sample right away, then one per interval. */
	for (int r = emit_stats(g, id, fn, arg);;) {
		struct pollfd pfd[2] = {{.fd = tfd, .events = POLLIN},
					{.fd = w ? ib_oom_watch_fd(w) : -1, .events = POLLIN}};
		uint64_t ticks;
		bool gone = false;

		if (r < 0)
			return ib_err_set(err, EIO, "events of %s: output failed", id);
		if (r > 0)
			return 0;
		if (w) {
			int n = ib_oom_watch_read(w, &gone, err);

			if (n < 0)
				return ib_err_wrap(err, "events of %s", id);
			for (int i = 0; i < n; i++)
				if (emit_oom(id, fn, arg) < 0)
					return ib_err_set(err, EIO, "events of %s: output failed",
							  id);
			if (gone)
				return 0;
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return ib_err_sys(err, "poll");
		r = 0;
		if ((pfd[0].revents & POLLIN) &&
		    read(tfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
			r = emit_stats(g, id, fn, arg);
	}
}
