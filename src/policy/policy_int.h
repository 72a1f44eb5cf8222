/* Internal to the policy module. */
#ifndef IRONBOX_POLICY_INT_H
#define IRONBOX_POLICY_INT_H

#include <stdbool.h>

#include "policy/policy.h"

/* Lexically normalized absolute path: "//" and "." dropped, ".." popped,
 * no trailing slash. `path` must be absolute. Returns malloc'd memory. */
char *ib_policy_normalize(const char *path);

/* Resolve a host path like realpath(3); for a path that does not exist, the
 * longest existing prefix is resolved and the rest is appended lexically.
 * Relative paths are taken against the current directory. */
char *ib_policy_resolve(const char *path);

/* The restricted entries to check against: the policy's entries, each also in
 * resolved form (symlinks such as /var/run -> /run), plus extra ones. */
struct ib_restricted_set {
	char **literal;	 /* what the admin wrote (reported in messages) */
	char **resolved; /* same index: resolved form */
	const struct ib_policy *policy;
};
void ib_restricted_set_init(struct ib_restricted_set *rs, const struct ib_policy *p,
			    const char *extra);
void ib_restricted_set_clear(struct ib_restricted_set *rs);
/* Is the resolved path restricted? which = matched literal entry. */
bool ib_restricted_set_match(const struct ib_restricted_set *rs, const char *resolved,
			     const char **which);
int ib_restricted_set_check_source(const struct ib_restricted_set *rs, const char *source,
				   ib_err *err);

/* A listening unix socket at or below resolved is served by a container
 * engine (found by scanning /proc/net/unix and the engines' fds). */
bool ib_policy_engine_socket_under(const char *resolved, char **found);
bool ib_policy_is_engine_name(const char *comm);

#endif
