/* The supervisor's seccomp notification agent and the API its rules use.
 *
 * The agent is a process forked by the supervisor (with the container's
 * first trapped call, agent_link.c) that joins the
 * container's user namespace (so nothing it does on a caller's behalf can
 * exceed what the container itself may do), leaves the host's mounts
 * behind (an empty tmpfs root of its own), and serves the seccomp listeners
 * of the container's init and of every `exec`: its main thread polls them
 * and receives notifications, a small pool of worker threads decides them.
 *
 * A rule's handler (notify_rules.h) gets one ib_notify_call:
 *   1. read the arguments once: registers (ib_notify_arg) and the caller's
 *      memory (ib_caller_read / ib_caller_read_path), then
 *      ib_notify_valid(): the notification is still pending, so the pid was
 *      not recycled while we looked at /proc and memory;
 *   2. ib_caller_enter() and resolve the object the call is about into an
 *      fd of ours, ib_caller_identify() it, decide;
 *   3. answer: ib_notify_deny() (audited), or perform the call itself on
 *      that very fd with the caller's credentials and report its result
 *      (ib_notify_reply / ib_notify_fail / ib_notify_reply_fd). A handler
 *      never answers "continue" (SECCOMP_USER_NOTIF_FLAG_CONTINUE) for a
 *      call whose pointer arguments decided a security question: the kernel
 *      would read them again.
 * A call left unanswered by its handler is denied (EPERM, audited). */
#ifndef IRONBOX_NOTIFY_H
#define IRONBOX_NOTIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "supervisor/caller.h"
#include "supervisor/notify_rules.h"

struct json_object;

/* A host directory shared through a bind mount, identified on the host side
 * at create (common/fsid.h): its filesystem and path from that
 * filesystem's root. Everything below it is host-shared, whatever mount
 * (or re-bind inside the container) reaches it. */
struct ib_shared_src {
	dev_t dev;
	char *fs_path;
	char *source; /* the spec's source, for messages */
};

/* What the agent knows about its container (fixed at create). */
struct ib_notify_policy {
	const char *id;
	const struct ib_shared_src *shared;
	size_t n_shared;
	/* rule "mount" (vet_mount.h): linux.maskedPaths, linux.readonlyPaths
	 * and the served /proc files ("/proc/meminfo"), NULL-terminated */
	char *const *masked, *const *readonly, *const *emulated;
};

/* Counters, in a page shared by the supervisor and its agent (read by
 * `ironbox audit --stats`). Updated with __atomic builtins. */
struct ib_notify_stats {
	uint64_t notifications; /* received from the kernel */
	uint64_t allowed;	/* performed for the caller */
	uint64_t denied;	/* refused by a rule (audited) */
	uint64_t failed;	/* the performed call failed (its errno returned) */
	uint64_t stale;		/* the caller went away before the answer */
	uint64_t listeners;	/* listeners received (init + execs) */
	uint64_t audit_dropped; /* audit lines over the cap */
	/* the /proc emulation */
	uint64_t fuse_opens, fuse_unpinned, pinned, pinned_bytes;
};
#define IB_STAT_ADD(st, field, n) __atomic_add_fetch(&(st)->field, (n), __ATOMIC_RELAXED)
#define IB_STAT_GET(st, field) __atomic_load_n(&(st)->field, __ATOMIC_RELAXED)

/* One trapped call being decided. */
struct ib_notify_call {
	const struct seccomp_notif *req;
	const struct ib_notify_rule *rule;
	const struct ib_notify_policy *policy;
	const char *syscall; /* its name */
	struct ib_caller caller;
	struct json_object *args; /* decoded arguments, for the audit log */
	char *target;		  /* the object decided on (caller's view), for the audit log */
	int listener;
	bool answered;
};

static inline uint64_t ib_notify_arg(const struct ib_notify_call *c, unsigned i)
{
	return c->req->data.args[i];
}

/* Still pending? (call after reading /proc and memory, before deciding) */
bool ib_notify_valid(struct ib_notify_call *c);
/* The call succeeded with this return value. */
void ib_notify_reply(struct ib_notify_call *c, int64_t val);
/* The call (performed for the caller) failed with errno error. */
void ib_notify_fail(struct ib_notify_call *c, int error);
/* Refused by the rule: audited, errno error (EPERM). */
void ib_notify_deny(struct ib_notify_call *c, int error, const char *reason);
/* The call returns a new fd: ours, installed in the caller (atomically
 * with the answer), close-on-exec there if cloexec. Consumes fd. */
void ib_notify_reply_fd(struct ib_notify_call *c, int fd, bool cloexec);

/* Record a decoded argument for the audit log. */
void ib_notify_arg_str(struct ib_notify_call *c, const char *key, const char *val);
void ib_notify_arg_int(struct ib_notify_call *c, const char *key, int64_t val);
void ib_notify_arg_oct(struct ib_notify_call *c, const char *key, uint64_t val);
void ib_notify_arg_hex(struct ib_notify_call *c, const char *key, uint64_t val);

/* Is this object on a host-shared mount? Decided on its identity: its path
 * from its filesystem's root lies below a shared source's; when that path
 * is unknown (deleted, unreachable), on the mount it was reached through
 * overlapping a shared source; when even the mount is unknown, on its
 * filesystem being one that holds a shared source. Fails closed. */
bool ib_notify_host_shared(const struct ib_notify_policy *p, const struct ib_caller_obj *o,
			   const struct ib_shared_src **which);

/* Handlers (rule_setid.c). */
void ib_rule_setid_chmod(struct ib_notify_call *c);
void ib_rule_setid_open(struct ib_notify_call *c);
void ib_rule_setid_mknod(struct ib_notify_call *c);
void ib_rule_setid_xattr(struct ib_notify_call *c);

/* Rule "mount" (rule_mount.c): the mount family, decided by vet_mount.h. */
void ib_rule_mount(struct ib_notify_call *c);
/* The jail: the mounts and ID maps of the container's init (host pid
 * init) at CREATED, as the supervisor read them at attach. */
struct ib_jail_text {
	pid_t init;
	char *mountinfo, *uid_map, *gid_map;
};
/* Called once, by the agent's main thread, before any listener is served. */
int ib_rule_mount_jail(const struct ib_jail_text *j, const struct ib_notify_policy *p, ib_err *err);
/* The jail's mount namespace (the init's at CREATED, opened by the
 * supervisor), where nested procfs/sysfs mounts are built. Consumes fd. */
void ib_rule_mount_jail_ns(int fd);

/* Rule "sysinfo" (rule_sysinfo.c): the container's figures, asked of the
 * supervisor over ib_notify_agent_cfg.info_fd. */
void ib_rule_sysinfo(struct ib_notify_call *c);

/* ---- the agent process ---- */
struct ib_notify_agent_cfg {
	int sup_fd;	/* SOCK_SEQPACKET to the supervisor: listener fds; EOF = exit */
	pid_t sup_pid;	/* the supervisor, taken before the fork */
	int userns_fd;	/* the container's user namespace */
	int audit_fd;	/* the supervisor's audit sink (audit.h) */
	int info_fd;	/* SOCK_SEQPACKET to the supervisor: rule "sysinfo" */
	int jail_ns_fd; /* the jail's mount namespace (-1: none) */
	const struct ib_jail_text *jail; /* NULL: none (mount calls refused) */
	struct ib_notify_stats *stats;
	const struct ib_notify_policy *policy;
};
/* Never returns. The caller (the supervisor, single-threaded) forked it;
 * every other fd must already be closed. */
__attribute__((noreturn)) void ib_notify_agent_main(const struct ib_notify_agent_cfg *cfg);

#endif
