/* Between the notification agent's rule "sysinfo" (rule_sysinfo.c) and the
 * supervisor, which knows the container's figures (emul.h). One request,
 * one reply, over a SOCK_SEQPACKET pair. */
#ifndef IRONBOX_SYSINFO_MSG_H
#define IRONBOX_SYSINFO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ib_sysinfo_req {
	uint32_t seq;
	bool compat; /* a 32-bit caller's layout */
};

struct ib_sysinfo_reply {
	uint32_t seq;
	int32_t error; /* errno, 0: data holds len bytes */
	uint32_t len;
	unsigned char data[128]; /* struct sysinfo or ib_compat_sysinfo */
};

/* Is [addr, addr + len) in writable mappings of a /proc/PID/maps text? (the
 * kernel's sysinfo(2) fails with EFAULT otherwise; a write through
 * /proc/PID/mem would go through to a read-only private page). Pure. */
bool ib_sysinfo_range_writable(const char *maps, uint64_t addr, size_t len);

/* The agent side: the socket (fd) to ask on. */
void ib_rule_sysinfo_init(int fd);

#endif
