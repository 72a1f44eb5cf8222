/* Strict parsing of one JSON document (json.h). */
#include "common/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct json_object *ib_json_parse_doc(const char *text, size_t len, enum json_tokener_error *jerr)
{
	enum json_tokener_error e = json_tokener_error_parse_unexpected;
	struct json_object *doc = NULL;
	struct json_tokener *tok;

	if (len > (size_t)INT32_MAX || memchr(text, '\0', len))
		goto out;
	tok = json_tokener_new();
	if (!tok)
		abort(); /* out of memory, as ib_xmalloc0 */
	/* JSON as the other side's parser reads it (Go's, for Docker's files):
	 * no single quotes, no control characters in strings, ... */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	if (doc && e == json_tokener_success) {
		/* json-c stops after the first value: the rest must be blank */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", text[i]))
				e = json_tokener_error_parse_unexpected;
	} else if (!doc && e == json_tokener_continue) {
		/* all of it taken: the end of input completes a bare number */
		doc = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		if (!doc && e == json_tokener_continue)
			e = json_tokener_error_parse_eof;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(doc);
		doc = NULL;
	}
out:
	if (jerr)
		*jerr = doc ? json_tokener_success : e;
	return doc;
}
