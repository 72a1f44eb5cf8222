/* `ironbox audit`: every container of the local engines that does not run
 * under ironbox (Docker over its API, containerd through `ctr`, Podman
 * through `podman`), with how to recreate it. */
#ifndef IRONBOX_AUTHZ_AUDIT_H
#define IRONBOX_AUTHZ_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"

struct ib_audit_opts {
	const char *docker_host;	/* NULL: default socket if present; "none": skip */
	const char *containerd_address; /* NULL: default socket if present; "none": skip */
	const char *podman;		/* NULL: skip; else the podman binary */
	char **podman_args;		/* extra global args for podman (NULL-terminated) */
	const char *runtime;		/* "ironbox" */
	const char *ironbox_path;	/* binary identifying ironbox in containerd options */
	bool quiet;			/* IDs only */
};

/* Print the report to out. Returns the number of unprotected containers,
 * or -1 (err) when an engine that was asked for explicitly can't be read. */
int ib_audit(const struct ib_audit_opts *o, FILE *out, ib_err *err);

/* The BinaryName (field 6) of a containerd runc Options protobuf message,
 * malloc'd; "" when absent; NULL when the bytes are not a valid message. */
char *ib_audit_runc_binary(const unsigned char *buf, size_t len);

#endif
