/* Delegation of the container's own cgroup to the container's root.
 *
 * Like a delegated systemd unit (kernel cgroup-v2.rst, "Delegation"), and the
 * same on v1: the directory and the files that create, populate and shape
 * sub-cgroups are chowned to the host IDs of the container's root, so that
 * systemd or dockerd inside can make and limit sub-cgroups. Every other file
 * of the container's own cgroup (memory.*, cpu.*, pids.max, cgroup.freeze,
 * cgroup.max.*, freezer.state, devices.*, ...) stays host root's: whatever
 * the container sets on a sub-cgroup is bounded by the limits the runtime
 * set, which it can neither raise nor leave (the cgroup namespace makes its
 * own cgroup the root it sees; release_agent only exists in a hierarchy's
 * real root, and the kernel refuses writing it from any user namespace but
 * the initial one).
 *
 * v1 release agents (the CVE-2022-0492 family), as an attacker sees it.
 * When a v1 cgroup whose notify_on_release is 1 becomes empty (no task, no
 * child), the kernel runs the hierarchy's release_agent as host root, in
 * the initial namespaces, with full capabilities, with that cgroup's path
 * from the hierarchy's root as its argument. The container cannot set the
 * agent, but it does not need to: on a hierarchy where host root set one
 * (systemd on a legacy host: release_agent=.../systemd-cgroups-agent on
 * name=systemd; an admin's script), a delegated container
 *   1. mkdirs a sub-cgroup with a name of its choice (anything but '/' and
 *      '\n': spaces, quotes, `$(...)` included) in the directory it owns;
 *   2. writes 1 to the new cgroup's notify_on_release: the kernel gives
 *      every file of a new cgroup to the creator's fsuid/fsgid
 *      (cgroup_kn_set_ugid), so it owns that file whatever ironbox chowned
 *      -- and a new cgroup inherits notify_on_release from its parent;
 *   3. moves a short-lived process in (it owns that cgroup.procs too), or
 *      makes and removes a child cgroup in it (the kernel checks a parent
 *      left empty too), and repeats as fast as it likes.
 * Host root then runs the agent with an argument the container chose, as
 * often as it wants, outside every limit of the container: at best a flood
 * of root processes in the host's root cgroup, at worst a script that
 * trusts its argument. No file mode ironbox could set on the container's
 * own cgroup stops step 2. So:
 *   - notify_on_release of the container's own cgroup is never delegated
 *     (nothing a container runs needs it: runc/dockerd never write it;
 *     systemd on a legacy host writes it only after installing its own
 *     agent in the hierarchy's root, a file no container's view has);
 *   - a v1 hierarchy with a release agent is not delegated at all: its
 *     directory stays host root's, the container can make no sub-cgroup
 *     there (ib_cgroup_v1_delegable decides it from the super options the
 *     kernel shows in mountinfo, for the hierarchy of the opened directory's
 *     device; an unknown hierarchy is not delegated either). The container
 *     still runs, in that hierarchy too, with a warning; a workload that
 *     needs sub-cgroups there fails with EACCES at that point.
 * Left: an agent host root sets after the container started is not seen
 * (sub-cgroups made in between may already carry notify_on_release=1). */
#include "cgroup/cgroup.h"
#include "cgroup/cgroup_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"

/* Never notify_on_release: see above. */
const char *const ib_cgroup_delegated_v1[] = {"cgroup.procs", "tasks", "cgroup.clone_children",
					      NULL};
const char *const ib_cgroup_delegated_v2[] = {"cgroup.procs", "cgroup.subtree_control",
					      "cgroup.threads", NULL};

int ib_cgroup_delegation_wanted(const struct ib_spec *s, ib_err *err)
{
	const char *v = ib_spec_annotation(s, IB_CGROUP_DELEGATE_ANNOTATION);

	if (v) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			return 1;
		if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			return 0;
		return ib_err_set(err, EINVAL, "annotation %s: `%s` is neither true nor false",
				  IB_CGROUP_DELEGATE_ANNOTATION, v);
	}
	/* Docker mounts the cgroup file system read-write for --privileged
	 * only, and read-only otherwise: the workload asked for it. */
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];
		if (m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0))
			return !(m->flags & MS_RDONLY);
	}
	return 0;
}

bool ib_cgroup_v1_delegable(const struct ib_cgroup_layout *l, unsigned major, unsigned minor)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (!l->h[i].v2 && l->h[i].major == major && l->h[i].minor == minor)
			return !l->h[i].release_agent;
	return false;
}

/* One directory: decided on the opened fd (a cgroup file system, which kind,
 * which v1 hierarchy), chowned relative to it, no symlink followed. 1 done,
 * 0 left the host's (a v1 hierarchy with a release agent), -1 error. */
