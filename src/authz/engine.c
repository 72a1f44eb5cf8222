/* Questions to the local Docker engine (see engine.h). */
#include "authz/engine.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#define CACHE_MAX 8192

int ib_engine_init(struct ib_engine *e, const char *docker_host, const char *runtime, ib_err *err)
{
	memset(e, 0, sizeof(*e));
	if (ib_docker_init(&e->docker, docker_host, err) < 0)
		return -1;
	e->runtime = ib_xstrdup(runtime ? runtime : IB_AUTHZ_RUNTIME);
	pthread_mutex_init(&e->lock, NULL);
	return 0;
}

void ib_engine_clear(struct ib_engine *e)
{
	ib_docker_clear(&e->docker);
	for (size_t i = 0; i < e->ncache; i++) {
		free(e->cache[i].id);
		free(e->cache[i].runtime);
	}
	free(e->cache);
	free(e->runtime);
	pthread_mutex_destroy(&e->lock);
	memset(e, 0, sizeof(*e));
}

static char *cache_get(struct ib_engine *e, const char *id)
{
	char *out = NULL;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->ncache && !out; i++)
		if (!strcmp(e->cache[i].id, id))
			out = ib_xstrdup(e->cache[i].runtime);
	pthread_mutex_unlock(&e->lock);
	return out;
}

