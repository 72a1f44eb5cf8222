/* Last steps in the container process before execve: rlimits, user and
 * groups, capabilities, no_new_privs, seccomp, LSM labels, exec lookup. All
 * run in the child, after pivot_root, single-threaded. */
#ifndef IRONBOX_PROCESS_H
#define IRONBOX_PROCESS_H

#include <stdio.h>

#include "common/err.h"
#include "spec/spec.h"

/* Close every fd >= from except those in keep (CVE-2024-21626: nothing of
 * the runtime's may reach the container process, not even until execve). */
/* Reap our child pid, given ms to exit first, then SIGKILLed through a
 * pidfd: never by number, which (with SIGCHLD ignored, the child reaped
 * for us) may already be another process's. */
void ib_child_reap_within(pid_t pid, int ms);

int ib_close_fds_except(int from, const int *keep, size_t n_keep, ib_err *err);
/* Every fd of 3 .. 3+n-1 (--preserve-fds) must be open when the runtime
 * starts, before it opens any of its own. */
int ib_check_preserved_fds(int n, ib_err *err);
/* Fail unless getcwd() is an absolute path inside our root: a cwd reached
 * through a host fd shows as "(unreachable)...". */
int ib_verify_cwd(ib_err *err);

/* process.env as runc hands it over: each entry NAME=VALUE with a non-empty
 * NAME (else an error); a repeated NAME keeps its first place and takes its
 * last value. */
int ib_env_merge(char **env, char ***out, ib_err *err);
/* Value of NAME in env, or NULL. */
const char *ib_env_get(char **env, const char *name);
/* HOME=home unless env has a non-empty HOME (an empty one is replaced in
 * place), like runc. */
void ib_env_default_home(char ***env, const char *home);
/* Home directory of the first passwd entry (fgetpwent) for uid, else "/". */
char *ib_passwd_home(FILE *f, uid_t uid);
/* The environment of the container process: merged process.env and HOME
 * from the container's /etc/passwd. Run inside the container's root. */
char **ib_process_env(const struct ib_process *p, ib_err *err);

/* setrlimit for every process.rlimits entry. */
int ib_process_apply_rlimits(const struct ib_process *p, ib_err *err);
/* /proc/self/oom_score_adj if given. */
int ib_process_apply_oom_score_adj(const struct ib_process *p, ib_err *err);

/* Switch to process.user (groups, gid, uid) keeping capabilities across the
 * uid change so they can be set precisely afterwards (PR_SET_KEEPCAPS). */
int ib_process_set_user(const struct ib_process *p, ib_err *err);

/* Apply process.capabilities. Capabilities the runtime itself does not hold
 * (not in its own bounding set) are dropped with a warning, not fatal.
 * Bounding set is reduced first, then ambient/inheritable/permitted/effective. */
int ib_caps_apply(const struct ib_capabilities *caps, ib_err *err);
/* The runtime's own bounding set, taken on the host before a new user
 * namespace (which starts with a full one): capabilities outside it are
 * dropped with a warning. */
void ib_caps_set_runtime_bounding(uint64_t set);
/* The bounding set of the calling process. */
uint64_t ib_caps_current_bounding(void);
/* Every capability known to this kernel (0..cap_last_cap). */
uint64_t ib_caps_all_known(void);

/* Build and load the seccomp filter (libseccomp). Unknown syscall names are
 * skipped (like runc). If s->listener_path or notify_fd_out is requested
 * (notify_fd_out != NULL) and the profile has SCMP_ACT_NOTIFY rules, the
 * listener fd is returned there, else -1. */
int ib_seccomp_load(const struct ib_seccomp *s, int *notify_fd_out, ib_err *err);
/* Hand listener_fd to the OCI seccomp agent at listener_path: the runtime
 * spec's containerProcessState (pid, metadata, the container's state JSON)
 * with the fd as SCM_RIGHTS. */
int ib_seccomp_agent_send(const char *listener_path, int listener_fd, pid_t pid,
			  const char *metadata, const char *state_json, ib_err *err);

/* ironbox's own filter (DESIGN.md behaviour 6, supervisor/notify_rules.h):
 * the trapped calls go to a new seccomp listener, returned; everything else
 * is allowed (the spec's profile, loaded later, still applies). Needs
 * CAP_SYS_ADMIN or no_new_privs, like any filter. */
int ib_seccomp_load_supervised(bool listener, ib_err *err);
/* Build it now (once per process; children inherit it). */
int ib_seccomp_prepare_supervised(ib_err *err);
/* The built filter as a memfd, for an init cloned before it was built (the
 * runtime builds it while the init mounts); import adopts it in the init,
 * where load then finds it ready. */
int ib_seccomp_supervised_export(ib_err *err);
int ib_seccomp_supervised_import(int fd, ib_err *err);
/* Load it and hand the listener to the runtime over the sync socket
 * (IB_SYNC_LISTENER), which gives it to the supervisor; ours is closed:
 * no process of the container may hold it. */
int ib_seccomp_supervise(int sync_fd, const struct ib_seccomp *spec_filter, ib_err *err);

/* Write AppArmor exec profile / SELinux exec label if the LSM is active;
 * a label on a host without that LSM is an error (like runc). */
int ib_lsm_apply(const struct ib_process *p, ib_err *err);

/* Resolve args[0] via PATH from env (inside the container's root) and execve.
 * Only returns on failure (err filled, like runc: "exec: \"x\": executable file not found in
 * $PATH"). */
/* The path execve would run for p->args[0] (same lookup and errors). */
int ib_process_find_executable(const struct ib_process *p, char **found, ib_err *err);
int ib_process_exec(const struct ib_process *p, ib_err *err);

#endif
