/* Engine sockets wherever they live, by whatever name: a listening unix
 * socket served by a container engine (dockerd, containerd, podman,
 * buildkitd, CRI-O) may never reach a container, even when the engine was
 * started with a socket path the policy file does not list
 * (`dockerd -H unix:///somewhere`) or the socket file has another name (a
 * hard link). Sockets are identified by their file (filesystem + inode, from
 * sock_diag's UNIX_DIAG_VFS), not by a path. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"
#include "policy/policy_int.h"

#define SO_ACCEPTCON_FLAG 0x10000 /* __SO_ACCEPTCON in /proc/net/unix "Flags" */
#define TCP_LISTEN_STATE 10

static const char *const engines[] = {"dockerd", "containerd",	"podman", "buildkitd",
				      "crio",	 "cri-dockerd", NULL};

bool ib_policy_is_engine_name(const char *comm)
{
	for (size_t i = 0; engines[i]; i++)
		if (strcmp(comm, engines[i]) == 0)
			return true;
	return false;
}

void ib_engine_served(const unsigned long *inos, size_t n, bool *served)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	size_t left = n;

	memset(served, 0, n * sizeof(*served));
	if (!proc)
		return;
	while (left && (de = readdir(proc))) {
		char path[300], comm[64] = "", link[64];
		DIR *fds;
		struct dirent *fe;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (!ib_policy_is_engine_name(comm))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fds = opendir(path);
		while (fds && left && (fe = readdir(fds))) {
			char fdpath[600];
			unsigned long ino;
			ssize_t len;

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, fe->d_name);
			len = readlink(fdpath, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			for (size_t i = 0; i < n; i++)
				if (!served[i] && inos[i] == ino) {
					served[i] = true;
					left--;
				}
		}
		if (fds)
			closedir(fds);
	}
	closedir(proc);
}

void ib_unix_sockets_free(struct ib_unix_sock *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].name);
		free(s[i].fs_path);
	}
	free(s);
}

static void push(struct ib_unix_sock **v, size_t *n, size_t *cap, unsigned long sock_ino, dev_t dev,
		 ino_t ino, const char *name)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*v = ib_xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = (struct ib_unix_sock){
	    .sock_ino = sock_ino, .dev = dev, .ino = ino, .name = ib_xstrdup(name)};
}

/* The kernel's dev_t (MAJOR << 20 | MINOR), as sock_diag reports it. */
static dev_t kernel_dev(uint32_t d)
{
	return makedev(d >> 20, d & 0xfffff);
}

/* The netlink macros compare the (unsigned) header length with an int. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
static int list_diag(struct ib_unix_sock **v, size_t *n, ib_err *err)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
	    .nlh = {.nlmsg_len = sizeof(req),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .r = {.sdiag_family = AF_UNIX,
		  .udiag_states = 1u << TCP_LISTEN_STATE,
		  .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS},
	};
	size_t cap = 0;
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	if (fd < 0)
		return ib_err_sys(err, "sock_diag socket");
	if (send(fd, &req, sizeof(req), 0) < 0)
		return ib_err_sys(err, "sock_diag request");
	for (;;) {
		int len = (int)recv(fd, buf, sizeof(buf), 0);

		if (len < 0)
			return ib_err_sys(err, "sock_diag");
		if (len == 0)
			return ib_err_set(err, EPROTO, "sock_diag: unexpected end");
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			const struct unix_diag_msg *m;
			const struct rtattr *a;
			int alen;
			char name[4096] = "";
			bool have_vfs = false;
			struct unix_diag_vfs vfs = {0};

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				errno = -e->error;
				return ib_err_sys(err, "sock_diag");
			}
			m = NLMSG_DATA(h);
			a = (const struct rtattr *)(m + 1);
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				size_t pl = RTA_PAYLOAD(a);

				if (a->rta_type == UNIX_DIAG_NAME && pl < sizeof(name)) {
					memcpy(name, RTA_DATA(a), pl);
					name[pl] = '\0';
				} else if (a->rta_type == UNIX_DIAG_VFS && pl >= sizeof(vfs)) {
					memcpy(&vfs, RTA_DATA(a), sizeof(vfs));
					have_vfs = true;
				}
			}
			/* Abstract (name[0] == '\0') and unnamed sockets have no file. */
			if (have_vfs)
				push(v, n, &cap, m->udiag_ino, kernel_dev(vfs.udiag_vfs_dev),
				     (ino_t)vfs.udiag_vfs_ino, name);
		}
	}
}

