/* The non-namespaced /proc/sys entries a container may write (DESIGN.md,
 * behaviour 7; issue 8). Namespaced entries (net.* of the container's
 * network namespace, kernel.hostname, kernel.shm*, user.*, ...) are the
 * kernel's own and are not listed: they behave as the kernel makes them.
 * Every other non-namespaced entry stays read-only for the container (the
 * kernel answers EACCES: its files belong to the host's root). No write by
 * a container ever reaches a listed knob directly: the supervisor serves
 * each listed file over FUSE (mounted over the container's
 * /proc/sys/<path>) and applies its rule:
 *
 *   LOCAL  container-local. The container reads back what it wrote (until
 *          then, the host's value); the kernel is never changed. For knobs
 *          whose effect is host-wide policy (panic behaviour, overcommit,
 *          key quotas, link protections, console log level) that common
 *          workloads (kubelet, systemd) set at start and that ironbox
 *          cannot scope to one container: the container's write is
 *          accepted and remembered, the host keeps its policy.
 *   MAX    max-reconciled. The container reads back what it wrote; the
 *          host gets the maximum over its own original value and the
 *          values of the live containers, and goes back down when they are
 *          gone (sysctl/hosttable.h). For limits, where raising the host's
 *          value for one container harms no other -- up to a point: each
 *          has an admin ceiling (the policy's "sysctlMaximums", policy.h;
 *          the last column here is its default), above which a write that
 *          would raise the host is refused with EPERM.
 *
 * A value is validated as the kernel does for that entry (integers, in the
 * kernel's range, EINVAL otherwise; a vector like kernel.printk takes up to
 * its length). Only the container's root may write (the files are the
 * host root's 0644 in the kernel); where the spec makes /proc/sys (or the
 * entry, or /proc) read-only, they stay read-only (EROFS), like runc's.
 *
 * One line per knob: X(sysctl name, path under /proc/sys, rule, type, min,
 * max, number of values, kernel version (major*100+minor) from which the
 * kernel namespaces it itself (0 = never), default admin ceiling (MAX
 * knobs, within [min, max]; 0 for LOCAL ones)). A default ceiling lets the
 * values real workloads write through (the comments name them) while
 * keeping a container from raising a host-wide limit without bound. */
#ifndef IRONBOX_SYSCTL_KNOB_H
#define IRONBOX_SYSCTL_KNOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IB_KNOB_INT_MIN (-2147483647LL - 1)
#define IB_KNOB_INT_MAX 2147483647LL
#define IB_KNOB_LONG_MAX 9223372036854775807LL

