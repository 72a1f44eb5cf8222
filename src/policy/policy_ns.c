/* No host namespace sharing (DESIGN.md behaviour 2). */
#include "policy/policy.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define REASON "(because they use the linux user-namespace for isolation)"

static const char *const proc_names[IB_NS_COUNT] = {
    [IB_NS_PID] = "pid",   [IB_NS_NET] = "net",	  [IB_NS_IPC] = "ipc",	     [IB_NS_UTS] = "uts",
    [IB_NS_MOUNT] = "mnt", [IB_NS_USER] = "user", [IB_NS_CGROUP] = "cgroup", [IB_NS_TIME] = "time",
};

/* How each namespace is named in the error's list. */
static const char *const list_names[IB_NS_COUNT] = {
    [IB_NS_PID] = "pid",       [IB_NS_NET] = "a network namespace",
    [IB_NS_IPC] = "ipc",       [IB_NS_UTS] = "uts",
    [IB_NS_MOUNT] = "mount",   [IB_NS_USER] = "user",
    [IB_NS_CGROUP] = "cgroup", [IB_NS_TIME] = "time",
};

static int host_ns_stat(const char *dir, enum ib_ns_type t, struct stat *st, ib_err *err)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/%s", dir, proc_names[t]);

	if (stat(p, st) < 0)
		return ib_err_sys(err, "cannot inspect the host's %s namespace (`%s`)",
				  proc_names[t], p);
	return 0;
}

/* 1 if path is the host's namespace of type t, 0 if not, -1 on error. */
static int is_host_ns(const char *path, enum ib_ns_type t, const char *host_ns_dir, ib_err *err)
{
	/* With host_ns_dir NULL: /proc/1/ns (skipped if pid 1 is not ours to
	 * inspect) and /proc/self/ns (always). */
	const char *dirs[2] = {host_ns_dir, NULL};
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st, host;

	/* pid 1's namespaces are the host's by definition, even where a sandbox
	 * hides them from us (fail closed). */
	if (fd < 0 && (errno == EACCES || errno == EPERM) && !host_ns_dir &&
	    strncmp(path, "/proc/1/", 8) == 0)
		return 1;
	if (fd < 0)
		return ib_err_sys(err, "open namespace path `%s`", path);
	if (fstat(fd, &st) < 0)
		return ib_err_sys(err, "stat namespace path `%s`", path);
	if (!host_ns_dir) {
		dirs[0] = "/proc/1/ns";
		dirs[1] = "/proc/self/ns";
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(dirs) && dirs[i]; i++) {
		if (host_ns_stat(dirs[i], t, &host, err) < 0) {
			/* pid 1 may be shielded from us (ptrace access check
			 * under an LSM or in a sandbox); the runtime's own
			 * namespaces are the host's as the engine sees it. */
			if (!host_ns_dir && i == 0 && (errno == EACCES || errno == EPERM)) {
				ib_err_clear(err);
				continue;
			}
			return -1;
		}
		if (st.st_dev == host.st_dev && st.st_ino == host.st_ino)
			return 1;
	}
	return 0;
}

int ib_policy_check_namespaces_at(const struct ib_spec *s, const char *host_ns_dir, ib_err *err)
{
	/* Order of the error's list. */
	static const enum ib_ns_type checked[] = {IB_NS_PID, IB_NS_NET,	  IB_NS_IPC,
						  IB_NS_UTS, IB_NS_MOUNT, IB_NS_CGROUP};
	enum ib_ns_type bad[IB_ARRAY_SIZE(checked)];
	size_t n_bad = 0;
	char list[256] = "";
	int r;

	for (size_t i = 0; i < IB_ARRAY_SIZE(checked); i++) {
		enum ib_ns_type t = checked[i];
		const struct ib_namespace *ns = &s->ns[t];

		if (!ns->present) {
			/* Missing mount / cgroup namespaces are added by apply. */
			if (t != IB_NS_MOUNT && t != IB_NS_CGROUP)
				bad[n_bad++] = t;
			continue;
		}
		if (!ns->path)
			continue;
		r = is_host_ns(ns->path, t, host_ns_dir, err);
		if (r < 0)
			return -1;
		if (r > 0)
			bad[n_bad++] = t;
	}
	if (n_bad == 1 && bad[0] == IB_NS_NET)
		return ib_err_set(
		    err, EPERM, "containers can't share a network namespace with the host " REASON);
	if (n_bad > 0) {
		for (size_t i = 0; i < n_bad; i++) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
				 list_names[bad[i]]);
		}
		return ib_err_set(err, EPERM,
				  "containers can't share namespaces [%s] with the host " REASON,
				  list);
	}
	if (s->ns[IB_NS_USER].present && s->ns[IB_NS_USER].path) {
		r = is_host_ns(s->ns[IB_NS_USER].path, IB_NS_USER, host_ns_dir, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return ib_err_set(
			    err, EPERM, "containers can't share the host's user namespace " REASON);
	}
	return 0;
}

int ib_policy_check_namespaces(const struct ib_spec *s, ib_err *err)
{
	return ib_policy_check_namespaces_at(s, NULL, err);
}
