/* libFuzzer target: the ID-range table (src/idmap, idmap.tab and the older
 * idmap.json).
 *
 * Input: the text of the host-wide table, read by every create and delete.
 * It is root-owned, but a crash, a full disk or an administrator's edit can
 * leave anything there, and the allocator must then refuse (fail closed),
 * never guess: a failure says why; an accepted table is consistent (no
 * overlapping ranges, no holder twice, every range inside the 32-bit ID
 * space with at least one holder, every holder a printable name); and
 * writing it out and reading that back gives the same table, byte for byte
 * on the second write (what every allocation does). The JSON reader, which
 * carries an older build's table over once, is held to the same rules. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "idmap/idmap_int.h"

static void check_table(const struct ib_idm_table *t, const char *what)
{
	const char *why = NULL;

	FZ_CHECK(ib_idm_table_consistent(t, &why), "%s: accepted table inconsistent: %s", what,
		 why ? why : "?");
	for (size_t i = 0; i < t->n_ranges; i++) {
		const struct ib_idm_range *r = &t->ranges[i];

		FZ_CHECK(r->base > 0 && r->size > 0 && r->base + r->size <= UINT32_MAX,
			 "%s: range %zu outside the ID space", what, i);
		FZ_CHECK(r->n_holders > 0, "%s: range %zu has no holder", what, i);
		for (size_t j = 0; j < r->n_holders; j++) {
			FZ_CHECK(ib_idm_holder_valid(r->holders[j].id),
				 "%s: holder %zu.%zu can't be written back", what, i, j);
			FZ_CHECK(r->holders[j].pid >= 0, "%s: negative pid", what);
		}
	}
}

static bool same_table(const struct ib_idm_table *a, const struct ib_idm_table *b)
{
	if (a->n_ranges != b->n_ranges)
		return false;
	for (size_t i = 0; i < a->n_ranges; i++) {
		const struct ib_idm_range *x = &a->ranges[i], *y = &b->ranges[i];

		if (x->base != y->base || x->size != y->size || x->n_holders != y->n_holders)
			return false;
		for (size_t j = 0; j < x->n_holders; j++)
			if (strcmp(x->holders[j].id, y->holders[j].id) ||
			    x->holders[j].pid != y->holders[j].pid ||
			    x->holders[j].start != y->holders[j].start)
				return false;
	}
	return true;
}

/* Written out and read back: the same table; written again: the same text. */
static void round_trip(const struct ib_idm_table *t, const char *what)
{
	struct ib_idm_table back = {0};
	const char *why = NULL;
	size_t len = 0, len2 = 0;
	char *text = ib_idm_table_format(t, &len), *text2;

	FZ_CHECK(ib_idm_table_parse(&back, text, len, &why) == 0,
		 "%s: written table refused on reading back: %s", what, why ? why : "?");
	FZ_CHECK(same_table(t, &back), "%s: table changed across write + read", what);
	text2 = ib_idm_table_format(&back, &len2);
	FZ_CHECK(len == len2 && !memcmp(text, text2, len), "%s: second write differs", what);
	free(text);
	free(text2);
	ib_idm_table_clear(&back);
}

/* One reader's verdict on an input: refused with a reason and left empty,
 * or accepted, consistent and stable across write + read. */
static void check_parse(int r, struct ib_idm_table *t, const char *why, const char *what)
{
	if (r == 0) {
		check_table(t, what);
		round_trip(t, what);
	} else {
		FZ_CHECK(why && *why, "%s refused without a reason", what);
		FZ_CHECK(t->n_ranges == 0 && !t->ranges, "%s: refused table not emptied", what);
	}
	ib_idm_table_clear(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_idm_table t = {0};
	const char *why = NULL;
	char *s;
	int r;

	if (size > FZ_MAX_INPUT)
		return -1;
	/* The text table: read as bytes (a NUL inside is refused). */
	r = ib_idm_table_parse(&t, (const char *)data, size, &why);
	check_parse(r, &t, why, "idmap.tab");
	/* The JSON table of older builds (read as a C string, as from a file). */
	s = fz_cstring(data, size);
	if (!s)
		return 0;
	why = NULL;
	r = ib_idm_table_parse_json(&t, s, &why);
	check_parse(r, &t, why, "idmap.json");
	free(s);
	return 0;
}
