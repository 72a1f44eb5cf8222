/* create, start and run: the runtime side of bringing a container up.
 *
 * create: spec -> policy (refuse or rewrite) -> state dir -> cgroup ->
 * clone3 of the container's init straight into its namespaces and v2 cgroup
 * -> ID maps -> host-side mount preparation (ID-mapped rootfs and binds,
 * device nodes), handed to the child as mount fds -> hooks -> CREATED.
 * Anything that fails on the way is undone: no process, cgroup, ID range
 * or state dir is left behind. */
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/phase.h"
#include "common/util.h"
#include "idmap/idmap.h"
#include "cgroup/cgroup.h"
#include "linux/container.h"
#include "linux/hooks.h"
#include "linux/mountfd.h"
#include "linux/process.h"
#include "linux/runtime_int.h"
#include "linux/stage.h"
#include "linux/sync.h"
#include "linux/syscalls.h"
#include "policy/policy.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor.h"
#include "state/state.h"

#define DEVICE_FD_BASE 0x100000
#define IDMAP_DIR_DEFAULT "/run/ironbox"

/* The ID-range table is host-wide, whatever --root each engine uses, so two
 * engines can never hand out the same range. Its place is fixed: no option
 * or environment variable can split it (a test that needs a private table
 * mounts a tmpfs over /run/ironbox in a private mount namespace). */
static void use_host_idmap_table(void)
{
	ib_err e = {0};

	(void)ib_mkdir_p(IDMAP_DIR_DEFAULT, 0700, &e);
	ib_policy_set_idmap_dir(IDMAP_DIR_DEFAULT);
}

int ib_container_release_range(const char *root, const char *id, ib_err *err)
{
	const char *table;
	_cleanup_free_ char *holder = NULL;

	use_host_idmap_table();
	holder = ib_policy_idmap_holder(root, id, &table);
	return ib_idmap_release(table, holder, err);
}

static void policy_freep(struct ib_policy **p)
{
	ib_policy_free(*p);
}

static void cgroup_freep(struct ib_cgroup **cg)
{
	ib_cgroup_free(*cg);
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return ib_xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

/* pid of a pidfd in our pid namespace (fdinfo "Pid:"). */
static pid_t pidfd_pid(int pidfd)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	ib_err e = {0};
	const char *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, &e) < 0)
		return -1;
	p = strstr(text, "\nPid:");
	return p ? (pid_t)atoi(p + 5) : -1;
}

static int send_prepared(int sock, const struct ib_prepared_mounts *pm, ib_err *err)
{
	if (ib_sync_send(sock, IB_SYNC_MOUNT_FD, -1, NULL, pm->rootfs_fd, err) < 0)
		return -1;
	for (size_t i = 0; i < pm->n_mount_fds; i++)
		if (pm->mount_fds[i] >= 0 && ib_sync_send(sock, IB_SYNC_MOUNT_FD, (int32_t)i, NULL,
							  pm->mount_fds[i], err) < 0)
			return -1;
	for (size_t i = 0; i < pm->n_devices; i++)
		if (pm->device_fds[i] >= 0 &&
		    ib_sync_send(sock, IB_SYNC_MOUNT_FD, (int32_t)(DEVICE_FD_BASE + i), NULL,
				 pm->device_fds[i], err) < 0)
			return -1;
	return ib_sync_send(sock, IB_SYNC_FDS_DONE, 0, NULL, -1, err);
}

/* Join the namespaces the spec names by path (other than user and mount):
 * the container process inherits them. */
static int join_namespaces(const struct ib_spec *s, ib_err *err)
{
	static const enum ib_ns_type order[] = {IB_NS_IPC, IB_NS_UTS,	 IB_NS_NET,
						IB_NS_PID, IB_NS_CGROUP, IB_NS_TIME};

	if (s->ns[IB_NS_MOUNT].path)
		return ib_err_set(err, EINVAL,
				  "joining an existing mount namespace is not supported");
	for (size_t i = 0; i < IB_ARRAY_SIZE(order); i++) {
		const struct ib_namespace *ns = &s->ns[order[i]];
		_cleanup_close_ int fd = -1;

		if (!ns->present || !ns->path)
			continue;
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ib_err_sys(err, "open %s namespace %s", ib_ns_name(order[i]),
					  ns->path);
		if (setns(fd, ib_ns_clone_flag(order[i])) < 0)
			return ib_err_sys(err, "join %s namespace %s", ib_ns_name(order[i]),
					  ns->path);
	}
	return 0;
}

static uint64_t new_ns_flags(const struct ib_spec *s)
{
	static const enum ib_ns_type types[] = {IB_NS_PID, IB_NS_NET, IB_NS_IPC, IB_NS_UTS,
						IB_NS_TIME};
	uint64_t f = CLONE_NEWNS;

	for (size_t i = 0; i < IB_ARRAY_SIZE(types); i++)
		if (s->ns[types[i]].present && !s->ns[types[i]].path)
			f |= (uint64_t)ib_ns_clone_flag(types[i]);
	return f;
}

