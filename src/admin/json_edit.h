/* Merging ironbox's settings into a JSON config (Docker's daemon.json) with
 * json-c, keeping a record of every change so that it can be undone
 * exactly, and only where the admin did not change the value since. */
#ifndef IRONBOX_ADMIN_JSON_EDIT_H
#define IRONBOX_ADMIN_JSON_EDIT_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/err.h"

/* One wanted setting: the value at path (object keys, NULL-terminated) is
 * `value` (set), or the array at path contains the string `append`. */
struct ib_json_change {
	const char *const *path;
	struct json_object *value; /* borrowed; copied into the document */
	const char *append;
};

/* Parse a config document: must be one JSON object (empty text = {}),
 * nothing but whitespace after it. */
struct json_object *ib_json_parse_config(const char *what, const char *text, ib_err *err);

/* Apply changes to doc in place. *edits receives a JSON array describing
 * what was changed (a setting already in place records nothing):
 *   {"op": "set", "path": [...], "value": V, "old": V0 (absent: the key was
 *    not there), "created": i}
 *   {"op": "append", "path": [...], "value": "s", "created": i}
 * where "created" (when present) is the index in path of the first object
 * (or array) ironbox created. Fails (doc untouched) when a path crosses a
 * value that is not an object, or an array to append to is not one. */
int ib_json_apply(const char *what, struct json_object *doc, const struct ib_json_change *ch,
		  size_t n, struct json_object **edits, ib_err *err);

/* Undo edits (reverse order) where the value is still the one ironbox set;
 * *kept (may be NULL) counts the edits left alone because the admin changed
 * the value since. Returns 0, or -1 when edits is malformed. */
int ib_json_revert(struct json_object *doc, struct json_object *edits, int *kept, ib_err *err);

/* Config file text of doc: pretty, two-space indent, trailing newline. */
char *ib_json_format(struct json_object *doc);

#endif
