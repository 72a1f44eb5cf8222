/* A small Docker Engine API client over the daemon's unix socket (libcurl,
 * CURLOPT_UNIX_SOCKET_PATH; JSON with json-c). Used by the authorization
 * plugin (to look containers up) and by `ironbox audit`. */
#ifndef IRONBOX_AUTHZ_DOCKER_CLIENT_H
#define IRONBOX_AUTHZ_DOCKER_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/err.h"

#define IB_DOCKER_DEFAULT_HOST "unix:///run/docker.sock"

struct ib_docker {
	char *sock;	 /* unix socket path */
	long timeout_ms; /* whole request */
};

/* host: "unix:///path" or an absolute path. Call curl_global_init first. */
int ib_docker_init(struct ib_docker *d, const char *host, ib_err *err);
void ib_docker_clear(struct ib_docker *d);

/* GET path (e.g. "/info"); the parsed JSON body, *status = HTTP status
 * (body parsed whatever the status; a non-JSON body gives NULL + err). */
struct json_object *ib_docker_get(const struct ib_docker *d, const char *path, long *status,
				  ib_err *err);

/* URL-escape one path segment (malloc'd). */
char *ib_docker_escape(const char *s);

/* The "message" of a Docker API error body, or "HTTP <status>". */
const char *ib_docker_errmsg(struct json_object *body, long status, char *buf, size_t len);

#endif
