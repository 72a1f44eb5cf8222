/* The exclusive ID-range allocator (see idmap.h).
 *
 * <root>/idmap.tab (idmap_table.c), rewritten atomically under an flock on
 * <root>/idmap.lock: a line per holder of a range,
 *
 *   ironbox-idmap 2
 *   100000 65536 4242 123456 /run/ironbox/state/c1
 *
 * (base, size, the allocating runtime's pid and start time, the holder).
 * Ranges are keyed by their first host ID (not by pool index) so that release
 * and lookup need no pool and a changed pool never hands out an ID twice.
 * Each holder records the runtime process that allocated for it (pid + start
 * time): a holder is alive while that process runs (create in progress, its
 * state dir may not exist yet) or while the caller's alive callback says so
 * (the container's state dir exists). A range whose holders are all dead is
 * reclaimed by the next allocation. A table that cannot be parsed is never
 * guessed at: every operation fails (fail closed). */
#include "idmap/idmap.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "idmap/idmap_int.h"

#define TABLE_NAME "idmap.tab"
#define LEGACY_NAME "idmap.json"
#define LOCK_NAME "idmap.lock"

static const char *subuid_path = "/etc/subuid";
static const char *subgid_path = "/etc/subgid";
static const char *passwd_path = "/etc/passwd";
static const char *group_path = "/etc/group";

void ib_idmap_set_account_paths(const char *passwd, const char *group)
{
	passwd_path = passwd ? passwd : "/etc/passwd";
	group_path = group ? group : "/etc/group";
}

void ib_idmap_set_subid_paths(const char *subuid, const char *subgid)
{
	subuid_path = subuid ? subuid : "/etc/subuid";
	subgid_path = subgid ? subgid : "/etc/subgid";
}

static void range_clear(struct ib_idm_range *r)
{
	for (size_t j = 0; j < r->n_holders; j++)
		free(r->holders[j].id);
	free(r->holders);
	r->holders = NULL;
	r->n_holders = 0;
}

/* starttime (field 22) of /proc/PID/stat, 0 if the process does not exist. */
static uint64_t proc_starttime(int64_t pid)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;
	unsigned long long v;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%" PRId64 "/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = ib_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* After ") " come fields 3..: state is field 3, starttime field 22. */
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (field == 22)
			break;
		while (*p && *p != ' ')
			p++;
	}
	if (sscanf(p, "%llu", &v) != 1)
		return 0;
	return v;
}

/* Does one extent of an id_map ("inside outside count" lines) lie within
 * [start, start+count)? */
