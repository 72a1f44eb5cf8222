/* Internal to the spec module: the parser's shared helpers and the parser of
 * each area of config.json (one file each). */
#ifndef IRONBOX_SPEC_INT_H
#define IRONBOX_SPEC_INT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "spec/spec.h"

/* The parse context: the file named in error messages, the error to fill. */
struct pctx {
	const char *file; /* "config.json" or "process.json" */
	ib_err *err;
};

/* Called on element i of an array of objects (ib_spec_for_each_obj). */
typedef int (*elem_fn)(struct pctx *c, json_object *e, const char *where, size_t i, void *data);

/* ---- typed access to JSON members (spec_field.c; contracts there) ---- */

int __attribute__((format(printf, 4, 5)))
ib_spec_perr(struct pctx *c, const char *where, const char *key, const char *fmt, ...);
const char *ib_spec_jtype(json_object *v);
int ib_spec_field(struct pctx *c, json_object *o, const char *where, const char *key,
		  enum json_type t, json_object **out);
int ib_spec_num_u64(struct pctx *c, json_object *v, const char *where, const char *key,
		    uint64_t *out);
int ib_spec_get_i64(struct pctx *c, json_object *o, const char *where, const char *key,
		    int64_t *out, bool *has);
int ib_spec_get_u64(struct pctx *c, json_object *o, const char *where, const char *key,
		    uint64_t *out, bool *has);
int ib_spec_get_u32(struct pctx *c, json_object *o, const char *where, const char *key,
		    uint32_t *out, bool *has);
int ib_spec_get_req_u32(struct pctx *c, json_object *o, const char *where, const char *key,
			uint32_t *out);
int ib_spec_get_bool(struct pctx *c, json_object *o, const char *where, const char *key, bool *out,
		     bool *has);
int ib_spec_get_str(struct pctx *c, json_object *o, const char *where, const char *key, char **out);
int ib_spec_get_strv(struct pctx *c, json_object *o, const char *where, const char *key,
		     char ***out);
int ib_spec_get_strmap(struct pctx *c, json_object *o, const char *where, const char *key,
		       char ***keys, char ***values, size_t *n);
int ib_spec_for_each_obj(struct pctx *c, json_object *o, const char *where, const char *key,
			 size_t *count, elem_fn fn, void *data);
size_t ib_spec_array_len(json_object *o, const char *key);

/* ---- the parser of each area ---- */

/* spec_process.c (where: "process", or "" for process.json) */
int ib_spec_parse_process_obj(struct pctx *c, json_object *o, const char *where,
			      struct ib_process *p);

/* spec_mounts.c */
int ib_spec_prop_from_name(const char *name, unsigned long *out);
int ib_spec_mount_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data);

/* spec_linux.c */
int ib_spec_parse_idmaps(struct pctx *c, json_object *o, const char *where, const char *key,
			 struct ib_idmap **out, size_t *n);
int ib_spec_parse_linux(struct pctx *c, json_object *root, struct ib_spec *s);

/* spec_resources.c */
int ib_spec_parse_resources(struct pctx *c, json_object *o, struct ib_resources *r);

/* spec_seccomp.c */
int ib_spec_parse_seccomp(struct pctx *c, json_object *o, struct ib_seccomp *sc);

#endif
