/* ironbox install / uninstall: plan, record, apply (see install.h). */
#include "admin/install.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/json_edit.h"
#include "admin/toml_edit.h"
#include "common/util.h"
#include "policy/policy.h"

/* ---------------------------------------------------------------- files */

/* Read path: *exists false when it does not exist. Symlinks are refused
 * (ironbox would replace the link, not the file), except for SYMLINK
 * items, whose "content" is the link target. */
static int read_path(const char *path, enum ib_item_kind kind, bool *exists, char **buf,
		     size_t *len, ib_err *err)
{
	struct stat st;

	*exists = false;
	*buf = NULL;
	*len = 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return ib_err_sys(err, "stat %s", path);
	}
	if (kind == IB_ITEM_SYMLINK) {
		char target[4096];
		ssize_t n;
		if (!S_ISLNK(st.st_mode))
			return ib_err_set(err, EEXIST, "%s exists and is not a symbolic link",
					  path);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return ib_err_sys(err, "readlink %s", path);
		*buf = ib_xmalloc0((size_t)n + 1);
		memcpy(*buf, target, (size_t)n);
		*len = (size_t)n;
		*exists = true;
		return 0;
	}
	if (S_ISLNK(st.st_mode))
		return ib_err_set(
		    err, ELOOP, "%s is a symbolic link; name the file it points to instead", path);
	if (!S_ISREG(st.st_mode))
		return ib_err_set(err, EINVAL, "%s is not a regular file", path);
	if (ib_read_file_at(AT_FDCWD, path, buf, len, err) < 0)
		return -1;
	*exists = true;
	return 0;
}

static bool same(bool ea, const char *a, size_t la, bool eb, const char *b, size_t lb)
{
	if (ea != eb)
		return false;
	if (!ea)
		return true;
	return la == lb && memcmp(a, b, la) == 0;
}

bool ib_item_changes(const struct ib_item *it)
{
	return !same(it->exists, it->cur, it->cur_len, it->want_exists, it->want, it->want_len);
}

static char *text_of(const char *s)
{
	return s ? ib_xstrdup(s) : NULL;
}

/* --------------------------------------------------------------- record */

static struct json_object *load_record(const char *path, ib_err *err, bool *missing)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	bool exists;
	struct json_object *doc, *v;

	*missing = false;
	if (read_path(path, IB_ITEM_FILE, &exists, &text, &len, err) < 0)
		return NULL;
	if (!exists) {
		*missing = true;
		return NULL;
	}
	doc = ib_json_parse_config(path, text, err);
	if (!doc)
		return NULL;
	if (!json_object_object_get_ex(doc, "files", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		json_object_put(doc);
		ib_err_set(err, EINVAL, "%s: not an ironbox install record", path);
		return NULL;
	}
	return doc;
}

static struct json_object *record_entry(struct json_object *rec, const char *path)
{
	struct json_object *files, *p;

	if (!rec || !json_object_object_get_ex(rec, "files", &files))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *e = json_object_array_get_idx(files, i);
		if (json_object_object_get_ex(e, "path", &p) &&
		    !strcmp(json_object_get_string(p), path))
			return e;
	}
	return NULL;
}

