/* Strict parsing of one JSON document (json-c). */
#ifndef IRONBOX_JSON_H
#define IRONBOX_JSON_H

#include <json-c/json.h>
#include <stddef.h>

/* The JSON document in text[0..len): exactly one value in strict JSON
 * (json-c's JSON_TOKENER_STRICT), nothing but whitespace after it. NULL otherwise, with *jerr (if non-NULL) saying
 * why (a truncated document is json_tokener_error_parse_eof; a NUL byte
 * within len, or a len json-c cannot take, is
 * json_tokener_error_parse_unexpected). */
struct json_object *ib_json_parse_doc(const char *text, size_t len, enum json_tokener_error *jerr);

#endif
