#include "supervisor/mounttable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len)
{
	char *out = ib_xmalloc0(len + 1), *o = out;

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
	return out;
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

static unsigned long parse_flags(const char *opts)
{
	_cleanup_free_ char *copy = ib_xstrdup(opts);
	unsigned long flags = 0;
	char *save = NULL;

	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
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
	free(m->root);
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
	free(m->super_opts);
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
	m->root = unescape(f[3], strlen(f[3]));
	m->mountpoint = unescape(f[4], strlen(f[4]));
	m->flags = parse_flags(f[5]);
	for (size_t i = 6; i < dash; i++) {
		if (strncmp(f[i], "shared:", 7) == 0)
			m->propagation |= IB_MNT_SHARED;
		else if (strncmp(f[i], "master:", 7) == 0)
			m->propagation |= IB_MNT_SLAVE;
		else if (strcmp(f[i], "unbindable") == 0)
			m->propagation |= IB_MNT_UNBINDABLE;
	}
	m->fstype = unescape(f[dash + 1], strlen(f[dash + 1]));
	m->source = unescape(f[dash + 2], strlen(f[dash + 2]));
	m->super_opts = unescape(f[dash + 3], strlen(f[dash + 3]));
	return 0;
}

int ib_mnttab_parse(const char *text, struct ib_mnttab *t, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(text ? text : "");
	char *save = NULL;

	t->m = NULL;
	t->n = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ib_mnt m;

		if (parse_line(line, &m, err) < 0) {
			mnt_free(&m);
			ib_mnttab_free(t);
			return -1;
		}
		t->m = ib_xrealloc(t->m, (t->n + 1) * sizeof(*t->m));
		t->m[t->n++] = m;
	}
	return 0;
}

void ib_mnttab_free(struct ib_mnttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		mnt_free(&t->m[i]);
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

void ib_mnttab_copy(const struct ib_mnttab *from, struct ib_mnttab *to)
{
	to->n = from->n;
	to->m = from->n ? ib_xmalloc0(from->n * sizeof(*to->m)) : NULL;
	for (size_t i = 0; i < from->n; i++) {
		const struct ib_mnt *a = &from->m[i];
		struct ib_mnt *b = &to->m[i];

		*b = *a;
		b->root = a->root ? ib_xstrdup(a->root) : NULL;
		b->mountpoint = a->mountpoint ? ib_xstrdup(a->mountpoint) : NULL;
		b->fstype = a->fstype ? ib_xstrdup(a->fstype) : NULL;
		b->source = a->source ? ib_xstrdup(a->source) : NULL;
		b->super_opts = a->super_opts ? ib_xstrdup(a->super_opts) : NULL;
	}
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
