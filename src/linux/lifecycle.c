/* The verbs that act on an existing container: kill, delete, pause/resume,
 * state, update, ps, events --stats. */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/phase.h"
#include "common/util.h"
#include "idmap/idmap.h"
#include "cgroup/cgroup.h"
#include "linux/container.h"
#include "linux/hooks.h"
#include "linux/process.h"
#include "linux/runtime_int.h"
#include "linux/syscalls.h"
#include "state/state.h"
#include "sysctl/hosttable.h"
#include "supervisor/supervisor.h"

/* How long delete waits for a SIGKILLed init to go away (runc: 10 s). */
#define KILL_WAIT_MS 10000

static void cgroup_freep(struct ib_cgroup **cg)
{
	ib_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

static int open_init_pidfd(const struct ib_state *st, ib_err *err);

/* The container's cgroup, or NULL (err filled) when it has none / it is gone. */
static struct ib_cgroup *open_cgroup(const struct ib_state *st, ib_err *err)
{
	struct ib_cgroup *cg;

	if (!st->cgroup_path || !*st->cgroup_path) {
		ib_err_set(err, ENOENT, "container %s has no cgroup", st->id);
		return NULL;
	}
	cg = ib_cgroup_from_path(st->cgroup_path, err);
	if (cg)
		cg->owned = st->cgroup_owned;
	return cg;
}

/* Is path the cgroup of another container of this state root whose init is
 * alive? (A pod whose containers share one cgroup.) */
static bool cgroup_of_live_container(const char *root, const char *self, const char *path)
{
	_cleanup_strv_ char **ids = NULL;
	ib_err e = {0};

	if (ib_state_list(root, &ids, &e) < 0)
		return false;
	for (size_t i = 0; ids && ids[i]; i++) {
		_cleanup_state_ struct ib_state *st = NULL;
		if (strcmp(ids[i], self) == 0)
			continue;
		st = ib_state_load(root, ids[i], &e);
		if (st && st->cgroup_path && strcmp(st->cgroup_path, path) == 0 &&
		    ib_state_status(root, st) != IB_STATUS_STOPPED)
			return true;
	}
	return false;
}

int ib_cgroup_plan(const char *root, const char *id, const char *path,
		   const struct ib_resources *res, bool *join, ib_err *err)
{
	struct ib_cgroup_probe p;

	*join = false;
	if (ib_cgroup_check_resources(res, err) < 0 || ib_cgroup_probe(path, &p, err) < 0)
		return -1;
	if (!p.exists)
		return 0;
	if (p.frozen)
		return ib_err_set(err, EBUSY, "container's cgroup unexpectedly frozen (`%s`)",
				  path);
	if (p.populated && !cgroup_of_live_container(root, id, path))
		return ib_err_set(err, EBUSY,
				  "cgroup `%s` already has processes that are not an ironbox "
				  "container's; refusing to join it",
				  path);
	if (p.partial)
		return ib_err_set(
		    err, EEXIST,
		    "cgroup `%s` exists in some cgroup hierarchies but not in others; "
		    "refusing to use it",
		    path);
	*join = true;
	return 0;
}

/* Signal the container's processes in a cgroup it did not create: those in
 * its init's pid namespace (or below). 0 when init is gone. */
static int kill_own_in_shared_cgroup(const struct ib_state *st, const struct ib_cgroup *cg, int sig,
				     ib_err *err)
{
	_cleanup_close_ int pidfd = open_init_pidfd(st, err), nsfd = -1;
	char p[64];

	if (pidfd < 0)
		return err->code == ESRCH ? 0 : -1;
	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)st->pid);
	nsfd = open(p, O_RDONLY | O_CLOEXEC);
	/* Still the same process after the open? */
	if (nsfd < 0 || ib_pidfd_send_signal(pidfd, 0) < 0)
		return 0;
	return ib_cgroup_kill_in_pidns(cg, sig, nsfd, err);
}

/* pidfd for the container's init, checked against the recorded starttime so a
 * recycled pid is never signalled. -1 with ESRCH when init is gone. */
static int open_init_pidfd(const struct ib_state *st, ib_err *err)
{
	_cleanup_close_ int fd = -1;

	if (st->pid <= 0)
		return ib_err_set(err, ESRCH, "container not running");
	fd = ib_pidfd_open(st->pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return ib_err_set(err, ESRCH, "container not running");
		return ib_err_sys(err, "pidfd_open %d", (int)st->pid);
	}
	/* The pidfd pins this process; if its start time is still the recorded
	 * one, it is our init and not a later process that got the same pid. */
	if (st->pid_start && ib_proc_starttime(st->pid) != st->pid_start)
		return ib_err_set(err, ESRCH, "container not running");
	return IB_STEAL_FD(fd);
}

