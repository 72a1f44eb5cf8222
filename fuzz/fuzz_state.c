/* libFuzzer target: state.json (src/state).
 *
 * Input: the text of <root>/<id>/state.json. The state dir is root-owned, but
 * the file is read by every command (`state`, `kill`, `delete`, the ID-range
 * reclaimer) and may be truncated or half-written after a crash, so any text
 * must be handled: a failure carries a code and a message; an accepted state
 * has the requested id and readable strings; ib_state_oci_json() (what `state`
 * prints) is valid JSON naming the container; and saving the state and
 * loading it back gives the same state (what `start` does to a created
 * container).
 *
 * There is no pure parser: ib_state_load() reads the file, so the target
 * writes each input into a private temporary state root ($TMPDIR). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "fuzz_common.h"
#include "state/state.h"

#define ID "fuzz"

static char root_in[4096], root_out[4096], file_in[4096];
static char tmp_base[4096];

static void cleanup(void)
{
	char p[4200];
	const char *roots[] = {root_in, root_out};

	for (size_t i = 0; i < 2; i++) {
		if (!roots[i][0])
			continue;
		snprintf(p, sizeof(p), "%s/%s/state.json", roots[i], ID);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%s", roots[i], ID);
		rmdir(p);
		rmdir(roots[i]);
	}
	if (tmp_base[0])
		rmdir(tmp_base);
}

static void log_sink(enum ib_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)data;
	fz_touch(msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char p[4200];

	(void)argc;
	(void)argv;
	ib_log_set_sink(log_sink, NULL);
	ib_log_set_level(IB_LOG_DEBUG);
	snprintf(tmp_base, sizeof(tmp_base), "%s/ib-fuzz-state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(tmp_base), "mkdtemp %s failed", tmp_base);
	snprintf(root_in, sizeof(root_in), "%s/in", tmp_base);
	snprintf(root_out, sizeof(root_out), "%s/out", tmp_base);
	snprintf(file_in, sizeof(file_in), "%s/%s/state.json", root_in, ID);
	atexit(cleanup);
	FZ_CHECK(mkdir(root_in, 0700) == 0 && mkdir(root_out, 0700) == 0, "mkdir roots");
	snprintf(p, sizeof(p), "%s/%s", root_in, ID);
	FZ_CHECK(mkdir(p, 0700) == 0, "mkdir %s", p);
	snprintf(p, sizeof(p), "%s/%s", root_out, ID);
	FZ_CHECK(mkdir(p, 0700) == 0, "mkdir %s", p);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(file_in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	FZ_CHECK(fd >= 0, "open %s", file_in);
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		FZ_CHECK(n > 0, "write %s", file_in);
		off += (size_t)n;
	}
	close(fd);
}

/* 0 = stop here: a known open bug was hit. */
static int walk_state(const struct ib_state *st)
{
	FZ_CHECK(st->id && !strcmp(st->id, ID), "loaded state has id \"%s\", asked for \"%s\"",
		 st->id ? st->id : "(null)", ID);
	fz_touch(st->bundle);
	fz_touch(st->rootfs);
	fz_touch(st->created);
	fz_touch(st->owner);
	fz_touch(st->cgroup_path);
	FZ_CHECK(st->n_annotations == 0 || (st->annotation_keys && st->annotation_values),
		 "annotations: no arrays");
	for (size_t i = 0; i < st->n_annotations; i++) {
		FZ_CHECK(st->annotation_keys[i], "annotation key %zu is NULL", i);
		/* `list --format json` passes every value to json_object_new_string(). */
		if (!FZ_CHECK_OPEN("state-annotation-null", st->annotation_values[i],
				   "annotation \"%s\" has a NULL value", st->annotation_keys[i]))
			return 0;
		fz_touch(st->annotation_keys[i]);
		fz_touch(st->annotation_values[i]);
	}
	return 1;
}

static void compare_states(const struct ib_state *a, const struct ib_state *b)
{
	FZ_CHECK(fz_streq(a->id, b->id) && a->pid == b->pid && a->pid_start == b->pid_start &&
		     fz_streq(a->bundle, b->bundle) && fz_streq(a->rootfs, b->rootfs) &&
		     fz_streq(a->created, b->created) && fz_streq(a->owner, b->owner) &&
		     fz_streq(a->cgroup_path, b->cgroup_path) &&
		     a->systemd_cgroup == b->systemd_cgroup && a->started == b->started &&
		     a->host_id_base == b->host_id_base && a->host_id_size == b->host_id_size,
		 "state changed across save + load");
	FZ_CHECK(a->n_annotations == b->n_annotations, "annotations: %zu became %zu",
		 a->n_annotations, b->n_annotations);
	for (size_t i = 0; i < a->n_annotations; i++)
		FZ_CHECK(fz_streq(a->annotation_keys[i], b->annotation_keys[i]) &&
			     fz_streq(a->annotation_values[i], b->annotation_values[i]),
			 "annotation %zu changed across save + load", i);
}

/* `state` output: valid JSON, the container's id, status "stopped" (pid 0). */
static void check_oci_json(struct ib_state *st)
{
	pid_t pid = st->pid;
	char *out;
	struct json_object *o, *v;

	/* No live process: keeps the check away from /proc and the cgroup tree
	 * (whose paths come from the input). */
	st->pid = 0;
	out = ib_state_oci_json(root_in, st, false);
	st->pid = pid;
	FZ_CHECK(out, "ib_state_oci_json returned NULL");
	o = json_tokener_parse(out);
	FZ_CHECK(o && json_object_is_type(o, json_type_object), "state output is not JSON: %s",
		 out);
	FZ_CHECK(json_object_object_get_ex(o, "id", &v) && !strcmp(json_object_get_string(v), ID),
		 "state output names another id: %s", out);
	FZ_CHECK(json_object_object_get_ex(o, "status", &v) &&
		     !strcmp(json_object_get_string(v), "stopped"),
		 "state output of a dead container is not stopped: %s", out);
	json_object_put(o);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ib_err err = {0};
	struct ib_state *st, *back;

	if (size > FZ_MAX_INPUT)
		return -1;
	write_input(data, size);
	st = ib_state_load(root_in, ID, &err);
	if (!st) {
		fz_check_error("ib_state_load", &err);
		return 0;
	}
	if (!walk_state(st)) {
		ib_state_free(st);
		return 0;
	}
	check_oci_json(st);

	memset(&err, 0, sizeof(err));
	FZ_CHECK(ib_state_save(root_out, st, &err) == 0, "saving a loaded state failed: %s",
		 err.msg);
	back = ib_state_load(root_out, ID, &err);
	FZ_CHECK(back, "loading a saved state failed: %s", err.msg);
	FZ_CHECK(walk_state(back), "a saved state loads with a NULL annotation");
	compare_states(st, back);
	ib_state_free(back);
	ib_state_free(st);
	return 0;
}
