/* ironbox update [options] <container-id>: change the cgroup limits of a
 * running container. The resources (from --resources FILE|- or the flags)
 * are assembled as a linux.resources JSON object and parsed by the spec
 * module, so update accepts exactly what config.json does. */
#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "spec/spec.h"

enum {
	OPT_BLKIO_WEIGHT = 256,
	OPT_CPU_PERIOD,
	OPT_CPU_QUOTA,
	OPT_CPU_SHARE,
	OPT_CPU_RT_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_KERNEL_MEMORY,
	OPT_KERNEL_MEMORY_TCP,
	OPT_MEMORY,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_PIDS_LIMIT,
	OPT_L3_CACHE,
	OPT_MEM_BW,
};

static const char update_usage[] =
    "   ironbox update [command options] <container-id>\n\n"
    "OPTIONS:\n"
    "   --resources value, -r value  path to the file containing the resources to update or "
    "'-' to read from the standard input\n"
    "   --blkio-weight value        Specifies per cgroup weight, range is from 10 to 1000\n"
    "   --cpu-period value          CPU CFS period to be used for hardcapping (in usecs)\n"
    "   --cpu-quota value           CPU CFS hardcap limit (in usecs)\n"
    "   --cpu-share value           CPU shares (relative weight vs. other containers)\n"
    "   --cpu-rt-period value       CPU realtime period (in usecs)\n"
    "   --cpu-rt-runtime value      CPU realtime hardcap limit (in usecs)\n"
    "   --cpuset-cpus value         CPU(s) to use\n"
    "   --cpuset-mems value         Memory node(s) to use\n"
    "   --kernel-memory value       Kernel memory limit (in bytes)\n"
    "   --memory value              Memory limit (in bytes)\n"
    "   --memory-reservation value  Memory reservation or soft_limit (in bytes)\n"
    "   --memory-swap value         Total memory usage (memory + swap); set '-1' to enable "
    "unlimited swap\n"
    "   --pids-limit value          Maximum number of pids allowed in the container\n";

/* docker/go-units RAMInBytes: "512", "512k", "1.5GiB", "64 mb" (binary
 * multiples); "-1" means unlimited. */
static bool parse_ram(const char *s, int64_t *out)
{
	const char *p = s;
	char *end;
	double v;
	double mult = 1;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return true;
	}
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	v = strtod(p, &end);
	if (errno || end == p)
		return false;
	p = end;
	if (*p == ' ')
		p++;
	switch (tolower((unsigned char)*p)) {
	case 'k':
		mult = 1024.0;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		break;
	case 'p':
		mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
		break;
	default:
		mult = 0;
	}
	if (mult != 0)
		p++;
	else
		mult = 1;
	if (tolower((unsigned char)*p) == 'i' && mult > 1)
		p++;
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p)
		return false;
	v *= mult;
	if (v >= 9.2e18)
		return false;
	*out = (int64_t)v;
	return true;
}

static struct json_object *section(struct json_object *res, const char *name)
{
	struct json_object *o;

	if (json_object_object_get_ex(res, name, &o))
		return o;
	o = json_object_new_object();
	json_object_object_add(res, name, o);
	return o;
}

static bool set_ram(struct json_object *res, const char *sec, const char *key, const char *flag,
		    const char *val)
{
	int64_t v;

	if (!parse_ram(val, &v)) {
		cli_error("invalid value for %s: invalid size: '%s'", flag, val);
		return false;
	}
	json_object_object_add(section(res, sec), key, json_object_new_int64(v));
	return true;
}

static bool set_u64(struct json_object *res, const char *sec, const char *key, const char *flag,
		    const char *val)
{
	uint64_t v;

	if (!cli_parse_uint(flag, val, &v))
		return false;
	json_object_object_add(section(res, sec), key, json_object_new_uint64(v));
	return true;
}

static bool set_i64(struct json_object *res, const char *sec, const char *key, const char *flag,
		    const char *val)
{
	int64_t v;

	if (!cli_parse_int(flag, val, &v))
		return false;
	json_object_object_add(section(res, sec), key, json_object_new_int64(v));
	return true;
}

static int read_resources(const char *path, struct json_object **out)
{
	_cleanup_free_ char *text = NULL;
	enum json_tokener_error jerr;
	ib_err err = {0};
	struct json_object *o;

	if (strcmp(path, "-") == 0) {
		if (ib_read_file_at(AT_FDCWD, "/dev/stdin", &text, NULL, &err) < 0)
			return cli_fail(&err);
	} else if (ib_read_file_at(AT_FDCWD, path, &text, NULL, &err) < 0) {
		return cli_fail(&err);
	}
	o = json_tokener_parse_verbose(text, &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cli_error("decode resources: %s",
				 o ? "not a JSON object" : json_tokener_error_desc(jerr));
	}
	*out = o;
	return 0;
}

