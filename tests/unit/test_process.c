/* Unit tests for src/linux/{process,caps,seccomp,hooks}.c. Anything that
 * changes process credentials or loads a filter runs in a forked child that
 * reports through its exit status. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/hooks.h"
#include "linux/process.h"
#include "linux/syscalls.h"

#define BIT(c) (UINT64_C(1) << (c))

/* ---- the raw system call of the CLONE_VM placeholder --------------------- */

/* A failing call returns -errno and leaves errno alone (the placeholder
 * shares the runtime's memory, and glibc's errno is the runtime's); the
 * control shows glibc's syscall() would have written it. */
static void test_raw_syscall_keeps_errno(void **state)
{
	char c;
	int p[2];

	(void)state;
	errno = 1234;
	assert_int_equal(ib_raw_syscall3(SYS_close, -1, 0, 0), -EBADF);
	assert_int_equal(errno, 1234);
	assert_int_equal(ib_raw_syscall3(SYS_read, -1, (long)(uintptr_t)&c, 1), -EBADF);
	assert_int_equal(errno, 1234);
	/* It does the call: a read at EOF. */
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	assert_int_equal(ib_raw_syscall3(SYS_read, p[0], (long)(uintptr_t)&c, 1), 0);
	assert_int_equal(ib_raw_syscall3(SYS_close, p[0], 0, 0), 0);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	/* Control. */
	errno = 1234;
	assert_int_equal(syscall(SYS_close, -1), -1);
	assert_int_equal(errno, EBADF);
}

/* ---- helpers ---------------------------------------------------------- */

static char warnings[8192];

static void capture_sink(enum ib_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level != IB_LOG_WARNING)
		return;
	size_t len = strlen(warnings);
	snprintf(warnings + len, sizeof(warnings) - len, "%s\n", msg);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s (errno %s)\n", __FILE__,          \
				__LINE__, #cond, strerror(errno));                                 \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Run fn in a forked child; returns its wait status. */
static int run_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_child_ok(void (*fn)(void *), void *arg)
{
	int status = run_child(fn, arg);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static uint64_t status_field(const char *field)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			v = strtoull(line + flen + 1, NULL, 16);
	fclose(f);
	return v;
}

static bool have_root_caps(void)
{
	return geteuid() == 0 && prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1 &&
	       (status_field("CapEff") & BIT(CAP_SYS_ADMIN)) &&
	       (status_field("CapEff") & BIT(CAP_SETPCAP));
}

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/ib-test-process-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	ib_log_set_sink(capture_sink, NULL);
	ib_log_set_level(IB_LOG_WARNING);
	return 0;
}

static int teardown_tmpdir(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *write_script(const char *name, const char *body)
{
	char *path = ib_xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	ib_err err;
	if (ib_read_file_at(AT_FDCWD, path, &data, &len, &err) < 0)
		return NULL;
	return data;
}

/* ---- capabilities ----------------------------------------------------- */

static void test_caps_known_and_bounding(void **state)
{
	char *s;
	long last;
	(void)state;

	s = slurp("/proc/sys/kernel/cap_last_cap");
	assert_non_null(s);
	s[strcspn(s, "\n")] = '\0';
	assert_true(ib_parse_long(s, &last));
	free(s);
	assert_int_equal(ib_caps_all_known(), (BIT(last + 1) - 1));
	assert_int_equal(ib_caps_current_bounding(), status_field("CapBnd"));
}

static void child_caps_subset(void *arg)
{
	struct ib_capabilities caps = {0};
	ib_err err = {0};
	uint64_t want = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	(void)arg;

	/* Make CAP_SYS_RESOURCE unavailable whatever the host gives us. */
	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) == 0);
	warnings[0] = '\0';

	caps.bounding = caps.effective = caps.permitted = want | BIT(CAP_SYS_RESOURCE);
	caps.inheritable = BIT(CAP_CHOWN) | BIT(CAP_SYS_RESOURCE);
	caps.ambient = BIT(CAP_CHOWN);
	if (ib_caps_apply(&caps, &err) < 0) {
		fprintf(stderr, "ib_caps_apply: %s\n", err.msg);
		_exit(1);
	}
	CHECK(status_field("CapEff") == want);
	CHECK(status_field("CapPrm") == want);
	CHECK(status_field("CapBnd") == want);
	CHECK(status_field("CapInh") == BIT(CAP_CHOWN));
	CHECK(status_field("CapAmb") == BIT(CAP_CHOWN));
	CHECK(count_lines(warnings) == 1);
	CHECK(strstr(warnings, "CAP_SYS_RESOURCE") != NULL);
}

