/* A TOML tokenizer just good enough to edit config files line by line (see
 * toml_edit.h for why there is no TOML library here). It finds statements
 * (table headers and key/value pairs, a value possibly spanning lines) and
 * the full key path of each; edits are made on the original bytes. */
#include "admin/toml_edit.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum stmt_kind { ST_TABLE, ST_ARRAY_TABLE, ST_KV };

struct stmt {
	enum stmt_kind kind;
	size_t start, end; /* first byte of its first line, byte after its last line */
	int line;	   /* 1-based */
	char **path;	   /* table: its name; kv: context table + key segments */
	size_t ctx_len;	   /* kv: how many segments of path are the context table */
	bool in_array;	   /* kv under a [[array table]]: never ours */
	char *value;	   /* kv: raw value text */
	bool multiline;
};

struct doc {
	struct stmt *v;
	size_t n;
};

struct lexer {
	const char *s;
	size_t len, pos;
	int line;
	const char *what;
	ib_err *err;
};

static void doc_free(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		ib_strv_free(d->v[i].path);
		free(d->v[i].value);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static int lex_error(struct lexer *lx, const char *msg)
{
	return ib_err_set(lx->err, EINVAL,
			  "%s:%d: %s (ironbox edits this TOML file line by line and only "
			  "understands plain TOML 1.0)",
			  lx->what, lx->line, msg);
}

static int peek(struct lexer *lx, size_t off)
{
	return lx->pos + off < lx->len ? (unsigned char)lx->s[lx->pos + off] : -1;
}

static bool starts(struct lexer *lx, const char *p)
{
	size_t n = strlen(p);
	return lx->pos + n <= lx->len && memcmp(lx->s + lx->pos, p, n) == 0;
}

static void skip_ws(struct lexer *lx)
{
	while (peek(lx, 0) == ' ' || peek(lx, 0) == '\t')
		lx->pos++;
}

/* Newline (LF or CRLF) at pos: consume it. */
static bool take_newline(struct lexer *lx)
{
	if (peek(lx, 0) == '\n') {
		lx->pos++;
		lx->line++;
		return true;
	}
	if (peek(lx, 0) == '\r' && peek(lx, 1) == '\n') {
		lx->pos += 2;
		lx->line++;
		return true;
	}
	return false;
}

static void skip_comment(struct lexer *lx)
{
	if (peek(lx, 0) != '#')
		return;
	while (lx->pos < lx->len && peek(lx, 0) != '\n')
		lx->pos++;
}

/* Whitespace, comment, then end of line or of file. */
static int end_of_statement(struct lexer *lx)
{
	skip_ws(lx);
	skip_comment(lx);
	if (lx->pos >= lx->len || take_newline(lx))
		return 0;
	return lex_error(lx, "unexpected text after a value");
}

static void utf8_put(char **out, size_t *n, uint32_t cp)
{
	char *o = *out + *n;

	if (cp < 0x80) {
		o[0] = (char)cp;
		*n += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		*n += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		*n += 3;
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		*n += 4;
	}
}

/* A single-line basic string at pos ('"'): decoded into *out if out. */
static int lex_basic_string(struct lexer *lx, char **out)
{
	size_t n = 0;
	char *buf = NULL;

	lx->pos++;
	if (out)
		buf = ib_xmalloc0(lx->len - lx->pos + 1);
	for (;;) {
		int c = peek(lx, 0);
		if (c < 0 || c == '\n' || c == '\r') {
			free(buf);
			return lex_error(lx, "unterminated string");
		}
		lx->pos++;
		if (c == '"')
			break;
		if (c != '\\') {
			if (buf)
				buf[n++] = (char)c;
			continue;
		}
		c = peek(lx, 0);
		lx->pos++;
		uint32_t cp = 0;
		int digits = 0;
		switch (c) {
		case 'b':
			cp = '\b';
			break;
		case 't':
			cp = '\t';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'e':
			cp = 0x1b;
			break;
		case '"':
			cp = '"';
			break;
		case '\\':
			cp = '\\';
			break;
		case 'u':
			digits = 4;
			break;
		case 'U':
			digits = 8;
			break;
		default:
			free(buf);
			return lex_error(lx, "invalid escape in a string");
		}
		for (int i = 0; i < digits; i++) {
			int h = peek(lx, 0);
			if (h < 0 || !isxdigit(h)) {
				free(buf);
				return lex_error(lx, "invalid unicode escape in a string");
			}
			cp = cp * 16 + (uint32_t)(isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
			lx->pos++;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			free(buf);
			return lex_error(lx, "invalid unicode escape in a string");
		}
		if (buf)
			utf8_put(&buf, &n, cp);
	}
	if (out)
		*out = buf;
	return 0;
}

static int lex_literal_string(struct lexer *lx, char **out)
{
	size_t start = ++lx->pos;

	while (peek(lx, 0) != '\'') {
		if (peek(lx, 0) < 0 || peek(lx, 0) == '\n')
			return lex_error(lx, "unterminated string");
		lx->pos++;
	}
	if (out) {
		*out = ib_xmalloc0(lx->pos - start + 1);
		memcpy(*out, lx->s + start, lx->pos - start);
	}
	lx->pos++;
	return 0;
}

/* """...""" or '''...''' (quote is '"' or '\''). */
static int lex_multiline_string(struct lexer *lx, char quote)
{
	lx->pos += 3;
	for (;;) {
		int c = peek(lx, 0);
		if (c < 0)
			return lex_error(lx, "unterminated multi-line string");
		if (c == '\n') {
			lx->pos++;
			lx->line++;
			continue;
		}
		if (quote == '"' && c == '\\') {
			lx->pos++;
			if (peek(lx, 0) == '\n')
				lx->line++;
			if (peek(lx, 0) >= 0)
				lx->pos++;
			continue;
		}
		if (c == quote && peek(lx, 1) == quote && peek(lx, 2) == quote) {
			lx->pos += 3;
			/* Up to two more quotes belong to the content. */
			for (int i = 0; i < 2 && peek(lx, 0) == quote; i++)
				lx->pos++;
			return 0;
		}
		lx->pos++;
	}
}

static bool is_bare(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '-');
}

/* A dotted key; segments decoded. Stops after the last segment (and ws). */
static int lex_key(struct lexer *lx, char ***segs)
{
	_cleanup_strv_ char **v = ib_xmalloc0(sizeof(char *));

	for (;;) {
		_cleanup_free_ char *seg = NULL;
		int c;

		skip_ws(lx);
		c = peek(lx, 0);
		if (c == '"') {
			if (starts(lx, "\"\"\""))
				return lex_error(lx, "a multi-line string can't be a key");
			if (lex_basic_string(lx, &seg) < 0)
				return -1;
		} else if (c == '\'') {
			if (starts(lx, "'''"))
				return lex_error(lx, "a multi-line string can't be a key");
			if (lex_literal_string(lx, &seg) < 0)
				return -1;
		} else if (is_bare(c)) {
			size_t start = lx->pos;
			while (is_bare(peek(lx, 0)))
				lx->pos++;
			seg = ib_xmalloc0(lx->pos - start + 1);
			memcpy(seg, lx->s + start, lx->pos - start);
		} else {
			return lex_error(lx, "expected a key");
		}
		ib_strv_push(&v, seg);
		skip_ws(lx);
		if (peek(lx, 0) != '.')
			break;
		lx->pos++;
	}
	*segs = IB_STEAL(v);
	return 0;
}

static int lex_value(struct lexer *lx, int depth);

/* Inside an array: whitespace, newlines and comments. */
static void skip_ws_nl_comments(struct lexer *lx)
{
	for (;;) {
		skip_ws(lx);
		skip_comment(lx);
		if (!take_newline(lx))
			return;
	}
}

static int lex_array(struct lexer *lx, int depth)
{
	lx->pos++;
	for (;;) {
		skip_ws_nl_comments(lx);
		if (peek(lx, 0) == ']') {
			lx->pos++;
			return 0;
		}
		if (lex_value(lx, depth + 1) < 0)
			return -1;
		skip_ws_nl_comments(lx);
		if (peek(lx, 0) == ',') {
			lx->pos++;
			continue;
		}
		if (peek(lx, 0) == ']') {
			lx->pos++;
			return 0;
		}
		return lex_error(lx, "expected ',' or ']' in an array");
	}
}

static int lex_inline_table(struct lexer *lx, int depth)
{
	lx->pos++;
	for (;;) {
		_cleanup_strv_ char **key = NULL;

		skip_ws_nl_comments(lx);
		if (peek(lx, 0) == '}') {
			lx->pos++;
			return 0;
		}
		if (lex_key(lx, &key) < 0)
			return -1;
		if (peek(lx, 0) != '=')
			return lex_error(lx, "expected '=' in an inline table");
		lx->pos++;
		skip_ws(lx);
		if (lex_value(lx, depth + 1) < 0)
			return -1;
		skip_ws_nl_comments(lx);
		if (peek(lx, 0) == ',') {
			lx->pos++;
			continue;
		}
		if (peek(lx, 0) == '}') {
			lx->pos++;
			return 0;
		}
		return lex_error(lx, "expected ',' or '}' in an inline table");
	}
}

static int lex_value(struct lexer *lx, int depth)
{
	int c = peek(lx, 0);

	if (depth > 64)
		return lex_error(lx, "values nested too deeply");
	if (starts(lx, "\"\"\""))
		return lex_multiline_string(lx, '"');
	if (starts(lx, "'''"))
		return lex_multiline_string(lx, '\'');
	if (c == '"')
		return lex_basic_string(lx, NULL);
	if (c == '\'')
		return lex_literal_string(lx, NULL);
	if (c == '[')
		return lex_array(lx, depth);
	if (c == '{')
		return lex_inline_table(lx, depth);
	/* Numbers, booleans, dates: up to a delimiter. A date may be followed
	 * by a space and a time ("1979-05-27 07:32:00Z"). */
	size_t start = lx->pos;
	for (;;) {
		c = peek(lx, 0);
		if (c < 0 || c == ',' || c == ']' || c == '}' || c == '#' || c == '\n' ||
		    c == '\r' || c == '\t')
			break;
		if (c == ' ') {
			size_t n = lx->pos - start;
			if (n == 10 && lx->s[start + 4] == '-' && lx->s[start + 7] == '-' &&
			    isdigit(peek(lx, 1))) {
				lx->pos++;
				continue;
			}
			break;
		}
		if (!isalnum(c) && !strchr("+-_.:", c))
			return lex_error(lx, "invalid value");
		lx->pos++;
	}
	if (lx->pos == start)
		return lex_error(lx, "expected a value");
	return 0;
}

static char **path_concat(char **a, size_t na, char **b)
{
	char **v = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < na; i++)
		ib_strv_push(&v, a[i]);
	for (size_t i = 0; b && b[i]; i++)
		ib_strv_push(&v, b[i]);
	return v;
}