/* Device cgroup: whatever the spec allows, plus what every container needs
 * (runc's defaults) and the spec's own device nodes. */
static void add_device_rules(struct ib_spec *s)
{
	static const struct ib_device_rule defaults[] = {
	    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},	   {true, 'c', 1, 3, "rwm"},
	    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},	   {true, 'c', 1, 8, "rwm"},
	    {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},	   {true, 'c', 5, 1, "rwm"},
	    {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
	};
	struct ib_resources *r = &s->resources;
	size_t n = r->n_devices + IB_ARRAY_SIZE(defaults) + s->n_devices;
	size_t k = r->n_devices;

	r->devices = ib_xrealloc(r->devices, n * sizeof(*r->devices));
	for (size_t i = 0; i < IB_ARRAY_SIZE(defaults); i++)
		r->devices[k++] = defaults[i];
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct ib_device *d = &s->devices[i];
		if (d->type != 'c' && d->type != 'b' && d->type != 'u')
			continue;
		r->devices[k++] = (struct ib_device_rule){true, d->type == 'b' ? 'b' : 'c',
							  d->major, d->minor, "rwm"};
	}
	r->n_devices = k;
	s->has_resources = true;
}

static bool has_proc_mount(const struct ib_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type && !strcmp(s->mounts[i].type, "proc") &&
		    !strcmp(s->mounts[i].destination, "/proc"))
			return true;
	return false;
}

struct create_ctx {
	const char *root, *id;
	const char *stage_dir;
	int host_mntns; /* while in the private staging mount namespace */
	bool dir_created, range_held;
	struct ib_cgroup *cg;
	pid_t pid;
	int pidfd;
	/* Children that exit on their own, reaped once create is done rather
	 * than waited for on the way (a scheduling round trip each on a busy
	 * machine): the user namespace's placeholder, the first stage. */
	pid_t userns_holder, stage1;
	const int64_t *sysctl_max; /* the policy's ceilings, for the supervisor */
};

static void reap_helpers(struct create_ctx *c)
{
	pid_t *p[] = {&c->userns_holder, &c->stage1};

	for (size_t i = 0; i < IB_ARRAY_SIZE(p); i++) {
		if (*p[i] > 0)
			while (waitpid(*p[i], NULL, 0) < 0 && errno == EINTR)
				;
		*p[i] = -1;
	}
}

static void undo_create(struct create_ctx *c)
{
	ib_err e = {0};

	ib_stage_leave(c->host_mntns);
	c->host_mntns = -1;
	if (c->pidfd >= 0) {
		ib_pidfd_send_signal(c->pidfd, SIGKILL);
		if (c->pid > 0)
			(void)waitpid(c->pid, NULL, 0);
		close(c->pidfd);
		c->pidfd = -1;
	}
	reap_helpers(c);
	if (c->cg && ib_cgroup_destroy(c->cg, &e) < 0)
		ib_warn("remove cgroup: %s", e.msg);
	if (c->range_held && ib_container_release_range(c->root, c->id, &e) < 0)
		ib_warn("release ID range: %s", e.msg);
	if (c->dir_created && ib_state_remove(c->root, c->id, &e) < 0)
		ib_warn("%s", e.msg);
}

/* The listener of the spec's own filter (SCMP_ACT_NOTIFY rules): to the
 * OCI seccomp agent at listenerPath, with the container's state. */
int ib_forward_to_agent(const char *id, pid_t init_pid, pid_t process_pid, const char *bundle,
			const char *status, const struct ib_spec *s, int listener_fd, ib_err *err)
{
	_cleanup_free_ char *state_json = NULL;

	if (!s->seccomp || !s->seccomp->listener_path || listener_fd < 0)
		return ib_err_set(err, EPROTO, "a seccomp listener without a listenerPath");
	state_json = ib_hook_state_json(id, init_pid, bundle, status, s);
	return ib_seccomp_agent_send(s->seccomp->listener_path, listener_fd, process_pid,
				     s->seccomp->listener_metadata, state_json, err);
}

static int forward_to_agent(struct create_ctx *c, const struct ib_spec *s, const char *bundle,
			    const char *status, const struct ib_sync_msg *m, ib_err *err)
{
	return ib_forward_to_agent(c->id, c->pid, c->pid, bundle, status, s, m->fd, err);
}

/* ironbox's seccomp filter, built while the init mounts (it loads it last):
 * sent as a memfd, after HOOKS_DONE. */
static int send_filter(int sock, ib_err *err)
{
	_cleanup_close_ int fd = ib_seccomp_supervised_export(err);

	if (fd < 0)
		return -1;
	return ib_sync_send(sock, IB_SYNC_FILTER, 0, NULL, fd, err);
}

