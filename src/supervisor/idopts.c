#include "supervisor/idopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct fs_keys {
	const char *fstype;
	const char *const *uid, *const *gid;
};

static const char *const k_uid[] = {"uid", NULL};
static const char *const k_gid[] = {"gid", NULL};
static const char *const k_none[] = {NULL};
static const char *const k_cifs_uid[] = {"uid", "cruid", "backupuid", NULL};
static const char *const k_cifs_gid[] = {"gid", "backupgid", NULL};
static const char *const k_9p_uid[] = {"dfltuid", NULL};
static const char *const k_9p_gid[] = {"dfltgid", NULL};
static const char *const k_ext_uid[] = {"resuid", NULL};
static const char *const k_ext_gid[] = {"resgid", NULL};

static const struct fs_keys fs_table[] = {
    {"tmpfs", k_uid, k_gid},
    {"devpts", k_uid, k_gid},
    {"hugetlbfs", k_uid, k_gid},
    {"bpf", k_uid, k_gid},
    {"proc", k_none, k_gid},
    {"vfat", k_uid, k_gid},
    {"msdos", k_uid, k_gid},
    {"exfat", k_uid, k_gid},
    {"ntfs3", k_uid, k_gid},
    {"ntfs", k_uid, k_gid},
    {"iso9660", k_uid, k_gid},
    {"udf", k_uid, k_gid},
    {"hfs", k_uid, k_gid},
    {"hfsplus", k_uid, k_gid},
    {"befs", k_uid, k_gid},
    {"affs", k_uid, k_gid},
    {"omfs", k_uid, k_gid},
    {"cifs", k_cifs_uid, k_cifs_gid},
    {"smb3", k_cifs_uid, k_cifs_gid},
    {"9p", k_9p_uid, k_9p_gid},
    {"ext2", k_ext_uid, k_ext_gid},
    {"ext3", k_ext_uid, k_ext_gid},
    {"ext4", k_ext_uid, k_ext_gid},
};

/* The union, for a context of unknown type. */
static const char *const any_uid[] = {"uid", "cruid", "backupuid", "dfltuid", "resuid", NULL};
static const char *const any_gid[] = {"gid", "backupgid", "dfltgid", "resgid", NULL};

static bool in_list(const char *const *l, const char *key)
{
	for (; *l; l++)
		if (strcmp(*l, key) == 0)
			return true;
	return false;
}

static bool is_fuse(const char *fstype)
{
	return strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
	       strncmp(fstype, "fuse.", 5) == 0 || strncmp(fstype, "fuseblk.", 8) == 0;
}

enum ib_idopts_kind ib_idopts_key_kind(const char *fstype, const char *key)
{
	if (!key)
		return IB_IDOPT_NONE;
	if (!fstype || !*fstype)
		return in_list(any_uid, key)   ? IB_IDOPT_UID
		       : in_list(any_gid, key) ? IB_IDOPT_GID
					       : IB_IDOPT_NONE;
	if (is_fuse(fstype))
		return IB_IDOPT_NONE;
	for (size_t i = 0; i < IB_ARRAY_SIZE(fs_table); i++) {
		if (strcmp(fs_table[i].fstype, fstype) != 0)
			continue;
		if (in_list(fs_table[i].uid, key))
			return IB_IDOPT_UID;
		if (in_list(fs_table[i].gid, key))
			return IB_IDOPT_GID;
		return IB_IDOPT_NONE;
	}
	return IB_IDOPT_NONE;
}

/* id in [base, base + size) of one side of the map: its offset. */
static bool lookup(const struct ib_idmap *v, size_t n, bool inside, uint32_t id, uint64_t *to)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t from = inside ? v[i].container_id : v[i].host_id;
		uint64_t dest = inside ? v[i].host_id : v[i].container_id;

		if (id >= from && (uint64_t)id < from + v[i].size) {
			*to = dest + (id - from);
			return true;
		}
	}
	return false;
}

