/* The container process: from clone3 to execve of the user's program. It
 * talks to the runtime over the sync socket until it reports CREATED, then
 * waits on exec.fifo for `start`. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/phase.h"
#include "common/util.h"
#include "linux/hooks.h"
#include "linux/mountfd.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/runtime_int.h"
#include "linux/stage.h"
#include "supervisor/emul.h"
#include "supervisor/supervisor.h"
#include "linux/sync.h"
#include "linux/syscalls.h"

#define DEVICE_FD_BASE 0x100000

char *ib_hook_state_json(const char *id, pid_t pid, const char *bundle, const char *status,
			 const struct ib_spec *s)
{
	struct json_object *o = json_object_new_object(), *ann = json_object_new_object();
	char *out;

	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(bundle ? bundle : ""));
	for (size_t i = 0; s && i < s->n_annotations; i++)
		json_object_object_add(ann, s->annotation_keys[i],
				       json_object_new_string(s->annotation_values[i]));
	json_object_object_add(o, "annotations", ann);
	out = ib_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

int ib_console_setup(int console_sock, const struct ib_process *p, bool bind_console, bool relayed,
		     ib_err *err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int slave = -1;
	int unlock = 0;
	char name[64];

	if (master < 0)
		return ib_err_sys(err, "open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return ib_err_sys(err, "unlock pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return ib_err_sys(err, "open pty peer");
	if (ptsname_r(master, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "/dev/ptmx");
	if (relayed) {
		/* Our own relay to a terminal: no NL -> CR NL translation on
		 * top of the user's terminal's own (runc clears ONLCR on the
		 * pty it relays). Before the program can write anything. */
		struct termios t;

		if (tcgetattr(slave, &t) < 0)
			return ib_err_sys(err, "get pty attributes");
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(slave, TCSANOW, &t) < 0)
			return ib_err_sys(err, "set pty attributes");
	}
	if (p->console_width || p->console_height) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		(void)ioctl(master, TIOCSWINSZ, &ws);
	}
	if (bind_console) {
		int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f >= 0)
			close(f);
		if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
			ib_debug("bind %s on /dev/console: %s", name, strerror(errno));
	}
	/* The process's user owns its terminal (runc: fixStdioPermissions; the
	 * group stays the devpts one, e.g. tty). A uid that is not mapped is
	 * left alone, like runc. */
	if (fchown(slave, p->uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM &&
	    errno != EROFS)
		return ib_err_sys(err, "chown the console to uid %u", (unsigned)p->uid);
	if (ib_send_fd_named(console_sock, master, name, err) < 0)
		return -1;
	if (setsid() < 0)
		return ib_err_sys(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return ib_err_sys(err, "set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return ib_err_sys(err, "dup2 pty");
	return 0;
}

/* chdir to process.cwd; *retry tells the caller to try again once it is
 * the process user (runc: a directory only the container's user may enter). */
static int chdir_cwd(const char *cwd, bool *retry, ib_err *err)
{
	*retry = false;
	if (chdir(cwd) == 0)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		*retry = true;
		return 0;
	}
	return ib_err_sys(err, "chdir to cwd (\"%s\") set in config.json failed", cwd);
}

/* The spec's filter. With a listenerPath, its listener goes to the runtime,
 * which hands it to the seccomp agent (we cannot reach the agent's socket
 * from inside); we keep no copy. */
static int load_spec_filter(const struct ib_seccomp *sc, const struct ib_setup_fds *fds,
			    ib_err *err)
{
	int nfd = -1, r;

	if (ib_seccomp_load(sc, sc->listener_path ? &nfd : NULL, err) < 0)
		return -1;
	if (nfd < 0)
		return 0;
	r = ib_sync_send(fds->agent_sock, IB_SYNC_AGENT_FD, 0, NULL, nfd, err);
	close(nfd);
	return r;
}

int ib_process_setup(const struct ib_process *p, const struct ib_seccomp *sc,
		     const struct ib_setup_fds *fds, struct ib_exec_plan *plan, ib_err *err)
{
	struct ib_process with_env = *p;
	_cleanup_strv_ char **env = NULL;
	_cleanup_free_ char *exe = NULL;
	bool cwd_again = false;

	/* Nothing of the runtime's may be reachable from here on, not even
	 * through /proc/self/fd before execve (CVE-2024-21626): only stdio,
	 * the preserved fds and the caller's own (close-on-exec) ones stay. */
	if (ib_close_fds_except(3 + fds->preserve, fds->keep, fds->n_keep, err) < 0)
		return -1;
	for (int fd = 3; fd < 3 + fds->preserve; fd++)
		(void)fcntl(fd, F_SETFD, 0);
	if (ib_process_apply_rlimits(p, err) < 0)
		return -1;
	if (ib_lsm_apply(p, err) < 0)
		return -1;
	/* Read as root, from the container's /etc/passwd (like runc). */
	env = ib_process_env(p, err);
	if (!env)
		return -1;
	with_env.env = env;
	if (p->cwd && *p->cwd && chdir_cwd(p->cwd, &cwd_again, err) < 0)
		return -1;
	/* Before the spec's filter, which may refuse getcwd (runtime-tools'
	 * linux_seccomp does); no fd of the host is left to reach by now. */
	if (ib_verify_cwd(err) < 0)
		return -1;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before
	 * the capabilities are dropped. */
	if (sc && !p->no_new_privileges && load_spec_filter(sc, fds, err) < 0)
		return -1;
	if (ib_process_set_user(p, err) < 0)
		return -1;
	if (cwd_again && chdir(p->cwd) < 0)
		return ib_err_sys(err, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
	if (cwd_again && ib_verify_cwd(err) < 0)
		return -1;
	if (p->has_caps && ib_caps_apply(&p->caps, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ib_err_sys(err, "set no_new_privs");
	if (p->has_umask)
		umask(p->umask);
	/* As the user: the same lookup and errors execve would give. */
	if (ib_process_find_executable(&with_env, &exe, err) < 0)
		return -1;
	/* From here on we outlive the runtime: if it is gone, reporting ready
	 * fails and we exit. */
	(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	/* As late as possible, so the filter sees only the user's program (and
	 * the few calls left: the ready message, exec.fifo, execve). */
	if (sc && p->no_new_privileges && load_spec_filter(sc, fds, err) < 0)
		return -1;
	plan->path = IB_STEAL(exe);
	plan->env = IB_STEAL(env);
	return 0;
}

int ib_process_execve(const struct ib_process *p, struct ib_exec_plan *plan, ib_err *err)
{
	execve(plan->path, p->args, plan->env);
	if (errno == EACCES)
		return ib_err_set(err, EACCES, "exec: \"%s\": permission denied", p->args[0]);
	return ib_err_sys(err, "exec %s", plan->path);
}

/* ---- container init ---- */

static __attribute__((noreturn)) void fail_sync(int sync_fd, ib_err *err)
{
	ib_sync_send_error(sync_fd, err);
	_exit(1);
}

static void pm_alloc(const struct ib_spec *s, struct ib_prepared_mounts *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->rootfs_fd = -1;
	pm->devices_fs_fd = -1;
	pm->n_mount_fds = s->n_mounts;
	pm->mount_fds = ib_xmalloc0((s->n_mounts + 1) * sizeof(int));
	for (size_t i = 0; i < s->n_mounts; i++)
		pm->mount_fds[i] = -1;
	pm->n_devices = ib_mounts_device_list(s, &pm->devices);
	pm->device_fds = ib_xmalloc0((pm->n_devices + 1) * sizeof(int));
	for (size_t i = 0; i < pm->n_devices; i++)
		pm->device_fds[i] = -1;
}

/* Our clones of the staged bind mounts: their flags are locked. */
static int open_staged_binds(const char *stage_dir, const struct ib_spec *s,
			     struct ib_prepared_mounts *pm, ib_err *err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!ib_mount_is_staged(&s->mounts[i]))
			continue;
		pm->mount_fds[i] = ib_stage_open_bind(stage_dir, &s->mounts[i], i, err);
		if (pm->mount_fds[i] < 0)
			return -1;
	}
	return 0;
}

static int receive_fds(int sync_fd, const struct ib_spec *s, struct ib_prepared_mounts *pm,
		       ib_err *err)
{
	for (;;) {
		struct ib_sync_msg m;

		if (ib_sync_recv(sync_fd, &m, err) < 0)
			return -1;
		if (m.type == IB_SYNC_FDS_DONE)
			return pm->rootfs_fd >= 0 ? 0
						  : ib_err_set(err, EPROTO, "no rootfs received");
		if (m.type == IB_SYNC_ERROR)
			return ib_err_set(err, m.value, "%s", m.text);
		if (m.type != IB_SYNC_MOUNT_FD || m.fd < 0)
			return ib_err_set(err, EPROTO, "unexpected sync message %u", m.type);
		if (m.value == -1)
			pm->rootfs_fd = m.fd;
		else if (m.value >= 0 && (size_t)m.value < s->n_mounts)
			pm->mount_fds[m.value] = m.fd;
		else if (m.value >= DEVICE_FD_BASE &&
			 (size_t)(m.value - DEVICE_FD_BASE) < pm->n_devices)
			pm->device_fds[m.value - DEVICE_FD_BASE] = m.fd;
		else
			return ib_err_set(err, EPROTO, "bad mount index %d", m.value);
	}
}

static bool has_proc_mount(const struct ib_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type && !strcmp(s->mounts[i].type, "proc") &&
		    !strcmp(s->mounts[i].destination, "/proc"))
			return true;
	return false;
}

static bool ns_new(const struct ib_spec *s, enum ib_ns_type t)
{
	return s->ns[t].present && !s->ns[t].path;
}

/* Wait for `start`: opening exec.fifo for writing blocks until the start

 * command opens it for reading. The write end stays open, close-on-exec:
 * `start` reads until EOF, so it returns once we have executed the user's
 * program (or died), like runc. The O_PATH fifo is reopened through the
 * container's /proc, or, in a container without one, through fd_dir: our
 * own /proc/self/fd, opened before the pivot. */
static int wait_for_start(int fd_dir, int fifo_fd, bool by_socket, ib_err *err)
{
	char path[64];
	int fd;

	/* `run`: no exec.fifo, the runtime that created us sends the byte and
	 * reads on until EOF (this end is close-on-exec). */
	if (by_socket) {
		char b;
		ssize_t n;

		while ((n = read(fifo_fd, &b, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			return ib_err_set(err, ECANCELED, "the runtime went away before start");
		return fifo_fd;
	}

	if (fd_dir >= 0) {
		snprintf(path, sizeof(path), "%d", fifo_fd);
		fd = openat(fd_dir, path, O_WRONLY | O_CLOEXEC);
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return ib_err_sys(err, "open exec fifo");
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return ib_err_sys(err, "write exec fifo");
	}
	close(fifo_fd);
	return fd;
}

/* A new network namespace starts with lo down; runc brings it up. */
static int loopback_up(ib_err *err)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ib_err_sys(err, "bring lo up: socket");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return ib_err_sys(err, "bring lo up: get flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return ib_err_sys(err, "bring lo up");
	return 0;
}

/* The names the emulated view lists. One listing (a readdirplus,
 * procfs_fuse.c) also looks every one of them up, so the clones that follow
 * cost no FUSE round trip each; a name it does not list (a /proc/sys knob
 * this host lacks) is not looked up at all, which would be a round trip
 * each time. NULL when the listing failed: every name is then tried. */
static char **list_procview(const char *path)
{
	_cleanup_close_ int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **names = NULL;
	char buf[8192];
	long n;

	if (dir < 0)
		return NULL;
	names = ib_xmalloc0(sizeof(*names));
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			const struct dirent64 *d = (const struct dirent64 *)(buf + off);

			ib_strv_push(&names, d->d_name);
			off += d->d_reclen;
		}
	}
	if (n < 0) {
		ib_strv_free(names);
		return NULL;
	}
	return names;
}

void ib_init_stage2(struct ib_init_cfg *c)
{
	int pv_fds[IB_EMUL_MAX_FILES];
	bool pv_ro[IB_EMUL_MAX_FILES] = {false};
	const struct ib_spec *s = c->spec;
	const struct ib_process *p = s->process;
	struct ib_prepared_mounts pm;
	struct ib_rootfs_ctx rc = {.spec = s, .pm = &pm, .cg = c->cg, .no_pivot = c->no_pivot};
	struct ib_exec_plan plan = {0};
	struct ib_sync_msg m;
	ib_err err = {0};
	_cleanup_free_ char *state_json = NULL;
	int bundle_fd = -1, fd_dir = -1;
	_cleanup_strv_ char **listed = NULL;
	bool procview;
	pid_t host_pid;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	/* The rootfs directory as seen in our own mount namespace, opened while
	 * we are still the host's root for permission checks on the way. */
	rc.target_fd = ib_stage_open_root(s, &err);
	if (rc.target_fd < 0)
		fail_sync(c->sync_fd, &err);
	/* The createContainer hooks' working directory; like every fd of the
	 * host, closed by ib_process_setup before anything of the container
	 * runs. */
	if (s->hooks.n_create_container)
		bundle_fd = ib_hooks_open_dir(c->bundle);
	pm_alloc(s, &pm);
	if (open_staged_binds(c->stage_dir, s, &pm, &err) < 0)
		fail_sync(c->sync_fd, &err);
	ib_phase_mark("init-open-binds");
	/* The supervisor got ready while we were cloned: its emulated files
	 * are cloned now, still as the host's root. */
	if (ib_sync_expect(c->sync_fd, IB_SYNC_PROCVIEW, &m, &err) < 0)
		_exit(1);
	procview = m.value == 1;
	ib_phase_mark("init-wait-supervisor");
	if (procview)
		listed = list_procview(c->procview_dir);
	for (size_t i = 0; procview && ib_emul_files[i].name && i < IB_ARRAY_SIZE(pv_fds); i++) {
		_cleanup_free_ char *p =
		    ib_xasprintf("%s/%s", c->procview_dir, ib_emul_files[i].name);

		pv_fds[i] = -1;
		if (listed && !ib_strv_has(listed, ib_emul_files[i].name) &&
		    (ib_emul_files[i].flags & IB_EMUL_SYSCTL)) {
			rc.n_procview = i + 1;
			continue;
		}
		/* A /sys file this kernel lacks (no DMI) is never mounted: a
		 * clone left unattached costs an RCU grace period when closed. Our
		 * /sys is still the host's, the kernel the container's. */
		if ((ib_emul_files[i].flags & IB_EMUL_OPTIONAL) &&
		    faccessat(AT_FDCWD, ib_emul_files[i].path, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			rc.n_procview = i + 1;
			continue;
		}
		/* A knob attached read-only later: from the read-only view. */
		if (ib_rootfs_knob_deferred(s, &ib_emul_files[i])) {
			_cleanup_free_ char *ro =
			    ib_xasprintf("%s" IB_PROCVIEW_RO_SUFFIX "/%s", c->procview_dir,
					 ib_emul_files[i].name);

			pv_fds[i] = ib_open_tree(AT_FDCWD, ro, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			pv_ro[i] = pv_fds[i] >= 0;
		}
		if (pv_fds[i] < 0)
			pv_fds[i] = ib_open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		/* Not served on this host (a /proc/sys knob it lacks). */
		if (pv_fds[i] < 0 && errno == ENOENT && (ib_emul_files[i].flags & IB_EMUL_SYSCTL)) {
			rc.n_procview = i + 1;
			continue;
		}
		if (pv_fds[i] < 0) {
			ib_err_sys(&err, "open emulated %s", ib_emul_files[i].path);
			fail_sync(c->sync_fd, &err);
		}
		rc.n_procview = i + 1;
	}
	rc.procview_fds = pv_fds;
	rc.procview_ro = pv_ro;
	ib_phase_mark("init-clone-emulated");
	if (ib_sync_expect(c->sync_fd, IB_SYNC_MAPS_DONE, &m, &err) < 0)
		_exit(1);
	ib_phase_mark("init-wait-maps");
	host_pid = m.value;
	/* From here on we are the container's root, not the host's. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		ib_err_sys(&err, "switch to the container's root user");
		fail_sync(c->sync_fd, &err);
	}
	(void)setgroups(0, NULL);
	if (ns_new(s, IB_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		ib_err_sys(&err, "create cgroup namespace");
		fail_sync(c->sync_fd, &err);
	}
	if (ns_new(s, IB_NS_NET) && loopback_up(&err) < 0)
		fail_sync(c->sync_fd, &err);
	if (receive_fds(c->sync_fd, s, &pm, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (ns_new(s, IB_NS_UTS)) {
		if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
			ib_err_sys(&err, "sethostname");
			fail_sync(c->sync_fd, &err);
		}
		if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
			ib_err_sys(&err, "setdomainname");
			fail_sync(c->sync_fd, &err);
		}
	}
	ib_phase_mark("init-ns-setup");
	if (ib_rootfs_mount_all(&rc, &err) < 0)
		fail_sync(c->sync_fd, &err);
	/* Our last use of the host's /sys/fs/cgroup: no fd of it stays open
	 * while hooks or the container's code run. */
	ib_cgroup_at_close();
	ib_phase_mark("init-mounts");
	if (p->cwd && *p->cwd) {
		int fd = ib_rootfs_open_dest(pm.rootfs_fd, p->cwd, false, &err);
		if (fd < 0)
			fail_sync(c->sync_fd, &err);
		close(fd);
	}
	if (ib_sync_send(c->sync_fd, IB_SYNC_PRE_HOOKS, 0, NULL, -1, &err) < 0 ||
	    ib_sync_expect(c->sync_fd, IB_SYNC_HOOKS_DONE, &m, &err) < 0)
		_exit(1);
	state_json = ib_hook_state_json(c->id, host_pid, c->bundle, "created", s);
	if (ib_hooks_run("createContainer", s->hooks.create_container, s->hooks.n_create_container,
			 state_json, bundle_fd, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (!has_proc_mount(s)) {
		fd_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd_dir < 0) {
			ib_err_sys(&err, "open /proc/self/fd");
			fail_sync(c->sync_fd, &err);
		}
	}
	ib_phase_mark("init-hooks");
	if (ib_rootfs_pivot(&rc, &err) < 0 || ib_rootfs_finish(&rc, &err) < 0)
		fail_sync(c->sync_fd, &err);
	ib_phase_mark("init-pivot");
	if (p->terminal) {
		if (ib_console_setup(c->console_fd, p, true, c->console_relayed, &err) < 0)
			fail_sync(c->sync_fd, &err);
		close(c->console_fd);
	} else if (setsid() < 0) {
		ib_err_sys(&err, "setsid");
		fail_sync(c->sync_fd, &err);
	}
	if (!c->no_new_keyring)
		(void)syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
	/* ironbox's filter: after our own mounts, before the spec's filter and
	 * the capability drop; its listener goes to the supervisor. */
	if (ib_sync_expect(c->sync_fd, IB_SYNC_FILTER, &m, &err) < 0)
		_exit(1);
	if (ib_seccomp_supervised_import(m.fd, &err) < 0)
		fail_sync(c->sync_fd, &err);
	close(m.fd);
	ib_phase_mark("init-wait-filter");
	if (ib_seccomp_supervise(c->sync_fd, s->seccomp, &err) < 0)
		fail_sync(c->sync_fd, &err);
	ib_phase_mark("init-seccomp-notify");
	/* Before ib_process_setup closes its fd; bench only (IRONBOX_PHASES). */
	(void)ib_phase_write(&err);
	ib_err_clear(&err);
	/* Everything but the exec.fifo write and execve happens now, before we
	 * report CREATED: once `start` returns, the user's program runs. The
	 * rootfs, mount and device fds go here too. */
	{
		const int keep[] = {c->sync_fd, c->fifo_fd, fd_dir};
		const struct ib_setup_fds fds = {c->preserve_fds, keep, IB_ARRAY_SIZE(keep),
						 c->sync_fd};

		if (ib_process_setup(p, s->seccomp, &fds, &plan, &err) < 0)
			fail_sync(c->sync_fd, &err);
	}
	if (ib_sync_send(c->sync_fd, IB_SYNC_CREATED, 0, NULL, -1, &err) < 0)
		_exit(1);
	/* Created: from now on we outlive the runtime. */
	close(c->sync_fd);
	if (wait_for_start(fd_dir, c->fifo_fd, c->start_by_socket, &err) < 0)
		goto fail;
	/* In the container (its root, the process's cwd), like runc. */
	if (ib_hooks_run("startContainer", s->hooks.start_container, s->hooks.n_start_container,
			 state_json, -1, &err) < 0)
		goto fail;
	ib_process_execve(p, &plan, &err);
fail:
	ib_log(IB_LOG_ERROR, "%s", err.msg);
	_exit(127);
}