static int drive_child_steps(struct create_ctx *c, const struct ib_spec *s,
			     struct ib_prepared_mounts *pm, struct ib_supervisor *sup,
			     bool procview, int sock, const char *bundle, int *listener,
			     ib_err *err);

/* Steps after clone3 until the child reports CREATED. We send ahead of what
 * the child asks (the filter, HOOKS_DONE): a child that failed meanwhile has
 * exited, and our send fails (EPIPE); the reason is in the error message it
 * sent before, still queued for us. */
static int drive_child(struct create_ctx *c, const struct ib_spec *s, struct ib_prepared_mounts *pm,
		       struct ib_supervisor *sup, bool procview, int sock, const char *bundle,
		       int *listener, ib_err *err)
{
	struct ib_sync_msg m;
	ib_err e = {0};

	if (drive_child_steps(c, s, pm, sup, procview, sock, bundle, listener, err) == 0)
		return 0;
	if (err->code != EPIPE && err->code != ECONNRESET)
		return -1;
	while (ib_sync_recv(sock, &m, &e) == 0) {
		if (m.fd >= 0)
			close(m.fd);
		if (m.type == IB_SYNC_ERROR)
			return ib_err_set(err, m.value, "%s", m.text);
	}
	return -1;
}

static int drive_child_steps(struct create_ctx *c, const struct ib_spec *s,
			     struct ib_prepared_mounts *pm, struct ib_supervisor *sup,
			     bool procview, int sock, const char *bundle, int *listener,
			     ib_err *err)
{
	_cleanup_free_ char *state_json = NULL;
	_cleanup_close_ int bundle_fd = -1;
	bool got_listener = false;
	/* Without prestart/createRuntime hooks nothing happens between the
	 * init's PRE_HOOKS and our HOOKS_DONE: sent ahead with the fds, it saves
	 * the init a wait for us (a scheduling round trip on a busy machine). */
	bool hooks = s->hooks.n_prestart || s->hooks.n_create_runtime;
	struct ib_sync_msg m;
	int r;

	/* The first stage joined the user namespace and sends the real init
	 * (born in its new namespaces) as a pidfd. */
	if (ib_sync_expect(sock, IB_SYNC_PID, &m, err) < 0)
		return -1;
	c->pidfd = m.fd;
	c->pid = pidfd_pid(m.fd);
	if (c->pid <= 0)
		return ib_err_set(err, ESRCH, "container init vanished");
	/* Its mount namespace is copied: the staging namespace is done. */
	ib_stage_leave(c->host_mntns);
	c->host_mntns = -1;
	/* The supervisor started before the clone and got ready meanwhile; the
	 * init clones its emulated files once told they are served. */
	if (ib_supervisor_ready(sup, err) < 0)
		return ib_err_wrap(err, "supervisor of %s", c->id);
	if (procview && !sup->fuse)
		ib_warn("no emulated /proc for %s: the supervisor could not serve it", c->id);
	if (ib_sync_send(sock, IB_SYNC_PROCVIEW, procview && sup->fuse, NULL, -1, err) < 0 ||
	    ib_sync_send(sock, IB_SYNC_MAPS_DONE, c->pid, NULL, -1, err) < 0)
		return -1;
	r = send_prepared(sock, pm, err);
	ib_mounts_release(pm);
	if (r < 0 || (!hooks && (ib_sync_send(sock, IB_SYNC_HOOKS_DONE, 0, NULL, -1, err) < 0 ||
				 send_filter(sock, err) < 0)))
		return -1;
	if (ib_sync_expect(sock, IB_SYNC_PRE_HOOKS, &m, err) < 0)
		return -1;
	if (hooks) {
		/* The runtime environment exists: "created" (the user's program
		 * has not run), with the bundle as the hooks' working directory. */
		state_json = ib_hook_state_json(c->id, c->pid, bundle, "created", s);
		bundle_fd = ib_hooks_open_dir(bundle);
		if (ib_hooks_run("prestart", s->hooks.prestart, s->hooks.n_prestart, state_json,
				 bundle_fd, err) < 0 ||
		    ib_hooks_run("createRuntime", s->hooks.create_runtime,
				 s->hooks.n_create_runtime, state_json, bundle_fd, err) < 0 ||
		    ib_sync_send(sock, IB_SYNC_HOOKS_DONE, 0, NULL, -1, err) < 0 ||
		    send_filter(sock, err) < 0)
			return -1;
	}
	/* The listener of ironbox's filter (for the supervisor), the one of the
	 * spec's filter if it has a seccomp agent, then CREATED. */
	for (;;) {
		if (ib_sync_recv(sock, &m, err) < 0)
			return -1;
		if (m.type == IB_SYNC_LISTENER && !got_listener) {
			/* No fd: the spec's agent holds the one listener. */
			got_listener = true;
			*listener = m.fd;
			continue;
		}
		if (m.type == IB_SYNC_AGENT_FD)
			r = forward_to_agent(c, s, bundle, "creating", &m, err);
		else if (m.type == IB_SYNC_ERROR)
			return ib_err_set(err, m.value, "%s", m.text);
		else if (m.type == IB_SYNC_CREATED)
			return got_listener ? 0
					    : ib_err_set(err, EPROTO,
							 "no seccomp listener from the container");
		else
			r = ib_err_set(err, EPROTO, "unexpected sync message %u", m.type);
		if (m.fd >= 0)
			close(m.fd);
		if (r < 0)
			return -1;
	}
}

