/* ironbox ps [--format table|json] <container-id> [ps options] */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* In the child: become the container's root, in its user namespace (the
 * pidfd of its init). The container's processes then belong to "you" for
 * ps's user-relative selections (BSD x, U, ...) and show as root, as under
 * runc where the container's root is the host's. */
static void enter_container_user(int init_pidfd)
{
	if (init_pidfd < 0)
		return;
	/* No host group may stay with us: fail closed. */
	if (setns(init_pidfd, CLONE_NEWUSER) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "ps: enter the container's user namespace: %s\n", strerror(errno));
		_exit(127);
	}
}

/* Run `ps <args>` and collect its stdout. */
static int run_ps(char **args, int nargs, int init_pidfd, char **out)
{
	_cleanup_free_ char **argv = ib_xmalloc0(((size_t)nargs + 3) * sizeof(char *));
	int pipefd[2], status, k = 0;
	size_t cap = 8192, len = 0;
	char *buf;
	pid_t child;

	argv[k++] = (char *)"ps";
	if (nargs == 0)
		argv[k++] = (char *)"-ef";
	for (int i = 0; i < nargs; i++)
		argv[k++] = args[i];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cli_error("pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		return cli_error("fork: %s", strerror(errno));
	if (child == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		enter_container_user(init_pidfd);
		execvp("ps", argv);
		fprintf(stderr, "exec: \"ps\": %s\n", strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	buf = ib_xmalloc0(cap);
	for (;;) {
		ssize_t r;
		if (len + 1 >= cap) {
			cap *= 2;
			buf = ib_xrealloc(buf, cap);
		}
		r = read(pipefd[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(pipefd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int rc = cli_error("ps: exit status %d: %s",
				   WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static int print_table(pid_t *pids, size_t n, char **args, int nargs, int init_pidfd)
{
	_cleanup_free_ char *out = NULL;
	char *save = NULL, *line;
	int pid_index = -1;

	if (run_ps(args, nargs, init_pidfd, &out))
		return 1;
	line = strtok_r(out, "\n", &save);
	if (!line)
		return cli_error("couldn't find PID field in ps output");
	{
		_cleanup_free_ char *hdr = ib_xstrdup(line);
		char *s2 = NULL;
		int i = 0;
		for (char *t = strtok_r(hdr, " \t", &s2); t; t = strtok_r(NULL, " \t", &s2), i++) {
			if (strcmp(t, "PID") == 0) {
				pid_index = i;
				break;
			}
		}
	}
	if (pid_index < 0)
		return cli_error("couldn't find PID field in ps output");
	printf("%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save))) {
		_cleanup_free_ char *copy = ib_xstrdup(line);
		char *s2 = NULL, *t;
		int i = 0;
		long pid;

		for (t = strtok_r(copy, " \t", &s2); t && i < pid_index;
		     t = strtok_r(NULL, " \t", &s2))
			i++;
		if (!t)
			continue;
		if (!ib_parse_long(t, &pid))
			return cli_error("unexpected pid '%s'", t);
		if (has_pid(pids, n, pid))
			printf("%s\n", line);
	}
	return 0;
}

int cmd_ps(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ pid_t *pids = NULL;
	const char *format = "table";
	size_t n = 0;
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "f:h", opts)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			return cli_usage(
			    argv[0], "   ironbox ps [command options] <container-id> [ps "
				     "options]\n\nOPTIONS:\n"
				     "   --format value, -f value  select one of: table or json "
				     "(default: \"table\")\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_MIN))
		return 1;
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_error("invalid format option");
	if (ib_container_pids(g, argv[optind], &pids, &n, &err) < 0)
		return cli_fail(&err);
	if (strcmp(format, "json") == 0) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_int(pids[i]));
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
		json_object_put(arr);
		return 0;
	}
	/* Everything after the id is passed to ps (a leading "--" is dropped). */
	char **rest = argv + optind + 1;
	int nrest = argc - optind - 1;
	if (nrest > 0 && strcmp(rest[0], "--") == 0) {
		rest++;
		nrest--;
	}
	{
		_cleanup_close_ int init_pidfd = -1;

		if (n > 0) {
			init_pidfd = ib_container_init_pidfd(g, argv[optind], &err);
			ib_err_clear(&err); /* gone meanwhile: ps as ourselves */
		}
		return print_table(pids, n, rest, nrest, init_pidfd);
	}
}
