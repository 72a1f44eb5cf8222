/* launch: run COUNT commands with K of them in flight at once, and print
 * each one's wall time and exit status. bench/scale.sh's driver.
 *
 *   launch K COUNT argv0 argv1 ...
 *
 * "{i}" in an argument is replaced by the command's number (1..COUNT), so
 * each can name a container of its own. Commands are spawned directly (no
 * shell: on a 2-vCPU VM whose page faults are costly, a bash and two
 * `date`s per container cost as much CPU as a runtime's create, which
 * diluted the runtimes' differences and added to the noise), with stdin
 * and stdout on /dev/null; stderr is ours.
 *
 * Output, one line per command as it ends: "microseconds status", status
 * being the exit code (128+signal if killed, 127 if it could not start). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* arg with every "{i}" replaced by i (malloc'd). */
static char *subst(const char *arg, int i)
{
	char num[16], *out;
	size_t n = 0, cap = strlen(arg) + 1;
	int len = snprintf(num, sizeof(num), "%d", i);

	for (const char *p = arg; (p = strstr(p, "{i}")); p += 3)
		cap += (size_t)len;
	out = malloc(cap);
	if (!out)
		exit(2);
	for (const char *p = arg; *p;) {
		if (!strncmp(p, "{i}", 3)) {
			memcpy(out + n, num, (size_t)len);
			n += (size_t)len;
			p += 3;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

struct slot {
	pid_t pid;
	long long t0;
};

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct slot *slots;
	int k, count, started = 0, running = 0, nargs;
	char **args;

	if (argc < 4 || (k = atoi(argv[1])) < 1 || (count = atoi(argv[2])) < 0) {
		fprintf(stderr, "usage: launch K COUNT argv0 [args...]\n");
		return 2;
	}
	nargs = argc - 3;
	slots = calloc((size_t)k, sizeof(*slots));
	args = calloc((size_t)nargs + 1, sizeof(*args));
	if (!slots || !args)
		return 2;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (started < count || running > 0) {
		if (started < count && running < k) {
			int s = 0, i = ++started, r;
			pid_t pid;

			while (slots[s].pid)
				s++;
			for (int a = 0; a < nargs; a++)
				args[a] = subst(argv[3 + a], i);
			slots[s].t0 = now_us();
			r = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
			for (int a = 0; a < nargs; a++)
				free(args[a]);
			if (r != 0) {
				fprintf(stderr, "launch: %s: %s\n", argv[3], strerror(r));
				printf("%lld 127\n", now_us() - slots[s].t0);
				continue;
			}
			slots[s].pid = pid;
			running++;
			continue;
		}
		int st;
		pid_t pid = waitpid(-1, &st, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("launch: waitpid");
			return 2;
		}
		for (int s = 0; s < k; s++) {
			if (slots[s].pid != pid)
				continue;
			printf("%lld %d\n", now_us() - slots[s].t0,
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			slots[s].pid = 0;
			running--;
		}
	}
	return 0;
}
