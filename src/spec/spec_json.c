/* A spec back to JSON (the state's copy of config.json), and the default
 * config `ironbox spec` writes (spec.h). */
#include "spec/spec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/util.h"

static json_object *idmaps_to_json(const struct ib_idmap *m, size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "containerID", json_object_new_int64(m[i].container_id));
		json_object_object_add(e, "hostID", json_object_new_int64(m[i].host_id));
		json_object_object_add(e, "size", json_object_new_int64(m[i].size));
		json_object_array_add(arr, e);
	}
	return arr;
}

char *ib_spec_to_json(const struct ib_spec *s)
{
	json_object *root = NULL, *lx = NULL, *nss;
	bool any_ns = false;
	char *out;

	if (s && s->json && json_object_deep_copy(s->json, &root, NULL) < 0)
		abort();
	if (!root)
		root = json_object_new_object();
	if (!s)
		goto done;
	if (!json_object_object_get_ex(root, "linux", &lx) ||
	    !json_object_is_type(lx, json_type_object)) {
		lx = json_object_new_object();
		json_object_object_add(root, "linux", lx);
	}

	nss = json_object_new_array();
	for (int i = 0; i < IB_NS_COUNT; i++) {
		json_object *e;
		if (!s->ns[i].present)
			continue;
		any_ns = true;
		e = json_object_new_object();
		json_object_object_add(e, "type",
				       json_object_new_string(ib_ns_name((enum ib_ns_type)i)));
		if (s->ns[i].path)
			json_object_object_add(e, "path", json_object_new_string(s->ns[i].path));
		json_object_array_add(nss, e);
	}
	if (any_ns || json_object_object_get_ex(lx, "namespaces", NULL))
		json_object_object_add(lx, "namespaces", nss);
	else
		json_object_put(nss);

	if (s->n_uid_mappings)
		json_object_object_add(lx, "uidMappings",
				       idmaps_to_json(s->uid_mappings, s->n_uid_mappings));
	else
		json_object_object_del(lx, "uidMappings");
	if (s->n_gid_mappings)
		json_object_object_add(lx, "gidMappings",
				       idmaps_to_json(s->gid_mappings, s->n_gid_mappings));
	else
		json_object_object_del(lx, "gidMappings");

done:
	out = ib_xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

/* ------------------------------------------------------------------------ */
/* Default config (what `runc spec` writes)                                 */

static const char default_json[] =
    "{\n"
    "\t\"ociVersion\": \"1.2.0\",\n"
    "\t\"process\": {\n"
    "\t\t\"terminal\": true,\n"
    "\t\t\"user\": {\n"
    "\t\t\t\"uid\": 0,\n"
    "\t\t\t\"gid\": 0\n"
    "\t\t},\n"
    "\t\t\"args\": [\n"
    "\t\t\t\"sh\"\n"
    "\t\t],\n"
    "\t\t\"env\": [\n"
    "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "\t\t\t\"TERM=xterm\"\n"
    "\t\t],\n"
    "\t\t\"cwd\": \"/\",\n"
    "\t\t\"capabilities\": {\n"
    "\t\t\t\"bounding\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t],\n"
    "\t\t\t\"effective\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t],\n"
    "\t\t\t\"permitted\": [\n"
    "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
    "\t\t\t\t\"CAP_KILL\",\n"
    "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t\"rlimits\": [\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n"
    "\t\t\t\t\"hard\": 1024,\n"
    "\t\t\t\t\"soft\": 1024\n"
    "\t\t\t}\n"
    "\t\t],\n"
    "\t\t\"noNewPrivileges\": true\n"
    "\t},\n"
    "\t\"root\": {\n"
    "\t\t\"path\": \"rootfs\",\n"
    "\t\t\"readonly\": true\n"
    "\t},\n"
    "\t\"hostname\": \"ironbox\",\n"
    "\t\"mounts\": [\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/proc\",\n"
    "\t\t\t\"type\": \"proc\",\n"
    "\t\t\t\"source\": \"proc\"\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev\",\n"
    "\t\t\t\"type\": \"tmpfs\",\n"
    "\t\t\t\"source\": \"tmpfs\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"strictatime\",\n"
    "\t\t\t\t\"mode=755\",\n"
    "\t\t\t\t\"size=65536k\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/pts\",\n"
    "\t\t\t\"type\": \"devpts\",\n"
    "\t\t\t\"source\": \"devpts\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"newinstance\",\n"
    "\t\t\t\t\"ptmxmode=0666\",\n"
    "\t\t\t\t\"mode=0620\",\n"
    "\t\t\t\t\"gid=5\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/shm\",\n"
    "\t\t\t\"type\": \"tmpfs\",\n"
    "\t\t\t\"source\": \"shm\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"mode=1777\",\n"
    "\t\t\t\t\"size=65536k\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/dev/mqueue\",\n"
    "\t\t\t\"type\": \"mqueue\",\n"
    "\t\t\t\"source\": \"mqueue\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/sys\",\n"
    "\t\t\t\"type\": \"sysfs\",\n"
    "\t\t\t\"source\": \"sysfs\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"ro\"\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t{\n"
    "\t\t\t\"destination\": \"/sys/fs/cgroup\",\n"
    "\t\t\t\"type\": \"cgroup\",\n"
    "\t\t\t\"source\": \"cgroup\",\n"
    "\t\t\t\"options\": [\n"
    "\t\t\t\t\"nosuid\",\n"
    "\t\t\t\t\"noexec\",\n"
    "\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"relatime\",\n"
    "\t\t\t\t\"ro\"\n"
    "\t\t\t]\n"
    "\t\t}\n"
    "\t],\n"
    "\t\"linux\": {\n"
    "\t\t\"resources\": {\n"
    "\t\t\t\"devices\": [\n"
    "\t\t\t\t{\n"
    "\t\t\t\t\t\"allow\": false,\n"
    "\t\t\t\t\t\"access\": \"rwm\"\n"
    "\t\t\t\t}\n"
    "\t\t\t]\n"
    "\t\t},\n"
    "\t\t\"namespaces\": [\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"pid\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"network\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"ipc\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"uts\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"mount\"\n"
    "\t\t\t},\n"
    "\t\t\t{\n"
    "\t\t\t\t\"type\": \"cgroup\"\n"
    "\t\t\t}\n"
    "\t\t],\n"
    "\t\t\"maskedPaths\": [\n"
    "\t\t\t\"/proc/acpi\",\n"
    "\t\t\t\"/proc/asound\",\n"
    "\t\t\t\"/proc/kcore\",\n"
    "\t\t\t\"/proc/keys\",\n"
    "\t\t\t\"/proc/latency_stats\",\n"
    "\t\t\t\"/proc/timer_list\",\n"
    "\t\t\t\"/proc/timer_stats\",\n"
    "\t\t\t\"/proc/sched_debug\",\n"
    "\t\t\t\"/sys/firmware\",\n"
    "\t\t\t\"/proc/scsi\"\n"
    "\t\t],\n"
    "\t\t\"readonlyPaths\": [\n"
    "\t\t\t\"/proc/bus\",\n"
    "\t\t\t\"/proc/fs\",\n"
    "\t\t\t\"/proc/irq\",\n"
    "\t\t\t\"/proc/sys\",\n"
    "\t\t\t\"/proc/sysrq-trigger\"\n"
    "\t\t]\n"
    "\t}\n"
    "}\n";

const char *ib_spec_default_json(void)
{
	return default_json;
}
