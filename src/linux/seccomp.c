/* linux.seccomp -> libseccomp filter, loaded into the calling process; and
 * ironbox's own filter, whose trapped calls go to the supervisor. */
#include "linux/process.h"

#include <ctype.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/seccomp_prebuilt.h"
#include "linux/sync.h"
#include "supervisor/notify_rules.h"

#define IB_SCMP_ACTION_MASK 0xffff0000U /* SECCOMP_RET_ACTION_FULL */
#define IB_SCMP_MAX_ARGS 6

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Fold errnoRet into ERRNO/TRACE actions (EPERM when not given, like runc). */
static uint32_t full_action(uint32_t action, bool has_errno_ret, uint32_t errno_ret)
{
	uint32_t base = action & IB_SCMP_ACTION_MASK;

	if (base == SCMP_ACT_ERRNO(0) || base == SCMP_ACT_TRACE(0)) {
		uint32_t data = action & 0xffffU;
		if (has_errno_ret)
			data = errno_ret & 0xffffU;
		else if (data == 0)
			data = EPERM;
		return base | data;
	}
	return action;
}

static int add_arch(scmp_filter_ctx ctx, const char *spec_name, ib_err *err)
{
	const char *name = spec_name;
	char lower[64];
	uint32_t arch;
	size_t i;
	int rc;

	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';

	if (strcmp(lower, "native") == 0)
		arch = SCMP_ARCH_NATIVE;
	else
		arch = seccomp_arch_resolve_name(lower);
	if (arch == 0) {
		ib_warn("seccomp: ignoring unknown architecture %s", spec_name);
		return 0;
	}
	rc = seccomp_arch_add(ctx, arch);
	if (rc < 0 && rc != -EEXIST)
		return ib_err_set(err, -rc, "seccomp: add architecture %s: %s", spec_name,
				  strerror(-rc));
	return 0;
}

static int set_flag(scmp_filter_ctx ctx, const char *flag, ib_err *err)
{
	enum scmp_filter_attr attr;
	int rc;

	if (strcmp(flag, "SECCOMP_FILTER_FLAG_TSYNC") == 0) {
		attr = SCMP_FLTATR_CTL_TSYNC;
	} else if (strcmp(flag, "SECCOMP_FILTER_FLAG_LOG") == 0) {
		attr = SCMP_FLTATR_CTL_LOG;
	} else if (strcmp(flag, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0) {
		attr = SCMP_FLTATR_CTL_SSB;
	} else if (strcmp(flag, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
		attr = SCMP_FLTATR_CTL_WAITKILL;
#else
		ib_debug("seccomp: flag %s not supported by this libseccomp, ignored", flag);
		return 0;
#endif
	} else {
		ib_warn("seccomp: ignoring unsupported flag %s", flag);
		return 0;
	}
	rc = seccomp_attr_set(ctx, attr, 1);
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: set flag %s: %s", flag, strerror(-rc));
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct ib_seccomp_rule *r, uint32_t action,
		    const char *name, int nr, ib_err *err)
{
	struct scmp_arg_cmp cmps[IB_SCMP_MAX_ARGS];
	unsigned count[IB_SCMP_MAX_ARGS] = {0};
	bool split = false;
	int rc;

	for (size_t i = 0; i < r->n_args; i++) {
		const struct ib_seccomp_arg *a = &r->args[i];
		if (a->index >= IB_SCMP_MAX_ARGS)
			return ib_err_set(err, EINVAL,
					  "seccomp: %s: argument index %u out of range", name,
					  a->index);
		if (a->op <= _SCMP_CMP_MIN || a->op >= _SCMP_CMP_MAX)
			return ib_err_set(err, EINVAL,
					  "seccomp: %s: invalid comparison operator %d", name,
					  a->op);
		if (++count[a->index] > 1)
			split = true;
	}

	/* More than IB_SCMP_MAX_ARGS conditions implies a repeated index. */
	if (!split) {
		for (size_t i = 0; i < r->n_args; i++) {
			const struct ib_seccomp_arg *a = &r->args[i];
			cmps[i] = (struct scmp_arg_cmp){.arg = a->index,
							.op = (enum scmp_compare)a->op,
							.datum_a = a->value,
							.datum_b = a->value_two};
		}
		rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)r->n_args, cmps);
		if (rc < 0)
			return ib_err_set(err, -rc, "seccomp: add rule for %s: %s", name,
					  strerror(-rc));
		return 0;
	}

	/* libseccomp refuses several conditions on one argument in a single
	 * rule: add one rule per condition (what runc does). */
	for (size_t i = 0; i < r->n_args; i++) {
		const struct ib_seccomp_arg *a = &r->args[i];
		struct scmp_arg_cmp c = {.arg = a->index,
					 .op = (enum scmp_compare)a->op,
					 .datum_a = a->value,
					 .datum_b = a->value_two};
		rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
		if (rc < 0)
			return ib_err_set(err, -rc, "seccomp: add rule for %s: %s", name,
					  strerror(-rc));
	}
	return 0;
}

