/* timer: run container-lifecycle operations N times, alternating between
 * operations, and report per-operation latency and peak RSS.
 *
 *   timer N WARMUP SPECFILE
 *
 * SPECFILE describes operations, one block each; fields are TAB-separated:
 *
 *   OP	<label>
 *   CMD	argv0	argv1	...     run, wait; must exit 0 (timed)
 *   WAITPID	<pidfile>         wait until the pid in pidfile has exited (timed)
 *   CLEANUP	argv0	...       run after a failed iteration (not timed)
 *
 * "{i}" in any argument is replaced by the iteration number, so every
 * iteration can use a fresh container ID. Each iteration runs every op once,
 * in file order (so runtimes alternate). Commands are fork+exec'd directly
 * (no shell), with stdin/stdout/stderr on /dev/null (stderr of the first
 * failure of each op is shown). The timer makes itself a child subreaper so
 * orphaned container processes are reaped.
 *
 * Output, one line per op (TAB-separated):
 *   RESULT label ok_count fail_count median_ms p90_ms min_ms mean_ms maxrss_kb_median maxrss_kb_max
 *          cpu_ms_median cpu_ms_p90
 * RSS is the largest ru_maxrss (wait4) of the op's commands in an iteration:
 * the peak RSS of the runtime process (and of the children it reaped).
 * CPU is user+system time of everything the op started (the runtime, its
 * children, the container and any process reparented to the timer, which is
 * a subreaper): RUSAGE_CHILDREN of the timer across the op, once every
 * process of the op has been reaped. Unlike wall time it hardly depends on
 * how busy the machine is (kernel work done in kworkers is not included). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS 32
#define MAX_STEPS 16
#define MAX_ARGS 64

enum step_kind { S_CMD, S_WAITPID };

struct step {
	enum step_kind kind;
	int argc;
	char *argv[MAX_ARGS];
};

struct op {
	char *label;
	int nsteps;
	struct step steps[MAX_STEPS];
	int ncleanup;
	struct step cleanup[MAX_STEPS];
	double *ms;
	double *cpu;
	long *rss;
	int ok, fail;
	int shown_error;
	int disabled;
};

static struct op ops[MAX_OPS];
static int nops;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *subst(const char *s, int iter)
{
	const char *p = strstr(s, "{i}");
	if (!p)
		return strdup(s);
	char num[32];
	snprintf(num, sizeof(num), "%d", iter);
	size_t n = strlen(s) - 3 + strlen(num) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - s), s, num, p + 3);
	char *rec = subst(out, iter); /* more occurrences */
	free(out);
	return rec;
}

static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Reap until no child is left (processes that outlive the op's commands,
 * such as a supervisor on its way out), for at most 2 s. */
static void reap_all(void)
{
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r > 0) {
			i--;
			continue;
		}
		if (r < 0 && errno == ECHILD)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static double children_cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* stderr of commands goes to this (unlinked) file, not a pipe: a container
 * created by `create` inherits the runtime's stdio and would keep a pipe
 * open. */
static int errfd = -1;

/* Run argv; returns exit status (or 128+sig, or -1), *rss_kb = ru_maxrss. */
static int run_cmd(struct step *st, int iter, long *rss_kb, char *errbuf, size_t errlen)
{
	char *argv[MAX_ARGS + 1];
	for (int i = 0; i < st->argc; i++)
		argv[i] = subst(st->argv[i], iter);
	argv[st->argc] = NULL;
	if (errbuf && errfd >= 0 && ftruncate(errfd, 0) == 0)
		lseek(errfd, 0, SEEK_SET);
	pid_t pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);
		dup2(dn, 0);
		dup2(dn, 1);
		dup2(errbuf && errfd >= 0 ? errfd : dn, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	while (pid > 0 && wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (errbuf) {
		errbuf[0] = 0;
		if (errfd >= 0) {
			ssize_t got = pread(errfd, errbuf, errlen - 1, 0);
			errbuf[got > 0 ? got : 0] = 0;
		}
	}
	for (int i = 0; i < st->argc; i++)
		free(argv[i]);
	if (rss_kb)
		*rss_kb = ru.ru_maxrss;
	if (pid < 0 || status == -1)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int wait_pidfile(struct step *st, int iter)
{
	char *path = subst(st->argv[0], iter);
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	pid_t pid = atoi(buf);
	if (pid <= 1)
		return -1;
	/* Reparented to us (subreaper)? Then waitpid works; else poll. */
	for (int spins = 0; spins < 200000; spins++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno == ECHILD) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/%d/stat", pid);
			FILE *f = fopen(p, "re");
			if (!f)
				return 0;
			char state = 0;
			if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
				state = 'X';
			fclose(f);
			if (state == 'Z' || state == 'X')
				return 0;
		}
		struct timespec ts = { 0, 100000 }; /* 0.1 ms */
		nanosleep(&ts, NULL);
	}
	return -1; /* 20 s */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	if (n == 0)
		return 0;
	double idx = p * (n - 1);
	int lo = (int)idx;
	int hi = lo + 1 < n ? lo + 1 : lo;
	return v[lo] + (v[hi] - v[lo]) * (idx - lo);
}