int cmd_update(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
	    {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
	    {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
	    {"cpu-share", required_argument, NULL, OPT_CPU_SHARE},
	    {"cpu-shares", required_argument, NULL, OPT_CPU_SHARE},
	    {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
	    {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
	    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
	    {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
	    {"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
	    {"kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
	    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	    {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
	    {"l3-cache-schema", required_argument, NULL, OPT_L3_CACHE},
	    {"mem-bw-schema", required_argument, NULL, OPT_MEM_BW},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct json_object *flags = json_object_new_object(), *res = NULL, *doc;
	_cleanup_spec_ struct ib_spec *spec = NULL;
	const char *resources_path = NULL;
	ib_err err = {0};
	bool ok = true;
	int c, rc;

	cli_flags_first(argc, argv, "r:h", opts);
	cli_getopt_reset();
	while (ok && (c = cli_getopt(argc, argv, "r:h", opts)) != -1) {
		switch (c) {
		case 'r':
			resources_path = optarg;
			break;
		case OPT_BLKIO_WEIGHT: {
			uint64_t w;
			ok = cli_parse_uint("blkio-weight", optarg, &w);
			if (ok && w > 0xffff) {
				cli_error("invalid value \"%s\" for flag -blkio-weight", optarg);
				ok = false;
			}
			if (ok)
				json_object_object_add(section(flags, "blockIO"), "weight",
						       json_object_new_uint64(w));
			break;
		}
		case OPT_CPU_PERIOD:
			ok = set_u64(flags, "cpu", "period", "cpu-period", optarg);
			break;
		case OPT_CPU_QUOTA:
			ok = set_i64(flags, "cpu", "quota", "cpu-quota", optarg);
			break;
		case OPT_CPU_SHARE:
			ok = set_u64(flags, "cpu", "shares", "cpu-share", optarg);
			break;
		case OPT_CPU_RT_PERIOD:
			ok = set_u64(flags, "cpu", "realtimePeriod", "cpu-rt-period", optarg);
			break;
		case OPT_CPU_RT_RUNTIME:
			ok = set_i64(flags, "cpu", "realtimeRuntime", "cpu-rt-runtime", optarg);
			break;
		case OPT_CPUSET_CPUS:
			json_object_object_add(section(flags, "cpu"), "cpus",
					       json_object_new_string(optarg));
			break;
		case OPT_CPUSET_MEMS:
			json_object_object_add(section(flags, "cpu"), "mems",
					       json_object_new_string(optarg));
			break;
		case OPT_KERNEL_MEMORY:
			ok = set_ram(flags, "memory", "kernel", "kernel-memory", optarg);
			break;
		case OPT_KERNEL_MEMORY_TCP:
			ok = set_ram(flags, "memory", "kernelTCP", "kernel-memory-tcp", optarg);
			break;
		case OPT_MEMORY:
			ok = set_ram(flags, "memory", "limit", "memory", optarg);
			break;
		case OPT_MEMORY_RESERVATION:
			ok = set_ram(flags, "memory", "reservation", "memory-reservation", optarg);
			break;
		case OPT_MEMORY_SWAP:
			ok = set_ram(flags, "memory", "swap", "memory-swap", optarg);
			break;
		case OPT_PIDS_LIMIT:
			ok = set_i64(flags, "pids", "limit", "pids-limit", optarg);
			break;
		case OPT_L3_CACHE:
		case OPT_MEM_BW:
			break; /* Intel RDT: not supported, accepted like an unset flag */
		case 'h':
			json_object_put(flags);
			return cli_usage(argv[0], update_usage);
		default:
			ok = false;
		}
	}
	if (!ok || cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT)) {
		json_object_put(flags);
		return 1;
	}
	/* With --resources every other flag is ignored (runc). */
	if (resources_path) {
		json_object_put(flags);
		if (read_resources(resources_path, &res))
			return 1;
	} else {
		res = flags;
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "ociVersion", json_object_new_string("1.0.2"));
	{
		struct json_object *root = json_object_new_object(),
				   *lnx = json_object_new_object();
		json_object_object_add(root, "path", json_object_new_string("/"));
		json_object_object_add(doc, "root", root);
		json_object_object_add(lnx, "resources", res);
		json_object_object_add(doc, "linux", lnx);
	}
	spec =
	    ib_spec_parse(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN), "/", &err);
	json_object_put(doc);
	if (!spec)
		return cli_fail(&err);
	rc = ib_container_update(g, argv[optind], &spec->resources, &err);
	if (rc < 0)
		return cli_fail(&err);
	return 0;
}
