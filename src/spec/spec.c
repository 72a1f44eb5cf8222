/* config.json -> typed structs (OCI runtime-spec 1.0 - 1.2, Linux). */
#include "spec/spec_int.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

/* ------------------------------------------------------------------------ */
/* Lookup tables                                                            */

const char *ib_spec_annotation(const struct ib_spec *s, const char *key)
{
	if (!s || !key)
		return NULL;
	for (size_t i = 0; i < s->n_annotations; i++)
		if (strcmp(s->annotation_keys[i], key) == 0)
			return s->annotation_values[i];
	return NULL;
}

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

/* ------------------------------------------------------------------------ */
/* Mounts, hooks, idmaps                                                    */

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

static int mount_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
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

static int hook_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_hook *h = &((struct ib_hook *)data)[i];
	int64_t timeout = 0;
	bool has_timeout = false;

	if (ib_spec_get_str(c, e, where, "path", &h->path) < 0)
		return -1;
	if (!h->path)
		return ib_spec_perr(c, where, NULL, "path is required");
	if (h->path[0] != '/')
		return ib_spec_perr(c, where, NULL, "path must be absolute, got \"%s\"", h->path);
	if (ib_spec_get_strv(c, e, where, "args", &h->args) < 0 ||
	    ib_spec_get_strv(c, e, where, "env", &h->env) < 0 ||
	    ib_spec_get_i64(c, e, where, "timeout", &timeout, &has_timeout) < 0)
		return -1;
	if (has_timeout && timeout <= 0)
		return ib_spec_perr(c, where, "timeout", "must be greater than 0, got %lld",
				    (long long)timeout);
	if (timeout > INT_MAX)
		return ib_spec_perr(c, where, "timeout", "value out of range");
	h->timeout = (int)timeout;
	return 0;
}

static int parse_hook_list(struct pctx *c, json_object *o, const char *key, struct ib_hook **out,
			   size_t *n)
{
	size_t len = ib_spec_array_len(o, key);

	*out = ib_xmalloc0((len + 1) * sizeof(struct ib_hook));
	/* n is set up front so everything allocated so far is freed on error. */
	*n = len;
	return ib_spec_for_each_obj(c, o, "hooks", key, NULL, hook_elem, *out);
}

static int parse_hooks(struct pctx *c, json_object *root, struct ib_hooks *h)
{
	json_object *o;
	int r = ib_spec_field(c, root, "", "hooks", json_type_object, &o);

	if (r <= 0)
		return r;
	if (parse_hook_list(c, o, "prestart", &h->prestart, &h->n_prestart) < 0 ||
	    parse_hook_list(c, o, "createRuntime", &h->create_runtime, &h->n_create_runtime) < 0 ||
	    parse_hook_list(c, o, "createContainer", &h->create_container, &h->n_create_container) <
		0 ||
	    parse_hook_list(c, o, "startContainer", &h->start_container, &h->n_start_container) <
		0 ||
	    parse_hook_list(c, o, "poststart", &h->poststart, &h->n_poststart) < 0 ||
	    parse_hook_list(c, o, "poststop", &h->poststop, &h->n_poststop) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Top level                                                                */

/* Lexically clean an absolute path (like Go's filepath.Clean). */
static char *path_clean(const char *in)
{
	size_t len = strlen(in);
	char *out = ib_xmalloc0(len + 2);
	size_t o = 0;
	const char *p = in;

	out[o++] = '/';
	while (*p) {
		const char *seg;
		size_t n;
		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

static char *resolve_root(const char *root, const char *bundle)
{
	_cleanup_free_ char *joined = NULL, *cwd = NULL;

	if (root[0] == '/')
		return path_clean(root);
	if (!bundle || !*bundle)
		bundle = ".";
	if (bundle[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			cwd = ib_xstrdup("/");
		joined = ib_xasprintf("%s/%s/%s", cwd, bundle, root);
	} else {
		joined = ib_xasprintf("%s/%s", bundle, root);
	}
	return path_clean(joined);
}

static json_object *parse_json_text(struct pctx *c, const char *text)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;
	size_t len;

	if (!text)
		return ib_err_set(c->err, EINVAL, "%s: no data", c->file), NULL;
	len = strlen(text);
	if (len >= INT_MAX)
		return ib_err_set(c->err, EFBIG, "%s: document too large", c->file), NULL;
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH * 2);
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* Include the NUL so json-c knows the input is complete ("null", "1"). */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);
		for (; off < len; off++) {
			if (!isspace((unsigned char)text[off])) {
				json_object_put(o);
				json_tokener_free(tok);
				ib_err_set(c->err, EINVAL,
					   "%s: invalid JSON: unexpected data after the top-level "
					   "value at offset %zu",
					   c->file, off);
				return NULL;
			}
		}
	} else {
		size_t off = json_tokener_get_parse_end(tok);
		if (jerr == json_tokener_continue)
			ib_err_set(c->err, EINVAL, "%s: invalid JSON: unexpected end of input",
				   c->file);
		else
			ib_err_set(c->err, EINVAL, "%s: invalid JSON: %s at offset %zu", c->file,
				   json_tokener_error_desc(jerr), off);
		if (o)
			json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object)) {
		ib_err_set(c->err, EINVAL, "%s: expected a JSON object at the top level, got %s",
			   c->file, ib_spec_jtype(o));
		json_object_put(o);
		return NULL;
	}
	if (!o && jerr == json_tokener_success)
		ib_err_set(c->err, EINVAL, "%s: expected a JSON object at the top level, got null",
			   c->file);
	return o;
}

