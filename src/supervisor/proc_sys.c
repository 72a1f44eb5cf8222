/* The supervisor's /proc/sys files (sysctl/knob.h): one emulated file per
 * virtualised knob, "sysctl.<name>" in ib_emul_files (emul.h, flag
 * IB_EMUL_SYSCTL), mounted over the container's /proc/sys/<path> like the
 * other emulated /proc files (and so replicated on a proc the container
 * mounts itself).
 *
 * The container's private values live here, in the supervisor (host root,
 * outside the container): container-local knobs never reach the kernel;
 * a max-reconciled one is recorded in the host-wide table
 * (sysctl/hosttable.h), which sets the kernel to the maximum over the
 * host's original value and the live containers' values. When the
 * supervisor exits (the container's init is gone) its values are dropped
 * and the host reconciled again; `delete` does the same in case the
 * supervisor was killed.
 *
 * Reads: the container's own value once it wrote one; before that the
 * kernel's value (container-local) or the host's original value
 * (max-reconciled: another container's raise does not show). Writes: only
 * by the container's root (its host uid: the caller's fsuid as FUSE gives
 * it), never where the spec makes the entry read-only (EROFS), values
 * validated like the kernel (EINVAL), at offset 0 (the kernel ignores a
 * numeric write further on: sysctl_writes_strict). A max-reconciled value
 * above the admin's ceiling (policy "sysctlMaximums", passed in the
 * supervisor's configuration at create) that would raise the host is
 * refused with EPERM, audited (rule "sysctl"), and changes nothing: not
 * the host, not the container's own value. No process is spawned per
 * access. */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "state/state.h"
#include "supervisor/audit.h"
#include "supervisor/emul.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor_int.h"
#include "sysctl/hosttable.h"
#include "sysctl/knob.h"

#define SYS_PREFIX "/proc/sys/"
#define SYS_PREFIX_LEN 10

static struct {
	bool ready;
	char *holder; /* our container's state dir (absolute) */
	uid_t root_uid;
	pid_t pid;
	unsigned long long start;
	bool served[IB_KNOB_CAP];
	int64_t ceiling[IB_KNOB_CAP]; /* max-reconciled knobs: the admin's */
	const char *id;		      /* the container's, for the audit log */
	int audit_fd;
} ps = {.audit_fd = -1};

/* Per knob: the container's value, if it wrote one. */
static bool own_set[IB_KNOB_CAP];
static struct ib_knob_value own[IB_KNOB_CAP];
static bool readonly[IB_KNOB_CAP];
static bool host_held; /* some max-reconciled value of ours is in the table */
/* The kernel's files, kept open: a read at offset 0 renders afresh, and
 * the costly /proc/sys lookup is done once. */
static int kfd[IB_KNOB_CAP];

/* The knob of an IB_EMUL_SYSCTL entry (found by its path). */
static const struct ib_knob *knob_of(const struct ib_emul_file *f, size_t *idx)
{
	const struct ib_knob *k;

	if (!(f->flags & IB_EMUL_SYSCTL) || strncmp(f->path, SYS_PREFIX, SYS_PREFIX_LEN) != 0)
		return NULL;
	k = ib_knob_by_path(f->path + SYS_PREFIX_LEN);
	if (k && idx)
		*idx = (size_t)(k - ib_knobs);
	return k;
}

/* Does readonly path p (the spec's) cover /proc/sys/<path>? */
static bool covers(const char *p, const char *path)
{
	_cleanup_free_ char *full = ib_xasprintf("/proc/sys/%s", path);
	size_t pl = strlen(p);

	while (pl > 1 && p[pl - 1] == '/')
		pl--;
	return strncmp(full, p, pl) == 0 && (full[pl] == '\0' || full[pl] == '/');
}

void ib_proc_sys_init(const struct ib_supervisor_cfg *cfg, int audit_fd)
{
	struct utsname u;
	char real[PATH_MAX];

	ps.holder = ib_xstrdup(realpath(cfg->state_dir, real) ? real : cfg->state_dir);
	ps.id = cfg->id;
	ps.audit_fd = audit_fd >= 0 ? fcntl(audit_fd, F_DUPFD_CLOEXEC, 3) : -1;
	ps.root_uid = cfg->root_uid;
	ps.pid = getpid();
	ps.start = ib_proc_starttime(ps.pid);
	/* Each knob looked up from here: not /proc/sys again each time. */
	_cleanup_close_ int sys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	for (size_t i = 0; i < ib_n_knobs; i++) {
		/* Served where the host has it and does not namespace it. */
		own_set[i] = false;
		kfd[i] = -1;
		readonly[i] = cfg->proc_readonly;
		ps.ceiling[i] = cfg->sysctl_max ? cfg->sysctl_max[i] : ib_knobs[i].ceiling;
		for (size_t j = 0; cfg->readonly && cfg->readonly[j]; j++)
			if (covers(cfg->readonly[j], ib_knobs[i].path))
				readonly[i] = true;
		ps.served[i] = !ib_knob_kernel_namespaces(&ib_knobs[i], u.release) && sys >= 0 &&
			       faccessat(sys, ib_knobs[i].path, F_OK, 0) == 0;
	}
	ps.ready = true;
}

void ib_proc_sys_exit(void)
{
	ib_err e = {0};

	if (!ps.ready || !host_held)
		return;
	if (ib_sysctl_host_release(ps.holder, &e) < 0)
		ib_warn("sysctl: release %s: %s", ps.holder, e.msg);
	host_held = false;
}