int ib_write_pid_file(const char *path, pid_t pid, ib_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (ib_write_file_atomic(path, buf, (size_t)n, 0644, err) < 0)
		return ib_err_wrap(err, "pid file `%s`", path);
	return 0;
}

static int save_config(const char *root, const char *id, const struct ib_spec *s, ib_err *err)
{
	_cleanup_free_ char *path = ib_state_path(root, id, "config.json");
	_cleanup_free_ char *config = ib_spec_to_json(s);

	return ib_write_file_atomic(path, config, strlen(config), 0600, err);
}

/* The container's supervisor, always (its seccomp listeners are a security
 * boundary), with the emulated /proc files when /proc is a proc mount (a
 * view, not a boundary: without FUSE the container runs with the kernel's
 * files). Forked in our own pid namespace, never in one the spec joins. */
static int start_supervisor(struct create_ctx *c, const struct ib_spec *s,
			    const struct ib_cgroup *cg, int userns, int own_pidns,
			    const struct ib_shared_src *shared, size_t n_shared,
			    struct ib_supervisor *sup, char **procview_dir, ib_err *err)
{
	_cleanup_free_ char *state_dir = ib_state_path(c->root, c->id, NULL);
	_cleanup_close_ int joined = -1;
	struct ib_supervisor_cfg cfg = {.id = c->id,
					.state_dir = state_dir,
					.cg = cg,
					.userns_fd = userns,
					.shared = shared,
					.n_shared = n_shared,
					.masked = s->masked_paths,
					.readonly = s->readonly_paths,
					.sysctl_max = c->sysctl_max,
					.host_mntns_fd = c->host_mntns};
	int r;

	if (has_proc_mount(s))
		*procview_dir = ib_xasprintf("%s/proc", c->stage_dir);
	cfg.proc_mountpoint = *procview_dir;
	/* Who may write the /proc/sys knobs it serves, and whether at all. */
	cfg.root_uid = (uid_t)-1;
	for (size_t i = 0; i < s->n_uid_mappings; i++)
		if (s->uid_mappings[i].container_id == 0)
			cfg.root_uid = s->uid_mappings[i].host_id;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type && !strcmp(s->mounts[i].type, "proc") &&
		    !strcmp(s->mounts[i].destination, "/proc") && (s->mounts[i].flags & MS_RDONLY))
			cfg.proc_readonly = true;
	if (own_pidns >= 0) {
		joined = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (joined < 0 || setns(own_pidns, CLONE_NEWPID) < 0)
			return ib_err_sys(err, "supervisor: back to our pid namespace");
	}
	r = ib_supervisor_start(&cfg, sup, err);
	if (joined >= 0 && setns(joined, CLONE_NEWPID) < 0 && r == 0) {
		ib_supervisor_abort(sup);
		return ib_err_sys(err, "rejoin the container's pid namespace");
	}
	if (r < 0)
		return ib_err_wrap(err, "supervisor of %s", c->id);
	/* Its readiness is awaited later (drive_child), while the init is
	 * cloned. */
	return 0;
}

/* Create the container; on success pid_out and pidfd_out describe its init. */
/* tty_master_out: non-NULL for a foreground run, which relays the terminal
 * itself when there is no console socket. run (NULL for create): what a
 * run goes on with. */
/* What the init waits on until start (returned: its end). `start`'s
 * exec.fifo in the state dir, owned by the container's root; under `run`
 * a socketpair, whose other end (*runtime_end) release_init_socket writes. */
static int start_gate(const char *root, const char *id, bool by_socket, uid_t owner,
		      int *runtime_end, ib_err *err)
{
	_cleanup_free_ char *path = NULL;
	int ss[2], fd;

	if (by_socket) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ss) < 0)
			return ib_err_sys(err, "socketpair");
		*runtime_end = ss[0];
		return ss[1];
	}
	path = ib_state_path(root, id, "exec.fifo");
	if (mkfifo(path, 0622) < 0 || chown(path, owner, owner) < 0 || chmod(path, 0622) < 0)
		return ib_err_sys(err, "create exec fifo");
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open exec fifo");
	return fd;
}

/* `run`'s start: the byte the init waits for, then EOF once it has
 * executed the user's program (its end is close-on-exec) or died. */
