#include "supervisor/mounttable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo: s (len
 * bytes) unescaped into o, NUL-terminated; returns what follows the NUL. */
static char *unescape_into(char *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ =
			    (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o++ = '\0';
	return o;
}

enum { S_ROOT, S_MNTPOINT, S_FSTYPE, S_SOURCE, S_SUPER, S_N };

/* The entry's five strings in one allocation (m->mem), each unescaped when
 * escaped[i] (mountinfo's fields are; statmount's names are not). */
static void set_strings(struct ib_mnt *m, const char *const s[S_N], const size_t len[S_N],
			const bool escaped[S_N])
{
	size_t total = 0;
	char *o;

	for (size_t i = 0; i < S_N; i++)
		total += len[i] + 1;
	o = m->mem = ib_xmalloc0(total);
	for (size_t i = 0; i < S_N; i++) {
		char *start = o;

		if (escaped[i]) {
			o = unescape_into(o, s[i], len[i]);
		} else {
			memcpy(o, s[i], len[i]);
			o[len[i]] = '\0';
			o += len[i] + 1;
		}
		switch (i) {
		case S_ROOT:
			m->root = start;
			break;
		case S_MNTPOINT:
			m->mountpoint = start;
			break;
		case S_FSTYPE:
			m->fstype = start;
			break;
		case S_SOURCE:
			m->source = start;
			break;
		default:
			m->super_opts = start;
			break;
		}
	}
}

unsigned long ib_mnt_flag_word(const char *w)
{
	static const struct {
		const char *word;
		unsigned long flag;
	} words[] = {
	    {"ro", MS_RDONLY},	       {"nosuid", MS_NOSUID},
	    {"nodev", MS_NODEV},       {"noexec", MS_NOEXEC},
	    {"noatime", MS_NOATIME},   {"nodiratime", MS_NODIRATIME},
	    {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME},
	};

	for (size_t i = 0; i < IB_ARRAY_SIZE(words); i++)
		if (strcmp(w, words[i].word) == 0)
			return words[i].flag;
	return 0;
}

/* Comma-separated option words (opts is ours to cut up). */
static unsigned long parse_flags(char *opts)
{
	unsigned long flags = 0;
	char *save = NULL;

	for (char *w = strtok_r(opts, ",", &save); w; w = strtok_r(NULL, ",", &save))
		flags |= ib_mnt_flag_word(w);
	return flags;
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static void mnt_free(struct ib_mnt *m)
{
	free(m->mem);
	m->mem = NULL;
}

/* Split one line into space-separated fields (pointers into line). */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line; *p && n < max;) {
		f[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static int parse_line(char *line, struct ib_mnt *m, ib_err *err)
{
	char *f[64];
	size_t n = split(line, f, IB_ARRAY_SIZE(f)), dash;
	uint64_t maj, min;
	char *colon;

	memset(m, 0, sizeof(*m));
	for (dash = 6; dash < n && strcmp(f[dash], "-") != 0; dash++)
		;
	if (n < 10 || dash + 3 >= n)
		return ib_err_set(err, EINVAL, "mountinfo: malformed line");
	if (!parse_u64(f[0], strlen(f[0]), &m->id) || !parse_u64(f[1], strlen(f[1]), &m->parent_id))
		return ib_err_set(err, EINVAL, "mountinfo: bad mount id `%s %s`", f[0], f[1]);
	colon = strchr(f[2], ':');
	if (!colon || !parse_u64(f[2], (size_t)(colon - f[2]), &maj) ||
	    !parse_u64(colon + 1, strlen(colon + 1), &min) || maj > UINT32_MAX || min > UINT32_MAX)
		return ib_err_set(err, EINVAL, "mountinfo: bad device `%s`", f[2]);
	/* A bind of a namespace file (ip netns, dockerd's netns/ID) shows the
	 * namespace as its root: "net:[4026532561]", on nsfs only. */
	if ((f[3][0] != '/' && strcmp(f[dash + 1], "nsfs") != 0) || f[4][0] != '/')
		return ib_err_set(err, EINVAL, "mountinfo: relative path in line of mount %llu",
				  (unsigned long long)m->id);
	m->major = (unsigned)maj;
	m->minor = (unsigned)min;
	{
		const char *str[S_N] = {f[3], f[4], f[dash + 1], f[dash + 2], f[dash + 3]};
		const bool esc[S_N] = {true, true, true, true, true};
		size_t len[S_N];

		for (size_t i = 0; i < S_N; i++)
			len[i] = strlen(str[i]);
		set_strings(m, str, len, esc);
	}
	m->flags = parse_flags(f[5]);
	for (size_t i = 6; i < dash; i++) {
		if (strncmp(f[i], "shared:", 7) == 0)
			m->propagation |= IB_MNT_SHARED;
		else if (strncmp(f[i], "master:", 7) == 0)
			m->propagation |= IB_MNT_SLAVE;
		else if (strcmp(f[i], "unbindable") == 0)
			m->propagation |= IB_MNT_UNBINDABLE;
	}
	return 0;
}

int ib_mnttab_parse(const char *text, struct ib_mnttab *t, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(text ? text : "");
	char *save = NULL;
	size_t cap = 0;

	t->m = NULL;
	t->n = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ib_mnt m;

		if (parse_line(line, &m, err) < 0) {
			mnt_free(&m);
			ib_mnttab_free(t);
			return -1;
		}
		if (t->n == cap) {
			cap = cap ? 2 * cap : 64;
			t->m = ib_xrealloc(t->m, cap * sizeof(*t->m));
		}
		t->m[t->n++] = m;
	}
	return 0;
}

void ib_mnt_free(struct ib_mnt *m)
{
	mnt_free(m);
}

void ib_mnttab_free(struct ib_mnttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		mnt_free(&t->m[i]);
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

static void mnt_copy(const struct ib_mnt *a, struct ib_mnt *b)
{
	const char *str[S_N] = {a->root ? a->root : "", a->mountpoint ? a->mountpoint : "",
				a->fstype ? a->fstype : "", a->source ? a->source : "",
				a->super_opts ? a->super_opts : ""};
	const bool esc[S_N] = {false};
	size_t len[S_N];

	*b = *a;
	for (size_t i = 0; i < S_N; i++)
		len[i] = strlen(str[i]);
	set_strings(b, str, len, esc);
}

void ib_mnttab_copy(const struct ib_mnttab *from, struct ib_mnttab *to)
{
	to->n = from->n;
	to->m = from->n ? ib_xmalloc0(from->n * sizeof(*to->m)) : NULL;
	for (size_t i = 0; i < from->n; i++)
		mnt_copy(&from->m[i], &to->m[i]);
}

void ib_mnttab_add(struct ib_mnttab *t, const struct ib_mnt *m)
{
	t->m = ib_xrealloc(t->m, (t->n + 1) * sizeof(*t->m));
	mnt_copy(m, &t->m[t->n++]);
}

bool ib_mnttab_remove(struct ib_mnttab *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->m[i].id != id)
			continue;
		mnt_free(&t->m[i]);
		memmove(&t->m[i], &t->m[i + 1], (t->n - i - 1) * sizeof(*t->m));
		t->n--;
		return true;
	}
	return false;
}

/* MOUNT_ATTR_* (statmount's mnt_attr) as mountinfo's per-mount words. */
#define ATTR_RDONLY 0x1u
#define ATTR_NOSUID 0x2u
#define ATTR_NODEV 0x4u
#define ATTR_NOEXEC 0x8u
#define ATTR__ATIME 0x70u
#define ATTR_NOATIME 0x10u
#define ATTR_NODIRATIME 0x80u
/* SB_* (statmount's sb_flags) shown in mountinfo's super options. */
#define SBF_RDONLY 0x1u
#define SBF_SYNC 0x10u
#define SBF_DIRSYNC 0x80u
#define SBF_LAZYTIME (1u << 25)

void ib_mnt_from_stat(const struct ib_mnt_stat *s, struct ib_mnt *m)
{
	_cleanup_free_ char *fstype = NULL, *super = NULL;
	const char *str[S_N];
	bool esc[S_N] = {false, false, false, false, true};
	size_t len[S_N];

	memset(m, 0, sizeof(*m));
	m->id = s->id;
	m->parent_id = s->parent_id;
	m->major = s->major;
	m->minor = s->minor;
	if (s->attr & ATTR_RDONLY)
		m->flags |= MS_RDONLY;
	if (s->attr & ATTR_NOSUID)
		m->flags |= MS_NOSUID;
	if (s->attr & ATTR_NODEV)
		m->flags |= MS_NODEV;
	if (s->attr & ATTR_NOEXEC)
		m->flags |= MS_NOEXEC;
	if ((s->attr & ATTR__ATIME) == ATTR_NOATIME)
		m->flags |= MS_NOATIME;
	else if ((s->attr & ATTR__ATIME) == 0) /* MOUNT_ATTR_RELATIME is 0 */
		m->flags |= MS_RELATIME;
	if (s->attr & ATTR_NODIRATIME)
		m->flags |= MS_NODIRATIME;
	if (s->propagation & MS_SHARED)
		m->propagation |= IB_MNT_SHARED;
	if (s->propagation & MS_SLAVE)
		m->propagation |= IB_MNT_SLAVE;
	if (s->propagation & MS_UNBINDABLE)
		m->propagation |= IB_MNT_UNBINDABLE;
	fstype = s->subtype && *s->subtype ? ib_xasprintf("%s.%s", s->fstype, s->subtype)
					   : ib_xstrdup(s->fstype);
	super = ib_xasprintf("%s%s%s%s%s%s", (s->sb_flags & SBF_RDONLY) ? "ro" : "rw",
			     (s->sb_flags & SBF_SYNC) ? ",sync" : "",
			     (s->sb_flags & SBF_DIRSYNC) ? ",dirsync" : "",
			     (s->sb_flags & SBF_LAZYTIME) ? ",lazytime" : "",
			     s->opts && *s->opts ? "," : "", s->opts ? s->opts : "");
	str[S_ROOT] = s->root;
	str[S_MNTPOINT] = s->mountpoint;
	str[S_FSTYPE] = fstype;
	str[S_SOURCE] = s->source && *s->source ? s->source : "none";
	str[S_SUPER] = super;
	for (size_t i = 0; i < S_N; i++)
		len[i] = strlen(str[i]);
	set_strings(m, str, len, esc);
}

const struct ib_mnt *ib_mnttab_find(const struct ib_mnttab *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].id == id)
			return &t->m[i];
	return NULL;
}

