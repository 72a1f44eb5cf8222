/* ironbox-admin: the parts of ironbox that talk HTTP (libcurl,
 * libmicrohttpd), kept out of the runtime binary so that `ironbox create`
 * does not pay for loading those libraries (~8 ms per exec measured here).
 * `ironbox authz-plugin ...` and `ironbox audit` exec this binary.
 *
 *   ironbox-admin authz-plugin [--socket PATH] [--policy FILE] [--docker-host unix:///PATH]
 *                              [--log FILE] [--pidfile FILE] [--detach] [--debug]
 *   ironbox-admin audit [--docker-host H|none] [--containerd ADDR|none]
 *                       [--podman BIN] [--podman-arg ARG]... [-q] */
#include <curl/curl.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz/audit.h"
#include "authz/authz.h"
#include "authz/docker_client.h"
#include "authz/server.h"
#include "common/util.h"
#include "policy/policy.h"

static int usage_plugin(FILE *f)
{
	fprintf(f,
		"usage: ironbox authz-plugin [--socket PATH] [--policy FILE] [--docker-host "
		"unix:///PATH]\n"
		"                            [--log FILE] [--pidfile FILE] [--detach] [--debug]\n\n"
		"Docker authorization plugin %s: refuses containers, builds and plugins that\n"
		"would not run under ironbox while the admin policy says \"enforce\": true.\n"
		"Defaults: --socket %s --policy %s --docker-host %s\n",
		IB_AUTHZ_PLUGIN_NAME, IB_AUTHZ_DEFAULT_SOCKET, IB_POLICY_DEFAULT_PATH,
		IB_DOCKER_DEFAULT_HOST);
	return f == stdout ? 0 : 2;
}

static int cmd_plugin(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"policy", required_argument, NULL, 'p'},
	    {"docker-host", required_argument, NULL, 'H'},
	    {"log", required_argument, NULL, 'l'},
	    {"pidfile", required_argument, NULL, 'P'},
	    {"detach", no_argument, NULL, 'd'},
	    {"debug", no_argument, NULL, 'D'},
	    {"runtime", required_argument, NULL, 'r'},
	    {"max-request", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ib_plugin_opts o = {
	    .socket_path = IB_AUTHZ_DEFAULT_SOCKET,
	    .policy_path = IB_POLICY_DEFAULT_PATH,
	    .docker_host = IB_DOCKER_DEFAULT_HOST,
	    .runtime = IB_AUTHZ_RUNTIME,
	    .max_request = 4u << 20,
	    .log_fd = -1,
	    .ready_fd = -1,
	};
	const char *log_path = NULL, *pidfile = NULL;
	bool detach = false;
	ib_err err = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket_path = optarg;
			break;
		case 'p':
			o.policy_path = optarg;
			break;
		case 'H':
			o.docker_host = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'D':
			o.debug = true;
			break;
		case 'r':
			o.runtime = optarg;
			break;
		case 'm': {
			long v;
			if (!ib_parse_long(optarg, &v) || v < 4096) {
				fprintf(stderr, "ironbox authz-plugin: bad --max-request %s\n",
					optarg);
				return 2;
			}
			o.max_request = (size_t)v;
			break;
		}
		case 'h':
			return usage_plugin(stdout);
		default:
			return usage_plugin(stderr);
		}
	}
	if (optind != argc)
		return usage_plugin(stderr);
	if (o.socket_path[0] != '/' || o.policy_path[0] != '/') {
		fprintf(stderr, "ironbox authz-plugin: --socket and --policy must be absolute\n");
		return 2;
	}
	if (log_path) {
		_cleanup_free_ char *dir = ib_xstrdup(log_path);
		if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
			*strrchr(dir, '/') = '\0';
			(void)ib_mkdir_p(dir, 0755, &err);
			ib_err_clear(&err);
		}
		o.log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (o.log_fd < 0) {
			fprintf(stderr, "ironbox authz-plugin: open %s: %m\n", log_path);
			return 1;
		}
	}
	if (detach) {
		int pfd[2];
		pid_t pid;
		char buf[8];

		if (pipe2(pfd, O_CLOEXEC) < 0)
			return perror("pipe"), 1;
		pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid > 0) {
			close(pfd[1]);
			ssize_t n = read(pfd[0], buf, sizeof(buf));
			if (n <= 0) {
				fprintf(stderr, "ironbox authz-plugin: failed to start (see %s)\n",
					log_path ? log_path : "its log");
				return 1;
			}
			return 0;
		}
		close(pfd[0]);
		setsid();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			/* Errors after this point go to the log. */
			dup2(o.log_fd >= 0 ? o.log_fd : null, STDERR_FILENO);
		}
		o.ready_fd = pfd[1];
	}
	if (pidfile) {
		_cleanup_free_ char *pid = ib_xasprintf("%d\n", (int)getpid());
		_cleanup_free_ char *dir = ib_xstrdup(pidfile);
		if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
			*strrchr(dir, '/') = '\0';
			(void)ib_mkdir_p(dir, 0755, &err);
		}
		if (ib_write_file_atomic(pidfile, pid, strlen(pid), 0644, &err) < 0) {
			fprintf(stderr, "ironbox authz-plugin: %s\n", err.msg);
			return 1;
		}
	}
	curl_global_init(CURL_GLOBAL_NOTHING);
	if (ib_plugin_run(&o, &err) < 0) {
		fprintf(stderr, "ironbox authz-plugin: %s\n", err.msg);
		if (pidfile)
			unlink(pidfile);
		return 1;
	}
	if (pidfile)
		unlink(pidfile);
	curl_global_cleanup();
	return 0;
}

