/* The host side of the max-reconciled knobs (knob.h, rule MAX): a small
 * host-wide table beside the ID-range table (/run/ironbox/sysctl.json,
 * flock on /run/ironbox/sysctl.lock, rewritten atomically; no daemon).
 *
 * Per knob it records the host's original value (read the first time a
 * container sets the knob), the value ironbox last applied, and each
 * holder's value (a holder is a container: its state dir, and its
 * supervisor's pid + start time). Reconciling a knob sets the kernel to
 *
 *     max(original, values of the live holders)
 *
 * and, once no holder is left, back to the original (and forgets the
 * knob). A holder's value never holds the host above the admin's ceiling
 * for the knob (policy "sysctlMaximums"), unless the host's own original
 * value is higher already: see ib_sysctl_host_set. If the kernel's value is no longer what ironbox
 * applied, the admin changed it meanwhile: that value becomes the original. A holder is live while
 * its state dir exists and its supervisor runs (the container's private value lives in the
 * supervisor); the others are dropped at the next reconcile of any knob, so a killed supervisor's
 * values go at the latest when its container is deleted (`delete`
 * releases the holder). Every operation reconciles every knob of the
 * table. A table that cannot be parsed is never guessed at: every
 * operation fails (fail closed) and the kernel is left alone. */
#ifndef IRONBOX_SYSCTL_HOSTTABLE_H
#define IRONBOX_SYSCTL_HOSTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "sysctl/knob.h"

#define IB_SYSCTL_TABLE_DIR "/run/ironbox"

/* The holder name of the container with state dir <root>/<id>: an
 * absolute path (malloc'd). */
char *ib_sysctl_holder(const char *root, const char *id);

/* holder (supervisor pid, start) sets k to value: recorded, and the host
 * reconciled. A value the kernel refuses is not kept (its errno).
 * ceiling is the admin's (policy "sysctlMaximums"): a value above it that
 * would raise the host (above its original value, the admin's) is refused
 * with EPERM and changes nothing; one above it that raises nothing (the
 * host's original is at least as high) is accepted and recorded as the
 * ceiling, so that it cannot hold the host up should the admin lower the
 * original later. Either way ironbox never sets the host above
 * max(original, ceiling). */
int ib_sysctl_host_set(const struct ib_knob *k, const char *holder, pid_t pid,
		       unsigned long long start, int64_t value, int64_t ceiling, ib_err *err);
/* holder is gone: its values are dropped and the host reconciled (no
 * error if it held none). */
int ib_sysctl_host_release(const char *holder, ib_err *err);
/* The host's original value of k if the table knows it: 1 (and *value),
 * 0 if not, -1 on error. Shared lock. */
int ib_sysctl_host_original(const struct ib_knob *k, int64_t *value, ib_err *err);

/* Pure: the value the host gets. */
int64_t ib_sysctl_target(int64_t original, const int64_t *values, size_t n);
/* Pure: may a holder set value under ceiling, the host's original being
 * original (it raises the host no higher than max(original, ceiling))?
 * And the value recorded for it then (value, at most the ceiling). */
bool ib_sysctl_within_ceiling(int64_t value, int64_t ceiling, int64_t original);
int64_t ib_sysctl_recorded(int64_t value, int64_t ceiling);

/* Test hooks: the table's directory and the /proc/sys the kernel is read
 * and written at (NULL = the defaults), and the liveness of a holder
 * (NULL = state dir exists and the supervisor runs). */
typedef bool (*ib_sysctl_alive_fn)(const char *holder, pid_t pid, unsigned long long start);
void ib_sysctl_set_paths(const char *table_dir, const char *procsys);
void ib_sysctl_set_alive(ib_sysctl_alive_fn fn);

#endif
