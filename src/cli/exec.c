/* ironbox exec [options] <container-id> <command> [args...]
 *             ironbox exec [options] -p process.json <container-id>
 * Builds the ib_process like runc: from --process, or from the container's own
 * process (its effective config.json) with args and flags applied on top. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "spec/spec.h"
#include "state/state.h"

enum {
	OPT_CONSOLE = 256,
	OPT_CWD,
	OPT_PID_FILE,
	OPT_PROCESS_LABEL,
	OPT_APPARMOR,
	OPT_NO_NEW_PRIVS,
	OPT_PRESERVE_FDS,
	OPT_CGROUP,
	OPT_IGNORE_PAUSED,
};

static const char exec_usage[] =
    "   ironbox exec [command options] <container-id> <command> [command options]  || -p "
    "process.json <container-id>\n\n"
    "OPTIONS:\n"
    "   --console-socket value             path to an AF_UNIX socket which will receive a "
    "file descriptor referencing the master end of the console's pseudoterminal\n"
    "   --cwd value                        current working directory in the container\n"
    "   --env value, -e value              set environment variables\n"
    "   --tty, -t                          allocate a pseudo-TTY\n"
    "   --user value, -u value             UID (format: <uid>[:<gid>])\n"
    "   --additional-gids value, -g value  additional gids\n"
    "   --process value, -p value          path to the process.json\n"
    "   --detach, -d                       detach from the container's process\n"
    "   --pid-file value                   specify the file to write the process id to\n"
    "   --process-label value              set the asm process label for the process\n"
    "   --apparmor value                   set the apparmor profile for the process\n"
    "   --no-new-privs                     set the no new privileges value for the process\n"
    "   --cap value, -c value              add a capability to the bounding set for the "
    "process\n"
    "   --preserve-fds value               Pass N additional file descriptors to the "
    "container (default: 0)\n"
    "   --ignore-paused                    allow exec in a paused container\n"
    "   --cgroup value                     accepted, ignored\n";

struct exec_flags {
	const char *cwd, *user, *process_file, *process_label, *apparmor;
	char **env, **caps;
	gid_t *gids;
	size_t n_gids;
	bool tty, no_new_privs;
};

/* Set or replace NAME=value in env (last one wins, like runc's exec). */
static void env_set(char ***env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 &&
		    ((*env)[i][klen] == '=' || (*env)[i][klen] == '\0')) {
			free((*env)[i]);
			(*env)[i] = ib_xstrdup(kv);
			return;
		}
	}
	ib_strv_push(env, kv);
}

static int parse_user(const char *s, struct ib_process *p)
{
	_cleanup_free_ char *copy = ib_xstrdup(s);
	char *colon = strchr(copy, ':');
	long v;

	if (colon)
		*colon = '\0';
	if (!ib_parse_long(copy, &v) || v < 0 || v > UINT32_MAX - 1L)
		return cli_error("parsing %s as int for uid failed", copy);
	p->uid = (uid_t)v;
	if (colon) {
		if (!ib_parse_long(colon + 1, &v) || v < 0 || v > UINT32_MAX - 1L)
			return cli_error("parsing %s as int for gid failed", colon + 1);
		p->gid = (gid_t)v;
	}
	return 0;
}

static int add_gids(struct exec_flags *f, const char *arg)
{
	_cleanup_free_ char *copy = ib_xstrdup(arg);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long v;

		if (!ib_parse_long(t, &v) || v < 0 || v > UINT32_MAX - 1L)
			return cli_error("invalid value \"%s\" for flag -additional-gids", arg);
		f->gids = ib_xrealloc(f->gids, (f->n_gids + 1) * sizeof(gid_t));
		f->gids[f->n_gids++] = (gid_t)v;
	}
	return 0;
}

