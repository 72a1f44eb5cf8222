/* `ironbox audit` without a container ID, and the hidden `ironbox
 * authz-plugin`: both run ironbox-admin (which links libcurl and
 * libmicrohttpd; the runtime binary does not, to keep its startup fast).
 *
 * Joining with `ironbox audit ID` (a container's seccomp log): `audit` with
 * no positional argument, or with --engines, is this command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"

/* ironbox-admin beside this binary (build tree) or in
 * PREFIX/libexec/ironbox (installed). */
static char *admin_path(void)
{
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	char *cand;

	if (!self)
		return NULL;
	*strrchr(self, '/') = '\0';
	cand = ib_xasprintf("%s/ironbox-admin", self);
	if (access(cand, X_OK) == 0)
		return cand;
	free(cand);
	cand = ib_xasprintf("%s/../libexec/ironbox/ironbox-admin", self);
	if (access(cand, X_OK) == 0)
		return cand;
	free(cand);
	return NULL;
}

static int exec_admin(const char *verb, int argc, char **argv)
{
	_cleanup_free_ char *path = admin_path();
	char **args;
	int n = 0;

	if (!path)
		return cli_error("ironbox-admin not found beside ironbox or in "
				 "../libexec/ironbox: install ironbox with `make install`");
	args = ib_xmalloc0(sizeof(char *) * ((size_t)argc + 2));
	args[n++] = "ironbox-admin";
	args[n++] = (char *)verb;
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	fflush(stdout);
	execv(path, args);
	free(args);
	return cli_error("exec %s: %s", path, strerror(errno));
}

int cmd_audit_engines(struct ib_global_opts *g, int argc, char **argv)
{
	(void)g;
	/* --engines is accepted (and dropped) for the joined `audit` verb. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--engines")) {
			memmove(&argv[i], &argv[i + 1], sizeof(char *) * (size_t)(argc - i));
			argc--;
			i--;
		}
	return exec_admin("audit", argc, argv);
}

int cmd_authz_plugin(struct ib_global_opts *g, int argc, char **argv)
{
	(void)g;
	return exec_admin("authz-plugin", argc, argv);
}
