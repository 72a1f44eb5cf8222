#include "supervisor/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void ib_snapshot_cache_init(struct ib_snapshot_cache *c, size_t max_bytes, size_t max_count)
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
	c->max_count = max_count;
}

struct ib_snapshot *ib_snapshot_get(struct ib_snapshot_cache *c, unsigned file, const char *text,
				    size_t len)
{
	struct ib_snapshot *s;
	size_t size = sizeof(*s) + len + 1;

	if (file >= IB_SNAPSHOT_FILES)
		return NULL;
	s = c->current[file];
	if (s && s->len == len && !memcmp(s->text, text, len)) {
		s->refs++;
		return s;
	}
	if (c->count + 1 > c->max_count || c->bytes + size > c->max_bytes)
		return NULL;
	s = ib_xmalloc0(size);
	s->refs = 1;
	s->file = file;
	s->len = len;
	memcpy(s->text, text, len);
	c->count++;
	c->bytes += size;
	c->current[file] = s;
	return s;
}

void ib_snapshot_put(struct ib_snapshot_cache *c, struct ib_snapshot *s)
{
	if (!s || --s->refs)
		return;
	if (s->file < IB_SNAPSHOT_FILES && c->current[s->file] == s)
		c->current[s->file] = NULL;
	c->count--;
	c->bytes -= sizeof(*s) + s->len + 1;
	free(s);
}
