/* ironbox delete [--force] <container-id>... */
#include "cli/cli.h"

int cmd_delete(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool force = false;
	int c, rc = 0;

	cli_flags_first(argc, argv, "fh", opts);
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "fh", opts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			return cli_usage(argv[0],
					 "   ironbox delete [command options] <container-id>\n\n"
					 "OPTIONS:\n"
					 "   --force, -f  Forcibly deletes the container if it is "
					 "still running (uses SIGKILL)\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_MIN))
		return 1;
	for (int i = optind; i < argc; i++) {
		ib_err err = {0};

		if (ib_container_delete(g, argv[i], force, &err) < 0)
			rc = cli_fail(&err);
	}
	return rc;
}
