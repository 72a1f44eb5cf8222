/* ironbox install / ironbox uninstall (src/admin/install.h does the work). */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/install.h"
#include "cli/cli.h"
#include "common/util.h"
#include "policy/policy.h"

extern char **environ;

static const char install_usage[] =
    "   ironbox install [--root-dir DIR] [--prefix DIR] [--dry-run]\n"
    "                   [--docker-config FILE] [--containerd-config FILE] [--podman-config FILE]\n"
    "                   [--[no-]docker] [--[no-]containerd] [--[no-]podman] [--[no-]systemd]\n"
    "                   [--docker-pidfile FILE] [--docker-host unix:///PATH] [--no-reload]\n\n"
    "Installs ironbox (PREFIX/bin/ironbox, PREFIX/libexec/ironbox/ironbox-admin, the man\n"
    "page, the default admin policy if there is none) and registers it with every engine\n"
    "found: Docker (daemon.json), containerd/Kubernetes (config.toml, a RuntimeClass) and\n"
    "Podman (containers.conf), merging with what is there. When the admin policy says\n"
    "\"enforce\": true (the default) ironbox becomes the default runtime and Docker's\n"
    "authorization plugin ironbox-authz refuses the ways around it. A record in\n"
    "ROOT/" IB_INSTALL_RECORD " lets `ironbox uninstall` undo exactly this.\n"
    "--root-dir puts every path, on disk and in the configs, under DIR (for tests).\n"
    "--dry-run shows what would change (diffs) and changes nothing.\n";

static const char uninstall_usage[] =
    "   ironbox uninstall [--root-dir DIR] [--dry-run] [--docker-pidfile FILE] [--no-reload]\n\n"
    "Undoes what `ironbox install` did: config files still as ironbox wrote them get their\n"
    "original bytes back; changed ones lose only ironbox's settings; installed files are\n"
    "removed while unchanged. The admin policy is kept if it was edited.\n";

/* Run a command, inheriting stdio; its exit status or -1. */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Show a text change as a unified diff (diff(1)); binaries as a size. */
static void show_diff(const struct ib_item *it)
{
	char a[] = "/tmp/ironbox-diff-a.XXXXXX", b[] = "/tmp/ironbox-diff-b.XXXXXX";
	int fa, fb;

	if (it->kind == IB_ITEM_SYMLINK) {
		printf("    symlink -> %s\n", it->want_exists ? it->want : "(removed)");
		return;
	}
	if ((it->cur && memchr(it->cur, '\0', it->cur_len)) ||
	    (it->want && memchr(it->want, '\0', it->want_len))) {
		printf("    %zu bytes -> %zu bytes\n", it->exists ? it->cur_len : 0,
		       it->want_exists ? it->want_len : 0);
		return;
	}
	fa = mkstemp(a);
	fb = mkstemp(b);
	if (fa >= 0 && fb >= 0) {
		_cleanup_free_ char *la = ib_xasprintf("a%s", it->path);
		_cleanup_free_ char *lb = ib_xasprintf("b%s", it->path);
		char *argv[] = {"diff", "-u", "--label", la, "--label", lb, a, b, NULL};
		if (it->exists)
			(void)!ib_write_all(fa, it->cur, it->cur_len);
		if (it->want_exists)
			(void)!ib_write_all(fb, it->want, it->want_len);
		fflush(stdout);
		if (run(argv) < 0)
			printf("    (diff(1) not available)\n");
	}
	if (fa >= 0) {
		close(fa);
		unlink(a);
	}
	if (fb >= 0) {
		close(fb);
		unlink(b);
	}
}

static const char *verb_of(const struct ib_item *it, bool dry)
{
	if (!ib_item_changes(it))
		return "unchanged";
	if (!it->want_exists)
		return dry ? "would remove" : "removed";
	if (!it->exists)
		return dry ? "would create" : "created";
	return dry ? "would update" : "updated";
}

static bool socket_live(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (!path || fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* The pid in pidfile when that process runs `comm`, else 0. */
static pid_t pid_of(const char *pidfile, const char *comm)
{
	_cleanup_free_ char *text = NULL, *cpath = NULL, *c = NULL;
	ib_err err = {0};
	long pid;

	if (!pidfile || ib_read_file_at(AT_FDCWD, pidfile, &text, NULL, &err) < 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	if (!ib_parse_long(text, &pid) || pid <= 1)
		return 0;
	cpath = ib_xasprintf("/proc/%ld/comm", pid);
	if (ib_read_file_at(AT_FDCWD, cpath, &c, NULL, &err) < 0)
		return 0;
	c[strcspn(c, "\n")] = '\0';
	return strcmp(c, comm) == 0 ? (pid_t)pid : 0;
}

static char *docker_pidfile(const struct ib_plan *p, const char *given)
{
	const char *cands[] = {"/run/docker.pid", "/var/run/docker.pid"};

	if (given)
		return ib_xstrdup(given);
	for (size_t i = 0; i < IB_ARRAY_SIZE(cands); i++) {
		char *f = ib_xasprintf("%s%s", p->root, cands[i]);
		if (access(f, F_OK) == 0)
			return f;
		free(f);
	}
	return NULL;
}

static bool docker_config_changed(const struct ib_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].kind == IB_ITEM_JSON && ib_item_changes(&p->items[i]))
			return true;
	return false;
}

static void print_plan(const struct ib_plan *p, bool dry)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct ib_item *it = &p->items[i];
		printf("  %-13s %s  (%s%s%s)\n", verb_of(it, dry), it->path, it->label,
		       it->summary ? ": " : "", it->summary ? it->summary : "");
		if (dry && ib_item_changes(it))
			show_diff(it);
	}
}

