/* The authorization plugin's decisions (see authz.h). Everything the
 * plugin cannot see or cannot tell is refused. */
#include "authz/authz.h"

#include <json-c/json.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz/gojson.h"
#include "common/json.h"
#include "common/util.h"

void ib_authz_req_clear(struct ib_authz_req *r)
{
	free(r->method);
	free(r->uri);
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

int ib_authz_parse_envelope(const char *json, size_t len, struct ib_authz_req *out, ib_err *err)
{
	struct json_object *doc, *v;
	enum json_tokener_error jerr;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (len > (size_t)INT32_MAX || memchr(json, '\0', len))
		return ib_err_set(err, EINVAL, "malformed AuthZReq: not a JSON document");
	doc = ib_json_parse_doc(json, len, &jerr);
	if (!doc) {
		ib_err_set(err, EINVAL, "malformed AuthZReq: %s", json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		ib_err_set(err, EINVAL, "malformed AuthZReq: not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "RequestMethod", &v) ||
	    !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		ib_err_set(err, EINVAL, "malformed AuthZReq: no RequestMethod");
		goto out;
	}
	out->method = ib_xstrdup(json_object_get_string(v));
	if (!json_object_object_get_ex(doc, "RequestUri", &v) ||
	    !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		ib_err_set(err, EINVAL, "malformed AuthZReq: no RequestUri");
		goto out;
	}
	out->uri = ib_xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(doc, "RequestBody", &v) && v) {
		const char *b64;
		size_t blen;
		int n;

		if (!json_object_is_type(v, json_type_string)) {
			ib_err_set(err, EINVAL,
				   "malformed AuthZReq: RequestBody is not base64 text");
			goto out;
		}
		b64 = json_object_get_string(v);
		blen = strlen(b64);
		if (blen) {
			out->body = ib_xmalloc0(blen / 4 * 3 + 4);
			n = b64_pton(b64, out->body, blen / 4 * 3 + 4);
			if (n < 0) {
				ib_err_set(err, EINVAL,
					   "malformed AuthZReq: RequestBody is not base64");
				goto out;
			}
			out->body_len = (size_t)n;
		}
	}
	if (json_object_object_get_ex(doc, "RequestHeaders", &v) && v) {
		if (!json_object_is_type(v, json_type_object)) {
			ib_err_set(err, EINVAL,
				   "malformed AuthZReq: RequestHeaders is not an object");
			goto out;
		}
		json_object_object_foreach(v, hk, hv)
		{
			if (strcasecmp(hk, "Content-Type") == 0 &&
			    json_object_is_type(hv, json_type_string)) {
				free(out->content_type);
				out->content_type = ib_xstrdup(json_object_get_string(hv));
			}
		}
	}
	r = 0;
out:
	json_object_put(doc);
	if (r < 0)
		ib_authz_req_clear(out);
	return r;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *ib_authz_unescape(const char *s, size_t len, bool plus)
{
	char *out = ib_xmalloc0(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0) {
				free(out);
				return NULL;
			}
			c = h * 16 + l;
			i += 2;
		} else if (plus && c == '+') {
			c = ' ';
		}
		if (c == '\0') {
			free(out);
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static void decide(struct ib_authz_decision *out, bool allow, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void decide(struct ib_authz_decision *out, bool allow, const char *fmt, ...)
{
	va_list ap;

	out->allow = allow;
	va_start(ap, fmt);
	vsnprintf(out->msg, sizeof(out->msg), fmt, ap);
	va_end(ap);
}

static void allow(struct ib_authz_decision *out)
{
	out->allow = true;
	out->msg[0] = '\0';
}

#define POLICY_TAIL "(admin policy %s: every container runs under ironbox)"

/* A parsed request path: version prefix stripped. */
struct route {
	char *path;    /* decoded, without /vX.Y */
	int ver_major; /* -1: no version in the path */
	int ver_minor;
	char *query; /* raw query (after '?'), or NULL */
};

static void route_clear(struct route *r)
{
	free(r->path);
	free(r->query);
}

/* 0, or -1 with a reason in out. */
static int parse_route(const char *uri, struct route *rt, const char **why)
{
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);
	char *p;

	memset(rt, 0, sizeof(*rt));
	rt->ver_major = -1;
	if (strchr(uri, '#')) {
		*why = "a fragment in the request URI";
		return -1;
	}
	p = ib_authz_unescape(uri, plen, false);
	if (!p) {
		*why = "a malformed escape in the request path";
		return -1;
	}
	if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
	    (strlen(p) >= 2 && !strcmp(p + strlen(p) - 2, "/.")) ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/.."))) {
		free(p);
		*why = "a request path that is not clean";
		return -1;
	}
	if (p[1] == 'v') {
		const char *s = p + 2;
		size_t n = strspn(s, "0123456789.");
		if (n > 0 && s[n] == '/') {
			char ver[32] = {0};
			if (n < sizeof(ver)) {
				memcpy(ver, s, n);
				if (sscanf(ver, "%d.%d", &rt->ver_major, &rt->ver_minor) != 2) {
					rt->ver_major = 0;
					rt->ver_minor = 0;
				}
			} else {
				rt->ver_major = 0;
			}
			memmove(p, s + n, strlen(s + n) + 1);
		}
	}
	rt->path = p;
	rt->query = q ? ib_xstrdup(q + 1) : NULL;
	return 0;
}

/* Every value of query parameter `key` (decoded like Go's url.ParseQuery,
 * but also splitting on ';'): calls fn for each; stops early when fn
 * returns true. -1 on a malformed escape. */
static int query_values(const char *query, const char *key, bool (*fn)(const char *v, void *d),
			void *data)
{
	const char *p = query;

	while (p && *p) {
		size_t n = strcspn(p, "&;");
		const char *eq = memchr(p, '=', n);
		size_t kl = eq ? (size_t)(eq - p) : n;
		_cleanup_free_ char *k = ib_authz_unescape(p, kl, true);
		_cleanup_free_ char *v =
		    eq ? ib_authz_unescape(eq + 1, n - kl - 1, true) : ib_xstrdup("");
		if (!k || !v)
			return -1;
		if (!strcmp(k, key) && fn(v, data))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

static bool is_host(const char *v, void *d)
{
	(void)d;
	return !strcmp(v, "host");
}

/* Media type of a Content-Type header value, lower-cased (malloc'd). */
static char *media_type(const char *ct)
{
	size_t n;
	char *m;

	if (!ct)
		return ib_xstrdup("");
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	m = ib_xmalloc0(n + 1);
	for (size_t i = 0; i < n; i++)
		m[i] = (char)(ct[i] >= 'A' && ct[i] <= 'Z' ? ct[i] + 32 : ct[i]);
	return m;
}

static void need_default_ironbox(const struct ib_authz_policy *pol, const struct ib_authz_env *env,
				 const char *what, struct ib_authz_decision *out)
{
	ib_err err = {0};
	_cleanup_free_ char *def = env->default_runtime(env->data, &err);

	if (!def) {
		decide(out, false, "%s: can't tell the daemon's default runtime (%s) " POLICY_TAIL,
		       what, err.msg, pol->policy_path);
		return;
	}
	if (strcmp(def, pol->runtime) != 0) {
		decide(out, false,
		       "%s would run under the daemon's default runtime \"%s\", not %s; set "
		       "\"default-runtime\": \"%s\" in daemon.json (ironbox install "
		       "does) " POLICY_TAIL,
		       what, def, pol->runtime, pol->runtime, pol->policy_path);
		return;
	}
	allow(out);
}

static void check_create(const struct ib_authz_policy *pol, const struct ib_authz_req *req,
			 const struct ib_authz_env *env, struct ib_authz_decision *out)
{
	static const char *const p_hc[] = {"HostConfig", NULL};
	static const char *const p_rt[] = {"HostConfig", "Runtime", NULL};
	struct ib_gojson_watch w[] = {{.path = p_hc}, {.path = p_rt}};
	ib_err err = {0};

	if (!req->body) {
		decide(out, false,
		       "the body of this container create request was not passed to the plugin "
		       "(Content-Type not application/json, or 1 MiB or larger), so its runtime "
		       "can't be checked " POLICY_TAIL,
		       pol->policy_path);
		return;
	}
	if (ib_gojson_scan(req->body, req->body_len, w, IB_ARRAY_SIZE(w), &err) < 0) {
		decide(out, false, "can't read the container create request: %s " POLICY_TAIL,
		       err.msg, pol->policy_path);
		return;
	}
	if (w[0].count > 1 || w[1].count > 1) {
		decide(out, false,
		       "the container create request gives HostConfig or HostConfig.Runtime more "
		       "than once " POLICY_TAIL,
		       pol->policy_path);
		goto out;
	}
	if (w[0].count && w[0].type != IB_GOJSON_OBJECT && w[0].type != IB_GOJSON_NULL) {
		decide(out, false, "HostConfig is not an object " POLICY_TAIL, pol->policy_path);
		goto out;
	}
	if (w[1].count && w[1].type != IB_GOJSON_STRING && w[1].type != IB_GOJSON_NULL) {
		decide(out, false, "HostConfig.Runtime is not a string " POLICY_TAIL,
		       pol->policy_path);
		goto out;
	}
	if (w[1].type == IB_GOJSON_STRING && w[1].string[0]) {
		if (strcmp(w[1].string, pol->runtime) != 0)
			decide(out, false,
			       "runtime \"%.200s\" is not allowed, containers must run under %s "
			       "(--runtime=%s or no --runtime) " POLICY_TAIL,
			       w[1].string, pol->runtime, pol->runtime, pol->policy_path);
		else
			allow(out);
		goto out;
	}
	need_default_ironbox(pol, env, "the container", out);
out:
	ib_gojson_watch_clear(w, IB_ARRAY_SIZE(w));
}

static void check_ref(const struct ib_authz_policy *pol, const struct ib_authz_env *env,
		      const char *ref, const char *action, struct ib_authz_decision *out)
{
	ib_err err = {0};
	_cleanup_free_ char *who = NULL;
	int r;

	if (!*ref) {
		decide(out, false, "no container named in the request " POLICY_TAIL,
		       pol->policy_path);
		return;
	}
	r = env->ref_unprotected(env->data, ref, &who, &err);
	if (r < 0) {
		decide(out, false, "can't check container \"%.200s\" (%s) " POLICY_TAIL, ref,
		       err.msg, pol->policy_path);
	} else if (r > 0) {
		decide(
		    out, false,
		    "can't %s \"%.200s\": container %s, not %s; it was created before ironbox was "
		    "enforced and is not protected: remove it and create it again (`ironbox "
		    "audit` lists such containers) " POLICY_TAIL,
		    action, ref, who ? who : "?", pol->runtime, pol->policy_path);
	} else {
		allow(out);
	}
}

static void check_buildkit(const struct ib_authz_policy *pol, const struct ib_authz_env *env,
			   const char *what, struct ib_authz_decision *out)
{
	ib_err err = {0};
	_cleanup_free_ char *why = NULL;
	int r = env->buildkit_ironbox(env->data, &why, &err);

	if (r < 0)
		decide(out, false, "%s: can't tell what BuildKit's executor runs (%s) " POLICY_TAIL,
		       what, err.msg, pol->policy_path);
	else if (r == 0)
		decide(out, false,
		       "%s: BuildKit's executor would not run ironbox (%s); start dockerd with "
		       "ironbox's runc directory first in its PATH (see `ironbox "
		       "install`) " POLICY_TAIL,
		       what, why ? why : "?", pol->policy_path);
	else
		allow(out);
}

static void check_build(const struct ib_authz_policy *pol, const struct ib_authz_req *req,
			const struct route *rt, const struct ib_authz_env *env,
			struct ib_authz_decision *out)
{
	_cleanup_free_ char *mt = media_type(req->content_type);
	int r = rt->query ? query_values(rt->query, "networkmode", is_host, NULL) : 0;

	if (r < 0) {
		decide(out, false, "malformed build parameters " POLICY_TAIL, pol->policy_path);
		return;
	}
	if (r > 0) {
		decide(out, false,
		       "docker build --network=host is not allowed: build containers must not use "
		       "the host's network " POLICY_TAIL,
		       pol->policy_path);
		return;
	}
	if (!strcmp(mt, "application/x-www-form-urlencoded") ||
	    !strcmp(mt, "multipart/form-data")) {
		decide(out, false,
		       "build parameters in a form body are not visible to the plugin " POLICY_TAIL,
		       pol->policy_path);
		return;
	}
	/* Which builder runs is a parameter the daemon may also read from a
	 * form body: both must run under ironbox. */
	need_default_ironbox(pol, env, "the build's containers (classic builder)", out);
	if (!out->allow)
		return;
	check_buildkit(pol, env, "docker build", out);
}

static void check_service(const struct ib_authz_policy *pol, const struct ib_authz_req *req,
			  const struct ib_authz_env *env, struct ib_authz_decision *out)
{
	static const char *const p_ps[] = {"TaskTemplate", "PluginSpec", NULL};
	static const char *const p_rt[] = {"TaskTemplate", "Runtime", NULL};
	struct ib_gojson_watch w[] = {{.path = p_ps}, {.path = p_rt}};
	ib_err err = {0};

	if (!req->body) {
		decide(out, false,
		       "the body of this service request was not passed to the plugin " POLICY_TAIL,
		       pol->policy_path);
		return;
	}
	if (ib_gojson_scan(req->body, req->body_len, w, IB_ARRAY_SIZE(w), &err) < 0) {
		decide(out, false, "can't read the service request: %s " POLICY_TAIL, err.msg,
		       pol->policy_path);
		return;
	}
	if (w[0].count > 1 || w[1].count > 1 || (w[0].count && w[0].type != IB_GOJSON_NULL) ||
	    (w[1].count && w[1].type != IB_GOJSON_NULL &&
	     (w[1].type != IB_GOJSON_STRING ||
	      (w[1].string[0] && strcmp(w[1].string, "container") != 0)))) {
		decide(out, false, "services may only run containers (no plugins) " POLICY_TAIL,
		       pol->policy_path);
		goto out;
	}
	need_default_ironbox(pol, env, "the service's containers", out);
out:
	ib_gojson_watch_clear(w, IB_ARRAY_SIZE(w));
}

/* "/containers/<ref>/<action>" (ref may contain '/', like dockerd's
 * {name:.*}): ref and action (malloc'd) or false. */
static bool split_ref(const char *path, const char *prefix, char **ref, char **action)
{
	size_t pl = strlen(prefix);
	const char *rest, *slash;

	free(*ref);
	free(*action);
	*ref = *action = NULL;
	if (strncmp(path, prefix, pl) != 0)
		return false;
	rest = path + pl;
	slash = strrchr(rest, '/');
	if (!slash)
		return false;
	*ref = strndup(rest, (size_t)(slash - rest));
	*action = ib_xstrdup(slash + 1);
	if (!*ref)
		abort();
	return true;
}

void ib_authz_decide(const struct ib_authz_policy *pol, const struct ib_authz_req *req,
		     const struct ib_authz_env *env, struct ib_authz_decision *out)
{
	struct route rt;
	const char *why = NULL;
	_cleanup_free_ char *ref = NULL, *action = NULL;
	bool post, get;

	if (!pol->enforce) {
		allow(out);
		return;
	}
	if (!req->method || !req->uri) {
		decide(out, false, "malformed request " POLICY_TAIL, pol->policy_path);
		return;
	}
	if (parse_route(req->uri, &rt, &why) < 0) {
		decide(out, false, "refused: %s " POLICY_TAIL, why, pol->policy_path);
		return;
	}
	post = !strcmp(req->method, "POST");
	get = !strcmp(req->method, "GET");
	allow(out);
	if (post && !strcmp(rt.path, "/containers/create")) {
		check_create(pol, req, env, out);
	} else if (post && split_ref(rt.path, "/containers/", &ref, &action) &&
		   (!strcmp(action, "start") || !strcmp(action, "restart") ||
		    !strcmp(action, "unpause") || !strcmp(action, "attach") ||
		    !strcmp(action, "exec") || !strcmp(action, "update") ||
		    !strcmp(action, "rename"))) {
		if (!strcmp(action, "start") && rt.ver_major >= 0 &&
		    (rt.ver_major < 1 || (rt.ver_major == 1 && rt.ver_minor < 24)))
			decide(out, false,
			       "starting a container with API version < 1.24 (which may carry a "
			       "host configuration) is not allowed " POLICY_TAIL,
			       pol->policy_path);
		else
			check_ref(pol, env, ref, action, out);
	} else if (get && split_ref(rt.path, "/containers/", &ref, &action) &&
		   !strcmp(action, "ws") && strlen(ref) > 7 &&
		   !strcmp(ref + strlen(ref) - 7, "/attach")) {
		ref[strlen(ref) - 7] = '\0';
		check_ref(pol, env, ref, "attach to", out);
	} else if (post && split_ref(rt.path, "/exec/", &ref, &action) &&
		   !strcmp(action, "start")) {
		ib_err err = {0};
		_cleanup_free_ char *who = NULL;
		int r = env->exec_unprotected(env->data, ref, &who, &err);
		if (r < 0)
			decide(out, false, "can't check exec instance %.100s (%s) " POLICY_TAIL,
			       ref, err.msg, pol->policy_path);
		else if (r > 0)
			decide(
			    out, false,
			    "can't start an exec in container %s, not %s (created before ironbox "
			    "was enforced) " POLICY_TAIL,
			    who ? who : "?", pol->runtime, pol->policy_path);
	} else if (post && !strcmp(rt.path, "/build")) {
		check_build(pol, req, &rt, env, out);
	} else if (post && !strcmp(rt.path, "/grpc")) {
		check_buildkit(pol, env, "BuildKit (buildx) requests", out);
	} else if (post &&
		   (!strcmp(rt.path, "/plugins/pull") || !strcmp(rt.path, "/plugins/create") ||
		    (split_ref(rt.path, "/plugins/", &ref, &action) &&
		     (!strcmp(action, "enable") || !strcmp(action, "upgrade") ||
		      !strcmp(action, "set"))))) {
		decide(out, false,
		       "managed plugins run outside ironbox with the privileges they ask for; "
		       "installing, enabling or configuring them is not allowed " POLICY_TAIL,
		       pol->policy_path);
	} else if (post && (!strcmp(rt.path, "/services/create") ||
			    (split_ref(rt.path, "/services/", &ref, &action) &&
			     !strcmp(action, "update")))) {
		check_service(pol, req, env, out);
	}
	route_clear(&rt);
}

char *ib_authz_response_json(const struct ib_authz_decision *d)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "Allow", json_object_new_boolean(d->allow));
	json_object_object_add(o, "Msg", json_object_new_string(d->allow ? "" : d->msg));
	s = ib_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}