static void test_caps_subset_drops_unavailable(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_caps_subset, NULL);
}

static void child_caps_privileged(void *arg)
{
	struct ib_capabilities caps;
	ib_err err = {0};
	uint64_t all = ib_caps_all_known();
	uint64_t bnd;
	(void)arg;

	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) == 0);
	bnd = ib_caps_current_bounding();
	warnings[0] = '\0';
	caps = (struct ib_capabilities){all, all, all, all, all};
	if (ib_caps_apply(&caps, &err) < 0) {
		fprintf(stderr, "ib_caps_apply: %s\n", err.msg);
		_exit(1);
	}
	CHECK(status_field("CapEff") == bnd);
	CHECK(status_field("CapBnd") == bnd);
	CHECK(status_field("CapAmb") == bnd);
	CHECK(!(status_field("CapEff") & BIT(CAP_SYS_RESOURCE)));
	CHECK(count_lines(warnings) == 1);
}

static void test_caps_privileged(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_caps_privileged, NULL);
}

static void child_user_then_caps(void *arg)
{
	struct ib_process p = {0};
	gid_t groups[] = {10, 20};
	gid_t got[8];
	uid_t r, e, s;
	ib_err err = {0};
	struct ib_capabilities caps = {0};
	(void)arg;

	p.uid = 1000;
	p.gid = 1001;
	p.additional_gids = groups;
	p.n_additional_gids = 2;
	if (ib_process_set_user(&p, &err) < 0) {
		fprintf(stderr, "set_user: %s\n", err.msg);
		_exit(1);
	}
	CHECK(getresuid(&r, &e, &s) == 0 && r == 1000 && e == 1000 && s == 1000);
	CHECK(getresgid(&r, &e, &s) == 0 && r == 1001 && e == 1001 && s == 1001);
	CHECK(getgroups(8, got) == 2 && got[0] == 10 && got[1] == 20);
	/* KEEPCAPS kept permitted; effective was cleared by the uid change. */
	CHECK(status_field("CapPrm") != 0);
	CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);

	caps.bounding = caps.permitted = caps.effective = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
	caps.inheritable = caps.ambient = BIT(CAP_NET_BIND_SERVICE);
	if (ib_caps_apply(&caps, &err) < 0) {
		fprintf(stderr, "caps_apply: %s\n", err.msg);
		_exit(1);
	}
	CHECK(status_field("CapEff") == (BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)));
	CHECK(status_field("CapBnd") == (BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)));
	CHECK(status_field("CapAmb") == BIT(CAP_NET_BIND_SERVICE));
}

static void test_set_user_then_caps(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_user_then_caps, NULL);
}

/* ---- seccomp ---------------------------------------------------------- */

static void child_seccomp_basic(void *arg)
{
	char *names[] = {"mkdir", "mkdirat", "no_such_syscall_ironbox", NULL};
	char *allow_names[] = {"getpid", NULL};
	char *archs[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64",
			 "SCMP_ARCH_NOT_A_REAL_ARCH", NULL};
	char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};
	struct ib_seccomp_rule rules[] = {
	    {.names = names,
	     .action = SCMP_ACT_ERRNO(0),
	     .has_errno_ret = true,
	     .errno_ret = EXDEV},
	    /* Same action as the default: must be skipped, not an error. */
	    {.names = allow_names, .action = SCMP_ACT_ALLOW},
	};
	struct ib_seccomp s = {.default_action = SCMP_ACT_ALLOW,
			       .architectures = archs,
			       .flags = flags,
			       .rules = rules,
			       .n_rules = 2};
	ib_err err = {0};
	int nfd = 1234;
	char path[128];
	const char *dir = arg;
	int fd;

	warnings[0] = '\0';
	if (ib_seccomp_load(&s, &nfd, &err) < 0) {
		fprintf(stderr, "seccomp_load: %s\n", err.msg);
		_exit(1);
	}
	CHECK(nfd == -1);
	CHECK(strstr(warnings, "SCMP_ARCH_NOT_A_REAL_ARCH") != NULL);
	snprintf(path, sizeof(path), "%s/sub", dir);
	errno = 0;
	CHECK(mkdir(path, 0755) < 0 && errno == EXDEV);
	CHECK(mkdirat(AT_FDCWD, path, 0755) < 0 && errno == EXDEV);
	CHECK(getpid() > 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	close(fd);
}

