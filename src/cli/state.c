/* ironbox state <container-id>: the OCI state JSON. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/util.h"

int cmd_state(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *json = NULL;
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_usage(argv[0], "   ironbox state <container-id>\n");
		return 1;
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT))
		return 1;
	if (ib_container_state(g, argv[optind], &json, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", json);
	return 0;
}
