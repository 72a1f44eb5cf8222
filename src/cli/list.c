/* ironbox list [--format table|json] [--quiet] */
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/util.h"
#include "state/state.h"

struct row {
	char *cells[6]; /* ID PID STATUS BUNDLE CREATED OWNER */
	struct ib_state *st;
	enum ib_status status;
};

static char *owner_of(const char *root, const char *id)
{
	_cleanup_free_ char *dir = ib_state_path(root, id, NULL);
	struct stat sb;
	struct passwd *pw;

	if (stat(dir, &sb) < 0)
		return ib_xstrdup("");
	pw = getpwuid(sb.st_uid);
	if (pw)
		return ib_xstrdup(pw->pw_name);
	return ib_xasprintf("#%u", (unsigned)sb.st_uid);
}

/* text/tabwriter with minwidth 12, padding 3, as runc configures it: every
 * column but the last is padded to max(width + 3, 12). */
static void print_table(struct row *rows, size_t n)
{
	static const char *header[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
	size_t width[5];

	for (int c = 0; c < 5; c++) {
		size_t w = strlen(header[c]);
		for (size_t i = 0; i < n; i++)
			if (strlen(rows[i].cells[c]) > w)
				w = strlen(rows[i].cells[c]);
		width[c] = w + 3 > 12 ? w + 3 : 12;
	}
	for (int c = 0; c < 5; c++)
		printf("%-*s", (int)width[c], header[c]);
	printf("%s\n", header[5]);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < 5; c++)
			printf("%-*s", (int)width[c], rows[i].cells[c]);
		printf("%s\n", rows[i].cells[5]);
	}
}

static void print_json(const char *root, struct row *rows, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		struct ib_state *st = rows[i].st;

		json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
		json_object_object_add(o, "id", json_object_new_string(st->id));
		json_object_object_add(o, "pid", json_object_new_int(atoi(rows[i].cells[1])));
		json_object_object_add(o, "status",
				       json_object_new_string(ib_status_name(rows[i].status)));
		json_object_object_add(o, "bundle", json_object_new_string(rows[i].cells[3]));
		json_object_object_add(o, "rootfs",
				       json_object_new_string(st->rootfs ? st->rootfs : ""));
		json_object_object_add(o, "created", json_object_new_string(rows[i].cells[4]));
		if (st->n_annotations) {
			struct json_object *ann = json_object_new_object();
			for (size_t k = 0; k < st->n_annotations; k++)
				json_object_object_add(
				    ann, st->annotation_keys[k],
				    json_object_new_string(st->annotation_values[k]));
			json_object_object_add(o, "annotations", ann);
		}
		json_object_object_add(o, "owner", json_object_new_string(rows[i].cells[5]));
		json_object_array_add(arr, o);
	}
	(void)root;
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

int cmd_list(struct ib_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_strv_ char **ids = NULL;
	const char *format = "table";
	bool quiet = false;
	struct row *rows;
	size_t n = 0;
	ib_err err = {0};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(argc, argv, "f:qh", opts)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			return cli_usage(
			    argv[0], "   ironbox list [command options]\n\nOPTIONS:\n"
				     "   --format value, -f value  select one of: table or json "
				     "(default: \"table\")\n"
				     "   --quiet, -q               display only container IDs\n");
		default:
			return 1;
		}
	}
	if (cli_check_args(argv[0], argc - optind, 0, CLI_ARGS_EXACT))
		return 1;
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_error("invalid format option");
	if (ib_state_list(g->root, &ids, &err) < 0)
		return cli_fail(&err);
	rows = ib_xmalloc0((ib_strv_len(ids) + 1) * sizeof(*rows));
	for (size_t i = 0; ids[i]; i++) {
		ib_err e = {0};
		struct ib_state *st = ib_state_load(g->root, ids[i], &e);
		struct row *r = &rows[n];

		if (!st)
			continue; /* being created or deleted right now */
		r->st = st;
		r->status = ib_state_status(g->root, st);
		r->cells[0] = ib_xstrdup(st->id);
		r->cells[1] = ib_xasprintf("%d", r->status == IB_STATUS_STOPPED ? 0 : (int)st->pid);
		r->cells[2] = ib_xstrdup(ib_status_name(r->status));
		r->cells[3] = ib_xstrdup(st->bundle ? st->bundle : "");
		r->cells[4] = ib_xstrdup(st->created ? st->created : "");
		r->cells[5] = owner_of(g->root, st->id);
		n++;
	}
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", rows[i].cells[0]);
	} else if (strcmp(format, "json") == 0) {
		print_json(g->root, rows, n);
	} else {
		print_table(rows, n);
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 6; k++)
			free(rows[i].cells[k]);
		ib_state_free(rows[i].st);
	}
	free(rows);
	return 0;
}
