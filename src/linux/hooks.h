/* OCI hooks: fork+exec each hook with the container state JSON on stdin,
 * its own args/env (no env: the runtime's, like runc), a working directory,
 * and a timeout (SIGKILL on expiry). */
#ifndef IRONBOX_HOOKS_H
#define IRONBOX_HOOKS_H

#include <stddef.h>

#include "common/err.h"
#include "spec/spec.h"

/* Run hooks in order, each in the directory cwd_fd (the bundle, from
 * ib_hooks_open_dir; -1: ours); stop at the first failure (non-zero exit,
 * signal, timeout, or cwd refused) with an error naming the hook kind and
 * path. */
int ib_hooks_run(const char *kind, const struct ib_hook *hooks, size_t n, const char *state_json,
		 int cwd_fd, ib_err *err);

/* Run every hook; a failing one is a warning and the others still run
 * (poststart and poststop, runtime spec). */
void ib_hooks_run_warn(const char *kind, const struct ib_hook *hooks, size_t n,
		       const char *state_json, int cwd_fd);
/* O_PATH fd of the bundle directory for the hooks' cwd, or -1. */
int ib_hooks_open_dir(const char *bundle);

#endif
