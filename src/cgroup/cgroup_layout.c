/* cgroup layout and paths: which hierarchies are mounted (from
 * /proc/self/mountinfo, never a hardcoded list), which mode the host is in,
 * and where a container's cgroup lives (cgroupsPath, systemd slices). */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cgroup/cgroup_int.h"

/* ------------------------------------------------------------------------ */
/* mountinfo parsing                                                         */

static void hierarchy_clear(struct ib_cgroup_hierarchy *h)
{
	free(h->mount);
	free(h->root);
	ib_strv_free(h->controllers);
	memset(h, 0, sizeof(*h));
}

void ib_cgroup_layout_clear(struct ib_cgroup_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hierarchy_clear(&l->h[i]);
	free(l->h);
	l->h = NULL;
	l->n = 0;
	l->v2 = -1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_mountinfo(const char *s, size_t len)
{
	char *r = ib_xmalloc0(len + 1), *o = r;

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
	*o = '\0';
	return r;
}

/* Super options of a v1 cgroup mount that are not controllers. */
static bool v1_option_is_controller(const char *o)
{
	static const char *const not_controllers[] = {"rw",
						      "ro",
						      "xattr",
						      "noprefix",
						      "clone_children",
						      "cpuset_v2_mode",
						      "favordynmods",
						      "none",
						      "nsdelegate",
						      "memory_recursiveprot"};

	if (!*o || strncmp(o, "release_agent=", 14) == 0)
		return false;
	for (size_t i = 0; i < IB_ARRAY_SIZE(not_controllers); i++)
		if (strcmp(o, not_controllers[i]) == 0)
			return false;
	return true;
}

static bool opts_has(const char *opts, const char *want)
{
	size_t wl = strlen(want);

	for (const char *p = opts; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == wl && strncmp(p, want, l) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

struct mi_entry {
	uint64_t id;
	unsigned major, minor;
	char *root, *mount, *fstype, *mount_opts, *super_opts;
};

static void mi_entry_clear(struct mi_entry *e)
{
	free(e->root);
	free(e->mount);
	free(e->fstype);
	free(e->mount_opts);
	free(e->super_opts);
}

/* Split one mountinfo line. Returns false if malformed. */
static bool parse_mi_line(const char *line, size_t len, struct mi_entry *e)
{
	const char *f[64];
	size_t fl[64], n = 0, sep = 0;
	const char *p = line, *end = line + len;

	memset(e, 0, sizeof(*e));
	while (p < end && n < IB_ARRAY_SIZE(f)) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		f[n] = p;
		while (p < end && *p != ' ')
			p++;
		fl[n] = (size_t)(p - f[n]);
		if (!sep && fl[n] == 1 && f[n][0] == '-' && n >= 6)
			sep = n;
		n++;
	}
	if (!sep || n < sep + 4)
		return false;
	if (sscanf(f[0], "%" SCNu64, &e->id) != 1 ||
	    sscanf(f[2], "%u:%u", &e->major, &e->minor) != 2)
		return false;
	e->root = unescape_mountinfo(f[3], fl[3]);
	e->mount = unescape_mountinfo(f[4], fl[4]);
	e->mount_opts = unescape_mountinfo(f[5], fl[5]);
	e->fstype = unescape_mountinfo(f[sep + 1], fl[sep + 1]);
	e->super_opts = unescape_mountinfo(f[sep + 3], fl[sep + 3]);
	return true;
}

int ib_cgroup_parse_mountinfo(const char *text, struct ib_cgroup_layout *out, ib_err *err)
{
	return ib_cgroup_parse_mountinfo_usable(text, NULL, NULL, out, err);
}

int ib_cgroup_parse_mountinfo_usable(const char *text, ib_cgroup_usable_fn usable, void *data,
				     struct ib_cgroup_layout *out, ib_err *err)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	unsigned *devs = NULL; /* major<<20|minor of each entry in l.h, for merging */

	if (!text)
		return ib_err_set(err, EINVAL, "no mountinfo text");
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct mi_entry e;
		bool v2;
		unsigned dev;
		size_t idx;

		if (!parse_mi_line(p, len, &e))
			goto next;
		v2 = strcmp(e.fstype, "cgroup2") == 0;
		if (!v2 && strcmp(e.fstype, "cgroup") != 0)
			goto next_free;
		/* A mount hidden by another one (e.g. an empty tmpfs over
		 * /sys/fs/cgroup/unified) is not a hierarchy we can use. */
		if (usable && !usable(e.mount, e.id, v2, data))
			goto next_free;
		dev = (e.major << 20) | e.minor;
		for (idx = 0; idx < l.n; idx++)
			if (devs[idx] == dev)
				break;
		if (idx < l.n) {
			/* Same hierarchy mounted again: prefer a mount of its root,
			 * then the canonical /sys/fs/cgroup location. */
			struct ib_cgroup_hierarchy *h = &l.h[idx];
			bool better = (strcmp(e.root, "/") == 0 && strcmp(h->root, "/") != 0) ||
				      (strcmp(e.root, h->root) == 0 &&
				       strncmp(e.mount, "/sys/fs/cgroup", 14) == 0 &&
				       strncmp(h->mount, "/sys/fs/cgroup", 14) != 0);
			if (!better)
				goto next_free;
			free(h->mount);
			free(h->root);
			h->mount = IB_STEAL(e.mount);
			h->root = IB_STEAL(e.root);
			h->readonly = opts_has(e.mount_opts, "ro");
			goto next_free;
		}
		l.h = ib_xrealloc(l.h, (l.n + 1) * sizeof(*l.h));
		devs = ib_xrealloc(devs, (l.n + 1) * sizeof(*devs));
		memset(&l.h[l.n], 0, sizeof(l.h[l.n]));
		devs[l.n] = dev;
		l.h[l.n].mount = IB_STEAL(e.mount);
		l.h[l.n].root = IB_STEAL(e.root);
		l.h[l.n].v2 = v2;
		l.h[l.n].readonly = opts_has(e.mount_opts, "ro");
		l.h[l.n].major = e.major;
		l.h[l.n].minor = e.minor;
		if (!v2) {
			l.h[l.n].controllers = ib_xmalloc0(sizeof(char *));
			for (char *o = e.super_opts, *c; o; o = c ? c + 1 : NULL) {
				c = strchr(o, ',');
				if (c)
					*c = '\0';
				/* A superblock option: every mount of the
				 * hierarchy shows it (a comma in the path is
				 * escaped as \054). */
				if (strncmp(o, "release_agent=", 14) == 0 && o[14])
					l.h[l.n].release_agent = true;
				if (v1_option_is_controller(o))
					ib_strv_push(&l.h[l.n].controllers, o);
			}
		} else if (l.v2 < 0 || strcmp(l.h[l.n].mount, "/sys/fs/cgroup") == 0) {
			l.v2 = (int)l.n;
		}
		l.n++;
	next_free:
		mi_entry_clear(&e);
	next:
		p = nl ? nl + 1 : p + len;
	}
	free(devs);
	ib_cgroup_layout_clear(out);
	*out = l;
	return 0;
}

