/* Last steps in the container process before execve: inherited fds,
 * rlimits, oom score, user/groups, LSM exec labels, the environment, the
 * working directory check and the PATH lookup + execve itself. */
#include "linux/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"

#define IB_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int ib_close_fds_except(int from, const int *keep, size_t n_keep, ib_err *err)
{
	_cleanup_free_ int *k = ib_xmalloc0((n_keep + 1) * sizeof(int));
	unsigned int lo = (unsigned int)from;
	size_t n = 0;

	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] >= from)
			k[n++] = keep[i];
	qsort(k, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned int)k[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned int)k[i] - 1, 0) < 0)
			return ib_err_sys(err, "close inherited fds");
		lo = (unsigned int)k[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, 0) < 0)
		return ib_err_sys(err, "close inherited fds");
	return 0;
}

int ib_check_preserved_fds(int n, ib_err *err)
{
	/* A gap would be filled by one of the runtime's own fds (its lock, a
	 * cgroup directory...), which would then be handed to the container. */
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return ib_err_set(err, EBADF, "--preserve-fds=%d: fd %d is not open", n,
					  fd);
	return 0;
}

int ib_verify_cwd(ib_err *err)
{
	char buf[PATH_MAX];

	/* The kernel prefixes "(unreachable)" to a directory outside our root
	 * (glibc turns that into ENOENT): a cwd reached through an fd of the
	 * host (CVE-2024-21626). */
	if (!getcwd(buf, sizeof(buf))) {
		if (errno == ENOENT)
			return ib_err_set(err, EPERM,
					  "current working directory is outside of the container's "
					  "root -- possible container breakout detected");
		return ib_err_sys(err, "cannot verify the current working directory");
	}
	if (buf[0] != '/')
		return ib_err_set(err, EPERM,
				  "current working directory is not absolute (\"%s\") -- possible "
				  "container breakout detected",
				  buf);
	return 0;
}

/* ---- environment ---- */

static size_t env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

int ib_env_merge(char **env, char ***out, ib_err *err)
{
	_cleanup_strv_ char **r = ib_xmalloc0(sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; env && env[i]; i++) {
		size_t len = env_name_len(env[i]);
		size_t j;

		if (env[i][len] != '=')
			return ib_err_set(err, EINVAL,
					  "invalid environment variable \"%s\": missing '='",
					  env[i]);
		if (len == 0)
			return ib_err_set(
			    err, EINVAL,
			    "invalid environment variable \"%s\": name cannot be empty", env[i]);
		for (j = 0; j < n; j++)
			if (env_name_len(r[j]) == len && strncmp(r[j], env[i], len + 1) == 0)
				break;
		if (j < n) {
			/* Like setenv on an existing name: same place, last value. */
			free(r[j]);
			r[j] = ib_xstrdup(env[i]);
		} else {
			ib_strv_push(&r, env[i]);
			n++;
		}
	}
	*out = IB_STEAL(r);
	return 0;
}

const char *ib_env_get(char **env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

void ib_env_default_home(char ***env, const char *home)
{
	_cleanup_free_ char *entry = NULL;
	const char *cur = ib_env_get(*env, "HOME");

	/* runc: `if os.Getenv("HOME") == ""`: unset and empty alike. */
	if (cur && *cur)
		return;
	entry = ib_xasprintf("HOME=%s", home);
	for (size_t i = 0; (*env)[i]; i++)
		if (strncmp((*env)[i], "HOME=", 5) == 0) {
			free((*env)[i]);
			(*env)[i] = IB_STEAL(entry);
			return;
		}
	ib_strv_push(env, entry);
}

char *ib_passwd_home(FILE *f, uid_t uid)
{
	struct passwd *pw;

	/* The first entry for the uid, as runc's user lookup; "/" without one. */
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid)
			return ib_xstrdup(pw->pw_dir ? pw->pw_dir : "");
	return ib_xstrdup("/");
}

