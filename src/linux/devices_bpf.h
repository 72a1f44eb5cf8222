/* Device cgroup rules on cgroup v2, as a BPF_PROG_TYPE_CGROUP_DEVICE program. */
#ifndef IRONBOX_DEVICES_BPF_H
#define IRONBOX_DEVICES_BPF_H

#include <stddef.h>

#include "common/err.h"
#include "spec/spec.h"

struct bpf_insn;

/* The program for rules (OCI order: the last matching rule wins, no match is
 * denied) into out[0..max); returns its length, 0 if max is too small
 * (8 + 8 * n always suffices). Pure, for tests. */
size_t ib_devices_bpf_program(const struct ib_device_rule *rules, size_t n, struct bpf_insn *out,
			      size_t max);
/* Load it and attach it to the v2 cgroup cgroup_fd, replacing device
 * programs attached before (update). */
int ib_devices_bpf_apply(int cgroup_fd, const struct ib_device_rule *rules, size_t n, ib_err *err);

#endif