/* Fields a process.json may leave out that runc takes from the container. */
static void inherit_container_defaults(struct ib_process *p, const struct ib_process *c)
{
	if (!c)
		return;
	if (!p->has_caps) {
		p->caps = c->caps;
		p->has_caps = c->has_caps;
	}
	if (p->n_rlimits == 0 && c->n_rlimits) {
		free(p->rlimits);
		p->rlimits = ib_xmalloc0(c->n_rlimits * sizeof(*c->rlimits));
		memcpy(p->rlimits, c->rlimits, c->n_rlimits * sizeof(*c->rlimits));
		p->n_rlimits = c->n_rlimits;
	}
	if (!p->apparmor_profile)
		p->apparmor_profile = ib_xstrdup(c->apparmor_profile);
	if (!p->selinux_label)
		p->selinux_label = ib_xstrdup(c->selinux_label);
	if (c->no_new_privileges)
		p->no_new_privileges = true;
}

static int add_cap(struct ib_process *p, const char *name)
{
	_cleanup_free_ char *full = NULL;
	int cap = ib_cap_from_name(name);
	uint64_t bit;

	if (cap < 0) {
		full = ib_xasprintf("CAP_%s", name);
		for (char *q = full; *q; q++)
			*q = (char)(*q >= 'a' && *q <= 'z' ? *q - 'a' + 'A' : *q);
		cap = ib_cap_from_name(full);
	}
	if (cap < 0 || cap > 63)
		return cli_error("unknown capability \"%s\"", name);
	bit = 1ULL << cap;
	p->has_caps = true;
	p->caps.bounding |= bit;
	p->caps.effective |= bit;
	p->caps.permitted |= bit;
	/* Ambient needs inheritable; runc only adds it when the spec has some. */
	if (p->caps.inheritable)
		p->caps.ambient |= bit;
	return 0;
}

static struct ib_process *build_process(const struct ib_global_opts *g, const char *id,
					struct exec_flags *f, char **args, int nargs)
{
	_cleanup_state_ struct ib_state *st = NULL;
	_cleanup_spec_ struct ib_spec *spec = NULL;
	_cleanup_free_ char *cfg_path = NULL, *text = NULL;
	struct ib_process *p;
	ib_err err = {0};

	st = ib_state_load(g->root, id, &err);
	if (!st) {
		cli_fail(&err);
		return NULL;
	}
	cfg_path = ib_state_path(g->root, id, "config.json");
	if (ib_read_file_at(AT_FDCWD, cfg_path, &text, NULL, &err) < 0) {
		cli_fail(&err);
		return NULL;
	}
	spec = ib_spec_parse(text, st->bundle ? st->bundle : "/", &err);
	if (!spec) {
		cli_fail(&err);
		return NULL;
	}

	if (f->process_file) {
		_cleanup_free_ char *ptext = NULL;

		if (ib_read_file_at(AT_FDCWD, f->process_file, &ptext, NULL, &err) < 0) {
			cli_fail(&err);
			return NULL;
		}
		p = ib_process_parse(ptext, &err);
		if (!p) {
			cli_fail(&err);
			return NULL;
		}
		if (!p->args || !p->args[0]) {
			ib_process_free(p);
			cli_error("args must not be empty");
			return NULL;
		}
		inherit_container_defaults(p, spec->process);
		return p;
	}

