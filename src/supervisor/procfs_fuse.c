/* The FUSE side of the supervisor: a flat directory of the files in
 * ib_emul_files (emul.h) that are served (ib_emul_served(): not every
 * /proc/sys knob is), each rendered when it is opened for reading (so a
 * reader sees one consistent snapshot across its read calls; what opens
 * may pin is budgeted, snapshot.h). Files with a write handler may be
 * opened for writing by whom ib_emul_may_write() allows (the /proc/sys
 * knobs: the container's root): such an open pins nothing, each read
 * renders afresh. Low-level API, driven by the supervisor's own poll
 * loop. */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <poll.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/syscalls.h"

#include "supervisor/emul.h"
#include "supervisor/notify.h"
#include "supervisor/snapshot.h"
#include "supervisor/supervisor_int.h"

#define ROOT_INO 1
/* What all opens together may pin (snapshot.h). */
#define PIN_MAX_BYTES (512 * 1024)
#define PIN_MAX_COUNT 256
/* fh of an open that pins nothing: (file << 1) | 1; else a snapshot. */
#define UNPINNED(i) (((uint64_t)(i) << 1) | 1)

static struct ib_snapshot_cache cache = {.max_bytes = PIN_MAX_BYTES, .max_count = PIN_MAX_COUNT};

static void pin_stats(void)
{
	if (!ib_sup_stats)
		return;
	__atomic_store_n(&ib_sup_stats->pinned, cache.count, __ATOMIC_RELAXED);
	__atomic_store_n(&ib_sup_stats->pinned_bytes, cache.bytes, __ATOMIC_RELAXED);
}

static size_t n_files(void)
{
	return ib_emul_n_files();
}

/* A served file's index, -1 if none. */
static int file_index(const char *name)
{
	for (size_t i = 0; ib_emul_files[i].name; i++)
		if (!strcmp(ib_emul_files[i].name, name))
			return ib_emul_served(&ib_emul_files[i]) ? (int)i : -1;
	return -1;
}

static const struct ib_emul_file *file_of(fuse_ino_t ino)
{
	if (ino < ROOT_INO + 1 || ino > ROOT_INO + n_files())
		return NULL;
	return &ib_emul_files[ino - ROOT_INO - 1];
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == ROOT_INO) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		/* Content is produced on open. The size is an upper bound: reads
		 * are direct (op_open) and a short one ends the file; size 0 would
		 * stop sendfile (busybox cat) before it asks us. */
		const struct ib_emul_file *f = file_of(ino);

		st->st_mode = S_IFREG | (f ? ib_emul_mode(f) : 0444);
		st->st_nlink = 1;
		st->st_size = 1 << 20;
	}
}

/* What is served never changes (the contents do): one lookup per name, or
 * none at all after a readdirplus (the container's init reads the
 * directory once before it clones every file). */
