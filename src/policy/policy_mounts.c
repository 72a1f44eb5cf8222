/* Restricted host mounts (DESIGN.md behaviour 4). A bind-mount source is
 * resolved like the kernel will resolve it, then refused when it is, is inside,
 * or contains a restricted entry -- unless it is an engine-owned per-container
 * file inside one (engineAllowed). Containing a restricted entry is never
 * allowed (`-v /etc:/x`, `-v /:/host`). */
#include "policy/policy.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "policy/policy_int.h"

char *ib_policy_resolve(const char *path)
{
	_cleanup_free_ char *full = NULL, *head = NULL, *tail = NULL;
	char *real;

	if (path[0] == '/') {
		full = ib_xstrdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		full = ib_xasprintf("%s/%s", cwd ? cwd : "/", path);
	}
	real = realpath(full, NULL);
	if (real)
		return real;

	/* Resolve the longest existing prefix, append the rest lexically. */
	head = ib_xstrdup(full);
	tail = ib_xstrdup("");
	for (;;) {
		char *slash = strrchr(head, '/');
		char *t;

		if (!slash || slash == head) {
			/* Only "/" is left. */
			t = ib_xasprintf("/%s", tail);
			free(tail);
			tail = t;
			return ib_policy_normalize(tail);
		}
		t = ib_xasprintf("%s%s%s", slash + 1, *tail ? "/" : "", tail);
		free(tail);
		tail = t;
		*slash = '\0';
		real = realpath(head, NULL);
		if (real) {
			_cleanup_free_ char *joined = ib_xasprintf("%s/%s", real, tail);
			free(real);
			return ib_policy_normalize(joined);
		}
	}
}

static bool path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return strcmp(path, "/") != 0;
	return !strncmp(path, dir, n) && path[n] == '/';
}

/* path is inside restricted entry r: does an engineAllowed pattern cover path
 * or one of its ancestors below r? */
static bool engine_allowed(char **patterns, const char *path, const char *r)
{
	size_t rlen = strcmp(r, "/") ? strlen(r) : 0;

	for (size_t i = 0; patterns && patterns[i]; i++) {
		const char *pat = patterns[i];
		bool abs = pat[0] == '/';
		_cleanup_free_ char *cand = ib_xstrdup(abs ? path : path + rlen + 1);
		size_t min = abs ? rlen : 0;

		for (;;) {
			char *slash;

			if (fnmatch(pat, cand, FNM_PATHNAME) == 0)
				return true;
			slash = strrchr(cand, '/');
			if (!slash || (size_t)(slash - cand) <= min)
				break;
			*slash = '\0';
		}
	}
	return false;
}

void ib_restricted_set_init(struct ib_restricted_set *rs, const struct ib_policy *p,
			    const char *extra)
{
	memset(rs, 0, sizeof(*rs));
	rs->policy = p;
	rs->literal = ib_xmalloc0(sizeof(char *));
	rs->resolved = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		_cleanup_free_ char *res = ib_policy_resolve(p->restricted_mounts[i]);
		ib_strv_push(&rs->literal, p->restricted_mounts[i]);
		ib_strv_push(&rs->resolved, res);
	}
	if (extra) {
		_cleanup_free_ char *res = ib_policy_resolve(extra);
		_cleanup_free_ char *lit = ib_policy_normalize(res);
		ib_strv_push(&rs->literal, lit);
		ib_strv_push(&rs->resolved, res);
	}
}

void ib_restricted_set_clear(struct ib_restricted_set *rs)
{
	ib_strv_free(rs->literal);
	ib_strv_free(rs->resolved);
	memset(rs, 0, sizeof(*rs));
}

static bool match_one(const struct ib_policy *p, const char *path, const char *r)
{
	if (!strcmp(path, r))
		return true;
	if (path_inside(path, r))
		return !engine_allowed(p->engine_allowed, path, r);
	/* path contains r: never allowed. */
	return path_inside(r, path);
}

bool ib_restricted_set_match(const struct ib_restricted_set *rs, const char *resolved,
			     const char **which)
{
	for (size_t i = 0; rs->literal[i]; i++) {
		if (match_one(rs->policy, resolved, rs->literal[i]) ||
		    (strcmp(rs->literal[i], rs->resolved[i]) &&
		     match_one(rs->policy, resolved, rs->resolved[i]))) {
			if (which)
				*which = rs->literal[i];
			return true;
		}
	}
	return false;
}

bool ib_policy_path_restricted(const struct ib_policy *p, const char *resolved, const char **which)
{
	_cleanup_free_ char *norm = ib_policy_normalize(resolved);

	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		if (match_one(p, norm, p->restricted_mounts[i])) {
			if (which)
				*which = p->restricted_mounts[i];
			return true;
		}
	}
	return false;
}

static bool engine_socket(const char *resolved)
{
	_cleanup_free_ char *sock = NULL;

	if (!ib_policy_engine_socket_under(resolved, &sock))
		return false;
	ib_debug("mount source %s holds the engine socket %s", resolved, sock);
	return true;
}

int ib_restricted_set_check_source(const struct ib_restricted_set *rs, const char *source,
				   ib_err *err)
{
	_cleanup_free_ char *resolved = NULL;
	const char *which = NULL;

	if (!source || !*source)
		return ib_err_set(err, EINVAL, "bind mount without a source");
	resolved = ib_policy_resolve(source);
	if (ib_restricted_set_match(rs, resolved, &which) || engine_socket(resolved)) {
		_cleanup_free_ char *shown = ib_xstrdup(source);
		size_t len = strlen(shown);

		ib_debug("mount source %s (resolved %s) is restricted by %s", source, resolved,
			 which ? which : "an engine socket");
		/* As the user wrote it, minus trailing slashes (Docker shows it so). */
		while (len > 1 && shown[len - 1] == '/')
			shown[--len] = '\0';
		return ib_err_set(err, EPERM,
				  "can't mount %s because it's configured as a restricted host "
				  "mount",
				  shown);
	}
	return 0;
}

int ib_policy_check_mount_source(const struct ib_policy *p, const char *source, ib_err *err)
{
	struct ib_restricted_set rs;
	int r;

	ib_restricted_set_init(&rs, p, NULL);
	r = ib_restricted_set_check_source(&rs, source, err);
	ib_restricted_set_clear(&rs);
	return r;
}
