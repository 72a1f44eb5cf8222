/* Device rules on cgroup v2: there is no devices controller, the kernel asks
 * a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. The program
 * is generated from the OCI rules: the last matching rule decides (so rules
 * are tested from the last one back), nothing matching is denied. */
#include "linux/devices_bpf.h"

#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static unsigned access_bits(const char *access)
{
	unsigned a = 0;

	for (const char *p = access; *p; p++)
		a |= *p == 'm'	 ? BPF_DEVCG_ACC_MKNOD
		     : *p == 'r' ? BPF_DEVCG_ACC_READ
		     : *p == 'w' ? BPF_DEVCG_ACC_WRITE
				 : 0;
	return a;
}

size_t ib_devices_bpf_program(const struct ib_device_rule *rules, size_t n, struct bpf_insn *out,
			      size_t max)
{
	const unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	size_t k = 0;

	if (max < 8 + 8 * n)
		return 0;
	/* r2 = device type, r3 = requested access, r4 = major, r5 = minor */
	out[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0);
	out[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
	out[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
	out[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
	out[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
	for (size_t i = n; i-- > 0;) {
		const struct ib_device_rule *r = &rules[i];
		unsigned acc = access_bits(r->access);
		size_t jumps[4], nj = 0;

		if (r->type == 'c' || r->type == 'b') {
			jumps[nj++] = k;
			out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
					r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
		}
		if ((acc & all) != all) {
			/* every requested access bit must be in the rule */
			out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
			out[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int)(~acc & all));
			jumps[nj++] = k;
			out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0);
		}
		if (r->major >= 0) {
			jumps[nj++] = k;
			out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int)r->major);
		}
		if (r->minor >= 0) {
			jumps[nj++] = k;
			out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int)r->minor);
		}
		out[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
		out[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		/* a failed test skips to the next rule */
		for (size_t j = 0; j < nj; j++)
			out[jumps[j]].off = (short)(k - jumps[j] - 1);
		/* A rule without tests decides everything left: anything after it
		 * would be unreachable, which the verifier refuses. */
		if (nj == 0)
			return k;
	}
	out[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	out[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return k;
}

int ib_devices_bpf_apply(int cgroup_fd, const struct ib_device_rule *rules, size_t n, ib_err *err)
{
	size_t max = 8 + 8 * n;
	_cleanup_free_ struct bpf_insn *prog = ib_xmalloc0(max * sizeof(*prog));
	size_t len = ib_devices_bpf_program(rules, n, prog, max);
	char log[4096] = "";
	union bpf_attr attr;
	uint32_t old[64], n_old = IB_ARRAY_SIZE(old);
	_cleanup_close_ int fd = -1;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)len;
	attr.license = (uint64_t)(uintptr_t) "Apache";
	/* No verifier log on the way that works: a verbose log longer than
	 * the buffer fails the load with ENOSPC (kernel >= 6.4), and the
	 * spec's rules make it long. The log is asked for only to explain a
	 * failure. */
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		fd = sys_bpf(BPF_PROG_LOAD, &attr);
	}
	if (fd < 0)
		return ib_err_sys(err, "load the device-rules BPF program%s%s", *log ? ": " : "",
				  log);
	/* Programs attached earlier (an update) are replaced: with several,
	 * each would have to allow an access. */
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)old;
	attr.query.prog_cnt = n_old;
	if (sys_bpf(BPF_PROG_QUERY, &attr) == 0)
		n_old = attr.query.prog_cnt;
	else
		n_old = 0;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return ib_err_sys(err, "attach the device-rules BPF program");
	for (uint32_t i = 0; i < n_old && i < IB_ARRAY_SIZE(old); i++) {
		_cleanup_close_ int ofd = -1;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old[i];
		ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (ofd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cgroup_fd;
		attr.attach_bpf_fd = (uint32_t)ofd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
			return ib_err_sys(err, "detach the previous device-rules BPF program");
	}
	return 0;
}