static int release_init_socket(int sock, ib_err *err)
{
	char buf[16];
	ssize_t n;

	if (send(sock, "0", 1, MSG_NOSIGNAL) != 1)
		return ib_err_set(err, ESRCH, "cannot start a container that has stopped");
	while ((n = read(sock, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			return ib_err_sys(err, "wait for container start");
	}
	return 0;
}

/* `run`: create starts the container too, once the supervisor is attached:
 * no exec.fifo (the init waits on a socketpair), one final state write. */
struct run_ctx {
	struct ib_spec *spec; /* for the poststart hooks */
	pid_t sup_pid;	      /* the supervisor, our child */
};

static int do_create(const struct ib_global_opts *g, const struct ib_create_opts *o, pid_t *pid_out,
		     int *pidfd_out, int *tty_master_out, struct run_ctx *run, ib_err *err)
{
	_cleanup_close_ int tty_sock = -1, start_sock = -1;
	struct create_ctx c = {.root = ib_root_of(g),
			       .id = o->id,
			       .pid = -1,
			       .pidfd = -1,
			       .host_mntns = -1,
			       .userns_holder = -1,
			       .stage1 = -1};
	struct ib_prepared_mounts pm = {.rootfs_fd = -1, .devices_fs_fd = -1};
	struct ib_supervisor sup = {.pid = -1, .ctl_fd = -1};
	struct ib_shared_src *shared = NULL;
	size_t n_shared = 0;
	_cleanup_close_ int listener = -1;
	_cleanup_free_ char *procview_dir = NULL;
	_cleanup_free_ char *stage_dir = NULL;
	_cleanup_spec_ struct ib_spec *s = NULL;
	__attribute__((cleanup(policy_freep))) struct ib_policy *pol = NULL;
	__attribute__((cleanup(cgroup_freep))) struct ib_cgroup *cg = NULL;
	struct ib_isolation iso = {0};
	_cleanup_close_ int lock = -1, fifo = -1, console = -1, v2fd = -1, userns = -1,
			    own_pidns = -1;
	_cleanup_free_ char *cg_path = NULL;
	int sv[2] = {-1, -1};
	struct ib_state st = {0};
	struct ib_init_cfg ic;
	bool cg_join = false;
	int cg_delegate;
	pid_t pid;

	if (ib_state_check_id(o->id, err) < 0 || ib_check_preserved_fds(o->preserve_fds, err) < 0)
		return -1;
	s = ib_spec_load(o->bundle, err);
	if (!s)
		return -1;
	if (!s->process)
		return ib_err_set(err, EINVAL, "process not set in config.json");
	if (!s->process->args || !s->process->args[0])
		return ib_err_set(err, EINVAL, "args must not be empty");
	if (s->process->terminal && !o->console_socket && !tty_master_out)
		return ib_err_set(err, EINVAL,
				  "cannot allocate tty if runc will detach without setting console "
				  "socket");
	if (!s->process->terminal && o->console_socket)
		return ib_err_set(
		    err, EINVAL,
		    "cannot use console socket if runc will not detach or allocate tty");
	/* Checked here for a clear error before anything exists; the init opens
	 * it again in its own mount namespace. */
	if (access(s->root_path, F_OK) < 0)
		return ib_err_sys(err, "rootfs (%s) does not exist", s->root_path);
	cg_delegate = ib_cgroup_delegation_wanted(s, err);
	if (cg_delegate < 0)
		return -1;
	ib_phase_mark("spec");
	pol = ib_policy_load(g->policy_path ? g->policy_path : IB_POLICY_DEFAULT_PATH, err);
	if (!pol)
		return -1;
	c.sysctl_max = pol->sysctl_max;
	use_host_idmap_table();
	if (ib_state_create_dir(c.root, o->id, err) < 0)
		return -1;
	c.dir_created = true;
	lock = ib_state_lock(c.root, o->id, err);
	if (lock < 0)
		goto fail;
	/* The cgroup is checked before it, or an ID range, exists. */
	cg_path = ib_cgroup_resolve_path(s->cgroups_path, g->systemd_cgroup, o->id, err);
	if (!cg_path || ib_cgroup_plan(c.root, o->id, cg_path,
				       s->has_resources ? &s->resources : NULL, &cg_join, err) < 0)
		goto fail;
	if (ib_policy_apply(pol, s, c.root, o->id, &iso, err) < 0) {
		/* Worded as the seeds show it through Docker. */
		if (strncmp(err->msg, "containers can't share", 22) == 0)
			ib_err_wrap(err, "error in the container spec: invalid or unsupported "
					 "container spec");
		else if (strncmp(err->msg, "can't mount ", 12) == 0)
			ib_err_wrap(err, "error in the container spec");
		goto fail;
	}
	c.range_held = true;
	ib_phase_mark("policy+idrange");

	/* Recorded first, so that `delete` can clean up after a runtime that was
	 * killed half way. */
	st.id = (char *)o->id;
	st.bundle = (char *)o->bundle;
	st.rootfs = s->root_path;
	st.created = now_rfc3339();
	/* Empty, as runc's state reports it (list fills it from the state
	 * directory's owner); no user database lookup on the create path. */
	st.owner = ib_xstrdup("");
	st.cgroup_path = cg_path;
	st.systemd_cgroup = g->systemd_cgroup;
	st.cgroup_owned = !cg_join;
	st.host_id_base = iso.host_base;
	st.host_id_size = iso.size;
	st.hooks_recorded = true;
	st.poststart_hooks = s->hooks.n_poststart > 0;
	st.poststop_hooks = s->hooks.n_poststop > 0;
	st.annotation_keys = s->annotation_keys;
	st.annotation_values = s->annotation_values;
	st.n_annotations = s->n_annotations;
	if (ib_state_save(c.root, &st, err) < 0)
		goto fail;
	add_device_rules(s);
	ib_phase_mark("state");
	cg = ib_cgroup_create(cg_path, s->has_resources ? &s->resources : NULL, cg_join, err);
	if (!cg)
		goto fail;
	c.cg = cg;
	/* Only a cgroup ironbox created is ever the container's. */
	if (cg_delegate && cg->owned &&
	    ib_cgroup_delegate(cg, iso.host_base, iso.host_base, err) < 0)
		goto fail;
	ib_phase_mark("cgroup");

	fifo = start_gate(c.root, o->id, run != NULL, iso.host_base, &start_sock, err);
	if (fifo < 0)
		goto fail;
	if (o->console_socket) {
		console = ib_console_connect(o->console_socket, err);
		if (console < 0)
			goto fail;
	} else if (s->process->terminal) {
		int tv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0) {
			ib_err_sys(err, "socketpair");
			goto fail;
		}
		tty_sock = tv[0];
		console = tv[1];
	}
	/* Joined namespaces first: the container inherits them, and a sysfs
	 * prepared below must show the joined network namespace. */
	if (s->ns[IB_NS_PID].path)
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	ib_phase_mark("fifo+console");
	if (join_namespaces(s, err) < 0)
		goto fail;
	if (iso.shared_userns) {
		userns = open(iso.userns_path, O_RDONLY | O_CLOEXEC);
		if (userns < 0) {
			ib_err_sys(err, "open user namespace %s", iso.userns_path);
			goto fail;
		}
	} else {
		userns = ib_userns_create(s, &c.userns_holder, err);
		if (userns < 0)
			goto fail;
	}
	/* Host-side mount preparation from what the policy decided on (clones
	 * of host mounts: still in the host's mount namespace), then binds
	 * staged in a private mount namespace so that the container's copies
	 * are locked (stage.h). */
	ib_phase_mark("userns");
	if (ib_mounts_prepare(s, userns, iso.host_base, s->ns[IB_NS_NET].path != NULL, &pm, err) <
	    0)
		goto fail;
	/* What the supervisor's rules call host-shared (identified by the
	 * policy on the objects it opened). */
	if (ib_supervisor_shared_sources(s, &shared, &n_shared, err) < 0)
		goto fail;
	ib_phase_mark("mount-prepare");
	c.host_mntns = ib_stage_enter(err);
	if (c.host_mntns < 0)
		goto fail;
	/* One mount point for every container's staging tmpfs, each mounted
	 * in its own runtime's private namespace: no directory made and
	 * removed per container (each an inode on an ext4 /run). */
	stage_dir = ib_xstrdup(IDMAP_DIR_DEFAULT "/" IB_STAGE_DIR_NAME);
	c.stage_dir = stage_dir;
	if (ib_stage_binds(stage_dir, s, &pm, err) < 0)
		goto fail;
	ib_phase_mark("bind-staging");
	if (start_supervisor(&c, s, cg, userns, own_pidns, shared, n_shared, &sup, &procview_dir,
			     err) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		ib_err_sys(err, "socketpair");
		goto fail;
	}
	if (s->process->has_oom_score_adj && ib_process_apply_oom_score_adj(s->process, err) < 0)
		goto fail;
	ib_caps_set_runtime_bounding(ib_caps_current_bounding());
	v2fd = ib_cgroup_v2_fd(cg, err);
	ib_err_clear(err);

	ic = (struct ib_init_cfg){.id = o->id,
				  .bundle = o->bundle,
				  .spec = s,
				  .cg = cg,
				  .in_v2_cgroup = v2fd >= 0,
				  .sync_fd = sv[1],
				  .fifo_fd = fifo,
				  .start_by_socket = run != NULL,
				  .console_fd = console,
				  .console_relayed = tty_sock >= 0,
				  .userns_fd = userns,
				  .stage_dir = stage_dir,
				  .procview_dir = procview_dir,
				  .clone_flags = (int)new_ns_flags(s),
				  .no_pivot = o->no_pivot,
				  .no_new_keyring = o->no_new_keyring,
				  .preserve_fds = o->preserve_fds,
				  .runtime_pid = getpid()};
	/* The policy's fds (host objects) never reach the container. */
	ib_phase_mark("supervisor-start");
	ib_spec_close_fds(s);
	pid = ib_init_spawn(&ic, v2fd, err);
	/* A joined pid namespace was for the container only. */
	if (own_pidns >= 0)
		(void)setns(own_pidns, CLONE_NEWPID);
	if (pid < 0)
		goto fail;
	/* The first stage, to reap; the init's pidfd comes from it. */
	c.stage1 = pid;
	close(sv[1]);
	sv[1] = -1;
	if (run) {
		/* The init's end of the start socket is the init's alone. */
		close(fifo);
		fifo = -1;
	}
	if (drive_child(&c, s, &pm, &sup, procview_dir != NULL, sv[0], o->bundle, &listener, err) <
	    0)
		goto fail;
	ib_phase_mark("clone+init-setup");
	/* Its answer is read once the state is written. */
	if (ib_supervisor_attach(&sup, c.pid, listener, err) < 0)
		goto fail;
	/* The staged mounts stay in the supervisor's namespace, where only
	 * the supervisor, host root anyway, can reach them; they go with that
	 * namespace when it exits (unmounting them now cost an RCU grace
	 * period, ~0.4 ms of create). */
	if (tty_sock >= 0) {
		*tty_master_out = ib_recv_fd(tty_sock, err);
		if (*tty_master_out < 0)
			goto fail;
	}
	close(sv[0]);
	sv[0] = -1;

	st.pid = c.pid;
	st.pid_start = ib_proc_starttime(c.pid);
	st.supervisor_pid = sup.pid;
	st.supervisor_start = sup.start;
	/* The spec as it runs, for exec and delete: written before the state
	 * that names the init (nobody acts on the container before), not
	 * while the init sets itself up, when two CPUs have three processes
	 * to run; under run, while the user's program starts. */
	if (!run && save_config(c.root, o->id, s, err) < 0)
		goto fail;
	if (!run && ib_state_save(c.root, &st, err) < 0)
		goto fail;
	reap_helpers(&c);
	ib_phase_mark("state-final");
	if (ib_supervisor_attached(&sup, err) < 0)
		goto fail;
	ib_phase_mark("supervisor-attach");
	if (run) {
		/* Only now: the supervisor has the init's listener. */
		ib_phase_mark("create-done");
		if (release_init_socket(start_sock, err) < 0 ||
		    save_config(c.root, o->id, s, err) < 0)
			goto fail;
		st.started = true;
		if (ib_state_save(c.root, &st, err) < 0)
			goto fail;
	}
	if (o->pid_file && ib_write_pid_file(o->pid_file, c.pid, err) < 0)
		goto fail;
	*pid_out = c.pid;
	*pidfd_out = c.pidfd;
	if (run) {
		run->spec = IB_STEAL(s);
		run->sup_pid = sup.pid;
	}
	free(st.created);
	free(st.owner);
	ib_isolation_clear(&iso);
	ib_supervisor_shared_free(shared, n_shared);
	return 0;
fail:
	ib_mounts_release(&pm);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	/* The init first: a supervisor that took the container (attach sent)
	 * exits only once the init has, and the init may be waiting for a
	 * start that will not come. Then the supervisor: it lives in the
	 * container's cgroup. */
	if (c.pidfd >= 0)
		ib_pidfd_send_signal(c.pidfd, SIGKILL);
	ib_supervisor_abort(&sup);
	undo_create(&c);
	free(st.created);
	free(st.owner);
	ib_isolation_clear(&iso);
	ib_supervisor_shared_free(shared, n_shared);
	return -1;
}

int ib_container_create(const struct ib_global_opts *g, const struct ib_create_opts *o, ib_err *err)
{
	pid_t pid;
	int pidfd;

	if (do_create(g, o, &pid, &pidfd, NULL, NULL, err) < 0)
		return -1;
	close(pidfd);
	return 0;
}

/* Release the waiting init: open exec.fifo for reading, take its byte, then
 * read on until EOF: the init's end is close-on-exec, so we return once the
 * user's program has been executed (or the init died), like runc. */
static int release_init(const char *root, struct ib_state *st, ib_err *err)
{
	_cleanup_free_ char *fifo_path = ib_state_path(root, st->id, "exec.fifo");
	_cleanup_close_ int fifo = -1, pidfd = -1;
	struct pollfd pfd[2];
	bool released = false;
	char buf[16];

	/* The init first: it cannot go on (and exit) before the fifo has a
	 * reader, and once it does, it runs and may exit at once. */
	pidfd = ib_pidfd_open(st->pid, 0);
	if (pidfd < 0 || ib_proc_starttime(st->pid) != st->pid_start)
		return ib_err_set(err, ESRCH, "cannot start a container that has stopped");
	fifo = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return ib_err_sys(err, "open exec fifo");
	pfd[0] = (struct pollfd){.fd = fifo, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = pidfd, .events = POLLIN};
	for (;;) {
		int r = poll(pfd, released ? 1 : 2, -1);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ib_err_sys(err, "wait for container start");
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(fifo, buf, sizeof(buf));
			if (n > 0) {
				released = true;
				continue;
			}
			/* EOF: no writer. Before the byte that is only a
			 * writer that has not opened yet (POLLHUP is not
			 * raised then); after it, the init has executed. */
			if (n == 0 && released)
				break;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return ib_err_sys(err, "read exec fifo");
		}
		if (!released && pfd[1].revents)
			return ib_err_set(err, ESRCH, "cannot start a container that has stopped");
	}
	/* Closed first: a file unlinked while open sits on ext4's orphan list
	 * until the close (the init's ends went with its execve). */
	close(fifo);
	fifo = -1;
	/* Its absence tells the container started (ib_state_status); should
	 * it stay, the state file says so instead. */
	if (unlink(fifo_path) < 0 && errno != ENOENT) {
		st->started = true;
		return ib_state_save(root, st, err);
	}
	return 0;
}