static int delegate_dir(const char *dir, const struct ib_cgroup_layout *l, uid_t uid, gid_t gid,
			ib_err *err)
{
	_cleanup_close_ int fd = ib_cg_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	const char *const *files;
	struct statfs sfs;
	struct stat st;

	if (fd < 0)
		return ib_err_sys(err, "open `%s`", dir);
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return ib_err_sys(err, "stat `%s`", dir);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		files = ib_cgroup_delegated_v2;
	} else if (sfs.f_type == CGROUP_SUPER_MAGIC) {
		if (!ib_cgroup_v1_delegable(l, major(st.st_dev), minor(st.st_dev))) {
			ib_warn("cgroup `%s` is not delegated: its hierarchy has a release agent "
				"(or is unknown), which the container could make host root run",
				dir);
			return 0;
		}
		files = ib_cgroup_delegated_v1;
	} else {
		return ib_err_set(err, EINVAL, "`%s` is not a cgroup file system", dir);
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return ib_err_sys(err, "chown `%s`", dir);
	for (size_t i = 0; files[i]; i++)
		if (fchownat(fd, files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return ib_err_sys(err, "chown `%s/%s`", dir, files[i]);
	return 1;
}

int ib_cgroup_delegate(struct ib_cgroup *cg, uid_t uid, gid_t gid, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;

	if (!cg->owned)
		return ib_err_set(err, EPERM,
				  "cgroup `%s` was not created by ironbox: it is not delegated",
				  cg->path);
	/* The layout this command read (cached): release agents as host root
	 * set them before the container existed. */
	if (cg->v1_dirs && cg->v1_dirs[0] && ib_cgroup_read_layout(&l, err) < 0)
		goto fail;
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		if (delegate_dir(cg->v1_dirs[i], &l, uid, gid, err) < 0)
			goto fail;
	if (cg->v2_dir && delegate_dir(cg->v2_dir, NULL, uid, gid, err) < 0)
		goto fail;
	cg->delegated = true;
	return 0;
fail:
	return ib_err_wrap(err, "delegate cgroup `%s`", cg->path);
}

/* Path below the container's cgroup of pid's v2 cgroup, from
 * /proc/<pid>/cgroup text ("0::/a/b/c" seen from the host's cgroup
 * namespace): "" for the cgroup itself, NULL (err) when it is not inside. */
char *ib_cgroup_v2_subpath(const char *proc_cgroup, const char *cg_path, ib_err *err)
{
	size_t pl = strlen(cg_path);

	for (const char *l = proc_cgroup; l && *l;) {
		const char *end = strchrnul(l, '\n');

		if (strncmp(l, "0::", 3) == 0) {
			const char *p = l + 3;
			size_t len = (size_t)(end - p);

			if (len >= pl && strncmp(p, cg_path, pl) == 0 &&
			    (len == pl || p[pl] == '/')) {
				char *rel = strndup(p + pl + (len > pl), len - pl - (len > pl));
				if (!rel)
					abort();
				/* no "..": a name can't be one, but be sure */
				if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0 ||
				    strstr(rel, "/../") ||
				    (strlen(rel) >= 3 && !strcmp(rel + strlen(rel) - 3, "/.."))) {
					free(rel);
					break;
				}
				return rel;
			}
			break;
		}
		l = *end ? end + 1 : end;
	}
	ib_err_set(err, EPERM, "process is not inside the cgroup `%s`", cg_path);
	return NULL;
}

int ib_cgroup_v2_fd_of_pid(const struct ib_cgroup *cg, pid_t pid, int pidfd, ib_err *err)
{
	_cleanup_free_ char *text = NULL, *rel = NULL;
	_cleanup_close_ int top = -1;
	char proc[64];
	int fd;

	if (!cg->v2_dir)
		return ib_err_set(err, ENOENT, "no cgroup v2 directory");
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	if (ib_read_file_at(AT_FDCWD, proc, &text, NULL, err) < 0)
		return -1;
	/* Still the same process (the pid was not reused meanwhile). */
	if (ib_pidfd_send_signal(pidfd, 0) < 0)
		return ib_err_sys(err, "process %d", (int)pid);
	rel = ib_cgroup_v2_subpath(text, cg->path, err);
	if (!rel)
		return -1;
	top = ib_cg_open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0)
		return ib_err_sys(err, "open `%s`", cg->v2_dir);
	if (!*rel)
		return IB_STEAL_FD(top);
	fd = ib_openat2(top, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
			    RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return ib_err_sys(err, "open `%s/%s`", cg->v2_dir, rel);
	return fd;
}
