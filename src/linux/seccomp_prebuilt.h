/* ironbox's own seccomp filter (notify_rules.h) compiled at build time.
 *
 * The filter depends only on the rule table and the architecture, yet
 * building it with libseccomp cost ~1 ms of CPU per container. So the build
 * runs tools/gen_seccomp_filter (linked with this library) and links its
 * output into the runtime binary; builds without it (unit tests, the
 * generator itself) find ib_seccomp_prebuilt undefined and build the filter
 * at run time, as before. test_seccomp_prebuilt checks both are the same. */
#ifndef IRONBOX_SECCOMP_PREBUILT_H
#define IRONBOX_SECCOMP_PREBUILT_H

#include <linux/filter.h>

#include "common/err.h"

struct ib_seccomp_prebuilt {
	unsigned short n_prog, n_quiet;
	const struct sock_filter *prog;	 /* with SCMP_ACT_NOTIFY: the supervised filter */
	const struct sock_filter *quiet; /* without a listener: errno answers only */
};

extern const struct ib_seccomp_prebuilt ib_seccomp_prebuilt __attribute__((weak));

/* Build both now with libseccomp (malloc'd programs). */
int ib_seccomp_build_supervised_all(struct sock_fprog *prog, struct sock_fprog *quiet, ib_err *err);

#endif
