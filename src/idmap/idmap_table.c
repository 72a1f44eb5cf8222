/* The ID-range table's file format (idmap_int.h). A line per holder and
 * numbers in decimal: every create and delete reads and rewrites the whole
 * table under its lock, and as JSON (a document tree of ~1,000 objects at
 * 200 containers) that cost 1.5-2 ms of CPU per command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "idmap/idmap_int.h"

#define MAGIC "ironbox-idmap 2\n"

void ib_idm_table_clear(struct ib_idm_table *t)
{
	for (size_t i = 0; i < t->n_ranges; i++) {
		for (size_t j = 0; j < t->ranges[i].n_holders; j++)
			free(t->ranges[i].holders[j].id);
		free(t->ranges[i].holders);
	}
	free(t->ranges);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

bool ib_idm_holder_valid(const char *id)
{
	if (!id || !*id)
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Decimal digits (at least one, no sign) that fit in max, then sep. */
static bool take_number(const char **p, const char *end, uint64_t max, char sep, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (s >= end || *s != sep)
		return false;
	*p = s + 1;
	*out = v;
	return true;
}

/* Sorted copies, not pairs: every create and delete reads the whole table,
 * and with hundreds of containers comparing every pair (of holder IDs that
 * share a long state-root prefix) cost milliseconds per command. */
struct span {
	uint64_t base, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool ib_idm_table_consistent(const struct ib_idm_table *t, const char **why)
{
	_cleanup_free_ struct span *spans = ib_xmalloc0((t->n_ranges + 1) * sizeof(*spans));
	_cleanup_free_ char **ids = NULL;
	size_t n_ids = 0, k = 0;
	uint64_t end = 0;

	for (size_t i = 0; i < t->n_ranges; i++) {
		spans[i] = (struct span){t->ranges[i].base, t->ranges[i].base + t->ranges[i].size};
		n_ids += t->ranges[i].n_holders;
	}
	qsort(spans, t->n_ranges, sizeof(*spans), cmp_span);
	for (size_t i = 0; i < t->n_ranges; i++) {
		if (i > 0 && spans[i].base < end) {
			*why = "overlapping ranges";
			return false;
		}
		if (spans[i].end > end)
			end = spans[i].end;
	}
	ids = ib_xmalloc0((n_ids + 1) * sizeof(*ids));
	for (size_t i = 0; i < t->n_ranges; i++)
		for (size_t j = 0; j < t->ranges[i].n_holders; j++)
			ids[k++] = t->ranges[i].holders[j].id;
	qsort(ids, n_ids, sizeof(*ids), cmp_str);
	for (size_t i = 1; i < n_ids; i++) {
		if (!strcmp(ids[i - 1], ids[i])) {
			*why = "holder listed twice";
			return false;
		}
	}
	return true;
}

static bool blank_line(const char *p, const char *nl)
{
	for (; p < nl; p++)
		if (*p != ' ')
			return false;
	return true;
}

static int parse_records(struct ib_idm_table *t, const char *p, const char *end, const char **why)
{
	size_t cap = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		uint64_t base, size, pid, start;
		struct ib_idm_range *r;
		char *id;

		if (!nl) {
			*why = "unterminated line";
			return -1;
		}
		if (blank_line(p, nl)) {
			p = nl + 1;
			continue;
		}
		if (!take_number(&p, nl, UINT32_MAX, ' ', &base) ||
		    !take_number(&p, nl, UINT32_MAX, ' ', &size) ||
		    !take_number(&p, nl, INT64_MAX, ' ', &pid) ||
		    !take_number(&p, nl, UINT64_MAX, ' ', &start)) {
			*why = "malformed line";
			return -1;
		}
		if (size == 0 || base == 0 || base + size > UINT32_MAX) {
			*why = "range outside the 32-bit ID space";
			return -1;
		}
		id = strndup(p, (size_t)(nl - p));
		if (!id)
			abort();
		if (!ib_idm_holder_valid(id)) {
			free(id);
			*why = "malformed holder";
			return -1;
		}
		p = nl + 1;
		/* A range's holders are on consecutive lines. */
		r = t->n_ranges ? &t->ranges[t->n_ranges - 1] : NULL;
		if (r && r->base == base) {
			if (r->size != size) {
				free(id);
				*why = "holders of one range disagree on its size";
				return -1;
			}
		} else {
			if (t->n_ranges == cap) {
				cap = cap ? 2 * cap : 64;
				t->ranges = ib_xrealloc(t->ranges, cap * sizeof(*t->ranges));
			}
			r = &t->ranges[t->n_ranges++];
			*r = (struct ib_idm_range){.base = base, .size = size};
		}
		r->holders = ib_xrealloc(r->holders, (r->n_holders + 1) * sizeof(*r->holders));
		r->holders[r->n_holders++] =
		    (struct ib_idm_holder){.id = id, .pid = (int64_t)pid, .start = start};
	}
	return 0;
}

int ib_idm_table_parse(struct ib_idm_table *t, const char *text, size_t len, const char **why)
{
	char *path = t->path;

	t->path = NULL;
	if (len < strlen(MAGIC) || memcmp(text, MAGIC, strlen(MAGIC)) != 0) {
		*why = "not an ID-range table of this version";
		goto fail;
	}
	if (memchr(text, '\0', len)) {
		*why = "NUL byte";
		goto fail;
	}
	if (parse_records(t, text + strlen(MAGIC), text + len, why) < 0)
		goto fail;
	if (!ib_idm_table_consistent(t, why))
		goto fail;
	t->path = path;
	return 0;
fail:
	ib_idm_table_clear(t);
	t->path = path;
	return -1;
}

/* Append a record; the line is formatted in place (no stdio stream: the
 * library never writes to one). */
static void add_record(char **text, size_t *len, size_t *cap, const struct ib_idm_range *r,
		       const struct ib_idm_holder *h)
{
	size_t need = 4 * 21 + strlen(h->id) + 2;
	int n;

	if (*len + need > *cap) {
		*cap = 2 * (*len + need);
		*text = ib_xrealloc(*text, *cap);
	}
	n = snprintf(*text + *len, *cap - *len, "%llu %llu %lld %llu %s\n",
		     (unsigned long long)r->base, (unsigned long long)r->size, (long long)h->pid,
		     (unsigned long long)h->start, h->id);
	if (n < 0 || (size_t)n >= *cap - *len)
		abort(); /* the room was counted above */
	*len += (size_t)n;
}

char *ib_idm_table_format(const struct ib_idm_table *t, size_t *len)
{
	size_t cap = 4096, n = strlen(MAGIC);
	char *text = ib_xmalloc0(cap);

	memcpy(text, MAGIC, n + 1);
	for (size_t i = 0; i < t->n_ranges; i++)
		for (size_t j = 0; j < t->ranges[i].n_holders; j++)
			add_record(&text, &n, &cap, &t->ranges[i], &t->ranges[i].holders[j]);
	*len = n;
	return text;
}
