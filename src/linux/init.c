/* The container process: from clone3 to execve of the user's program. It
 * talks to the runtime over the sync socket until it reports CREATED, then
 * waits on exec.fifo for `start`. */
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/hooks.h"
#include "linux/mountfd.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/runtime_int.h"
#include "linux/stage.h"
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

int ib_console_setup(int console_sock, const struct ib_process *p, bool bind_console, ib_err *err)
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

/* HOME from the container's /etc/passwd when the spec does not set it. */
static char **env_with_home(const struct ib_process *p)
{
	char **env = ib_strv_dup(p->env ? p->env : (char *[]){NULL});
	const char *home = "/";
	_cleanup_fclose_ FILE *f = NULL;
	struct passwd *pw;

	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], "HOME=", 5) == 0)
			return env;
	f = fopen("/etc/passwd", "re");
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == p->uid && pw->pw_dir && *pw->pw_dir) {
			home = pw->pw_dir;
			break;
		}
	{
		_cleanup_free_ char *h = ib_xasprintf("HOME=%s", home);
		ib_strv_push(&env, h);
	}
	return env;
}

int ib_process_finish_and_exec(const struct ib_process *p, const struct ib_seccomp *sc,
			       int preserve_fds, ib_err *err)
{
	struct ib_process proc = *p;
	_cleanup_strv_ char **env = NULL;

	/* Nothing of the runtime's may leak into the container (CVE-2024-21626). */
	if (syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return ib_err_sys(err, "close_range");
	if (ib_process_apply_rlimits(p, err) < 0)
		return -1;
	if (ib_lsm_apply(p, err) < 0)
		return -1;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before
	 * the capabilities are dropped. */
	if (sc && !p->no_new_privileges && ib_seccomp_load(sc, NULL, err) < 0)
		return -1;
	if (ib_process_set_user(p, err) < 0)
		return -1;
	if (p->has_caps && ib_caps_apply(&p->caps, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ib_err_sys(err, "set no_new_privs");
	if (p->cwd && chdir(p->cwd) < 0)
		return ib_err_sys(err, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
	if (p->has_umask)
		umask(p->umask);
	env = env_with_home(p);
	proc.env = env;
	/* As late as possible, so the filter sees only the user's program. */
	if (sc && p->no_new_privileges && ib_seccomp_load(sc, NULL, err) < 0)
		return -1;
	return ib_process_exec(&proc, err);
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
		if (!ib_mount_is_bind(&s->mounts[i]))
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

static bool ns_new(const struct ib_spec *s, enum ib_ns_type t)
{
	return s->ns[t].present && !s->ns[t].path;
}

/* Wait for `start`: opening exec.fifo for writing blocks until the start
 * command opens it for reading. */
static int wait_for_start(int fifo_fd, ib_err *err)
{
	char path[64];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open exec fifo");
	if (write(fd, "0", 1) != 1)
		return ib_err_sys(err, "write exec fifo");
	close(fifo_fd);
	return 0;
}

static __attribute__((noreturn)) void init_stage2(struct ib_init_cfg *c)
{
	int pv_fds[16];
	const struct ib_spec *s = c->spec;
	const struct ib_process *p = s->process;
	struct ib_prepared_mounts pm;
	struct ib_rootfs_ctx rc = {.spec = s, .pm = &pm, .cg = c->cg, .no_pivot = c->no_pivot};
	struct ib_sync_msg m;
	ib_err err = {0};
	_cleanup_free_ char *found = NULL, *state_json = NULL;
	pid_t host_pid;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	/* The rootfs directory as seen in our own mount namespace, opened while
	 * we are still the host's root for permission checks on the way. */
	rc.target_fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rc.target_fd < 0) {
		ib_err_sys(&err, "rootfs (%s)", s->root_path);
		fail_sync(c->sync_fd, &err);
	}
	pm_alloc(s, &pm);
	if (open_staged_binds(c->stage_dir, s, &pm, &err) < 0)
		fail_sync(c->sync_fd, &err);
	for (size_t i = 0; c->procview_dir && ib_supervisor_files[i] && i < IB_ARRAY_SIZE(pv_fds);
	     i++) {
		_cleanup_free_ char *p =
		    ib_xasprintf("%s/%s", c->procview_dir, ib_supervisor_files[i]);

		pv_fds[i] = ib_open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (pv_fds[i] < 0) {
			ib_err_sys(&err, "open emulated /proc/%s", ib_supervisor_files[i]);
			fail_sync(c->sync_fd, &err);
		}
		rc.n_procview = i + 1;
	}
	rc.procview_fds = pv_fds;
	if (ib_sync_expect(c->sync_fd, IB_SYNC_MAPS_DONE, &m, &err) < 0)
		_exit(1);
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
	if (ib_rootfs_mount_all(&rc, &err) < 0)
		fail_sync(c->sync_fd, &err);
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
			 state_json, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (ib_rootfs_pivot(&rc, &err) < 0 || ib_rootfs_finish(&rc, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (p->terminal) {
		if (ib_console_setup(c->console_fd, p, true, &err) < 0)
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
	if (ib_seccomp_supervise(c->sync_fd, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (ib_process_find_executable(p, &found, &err) < 0)
		fail_sync(c->sync_fd, &err);
	if (ib_sync_send(c->sync_fd, IB_SYNC_CREATED, 0, NULL, -1, &err) < 0)
		_exit(1);
	/* Created: from now on we outlive the runtime. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	close(c->sync_fd);
	if (wait_for_start(c->fifo_fd, &err) < 0)
		goto fail;
	free(state_json);
	state_json = ib_hook_state_json(c->id, host_pid, c->bundle, "running", s);
	if (ib_hooks_run("startContainer", s->hooks.start_container, s->hooks.n_start_container,
			 state_json, &err) < 0)
		goto fail;
	ib_process_finish_and_exec(p, s->seccomp, c->preserve_fds, &err);
fail:
	ib_log(IB_LOG_ERROR, "%s", err.msg);
	_exit(127);
}

/* Shared user namespace: this first stage joins it (and is still host root
 * for the cgroup move), then forks the real init as a sibling (CLONE_PARENT)
 * so that its new pid/mount namespaces belong to that user namespace. */
static __attribute__((noreturn)) void init_stage1(struct ib_init_cfg *c)
{
	struct clone_args ca = {.flags = CLONE_PARENT | CLONE_PIDFD | (uint64_t)c->clone_flags,
				.exit_signal = 0};
	int pidfd = -1;
	ib_err err = {0};
	pid_t pid;

	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (setns(c->userns_fd, CLONE_NEWUSER) < 0) {
		ib_err_sys(&err, "join user namespace");
		fail_sync(c->sync_fd, &err);
	}
	close(c->userns_fd);
	pid = ib_clone3(&ca);
	if (pid < 0) {
		ib_err_sys(&err, "clone container init");
		fail_sync(c->sync_fd, &err);
	}
	if (pid == 0)
		init_stage2(c);
	/* The runtime reads the pid from the pidfd (ours may be in another pid
	 * namespace). */
	if (ib_sync_send(c->sync_fd, IB_SYNC_PID, 0, NULL, pidfd, &err) < 0)
		_exit(1);
	_exit(0);
}

void ib_init_main(struct ib_init_cfg *c)
{
	ib_err err = {0};

	close(c->lock_fd);
	if (c->supervisor_fd >= 0)
		close(c->supervisor_fd);
	/* Not dumpable: no process of the container may open /proc/<us>/exe,
	 * mem or fds while we are still the runtime (CVE-2019-5736). execve of
	 * the user's program resets this. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	/* Still the host's root: join the v1 hierarchies cheaply ("0" to tasks). */
	if (c->cg && ib_cgroup_join_self(c->cg, c->in_v2_cgroup, &err) < 0)
		fail_sync(c->sync_fd, &err);
	init_stage1(c);
}