int ib_seccomp_load(const struct ib_seccomp *s, int *notify_fd_out, ib_err *err)
{
	__attribute__((cleanup(seccomp_ctx_releasep))) scmp_filter_ctx ctx = NULL;
	uint32_t def_action;
	bool has_notify = false;
	int rc;

	if (notify_fd_out)
		*notify_fd_out = -1;

	def_action = full_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
	ctx = seccomp_init(def_action);
	if (!ctx)
		return ib_err_set(err, EINVAL, "seccomp: invalid default action %#x", def_action);

	/* no_new_privs is the caller's decision (process.noNewPrivileges). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: clear NNP attribute: %s", strerror(-rc));

	for (size_t i = 0; s->architectures && s->architectures[i]; i++)
		if (add_arch(ctx, s->architectures[i], err) < 0)
			return -1;
	for (size_t i = 0; s->flags && s->flags[i]; i++)
		if (set_flag(ctx, s->flags[i], err) < 0)
			return -1;

	for (size_t i = 0; i < s->n_rules; i++) {
		const struct ib_seccomp_rule *r = &s->rules[i];
		uint32_t action = full_action(r->action, r->has_errno_ret, r->errno_ret);

		/* libseccomp rejects rules whose action is the default one. */
		if (action == def_action)
			continue;
		for (size_t j = 0; r->names && r->names[j]; j++) {
			int nr = seccomp_syscall_resolve_name(r->names[j]);
			if (nr == __NR_SCMP_ERROR) {
				ib_debug("seccomp: unknown syscall %s skipped", r->names[j]);
				continue;
			}
			if (add_rule(ctx, r, action, r->names[j], nr, err) < 0)
				return -1;
			if ((action & IB_SCMP_ACTION_MASK) == SCMP_ACT_NOTIFY)
				has_notify = true;
		}
	}

	rc = seccomp_load(ctx);
	if (rc == -EBUSY && has_notify)
		/* The kernel allows one listener per filter chain, and ironbox's
		 * supervisor holds it. */
		return ib_err_set(err, EBUSY,
				  "seccomp: the profile's SCMP_ACT_NOTIFY rules cannot be combined "
				  "with ironbox's supervisor (one seccomp listener per process)");
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: load filter: %s", strerror(-rc));

	if (has_notify) {
		int fd = seccomp_notify_fd(ctx);
		if (fd < 0)
			return ib_err_set(err, -fd, "seccomp: get notify fd: %s", strerror(-fd));
		if (notify_fd_out)
			*notify_fd_out = fd;
		else
			close(fd);
	}
	return 0;
}

int ib_seccomp_agent_send(const char *listener_path, int listener_fd, pid_t pid,
			  const char *metadata, const char *state_json, ib_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct json_object *msg = json_object_new_object(), *fds = json_object_new_array(), *state;
	int r;

	if (sock < 0) {
		json_object_put(msg);
		json_object_put(fds);
		return ib_err_sys(err, "seccomp agent: socket");
	}
	/* The runtime spec's containerProcessState: the fd rides along as
	 * SCM_RIGHTS, named by "fds". */
	json_object_object_add(msg, "ociVersion", json_object_new_string("1.0.2"));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(msg, "fds", fds);
	json_object_object_add(msg, "pid", json_object_new_int(pid));
	json_object_object_add(msg, "metadata", json_object_new_string(metadata ? metadata : ""));
	state = json_tokener_parse(state_json);
	json_object_object_add(msg, "state", state ? state : json_object_new_object());
	if (strlen(listener_path) >= sizeof(sa.sun_path)) {
		json_object_put(msg);
		return ib_err_set(err, ENAMETOOLONG, "seccomp agent: listenerPath too long: %s",
				  listener_path);
	}
	strcpy(sa.sun_path, listener_path);
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		json_object_put(msg);
		return ib_err_sys(err, "seccomp agent: connect to %s", listener_path);
	}
	r = ib_send_fd_named(sock, listener_fd,
			     json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN), err);
	json_object_put(msg);
	return r < 0 ? ib_err_wrap(err, "seccomp agent %s", listener_path) : 0;
}