static bool map_within(const char *text, uint64_t start, uint64_t count)
{
	for (const char *p = text; p && *p;) {
		unsigned long long in, out, len;
		if (sscanf(p, "%llu %llu %llu", &in, &out, &len) == 3 && len > 0 && out >= start &&
		    out + len <= start + count)
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* State Z or X in /proc/PID/stat (or gone). */
static bool proc_is_zombie(long pid)
{
	char path[64], buf[512], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = ib_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int ib_idmap_range_in_use(uint64_t start, uint64_t count, int64_t *pid_out)
{
	static const char *const maps[] = {"uid_map", "gid_map"};
	DIR *d = opendir("/proc");
	struct stat self;
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -1;
	if (stat("/proc/self/ns/user", &self) < 0) {
		closedir(d);
		return -1;
	}
	while (ret == 0 && (de = readdir(d))) {
		char *end, path[64];
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end || pid <= 0)
			continue;
		/* Processes in our own user namespace (most of them) map
		 * nothing: one stat instead of reading their maps. */
		snprintf(path, sizeof(path), "%ld/ns/user", pid);
		if (fstatat(dirfd(d), path, &st, 0) < 0 ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			continue;
		for (size_t i = 0; i < IB_ARRAY_SIZE(maps) && ret == 0; i++) {
			char buf[4096];
			_cleanup_close_ int fd = -1;
			ssize_t n;

			snprintf(path, sizeof(path), "%ld/%s", pid, maps[i]);
			fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue; /* gone meanwhile */
			n = ib_read_all(fd, buf, sizeof(buf) - 1);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			/* A zombie's IDs can't be used any more. */
			if (map_within(buf, start, count) && !proc_is_zombie(pid)) {
				if (pid_out)
					*pid_out = pid;
				ret = 1;
			}
		}
	}
	closedir(d);
	return ret;
}

static bool holder_process_alive(const struct ib_idm_holder *h)
{
	uint64_t st;

	if (h->pid <= 0)
		return false;
	st = proc_starttime(h->pid);
	if (st == 0)
		return false;
	return h->start == 0 || st == h->start;
}

static int corrupted(const char *path, ib_err *err, const char *what)
{
	return ib_err_set(err, EUCLEAN,
			  "ID-range table %s is corrupted (%s); refusing to hand out user-ID "
			  "ranges until an administrator repairs or removes it",
			  path, what);
}

static int table_save(struct ib_idm_table *t, bool shrinking, ib_err *err);

/* The JSON table of an older ironbox, carried over into the text table
 * once (under the same lock, which older binaries take too) and replaced
 * by one every JSON reader refuses: none of them can hand out a range the
 * text table holds. */
static int table_carry_over(const char *root, struct ib_idm_table *t, ib_err *err)
{
	_cleanup_free_ char *legacy = ib_xasprintf("%s/%s", root, LEGACY_NAME);
	_cleanup_free_ char *text = NULL;
	const char *why = NULL;

	if (ib_read_file_at(AT_FDCWD, legacy, &text, NULL, err) < 0) {
		if (errno != ENOENT)
			return -1;
		ib_err_clear(err);
		return 0;
	}
	if (!strcmp(text, IB_IDM_JSON_MOVED))
		return corrupted(t->path, err, "missing; " LEGACY_NAME " says it was moved there");
	if (ib_idm_table_parse_json(t, text, &why) < 0)
		return corrupted(legacy, err, why);
	if (table_save(t, false, err) < 0)
		return ib_err_wrap(err, "carry %s over", legacy);
	if (ib_write_file_atomic_locked(legacy, IB_IDM_JSON_MOVED, strlen(IB_IDM_JSON_MOVED), 0600,
					err) < 0) {
		/* Back to one table: older binaries still read the JSON one. */
		unlink(t->path);
		return ib_err_wrap(err, "carry %s over", legacy);
	}
	return 0;
}

/* Lock and load the table. *lockfd is held until the caller closes it. */
static int table_open(const char *root, struct ib_idm_table *t, int *lockfd, ib_err *err)
{
	_cleanup_free_ char *lockpath = ib_xasprintf("%s/%s", root, LOCK_NAME);
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	const char *why = NULL;
	struct stat st;
	size_t len = 0;

	memset(t, 0, sizeof(*t));
	t->path = ib_xasprintf("%s/%s", root, TABLE_NAME);
	if (stat(root, &st) < 0) {
		if (errno != ENOENT) {
			ib_err_sys(err, "stat `%s`", root);
			goto fail;
		}
		if (ib_mkdir_p(root, 0700, err) < 0)
			goto fail;
	}
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ib_err_sys(err, "open `%s`", lockpath);
		goto fail;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ib_err_sys(err, "lock `%s`", lockpath);
			goto fail;
		}
	}
	if (ib_read_file_at(AT_FDCWD, t->path, &text, &len, err) < 0) {
		if (errno != ENOENT)
			goto fail;
		ib_err_clear(err);
		if (table_carry_over(root, t, err) < 0)
			goto fail;
	} else if (ib_idm_table_parse(t, text, len, &why) < 0) {
		corrupted(t->path, err, why);
		goto fail;
	}
	*lockfd = IB_STEAL_FD(fd);
	return 0;
fail:
	ib_idm_table_clear(t);
	return -1;
}

/* Rewrite the table file in place, padded with blank lines to its current
 * size: needs no new block, so a release works on a full file system.
 * Only for a table that shrinks; the caller holds the lock, so no reader
 * sees it half written. */
static int table_write_in_place(const struct ib_idm_table *t, const char *text, size_t len,
				ib_err *err)
{
	_cleanup_close_ int fd = open(t->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t size;
	struct stat st;

	if (fd < 0)
		return ib_err_sys(err, "open `%s`", t->path);
	if (fstat(fd, &st) < 0)
		return ib_err_sys(err, "stat `%s`", t->path);
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size < len)
		return ib_err_set(err, ENOSPC, "`%s` can't be rewritten in place", t->path);
	size = (size_t)st.st_size;
	buf = ib_xmalloc0(size + 1);
	memcpy(buf, text, len);
	memset(buf + len, ' ', size - len);
	if (size > len)
		buf[size - 1] = '\n';
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(fd, buf + off, size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ib_err_sys(err, "rewrite `%s`", t->path);
		off += (size_t)n;
	}
	if (fdatasync(fd) < 0 && errno != EINVAL)
		return ib_err_sys(err, "sync `%s`", t->path);
	return 0;
}

/* Save the table: atomically (the kept temporary file, then exchanged);
 * when that finds no space and the table only shrank (shrinking = true:
 * holders were removed, none added), rewrite the file in place instead. */
static int table_save(struct ib_idm_table *t, bool shrinking, ib_err *err)
{
	size_t len = 0;
	_cleanup_free_ char *text = ib_idm_table_format(t, &len);
	int ret;

	ret = ib_write_file_atomic_locked(t->path, text, len, 0600, err);
	if (ret < 0 && shrinking && (err->code == ENOSPC || err->code == EDQUOT)) {
		ib_err e2 = {0};
		ret = table_write_in_place(t, text, len, &e2);
		if (ret < 0)
			ib_err_wrap(err, "and in place: %s", e2.msg);
	}
	if (ret < 0)
		return ib_err_wrap(err, "save ID-range table");
	return 0;
}

static void range_remove_holder(struct ib_idm_range *r, size_t j)
{
	free(r->holders[j].id);
	memmove(&r->holders[j], &r->holders[j + 1], (r->n_holders - j - 1) * sizeof(*r->holders));
	r->n_holders--;
}

/* Remove holder from the table; true if it held something. */
static bool table_drop_holder(struct ib_idm_table *t, const char *holder)
{
	bool found = false;

	for (size_t i = 0; i < t->n_ranges; i++) {
		struct ib_idm_range *r = &t->ranges[i];
		for (size_t j = 0; j < r->n_holders;) {
			if (!strcmp(r->holders[j].id, holder)) {
				range_remove_holder(r, j);
				found = true;
			} else {
				j++;
			}
		}
	}
	return found;
}

static struct ib_idm_range *table_find_holder(struct ib_idm_table *t, const char *holder)
{
	for (size_t i = 0; i < t->n_ranges; i++)
		for (size_t j = 0; j < t->ranges[i].n_holders; j++)
			if (!strcmp(t->ranges[i].holders[j].id, holder))
				return &t->ranges[i];
	return NULL;
}

static void holder_init(struct ib_idm_holder *h, const char *id)
{
	h->id = ib_xstrdup(id);
	h->pid = getpid();
	h->start = proc_starttime(h->pid);
}

static void range_add_holder(struct ib_idm_range *r, const char *id)
{
	r->holders = ib_xrealloc(r->holders, (r->n_holders + 1) * sizeof(*r->holders));
	holder_init(&r->holders[r->n_holders++], id);
}

static int validate_pool(const struct ib_idpool *pool, ib_err *err)
{
	if (!pool || pool->size == 0 || pool->count == 0 || pool->base == 0 ||
	    (uint64_t)pool->base + (uint64_t)pool->size * pool->count > UINT32_MAX)
		return ib_err_set(err, EINVAL, "invalid user-ID pool");
	return 0;
}

void ib_idmap_parse_subid(const char *text, struct ib_idrange **out, size_t *n)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *copy = strndup(line, len);
		char *c1, *c2, *end;
		unsigned long long start, count;

		line = nl ? nl + 1 : NULL;
		if (!copy)
			abort();
		if (copy[0] == '#' || !(c1 = strchr(copy, ':')) || c1 == copy ||
		    !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c2 = '\0';
		errno = 0;
		if (!c1[1] || c1[1] == '-' || !c2[1] || c2[1] == '-')
			continue;
		start = strtoull(c1 + 1, &end, 10);
		if (errno || *end)
			continue;
		/* Allow trailing whitespace (and \r) after the count. */
		count = strtoull(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || strspn(end, " \t\r") != strlen(end))
			continue;
		if (count == 0)
			continue;
		*out = ib_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].start = start;
		(*out)[*n].count = count;
		(*n)++;
	}
}