static void doc_push(struct doc *d, struct stmt st)
{
	d->v = ib_xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = st;
}

static int tokenize(const char *what, const char *text, struct doc *out, ib_err *err)
{
	struct lexer lx = {.s = text, .len = strlen(text), .line = 1, .what = what, .err = err};
	_cleanup_strv_ char **ctx = ib_xmalloc0(sizeof(char *));
	bool ctx_array = false;
	struct doc d = {0};

	while (lx.pos < lx.len) {
		size_t start = lx.pos;
		int line = lx.line;
		struct stmt st = {.start = start, .line = line};

		skip_ws(&lx);
		skip_comment(&lx);
		if (lx.pos >= lx.len || take_newline(&lx))
			continue; /* blank or comment line */
		if (peek(&lx, 0) == '[') {
			bool array = peek(&lx, 1) == '[';
			_cleanup_strv_ char **name = NULL;

			lx.pos += array ? 2 : 1;
			if (lex_key(&lx, &name) < 0)
				goto fail;
			if (peek(&lx, 0) != ']' || (array && peek(&lx, 1) != ']')) {
				lex_error(&lx, "expected ']' after a table name");
				goto fail;
			}
			lx.pos += array ? 2 : 1;
			if (end_of_statement(&lx) < 0)
				goto fail;
			st.kind = array ? ST_ARRAY_TABLE : ST_TABLE;
			st.path = ib_strv_dup(name);
			ib_strv_free(ctx);
			ctx = IB_STEAL(name);
			ctx_array = array;
		} else {
			_cleanup_strv_ char **key = NULL;
			size_t vstart, vend;

			if (lex_key(&lx, &key) < 0)
				goto fail;
			if (peek(&lx, 0) != '=') {
				lex_error(&lx, "expected '=' after a key");
				goto fail;
			}
			lx.pos++;
			skip_ws(&lx);
			vstart = lx.pos;
			if (lex_value(&lx, 0) < 0)
				goto fail;
			vend = lx.pos;
			if (end_of_statement(&lx) < 0)
				goto fail;
			st.kind = ST_KV;
			st.ctx_len = ib_strv_len(ctx);
			st.path = path_concat(ctx, st.ctx_len, key);
			st.in_array = ctx_array;
			st.value = ib_xmalloc0(vend - vstart + 1);
			memcpy(st.value, text + vstart, vend - vstart);
		}
		st.end = lx.pos;
		{
			size_t body = st.end - st.start;
			if (body && text[st.end - 1] == '\n')
				body--;
			st.multiline = memchr(text + st.start, '\n', body) != NULL;
		}
		doc_push(&d, st);
	}
	*out = d;
	return 0;
fail:
	doc_free(&d);
	return -1;
}

