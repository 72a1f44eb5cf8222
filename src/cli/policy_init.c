/* ironbox policy-init: install the default admin policy if there is none. */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "policy/policy.h"

int cmd_policy_init(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = g->policy_path ? g->policy_path : IB_POLICY_DEFAULT_PATH;
	_cleanup_free_ char *copy = ib_xstrdup(path), *json = NULL;
	ib_err err = {0};
	struct stat sb;
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_usage(
			    argv[0], "   ironbox [--policy FILE] policy-init\n\n"
				     "Writes the default isolation policy (root:root 0644) unless "
				     "the file exists.\n");
		return 1;
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;
	if (lstat(path, &sb) == 0)
		return 0; /* never overwrite the admin's policy */
	if (errno != ENOENT)
		return cli_error("stat %s: %s", path, strerror(errno));
	if (ib_mkdir_p(dirname(copy), 0755, &err) < 0)
		return cli_fail(&err);
	json = ib_policy_default_json();
	if (ib_write_file_atomic(path, json, strlen(json), 0644, &err) < 0)
		return cli_fail(&err);
	if (chown(path, 0, 0) < 0 || chmod(path, 0644) < 0)
		return cli_error("set owner/mode of %s: %s", path, strerror(errno));
	fprintf(stderr, "ironbox: wrote default policy to %s\n", path);
	return 0;
}