/* The ID of a passwd/group line ("name:pw:ID:..."), false if malformed. */
static bool account_id(const char *line, size_t len, uint64_t *id)
{
	const char *c1 = memchr(line, ':', len), *c2, *end = line + len;
	char num[24];
	size_t nl;
	char *e;

	if (!c1 || c1 == line || !(c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1))))
		return false;
	nl = strcspn(c2 + 1, ":\n");
	if (nl == 0 || nl >= sizeof(num) || c2 + 1 + nl > end)
		return false;
	memcpy(num, c2 + 1, nl);
	num[nl] = '\0';
	if (num[0] < '0' || num[0] > '9')
		return false;
	errno = 0;
	*id = strtoull(num, &e, 10);
	return !errno && !*e;
}

void ib_idmap_parse_accounts(const char *text, struct ib_idrange **out, size_t *n)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		uint64_t id;

		if (line[0] != '#' && account_id(line, len, &id)) {
			*out = ib_xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[*n].start = id;
			(*out)[(*n)++].count = 1;
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Busy host IDs: /etc/subuid and /etc/subgid ranges, /etc/passwd and
 * /etc/group IDs. */
static void load_subids(struct ib_idrange **out, size_t *n)
{
	const char *subs[] = {subuid_path, subgid_path}, *accts[] = {passwd_path, group_path};

	for (size_t i = 0; i < IB_ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *text = NULL;
		ib_err e = {0};
		if (ib_read_file_at(AT_FDCWD, subs[i], &text, NULL, &e) == 0)
			ib_idmap_parse_subid(text, out, n);
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(accts); i++) {
		_cleanup_free_ char *text = NULL;
		ib_err e = {0};
		if (ib_read_file_at(AT_FDCWD, accts[i], &text, NULL, &e) == 0)
			ib_idmap_parse_accounts(text, out, n);
	}
}

/* The first line of text (an account file when accounts, else a subid
 * file) with IDs in [lo, hi); its name and IDs in *name, *start, *count. */
static bool find_conflict(const char *text, bool accounts, uint64_t lo, uint64_t hi, char **name,
			  uint64_t *start, uint64_t *count)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n'), *colon;
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct ib_idrange *r = NULL;
		size_t n = 0;
		_cleanup_free_ char *copy = strndup(line, len);

		if (!copy)
			abort();
		line = nl ? nl + 1 : NULL;
		if (accounts)
			ib_idmap_parse_accounts(copy, &r, &n);
		else
			ib_idmap_parse_subid(copy, &r, &n);
		if (n == 1 && r[0].start < hi && lo < r[0].start + r[0].count) {
			colon = strchr(copy, ':');
			*name = strndup(copy, colon ? (size_t)(colon - copy) : strlen(copy));
			if (!*name)
				abort();
			*start = r[0].start;
			*count = r[0].count;
			free(r);
			return true;
		}
		free(r);
	}
	return false;
}

