/* Docker Engine API client over a unix socket (libcurl). */
#include "authz/docker_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_RESPONSE (64u << 20)

int ib_docker_init(struct ib_docker *d, const char *host, ib_err *err)
{
	const char *p = host ? host : IB_DOCKER_DEFAULT_HOST;

	memset(d, 0, sizeof(*d));
	if (!strncmp(p, "unix://", 7))
		p += 7;
	if (p[0] != '/')
		return ib_err_set(err, EINVAL,
				  "docker host %s: only unix sockets (unix:///path) are supported",
				  host);
	d->sock = ib_xstrdup(p);
	d->timeout_ms = 20000;
	return 0;
}

void ib_docker_clear(struct ib_docker *d)
{
	free(d->sock);
	d->sock = NULL;
}

struct buf {
	char *p;
	size_t len;
	bool overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	if (b->len + n > MAX_RESPONSE) {
		b->overflow = true;
		return 0; /* aborts the transfer */
	}
	b->p = ib_xrealloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

struct json_object *ib_docker_get(const struct ib_docker *d, const char *path, long *status,
				  ib_err *err)
{
	CURL *c = curl_easy_init();
	struct buf b = {0};
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *url = ib_xasprintf("http://docker%s", path);
	struct json_object *doc = NULL;

	*status = 0;
	if (!c) {
		ib_err_set(err, ENOMEM, "curl_easy_init failed");
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		ib_err_set(err, EIO, "Docker API %s on %s: %s", path, d->sock,
			   b.overflow ? "response too large"
				      : (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	doc = b.len ? json_tokener_parse(b.p) : NULL;
	if (!doc)
		ib_err_set(err, EIO, "Docker API %s: HTTP %ld, not a JSON body", path, *status);
out:
	curl_easy_cleanup(c);
	free(b.p);
	return doc;
}

char *ib_docker_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out;

	if (!e)
		abort();
	out = ib_xstrdup(e);
	curl_free(e);
	return out;
}

const char *ib_docker_errmsg(struct json_object *body, long status, char *buf, size_t len)
{
	struct json_object *m;

	if (body && json_object_object_get_ex(body, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(m));
	else
		snprintf(buf, len, "HTTP %ld", status);
	return buf;
}
