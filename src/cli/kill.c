/* ironbox kill [--all] <container-id> [signal] */
#include <signal.h>

#include "cli/cli.h"
#include "common/signals.h"

int cmd_kill(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	ib_err err = {0};
	bool all = false;
	int c, sig = SIGTERM;

	cli_flags_first(argc, argv, "ah", opts);
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "ah", opts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			return cli_usage(
			    argv[0], "   ironbox kill [command options] <container-id> [signal]\n\n"
				     "OPTIONS:\n"
				     "   --all, -a  send the specified signal to all processes "
				     "inside the container\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_MIN) ||
	    cli_check_args(argv[0], argc - optind, 2, CLI_ARGS_MAX))
		return 1;
	if (argc - optind == 2) {
		sig = ib_parse_signal(argv[optind + 1]);
		if (sig < 0)
			return cli_error("unknown signal \"%s\"", argv[optind + 1]);
	}
	if (ib_container_kill(g, argv[optind], sig, all, &err) < 0)
		return cli_fail(&err);
	return 0;
}