int ib_idmap_check_pool(const struct ib_idpool *pool, const char *passwd, const char *group,
			const char *subuid, const char *subgid, ib_err *err)
{
	const struct {
		const char *text, *file, *what;
		bool accounts;
	} files[] = {
	    {passwd, "/etc/passwd", "host user", true},
	    {group, "/etc/group", "host group", true},
	    {subuid, "/etc/subuid", "the subordinate user IDs of", false},
	    {subgid, "/etc/subgid", "the subordinate group IDs of", false},
	};
	uint64_t lo = pool->base, hi = (uint64_t)pool->base + (uint64_t)pool->size * pool->count;

	if (pool->base < IB_IDMAP_MIN_BASE)
		return ib_err_set(
		    err, EINVAL,
		    "policy: \"idRanges.base\" must be at least %u (lower IDs belong to "
		    "host users and groups), not %" PRIu32,
		    IB_IDMAP_MIN_BASE, pool->base);
	for (size_t i = 0; i < IB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *name = NULL;
		uint64_t start, count;

		if (!files[i].text ||
		    !find_conflict(files[i].text, files[i].accounts, lo, hi, &name, &start, &count))
			continue;
		if (files[i].accounts)
			return ib_err_set(err, EINVAL,
					  "policy: \"idRanges\" (IDs %" PRIu64 "-%" PRIu64
					  ") overlaps %s `%s` (%s %" PRIu64 " in %s)",
					  lo, hi - 1, files[i].what, name, i == 0 ? "uid" : "gid",
					  start, files[i].file);
		return ib_err_set(err, EINVAL,
				  "policy: \"idRanges\" (IDs %" PRIu64 "-%" PRIu64
				  ") overlaps %s `%s` (%" PRIu64 "-%" PRIu64 " in %s)",
				  lo, hi - 1, files[i].what, name, start, start + count - 1,
				  files[i].file);
	}
	return 0;
}