static bool path_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* a (length na) is a prefix of b (length nb), possibly equal. */
static bool path_prefix(char **a, size_t na, char **b, size_t nb)
{
	return na <= nb && path_eq(a, na, b, na);
}

static char *render_key(char **segs, size_t n)
{
	size_t cap = 16, len = 0;
	char *out = ib_xmalloc0(cap);

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *seg = NULL;
		bool bare = *segs[i] != '\0';
		for (const char *p = segs[i]; *p; p++)
			if (!is_bare((unsigned char)*p))
				bare = false;
		seg = bare ? ib_xstrdup(segs[i]) : ib_toml_string(segs[i]);
		if (!seg)
			seg = ib_xstrdup("\"\"");
		size_t need = len + strlen(seg) + 2;
		if (need > cap) {
			cap = need * 2;
			out = ib_xrealloc(out, cap);
		}
		if (i)
			out[len++] = '.';
		memcpy(out + len, seg, strlen(seg));
		len += strlen(seg);
		out[len] = '\0';
	}
	return out;
}

char *ib_toml_string(const char *s)
{
	size_t n = strlen(s);
	char *out = ib_xmalloc0(n * 2 + 3), *o = out;

	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			free(out);
			return NULL;
		}
		if (*p == '"' || *p == '\\')
			*o++ = '\\';
		*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static bool line_is_managed(const char *text, const struct stmt *st)
{
	size_t end = st->end, n = strlen(IB_TOML_MANAGED);

	while (end > st->start && (text[end - 1] == '\n' || text[end - 1] == '\r' ||
				   text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	return end - st->start >= n && memcmp(text + end - n, IB_TOML_MANAGED, n) == 0;
}

/* An edit on the original text: at offset `at`, drop `drop` bytes and put
 * `ins` there. */
struct edit {
	size_t at, drop;
	char *ins;
	size_t seq; /* insertion order: ties keep it, pure inserts first */
};

struct edits {
	struct edit *v;
	size_t n;
};

static void edits_add(struct edits *e, size_t at, size_t drop, char *ins)
{
	e->v = ib_xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	e->v[e->n] = (struct edit){.at = at, .drop = drop, .ins = ins, .seq = e->n};
	e->n++;
}

static int cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if ((x->drop == 0) != (y->drop == 0))
		return x->drop == 0 ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static char *leading_ws(const char *text, size_t start)
{
	size_t n = 0;
	while (text[start + n] == ' ' || text[start + n] == '\t')
		n++;
	char *out = ib_xmalloc0(n + 1);
	memcpy(out, text + start, n);
	return out;
}

/* Where the line of a statement that starts at `start` ends (after '\n'). */
static size_t line_end(const char *text, size_t start)
{
	const char *nl = strchr(text + start, '\n');
	return nl ? (size_t)(nl - text) + 1 : strlen(text);
}

struct block_table {
	const char *const *table;
	char *lines;
};

static size_t table_len(const char *const *t)
{
	size_t n = 0;
	while (t[n])
		n++;
	return n;
}

char *ib_toml_apply(const char *what, const char *text, const struct ib_toml_set *sets, size_t n,
		    ib_err *err)
{
	struct doc d = {0};
	struct edits ed = {0};
	struct block_table *blk = NULL;
	size_t nblk = 0;
	char *out = NULL;
	size_t tlen = strlen(text);

	if (tokenize(what, text, &d, err) < 0)
		return NULL;
	for (size_t si = 0; si < n; si++) {
		const struct ib_toml_set *set = &sets[si];
		size_t nt = table_len(set->table);
		_cleanup_strv_ char **full = ib_xmalloc0(sizeof(char *));
		struct stmt *existing = NULL, *header = NULL;
		bool dotted_table = false;

		for (size_t i = 0; i < nt; i++)
			ib_strv_push(&full, set->table[i]);
		ib_strv_push(&full, set->key);
		for (size_t i = 0; i < d.n; i++) {
			struct stmt *st = &d.v[i];
			size_t np = ib_strv_len(st->path);

			if (st->kind == ST_TABLE) {
				if (path_eq(st->path, np, full, nt)) {
					if (header) {
						ib_err_set(err, EINVAL,
							   "%s:%d: table defined twice", what,
							   st->line);
						goto fail;
					}
					header = st;
				} else if (path_prefix(full, nt + 1, st->path, np)) {
					ib_err_set(
					    err, EEXIST,
					    "%s:%d: `%s` is a table here; ironbox needs it to "
					    "be a value",
					    what, st->line, set->key);
					goto fail;
				}
				continue;
			}
			if (st->kind == ST_ARRAY_TABLE) {
				if (path_prefix(st->path, np, full, nt + 1) ||
				    path_prefix(full, nt, st->path, np)) {
					ib_err_set(
					    err, EINVAL,
					    "%s:%d: an array of tables where ironbox needs a "
					    "table",
					    what, st->line);
					goto fail;
				}
				continue;
			}
			if (st->in_array)
				continue;
			if (path_eq(st->path, np, full, nt + 1)) {
				existing = st;
			} else if (path_prefix(st->path, np, full, nt + 1)) {
				_cleanup_free_ char *k = render_key(st->path, np);
				ib_err_set(err, EEXIST,
					   "%s:%d: `%s` is set as a value (an inline table?); "
					   "add `%s = %s` to it by hand",
					   what, st->line, k, set->key, set->value);
				goto fail;
			} else if (path_prefix(full, nt + 1, st->path, np)) {
				ib_err_set(err, EEXIST, "%s:%d: `%s` is used as a table here", what,
					   st->line, set->key);
				goto fail;
			} else if (st->ctx_len < nt && np > nt &&
				   path_prefix(full, nt, st->path, np)) {
				dotted_table = true;
			}
		}
		if (existing) {
			_cleanup_free_ char *key = NULL, *indent = NULL;
			if (strcmp(existing->value, set->value) == 0)
				continue; /* already set */
			key = render_key(full + existing->ctx_len, nt + 1 - existing->ctx_len);
			indent = leading_ws(text, existing->start);
			if (line_is_managed(text, existing)) {
				/* Ours already (another value): replace the line. */
				edits_add(&ed, existing->start, existing->end - existing->start,
					  ib_xasprintf("%s%s = %s " IB_TOML_MANAGED "\n", indent,
						       key, set->value));
				continue;
			}
			if (existing->multiline) {
				ib_err_set(err, EINVAL,
					   "%s:%d: `%s` spans several lines; set it to %s by hand",
					   what, existing->line, set->key, set->value);
				goto fail;
			}
			bool has_nl = existing->end > 0 && text[existing->end - 1] == '\n';
			edits_add(&ed, existing->start, 0, ib_xstrdup(IB_TOML_DISABLED));
			edits_add(&ed, existing->end, 0,
				  ib_xasprintf("%s%s%s = %s " IB_TOML_MANAGED "\n",
					       has_nl ? "" : "\n", indent, key, set->value));
			continue;
		}
		if (header) {
			_cleanup_free_ char *indent = NULL, *key = NULL;
			size_t at = line_end(text, header->start);
			/* Indent like the table's first key, else like the header. */
			indent = leading_ws(text, header->start);
			for (size_t i = 0; i < d.n; i++) {
				if (&d.v[i] == header && i + 1 < d.n && d.v[i + 1].kind == ST_KV) {
					free(indent);
					indent = leading_ws(text, d.v[i + 1].start);
				}
			}
			key = render_key(full + nt, 1);
			bool has_nl = at > 0 && text[at - 1] == '\n';
			edits_add(&ed, at, 0,
				  ib_xasprintf("%s%s%s = %s " IB_TOML_MANAGED "\n",
					       has_nl ? "" : "\n", indent, key, set->value));
			continue;
		}
		if (dotted_table) {
			_cleanup_free_ char *t = render_key(full, nt);
			ib_err_set(
			    err, EEXIST,
			    "%s: table [%s] is defined with dotted keys; add `%s = %s` to it "
			    "by hand",
			    what, t, set->key, set->value);
			goto fail;
		}
		/* Missing table: into the appended block. */
		struct block_table *bt = NULL;
		for (size_t i = 0; i < nblk; i++)
			if (path_eq((char **)blk[i].table, table_len(blk[i].table), full, nt))
				bt = &blk[i];
		if (!bt) {
			blk = ib_xrealloc(blk, (nblk + 1) * sizeof(*blk));
			bt = &blk[nblk++];
			bt->table = set->table;
			bt->lines = ib_xstrdup("");
		}
		_cleanup_free_ char *key = render_key(full + nt, 1);
		char *lines = ib_xasprintf("%s%s = %s\n", bt->lines, key, set->value);
		free(bt->lines);
		bt->lines = lines;
	}

	/* Build the output. */
	if (ed.n)
		qsort(ed.v, ed.n, sizeof(*ed.v), cmp_edit);
	{
		size_t cap = tlen + 256, len = 0, pos = 0;
		out = ib_xmalloc0(cap);
#define APPEND(p, k)                                                                               \
	do {                                                                                       \
		size_t _k = (k);                                                                   \
		if (len + _k + 1 > cap) {                                                          \
			cap = (len + _k + 1) * 2;                                                  \
			out = ib_xrealloc(out, cap);                                               \
		}                                                                                  \
		memcpy(out + len, (p), _k);                                                        \
		len += _k;                                                                         \
		out[len] = '\0';                                                                   \
	} while (0)
		for (size_t i = 0; i < ed.n; i++) {
			if (ed.v[i].at < pos) { /* overlapping edits: never expected */
				ib_err_set(err, EINVAL, "%s: internal error: overlapping edits",
					   what);
				free(out);
				out = NULL;
				goto fail;
			}
			APPEND(text + pos, ed.v[i].at - pos);
			APPEND(ed.v[i].ins, strlen(ed.v[i].ins));
			pos = ed.v[i].at + ed.v[i].drop;
		}
		APPEND(text + pos, tlen - pos);
		if (nblk) {
			if (len && out[len - 1] != '\n')
				APPEND("\n", 1);
			if (len)
				APPEND("\n", 1);
			APPEND(IB_TOML_BLOCK_BEGIN "\n", strlen(IB_TOML_BLOCK_BEGIN "\n"));
			for (size_t i = 0; i < nblk; i++) {
				_cleanup_free_ char *t =
				    render_key((char **)blk[i].table, table_len(blk[i].table));
				_cleanup_free_ char *h = ib_xasprintf("[%s]\n", t);
				APPEND(h, strlen(h));
				APPEND(blk[i].lines, strlen(blk[i].lines));
			}
			APPEND(IB_TOML_BLOCK_END "\n", strlen(IB_TOML_BLOCK_END "\n"));
		}
#undef APPEND
	}

	/* Check the result: it tokenizes and every setting reads back. */
	for (size_t si = 0; si < n; si++) {
		ib_err e2 = {0};
		_cleanup_free_ char *v = ib_toml_get(what, out, sets[si].table, sets[si].key, &e2);
		if (!v || strcmp(v, sets[si].value) != 0) {
			ib_err_set(err, EINVAL, "%s: internal error: `%s` did not read back (%s)",
				   what, sets[si].key, e2.msg[0] ? e2.msg : "missing");
			free(out);
			out = NULL;
			goto fail;
		}
	}
fail:
	for (size_t i = 0; i < ed.n; i++)
		free(ed.v[i].ins);
	free(ed.v);
	for (size_t i = 0; i < nblk; i++)
		free(blk[i].lines);
	free(blk);
	doc_free(&d);
	return out;
}

char *ib_toml_get(const char *what, const char *text, const char *const *table, const char *key,
		  ib_err *err)
{
	struct doc d = {0};
	size_t nt = table_len(table);
	_cleanup_strv_ char **full = ib_xmalloc0(sizeof(char *));
	char *out = NULL;

	if (tokenize(what, text, &d, err) < 0)
		return NULL;
	for (size_t i = 0; i < nt; i++)
		ib_strv_push(&full, table[i]);
	ib_strv_push(&full, key);
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].kind == ST_KV && !d.v[i].in_array &&
		    path_eq(d.v[i].path, ib_strv_len(d.v[i].path), full, nt + 1)) {
			out = ib_xstrdup(d.v[i].value);
			break;
		}
	}
	doc_free(&d);
	return out;
}