static void fill_entry(int i, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = (fuse_ino_t)(ROOT_INO + 1 + i);
	fill_attr(e->ino, &e->attr);
	e->attr_timeout = 0;
	e->entry_timeout = 3600;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int i = parent == ROOT_INO ? file_index(name) : -1;

	if (i < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_entry(i, &e);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != ROOT_INO && (ino < ROOT_INO + 1 || ino > ROOT_INO + n_files())) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

/* Only what open(O_TRUNC) sends for a file the caller may write (see
 * op_init): nothing changes. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	const struct ib_emul_file *f = file_of(ino);

	(void)attr;
	(void)fi;
	if (!f ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) ||
	    ib_emul_may_write(f, fuse_req_ctx(req)->uid) != 0) {
		fuse_reply_err(req, EACCES);
		return;
	}
	op_getattr(req, ino, NULL);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ib_snapshot *snap;
	unsigned file;
	char *text;

	if (ino == ROOT_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (ino > ROOT_INO + n_files()) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	file = (unsigned)(ino - ROOT_INO - 1);
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		/* Every write goes to the file's handler as it is made, every
		 * read renders afresh (a knob reads back what was written). */
		int r = ib_emul_may_write(&ib_emul_files[file], fuse_req_ctx(req)->uid);

		if (r) {
			fuse_reply_err(req, r);
			return;
		}
		fi->fh = UNPINNED(file);
		fi->keep_cache = 0;
		fi->direct_io = 1;
		fi->noflush = 1;
		fuse_reply_open(req, fi);
		return;
	}
	text = ib_emul_files[file].render(&ib_emul_files[file]);
	if (!text) {
		fuse_reply_err(req, EIO);
		return;
	}
	snap = ib_snapshot_get(&cache, file, text, strlen(text));
	free(text);
	fi->fh = snap ? (uint64_t)(uintptr_t)snap : UNPINNED(file);
	if (ib_sup_stats) {
		IB_STAT_ADD(ib_sup_stats, fuse_opens, 1);
		if (!snap)
			IB_STAT_ADD(ib_sup_stats, fuse_unpinned, 1);
	}
	pin_stats();
	fi->keep_cache = 0;
	/* Straight to op_read, no page cache: one READ per read(2) (no
	 * readahead of the 1 MiB the size says, no size refresh), and nothing
	 * to write back on close. */
	fi->direct_io = 1;
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) != 0 && snap) {
		/* The opener is gone: no release will come. */
		ib_snapshot_put(&cache, snap);
		pin_stats();
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	_cleanup_free_ char *fresh = NULL;
	const char *text;
	size_t len;

	if (fi->fh & 1) {
		/* Unpinned: this read's own rendering. */
		const struct ib_emul_file *f = &ib_emul_files[fi->fh >> 1];

		fresh = f->render(f);
		text = fresh;
		len = fresh ? strlen(fresh) : 0;
	} else {
		const struct ib_snapshot *snap = (const struct ib_snapshot *)(uintptr_t)fi->fh;
		text = snap->text;
		len = snap->len;
	}
	if (!text || off < 0 || (size_t)off >= len) {
		const struct ib_emul_file *f = file_of(ino);

		/* A log with nothing new: a non-blocking reader hears EAGAIN. */
		if (f && (f->flags & IB_EMUL_STREAM) && (fi->flags & O_NONBLOCK))
			fuse_reply_err(req, EAGAIN);
		else
			fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	fuse_reply_buf(req, text + off, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!(fi->fh & 1)) {
		ib_snapshot_put(&cache, (struct ib_snapshot *)(uintptr_t)fi->fh);
		pin_stats();
	}
	fuse_reply_err(req, 0);
}

/* The root directory's entries from off on; plus: with every entry's lookup
 * in it (readdirplus), which the kernel puts in its dentry cache, so the
 * init's clones of our files cost no round trip each. */
static void list_root(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	char buf[8192];
	size_t used = 0, total = n_files() + 2;

	if (ino != ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (size_t i = (size_t)off; i < total; i++) {
		struct fuse_entry_param e = {0};
		const char *name = i == 0 ? "." : i == 1 ? ".." : ib_emul_files[i - 2].name;
		size_t need;

		if (i >= 2 && !ib_emul_served(&ib_emul_files[i - 2]))
			continue;
		if (i < 2) {
			/* "." and "..": never looked up, no entry counted. */
			e.attr.st_ino = ROOT_INO;
			e.attr.st_mode = S_IFDIR;
		} else {
			fill_entry((int)i - 2, &e);
		}
		need = plus ? fuse_add_direntry_plus(req, buf + used, size - used, name, &e,
						     (off_t)(i + 1))
			    : fuse_add_direntry(req, buf + used, size - used, name, &e.attr,
						(off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	list_root(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	list_root(req, ino, size, off, true);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	const struct ib_emul_file *f = file_of(ino);
	ssize_t n;

	(void)fi;
	if (!f || !f->write) {
		fuse_reply_err(req, EBADF);
		return;
	}
	/* Checked again for this write's caller (an fd passed on). */
	n = ib_emul_may_write(f, fuse_req_ctx(req)->uid);
	ib_emul.writer = fuse_req_ctx(req)->pid; /* for the audit log */
	n = n ? -n : f->write(f, buf, size, off);
	ib_emul.writer = 0;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* What poll and epoll see: a log with nothing new is never readable. */
static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	const struct ib_emul_file *f = file_of(ino);
	unsigned ev = POLLOUT | POLLWRNORM;

	(void)fi;
	if (ph)
		fuse_pollhandle_destroy(ph); /* nothing ever becomes ready later */
	if (!f || !(f->flags & IB_EMUL_STREAM))
		ev |= POLLIN | POLLRDNORM;
	fuse_reply_poll(req, ev);
}

/* open(O_TRUNC) of a writable file: no atomic_o_trunc (libfuse's
 * default), which makes the kernel set the file's size to 0 and then to
 * what is written: a splice read (busybox cat: sendfile) stops at that
 * size, the kernel never asks for it again on a mounted file. Without it, a
 * setattr comes (op_setattr) and its reply keeps the size. */
static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
	/* Every listing is a readdirplus (not only the first one). */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want =
		    (conn->want | FUSE_CAP_READDIRPLUS) & ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .write = op_write,
    .poll = op_poll,
};

/* What libfuse's own mount would do for root (fsname, subtype,
 * allow_other, nosuid, nodev), done by the runtime itself: the mount then
 * exists before the container's mount namespace is copied, while the
 * supervisor that serves it is still starting (requests wait in the fd). */
/* A read-only view beside the mount (<mountpoint>-ro), which the init
 * clones the /proc/sys knobs that go below a read-only path from: read-only
 * already, no mount_setattr (a global lock) per knob and container. Best
 * effort: without it the init makes each clone read-only itself. */
static void ro_view(const char *mountpoint)
{
	_cleanup_free_ char *ro = ib_xasprintf("%s" IB_PROCVIEW_RO_SUFFIX, mountpoint);
	_cleanup_close_ int t =
	    ib_open_tree(AT_FDCWD, mountpoint, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};

	if (t >= 0 && ib_mount_setattr(t, "", AT_EMPTY_PATH, &a) == 0 &&
	    (mkdir(ro, 0555) == 0 || errno == EEXIST))
		(void)ib_move_mount(t, "", AT_FDCWD, ro, MOVE_MOUNT_F_EMPTY_PATH);
}

int ib_procfs_fuse_mount(const char *mountpoint, ib_err *err)
{
	_cleanup_close_ int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char opts[128];

	if (fd < 0)
		return ib_err_sys(err, "open /dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("ironbox-proc", mountpoint, "fuse.ironbox", MS_NOSUID | MS_NODEV, opts) < 0)
		return ib_err_sys(err, "mount the emulated /proc files on %s", mountpoint);
	ro_view(mountpoint);
	return IB_STEAL_FD(fd);
}

struct fuse_session *ib_procfs_fuse_new(int fuse_fd)
{
	char *argv[] = {"ironbox-proc", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	char dev[32];

	if (!se)
		return NULL;
	/* Adopted, not mounted: libfuse never unmounts it either; it goes
	 * with the staging mount namespace when we exit. */
	snprintf(dev, sizeof(dev), "/dev/fd/%d", fuse_fd);
	if (fuse_session_mount(se, dev) != 0) {
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}
