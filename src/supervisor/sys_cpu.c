/* /sys/devices/system/cpu/online: the CPUs the container may use, with the
 * host's numbers. glibc's get_nprocs() (sysconf(_SC_NPROCESSORS_ONLN)) and
 * many runtimes size their thread pools by it. "possible" and "present"
 * stay the host's: per-CPU arrays are sized by them and indexed by the
 * number sched_getcpu() returns, which is the host's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "supervisor/emul.h"
#include "supervisor/procview.h"
#include "supervisor/textbuf.h"

#define MAX_CPUS 4096

char *ib_procview_cpu_list(const bool *cpus, size_t n)
{
	struct ib_textbuf b = {0};
	bool first = true;

	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (!cpus[i]) {
			i++;
			continue;
		}
		while (j + 1 < n && cpus[j + 1])
			j++;
		if (j == i)
			ib_textbuf_printf(&b, "%s%zu", first ? "" : ",", i);
		else
			ib_textbuf_printf(&b, "%s%zu-%zu", first ? "" : ",", i, j);
		first = false;
		i = j + 1;
	}
	ib_textbuf_add(&b, "\n", 1);
	return ib_textbuf_take(&b);
}

char *ib_procview_cpu_online(const char *host_online, const struct ib_procview_input *in)
{
	_cleanup_free_ bool *host = ib_xmalloc0(MAX_CPUS * sizeof(bool));
	_cleanup_free_ bool *out = ib_xmalloc0(MAX_CPUS * sizeof(bool));
	size_t cap = SIZE_MAX, count = 0;

	if (!ib_procview_parse_cpuset(host_online, host, MAX_CPUS))
		return ib_xstrdup(host_online);
	if (in->cpu_quota > 0)
		cap = (size_t)ceil(in->cpu_quota);
	for (size_t i = 0; i < MAX_CPUS && count < cap; i++) {
		bool allowed = !in->cpus || in->n_cpus == 0 || (i < in->n_cpus && in->cpus[i]);

		out[i] = host[i] && allowed;
		if (out[i])
			count++;
	}
	/* A cpuset naming no online CPU (hotplug): the host's list rather
	 * than an empty one nobody expects. */
	if (!count)
		return ib_xstrdup(host_online);
	return ib_procview_cpu_list(out, MAX_CPUS);
}

char *ib_emul_cpu_online(const struct ib_emul_file *f)
{
	struct ib_procview_input in = {0};
	bool cpus[1024];
	_cleanup_free_ char *host = ib_emul_read_host("/sys/devices/system/cpu/online");

	(void)f;
	if (!host)
		return NULL;
	ib_emul_cpu_input(&in, cpus, IB_ARRAY_SIZE(cpus));
	return ib_procview_cpu_online(host, &in);
}