/* ---- ironbox's own filter ---- */

/* The other ABIs the kernel runs beside the native one: a 64-bit process
 * can make 32-bit system calls, which must not slip past the filter. */
static int add_compat_arches(scmp_filter_ctx ctx, ib_err *err)
{
	static const uint32_t arches[] = {
#if defined(__x86_64__)
		SCMP_ARCH_X86,
		SCMP_ARCH_X32,
#elif defined(__aarch64__)
		SCMP_ARCH_ARM,
#endif
		0
	};

	for (size_t i = 0; arches[i]; i++) {
		int rc = seccomp_arch_add(ctx, arches[i]);
		if (rc < 0 && rc != -EEXIST)
			return ib_err_set(err, -rc, "seccomp: add architecture: %s", strerror(-rc));
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, ib_err *err)
{
	_cleanup_close_ int mfd = memfd_create("ironbox-bpf", MFD_CLOEXEC);
	off_t len;
	int rc;

	if (mfd < 0)
		return ib_err_sys(err, "seccomp: memfd");
	rc = seccomp_export_bpf(ctx, mfd);
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: export filter: %s", strerror(-rc));
	len = lseek(mfd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter))
		return ib_err_set(err, EINVAL, "seccomp: bad exported filter");
	prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	prog->filter = ib_xmalloc0((size_t)len);
	if (pread(mfd, prog->filter, (size_t)len, 0) != len) {
		free(prog->filter);
		return ib_err_sys(err, "seccomp: read exported filter");
	}
	return 0;
}

/* Calls this libseccomp does not know yet (entries with native_nr): a
 * small program of our own, since libseccomp refuses numbers it cannot name;
 * it is put in front of libseccomp's (one filter, not two: each filter
 * costs its load and runs on every system call).
 * New system calls have one number on every ABI of x86_64 and arm64
 * kernels (x32 adds its bit), so it needs no architecture check. */
#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_UNIFIED_NR 1
#endif
#define X32_SYSCALL_BIT 0x40000000U

static int build_unknown(struct sock_fprog *extra, ib_err *err)
{
	struct sock_filter *f = ib_xmalloc0((4 * ib_notify_n_rules + 2) * sizeof(*f));
	unsigned short n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < ib_notify_n_rules; i++) {
		const struct ib_notify_rule *r = &ib_notify_rules[i];
		uint32_t ret = SECCOMP_RET_ERRNO | ((uint32_t)r->errno_value & SECCOMP_RET_DATA);

		if (seccomp_syscall_resolve_name(r->syscall) != __NR_SCMP_ERROR)
			continue;
			/* Fail closed: a call we cannot filter could go around the rule. */
#ifdef HAVE_UNIFIED_NR
		if (r->kind == IB_NOTIFY_ERRNO && r->native_nr > 0 && r->n_alts == 0) {
			/* nr == native_nr (or its x32 twin): errno, else next */
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							      (uint32_t)r->native_nr, 0, 1);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret);
			f[n++] = (struct sock_filter)BPF_JUMP(
			    BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->native_nr | X32_SYSCALL_BIT, 0,
			    1);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret);
			continue;
		}
#endif
		free(f);
		return ib_err_set(err, ENOSYS, "seccomp: libseccomp does not know %s", r->syscall);
	}
	if (n == 1) {
		free(f);
		extra->len = 0;
		extra->filter = NULL;
		return 0;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	extra->len = n;
	extra->filter = f;
	return 0;
}

/* The BPF of notify_rules.h that libseccomp builds. Unknown architectures
 * are killed (libseccomp's default): every ABI of this kernel is in it. */
