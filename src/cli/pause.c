/* ironbox pause|resume <container-id> */
#include "cli/cli.h"

static int pause_resume(struct ib_global_opts *g, int argc, char **argv, bool pause)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_usage(argv[0], pause ? "   ironbox pause <container-id>\n"
							: "   ironbox resume <container-id>\n");
		return 1;
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT))
		return 1;
	if ((pause ? ib_container_pause : ib_container_resume)(g, argv[optind], &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_pause(struct ib_global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, true);
}

int cmd_resume(struct ib_global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, false);
}
