/* The host-wide table of max-reconciled knobs (hosttable.h):
 *
 *   {"version": 1,
 *    "knobs": [{"name": "fs.inotify.max_user_watches", "original": 8192,
 *               "applied": 524288, "prev": 8192,
 *               "holders": [{"id": "/run/ironbox/c1", "pid": 4242,
 *                            "start": 123456, "value": 524288}]}]}
 *
 * <dir>/sysctl.json, rewritten atomically under an flock on
 * <dir>/sysctl.lock; removed once it holds no knob (readers then need no
 * lock). */
#include "sysctl/hosttable.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "state/state.h"

#define TABLE_NAME "sysctl.json"
#define LOCK_NAME "sysctl.lock"

struct holder {
	char *id;
	int64_t pid;
	uint64_t start;
	int64_t value;
};

struct rec {
	const struct ib_knob *k;
	int64_t original, applied, prev; /* prev: the kernel's value before applied */
	struct holder *h;
	size_t n;
};

struct table {
	char *path;
	struct rec *r;
	size_t n;
};

static const char *table_dir = IB_SYSCTL_TABLE_DIR;
static const char *procsys = "/proc/sys";
static ib_sysctl_alive_fn alive_fn;

void ib_sysctl_set_paths(const char *dir, const char *ps)
{
	table_dir = dir ? dir : IB_SYSCTL_TABLE_DIR;
	procsys = ps ? ps : "/proc/sys";
}

void ib_sysctl_set_alive(ib_sysctl_alive_fn fn)
{
	alive_fn = fn;
}

char *ib_sysctl_holder(const char *root, const char *id)
{
	char real[PATH_MAX];

	if (realpath(root, real))
		return ib_xasprintf("%s/%s", real, id);
	if (root[0] == '/')
		return ib_xasprintf("%s/%s", root, id);
	if (getcwd(real, sizeof(real)))
		return ib_xasprintf("%s/%s/%s", real, root, id);
	return ib_xasprintf("%s/%s", root, id);
}

int64_t ib_sysctl_target(int64_t original, const int64_t *values, size_t n)
{
	int64_t t = original;

	for (size_t i = 0; i < n; i++)
		if (values[i] > t)
			t = values[i];
	return t;
}

bool ib_sysctl_within_ceiling(int64_t value, int64_t ceiling, int64_t original)
{
	return value <= ceiling || value <= original;
}

int64_t ib_sysctl_recorded(int64_t value, int64_t ceiling)
{
	return value < ceiling ? value : ceiling;
}