static int build_known(struct sock_fprog *prog, bool notify, ib_err *err)
{
	__attribute__((cleanup(seccomp_ctx_releasep))) scmp_filter_ctx ctx =
	    seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!ctx)
		return ib_err_set(err, ENOMEM, "seccomp: init");
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: clear NNP attribute: %s", strerror(-rc));
	/* A binary tree of syscall numbers, not a chain: every call of the
	 * container runs through this filter (a few comparisons, not one per
	 * rule), and the kernel's per-syscall cache, computed at load by
	 * running the filter for each number, is quick to build. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0)
		return ib_err_set(err, -rc, "seccomp: binary tree: %s", strerror(-rc));
	if (add_compat_arches(ctx, err) < 0)
		return -1;
	for (size_t i = 0; i < ib_notify_n_rules; i++) {
		const struct ib_notify_rule *r = &ib_notify_rules[i];
		int nr = seccomp_syscall_resolve_name(r->syscall);
		/* Without a listener (the spec has its own seccomp agent: one
		 * listener per process), what would be vetted is refused. */
		uint32_t action = r->kind != IB_NOTIFY_TRAP
				      ? SCMP_ACT_ERRNO((uint32_t)r->errno_value)
				  : notify ? SCMP_ACT_NOTIFY
					   : SCMP_ACT_ERRNO(EPERM);

		if (nr == __NR_SCMP_ERROR)
			continue; /* build_unknown's */
		/* Without our listener nothing of ours is NOTIFY, and ERRNO wins
		 * over any listener the process gets: the spec's agent needs one. */
		if (!notify && r->kind == IB_NOTIFY_ERRNO && !strcmp(r->syscall, "seccomp"))
			continue;
		if (!notify && r->view_only)
			continue; /* an emulation: the kernel's answer then */
		if (r->n_alts == 0) {
			rc = seccomp_rule_add(ctx, action, nr, 0);
		} else {
			for (unsigned a = 0; a < r->n_alts; a++) {
				struct scmp_arg_cmp cmp[IB_NOTIFY_MAX_CONDS];

				for (unsigned k = 0; k < r->alts[a].n_conds; k++)
					cmp[k] = (struct scmp_arg_cmp){
					    .arg = r->alts[a].conds[k].arg,
					    .op = SCMP_CMP_MASKED_EQ,
					    .datum_a = r->alts[a].conds[k].mask,
					    .datum_b = r->alts[a].conds[k].value};
				rc = seccomp_rule_add_array(ctx, action, nr, r->alts[a].n_conds,
							    cmp);
				if (rc < 0)
					break;
			}
		}
		if (rc < 0)
			return ib_err_set(err, -rc, "seccomp: rule for %s: %s", r->syscall,
					  strerror(-rc));
	}
	return export_bpf(ctx, prog, err);
}

/* The whole filter: the unknown calls' program, whose final "allow" falls
 * through into libseccomp's. Its jumps are forward and within itself, the
 * last one at most to that final instruction, which is now libseccomp's
 * first: the same decisions as the two loaded one after the other. */
static int build_supervised(struct sock_fprog *prog, bool notify, ib_err *err)
{
	struct sock_fprog unknown = {0}, known = {0};
	size_t n;

	*prog = (struct sock_fprog){0};
	if (build_unknown(&unknown, err) < 0)
		return -1;
	if (build_known(&known, notify, err) < 0) {
		free(unknown.filter);
		return -1;
	}
	if (unknown.len == 0) {
		*prog = known;
		return 0;
	}
	n = (size_t)unknown.len - 1 + known.len;
	if (n > BPF_MAXINSNS) {
		free(unknown.filter);
		free(known.filter);
		return ib_err_set(err, E2BIG, "seccomp: filter of %zu instructions", n);
	}
	prog->filter = ib_xmalloc0(n * sizeof(*prog->filter));
	memcpy(prog->filter, unknown.filter, (unknown.len - 1) * sizeof(*prog->filter));
	memcpy(prog->filter + unknown.len - 1, known.filter, known.len * sizeof(*prog->filter));
	prog->len = (unsigned short)n;
	free(unknown.filter);
	free(known.filter);
	return 0;
}

int ib_seccomp_build_supervised_all(struct sock_fprog *prog, struct sock_fprog *quiet, ib_err *err)
{
	*prog = *quiet = (struct sock_fprog){0};
	if (build_supervised(prog, true, err) < 0)
		return -1;
	if (build_supervised(quiet, false, err) < 0) {
		free(prog->filter);
		*prog = (struct sock_fprog){0};
		return -1;
	}
	return 0;
}

