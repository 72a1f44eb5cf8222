/* ironbox: global flags, logging setup, dispatch to one file per verb. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/phase.h"
#include "common/util.h"
#include "policy/policy.h"
#include "state/state.h"

enum log_format { LOG_TEXT, LOG_JSON };

static struct {
	int fd; /* --log file, -1 = stderr */
	enum log_format format;
} logcfg = {.fd = -1, .format = LOG_TEXT};

static const char *level_name(enum ib_log_level l)
{
	switch (l) {
	case IB_LOG_ERROR:
		return "error";
	case IB_LOG_WARNING:
		return "warning";
	case IB_LOG_INFO:
		return "info";
	case IB_LOG_DEBUG:
		return "debug";
	}
	return "info";
}

static void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* logrus text formatter quoting (Go %q-like). */
static void append_quoted(char **out, size_t *len, size_t *cap, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		char tmp[8];
		const char *add = tmp;

		if (*p == '\0')
			break;
		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)*p;
			tmp[2] = '\0';
		} else if (*p == '\n') {
			add = "\\n";
		} else if (*p == '\t') {
			add = "\\t";
		} else if (*p == '\r') {
			add = "\\r";
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		} else {
			tmp[0] = (char)*p;
			tmp[1] = '\0';
		}
		size_t n = strlen(add);
		if (*len + n + 1 > *cap) {
			*cap = (*cap + n) * 2;
			*out = ib_xrealloc(*out, *cap);
		}
		memcpy(*out + *len, add, n);
		*len += n;
		(*out)[*len] = '\0';
	}
}

static char *format_line(enum ib_log_level level, const char *msg)
{
	char now[64];

	rfc3339_now(now, sizeof(now));
	if (logcfg.format == LOG_JSON) {
		struct json_object *o = json_object_new_object();
		char *line;

		json_object_object_add(o, "level", json_object_new_string(level_name(level)));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(now));
		line = ib_xasprintf(
		    "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return line;
	}
	size_t cap = strlen(msg) * 2 + 128, len = 0;
	char *line = ib_xmalloc0(cap);
	len = (size_t)snprintf(line, cap, "time=\"%s\" level=%s msg=\"", now, level_name(level));
	append_quoted(&line, &len, &cap, msg);
	line = ib_xrealloc(line, len + 3);
	memcpy(line + len, "\"\n", 3);
	return line;
}

static void log_sink(enum ib_log_level level, const char *msg, void *data)
{
	_cleanup_free_ char *line = format_line(level, msg);

	(void)data;
	/* One write per line: O_APPEND keeps concurrent writers' lines whole. */
	(void)!ib_write_all(logcfg.fd >= 0 ? logcfg.fd : STDERR_FILENO, line, strlen(line));
}

