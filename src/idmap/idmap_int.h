/* The ID-range table in memory, and its two on-disk forms (idmap.c's
 * helpers; not part of the library's interface). */
#ifndef IRONBOX_IDMAP_INT_H
#define IRONBOX_IDMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ib_idm_holder {
	char *id;
	int64_t pid;
	uint64_t start; /* /proc/PID/stat starttime; 0 = unknown */
};

struct ib_idm_range {
	uint64_t base, size;
	struct ib_idm_holder *holders;
	size_t n_holders;
};

struct ib_idm_table {
	char *path; /* the table's file, for messages */
	struct ib_idm_range *ranges;
	size_t n_ranges;
};

void ib_idm_table_clear(struct ib_idm_table *t);
/* No overlapping ranges, no holder listed twice; else false and *why. */
bool ib_idm_table_consistent(const struct ib_idm_table *t, const char **why);
/* Can id be written to the table (non-empty, no control characters)? */
bool ib_idm_holder_valid(const char *id);

/* idmap_table.c: the table file (idmap.tab), one line per holder:
 *
 *   ironbox-idmap 2
 *   <base> <size> <pid> <start> <holder>
 *
 * numbers in decimal, a range's holders on consecutive lines, the holder
 * (a state directory) the rest of the line. Lines of blanks are padding
 * (a table rewritten in place). Parsing fills t->ranges (t->path is left
 * alone) or fails with *why, leaving t empty. */
int ib_idm_table_parse(struct ib_idm_table *t, const char *text, size_t len, const char **why);
/* The text of t (ranges without holders left out); never NULL. */
char *ib_idm_table_format(const struct ib_idm_table *t, size_t *len);

/* idmap_legacy.c: the JSON table (idmap.json) of ironbox before the text
 * table; read once, to carry its ranges over. */
int ib_idm_table_parse_json(struct ib_idm_table *t, const char *text, const char **why);
/* What replaces an idmap.json that was carried over: a table the JSON
 * reader (this one, and older ironbox binaries) refuses, so that no
 * reader of the old file hands out a range the new table holds. */
#define IB_IDM_JSON_MOVED "{\"version\": 2, \"movedTo\": \"idmap.tab\"}\n"

#endif