static char *self_exe(void)
{
	return realpath("/proc/self/exe", NULL);
}

enum {
	O_ROOT = 300,
	O_PREFIX,
	O_DRY,
	O_DOCKER_CONFIG,
	O_CTD_CONFIG,
	O_PODMAN_CONFIG,
	O_DOCKER,
	O_NO_DOCKER,
	O_CTD,
	O_NO_CTD,
	O_PODMAN,
	O_NO_PODMAN,
	O_SYSTEMD,
	O_NO_SYSTEMD,
	O_PIDFILE,
	O_HOST,
	O_NO_RELOAD,
};

int cmd_install(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root-dir", required_argument, NULL, O_ROOT},
	    {"prefix", required_argument, NULL, O_PREFIX},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"docker-config", required_argument, NULL, O_DOCKER_CONFIG},
	    {"containerd-config", required_argument, NULL, O_CTD_CONFIG},
	    {"podman-config", required_argument, NULL, O_PODMAN_CONFIG},
	    {"docker", no_argument, NULL, O_DOCKER},
	    {"no-docker", no_argument, NULL, O_NO_DOCKER},
	    {"containerd", no_argument, NULL, O_CTD},
	    {"no-containerd", no_argument, NULL, O_NO_CTD},
	    {"podman", no_argument, NULL, O_PODMAN},
	    {"no-podman", no_argument, NULL, O_NO_PODMAN},
	    {"systemd", no_argument, NULL, O_SYSTEMD},
	    {"no-systemd", no_argument, NULL, O_NO_SYSTEMD},
	    {"docker-pidfile", required_argument, NULL, O_PIDFILE},
	    {"docker-host", required_argument, NULL, O_HOST},
	    {"no-reload", no_argument, NULL, O_NO_RELOAD},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ib_install_opts o = {.docker = -1, .containerd = -1, .podman = -1, .systemd = -1};
	_cleanup_free_ char *self = self_exe(), *admin = NULL, *pidfile = NULL;
	const char *given_pidfile = NULL;
	bool dry = false, reload = true;
	struct ib_plan p = {0};
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case O_ROOT:
			o.root = optarg;
			break;
		case O_PREFIX:
			o.prefix = optarg;
			break;
		case O_DRY:
			dry = true;
			break;
		case O_DOCKER_CONFIG:
			o.docker_config = optarg;
			o.docker = 1;
			break;
		case O_CTD_CONFIG:
			o.containerd_config = optarg;
			o.containerd = 1;
			break;
		case O_PODMAN_CONFIG:
			o.podman_config = optarg;
			o.podman = 1;
			break;
		case O_DOCKER:
			o.docker = 1;
			break;
		case O_NO_DOCKER:
			o.docker = 0;
			break;
		case O_CTD:
			o.containerd = 1;
			break;
		case O_NO_CTD:
			o.containerd = 0;
			break;
		case O_PODMAN:
			o.podman = 1;
			break;
		case O_NO_PODMAN:
			o.podman = 0;
			break;
		case O_SYSTEMD:
			o.systemd = 1;
			break;
		case O_NO_SYSTEMD:
			o.systemd = 0;
			break;
		case O_PIDFILE:
			given_pidfile = optarg;
			break;
		case O_HOST:
			o.docker_host = optarg;
			break;
		case O_NO_RELOAD:
			reload = false;
			break;
		case 'h':
			return cli_usage(argv[0], install_usage);
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;
	if (!self)
		return cli_error("can't find the ironbox binary (/proc/self/exe)");
	if (strcmp(g->policy_path, IB_POLICY_DEFAULT_PATH) != 0)
		o.policy_path = g->policy_path;
	o.self_exe = self;
	{
		_cleanup_free_ char *dir = ib_xstrdup(self);
		*strrchr(dir, '/') = '\0';
		admin = ib_xasprintf("%s/ironbox-admin", dir);
		if (access(admin, X_OK) < 0) {
			free(admin);
			admin = ib_xasprintf("%s/../libexec/ironbox/ironbox-admin", dir);
			if (access(admin, X_OK) < 0)
				return cli_error(
				    "ironbox-admin (the authorization plugin and audit) "
				    "not found beside %s: build it first (make)",
				    self);
		}
		o.admin_exe = admin;
	}
	if (ib_install_plan(&o, &p, &err) < 0)
		return cli_fail(&err);
	printf("ironbox install%s: root %s, prefix %s, policy %s (enforce: %s)\n",
	       dry ? " --dry-run" : "", *p.root ? p.root : "/", p.prefix, p.policy_path,
	       p.enforce ? "yes" : "no");
	if (dry) {
		print_plan(&p, true);
		ib_plan_free(&p);
		return 0;
	}
	if (ib_plan_apply(&p, false, &err) < 0) {
		ib_plan_free(&p);
		return cli_fail(&err);
	}
	print_plan(&p, false);
	if (p.systemd && !*p.root && p.docker && p.enforce) {
		char *dr[] = {"systemctl", "daemon-reload", NULL};
		char *en[] = {"systemctl", "enable", "--now", "ironbox-authz.service", NULL};
		if (run(dr) != 0 || run(en) != 0)
			printf(
			    "  warning: systemctl failed; start ironbox-authz.service by hand\n");
	}
	/* Reload dockerd when its config changed (runtimes, default-runtime and
	 * authorization plugins are reloadable). A reload with an authorization
	 * plugin that does not answer makes dockerd exit: never do that. */
	pidfile = docker_pidfile(&p, given_pidfile);
	if (p.docker && docker_config_changed(&p)) {
		pid_t pid = pid_of(pidfile, "dockerd");
		if (!pid) {
			printf("  dockerd is not running (or its pid file is not %s): it reads %s "
			       "when it starts\n",
			       pidfile ? pidfile : "/run/docker.pid", p.docker_config);
		} else if (!reload) {
			printf("  reload dockerd to apply %s: kill -HUP %d\n", p.docker_config,
			       (int)pid);
		} else if (p.enforce && !socket_live(p.plugin_socket)) {
			printf(
			    "  NOT reloading dockerd (pid %d): the authorization plugin does not "
			    "answer on %s yet and dockerd exits when a reload names a plugin it "
			    "can't reach. Start the plugin, then: kill -HUP %d\n",
			    (int)pid, p.plugin_socket, (int)pid);
		} else if (kill(pid, SIGHUP) == 0) {
			printf("  reloaded dockerd (pid %d): runtimes, default runtime and "
			       "authorization plugins apply now\n",
			       (int)pid);
		} else {
			printf("  could not signal dockerd (pid %d): %s\n", (int)pid,
			       strerror(errno));
		}
	}
	for (size_t i = 0; p.notes && p.notes[i]; i++)
		printf("next: %s\n", p.notes[i]);
	ib_plan_free(&p);
	return 0;
}