static int signal_init(const struct ib_state *st, int sig, ib_err *err)
{
	_cleanup_close_ int fd = open_init_pidfd(st, err);

	if (fd < 0)
		return -1;
	if (ib_pidfd_send_signal(fd, sig) < 0) {
		if (errno == ESRCH)
			return ib_err_set(err, ESRCH, "container not running");
		return ib_err_sys(err, "unable to signal init");
	}
	return 0;
}

/* A frozen v1 cgroup holds a SIGKILL until thawed: thaw it. */
static void thaw(const struct ib_state *st)
{
	ib_err e = {0};
	_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);

	if (cg && ib_cgroup_freeze(cg, false, &e) < 0)
		ib_warn("thaw %s: %s", st->id, e.msg);
}

int ib_container_kill(const struct ib_global_opts *g, const char *id, int sig, bool all,
		      ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);
	enum ib_status status;

	if (!st)
		return -1;
	status = ib_state_status(root, st);
	if (all) {
		ib_err e = {0};
		_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);

		if (!cg) {
			/* Nothing left to signal (cgroup gone with its processes). */
			if (status == IB_STATUS_STOPPED)
				return 0;
			return signal_init(st, sig, err);
		}
		if (!cg->owned) {
			/* A cgroup it joined: only its own processes. */
			if (kill_own_in_shared_cgroup(st, cg, sig, err) < 0)
				return ib_err_wrap(err, "kill all processes of %s", id);
			return 0;
		}
		if (ib_cgroup_kill_all(cg, sig, err) < 0)
			return ib_err_wrap(err, "kill all processes of %s", id);
		if (status == IB_STATUS_PAUSED && sig == SIGKILL)
			(void)ib_cgroup_freeze(cg, false, &e);
		return 0;
	}
	if (status == IB_STATUS_STOPPED)
		return ib_err_set(err, ESRCH, "container not running");
	if (signal_init(st, sig, err) < 0)
		return -1;
	if (status == IB_STATUS_PAUSED && sig == SIGKILL)
		thaw(st);
	if (sig == SIGKILL) {
		/* The dying init waits for the tasks the container froze in
		 * its own sub-cgroups (see kill_and_wait). */
		ib_err e = {0};
		_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);
		if (cg && ib_cgroup_thaw_subtree(cg, &e) < 0)
			ib_warn("kill %s: %s", st->id, e.msg);
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGKILL init and wait (pidfd poll, no busy loop) until it has exited. */
static int kill_and_wait(const char *root, const struct ib_state *st, ib_err *err)
{
	enum ib_status status = ib_state_status(root, st);
	_cleanup_close_ int fd = -1;
	ib_err e = {0};
	int64_t deadline;
	bool thawed = false;

	if (status == IB_STATUS_STOPPED)
		return 0;
	fd = open_init_pidfd(st, &e);
	if (fd < 0)
		return 0; /* already gone */
	if (ib_pidfd_send_signal(fd, SIGKILL) < 0 && errno != ESRCH)
		return ib_err_sys(err, "kill container %s", st->id);
	if (status == IB_STATUS_PAUSED)
		thaw(st);
	deadline = now_ms() + KILL_WAIT_MS;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return ib_err_set(err, ETIMEDOUT, "container init still running");
		r = poll(&pfd, 1, thawed ? (int)left : (int)(left < 100 ? left : 100));
		if (r < 0 && errno != EINTR)
			return ib_err_sys(err, "wait for container %s", st->id);
		if (r > 0)
			break;
		if (!thawed) {
			/* The init of a pid namespace exits only once every
			 * task in it has: thaw what the container froze in its
			 * own (delegated) sub-cgroups, now that every task of
			 * the namespace has SIGKILL pending. */
			_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);
			if (cg && ib_cgroup_thaw_subtree(cg, &e) < 0)
				ib_warn("delete %s: %s", st->id, e.msg);
			thawed = true;
		}
	}
	return 0;
}

/* Tear down a container whose init is gone: cgroup, ID range, state dir, then
 * the poststop hooks. Failures of the cleanup steps are logged, not fatal
 * (like runc), so a half-broken container can always be deleted. */
/* The supervisor of a `run` (our child): it exits once the init has (its
 * pidfd fired); one that does not within 2 s is killed. Reaped, because a
 * zombie still counts in the v1 memory cgroup it is charged to (rmdir:
 * EBUSY). */
struct sup_child {
	pid_t pid;
};

static void reap_sup_child(void *arg)
{
	struct sup_child *sc = arg;

	if (sc->pid > 0)
		ib_child_reap_within(sc->pid, 2000);
	sc->pid = -1;
}

/* known: the spec, when the caller has it (else config.json is read back
 * for the poststop hooks); sc: `run`'s supervisor child, or NULL. */
