/* ironbox audit [--stats] <container-id>: the calls the container's
 * supervisor denied (JSON lines), or its counters. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"

static bool engines_audit(int argc, char **argv)
{
	static const char *const engine_flags[] = {"--engines", "--docker-host", "--containerd",
						   "--podman",	"--podman-arg",	 "--ironbox",
						   "-q",	"--quiet",	 NULL};

	if (argc < 2)
		return true;
	for (size_t i = 0; engine_flags[i]; i++) {
		size_t n = strlen(engine_flags[i]);

		if (!strncmp(argv[1], engine_flags[i], n) &&
		    (argv[1][n] == '\0' || argv[1][n] == '='))
			return true;
	}
	return false;
}

/* One verb: with a container ID, the supervisor's denials; without (or with
 * the engine options), the containers of the local engines not under
 * ironbox (ironbox-admin). */
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

	if (engines_audit(argc, argv))
		return cmd_audit_engines(g, argc, argv);
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
