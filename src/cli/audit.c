/* ironbox audit [--stats] <container-id>: the calls the container's
 * supervisor denied (JSON lines), or its counters. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/util.h"

int cmd_audit(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *out = NULL;
	bool stats = false;
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "sh", opts)) != -1) {
		switch (c) {
		case 's':
			stats = true;
			break;
		case 'h':
			return cli_usage(
			    argv[0],
			    "   ironbox audit [--stats] <container-id>\n\n"
			    "Prints the system calls the container's supervisor denied, one "
			    "JSON object per line;\nwith --stats, its counters (a JSON "
			    "object).\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT))
		return 1;
	if (ib_container_audit(g, argv[optind], stats, &out, &err) < 0)
		return cli_fail(&err);
	fputs(out, stdout);
	if (stats)
		putchar('\n');
	return 0;
}