/* Is the mount point really that cgroup mount, as seen from here, not
 * whatever was mounted over it? The path's mount ID is the entry's own (one
 * statx: what a lookup of the path reaches is exactly that mount). */
static bool mount_visible(const char *mount, uint64_t mnt_id, bool v2, void *data)
{
	struct statx stx;
	const char *rel;
	int at = ib_cgroup_at(mount, &rel);

	(void)v2;
	(void)data;
	if (statx(at, rel, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return false;
	return stx.stx_mnt_id == mnt_id;
}

static void layout_copy(struct ib_cgroup_layout *dst, const struct ib_cgroup_layout *src)
{
	dst->n = src->n;
	dst->v2 = src->v2;
	dst->h = ib_xmalloc0((src->n + 1) * sizeof(*dst->h));
	for (size_t i = 0; i < src->n; i++) {
		const struct ib_cgroup_hierarchy *a = &src->h[i];
		struct ib_cgroup_hierarchy *b = &dst->h[i];

		b->mount = a->mount ? ib_xstrdup(a->mount) : NULL;
		b->root = a->root ? ib_xstrdup(a->root) : NULL;
		b->v2 = a->v2;
		b->readonly = a->readonly;
		b->release_agent = a->release_agent;
		b->major = a->major;
		b->minor = a->minor;
		if (a->controllers) {
			b->controllers = ib_xmalloc0(sizeof(char *));
			for (size_t j = 0; a->controllers[j]; j++)
				ib_strv_push(&b->controllers, a->controllers[j]);
		}
	}
}

/* One command reads the layout several times (plan, create, state, delete):
 * the first read is kept for this process and its mount namespace (a child
 * or a setns/unshare into another one reads again). */
static struct {
	bool valid;
	pid_t pid;
	dev_t ns_dev;
	ino_t ns_ino;
	struct ib_cgroup_layout l;
} cache;

int ib_cgroup_read_layout(struct ib_cgroup_layout *out, ib_err *err)
{
	_cleanup_free_ char *text = NULL;
	struct stat ns;
	bool have_ns = stat("/proc/self/ns/mnt", &ns) == 0;

	out->h = NULL;
	out->n = 0;
	out->v2 = -1;
	if (have_ns && cache.valid && cache.pid == getpid() && cache.ns_dev == ns.st_dev &&
	    cache.ns_ino == ns.st_ino) {
		layout_copy(out, &cache.l);
		return 0;
	}
	if (ib_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL, err) < 0)
		return -1;
	if (ib_cgroup_parse_mountinfo_usable(text, mount_visible, NULL, out, err) < 0)
		return -1;
	if (have_ns) {
		if (cache.valid)
			ib_cgroup_layout_clear(&cache.l);
		layout_copy(&cache.l, out);
		cache.valid = true;
		cache.pid = getpid();
		cache.ns_dev = ns.st_dev;
		cache.ns_ino = ns.st_ino;
	}
	return 0;
}

static bool hierarchy_has_real_controller(const struct ib_cgroup_hierarchy *h)
{
	for (size_t i = 0; h->controllers && h->controllers[i]; i++)
		if (strncmp(h->controllers[i], "name=", 5) != 0)
			return true;
	return false;
}

enum ib_cgroup_mode ib_cgroup_layout_mode(const struct ib_cgroup_layout *l)
{
	bool v1 = false;

	for (size_t i = 0; i < l->n; i++)
		if (!l->h[i].v2 && hierarchy_has_real_controller(&l->h[i]))
			v1 = true;
	if (!v1)
		return l->v2 >= 0 ? IB_CGROUP_V2 : IB_CGROUP_V1;
	return l->v2 >= 0 ? IB_CGROUP_HYBRID : IB_CGROUP_V1;
}

int ib_cgroup_layout_find(const struct ib_cgroup_layout *l, const char *controller)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; !l->h[i].v2 && l->h[i].controllers && l->h[i].controllers[j];
		     j++)
			if (strcmp(l->h[i].controllers[j], controller) == 0)
				return (int)i;
	return -1;
}

