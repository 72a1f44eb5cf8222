/* /proc/meminfo and the answer to sysinfo(2): the container's memory as its
 * cgroup accounts it (limit, usage, memory.stat), complete and consistent
 * (free(1) and busybox free add the fields up), with no swap unless both
 * the container may swap and the host has swap. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "common/util.h"
#include "supervisor/emul.h"
#include "supervisor/procview.h"
#include "supervisor/textbuf.h"

/* A cgroup's "no limit" (v1: PAGE_COUNTER_MAX pages) is far above this. */
#define UNLIMITED_FROM (1ULL << 62)

/* "Key:   123 kB" -> value in kB, or -1. */
static int64_t meminfo_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l; l = ib_next_line(l))
		if (strncmp(l, key, kl) == 0 && l[kl] == ':')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

void ib_procview_parse_memstat(const char *text, struct ib_procview_memstat *out)
{
	/* v1 name (looked up as "total_<name>", the hierarchical figure), v2 name */
	static const struct {
		const char *v1, *v2;
		size_t off;
	} keys[] = {
#define K(v1, v2, f) {v1, v2, offsetof(struct ib_procview_memstat, f)}
	    K("cache", "file", cache),
	    K("rss", "anon", anon),
	    K("shmem", "shmem", shmem),
	    K("mapped_file", "file_mapped", mapped),
	    K("dirty", "file_dirty", dirty),
	    K("writeback", "file_writeback", writeback),
	    K("active_anon", "active_anon", active_anon),
	    K("inactive_anon", "inactive_anon", inactive_anon),
	    K("active_file", "active_file", active_file),
	    K("inactive_file", "inactive_file", inactive_file),
	    K("unevictable", "unevictable", unevictable),
	    K("rss_huge", "anon_thp", anon_thp),
	    K(NULL, "slab_reclaimable", slab_reclaimable),
	    K(NULL, "slab_unreclaimable", slab_unreclaimable),
	    K(NULL, "kernel_stack", kernel_stack),
	    K(NULL, "pagetables", pagetables),
#undef K
	};

	bool from_total[IB_ARRAY_SIZE(keys)] = {false};

	memset(out, 0, sizeof(*out));
	/* One pass; a v1 "total_" figure wins over a local one of the same
	 * name (v1's "shmem" is also v2's name). */
	for (const char *l = text; l && *l; l = ib_next_line(l)) {
		const char *sp = strchr(l, ' ');
		bool total = strncmp(l, "total_", 6) == 0;
		const char *key = total ? l + 6 : l;
		size_t kl;

		if (!sp)
			break;
		kl = (size_t)(sp - key);
		for (size_t i = 0; i < IB_ARRAY_SIZE(keys); i++) {
			const char *name = total ? keys[i].v1 : keys[i].v2;

			if (!name || strlen(name) != kl || strncmp(name, key, kl) != 0)
				continue;
			if (total || !from_total[i]) {
				*(uint64_t *)((char *)out + keys[i].off) =
				    strtoull(sp + 1, NULL, 10);
				from_total[i] = total;
			}
			break;
		}
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* "Key:" padded to 16 columns, the value right-aligned in 8, " kB\n" (the
 * kernel's layout) into line (64 bytes); returns the length. */
static size_t kv_line(char *line, const char *key, size_t kl, uint64_t v)
{
	char digits[24];
	size_t nd = 0, len = 0;

	if (kl > 30)
		kl = 30;
	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(line, key, kl);
	len = kl;
	line[len++] = ':';
	while (len < 16)
		line[len++] = ' ';
	for (size_t pad = nd; pad < 8; pad++)
		line[len++] = ' ';
	while (nd)
		line[len++] = digits[--nd];
	memcpy(line + len, " kB\n", 4);
	return len + 4;
}

bool ib_procview_mem_compute(const char *host, const struct ib_procview_input *in,
			     struct ib_procview_mem *m)
{
	int64_t host_total = meminfo_value(host, "MemTotal");
	int64_t host_avail = meminfo_value(host, "MemAvailable");
	int64_t host_swap = meminfo_value(host, "SwapTotal");
	const struct ib_procview_memstat *s = &in->mem;
	uint64_t used, rest, swap_allowed;
	bool limited;

	memset(m, 0, sizeof(*m));
	if (host_total <= 0)
		return false;
	limited = in->mem_limit > 0 && in->mem_limit / 1024 < (uint64_t)host_total;
	if (!limited && in->mem_usage == 0)
		return false;
	m->total = limited ? in->mem_limit / 1024 : (uint64_t)host_total;
	used = min_u64(in->mem_usage / 1024, m->total);
	m->free = m->total - used;
	/* Every part of the usage is capped by what is left of it, so the
	 * parts never add up to more than the whole. */
	m->cached = min_u64(s->cache / 1024, used);
	rest = used - m->cached;
	m->sreclaimable = min_u64(s->slab_reclaimable / 1024, rest);
	rest -= m->sreclaimable;
	m->sunreclaim = min_u64(s->slab_unreclaimable / 1024, rest);
	m->shmem = min_u64(s->shmem / 1024, m->cached);
	m->active_file = min_u64(s->active_file / 1024, m->cached);
	m->inactive_file = min_u64(s->inactive_file / 1024, m->cached - m->active_file);
	m->active_anon = min_u64(s->active_anon / 1024, used);
	m->inactive_anon = min_u64(s->inactive_anon / 1024, used - m->active_anon);
	m->unevictable = min_u64(s->unevictable / 1024, used);
	m->anon = min_u64(s->anon / 1024, used);
	m->anon_thp = min_u64(s->anon_thp / 1024, m->anon);
	m->mapped = min_u64(s->mapped / 1024, used);
	m->dirty = min_u64(s->dirty / 1024, m->cached);
	m->writeback = min_u64(s->writeback / 1024, m->cached);
	m->kernel_stack = min_u64(s->kernel_stack / 1024, used);
	m->pagetables = min_u64(s->pagetables / 1024, used);
	/* What could be had without swapping: free memory, the file cache
	 * (all of it but shmem when the LRU split is unknown), reclaimable
	 * slab. */
	if (m->active_file + m->inactive_file)
		m->available = m->free + m->active_file + m->inactive_file + m->sreclaimable;
	else
		m->available = m->free + (m->cached - m->shmem) + m->sreclaimable;
	m->available = min_u64(m->available, m->total);
	if (!limited && host_avail >= 0) {
		/* Bounded by the host only: never promise more than it has. */
		m->available = min_u64(m->available, (uint64_t)host_avail);
		m->free = min_u64(m->free, m->available);
	}
	swap_allowed = in->swap_limit == UINT64_MAX ? UINT64_MAX : in->swap_limit / 1024;
	m->swap_total = min_u64(swap_allowed, host_swap > 0 ? (uint64_t)host_swap : 0);
	m->swap_free = m->swap_total - min_u64(in->swap_usage / 1024, m->swap_total);
	return true;
}

char *ib_procview_meminfo(const char *host, const struct ib_procview_input *in)
{
	struct ib_procview_mem m;
	struct ib_textbuf b = {0};

	if (!ib_procview_mem_compute(host, in, &m))
		return ib_xstrdup(host);
	b.cap = strlen(host) + 256;
	b.p = ib_xmalloc0(b.cap);
	const struct {
		const char *key;
		uint64_t v;
	} vals[] = {
	    {"MemTotal", m.total},
	    {"MemFree", m.free},
	    {"MemAvailable", m.available},
	    {"Buffers", 0},
	    {"Cached", m.cached},
	    {"SwapCached", 0},
	    {"Active", m.active_anon + m.active_file},
	    {"Inactive", m.inactive_anon + m.inactive_file},
	    {"Active(anon)", m.active_anon},
	    {"Inactive(anon)", m.inactive_anon},
	    {"Active(file)", m.active_file},
	    {"Inactive(file)", m.inactive_file},
	    {"Unevictable", m.unevictable},
	    {"Mlocked", 0},
	    {"SwapTotal", m.swap_total},
	    {"SwapFree", m.swap_free},
	    {"Zswap", 0},
	    {"Zswapped", 0},
	    {"Dirty", m.dirty},
	    {"Writeback", m.writeback},
	    {"AnonPages", m.anon},
	    {"Mapped", m.mapped},
	    {"Shmem", m.shmem},
	    {"KReclaimable", m.sreclaimable},
	    {"Slab", m.sreclaimable + m.sunreclaim},
	    {"SReclaimable", m.sreclaimable},
	    {"SUnreclaim", m.sunreclaim},
	    {"KernelStack", m.kernel_stack},
	    {"PageTables", m.pagetables},
	    {"SecPageTables", 0},
	    {"NFS_Unstable", 0},
	    {"Bounce", 0},
	    {"WritebackTmp", 0},
	    /* the kernel's default: half of RAM (overcommit_ratio 50) + swap */
	    {"CommitLimit", m.total / 2 + m.swap_total},
	    {"Committed_AS", m.anon + m.shmem},
	    {"AnonHugePages", m.anon_thp},
	    {"ShmemHugePages", 0},
	    {"ShmemPmdMapped", 0},
	    {"FileHugePages", 0},
	    {"FilePmdMapped", 0},
	};

	/* The host's lines in the host's order; those the container has a
	 * figure for get it, the others (hugepage pool, vmalloc, direct map:
	 * the kernel's, not the container's) pass through. */
	for (const char *l = host; l; l = ib_next_line(l)) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
		const char *colon = memchr(l, ':', len);
		size_t kl = colon ? (size_t)(colon - l) : 0;
		size_t i;

		for (i = 0; colon && i < IB_ARRAY_SIZE(vals); i++)
			if (vals[i].key[0] == l[0] && strlen(vals[i].key) == kl &&
			    !strncmp(vals[i].key, l, kl))
				break;
		if (colon && i < IB_ARRAY_SIZE(vals)) {
			char line[64];

			ib_textbuf_add(&b, line, kv_line(line, vals[i].key, kl, vals[i].v));
		} else {
			ib_textbuf_add(&b, l, len);
		}
	}
	return ib_textbuf_take(&b);
}

size_t ib_procview_sysinfo(const struct ib_procview_mem *m, const struct ib_procview_input *in,
			   bool compat, void *out)
{
	uint64_t total = m->total * 1024, free_b = m->free * 1024, shared = m->shmem * 1024;
	uint64_t swap = m->swap_total * 1024, swap_free = m->swap_free * 1024;
	uint64_t loads[3];
	unsigned procs = in->tasks > 0xffff ? 0xffff : in->tasks;
	long up = in->uptime > 0 ? (long)in->uptime : 0;

	for (int i = 0; i < 3; i++)
		loads[i] = (uint64_t)(in->load[i] * (double)(1 << SI_LOAD_SHIFT));
	/* Built in an aligned local and copied: out may be any byte of the
	 * caller's message buffer. */
	if (compat) {
		struct ib_compat_sysinfo csi, *si = &csi;
		uint64_t unit = 1, biggest = total | swap;

		while (biggest / unit > UINT32_MAX)
			unit <<= 1;
		memset(si, 0, sizeof(*si));
		si->uptime = up > INT32_MAX ? INT32_MAX : (int32_t)up;
		for (int i = 0; i < 3; i++)
			si->loads[i] = loads[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)loads[i];
		si->totalram = (uint32_t)(total / unit);
		si->freeram = (uint32_t)(free_b / unit);
		si->sharedram = (uint32_t)(shared / unit);
		si->totalswap = (uint32_t)(swap / unit);
		si->freeswap = (uint32_t)(swap_free / unit);
		si->procs = (uint16_t)procs;
		si->mem_unit = (uint32_t)unit;
		memcpy(out, si, sizeof(*si));
		return sizeof(*si);
	}
	struct sysinfo nsi, *si = &nsi;

	memset(si, 0, sizeof(*si));
	si->uptime = up;
	for (int i = 0; i < 3; i++)
		si->loads[i] = (unsigned long)loads[i];
	si->totalram = total;
	si->freeram = free_b;
	si->sharedram = shared;
	si->bufferram = 0;
	si->totalswap = swap;
	si->freeswap = swap_free;
	si->procs = (unsigned short)procs;
	si->mem_unit = 1;
	memcpy(out, si, sizeof(*si));
	return sizeof(*si);
}

/* ---- I/O ---- */

void ib_emul_memory_input(struct ib_procview_input *in)
{
	_cleanup_free_ char *stat = ib_emul_cg_read("memory.stat");
	uint64_t memsw;

	in->mem_limit = ib_emul_cg_u64("memory.limit_in_bytes", 0);
	if (!in->mem_limit)
		in->mem_limit = ib_emul_cg_u64("memory.max", 0);
	in->mem_usage = ib_emul_cg_u64("memory.usage_in_bytes", 0);
	if (!in->mem_usage)
		in->mem_usage = ib_emul_cg_u64("memory.current", 0);
	ib_procview_parse_memstat(stat, &in->mem);
	/* Swap: v1 memsw is memory + swap; v2 swap.max is swap alone. Without
	 * either (no swap accounting) the container may swap as the host does. */
	memsw = ib_emul_cg_u64("memory.memsw.limit_in_bytes", 0);
	if (memsw) {
		if (memsw >= UNLIMITED_FROM || in->mem_limit >= UNLIMITED_FROM) {
			in->swap_limit = UINT64_MAX;
		} else {
			in->swap_limit = memsw > in->mem_limit ? memsw - in->mem_limit : 0;
		}
		memsw = ib_emul_cg_u64("memory.memsw.usage_in_bytes", in->mem_usage);
		in->swap_usage = memsw > in->mem_usage ? memsw - in->mem_usage : 0;
	} else {
		in->swap_limit = ib_emul_cg_u64("memory.swap.max", UINT64_MAX);
		if (in->swap_limit >= UNLIMITED_FROM)
			in->swap_limit = UINT64_MAX;
		in->swap_usage = ib_emul_cg_u64("memory.swap.current", 0);
	}
}

static bool current_mem(struct ib_procview_input *in, struct ib_procview_mem *m)
{
	_cleanup_free_ char *host = ib_emul_read_host("/proc/meminfo");

	ib_emul_memory_input(in);
	return host && ib_procview_mem_compute(host, in, m);
}

char *ib_emul_meminfo(const struct ib_emul_file *f)
{
	struct ib_procview_input in = {0};
	_cleanup_free_ char *host = ib_emul_read_host("/proc/meminfo");

	(void)f;
	if (!host)
		return NULL;
	ib_emul_memory_input(&in);
	return ib_procview_meminfo(host, &in);
}

int ib_emul_sysinfo(bool compat, void *out, size_t *len)
{
	struct ib_procview_input in = {0};
	struct ib_procview_mem m;

	if (!current_mem(&in, &m)) {
		/* Nothing known of the container's memory: the host's figures. */
		struct sysinfo host;

		memset(&m, 0, sizeof(m));
		if (sysinfo(&host) < 0)
			return -errno;
		m.total = (uint64_t)host.totalram * host.mem_unit / 1024;
		m.free = (uint64_t)host.freeram * host.mem_unit / 1024;
		m.shmem = (uint64_t)host.sharedram * host.mem_unit / 1024;
		m.swap_total = (uint64_t)host.totalswap * host.mem_unit / 1024;
		m.swap_free = (uint64_t)host.freeswap * host.mem_unit / 1024;
	}
	ib_emul_load_sampled();
	in.uptime = ib_emul_boottime() - ib_emul.init_start;
	memcpy(in.load, ib_emul.load, sizeof(in.load));
	in.tasks = ib_emul_count_tasks();
	*len = ib_procview_sysinfo(&m, &in, compat, out);
	return 0;
}
