/* Adding and removing ironbox's few settings in an engine's TOML config
 * (containerd's config.toml, Podman's containers.conf) without rewriting
 * the rest of the file.
 *
 * Debian 12 packages no C TOML library (tomlc99 is not packaged; the only
 * packaged ones are C++, Go, Perl, Python, Ruby, Rust), and a parser would
 * not help anyway: ironbox must write the file back byte for byte except
 * for its own lines, which no TOML serializer does. So this module reads
 * the file with a small TOML tokenizer (strings, multi-line strings,
 * arrays, inline tables, comments: enough to know which table every line
 * belongs to and where each statement ends) and only ever
 *   - inserts one `key = value  # ironbox-managed` line after the header
 *     of a table that exists,
 *   - comments out an existing line it replaces, as
 *     `# ironbox-disabled: <original line>`,
 *   - appends missing tables in one block between
 *     `# >>> ironbox ... >>>` and `# <<< ironbox <<<` lines.
 * ib_toml_revert removes exactly those lines and restores disabled ones.
 * Anything it cannot edit safely (the table is an inline table or was
 * made by dotted keys, a multi-line value to replace, a file it cannot
 * tokenize) is an error, never a guess. */
#ifndef IRONBOX_ADMIN_TOML_EDIT_H
#define IRONBOX_ADMIN_TOML_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define IB_TOML_MANAGED "# ironbox-managed"
#define IB_TOML_DISABLED "# ironbox-disabled: "
#define IB_TOML_BLOCK_BEGIN                                                                        \
	"# >>> ironbox: added by `ironbox install`, removed by `ironbox uninstall` >>>"
#define IB_TOML_BLOCK_END "# <<< ironbox <<<"

/* One setting: key = value in the table named by the segments of table
 * (NULL-terminated; unquoted segment names). value is a TOML literal
 * (use ib_toml_string to quote a string). */
struct ib_toml_set {
	const char *const *table;
	const char *key;
	const char *value;
};

/* A TOML basic string literal for s (malloc'd), or NULL when s holds
 * characters a config path should never contain (control characters). */
char *ib_toml_string(const char *s);

/* Apply every setting to text (the file's content, "" for a new file).
 * Returns the new text (malloc'd; equal to text when every setting was
 * already there) or NULL with err set. what names the file in errors. */
char *ib_toml_apply(const char *what, const char *text, const struct ib_toml_set *sets, size_t n,
		    ib_err *err);

/* Remove everything ib_toml_apply added. Returns malloc'd text. */
char *ib_toml_revert(const char *text);

/* The raw literal of key in table (malloc'd), NULL if not set (or err set
 * when the text cannot be tokenized). For tests and `install` reports. */
char *ib_toml_get(const char *what, const char *text, const char *const *table, const char *key,
		  ib_err *err);

/* containerd config `version = N` (1 when absent, as containerd 1.x reads
 * it); -1 with err set when the text cannot be tokenized or the value is
 * not an integer. */
int ib_toml_containerd_version(const char *what, const char *text, ib_err *err);

#endif
