/* The table of virtualised /proc/sys knobs and the kernel's value syntax
 * (knob.h). Pure: no I/O. */
#include "sysctl/knob.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define IB_KNOB_ENTRY_(nm, pth, rl, tp, mn, mx, cnt, since, ceil)                                  \
	{.name = nm,                                                                               \
	 .path = pth,                                                                              \
	 .rule = IB_KNOB_##rl,                                                                     \
	 .type = IB_KNOB_##tp,                                                                     \
	 .min = mn,                                                                                \
	 .max = mx,                                                                                \
	 .n = cnt,                                                                                 \
	 .ns_since = since,                                                                        \
	 .ceiling = ceil},
/* A MAX knob's default ceiling is a value of the knob; a LOCAL one has none. */
#define IB_KNOB_CHECK_(nm, pth, rl, tp, mn, mx, cnt, since, ceil)                                  \
	_Static_assert(IB_KNOB_##rl == IB_KNOB_MAX ? (ceil) >= (mn) && (ceil) <= (mx)              \
						   : (ceil) == 0,                                  \
		       nm ": default ceiling");

const struct ib_knob ib_knobs[] = {IB_KNOBS(IB_KNOB_ENTRY_)};
IB_KNOBS(IB_KNOB_CHECK_)
const size_t ib_n_knobs = IB_ARRAY_SIZE(ib_knobs);
_Static_assert(IB_ARRAY_SIZE(ib_knobs) <= IB_KNOB_CAP, "raise IB_KNOB_CAP");

const struct ib_knob *ib_knob_by_path(const char *path)
{
	for (size_t i = 0; path && i < ib_n_knobs; i++)
		if (!strcmp(ib_knobs[i].path, path))
			return &ib_knobs[i];
	return NULL;
}

const struct ib_knob *ib_knob_by_name(const char *name)
{
	for (size_t i = 0; name && i < ib_n_knobs; i++)
		if (!strcmp(ib_knobs[i].name, name))
			return &ib_knobs[i];
	return NULL;
}

bool ib_knob_kernel_namespaces(const struct ib_knob *k, const char *release)
{
	unsigned major = 0, minor = 0;

	if (!k->ns_since || !release || sscanf(release, "%u.%u", &major, &minor) != 2)
		return false;
	return major * 100 + minor >= k->ns_since;
}

/* The kernel's separators (proc_wspace_sep) and what it skips. */
static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static bool is_space(char c)
{
	return isspace((unsigned char)c) != 0;
}

long ib_knob_parse(const struct ib_knob *k, const char *buf, size_t len, struct ib_knob_value *v,
		   ib_err *err)
{
	struct ib_knob_value out = *v;
	char text[64];
	size_t pos = 0;
	unsigned i;

	for (i = 0; i < k->n; i++) {
		size_t tl = 0;
		bool neg = false;
		unsigned long long u;
		char *end;

		while (pos < len && is_space(buf[pos]))
			pos++;
		if (pos == len)
			break;
		/* One number: what runs up to a separator (the kernel reads at
		 * most TMPBUFLEN = 22 bytes of it). */
		while (pos + tl < len && !is_sep(buf[pos + tl]) && buf[pos + tl] != '\0')
			tl++;
		if (tl == 0 || tl >= 22 || tl >= sizeof(text))
			return ib_err_set(err, EINVAL, "%s: not a number", k->name);
		memcpy(text, buf + pos, tl);
		text[tl] = '\0';
		if (text[0] == '-') {
			neg = true;
			if (k->type == IB_KNOB_ULONG)
				return ib_err_set(err, EINVAL, "%s: negative value", k->name);
		}
		if (!isdigit((unsigned char)text[neg ? 1 : 0]))
			return ib_err_set(err, EINVAL, "%s: not a number", k->name);
		errno = 0;
		u = strtoull(text + (neg ? 1 : 0), &end, 0);
		if (errno || *end)
			return ib_err_set(err, EINVAL, "%s: not a number: %s", k->name, text);
		if (neg ? u > (unsigned long long)INT64_MAX + 1 : u > (unsigned long long)INT64_MAX)
			return ib_err_set(err, EINVAL, "%s: out of range: %s", k->name, text);
		{
			int64_t val = neg ? (int64_t)(0 - u) : (int64_t)u;

			if (val < k->min || val > k->max)
				return ib_err_set(err, EINVAL,
						  "%s: %s is out of range [%" PRId64 ", %" PRId64
						  "]",
						  k->name, text, k->min, k->max);
			out.v[i] = val;
		}
		pos += tl;
		if (pos < len && buf[pos] == '\0')
			break;
	}
	/* No number at all: the kernel refuses the write. */
	if (i == 0)
		return ib_err_set(err, EINVAL, "%s: no value", k->name);
	while (pos < len && is_space(buf[pos]))
		pos++;
	*v = out;
	return (long)pos;
}

char *ib_knob_format(const struct ib_knob *k, const struct ib_knob_value *v)
{
	char buf[IB_KNOB_MAX_VALUES * 24 + 2];
	size_t used = 0;

	for (unsigned i = 0; i < k->n && i < IB_KNOB_MAX_VALUES; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%" PRId64,
					 i ? "\t" : "", v->v[i]);
	snprintf(buf + used, sizeof(buf) - used, "\n");
	return ib_xstrdup(buf);
}