static bool default_alive(const char *holder, pid_t pid, unsigned long long start)
{
	struct stat st;

	if (stat(holder, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	return pid > 0 && start && ib_proc_starttime(pid) == start;
}

static bool holder_alive(const struct holder *h)
{
	return (alive_fn ? alive_fn : default_alive)(h->id, (pid_t)h->pid,
						     (unsigned long long)h->start);
}

/* ---- the kernel's value ---- */

static int kernel_read(const struct ib_knob *k, int64_t *v, ib_err *err)
{
	_cleanup_free_ char *path = ib_xasprintf("%s/%s", procsys, k->path);
	_cleanup_free_ char *text = NULL;
	struct ib_knob_value kv = {{0}};
	size_t len = 0;

	if (ib_read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
		return -1;
	if (ib_knob_parse(k, text, len, &kv, err) < 0)
		return ib_err_wrap(err, "host value of %s", k->name);
	*v = kv.v[0];
	return 0;
}

static int kernel_write(const struct ib_knob *k, int64_t v, ib_err *err)
{
	_cleanup_free_ char *path = ib_xasprintf("%s/%s", procsys, k->path);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64 "\n", v);

	if (ib_write_file_at(AT_FDCWD, path, buf, (size_t)n, err) < 0)
		return ib_err_wrap(err, "set host %s to %" PRId64, k->name, v);
	ib_debug("host %s = %" PRId64, k->name, v);
	return 0;
}

/* ---- the table ---- */

static void rec_clear(struct rec *r)
{
	for (size_t j = 0; j < r->n; j++)
		free(r->h[j].id);
	free(r->h);
	r->h = NULL;
	r->n = 0;
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		rec_clear(&t->r[i]);
	free(t->r);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

static int corrupted(const struct table *t, ib_err *err, const char *what)
{
	return ib_err_set(err, EUCLEAN,
			  "sysctl table %s is corrupted (%s); refusing to change host sysctls "
			  "until an administrator repairs or removes it",
			  t->path, what);
}

static bool get_i64(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return errno == 0;
}

static int table_parse(struct table *t, const char *text, ib_err *err)
{
	struct json_object *doc, *knobs, *v;
	int64_t version = 0;
	int ret = -1;

	doc = ib_json_parse_doc(text, strlen(text), NULL);
	if (!doc)
		return corrupted(t, err, "not valid JSON");
	if (!json_object_is_type(doc, json_type_object) || json_object_object_length(doc) != 2 ||
	    !get_i64(doc, "version", &version) || version != 1 ||
	    !json_object_object_get_ex(doc, "knobs", &knobs) ||
	    !json_object_is_type(knobs, json_type_array)) {
		corrupted(t, err, "not a version 1 table");
		goto out;
	}
	t->n = json_object_array_length(knobs);
	t->r = ib_xmalloc0((t->n + 1) * sizeof(*t->r));
	for (size_t i = 0; i < t->n; i++) {
		struct json_object *e = json_object_array_get_idx(knobs, i), *hs;
		struct rec *r = &t->r[i];

		if (!json_object_is_type(e, json_type_object) ||
		    json_object_object_length(e) != 5 ||
		    !json_object_object_get_ex(e, "name", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !(r->k = ib_knob_by_name(json_object_get_string(v))) ||
		    r->k->rule != IB_KNOB_MAX || !get_i64(e, "original", &r->original) ||
		    !get_i64(e, "applied", &r->applied) || !get_i64(e, "prev", &r->prev) ||
		    !json_object_object_get_ex(e, "holders", &hs) ||
		    !json_object_is_type(hs, json_type_array)) {
			corrupted(t, err, "malformed knob entry");
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (t->r[k].k == r->k) {
				corrupted(t, err, "knob listed twice");
				goto out;
			}
		r->n = json_object_array_length(hs);
		r->h = ib_xmalloc0((r->n + 1) * sizeof(*r->h));
		for (size_t j = 0; j < r->n; j++) {
			struct json_object *h = json_object_array_get_idx(hs, j), *id;
			int64_t start = 0;

			if (!json_object_is_type(h, json_type_object) ||
			    json_object_object_length(h) != 4 ||
			    !json_object_object_get_ex(h, "id", &id) ||
			    !json_object_is_type(id, json_type_string) ||
			    json_object_get_string_len(id) == 0 ||
			    !get_i64(h, "pid", &r->h[j].pid) || !get_i64(h, "start", &start) ||
			    start < 0 || !get_i64(h, "value", &r->h[j].value) ||
			    r->h[j].value < r->k->min || r->h[j].value > r->k->max) {
				r->n = j;
				corrupted(t, err, "malformed holder entry");
				goto out;
			}
			r->h[j].start = (uint64_t)start;
			r->h[j].id = ib_xstrdup(json_object_get_string(id));
		}
	}
	ret = 0;
out:
	json_object_put(doc);
	return ret;
}

/* The temporary files of writers killed before their rename (a supervisor
 * SIGKILLed by delete): only the lock holder writes one, so with the lock
 * held every one is stale. */
static void remove_stale_tmp(void)
{
	_cleanup_close_ int dfd = open(table_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!d)
		return;
	dfd = -1; /* owned by d */
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, TABLE_NAME ".tmp.", sizeof(TABLE_NAME ".tmp.") - 1))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* Lock (exclusive or shared) and load. *lockfd is held until closed. */
static int table_open(struct table *t, int how, int *lockfd, ib_err *err)
{
	_cleanup_free_ char *lockpath = ib_xasprintf("%s/%s", table_dir, LOCK_NAME);
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;

	memset(t, 0, sizeof(*t));
	t->path = ib_xasprintf("%s/%s", table_dir, TABLE_NAME);
	if (ib_mkdir_p(table_dir, 0700, err) < 0)
		goto fail;
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ib_err_sys(err, "open `%s`", lockpath);
		goto fail;
	}
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			ib_err_sys(err, "lock `%s`", lockpath);
			goto fail;
		}
	}
	if (how == LOCK_EX)
		remove_stale_tmp();
	if (ib_read_file_at(AT_FDCWD, t->path, &text, NULL, err) < 0) {
		if (errno != ENOENT)
			goto fail;
		ib_err_clear(err);
	} else if (table_parse(t, text, err) < 0) {
		goto fail;
	}
	*lockfd = IB_STEAL_FD(fd);
	return 0;
fail:
	table_clear(t);
	return -1;
}

static int table_save(struct table *t, ib_err *err)
{
	struct json_object *doc, *knobs;
	const char *text;
	int ret;

	if (t->n == 0) {
		if (unlink(t->path) < 0 && errno != ENOENT)
			return ib_err_sys(err, "remove `%s`", t->path);
		return 0;
	}
	doc = json_object_new_object();
	knobs = json_object_new_array();
	json_object_object_add(doc, "version", json_object_new_int(1));
	for (size_t i = 0; i < t->n; i++) {
		struct rec *r = &t->r[i];
		struct json_object *e = json_object_new_object(), *hs = json_object_new_array();

		json_object_object_add(e, "name", json_object_new_string(r->k->name));
		json_object_object_add(e, "original", json_object_new_int64(r->original));
		json_object_object_add(e, "applied", json_object_new_int64(r->applied));
		json_object_object_add(e, "prev", json_object_new_int64(r->prev));
		for (size_t j = 0; j < r->n; j++) {
			struct json_object *h = json_object_new_object();

			json_object_object_add(h, "id", json_object_new_string(r->h[j].id));
			json_object_object_add(h, "pid", json_object_new_int64(r->h[j].pid));
			json_object_object_add(h, "start",
					       json_object_new_int64((int64_t)r->h[j].start));
			json_object_object_add(h, "value", json_object_new_int64(r->h[j].value));
			json_object_array_add(hs, h);
		}
		json_object_object_add(e, "holders", hs);
		json_object_array_add(knobs, e);
	}
	json_object_object_add(doc, "knobs", knobs);
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	ret = ib_write_file_atomic_locked(t->path, text, strlen(text), 0600, err);
	json_object_put(doc);
	return ret < 0 ? ib_err_wrap(err, "save sysctl table") : 0;
}

static struct rec *table_find(struct table *t, const struct ib_knob *k)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].k == k)
			return &t->r[i];
	return NULL;
}

