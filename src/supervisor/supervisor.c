/* The supervisor process (supervisor.h): forked by create, detached from
 * the caller (new session, stdio on /dev/null, no inherited fds: containerd's
 * shim reads the runtime's stdout until EOF), charged to the container's
 * memory cgroup, serves the emulated files (emul.h) over FUSE, samples the
 * container's load every 5 s, holds the seccomp listeners until the first
 * notification starts its agent, then forwards them to it (agent_link.c),
 * answers the agent's rule "sysinfo" (sysinfo_msg.h), and exits when the
 * container's init does (or when its agent does). */
#define FUSE_USE_VERSION 35
#include <fcntl.h>
#include <malloc.h>
#include <fuse_lowlevel.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fsid.h"
#include "common/log.h"
#include "common/util.h"
#include "cgroup/cgroup.h"
#include "linux/mountfd.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "state/state.h"
#include "supervisor/audit.h"
#include "supervisor/emul.h"
#include "supervisor/notify.h"
#include "supervisor/procview.h"
#include "supervisor/supervisor_int.h"
#include "supervisor/sysinfo_msg.h"

struct ib_notify_stats *ib_sup_stats;

static char *read_text(const char *path)
{
	return ib_emul_read(path);
}

static double proc_start_seconds(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *st = NULL;
	const char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	st = read_text(path);
	p = st ? strrchr(st, ')') : NULL;
	/* starttime is field 22; after ") " comes field 3. */
	for (int f = 3; p && f <= 22; f++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return (double)start / (double)sysconf(_SC_CLK_TCK);
}

/* ---- the supervisor process ---- */

/* What the runtime learns once the supervisor serves. */
struct ready {
	char ok;
	bool fuse;
};

/* What create sends at attach (with the init's listener fd). */
struct attach_msg {
	pid_t init;
};

/* The agent's rule "sysinfo" asks on sock (sysinfo_msg.h). */
void ib_sup_answer_sysinfo(int sock)
{
	struct ib_sysinfo_req req;
	struct ib_sysinfo_reply rep = {0};
	size_t len = sizeof(rep.data);
	int r;

	if (recv(sock, &req, sizeof(req), MSG_DONTWAIT) != sizeof(req))
		return;
	rep.seq = req.seq;
	r = ib_emul_sysinfo(req.compat, rep.data, &len);
	rep.error = r < 0 ? -r : 0;
	rep.len = r < 0 ? 0 : (uint32_t)len;
	(void)!send(sock, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Audit lines arrive on audit_sink; audit.log is made in state_dir. */
static int audit_sink = -1, state_dir = -1;

static __attribute__((noreturn)) void sup_exit(struct fuse_session *se, int code)
{
	ib_proc_sys_exit();
	ib_sup_agent_stop();
	/* What the agent and we said last. */
	if (audit_sink >= 0)
		ib_audit_sink_drain(audit_sink, state_dir, &ib_sup_stats->audit_dropped);
	if (se) {
		fuse_session_unmount(se);
		fuse_session_destroy(se);
	}
	_exit(code);
}

/* Ignore every signal a `kill --all` may send: we are not the container's
 * (SIGKILL, as on delete, still works). */
static void ignore_signals(void)
{
	static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT,	SIGTERM, SIGUSR1, SIGUSR2,
				   SIGPIPE, SIGALRM, SIGTSTP,	SIGTTIN, SIGTTOU, SIGWINCH,
				   SIGCONT, SIGURG,  SIGVTALRM, SIGPROF, SIGIO};

	for (size_t i = 0; i < IB_ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_IGN);
}

/* Put fds[i] at 3 + i and close everything above (sources may be anywhere,
 * even among the targets; -1: that fd is closed). */
int ib_sup_place_fds(const int *fds, int n)
{
	int tmp[8];

	for (int i = 0; i < n; i++) {
		tmp[i] = fds[i] < 0 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + n);
		if (fds[i] >= 0 && tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (tmp[i] >= 0 ? dup2(tmp[i], 3 + i) < 0 : close(3 + i) < 0 && errno != EBADF)
			return -1;
	return (int)syscall(SYS_close_range, 3 + n, ~0U, 0);
}

/* The supervisor: fd 3 is the runtime's control line, 4 the container's
 * user namespace, 5 its state dir, 6 the /dev/fuse of the emulated files
 * the runtime mounted (sup_fuse_fd; -1 without), 7 the runtime's own mount
 * namespace (sup_host_mntns; -1 without). */
static int sup_fuse_fd = -1, sup_host_mntns = -1;

/* Out of the runtime's staging mount namespace, where the init cloned its
 * staged mounts and our files from: nothing of it is used after (the
 * emulated files a proc mount gets are the jail's, rule_mount.c). Its
 * mounts go now, their grace period off the container's exit path. */
static void leave_staging(const char *state_path)
{
	struct stat was, now;
	int fd;

	if (sup_host_mntns < 0)
		return;
	if (setns(sup_host_mntns, CLONE_NEWNS) < 0)
		ib_debug("supervisor: leave the staging namespace: %s", strerror(errno));
	close(sup_host_mntns);
	sup_host_mntns = -1;
	/* What we opened there now lies on detached copies of the host's
	 * mounts: stdio and the state directory again from the host's tree
	 * (the directory only if it is the very one we had). */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		close(fd);
	}
	fd = open(state_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &now) == 0 && fstat(state_dir, &was) == 0 &&
	    now.st_dev == was.st_dev && now.st_ino == was.st_ino)
		dup3(fd, state_dir, O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

static __attribute__((noreturn)) void supervisor_main(const struct ib_supervisor_cfg *cfg)
{
	struct ib_notify_policy pol = {.id = cfg->id,
				       .shared = cfg->shared,
				       .n_shared = cfg->n_shared,
				       .masked = cfg->masked,
				       .readonly = cfg->readonly};
	char **emulated = ib_xmalloc0((ib_emul_n_files() + 1) * sizeof(char *));
	struct fuse_session *se = NULL;
	struct fuse_buf fbuf = {.mem = NULL};
	struct ready rd = {.ok = 'R'};
	int ctl = 3, pidfd = -1, lsock, audit_fd, fd = -1;
	struct pollfd *pfd = NULL;
	size_t n_pfd = 0;
	ib_err e = {0};

	ib_sup_stats = mmap(NULL, sizeof(*ib_sup_stats), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ib_sup_stats == MAP_FAILED)
		_exit(1);
	/* product_uuid: this container's, for its lifetime. */
	if (getrandom(ib_emul.uuid, sizeof(ib_emul.uuid), 0) != sizeof(ib_emul.uuid))
		_exit(1);
	if (sup_fuse_fd >= 0) {
		se = ib_procfs_fuse_new(sup_fuse_fd);
		rd.fuse = se != NULL;
	}
	lsock = ib_sup_ctl_listen(5, cfg->state_dir, &e);
	audit_sink = ib_audit_sink_open(&audit_fd, &e);
	if (lsock < 0 || audit_sink < 0)
		sup_exit(se, 1);
	state_dir = 5; /* for audit.log, made with the first line */
	/* Ready: the runtime goes on meanwhile. */
	if (write(ctl, &rd, sizeof(rd)) != sizeof(rd))
		sup_exit(se, 0);
	/* Nothing is served before the loop below: what is served is decided
	 * while the runtime goes on (the /proc/sys knobs this host has). */
	if (se)
		ib_proc_sys_init(cfg, audit_fd);
	/* Served files: immutable mounts, and what a proc or sysfs mounted in
	 * the container gets too (not the knobs this host does not have). */
	for (size_t i = 0, n = 0; se && ib_emul_files[i].name; i++)
		if (ib_emul_served(&ib_emul_files[i]))
			emulated[n++] = (char *)ib_emul_files[i].path;
	pol.emulated = emulated;
	/* The agent starts with the first trapped call (agent_link.c). */
	ib_sup_agent_prepare(&pol, 4, audit_fd);
	if (se)
		fd = fuse_session_fd(se);
	malloc_trim(0); /* what the runtime's heap left us */
	/* Serve from the start (the container opens our files while it is
	 * being created); the init's pid arrives on ctl once it exists. */
	for (;;) {
		size_t n_agent = ib_sup_agent_n_pollfds();
		int r;

		/* As many listeners as the container has processes waiting. */
		if (4 + n_agent > n_pfd) {
			n_pfd = 4 + n_agent + 16;
			pfd = ib_xrealloc(pfd, n_pfd * sizeof(*pfd));
		}

		pfd[0] = (struct pollfd){.fd = fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = pidfd >= 0 ? pidfd : ctl, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = pidfd >= 0 ? lsock : -1, .events = POLLIN};
		pfd[3] = (struct pollfd){.fd = audit_sink, .events = POLLIN};
		n_agent = ib_sup_agent_pollfds(pfd + 4, n_agent);
		r = poll(pfd, 4 + n_agent, pidfd >= 0 ? (int)(IB_EMUL_LOAD_INTERVAL * 1000) : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			ib_emul_sample_load();
			continue;
		}
		/* The agent is gone, or could not start: so are we (fails
		 * closed: the listeners go with us). */
		if (ib_sup_agent_events(pfd + 4, n_agent) < 0)
			break;
		if (pfd[3].revents & POLLIN)
			ib_audit_sink_drain(audit_sink, state_dir, &ib_sup_stats->audit_dropped);
		if (pfd[1].revents) {
			struct attach_msg m;
			int lfd;

			if (pidfd >= 0)
				break; /* the container's init exited */
			if (ib_sup_recv_fd(ctl, &m, sizeof(m), &lfd) < 0 || m.init <= 0)
				break; /* create failed */
			pidfd = ib_pidfd_open(m.init, 0);
			/* The jail before the container can run. No listener: the
			 * spec's seccomp agent has the process's one; ironbox's
			 * filter then refuses what it would vet. */
			if (pidfd < 0 || ib_sup_agent_take_jail(m.init, pidfd) < 0) {
				if (lfd >= 0)
					close(lfd);
				break;
			}
			if (lfd >= 0)
				(void)ib_sup_agent_listener(lfd);
			/* The runtime goes on; the container's figures are ours
			 * to take before we serve anything again. */
			(void)!write(ctl, "A", 1);
			close(ctl);
			ctl = -1;
			leave_staging(cfg->state_dir);
			ib_emul.init = m.init;
			ib_emul.init_start = proc_start_seconds(m.init);
			/* The load figures' first sample is taken when first
			 * served, or at the first tick: not on the way of every
			 * create (it reads the cgroup and every task's stat). */
			continue;
		}
		if (pfd[2].revents & POLLIN) {
			/* Every line said before the request is in the log when we
			 * answer (`ironbox audit` asks first). */
			ib_audit_sink_drain(audit_sink, state_dir, &ib_sup_stats->audit_dropped);
			ib_sup_ctl_serve(lsock, ib_sup_agent_listener);
		}
		/* The container may unmount our files (its own mounts): the
		 * FUSE side ends, the seccomp side goes on until the init exits. */
		if (pfd[0].revents & (POLLERR | POLLHUP)) {
			fd = -1;
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			int n = fuse_session_receive_buf(se, &fbuf);
			if (n == -EINTR || n == -EAGAIN)
				continue;
			if (n <= 0)
				fd = -1;
			else
				fuse_session_process_buf(se, &fbuf);
		}
	}
	free(fbuf.mem);
	sup_exit(se, 0);
}

/* The container's memory cgroup(s) get a child for us: charged to the
 * container's limit, outside its own process list (v1: the memory
 * hierarchy only, not the pids one). Returns the v2 dir fd
 * to be born in (or -1); *v1_tasks the v1 tasks file to join (or NULL). */
static int charge_prepare(const struct ib_cgroup *cg, char **v1_tasks)
{
	*v1_tasks = NULL;
	if (!cg)
		return -1;
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++) {
		_cleanup_free_ char *f = ib_xasprintf("%s/memory.limit_in_bytes", cg->v1_dirs[i]);
		_cleanup_free_ char *d = NULL;

		if (ib_cg_access(f) < 0)
			continue;
		d = ib_xasprintf("%s/%s", cg->v1_dirs[i], IB_SUPERVISOR_CGROUP);
		if (ib_cg_mkdir(d, 0755) < 0 && errno != EEXIST) {
			ib_warn("supervisor not charged to the container: mkdir %s: %s", d,
				strerror(errno));
			continue;
		}
		*v1_tasks = ib_xasprintf("%s/tasks", d);
		break;
	}
	if (cg->v2_dir) {
		_cleanup_free_ char *f = ib_xasprintf("%s/memory.max", cg->v2_dir);
		_cleanup_free_ char *d = NULL;

		if (ib_cg_access(f) < 0)
			return -1;
		/* One tree: a pids limit there would count our threads and the
		 * agent's too (pids.max 1 would not even let the init be born),
		 * where runc's and crun's count the container's alone. The
		 * limit is the container's; we stay uncharged. (A limit set by
		 * a later `update` does count us.) */
		if (ib_cgroup_v2_pids_limited(cg->v2_dir))
			return -1;
		d = ib_xasprintf("%s/%s", cg->v2_dir, IB_SUPERVISOR_CGROUP);
		if (ib_cg_mkdir(d, 0755) < 0 && errno != EEXIST) {
			ib_warn("supervisor not charged to the container: mkdir %s: %s", d,
				strerror(errno));
			return -1;
		}
		return ib_cg_open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return -1;
}

int ib_supervisor_start(const struct ib_supervisor_cfg *cfg, struct ib_supervisor *sv, ib_err *err)
{
	_cleanup_close_ int v2fd = -1, dirfd = -1, pidfd = -1, fuse_fd = -1;
	_cleanup_free_ char *v1_tasks = NULL;
	int sp[2];
	pid_t pid;
	ib_err fe = {0};

	sv->pid = -1;
	sv->ctl_fd = -1;
	sv->start = 0;
	sv->fuse = false;
	if (cfg->proc_mountpoint && mkdir(cfg->proc_mountpoint, 0555) < 0 && errno != EEXIST)
		return ib_err_sys(err, "create supervisor mount point");
	dirfd = open(cfg->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return ib_err_sys(err, "state dir `%s`", cfg->state_dir);
	/* Mounted here, not by the supervisor: it must exist before the init's
	 * mount namespace is copied from ours, and the init is cloned while the
	 * supervisor still starts. Without it, no emulated files (sv->fuse). */
	if (cfg->proc_mountpoint) {
		fuse_fd = ib_procfs_fuse_mount(cfg->proc_mountpoint, &fe);
		if (fuse_fd < 0)
			ib_warn("%s", fe.msg);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return ib_err_sys(err, "socketpair");
	v2fd = charge_prepare(cfg->cg, &v1_tasks);
	pid = ib_clone_into_cgroup(v2fd, &pidfd);
	if (pid < 0 && v2fd >= 0) /* not charged rather than no supervisor */
		pid = ib_clone_into_cgroup(-1, &pidfd);
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return ib_err_sys(err, "fork supervisor");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		ib_err e = {0};

		setsid();
		prctl(PR_SET_NAME, "ironbox-sup", 0, 0, 0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		ignore_signals();
		/* Not charged if this fails: still a supervisor. */
		if (v1_tasks) {
			const char *rel;
			int at = ib_cgroup_at(v1_tasks, &rel);

			(void)ib_write_file_at(at, rel, "0", 1, &e);
		}
		/* We enter the container's mount namespace later: never cache a
		 * /sys/fs/cgroup opened there (cgroup_at.c). */
		ib_cgroup_at_disable();
		/* Never the OOM killer's choice (what we pin is bounded): the
		 * container's own processes go when it runs out of memory. */
		(void)ib_write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", "-1000", 5, &e);
		{
			int fds[] = {sp[1], cfg->userns_fd, dirfd, fuse_fd, cfg->host_mntns_fd};

			if (ib_sup_place_fds(fds, 5) < 0)
				_exit(1);
			sup_fuse_fd = fuse_fd >= 0 ? 6 : -1;
			sup_host_mntns = cfg->host_mntns_fd >= 0 ? 7 : -1;
		}
		/* The runtime's description of the cgroup, in our copy of its
		 * memory (never freed here): no second read of the layout. */
		ib_emul.cg = cfg->cg && cfg->cg->path ? cfg->cg : NULL;
		supervisor_main(cfg);
	}
	close(sp[1]);
	sv->pid = pid;
	sv->ctl_fd = sp[0];
	return 0;
}

int ib_supervisor_ready(struct ib_supervisor *sv, ib_err *err)
{
	struct ready rd;

	if (ib_read_all(sv->ctl_fd, &rd, sizeof(rd)) != sizeof(rd) || rd.ok != 'R') {
		ib_supervisor_abort(sv);
		return ib_err_set(err, EIO, "the supervisor could not start");
	}
	sv->fuse = rd.fuse;
	sv->start = ib_proc_starttime(sv->pid);
	return 0;
}

int ib_supervisor_attach(struct ib_supervisor *sv, pid_t init, int listener_fd, ib_err *err)
{
	struct attach_msg m = {.init = init};

	if (ib_sup_send_fd(sv->ctl_fd, &m, sizeof(m), listener_fd) < 0)
		return ib_err_sys(err, "hand the container to its supervisor");
	return 0;
}

int ib_supervisor_attached(struct ib_supervisor *sv, ib_err *err)
{
	char ack;

	if (read(sv->ctl_fd, &ack, 1) != 1 || ack != 'A')
		return ib_err_set(err, EIO, "the supervisor did not take the container");
	close(sv->ctl_fd);
	sv->ctl_fd = -1;
	/* It is not our child to wait for: it outlives us (reparented). */
	return 0;
}

/* It exits on our EOF, or (once it took the container) when the init
 * has: the caller kills the init first. One that has not within
 * ABORT_GRACE_MS is killed: an aborted create never waits for ever. */
#define ABORT_GRACE_MS 2000

void ib_supervisor_abort(struct ib_supervisor *sv)
{
	if (sv->ctl_fd >= 0) {
		close(sv->ctl_fd);
		sv->ctl_fd = -1;
	}
	if (sv->pid > 0) {
		ib_child_reap_within(sv->pid, ABORT_GRACE_MS);
		sv->pid = -1;
	}
}

bool ib_supervisor_is_ours(pid_t sup, pid_t pid)
{
	char path[64];
	_cleanup_free_ char *st = NULL;
	const char *p;

	if (sup <= 0)
		return false;
	if (pid == sup)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	st = read_text(path);
	p = st ? strrchr(st, ')') : NULL;
	/* ") S PPID ..." */
	return p && strlen(p) > 4 && atoi(p + 4) == sup;
}

void ib_supervisor_kill(pid_t pid, unsigned long long start)
{
	_cleanup_close_ int fd = pid > 0 ? ib_pidfd_open(pid, 0) : -1;
	struct pollfd pfd;

	if (fd < 0 || ib_proc_starttime(pid) != start)
		return;
	ib_pidfd_send_signal(fd, SIGKILL);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	(void)poll(&pfd, 1, 1000);
}

int ib_supervisor_shared_sources(const struct ib_spec *s, struct ib_shared_src **out, size_t *n,
				 ib_err *err)
{
	struct ib_shared_src *v = ib_xmalloc0((s->n_mounts + 1) * sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];

		if (!ib_mount_is_bind(m) || !m->host_shared)
			continue;
		/* Fail closed: a host-shared bind the policy did not identify. */
		if (!m->source_fs_path) {
			ib_supervisor_shared_free(v, k);
			return ib_err_set(err, EINVAL, "identify host-shared mount %s: no identity",
					  m->destination);
		}
		v[k].dev = m->source_dev;
		v[k].fs_path = ib_xstrdup(m->source_fs_path);
		v[k].source = ib_xstrdup(m->source ? m->source : "");
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

void ib_supervisor_shared_free(struct ib_shared_src *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].fs_path);
		free(v[i].source);
	}
	free(v);
}
