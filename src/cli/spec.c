/* ironbox spec [--bundle DIR] [--rootless]: write a default config.json. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "spec/spec.h"

int cmd_spec(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	const char *bundle = NULL, *json;
	int c;

	(void)g;
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "b:h", opts)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'R':
			/* Every ironbox container has its own user namespace already. */
			break;
		case 'h':
			return cli_usage(
			    argv[0], "   ironbox spec [command options]\n\nOPTIONS:\n"
				     "   --bundle value, -b value  path to the root of the bundle "
				     "directory\n"
				     "   --rootless                generate a configuration for a "
				     "rootless container\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;
	path =
	    bundle && *bundle ? ib_xasprintf("%s/config.json", bundle) : ib_xstrdup("config.json");
	if (access(path, F_OK) == 0)
		return cli_error("File config.json exists. Remove it first");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			return cli_error("File config.json exists. Remove it first");
		return cli_error("open %s: %s", path, strerror(errno));
	}
	json = ib_spec_default_json();
	if (ib_write_all(fd, json, strlen(json)) < 0)
		return cli_error("write %s: %s", path, strerror(errno));
	return 0;
}