static void test_seccomp_errno(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_seccomp_basic, tmpdir);
}

static void child_seccomp_args(void *arg)
{
	char *pers[] = {"personality", NULL};
	char *dup3n[] = {"dup3", NULL};
	/* Two conditions on one argument: split into one rule each. */
	struct ib_seccomp_arg pers_args[] = {
	    {.index = 0, .value = 0x10, .op = SCMP_CMP_EQ},
	    {.index = 0, .value = 0x20, .op = SCMP_CMP_EQ},
	};
	/* Conditions on different arguments: all must match. */
	struct ib_seccomp_arg dup3_args[] = {
	    {.index = 0, .value = 100, .op = SCMP_CMP_EQ},
	    {.index = 1, .value = 101, .op = SCMP_CMP_EQ},
	};
	struct ib_seccomp_arg masked[] = {
	    {.index = 2, .value = 0xf0, .value_two = 0x30, .op = SCMP_CMP_MASKED_EQ},
	};
	struct ib_seccomp_rule rules[] = {
	    {.names = pers,
	     .action = SCMP_ACT_ERRNO(0),
	     .has_errno_ret = true,
	     .errno_ret = EXDEV,
	     .args = pers_args,
	     .n_args = 2},
	    {.names = dup3n,
	     .action = SCMP_ACT_ERRNO(0),
	     .has_errno_ret = true,
	     .errno_ret = EXDEV,
	     .args = dup3_args,
	     .n_args = 2},
	    /* errno defaults to EPERM */
	    {.names = dup3n, .action = SCMP_ACT_ERRNO(0), .args = masked, .n_args = 1},
	};
	struct ib_seccomp s = {.default_action = SCMP_ACT_ALLOW, .rules = rules, .n_rules = 3};
	ib_err err = {0};
	(void)arg;

	if (ib_seccomp_load(&s, NULL, &err) < 0) {
		fprintf(stderr, "seccomp_load: %s\n", err.msg);
		_exit(1);
	}
	errno = 0;
	CHECK(syscall(SYS_personality, 0x10) < 0 && errno == EXDEV);
	CHECK(syscall(SYS_personality, 0x20) < 0 && errno == EXDEV);
	CHECK(syscall(SYS_personality, 0xffffffffUL) >= 0);
	CHECK(syscall(SYS_dup3, 100, 101, 0) < 0 && errno == EXDEV);
	CHECK(syscall(SYS_dup3, 100, 102, 0) < 0 && errno == EBADF);
	CHECK(syscall(SYS_dup3, 100, 102, 0x35) < 0 && errno == EPERM);
	CHECK(syscall(SYS_dup3, 100, 102, 0x45) < 0 && errno == EINVAL); /* kernel, not filter */
}

static void test_seccomp_args(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_seccomp_args, NULL);
}

static void child_seccomp_notify(void *arg)
{
	char *names[] = {"mknodat", NULL};
	struct ib_seccomp_rule rules[] = {{.names = names, .action = SCMP_ACT_NOTIFY}};
	struct ib_seccomp s = {.default_action = SCMP_ACT_ALLOW, .rules = rules, .n_rules = 1};
	ib_err err = {0};
	int nfd = -1;
	(void)arg;

	if (ib_seccomp_load(&s, &nfd, &err) < 0) {
		fprintf(stderr, "seccomp_load: %s\n", err.msg);
		_exit(1);
	}
	CHECK(nfd >= 0);
	CHECK(fcntl(nfd, F_GETFD) & FD_CLOEXEC);
}

static void test_seccomp_notify_fd(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_seccomp_notify, NULL);
}

