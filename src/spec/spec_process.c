/* process (config.json's, or exec's process.json): user, args, env, cwd,
 * capabilities, rlimits, console, LSM labels, oomScoreAdj. */
#include "spec/spec_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/util.h"

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int ib_cap_from_name(const char *name)
{
	if (!name)
		return -1;
	/* Accept "CAP_SYS_ADMIN", and leniently "sys_admin" / "cap_sys_admin". */
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < IB_ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(cap_names[i] + 4, name) == 0)
			return (int)i;
	return -1;
}

const char *ib_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= IB_ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

static const struct {
	const char *name;
	int res;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int ib_rlimit_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < IB_ARRAY_SIZE(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].res;
	return -1;
}

/* Build "where.key" for nested objects. */
static char *sub(const char *where, const char *key)
{
	return *where ? ib_xasprintf("%s.%s", where, key) : ib_xstrdup(key);
}

static int parse_capset(struct pctx *c, json_object *o, const char *where, const char *key,
			uint64_t *out)
{
	_cleanup_strv_ char **names = NULL;

	if (ib_spec_get_strv(c, o, where, key, &names) < 0)
		return -1;
	*out = 0;
	for (size_t i = 0; names && names[i]; i++) {
		int cap = ib_cap_from_name(names[i]);
		if (cap < 0) {
			ib_warn("%s: %s.%s: unknown capability \"%s\", ignoring", c->file, where,
				key, names[i]);
			continue;
		}
		*out |= UINT64_C(1) << cap;
	}
	return 0;
}

static int rlimit_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_process *p = data;
	struct ib_rlimit *rl = &p->rlimits[i];
	_cleanup_free_ char *type = NULL;
	bool has_soft = false, has_hard = false;

	if (ib_spec_get_str(c, e, where, "type", &type) < 0)
		return -1;
	if (!type)
		return ib_spec_perr(c, where, "type", "required");
	rl->resource = ib_rlimit_from_name(type);
	if (rl->resource < 0)
		return ib_spec_perr(c, where, "type", "unknown rlimit \"%s\"", type);
	for (size_t j = 0; j < i; j++)
		if (p->rlimits[j].resource == rl->resource)
			return ib_spec_perr(c, where, "type", "duplicate rlimit \"%s\"", type);
	if (ib_spec_get_u64(c, e, where, "soft", &rl->soft, &has_soft) < 0 ||
	    ib_spec_get_u64(c, e, where, "hard", &rl->hard, &has_hard) < 0)
		return -1;
	if (!has_soft)
		return ib_spec_perr(c, where, "soft", "required");
	if (!has_hard)
		return ib_spec_perr(c, where, "hard", "required");
	if (rl->soft > rl->hard)
		return ib_spec_perr(c, where, NULL, "soft limit %llu exceeds hard limit %llu",
				    (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	p->n_rlimits = i + 1;
	return 0;
}

int ib_spec_parse_process_obj(struct pctx *c, json_object *o, const char *where,
			      struct ib_process *p)
{
	json_object *v;
	_cleanup_free_ char *w_user = sub(where, "user");
	_cleanup_free_ char *w_console = sub(where, "consoleSize");
	_cleanup_free_ char *w_caps = sub(where, "capabilities");
	int r;

	if (ib_spec_get_bool(c, o, where, "terminal", &p->terminal, NULL) < 0)
		return -1;

	r = ib_spec_field(c, o, where, "consoleSize", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		uint32_t h = 0, wd = 0;
		if (ib_spec_get_u32(c, v, w_console, "height", &h, NULL) < 0 ||
		    ib_spec_get_u32(c, v, w_console, "width", &wd, NULL) < 0)
			return -1;
		p->console_height = h;
		p->console_width = wd;
	}

	r = ib_spec_field(c, o, where, "user", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		uint32_t uid = 0, gid = 0, umask = 0;
		json_object *gids;
		if (ib_spec_get_u32(c, v, w_user, "uid", &uid, NULL) < 0 ||
		    ib_spec_get_u32(c, v, w_user, "gid", &gid, NULL) < 0 ||
		    ib_spec_get_u32(c, v, w_user, "umask", &umask, &p->has_umask) < 0)
			return -1;
		if (p->has_umask && umask > 07777)
			return ib_spec_perr(c, w_user, "umask", "invalid umask %#o", umask);
		p->uid = uid;
		p->gid = gid;
		p->umask = umask;
		r = ib_spec_field(c, v, w_user, "additionalGids", json_type_array, &gids);
		if (r < 0)
			return -1;
		if (r > 0) {
			size_t n = json_object_array_length(gids);
			p->additional_gids = ib_xmalloc0(n * sizeof(gid_t));
			for (size_t i = 0; i < n; i++) {
				json_object *e = json_object_array_get_idx(gids, i);
				uint64_t g = 0;
				_cleanup_free_ char *k = ib_xasprintf("additionalGids[%zu]", i);
				if (!e)
					return ib_spec_perr(c, w_user, k,
							    "expected a number, got null");
				if (ib_spec_num_u64(c, e, w_user, k, &g) < 0)
					return -1;
				if (g > UINT32_MAX)
					return ib_spec_perr(c, w_user, k, "value out of range");
				p->additional_gids[i] = (gid_t)g;
				p->n_additional_gids = i + 1;
			}
		}
	}

	if (ib_spec_get_strv(c, o, where, "args", &p->args) < 0 ||
	    ib_spec_get_strv(c, o, where, "env", &p->env) < 0 ||
	    ib_spec_get_str(c, o, where, "cwd", &p->cwd) < 0)
		return -1;
	if (p->cwd && p->cwd[0] != '/')
		return ib_spec_perr(c, where, "cwd", "must be an absolute path, got \"%s\"",
				    p->cwd);

	r = ib_spec_field(c, o, where, "capabilities", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		p->has_caps = true;
		if (parse_capset(c, v, w_caps, "bounding", &p->caps.bounding) < 0 ||
		    parse_capset(c, v, w_caps, "effective", &p->caps.effective) < 0 ||
		    parse_capset(c, v, w_caps, "inheritable", &p->caps.inheritable) < 0 ||
		    parse_capset(c, v, w_caps, "permitted", &p->caps.permitted) < 0 ||
		    parse_capset(c, v, w_caps, "ambient", &p->caps.ambient) < 0)
			return -1;
	}

	p->rlimits = ib_xmalloc0((ib_spec_array_len(o, "rlimits") + 1) * sizeof(struct ib_rlimit));
	if (ib_spec_for_each_obj(c, o, where, "rlimits", NULL, rlimit_elem, p) < 0)
		return -1;

	if (ib_spec_get_bool(c, o, where, "noNewPrivileges", &p->no_new_privileges, NULL) < 0 ||
	    ib_spec_get_str(c, o, where, "apparmorProfile", &p->apparmor_profile) < 0 ||
	    ib_spec_get_str(c, o, where, "selinuxLabel", &p->selinux_label) < 0)
		return -1;

	{
		int64_t adj = 0;
		if (ib_spec_get_i64(c, o, where, "oomScoreAdj", &adj, &p->has_oom_score_adj) < 0)
			return -1;
		if (p->has_oom_score_adj && (adj < -1000 || adj > 1000))
			return ib_spec_perr(c, where, "oomScoreAdj",
					    "%lld is out of range [-1000, 1000]", (long long)adj);
		p->oom_score_adj = (int)adj;
	}
	return 0;
}
