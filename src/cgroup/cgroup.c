/* cgroups v1, v2 and hybrid.
 *
 * The layout is read from /proc/self/mountinfo (never a hardcoded list): every
 * v1 hierarchy (co-mounted ones like cpu,cpuacct are one hierarchy; named ones
 * like name=systemd too) gets a directory, and so does the unified tree when
 * there is one. Limits are translated for each controller to whichever
 * version carries it (v1 hierarchy first, the unified tree otherwise). */
#include "cgroup/cgroup.h"
#include "cgroup/cgroup_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"

/* ------------------------------------------------------------------------ */
/* Small file helpers                                                        */

char *ib_cg_hier_dir(const struct ib_cgroup_hierarchy *h, const char *path)
{
	const char *rel = path;
	size_t rl = strlen(h->root);

	/* A hierarchy mounted from a sub-cgroup (bind mount without cgroupns):
	 * paths are relative to the hierarchy root, strip what the mount hides. */
	if (strcmp(h->root, "/") != 0 && strncmp(path, h->root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == '\0'))
		rel = path + rl;
	return ib_xasprintf("%s%s", strcmp(h->mount, "/") == 0 ? "" : h->mount, rel);
}

bool ib_cg_file_exists(const char *dir, const char *file)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return false;
	return ib_cg_access(p) == 0;
}

/* Write val to dir/file. errno is preserved for callers that look at it. */
int ib_cg_write(const char *dir, const char *file, const char *val, ib_err *err)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(val);

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return ib_err_sys(err, "cgroup file `%s/%s`", dir, file);
	}
	fd = ib_cg_open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", p);
	if (ib_write_all(fd, val, len) < 0)
		return ib_err_sys(err, "write `%s` to `%s`", val, p);
	return 0;
}

char *ib_cg_read(const char *dir, const char *file, ib_err *err)
{
	char p[PATH_MAX];
	char *out = NULL;

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		ib_err_sys(err, "cgroup file `%s/%s`", dir, file);
		return NULL;
	}
	{
		const char *rel;
		int at = ib_cgroup_at(p, &rel);

		if (ib_read_file_at(at, rel, &out, NULL, err) < 0) {
			errno = err->code;
			ib_err_sys(err, "read `%s`", p);
			return NULL;
		}
	}
	return out;
}

static bool is_blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t')
			return false;
	return true;
}

/* Does a whitespace-separated list contain word? */
static bool words_has(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (strncmp(p, word, wl) == 0 && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return true;
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ------------------------------------------------------------------------ */
/* Struct lifetime                                                           */

void ib_cgroup_free(struct ib_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->path);
	ib_strv_free(cg->v1_dirs);
	free(cg->v2_dir);
	free(cg->freezer_dir);
	free(cg);
}

static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, ib_err *err);

