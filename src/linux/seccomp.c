/* linux.seccomp -> libseccomp filter, loaded into the calling process. */
#include "linux/process.h"

#include <ctype.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/sync.h"

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
