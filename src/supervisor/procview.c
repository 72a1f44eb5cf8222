#include "supervisor/procview.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* A growing output buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = ib_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3))) buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static char *buf_take(struct buf *b)
{
	if (!b->p)
		return ib_xstrdup("");
	return b->p;
}

char *ib_procview_uptime(const struct ib_procview_input *in)
{
	double up = in->uptime > 0 ? in->uptime : 0;

	/* The container's CPUs were idle for as long as it did nothing else:
	 * without per-container idle accounting, report its uptime (Sysbox does). */
	return ib_xasprintf("%.2f %.2f\n", up, up);
}

static bool mem_limited(const struct ib_procview_input *in, uint64_t host_total)
{
	return in->mem_limit > 0 && in->mem_limit < host_total;
}

/* "Key:   123 kB" -> value in kB, or -1. */
static int64_t meminfo_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, kl) == 0 && l[kl] == ':')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

char *ib_procview_meminfo(const char *host, const struct ib_procview_input *in)
{
	int64_t host_total = meminfo_value(host, "MemTotal");
	struct buf b = {0};
	uint64_t total, used, free_kb, cache, swap_total, swap_free;
	int64_t host_swap = meminfo_value(host, "SwapTotal");

	if (host_total < 0 || !mem_limited(in, (uint64_t)host_total * 1024))
		return ib_xstrdup(host);
	total = in->mem_limit / 1024;
	used = in->mem_usage / 1024;
	cache = in->mem_cache / 1024;
	if (cache > used)
		cache = used;
	free_kb = used < total ? total - used : 0;
	if (in->swap_limit == UINT64_MAX)
		swap_total = host_swap > 0 ? (uint64_t)host_swap : 0;
	else
		swap_total = in->swap_limit / 1024;
	swap_free = in->swap_usage / 1024 < swap_total ? swap_total - in->swap_usage / 1024 : 0;

	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
		char key[64];
		const char *colon = memchr(l, ':', len);
		size_t kl = colon ? (size_t)(colon - l) : 0;
		int64_t v = -1;

		if (colon && kl < sizeof(key)) {
			memcpy(key, l, kl);
			key[kl] = '\0';
			if (!strcmp(key, "MemTotal"))
				v = (int64_t)total;
			else if (!strcmp(key, "MemFree"))
				v = (int64_t)free_kb;
			else if (!strcmp(key, "MemAvailable"))
				v = (int64_t)(free_kb + cache < total ? free_kb + cache : total);
			else if (!strcmp(key, "Cached"))
				v = (int64_t)cache;
			else if (!strcmp(key, "Buffers"))
				v = 0;
			else if (!strcmp(key, "SwapTotal"))
				v = (int64_t)swap_total;
			else if (!strcmp(key, "SwapFree"))
				v = (int64_t)swap_free;
		}
		if (v >= 0) {
			char label[72];

			snprintf(label, sizeof(label), "%s:", key);
			buf_printf(&b, "%-16s%8" PRId64 " kB\n", label, v);
		} else {
			buf_add(&b, l, len);
		}
		l += len;
	}
	return buf_take(&b);
}

bool ib_procview_parse_cpuset(const char *list, bool *cpus, size_t n)
{
	const char *p = list;

	memset(cpus, 0, n * sizeof(bool));
	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p)
			return false;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return false;
		}
		for (unsigned long i = a; i <= b && i < n; i++)
			cpus[i] = true;
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return false;
	}
	return true;
}

size_t ib_procview_visible_cpus(const struct ib_procview_input *in, size_t n_host, bool *visible)
{
	size_t count = 0, cap = SIZE_MAX;

	if (in->cpu_quota > 0)
		cap = (size_t)ceil(in->cpu_quota);
	for (size_t i = 0; i < n_host; i++) {
		bool ok = !in->cpus || in->n_cpus == 0 || (i < in->n_cpus && in->cpus[i]);
		visible[i] = ok && count < cap;
		if (visible[i])
			count++;
	}
	return count;
}

/* Number of "processor" entries / cpuN lines in a host file. */
static size_t count_host_cpus(const char *text, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix), max = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, prefix, pl) == 0) {
			const char *q = l + pl;
			while (*q == ' ' || *q == '\t' || *q == ':')
				q++;
			if (*q >= '0' && *q <= '9') {
				size_t id = strtoul(q, NULL, 10);
				if (id + 1 > max)
					max = id + 1;
				n++;
			}
		}
	}
	return max > n ? max : n;
}

char *ib_procview_cpuinfo(const char *host, const struct ib_procview_input *in)
{
	size_t n_host = count_host_cpus(host, "processor");
	_cleanup_free_ bool *visible = ib_xmalloc0((n_host + 1) * sizeof(bool));
	struct buf b = {0};
	unsigned next = 0;
	bool keep = false;

	ib_procview_visible_cpus(in, n_host, visible);
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);

		if (strncmp(l, "processor", 9) == 0) {
			const char *q = strchr(l, ':');
			size_t id = q ? strtoul(q + 1, NULL, 10) : 0;

			keep = id < n_host && visible[id];
			if (keep)
				buf_printf(&b, "processor\t: %u\n", next++);
		} else if (keep) {
			buf_add(&b, l, len);
		}
		l += len;
	}
	return buf_take(&b);
}