enum ib_cgroup_mode ib_cgroup_detect_mode(void)
{
	struct ib_cgroup_layout l = {.h = NULL, .n = 0, .v2 = -1};
	enum ib_cgroup_mode m;
	ib_err err;

	if (ib_cgroup_read_layout(&l, &err) < 0)
		return IB_CGROUP_V2;
	m = ib_cgroup_layout_mode(&l);
	ib_cgroup_layout_clear(&l);
	return m;
}

/* ------------------------------------------------------------------------ */
/* Path resolution                                                           */

/* Normalize p as if rooted at "/": collapse "//" and ".", resolve "..";
 * refuse ".." that would climb above the root. Returns "/..." */
char *ib_cg_clean_path(const char *p, ib_err *err)
{
	size_t len = strlen(p);
	char *out = ib_xmalloc0(len + 2);
	size_t o = 0;

	out[o++] = '/';
	for (const char *s = p; *s;) {
		const char *e;
		size_t cl;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		cl = (size_t)(e - s);
		if (cl == 1 && s[0] == '.') {
			/* nothing */
		} else if (cl == 2 && s[0] == '.' && s[1] == '.') {
			if (o == 1) {
				free(out);
				ib_err_set(err, EINVAL, "cgroup path `%s` escapes its root", p);
				return NULL;
			}
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--; /* drop the '/' too */
		} else {
			if (o > 1)
				out[o++] = '/';
			memcpy(out + o, s, cl);
			o += cl;
		}
		s = e;
	}
	out[o] = '\0';
	return out;
}

