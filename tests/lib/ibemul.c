/* Test helper (static, runs inside containers): the emulated files and the
 * sysinfo(2) rule, as a program sees them.
 *   ibemul sysinfo      the fields of sysinfo(2), one "key value" a line
 *   ibemul sysinfo32    the same through the i386 ABI (int 0x80, x86_64 only:
 *                       the compat layout); "guard intact" if nothing past
 *                       the 64-byte struct was written
 *   ibemul int80        getpid(2) through the i386 ABI, on the host: does
 *                       this machine take such calls at all?
 *   ibemul sysinfo-bad  sysinfo(2) into NULL and into a read-only page: the
 *                       errno of each ("null EFAULT", "readonly EFAULT")
 *   ibemul kmsg         /dev/kmsg as journald and dmesg open it: a
 *                       non-blocking read (EAGAIN or bytes), poll for input
 *                       (0 = not readable), a blocking read (0 = EOF), a write
 *   ibemul readloop N FILE...
 *                       read each FILE whole N times (open, read to EOF,
 *                       close): "ns_per_read FILE NS" (bench/procread.sh) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int do_sysinfo(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0) {
		printf("ERR %s\n", strerror(errno));
		return 1;
	}
	printf("totalram %llu\n", (unsigned long long)si.totalram * si.mem_unit);
	printf("freeram %llu\n", (unsigned long long)si.freeram * si.mem_unit);
	printf("sharedram %llu\n", (unsigned long long)si.sharedram * si.mem_unit);
	printf("bufferram %llu\n", (unsigned long long)si.bufferram * si.mem_unit);
	printf("totalswap %llu\n", (unsigned long long)si.totalswap * si.mem_unit);
	printf("freeswap %llu\n", (unsigned long long)si.freeswap * si.mem_unit);
	printf("procs %u\n", (unsigned)si.procs);
	printf("uptime %ld\n", (long)si.uptime);
	printf("load1 %lu\n", (unsigned long)si.loads[0]);
	return 0;
}

#if defined(__x86_64__)
/* struct sysinfo of a 32-bit process, and what follows it in memory. */
static struct {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t totalhigh, freehigh, mem_unit;
	char f[8];
	unsigned char guard[64];
} si32;

/* Does this machine take i386 system calls from a 64-bit process at all?
 * (Some hypervisors' guests fault on int 0x80.) getpid(2), number 20. */
static int do_int80(void)
{
	long rc;

	__asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
	printf("i386 getpid %ld\n", rc);
	return rc == (long)getpid() ? 0 : 1;
}

static int do_sysinfo32(void)
{
	long rc;

	if ((uintptr_t)&si32 > 0xffffffffUL) {
		printf("ERR not addressable from the i386 ABI\n");
		return 1;
	}
	memset(&si32, 0xa5, sizeof(si32));
	__asm__ volatile("int $0x80"
			 : "=a"(rc)
			 : "a"(116L), "b"((long)(uintptr_t)&si32)
			 : "memory");
	if (rc < 0) {
		printf("ERR %s\n", strerror((int)-rc));
		return 1;
	}
	printf("totalram %llu\n", (unsigned long long)si32.totalram * si32.mem_unit);
	printf("freeram %llu\n", (unsigned long long)si32.freeram * si32.mem_unit);
	printf("totalswap %llu\n", (unsigned long long)si32.totalswap * si32.mem_unit);
	printf("procs %u\n", (unsigned)si32.procs);
	printf("uptime %d\n", (int)si32.uptime);
	for (size_t i = 0; i < sizeof(si32.guard); i++)
		if (si32.guard[i] != 0xa5) {
			printf("guard overwritten\n");
			return 1;
		}
	printf("guard intact\n");
	return 0;
}
#endif

static const char *errname(int e)
{
	return e == EFAULT ? "EFAULT" : strerror(e);
}

static int do_sysinfo_bad(void)
{
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r;

	r = syscall(SYS_sysinfo, NULL);
	printf("null %s\n", r == 0 ? "OK" : errname(errno));
	r = syscall(SYS_sysinfo, ro);
	printf("readonly %s\n", r == 0 ? "OK" : errname(errno));
	return 0;
}

static int do_kmsg(void)
{
	char buf[8192];
	int fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct pollfd p;
	ssize_t n;

	if (fd < 0) {
		printf("open ERR %s\n", strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	printf("nonblock-read %s\n", n < 0 ? strerror(errno) : n == 0 ? "EOF" : "DATA");
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	printf("poll-in %d\n", poll(&p, 1, 200));
	n = write(fd, "<6>ibemul: hello\n", 17);
	printf("write %zd\n", n);
	close(fd);
	fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	printf("blocking-read %s\n", n < 0 ? strerror(errno) : n == 0 ? "EOF" : "DATA");
	return 0;
}

static int do_readloop(int n, char **files, int n_files)
{
	static char buf[65536];

	for (int f = 0; f < n_files; f++) {
		struct timespec a, b;
		long long total = 0;

		for (int i = -n / 10 - 1; i < n; i++) { /* a tenth to warm up */
			int fd;
			ssize_t r;

			if (i == 0)
				clock_gettime(CLOCK_MONOTONIC, &a);
			fd = open(files[f], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				printf("ERR %s: %s\n", files[f], strerror(errno));
				return 1;
			}
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				total += r;
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("ns_per_read %s %lld\n", files[f],
		       ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / n);
		(void)total;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "readloop"))
		return do_readloop(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1, argv + 3, argc - 3);
	if (argc > 1 && !strcmp(argv[1], "sysinfo"))
		return do_sysinfo();
#if defined(__x86_64__)
	if (argc > 1 && !strcmp(argv[1], "sysinfo32"))
		return do_sysinfo32();
	if (argc > 1 && !strcmp(argv[1], "int80"))
		return do_int80();
#endif
	if (argc > 1 && !strcmp(argv[1], "sysinfo-bad"))
		return do_sysinfo_bad();
	if (argc > 1 && !strcmp(argv[1], "kmsg"))
		return do_kmsg();
	fprintf(stderr, "usage: ibemul sysinfo|kmsg|readloop N FILE...\n");
	return 2;
}
