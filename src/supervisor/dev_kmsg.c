/* /dev/kmsg: the kernel's log is the host's (the kernel refuses it to a
 * user namespace: EACCES, or no node at all without --privileged). The
 * container gets a log of its own instead, always empty: a read at the end
 * answers EAGAIN to a non-blocking reader (dmesg stops there, as on an
 * idle kernel log) and end-of-file to a blocking one; poll never reports it
 * readable (journald's event loop waits instead of spinning); writes
 * (systemd, journald, init scripts logging "to the kernel") are accepted
 * and dropped. */
#include <sys/types.h>

#include "common/util.h"
#include "supervisor/emul.h"

char *ib_emul_kmsg(const struct ib_emul_file *f)
{
	(void)f;
	return ib_xstrdup("");
}

ssize_t ib_emul_kmsg_write(const struct ib_emul_file *f, const char *buf, size_t len, off_t off)
{
	(void)f;
	(void)buf;
	(void)off;
	return (ssize_t)len;
}
