/* The JSON ID-range table of ironbox before the text table (idmap_int.h):
 *
 *   {"version": 1,
 *    "ranges": [{"base": 100000, "size": 65536,
 *                "holders": [{"id": "c1", "pid": 4242, "start": 123456}]}]}
 *
 * Read as strictly as it always was: a table it refuses is corrupted. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "idmap/idmap_int.h"

static bool get_u64(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	x = json_object_get_int64(v);
	if (x < 0 || errno)
		return false;
	*out = (uint64_t)x;
	return true;
}

int ib_idm_table_parse_json(struct ib_idm_table *t, const char *text, const char **why)
{
	struct json_object *doc, *ranges, *v;
	int ret = -1;

	doc = ib_json_parse_doc(text, strlen(text), NULL);
	if (!doc) {
		*why = "not valid JSON";
		return -1;
	}

	if (!json_object_is_type(doc, json_type_object)) {
		*why = "top level is not an object";
		goto out;
	}
	json_object_object_foreach(doc, key, val)
	{
		(void)val;
		if (strcmp(key, "version") && strcmp(key, "ranges")) {
			*why = "unknown key";
			goto out;
		}
	}
	if (!json_object_object_get_ex(doc, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1) {
		*why = "missing or unsupported version";
		goto out;
	}
	if (!json_object_object_get_ex(doc, "ranges", &ranges) ||
	    !json_object_is_type(ranges, json_type_array)) {
		*why = "\"ranges\" is not an array";
		goto out;
	}
	t->n_ranges = json_object_array_length(ranges);
	t->ranges = ib_xmalloc0(t->n_ranges * sizeof(*t->ranges));
	for (size_t i = 0; i < t->n_ranges; i++) {
		struct json_object *e = json_object_array_get_idx(ranges, i), *hs;
		struct ib_idm_range *r = &t->ranges[i];

		if (!json_object_is_type(e, json_type_object) ||
		    json_object_object_length(e) != 3 || !get_u64(e, "base", &r->base) ||
		    !get_u64(e, "size", &r->size) ||
		    !json_object_object_get_ex(e, "holders", &hs) ||
		    !json_object_is_type(hs, json_type_array)) {
			*why = "malformed range entry";
			goto out;
		}
		if (r->size == 0 || r->base == 0 || r->base + r->size > UINT32_MAX) {
			*why = "range outside the 32-bit ID space";
			goto out;
		}
		r->n_holders = json_object_array_length(hs);
		if (r->n_holders == 0) {
			*why = "range without holders";
			goto out;
		}
		r->holders = ib_xmalloc0(r->n_holders * sizeof(*r->holders));
		for (size_t j = 0; j < r->n_holders; j++) {
			struct json_object *h = json_object_array_get_idx(hs, j), *id;
			uint64_t pid = 0;

			if (!json_object_is_type(h, json_type_object) ||
			    json_object_object_length(h) != 3 ||
			    !json_object_object_get_ex(h, "id", &id) ||
			    !json_object_is_type(id, json_type_string) ||
			    json_object_get_string_len(id) !=
				(int)strlen(json_object_get_string(id)) ||
			    !ib_idm_holder_valid(json_object_get_string(id)) ||
			    !get_u64(h, "pid", &pid) ||
			    !get_u64(h, "start", &r->holders[j].start)) {
				*why = "malformed holder entry";
				goto out;
			}
			r->holders[j].id = ib_xstrdup(json_object_get_string(id));
			r->holders[j].pid = (int64_t)pid;
		}
	}
	/* Consistency: no overlapping ranges, no holder twice. */
	if (!ib_idm_table_consistent(t, why))
		goto out;
	ret = 0;
out:
	json_object_put(doc);
	if (ret < 0) {
		char *path = IB_STEAL(t->path);
		ib_idm_table_clear(t);
		t->path = path;
	}
	return ret;
}