static void child_seccomp_default_errno(void *arg)
{
	/* Allow every syscall known to libseccomp except getppid, so the
	 * default action (errno ENOTSUP) is what getppid hits; sanitizer
	 * runtimes keep working. */
	char *allowed[1024];
	size_t n = 0;
	struct ib_seccomp_rule rules[] = {{.names = allowed, .action = SCMP_ACT_ALLOW}};
	struct ib_seccomp s = {.default_action = SCMP_ACT_ERRNO(0),
			       .has_default_errno_ret = true,
			       .default_errno_ret = ENOTSUP,
			       .rules = rules,
			       .n_rules = 1};
	ib_err err = {0};
	(void)arg;

	for (int nr = 0; nr < 1000 && n < IB_ARRAY_SIZE(allowed) - 1; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name && strcmp(name, "getppid") != 0)
			allowed[n++] = name;
		else
			free(name);
	}
	allowed[n] = NULL;
	if (ib_seccomp_load(&s, NULL, &err) < 0) {
		fprintf(stderr, "seccomp_load: %s\n", err.msg);
		_exit(1);
	}
	CHECK(syscall(SYS_getpid) > 0);
	errno = 0;
	CHECK(syscall(SYS_getppid) < 0 && errno == ENOTSUP);
	_exit(0);
}

static void test_seccomp_default_errno(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(child_seccomp_default_errno, NULL);
}

/* ---- hooks ------------------------------------------------------------ */

static void test_hooks_success_and_stdin(void **state)
{
	const char *json = "{\"ociVersion\":\"1.0.2\",\"id\":\"abc\",\"status\":\"creating\"}";
	char *script = write_script("stdin.sh", "cat > \"$1\"; echo \"$FOO\" > \"$1.env\"");
	char *out = ib_xasprintf("%s/state.out", tmpdir);
	char *envout = ib_xasprintf("%s/state.out.env", tmpdir);
	char *args[] = {script, out, NULL};
	char *env[] = {"FOO=bar", NULL};
	struct ib_hook hooks[] = {{.path = script, .args = args, .env = env}};
	ib_err err = {0};
	char *got;
	(void)state;

	assert_int_equal(ib_hooks_run("prestart", hooks, 1, json, -1, &err), 0);
	got = slurp(out);
	assert_non_null(got);
	assert_string_equal(got, json);
	free(got);
	got = slurp(envout);
	assert_non_null(got);
	assert_string_equal(got, "bar\n");
	free(got);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	free(script);
	free(out);
	free(envout);
}

static void test_hooks_no_args(void **state)
{
	char *marker = ib_xasprintf("%s/noargs.out", tmpdir);
	char *body = ib_xasprintf("echo \"$0 $#\" > %s", marker);
	char *script = write_script("noargs.sh", body);
	struct ib_hook hooks[] = {{.path = script}};
	ib_err err = {0};
	char *got, *expect;
	(void)state;

	assert_int_equal(ib_hooks_run("poststart", hooks, 1, "{}", -1, &err), 0);
	got = slurp(marker);
	expect = ib_xasprintf("%s 0\n", script);
	assert_non_null(got);
	assert_string_equal(got, expect);
	free(got);
	free(expect);
	free(marker);
	free(body);
	free(script);
}

static void test_hooks_failure_stops(void **state)
{
	char *ok = write_script("ok.sh", "exit 0");
	char *bad = write_script("bad.sh", "echo boom-from-hook >&2; exit 3");
	char *marker = ib_xasprintf("%s/never", tmpdir);
	char *body = ib_xasprintf("touch %s", marker);
	char *after = write_script("after.sh", body);
	struct ib_hook hooks[] = {{.path = ok}, {.path = bad}, {.path = after}};
	ib_err err = {0};
	char *expect;
	(void)state;

	assert_int_equal(ib_hooks_run("createRuntime", hooks, 3, "{}", -1, &err), -1);
	expect = ib_xasprintf("error running createRuntime hook #1: %s: exit status 3", bad);
	assert_non_null(strstr(err.msg, expect));
	assert_non_null(strstr(err.msg, "boom-from-hook"));
	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	free(expect);
	free(ok);
	free(bad);
	free(marker);
	free(body);
	free(after);
}

