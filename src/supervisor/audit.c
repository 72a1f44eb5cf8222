#include "supervisor/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/container.h"
#include "state/state.h"
#include "supervisor/supervisor.h"

static void add_str(struct json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

char *ib_audit_line(const struct ib_audit_entry *e)
{
	struct json_object *o = json_object_new_object();
	struct timespec ts;
	struct tm tm;
	char when[64];
	const char *ename = strerrorname_np(e->error);
	char *line;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	{
		_cleanup_free_ char *t = ib_xasprintf("%s.%09ldZ", when, ts.tv_nsec);
		add_str(o, "time", t);
	}
	add_str(o, "id", e->id);
	json_object_object_add(o, "pid", json_object_new_int(e->pid));
	json_object_object_add(o, "container_pid", json_object_new_int(e->container_pid));
	add_str(o, "syscall", e->syscall);
	if (e->args)
		json_object_object_add(o, "args", json_object_get(e->args));
	add_str(o, "target", e->target);
	add_str(o, "rule", e->rule);
	add_str(o, "reason", e->reason);
	if (ename)
		add_str(o, "errno", ename);
	else
		json_object_object_add(o, "errno", json_object_new_int(e->error));
	line =
	    ib_xasprintf("%s\n", json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

bool ib_audit_write(int fd, const struct ib_audit_entry *e)
{
	_cleanup_free_ char *line = NULL;
	struct stat st;
	size_t len;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size >= IB_AUDIT_MAX_BYTES)
		return false;
	line = ib_audit_line(e);
	len = strlen(line);
	/* One write: O_APPEND keeps concurrent lines whole. */
	return write(fd, line, len) == (ssize_t)len;
}

int ib_audit_sink_open(int *writer, ib_err *err)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		return ib_err_sys(err, "audit socketpair");
	*writer = sp[1];
	return sp[0];
}

void ib_audit_sink_drain(int sink, int state_dirfd, uint64_t *dropped)
{
	static int log_fd = -1;
	static char buf[64 * 1024];

	for (;;) {
		ssize_t n = recv(sink, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		struct stat st;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (log_fd < 0)
			log_fd =
			    openat(state_dirfd, IB_AUDIT_FILE,
				   O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* A line longer than the buffer was cut: dropped, not written
		 * half. */
		if (log_fd < 0 || (size_t)n > sizeof(buf) || fstat(log_fd, &st) < 0 ||
		    st.st_size >= IB_AUDIT_MAX_BYTES || write(log_fd, buf, (size_t)n) != n) {
			if (dropped)
				__atomic_add_fetch(dropped, 1, __ATOMIC_RELAXED);
		}
	}
}

int ib_container_audit(const struct ib_global_opts *g, const char *id, bool stats, char **out,
		       ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_free_ char *dir = NULL, *path = NULL;

	if (ib_state_check_id(id, err) < 0)
		return -1;
	if (!ib_state_exists(root, id))
		return ib_err_set(err, ENOENT, "container \"%s\" does not exist", id);
	dir = ib_state_path(root, id, NULL);
	if (stats)
		return ib_supervisor_stats(dir, out, err);
	/* A running supervisor appends what it was sent before it answers:
	 * every call denied before now is then in the log. */
	{
		_cleanup_free_ char *ignored = NULL;
		ib_err e = {0};

		(void)ib_supervisor_stats(dir, &ignored, &e);
	}
	path = ib_state_path(root, id, IB_AUDIT_FILE);
	if (ib_read_file_at(AT_FDCWD, path, out, NULL, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		ib_err_clear(err);
		*out = ib_xstrdup("");
	}
	return 0;
}
