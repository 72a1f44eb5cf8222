/* Recorded, reversible edits of a JSON config document (json-c). */
#include "admin/json_edit.h"

#include <string.h>

#include "common/json.h"
#include "common/util.h"

struct json_object *ib_json_parse_config(const char *what, const char *text, ib_err *err)
{
	struct json_object *doc;
	enum json_tokener_error jerr;
	size_t len = strlen(text), i;

	for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
		;
	if (i == len)
		return json_object_new_object();
	doc = ib_json_parse_doc(text, len, &jerr);
	if (!doc) {
		ib_err_set(err, EINVAL, "%s: invalid JSON: %s", what,
			   json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		ib_err_set(err, EINVAL, "%s: the top level must be a JSON object", what);
		return NULL;
	}
	return doc;
}

static size_t path_len(const char *const *p)
{
	size_t n = 0;
	while (p[n])
		n++;
	return n;
}

static struct json_object *path_json(const char *const *p)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; p[i]; i++)
		json_object_array_add(a, json_object_new_string(p[i]));
	return a;
}

/* Walk to the parent object of the last path element, creating objects
 * (first created index into *created, -1 if none). NULL + err when a
 * non-object is in the way. */
static struct json_object *walk_parent(const char *what, struct json_object *doc,
				       const char *const *path, size_t n, bool create, int *created,
				       ib_err *err)
{
	struct json_object *cur = doc;

	if (created)
		*created = -1;
	for (size_t i = 0; i + 1 < n; i++) {
		struct json_object *next = NULL;
		if (!json_object_object_get_ex(cur, path[i], &next) || !next) {
			if (!create)
				return NULL;
			next = json_object_new_object();
			json_object_object_add(cur, path[i], next);
			if (created && *created < 0)
				*created = (int)i;
		} else if (!json_object_is_type(next, json_type_object)) {
			ib_err_set(err, EEXIST, "%s: \"%s\" is not an object; set it by hand", what,
				   path[i]);
			return NULL;
		}
		cur = next;
	}
	return cur;
}

/* Check that applying is possible before changing anything. */
static int check_change(const char *what, struct json_object *doc, const struct ib_json_change *c,
			ib_err *err)
{
	struct json_object *cur = doc, *leaf = NULL;
	size_t n = path_len(c->path);

	for (size_t i = 0; i + 1 < n; i++) {
		struct json_object *next = NULL;
		if (!json_object_object_get_ex(cur, c->path[i], &next) || !next)
			return 0;
		if (!json_object_is_type(next, json_type_object))
			return ib_err_set(err, EEXIST,
					  "%s: \"%s\" is not an object; ironbox can't add its "
					  "settings",
					  what, c->path[i]);
		cur = next;
	}
	if (c->append && json_object_object_get_ex(cur, c->path[n - 1], &leaf) && leaf &&
	    !json_object_is_type(leaf, json_type_array))
		return ib_err_set(err, EEXIST,
				  "%s: \"%s\" is not an array; ironbox can't add to it", what,
				  c->path[n - 1]);
	return 0;
}

static bool array_has_string(struct json_object *arr, const char *s)
{
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), s))
			return true;
	}
	return false;
}

int ib_json_apply(const char *what, struct json_object *doc, const struct ib_json_change *ch,
		  size_t n, struct json_object **edits, ib_err *err)
{
	struct json_object *rec = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		if (check_change(what, doc, &ch[i], err) < 0) {
			json_object_put(rec);
			return -1;
		}
	for (size_t i = 0; i < n; i++) {
		const struct ib_json_change *c = &ch[i];
		size_t np = path_len(c->path);
		const char *key = c->path[np - 1];
		struct json_object *parent, *cur = NULL, *e;
		int created;

		parent = walk_parent(what, doc, c->path, np, true, &created, err);
		if (!parent) { /* checked above: cannot happen */
			json_object_put(rec);
			return -1;
		}
		bool had = json_object_object_get_ex(parent, key, &cur);
		if (c->append) {
			if (had && cur && array_has_string(cur, c->append))
				continue;
			e = json_object_new_object();
			json_object_object_add(e, "op", json_object_new_string("append"));
			if (!had || !cur) {
				cur = json_object_new_array();
				json_object_object_add(parent, key, cur);
				if (created < 0)
					created = (int)np - 1;
			}
			json_object_array_add(cur, json_object_new_string(c->append));
			json_object_object_add(e, "value", json_object_new_string(c->append));
		} else {
			if (had && json_object_equal(cur, c->value))
				continue;
			e = json_object_new_object();
			json_object_object_add(e, "op", json_object_new_string("set"));
			if (had)
				json_object_object_add(e, "old", json_object_get(cur));
			struct json_object *copy = NULL;
			json_object_deep_copy(c->value, &copy, NULL);
			json_object_object_add(parent, key, copy);
			json_object_object_add(e, "value", json_object_get(copy));
		}
		json_object_object_add(e, "path", path_json(c->path));
		if (created >= 0)
			json_object_object_add(e, "created", json_object_new_int(created));
		json_object_array_add(rec, e);
	}
	*edits = rec;
	return 0;
}

