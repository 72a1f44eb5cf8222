/* Unit tests: the Docker authorization plugin's decisions (authz/authz.h),
 * reading request bodies like Go does (authz/gojson.h), and the containerd
 * runc options decoder of `ironbox audit`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/audit.h"
#include "authz/authz.h"
#include "authz/gojson.h"
#include "common/util.h"

/* A fake engine. */
static struct fake {
	const char *default_runtime; /* NULL: error */
	int ref_result;		     /* for every ref except "ib" / "ib-*" */
	int buildkit;		     /* 1 ironbox, 0 not, -1 error */
	int calls_default, calls_ref, calls_bk;
	char last_ref[256];
} fk;

static char *f_default(void *d, ib_err *err)
{
	(void)d;
	fk.calls_default++;
	if (!fk.default_runtime) {
		ib_err_set(err, EIO, "daemon unreachable");
		return NULL;
	}
	return ib_xstrdup(fk.default_runtime);
}

static int f_ref(void *d, const char *ref, char **who, ib_err *err)
{
	(void)d;
	fk.calls_ref++;
	snprintf(fk.last_ref, sizeof(fk.last_ref), "%s", ref);
	if (!strncmp(ref, "ib", 2))
		return 0;
	if (fk.ref_result > 0)
		*who = ib_xasprintf("old (ID 0123456789ab) runs under runtime \"runc\"");
	if (fk.ref_result < 0)
		ib_err_set(err, EIO, "lookup failed");
	return fk.ref_result;
}

static int f_exec(void *d, const char *id, char **who, ib_err *err)
{
	return f_ref(d, id, who, err);
}

static int f_bk(void *d, char **why, ib_err *err)
{
	(void)d;
	fk.calls_bk++;
	if (fk.buildkit == 0)
		*why = ib_xstrdup("runc in dockerd's PATH is /usr/sbin/runc");
	if (fk.buildkit < 0)
		ib_err_set(err, EIO, "no peer");
	return fk.buildkit;
}

static const struct ib_authz_env env = {
    .default_runtime = f_default,
    .ref_unprotected = f_ref,
    .exec_unprotected = f_exec,
    .buildkit_ironbox = f_bk,
};
static const struct ib_authz_policy pol = {
    .enforce = true, .policy_path = "/etc/ironbox/policy.json", .runtime = "ironbox"};

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.default_runtime = "ironbox";
	fk.buildkit = 1;
	return 0;
}

static bool decide_full(const char *method, const char *uri, const char *body, const char *ct,
			struct ib_authz_decision *d)
{
	struct ib_authz_req r = {
	    .method = (char *)method,
	    .uri = (char *)uri,
	    .body = (unsigned char *)body,
	    .body_len = body ? strlen(body) : 0,
	    .content_type = (char *)ct,
	};
	memset(d, 0, sizeof(*d));
	ib_authz_decide(&pol, &r, &env, d);
	return d->allow;
}

static bool decide(const char *method, const char *uri, const char *body)
{
	struct ib_authz_decision d;
	return decide_full(method, uri, body, "application/json", &d);
}

static void test_create_runtime(void **state)
{
	struct ib_authz_decision d;

	(void)state;
	/* No runtime: the daemon's default, which is ironbox. */
	assert_true(decide("POST", "/v1.41/containers/create", "{\"Image\":\"x\"}"));
	assert_true(decide("POST", "/v1.41/containers/create?name=a",
			   "{\"HostConfig\":{\"Runtime\":\"\"}}"));
	assert_true(decide("POST", "/v1.41/containers/create", "{\"HostConfig\":null}"));
	assert_true(decide("POST", "/containers/create", "{\"HostConfig\":{\"Runtime\":null}}"));
	assert_true(decide("POST", "/v1.41/containers/create",
			   "{\"HostConfig\":{\"Runtime\":\"ironbox\",\"Privileged\":true}}"));
	/* --runtime=runc, or any other runtime. */
	assert_false(decide_full("POST", "/v1.41/containers/create",
				 "{\"HostConfig\":{\"Runtime\":\"runc\"}}", "application/json",
				 &d));
	assert_non_null(strstr(d.msg, "runtime \"runc\" is not allowed"));
	assert_non_null(strstr(d.msg, "/etc/ironbox/policy.json"));
	assert_false(decide("POST", "/v1.41/containers/create",
			    "{\"HostConfig\":{\"Runtime\":\"io.containerd.runc.v2\"}}"));
	/* The default runtime is not ironbox (or unknown): refused. */
	fk.default_runtime = "runc";
	assert_false(decide_full("POST", "/v1.41/containers/create", "{}", "application/json", &d));
	assert_non_null(strstr(d.msg, "default runtime \"runc\""));
	fk.default_runtime = NULL;
	assert_false(decide("POST", "/v1.41/containers/create", "{}"));
	/* With an explicit --runtime=ironbox the default does not matter. */
	assert_true(decide("POST", "/v1.41/containers/create",
			   "{\"HostConfig\":{\"Runtime\":\"ironbox\"}}"));
}