static void rec_remove_holder(struct rec *r, size_t j)
{
	free(r->h[j].id);
	memmove(&r->h[j], &r->h[j + 1], (r->n - j - 1) * sizeof(*r->h));
	r->n--;
}

static void table_remove(struct table *t, struct rec *r)
{
	size_t i = (size_t)(r - t->r);

	rec_clear(r);
	memmove(&t->r[i], &t->r[i + 1], (t->n - i - 1) * sizeof(*t->r));
	t->n--;
}

/* Reconcile every knob of the table: dead holders dropped, the admin's
 * changes adopted, the kernel set to each knob's target. A process can be
 * killed at any point (delete SIGKILLs a supervisor that may be busy here):
 * the table names the new target and the value it replaces ("prev")
 * before the kernel is written, so that a kernel left at either is never
 * taken for the admin's doing. A knob whose write fails keeps its old
 * value (and is retried next time); if it is `must`, the call fails with
 * its error. Knobs nobody holds any more, back at their original, are
 * forgotten. */
static int table_apply(struct table *t, const struct ib_knob *must, ib_err *err)
{
	_cleanup_free_ bool *pending = ib_xmalloc0((t->n + 1) * sizeof(bool));
	bool changed = false;
	int ret = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct rec *r = &t->r[i];
		_cleanup_free_ int64_t *vals = ib_xmalloc0((r->n + 1) * sizeof(*vals));
		int64_t cur, target;
		ib_err e = {0};

		for (size_t j = 0; j < r->n;)
			if (!holder_alive(&r->h[j]))
				rec_remove_holder(r, j);
			else
				j++;
		if (kernel_read(r->k, &cur, &e) < 0) {
			if (r->k == must) {
				*err = e;
				return -1;
			}
			ib_warn("sysctl %s: %s", r->k->name, e.msg);
			continue;
		}
		/* Not what ironbox left there: the admin's value now. */
		if (cur != r->applied && cur != r->prev)
			r->original = cur;
		for (size_t j = 0; j < r->n; j++)
			vals[j] = r->h[j].value;
		target = ib_sysctl_target(r->original, vals, r->n);
		r->prev = cur;
		r->applied = target;
		pending[i] = target != cur;
	}
	if (table_save(t, err) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		struct rec *r = &t->r[i];
		ib_err e = {0};

		if (!pending[i] || kernel_write(r->k, r->applied, &e) == 0)
			continue;
		r->applied = r->prev;
		changed = true;
		if (r->k == must) {
			*err = e;
			ret = -1;
		} else {
			ib_warn("sysctl %s: %s", r->k->name, e.msg);
		}
	}
	for (size_t i = 0; i < t->n;) {
		if (t->r[i].n == 0 && t->r[i].applied == t->r[i].original) {
			table_remove(t, &t->r[i]);
			changed = true;
			continue;
		}
		i++;
	}
	if (changed) {
		ib_err e = {0};

		if (table_save(t, ret < 0 ? &e : err) < 0 && ret == 0)
			ret = -1;
	}
	return ret;
}

