/* The Docker authorization plugin's decisions (DESIGN.md behaviour 9),
 * separated from the HTTP server and the Docker API client so they can be
 * unit-tested: a request (method, URI, body as dockerd forwards it) and a
 * few questions about the engine (asked through ib_authz_env) give allow or
 * deny with a reason.
 *
 * Protocol (https://docs.docker.com/engine/extend/plugins_authorization/):
 * dockerd POSTs /AuthZPlugin.AuthZReq with
 *   {"User": "", "RequestMethod": "POST", "RequestURI": "/v1.41/containers/create",
 *    "RequestBody": "<base64 of the API request body>", "RequestHeaders": {...}}
 * and expects {"Allow": bool, "Msg": "...", "Err": ""}. A denial reaches the
 * client as "Error response from daemon: authorization denied by plugin
 * ironbox-authz: <Msg>". dockerd only forwards a body whose Content-Type is
 * application/json and that is shorter than 1 MiB; a request whose body
 * matters but was not forwarded is refused. */
#ifndef IRONBOX_AUTHZ_H
#define IRONBOX_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define IB_AUTHZ_PLUGIN_NAME "ironbox-authz"
#define IB_AUTHZ_RUNTIME "ironbox"

/* A request as dockerd forwarded it. */
struct ib_authz_req {
	char *method;
	char *uri;
	unsigned char *body; /* decoded RequestBody; NULL when not forwarded */
	size_t body_len;
	char *content_type; /* RequestHeaders["Content-Type"] or NULL */
};
void ib_authz_req_clear(struct ib_authz_req *r);

/* Parse the AuthZReq envelope (JSON text of len bytes). -1 + err when it
 * is not what dockerd sends. */
int ib_authz_parse_envelope(const char *json, size_t len, struct ib_authz_req *out, ib_err *err);

/* Questions about the engine, answered by the plugin from the Docker API
 * (or by a unit test). Each returns -1 with err set when it cannot tell
 * (the request is then refused). */
struct ib_authz_env {
	void *data;
	/* The daemon's default runtime name (malloc'd). */
	char *(*default_runtime)(void *data, ib_err *err);
	/* Can reference `ref` (container ID, ID prefix or name, as the
	 * request names it) designate a container that does not run under
	 * ironbox? 1 yes (*who = "name (ID x) runs under runtime y", malloc'd),
	 * 0 no. */
	int (*ref_unprotected)(void *data, const char *ref, char **who, ib_err *err);
	/* Same for the container of exec instance id. */
	int (*exec_unprotected)(void *data, const char *exec_id, char **who, ib_err *err);
	/* Does dockerd's BuildKit executor run ironbox? (It runs "runc" from
	 * dockerd's PATH.) 1 yes, 0 no (*why malloc'd). */
	int (*buildkit_ironbox)(void *data, char **why, ib_err *err);
};

struct ib_authz_policy {
	bool enforce;
	const char *policy_path; /* named in messages */
	const char *runtime;	 /* the only allowed runtime name (IB_AUTHZ_RUNTIME) */
};

struct ib_authz_decision {
	bool allow;
	char msg[1536];
};

/* Decide on req. Never fails: anything it cannot tell is a denial. */
void ib_authz_decide(const struct ib_authz_policy *pol, const struct ib_authz_req *req,
		     const struct ib_authz_env *env, struct ib_authz_decision *out);

/* Response body for a decision: {"Allow":..,"Msg":..} (malloc'd). */
char *ib_authz_response_json(const struct ib_authz_decision *d);

/* URI helpers (exposed for tests). Percent-decode s (len bytes) into a
 * malloc'd string; NULL on a bad escape or a NUL byte. plus: '+' means ' '
 * (query strings). */
char *ib_authz_unescape(const char *s, size_t len, bool plus);

#endif