static int destroy(const char *root, struct ib_state *st, const struct ib_spec *known,
		   struct sup_child *sc, int *lockfd, ib_err *err)
{
	_cleanup_free_ char *cfg_path = ib_state_path(root, st->id, "config.json");
	_cleanup_free_ char *cfg_text = NULL, *state_json = NULL;
	_cleanup_spec_ struct ib_spec *parsed = NULL;
	const struct ib_spec *spec = known;
	ib_err e = {0};

	if (!spec && (!st->hooks_recorded || st->poststop_hooks) &&
	    ib_read_file_at(AT_FDCWD, cfg_path, &cfg_text, NULL, &e) == 0) {
		spec = parsed = ib_spec_parse(cfg_text, st->bundle ? st->bundle : "/", &e);
		if (!spec)
			ib_warn("delete %s: cannot parse config for poststop hooks: %s", st->id,
				e.msg);
	}
	ib_phase_mark("delete-config");
	/* It exits with the init; make sure, before its cgroup goes. */
	if (!sc && st->supervisor_pid > 0)
		ib_supervisor_kill(st->supervisor_pid, st->supervisor_start);
	ib_phase_mark("delete-supervisor");
	if (st->cgroup_path && *st->cgroup_path) {
		_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);

		if (cg && ib_cgroup_destroy_then(cg, sc ? reap_sup_child : NULL, sc, &e) < 0)
			ib_warn("delete %s: remove cgroup: %s", st->id, e.msg);
	}
	/* Gone before its ID range can be another container's. */
	if (sc && sc->pid > 0)
		reap_sup_child(sc);
	ib_phase_mark("delete-cgroup");
	if (ib_container_release_range(root, st->id, &e) < 0)
		ib_warn("delete %s: release ID range: %s", st->id, e.msg);
	ib_phase_mark("delete-range");
	/* Its max-reconciled sysctls (the supervisor drops them when it exits,
	 * unless it was killed). */
	{
		_cleanup_free_ char *holder = ib_sysctl_holder(root, st->id);

		if (ib_sysctl_host_release(holder, &e) < 0)
			ib_warn("delete %s: release sysctls: %s", st->id, e.msg);
	}
	ib_phase_mark("delete-sysctl");
	state_json = ib_state_oci_json(root, st, false);
	if (ib_state_remove_locked(root, st->id, lockfd, err) < 0)
		return ib_err_wrap(err, "delete %s", st->id);
	ib_phase_mark("delete-state");
	/* A failing poststop hook is a warning; the others still run (OCI). */
	if (spec && spec->hooks.n_poststop) {
		_cleanup_close_ int bundle_fd = ib_hooks_open_dir(st->bundle);

		ib_hooks_run_warn("poststop", spec->hooks.poststop, spec->hooks.n_poststop,
				  state_json, bundle_fd);
	}
	return 0;
}

int ib_container_delete(const struct ib_global_opts *g, const char *id, bool force, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_close_ int lock = -1;
	_cleanup_state_ struct ib_state *st = NULL;
	enum ib_status status;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	lock = ib_state_lock(root, id, err);
	if (lock < 0) {
		if (err && err->code == ENOENT && force)
			return 0;
		return -1;
	}
	st = ib_state_load(root, id, err);
	if (!st) {
		if (err && err->code == ENOENT) {
			/* An aborted create can leave the directory without
			 * state.json: remove it (like runc). */
			ib_err e = {0};
			if (ib_state_remove(root, id, &e) < 0)
				ib_warn("%s", e.msg);
			(void)ib_container_release_range(root, id, &e);
			if (force)
				return 0;
		}
		return -1;
	}
	status = ib_state_status(root, st);
	ib_phase_mark("delete-load");
	if (!force && status != IB_STATUS_STOPPED && status != IB_STATUS_CREATED)
		return ib_err_set(err, EBUSY, "cannot delete container %s that is not stopped: %s",
				  id, ib_status_name(status));
	if (status != IB_STATUS_STOPPED && !st->cgroup_owned) {
		/* Its cgroup is shared: its own processes, while init tells which. */
		ib_err e = {0};
		_cleanup_cgroup_ struct ib_cgroup *cg = open_cgroup(st, &e);
		if (cg && kill_own_in_shared_cgroup(st, cg, SIGKILL, &e) < 0)
			ib_warn("delete %s: %s", id, e.msg);
	}
	if (status != IB_STATUS_STOPPED && kill_and_wait(root, st, err) < 0)
		return -1;
	ib_phase_mark("delete-kill");
	return destroy(root, st, NULL, NULL, &lock, err);
}

