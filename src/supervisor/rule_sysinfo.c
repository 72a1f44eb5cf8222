/* Rule "sysinfo": sysinfo(2) answered with the container's own figures
 * (memory limit and usage, swap, uptime, load, number of tasks: what its
 * /proc/meminfo, /proc/uptime and /proc/loadavg say) instead of the host's.
 * Rare (free, top, some runtimes at start-up), so trapped every time.
 *
 * The agent knows nothing of the container's cgroup (it lives in the
 * container's user namespace with an empty root): it asks the supervisor,
 * which renders /proc/meminfo too, over a socket of their own, then writes
 * the struct into the caller's memory through /proc/TID/mem opened while
 * the notification was still pending (so the file is the caller's very
 * address space, not a recycled pid's), and answers 0. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/notify.h"
#include "supervisor/sysinfo_msg.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define COMPAT_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define COMPAT_ARCH AUDIT_ARCH_ARM
#else
#error "sysinfo: unknown architecture"
#endif

#define REPLY_TIMEOUT_MS 5000

static int g_fd = -1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t g_seq;

bool ib_sysinfo_range_writable(const char *maps, uint64_t addr, size_t len)
{
	uint64_t need = addr, end = addr + len;

	if (len == 0 || end < addr)
		return false;
	/* maps is sorted by address: walk until need is covered up to end. */
	for (const char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long lo, hi;
		char perms[8];

		if (sscanf(l, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			return false;
		if (hi <= need)
			continue;
		if (lo > need || perms[1] != 'w')
			return false;
		need = hi;
		if (need >= end)
			return true;
	}
	return false;
}

void ib_rule_sysinfo_init(int fd)
{
	g_fd = fd;
}

/* The supervisor's answer for this ABI; its size, or -errno. */
static ssize_t ask(bool compat, struct ib_sysinfo_reply *rep)
{
	struct ib_sysinfo_req req = {.compat = compat};
	ssize_t r = -EIO;

	pthread_mutex_lock(&g_lock);
	req.seq = ++g_seq;
	if (g_fd < 0 || send(g_fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
		r = -ENOSYS;
		goto out;
	}
	for (;;) {
		struct pollfd p = {.fd = g_fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0) {
			r = -EAGAIN;
			break;
		}
		n = recv(g_fd, rep, sizeof(*rep), 0);
		if (n <= 0) {
			r = -ENOSYS; /* the supervisor is gone */
			break;
		}
		if ((size_t)n < offsetof(struct ib_sysinfo_reply, data) || rep->seq != req.seq)
			continue; /* a late answer to a request that timed out */
		r = rep->error ? -rep->error : (ssize_t)rep->len;
		break;
	}
out:
	pthread_mutex_unlock(&g_lock);
	return r;
}

void ib_rule_sysinfo(struct ib_notify_call *c)
{
	struct ib_sysinfo_reply rep;
	uint64_t addr = ib_notify_arg(c, 0);
	uint32_t arch = c->req->data.arch;
	_cleanup_close_ int mem = -1;
	_cleanup_free_ char *maps = NULL;
	ib_err err = {0};
	ssize_t len;

	ib_notify_arg_hex(c, "info", addr);
	if (arch != NATIVE_ARCH && arch != COMPAT_ARCH) {
		ib_notify_deny(c, ENOSYS, "sysinfo: unknown ABI");
		return;
	}
	len = ask(arch == COMPAT_ARCH, &rep);
	if (len < 0 || (size_t)len > sizeof(rep.data)) {
		if (ib_notify_valid(c))
			ib_notify_fail(c, len < 0 ? (int)-len : EIO);
		return;
	}
	mem = openat(c->caller.proc_fd, "mem", O_WRONLY | O_CLOEXEC);
	if (ib_read_file_at(c->caller.proc_fd, "maps", &maps, NULL, &err) < 0)
		maps = NULL;
	/* Opened before this check: the file is the caller's memory. */
	if (!ib_notify_valid(c))
		return;
	if (mem < 0 || !maps) {
		ib_notify_deny(c, EPERM, "sysinfo: caller's memory not writable");
		return;
	}
	if (!ib_sysinfo_range_writable(maps, addr, (size_t)len)) {
		ib_notify_fail(c, EFAULT);
		return;
	}
	if (pwrite(mem, rep.data, (size_t)len, (off_t)addr) != len) {
		ib_notify_fail(c, EFAULT);
		return;
	}
	ib_notify_reply(c, 0);
}