static int usage_audit(FILE *f)
{
	fprintf(f, "usage: ironbox audit [--docker-host unix:///PATH|none] [--containerd "
		   "ADDRESS|none]\n"
		   "                     [--podman BINARY [--podman-arg ARG]...] [--quiet]\n\n"
		   "Lists every container of the local engines that does not run under ironbox\n"
		   "and how to recreate it. Exit status: 0 none, 1 some, 2 error.\n");
	return f == stdout ? 0 : 2;
}

static int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"docker-host", required_argument, NULL, 'H'},
	    {"containerd", required_argument, NULL, 'c'},
	    {"podman", required_argument, NULL, 'p'},
	    {"podman-arg", required_argument, NULL, 'a'},
	    {"ironbox", required_argument, NULL, 'i'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ib_audit_opts o = {.runtime = IB_AUTHZ_RUNTIME};
	_cleanup_strv_ char **pargs = ib_xmalloc0(sizeof(char *));
	_cleanup_free_ char *self = NULL, *found = NULL; /* found: o.ironbox_path */
	ib_err err = {0};
	int c, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o.docker_host = optarg;
			break;
		case 'c':
			o.containerd_address = optarg;
			break;
		case 'p':
			o.podman = optarg;
			break;
		case 'a':
			ib_strv_push(&pargs, optarg);
			break;
		case 'i':
			o.ironbox_path = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			return usage_audit(stdout);
		default:
			return usage_audit(stderr);
		}
	}
	if (optind != argc)
		return usage_audit(stderr);
	o.podman_args = pargs;
	if (!o.ironbox_path) {
		/* ironbox-admin lives in PREFIX/libexec/ironbox or beside ironbox. */
		self = realpath("/proc/self/exe", NULL);
		if (self) {
			char *slash = strrchr(self, '/');
			*slash = '\0';
			_cleanup_free_ char *beside = ib_xasprintf("%s/ironbox", self);
			_cleanup_free_ char *prefixed = ib_xasprintf("%s/../../bin/ironbox", self);
			if (access(beside, X_OK) == 0)
				found = IB_STEAL(beside);
			else if (access(prefixed, X_OK) == 0)
				found = IB_STEAL(prefixed);
			o.ironbox_path = found;
		}
	}
	curl_global_init(CURL_GLOBAL_NOTHING);
	n = ib_audit(&o, stdout, &err);
	curl_global_cleanup();
	fflush(stdout);
	if (n < 0) {
		fprintf(stderr, "ironbox audit: %s\n", err.msg);
		return 2;
	}
	return n > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "authz-plugin"))
		return cmd_plugin(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "audit"))
		return cmd_audit(argc - 1, argv + 1);
	fprintf(stderr, "usage: ironbox-admin authz-plugin|audit [options] (run through `ironbox "
			"authz-plugin` / `ironbox audit`)\n");
	return 2;
}