int cli_error(const char *fmt, ...)
{
	char msg[IB_ERR_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_sink(IB_LOG_ERROR, msg, NULL);
	/* runc: when logging to a file, the bare error goes to stderr too. */
	if (logcfg.fd >= 0)
		fprintf(stderr, "%s\n", msg);
	return 1;
}

int cli_fail(const ib_err *err)
{
	return cli_error("%s", err->msg[0] ? err->msg : "unknown error");
}

void cli_getopt_reset(void)
{
	optind = 0; /* glibc: full reinitialisation */
	opterr = 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	_cleanup_free_ char *spec = ib_xasprintf("+:%s", shortopts);
	int c = getopt_long_only(argc, argv, spec, longopts, NULL);

	if (c == '?') {
		if (optopt && optopt < 256)
			cli_error("flag provided but not defined: -%c", optopt);
		else
			cli_error("flag provided but not defined: %s", argv[optind - 1]);
	} else if (c == ':') {
		const char *a = argv[optind - 1];
		cli_error("flag needs an argument: %s", a ? a : "?");
		c = '?';
	}
	return c;
}

/* Is a a flag defined in longopts/shortopts? *takes_value: it needs the next
 * word as its value (no "=value" given). */
static bool defined_flag(const char *a, const char *shortopts, const struct option *longopts,
			 bool *takes_value)
{
	const char *name = a + 1, *eq;
	size_t len;

	*takes_value = false;
	if (a[0] != '-' || !a[1] || strcmp(a, "--") == 0)
		return false;
	if (name[0] == '-')
		name++;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (const struct option *o = longopts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
			*takes_value = o->has_arg == required_argument && !eq;
			return true;
		}
	if (a[1] != '-' && len == 1 && name[0] != ':' && shortopts) {
		const char *c = strchr(shortopts, name[0]);
		if (c) {
			*takes_value = c[1] == ':' && !eq;
			return true;
		}
	}
	return false;
}

void cli_flags_first(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	_cleanup_free_ char **flags = ib_xmalloc0((size_t)argc * sizeof(char *));
	_cleanup_free_ char **rest = ib_xmalloc0((size_t)argc * sizeof(char *));
	int nf = 0, nr = 0, i;

	for (i = 1; i < argc; i++) {
		bool value;
		if (strcmp(argv[i], "--") == 0)
			break;
		if (defined_flag(argv[i], shortopts, longopts, &value)) {
			flags[nf++] = argv[i];
			if (value && i + 1 < argc)
				flags[nf++] = argv[++i];
		} else {
			rest[nr++] = argv[i];
		}
	}
	for (; i < argc; i++)
		rest[nr++] = argv[i];
	for (i = 0; i < nf; i++)
		argv[1 + i] = flags[i];
	for (i = 0; i < nr; i++)
		argv[1 + nf + i] = rest[i];
}

int cli_check_args(const char *verb, int nargs, int expected, int kind)
{
	const char *what = NULL;

	if (kind == CLI_ARGS_EXACT && nargs != expected)
		what = "exactly";
	else if (kind == CLI_ARGS_MIN && nargs < expected)
		what = "a minimum of";
	else if (kind == CLI_ARGS_MAX && nargs > expected)
		what = "a maximum of";
	if (!what)
		return 0;
	return cli_error("ironbox: \"%s\" requires %s %d argument(s)", verb, what, expected);
}

int cli_usage(const char *verb, const char *usage)
{
	printf("NAME:\n   ironbox %s\n\nUSAGE:\n%s", verb, usage);
	return 0;
}

char *cli_abs_path(const char *path)
{
	char cwd[PATH_MAX];

	if (!path)
		return NULL;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return ib_xstrdup(path);
	return ib_xasprintf("%s/%s", cwd, path);
}

bool cli_parse_uint(const char *flag, const char *val, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!val || !*val || *val == '-' || (v = strtoull(val, &end, 0), errno) || *end) {
		cli_error("invalid value \"%s\" for flag -%s: parse error", val ? val : "", flag);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_int(const char *flag, const char *val, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	if (!val || !*val || (v = strtoll(val, &end, 0), errno) || *end) {
		cli_error("invalid value \"%s\" for flag -%s: parse error", val ? val : "", flag);
		return false;
	}
	*out = v;
	return true;
}

static const struct {
	const char *name;
	ib_cli_fn fn;
	const char *help;
} commands[] = {
    {"authz-plugin", cmd_authz_plugin, NULL},
    {"checkpoint", NULL, "checkpoint a running container (not supported)"},
    {"audit", cmd_audit,
     "with a container ID: its supervisor's denials; without: the containers of the local "
     "engines that do not run under ironbox"},
    {"create", cmd_create, "create a container"},
    {"delete", cmd_delete, "delete any resources held by the container"},
    {"events", cmd_events,
     "display container events such as OOM notifications, cpu, memory, "
     "and IO usage statistics"},
    {"exec", cmd_exec, "execute new process inside the container"},
    {"features", cmd_features, "show the enabled features"},
    {"install", cmd_install, "install ironbox and make it the engines' enforced runtime"},
    {"kill", cmd_kill,
     "kill sends the specified signal (default: SIGTERM) to the container's "
     "init process"},
    {"list", cmd_list, "lists containers started by ironbox with the given root"},
    {"pause", cmd_pause, "pause suspends all processes inside the container"},
    {"policy-init", cmd_policy_init, "write the default isolation policy if missing"},
    {"ps", cmd_ps, "ps displays the processes running inside a container"},
    {"restore", NULL, "restore a container from a previous checkpoint (not supported)"},
    {"resume", cmd_resume, "resumes all processes that have been previously paused"},
    {"run", cmd_run, "create and run a container"},
    {"spec", cmd_spec, "create a new specification file"},
    {"start", cmd_start, "executes the user defined process in a created container"},
    {"state", cmd_state, "output the state of a container"},
    {"uninstall", cmd_uninstall, "undo what `ironbox install` did"},
    {"update", cmd_update, "update container resource constraints"},
};

static void print_version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("ironbox version %s\nspec: %s\n", IB_VERSION, IB_SPEC_VERSION);
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static void print_help(void)
{
	printf("NAME:\n   ironbox - hardened Open Container Initiative runtime\n\n"
	       "USAGE:\n   ironbox [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\n\nCOMMANDS:\n",
	       IB_VERSION);
	for (size_t i = 0; i < IB_ARRAY_SIZE(commands); i++)
		if (commands[i].help)
			printf("   %-12s %s\n", commands[i].name, commands[i].help);
	printf("   help, h      Shows a list of commands or help for one command\n\n"
	       "GLOBAL OPTIONS:\n"
	       "   --debug             enable debug logging\n"
	       "   --log value         set the log file to write ironbox logs to (default is "
	       "'/dev/stderr')\n"
	       "   --log-format value  set the log format ('text' (default), or 'json') (default: "
	       "\"text\")\n"
	       "   --root value        root directory for storage of container state (default: "
	       "\"" IB_DEFAULT_ROOT "\")\n"
	       "   --criu value        ignored\n"
	       "   --systemd-cgroup    enable systemd cgroup support, expects cgroupsPath to be of "
	       "form \"slice:prefix:name\"\n"
	       "   --rootless value    accepted for runc compatibility, ignored\n"
	       "   --policy value      isolation policy file (default: \"" IB_POLICY_DEFAULT_PATH
	       "\")\n"
	       "   --help, -h          show help\n"
	       "   --version, -v       print the version\n");
}

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_SYSTEMD,
	OPT_ROOTLESS,
	OPT_CRIU,
	OPT_POLICY,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
	    {"rootless", optional_argument, NULL, OPT_ROOTLESS},
	    {"criu", required_argument, NULL, OPT_CRIU},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ib_global_opts g = {.root = IB_DEFAULT_ROOT, .policy_path = IB_POLICY_DEFAULT_PATH};
	const char *log_path = NULL, *log_format = "text";
	_cleanup_free_ char *root_abs = NULL;
	bool version = false, help = false;
	const char *verb;
	int c;

	ib_log_set_sink(log_sink, NULL);
	ib_log_set_level(IB_LOG_WARNING);
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "vh", opts)) != -1) {
		switch (c) {
		case OPT_ROOT:
			/* Absolute and clean, as runc makes it: the supervisor
			 * and the container's processes work from other
			 * directories, and a container's ID range is held under
			 * its state directory's path: one spelling per root. */
			free(root_abs);
			root_abs = ib_path_abs_clean(optarg);
			if (!root_abs)
				return cli_error("--root %s: current directory: %s", optarg,
						 strerror(errno));
			g.root = root_abs;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_DEBUG:
			g.debug = true;
			break;
		case OPT_SYSTEMD:
			g.systemd_cgroup = true;
			break;
		case OPT_ROOTLESS:
			/* runc's --rootless takes true|false|auto, possibly as the
			 * next word; swallow it. */
			if (!optarg && optind < argc &&
			    (strcmp(argv[optind], "true") == 0 ||
			     strcmp(argv[optind], "false") == 0 ||
			     strcmp(argv[optind], "auto") == 0))
				optind++;
			break;
		case OPT_CRIU:
			break;
		case OPT_POLICY:
			g.policy_path = optarg;
			break;
		case 'v':
			version = true;
			break;
		case 'h':
			help = true;
			break;
		default:
			return 1;
		}
	}

	if (strcmp(log_format, "json") == 0) {
		logcfg.format = LOG_JSON;
	} else if (strcmp(log_format, "text") != 0) {
		return cli_error("invalid log-format: %s", log_format);
	}
	if (log_path && *log_path && strcmp(log_path, "/dev/stderr") != 0) {
		logcfg.fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (logcfg.fd < 0) {
			int e = errno;
			logcfg.fd = -1;
			return cli_error("failed to open log file %s: %s", log_path, strerror(e));
		}
	}
	if (g.debug)
		ib_log_set_level(IB_LOG_DEBUG);
	if (!*g.root)
		g.root = IB_DEFAULT_ROOT;

	if (version) {
		print_version();
		return 0;
	}
	if (optind >= argc || help) {
		print_help();
		return 0;
	}
	verb = argv[optind];
	if (strcmp(verb, "help") == 0 || strcmp(verb, "h") == 0) {
		print_help();
		return 0;
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, verb) != 0)
			continue;
		if (!commands[i].fn)
			return cli_error("%s is not supported by ironbox", verb);
		ib_err perr = {0};
		ib_phase_start(verb);
		int rc = commands[i].fn(&g, argc - optind, argv + optind);
		fflush(stdout);
		if (ib_phase_write(&perr) < 0)
			ib_warn("%s", perr.msg);
		return rc;
	}
	fprintf(stderr, "No help topic for '%s'\n", verb);
	return 3;
}