bool ib_idopts_map_id(const struct ib_idopts_maps *m, enum ib_idopts_kind kind,
		      enum ib_idopts_dir dir, uint32_t in, uint32_t *out)
{
	const struct ib_idmap *v = kind == IB_IDOPT_GID ? m->gid : m->uid;
	size_t n = kind == IB_IDOPT_GID ? m->n_gid : m->n_uid;
	bool to_host = dir == IB_IDOPTS_TO_HOST;
	uint64_t mapped;

	*out = in;
	if (kind == IB_IDOPT_NONE)
		return false;
	/* Already an ID of the destination side: keep it. Otherwise it must be
	 * one of the source side. */
	if (to_host) {
		if (lookup(v, n, true, in, &mapped)) {
			*out = (uint32_t)mapped;
			return true;
		}
		return lookup(v, n, false, in, &mapped); /* a host ID of the range */
	}
	if (lookup(v, n, true, in, &mapped))
		return true; /* a container ID: kept */
	if (lookup(v, n, false, in, &mapped)) {
		*out = (uint32_t)mapped;
		return true;
	}
	return false;
}

static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

char *ib_idopts_translate_value(const char *fstype, const char *key, const char *value,
				const struct ib_idopts_maps *m, enum ib_idopts_dir dir)
{
	enum ib_idopts_kind kind = ib_idopts_key_kind(fstype, key);
	uint32_t in, out;

	if (kind == IB_IDOPT_NONE || !value || !parse_id(value, &in))
		return NULL;
	if (!ib_idopts_map_id(m, kind, dir, in, &out) || out == in)
		return NULL;
	return ib_xasprintf("%u", out);
}

char *ib_idopts_translate(const char *fstype, const char *data, const struct ib_idopts_maps *m,
			  enum ib_idopts_dir dir)
{
	_cleanup_free_ char *out = NULL;
	size_t len, cap;
	bool changed = false;
	const char *p = data;

	if (!data || !*data)
		return NULL;
	cap = strlen(data) * 2 + 32;
	out = ib_xmalloc0(cap);
	len = 0;
	while (*p) {
		const char *end = strchr(p, ','), *eq;
		size_t wlen = end ? (size_t)(end - p) : strlen(p);
		_cleanup_free_ char *word = ib_xmalloc0(wlen + 1), *key = NULL, *nv = NULL;
		const char *emit;

		memcpy(word, p, wlen);
		eq = strchr(word, '=');
		if (eq) {
			key = ib_xmalloc0((size_t)(eq - word) + 1);
			memcpy(key, word, (size_t)(eq - word));
			nv = ib_idopts_translate_value(fstype, key, eq + 1, m, dir);
		}
		if (nv) {
			free(word);
			word = ib_xasprintf("%s=%s", key, nv);
			changed = true;
		}
		emit = word;
		if (len + strlen(emit) + 2 > cap) {
			cap = (len + strlen(emit) + 2) * 2;
			out = ib_xrealloc(out, cap);
		}
		memcpy(out + len, emit, strlen(emit));
		len += strlen(emit);
		if (end) {
			out[len++] = ',';
			p = end + 1;
		} else {
			p += wlen;
		}
		out[len] = '\0';
	}
	return changed ? IB_STEAL(out) : NULL;
}

int ib_idopts_parse_map(const char *text, struct ib_idmap **out, size_t *n, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(text ? text : "");
	char *save = NULL;

	*out = NULL;
	*n = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b, c;
		char extra;

		if (sscanf(line, " %llu %llu %llu %c", &a, &b, &c, &extra) != 3 || a > UINT32_MAX ||
		    b > UINT32_MAX || c == 0 || c > (1ULL << 32)) {
			free(*out);
			*out = NULL;
			*n = 0;
			return ib_err_set(err, EINVAL, "bad ID map line `%s`", line);
		}
		*out = ib_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].container_id = (uint32_t)a;
		(*out)[*n].host_id = (uint32_t)b;
		(*out)[*n].size = (uint32_t)(c > UINT32_MAX ? UINT32_MAX : c);
		(*n)++;
	}
	return 0;
}
