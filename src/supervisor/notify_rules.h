/* The system calls ironbox's own seccomp filter sends to the supervisor, and
 * how each one is decided (DESIGN.md behaviour 6).
 *
 * One table drives both sides, so they cannot drift apart: the container
 * side (linux/seccomp.c) turns every entry into BPF, the supervisor
 * (notify.c) finds the entry of a notification and runs its handler.
 *
 * The BPF decides from register arguments alone: an entry traps only when
 * one of its alternatives matches (every condition of it: (arg & mask) ==
 * value), so data-path calls never wake the supervisor (an open(2) without
 * O_CREAT or without a set-id mode is allowed by the kernel straight away).
 * An entry of kind IB_NOTIFY_ERRNO fails in the kernel with errno_value,
 * for calls whose deciding argument is behind a pointer and that have a
 * register-only fallback (openat2 -> ENOSYS, callers fall back to openat),
 * or that would bypass the filter altogether (io_uring, a seccomp listener
 * of the container's own). Its alternatives, if any, say when. */
#ifndef IRONBOX_NOTIFY_RULES_H
#define IRONBOX_NOTIFY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IB_NOTIFY_MAX_CONDS 3
#define IB_NOTIFY_MAX_ALTS 5

/* (args[arg] & mask) == value */
struct ib_notify_cond {
	unsigned arg;
	uint64_t mask, value;
};

/* All conditions must hold. */
struct ib_notify_match {
	struct ib_notify_cond conds[IB_NOTIFY_MAX_CONDS];
	unsigned n_conds;
};

enum ib_notify_kind {
	IB_NOTIFY_TRAP,	 /* wake the supervisor */
	IB_NOTIFY_ERRNO, /* fail in the kernel with errno_value */
};

struct ib_notify_call;
/* Decide one trapped call and answer it (notify.h: ib_notify_reply...). */
typedef void (*ib_notify_handler)(struct ib_notify_call *call);

struct ib_notify_rule {
	const char *syscall; /* libseccomp name */
	enum ib_notify_kind kind;
	int errno_value;
	/* Trap when any alternative matches; no alternative = always. */
	struct ib_notify_match alts[IB_NOTIFY_MAX_ALTS];
	unsigned n_alts;
	ib_notify_handler handler; /* IB_NOTIFY_TRAP */
	const char *rule;	   /* name of the rule, for the audit log */
	/* IB_NOTIFY_ERRNO only: the syscall's number, for a call this
	 * libseccomp does not know yet (a new call: one number on every ABI of
	 * x86_64 and arm64, linux/seccomp.c filters it by hand). */
	int native_nr;
	/* An emulation, not a boundary (rule "sysinfo"): without ironbox's
	 * listener (the spec has its own seccomp agent) the kernel answers. */
	bool view_only;
};

extern const struct ib_notify_rule ib_notify_rules[];
extern const size_t ib_notify_n_rules;

/* The entry for a notification's syscall (by name for its architecture),
 * NULL if none. */
const struct ib_notify_rule *ib_notify_rule_find(uint32_t arch, int nr);
/* The entry named syscall, NULL if none. */
const struct ib_notify_rule *ib_notify_rule_named(const char *syscall);
/* Would the BPF of rule trap a call with these arguments? (the register
 * decision, for unit tests and for the handlers' own sanity checks) */
bool ib_notify_rule_traps(const struct ib_notify_rule *rule, const uint64_t args[6]);

#endif
