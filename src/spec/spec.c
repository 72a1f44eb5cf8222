/* config.json -> typed structs (OCI runtime-spec 1.0 - 1.2, Linux): the entry
 * points, the JSON text, the top-level fields and hooks. Each other area has
 * its own file (spec_process.c, spec_mounts.c, spec_linux.c, spec_resources.c,
 * spec_seccomp.c), all on the typed accessors of spec_field.c. */
#include "spec/spec_int.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

const char *ib_spec_annotation(const struct ib_spec *s, const char *key)
{
	if (!s || !key)
		return NULL;
	for (size_t i = 0; i < s->n_annotations; i++)
		if (strcmp(s->annotation_keys[i], key) == 0)
			return s->annotation_values[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Hooks                                                                    */

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
	if (ib_spec_for_each_obj(c, root, "", "mounts", NULL, ib_spec_mount_elem, s) < 0)
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
