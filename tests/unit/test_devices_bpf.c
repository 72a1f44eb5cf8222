/* Unit tests: device rules as a cgroup v2 BPF program (linux/devices_bpf.c).
 * The enforcement test attaches the program to a scratch cgroup of the
 * unified hierarchy and opens devices from a process inside it (root only;
 * skipped where there is no v2 hierarchy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "cgroup/cgroup.h"
#include "linux/devices_bpf.h"

static void test_program_shape(void **state)
{
	struct ib_device_rule rules[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 5, "rw"}};
	struct bpf_insn prog[64];
	size_t n;

	(void)state;
	/* No rules: load the context, deny. */
	n = ib_devices_bpf_program(NULL, 0, prog, 64);
	assert_int_equal(n, 8);
	assert_int_equal(prog[6].imm, 0);
	assert_int_equal(prog[7].code, BPF_JMP | BPF_EXIT);
	/* Too small a buffer is refused, never overrun. */
	assert_int_equal(ib_devices_bpf_program(rules, 2, prog, 10), 0);
	n = ib_devices_bpf_program(rules, 2, prog, 64);
	/* The last rule (allow c 1:5 rw) is tested first: type, access, major,
	 * minor, verdict 1; then the deny-all rule: verdict 0 unconditionally. */
	assert_int_equal(prog[6].code, BPF_JMP | BPF_JNE | BPF_K);
	assert_int_equal(prog[6].imm, BPF_DEVCG_DEV_CHAR);
	assert_int_equal(prog[8].imm, BPF_DEVCG_ACC_MKNOD);
	assert_int_equal(prog[9].imm, 0);
	assert_int_equal(prog[10].imm, 1);
	assert_int_equal(prog[11].imm, 5);
	assert_int_equal(prog[12].imm, 1);
	/* every failed test of the first block jumps to the second block */
	assert_int_equal(6 + 1 + prog[6].off, 14);
	assert_int_equal(11 + 1 + prog[11].off, 14);
	assert_int_equal(prog[14].imm, 0);
	assert_int_equal(n, 16);
}

static char *scratch_cgroup(void)
{
	struct ib_cgroup_layout l;
	ib_err err = {0};
	char *dir;

	if (geteuid() != 0 || ib_cgroup_read_layout(&l, &err) < 0)
		return NULL;
	if (l.v2 < 0 || l.h[l.v2].readonly) {
		ib_cgroup_layout_clear(&l);
		return NULL;
	}
	dir = ib_xasprintf("%s/ib-devtest-%d", l.h[l.v2].mount, (int)getpid());
	ib_cgroup_layout_clear(&l);
	if (mkdir(dir, 0755) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* In a child moved into dir: 0 when /dev/zero opens and /dev/null is
 * refused with EPERM. */
static int probe_in(const char *dir)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		char *procs = ib_xasprintf("%s/cgroup.procs", dir), buf[32];
		int fd = open(procs, O_WRONLY | O_CLOEXEC), n, z, nul;

		n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			_exit(10);
		z = open("/dev/zero", O_RDONLY);
		nul = open("/dev/null", O_RDONLY);
		_exit(z < 0 ? 11 : (nul >= 0 ? 12 : (errno == EPERM ? 0 : 13)));
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static void test_enforced(void **state)
{
	struct ib_device_rule rules[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 5, "rwm"}};
	char *dir = scratch_cgroup();
	ib_err err = {0};
	int fd, r;

	(void)state;
	if (!dir)
		skip();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = ib_devices_bpf_apply(fd, rules, 2, &err);
	if (r == 0) {
		assert_int_equal(probe_in(dir), 0);
		/* An update replaces the program: now /dev/null is allowed too. */
		struct ib_device_rule more[] = {{true, 'a', -1, -1, "rwm"}};
		assert_int_equal(ib_devices_bpf_apply(fd, more, 1, &err), 0);
		assert_int_equal(probe_in(dir), 12);
	}
	close(fd);
	rmdir(dir);
	free(dir);
	if (r < 0)
		fail_msg("%s", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_program_shape),
	    cmocka_unit_test(test_enforced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
