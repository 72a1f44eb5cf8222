/* What the authorization plugin and `ironbox audit` ask the local Docker
 * engine: the default runtime, each container's runtime, and what
 * BuildKit's executor would run. */
#ifndef IRONBOX_AUTHZ_ENGINE_H
#define IRONBOX_AUTHZ_ENGINE_H

#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "authz/authz.h"
#include "authz/docker_client.h"

struct ib_engine {
	struct ib_docker docker;
	char *runtime; /* the protected runtime name ("ironbox") */
	pthread_mutex_t lock;
	/* container ID -> runtime; a container's runtime never changes */
	struct ib_engine_rt {
		char *id;
		char *runtime;
	} * cache;
	size_t ncache;
};

int ib_engine_init(struct ib_engine *e, const char *docker_host, const char *runtime, ib_err *err);
void ib_engine_clear(struct ib_engine *e);

/* Runtime name of container id (full ID or any reference dockerd
 * resolves), malloc'd; NULL + err (e.g. no such container). */
char *ib_engine_container_runtime(struct ib_engine *e, const char *id, ib_err *err);

/* Every container (GET /containers/json?all=1), or NULL + err. */
struct json_object *ib_engine_list(struct ib_engine *e, ib_err *err);

/* Where the first `runc` in PATH (the value of dockerd's PATH) resolves
 * inside the root of process pid: 1 found (*st filled, *where malloc'd),
 * 0 not found, -1 error/refusal (*where explains). */
int ib_engine_lookpath(pid_t pid, const char *path_env, const char *file, struct stat *st,
		       char **where, ib_err *err);

/* Per request: the engine and the peer (dockerd) pid for BuildKit checks. */
struct ib_engine_req {
	struct ib_engine *engine;
	pid_t peer;
};
/* Fill env with callbacks answering from the engine; env->data = r. */
void ib_engine_env(struct ib_engine_req *r, struct ib_authz_env *env);

#endif
