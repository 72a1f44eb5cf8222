/* What an open of an emulated /proc file may pin in the supervisor.
 *
 * A reader must see one consistent file across its read calls, so an open
 * keeps the text rendered at open time. Unbounded, that lets a container
 * grow its supervisor at will (thousands of fds on /proc/cpuinfo, each with
 * its own copy). So snapshots are shared and budgeted: an open whose
 * rendering equals the file's current snapshot takes a reference on it
 * (thousands of opens of an unchanged file pin one copy); a new snapshot is
 * pinned only within max_bytes / max_count for all files together; past
 * that the open pins nothing and each of its reads renders the file again
 * (consistent per read, not across reads). Pure bookkeeping, unit-tested. */
#ifndef IRONBOX_SNAPSHOT_H
#define IRONBOX_SNAPSHOT_H

#include <stddef.h>

#define IB_SNAPSHOT_FILES 32

struct ib_snapshot {
	unsigned refs;
	unsigned file;
	size_t len;
	char text[];
};

struct ib_snapshot_cache {
	struct ib_snapshot *current[IB_SNAPSHOT_FILES]; /* latest per file (not a reference) */
	size_t bytes, count;				/* pinned now */
	size_t max_bytes, max_count;
};

void ib_snapshot_cache_init(struct ib_snapshot_cache *c, size_t max_bytes, size_t max_count);
/* A referenced snapshot holding text (not consumed), or NULL when the budget
 * is spent (or file is out of range). */
struct ib_snapshot *ib_snapshot_get(struct ib_snapshot_cache *c, unsigned file, const char *text,
				    size_t len);
void ib_snapshot_put(struct ib_snapshot_cache *c, struct ib_snapshot *s);

#endif