int ib_container_delete_after_run(const struct ib_global_opts *g, const char *id,
				  const struct ib_spec *known, pid_t sup_child, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_close_ int lock = ib_state_lock(root, id, err);
	_cleanup_state_ struct ib_state *st = NULL;
	struct sup_child sc = {.pid = sup_child};

	if (lock < 0)
		return -1;
	st = ib_state_load(root, id, err);
	if (!st)
		return -1;
	if (ib_state_status(root, st) != IB_STATUS_STOPPED && kill_and_wait(root, st, err) < 0)
		return -1;
	return destroy(root, st, known, &sc, &lock, err);
}

static int set_frozen(const struct ib_global_opts *g, const char *id, bool frozen, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_close_ int lock = -1;
	_cleanup_state_ struct ib_state *st = NULL;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	enum ib_status status;

	lock = ib_state_lock(root, id, err);
	if (lock < 0)
		return -1;
	st = ib_state_load(root, id, err);
	if (!st)
		return -1;
	status = ib_state_status(root, st);
	if (frozen && status != IB_STATUS_RUNNING && status != IB_STATUS_CREATED)
		return ib_err_set(err, EINVAL, "container not running");
	if (!frozen && status != IB_STATUS_PAUSED)
		return ib_err_set(err, EINVAL, "container not paused");
	cg = open_cgroup(st, err);
	if (!cg)
		return -1;
	if (ib_cgroup_freeze(cg, frozen, err) < 0)
		return ib_err_wrap(err, "%s %s", frozen ? "pause" : "resume", id);
	return 0;
}

int ib_container_pause(const struct ib_global_opts *g, const char *id, ib_err *err)
{
	return set_frozen(g, id, true, err);
}

int ib_container_resume(const struct ib_global_opts *g, const char *id, ib_err *err)
{
	return set_frozen(g, id, false, err);
}

/* A running container whose supervisor is gone says so. */
static void warn_supervisor(const char *root, const struct ib_state *st)
{
	if (st->supervisor_pid > 0 && !ib_state_supervisor_alive(st) &&
	    ib_state_status(root, st) != IB_STATUS_STOPPED)
		ib_warn("the supervisor of container %s is not running: its trapped system calls "
			"fail (ENOSYS) and its emulated /proc files are gone",
			st->id);
}

int ib_container_state(const struct ib_global_opts *g, const char *id, char **json, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);

	if (!st)
		return -1;
	*json = ib_state_oci_json(root, st, true);
	warn_supervisor(root, st);
	return 0;
}

int ib_container_update(const struct ib_global_opts *g, const char *id,
			const struct ib_resources *res, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_close_ int lock = -1;
	_cleanup_state_ struct ib_state *st = NULL;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;

	lock = ib_state_lock(root, id, err);
	if (lock < 0)
		return -1;
	st = ib_state_load(root, id, err);
	if (!st)
		return -1;
	if (ib_state_status(root, st) == IB_STATUS_STOPPED)
		return ib_err_set(err, ESRCH, "container not running");
	cg = open_cgroup(st, err);
	if (!cg)
		return -1;
	if (ib_cgroup_update(cg, res, err) < 0)
		return ib_err_wrap(err, "update %s", id);
	return 0;
}

int ib_container_pids(const struct ib_global_opts *g, const char *id, pid_t **pids, size_t *n,
		      ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	ib_err e = {0};

	if (!st)
		return -1;
	cg = open_cgroup(st, &e);
	if (!cg) {
		/* No cgroup: just init, if it lives. */
		*n = 0;
		*pids = ib_xmalloc0(sizeof(pid_t));
		if (ib_state_status(root, st) != IB_STATUS_STOPPED)
			(*pids)[(*n)++] = st->pid;
		return 0;
	}
	if (ib_cgroup_pids(cg, pids, n, err) < 0)
		return -1;
	/* Its supervisor may share the cgroup tree (charged to it): not one
	 * of the container's processes. */
	{
		size_t k = 0;

		for (size_t i = 0; i < *n; i++)
			if (!ib_supervisor_is_ours(st->supervisor_pid, (*pids)[i]))
				(*pids)[k++] = (*pids)[i];
		*n = k;
	}
	warn_supervisor(root, st);
	return 0;
}

int ib_container_init_pidfd(const struct ib_global_opts *g, const char *id, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);

	if (!st)
		return -1;
	if (ib_state_status(root, st) == IB_STATUS_STOPPED)
		return ib_err_set(err, ESRCH, "container not running");
	return open_init_pidfd(st, err);
}

int ib_container_stats(const struct ib_global_opts *g, const char *id, char **json, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	struct json_object *o, *data;

	if (!st)
		return -1;
	if (ib_state_status(root, st) == IB_STATUS_STOPPED)
		return ib_err_set(err, ESRCH, "container with id %s is not running", id);
	cg = open_cgroup(st, err);
	if (!cg)
		return -1;
	data = ib_cgroup_stats(cg, err);
	if (!data)
		return ib_err_wrap(err, "stats of %s", id);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("stats"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "data", data);
	*json = ib_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