static bool valid_unit_part(const char *s)
{
	return !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

char *ib_cgroup_expand_slice(const char *slice, ib_err *err)
{
	static const char suffix[] = ".slice";
	size_t len = slice ? strlen(slice) : 0, sl = sizeof(suffix) - 1, nl;
	_cleanup_free_ char *name = NULL;
	char *out, *o;

	if (len <= sl || strcmp(slice + len - sl, suffix) != 0 || strchr(slice, '/')) {
		ib_err_set(err, EINVAL, "invalid systemd slice name `%s`", slice ? slice : "");
		return NULL;
	}
	nl = len - sl;
	name = strndup(slice, nl);
	if (!name)
		abort();
	if (strcmp(name, "-") == 0) /* the root slice; callers map it before */
		return ib_xstrdup("/");
	if (name[0] == '-' || name[nl - 1] == '-' || strstr(name, "--")) {
		ib_err_set(err, EINVAL, "invalid systemd slice name `%s`", slice);
		return NULL;
	}
	/* Worst case: each of k components repeats the prefix: bounded by
	 * (nl + sl + 1) * (number of dashes + 1). */
	{
		size_t parts = 1;
		for (size_t i = 0; i < nl; i++)
			parts += name[i] == '-';
		out = ib_xmalloc0((nl + sl + 2) * parts + 1);
	}
	o = out;
	for (size_t i = 0; i <= nl; i++) {
		if (i == nl || name[i] == '-') {
			*o++ = '/';
			memcpy(o, name, i);
			o += i;
			memcpy(o, suffix, sl);
			o += sl;
		}
	}
	*o = '\0';
	return out;
}

static char *resolve_systemd(const char *cgroups_path, const char *id, ib_err *err)
{
	_cleanup_free_ char *copy = NULL, *slice_path = NULL;
	char *slice, *prefix, *name, *c1, *c2;

	if (!cgroups_path || !*cgroups_path) {
		copy = ib_xasprintf("system.slice:ironbox:%s", id);
	} else {
		copy = ib_xstrdup(cgroups_path);
	}
	c1 = strchr(copy, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':')) {
		ib_err_set(err, EINVAL,
			   "systemd cgroup path `%s` must have the form slice:prefix:name",
			   cgroups_path);
		return NULL;
	}
	*c1 = *c2 = '\0';
	slice = copy;
	prefix = c1 + 1;
	name = c2 + 1;
	if (!*name || !valid_unit_part(name) || !valid_unit_part(prefix) ||
	    !valid_unit_part(slice)) {
		ib_err_set(err, EINVAL, "invalid systemd cgroup path `%s`", cgroups_path);
		return NULL;
	}
	{
		size_t nl = strlen(name);
		if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
			return ib_cgroup_expand_slice(name, err);
	}
	if (!*slice || strcmp(slice, "-.slice") == 0)
		slice = "system.slice";
	slice_path = ib_cgroup_expand_slice(slice, err);
	if (!slice_path)
		return NULL;
	if (*prefix)
		return ib_xasprintf("%s/%s-%s.scope", slice_path, prefix, name);
	return ib_xasprintf("%s/%s.scope", slice_path, name);
}

