/* The FUSE side of the supervisor: the files in ib_supervisor_files (paths,
 * "sys/vm/overcommit_memory" under directories the names imply), each
 * rendered when it is opened (so a reader sees one consistent snapshot
 * across its read calls; what opens may pin is budgeted, snapshot.h). Read
 * only, but for the /proc/sys knobs (proc_sys.c), which the container's
 * root may write. Low-level API, driven by the supervisor's own poll
 * loop. */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

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
	size_t n = 0;

	while (ib_supervisor_files[n])
		n++;
	return n;
}

/* The directories the file names imply ("sys", "sys/vm", ...): inodes
 * after the files'. */
static char **dirs;
static size_t n_dirs;

static void build_dirs(void)
{
	for (size_t i = 0; ib_supervisor_files[i]; i++) {
		const char *f = ib_supervisor_files[i];

		for (const char *sl = strchr(f, '/'); sl; sl = strchr(sl + 1, '/')) {
			size_t len = (size_t)(sl - f), j;

			for (j = 0; j < n_dirs; j++)
				if (strlen(dirs[j]) == len && !strncmp(dirs[j], f, len))
					break;
			if (j < n_dirs)
				continue;
			dirs = ib_xrealloc(dirs, (n_dirs + 1) * sizeof(*dirs));
			dirs[n_dirs++] = ib_xasprintf("%.*s", (int)len, f);
		}
	}
}

static bool is_dir(fuse_ino_t ino)
{
	return ino == ROOT_INO ||
	       (ino > ROOT_INO + n_files() && ino <= ROOT_INO + n_files() + n_dirs);
}

/* The path of a directory inode ("" for the root), NULL if none. */
static const char *dir_path(fuse_ino_t ino)
{
	if (ino == ROOT_INO)
		return "";
	if (!is_dir(ino))
		return NULL;
	return dirs[ino - ROOT_INO - 1 - n_files()];
}

/* The inode of parent/name (a served file or an implied directory), 0 if
 * none. */
static fuse_ino_t child_ino(fuse_ino_t parent, const char *name)
{
	const char *pp = dir_path(parent);
	_cleanup_free_ char *full = NULL;

	if (!pp)
		return 0;
	full = *pp ? ib_xasprintf("%s/%s", pp, name) : ib_xstrdup(name);
	for (size_t i = 0; ib_supervisor_files[i]; i++)
		if (!strcmp(ib_supervisor_files[i], full))
			return ib_supervisor_file_served(full) ? (fuse_ino_t)(ROOT_INO + 1 + i) : 0;
	for (size_t j = 0; j < n_dirs; j++)
		if (!strcmp(dirs[j], full))
			return (fuse_ino_t)(ROOT_INO + 1 + n_files() + j);
	return 0;
}

