/* ironbox create [options] <container-id> */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "state/state.h"

enum {
	OPT_CONSOLE = 256,
	OPT_PID_FILE,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_PRESERVE_FDS,
	OPT_KEEP,
	OPT_NO_SUBREAPER,
};

static const char create_usage[] =
    "   ironbox create [command options] <container-id>\n\n"
    "OPTIONS:\n"
    "   --bundle value, -b value  path to the root of the bundle directory, defaults to the "
    "current directory\n"
    "   --console-socket value    path to an AF_UNIX socket which will receive a file "
    "descriptor referencing the master end of the console's pseudoterminal\n"
    "   --pid-file value          specify the file to write the process id to\n"
    "   --no-pivot                do not use pivot root to jail process inside rootfs\n"
    "   --no-new-keyring          do not create a new session keyring for the container\n"
    "   --preserve-fds value      Pass N additional file descriptors to the container "
    "(default: 0)\n";

static const char run_usage[] =
    "   ironbox run [command options] <container-id>\n\n"
    "OPTIONS:\n"
    "   --bundle value, -b value  path to the root of the bundle directory, defaults to the "
    "current directory\n"
    "   --console-socket value    path to an AF_UNIX socket which will receive a file "
    "descriptor referencing the master end of the console's pseudoterminal\n"
    "   --detach, -d              detach from the container's process\n"
    "   --keep                    do not delete the container after it exits\n"
    "   --pid-file value          specify the file to write the process id to\n"
    "   --no-subreaper            accepted, ignored\n"
    "   --no-pivot                do not use pivot root to jail process inside rootfs\n"
    "   --no-new-keyring          do not create a new session keyring for the container\n"
    "   --preserve-fds value      Pass N additional file descriptors to the container "
    "(default: 0)\n";

int cli_parse_create(int argc, char **argv, bool run, struct ib_create_opts *o, char **bundle_buf,
		     char **pid_file_buf, char **console_buf)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	    {"no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	    {"help", no_argument, NULL, 'h'},
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	    {NULL, 0, NULL, 0},
	};
	const char *bundle = NULL;
	uint64_t fds;
	char buf[PATH_MAX];
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, run ? "b:dh" : "b:h", opts)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case OPT_CONSOLE:
			*console_buf = cli_abs_path(optarg);
			break;
		case OPT_PID_FILE:
			*pid_file_buf = cli_abs_path(optarg);
			break;
		case OPT_NO_PIVOT:
			o->no_pivot = true;
			break;
		case OPT_NO_NEW_KEYRING:
			o->no_new_keyring = true;
			break;
		case OPT_PRESERVE_FDS:
			if (!cli_parse_uint("preserve-fds", optarg, &fds))
				return -1;
			if (fds > 65536) {
				cli_error("invalid --preserve-fds value %s", optarg);
				return -1;
			}
			o->preserve_fds = (int)fds;
			break;
		case 'd':
			if (!run)
				goto unknown;
			o->detach = true;
			break;
		case OPT_KEEP:
			if (!run)
				goto unknown;
			o->keep = true;
			break;
		case OPT_NO_SUBREAPER:
			if (!run)
				goto unknown;
			break;
		case 'h':
			cli_usage(argv[0], run ? run_usage : create_usage);
			return 1;
		default:
			return -1;
		unknown:
			cli_error("flag provided but not defined: %s", argv[optind - 1]);
			return -1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT))
		return -1;
	o->id = argv[optind];
	{
		ib_err err = {0};
		if (ib_state_check_id(o->id, &err) < 0) {
			cli_fail(&err);
			return -1;
		}
	}
	if (!bundle || !*bundle) {
		if (!getcwd(buf, sizeof(buf))) {
			cli_error("getwd: %s", strerror(errno));
			return -1;
		}
		*bundle_buf = ib_xstrdup(buf);
	} else {
		*bundle_buf = realpath(bundle, NULL);
		if (!*bundle_buf) {
			cli_error("chdir %s: %s", bundle, strerror(errno));
			return -1;
		}
	}
	o->bundle = *bundle_buf;
	o->pid_file = *pid_file_buf;
	o->console_socket = *console_buf;
	return 0;
}

int cmd_create(struct ib_global_opts *g, int argc, char **argv)
{
	struct ib_create_opts o = {0};
	_cleanup_free_ char *bundle = NULL, *pid_file = NULL, *console = NULL;
	ib_err err = {0};
	int r = cli_parse_create(argc, argv, false, &o, &bundle, &pid_file, &console);

	if (r)
		return r < 0 ? 1 : 0;
	if (ib_container_create(g, &o, &err) < 0)
		return cli_fail(&err);
	return 0;
}