int cmd_uninstall(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root-dir", required_argument, NULL, O_ROOT},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"docker-pidfile", required_argument, NULL, O_PIDFILE},
	    {"no-reload", no_argument, NULL, O_NO_RELOAD},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *root = "", *given_pidfile = NULL;
	_cleanup_free_ char *pidfile = NULL;
	bool dry = false, reload = true;
	struct ib_plan p = {0};
	ib_err err = {0};
	int c;

	(void)g;
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case O_ROOT:
			root = optarg;
			break;
		case O_DRY:
			dry = true;
			break;
		case O_PIDFILE:
			given_pidfile = optarg;
			break;
		case O_NO_RELOAD:
			reload = false;
			break;
		case 'h':
			return cli_usage(argv[0], uninstall_usage);
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;
	if (ib_uninstall_plan(root, &p, &err) < 0)
		return cli_fail(&err);
	if (!p.n && access(p.record_path, F_OK) < 0) {
		printf("ironbox uninstall: nothing to do (no %s)\n", p.record_path);
		ib_plan_free(&p);
		return 0;
	}
	printf("ironbox uninstall%s: root %s\n", dry ? " --dry-run" : "", *p.root ? p.root : "/");
	if (dry) {
		print_plan(&p, true);
		ib_plan_free(&p);
		return 0;
	}
	if (ib_plan_apply(&p, true, &err) < 0) {
		ib_plan_free(&p);
		return cli_fail(&err);
	}
	print_plan(&p, false);
	pidfile = docker_pidfile(&p, given_pidfile);
	if (p.docker && docker_config_changed(&p)) {
		pid_t pid = pid_of(pidfile, "dockerd");
		if (pid && reload && kill(pid, SIGHUP) == 0)
			printf("  reloaded dockerd (pid %d)\n", (int)pid);
		else if (pid)
			printf("  reload dockerd to apply %s: kill -HUP %d\n", p.docker_config,
			       (int)pid);
	}
	if (p.systemd && !*p.root) {
		char *dis[] = {"systemctl", "disable", "--now", "ironbox-authz.service", NULL};
		char *dr[] = {"systemctl", "daemon-reload", NULL};
		(void)run(dis);
		(void)run(dr);
	} else if (p.plugin_pidfile) {
		pid_t pid = pid_of(p.plugin_pidfile, "ironbox-admin");
		if (pid && kill(pid, SIGTERM) == 0)
			printf("  stopped the authorization plugin (pid %d)\n", (int)pid);
	}
	if (p.enforce && p.docker)
		printf("next: restart dockerd when convenient (BuildKit entitlements and PATH)\n");
	ib_plan_free(&p);
	return 0;
}
