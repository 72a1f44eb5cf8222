/* mounts: one entry each, its options turned into mount flags, recursive
 * attributes, propagation, bind / idmap and filesystem data. */
#include "spec/spec_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

/* Mount options. clear = the option turns the flag off. */
static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_opts[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},
    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"iversion", false, MS_I_VERSION},
    {"noiversion", true, MS_I_VERSION},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
};

/* Recursive mount attributes (mount_setattr(2) with AT_RECURSIVE). */
static const struct {
	const char *name;
	bool clear;
	unsigned attr;
} rec_attr_opts[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static const struct {
	const char *name;
	unsigned long flag;
} prop_opts[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int ib_spec_prop_from_name(const char *name, unsigned long *out)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(prop_opts); i++)
		if (strcmp(prop_opts[i].name, name) == 0) {
			*out = prop_opts[i].flag;
			return 0;
		}
	return -1;
}

static void strbuf_add(char **buf, const char *s)
{
	if (!*buf) {
		*buf = ib_xstrdup(s);
	} else {
		char *n = ib_xasprintf("%s,%s", *buf, s);
		free(*buf);
		*buf = n;
	}
}

static void mount_apply_option(struct ib_mount *m, const char *opt)
{
	unsigned long prop;

	for (size_t i = 0; i < IB_ARRAY_SIZE(mount_opts); i++) {
		if (strcmp(mount_opts[i].name, opt) != 0)
			continue;
		if (mount_opts[i].clear) {
			m->flags &= ~mount_opts[i].flag;
			m->clear |= mount_opts[i].flag;
		} else {
			m->flags |= mount_opts[i].flag;
			m->clear &= ~mount_opts[i].flag;
		}
		return;
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(rec_attr_opts); i++) {
		unsigned a = rec_attr_opts[i].attr;

		if (strcmp(rec_attr_opts[i].name, opt) != 0)
			continue;
		if (rec_attr_opts[i].clear) {
			m->rec_attr_set &= ~a;
			m->rec_attr_clr |= a;
		} else {
			m->rec_attr_set |= a;
			m->rec_attr_clr &= ~a;
			/* mount_setattr(2): an access-time mode is set by clearing
			 * the whole MOUNT_ATTR__ATIME field. */
			if ((a & MOUNT_ATTR__ATIME) == a)
				m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		}
		return;
	}
	if (strcmp(opt, "bind") == 0) {
		m->flags |= MS_BIND;
		m->bind = true;
	} else if (strcmp(opt, "rbind") == 0) {
		m->flags |= MS_BIND | MS_REC;
		m->bind = true;
		m->recursive = true;
	} else if (ib_spec_prop_from_name(opt, &prop) == 0) {
		m->propagation = prop;
		if (prop & MS_REC)
			m->recursive = true;
	} else if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
		m->idmap = true;
	} else if (strcmp(opt, "tmpcopyup") == 0) {
		m->tmpcopyup = true;
	} else if (strcmp(opt, "notmpcopyup") == 0) {
		m->tmpcopyup = false;
	} else {
		strbuf_add(&m->data, opt);
	}
}

int ib_spec_mount_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_spec *s = data;
	struct ib_mount *m = &s->mounts[i];

	s->n_mounts = i + 1;
	m->source_fd = -1;
	m->host_shared = true;
	if (ib_spec_get_str(c, e, where, "destination", &m->destination) < 0)
		return -1;
	if (!m->destination)
		return ib_spec_perr(c, where, NULL, "destination is required");
	if (m->destination[0] != '/')
		return ib_spec_perr(c, where, NULL,
				    "destination must be an absolute path, got \"%s\"",
				    m->destination);
	if (ib_spec_get_str(c, e, where, "source", &m->source) < 0 ||
	    ib_spec_get_str(c, e, where, "type", &m->type) < 0 ||
	    ib_spec_get_strv(c, e, where, "options", &m->options) < 0)
		return -1;
	if (m->type && strcmp(m->type, "bind") == 0) {
		m->bind = true;
		m->flags |= MS_BIND;
	}
	for (size_t j = 0; m->options && m->options[j]; j++)
		mount_apply_option(m, m->options[j]);
	if (ib_spec_parse_idmaps(c, e, where, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) <
		0 ||
	    ib_spec_parse_idmaps(c, e, where, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) <
		0)
		return -1;
	if (m->n_uid_mappings || m->n_gid_mappings)
		m->idmap = true;
	/* Fail closed: every bind is a shared host directory until the policy
	 * knows better. */
	m->source_fd = -1;
	m->host_shared = m->bind;
	return 0;
}