int ib_idmap_check_pool_host(const struct ib_idpool *pool, ib_err *err)
{
	const char *paths[] = {passwd_path, group_path, subuid_path, subgid_path};
	char *texts[IB_ARRAY_SIZE(paths)] = {NULL};
	int r;

	for (size_t i = 0; i < IB_ARRAY_SIZE(paths); i++) {
		ib_err e = {0};
		if (ib_read_file_at(AT_FDCWD, paths[i], &texts[i], NULL, &e) < 0 &&
		    e.code != ENOENT) {
			for (size_t j = 0; j < i; j++)
				free(texts[j]);
			*err = e;
			return ib_err_wrap(err, "policy: check \"idRanges\" against `%s`",
					   paths[i]);
		}
	}
	r = ib_idmap_check_pool(pool, texts[0], texts[1], texts[2], texts[3], err);
	for (size_t i = 0; i < IB_ARRAY_SIZE(paths); i++)
		free(texts[i]);
	return r;
}

static int cmp_idrange(const void *a, const void *b)
{
	const struct ib_idrange *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Stale recovery: a holder is dead when the runtime that allocated for it
 * is gone and the caller says its container is gone. A range whose holders
 * are all dead is free only when no process on the host still has IDs of it
 * in its user namespace: the container's own processes decide, not its
 * state (a runtime killed during create can leave a live init behind a
 * state dir without a pid). */
static void recover_stale(struct ib_idm_table *t, ib_idmap_alive_fn alive, void *alive_data)
{
	for (size_t i = 0; alive && i < t->n_ranges; i++) {
		struct ib_idm_range *r = &t->ranges[i];
		bool any_alive = false;
		int64_t user = 0;

		for (size_t j = 0; j < r->n_holders && !any_alive; j++)
			any_alive = holder_process_alive(&r->holders[j]) ||
				    alive(r->holders[j].id, alive_data);
		if (!any_alive) {
			int u = ib_idmap_range_in_use(r->base, r->size, &user);
			if (u != 0) {
				/* In use (or /proc unreadable: can't tell): keep. */
				continue;
			}
			range_clear(r);
			continue;
		}
		for (size_t j = 0; j < r->n_holders;) {
			const struct ib_idm_holder *h = &r->holders[j];
			if (!holder_process_alive(h) && !alive(h->id, alive_data))
				range_remove_holder(r, j);
			else
				j++;
		}
	}
}

/* The first range of the pool that overlaps nothing busy: allocated
 * ranges, and the host's IDs (subids: /etc/subuid, /etc/subgid and the
 * accounts, read before the table's lock is taken). */
static bool find_free(const struct ib_idm_table *t, const struct ib_idpool *pool,
		      const struct ib_idrange *subids, size_t n_subids, uint64_t *out)
{
	_cleanup_free_ struct ib_idrange *busy =
	    ib_xmalloc0((t->n_ranges + n_subids + 1) * sizeof(*busy));
	size_t n_busy = 0, k = 0;

	for (size_t i = 0; i < t->n_ranges; i++) {
		if (t->ranges[i].n_holders == 0)
			continue;
		busy[n_busy].start = t->ranges[i].base;
		busy[n_busy++].count = t->ranges[i].size;
	}
	for (size_t i = 0; i < n_subids; i++)
		busy[n_busy++] = subids[i];
	if (n_busy)
		qsort(busy, n_busy, sizeof(*busy), cmp_idrange);

	for (uint64_t idx = 0; idx < pool->count;) {
		uint64_t s = pool->base + idx * pool->size, e = s + pool->size;
		bool clash = false;

		while (k < n_busy && busy[k].start + busy[k].count <= s)
			k++;
		/* busy[k] is the first interval ending after s (sorted by start, so
		 * later ones may end earlier only if nested; check all that start
		 * before e). */
		uint64_t next = e;
		for (size_t m = k; m < n_busy && busy[m].start < e; m++) {
			if (busy[m].start + busy[m].count > s) {
				clash = true;
				if (busy[m].start + busy[m].count > next)
					next = busy[m].start + busy[m].count;
			}
		}
		if (!clash) {
			*out = s;
			return true;
		}
		/* Jump to the first pool range starting at or after `next`. */
		idx = (next - pool->base + pool->size - 1) / pool->size;
	}
	return false;
}

int ib_idmap_alloc(const char *root, const struct ib_idpool *pool, const char *holder,
		   ib_idmap_alive_fn alive, void *alive_data, uint32_t *host_base, ib_err *err)
{
	_cleanup_close_ int lockfd = -1;
	struct ib_idm_table t;
	struct ib_idm_range *r;
	_cleanup_free_ struct ib_idrange *subids = NULL;
	size_t n_subids = 0;
	uint64_t s;
	int ret = -1;

	if (validate_pool(pool, err) < 0)
		return -1;
	if (!ib_idm_holder_valid(holder))
		return ib_err_set(err, EINVAL,
				  "an ID range can't be held by an empty name or one with control "
				  "characters (the state directory's path)");
	/* Not the table's: read before its lock, which every create and
	 * delete on the host waits for. */
	load_subids(&subids, &n_subids);
	if (table_open(root, &t, &lockfd, err) < 0)
		return -1;

	/* The caller guarantees id uniqueness (state dir); a leftover entry for
	 * this id belongs to an earlier, dead incarnation. */
	table_drop_holder(&t, holder);
	/* Dead holders are looked for only when the pool is full: that costs a
	 * look at every holder, under the lock every create takes (at 200
	 * containers it serialised them). Until then their ranges simply stay
	 * taken, which is the safe side. */
	if (!find_free(&t, pool, subids, n_subids, &s)) {
		recover_stale(&t, alive, alive_data);
		if (!find_free(&t, pool, subids, n_subids, &s)) {
			ib_err_set(err, ENOSPC,
				   "no free user-ID range: all %" PRIu32 " ranges of %" PRIu32
				   " IDs are in use",
				   pool->count, pool->size);
			goto out;
		}
	}
	t.ranges = ib_xrealloc(t.ranges, (t.n_ranges + 1) * sizeof(*t.ranges));
	r = &t.ranges[t.n_ranges++];
	memset(r, 0, sizeof(*r));
	r->base = s;
	r->size = pool->size;
	range_add_holder(r, holder);
	if (table_save(&t, false, err) < 0)
		goto out;
	*host_base = (uint32_t)s;
	ret = 0;
out:
	ib_idm_table_clear(&t);
	return ret;
}

int ib_idmap_share(const char *root, const struct ib_idpool *pool, const char *holder,
		   uint32_t host_base, ib_err *err)
{
	_cleanup_close_ int lockfd = -1;
	struct ib_idm_table t;
	struct ib_idm_range *r = NULL;
	int ret = -1;

	(void)pool;
	if (!ib_idm_holder_valid(holder))
		return ib_err_set(err, EINVAL,
				  "an ID range can't be held by an empty name or one with control "
				  "characters (the state directory's path)");
	if (table_open(root, &t, &lockfd, err) < 0)
		return -1;
	table_drop_holder(&t, holder);
	for (size_t i = 0; i < t.n_ranges; i++)
		if (t.ranges[i].n_holders > 0 && t.ranges[i].base == host_base)
			r = &t.ranges[i];
	if (!r) {
		ib_err_set(err, ENOENT,
			   "cannot share user-ID range at %" PRIu32
			   ": it is not allocated to any container",
			   host_base);
		goto out;
	}
	range_add_holder(r, holder);
	if (table_save(&t, false, err) < 0)
		goto out;
	ret = 0;
out:
	ib_idm_table_clear(&t);
	return ret;
}

int ib_idmap_release(const char *root, const char *holder, ib_err *err)
{
	_cleanup_close_ int lockfd = -1;
	struct ib_idm_table t;
	int ret = 0;

	if (table_open(root, &t, &lockfd, err) < 0)
		return -1;
	if (table_drop_holder(&t, holder))
		ret = table_save(&t, true, err);
	ib_idm_table_clear(&t);
	return ret;
}

int ib_idmap_lookup(const char *root, const char *holder, uint32_t *host_base, ib_err *err)
{
	_cleanup_close_ int lockfd = -1;
	struct ib_idm_table t;
	struct ib_idm_range *r;
	int ret = 0;

	if (table_open(root, &t, &lockfd, err) < 0)
		return -1;
	r = table_find_holder(&t, holder);
	if (r)
		*host_base = (uint32_t)r->base;
	else
		ret = ib_err_set(err, ENOENT, "container %s holds no user-ID range", holder);
	ib_idm_table_clear(&t);
	return ret;
}

int ib_idmap_find_overlap(const char *root, uint32_t start, uint64_t count,
			  const char *ignore_holder, char **holder_out, ib_err *err)
{
	_cleanup_close_ int lockfd = -1;
	struct ib_idm_table t;
	int ret = 0;

	if (table_open(root, &t, &lockfd, err) < 0)
		return -1;
	for (size_t i = 0; i < t.n_ranges && ret == 0; i++) {
		struct ib_idm_range *r = &t.ranges[i];
		if (r->n_holders == 0 || !(r->base < start + count && start < r->base + r->size))
			continue;
		for (size_t j = 0; j < r->n_holders; j++) {
			if (ignore_holder && !strcmp(r->holders[j].id, ignore_holder))
				continue;
			if (holder_out)
				*holder_out = ib_xstrdup(r->holders[j].id);
			ret = 1;
			break;
		}
	}
	ib_idm_table_clear(&t);
	return ret;
}