/* Without sock_diag: /proc/net/unix names the listening sockets; their
 * files are found by that name (a socket renamed since is missed). */
#pragma GCC diagnostic pop

static int list_proc(const struct ib_mount_table *t, struct ib_unix_sock **v, size_t *n,
		     ib_err *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/unix", "re");
	char line[4352];
	size_t cap = 0;

	if (!f)
		return ib_err_sys(err, "open /proc/net/unix");
	if (!fgets(line, sizeof(line), f)) /* header */
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags = 0, inode = 0;
		char sockpath[4096] = "";
		struct ib_fsid id;
		ib_err ignored = {0};
		_cleanup_close_ int fd = -1;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %4095s", &flags, &inode, sockpath) <
			3 ||
		    !(flags & SO_ACCEPTCON_FLAG) || sockpath[0] != '/')
			continue;
		fd = open(sockpath, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || ib_fsid_from_fd_table(fd, t, &id, &ignored) < 0)
			continue;
		if (S_ISSOCK(id.mode))
			push(v, n, &cap, inode, id.dev, id.ino, sockpath);
		ib_fsid_clear(&id);
	}
	return 0;
}

int ib_unix_sockets_list(const struct ib_mount_table *t, struct ib_unix_sock **out, size_t *n,
			 ib_err *err)
{
	ib_err diag_err = {0};

	*out = NULL;
	*n = 0;
	if (list_diag(out, n, &diag_err) == 0)
		return 0;
	ib_unix_sockets_free(*out, *n);
	*out = NULL;
	*n = 0;
	if (list_proc(t, out, n, err) == 0)
		return 0;
	ib_unix_sockets_free(*out, *n);
	*out = NULL;
	*n = 0;
	return ib_err_wrap(err, "%s", diag_err.msg);
}

/* Depth-first over the directory's own mount (hard links never cross a
 * filesystem; submounts are checked on their own). */
static int walk(int dfd, const struct statx *top, const ino_t *inos, size_t n, size_t *budget,
		size_t dir_cost, int depth, ino_t *found)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 256)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while (r == 0 && (de = readdir(d))) {
		struct statx stx;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((*budget)-- == 0) {
			r = -1;
			break;
		}
		if (de->d_type == DT_SOCK || de->d_type == DT_UNKNOWN) {
			for (size_t i = 0; i < n; i++)
				if ((ino_t)de->d_ino == inos[i]) {
					*found = inos[i];
					r = 1;
				}
			if (r)
				break;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID,
			  &stx) < 0 ||
		    !S_ISDIR(stx.stx_mode) || stx.stx_mnt_id != top->stx_mnt_id)
			continue;
		if (*budget < dir_cost) {
			r = -1;
			break;
		}
		*budget -= dir_cost;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (sub < 0) {
			r = -1; /* not searched: fail closed */
			break;
		}
		r = walk(sub, top, inos, n, budget, dir_cost, depth + 1, found);
	}
	closedir(d);
	return r;
}

int ib_tree_has_inode(int dirfd, const ino_t *inos, size_t n, size_t max_entries, size_t dir_cost,
		      ino_t *found_ino)
{
	struct statx top;
	size_t budget = max_entries;
	int fd;

	if (statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &top) < 0)
		return -1;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return walk(fd, &top, inos, n, &budget, dir_cost, 0, found_ino);
}