/* Does p have a ".." component? */
static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

char *ib_cgroup_resolve_path_in(const char *cgroups_path, bool systemd, const char *id,
				const char *own_cgroup, ib_err *err)
{
	_cleanup_free_ char *rel = NULL, *own = NULL;
	char *r;

	if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
		ib_err_set(err, EINVAL, "invalid container id `%s` for a cgroup path",
			   id ? id : "");
		return NULL;
	}
	if (systemd)
		return resolve_systemd(cgroups_path, id, err);
	if (!cgroups_path)
		return ib_xasprintf("/%s", id);
	if (!*cgroups_path)
		return ib_xasprintf("/ironbox/%s", id);
	/* A cgroup path names a place below the hierarchy root (or below the
	 * runtime's own cgroup): never one reached by climbing. */
	if (has_dotdot(cgroups_path)) {
		ib_err_set(err, EINVAL, "cgroup path `%s` must not contain \"..\"", cgroups_path);
		return NULL;
	}
	if (cgroups_path[0] == '/') {
		r = ib_cg_clean_path(cgroups_path, err);
	} else {
		if (!own_cgroup || own_cgroup[0] != '/') {
			ib_err_set(err, EINVAL,
				   "relative cgroup path `%s` needs the runtime's cgroup",
				   cgroups_path);
			return NULL;
		}
		rel = ib_cg_clean_path(cgroups_path, err);
		if (!rel)
			return NULL;
		own = ib_cg_clean_path(own_cgroup, err);
		if (!own)
			return NULL;
		if (strcmp(rel, "/") == 0)
			r = IB_STEAL(own);
		else if (strcmp(own, "/") == 0)
			r = IB_STEAL(rel);
		else
			r = ib_xasprintf("%s%s", own, rel);
	}
	if (r && strcmp(r, "/") == 0) {
		free(r);
		ib_err_set(err, EINVAL, "cgroup path `%s` is the root cgroup", cgroups_path);
		return NULL;
	}
	return r;
}

char *ib_cgroup_own_path(const char *text, enum ib_cgroup_mode mode, ib_err *err)
{
	_cleanup_free_ char *first = NULL;

	for (const char *p = text ? text : ""; *p;) {
		const char *nl = strchrnul(p, '\n');
		const char *c1 = memchr(p, ':', (size_t)(nl - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;

		if (c1 && c2) {
			size_t ctl_len = (size_t)(c2 - c1 - 1);
			char *path = strndup(c2 + 1, (size_t)(nl - c2 - 1));
			if (!path)
				abort();
			if (mode == IB_CGROUP_V2) {
				if (ctl_len == 0 && c1 - p == 1 && p[0] == '0')
					return path;
			} else if (ctl_len == 12 && strncmp(c1 + 1, "name=systemd", 12) == 0) {
				return path;
			} else if (ctl_len > 0 && !first) {
				/* skip other named hierarchies for "first controller" */
				if (strncmp(c1 + 1, "name=", 5) != 0)
					first = IB_STEAL(path);
			}
			free(path);
		}
		p = *nl ? nl + 1 : nl;
	}
	if (first)
		return IB_STEAL(first);
	ib_err_set(err, ENOENT, "can't find the runtime's own cgroup in /proc/self/cgroup");
	return NULL;
}

char *ib_cgroup_resolve_path(const char *cgroups_path, bool systemd, const char *id, ib_err *err)
{
	_cleanup_free_ char *text = NULL, *own = NULL;

	if (systemd || !cgroups_path || !*cgroups_path || cgroups_path[0] == '/')
		return ib_cgroup_resolve_path_in(cgroups_path, systemd, id, NULL, err);
	if (ib_read_file_at(AT_FDCWD, "/proc/self/cgroup", &text, NULL, err) < 0)
		return NULL;
	own = ib_cgroup_own_path(text, ib_cgroup_detect_mode(), err);
	if (!own)
		return NULL;
	return ib_cgroup_resolve_path_in(cgroups_path, systemd, id, own, err);
}