static void cgroup_freep(struct ib_cgroup **cg)
{
	ib_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

static int check_path(const char *path, ib_err *err)
{
	_cleanup_free_ char *clean = NULL;

	if (!path || path[0] != '/')
		return ib_err_set(err, EINVAL, "cgroup path `%s` is not absolute",
				  path ? path : "");
	clean = ib_cg_clean_path(path, err);
	if (!clean)
		return -1;
	if (strcmp(clean, path) != 0 || strcmp(clean, "/") == 0)
		return ib_err_set(err, EINVAL, "cgroup path `%s` is not a normalized non-root path",
				  path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Controllers: which directory carries a controller                         */

/* The v2 hierarchy's mount dir (the unified root as seen by us). */
static char *v2_root_dir(const struct ib_cgroup_layout *l)
{
	if (l->v2 < 0)
		return NULL;
	return ib_cg_hier_dir(&l->h[l->v2], "/");
}

/* Enable every controller available at dir for its children; failures are
 * only logged (writes of the limits that need them fail clearly later). */
static int v2_enable_all_at(const char *dir)
{
	_cleanup_free_ char *avail = NULL;
	ib_err err;

	avail = ib_cg_read(dir, "cgroup.controllers", &err);
	if (!avail)
		return 0;
	for (char *save = NULL, *w = strtok_r(avail, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save)) {
		char buf[64];
		snprintf(buf, sizeof(buf), "+%s", w);
		if (ib_cg_write(dir, "cgroup.subtree_control", buf, &err) < 0)
			ib_debug("cgroup: can't enable %s in `%s`: %s", w, dir, err.msg);
	}
	return 0;
}

/* Enable ctl ("+ctl"; NULL = all available) in cgroup.subtree_control of every ancestor of the
 * cgroup's v2 dir, from the hierarchy root down. */
static int v2_enable(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l, const char *ctl,
		     ib_err *err)
{
	_cleanup_free_ char *root = v2_root_dir(l), *dir = NULL, *val = NULL;
	size_t rl, len;

	if (!root || !cg->v2_dir)
		return ib_err_set(err, ENOENT, "no cgroup v2 hierarchy");
	rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		root[--rl] = '\0';
	if (strncmp(cg->v2_dir, root, rl) != 0 || cg->v2_dir[rl] != '/')
		return ib_err_set(err, EINVAL, "`%s` is not under `%s`", cg->v2_dir, root);
	val = ctl ? ib_xasprintf("+%s", ctl) : NULL;
	dir = ib_xstrdup(cg->v2_dir);
	len = strlen(dir);
	/* Every '/' from the root on ends an ancestor: root, root/a, root/a/b. */
	for (size_t i = rl; i < len; i++) {
		int rc;
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (val)
			rc = ib_cg_write(i == 0 ? "/" : dir, "cgroup.subtree_control", val, err);
		else
			rc = v2_enable_all_at(i == 0 ? "/" : dir);
		dir[i] = '/';
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The directory that carries controller ctl for this cgroup, NULL if the
 * controller is not available. *is_v2 tells which kind. In the unified tree
 * the controller is enabled on demand (enable=true). */
char *ib_cg_ctl_dir(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l, const char *ctl,
		    bool enable, bool *is_v2)
{
	int i = ib_cgroup_layout_find(l, ctl);
	_cleanup_free_ char *avail = NULL;
	ib_err err;

	*is_v2 = false;
	if (i >= 0) {
		if (l->h[i].readonly)
			return NULL;
		return ib_cg_hier_dir(&l->h[i], cg->path);
	}
	if (!cg->v2_dir)
		return NULL;
	if (strcmp(ctl, "cpuacct") == 0)
		ctl = "cpu";
	else if (strcmp(ctl, "blkio") == 0)
		ctl = "io";
	*is_v2 = true;
	avail = ib_cg_read(cg->v2_dir, "cgroup.controllers", &err);
	if (avail && words_has(avail, ctl))
		return ib_xstrdup(cg->v2_dir);
	if (!enable)
		return NULL;
	/* Is it available at the root at all? */
	{
		_cleanup_free_ char *root = v2_root_dir(l), *rootavail = NULL;
		rootavail = root ? ib_cg_read(root, "cgroup.controllers", &err) : NULL;
		if (!rootavail || !words_has(rootavail, ctl))
			return NULL;
	}
	if (v2_enable(cg, l, ctl, &err) < 0) {
		ib_warn("cgroup: can't enable the %s controller for `%s`: %s", ctl, cg->v2_dir,
			err.msg);
		return NULL;
	}
	return ib_xstrdup(cg->v2_dir);
}

/* ------------------------------------------------------------------------ */
/* Create / reattach                                                         */

/* v1 cpuset: a new cgroup starts with empty cpus/mems and nobody can join it;
 * copy the parent's values into every level that is still empty. */
static int cpuset_inherit(const char *dir, const char *parent, ib_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < IB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL, *pv = NULL;
		if (!ib_cg_file_exists(dir, files[i]))
			continue; /* noprefix mount or not a cpuset dir */
		cur = ib_cg_read(dir, files[i], err);
		if (!cur)
			return -1;
		if (!is_blank(cur))
			continue;
		pv = ib_cg_read(parent, files[i], err);
		if (!pv)
			return -1;
		if (is_blank(pv))
			continue;
		if (ib_cg_write(dir, files[i], pv, err) < 0)
			return -1;
	}
	return 0;
}

/* mkdir -p below the hierarchy's mount, recording what we created. The leaf
 * must be new (join_existing = false: EEXIST means someone else made it in the
 * meantime) or must already exist (join_existing: nothing is created). */
static int make_dirs(const struct ib_cgroup_hierarchy *h, const char *path, bool cpuset,
		     bool join_existing, char ***created, ib_err *err)
{
	_cleanup_free_ char *full = ib_cg_hier_dir(h, path);
	size_t ml = strlen(h->mount), prev;

	if (strcmp(h->mount, "/") == 0)
		ml = 0;
	if (join_existing) {
		struct stat st;
		char *slash;
		if (ib_cg_stat(full, &st) < 0 || !S_ISDIR(st.st_mode))
			return ib_err_sys(err, "cgroup `%s`", full);
		/* An empty cpuset (never set up) could not be joined. */
		slash = strrchr(full, '/');
		if (cpuset && slash && slash > full) {
			_cleanup_free_ char *parent = strndup(full, (size_t)(slash - full));
			if (!parent)
				abort();
			return cpuset_inherit(full, parent, err);
		}
		return 0;
	}
	prev = ml;
	for (size_t i = ml + 1;; i++) {
		char c = full[i];
		if (c != '/' && c != '\0')
			continue;
		full[i] = '\0';
		if (ib_cg_mkdir(full, 0755) == 0)
			ib_strv_push(created, full);
		else if (errno != EEXIST || !c)
			return ib_err_sys(err, "mkdir `%s`", full);
		if (cpuset) {
			char pc = full[prev];
			int rc;
			full[prev] = '\0';
			{
				_cleanup_free_ char *parent = ib_xstrdup(prev ? full : "/");
				full[prev] = pc;
				rc = cpuset_inherit(full, parent, err);
			}
			if (rc < 0)
				return -1;
		}
		full[i] = c;
		prev = i;
		if (!c)
			break;
	}
	return 0;
}

static void rollback(char **created)
{
	for (size_t n = ib_strv_len(created); n > 0; n--)
		if (ib_cg_rmdir(created[n - 1]) < 0 && errno != ENOENT)
			ib_warn("cgroup: can't remove `%s`: %m", created[n - 1]);
}

/* Frozen (or freezing) on either side: v1 freezer.state, v2 cgroup.freeze
 * or the effective "frozen" of cgroup.events (ancestors included). A
 * process put there would never run. */
static bool cgroup_frozen(const char *freezer_dir, const char *v2_dir)
{
	ib_err e;

	if (freezer_dir) {
		_cleanup_free_ char *st = ib_cg_read(freezer_dir, "freezer.state", &e);
		if (st && strncmp(st, "THAWED", 6) != 0)
			return true;
	}
	if (v2_dir && ib_cg_file_exists(v2_dir, "cgroup.freeze")) {
		_cleanup_free_ char *fr = ib_cg_read(v2_dir, "cgroup.freeze", &e);
		_cleanup_free_ char *ev = ib_cg_read(v2_dir, "cgroup.events", &e);
		uint64_t v = 0;
		if (fr && fr[0] == '1')
			return true;
		if (ev && ib_cg_kv_u64(ev, "frozen", &v) && v == 1)
			return true;
	}
	return false;
}

struct ib_cgroup *ib_cgroup_create(const char *path, const struct ib_resources *res,
				   bool join_existing, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	_cleanup_strv_ char **created = NULL;

	if (check_path(path, err) < 0 || ib_cgroup_check_resources(res, err) < 0 ||
	    ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	if (l.n == 0) {
		ib_err_set(err, ENOENT, "no cgroup hierarchy is mounted");
		return NULL;
	}
	if (res && res->n_unified && (l.v2 < 0 || l.h[l.v2].readonly)) {
		ib_err_set(err, ENOTSUP,
			   "linux.resources.unified needs cgroup v2, which this host lacks");
		return NULL;
	}
	cg = ib_xmalloc0(sizeof(*cg));
	cg->mode = ib_cgroup_layout_mode(&l);
	cg->path = ib_xstrdup(path);
	cg->owned = !join_existing;
	cg->v1_dirs = ib_xmalloc0(sizeof(char *));
	created = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < l.n; i++) {
		const struct ib_cgroup_hierarchy *h = &l.h[i];
		bool cpuset = ib_cgroup_layout_find(&l, "cpuset") == (int)i;
		_cleanup_free_ char *dir = NULL;

		if (h->v2)
			continue;
		if (h->readonly) {
			ib_debug("cgroup: skipping read-only hierarchy `%s`", h->mount);
			continue;
		}
		if (make_dirs(h, path, cpuset, join_existing, &created, err) < 0)
			goto fail;
		dir = ib_cg_hier_dir(h, path);
		ib_strv_push(&cg->v1_dirs, dir);
		if (ib_cgroup_layout_find(&l, "freezer") == (int)i)
			cg->freezer_dir = IB_STEAL(dir);
	}
	if (l.v2 >= 0 && !l.h[l.v2].readonly) {
		if (make_dirs(&l.h[l.v2], path, false, join_existing, &created, err) < 0)
			goto fail;
		cg->v2_dir = ib_cg_hier_dir(&l.h[l.v2], path);
		if (cg->mode == IB_CGROUP_V2 && !join_existing) {
			ib_err e2;
			if (v2_enable(cg, &l, NULL, &e2) < 0)
				ib_debug("cgroup: enabling controllers: %s", e2.msg);
		}
	}
	/* runc 1.1 refuses a frozen cgroup too: the container would hang. */
	if (cgroup_frozen(cg->freezer_dir, cg->v2_dir)) {
		ib_err_set(err, EBUSY, "container's cgroup unexpectedly frozen");
		goto fail;
	}
	if (ib_cg_apply_resources(cg, &l, res, err) < 0)
		goto fail;
	return IB_STEAL(cg);
fail:
	ib_err_wrap(err, "%s cgroup `%s`", join_existing ? "join" : "create", path);
	rollback(created);
	return NULL;
}

int ib_cgroup_probe(const char *path, struct ib_cgroup_probe *out, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	int freezer;
	size_t n = 0, found = 0;

	memset(out, 0, sizeof(*out));
	if (check_path(path, err) < 0 || ib_cgroup_read_layout(&l, err) < 0)
		return -1;
	freezer = ib_cgroup_layout_find(&l, "freezer");
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *dir = NULL;
		struct stat st;

		if (l.h[i].readonly || (l.h[i].v2 && (int)i != l.v2))
			continue;
		n++;
		dir = ib_cg_hier_dir(&l.h[i], path);
		if (ib_cg_stat(dir, &st) < 0) {
			if (errno != ENOENT)
				return ib_err_sys(err, "stat `%s`", dir);
			continue;
		}
		found++;
		if (!out->populated) {
			_cleanup_free_ pid_t *pids = NULL;
			size_t np = 0, cap = 0;
			ib_err e2;
			/* Unreadable means "can't tell": count it as populated. */
			if (collect_pids(dir, &pids, &np, &cap, &e2) < 0 || np > 0)
				out->populated = true;
		}
		if (((int)i == freezer && cgroup_frozen(dir, NULL)) ||
		    ((int)i == l.v2 && cgroup_frozen(NULL, dir)))
			out->frozen = true;
	}
	out->exists = found > 0;
	out->partial = found > 0 && found < n;
	return 0;
}

struct ib_cgroup *ib_cgroup_from_path(const char *path, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	bool any = false;

	if (check_path(path, err) < 0 || ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	cg = ib_xmalloc0(sizeof(*cg));
	cg->mode = ib_cgroup_layout_mode(&l);
	cg->path = ib_xstrdup(path);
	cg->v1_dirs = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *dir = NULL;
		if (l.h[i].readonly)
			continue;
		dir = ib_cg_hier_dir(&l.h[i], path);
		if (ib_cg_access(dir) < 0)
			continue;
		any = true;
		if (l.h[i].v2) {
			if ((int)i == l.v2)
				cg->v2_dir = IB_STEAL(dir);
			continue;
		}
		ib_strv_push(&cg->v1_dirs, dir);
		if (ib_cgroup_layout_find(&l, "freezer") == (int)i)
			cg->freezer_dir = IB_STEAL(dir);
	}
	if (!any) {
		ib_err_set(err, ENOENT, "cgroup `%s` doesn't exist", path);
		return NULL;
	}
	return IB_STEAL(cg);
}

int ib_cgroup_update(const struct ib_cgroup *cg, const struct ib_resources *res, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;

	if (ib_cgroup_read_layout(&l, err) < 0)
		return -1;
	if (ib_cg_apply_resources(cg, &l, res, err) < 0)
		return ib_err_wrap(err, "update cgroup `%s`", cg->path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Joining                                                                   */

/* Not O_PATH: clone3(CLONE_INTO_CGROUP) needs a real open of the directory.
 * Returns -1 with err->code == 0 when there is no v2 dir. */
int ib_cgroup_v2_fd(const struct ib_cgroup *cg, ib_err *err)
{
	int fd;

	if (!cg->v2_dir)
		return ib_err_set(err, 0, "no cgroup v2 directory");
	fd = ib_cg_open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", cg->v2_dir);
	return fd;
}

/* Plain open/write, stack buffers only: runs in a freshly cloned child. */
static int write_small(const char *dir, const char *file, const char *val, size_t len, ib_err *err)
{
	char p[PATH_MAX];
	int fd;

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return ib_err_sys(err, "cgroup file in `%s`", dir);
	}
	fd = ib_cg_open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", p);
	if (ib_write_all(fd, val, len) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return ib_err_sys(err, "write `%.*s` to `%s`", (int)len, val, p);
	}
	close(fd);
	return 0;
}

bool ib_cgroup_v2_pids_limited(const char *v2_dir)
{
	ib_err err = {0};
	_cleanup_free_ char *max = ib_cg_read(v2_dir, "pids.max", &err);

	if (!max)
		return err.code != ENOENT; /* no pids controller here: no limit */
	return strcmp(max, "max\n") != 0 && strcmp(max, "max") != 0;
}

int ib_cgroup_join_self(const struct ib_cgroup *cg, bool already_in_v2, ib_err *err)
{
	/* "0" to v1 `tasks` moves just this thread and skips the kernel's
	 * global cgroup_threadgroup_rwsem (a write-side percpu rwsem, costly);
	 * the caller is single-threaded so the thread is the process. */
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		if (write_small(cg->v1_dirs[i], "tasks", "0", 1, err) < 0)
			return -1;
	if (cg->v2_dir && !already_in_v2 &&
	    write_small(cg->v2_dir, "cgroup.procs", "0", 1, err) < 0)
		return -1;
	return 0;
}

bool ib_cgroup_v1_is_pids(const char *dir)
{
	char p[PATH_MAX];

	return snprintf(p, sizeof(p), "%s/pids.max", dir) < (int)sizeof(p) && ib_cg_access(p) == 0;
}

/* ------------------------------------------------------------------------ */
/* Freezer                                                                   */

/* Value of "key value" in a flat-keyed file. */
bool ib_cg_kv_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			char *end;
			errno = 0;
			*out = strtoull(p + kl + 1, &end, 10);
			return errno == 0 && end != p + kl + 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

#define FREEZE_TIMEOUT_MS 5000

static int freeze_v1(const char *dir, bool frozen, ib_err *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	long deadline = now_ms() + FREEZE_TIMEOUT_MS, delay = 1;

	for (;;) {
		_cleanup_free_ char *st = NULL;
		/* Re-writing FROZEN while FREEZING nudges tasks that raced. */
		if (ib_cg_write(dir, "freezer.state", want, err) < 0)
			return -1;
		st = ib_cg_read(dir, "freezer.state", err);
		if (!st)
			return -1;
		if (strncmp(st, want, strlen(want)) == 0)
			return 0;
		if (now_ms() > deadline) {
			if (frozen)
				ib_cg_write(dir, "freezer.state", "THAWED", NULL);
			return ib_err_set(err, EBUSY, "cgroup `%s` didn't reach %s in time", dir,
					  want);
		}
		sleep_ms(delay);
		if (delay < 10)
			delay++;
	}
}

static int freeze_v2(const char *dir, bool frozen, ib_err *err)
{
	long deadline = now_ms() + FREEZE_TIMEOUT_MS, delay = 1;

	if (ib_cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (;;) {
		_cleanup_free_ char *ev = ib_cg_read(dir, "cgroup.events", err);
		uint64_t v;
		if (!ev)
			return -1;
		if (!ib_cg_kv_u64(ev, "frozen", &v) || v == (frozen ? 1 : 0))
			return 0;
		if (now_ms() > deadline) {
			if (frozen)
				ib_cg_write(dir, "cgroup.freeze", "0", NULL);
			return ib_err_set(err, EBUSY, "cgroup `%s` didn't %s in time", dir,
					  frozen ? "freeze" : "thaw");
		}
		sleep_ms(delay);
		if (delay < 10)
			delay++;
	}
}

int ib_cgroup_freeze(const struct ib_cgroup *cg, bool frozen, ib_err *err)
{
	if (cg->freezer_dir)
		return freeze_v1(cg->freezer_dir, frozen, err);
	if (cg->v2_dir && ib_cg_file_exists(cg->v2_dir, "cgroup.freeze"))
		return freeze_v2(cg->v2_dir, frozen, err);
	return ib_err_set(err, ENOTSUP, "no cgroup freezer for `%s`", cg->path);
}

int ib_cgroup_is_frozen(const struct ib_cgroup *cg, ib_err *err)
{
	if (cg->freezer_dir) {
		_cleanup_free_ char *st = ib_cg_read(cg->freezer_dir, "freezer.state", err);
		if (!st)
			return -1;
		return strncmp(st, "FROZEN", 6) == 0;
	}
	if (cg->v2_dir && ib_cg_file_exists(cg->v2_dir, "cgroup.freeze")) {
		_cleanup_free_ char *ev = ib_cg_read(cg->v2_dir, "cgroup.events", err);
		uint64_t v = 0;
		if (!ev)
			return -1;
		return ib_cg_kv_u64(ev, "frozen", &v) && v == 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */

struct pid_list {
	pid_t **pids;
	size_t *n, *cap;
};

/* The pids of one cgroup directory's cgroup.procs. */
static int add_procs(int dfd, void *data, ib_err *err)
{
	struct pid_list *pl = data;
	_cleanup_free_ char *procs = NULL;

	if (ib_read_file_at(dfd, "cgroup.procs", &procs, NULL, err) < 0)
		return -1;
	for (char *p = procs, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p) {
			end = p + 1;
			continue;
		}
		if (v <= 0)
			continue;
		if (*pl->n == *pl->cap) {
			*pl->cap = *pl->cap ? *pl->cap * 2 : 16;
			*pl->pids = ib_xrealloc(*pl->pids, *pl->cap * sizeof(pid_t));
		}
		(*pl->pids)[(*pl->n)++] = (pid_t)v;
	}
	return 0;
}

/* Every pid in dir and its sub-cgroups (any depth, see ib_cg_walk). */
static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, ib_err *err)
{
	struct pid_list pl = {pids, n, cap};
	_cleanup_close_ int fd = ib_cg_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return ib_err_sys(err, "open `%s`", dir);
	if (ib_cg_walk(fd, add_procs, NULL, &pl, err) < 0)
		return ib_err_wrap(err, "cgroup `%s`", dir);
	return 0;
}

/* The directory whose cgroup.procs lists the container's processes. */
static const char *procs_dir(const struct ib_cgroup *cg)
{
	static const char *const pref[] = {"pids.max", "memory.stat"};

	if (cg->freezer_dir)
		return cg->freezer_dir;
	for (size_t k = 0; k < IB_ARRAY_SIZE(pref); k++)
		for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
			if (ib_cg_file_exists(cg->v1_dirs[i], pref[k]))
				return cg->v1_dirs[i];
	if (cg->mode != IB_CGROUP_V2 && cg->v1_dirs && cg->v1_dirs[0])
		return cg->v1_dirs[0];
	if (cg->v2_dir)
		return cg->v2_dir;
	return cg->v1_dirs ? cg->v1_dirs[0] : NULL;
}

int ib_cgroup_pids(const struct ib_cgroup *cg, pid_t **pids, size_t *n, ib_err *err)
{
	const char *dir = procs_dir(cg);
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (!dir)
		return ib_err_set(err, ENOENT, "cgroup `%s` has no directory", cg->path);
	if (collect_pids(dir, pids, n, &cap, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* v1 freezer: a sub-cgroup the container froze itself stays frozen when its
 * parent thaws, and its killed tasks would never exit: thaw every one. */
static int thaw_sub(int dfd, void *data, ib_err *err)
{
	_cleanup_close_ int fd = openat(dfd, "freezer.state", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	char st[16] = {0};

	(void)data;
	if (fd < 0)
		return errno == ENOENT ? 0 : ib_err_sys(err, "open freezer.state");
	if (pread(fd, st, sizeof(st) - 1, 0) > 0 && strncmp(st, "THAWED", 6) == 0)
		return 0;
	if (pwrite(fd, "THAWED", 6, 0) != 6)
		return ib_err_sys(err, "thaw sub-cgroup");
	return 0;
}

static int thaw_tree(const char *dir, ib_err *err)
{
	_cleanup_close_ int fd = ib_cg_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : ib_err_sys(err, "open `%s`", dir);
	return ib_cg_walk(fd, thaw_sub, NULL, NULL, err);
}

int ib_cgroup_thaw_subtree(const struct ib_cgroup *cg, ib_err *err)
{
	if (!cg->owned || !cg->freezer_dir)
		return 0;
	if (thaw_tree(cg->freezer_dir, err) < 0)
		return ib_err_wrap(err, "thaw the sub-cgroups of `%s`", cg->path);
	return 0;
}

int ib_cgroup_kill_all(const struct ib_cgroup *cg, int sig, ib_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	bool froze = false, was_frozen;
	int rc = 0;

	if (!cg->owned)
		return ib_err_set(
		    err, EPERM,
		    "cgroup `%s` was not created by ironbox: not signalling everything "
		    "in it",
		    cg->path);
	if (sig == SIGKILL && cg->v2_dir && ib_cg_file_exists(cg->v2_dir, "cgroup.kill")) {
		if (ib_cg_write(cg->v2_dir, "cgroup.kill", "1", err) < 0)
			return -1;
		if (!cg->v1_dirs || !cg->v1_dirs[0])
			return 0;
		/* hybrid: sweep the v1 side too (should be empty or dying) */
	}
	/* Nobody in it (the usual delete: the init has exited and its pid
	 * namespace is gone): nothing to signal, and nobody can enter but by a
	 * fork of a member or a write of host root, so no freeze either (a v1
	 * freeze and thaw cost more than the rest of the teardown). */
	if (ib_cgroup_pids(cg, &pids, &n, NULL) == 0 && n == 0)
		return 0;
	free(pids);
	pids = NULL;
	n = 0;
	was_frozen = ib_cgroup_is_frozen(cg, NULL) == 1;
	{
		ib_err e2;
		if (ib_cgroup_freeze(cg, true, &e2) == 0)
			froze = true;
		else
			ib_debug("cgroup: kill without freezing: %s", e2.msg);
	}
	if (ib_cgroup_pids(cg, &pids, &n, err) < 0)
		rc = -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH && rc == 0)
			rc = ib_err_sys(err, "kill %d", (int)pids[i]);
	if (froze && (!was_frozen || sig == SIGKILL)) {
		ib_err e2;
		if (ib_cgroup_freeze(cg, false, &e2) < 0 && rc == 0) {
			*err = e2;
			rc = -1;
		}
	}
	/* Killed tasks in a sub-cgroup the container froze exit once thawed
	 * (v2: SIGKILL reaches frozen tasks). */
	if (sig == SIGKILL) {
		ib_err e2;
		if (ib_cgroup_thaw_subtree(cg, &e2) < 0 && rc == 0) {
			*err = e2;
			rc = -1;
		}
	}
	return rc;
}

/* Is pid's pid namespace target or a descendant of it? (pidfd held by the
 * caller, so a recycled pid is caught by the signal that follows.) */
static bool in_pidns(pid_t pid, const struct stat *target)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	/* At most 32 levels of pid namespaces. */
	for (int depth = 0; fd >= 0 && depth <= 33; depth++) {
		struct stat st;
		int parent;

		if (fstat(fd, &st) < 0)
			break;
		if (st.st_dev == target->st_dev && st.st_ino == target->st_ino) {
			close(fd);
			return true;
		}
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

int ib_cgroup_kill_in_pidns(const struct ib_cgroup *cg, int sig, int pidns_fd, ib_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	struct stat target;
	size_t n = 0;
	int rc = 0;

	if (fstat(pidns_fd, &target) < 0)
		return ib_err_sys(err, "stat pid namespace");
	if (ib_cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int pfd = ib_pidfd_open(pids[i], 0);
		if (pfd < 0 || !in_pidns(pids[i], &target))
			continue;
		if (ib_pidfd_send_signal(pfd, sig) < 0 && errno != ESRCH && rc == 0)
			rc = ib_err_sys(err, "kill %d", (int)pids[i]);
	}
	return rc;
}

/* rmdir of a sub-cgroup; EBUSY is retried until the deadline (processes
 * that were just killed leave their cgroup shortly). */
static int rmdir_at(int parent_fd, const char *name, void *data, ib_err *err)
{
	long deadline = *(long *)data;

	for (long us = 200;; us = us < 5000 ? us * 2 : 5000) {
		struct timespec ts = {0, us * 1000};

		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() > deadline)
			return ib_err_sys(err, "rmdir sub-cgroup `%s`", name);
		nanosleep(&ts, NULL); /* as rm_tree */
	}
}

/* Remove dir and everything below it, bottom-up. deadline 0: one rmdir,
 * nothing below is touched (the caller waits, then tries again).
 * children_first: dir is known to be busy (a first try failed), so its
 * sub-cgroups go before it is tried again. */
static int rm_tree(const char *dir, long deadline, bool children_first, ib_err *err)
{
	_cleanup_close_ int fd = -1;

	/* Most have nothing below them and no process left: one rmdir, no
	 * listing (EBUSY: sub-cgroups, or processes not reaped yet). */
	if (!children_first) {
		if (ib_cg_rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (deadline == 0)
			return ib_err_sys(err, "rmdir `%s`", dir);
	}
	fd = ib_cg_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return ib_err_sys(err, "open `%s`", dir);
	}
	if (ib_cg_walk(fd, NULL, rmdir_at, &deadline, err) < 0)
		return ib_err_wrap(err, "`%s`", dir);
	/* EBUSY: a process that just exited is not reaped yet (a v1 cgroup
	 * counts zombies). Its parent reaps it within a scheduling round or
	 * two: retry soon at first (0.2 ms, doubling up to 5 ms). */
	for (long us = 200;; us = us < 5000 ? us * 2 : 5000) {
		struct timespec ts = {0, us * 1000};

		if (ib_cg_rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() > deadline)
			return ib_err_sys(err, "rmdir `%s`", dir);
		nanosleep(&ts, NULL);
	}
}

int ib_cgroup_destroy_then(const struct ib_cgroup *cg, void (*wait_busy)(void *), void *arg,
			   ib_err *err)
{
	size_t n = ib_strv_len(cg->v1_dirs);
	_cleanup_free_ bool *left = ib_xmalloc0((n + 1) * sizeof(bool));
	long deadline;
	int rc = 0;
	ib_err e2;

	/* Joined, not created: neither its processes nor its directories are ours. */
	if (!cg->owned) {
		if (wait_busy)
			wait_busy(arg);
		return 0;
	}
	if (ib_cgroup_kill_all(cg, SIGKILL, &e2) < 0)
		ib_debug("cgroup: destroy `%s`: kill: %s", cg->path, e2.msg);
	/* left[n]: the v2 directory. Without wait_busy, everything is left. */
	for (size_t i = 0; i <= n; i++) {
		const char *dir = i < n ? cg->v1_dirs[i] : cg->v2_dir;

		left[i] = dir && (!wait_busy || rm_tree(dir, 0, false, &e2) < 0);
	}
	if (wait_busy)
		wait_busy(arg);
	deadline = now_ms() + 1000;
	for (size_t i = 0; i <= n; i++)
		if (left[i] && rm_tree(i < n ? cg->v1_dirs[i] : cg->v2_dir, deadline,
				       wait_busy != NULL, rc ? &e2 : err) < 0)
			rc = -1;
	if (rc < 0)
		ib_err_wrap(err, "destroy cgroup `%s`", cg->path);
	return rc;
}

int ib_cgroup_destroy(const struct ib_cgroup *cg, ib_err *err)
{
	return ib_cgroup_destroy_then(cg, NULL, NULL, err);
}
