#include "common/signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

static const struct {
	const char *name;
	int sig;
} signal_table[] = {
    {"SIGABRT", SIGABRT}, {"SIGALRM", SIGALRM}, {"SIGBUS", SIGBUS},	  {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},  {"SIGCONT", SIGCONT}, {"SIGFPE", SIGFPE},	  {"SIGHUP", SIGHUP},
    {"SIGILL", SIGILL},	  {"SIGINT", SIGINT},	{"SIGIO", SIGIO},	  {"SIGIOT", SIGIOT},
    {"SIGKILL", SIGKILL}, {"SIGPIPE", SIGPIPE}, {"SIGPOLL", SIGPOLL},	  {"SIGPROF", SIGPROF},
    {"SIGPWR", SIGPWR},	  {"SIGQUIT", SIGQUIT}, {"SIGSEGV", SIGSEGV},	  {"SIGSTKFLT", SIGSTKFLT},
    {"SIGSTOP", SIGSTOP}, {"SIGSYS", SIGSYS},	{"SIGTERM", SIGTERM},	  {"SIGTRAP", SIGTRAP},
    {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU},	  {"SIGURG", SIGURG},
    {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGVTALRM", SIGVTALRM}, {"SIGWINCH", SIGWINCH},
    {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
};

/* Parse "N" as a small non-negative decimal; -1 on garbage. */
static int parse_small(const char *s)
{
	long v;

	if (!s || !isdigit((unsigned char)*s) || !ib_parse_long(s, &v) || v < 0 || v > 1024)
		return -1;
	return (int)v;
}

int ib_parse_signal(const char *s)
{
	const char *name;
	int n;

	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		n = parse_small(s);
		return n >= 0 && n <= SIGRTMAX ? n : -1;
	}
	name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < IB_ARRAY_SIZE(signal_table); i++) {
		if (strcasecmp(signal_table[i].name + 3, name) == 0)
			return signal_table[i].sig;
	}
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = strncasecmp(name, "RTMIN", 5) == 0;
		const char *rest = name + 5;
		int sig = min ? SIGRTMIN : SIGRTMAX;

		if (*rest == '\0')
			return sig;
		if ((min && *rest != '+') || (!min && *rest != '-'))
			return -1;
		n = parse_small(rest + 1);
		if (n < 0)
			return -1;
		sig = min ? sig + n : sig - n;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
	}
	return -1;
}

const char *ib_signal_name(int sig)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(signal_table); i++) {
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	}
	return NULL;
}
