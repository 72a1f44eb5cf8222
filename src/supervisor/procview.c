/* Renderers of /proc/uptime, loadavg, swaps and diskstats, and the text
 * helpers every renderer uses (textbuf.h). */
#include "supervisor/procview.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "supervisor/textbuf.h"

void ib_textbuf_add(struct ib_textbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = ib_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ib_textbuf_printf(struct ib_textbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		ib_textbuf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

char *ib_textbuf_take(struct ib_textbuf *b)
{
	if (!b->p)
		return ib_xstrdup("");
	return b->p;
}

const char *ib_next_line(const char *l)
{
	const char *nl = strchr(l, '\n');

	return nl && nl[1] ? nl + 1 : NULL;
}

char *ib_procview_uptime(const struct ib_procview_input *in)
{
	double up = in->uptime > 0 ? in->uptime : 0;

	/* The container's CPUs were idle for as long as it did nothing else:
	 * without per-container idle accounting, report its uptime (Sysbox does). */
	return ib_xasprintf("%.2f %.2f\n", up, up);
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
	struct ib_textbuf b = {0};

	for (const char *l = host; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned major, minor;
		char name[64];
		const struct ib_procview_disk *d = NULL;

		if (sscanf(l, "%u %u %63s", &major, &minor, name) != 3)
			continue;
		for (size_t i = 0; i < n_disks; i++)
			if (disks[i].major == major && disks[i].minor == minor)
				d = &disks[i];
		ib_textbuf_printf(&b,
				  "%4u %7u %s %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64
				  " 0 0 0 0 0 0 0 0 0 0\n",
				  major, minor, name, d ? d->reads : 0, d ? d->read_bytes / 512 : 0,
				  d ? d->writes : 0, d ? d->write_bytes / 512 : 0);
	}
	return ib_textbuf_take(&b);
}