/* Built once per runtime process (or linked in prebuilt); a child (clone3
 * without CLONE_VM) gets its copy. */
static struct {
	bool ready, prebuilt;
	struct sock_fprog prog;
} filter;

static struct sock_fprog prebuilt_prog(unsigned short n, const struct sock_filter *f)
{
	/* The kernel only reads the program. */
	return (struct sock_fprog){.len = n, .filter = (struct sock_filter *)f};
}

int ib_seccomp_prepare_supervised(ib_err *err)
{
	if (filter.ready)
		return 0;
	if (&ib_seccomp_prebuilt != NULL) {
		filter.prog = prebuilt_prog(ib_seccomp_prebuilt.n_prog, ib_seccomp_prebuilt.prog);
		filter.ready = filter.prebuilt = true;
		return 0;
	}
	if (build_supervised(&filter.prog, true, err) < 0)
		return -1;
	filter.ready = true;
	return 0;
}

struct exported_hdr {
	uint16_t n_prog;
};

int ib_seccomp_supervised_export(ib_err *err)
{
	struct exported_hdr h;
	_cleanup_close_ int fd = -1;

	if (ib_seccomp_prepare_supervised(err) < 0)
		return -1;
	h = (struct exported_hdr){filter.prog.len};
	fd = memfd_create("ironbox-filter", MFD_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "memfd_create");
	if (ib_write_all(fd, &h, sizeof(h)) < 0 ||
	    ib_write_all(fd, filter.prog.filter, h.n_prog * sizeof(struct sock_filter)) < 0)
		return ib_err_sys(err, "write the seccomp filter");
	return IB_STEAL_FD(fd);
}

static int read_prog(int fd, off_t off, unsigned short n, struct sock_fprog *prog)
{
	size_t len = n * sizeof(struct sock_filter);

	prog->len = n;
	prog->filter = n ? ib_xmalloc0(len) : NULL;
	return n && pread(fd, prog->filter, len, off) != (ssize_t)len ? -1 : 0;
}

int ib_seccomp_supervised_import(int fd, ib_err *err)
{
	struct exported_hdr h;

	if (filter.ready)
		return 0;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.n_prog == 0 ||
	    read_prog(fd, sizeof(h), h.n_prog, &filter.prog) < 0)
		return ib_err_set(err, EIO, "read ironbox's seccomp filter from the runtime");
	filter.ready = true;
	return 0;
}

int ib_seccomp_load_supervised(bool listener, ib_err *err)
{
	int fd;

	if (ib_seccomp_prepare_supervised(err) < 0)
		return -1;
	/* No listener of its own: errno answers only. */
	if (!listener) {
		struct sock_fprog quiet;
		int r;

		if (filter.prebuilt)
			quiet =
			    prebuilt_prog(ib_seccomp_prebuilt.n_quiet, ib_seccomp_prebuilt.quiet);
		else if (build_supervised(&quiet, false, err) < 0)
			return -1;
		r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &quiet);
		if (!filter.prebuilt)
			free(quiet.filter);
		return r < 0 ? ib_err_sys(err, "seccomp: load ironbox's filter") : 0;
	}
	/* Once the supervisor has a call, only a fatal signal interrupts the
	 * caller's wait: a call it performed is never restarted. */
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  &filter.prog);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter.prog);
	if (fd < 0 && errno == EBUSY)
		return ib_err_set(err, EBUSY,
				  "seccomp: this process already has a seccomp listener (ironbox "
				  "inside a container supervised by another ironbox?)");
	if (fd < 0)
		return ib_err_sys(err, "seccomp: load ironbox's filter");
	return fd;
}

int ib_seccomp_supervise(int sync_fd, const struct ib_seccomp *spec_filter, ib_err *err)
{
	/* The kernel allows one seccomp listener per process: a spec with its
	 * own agent (listenerPath) gets ironbox's filter without one, and what
	 * the supervisor would vet (mounts, set-id files) is refused. */
	bool listener = !(spec_filter && spec_filter->listener_path);
	int fd = ib_seccomp_load_supervised(listener, err);
	int r;

	if (fd < 0)
		return -1;
	if (!listener)
		return ib_sync_send(sync_fd, IB_SYNC_LISTENER, 0, NULL, -1, err);
	r = ib_sync_send(sync_fd, IB_SYNC_LISTENER, 0, NULL, fd, err);
	close(fd);
	return r;
}
