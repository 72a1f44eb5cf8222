#include "state/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "cgroup/cgroup.h"

#define STATE_FILE "state.json"
#define ID_MAX 1024

int ib_state_check_id(const char *id, ib_err *err)
{
	size_t len;

	if (!id || !*id)
		return ib_err_set(err, EINVAL, "container id cannot be empty");
	len = strlen(id);
	if (len > ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return ib_err_set(err, EINVAL, "invalid container id format: %s", id);
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '+' || c == '-' || c == '.')
			continue;
		return ib_err_set(err, EINVAL, "invalid container id format: %s", id);
	}
	return 0;
}

char *ib_state_path(const char *root, const char *id, const char *file)
{
	if (file)
		return ib_xasprintf("%s/%s/%s", root, id, file);
	return ib_xasprintf("%s/%s", root, id);
}

static int not_exist(ib_err *err, const char *id)
{
	return ib_err_set(err, ENOENT, "container \"%s\" does not exist", id);
}

/* A state root we make is marked as the top of unrelated trees (ext4's
 * Orlov allocator then spreads its subdirectories over block groups):
 * each container's files are made and freed in its own directory's group.
 * All in one group, where the filesystem has no journal (/run here),
 * each new inode scanned past every one freed there in the last half
 * minute: 10% of the CPU of 32 creates at once. Best effort: a hint. */
static int make_root(const char *root, ib_err *err)
{
	struct stat st;
	int fd, flags;

	if (stat(root, &st) == 0)
		return 0;
	if (ib_mkdir_p(root, 0700, err) < 0)
		return -1;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
		flags |= FS_TOPDIR_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int ib_state_create_dir(const char *root, const char *id, ib_err *err)
{
	_cleanup_free_ char *dir = NULL;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	if (make_root(root, err) < 0)
		return ib_err_wrap(err, "create state root");
	dir = ib_state_path(root, id, NULL);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return ib_err_set(err, EEXIST, "container with id exists: %s", id);
		return ib_err_sys(err, "mkdir `%s`", dir);
	}
	return 0;
}

int ib_state_lock(const char *root, const char *id, ib_err *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat sb;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	/* The directory itself is the lock: no lock file to create (an inode
	 * allocated and freed per container, costly on ext4 under churn). */
	path = ib_state_path(root, id, NULL);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return not_exist(err, id);
		return ib_err_sys(err, "open lock `%s`", path);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return ib_err_sys(err, "lock `%s`", path);
	}
	/* Removed while we waited (by the delete that held it): whatever has
	 * that name now is another container, not what we locked. */
	if (fstat(fd, &sb) < 0)
		return ib_err_sys(err, "lock `%s`", path);
	if (sb.st_nlink == 0)
		return not_exist(err, id);
	return IB_STEAL_FD(fd);
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

int ib_state_save(const char *root, const struct ib_state *st, ib_err *err)
{
	struct json_object *o = json_object_new_object(), *ann = json_object_new_object();
	_cleanup_free_ char *path = NULL;
	const char *text;
	int r;

	if (ib_state_check_id(st->id, err) < 0) {
		json_object_put(o);
		json_object_put(ann);
		return -1;
	}
	add_str(o, "id", st->id);
	json_object_object_add(o, "pid", json_object_new_int64(st->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(st->pid_start));
	add_str(o, "bundle", st->bundle);
	add_str(o, "rootfs", st->rootfs);
	add_str(o, "created", st->created);
	add_str(o, "owner", st->owner);
	add_str(o, "cgroup_path", st->cgroup_path);
	json_object_object_add(o, "systemd_cgroup", json_object_new_boolean(st->systemd_cgroup));
	json_object_object_add(o, "cgroup_owned", json_object_new_boolean(st->cgroup_owned));
	json_object_object_add(o, "started", json_object_new_boolean(st->started));
	json_object_object_add(o, "supervisor_pid", json_object_new_int64(st->supervisor_pid));
	json_object_object_add(o, "supervisor_start", json_object_new_uint64(st->supervisor_start));
	json_object_object_add(o, "host_id_base", json_object_new_int64(st->host_id_base));
	json_object_object_add(o, "host_id_size", json_object_new_int64(st->host_id_size));
	if (st->hooks_recorded) {
		struct json_object *h = json_object_new_object();

		json_object_object_add(h, "poststart",
				       json_object_new_boolean(st->poststart_hooks));
		json_object_object_add(h, "poststop", json_object_new_boolean(st->poststop_hooks));
		json_object_object_add(o, "hooks", h);
	}
	for (size_t i = 0; i < st->n_annotations; i++)
		add_str(ann, st->annotation_keys[i], st->annotation_values[i]);
	json_object_object_add(o, "annotations", ann);

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
	path = ib_state_path(root, st->id, STATE_FILE);
	r = ib_write_file_atomic(path, text, strlen(text), 0600, err);
	json_object_put(o);
	if (r < 0)
		return ib_err_wrap(err, "save state of %s", st->id);
	return 0;
}

static char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return ib_xstrdup(json_object_get_string(v));
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	return json_object_get_boolean(v);
}

