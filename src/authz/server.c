/* The Docker authorization plugin server: libmicrohttpd on a unix socket
 * the plugin binds itself (dockerd finds it as
 * /run/docker/plugins/ironbox-authz.sock), one thread per connection
 * (answering a request may need the Docker API, whose requests come back
 * here for authorization). Fails closed: an unreadable policy, a request it
 * cannot parse or that is too large gets a denial; it never exits on bad
 * input. */
#include "authz/server.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "authz/authz.h"
#include "authz/engine.h"
#include "common/util.h"
#include "policy/policy.h"

#define CT_PLUGIN "application/vnd.docker.plugins.v1.2+json"

enum kind { K_OTHER, K_ACTIVATE, K_REQ, K_RES };

struct request {
	enum kind kind;
	char *buf;
	size_t len;
	bool overflow;
};

struct server {
	const struct ib_plugin_opts *o;
	struct ib_engine engine;
	int log_fd;
	pthread_mutex_t log_lock;
};

static void plog(struct server *s, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plog(struct server *s, const char *level, const char *fmt, ...)
{
	char msg[4096], ts[64];
	struct timespec now;
	struct tm tm;
	va_list ap;
	struct json_object *o;
	const char *line;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
	pthread_mutex_lock(&s->log_lock);
	(void)!ib_write_all(s->log_fd, line, strlen(line));
	(void)!ib_write_all(s->log_fd, "\n", 1);
	pthread_mutex_unlock(&s->log_lock);
	json_object_put(o);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_PLUGIN);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static pid_t peer_pid(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	return cred.pid;
}

static enum MHD_Result answer_authz(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	struct ib_authz_decision d = {0};
	struct ib_authz_req req = {0};
	struct ib_authz_policy pol = {.policy_path = s->o->policy_path,
				      .runtime = s->engine.runtime};
	ib_err err = {0};
	struct ib_policy *p = NULL;
	_cleanup_free_ char *resp = NULL;

	if (rq->overflow) {
		snprintf(
		    d.msg, sizeof(d.msg),
		    "the authorization request is larger than %zu bytes; refused (admin policy "
		    "%s)",
		    s->o->max_request, s->o->policy_path);
		plog(s, "warning", "denied an oversized request: %s", d.msg);
		goto send;
	}
	if (ib_authz_parse_envelope(rq->buf ? rq->buf : "", rq->len, &req, &err) < 0) {
		snprintf(d.msg, sizeof(d.msg), "%s; refused (admin policy %s)", err.msg,
			 s->o->policy_path);
		plog(s, "warning", "denied: %s", err.msg);
		goto send;
	}
	p = ib_policy_load(s->o->policy_path, &err);
	if (!p) {
		snprintf(d.msg, sizeof(d.msg),
			 "the admin policy can't be read (%s); every request is refused", err.msg);
		plog(s, "error", "%s %s denied: %s", req.method, req.uri, d.msg);
		goto send;
	}
	pol.enforce = p->enforce;
	{
		struct ib_engine_req er = {.engine = &s->engine, .peer = peer_pid(c)};
		struct ib_authz_env env;
		ib_engine_env(&er, &env);
		ib_authz_decide(&pol, &req, &env, &d);
	}
	if (!d.allow)
		plog(s, "info", "%s %s denied: %s", req.method, req.uri, d.msg);
	else if (s->o->debug)
		plog(s, "debug", "%s %s allowed", req.method, req.uri);
send:
	resp = ib_authz_response_json(&d);
	ib_policy_free(p);
	ib_authz_req_clear(&req);
	return reply(c, MHD_HTTP_OK, resp);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	(void)version;
	if (!rq) {
		rq = ib_xmalloc0(sizeof(*rq));
		if (strcmp(method, "POST") != 0)
			rq->kind = K_OTHER;
		else if (!strcmp(url, "/Plugin.Activate"))
			rq->kind = K_ACTIVATE;
		else if (!strcmp(url, "/AuthZPlugin.AuthZReq"))
			rq->kind = K_REQ;
		else if (!strcmp(url, "/AuthZPlugin.AuthZRes"))
			rq->kind = K_RES;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Only AuthZReq bodies are kept (bounded); the rest is read and
		 * dropped. */
		if (rq->kind == K_REQ && !rq->overflow) {
			if (rq->len + *upload_data_size > s->o->max_request) {
				rq->overflow = true;
				free(rq->buf);
				rq->buf = NULL;
				rq->len = 0;
			} else {
				rq->buf = ib_xrealloc(rq->buf, rq->len + *upload_data_size + 1);
				memcpy(rq->buf + rq->len, upload_data, *upload_data_size);
				rq->len += *upload_data_size;
				rq->buf[rq->len] = '\0';
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	switch (rq->kind) {
	case K_ACTIVATE:
		plog(s, "info", "activated by pid %d", (int)peer_pid(c));
		return reply(c, MHD_HTTP_OK, "{\"Implements\":[\"authz\"]}");
	case K_REQ:
		return answer_authz(s, c, rq);
	case K_RES:
		/* Responses are not filtered. */
		return reply(c, MHD_HTTP_OK, "{\"Allow\":true}");
	default:
		return reply(c, MHD_HTTP_NOT_FOUND, "{\"Err\":\"not found\"}");
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		free(rq->buf);
		free(rq);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	plog(cls, "warning", "libmicrohttpd: %s", msg);
}

/* Bind the socket; a stale socket file (nobody listening) is replaced, a
 * live one is an error. */
static int bind_socket(const char *path, ib_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ib_err_set(err, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		_cleanup_close_ int probe = -1;
		if (!S_ISSOCK(st.st_mode))
			return ib_err_set(err, EEXIST, "%s exists and is not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return ib_err_set(err, EADDRINUSE, "a plugin already listens on %s", path);
		if (unlink(path) < 0)
			return ib_err_sys(err, "unlink stale socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ib_err_sys(err, "socket");
	{
		mode_t old = umask(0077);
		int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (r < 0)
			return ib_err_sys(err, "bind %s", path);
	}
	if (listen(fd, 128) < 0)
		return ib_err_sys(err, "listen %s", path);
	return IB_STEAL_FD(fd);
}

int ib_plugin_run(const struct ib_plugin_opts *o, ib_err *err)
{
	struct server s = {.o = o, .log_fd = o->log_fd >= 0 ? o->log_fd : STDERR_FILENO};
	struct MHD_Daemon *d;
	_cleanup_free_ char *dir = NULL;
	sigset_t set;
	int fd, sig;
	struct stat st;

	pthread_mutex_init(&s.log_lock, NULL);
	if (ib_engine_init(&s.engine, o->docker_host, o->runtime, err) < 0)
		return -1;
	dir = ib_xstrdup(o->socket_path);
	if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
		*strrchr(dir, '/') = '\0';
		if (ib_mkdir_p(dir, 0700, err) < 0)
			goto fail;
	}
	/* Signals are taken by sigwait below, never by the server threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = bind_socket(o->socket_path, err);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) < 0 || lstat(o->socket_path, &st) < 0) {
		ib_err_sys(err, "stat %s", o->socket_path);
		close(fd);
		goto fail;
	}
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_ERROR_LOG,
			     0, NULL, NULL, handler, &s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &s,
			     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, completed,
			     &s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)128,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!d) {
		ib_err_set(err, EIO, "libmicrohttpd could not start on %s", o->socket_path);
		close(fd);
		unlink(o->socket_path);
		goto fail;
	}
	plog(&s, "info", "ironbox-authz listening on %s (policy %s, Docker API %s)", o->socket_path,
	     o->policy_path, s.engine.docker.sock);
	if (o->ready_fd >= 0) {
		(void)!ib_write_all(o->ready_fd, "ready\n", 6);
		close(o->ready_fd);
	}
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP);
	plog(&s, "info", "stopping (signal %d)", sig);
	MHD_stop_daemon(d);
	close(fd);
	{
		struct stat now;
		/* Remove the socket only if it is still ours. */
		if (lstat(o->socket_path, &now) == 0 && now.st_ino == st.st_ino &&
		    now.st_dev == st.st_dev)
			unlink(o->socket_path);
	}
	ib_engine_clear(&s.engine);
	return 0;
fail:
	ib_engine_clear(&s.engine);
	return -1;
}
