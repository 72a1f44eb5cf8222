/* ibprobe: tries one privileged operation and reports the outcome.
 * Built static at test time (tests/lib/common.bash: build_helper) and copied
 * into container rootfs images. It never changes anything on success that
 * matters: clocks are set to their current value, CAD is only queried-off.
 *
 *   ibprobe OP [ARGS]
 *
 * Prints "OK" and exits 0 if the operation succeeded, or
 * "ERR <ERRNO-NAME> <strerror>" and exits 1 if it failed. Exit 2 = usage.
 *
 * OPs:
 *   finit-module FILE        finit_module(open(FILE), "", 0)
 *   init-module              init_module(garbage, 16, "")
 *   delete-module NAME       delete_module(NAME, O_NONBLOCK)
 *   bpf-map-next-id          bpf(BPF_MAP_GET_NEXT_ID)   (what `bpftool map show` does)
 *   bpf-prog-next-id         bpf(BPF_PROG_GET_NEXT_ID)
 *   bpf-map-create           bpf(BPF_MAP_CREATE, array of 1)
 *   open-read PATH           open(PATH, O_RDONLY) and read 1 byte
 *   read-size PATH           the same, and print "OK, N bytes read" (one record of /dev/kmsg)
 *   open-write PATH          open(PATH, O_WRONLY) (no write)
 *   write PATH VALUE         open(PATH, O_WRONLY) and write VALUE
 *   settimeofday             settimeofday(now)
 *   clock-settime            clock_settime(CLOCK_REALTIME, now)
 *   reboot-cad-off           reboot(LINUX_REBOOT_CMD_CAD_OFF)
 *   mknod-block MAJ MIN PATH mknod(PATH, S_IFBLK, MAJ:MIN) then open it
 *   mount-remount-rw PATH    mount(NULL, PATH, NULL, MS_REMOUNT|MS_BIND, NULL)
 *   umount PATH              umount2(PATH, MNT_DETACH)
 *   iopl                     iopl(3)
 *   swapoff PATH             swapoff(PATH)
 *   sethostname-host         (no-op placeholder; use the hostname applet)
 *   keyctl-session           keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)
 *   mount-dev DEV DIR FSTYPE mount(DEV, DIR, FSTYPE, 0) (then detached; an already
 *                            mounted filesystem shares its superblock)
 *   connect-unix PATH        connect() to the unix socket at PATH
 *   kill0 PID                kill(PID, 0)
 *   ptrace-attach PID        PTRACE_ATTACH, wait for the stop, PTRACE_DETACH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EROFS: return "EROFS";
	case ENOEXEC: return "ENOEXEC";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EFAULT: return "EFAULT";
	case ENOTDIR: return "ENOTDIR";
	case EEXIST: return "EEXIST";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ESRCH: return "ESRCH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOTBLK: return "ENOTBLK";
	case EIO: return "EIO";
	default: return "E?";
	}
}

static int report(long rc)
{
	if (rc < 0) {
		int e = errno;
		printf("ERR %s %s\n", errname(e), strerror(e));
		return 1;
	}
	printf("OK\n");
	return 0;
}

/* Open PATH and read one record (/dev/kmsg wants a whole one): the bytes
 * read, 0 when there is nothing to read yet, -1 with errno. */
static ssize_t read_one(const char *path)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && errno == EAGAIN)
		n = 0; /* open and read permitted, just nothing to read */
	e = errno;
	close(fd);
	errno = e;
	return n;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ibprobe OP [ARGS]\n");
		return 2;
	}
	const char *op = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);

	if (!strcmp(op, "finit-module") && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return report(-1);
		return report(syscall(__NR_finit_module, fd, "", 0));
	}
	if (!strcmp(op, "init-module")) {
		static char junk[16] = "not a module";
		return report(syscall(__NR_init_module, junk, sizeof(junk), ""));
	}
	if (!strcmp(op, "delete-module") && argc == 3)
		return report(syscall(__NR_delete_module, argv[2], O_NONBLOCK));
	if (!strcmp(op, "bpf-map-next-id") || !strcmp(op, "bpf-prog-next-id")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.start_id = 0;
		long rc = sys_bpf(!strcmp(op, "bpf-map-next-id") ? BPF_MAP_GET_NEXT_ID : BPF_PROG_GET_NEXT_ID, &attr);
		/* ENOENT = "no more ids": the call itself was permitted. */
		if (rc < 0 && errno == ENOENT)
			rc = 0;
		return report(rc);
	}
	if (!strcmp(op, "bpf-map-create")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.map_type = BPF_MAP_TYPE_ARRAY;
		attr.key_size = 4;
		attr.value_size = 4;
		attr.max_entries = 1;
		return report(sys_bpf(BPF_MAP_CREATE, &attr));
	}
	if (!strcmp(op, "open-read") && argc == 3)
		return report(read_one(argv[2]));
	if (!strcmp(op, "read-size") && argc == 3) {
		ssize_t n = read_one(argv[2]);
		if (n < 0)
			return report(-1);
		printf("OK, %zd bytes read\n", n);
		return 0;
	}
	if (!strcmp(op, "open-write") && argc == 3)
		return report(open(argv[2], O_WRONLY | O_CLOEXEC | O_NONBLOCK));
	if (!strcmp(op, "write") && argc == 4) {
		int fd = open(argv[2], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return report(-1);
		return report(write(fd, argv[3], strlen(argv[3])));
	}
	if (!strcmp(op, "settimeofday")) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		return report(settimeofday(&tv, NULL));
	}
	if (!strcmp(op, "clock-settime")) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		return report(clock_settime(CLOCK_REALTIME, &ts));
	}
	if (!strcmp(op, "reboot-cad-off"))
		return report(syscall(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
				      LINUX_REBOOT_CMD_CAD_OFF, NULL));
	if (!strcmp(op, "mknod-block") && argc == 5) {
		unlink(argv[4]);
		if (mknod(argv[4], S_IFBLK | 0600, makedev(atoi(argv[2]), atoi(argv[3]))) < 0)
			return report(-1);
		int fd = open(argv[4], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return report(-1);
		char c;
		return report(read(fd, &c, 1));
	}
	if (!strcmp(op, "mount-remount-rw") && argc == 3)
		return report(mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND, NULL));
	if (!strcmp(op, "umount") && argc == 3)
		return report(umount2(argv[2], MNT_DETACH));
	if (!strcmp(op, "iopl"))
		return report(iopl(3));
	if (!strcmp(op, "swapoff") && argc == 3)
		return report(swapoff(argv[2]));
	if (!strcmp(op, "keyctl-session"))
		return report(syscall(__NR_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL));

	if (!strcmp(op, "mount-dev") && argc == 5) {
		if (mount(argv[2], argv[3], argv[4], 0, NULL) < 0)
			return report(-1);
		umount2(argv[3], MNT_DETACH);
		return report(0);
	}
	if (!strcmp(op, "connect-unix") && argc == 3) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return report(-1);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		return report(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	}
	if (!strcmp(op, "kill0") && argc == 3)
		return report(kill(atoi(argv[2]), 0));
	if (!strcmp(op, "ptrace-attach") && argc == 3) {
		pid_t pid = atoi(argv[2]);
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
			return report(-1);
		waitpid(pid, NULL, __WALL);
		return report(ptrace(PTRACE_DETACH, pid, NULL, NULL));
	}

	fprintf(stderr, "ibprobe: unknown op or wrong arguments: %s\n", op);
	return 2;
}
