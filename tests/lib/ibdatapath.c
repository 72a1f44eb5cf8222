/* Data-path loop for bench/datapath.sh: system calls that a runtime must
 * never trap (DESIGN.md behaviour 6), timed inside the container.
 *
 *   ibdatapath N FILE     N operations, round-robin: getpid(2);
 *                         open(FILE) + read + close; write(2) of one byte
 *                         to a pipe (drained every 4096 bytes)
 *
 * One operation is one system call (the drain reads are counted too).
 * Prints "ns_per_op <n>" then "OK".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n, ops = 0;
	int p[2], pending = 0;
	char buf[4096];
	struct timespec t0, t1;

	if (argc != 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: ibdatapath N FILE\n");
		return 2;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pipe");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ops < n) {
		int fd;

		(void)syscall(SYS_getpid); /* not glibc's: no caching */
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("open");
			return 1;
		}
		if (read(fd, buf, sizeof(buf)) < 0) {
			perror("read");
			return 1;
		}
		close(fd);
		if (write(p[1], buf, 1) != 1) {
			perror("write");
			return 1;
		}
		ops += 5;
		if (++pending == (int)sizeof(buf)) {
			if (read(p[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
				perror("drain");
				return 1;
			}
			pending = 0;
			ops++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns_per_op %lld\n",
	       ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec)) /
		   ops);
	printf("OK\n");
	return 0;
}
