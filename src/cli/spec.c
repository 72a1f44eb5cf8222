/* ironbox spec [--bundle DIR] [--rootless]: write a default config.json. */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "spec/spec.h"

/* runc's specconv.ToRootless: a user namespace mapping the caller's IDs to
 * root, no uid=/gid= mount options, no cgroup resources. Unlike runc, the
 * network namespace and the sysfs mount stay: ironbox refuses to share the
 * host's network namespace or to bind the host's /sys (runc only does both
 * because a rootless runc cannot mount sysfs without a network namespace of
 * its own). ironbox gives every container its own ID range anyway; the
 * mappings are the ones runc writes. */
static char *rootless_json(const char *json, ib_err *err)
{
	struct json_object *o = json_tokener_parse(json), *lnx, *ns, *mounts, *newns;
	char *out;

	if (!o || !json_object_object_get_ex(o, "linux", &lnx) ||
	    !json_object_object_get_ex(lnx, "namespaces", &ns) ||
	    !json_object_object_get_ex(o, "mounts", &mounts)) {
		json_object_put(o);
		ib_err_set(err, EINVAL, "default spec: unexpected layout");
		return NULL;
	}
	newns = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ns); i++) {
		struct json_object *e = json_object_array_get_idx(ns, i), *t;
		const char *type =
		    json_object_object_get_ex(e, "type", &t) ? json_object_get_string(t) : "";

		/* runc drops the network namespace too; ironbox refuses to share
		 * the host's, so the rootless spec keeps its own. */
		if (strcmp(type, "user") == 0)
			continue;
		json_object_array_add(newns, json_object_get(e));
	}
	{
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "type", json_object_new_string("user"));
		json_object_array_add(newns, u);
	}
	json_object_object_add(lnx, "namespaces", newns);

	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i), *opts, *newopts;

		if (json_object_object_get_ex(m, "options", &opts)) {
			newopts = json_object_new_array();
			for (size_t k = 0; k < json_object_array_length(opts); k++) {
				struct json_object *op = json_object_array_get_idx(opts, k);
				const char *v = json_object_get_string(op);

				if (strncmp(v, "uid=", 4) == 0 || strncmp(v, "gid=", 4) == 0)
					continue;
				json_object_array_add(newopts, json_object_get(op));
			}
			json_object_object_add(m, "options", newopts);
		}
	}

	{
		struct json_object *um = json_object_new_array(), *gm = json_object_new_array();
		struct json_object *u = json_object_new_object(), *gg = json_object_new_object();

		json_object_object_add(u, "containerID", json_object_new_int(0));
		json_object_object_add(u, "hostID", json_object_new_int64((int64_t)geteuid()));
		json_object_object_add(u, "size", json_object_new_int(1));
		json_object_object_add(gg, "containerID", json_object_new_int(0));
		json_object_object_add(gg, "hostID", json_object_new_int64((int64_t)getegid()));
		json_object_object_add(gg, "size", json_object_new_int(1));
		struct json_object *nl = json_object_new_object();

		json_object_array_add(um, u);
		json_object_array_add(gm, gg);
		/* runc's field order: the mappings first. */
		json_object_object_add(nl, "uidMappings", um);
		json_object_object_add(nl, "gidMappings", gm);
		json_object_object_foreach(lnx, key, val)
		{
			if (strcmp(key, "resources") != 0)
				json_object_object_add(nl, key, json_object_get(val));
		}
		json_object_object_add(o, "linux", nl);
	}
	out = ib_xasprintf("%s\n",
			   json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
				      JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

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
	_cleanup_free_ char *rootless_text = NULL;
	const char *bundle = NULL, *json;
	bool rootless = false;
	int c;

	(void)g;
	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "b:h", opts)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'R':
			rootless = true;
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
	if (rootless) {
		ib_err err = {0};

		json = rootless_text = rootless_json(json, &err);
		if (!json) {
			unlink(path);
			return cli_fail(&err);
		}
	}
	if (ib_write_all(fd, json, strlen(json)) < 0)
		return cli_error("write %s: %s", path, strerror(errno));
	return 0;
}