/* Is path directly in directory dp? */
static bool in_dir(const char *path, const char *dp)
{
	size_t dl = strlen(dp);

	if (dl && (strncmp(path, dp, dl) != 0 || path[dl] != '/'))
		return false;
	return strchr(path + (dl ? dl + 1 : 0), '/') == NULL;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (is_dir(ino)) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		/* Content is produced on open. The size is an upper bound: a short
		 * read ends the file (FUSE then trims i_size), and unlike size 0
		 * with direct_io it keeps sendfile (busybox cat) working. */
		st->st_mode =
		    S_IFREG | ib_supervisor_file_mode(ib_supervisor_files[ino - ROOT_INO - 1]);
		st->st_nlink = 1;
		st->st_size = 1 << 20;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {0};

	e.ino = child_ino(parent, name);
	if (!e.ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(e.ino, &e.attr);
	/* What is served never changes (the contents do): one lookup per name
	 * (ib_proc_sys_warm makes them while create goes on). */
	e.attr_timeout = is_dir(e.ino) ? 3600 : 0;
	e.entry_timeout = 3600;
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (!is_dir(ino) && (ino < ROOT_INO + 1 || ino > ROOT_INO + n_files())) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

/* Only what open(O_TRUNC) sends for a writable knob: nothing changes. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)attr;
	(void)fi;
	if (is_dir(ino) || ino > ROOT_INO + n_files() ||
	    (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) ||
	    ib_supervisor_file_may_write(ib_supervisor_files[ino - ROOT_INO - 1],
					 fuse_req_ctx(req)->uid) != 0) {
		fuse_reply_err(req, EACCES);
		return;
	}
	op_getattr(req, ino, NULL);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	long r;

	(void)fi;
	if (is_dir(ino) || ino > ROOT_INO + n_files()) {
		fuse_reply_err(req, EBADF);
		return;
	}
	r = ib_supervisor_file_write(ib_supervisor_files[ino - ROOT_INO - 1], buf, size, off,
				     fuse_req_ctx(req)->uid);
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ib_snapshot *snap;
	unsigned file;
	char *text;

	if (is_dir(ino)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (ino > ROOT_INO + n_files()) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	file = (unsigned)(ino - ROOT_INO - 1);
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		/* A writable knob: every write goes to proc_sys.c as it is
		 * made, every read renders afresh. */
		int r =
		    ib_supervisor_file_may_write(ib_supervisor_files[file], fuse_req_ctx(req)->uid);

		if (r) {
			fuse_reply_err(req, r);
			return;
		}
		fi->fh = UNPINNED(file);
		fi->direct_io = 1;
		fi->keep_cache = 0;
		fuse_reply_open(req, fi);
		return;
	}
	text = ib_supervisor_render(ib_supervisor_files[file]);
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
	/* A knob is read straight (read(2) then needs no GETATTR first: 4
	 * round trips per open+read+close instead of 6). */
	fi->direct_io = strncmp(ib_supervisor_files[file], "sys/", 4) == 0;
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

	(void)ino;
	if (fi->fh & 1) {
		/* Unpinned: this read's own rendering. */
		fresh = ib_supervisor_render(ib_supervisor_files[fi->fh >> 1]);
		text = fresh;
		len = fresh ? strlen(fresh) : 0;
	} else {
		const struct ib_snapshot *snap = (const struct ib_snapshot *)(uintptr_t)fi->fh;
		text = snap->text;
		len = snap->len;
	}
	if (!text || off < 0 || (size_t)off >= len) {
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

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char buf[4096];
	const char *dp = dir_path(ino);
	size_t used = 0, nf = n_files(), total = nf + n_dirs + 2;

	(void)fi;
	if (!dp) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	/* Offsets: 0 ".", 1 "..", then every file and directory (those not
	 * in this one skipped). */
	for (size_t i = (size_t)off; i < total; i++) {
		struct stat st = {0};
		const char *path = i < 2	? NULL
				   : i - 2 < nf ? ib_supervisor_files[i - 2]
						: dirs[i - 2 - nf];
		const char *name = i == 0 ? "." : i == 1 ? ".." : strrchr(path, '/');
		size_t need;

		if (path && (!in_dir(path, dp) || (i - 2 < nf && !ib_supervisor_file_served(path))))
			continue;
		if (path)
			name = name ? name + 1 : path;
		st.st_ino = i < 2 ? ino : ROOT_INO + i - 1;
		st.st_mode = i < 2 || i - 2 >= nf ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

/* open(O_TRUNC) of a knob: no atomic_o_trunc (libfuse's default), which
 * makes the kernel set the file's size to 0 and then to what is written:
 * a splice read (busybox cat: sendfile) stops at that size, the kernel
 * never asks for it again on a mounted file. Without it, a setattr comes
 * (op_setattr) and its reply keeps the size. */
static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .readdir = op_readdir,
};

struct fuse_session *ib_procfs_fuse_new(const char *mountpoint)
{
	char *argv[] = {"ironbox-proc", "-o", "allow_other,fsname=ironbox-proc,subtype=ironbox",
			NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;

	if (!dirs)
		build_dirs();
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);

	if (!se)
		return NULL;
	if (fuse_session_mount(se, mountpoint) != 0) {
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}