static void test_hooks_timeout(void **state)
{
	char *slow = write_script("slow.sh", "exec sleep 30");
	struct ib_hook hooks[] = {{.path = slow, .timeout = 1}};
	ib_err err = {0};
	struct timespec a, b;
	double elapsed;
	char *expect;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(ib_hooks_run("poststop", hooks, 1, "{}", -1, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	elapsed = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(elapsed >= 0.9 && elapsed < 2.0);
	expect = ib_xasprintf("poststop hook #0 (%s): timeout after 1s", slow);
	assert_non_null(strstr(err.msg, expect));
	assert_int_equal(err.code, ETIMEDOUT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	free(expect);
	free(slow);
}

static void test_hooks_missing_binary(void **state)
{
	char *path = ib_xasprintf("%s/does-not-exist", tmpdir);
	struct ib_hook hooks[] = {{.path = path}};
	ib_err err = {0};
	(void)state;

	assert_int_equal(ib_hooks_run("prestart", hooks, 1, "{}", -1, &err), -1);
	assert_non_null(strstr(err.msg, "exit status 127"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	free(path);
}

/* ---- exec ------------------------------------------------------------- */

struct exec_case {
	char **args;
	char **env;
	const char *expect_msg; /* NULL: expect exec to succeed */
	int expect_exit;
};

static void child_exec(void *arg)
{
	struct exec_case *c = arg;
	struct ib_process p = {.args = c->args, .env = c->env};
	ib_err err = {0};

	ib_process_exec(&p, &err);
	if (c->expect_msg && strcmp(err.msg, c->expect_msg) == 0)
		_exit(c->expect_exit);
	fprintf(stderr, "exec error: \"%s\", expected \"%s\"\n", err.msg,
		c->expect_msg ? c->expect_msg : "(success)");
	_exit(99);
}

static void expect_exec(char **args, char **env, const char *msg, int code)
{
	struct exec_case c = {args, env, msg, code};
	int status = run_child(child_exec, &c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void test_exec(void **state)
{
	char *noexec = ib_xasprintf("%s/noexec", tmpdir);
	char *pathenv = ib_xasprintf("PATH=/nonexistent::%s", tmpdir);
	char *a_missing[] = {"ironbox-no-such-cmd", NULL};
	char *a_sh[] = {"sh", "-c", "exit 42", NULL};
	char *a_true[] = {"true", NULL};
	char *a_abs_missing[] = {"/no/such/bin", NULL};
	char *a_noexec[] = {"noexec", NULL};
	char *a_noexec_abs[] = {noexec, NULL};
	char *a_dir[] = {"/", NULL};
	char *env_path[] = {"A=b", "PATH=/nonexistent:/usr/bin:/bin", NULL};
	char *env_nopath[] = {"A=b", NULL};
	char *env_tmp[] = {pathenv, NULL};
	char *expect;
	int fd;
	(void)state;

	expect_exec(a_missing, env_path,
		    "exec: \"ironbox-no-such-cmd\": executable file not found in $PATH", 7);
	expect_exec(a_sh, env_path, NULL, 42);
	expect_exec(a_true, env_nopath, NULL, 0);
	expect_exec(a_true, NULL, NULL, 0);
	expect_exec(a_abs_missing, env_path,
		    "exec: \"/no/such/bin\": stat /no/such/bin: no such file or directory", 8);
	expect_exec(a_dir, env_path, "exec: \"/\": Is a directory", 9);

	fd = open(noexec, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	expect_exec(a_noexec, env_tmp, "exec: \"noexec\": permission denied", 10);
	expect = ib_xasprintf("exec: \"%s\": permission denied", noexec);
	expect_exec(a_noexec_abs, env_tmp, expect, 11);
	free(expect);
	free(noexec);
	free(pathenv);
}

/* ---- rlimits, oom, lsm ------------------------------------------------ */

static void child_rlimits(void *arg)
{
	struct ib_rlimit rl[] = {
	    {.resource = RLIMIT_NOFILE, .soft = 100, .hard = 200},
	    {.resource = RLIMIT_CORE, .soft = UINT64_MAX, .hard = UINT64_MAX},
	};
	struct ib_rlimit bad[] = {{.resource = RLIMIT_NOFILE, .soft = 300, .hard = 100}};
	struct ib_process p = {.rlimits = rl, .n_rlimits = 2};
	struct rlimit got;
	ib_err err = {0};
	(void)arg;

	CHECK(ib_process_apply_rlimits(&p, &err) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200);
	CHECK(getrlimit(RLIMIT_CORE, &got) == 0 && got.rlim_cur == RLIM_INFINITY &&
	      got.rlim_max == RLIM_INFINITY);
	p.rlimits = bad;
	p.n_rlimits = 1;
	CHECK(ib_process_apply_rlimits(&p, &err) < 0);
	CHECK(err.code == EINVAL && strstr(err.msg, "RLIMIT_NOFILE") != NULL);
}

static void test_rlimits(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	expect_child_ok(child_rlimits, NULL);
}

static void child_oom(void *arg)
{
	struct ib_process p = {.has_oom_score_adj = true, .oom_score_adj = 321};
	ib_err err = {0};
	char *got;
	(void)arg;

	CHECK(ib_process_apply_oom_score_adj(&p, &err) == 0);
	got = slurp("/proc/self/oom_score_adj");
	CHECK(got && strcmp(got, "321\n") == 0);
	free(got);
}

static void test_oom_score_adj(void **state)
{
	(void)state;
	expect_child_ok(child_oom, NULL);
}

static void test_lsm_without_lsm(void **state)
{
	struct ib_process p = {.apparmor_profile = "docker-default"};
	ib_err err = {0};
	char *enabled = slurp("/sys/module/apparmor/parameters/enabled");
	(void)state;

	if ((enabled && enabled[0] == 'Y') || access("/sys/fs/selinux", F_OK) == 0) {
		free(enabled);
		skip();
	}
	free(enabled);
	warnings[0] = '\0';
	assert_int_equal(ib_lsm_apply(&p, &err), 0);
	assert_non_null(strstr(warnings, "docker-default"));
	p.apparmor_profile = NULL;
	p.selinux_label = "system_u:system_r:container_t:s0";
	assert_int_equal(ib_lsm_apply(&p, &err), 0);
}

/* ---- environment ------------------------------------------------------ */

static void test_env_merge_last_wins_first_place(void **state)
{
	char *in[] = {"A=1", "PATH=/bin", "A=2", "B=", "PATH=/usr/bin:/bin", "C=x=y", NULL};
	char **out = NULL;
	ib_err err = {0};
	(void)state;

	assert_int_equal(ib_env_merge(in, &out, &err), 0);
	assert_int_equal(ib_strv_len(out), 4);
	assert_string_equal(out[0], "A=2");
	assert_string_equal(out[1], "PATH=/usr/bin:/bin");
	assert_string_equal(out[2], "B=");
	assert_string_equal(out[3], "C=x=y");
	assert_null(ib_env_get(out, "D"));
	assert_string_equal(ib_env_get(out, "C"), "x=y");
	/* A name that is a prefix of another is another variable. */
	assert_null(ib_env_get(out, "PAT"));
	ib_strv_free(out);

	out = NULL;
	assert_int_equal(ib_env_merge(NULL, &out, &err), 0);
	assert_int_equal(ib_strv_len(out), 0);
	ib_strv_free(out);
}

static void test_env_merge_rejects_bad_entries(void **state)
{
	char *no_eq[] = {"A=1", "JUSTNAME", NULL};
	char *no_name[] = {"=value", NULL};
	char **out = NULL;
	ib_err err = {0};
	(void)state;

	assert_int_equal(ib_env_merge(no_eq, &out, &err), -1);
	assert_null(out);
	assert_non_null(strstr(err.msg, "JUSTNAME"));
	assert_non_null(strstr(err.msg, "missing '='"));
	assert_int_equal(ib_env_merge(no_name, &out, &err), -1);
	assert_non_null(strstr(err.msg, "name cannot be empty"));
}

static void test_env_default_home(void **state)
{
	char **env = ib_strv_dup((char *[]){"A=1", "HOME=", "B=2", NULL});
	(void)state;

	/* Empty HOME is filled in place (runc: os.Getenv("HOME") == ""). */
	ib_env_default_home(&env, "/root");
	assert_int_equal(ib_strv_len(env), 3);
	assert_string_equal(env[1], "HOME=/root");
	/* A HOME that is set stays. */
	ib_env_default_home(&env, "/other");
	assert_string_equal(env[1], "HOME=/root");
	ib_strv_free(env);

	env = ib_strv_dup((char *[]){"A=1", NULL});
	ib_env_default_home(&env, "/home/u");
	assert_int_equal(ib_strv_len(env), 2);
	assert_string_equal(env[1], "HOME=/home/u");
	ib_strv_free(env);
}

static void test_passwd_home(void **state)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "first:x:1000:1000::/home/first:/bin/sh\n"
				     "second:x:1000:1000::/home/second:/bin/sh\n"
				     "nohome:x:1001:1001:::/bin/sh\n";
	FILE *f;
	char *h;
	(void)state;

	f = fmemopen((void *)passwd, sizeof(passwd) - 1, "r");
	h = ib_passwd_home(f, 1000);
	assert_string_equal(h, "/home/first"); /* the first entry for the uid */
	free(h);
	rewind(f);
	h = ib_passwd_home(f, 4242);
	assert_string_equal(h, "/"); /* no entry */
	free(h);
	rewind(f);
	h = ib_passwd_home(f, 1001);
	assert_string_equal(h, ""); /* the entry's (empty) home, as runc */
	free(h);
	fclose(f);
	h = ib_passwd_home(NULL, 0); /* no /etc/passwd */
	assert_string_equal(h, "/");
	free(h);
}

/* ---- fds and cwd ------------------------------------------------------ */

static void close_fds_child(void *arg)
{
	int keep[2], other[3];
	ib_err err = {0};
	(void)arg;

	for (int i = 0; i < 3; i++)
		CHECK((other[i] = open("/", O_PATH | O_CLOEXEC)) >= 0);
	CHECK((keep[0] = open("/", O_PATH | O_CLOEXEC)) >= 0);
	CHECK((keep[1] = open("/", O_PATH | O_CLOEXEC)) >= 0);
	CHECK(ib_close_fds_except(3, (int[]){keep[1], -1, keep[0]}, 3, &err) == 0);
	CHECK(fcntl(keep[0], F_GETFD) >= 0 && fcntl(keep[1], F_GETFD) >= 0);
	for (int i = 0; i < 3; i++)
		CHECK(fcntl(other[i], F_GETFD) < 0 && errno == EBADF);
	/* Nothing above the kept ones either. */
	CHECK(fcntl(keep[1] + 1, F_GETFD) < 0);
}

static void test_close_fds_except(void **state)
{
	(void)state;
	expect_child_ok(close_fds_child, NULL);
}

static void verify_cwd_child(void *arg)
{
	const char *dir = arg;
	char *inner = ib_xasprintf("%s/root", dir);
	ib_err err = {0};

	CHECK(mkdir(inner, 0755) == 0 || errno == EEXIST);
	CHECK(chdir(inner) == 0);
	CHECK(ib_verify_cwd(&err) == 0);
	/* The root moves below the cwd: the cwd is now outside it (what a
	 * chdir to /proc/self/fd/<host dir> gives a container process). */
	CHECK(chdir(dir) == 0);
	CHECK(chroot(inner) == 0);
	CHECK(ib_verify_cwd(&err) == -1);
	CHECK(strstr(err.msg, "outside") != NULL);
	CHECK(chdir("/") == 0);
	CHECK(ib_verify_cwd(&err) == 0);
	free(inner);
}

static void test_verify_cwd(void **state)
{
	(void)state;
	if (!have_root_caps())
		skip();
	expect_child_ok(verify_cwd_child, tmpdir);
}

static void test_check_preserved_fds(void **state)
{
	ib_err err = {0};
	int fd;
	(void)state;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 3);
	assert_int_equal(ib_check_preserved_fds(0, &err), 0);
	assert_int_equal(ib_check_preserved_fds(fd - 2, &err), 0);
	close(fd);
	assert_int_equal(ib_check_preserved_fds(fd - 2, &err), -1);
	assert_non_null(strstr(err.msg, "is not open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_caps_known_and_bounding),
	    cmocka_unit_test(test_caps_subset_drops_unavailable),
	    cmocka_unit_test(test_caps_privileged),
	    cmocka_unit_test(test_set_user_then_caps),
	    cmocka_unit_test(test_seccomp_errno),
	    cmocka_unit_test(test_seccomp_args),
	    cmocka_unit_test(test_seccomp_notify_fd),
	    cmocka_unit_test(test_seccomp_default_errno),
	    cmocka_unit_test(test_hooks_success_and_stdin),
	    cmocka_unit_test(test_hooks_no_args),
	    cmocka_unit_test(test_hooks_failure_stops),
	    cmocka_unit_test(test_hooks_timeout),
	    cmocka_unit_test(test_hooks_missing_binary),
	    cmocka_unit_test(test_exec),
	    cmocka_unit_test(test_rlimits),
	    cmocka_unit_test(test_oom_score_adj),
	    cmocka_unit_test(test_lsm_without_lsm),
	    cmocka_unit_test(test_env_merge_last_wins_first_place),
	    cmocka_unit_test(test_env_merge_rejects_bad_entries),
	    cmocka_unit_test(test_env_default_home),
	    cmocka_unit_test(test_passwd_home),
	    cmocka_unit_test(test_raw_syscall_keeps_errno),
	    cmocka_unit_test(test_close_fds_except),
	    cmocka_unit_test(test_verify_cwd),
	    cmocka_unit_test(test_check_preserved_fds),
	};
	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