static void test_create_go_json_tricks(void **state)
{
	(void)state;
	/* Go matches field names case-insensitively. */
	assert_false(
	    decide("POST", "/containers/create", "{\"hostconfig\":{\"runtime\":\"runc\"}}"));
	assert_false(
	    decide("POST", "/containers/create", "{\"HOSTCONFIG\":{\"RUNTIME\":\"runc\"}}"));
	/* ... and folds U+017F (long s) to s, U+212A (Kelvin) to k. */
	assert_false(
	    decide("POST", "/containers/create", "{\"Ho\xc5\xbftConfig\":{\"Runtime\":\"runc\"}}"));
	/* Escapes in keys are decoded first. */
	assert_false(
	    decide("POST", "/containers/create", "{\"HostConfig\":{\"Runtim\\u0065\":\"runc\"}}"));
	/* Go merges a repeated object: the first HostConfig's runtime would
	 * stay. Any repetition is refused. */
	assert_false(decide("POST", "/containers/create",
			    "{\"HostConfig\":{\"Runtime\":\"runc\"},\"HostConfig\":{}}"));
	assert_false(decide("POST", "/containers/create",
			    "{\"HostConfig\":{\"Runtime\":\"ironbox\",\"runtime\":\"runc\"}}"));
	assert_false(decide("POST", "/containers/create",
			    "{\"HostConfig\":{},\"hostConfig\":{\"Runtime\":\"runc\"}}"));
	/* Not JSON, not an object, trailing data, comments, wrong types. */
	assert_false(decide("POST", "/containers/create", "{\"HostConfig\":{\"Runtime\":\"runc\""));
	assert_false(decide("POST", "/containers/create", "[]"));
	assert_false(decide("POST", "/containers/create", "{} {\"HostConfig\":{}}"));
	assert_false(decide("POST", "/containers/create", "{/*c*/}"));
	assert_false(decide("POST", "/containers/create", "{\"HostConfig\":{\"Runtime\":1}}"));
	assert_false(decide("POST", "/containers/create", "{\"HostConfig\":\"x\"}"));
	/* A field of the same name deeper down is not HostConfig.Runtime. */
	assert_true(decide("POST", "/containers/create",
			   "{\"Labels\":{\"HostConfig\":{\"Runtime\":\"runc\"}},"
			   "\"x\":[{\"HostConfig\":{\"Runtime\":\"runc\"}}]}"));
}

static void test_create_body_not_visible(void **state)
{
	struct ib_authz_decision d;

	(void)state;
	/* dockerd forwards no body (not application/json, or >= 1 MiB). */
	assert_false(decide_full("POST", "/v1.41/containers/create", NULL, NULL, &d));
	assert_non_null(strstr(d.msg, "was not passed to the plugin"));
	/* Too deep to be a container config. */
	char deep[300] = "{\"a\":";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	assert_false(decide("POST", "/containers/create", deep));
	/* A NUL byte. */
	struct ib_authz_req r = {.method = "POST",
				 .uri = "/containers/create",
				 .body = (unsigned char *)"{}\0{\"HostConfig\":1}",
				 .body_len = 19};
	ib_authz_decide(&pol, &r, &env, &d);
	assert_false(d.allow);
}

