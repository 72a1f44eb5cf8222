#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static ib_log_sink log_sink;
static void *log_data;
static enum ib_log_level log_max = IB_LOG_WARNING;

void ib_log_set_sink(ib_log_sink sink, void *data)
{
	log_sink = sink;
	log_data = data;
}

void ib_log_set_level(enum ib_log_level max_level)
{
	log_max = max_level;
}

void ib_log(enum ib_log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (level > log_max || !log_sink)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_sink(level, buf, log_data);
}
