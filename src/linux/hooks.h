/* OCI hooks: fork+exec each hook with the container state JSON on stdin,
 * its own args/env, and a timeout (SIGKILL on expiry). */
#ifndef IRONBOX_HOOKS_H
#define IRONBOX_HOOKS_H

#include <stddef.h>

#include "common/err.h"
#include "spec/spec.h"

/* Run hooks in order; stop at the first failure (non-zero exit, signal or timeout)
 * with an error naming the hook kind and path. */
int ib_hooks_run(const char *kind, const struct ib_hook *hooks, size_t n, const char *state_json,
		 ib_err *err);

#endif