struct ib_state *ib_state_load(const char *root, const char *id, ib_err *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct json_object *o, *ann, *v;
	struct ib_state *st;
	enum json_tokener_error jerr;

	if (ib_state_check_id(id, err) < 0)
		return NULL;
	path = ib_state_path(root, id, STATE_FILE);
	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, err) < 0) {
		if (err && err->code == ENOENT)
			not_exist(err, id);
		return NULL;
	}
	o = json_tokener_parse_verbose(text, &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		ib_err_set(err, EINVAL, "parse `%s`: %s", path,
			   o ? "not an object" : json_tokener_error_desc(jerr));
		return NULL;
	}
	st = ib_xmalloc0(sizeof(*st));
	st->id = get_str(o, "id");
	if (!st->id || strcmp(st->id, id) != 0) {
		json_object_put(o);
		ib_state_free(st);
		ib_err_set(err, EINVAL, "`%s`: id does not match %s", path, id);
		return NULL;
	}
	st->pid = (pid_t)get_int(o, "pid");
	if (json_object_object_get_ex(o, "pid_start", &v))
		st->pid_start = json_object_get_uint64(v);
	st->bundle = get_str(o, "bundle");
	st->rootfs = get_str(o, "rootfs");
	st->created = get_str(o, "created");
	st->owner = get_str(o, "owner");
	st->cgroup_path = get_str(o, "cgroup_path");
	st->systemd_cgroup = get_bool(o, "systemd_cgroup");
	{
		struct json_object *h;

		if (json_object_object_get_ex(o, "hooks", &h) &&
		    json_object_is_type(h, json_type_object)) {
			st->hooks_recorded = true;
			st->poststart_hooks = get_bool(h, "poststart");
			st->poststop_hooks = get_bool(h, "poststop");
		}
	}
	/* Written by every create since it exists; state from before always
	 * created its cgroup. */
	st->cgroup_owned =
	    json_object_object_get_ex(o, "cgroup_owned", &v) ? json_object_get_boolean(v) : true;
	st->started = get_bool(o, "started");
	st->supervisor_pid = (pid_t)get_int(o, "supervisor_pid");
	if (json_object_object_get_ex(o, "supervisor_start", &v))
		st->supervisor_start = json_object_get_uint64(v);
	st->host_id_base = (uint32_t)get_int(o, "host_id_base");
	st->host_id_size = (uint32_t)get_int(o, "host_id_size");
	if (json_object_object_get_ex(o, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object)) {
		size_t n = (size_t)json_object_object_length(ann), i = 0;

		st->annotation_keys = ib_xmalloc0((n + 1) * sizeof(char *));
		st->annotation_values = ib_xmalloc0((n + 1) * sizeof(char *));
		json_object_object_foreach(ann, key, val)
		{
			if (i >= n)
				break;
			/* Only strings: a null would crash every reader. */
			if (!json_object_is_type(val, json_type_string))
				continue;
			st->annotation_keys[i] = ib_xstrdup(key);
			st->annotation_values[i] = ib_xstrdup(json_object_get_string(val));
			i++;
		}
		st->n_annotations = i;
	}
	json_object_put(o);
	return st;
}

void ib_state_free(struct ib_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup_path);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotation_keys[i]);
		free(st->annotation_values[i]);
	}
	free(st->annotation_keys);
	free(st->annotation_values);
	free(st);
}

void ib_state_freep(struct ib_state **st)
{
	ib_state_free(*st);
}

/* For ib_state_remove_locked: what nftw leaves (the directory, which is
 * the lock); the CLI is single-threaded. */
static const char *rm_keep_dir;

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return (rm_keep_dir && !strcmp(path, rm_keep_dir)) || rmdir(path) == 0 ||
			       errno == ENOENT
			   ? 0
			   : -1;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int ib_state_remove_locked(const char *root, const char *id, int *lockfd, ib_err *err)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	dir = ib_state_path(root, id, NULL);
	rm_keep_dir = dir;
	r = nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	rm_keep_dir = NULL;
	if (r < 0 && errno != ENOENT)
		return ib_err_sys(err, "remove `%s`", dir);
	/* Removed while still locked: whoever waited for the lock then holds
	 * a removed directory, and ib_state_lock says "does not exist", even
	 * if a new container has taken the id meanwhile. (Unlike a removed
	 * open file, ext4 keeps no costly orphan for it: measured the same
	 * ~0.15 ms either way.) */
	r = rmdir(dir) < 0 && errno != ENOENT ? -1 : 0;
	if (r < 0)
		ib_err_sys(err, "remove `%s`", dir);
	if (*lockfd >= 0)
		close(*lockfd);
	*lockfd = -1;
	return r;
}

