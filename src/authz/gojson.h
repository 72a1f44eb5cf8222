/* Reading an API request body the way dockerd (Go's encoding/json) will
 * read it, so that the authorization plugin decides on what the daemon
 * acts on.
 *
 * Go matches object keys to struct fields case-insensitively (and folds
 * U+017F LATIN SMALL LETTER LONG S to 's', U+212A KELVIN SIGN to 'k'), and
 * a key given twice merges or overwrites. A parser that keeps only one
 * value per key (json-c) could be told {"HostConfig":{"Runtime":"runc"},
 * "HostConfig":{}} and see no runtime at all. So bodies are scanned with
 * yajl's event parser: every key is folded like Go folds it, every
 * occurrence of a watched field is counted (two occurrences = ambiguous =
 * refused), nesting depth is bounded, comments, trailing data and invalid
 * UTF-8 are errors. */
#ifndef IRONBOX_AUTHZ_GOJSON_H
#define IRONBOX_AUTHZ_GOJSON_H

#include <stddef.h>

#include "common/err.h"

enum ib_gojson_type {
	IB_GOJSON_ABSENT,
	IB_GOJSON_NULL,
	IB_GOJSON_BOOL,
	IB_GOJSON_NUMBER,
	IB_GOJSON_STRING,
	IB_GOJSON_OBJECT,
	IB_GOJSON_ARRAY,
};

/* A watched field: a path of Go field names (NULL-terminated; matched like
 * Go matches them) from the top-level object. */
struct ib_gojson_watch {
	const char *const *path;
	/* results */
	unsigned count;		  /* occurrences of the path in the document */
	enum ib_gojson_type type; /* of the last occurrence */
	char *string;		  /* value of the last occurrence when a string (malloc'd) */
};

#define IB_GOJSON_MAX_DEPTH 64

/* Scan buf (need not be NUL-terminated; a NUL byte is an error). The top
 * level must be an object. Returns 0, or -1 with err set (invalid JSON,
 * too deep). */
int ib_gojson_scan(const unsigned char *buf, size_t len, struct ib_gojson_watch *w, size_t n,
		   ib_err *err);
void ib_gojson_watch_clear(struct ib_gojson_watch *w, size_t n);

/* Does key (raw bytes) match Go field name `field` (ASCII)? */
int ib_gojson_key_matches(const char *key, size_t len, const char *field);

#endif