static void parse_line(struct step *st, char *rest)
{
	st->argc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(rest, "\t", &save); tok && st->argc < MAX_ARGS;
	     tok = strtok_r(NULL, "\t", &save))
		st->argv[st->argc++] = strdup(tok);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: timer N WARMUP SPECFILE\n");
		return 2;
	}
	int n = atoi(argv[1]), warm = atoi(argv[2]);
	FILE *f = fopen(argv[3], "re");
	if (!f) {
		perror("timer: spec");
		return 2;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct op *cur = NULL;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (!*line || *line == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		char *rest = tab + 1;
		if (!strcmp(line, "OP")) {
			if (nops == MAX_OPS)
				break;
			cur = &ops[nops++];
			cur->label = strdup(rest);
		} else if (cur && !strcmp(line, "CMD") && cur->nsteps < MAX_STEPS) {
			cur->steps[cur->nsteps].kind = S_CMD;
			parse_line(&cur->steps[cur->nsteps++], rest);
		} else if (cur && !strcmp(line, "WAITPID") && cur->nsteps < MAX_STEPS) {
			cur->steps[cur->nsteps].kind = S_WAITPID;
			parse_line(&cur->steps[cur->nsteps++], rest);
		} else if (cur && !strcmp(line, "CLEANUP") && cur->ncleanup < MAX_STEPS) {
			cur->cleanup[cur->ncleanup].kind = S_CMD;
			parse_line(&cur->cleanup[cur->ncleanup++], rest);
		}
	}
	fclose(f);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	{
		char tmpl[] = "/tmp/ib-timer-err.XXXXXX";
		errfd = mkostemp(tmpl, O_CLOEXEC);
		if (errfd >= 0)
			unlink(tmpl);
	}
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < nops; i++) {
		ops[i].ms = calloc(n, sizeof(double));
		ops[i].rss = calloc(n, sizeof(long));
		ops[i].cpu = calloc(n, sizeof(double));
	}
	for (int it = -warm; it < n; it++) {
		for (int o = 0; o < nops; o++) {
			struct op *op = &ops[o];
			if (op->disabled)
				continue;
			int iter = it + warm; /* unique, >= 0 */
			long maxrss = 0;
			int failed = 0;
			char err[2048] = "";
			reap_all();
			double c0 = children_cpu_ms();
			double t0 = now_ms();
			for (int s = 0; s < op->nsteps && !failed; s++) {
				struct step *st = &op->steps[s];
				if (st->kind == S_CMD) {
					long rss = 0;
					int rc = run_cmd(st, iter, &rss, err, sizeof(err));
					if (rss > maxrss)
						maxrss = rss;
					if (rc != 0) {
						failed = 1;
						if (!op->shown_error) {
							fprintf(stderr, "timer: %s: `%s` exited %d: %s\n", op->label,
								st->argv[0], rc, err);
							op->shown_error = 1;
						}
					}
				} else if (wait_pidfile(st, iter) != 0) {
					failed = 1;
					if (!op->shown_error) {
						fprintf(stderr, "timer: %s: waiting for the container failed\n", op->label);
						op->shown_error = 1;
					}
				}
			}
			double dt = now_ms() - t0;
			reap_orphans();
			if (!failed)
				reap_all();
			double dc = children_cpu_ms() - c0;
			if (failed) {
				for (int c = 0; c < op->ncleanup; c++)
					run_cmd(&op->cleanup[c], iter, NULL, NULL, 0);
				reap_orphans();
				op->fail++;
				/* Give up on an op that keeps failing. */
				if (op->fail >= 3 && op->ok == 0)
					op->disabled = 1;
				continue;
			}
			if (it >= 0) {
				op->ms[op->ok] = dt;
				op->rss[op->ok] = maxrss;
				op->cpu[op->ok] = dc;
				op->ok++;
			}
		}
	}
	for (int o = 0; o < nops; o++) {
		struct op *op = &ops[o];
		if (op->ok == 0) {
			printf("RESULT\t%s\t0\t%d\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n", op->label,
			       op->fail);
			continue;
		}
		double sum = 0;
		for (int i = 0; i < op->ok; i++)
			sum += op->ms[i];
		qsort(op->ms, op->ok, sizeof(double), cmp_double);
		qsort(op->rss, op->ok, sizeof(long), cmp_long);
		qsort(op->cpu, op->ok, sizeof(double), cmp_double);
		printf("RESULT\t%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%ld\t%ld\t%.2f\t%.2f\n", op->label, op->ok,
		       op->fail, pct(op->ms, op->ok, 0.5), pct(op->ms, op->ok, 0.9), op->ms[0], sum / op->ok,
		       op->rss[op->ok / 2], op->rss[op->ok - 1], pct(op->cpu, op->ok, 0.5),
		       pct(op->cpu, op->ok, 0.9));
	}
	return 0;
}
