/* ironbox run [options] <container-id>: create + start (+ wait + delete). */
#include "cli/cli.h"
#include "common/util.h"

int cmd_run(struct ib_global_opts *g, int argc, char **argv)
{
	struct ib_create_opts o = {0};
	_cleanup_free_ char *bundle = NULL, *pid_file = NULL, *console = NULL;
	ib_err err = {0};
	int status = 0;
	int r = cli_parse_create(argc, argv, true, &o, &bundle, &pid_file, &console);

	if (r)
		return r < 0 ? 1 : 0;
	if (ib_container_run(g, &o, &status, &err) < 0)
		return cli_fail(&err);
	return o.detach ? 0 : status;
}