int ib_toml_containerd_version(const char *what, const char *text, ib_err *err)
{
	static const char *const top[] = {NULL};
	ib_err e = {0};
	_cleanup_free_ char *v = ib_toml_get(what, text, top, "version", &e);
	long n;

	if (!v) {
		if (e.msg[0]) {
			*err = e;
			return -1;
		}
		return 1;
	}
	if (!ib_parse_long(v, &n) || n < 1 || n > 100)
		return ib_err_set(err, EINVAL, "%s: `version = %s` is not a config version", what,
				  v);
	return (int)n;
}

char *ib_toml_revert(const char *text)
{
	size_t len = strlen(text), olen = 0, pos = 0;
	char *out = ib_xmalloc0(len + 1);
	bool in_block = false;
	size_t last_line_start = (size_t)-1; /* start in out of the last copied line */

	while (pos < len) {
		size_t end = line_end(text, pos), n = end - pos, t = n;
		const char *l = text + pos;

		while (t > 0 && (l[t - 1] == '\n' || l[t - 1] == '\r' || l[t - 1] == ' ' ||
				 l[t - 1] == '\t'))
			t--;
		pos = end;
		if (!in_block && t == strlen(IB_TOML_BLOCK_BEGIN) &&
		    memcmp(l, IB_TOML_BLOCK_BEGIN, t) == 0) {
			in_block = true;
			/* The blank line that separated the block from the text. */
			if (last_line_start != (size_t)-1 && olen - last_line_start == 1 &&
			    out[last_line_start] == '\n')
				olen = last_line_start;
			continue;
		}
		if (in_block) {
			if (t == strlen(IB_TOML_BLOCK_END) && memcmp(l, IB_TOML_BLOCK_END, t) == 0)
				in_block = false;
			continue;
		}
		if (t >= strlen(IB_TOML_MANAGED) &&
		    memcmp(l + t - strlen(IB_TOML_MANAGED), IB_TOML_MANAGED,
			   strlen(IB_TOML_MANAGED)) == 0)
			continue;
		if (n >= strlen(IB_TOML_DISABLED) &&
		    memcmp(l, IB_TOML_DISABLED, strlen(IB_TOML_DISABLED)) == 0) {
			l += strlen(IB_TOML_DISABLED);
			n -= strlen(IB_TOML_DISABLED);
		}
		last_line_start = olen;
		memcpy(out + olen, l, n);
		olen += n;
	}
	out[olen] = '\0';
	return out;
}
