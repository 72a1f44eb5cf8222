/* ironbox events [--stats] [--interval D] <container-id>: container stats
 * and OOM notifications as `runc events` prints them, one JSON object per
 * line, until the container goes away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"

/* Go time.ParseDuration subset: "5s", "500ms", "1m30s", "1.5h". */
static bool parse_duration_ms(const char *s, int64_t *out)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1},
		     {"s", 1e3},   {"m", 6e4},	 {"h", 3.6e6}};
	double total = 0;

	if (!s || !*s)
		return false;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	while (*s) {
		char *end;
		double v;
		size_t best = 0, best_len = 0;

		errno = 0;
		v = strtod(s, &end);
		if (errno || end == s || v < 0)
			return false;
		s = end;
		for (size_t i = 0; i < IB_ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (!best_len)
			return false;
		/* "m" must not swallow the "m" of "ms" (longest match above). */
		total += v * units[best].ms;
		s += best_len;
	}
	*out = (int64_t)total;
	return true;
}

static int print_event(const char *json, void *arg)
{
	(void)arg;
	if (printf("%s\n", json) < 0 || fflush(stdout) != 0)
		return -1;
	return 0;
}

int cmd_events(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interval", required_argument, NULL, 'i'},
	    {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int64_t interval_ms = 5000;
	bool stats_once = false;
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'i':
			if (!parse_duration_ms(optarg, &interval_ms))
				return cli_error("invalid value \"%s\" for flag -interval: parse "
						 "error",
						 optarg);
			break;
		case 's':
			stats_once = true;
			break;
		case 'h':
			return cli_usage(
			    argv[0],
			    "   ironbox events [command options] <container-id>\n\n"
			    "OPTIONS:\n"
			    "   --interval value  set the stats collection interval "
			    "(default: 5s)\n"
			    "   --stats           display the container's stats then exit\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 1, CLI_ARGS_EXACT))
		return 1;
	if (interval_ms <= 0)
		return cli_error("duration interval must be greater than 0");
	if (stats_once) {
		_cleanup_free_ char *json = NULL;
		ib_err err = {0};

		if (ib_container_stats(g, argv[optind], &json, &err) < 0)
			return cli_fail(&err);
		return print_event(json, NULL) < 0 ? 1 : 0;
	}
	{
		ib_err err = {0};

		if (ib_container_events(g, argv[optind], interval_ms, print_event, NULL, &err) < 0)
			return cli_fail(&err);
	}
	return 0;
}