static void test_start_and_friends(void **state)
{
	struct ib_authz_decision d;

	(void)state;
	fk.ref_result = 0;
	assert_true(decide("POST", "/v1.41/containers/abc/start", NULL));
	assert_string_equal(fk.last_ref, "abc");
	fk.ref_result = 1;
	assert_false(decide_full("POST", "/v1.41/containers/old/start", NULL, NULL, &d));
	assert_non_null(strstr(d.msg, "created before ironbox was enforced"));
	assert_non_null(strstr(d.msg, "can't start \"old\""));
	/* An ironbox container is still fine. */
	assert_true(decide("POST", "/v1.41/containers/ib-new/start", NULL));
	/* The other ways to run or enter an unprotected container. */
	assert_false(decide("POST", "/v1.41/containers/old/restart", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/unpause", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/exec", "{\"Cmd\":[\"sh\"]}"));
	assert_false(decide("POST", "/v1.41/containers/old/attach?stream=1", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/update", "{}"));
	assert_false(decide("POST", "/v1.41/containers/old/rename?name=ib-x", NULL));
	assert_false(decide("GET", "/v1.41/containers/old/attach/ws", NULL));
	assert_false(decide("POST", "/v1.41/exec/0123/start", "{}"));
	/* Harmless verbs stay allowed (to clean up). */
	assert_true(decide("POST", "/v1.41/containers/old/stop", NULL));
	assert_true(decide("POST", "/v1.41/containers/old/kill", NULL));
	assert_true(decide("DELETE", "/v1.41/containers/old?force=1", NULL));
	assert_true(decide("GET", "/v1.41/containers/old/json", NULL));
	/* Percent-encoding is decoded like dockerd's router does. */
	assert_false(decide("POST", "/v1.41/containers/old/st%61rt", NULL));
	assert_string_equal(fk.last_ref, "old");
	assert_false(decide("POST", "/v1.41/containers/%6fld/start", NULL));
	assert_string_equal(fk.last_ref, "old");
	/* Lookup failure: refused. */
	fk.ref_result = -1;
	assert_false(decide("POST", "/v1.41/containers/x/start", NULL));
	/* API < 1.24 may carry a HostConfig (with a runtime) in start. */
	fk.ref_result = 0;
	assert_false(decide("POST", "/v1.23/containers/ib/start", "{\"Runtime\":\"runc\"}"));
	assert_true(decide("POST", "/v1.24/containers/ib/start", NULL));
}

static void test_paths(void **state)
{
	(void)state;
	fk.ref_result = 1;
	/* Unclean or malformed paths are refused outright. */
	assert_false(decide("POST", "//containers/create", "{}"));
	assert_false(decide("POST", "/v1.41/containers/./old/start", NULL));
	assert_false(decide("POST", "/v1.41/containers/x/../old/start", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/start%", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/start%zz", NULL));
	assert_false(decide("POST", "/v1.41/containers/old/start%00", NULL));
	assert_false(decide("GET", "/v1.41/info#x", NULL));
	/* Ordinary reads are allowed. */
	assert_true(decide("GET", "/_ping", NULL));
	assert_true(decide("HEAD", "/_ping", NULL));
	assert_true(decide("GET", "/v1.41/containers/json?all=1", NULL));
	assert_true(decide("GET", "/v1.41/info", NULL));
}

static void test_build(void **state)
{
	struct ib_authz_decision d;

	(void)state;
	assert_true(decide_full("POST", "/v1.41/build?t=x&networkmode=default", NULL,
				"application/x-tar", &d));
	assert_int_equal(fk.calls_bk, 1);
	assert_false(decide_full("POST", "/v1.41/build?t=x&networkmode=host", NULL,
				 "application/x-tar", &d));
	assert_non_null(strstr(d.msg, "docker build --network=host is not allowed"));
	assert_false(
	    decide_full("POST", "/v1.41/build?networkmode=%68ost", NULL, "application/x-tar", &d));
	assert_false(decide_full("POST", "/v1.41/build?networkmode=none&networkmode=host", NULL,
				 "application/x-tar", &d));
	assert_false(
	    decide_full("POST", "/v1.41/build?network%6dode=host", NULL, "application/x-tar", &d));
	assert_false(decide_full("POST", "/v1.41/build?x=1;networkmode=host", NULL,
				 "application/x-tar", &d));
	assert_false(
	    decide_full("POST", "/v1.41/build?networkmode=%zz", NULL, "application/x-tar", &d));
	/* "host " is not host to dockerd either. */
	assert_true(
	    decide_full("POST", "/v1.41/build?networkmode=host+", NULL, "application/x-tar", &d));
	/* Parameters in a form body are invisible: refused. */
	assert_false(decide_full("POST", "/v1.41/build", NULL,
				 "application/x-www-form-urlencoded; charset=utf-8", &d));
	/* Both builders must run ironbox. */
	fk.buildkit = 0;
	assert_false(decide_full("POST", "/v1.41/build?version=2", NULL, "application/x-tar", &d));
	assert_non_null(strstr(d.msg, "/usr/sbin/runc"));
	assert_false(decide_full("POST", "/v1.41/build", NULL, "application/x-tar", &d));
	assert_false(decide("POST", "/v1.41/grpc", NULL));
	fk.buildkit = -1;
	assert_false(decide("POST", "/v1.41/grpc", NULL));
	fk.buildkit = 1;
	assert_true(decide("POST", "/v1.41/grpc", NULL));
	assert_true(decide("POST", "/v1.41/session", NULL));
	fk.default_runtime = "runc";
	assert_false(decide_full("POST", "/v1.41/build", NULL, "application/x-tar", &d));
	assert_non_null(strstr(d.msg, "classic builder"));
}

static void test_plugins_services(void **state)
{
	(void)state;
	assert_false(decide("POST", "/v1.41/plugins/pull?remote=x", "[]"));
	assert_false(decide("POST", "/v1.41/plugins/create?name=x", NULL));
	assert_false(decide("POST", "/v1.41/plugins/x/enable", NULL));
	assert_false(decide("POST", "/v1.41/plugins/x/set", "[]"));
	assert_false(decide("POST", "/v1.41/plugins/x/upgrade", "[]"));
	assert_true(decide("POST", "/v1.41/plugins/x/disable", NULL));
	assert_true(decide("GET", "/v1.41/plugins", NULL));
	assert_true(decide("POST", "/v1.41/services/create",
			   "{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\"}}}"));
	assert_false(decide("POST", "/v1.41/services/create",
			    "{\"TaskTemplate\":{\"PluginSpec\":{\"Name\":\"x\"}}}"));
	assert_false(decide("POST", "/v1.41/services/create",
			    "{\"TaskTemplate\":{\"Runtime\":\"plugin\"}}"));
	assert_false(decide("POST", "/v1.41/services/abc/update?version=3", NULL));
	fk.default_runtime = "runc";
	assert_false(decide("POST", "/v1.41/services/create", "{}"));
}

static void test_not_enforced(void **state)
{
	struct ib_authz_policy off = pol;
	struct ib_authz_decision d;
	struct ib_authz_req r = {.method = "POST",
				 .uri = "/containers/create",
				 .body = (unsigned char *)"{\"HostConfig\":{\"Runtime\":\"runc\"}}",
				 .body_len = 33};

	(void)state;
	off.enforce = false;
	ib_authz_decide(&off, &r, &env, &d);
	assert_true(d.allow);
	/* Negative control: the same request with enforcement on. */
	ib_authz_decide(&pol, &r, &env, &d);
	assert_false(d.allow);
}

static char *envelope(const char *method, const char *uri, const char *body, const char *ct)
{
	char b64[4096] = "";
	if (body)
		b64_ntop((const unsigned char *)body, strlen(body), b64, sizeof(b64));
	return ib_xasprintf("{\"User\":\"\",\"UserAuthNMethod\":\"\",\"RequestMethod\":\"%s\","
			    "\"RequestUri\":\"%s\",\"RequestBody\":%s%s%s,"
			    "\"RequestHeaders\":{\"Content-Type\":\"%s\",\"User-Agent\":\"x\"},"
			    "\"RequestPeerCertificates\":null}",
			    method, uri, body ? "\"" : "", body ? b64 : "null", body ? "\"" : "",
			    ct);
}

static void test_envelope(void **state)
{
	struct ib_authz_req r;
	ib_err err = {0};
	_cleanup_free_ char *e =
	    envelope("POST", "/v1.41/containers/create", "{\"HostConfig\":{}}", "application/json");
	_cleanup_free_ char *nobody = envelope("POST", "/v1.41/containers/x/start", NULL, "");

	(void)state;
	assert_int_equal(ib_authz_parse_envelope(e, strlen(e), &r, &err), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.uri, "/v1.41/containers/create");
	assert_int_equal(r.body_len, strlen("{\"HostConfig\":{}}"));
	assert_memory_equal(r.body, "{\"HostConfig\":{}}", r.body_len);
	assert_string_equal(r.content_type, "application/json");
	ib_authz_req_clear(&r);
	assert_int_equal(ib_authz_parse_envelope(nobody, strlen(nobody), &r, &err), 0);
	assert_null(r.body);
	ib_authz_req_clear(&r);
	/* Malformed envelopes. */
	static const char *bad[] = {
	    "",
	    "{",
	    "[]",
	    "{\"RequestUri\":\"/x\"}",
	    "{\"RequestMethod\":\"GET\"}",
	    "{\"RequestMethod\":1,\"RequestUri\":\"/x\"}",
	    "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/x\",\"RequestBody\":\"!!!\"}",
	    "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/x\",\"RequestBody\":5}",
	    "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/x\",\"RequestHeaders\":[]}",
	    "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/x\"} trailing",
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		ib_err_clear(&err);
		assert_int_equal(ib_authz_parse_envelope(bad[i], strlen(bad[i]), &r, &err), -1);
		assert_non_null(strstr(err.msg, "malformed"));
	}
	/* The response. */
	struct ib_authz_decision d = {.allow = false};
	strcpy(d.msg, "no \"runc\"");
	_cleanup_free_ char *resp = ib_authz_response_json(&d);
	assert_string_equal(resp, "{\"Allow\":false,\"Msg\":\"no \\\"runc\\\"\"}");
}

static void test_gojson_keys(void **state)
{
	static const char *const p[] = {"HostConfig", "Runtime", NULL};
	struct ib_gojson_watch w = {.path = p};
	ib_err err = {0};
	const char *doc = "{\"hostconfig\":{\"RUNTIME\":\"a\"},\"Ho\xc5\xbftconfig\":{\"runtime\":"
			  "\"b\"}}";

	(void)state;
	assert_true(ib_gojson_key_matches("HOSTCONFIG", 10, "HostConfig"));
	assert_true(ib_gojson_key_matches("ho\xc5\xbftconfig", 11, "HostConfig"));
	assert_true(ib_gojson_key_matches("\xe2\x84\xaa", 3, "k"));
	assert_false(ib_gojson_key_matches("HostConfig ", 11, "HostConfig"));
	assert_false(ib_gojson_key_matches("Runtim\xc3\xa9", 8, "Runtime"));
	assert_int_equal(ib_gojson_scan((const unsigned char *)doc, strlen(doc), &w, 1, &err), 0);
	assert_int_equal(w.count, 2);
	assert_string_equal(w.string, "b");
	ib_gojson_watch_clear(&w, 1);
	/* Invalid UTF-8 in a string is an error (Go would replace it). */
	assert_int_equal(ib_gojson_scan((const unsigned char *)"{\"a\":\"\xff\"}", 8, &w, 1, &err),
			 -1);
}

static void test_runc_options(void **state)
{
	/* ctr run --runc-binary /usr/sbin/runc: BinaryName (6) and Root (7). */
	static const char b64[] = "Mg4vdXNyL3NiaW4vcnVuYzobL3RtcC9pYi1jdHItYWRtaW4vcnVuYy1yb290";
	unsigned char raw[128];
	int n = b64_pton(b64, raw, sizeof(raw));
	char *bin;

	(void)state;
	assert_true(n > 0);
	bin = ib_audit_runc_binary(raw, (size_t)n);
	assert_string_equal(bin, "/usr/sbin/runc");
	free(bin);
	/* Empty message: no BinaryName ("runc"). */
	bin = ib_audit_runc_binary(raw, 0);
	assert_string_equal(bin, "");
	free(bin);
	/* Truncated / invalid messages. */
	assert_null(ib_audit_runc_binary(raw, 5));
	static const unsigned char bad_wire[] = {0x33, 0x01};
	assert_null(ib_audit_runc_binary(bad_wire, sizeof(bad_wire)));
	static const unsigned char huge_len[] = {0x32, 0xff, 0xff, 0xff, 0xff, 0x0f};
	assert_null(ib_audit_runc_binary(huge_len, sizeof(huge_len)));
	/* Other fields skipped: varint (1), fixed64, fixed32, then field 6. */
	static const unsigned char mixed[] = {0x08, 0x01, 0x11, 0, 0, 0, 0,    0,    0,	  0,
					      0,    0x1d, 0,	0, 0, 0, 0x32, 0x02, 'i', 'b'};
	bin = ib_audit_runc_binary(mixed, sizeof(mixed));
	assert_string_equal(bin, "ib");
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_create_runtime, setup),
	    cmocka_unit_test_setup(test_create_go_json_tricks, setup),
	    cmocka_unit_test_setup(test_create_body_not_visible, setup),
	    cmocka_unit_test_setup(test_start_and_friends, setup),
	    cmocka_unit_test_setup(test_paths, setup),
	    cmocka_unit_test_setup(test_build, setup),
	    cmocka_unit_test_setup(test_plugins_services, setup),
	    cmocka_unit_test_setup(test_not_enforced, setup),
	    cmocka_unit_test_setup(test_envelope, setup),
	    cmocka_unit_test_setup(test_gojson_keys, setup),
	    cmocka_unit_test_setup(test_runc_options, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