static const char *rstr(struct json_object *e, const char *key)
{
	struct json_object *v;
	if (e && json_object_object_get_ex(e, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static bool rbool(struct json_object *e, const char *key)
{
	struct json_object *v;
	return e && json_object_object_get_ex(e, key, &v) && json_object_get_boolean(v);
}

static int64_t rec_int(struct json_object *e, const char *key)
{
	struct json_object *v;
	return e && json_object_object_get_ex(e, key, &v) ? json_object_get_int64(v) : -1;
}

/* ----------------------------------------------------------------- plan */

void ib_plan_free(struct ib_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct ib_item *it = &p->items[i];
		free(it->path);
		free(it->label);
		free(it->cur);
		free(it->want);
		free(it->orig);
		free(it->backup);
		free(it->summary);
		json_object_put(it->edits);
		json_object_put(it->prev);
	}
	free(p->items);
	free(p->root);
	free(p->prefix);
	free(p->record_path);
	free(p->policy_path);
	free(p->docker_config);
	free(p->plugin_socket);
	free(p->docker_host);
	free(p->plugin_cmd);
	free(p->plugin_pidfile);
	free(p->buildkit_dir);
	ib_strv_free(p->notes);
	memset(p, 0, sizeof(*p));
}

static struct ib_item *add_item(struct ib_plan *p, enum ib_item_kind kind, const char *path,
				const char *label)
{
	struct ib_item *it;

	p->items = ib_xrealloc(p->items, (p->n + 1) * sizeof(*p->items));
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->path = ib_xstrdup(path);
	it->label = ib_xstrdup(label);
	it->mode = 0644;
	return it;
}

static void note(struct ib_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct ib_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (!p->notes)
		p->notes = ib_xmalloc0(sizeof(char *));
	ib_strv_push(&p->notes, s);
	free(s);
}

/* An owned file: install `content`. */
static int plan_owned(struct ib_plan *p, struct json_object *rec, struct ib_item *it,
		      const char *content, size_t len, ib_err *err)
{
	if (read_path(it->path, it->kind, &it->exists, &it->cur, &it->cur_len, err) < 0)
		return -1;
	it->prev = json_object_get(record_entry(rec, it->path));
	if (it->create_only && it->exists) {
		it->want_exists = true;
		it->want = ib_xmalloc0(it->cur_len + 1);
		memcpy(it->want, it->cur, it->cur_len);
		it->want_len = it->cur_len;
		it->keep_record = it->prev != NULL;
		return 0;
	}
	it->want_exists = true;
	it->want = ib_xmalloc0(len + 1);
	memcpy(it->want, content, len);
	it->want_len = len;
	it->keep_record = it->prev != NULL || ib_item_changes(it);
	it->orig_exists = it->prev ? rbool(it->prev, "existed") : it->exists;
	it->backup = text_of(rstr(it->prev, "backup"));
	(void)p;
	return 0;
}

/* The base a config is merged into: the original when the file is still
 * what ironbox wrote, else the file with ironbox's settings removed. */
static int config_base(struct ib_item *it, bool *exists, char **text, ib_err *err)
{
	const char *written = rstr(it->prev, "written");
	bool wexists = rbool(it->prev, "written_exists");

	*exists = it->exists;
	*text = it->exists ? ib_xstrdup(it->cur) : NULL;
	if (!it->prev)
		return 0;
	if (same(it->exists, it->cur, it->cur_len, wexists, written,
		 written ? strlen(written) : 0)) {
		const char *orig = rstr(it->prev, "original");
		free(*text);
		*exists = rbool(it->prev, "existed");
		*text = *exists ? ib_xstrdup(orig ? orig : "") : NULL;
		return 0;
	}
	if (!it->exists)
		return 0;
	if (it->kind == IB_ITEM_TOML) {
		char *r = ib_toml_revert(it->cur);
		free(*text);
		*text = r;
		return 0;
	}
	{
		struct json_object *doc = ib_json_parse_config(it->path, it->cur, err),
				   *before = NULL, *edits;
		if (!doc)
			return -1;
		json_object_deep_copy(doc, &before, NULL);
		if (json_object_object_get_ex(it->prev, "edits", &edits) &&
		    ib_json_revert(doc, edits, NULL, err) < 0) {
			json_object_put(doc);
			json_object_put(before);
			return -1;
		}
		if (!json_object_equal(doc, before)) {
			free(*text);
			*text = ib_json_format(doc);
		}
		json_object_put(doc);
		json_object_put(before);
	}
	return 0;
}

static void set_want_text(struct ib_item *it, bool exists, const char *text)
{
	free(it->want);
	it->want_exists = exists;
	it->want = exists ? ib_xstrdup(text ? text : "") : NULL;
	it->want_len = exists ? strlen(it->want) : 0;
}

static int plan_json(struct ib_item *it, struct json_object *rec, const struct ib_json_change *ch,
		     size_t n, ib_err *err)
{
	bool bexists;
	_cleanup_free_ char *base = NULL;
	struct json_object *doc = NULL, *edits = NULL;

	if (read_path(it->path, it->kind, &it->exists, &it->cur, &it->cur_len, err) < 0)
		return -1;
	if (it->exists && strlen(it->cur) != it->cur_len)
		return ib_err_set(err, EINVAL, "%s contains a NUL byte", it->path);
	it->prev = json_object_get(record_entry(rec, it->path));
	if (config_base(it, &bexists, &base, err) < 0)
		return -1;
	doc = ib_json_parse_config(it->path, bexists ? base : "", err);
	if (!doc)
		return -1;
	if (ib_json_apply(it->path, doc, ch, n, &edits, err) < 0) {
		json_object_put(doc);
		return -1;
	}
	if (json_object_array_length(edits) == 0) {
		set_want_text(it, bexists, base);
		json_object_put(edits);
	} else {
		_cleanup_free_ char *t = ib_json_format(doc);
		set_want_text(it, true, t);
		it->edits = edits;
		it->keep_record = true;
	}
	it->orig_exists = bexists;
	it->orig = text_of(base);
	json_object_put(doc);
	return 0;
}

static int plan_toml(struct ib_item *it, struct json_object *rec, const char *new_file_text,
		     const struct ib_toml_set *sets, size_t n, ib_err *err)
{
	bool bexists;
	_cleanup_free_ char *base = NULL, *out = NULL;

	if (read_path(it->path, it->kind, &it->exists, &it->cur, &it->cur_len, err) < 0)
		return -1;
	if (it->exists && strlen(it->cur) != it->cur_len)
		return ib_err_set(err, EINVAL, "%s contains a NUL byte", it->path);
	it->prev = json_object_get(record_entry(rec, it->path));
	if (config_base(it, &bexists, &base, err) < 0)
		return -1;
	out = ib_toml_apply(it->path, bexists ? base : new_file_text, sets, n, err);
	if (!out)
		return -1;
	if (bexists && !strcmp(out, base)) {
		set_want_text(it, true, base);
	} else {
		set_want_text(it, true, out);
		it->keep_record = true;
	}
	it->orig_exists = bexists;
	it->orig = text_of(base);
	return 0;
}

static char *P(const struct ib_plan *p, const char *path)
{
	return ib_xasprintf("%s%s", p->root, path);
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = ib_xstrdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");

	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *c = ib_xasprintf("%s/%s", d, prog);
		if (access(c, X_OK) == 0)
			return true;
	}
	return false;
}

static bool detect(const struct ib_plan *p, int want, const char *dir, const char *prog)
{
	_cleanup_free_ char *d = P(p, dir);

	if (want >= 0)
		return want;
	return access(d, F_OK) == 0 || (!*p->root && in_path(prog));
}

static int read_binary(const char *path, char **buf, size_t *len, ib_err *err)
{
	if (ib_read_file_at(AT_FDCWD, path, buf, len, err) < 0)
		return ib_err_wrap(err, "read the binary to install");
	return 0;
}

static int plan_undo(struct ib_plan *p, struct json_object *e, ib_err *err)
{
	{
		const char *path = rstr(e, "path"), *kind = rstr(e, "kind"),
			   *label = rstr(e, "label");
		enum ib_item_kind kd;
		struct ib_item *it;

		if (!path || !kind)
			return 0;
		kd = !strcmp(kind, "json")	? IB_ITEM_JSON
		     : !strcmp(kind, "toml")	? IB_ITEM_TOML
		     : !strcmp(kind, "symlink") ? IB_ITEM_SYMLINK
						: IB_ITEM_FILE;
		it = add_item(p, kd, path, label ? label : path);
		it->prev = json_object_get(e);
		if (read_path(path, kd, &it->exists, &it->cur, &it->cur_len, err) < 0) {
			if (kd != IB_ITEM_SYMLINK)
				return -1;
			/* Something else replaced our link: leave it. */
			ib_err_clear(err);
			it->exists = true;
			it->want_exists = true;
			it->summary = ib_xstrdup("replaced since install; left in place");
			it->cur = ib_xstrdup("");
			it->want = ib_xstrdup("");
			return 0;
		}
		/* By default leave the file as it is. */
		it->want_exists = it->exists;
		it->want = it->exists ? ib_xmalloc0(it->cur_len + 1) : NULL;
		if (it->exists)
			memcpy(it->want, it->cur, it->cur_len);
		it->want_len = it->cur_len;
		if (kd == IB_ITEM_JSON || kd == IB_ITEM_TOML) {
			bool bexists;
			_cleanup_free_ char *base = NULL;
			const char *written = rstr(e, "written");
			bool exact =
			    same(it->exists, it->cur, it->cur_len, rbool(e, "written_exists"),
				 written, written ? strlen(written) : 0);
			if (config_base(it, &bexists, &base, err) < 0)
				return -1;
			set_want_text(it, bexists, base);
			if (!exact && it->exists)
				it->summary = ib_xstrdup("changed since install: only ironbox's "
							 "settings are removed");
			return 0;
		}
		if (!it->exists)
			return 0;
		if (kd == IB_ITEM_SYMLINK) {
			const char *target = rstr(e, "target");
			if (target && !strcmp(target, it->cur)) {
				free(it->want);
				it->want = NULL;
				it->want_exists = false;
				it->want_len = 0;
			} else {
				it->summary = ib_xstrdup("changed since install; left in place");
			}
			return 0;
		}
		struct stat st;
		if (lstat(path, &st) == 0 && (int64_t)st.st_ino == rec_int(e, "ino") &&
		    (int64_t)st.st_size == rec_int(e, "size") &&
		    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
			rec_int(e, "mtime_ns")) {
			const char *backup = rstr(e, "backup");
			free(it->want);
			it->want = NULL;
			it->want_exists = false;
			it->want_len = 0;
			if (backup) {
				bool bex;
				if (read_path(backup, IB_ITEM_FILE, &bex, &it->want, &it->want_len,
					      err) < 0)
					return -1;
				it->want_exists = bex;
				it->backup = ib_xstrdup(backup);
				it->mode = st.st_mode & 07777;
			}
		} else {
			it->summary = ib_xstrdup("changed since install; left in place");
		}
	}
	return 0;
}

int ib_install_plan(const struct ib_install_opts *o, struct ib_plan *out, ib_err *err)
{
	struct ib_plan p = {0};
	struct json_object *rec = NULL;
	bool missing;
	_cleanup_free_ char *bin = NULL, *admin = NULL, *bin_path = NULL, *bin_str = NULL;
	size_t bin_len = 0, admin_len = 0;
	struct ib_item *it;

	p.root = ib_xstrdup(o->root ? o->root : "");
	while (*p.root && p.root[strlen(p.root) - 1] == '/')
		p.root[strlen(p.root) - 1] = '\0';
	if (*p.root && p.root[0] != '/') {
		ib_err_set(err, EINVAL, "--root-dir must be an absolute path");
		goto fail;
	}
	p.prefix = ib_xstrdup(o->prefix ? o->prefix : "/usr/local");
	if (p.prefix[0] != '/') {
		ib_err_set(err, EINVAL, "--prefix must be an absolute path");
		goto fail;
	}
	p.record_path = P(&p, "/" IB_INSTALL_RECORD);
	rec = load_record(p.record_path, err, &missing);
	if (!rec && !missing)
		goto fail;
	p.policy_path = o->policy_path ? ib_xstrdup(o->policy_path) : P(&p, IB_POLICY_DEFAULT_PATH);

	/* Binaries and man page. */
	{
		_cleanup_free_ char *rel = ib_xasprintf("%s/bin/ironbox", p.prefix);
		bin_path = P(&p, rel);
	}
	if (read_binary(o->self_exe, &bin, &bin_len, err) < 0)
		goto fail;
	it = add_item(&p, IB_ITEM_FILE, bin_path, "ironbox binary");
	it->mode = 0755;
	if (plan_owned(&p, rec, it, bin, bin_len, err) < 0)
		goto fail;
	if (o->admin_exe) {
		_cleanup_free_ char *rel =
		    ib_xasprintf("%s/libexec/ironbox/ironbox-admin", p.prefix);
		_cleanup_free_ char *path = P(&p, rel);
		if (read_binary(o->admin_exe, &admin, &admin_len, err) < 0)
			goto fail;
		it =
		    add_item(&p, IB_ITEM_FILE, path, "ironbox-admin (authorization plugin, audit)");
		it->mode = 0755;
		if (plan_owned(&p, rec, it, admin, admin_len, err) < 0)
			goto fail;
	}
	{
		_cleanup_free_ char *rel = ib_xasprintf("%s/share/man/man8/ironbox.8", p.prefix);
		_cleanup_free_ char *path = P(&p, rel);
		it = add_item(&p, IB_ITEM_FILE, path, "man page");
		if (plan_owned(&p, rec, it, ib_manpage, strlen(ib_manpage), err) < 0)
			goto fail;
	}

	/* The admin policy: written only when there is none. */
	{
		_cleanup_free_ char *json = ib_policy_default_json();
		it = add_item(&p, IB_ITEM_FILE, p.policy_path, "admin policy");
		it->create_only = true;
		if (plan_owned(&p, rec, it, json, strlen(json), err) < 0)
			goto fail;
		if (it->exists) {
			struct ib_policy *pol = ib_policy_load(p.policy_path, err);
			if (!pol)
				goto fail;
			p.enforce = pol->enforce;
			ib_policy_free(pol);
		} else {
			struct ib_policy *pol = ib_policy_default();
			p.enforce = pol->enforce;
			ib_policy_free(pol);
		}
	}

	p.systemd = o->systemd >= 0 ? o->systemd : ({
		_cleanup_free_ char *d = P(&p, "/run/systemd/system");
		access(d, F_OK) == 0;
	});
	p.docker = detect(&p, o->docker, "/etc/docker", "dockerd");
	p.containerd = detect(&p, o->containerd, "/etc/containerd", "containerd");
	p.podman = detect(&p, o->podman, "/etc/containers", "podman");

	bin_str = ib_toml_string(bin_path);
	if (!bin_str) {
		ib_err_set(err, EINVAL, "install path %s has control characters", bin_path);
		goto fail;
	}

	if (p.docker) {
		static const char *const p_rt[] = {"runtimes", IB_RUNTIME_NAME, "path", NULL};
		static const char *const p_def[] = {"default-runtime", NULL};
		static const char *const p_authz[] = {"authorization-plugins", NULL};
		static const char *const p_nh[] = {"builder", "entitlements", "network-host", NULL};
		static const char *const p_si[] = {"builder", "entitlements", "security-insecure",
						   NULL};
		struct json_object *jbin = json_object_new_string(bin_path);
		struct json_object *jrt = json_object_new_string(IB_RUNTIME_NAME);
		struct json_object *jfalse = json_object_new_boolean(0);
		struct ib_json_change ch[] = {
		    {.path = p_rt, .value = jbin},
		    {.path = p_def, .value = jrt},
		    {.path = p_authz, .append = IB_AUTHZ_NAME},
		    {.path = p_nh, .value = jfalse},
		    {.path = p_si, .value = jfalse},
		};
		_cleanup_free_ char *rel = NULL;
		int r;

		p.docker_config = o->docker_config ? ib_xstrdup(o->docker_config)
						   : P(&p, "/etc/docker/daemon.json");
		it = add_item(&p, IB_ITEM_JSON, p.docker_config, "Docker");
		r = plan_json(it, rec, ch, p.enforce ? IB_ARRAY_SIZE(ch) : 1, err);
		json_object_put(jbin);
		json_object_put(jrt);
		json_object_put(jfalse);
		if (r < 0)
			goto fail;
		it->summary = ib_xasprintf(
		    "runtime \"%s\" (%s)%s", IB_RUNTIME_NAME, bin_path,
		    p.enforce ? ", the default runtime, authorization plugin " IB_AUTHZ_NAME
				", BuildKit entitlements network.host and security.insecure off"
			      : "");

		/* BuildKit's executor runs "runc" from dockerd's PATH: a directory
		 * whose runc is ironbox, for dockerd's PATH. */
		rel = ib_xasprintf("%s/libexec/ironbox/buildkit", p.prefix);
		p.buildkit_dir = P(&p, rel);
		{
			_cleanup_free_ char *link = ib_xasprintf("%s/runc", p.buildkit_dir);
			it = add_item(&p, IB_ITEM_SYMLINK, link, "runc for BuildKit (-> ironbox)");
			if (plan_owned(&p, rec, it, bin_path, strlen(bin_path), err) < 0)
				goto fail;
		}
		p.plugin_socket = P(&p, "/run/docker/plugins/" IB_AUTHZ_NAME ".sock");
		p.plugin_pidfile = P(&p, "/run/ironbox-authz.pid");
		if (o->docker_host) {
			p.docker_host = ib_xstrdup(o->docker_host);
		} else {
			_cleanup_free_ char *s = P(&p, "/run/docker.sock");
			p.docker_host = ib_xasprintf("unix://%s", s);
		}
		{
			_cleanup_free_ char *log = P(&p, "/var/log/ironbox-authz.log");
			p.plugin_cmd = ib_xasprintf("%s authz-plugin --socket %s --policy %s "
						    "--docker-host %s --pidfile %s --log %s",
						    bin_path, p.plugin_socket, p.policy_path,
						    p.docker_host, p.plugin_pidfile, log);
		}
		if (p.enforce && p.systemd) {
			_cleanup_free_ char *unit =
			    P(&p, "/etc/systemd/system/ironbox-authz.service");
			_cleanup_free_ char *dropin =
			    P(&p, "/etc/systemd/system/docker.service.d/ironbox.conf");
			_cleanup_free_ char *u = ib_xasprintf(
			    "# Installed by `ironbox install`; removed by `ironbox uninstall`.\n"
			    "[Unit]\n"
			    "Description=ironbox authorization plugin for Docker (%s)\n"
			    "Documentation=man:ironbox(8)\n"
			    "Before=docker.service\n\n"
			    "[Service]\n"
			    "ExecStart=%s authz-plugin --socket %s --policy %s --docker-host %s\n"
			    "Restart=always\n\n"
			    "[Install]\n"
			    "WantedBy=docker.service multi-user.target\n",
			    IB_AUTHZ_NAME, bin_path, p.plugin_socket, p.policy_path, p.docker_host);
			_cleanup_free_ char *d = ib_xasprintf(
			    "# Installed by `ironbox install`; removed by `ironbox uninstall`.\n"
			    "[Unit]\n"
			    "Requires=ironbox-authz.service\n"
			    "After=ironbox-authz.service\n\n"
			    "[Service]\n"
			    "# BuildKit's executor runs \"runc\" from dockerd's PATH: make it "
			    "ironbox.\n"
			    "Environment=\"PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"
			    "bin:"
			    "/sbin:/bin\"\n",
			    p.buildkit_dir);
			it = add_item(&p, IB_ITEM_FILE, unit, "systemd unit of the plugin");
			if (plan_owned(&p, rec, it, u, strlen(u), err) < 0)
				goto fail;
			it = add_item(&p, IB_ITEM_FILE, dropin,
				      "systemd drop-in for docker.service");
			if (plan_owned(&p, rec, it, d, strlen(d), err) < 0)
				goto fail;
			note(
			    &p,
			    "Docker: systemctl daemon-reload && systemctl enable --now "
			    "ironbox-authz.service && systemctl restart docker  (the restart makes "
			    "BuildKit run ironbox and turns its entitlements off)");
		} else if (p.enforce) {
			note(&p,
			     "Docker: start the authorization plugin before dockerd, and keep it "
			     "running (no systemd here):\n    %s --detach",
			     p.plugin_cmd);
			note(&p,
			     "Docker: start dockerd with ironbox's runc first in its PATH, so that "
			     "BuildKit's build containers run under ironbox:\n    PATH=%s:$PATH "
			     "dockerd "
			     "...",
			     p.buildkit_dir);
			note(&p,
			     "Docker: restart dockerd for the BuildKit entitlements to be turned "
			     "off (a reload does not change them)");
		}
	}
	if (p.containerd) {
		_cleanup_free_ char *path = o->containerd_config
						? ib_xstrdup(o->containerd_config)
						: P(&p, "/etc/containerd/config.toml");
		bool exists;
		_cleanup_free_ char *text = NULL;
		size_t len;
		int ver = 2;
		const char *cri_v1[] = {"plugins", "cri", "containerd", NULL, NULL, NULL};
		const char *cri_v2[] = {
		    "plugins", "io.containerd.grpc.v1.cri", "containerd", NULL, NULL, NULL};
		const char *cri_v3[] = {
		    "plugins", "io.containerd.cri.v1.runtime", "containerd", NULL, NULL, NULL};
		const char **base;
		const char *t_ctd[4], *t_rt[6], *t_opt[7], *t_runc_opt[7];

		if (read_path(path, IB_ITEM_TOML, &exists, &text, &len, err) < 0)
			goto fail;
		if (exists) {
			ver = ib_toml_containerd_version(path, text, err);
			if (ver < 0)
				goto fail;
		}
		base = ver == 1 ? cri_v1 : ver == 2 ? cri_v2 : cri_v3;
		if (ver > 3) {
			ib_err_set(err, ENOTSUP,
				   "%s: containerd config version %d is not supported", path, ver);
			goto fail;
		}
		memcpy(t_ctd, base, 3 * sizeof(char *));
		t_ctd[3] = NULL;
		memcpy(t_rt, base, 3 * sizeof(char *));
		t_rt[3] = "runtimes";
		t_rt[4] = IB_RUNTIME_NAME;
		t_rt[5] = NULL;
		memcpy(t_opt, t_rt, 5 * sizeof(char *));
		t_opt[5] = "options";
		t_opt[6] = NULL;
		memcpy(t_runc_opt, t_opt, 7 * sizeof(char *));
		t_runc_opt[4] = "runc";
		{
			ib_err e2 = {0};
			_cleanup_free_ char *sysd =
			    exists ? ib_toml_get(path, text, t_runc_opt, "SystemdCgroup", &e2)
				   : NULL;
			struct ib_toml_set sets[4];
			size_t n = 0;
			if (p.enforce)
				sets[n++] =
				    (struct ib_toml_set){.table = t_ctd,
							 .key = "default_runtime_name",
							 .value = "\"" IB_RUNTIME_NAME "\""};
			sets[n++] = (struct ib_toml_set){.table = t_rt,
							 .key = "runtime_type",
							 .value = "\"io.containerd.runc.v2\""};
			sets[n++] = (struct ib_toml_set){
			    .table = t_opt, .key = "BinaryName", .value = bin_str};
			/* Same cgroup driver as the runc handler (kubelet expects it). */
			if (sysd && !strcmp(sysd, "true"))
				sets[n++] = (struct ib_toml_set){
				    .table = t_opt, .key = "SystemdCgroup", .value = "true"};
			it = add_item(&p, IB_ITEM_TOML, path, "containerd");
			if (plan_toml(it, rec, "version = 2\n", sets, n, err) < 0)
				goto fail;
			it->summary = ib_xasprintf("CRI runtime handler \"%s\" (runc v2 shim, "
						   "BinaryName %s)%s",
						   IB_RUNTIME_NAME, bin_path,
						   p.enforce ? ", the default CRI runtime" : "");
		}
		{
			_cleanup_free_ char *rel =
			    ib_xasprintf("%s/share/ironbox/kubernetes/runtimeclass.yaml", p.prefix);
			_cleanup_free_ char *rc = P(&p, rel);
			static const char yaml[] =
			    "# Kubernetes RuntimeClass for ironbox (installed by `ironbox "
			    "install`).\n"
			    "# kubectl apply -f this file; pods then ask for it with\n"
			    "#   spec:\n#     runtimeClassName: " IB_RUNTIME_NAME "\n"
			    "apiVersion: node.k8s.io/v1\n"
			    "kind: RuntimeClass\n"
			    "metadata:\n"
			    "  name: " IB_RUNTIME_NAME "\n"
			    "handler: " IB_RUNTIME_NAME "\n";
			it = add_item(&p, IB_ITEM_FILE, rc, "Kubernetes RuntimeClass");
			if (plan_owned(&p, rec, it, yaml, strlen(yaml), err) < 0)
				goto fail;
			note(
			    &p,
			    "containerd: restart it to load the runtime handler (systemctl restart "
			    "containerd); Kubernetes: kubectl apply -f %s",
			    rc);
		}
	}
	if (p.podman) {
		_cleanup_free_ char *path = o->podman_config
						? ib_xstrdup(o->podman_config)
						: P(&p, "/etc/containers/containers.conf");
		_cleanup_free_ char *list = ib_xasprintf("[%s]", bin_str);
		static const char *const t_engine[] = {"engine", NULL};
		static const char *const t_rts[] = {"engine", "runtimes", NULL};
		struct ib_toml_set sets[2];
		size_t n = 0;

		sets[n++] =
		    (struct ib_toml_set){.table = t_rts, .key = IB_RUNTIME_NAME, .value = list};
		if (p.enforce)
			sets[n++] = (struct ib_toml_set){.table = t_engine,
							 .key = "runtime",
							 .value = "\"" IB_RUNTIME_NAME "\""};
		it = add_item(&p, IB_ITEM_TOML, path, "Podman");
		if (plan_toml(it, rec, "", sets, n, err) < 0)
			goto fail;
		it->summary = ib_xasprintf("runtime \"%s\" (%s)%s", IB_RUNTIME_NAME, bin_path,
					   p.enforce ? ", the default runtime" : "");
	}
	/* What an earlier install did that this one no longer wants (an engine
	 * gone, enforcement turned off): undo it. */
	{
		struct json_object *files;
		if (rec && json_object_object_get_ex(rec, "files", &files)) {
			for (size_t k = json_object_array_length(files); k-- > 0;) {
				struct json_object *e = json_object_array_get_idx(files, k);
				const char *path = rstr(e, "path");
				bool planned = false;
				for (size_t i = 0; path && i < p.n && !planned; i++)
					planned = !strcmp(p.items[i].path, path);
				if (path && !planned && plan_undo(&p, e, err) < 0)
					goto fail;
			}
		}
	}
	json_object_put(rec);
	*out = p;
	return 0;
fail:
	json_object_put(rec);
	ib_plan_free(&p);
	return -1;
}

int ib_uninstall_plan(const char *root, struct ib_plan *out, ib_err *err)
{
	struct ib_plan p = {0};
	struct json_object *rec, *files;
	bool missing;

	p.root = ib_xstrdup(root ? root : "");
	while (*p.root && p.root[strlen(p.root) - 1] == '/')
		p.root[strlen(p.root) - 1] = '\0';
	p.record_path = P(&p, "/" IB_INSTALL_RECORD);
	rec = load_record(p.record_path, err, &missing);
	if (!rec) {
		if (missing) {
			*out = p;
			return 0; /* nothing installed: nothing to do */
		}
		ib_plan_free(&p);
		return -1;
	}
	p.enforce = rbool(rec, "enforce");
	p.docker = rstr(rec, "docker_config") != NULL;
	p.docker_config = text_of(rstr(rec, "docker_config"));
	p.plugin_socket = text_of(rstr(rec, "plugin_socket"));
	p.plugin_pidfile = text_of(rstr(rec, "plugin_pidfile"));
	p.systemd = rbool(rec, "systemd");
	p.prefix = text_of(rstr(rec, "prefix"));
	json_object_object_get_ex(rec, "files", &files);
	for (size_t k = json_object_array_length(files); k-- > 0;)
		if (plan_undo(&p, json_object_array_get_idx(files, k), err) < 0)
			goto fail;
	json_object_put(rec);
	*out = p;
	return 0;
fail:
	json_object_put(rec);
	ib_plan_free(&p);
	return -1;
}

/* ---------------------------------------------------------------- apply */

/* mkdir -p, recording the directories created (for uninstall). */
static int make_parents(const char *path, struct json_object *dirs, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(path);
	char *slash = strrchr(copy, '/');

	if (!slash || slash == copy)
		return 0;
	*slash = '\0';
	for (char *p = copy + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(copy, 0755) == 0) {
				if (dirs)
					json_object_array_add(dirs, json_object_new_string(copy));
			} else if (errno != EEXIST) {
				return ib_err_sys(err, "mkdir %s", copy);
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* Replace path atomically with data, keeping the owner and mode of the
 * file it replaces (else root and mode). */
static int write_file(const char *path, const char *data, size_t len, mode_t mode, ib_err *err)
{
	_cleanup_free_ char *tmp = ib_xasprintf("%s.ironbox-tmp", path);
	_cleanup_close_ int fd = -1;
	struct stat st;
	uid_t uid = 0;
	gid_t gid = 0;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ib_err_sys(err, "create %s", tmp);
	if (ib_write_all(fd, data, len) < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		ib_err_sys(err, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		ib_err_sys(err, "rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_symlink(const char *path, const char *target, ib_err *err)
{
	_cleanup_free_ char *tmp = ib_xasprintf("%s.ironbox-tmp", path);

	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return ib_err_sys(err, "symlink %s", tmp);
	if (rename(tmp, path) < 0) {
		ib_err_sys(err, "rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static const char *kind_name(enum ib_item_kind k)
{
	switch (k) {
	case IB_ITEM_JSON:
		return "json";
	case IB_ITEM_TOML:
		return "toml";
	case IB_ITEM_SYMLINK:
		return "symlink";
	default:
		return "file";
	}
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

int ib_plan_apply(struct ib_plan *p, bool uninstall, ib_err *err)
{
	struct json_object *rec = NULL, *files = NULL, *dirs = NULL, *old = NULL, *od;
	bool missing;
	_cleanup_free_ char *backup_dir = P(p, "/var/lib/ironbox/backup");

	old = load_record(p->record_path, err, &missing);
	if (!old && !missing)
		return -1;
	ib_err_clear(err);
	dirs = json_object_new_array();
	if (old && json_object_object_get_ex(old, "dirs", &od))
		for (size_t i = 0; i < json_object_array_length(od); i++)
			json_object_array_add(dirs,
					      json_object_get(json_object_array_get_idx(od, i)));
	if (!uninstall) {
		rec = json_object_new_object();
		files = json_object_new_array();
	}
	for (size_t i = 0; i < p->n; i++) {
		struct ib_item *it = &p->items[i];

		if (ib_item_changes(it)) {
			if (!uninstall && it->exists && !it->backup && (it->kind == IB_ITEM_FILE) &&
			    !it->prev) {
				/* An owned file that was there before us: keep it. */
				_cleanup_free_ char *base = ib_xstrdup(it->path);
				it->backup =
				    ib_xasprintf("%s/%zu-%s", backup_dir, i, basename(base));
				if (make_parents(it->backup, dirs, err) < 0 ||
				    write_file(it->backup, it->cur, it->cur_len, 0600, err) < 0)
					goto fail;
			}
			if (it->want_exists) {
				if (make_parents(it->path, uninstall ? NULL : dirs, err) < 0)
					goto fail;
				if (it->kind == IB_ITEM_SYMLINK) {
					if (write_symlink(it->path, it->want, err) < 0)
						goto fail;
				} else if (write_file(it->path, it->want, it->want_len, it->mode,
						      err) < 0) {
					goto fail;
				}
			} else if (unlink(it->path) < 0 && errno != ENOENT) {
				ib_err_sys(err, "remove %s", it->path);
				goto fail;
			}
			if (uninstall && it->backup)
				unlink(it->backup);
		}
		if (uninstall || !it->keep_record)
			continue;
		struct json_object *e = json_object_new_object();
		add_str(e, "path", it->path);
		add_str(e, "kind", kind_name(it->kind));
		add_str(e, "label", it->label);
		json_object_object_add(e, "existed", json_object_new_boolean(it->orig_exists));
		if (it->kind == IB_ITEM_JSON || it->kind == IB_ITEM_TOML) {
			if (it->orig_exists)
				add_str(e, "original", it->orig ? it->orig : "");
			json_object_object_add(e, "written_exists",
					       json_object_new_boolean(it->want_exists));
			if (it->want_exists)
				add_str(e, "written", it->want);
			if (it->edits)
				json_object_object_add(e, "edits", json_object_get(it->edits));
		} else if (it->kind == IB_ITEM_SYMLINK) {
			add_str(e, "target", it->want);
		} else {
			struct stat st;
			add_str(e, "backup", it->backup);
			if (lstat(it->path, &st) == 0) {
				json_object_object_add(e, "ino",
						       json_object_new_int64((int64_t)st.st_ino));
				json_object_object_add(e, "size",
						       json_object_new_int64((int64_t)st.st_size));
				json_object_object_add(
				    e, "mtime_ns",
				    json_object_new_int64((int64_t)st.st_mtim.tv_sec * 1000000000 +
							  st.st_mtim.tv_nsec));
			}
		}
		json_object_array_add(files, e);
	}
	if (uninstall) {
		if (unlink(p->record_path) < 0 && errno != ENOENT) {
			ib_err_sys(err, "remove %s", p->record_path);
			goto fail;
		}
		/* Directories ironbox created, deepest first, when empty. */
		for (size_t i = json_object_array_length(dirs); i-- > 0;)
			(void)rmdir(json_object_get_string(json_object_array_get_idx(dirs, i)));
		(void)rmdir(backup_dir);
	} else {
		_cleanup_free_ char *text = NULL;
		json_object_object_add(rec, "version", json_object_new_int(1));
		add_str(rec, "root", p->root);
		add_str(rec, "prefix", p->prefix);
		json_object_object_add(rec, "enforce", json_object_new_boolean(p->enforce));
		json_object_object_add(rec, "systemd", json_object_new_boolean(p->systemd));
		add_str(rec, "docker_config", p->docker_config);
		add_str(rec, "plugin_socket", p->plugin_socket);
		add_str(rec, "plugin_pidfile", p->plugin_pidfile);
		json_object_object_add(rec, "files", files);
		files = NULL;
		if (make_parents(p->record_path, dirs, err) < 0)
			goto fail;
		json_object_object_add(rec, "dirs", json_object_get(dirs));
		text = ib_json_format(rec);
		if (write_file(p->record_path, text, strlen(text), 0600, err) < 0)
			goto fail;
	}
	json_object_put(rec);
	json_object_put(files);
	json_object_put(dirs);
	json_object_put(old);
	return 0;
fail:
	json_object_put(rec);
	json_object_put(files);
	json_object_put(dirs);
	json_object_put(old);
	return -1;
}
