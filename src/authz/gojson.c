/* Go-compatible field lookup over yajl's event parser (see gojson.h). */
#include "authz/gojson.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "common/util.h"

#define KEY_MAX 64

struct frame {
	bool is_map;
	bool key_ok;	       /* key fits and was folded */
	char key[KEY_MAX + 1]; /* folded current key */
};

struct scan {
	struct frame stack[IB_GOJSON_MAX_DEPTH + 1];
	int depth; /* number of open containers */
	bool started;
	bool bad_top;
	bool too_deep;
	struct ib_gojson_watch *w;
	size_t n;
};

/* Fold a key like Go's encoding/json compares it with an ASCII field name:
 * ASCII letters lower-cased, U+017F -> 's', U+212A -> 'k'. false when it
 * does not fit. */
static bool fold_key(const unsigned char *k, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		char c;
		if (k[i] < 0x80) {
			c = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
			i++;
		} else if (i + 1 < len && k[i] == 0xc5 && k[i + 1] == 0xbf) {
			c = 's';
			i += 2;
		} else if (i + 2 < len && k[i] == 0xe2 && k[i + 1] == 0x84 && k[i + 2] == 0xaa) {
			c = 'k';
			i += 3;
		} else {
			c = (char)0xff; /* matches no ASCII field name */
			i++;
		}
		if (o == KEY_MAX)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

int ib_gojson_key_matches(const char *key, size_t len, const char *field)
{
	char folded[KEY_MAX + 1];
	size_t fl = strlen(field);

	if (!fold_key((const unsigned char *)key, len, folded) || strlen(folded) != fl)
		return 0;
	for (size_t i = 0; i < fl; i++) {
		char f = field[i];
		if (f >= 'A' && f <= 'Z')
			f = (char)(f + 32);
		if (folded[i] != f)
			return 0;
	}
	return 1;
}

static bool field_eq(const char *folded, const char *field)
{
	for (; *field; field++, folded++) {
		char f = *field >= 'A' && *field <= 'Z' ? (char)(*field + 32) : *field;
		if (*folded != f)
			return false;
	}
	return *folded == '\0';
}

static void value_event(struct scan *s, enum ib_gojson_type type, const unsigned char *str,
			size_t len)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *const *p = s->w[i].path;
		int plen = 0;
		bool match = true;

		while (p[plen])
			plen++;
		if (plen != s->depth)
			continue;
		for (int d = 0; d < s->depth && match; d++)
			match = s->stack[d + 1].is_map && s->stack[d + 1].key_ok &&
				field_eq(s->stack[d + 1].key, p[d]);
		if (!match)
			continue;
		s->w[i].count++;
		s->w[i].type = type;
		free(s->w[i].string);
		s->w[i].string = NULL;
		if (type == IB_GOJSON_STRING) {
			s->w[i].string = ib_xmalloc0(len + 1);
			memcpy(s->w[i].string, str, len);
		}
	}
}

static int first_value(struct scan *s, bool is_map)
{
	if (!s->started) {
		s->started = true;
		if (!is_map) {
			s->bad_top = true;
			return 0;
		}
	}
	return 1;
}

static int cb_null(void *ctx)
{
	struct scan *s = ctx;
	if (!first_value(s, false))
		return 0;
	value_event(s, IB_GOJSON_NULL, NULL, 0);
	return 1;
}

static int cb_bool(void *ctx, int v)
{
	struct scan *s = ctx;
	(void)v;
	if (!first_value(s, false))
		return 0;
	value_event(s, IB_GOJSON_BOOL, NULL, 0);
	return 1;
}

static int cb_number(void *ctx, const char *v, size_t len)
{
	struct scan *s = ctx;
	(void)v;
	(void)len;
	if (!first_value(s, false))
		return 0;
	value_event(s, IB_GOJSON_NUMBER, NULL, 0);
	return 1;
}

static int cb_string(void *ctx, const unsigned char *v, size_t len)
{
	struct scan *s = ctx;
	if (!first_value(s, false))
		return 0;
	value_event(s, IB_GOJSON_STRING, v, len);
	return 1;
}

static int push(struct scan *s, bool is_map)
{
	if (s->depth >= IB_GOJSON_MAX_DEPTH) {
		s->too_deep = true;
		return 0;
	}
	s->depth++;
	s->stack[s->depth].is_map = is_map;
	s->stack[s->depth].key_ok = false;
	s->stack[s->depth].key[0] = '\0';
	return 1;
}

static int cb_start_map(void *ctx)
{
	struct scan *s = ctx;
	if (!first_value(s, true))
		return 0;
	value_event(s, IB_GOJSON_OBJECT, NULL, 0);
	return push(s, true);
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct scan *s = ctx;
	struct frame *f = &s->stack[s->depth];
	f->key_ok = fold_key(k, len, f->key);
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct scan *s = ctx;
	if (!first_value(s, false))
		return 0;
	value_event(s, IB_GOJSON_ARRAY, NULL, 0);
	return push(s, false);
}

static int cb_end(void *ctx)
{
	struct scan *s = ctx;
	s->depth--;
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

void ib_gojson_watch_clear(struct ib_gojson_watch *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].string);
		w[i].string = NULL;
		w[i].count = 0;
		w[i].type = IB_GOJSON_ABSENT;
	}
}

int ib_gojson_scan(const unsigned char *buf, size_t len, struct ib_gojson_watch *w, size_t n,
		   ib_err *err)
{
	struct scan *s = ib_xmalloc0(sizeof(*s));
	yajl_handle h;
	yajl_status st;
	int r = 0;

	ib_gojson_watch_clear(w, n);
	if (memchr(buf, '\0', len)) {
		free(s);
		return ib_err_set(err, EINVAL, "invalid JSON: NUL byte");
	}
	s->w = w;
	s->n = n;
	h = yajl_alloc(&callbacks, NULL, s);
	if (!h) {
		free(s);
		return ib_err_set(err, ENOMEM, "yajl_alloc failed");
	}
	st = yajl_parse(h, buf, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		if (s->too_deep)
			r = ib_err_set(err, EINVAL, "invalid JSON: nested deeper than %d levels",
				       IB_GOJSON_MAX_DEPTH);
		else if (s->bad_top)
			r = ib_err_set(err, EINVAL, "the body is not a JSON object");
		else {
			unsigned char *msg = yajl_get_error(h, 0, buf, len);
			r = ib_err_set(err, EINVAL, "invalid JSON: %s",
				       msg ? (const char *)msg : "parse error");
			if (msg)
				yajl_free_error(h, msg);
		}
	} else if (!s->started) {
		r = ib_err_set(err, EINVAL, "invalid JSON: empty");
	}
	yajl_free(h);
	free(s);
	if (r < 0)
		ib_gojson_watch_clear(w, n);
	return r;
}