char *ib_procview_stat(const char *host, const struct ib_procview_input *in)
{
	size_t n_host = count_host_cpus(host, "cpu");
	_cleanup_free_ bool *visible = ib_xmalloc0((n_host + 1) * sizeof(bool));
	uint64_t sum[10] = {0};
	struct buf cpus = {0}, rest = {0}, out = {0};
	unsigned next = 0;

	ib_procview_visible_cpus(in, n_host, visible);
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);

		if (strncmp(l, "cpu", 3) == 0 && l[3] >= '0' && l[3] <= '9') {
			char *end;
			size_t id = strtoul(l + 3, &end, 10);

			if (id < n_host && visible[id]) {
				uint64_t v[10] = {0};
				int k = 0;
				const char *p = end;

				for (; k < 10; k++) {
					char *e;
					v[k] = strtoull(p, &e, 10);
					if (e == p)
						break;
					p = e;
					sum[k] += v[k];
				}
				buf_printf(&cpus, "cpu%u", next++);
				for (int j = 0; j < k; j++)
					buf_printf(&cpus, " %" PRIu64, v[j]);
				buf_add(&cpus, "\n", 1);
			}
		} else if (strncmp(l, "cpu ", 4) != 0) {
			buf_add(&rest, l, len);
		}
		l += len;
	}
	buf_add(&out, "cpu ", 4);
	for (int j = 0; j < 10; j++)
		buf_printf(&out, " %" PRIu64, sum[j]);
	buf_add(&out, "\n", 1);
	if (cpus.p)
		buf_add(&out, cpus.p, cpus.len);
	if (rest.p)
		buf_add(&out, rest.p, rest.len);
	free(cpus.p);
	free(rest.p);
	return buf_take(&out);
}

char *ib_procview_loadavg(const struct ib_procview_input *in)
{
	return ib_xasprintf("%.2f %.2f %.2f %u/%u %d\n", in->load[0], in->load[1], in->load[2],
			    in->running, in->tasks, in->last_pid);
}

char *ib_procview_swaps(const struct ib_procview_input *in)
{
	(void)in;
	/* The host's swap devices are not the container's business. */
	return ib_xstrdup("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

double ib_procview_load_step(double load, unsigned running, double interval, double period)
{
	double e = exp(-interval / period);

	return load * e + (double)running * (1.0 - e);
}

static struct ib_procview_disk *disk_slot(struct ib_procview_disk **disks, size_t *n,
					  unsigned major, unsigned minor)
{
	for (size_t i = 0; i < *n; i++)
		if ((*disks)[i].major == major && (*disks)[i].minor == minor)
			return &(*disks)[i];
	*disks = ib_xrealloc(*disks, (*n + 1) * sizeof(**disks));
	memset(&(*disks)[*n], 0, sizeof(**disks));
	(*disks)[*n].major = major;
	(*disks)[*n].minor = minor;
	return &(*disks)[(*n)++];
}

void ib_procview_parse_blkio(const char *text, bool bytes, struct ib_procview_disk **disks,
			     size_t *n)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned major, minor;
		int used = 0;
		char op[16];
		unsigned long long v;
		struct ib_procview_disk *d;

		if (sscanf(l, "%u:%u%n", &major, &minor, &used) != 2)
			continue;
		d = disk_slot(disks, n, major, minor);
		if (sscanf(l + used, " %15s %llu", op, &v) == 2 && !strchr(op, '=')) {
			/* v1: one operation per line */
			if (!strcmp(op, "Read"))
				*(bytes ? &d->read_bytes : &d->reads) += v;
			else if (!strcmp(op, "Write"))
				*(bytes ? &d->write_bytes : &d->writes) += v;
			continue;
		}
		/* v2: key=value pairs on one line */
		for (const char *p = l + used; *p && *p != '\n';) {
			char key[16];
			int k = 0;

			while (*p == ' ')
				p++;
			if (sscanf(p, "%15[a-z]=%llu%n", key, &v, &k) != 2 || k == 0)
				break;
			if (!strcmp(key, "rbytes"))
				d->read_bytes = v;
			else if (!strcmp(key, "wbytes"))
				d->write_bytes = v;
			else if (!strcmp(key, "rios"))
				d->reads = v;
			else if (!strcmp(key, "wios"))
				d->writes = v;
			p += k;
		}
	}
}

char *ib_procview_diskstats(const char *host, const struct ib_procview_disk *disks, size_t n_disks)
{
	struct buf b = {0};

	for (const char *l = host; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned major, minor;
		char name[64];
		const struct ib_procview_disk *d = NULL;

		if (sscanf(l, "%u %u %63s", &major, &minor, name) != 3)
			continue;
		for (size_t i = 0; i < n_disks; i++)
			if (disks[i].major == major && disks[i].minor == minor)
				d = &disks[i];
		buf_printf(&b,
			   "%4u %7u %s %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64
			   " 0 0 0 0 0 0 0 0 0 0\n",
			   major, minor, name, d ? d->reads : 0, d ? d->read_bytes / 512 : 0,
			   d ? d->writes : 0, d ? d->write_bytes / 512 : 0);
	}
	return buf_take(&b);
}