/* Remove objects ironbox created along path[0..upto] when they are empty,
 * deepest first. */
static void prune(struct json_object *doc, const char **path, size_t np, int created)
{
	for (int depth = (int)np - 1; depth >= created && depth >= 0; depth--) {
		struct json_object *parent = doc, *obj = NULL;
		bool ok = true;
		for (int i = 0; i < depth && ok; i++)
			ok = json_object_object_get_ex(parent, path[i], &parent) &&
			     json_object_is_type(parent, json_type_object);
		if (!ok)
			return;
		if (!json_object_object_get_ex(parent, path[depth], &obj))
			continue; /* the leaf ironbox removed */
		if ((json_object_is_type(obj, json_type_object) &&
		     json_object_object_length(obj) == 0) ||
		    (json_object_is_type(obj, json_type_array) &&
		     json_object_array_length(obj) == 0))
			json_object_object_del(parent, path[depth]);
		else
			return;
	}
}

int ib_json_revert(struct json_object *doc, struct json_object *edits, int *kept, ib_err *err)
{
	size_t n;

	if (kept)
		*kept = 0;
	if (!json_object_is_type(edits, json_type_array))
		return ib_err_set(err, EINVAL, "install record: edits must be an array");
	n = json_object_array_length(edits);
	for (size_t k = n; k-- > 0;) {
		struct json_object *e = json_object_array_get_idx(edits, k), *op, *jpath, *val,
				   *old = NULL, *cr = NULL, *parent, *cur = NULL;
		const char *path[32];
		size_t np;
		int created = -1;

		if (!json_object_object_get_ex(e, "op", &op) ||
		    !json_object_object_get_ex(e, "path", &jpath) ||
		    !json_object_object_get_ex(e, "value", &val) ||
		    !json_object_is_type(jpath, json_type_array))
			return ib_err_set(err, EINVAL, "install record: malformed edit");
		np = json_object_array_length(jpath);
		if (np == 0 || np >= IB_ARRAY_SIZE(path))
			return ib_err_set(err, EINVAL, "install record: malformed edit path");
		for (size_t i = 0; i < np; i++) {
			struct json_object *s = json_object_array_get_idx(jpath, i);
			if (!json_object_is_type(s, json_type_string))
				return ib_err_set(err, EINVAL,
						  "install record: malformed edit path");
			path[i] = json_object_get_string(s);
		}
		path[np] = NULL;
		if (json_object_object_get_ex(e, "created", &cr))
			created = json_object_get_int(cr);
		parent = walk_parent("config", doc, path, np, false, NULL, err);
		if (!parent) {
			ib_err_clear(err);
			if (kept)
				(*kept)++;
			continue;
		}
		bool has = json_object_object_get_ex(parent, path[np - 1], &cur);
		if (!strcmp(json_object_get_string(op), "append")) {
			const char *s = json_object_get_string(val);
			bool removed = false;
			if (has && json_object_is_type(cur, json_type_array)) {
				for (size_t i = json_object_array_length(cur); i-- > 0;) {
					struct json_object *x = json_object_array_get_idx(cur, i);
					if (json_object_is_type(x, json_type_string) &&
					    !strcmp(json_object_get_string(x), s)) {
						json_object_array_del_idx(cur, i, 1);
						removed = true;
						break;
					}
				}
			}
			if (!removed) {
				if (kept)
					(*kept)++;
				continue;
			}
		} else {
			if (!has || !json_object_equal(cur, val)) {
				if (kept)
					(*kept)++;
				continue;
			}
			if (json_object_object_get_ex(e, "old", &old))
				json_object_object_add(parent, path[np - 1], json_object_get(old));
			else
				json_object_object_del(parent, path[np - 1]);
		}
		if (created >= 0)
			prune(doc, path, np, created);
	}
	return 0;
}

char *ib_json_format(struct json_object *doc)
{
	return ib_xasprintf("%s\n", json_object_to_json_string_ext(
					doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
}