/* known: the spec create had (run), else config.json is read back. */
static void run_poststart(const char *id, pid_t pid, const char *bundle, const struct ib_spec *s)
{
	_cleanup_free_ char *state_json = NULL;

	if (s->hooks.n_poststart) {
		/* A failing poststart hook is a warning; the others still run and
		 * the container keeps running (runtime spec; runc 1.1 differs). */
		_cleanup_close_ int bundle_fd = ib_hooks_open_dir(bundle);

		state_json = ib_hook_state_json(id, pid, bundle, "running", s);
		ib_hooks_run_warn("poststart", s->hooks.poststart, s->hooks.n_poststart, state_json,
				  bundle_fd);
	}
}

static int start_locked(const struct ib_global_opts *g, const char *id, const struct ib_spec *known,
			ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = ib_state_load(root, id, err);
	_cleanup_free_ char *cfg_path = NULL, *cfg_text = NULL;
	_cleanup_spec_ struct ib_spec *parsed = NULL;
	const struct ib_spec *s = known;
	enum ib_status status;

	if (!st)
		return -1;
	status = ib_state_status(root, st);
	if (status == IB_STATUS_STOPPED)
		return ib_err_set(err, EINVAL, "cannot start a container that has stopped");
	if (status != IB_STATUS_CREATED)
		return ib_err_set(err, EINVAL, "cannot start an already running container");
	ib_phase_mark("create-done");
	/* Started from now on: the fifo is gone (ib_state_status). */
	if (release_init(root, st, err) < 0)
		return -1;
	/* Nothing to run: config.json is not read back and parsed. */
	if (!s && st->hooks_recorded && !st->poststart_hooks)
		return 0;
	if (!s) {
		cfg_path = ib_state_path(root, id, "config.json");
		if (ib_read_file_at(AT_FDCWD, cfg_path, &cfg_text, NULL, err) < 0)
			return -1;
		s = parsed = ib_spec_parse(cfg_text, st->bundle ? st->bundle : "/", err);
		if (!s)
			return -1;
	}
	run_poststart(id, st->pid, st->bundle, s);
	return 0;
}

