/* The table of trapped system calls (see notify_rules.h). Rule "setid":
 * no set-uid/set-gid file, and no file capability, may appear on a
 * host-shared bind mount (rule_setid.c); rule "mount" (rule_mount.c); rule
 * "sysinfo": the container's figures (rule_sysinfo.c). */
#include "supervisor/notify_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "supervisor/notify.h"

#ifndef MS_MGC_MSK
#define MS_MGC_MSK 0xffff0000
#endif

#define SETID_ARG(a, bit)                                                                          \
	{                                                                                          \
		.conds = {{(a), (bit), (bit)}}, .n_conds = 1                                       \
	}
/* mode argument with a set-id bit */
#define MODE_SETID(a) .alts = {SETID_ARG(a, S_ISUID), SETID_ARG(a, S_ISGID)}, .n_alts = 2
/* creating open: (O_CREAT or O_TMPFILE in flags) and a set-id bit in mode */
#define CREATE_SETID(f, m)                                                                         \
	.alts = {{.conds = {{(f), O_CREAT, O_CREAT}, {(m), S_ISUID, S_ISUID}}, .n_conds = 2},      \
		 {.conds = {{(f), O_CREAT, O_CREAT}, {(m), S_ISGID, S_ISGID}}, .n_conds = 2},      \
		 {.conds = {{(f), __O_TMPFILE, __O_TMPFILE}, {(m), S_ISUID, S_ISUID}},             \
		  .n_conds = 2},                                                                   \
		 {.conds = {{(f), __O_TMPFILE, __O_TMPFILE}, {(m), S_ISGID, S_ISGID}},             \
		  .n_conds = 2}},                                                                  \
	.n_alts = 4

/* a value of the size of a security.capability xattr (v1, v2, v3) */
#define CAPS_SIZE(a)                                                                               \
	.alts = {{.conds = {{(a), ~0ULL, 12}}, .n_conds = 1},                                      \
		 {.conds = {{(a), ~0ULL, 20}}, .n_conds = 1},                                      \
		 {.conds = {{(a), ~0ULL, 24}}, .n_conds = 1}},                                     \
	.n_alts = 3

