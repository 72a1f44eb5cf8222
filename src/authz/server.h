/* The Docker authorization plugin server (see server.c). */
#ifndef IRONBOX_AUTHZ_SERVER_H
#define IRONBOX_AUTHZ_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define IB_AUTHZ_DEFAULT_SOCKET "/run/docker/plugins/ironbox-authz.sock"

struct ib_plugin_opts {
	const char *socket_path;
	const char *policy_path;
	const char *docker_host;
	const char *runtime;
	size_t max_request; /* bytes of an AuthZReq envelope kept */
	int log_fd;	    /* -1: stderr */
	int ready_fd;	    /* -1, or written "ready\n" and closed once listening */
	bool debug;	    /* log allowed requests too */
};

/* Serve until SIGTERM/SIGINT. */
int ib_plugin_run(const struct ib_plugin_opts *o, ib_err *err);

#endif
