/* process.capabilities: bounding, inheritable/permitted/effective (capset v3)
 * and ambient sets, with capabilities the runtime itself lacks dropped. */
#include "linux/process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

static int cap_last_cap(void)
{
	static int last = -1;
	char buf[16] = {0};
	long v;
	_cleanup_close_ int fd = -1;

	if (last >= 0)
		return last;
	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (ib_parse_long(buf, &v) && v >= 0 && v < 64)
			last = (int)v;
	}
	if (last < 0) {
		/* /proc not available: probe the bounding set. */
		last = 0;
		for (int c = 0; c < 64; c++)
			if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0)
				last = c;
	}
	return last;
}

uint64_t ib_caps_all_known(void)
{
	int last = cap_last_cap();
	return last >= 63 ? UINT64_MAX : ((UINT64_C(1) << (last + 1)) - 1);
}

uint64_t ib_caps_current_bounding(void)
{
	uint64_t set = 0;
	int last = cap_last_cap();

	for (int c = 0; c <= last; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
			set |= UINT64_C(1) << c;
	return set;
}

static int capget_v3(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*eff = (uint64_t)data[0].effective | ((uint64_t)data[1].effective << 32);
	*prm = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
	*inh = (uint64_t)data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
	return 0;
}

static int capset_v3(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Own table keeps this module independent of the spec tables. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

/* Append "CAP_X" names (or numbers) for the bits in set to a string. */
static char *caps_list(uint64_t set)
{
	char *out = ib_xstrdup("");

	for (int c = 0; c < 64; c++) {
		char name[32];
		char *next;

		if (!(set & (UINT64_C(1) << c)))
			continue;
		if ((size_t)c < IB_ARRAY_SIZE(cap_names))
			snprintf(name, sizeof(name), "CAP_%s", cap_names[c]);
		else
			snprintf(name, sizeof(name), "CAP_%d", c);
		next = ib_xasprintf("%s%s%s", out, out[0] ? " " : "", name);
		free(out);
		out = next;
	}
	return out;
}

static uint64_t runtime_bounding = ~UINT64_C(0);

void ib_caps_set_runtime_bounding(uint64_t set)
{
	runtime_bounding = set;
}

int ib_caps_apply(const struct ib_capabilities *caps, ib_err *err)
{
	uint64_t known = ib_caps_all_known();
	uint64_t bounding = ib_caps_current_bounding();
	uint64_t cur_eff, cur_prm, cur_inh, avail, requested, missing;
	uint64_t want_bnd, want_eff, want_prm, want_inh, want_amb;
	uint64_t amb_failed = 0;
	int last = cap_last_cap();

	if (capget_v3(&cur_eff, &cur_prm, &cur_inh) < 0)
		return ib_err_sys(err, "capget");

	/* What we can grant: in our bounding set and still permitted. */
	avail = bounding & runtime_bounding & cur_prm & known;
	requested = (caps->bounding | caps->effective | caps->inheritable | caps->permitted |
		     caps->ambient) &
		    known;
	missing = requested & ~avail;
	if (missing) {
		_cleanup_free_ char *names = caps_list(missing);
		ib_warn("dropping capabilities not available to the runtime: %s", names);
	}
	want_bnd = caps->bounding & avail;
	want_eff = caps->effective & avail;
	want_prm = caps->permitted & avail;
	/* capset refuses inheritable bits outside the (new) bounding set. */
	want_inh = caps->inheritable & avail & (want_bnd | cur_inh);
	want_amb = caps->ambient & avail;
	/* The kernel requires effective ⊆ permitted. */
	want_eff &= want_prm;

	/* After a uid change with KEEPCAPS the effective set is empty; raise
	 * everything we still permit so CAP_SETPCAP is usable for the drop. */
	if (cur_eff != cur_prm && capset_v3(cur_prm, cur_prm, cur_inh) < 0)
		return ib_err_sys(err, "capset (raise effective)");

	for (int c = 0; c <= last; c++) {
		uint64_t bit = UINT64_C(1) << c;
		if (!(bounding & bit) || (want_bnd & bit))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				continue; /* unknown to this kernel */
			return ib_err_sys(err, "drop capability %d from the bounding set", c);
		}
	}

	if (capset_v3(want_eff, want_prm, want_inh) < 0)
		return ib_err_sys(err,
				  "capset (effective %#llx, permitted %#llx, inheritable %#llx)",
				  (unsigned long long)want_eff, (unsigned long long)want_prm,
				  (unsigned long long)want_inh);

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		if (errno != EINVAL)
			return ib_err_sys(err, "clear ambient capabilities");
		/* Kernel without ambient capabilities. */
		if (want_amb)
			ib_warn("ambient capabilities are not supported by this kernel");
		return 0;
	}
	for (int c = 0; c <= last; c++) {
		uint64_t bit = UINT64_C(1) << c;
		if (!(want_amb & bit))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
			if (errno != EINVAL && errno != EPERM)
				return ib_err_sys(err, "raise ambient capability %d", c);
			amb_failed |= bit;
		}
	}
	if (amb_failed) {
		_cleanup_free_ char *names = caps_list(amb_failed);
		ib_debug("ambient capabilities not raised (not in permitted and inheritable): %s",
			 names);
	}
	return 0;
}
