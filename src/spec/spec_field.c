/* Typed access to JSON members with located error messages (spec_int.h). */
#include "spec/spec_int.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"

/* "file: where.key: message" (where / key may be empty). */
int __attribute__((format(printf, 4, 5)))
ib_spec_perr(struct pctx *c, const char *where, const char *key, const char *fmt, ...)
{
	char msg[IB_ERR_MSG_MAX];
	va_list ap;
	bool w = where && *where, k = key && *key;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w && k)
		return ib_err_set(c->err, EINVAL, "%s: %s.%s: %s", c->file, where, key, msg);
	if (w || k)
		return ib_err_set(c->err, EINVAL, "%s: %s: %s", c->file, w ? where : key, msg);
	return ib_err_set(c->err, EINVAL, "%s: %s", c->file, msg);
}

const char *ib_spec_jtype(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_double:
	case json_type_int:
		return "number";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	}
	return "unknown";
}

/* Look up o[key]. Returns 1 (found, *out set), 0 (absent or null), -1 (wrong type). */
int ib_spec_field(struct pctx *c, json_object *o, const char *where, const char *key,
		  enum json_type t, json_object **out)
{
	json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, t)) {
		const char *want = t == json_type_object    ? "an object"
				   : t == json_type_array   ? "an array"
				   : t == json_type_string  ? "a string"
				   : t == json_type_boolean ? "a boolean"
							    : "a number";
		return ib_spec_perr(c, where, key, "expected %s, got %s", want, ib_spec_jtype(v));
	}
	*out = v;
	return 1;
}

static int num_i64(struct pctx *c, json_object *v, const char *where, const char *key, int64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
			return ib_spec_perr(c, where, key, "value out of range");
		*out = i;
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(int64_t)d)
			return ib_spec_perr(c, where, key, "expected an integer");
		*out = (int64_t)d;
		return 0;
	}
	return ib_spec_perr(c, where, key, "expected a number, got %s", ib_spec_jtype(v));
}

int ib_spec_num_u64(struct pctx *c, json_object *v, const char *where, const char *key,
		    uint64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return ib_spec_perr(c, where, key, "must not be negative");
		*out = json_object_get_uint64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d < 0)
			return ib_spec_perr(c, where, key, "must not be negative");
		if (!(d <= 1.8e19) || d != (double)(uint64_t)d)
			return ib_spec_perr(c, where, key, "expected an integer");
		*out = (uint64_t)d;
		return 0;
	}
	return ib_spec_perr(c, where, key, "expected a number, got %s", ib_spec_jtype(v));
}

/* get_*: -1 on error, 0 otherwise; *has (optional) says whether the field was given. */
int ib_spec_get_i64(struct pctx *c, json_object *o, const char *where, const char *key,
		    int64_t *out, bool *has)
{
	json_object *v = NULL;

	if (has)
		*has = false;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (num_i64(c, v, where, key, out) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

int ib_spec_get_u64(struct pctx *c, json_object *o, const char *where, const char *key,
		    uint64_t *out, bool *has)
{
	json_object *v = NULL;

	if (has)
		*has = false;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (ib_spec_num_u64(c, v, where, key, out) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

int ib_spec_get_u32(struct pctx *c, json_object *o, const char *where, const char *key,
		    uint32_t *out, bool *has)
{
	uint64_t u = 0;
	bool h = false;

	if (ib_spec_get_u64(c, o, where, key, &u, &h) < 0)
		return -1;
	if (h && u > UINT32_MAX)
		return ib_spec_perr(c, where, key, "value %llu out of range",
				    (unsigned long long)u);
	if (h)
		*out = (uint32_t)u;
	if (has)
		*has = h;
	return 0;
}

int ib_spec_get_req_u32(struct pctx *c, json_object *o, const char *where, const char *key,
			uint32_t *out)
{
	bool has = false;

	if (ib_spec_get_u32(c, o, where, key, out, &has) < 0)
		return -1;
	if (!has)
		return ib_spec_perr(c, where, key, "required");
	return 0;
}

int ib_spec_get_bool(struct pctx *c, json_object *o, const char *where, const char *key, bool *out,
		     bool *has)
{
	json_object *v;
	int r = ib_spec_field(c, o, where, key, json_type_boolean, &v);

	if (has)
		*has = r > 0;
	if (r > 0)
		*out = json_object_get_boolean(v);
	return r < 0 ? -1 : 0;
}

/* Duplicates the string into *out (freeing a previous value). */
int ib_spec_get_str(struct pctx *c, json_object *o, const char *where, const char *key, char **out)
{
	json_object *v;
	int r = ib_spec_field(c, o, where, key, json_type_string, &v);

	if (r > 0) {
		free(*out);
		*out = ib_xstrdup(json_object_get_string(v));
	}
	return r < 0 ? -1 : 0;
}

/* Array of strings -> NULL-terminated vector; *out stays NULL when absent. */
int ib_spec_get_strv(struct pctx *c, json_object *o, const char *where, const char *key,
		     char ***out)
{
	json_object *arr;
	int r = ib_spec_field(c, o, where, key, json_type_array, &arr);
	size_t n;
	char **v;

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	v = ib_xmalloc0((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string)) {
			ib_strv_free(v);
			_cleanup_free_ char *k = ib_xasprintf("%s[%zu]", key, i);
			return ib_spec_perr(c, where, k, "expected a string, got %s",
					    ib_spec_jtype(e));
		}
		v[i] = ib_xstrdup(json_object_get_string(e));
	}
	ib_strv_free(*out);
	*out = v;
	return 0;
}

/* Object of string values -> parallel key/value vectors. */
int ib_spec_get_strmap(struct pctx *c, json_object *o, const char *where, const char *key,
		       char ***keys, char ***values, size_t *n)
{
	json_object *obj;
	int r = ib_spec_field(c, o, where, key, json_type_object, &obj);
	size_t cnt, i = 0;

	if (r <= 0)
		return r;
	cnt = (size_t)json_object_object_length(obj);
	*keys = ib_xmalloc0((cnt + 1) * sizeof(char *));
	*values = ib_xmalloc0((cnt + 1) * sizeof(char *));
	*n = 0;
	json_object_object_foreach(obj, k, v)
	{
		if (!v || !json_object_is_type(v, json_type_string)) {
			_cleanup_free_ char *w =
			    *where ? ib_xasprintf("%s.%s", where, key) : ib_xstrdup(key);
			return ib_spec_perr(c, w, k, "expected a string, got %s", ib_spec_jtype(v));
		}
		(*keys)[i] = ib_xstrdup(k);
		(*values)[i] = ib_xstrdup(json_object_get_string(v));
		*n = ++i;
	}
	return 0;
}

/* Iterate an array of objects: calls fn(c, element, "where.key[i]", i, data). */
int ib_spec_for_each_obj(struct pctx *c, json_object *o, const char *where, const char *key,
			 size_t *count, elem_fn fn, void *data)
{
	json_object *arr;
	int r = ib_spec_field(c, o, where, key, json_type_array, &arr);
	size_t n;

	if (count)
		*count = 0;
	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	if (count)
		*count = n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *w = *where ? ib_xasprintf("%s.%s[%zu]", where, key, i)
						: ib_xasprintf("%s[%zu]", key, i);
		if (!e || !json_object_is_type(e, json_type_object))
			return ib_spec_perr(c, w, NULL, "expected an object, got %s",
					    ib_spec_jtype(e));
		if (fn(c, e, w, i, data) < 0)
			return -1;
	}
	return 0;
}

size_t ib_spec_array_len(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return 0;
	return json_object_array_length(v);
}