static int start_with(const struct ib_global_opts *g, const char *id, const struct ib_spec *known,
		      ib_err *err)
{
	_cleanup_close_ int lock = -1;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	lock = ib_state_lock(ib_root_of(g), id, err);
	if (lock < 0)
		return -1;
	return start_locked(g, id, known, err);
}

int ib_container_start(const struct ib_global_opts *g, const char *id, ib_err *err)
{
	return start_with(g, id, NULL, err);
}

int ib_container_run(const struct ib_global_opts *g, const struct ib_create_opts *o,
		     int *exit_status, ib_err *err)
{
	_cleanup_close_ int pidfd = -1, tty_master = -1;
	_cleanup_spec_ struct ib_spec *s = NULL;
	struct run_ctx run = {.sup_pid = -1};
	pid_t pid;
	ib_err e = {0};
	int r;

	*exit_status = 0;
	if (do_create(g, o, &pid, &pidfd, o->detach ? NULL : &tty_master, &run, err) < 0)
		return -1;
	s = run.spec;
	run_poststart(o->id, pid, o->bundle, s);
	ib_phase_mark("start");
	if (o->detach)
		return 0;
	r = ib_wait_container(pid, pidfd, tty_master, exit_status, err);
	ib_phase_mark("container-runs");
	/* The supervisor exits with the init, while the rest goes. */
	if (!o->keep && ib_container_delete_after_run(g, o->id, s, run.sup_pid, &e) < 0)
		ib_warn("%s", e.msg);
	ib_phase_mark("teardown");
	/* Anything else of ours (a supervisor that did not exit in time). */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return r;
}