const struct ib_mnt *ib_mnttab_parent(const struct ib_mnttab *t, const struct ib_mnt *m)
{
	if (m->parent_id == m->id)
		return NULL;
	return ib_mnttab_find(t, m->parent_id);
}

bool ib_mnttab_is_ancestor(const struct ib_mnttab *t, const struct ib_mnt *a,
			   const struct ib_mnt *m)
{
	for (size_t steps = 0; m && steps <= t->n; steps++) {
		if (m == a)
			return true;
		m = ib_mnttab_parent(t, m);
	}
	return false;
}

bool ib_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *ib_mnt_fs_path(const struct ib_mnt *m, const char *path)
{
	const char *rel;
	size_t n = strlen(m->mountpoint);

	if (!ib_path_under(path, m->mountpoint))
		return NULL;
	rel = (n == 1) ? path : path + n; /* "" or "/x..." */
	if (strcmp(rel, "/") == 0)
		rel = "";
	if (strcmp(m->root, "/") == 0)
		return ib_xstrdup(*rel ? rel : "/");
	return ib_xasprintf("%s%s", m->root, rel);
}

bool ib_mnttab_spot(const struct ib_mnttab *t, const struct ib_mnt *m, unsigned *major,
		    unsigned *minor, char **path)
{
	const struct ib_mnt *p = ib_mnttab_parent(t, m);

	if (!p)
		return false;
	*path = ib_mnt_fs_path(p, m->mountpoint);
	if (!*path)
		return false;
	*major = p->major;
	*minor = p->minor;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t ib_mnt_ids_delta(uint64_t *before, size_t nb, uint64_t *after, size_t na, uint64_t *added,
			size_t *n_added, uint64_t *removed, size_t *n_removed, size_t max)
{
	size_t i = 0, j = 0, total = 0;

	*n_added = *n_removed = 0;
	qsort(before, nb, sizeof(*before), cmp_u64);
	qsort(after, na, sizeof(*after), cmp_u64);
	while (i < nb || j < na) {
		if (j == na || (i < nb && before[i] < after[j])) {
			if (*n_removed < max)
				removed[(*n_removed)++] = before[i];
			i++, total++;
		} else if (i == nb || after[j] < before[i]) {
			if (*n_added < max)
				added[(*n_added)++] = after[j];
			j++, total++;
		} else {
			i++, j++;
		}
	}
	return total;
}