#define IB_KNOBS(X)                                                                                \
	/* kubelet (--protect-kernel-defaults off): 1 */                                           \
	X("vm.overcommit_memory", "vm/overcommit_memory", LOCAL, INT, 0, 2, 1, 0, 0)               \
	/* kubelet: 0 */                                                                           \
	X("vm.panic_on_oom", "vm/panic_on_oom", LOCAL, INT, 0, 2, 1, 0, 0)                         \
	/* kubelet: 10; proc_dointvec, any int */                                                  \
	X("kernel.panic", "kernel/panic", LOCAL, INT, IB_KNOB_INT_MIN, IB_KNOB_INT_MAX, 1, 0, 0)   \
	/* kubelet: 1 */                                                                           \
	X("kernel.panic_on_oops", "kernel/panic_on_oops", LOCAL, INT, IB_KNOB_INT_MIN,             \
	  IB_KNOB_INT_MAX, 1, 0, 0)                                                                \
	/* systemd, distributions' sysctl.d: console log levels, 4 ints */                         \
	X("kernel.printk", "kernel/printk", LOCAL, INT, IB_KNOB_INT_MIN, IB_KNOB_INT_MAX, 4, 0, 0) \
	/* systemd 50-default.conf: 16 */                                                          \
	X("kernel.sysrq", "kernel/sysrq", LOCAL, INT, IB_KNOB_INT_MIN, IB_KNOB_INT_MAX, 1, 0, 0)   \
	/* kubelet: root_maxkeys 1000000, root_maxbytes 25000000 */                                \
	X("kernel.keys.maxkeys", "kernel/keys/maxkeys", LOCAL, INT, 1, IB_KNOB_INT_MAX, 1, 0, 0)   \
	X("kernel.keys.maxbytes", "kernel/keys/maxbytes", LOCAL, INT, 1, IB_KNOB_INT_MAX, 1, 0, 0) \
	X("kernel.keys.root_maxkeys", "kernel/keys/root_maxkeys", LOCAL, INT, 1, IB_KNOB_INT_MAX,  \
	  1, 0, 0)                                                                                 \
	X("kernel.keys.root_maxbytes", "kernel/keys/root_maxbytes", LOCAL, INT, 1,                 \
	  IB_KNOB_INT_MAX, 1, 0, 0)                                                                \
	X("kernel.keys.gc_delay", "kernel/keys/gc_delay", LOCAL, INT, 0, IB_KNOB_INT_MAX, 1, 0, 0) \
	X("kernel.keys.persistent_keyring_expiry", "kernel/keys/persistent_keyring_expiry", LOCAL, \
	  INT, 0, IB_KNOB_INT_MAX, 1, 0, 0)                                                        \
	/* systemd 50-default.conf */                                                              \
	X("fs.protected_hardlinks", "fs/protected_hardlinks", LOCAL, INT, 0, 1, 1, 0, 0)           \
	X("fs.protected_symlinks", "fs/protected_symlinks", LOCAL, INT, 0, 1, 1, 0, 0)             \
	X("fs.protected_fifos", "fs/protected_fifos", LOCAL, INT, 0, 2, 1, 0, 0)                   \
	X("fs.protected_regular", "fs/protected_regular", LOCAL, INT, 0, 2, 1, 0, 0)               \
	/* kind, kubelet, IDEs: inotify limits (the host's count for every                         \
	 * user). Asked for: watches 524288, instances 512 (kind) to 8192;                         \
	 * queued events: 16 times the kernel's default 16384. */                                  \
	X("fs.inotify.max_user_watches", "fs/inotify/max_user_watches", MAX, ULONG, 0,             \
	  IB_KNOB_LONG_MAX, 1, 0, 1048576)                                                         \
	X("fs.inotify.max_user_instances", "fs/inotify/max_user_instances", MAX, ULONG, 0,         \
	  IB_KNOB_LONG_MAX, 1, 0, 65536)                                                           \
	X("fs.inotify.max_queued_events", "fs/inotify/max_queued_events", MAX, INT, 0,             \
	  IB_KNOB_INT_MAX, 1, 0, 262144)                                                           \
	/* systemd (PID 1 raises both at boot: file-max to LONG_MAX, nr_open                       \
	 * probing down from INT_MAX; it stops quietly at EPERM). Ceilings:                        \
	 * 4 times the usual nr_open (1048576), tuning guides' file-max 2097152                    \
	 * twice over. */                                                                          \
	X("fs.file-max", "fs/file-max", MAX, ULONG, 0, IB_KNOB_LONG_MAX, 1, 0, 4194304)            \
	X("fs.nr_open", "fs/nr_open", MAX, INT, 64, 2147483584LL, 1, 0, 4194304)                   \
	/* systemd (PID 1 raises it, 50-pid-max.conf: 4194304, the kernel's                        \
	 * PID_MAX_LIMIT); per pid namespace from Linux 6.14 */                                    \
	X("kernel.pid_max", "kernel/pid_max", MAX, INT, 301, 4194304, 1, 614, 4194304)             \
	/* kube-proxy (32768 per CPU, at least 131072: up to 32 CPUs); read-only                   \
	 * (0444) in a network namespace other than the host's */                                  \
	X("net.netfilter.nf_conntrack_max", "net/netfilter/nf_conntrack_max", MAX, INT, 0,         \
	  IB_KNOB_INT_MAX, 1, 0, 1048576)                                                          \
	/* Elasticsearch, SonarQube: 262144; some distributions' default                           \
	 * (Fedora 39, Ubuntu 24.04): 1048576 */                                                   \
	X("vm.max_map_count", "vm/max_map_count", MAX, INT, 0, IB_KNOB_INT_MAX, 1, 0, 1048576)

/* Each knob is an entry of the supervisor's emulated files, generated from
 * this table (supervisor/emul.c: "sysctl.<name>" over /proc/sys/<path>). */

enum ib_knob_rule { IB_KNOB_LOCAL, IB_KNOB_MAX };
enum ib_knob_type { IB_KNOB_INT, IB_KNOB_ULONG };

#define IB_KNOB_MAX_VALUES 4
/* At most this many knobs (per-knob arrays of the supervisor). */
#define IB_KNOB_CAP 64

struct ib_knob {
	const char *name; /* "vm.overcommit_memory" */
	const char *path; /* under /proc/sys: "vm/overcommit_memory" */
	enum ib_knob_rule rule;
	enum ib_knob_type type;
	int64_t min, max; /* inclusive */
	unsigned n;	  /* values (1, or 4 for kernel.printk) */
	unsigned ns_since;
	int64_t ceiling; /* MAX: the default admin ceiling */
};

extern const struct ib_knob ib_knobs[];
extern const size_t ib_n_knobs;

struct ib_knob_value {
	int64_t v[IB_KNOB_MAX_VALUES];
};

const struct ib_knob *ib_knob_by_path(const char *path);
const struct ib_knob *ib_knob_by_name(const char *name);

/* Does the kernel (release string, e.g. "6.18.4-x") namespace k itself?
 * Then it is not virtualised: the container writes the kernel's own. */
bool ib_knob_kernel_namespaces(const struct ib_knob *k, const char *release);

/* Parse a write of len bytes like the kernel's proc_dointvec_minmax /
 * proc_doulongvec_minmax: up to k->n integers (base 0: 10, 0x16, 010),
 * separated by blanks; a vector write may set its first values only (the
 * others keep *v). Returns the number of bytes taken (the rest of a longer
 * write is left, as the kernel leaves it, for a short write) or -1 with
 * EINVAL (no number, garbage, out of range, a sign on an unsigned knob). */
long ib_knob_parse(const struct ib_knob *k, const char *buf, size_t len, struct ib_knob_value *v,
		   ib_err *err);
/* The kernel's rendering: values separated by tabs, newline. malloc'd. */
char *ib_knob_format(const struct ib_knob *k, const struct ib_knob_value *v);

#endif