bool ib_emul_sysctl_served(const struct ib_emul_file *f)
{
	size_t i = 0;

	return ps.ready && knob_of(f, &i) && ps.served[i];
}

/* Writable at all (whoever asks): 0 or an errno. */
static int writable(const struct ib_emul_file *f, size_t *i)
{
	if (!knob_of(f, i) || !ps.ready || !ps.served[*i])
		return EACCES;
	if (readonly[*i])
		return EROFS;
	return 0;
}

int ib_emul_sysctl_may_write(const struct ib_emul_file *f, uid_t uid)
{
	size_t i = 0;
	int r = writable(f, &i);

	if (r)
		return r;
	/* The kernel's files are host root's 0644: here the container's root. */
	if (uid != ps.root_uid)
		return EACCES;
	return 0;
}

/* The kernel's current value, as text. */
static char *kernel_text(const struct ib_knob *k)
{
	size_t i = (size_t)(k - ib_knobs);
	char buf[256];
	ssize_t n = -1;

	for (int attempt = 0; attempt < 2 && n < 0; attempt++) {
		if (kfd[i] < 0) {
			_cleanup_free_ char *path = ib_xasprintf("/proc/sys/%s", k->path);

			kfd[i] = open(path, O_RDONLY | O_CLOEXEC);
			if (kfd[i] < 0)
				return NULL;
		}
		n = pread(kfd[i], buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			close(kfd[i]);
			kfd[i] = -1;
		}
	}
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return ib_xstrdup(buf);
}

/* What the container sees before it wrote anything. */
static int initial_value(const struct ib_knob *k, struct ib_knob_value *v)
{
	_cleanup_free_ char *text = NULL;
	int64_t orig;
	ib_err e = {0};

	memset(v, 0, sizeof(*v));
	if (k->rule == IB_KNOB_MAX && ib_sysctl_host_original(k, &orig, &e) == 1) {
		v->v[0] = orig;
		return 0;
	}
	text = kernel_text(k);
	if (!text || ib_knob_parse(k, text, strlen(text), v, &e) < 0)
		return -1;
	return 0;
}

char *ib_emul_sysctl(const struct ib_emul_file *f)
{
	struct ib_knob_value v;
	const struct ib_knob *k;
	size_t i = 0;

	if (!(k = knob_of(f, &i)))
		return NULL;
	if (own_set[i])
		return ib_knob_format(k, &own[i]);
	if (k->rule == IB_KNOB_LOCAL)
		return kernel_text(k);
	if (initial_value(k, &v) < 0)
		return NULL;
	return ib_knob_format(k, &v);
}

/* The last pid of the caller's NSpid line: its pid in its own namespace
 * (0 if unknown). */
static pid_t container_pid(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *status = NULL;
	const char *ns, *end, *last;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = pid > 0 ? ib_emul_read(path) : NULL;
	ns = status ? strstr(status, "\nNSpid:") : NULL;
	if (!ns)
		return 0;
	ns += 7;
	end = strchrnul(ns, '\n');
	last = ns;
	for (const char *q = ns; q < end; q++)
		if (*q == '\t' || *q == ' ')
			last = q + 1;
	return (pid_t)atoi(last);
}

/* A write the admin's ceiling refused: one line in the audit log (the
 * value as parsed, not the caller's bytes). */
static void audit_refusal(const struct ib_knob *k, int64_t value, const char *why)
{
	_cleanup_free_ char *path = ib_xasprintf("/proc/sys/%s", k->path);
	struct json_object *args = json_object_new_object();
	struct ib_audit_entry e = {.id = ps.id,
				   .pid = ib_emul.writer,
				   .container_pid = container_pid(ib_emul.writer),
				   .syscall = "write",
				   .args = args,
				   .target = path,
				   .rule = "sysctl",
				   .reason = why,
				   .error = EPERM};

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "value", json_object_new_int64(value));
	if (ib_sup_stats)
		IB_STAT_ADD(ib_sup_stats, denied, 1);
	if (!ib_audit_write(ps.audit_fd, &e) && ib_sup_stats)
		IB_STAT_ADD(ib_sup_stats, audit_dropped, 1);
	json_object_put(args);
}

/* The caller's uid was checked (ib_emul_may_write()) by the FUSE side. */
ssize_t ib_emul_sysctl_write(const struct ib_emul_file *f, const char *buf, size_t len, off_t off)
{
	struct ib_knob_value v;
	const struct ib_knob *k;
	ib_err e = {0};
	long used;
	size_t i = 0;
	int r;

	if ((r = writable(f, &i)) != 0)
		return -r;
	k = &ib_knobs[i];
	/* sysctl_writes_strict: a numeric write past offset 0 is ignored. */
	if (off != 0)
		return (ssize_t)len;
	if (own_set[i])
		v = own[i];
	else if (initial_value(k, &v) < 0)
		return -EIO;
	used = ib_knob_parse(k, buf, len, &v, &e);
	if (used < 0)
		return -EINVAL;
	if (k->rule == IB_KNOB_MAX) {
		if (ib_sysctl_host_set(k, ps.holder, ps.pid, ps.start, v.v[0], ps.ceiling[i], &e) <
		    0) {
			if (e.code == EPERM) {
				audit_refusal(k, v.v[0], e.msg);
				return -EPERM;
			}
			ib_warn("sysctl %s: %s", k->name, e.msg);
			return e.code == EINVAL ? -EINVAL : -EIO;
		}
		host_held = true;
	}
	own[i] = v;
	own_set[i] = true;
	return used;
}
