/* /proc/cpuinfo and /proc/stat: only the CPUs the container may use (its
 * cpuset, capped by its CFS quota rounded up), numbered from 0 as a machine
 * with that many CPUs would show them; the "cpu" total line is their sum. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "supervisor/emul.h"
#include "supervisor/procview.h"
#include "supervisor/textbuf.h"

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

/* Number of "processor" entries / cpuN lines in a host file (the highest
 * CPU number + 1). For /proc/stat (no separator) the number must follow the
 * prefix at once: "cpu  4705 ..." is the total line, not CPU 4705. */
static size_t count_host_cpus(const char *text, const char *prefix, bool separator)
{
	size_t n = 0, pl = strlen(prefix), max = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, prefix, pl) == 0) {
			const char *q = l + pl;
			while (separator && (*q == ' ' || *q == '\t' || *q == ':'))
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
	size_t n_host = count_host_cpus(host, "processor", true);
	_cleanup_free_ bool *visible = ib_xmalloc0((n_host + 1) * sizeof(bool));
	struct ib_textbuf b = {0};
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
				ib_textbuf_printf(&b, "processor\t: %u\n", next++);
		} else if (keep) {
			ib_textbuf_add(&b, l, len);
		}
		l += len;
	}
	return ib_textbuf_take(&b);
}

char *ib_procview_stat(const char *host, const struct ib_procview_input *in)
{
	size_t n_host = count_host_cpus(host, "cpu", false);
	_cleanup_free_ bool *visible = ib_xmalloc0((n_host + 1) * sizeof(bool));
	uint64_t sum[10] = {0};
	struct ib_textbuf cpus = {0}, rest = {0}, out = {0};
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
				ib_textbuf_printf(&cpus, "cpu%u", next++);
				for (int j = 0; j < k; j++)
					ib_textbuf_printf(&cpus, " %" PRIu64, v[j]);
				ib_textbuf_add(&cpus, "\n", 1);
			}
		} else if (strncmp(l, "cpu ", 4) != 0) {
			ib_textbuf_add(&rest, l, len);
		}
		l += len;
	}
	ib_textbuf_add(&out, "cpu ", 4);
	for (int j = 0; j < 10; j++)
		ib_textbuf_printf(&out, " %" PRIu64, sum[j]);
	ib_textbuf_add(&out, "\n", 1);
	if (cpus.p)
		ib_textbuf_add(&out, cpus.p, cpus.len);
	if (rest.p)
		ib_textbuf_add(&out, rest.p, rest.len);
	free(cpus.p);
	free(rest.p);
	return ib_textbuf_take(&out);
}

/* ---- I/O ---- */

void ib_emul_cpu_input(struct ib_procview_input *in, bool *cpus, size_t n)
{
	_cleanup_free_ char *set = ib_emul_cg_read("cpuset.effective_cpus");
	_cleanup_free_ char *max = NULL;
	uint64_t quota, period;

	if (!set)
		set = ib_emul_cg_read("cpuset.cpus.effective");
	if (set && ib_procview_parse_cpuset(set, cpus, n)) {
		in->cpus = cpus;
		in->n_cpus = n;
	}
	quota = ib_emul_cg_u64("cpu.cfs_quota_us", 0);
	period = ib_emul_cg_u64("cpu.cfs_period_us", 0);
	if (quota && quota != UINT64_MAX && (int64_t)quota > 0 && period)
		in->cpu_quota = (double)quota / (double)period;
	max = ib_emul_cg_read("cpu.max");
	if (max && strncmp(max, "max", 3)) {
		unsigned long long q = 0, p = 0;
		if (sscanf(max, "%llu %llu", &q, &p) == 2 && p)
			in->cpu_quota = (double)q / (double)p;
	}
}

static char *render_cpu(const char *host_path,
			char *(*render)(const char *, const struct ib_procview_input *))
{
	struct ib_procview_input in = {0};
	bool cpus[1024];
	_cleanup_free_ char *host = ib_emul_read_host(host_path);

	if (!host)
		return NULL;
	ib_emul_cpu_input(&in, cpus, IB_ARRAY_SIZE(cpus));
	return render(host, &in);
}

char *ib_emul_cpuinfo(const struct ib_emul_file *f)
{
	(void)f;
	return render_cpu("/proc/cpuinfo", ib_procview_cpuinfo);
}

char *ib_emul_stat(const struct ib_emul_file *f)
{
	(void)f;
	return render_cpu("/proc/stat", ib_procview_stat);
}
