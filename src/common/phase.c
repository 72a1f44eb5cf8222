#include "common/phase.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define MAX_PHASES 32

static struct {
	bool on;
	const char *cmd;
	struct timespec start, last;
	long long cpu_start, cpu_last;
	const char *names[MAX_PHASES];
	long long us[MAX_PHASES], cpu_us[MAX_PHASES];
	size_t n;
	int fd; /* opened ahead by ib_phase_child, else -1 */
} ph = {.fd = -1};

static long long us_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000LL + (b->tv_nsec - a->tv_nsec) / 1000;
}

/* CPU time of this process and of the children it has reaped so far. */
static long long cpu_now(void)
{
	struct timespec t;
	struct rusage ru;
	long long us = 0;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0)
		us = (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		us += (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
		      ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	return us;
}

void ib_phase_start(const char *cmd)
{
	const char *f = getenv("IRONBOX_PHASES");

	ph.on = f && *f;
	ph.cmd = cmd;
	ph.n = 0;
	if (ph.on) {
		clock_gettime(CLOCK_MONOTONIC, &ph.start);
		ph.last = ph.start;
		ph.cpu_start = ph.cpu_last = cpu_now();
	}
}

void ib_phase_child(const char *cmd)
{
	if (!ph.on)
		return;
	ib_phase_start(cmd);
	ph.fd = open(getenv("IRONBOX_PHASES"), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

void ib_phase_child_since(const char *cmd, const struct timespec *start)
{
	ib_phase_child(cmd);
	if (ph.on) {
		ph.start = *start;
		ph.last = *start;
	}
}

static void mark(const char *name, const struct timespec *now, long long cpu)
{
	size_t i;

	for (i = 0; i < ph.n; i++)
		if (!strcmp(ph.names[i], name))
			break;
	if (i == ph.n) {
		if (ph.n == MAX_PHASES)
			return;
		ph.names[ph.n] = name;
		ph.us[ph.n] = 0;
		ph.cpu_us[ph.n++] = 0;
	}
	ph.us[i] += us_between(&ph.last, now);
	ph.cpu_us[i] += cpu - ph.cpu_last;
	ph.last = *now;
	ph.cpu_last = cpu;
}

void ib_phase_mark(const char *name)
{
	struct timespec now;

	if (!ph.on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	mark(name, &now, cpu_now());
}

void ib_phase_mark_at(const char *name, const struct timespec *at)
{
	if (ph.on)
		mark(name, at, ph.cpu_last);
}

int ib_phase_write(ib_err *err)
{
	struct json_object *o, *phases, *cpu;
	struct timespec now;
	const char *text;
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (!ph.on)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	o = json_object_new_object();
	phases = json_object_new_object();
	cpu = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(ph.cmd ? ph.cmd : ""));
	json_object_object_add(o, "total_us", json_object_new_int64(us_between(&ph.start, &now)));
	json_object_object_add(o, "total_cpu_us", json_object_new_int64(cpu_now() - ph.cpu_start));
	for (size_t i = 0; i < ph.n; i++) {
		json_object_object_add(phases, ph.names[i], json_object_new_int64(ph.us[i]));
		json_object_object_add(cpu, ph.names[i], json_object_new_int64(ph.cpu_us[i]));
	}
	json_object_object_add(o, "phases", phases);
	json_object_object_add(o, "cpu_phases", cpu);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (ph.fd >= 0) {
		fd = ph.fd;
		ph.fd = -1;
	} else {
		fd =
		    open(getenv("IRONBOX_PHASES"), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0 || ib_write_all(fd, text, strlen(text)) < 0 || ib_write_all(fd, "\n", 1) < 0)
		r = ib_err_sys(err, "write IRONBOX_PHASES");
	json_object_put(o);
	return r;
}
