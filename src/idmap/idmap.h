/* The exclusive ID-range allocator. Each live container holds one 64K-wide
 * range of host UIDs/GIDs (same numbers for both). The table lives beside the
 * state dir (<root>/idmap.tab), guarded by an flock on <root>/idmap.lock, so
 * concurrent creates on one host are safe. A range may be shared by several
 * containers (those joining another container's user namespace); it is freed
 * when its last holder is released. Entries whose holders are all gone
 * (runtime killed mid-create, container deleted by hand) are reclaimed on the
 * next allocation, but only once no process on the host has IDs of the range
 * in its user namespace (ib_idmap_range_in_use): an orphaned container
 * process keeps its range. A release rewrites the table in place when the
 * file system is full (the table only shrinks). */
#ifndef IRONBOX_IDMAP_H
#define IRONBOX_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct ib_idpool {
	uint32_t base;	/* first host ID of range 0 */
	uint32_t size;	/* IDs per range (65536) */
	uint32_t count; /* number of ranges in the pool */
};

/* Callback: is the holder `id` still alive (has a state dir)? Asked only
 * once the runtime that allocated for it is gone; a range whose holders are
 * all dead is still kept while ib_idmap_range_in_use says so. */
typedef bool (*ib_idmap_alive_fn)(const char *holder, void *data);

/* Allocate a free range for holder; returns the range's first host ID. */
int ib_idmap_alloc(const char *root, const struct ib_idpool *pool, const char *holder,
		   ib_idmap_alive_fn alive, void *alive_data, uint32_t *host_base, ib_err *err);
/* Add holder to the range starting at host_base (shared user namespace). */
int ib_idmap_share(const char *root, const struct ib_idpool *pool, const char *holder,
		   uint32_t host_base, ib_err *err);
/* Remove holder from whatever range it holds (no error if none). */
int ib_idmap_release(const char *root, const char *holder, ib_err *err);
/* The range held by holder: 0 and *host_base set, or -1 with err (ENOENT). */
int ib_idmap_lookup(const char *root, const char *holder, uint32_t *host_base, ib_err *err);

/* Does any range in the table (other than the ones held by ignore_holder, may
 * be NULL) overlap [start, start+count)? 1 = yes (*holder_out, if given, gets a
 * malloc'd copy of one of its holders), 0 = no, -1 = error. */
int ib_idmap_find_overlap(const char *root, uint32_t start, uint64_t count,
			  const char *ignore_holder, char **holder_out, ib_err *err);

/* Is [start, start+count) in use: does some process (from /proc, zombies
 * aside) have a uid_map or gid_map extent lying inside it? 1 = yes (*pid_out, if given,
 * names one), 0 = no, -1 = /proc can't be read (treat as in use). */
int ib_idmap_range_in_use(uint64_t start, uint64_t count, int64_t *pid_out);

/* /etc/subuid and /etc/subgid ("name:start:count" lines): ranges of the pool
 * that overlap one of these entries are never handed out. */
struct ib_idrange {
	uint64_t start, count;
};
/* Pure parser (malformed lines and comments are skipped). Appends to *out. */
void ib_idmap_parse_subid(const char *text, struct ib_idrange **out, size_t *n);
/* Pure parser of /etc/passwd and /etc/group ("name:pw:ID:..."): each ID as
 * a range of one. Appends to *out. */
void ib_idmap_parse_accounts(const char *text, struct ib_idrange **out, size_t *n);
/* Test hooks: read these files instead of /etc/subuid and /etc/subgid,
 * /etc/passwd and /etc/group (NULL = the defaults). The allocator never hands
 * out a range holding one of their IDs. */
void ib_idmap_set_subid_paths(const char *subuid, const char *subgid);
void ib_idmap_set_account_paths(const char *passwd, const char *group);

/* Lowest first host ID of a pool: IDs below belong to host accounts. */
#define IB_IDMAP_MIN_BASE 65536u
/* An admin's pool must start at IB_IDMAP_MIN_BASE or above and overlap no
 * host account (a passwd uid, a group gid) and no subordinate range
 * (subuid/subgid): the error names the first conflict. Pure: the texts of
 * the four files (NULL = absent). */
int ib_idmap_check_pool(const struct ib_idpool *pool, const char *passwd, const char *group,
			const char *subuid, const char *subgid, ib_err *err);
/* The same, against the host's files (see the test hooks above). */
int ib_idmap_check_pool_host(const struct ib_idpool *pool, ib_err *err);

#endif
