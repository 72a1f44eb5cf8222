/* linux.seccomp: the default action, the rules and their arguments. */
#include "spec/spec_int.h"

#include <errno.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const struct {
	const char *name;
	uint32_t action;
	bool takes_errno;
} seccomp_actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

static const struct {
	const char *name;
	int op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static int parse_action(struct pctx *c, json_object *o, const char *where, const char *key,
			const char *errno_key, uint32_t *action, bool *has_errno,
			uint32_t *errno_ret)
{
	_cleanup_free_ char *name = NULL;
	bool has = false;
	uint32_t e = 0;

	if (ib_spec_get_str(c, o, where, key, &name) < 0 ||
	    ib_spec_get_u32(c, o, where, errno_key, &e, &has) < 0)
		return -1;
	if (!name)
		return ib_spec_perr(c, where, key, "required");
	for (size_t i = 0; i < IB_ARRAY_SIZE(seccomp_actions); i++) {
		if (strcmp(seccomp_actions[i].name, name) != 0)
			continue;
		if (has && !seccomp_actions[i].takes_errno)
			return ib_spec_perr(
			    c, where, errno_key,
			    "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", name);
		if (has && e > 0xffff)
			return ib_spec_perr(c, where, errno_key, "value %u out of range", e);
		*action = seccomp_actions[i].action;
		if (seccomp_actions[i].takes_errno)
			*action |= (has ? e : (uint32_t)EPERM) & 0xffffU;
		*has_errno = has;
		*errno_ret = e;
		return 0;
	}
	return ib_spec_perr(c, where, key, "unknown seccomp action \"%s\"", name);
}

static int seccomp_arg_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_seccomp_rule *rule = data;
	struct ib_seccomp_arg *a = &rule->args[i];
	_cleanup_free_ char *op = NULL;
	uint32_t index = 0;
	bool has_index = false, has_value = false;

	rule->n_args = i + 1;
	if (ib_spec_get_u32(c, e, where, "index", &index, &has_index) < 0 ||
	    ib_spec_get_u64(c, e, where, "value", &a->value, &has_value) < 0 ||
	    ib_spec_get_u64(c, e, where, "valueTwo", &a->value_two, NULL) < 0 ||
	    ib_spec_get_str(c, e, where, "op", &op) < 0)
		return -1;
	if (!has_index)
		return ib_spec_perr(c, where, "index", "required");
	if (index > 5)
		return ib_spec_perr(c, where, "index", "must be between 0 and 5, got %u", index);
	if (!has_value)
		return ib_spec_perr(c, where, "value", "required");
	if (!op)
		return ib_spec_perr(c, where, "op", "required");
	a->index = index;
	a->op = -1;
	for (size_t k = 0; k < IB_ARRAY_SIZE(seccomp_ops); k++)
		if (strcmp(seccomp_ops[k].name, op) == 0)
			a->op = seccomp_ops[k].op;
	if (a->op < 0)
		return ib_spec_perr(c, where, "op", "unknown operator \"%s\"", op);
	return 0;
}

static int seccomp_rule_elem(struct pctx *c, json_object *e, const char *where, size_t i,
			     void *data)
{
	struct ib_seccomp *sc = data;
	struct ib_seccomp_rule *r = &sc->rules[i];

	sc->n_rules = i + 1;
	if (ib_spec_get_strv(c, e, where, "names", &r->names) < 0)
		return -1;
	if (!r->names || !r->names[0])
		return ib_spec_perr(c, where, "names", "at least one syscall name is required");
	if (parse_action(c, e, where, "action", "errnoRet", &r->action, &r->has_errno_ret,
			 &r->errno_ret) < 0)
		return -1;
	r->args = ib_xmalloc0((ib_spec_array_len(e, "args") + 1) * sizeof(struct ib_seccomp_arg));
	return ib_spec_for_each_obj(c, e, where, "args", NULL, seccomp_arg_elem, r);
}

int ib_spec_parse_seccomp(struct pctx *c, json_object *o, struct ib_seccomp *sc)
{
	const char *w = "linux.seccomp";

	if (parse_action(c, o, w, "defaultAction", "defaultErrnoRet", &sc->default_action,
			 &sc->has_default_errno_ret, &sc->default_errno_ret) < 0 ||
	    ib_spec_get_strv(c, o, w, "architectures", &sc->architectures) < 0 ||
	    ib_spec_get_strv(c, o, w, "flags", &sc->flags) < 0 ||
	    ib_spec_get_str(c, o, w, "listenerPath", &sc->listener_path) < 0 ||
	    ib_spec_get_str(c, o, w, "listenerMetadata", &sc->listener_metadata) < 0)
		return -1;
	if (sc->listener_path && sc->listener_path[0] != '/')
		return ib_spec_perr(c, w, "listenerPath", "must be an absolute path");
	for (size_t i = 0; sc->architectures && sc->architectures[i]; i++)
		if (strncmp(sc->architectures[i], "SCMP_ARCH_", 10) != 0)
			return ib_spec_perr(c, w, "architectures", "invalid architecture \"%s\"",
					    sc->architectures[i]);
	for (size_t i = 0; sc->flags && sc->flags[i]; i++) {
		bool ok = false;
		for (size_t k = 0; k < IB_ARRAY_SIZE(seccomp_flags); k++)
			ok = ok || strcmp(seccomp_flags[k], sc->flags[i]) == 0;
		if (!ok)
			return ib_spec_perr(c, w, "flags", "unknown seccomp flag \"%s\"",
					    sc->flags[i]);
	}
	sc->rules =
	    ib_xmalloc0((ib_spec_array_len(o, "syscalls") + 1) * sizeof(struct ib_seccomp_rule));
	if (ib_spec_for_each_obj(c, o, w, "syscalls", NULL, seccomp_rule_elem, sc) < 0)
		return -1;
	/* A notifying rule nobody answers would only ever fail (or hang an
	 * agent's peer): like runc, it needs an agent. */
	for (size_t i = 0; i < sc->n_rules && !sc->listener_path; i++)
		if ((sc->rules[i].action & 0xffff0000U) == SCMP_ACT_NOTIFY)
			return ib_spec_perr(
			    c, w, "listenerPath",
			    "SCMP_ACT_NOTIFY needs a listenerPath (a seccomp agent)");
	return 0;
}