static void cache_put(struct ib_engine *e, const char *id, const char *runtime)
{
	pthread_mutex_lock(&e->lock);
	if (e->ncache >= CACHE_MAX) {
		for (size_t i = 0; i < e->ncache; i++) {
			free(e->cache[i].id);
			free(e->cache[i].runtime);
		}
		e->ncache = 0;
	}
	e->cache = ib_xrealloc(e->cache, (e->ncache + 1) * sizeof(*e->cache));
	e->cache[e->ncache].id = ib_xstrdup(id);
	e->cache[e->ncache].runtime = ib_xstrdup(runtime);
	e->ncache++;
	pthread_mutex_unlock(&e->lock);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static bool is_full_id(const char *id)
{
	return strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

char *ib_engine_container_runtime(struct ib_engine *e, const char *id, ib_err *err)
{
	_cleanup_free_ char *esc = ib_docker_escape(id), *path = NULL;
	struct json_object *doc, *hc;
	const char *rt, *full;
	long status;
	char *out;

	if (is_full_id(id) && (out = cache_get(e, id)))
		return out;
	path = ib_xasprintf("/containers/%s/json", esc);
	doc = ib_docker_get(&e->docker, path, &status, err);
	if (!doc)
		return NULL;
	if (status != 200) {
		char m[512];
		ib_err_set(err, ENOENT, "%s", ib_docker_errmsg(doc, status, m, sizeof(m)));
		json_object_put(doc);
		return NULL;
	}
	if (!json_object_object_get_ex(doc, "HostConfig", &hc) || !(rt = jstr(hc, "Runtime")) ||
	    !(full = jstr(doc, "Id"))) {
		ib_err_set(err, EIO, "container %s: no HostConfig.Runtime in its inspect data", id);
		json_object_put(doc);
		return NULL;
	}
	out = ib_xstrdup(rt);
	if (is_full_id(full))
		cache_put(e, full, rt);
	json_object_put(doc);
	return out;
}

struct json_object *ib_engine_list(struct ib_engine *e, ib_err *err)
{
	long status;
	struct json_object *doc = ib_docker_get(&e->docker, "/containers/json?all=1", &status, err);

	if (!doc)
		return NULL;
	if (status != 200 || !json_object_is_type(doc, json_type_array)) {
		char m[512];
		ib_err_set(err, EIO, "listing containers: %s",
			   ib_docker_errmsg(doc, status, m, sizeof(m)));
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

static char *env_default_runtime(void *data, ib_err *err)
{
	struct ib_engine_req *r = data;
	long status;
	struct json_object *doc = ib_docker_get(&r->engine->docker, "/info", &status, err);
	const char *def;
	char *out = NULL;

	if (!doc)
		return NULL;
	def = jstr(doc, "DefaultRuntime");
	if (status != 200 || !def || !*def)
		ib_err_set(err, EIO, "GET /info: no DefaultRuntime (HTTP %ld)", status);
	else
		out = ib_xstrdup(def);
	json_object_put(doc);
	return out;
}

/* Can `ref` designate container c (an entry of /containers/json), the way
 * dockerd resolves references (full ID, exact name, ID prefix)? */
static bool ref_matches(struct json_object *c, const char *ref)
{
	const char *id = jstr(c, "Id");
	struct json_object *names;
	size_t rl = strlen(ref);

	if (id && (strncmp(id, ref, rl) == 0))
		return true;
	if (json_object_object_get_ex(c, "Names", &names) &&
	    json_object_is_type(names, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(names); i++) {
			const char *n = json_object_get_string(json_object_array_get_idx(names, i));
			if (!n)
				continue;
			if (!strcmp(n, ref) || (n[0] == '/' && !strcmp(n + 1, ref)))
				return true;
		}
	}
	return false;
}

static const char *first_name(struct json_object *c)
{
	struct json_object *names;
	const char *n = NULL;

	if (json_object_object_get_ex(c, "Names", &names) &&
	    json_object_is_type(names, json_type_array) && json_object_array_length(names))
		n = json_object_get_string(json_object_array_get_idx(names, 0));
	if (n && n[0] == '/')
		n++;
	return n ? n : "";
}

static int env_ref_unprotected(void *data, const char *ref, char **who, ib_err *err)
{
	struct ib_engine_req *r = data;
	struct json_object *list = ib_engine_list(r->engine, err);
	int found = 0;

	if (!list)
		return -1;
	for (size_t i = 0; i < json_object_array_length(list) && !found; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		const char *id = jstr(c, "Id");
		_cleanup_free_ char *rt = NULL;

		if (!id || !ref_matches(c, ref))
			continue;
		rt = ib_engine_container_runtime(r->engine, id, err);
		if (!rt) {
			found = -1;
			break;
		}
		if (strcmp(rt, r->engine->runtime) != 0) {
			*who = ib_xasprintf("%s (ID %.12s) runs under runtime \"%s\"",
					    first_name(c), id, rt);
			found = 1;
		}
	}
	json_object_put(list);
	return found;
}

static int env_exec_unprotected(void *data, const char *exec_id, char **who, ib_err *err)
{
	struct ib_engine_req *r = data;
	_cleanup_free_ char *esc = ib_docker_escape(exec_id);
	_cleanup_free_ char *path = ib_xasprintf("/exec/%s/json", esc);
	long status;
	struct json_object *doc = ib_docker_get(&r->engine->docker, path, &status, err);
	const char *cid;
	int ret;

	if (!doc)
		return -1;
	cid = jstr(doc, "ContainerID");
	if (status != 200 || !cid || !is_full_id(cid)) {
		char m[512];
		ib_err_set(err, ENOENT, "exec %s: %s", exec_id,
			   ib_docker_errmsg(doc, status, m, sizeof(m)));
		json_object_put(doc);
		return -1;
	}
	ret = env_ref_unprotected(data, cid, who, err);
	json_object_put(doc);
	return ret;
}

static int open_in_root(int rootfd, const char *path, ib_err *err)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EACCES)
		ib_err_sys(err, "open %s in dockerd's root", path);
	return fd;
}

int ib_engine_lookpath(pid_t pid, const char *path_env, const char *file, struct stat *st,
		       char **where, ib_err *err)
{
	_cleanup_free_ char *rootp = ib_xasprintf("/proc/%d/root", (int)pid);
	_cleanup_close_ int rootfd = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *p = path_env;

	*where = NULL;
	if (rootfd < 0)
		return ib_err_sys(err, "open %s", rootp);
	if (file[0] == '/') {
		_cleanup_close_ int fd = open_in_root(rootfd, file, err);
		if (fd < 0)
			return err->msg[0] ? -1 : 0;
		if (fstat(fd, st) < 0)
			return ib_err_sys(err, "stat %s", file);
		*where = ib_xstrdup(file);
		return 1;
	}
	for (;;) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *dir = strndup(p, n), *cand = NULL;

		if (!dir)
			abort();
		if (dir[0] != '/') {
			*where = ib_xasprintf("dockerd's PATH has a relative entry \"%s\"", dir);
			return ib_err_set(err, EPERM, "%s", *where);
		}
		cand = ib_xasprintf("%s/%s", dir, file);
		_cleanup_close_ int fd = open_in_root(rootfd, cand, err);
		if (fd < 0 && err->msg[0])
			return -1;
		if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && (st->st_mode & 0111)) {
			*where = IB_STEAL(cand);
			return 1;
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static char *read_environ_path(pid_t pid, ib_err *err)
{
	_cleanup_free_ char *path = ib_xasprintf("/proc/%d/environ", (int)pid), *buf = NULL;
	size_t len = 0;

	if (ib_read_file_at(AT_FDCWD, path, &buf, &len, err) < 0)
		return NULL;
	for (size_t off = 0; off < len;) {
		const char *e = buf + off;
		size_t el = strnlen(e, len - off);
		if (el >= 5 && !strncmp(e, "PATH=", 5))
			return strndup(e + 5, el - 5);
		off += el + 1;
	}
	return ib_xstrdup(""); /* Go: empty PATH, nothing found */
}

static int env_buildkit_ironbox(void *data, char **why, ib_err *err)
{
	struct ib_engine_req *r = data;
	_cleanup_free_ char *path_env = NULL, *runc_at = NULL, *ib_at = NULL;
	struct stat runc_st, ib_st;
	struct json_object *info, *rts, *mine;
	const char *ibpath;
	long status;
	int ret;

	if (r->peer <= 0)
		return ib_err_set(err, ESRCH, "the peer process (dockerd) is unknown");
	info = ib_docker_get(&r->engine->docker, "/info", &status, err);
	if (!info)
		return -1;
	if (!json_object_object_get_ex(info, "Runtimes", &rts) ||
	    !json_object_object_get_ex(rts, r->engine->runtime, &mine) ||
	    !(ibpath = jstr(mine, "path"))) {
		json_object_put(info);
		*why = ib_xasprintf("the daemon has no runtime \"%s\"", r->engine->runtime);
		return 0;
	}
	ibpath = ib_xstrdup(ibpath);
	json_object_put(info);
	path_env = read_environ_path(r->peer, err);
	if (!path_env) {
		free((char *)ibpath);
		return -1;
	}
	ret = ib_engine_lookpath(r->peer, path_env, ibpath, &ib_st, &ib_at, err);
	if (ret <= 0) {
		if (ret == 0)
			*why = ib_xasprintf("runtime \"%s\" (%s) not found", r->engine->runtime,
					    ibpath);
		free((char *)ibpath);
		return ret;
	}
	free((char *)ibpath);
	ret = ib_engine_lookpath(r->peer, path_env, "runc", &runc_st, &runc_at, err);
	if (ret < 0) {
		if (runc_at) {
			*why = IB_STEAL(runc_at);
			ib_err_clear(err);
			return 0;
		}
		return -1;
	}
	if (ret == 0) {
		*why = ib_xstrdup("there is no runc in dockerd's PATH");
		return 0;
	}
	if (runc_st.st_dev != ib_st.st_dev || runc_st.st_ino != ib_st.st_ino) {
		*why = ib_xasprintf("runc in dockerd's PATH is %s, not %s", runc_at, ib_at);
		return 0;
	}
	return 1;
}

void ib_engine_env(struct ib_engine_req *r, struct ib_authz_env *env)
{
	env->data = r;
	env->default_runtime = env_default_runtime;
	env->ref_unprotected = env_ref_unprotected;
	env->exec_unprotected = env_exec_unprotected;
	env->buildkit_ironbox = env_buildkit_ironbox;
}