static struct holder *rec_find_holder(struct rec *r, const char *id)
{
	for (size_t j = 0; j < r->n; j++)
		if (!strcmp(r->h[j].id, id))
			return &r->h[j];
	return NULL;
}

int ib_sysctl_host_set(const struct ib_knob *k, const char *holder, pid_t pid,
		       unsigned long long start, int64_t value, int64_t ceiling, ib_err *err)
{
	_cleanup_close_ int lock = -1;
	struct table t;
	struct rec *r;
	struct holder *h;
	bool had = false;
	int64_t old = 0;
	int ret = 0;

	if (k->rule != IB_KNOB_MAX || value < k->min || value > k->max)
		return ib_err_set(err, EINVAL, "%s: not a max-reconciled value", k->name);
	if (ceiling < k->min) /* what is recorded stays a value of the knob */
		ceiling = k->min;
	if (table_open(&t, LOCK_EX, &lock, err) < 0)
		return -1;
	r = table_find(&t, k);
	{
		int64_t cur;

		if (kernel_read(k, &cur, err) < 0) {
			table_clear(&t);
			return -1;
		}
		if (!r) {
			t.r = ib_xrealloc(t.r, (t.n + 1) * sizeof(*t.r));
			r = &t.r[t.n++];
			*r = (struct rec){.k = k, .original = cur, .applied = cur, .prev = cur};
		} else if (cur != r->applied && cur != r->prev) {
			/* The admin's value now (as table_apply finds too): the
			 * ceiling is decided against it. */
			r->original = cur;
		}
	}
	/* The admin's ceiling, on the parsed value, before anything is kept:
	 * a refused write leaves the table and the host as they were. */
	if (!ib_sysctl_within_ceiling(value, ceiling, r->original)) {
		ib_err_set(err, EPERM,
			   "%s: %" PRId64 " is above the admin policy's maximum %" PRId64
			   " (sysctlMaximums) and above the host's own value %" PRId64,
			   k->name, value, ceiling, r->original);
		table_clear(&t);
		return -1;
	}
	value = ib_sysctl_recorded(value, ceiling);
	h = rec_find_holder(r, holder);
	if (h) {
		had = true;
		old = h->value;
	} else {
		r->h = ib_xrealloc(r->h, (r->n + 1) * sizeof(*r->h));
		h = &r->h[r->n++];
		*h = (struct holder){.id = ib_xstrdup(holder)};
	}
	h->pid = pid;
	h->start = start;
	h->value = value;
	if (table_apply(&t, k, err) < 0) {
		/* Not kept: the kernel refused it (or the table can't be saved). */
		ib_err e = {0};

		ret = -1;
		r = table_find(&t, k);
		h = r ? rec_find_holder(r, holder) : NULL;
		if (h && had)
			h->value = old;
		else if (h)
			rec_remove_holder(r, (size_t)(h - r->h));
		if (table_apply(&t, NULL, &e) < 0)
			ib_warn("sysctl %s: %s", k->name, e.msg);
	}
	table_clear(&t);
	return ret;
}

int ib_sysctl_host_release(const char *holder, ib_err *err)
{
	_cleanup_close_ int lock = -1;
	struct table t;
	struct stat st;
	_cleanup_free_ char *path = ib_xasprintf("%s/%s", table_dir, TABLE_NAME);
	int ret;

	/* Nothing reconciled on this host: nothing to do, no lock. */
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (table_open(&t, LOCK_EX, &lock, err) < 0)
		return -1;
	for (size_t i = 0; i < t.n; i++) {
		struct holder *h = rec_find_holder(&t.r[i], holder);
		if (h)
			rec_remove_holder(&t.r[i], (size_t)(h - t.r[i].h));
	}
	ret = table_apply(&t, NULL, err);
	table_clear(&t);
	return ret;
}

int ib_sysctl_host_original(const struct ib_knob *k, int64_t *value, ib_err *err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *path = ib_xasprintf("%s/%s", table_dir, TABLE_NAME);
	struct table t;
	struct stat st;
	struct rec *r;
	int ret = 0;

	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (table_open(&t, LOCK_SH, &lock, err) < 0)
		return -1;
	r = table_find(&t, k);
	if (r) {
		*value = r->original;
		ret = 1;
	}
	table_clear(&t);
	return ret;
}
