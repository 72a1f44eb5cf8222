/* ibread: read latency of files (the benchmark of emulated /proc files,
 * bench/sysctl-read.sh).
 *
 *   ibread N PATH...
 *
 * For each PATH, N times: open, read(2) until EOF, close. Prints one line
 * per path: "PATH ns_per_read BYTES" (BYTES: the size of one read-through),
 * or "PATH ERR errno-name" when the first open fails. Static, no libc
 * beyond the basics: it runs inside minimal containers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char buf[65536];
	long n;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: ibread N PATH...\n");
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		long long t0, t1;
		long bytes = 0;

		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = open(argv[a], O_RDONLY | O_CLOEXEC);
			ssize_t r;

			if (fd < 0) {
				printf("%s ERR %s\n", argv[a], strerrorname_np(errno));
				goto next;
			}
			bytes = 0;
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				bytes += r;
			close(fd);
		}
		t1 = now_ns();
		printf("%s %lld %ld\n", argv[a], (t1 - t0) / n, bytes);
	next:;
	}
	return 0;
}