char **ib_process_env(const struct ib_process *p, ib_err *err)
{
	_cleanup_strv_ char **env = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *home = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (ib_env_merge(p->env, &env, err) < 0)
		return NULL;
	if (ib_env_get(env, "HOME") && *ib_env_get(env, "HOME"))
		return IB_STEAL(env);
	/* The container's file: only a regular file is read (no fifo to block
	 * on, no device). */
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		f = fdopen(fd, "re");
		if (f)
			fd = -1;
	}
	home = ib_passwd_home(f, p->uid);
	ib_env_default_home(&env, home);
	return IB_STEAL(env);
}

static const char *rlimit_name(int resource)
{
	static const struct {
		int res;
		const char *name;
	} names[] = {
	    {RLIMIT_CPU, "RLIMIT_CPU"},		  {RLIMIT_FSIZE, "RLIMIT_FSIZE"},
	    {RLIMIT_DATA, "RLIMIT_DATA"},	  {RLIMIT_STACK, "RLIMIT_STACK"},
	    {RLIMIT_CORE, "RLIMIT_CORE"},	  {RLIMIT_RSS, "RLIMIT_RSS"},
	    {RLIMIT_NPROC, "RLIMIT_NPROC"},	  {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
	    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},	  {RLIMIT_AS, "RLIMIT_AS"},
	    {RLIMIT_LOCKS, "RLIMIT_LOCKS"},	  {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
	    {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"}, {RLIMIT_NICE, "RLIMIT_NICE"},
	    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},	  {RLIMIT_RTTIME, "RLIMIT_RTTIME"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(names); i++)
		if (names[i].res == resource)
			return names[i].name;
	return "RLIMIT_?";
}

int ib_process_apply_rlimits(const struct ib_process *p, ib_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct ib_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = {
		    .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->soft,
		    .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->hard,
		};
		if (setrlimit((__rlimit_resource_t)rl->resource, &lim) < 0)
			return ib_err_sys(err, "setrlimit %s (soft %llu, hard %llu)",
					  rlimit_name(rl->resource), (unsigned long long)rl->soft,
					  (unsigned long long)rl->hard);
	}
	return 0;
}

int ib_process_apply_oom_score_adj(const struct ib_process *p, ib_err *err)
{
	char buf[32];
	int len;
	_cleanup_close_ int fd = -1;

	if (!p->has_oom_score_adj)
		return 0;
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open /proc/self/oom_score_adj");
	len = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	if (ib_write_all(fd, buf, (size_t)len) < 0) {
		/* Lowering the score needs CAP_SYS_RESOURCE over the initial user
		 * namespace, which a container never has here: keep the inherited
		 * value rather than failing the container. */
		if (errno == EACCES || errno == EPERM) {
			ib_warn("cannot set oom_score_adj to %d (%s); keeping the inherited value",
				p->oom_score_adj, strerror(errno));
			return 0;
		}
		return ib_err_sys(err, "write oom_score_adj %d", p->oom_score_adj);
	}
	return 0;
}

int ib_process_set_user(const struct ib_process *p, ib_err *err)
{
	if (setgroups(p->n_additional_gids, p->additional_gids) < 0) {
		/* In a user namespace with /proc/PID/setgroups = deny, the call is
		 * refused; that is harmless only when no groups were asked for. */
		if (!(errno == EPERM && p->n_additional_gids == 0))
			return ib_err_sys(err, "setgroups");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return ib_err_sys(err, "setresgid %u", (unsigned)p->gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ib_err_sys(err, "prctl(PR_SET_KEEPCAPS, 1)");
	if (setresuid(p->uid, p->uid, p->uid) < 0) {
		int saved = errno;
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		errno = saved;
		return ib_err_sys(err, "setresuid %u", (unsigned)p->uid);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return ib_err_sys(err, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}

static bool apparmor_enabled(void)
{
	char buf[8] = {0};
	_cleanup_close_ int fd = -1;

	if (access("/sys/kernel/security/apparmor", F_OK) < 0 &&
	    access("/sys/module/apparmor", F_OK) < 0)
		return false;
	fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		return false;
	return buf[0] == 'Y';
}

static bool selinux_enabled(void)
{
	struct stat st;
	/* selinuxfs mounted (or at least its mount point present). */
	return stat("/sys/fs/selinux", &st) == 0 && S_ISDIR(st.st_mode);
}

static int write_attr(const char *path, const char *data, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ib_write_all(fd, data, len) < 0)
		return -1;
	return 0;
}

int ib_lsm_apply(const struct ib_process *p, ib_err *err)
{
	if (p->apparmor_profile && p->apparmor_profile[0]) {
		if (!apparmor_enabled()) {
			if (strcmp(p->apparmor_profile, "unconfined") != 0)
				ib_warn("AppArmor profile \"%s\" ignored: AppArmor is not enabled "
					"on this host",
					p->apparmor_profile);
		} else {
			_cleanup_free_ char *cmd = ib_xasprintf("exec %s", p->apparmor_profile);
			if (write_attr("/proc/self/attr/apparmor/exec", cmd, strlen(cmd)) < 0 &&
			    write_attr("/proc/self/attr/exec", cmd, strlen(cmd)) < 0)
				return ib_err_sys(err, "apply AppArmor profile \"%s\"",
						  p->apparmor_profile);
		}
	}
	if (p->selinux_label && p->selinux_label[0]) {
		if (!selinux_enabled()) {
			ib_warn("SELinux label \"%s\" ignored: SELinux is not enabled on this host",
				p->selinux_label);
		} else if (write_attr("/proc/self/attr/exec", p->selinux_label,
				      strlen(p->selinux_label)) < 0) {
			return ib_err_sys(err, "set SELinux exec label \"%s\"", p->selinux_label);
		}
	}
	return 0;
}

static const char *env_path(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			return env[i] + 5;
	return IB_DEFAULT_PATH;
}

/* Like Go's findExecutable: a regular file with any execute bit. Returns 0,
 * or -1 with errno (ENOENT, EISDIR, EACCES, ...). */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

int ib_process_find_executable(const struct ib_process *p, char **found_out, ib_err *err)
{
	const char *file;
	_cleanup_free_ char *found = NULL;

	if (!p->args || !p->args[0] || !p->args[0][0])
		return ib_err_set(err, EINVAL, "process.args must not be empty");
	file = p->args[0];

	if (strchr(file, '/')) {
		if (check_executable(file) < 0) {
			if (errno == ENOENT)
				return ib_err_set(
				    err, ENOENT, "exec: \"%s\": stat %s: no such file or directory",
				    file, file);
			return ib_err_set(err, errno, "exec: \"%s\": %s", file,
					  errno == EACCES ? "permission denied" : strerror(errno));
		}
		found = ib_xstrdup(file);
	} else {
		const char *path = env_path(p->env);
		bool denied = false;

		while (path) {
			const char *colon = strchr(path, ':');
			size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
			_cleanup_free_ char *cand = NULL;

			if (dlen == 0)
				cand = ib_xasprintf("./%s", file);
			else
				cand = ib_xasprintf("%.*s/%s", (int)dlen, path, file);
			if (check_executable(cand) == 0) {
				found = IB_STEAL(cand);
				break;
			}
			if (errno == EACCES)
				denied = true;
			path = colon ? colon + 1 : NULL;
		}
		if (!found) {
			if (denied)
				return ib_err_set(err, EACCES, "exec: \"%s\": permission denied",
						  file);
			return ib_err_set(err, ENOENT,
					  "exec: \"%s\": executable file not found in $PATH", file);
		}
	}

	*found_out = IB_STEAL(found);
	return 0;
}

int ib_process_exec(const struct ib_process *p, ib_err *err)
{
	static char *empty_env[] = {NULL};
	char **env = p->env ? p->env : empty_env;
	const char *file = p->args && p->args[0] ? p->args[0] : "";
	_cleanup_free_ char *found = NULL;

	if (ib_process_find_executable(p, &found, err) < 0)
		return -1;
	execve(found, p->args, env);
	if (errno == EACCES)
		return ib_err_set(err, EACCES, "exec: \"%s\": permission denied", file);
	return ib_err_sys(err, "exec %s", found);
}

void ib_child_reap_within(pid_t pid, int ms)
{
	_cleanup_close_ int fd = ib_pidfd_open(pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	if (fd < 0)
		return; /* gone, reaped already */
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		ib_pidfd_send_signal(fd, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
