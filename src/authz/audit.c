/* `ironbox audit` (see audit.h). */
#include "authz/audit.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <resolv.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authz/engine.h"
#include "common/util.h"

extern char **environ;

#define DEFAULT_CONTAINERD "/run/containerd/containerd.sock"

struct seen {
	char **ids;
};

static bool seen_has(struct seen *s, const char *id)
{
	for (size_t i = 0; s->ids && s->ids[i]; i++)
		if (!strcmp(s->ids[i], id))
			return true;
	return false;
}

static void seen_add(struct seen *s, const char *id)
{
	if (!s->ids)
		s->ids = ib_xmalloc0(sizeof(char *));
	ib_strv_push(&s->ids, id);
}

/* Run argv (PATH lookup), stdout captured (malloc'd), stderr dropped.
 * Returns the exit status (0-255), or -1 + err when it could not run. */
static int run_capture(char **argv, char **out, ib_err *err)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	pid_t pid;
	size_t cap = 4096, len = 0;
	char *buf;

	*out = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ib_err_sys(err, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		errno = r;
		return ib_err_sys(err, "run %s", argv[0]);
	}
	buf = ib_xmalloc0(cap);
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			if (cap >= (64u << 20))
				break;
			cap *= 2;
			buf = ib_xrealloc(buf, cap);
		}
		n = read(pipefd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

static void header(FILE *out, bool quiet, bool *printed)
{
	if (quiet || *printed)
		return;
	fprintf(out, "%-11s %-24s %-20s %-10s %-9s %s\n", "ENGINE", "CONTAINER", "NAME", "RUNTIME",
		"STATUS", "NOTE");
	*printed = true;
}

static int audit_docker(const struct ib_audit_opts *o, FILE *out, struct seen *seen, bool *printed,
			bool *restart_note, ib_err *err)
{
	const char *host = o->docker_host ? o->docker_host : IB_DOCKER_DEFAULT_HOST;
	struct ib_engine e;
	struct json_object *list;
	int n = 0;

	if (ib_engine_init(&e, host, o->runtime, err) < 0)
		return -1;
	if (!o->docker_host && access(e.docker.sock, F_OK) < 0) {
		ib_engine_clear(&e);
		return 0; /* no local Docker */
	}
	list = ib_engine_list(&e, err);
	if (!list) {
		ib_engine_clear(&e);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *c = json_object_array_get_idx(list, i), *doc, *hc;
		const char *id = jstr(c, "Id"), *rt, *name, *restart = NULL;
		_cleanup_free_ char *esc = NULL, *path = NULL;
		long status;

		if (!id)
			continue;
		seen_add(seen, id);
		esc = ib_docker_escape(id);
		path = ib_xasprintf("/containers/%s/json", esc);
		doc = ib_docker_get(&e.docker, path, &status, err);
		if (!doc || status != 200) {
			json_object_put(doc);
			if (status == 404) { /* removed meanwhile */
				ib_err_clear(err);
				continue;
			}
			if (!err->msg[0])
				ib_err_set(err, EIO, "inspect %s: HTTP %ld", id, status);
			n = -1;
			break;
		}
		hc = jobj(doc, "HostConfig");
		rt = jstr(hc, "Runtime");
		if (rt && !strcmp(rt, o->runtime)) {
			json_object_put(doc);
			continue;
		}
		name = jstr(doc, "Name");
		if (name && name[0] == '/')
			name++;
		restart = jstr(jobj(hc, "RestartPolicy"), "Name");
		if (restart && (!*restart || !strcmp(restart, "no")))
			restart = NULL;
		if (o->quiet) {
			fprintf(out, "%s\n", id);
		} else {
			_cleanup_free_ char *note =
			    restart
				? ib_xasprintf("restart policy \"%s\": dockerd starts it itself",
					       restart)
				: ib_xstrdup("");
			header(out, o->quiet, printed);
			fprintf(out, "%-11s %-24.12s %-20s %-10s %-9s %s\n", "docker", id,
				name ? name : "", rt ? rt : "?",
				jstr(jobj(doc, "State"), "Status")
				    ? jstr(jobj(doc, "State"), "Status")
				    : "?",
				note);
			if (restart)
				*restart_note = true;
		}
		n++;
		json_object_put(doc);
	}
	json_object_put(list);
	ib_engine_clear(&e);
	return n;
}

/* Protobuf wire format walk for one length-delimited field (6). */
char *ib_audit_runc_binary(const unsigned char *buf, size_t len)
{
	size_t i = 0;
	char *found = NULL;

	while (i < len) {
		uint64_t tag = 0, v = 0;
		int shift = 0;
		do {
			if (i >= len || shift > 63)
				goto bad;
			tag |= (uint64_t)(buf[i] & 0x7f) << shift;
			shift += 7;
		} while (buf[i++] & 0x80);
		unsigned field = (unsigned)(tag >> 3), wire = (unsigned)(tag & 7);
		if (field == 0)
			goto bad;
		switch (wire) {
		case 0:
			shift = 0;
			do {
				if (i >= len || shift > 63)
					goto bad;
				shift += 7;
			} while (buf[i++] & 0x80);
			break;
		case 1:
			if (len - i < 8)
				goto bad;
			i += 8;
			break;
		case 5:
			if (len - i < 4)
				goto bad;
			i += 4;
			break;
		case 2:
			shift = 0;
			v = 0;
			do {
				if (i >= len || shift > 63)
					goto bad;
				v |= (uint64_t)(buf[i] & 0x7f) << shift;
				shift += 7;
			} while (buf[i++] & 0x80);
			if (v > len - i)
				goto bad;
			if (field == 6) {
				free(found);
				found = strndup((const char *)buf + i, (size_t)v);
				if (!found || strlen(found) != v)
					goto bad;
			}
			i += (size_t)v;
			break;
		default:
			goto bad;
		}
	}
	return found ? found : ib_xstrdup("");
bad:
	free(found);
	return NULL;
}

static bool is_ironbox_binary(const struct ib_audit_opts *o, const char *bin)
{
	_cleanup_free_ char *copy = ib_xstrdup(bin);
	struct stat a, b;

	if (!*bin)
		return false;
	if (!strcmp(basename(copy), "ironbox"))
		return true;
	return o->ironbox_path && stat(bin, &a) == 0 && stat(o->ironbox_path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int audit_containerd(const struct ib_audit_opts *o, FILE *out, struct seen *seen,
			    bool *printed, ib_err *err)
{
	const char *addr = o->containerd_address ? o->containerd_address : DEFAULT_CONTAINERD;
	_cleanup_free_ char *nsout = NULL;
	char *a_ns[] = {"ctr", "-a", (char *)addr, "namespaces", "list", "-q", NULL};
	int n = 0, rc;

	if (access(addr, F_OK) < 0) {
		if (o->containerd_address)
			return ib_err_sys(err, "containerd socket %s", addr);
		return 0;
	}
	rc = run_capture(a_ns, &nsout, err);
	if (rc < 0)
		return o->containerd_address ? -1 : (ib_err_clear(err), 0);
	if (rc != 0) {
		if (!o->containerd_address)
			return 0;
		return ib_err_set(err, EIO, "ctr -a %s namespaces list: exit status %d", addr, rc);
	}
	for (char *save = NULL, *ns = strtok_r(nsout, "\n", &save); ns;
	     ns = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *cout = NULL;
		char *a_c[] = {"ctr",	     "-a",   (char *)addr, "-n", ns,
			       "containers", "list", "-q",	   NULL};

		if (run_capture(a_c, &cout, err) != 0)
			return ib_err_set(err, EIO, "ctr -n %s containers list failed", ns);
		for (char *s2 = NULL, *id = strtok_r(cout, "\n", &s2); id;
		     id = strtok_r(NULL, "\n", &s2)) {
			_cleanup_free_ char *info = NULL, *bin = NULL;
			char *a_i[] = {"ctr",	     "-a",   (char *)addr, "-n", ns,
				       "containers", "info", id,	   NULL};
			struct json_object *doc, *rt, *opts;
			const char *rname, *b64;

			if (seen_has(seen, id))
				continue; /* a Docker container, reported above */
			if (run_capture(a_i, &info, err) != 0)
				continue; /* removed meanwhile */
			doc = json_tokener_parse(info);
			rt = jobj(doc, "Runtime");
			rname = jstr(rt, "Name");
			opts = jobj(rt, "Options");
			b64 = jstr(opts, "value");
			if (rname && !strncmp(rname, "io.containerd.runc.", 19)) {
				if (b64 && *b64) {
					size_t cap = strlen(b64);
					_cleanup_free_ unsigned char *raw = ib_xmalloc0(cap + 4);
					int rl = b64_pton(b64, raw, cap + 4);
					bin =
					    rl >= 0 ? ib_audit_runc_binary(raw, (size_t)rl) : NULL;
				} else {
					bin = ib_xstrdup("");
				}
			}
			if (bin && is_ironbox_binary(o, bin)) {
				json_object_put(doc);
				continue;
			}
			if (o->quiet) {
				fprintf(out, "%s/%s\n", ns, id);
			} else {
				_cleanup_free_ char *cid = ib_xasprintf("%s/%s", ns, id);
				header(out, o->quiet, printed);
				fprintf(out, "%-11s %-24s %-20s %-10s %-9s %s\n", "containerd", cid,
					"-", bin ? (*bin ? bin : "runc") : (rname ? rname : "?"),
					"-", rname ? rname : "");
			}
			n++;
			json_object_put(doc);
		}
	}
	return n;
}

static int audit_podman(const struct ib_audit_opts *o, FILE *out, bool *printed, ib_err *err)
{
	_cleanup_strv_ char **argv = ib_xmalloc0(sizeof(char *));
	_cleanup_free_ char *ids = NULL, *js = NULL;
	struct json_object *arr;
	size_t base;
	int n = 0, rc;

	ib_strv_push(&argv, o->podman);
	for (size_t i = 0; o->podman_args && o->podman_args[i]; i++)
		ib_strv_push(&argv, o->podman_args[i]);
	base = ib_strv_len(argv);
	ib_strv_push(&argv, "ps");
	ib_strv_push(&argv, "-a");
	ib_strv_push(&argv, "-q");
	ib_strv_push(&argv, "--no-trunc");
	rc = run_capture(argv, &ids, err);
	if (rc != 0)
		return rc < 0 ? -1 : ib_err_set(err, EIO, "podman ps: exit status %d", rc);
	for (size_t i = ib_strv_len(argv); i > base; i--) {
		free(argv[i - 1]);
		argv[i - 1] = NULL;
	}
	ib_strv_push(&argv, "container");
	ib_strv_push(&argv, "inspect");
	size_t nids = 0;
	for (char *save = NULL, *id = strtok_r(ids, "\n", &save); id;
	     id = strtok_r(NULL, "\n", &save)) {
		ib_strv_push(&argv, id);
		nids++;
	}
	if (!nids)
		return 0;
	rc = run_capture(argv, &js, err);
	if (rc != 0)
		return rc < 0
			   ? -1
			   : ib_err_set(err, EIO, "podman container inspect: exit status %d", rc);
	arr = json_tokener_parse(js);
	if (!json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return ib_err_set(err, EIO, "podman container inspect: not a JSON array");
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *c = json_object_array_get_idx(arr, i);
		const char *id = jstr(c, "Id"), *rt = jstr(c, "OCIRuntime"),
			   *name = jstr(c, "Name");
		_cleanup_free_ char *copy = ib_xstrdup(rt ? rt : "");

		if (!id || (rt && !strcmp(basename(copy), o->runtime)))
			continue;
		if (o->quiet) {
			fprintf(out, "%s\n", id);
		} else {
			header(out, o->quiet, printed);
			fprintf(out, "%-11s %-24.12s %-20s %-10s %-9s %s\n", "podman", id,
				name ? name : "", rt ? rt : "?",
				jstr(jobj(c, "State"), "Status") ? jstr(jobj(c, "State"), "Status")
								 : "?",
				"");
		}
		n++;
	}
	json_object_put(arr);
	return n;
}

int ib_audit(const struct ib_audit_opts *o, FILE *out, ib_err *err)
{
	struct seen seen = {0};
	bool printed = false, restart_note = false;
	int total = 0, r, nd = 0, nc = 0, np = 0;

	if (!o->docker_host || strcmp(o->docker_host, "none") != 0) {
		r = audit_docker(o, out, &seen, &printed, &restart_note, err);
		if (r < 0)
			goto fail;
		nd = r;
	}
	if (!o->containerd_address || strcmp(o->containerd_address, "none") != 0) {
		r = audit_containerd(o, out, &seen, &printed, err);
		if (r < 0)
			goto fail;
		nc = r;
	}
	if (o->podman) {
		r = audit_podman(o, out, &printed, err);
		if (r < 0)
			goto fail;
		np = r;
	}
	total = nd + nc + np;
	ib_strv_free(seen.ids);
	if (o->quiet)
		return total;
	if (!total) {
		fprintf(out, "every container runs under %s\n", o->runtime);
		return 0;
	}
	fprintf(out, "\n%d container%s not run under %s and %s not protected.\n", total,
		total == 1 ? " does" : "s do", o->runtime, total == 1 ? "is" : "are");
	if (nd)
		fprintf(
		    out,
		    "Docker: recreate each one without --runtime (once enforced, %s is the "
		    "default): `docker rm -f NAME`, then `docker run`/`docker create` it again "
		    "with its other options (`docker commit NAME IMAGE` first keeps changes made "
		    "inside it).\n",
		    o->runtime);
	if (restart_note)
		fprintf(
		    out,
		    "Containers with a restart policy are started by dockerd itself when it "
		    "starts, with no request the authorization plugin could refuse: remove them "
		    "first.\n");
	if (nc)
		fprintf(
		    out,
		    "containerd: `ctr -n NAMESPACE containers rm ID`, then create it again with "
		    "`ctr run --runc-binary %s`, or through Kubernetes with `runtimeClassName: "
		    "%s`.\n",
		    o->ironbox_path ? o->ironbox_path : "/usr/local/bin/ironbox", o->runtime);
	if (np)
		fprintf(
		    out,
		    "Podman: `podman rm -f NAME`, then run it again (with `runtime = \"%s\"` in "
		    "containers.conf, or `podman --runtime %s`).\n",
		    o->runtime, o->runtime);
	return total;
fail:
	ib_strv_free(seen.ids);
	return -1;
}