static int parse_spec_obj(struct pctx *c, json_object *root, const char *bundle, struct ib_spec *s)
{
	json_object *v;
	_cleanup_free_ char *rootpath = NULL;
	int r;

	if (ib_spec_get_str(c, root, "", "ociVersion", &s->oci_version) < 0)
		return -1;
	if (!s->oci_version)
		return ib_spec_perr(c, "ociVersion", NULL, "required");
	if (strncmp(s->oci_version, "1.", 2) != 0)
		return ib_spec_perr(c, "ociVersion", NULL, "unsupported version \"%s\" (need 1.x)",
				    s->oci_version);

	r = ib_spec_field(c, root, "", "root", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r == 0)
		return ib_spec_perr(c, "root", NULL, "required");
	if (ib_spec_get_str(c, v, "root", "path", &rootpath) < 0 ||
	    ib_spec_get_bool(c, v, "root", "readonly", &s->root_readonly, NULL) < 0)
		return -1;
	if (!rootpath || !*rootpath)
		return ib_spec_perr(c, "root", "path", "required");
	s->root_path = resolve_root(rootpath, bundle);

	if (ib_spec_get_str(c, root, "", "hostname", &s->hostname) < 0 ||
	    ib_spec_get_str(c, root, "", "domainname", &s->domainname) < 0)
		return -1;

	r = ib_spec_field(c, root, "", "process", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		s->process = ib_xmalloc0(sizeof(*s->process));
		if (ib_spec_parse_process_obj(c, v, "process", s->process) < 0)
			return -1;
	}

	s->mounts = ib_xmalloc0((ib_spec_array_len(root, "mounts") + 1) * sizeof(struct ib_mount));
	if (ib_spec_for_each_obj(c, root, "", "mounts", NULL, mount_elem, s) < 0)
		return -1;

	if (parse_hooks(c, root, &s->hooks) < 0)
		return -1;
	if (ib_spec_get_strmap(c, root, "", "annotations", &s->annotation_keys,
			       &s->annotation_values, &s->n_annotations) < 0)
		return -1;
	return ib_spec_parse_linux(c, root, s);
}

struct ib_spec *ib_spec_parse(const char *json_text, const char *bundle, ib_err *err)
{
	struct pctx c = {"config.json", err};
	struct ib_spec *s;
	json_object *root = parse_json_text(&c, json_text);

	if (!root)
		return NULL;
	s = ib_xmalloc0(sizeof(*s));
	s->json = root;
	s->root_fd = -1;
	if (parse_spec_obj(&c, root, bundle, s) < 0) {
		ib_spec_free(s);
		return NULL;
	}
	return s;
}

struct ib_spec *ib_spec_load(const char *bundle, ib_err *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *abs = NULL;
	const char *b = bundle && *bundle ? bundle : ".";

	path = ib_xasprintf("%s/config.json", b);
	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, err) < 0) {
		int code = err ? err->code : errno;
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", strerror(code));
		buf[0] = (char)tolower((unsigned char)buf[0]);
		ib_err_set(err, code, "open %s: %s", path, buf);
		return NULL;
	}
	abs = realpath(b, NULL);
	return ib_spec_parse(text, abs ? abs : b, err);
}

struct ib_process *ib_process_parse(const char *json_text, ib_err *err)
{
	struct pctx c = {"process.json", err};
	json_object *root = parse_json_text(&c, json_text);
	struct ib_process *p;

	if (!root)
		return NULL;
	p = ib_xmalloc0(sizeof(*p));
	if (ib_spec_parse_process_obj(&c, root, "", p) < 0) {
		ib_process_free(p);
		p = NULL;
	}
	json_object_put(root);
	return p;
}