int ib_state_remove(const char *root, const char *id, ib_err *err)
{
	_cleanup_free_ char *dir = NULL;
	struct stat sb;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	dir = ib_state_path(root, id, NULL);
	if (lstat(dir, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return ib_err_sys(err, "stat `%s`", dir);
	}
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return ib_err_sys(err, "remove `%s`", dir);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ib_state_list(const char *root, char ***ids, ib_err *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char **v = ib_xmalloc0(sizeof(char *));
	size_t n = 0;

	if (!d) {
		if (errno == ENOENT) {
			*ids = v;
			return 0;
		}
		free(v);
		return ib_err_sys(err, "open state root `%s`", root);
	}
	while ((de = readdir(d))) {
		struct stat sb;

		if (ib_state_check_id(de->d_name, NULL) < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		ib_strv_push(&v, de->d_name);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	*ids = v;
	return 0;
}

bool ib_state_exists(const char *root, const char *id)
{
	_cleanup_free_ char *dir = NULL;
	struct stat sb;

	if (ib_state_check_id(id, NULL) < 0)
		return false;
	dir = ib_state_path(root, id, NULL);
	return lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* State letter and starttime of /proc/PID/stat; false if gone. */
static bool proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p, *tok, *save = NULL;
	int field = 3;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = ib_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return false;
	for (tok = strtok_r(p + 1, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 3 && state)
			*state = tok[0];
		if (field == 22) {
			if (start)
				*start = strtoull(tok, NULL, 10);
			return true;
		}
	}
	return false;
}

unsigned long long ib_proc_starttime(pid_t pid)
{
	unsigned long long start = 0;

	if (!proc_stat(pid, NULL, &start))
		return 0;
	return start;
}

static bool pid_alive(pid_t pid, unsigned long long want_start)
{
	char state = 0;
	unsigned long long start = 0;

	if (!proc_stat(pid, &state, &start))
		return false;
	if (state == 'Z' || state == 'X' || state == 'x')
		return false;
	if (want_start && start != want_start)
		return false;
	return true;
}

static bool init_alive(const struct ib_state *st)
{
	return pid_alive(st->pid, st->pid_start);
}

bool ib_state_supervisor_alive(const struct ib_state *st)
{
	return st->supervisor_pid > 0 && st->supervisor_start &&
	       pid_alive(st->supervisor_pid, st->supervisor_start);
}

/* Started by `start`: it removes the exec fifo once the init has run the
 * user's program (as runc tells created from running); its state file is
 * not written again for that. */
static bool fifo_gone(const char *root, const struct ib_state *st)
{
	_cleanup_free_ char *path = NULL;

	if (!root)
		return false;
	path = ib_state_path(root, st->id, "exec.fifo");
	return access(path, F_OK) < 0 && errno == ENOENT;
}

enum ib_status ib_state_status(const char *root, const struct ib_state *st)
{
	if (!init_alive(st))
		return IB_STATUS_STOPPED;
	if (st->cgroup_path && *st->cgroup_path) {
		ib_err err = {0};
		struct ib_cgroup *cg = ib_cgroup_from_path(st->cgroup_path, &err);

		if (cg) {
			int frozen = ib_cgroup_is_frozen(cg, &err);
			ib_cgroup_free(cg);
			if (frozen == 1)
				return IB_STATUS_PAUSED;
		}
	}
	if (!st->started && !fifo_gone(root, st))
		return IB_STATUS_CREATED;
	return IB_STATUS_RUNNING;
}

const char *ib_status_name(enum ib_status s)
{
	switch (s) {
	case IB_STATUS_CREATING:
		return "creating";
	case IB_STATUS_CREATED:
		return "created";
	case IB_STATUS_RUNNING:
		return "running";
	case IB_STATUS_PAUSED:
		return "paused";
	case IB_STATUS_STOPPED:
		return "stopped";
	}
	return "unknown";
}

char *ib_state_oci_json(const char *root, const struct ib_state *st, bool pretty)
{
	enum ib_status status = ib_state_status(root, st);
	struct json_object *o = json_object_new_object(), *ann = json_object_new_object();
	char *out;

	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(st->id ? st->id : ""));
	json_object_object_add(o, "pid",
			       json_object_new_int(status == IB_STATUS_STOPPED ? 0 : (int)st->pid));
	json_object_object_add(o, "status", json_object_new_string(ib_status_name(status)));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle ? st->bundle : ""));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs ? st->rootfs : ""));
	json_object_object_add(o, "created",
			       json_object_new_string(st->created ? st->created : ""));
	json_object_object_add(o, "owner", json_object_new_string(st->owner ? st->owner : ""));
	for (size_t i = 0; i < st->n_annotations; i++)
		add_str(ann, st->annotation_keys[i], st->annotation_values[i]);
	json_object_object_add(o, "annotations", ann);
	if (status != IB_STATUS_STOPPED && st->supervisor_pid > 0)
		add_str(o, "supervisor", ib_state_supervisor_alive(st) ? "running" : "dead");
	out = ib_xstrdup(json_object_to_json_string_ext(
	    o,
	    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