	if (nargs < 1) {
		cli_error("exec args cannot be empty");
		return NULL;
	}
	if (spec->process) {
		p = spec->process; /* take the container's process and modify it */
		spec->process = NULL;
	} else {
		p = ib_xmalloc0(sizeof(*p));
	}
	ib_strv_free(p->args);
	p->args = ib_xmalloc0(((size_t)nargs + 1) * sizeof(char *));
	for (int i = 0; i < nargs; i++)
		p->args[i] = ib_xstrdup(args[i]);
	if (f->cwd && *f->cwd) {
		free(p->cwd);
		p->cwd = ib_xstrdup(f->cwd);
	}
	if (!p->cwd)
		p->cwd = ib_xstrdup("/");
	for (size_t i = 0; f->env && f->env[i]; i++)
		env_set(&p->env, f->env[i]);
	p->terminal = f->tty;
	if (f->user && *f->user && parse_user(f->user, p)) {
		ib_process_free(p);
		return NULL;
	}
	if (f->n_gids) {
		p->additional_gids = ib_xrealloc(
		    p->additional_gids, (p->n_additional_gids + f->n_gids) * sizeof(gid_t));
		memcpy(p->additional_gids + p->n_additional_gids, f->gids,
		       f->n_gids * sizeof(gid_t));
		p->n_additional_gids += f->n_gids;
	}
	for (size_t i = 0; f->caps && f->caps[i]; i++) {
		if (add_cap(p, f->caps[i])) {
			ib_process_free(p);
			return NULL;
		}
	}
	if (f->no_new_privs)
		p->no_new_privileges = true;
	if (f->apparmor) {
		free(p->apparmor_profile);
		p->apparmor_profile = ib_xstrdup(f->apparmor);
	}
	if (f->process_label) {
		free(p->selinux_label);
		p->selinux_label = ib_xstrdup(f->process_label);
	}
	return p;
}

int cmd_exec(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"cwd", required_argument, NULL, OPT_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"tty", no_argument, NULL, 't'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"process", required_argument, NULL, 'p'},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"process-label", required_argument, NULL, OPT_PROCESS_LABEL},
	    {"apparmor", required_argument, NULL, OPT_APPARMOR},
	    {"no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS},
	    {"cap", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	    {"cgroup", required_argument, NULL, OPT_CGROUP},
	    {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct exec_flags f = {0};
	struct ib_exec_opts o = {0};
	_cleanup_free_ char *pid_file = NULL, *console = NULL;
	_cleanup_strv_ char **env = NULL, **caps = NULL;
	_cleanup_free_ gid_t *gids_owner = NULL;
	struct ib_process *p;
	ib_err err = {0};
	uint64_t fds;
	int c, status = 0, rc;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "e:tu:g:p:dc:h", opts)) != -1) {
		switch (c) {
		case OPT_CONSOLE:
			free(console);
			console = cli_abs_path(optarg);
			break;
		case OPT_CWD:
			f.cwd = optarg;
			break;
		case 'e':
			ib_strv_push(&env, optarg);
			break;
		case 't':
			f.tty = true;
			break;
		case 'u':
			f.user = optarg;
			break;
		case 'g':
			if (add_gids(&f, optarg)) {
				free(f.gids);
				return 1;
			}
			break;
		case 'p':
			f.process_file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case OPT_PID_FILE:
			free(pid_file);
			pid_file = cli_abs_path(optarg);
			break;
		case OPT_PROCESS_LABEL:
			f.process_label = optarg;
			break;
		case OPT_APPARMOR:
			f.apparmor = optarg;
			break;
		case OPT_NO_NEW_PRIVS:
			f.no_new_privs = true;
			break;
		case 'c':
			ib_strv_push(&caps, optarg);
			break;
		case OPT_PRESERVE_FDS:
			if (!cli_parse_uint("preserve-fds", optarg, &fds) || fds > 65536) {
				free(f.gids);
				return 1;
			}
			o.preserve_fds = (int)fds;
			break;
		case OPT_IGNORE_PAUSED:
			o.ignore_paused = true;
			break;
		case OPT_CGROUP:
			break;
		case 'h':
			free(f.gids);
			return cli_usage(argv[0], exec_usage);
		default:
			free(f.gids);
			return 1;
		}
	}
	gids_owner = f.gids;
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_MIN))
		return 1;
	f.env = env;
	f.caps = caps;
	o.id = argv[optind];
	if (ib_state_check_id(o.id, &err) < 0)
		return cli_fail(&err);
	p = build_process(g, o.id, &f, argv + optind + 1, argc - optind - 1);
	if (!p)
		return 1;
	o.process = p;
	o.pid_file = pid_file;
	o.console_socket = console;
	rc = ib_container_exec(g, &o, &status, &err);
	ib_process_free(p);
	if (rc < 0)
		return cli_fail(&err);
	return o.detach ? 0 : status;
}