const struct ib_notify_rule ib_notify_rules[] = {
    /* set-id files on host-shared mounts */
    {"chmod", IB_NOTIFY_TRAP, 0, MODE_SETID(1), ib_rule_setid_chmod, "setid"},
    {"fchmod", IB_NOTIFY_TRAP, 0, MODE_SETID(1), ib_rule_setid_chmod, "setid"},
    {"fchmodat", IB_NOTIFY_TRAP, 0, MODE_SETID(2), ib_rule_setid_chmod, "setid"},
    {"fchmodat2", IB_NOTIFY_TRAP, 0, MODE_SETID(2), ib_rule_setid_chmod, "setid"},
    {"creat", IB_NOTIFY_TRAP, 0, MODE_SETID(1), ib_rule_setid_open, "setid"},
    {"open", IB_NOTIFY_TRAP, 0, CREATE_SETID(1, 2), ib_rule_setid_open, "setid"},
    {"openat", IB_NOTIFY_TRAP, 0, CREATE_SETID(2, 3), ib_rule_setid_open, "setid"},
    {"mknod", IB_NOTIFY_TRAP, 0, MODE_SETID(1), ib_rule_setid_mknod, "setid"},
    {"mknodat", IB_NOTIFY_TRAP, 0, MODE_SETID(2), ib_rule_setid_mknod, "setid"},
    /* File capabilities are set-id bits by another name (cap_setuid=ep):
     * the name is behind a pointer, but a capability value has one of three
     * sizes, so only those xattr writes are trapped. */
    {"setxattr", IB_NOTIFY_TRAP, 0, CAPS_SIZE(3), ib_rule_setid_xattr, "setid"},
    {"lsetxattr", IB_NOTIFY_TRAP, 0, CAPS_SIZE(3), ib_rule_setid_xattr, "setid"},
    {"fsetxattr", IB_NOTIFY_TRAP, 0, CAPS_SIZE(3), ib_rule_setid_xattr, "setid"},
    /* setxattrat (6.13) has the size behind a pointer too: ENOSYS, callers
     * fall back to setxattr. */
    {"setxattrat", IB_NOTIFY_ERRNO, ENOSYS, .n_alts = 0, .rule = "setid", .native_nr = 463},
    /* openat2's mode is behind a pointer: the BPF cannot tell a set-id
     * create from a plain open, and trapping every openat2 would put the
     * data path through the supervisor. Like Docker's profile does for
     * clone3, it reports ENOSYS: callers (glibc never uses it; runc, crun,
     * systemd, Go check) fall back to openat, decided from registers. */
    {"openat2", IB_NOTIFY_ERRNO, ENOSYS, .n_alts = 0, .rule = "setid"},
    /* io_uring performs opens (with a mode) that no seccomp filter sees:
     * refused like Docker's default profile does. */
    {"io_uring_setup", IB_NOTIFY_ERRNO, EPERM, .n_alts = 0, .rule = "setid"},
    /* The kernel gives one seccomp listener per filter chain: ours. Were it
     * gone (supervisor dead), a listener of the container's own would get
     * our trapped calls (the newest filter wins among equal actions) and
     * could let them through; so no process of the container ever gets one. */
    {"seccomp", IB_NOTIFY_ERRNO, EBUSY,
     .alts = {{.conds = {{0, ~0ULL, SECCOMP_SET_MODE_FILTER},
			 {1, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_NEW_LISTENER}},
	       .n_conds = 2}},
     .n_alts = 1, .rule = "supervisor"},
    /* Rule "mount" (rule_mount.c, vet_mount.h): the mount family. mount(2)
     * is decided in the kernel only for a pure propagation change (one of
     * MS_SHARED/MS_PRIVATE/MS_SLAVE, no MS_REMOUNT or MS_BIND: the kernel
     * tests those first); MS_UNBINDABLE, remounts, binds, moves and new
     * filesystems come here. open_tree without OPEN_TREE_CLONE is an
     * O_PATH-like handle; fspick creates nothing visible (the kernel checks
     * the superblock's owner); fsconfig is trapped for its string values
     * (uid=/gid= translation). */
    {"mount", IB_NOTIFY_TRAP, 0,
     .alts = {{.conds = {{3, MS_SHARED | MS_PRIVATE | MS_SLAVE, 0}}, .n_conds = 1},
	      {.conds = {{3, MS_UNBINDABLE, MS_UNBINDABLE}}, .n_conds = 1},
	      {.conds = {{3, MS_REMOUNT, MS_REMOUNT}}, .n_conds = 1},
	      {.conds = {{3, MS_BIND, MS_BIND}}, .n_conds = 1},
	      /* MS_MGC_VAL (0xC0ED0000, stripped by the kernel) has the
	       * MS_PRIVATE and MS_SLAVE bits: with it, no propagation
	       * change can be asked at all */
	      {.conds = {{3, MS_MGC_MSK, MS_MGC_VAL}}, .n_conds = 1}},
     .n_alts = 5, .handler = ib_rule_mount, .rule = "mount"},
    {"umount2", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_mount, .rule = "mount"},
    {"umount", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_mount, .rule = "mount"},
    /* open_tree(OPEN_TREE_CLONE), fsmount and fsopen: ENOSYS. Their fds
     * are O_PATH files, which SECCOMP_IOCTL_NOTIF_ADDFD cannot install
     * (fget() refuses FMODE_PATH; measured: EBADF), so the supervisor could
     * not hand over a result it performed, and letting the kernel redo the
     * call would re-read the path it decided on. Callers fall back to
     * mount(2) (util-linux's libmount, runc and Go check ENOSYS), which is
     * vetted; fsopen is refused too so that they fall back at the start of
     * a new-API mount, not in its middle. */
    {"open_tree", IB_NOTIFY_ERRNO, ENOSYS,
     .alts = {{.conds = {{2, OPEN_TREE_CLONE, OPEN_TREE_CLONE}}, .n_conds = 1}}, .n_alts = 1,
     .rule = "mount"},
    {"fsopen", IB_NOTIFY_ERRNO, ENOSYS, .n_alts = 0, .rule = "mount"},
    {"fsmount", IB_NOTIFY_ERRNO, ENOSYS, .n_alts = 0, .rule = "mount"},
    {"move_mount", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_mount, .rule = "mount"},
    {"fsconfig", IB_NOTIFY_TRAP, 0,
     .alts = {{.conds = {{1, ~0ULL, FSCONFIG_SET_STRING}}, .n_conds = 1}}, .n_alts = 1,
     .handler = ib_rule_mount, .rule = "mount"},
    {"mount_setattr", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_mount, .rule = "mount"},
    {"pivot_root", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_mount, .rule = "mount"},
    /* Rule "sysinfo" (rule_sysinfo.c): the container's memory, swap,
     * uptime, load and task count, not the host's. No arguments to decide
     * on and rare: always trapped. */
    {"sysinfo", IB_NOTIFY_TRAP, 0, .n_alts = 0, .handler = ib_rule_sysinfo, .rule = "sysinfo",
     .view_only = true},
};

const size_t ib_notify_n_rules = sizeof(ib_notify_rules) / sizeof(ib_notify_rules[0]);

const struct ib_notify_rule *ib_notify_rule_named(const char *syscall)
{
	for (size_t i = 0; i < ib_notify_n_rules; i++)
		if (!strcmp(ib_notify_rules[i].syscall, syscall))
			return &ib_notify_rules[i];
	return NULL;
}

const struct ib_notify_rule *ib_notify_rule_find(uint32_t arch, int nr)
{
	char *name = seccomp_syscall_resolve_num_arch(arch, nr);
	const struct ib_notify_rule *r = name ? ib_notify_rule_named(name) : NULL;

	free(name);
	return r;
}

bool ib_notify_rule_traps(const struct ib_notify_rule *rule, const uint64_t args[6])
{
	if (rule->kind != IB_NOTIFY_TRAP)
		return false;
	if (rule->n_alts == 0)
		return true;
	for (unsigned a = 0; a < rule->n_alts; a++) {
		const struct ib_notify_match *m = &rule->alts[a];
		bool all = true;

		for (unsigned c = 0; c < m->n_conds && all; c++)
			all = (args[m->conds[c].arg] & m->conds[c].mask) == m->conds[c].value;
		if (all)
			return true;
	}
	return false;
}
