/* Unit tests: the mount vetting rules (supervisor/vet_mount.c), as a
 * decision table over a real container's mount table (vet_fixture.h): the
 * seeds' sessions (busybox and util-linux, classic and new mount API), every
 * rule with an attack that must fail and the neighbouring legitimate call
 * that must pass, in the initial namespace and in nested ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "supervisor/vet_mount.h"
#include "vet_fixture.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static const struct ib_idmap ctr[] = {{0, 100000, 65536}};

struct world {
	struct ib_vet_state st;
	struct ib_mnttab tab;
	struct ib_vet_ctx ctx;
};

static void world_tab(struct world *w, const char *now)
{
	ib_err err = {0};

	ib_mnttab_free(&w->tab);
	assert_int_equal(ib_mnttab_parse(now, &w->tab, &err), 0);
}

/* The container at CREATED (created), the caller's table now (now). */
static struct world *world_new(const char *created, const char *now)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ib_mnttab t0;
	ib_err err = {0};
	struct ib_vet_policy pol = {.masked = fx_masked,
				    .readonly = fx_readonly,
				    .emulated = fx_emulated,
				    .ids = {.uid = ctr, .n_uid = 1, .gid = ctr, .n_gid = 1}};

	assert_int_equal(ib_mnttab_parse(created, &t0, &err), 0);
	assert_int_equal(ib_vet_state_init(&w->st, &t0, &pol, &err), 0);
	ib_mnttab_free(&t0);
	world_tab(w, now ? now : created);
	w->ctx.st = &w->st;
	w->ctx.tab = &w->tab;
	w->ctx.id_dir = IB_IDOPTS_TO_CONTAINER;
	return w;
}

static void world_free(struct world *w)
{
	ib_vet_state_free(&w->st);
	ib_mnttab_free(&w->tab);
	free(w);
}

/* What statx() on the resolved path would say: the topmost mount (last in
 * table order) with the longest mount point containing path. */
static struct ib_vet_obj at(struct world *w, const char *path)
{
	struct ib_vet_obj o = {.present = true, .path = path};
	size_t best = 0;
	bool found = false;

	for (size_t i = 0; i < w->tab.n; i++) {
		const struct ib_mnt *m = &w->tab.m[i];
		size_t len = strlen(m->mountpoint);

		if (!ib_path_under(path, m->mountpoint) || (found && len < best))
			continue;
		best = len;
		found = true;
		o.mnt_id = m->id;
		o.mnt_root = strcmp(m->mountpoint, path) == 0;
	}
	assert_true(found);
	return o;
}

static struct ib_vet_obj by_id(uint64_t id, bool root, const char *path)
{
	return (struct ib_vet_obj){.present = true, .mnt_id = id, .mnt_root = root, .path = path};
}

static struct ib_vet_call mnt(struct world *w, const char *source, const char *target,
			      const char *fstype, uint64_t flags, const char *data)
{
	struct ib_vet_call c = {.sys = IB_VET_MOUNT,
				.source = source,
				.target = target,
				.fstype = fstype,
				.flags = flags,
				.data = data};

	if ((flags & (MS_BIND | MS_MOVE)) && !(flags & MS_REMOUNT))
		c.src = at(w, source);
	c.dst = at(w, target);
	return c;
}

static struct ib_vet_call umnt(struct world *w, const char *target, uint64_t flags)
{
	return (struct ib_vet_call){
	    .sys = IB_VET_UMOUNT2, .target = target, .flags = flags, .dst = at(w, target)};
}

static struct ib_vet_call setattr(struct ib_vet_obj dst, uint64_t flags, uint64_t set, uint64_t clr,
				  uint64_t prop)
{
	return (struct ib_vet_call){.sys = IB_VET_MOUNT_SETATTR,
				    .target = dst.path,
				    .flags = flags,
				    .dst = dst,
				    .attr_set = set,
				    .attr_clr = clr,
				    .propagation = prop};
}

struct result {
	bool allow;
	int error;
	char rule[64];
	char data[256];
	bool has_data;
	uint64_t flags, attr_set;
	unsigned post;
	char cover[8];
};

static struct result decide(struct world *w, const struct ib_vet_call *c)
{
	struct ib_vet_decision d;
	struct result r = {0};
	json_object *audit;

	assert_int_equal(ib_vet_decide(&w->ctx, c, &d), 0);
	r.allow = d.allow;
	r.error = d.error;
	snprintf(r.rule, sizeof(r.rule), "%s", d.rule ? d.rule : "");
	r.has_data = d.data != NULL;
	snprintf(r.data, sizeof(r.data), "%s", d.data ? d.data : "");
	r.flags = d.flags;
	r.attr_set = d.attr_set;
	r.post = d.post;
	snprintf(r.cover, sizeof(r.cover), "%s", d.cover_fs ? d.cover_fs : "");
	/* every decision has a rule; every denial an errno and a reason */
	assert_non_null(d.rule);
	if (!d.allow) {
		assert_int_not_equal(d.error, 0);
		assert_non_null(d.reason);
	}
	audit = ib_vet_audit(&w->ctx, c, &d); /* must not crash on any call */
	assert_non_null(audit);
	json_object_put(audit);
	ib_vet_decision_free(&d);
	return r;
}

#define ALLOW(w, call, r_)                                                                         \
	do {                                                                                       \
		struct ib_vet_call c_ = (call);                                                    \
		struct result res_ = decide((w), &c_);                                             \
		if (!res_.allow)                                                                   \
			fail_msg("expected allow (%s), got deny by %s", r_, res_.rule);            \
		assert_string_equal(res_.rule, r_);                                                \
	} while (0)

#define DENY(w, call, err_, r_)                                                                    \
	do {                                                                                       \
		struct ib_vet_call c_ = (call);                                                    \
		struct result res_ = decide((w), &c_);                                             \
		if (res_.allow)                                                                    \
			fail_msg("expected deny by %s, got allow (%s)", r_, res_.rule);            \
		assert_string_equal(res_.rule, r_);                                                \
		assert_int_equal(res_.error, err_);                                                \
	} while (0)

/* The container's own tmpfs of the seed session, rw or ro. */
#define OWN_TMPFS_RW                                                                               \
	"200 65 0:60 / /root/tmpfs rw,relatime - tmpfs tmpfs rw,uid=100000,gid=100000\n"
#define OWN_TMPFS_RO                                                                               \
	"200 65 0:60 / /root/tmpfs ro,relatime - tmpfs tmpfs ro,uid=100000,gid=100000\n"

/* ---- The seeds' sessions --------------------------------------------------- */

/* seed 002, busybox: mount -t tmpfs; mount -o remount,ro|rw X X */
static void test_seed_tmpfs_busybox(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	struct ib_vet_call c;
	struct result r;

	(void)state;
	c = mnt(w, "tmpfs", "/root/tmpfs", "tmpfs", MS_SILENT, "");
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.rule, "new-mount");
	assert_false(r.has_data);
	assert_int_equal(r.post, 0);
	world_tab(w, FX_CREATED OWN_TMPFS_RW);
	c = mnt(w, "/root/tmpfs", "/root/tmpfs", NULL, MS_REMOUNT | MS_RDONLY | MS_SILENT, NULL);
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.rule, "remount");
	assert_false(r.has_data);
	assert_int_equal(r.flags, MS_REMOUNT | MS_RDONLY | MS_SILENT);
	world_tab(w, FX_CREATED OWN_TMPFS_RO);
	ALLOW(w, mnt(w, "/root/tmpfs", "/root/tmpfs", NULL, MS_REMOUNT | MS_SILENT, NULL),
	      "remount");
	/* and it can go again */
	ALLOW(w, umnt(w, "/root/tmpfs", 0), "umount");
	world_free(w);
}

/* busybox with one argument and util-linux < 2.39 copy /proc/mounts'
 * uid=100000,gid=100000 into the remount: translated, not refused. */
static void test_seed_tmpfs_remount_with_proc_mounts_options(void **state)
{
	struct world *w = world_new(FX_CREATED, FX_CREATED OWN_TMPFS_RW);
	struct ib_vet_call c;
	struct result r;

	(void)state;
	c = mnt(w, "tmpfs", "/root/tmpfs", "tmpfs", MS_REMOUNT | MS_RDONLY | MS_RELATIME,
		"uid=100000,gid=100000");
	r = decide(w, &c);
	assert_true(r.allow);
	assert_true(r.has_data);
	assert_string_equal(r.data, "uid=0,gid=0");
	world_tab(w, FX_CREATED OWN_TMPFS_RO);
	c = mnt(w, "tmpfs", "/root/tmpfs", "tmpfs", MS_REMOUNT | MS_RELATIME,
		"rw,uid=100000,gid=100000,size=10m");
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.data, "rw,uid=0,gid=0,size=10m");
	/* the fstype the caller names does not matter: the mount's does */
	c = mnt(w, "none", "/root/tmpfs", "bogus", MS_REMOUNT, "uid=100000");
	r = decide(w, &c);
	assert_string_equal(r.data, "uid=0");
	/* performed from the host's user namespace: host IDs stay */
	w->ctx.id_dir = IB_IDOPTS_TO_HOST;
	c = mnt(w, "tmpfs", "/root/tmpfs", "tmpfs", MS_REMOUNT, "uid=100000,gid=0");
	r = decide(w, &c);
	assert_string_equal(r.data, "uid=100000,gid=100000");
	world_free(w);
}

/* util-linux >= 2.39: open_tree, fspick, fsconfig per option, mount_setattr */
static void test_seed_tmpfs_new_api(void **state)
{
	struct world *w = world_new(FX_CREATED, FX_CREATED OWN_TMPFS_RW);
	struct ib_vet_call c;
	struct result r;

	(void)state;
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_OPEN_TREE,
				    .flags = OPEN_TREE_CLOEXEC,
				    .src = at(w, "/root/tmpfs")}),
	      "open-tree-handle");
	ALLOW(w,
	      ((struct ib_vet_call){
		  .sys = IB_VET_FSPICK, .flags = FSPICK_EMPTY_PATH, .dst = at(w, "/root/tmpfs")}),
	      "fspick");
	c = (struct ib_vet_call){
	    .sys = IB_VET_FSCONFIG, .cmd = FSCONFIG_SET_STRING, .key = "uid", .value = "100000"};
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.rule, "fsconfig-ids");
	assert_string_equal(r.data, "0");
	c.key = "gid";
	r = decide(w, &c);
	assert_string_equal(r.data, "0");
	c.key = "mode";
	c.value = "755";
	r = decide(w, &c);
	assert_string_equal(r.rule, "fsconfig");
	assert_false(r.has_data);
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_FSCONFIG, .cmd = FSCONFIG_SET_FLAG, .key = "ro"}),
	      "fsconfig");
	ALLOW(w, ((struct ib_vet_call){.sys = IB_VET_FSCONFIG, .cmd = FSCONFIG_CMD_RECONFIGURE}),
	      "fsconfig");
	ALLOW(w, setattr(at(w, "/root/tmpfs"), AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0), "setattr");
	world_tab(w, FX_CREATED OWN_TMPFS_RO);
	ALLOW(w, setattr(at(w, "/root/tmpfs"), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0), "setattr");
	world_free(w);
}

/* seed 002: -v $HOME:/mnt:ro; mount -o remount,rw /mnt /mnt -> EPERM
 * ("mount: permission denied (are you root?)"), whichever mount(8). */
static void test_seed_ro_volume(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);

	(void)state;
	/* busybox, two arguments */
	DENY(w, mnt(w, "/mnt/ro", "/mnt/ro", NULL, MS_REMOUNT | MS_SILENT, NULL), EPERM,
	     "remount-rw-immutable-ro");
	/* busybox one argument / util-linux classic: options from /proc/mounts */
	DENY(w,
	     mnt(w, "/dev/vda", "/mnt/ro", "ext4", MS_REMOUNT | MS_RELATIME,
		 "rw,discard,resuid=65534"),
	     EPERM, "remount-rw-immutable-ro");
	/* util-linux: mount -o remount,bind,rw */
	DENY(w, mnt(w, NULL, "/mnt/ro", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-immutable-ro");
	/* util-linux >= 2.39 */
	DENY(w, setattr(at(w, "/mnt/ro"), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "setattr-rw-immutable-ro");
	DENY(w,
	     setattr(at(w, "/mnt/ro"), AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_NOSUID,
		     MOUNT_ATTR_RDONLY, 0),
	     EPERM, "setattr-rw-immutable-ro");
	/* still read-only, or more restricted: fine */
	ALLOW(w, mnt(w, NULL, "/mnt/ro", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL),
	      "remount");
	ALLOW(w, setattr(at(w, "/mnt/ro"), AT_EMPTY_PATH, MOUNT_ATTR_NOEXEC, 0, 0), "setattr");
	/* clearing read-only while setting it is the kernel's EINVAL, not ours */
	ALLOW(w, setattr(at(w, "/mnt/ro"), AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, MOUNT_ATTR_RDONLY, 0),
	      "setattr");
	world_free(w);
}

/* --read-only: the kernel does not lock it (measured); we do. */
static void test_readonly_rootfs_and_paths(void **state)
{
	struct world *w = world_new(FX_CREATED_RO, NULL);

	(void)state;
	DENY(w, mnt(w, NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-immutable-ro");
	DENY(w, mnt(w, "/dev/vda", "/", "ext4", MS_REMOUNT, "rw"), EPERM,
	     "remount-rw-immutable-ro");
	DENY(w, setattr(at(w, "/"), 0, 0, MOUNT_ATTR_RDONLY, 0), EPERM, "setattr-rw-immutable-ro");
	/* readonlyPaths and the read-only /sys */
	DENY(w,
	     mnt(w, NULL, "/proc/sys", NULL,
		 MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	     EPERM, "remount-rw-immutable-ro");
	DENY(w, mnt(w, NULL, "/sys", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-immutable-ro");
	/* recursively, from a read-write parent: one read-only child is enough */
	world_free(w);
	w = world_new(FX_CREATED, NULL);
	DENY(w, setattr(at(w, "/proc"), AT_RECURSIVE, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "setattr-rw-immutable-ro");
	ALLOW(w, setattr(at(w, "/proc"), 0, 0, MOUNT_ATTR_RDONLY, 0), "setattr");
	/* a read-write rootfs may be remounted read-write (systemd-remount-fs) */
	ALLOW(w, mnt(w, "/dev/vda", "/", "ext4", MS_REMOUNT, "discard"), "remount");
	/* flags other than read-only are not the jail's business */
	ALLOW(w, mnt(w, NULL, "/dev/shm", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL),
	      "remount");
	world_free(w);
}

/* Binds and clones of read-only jail content stay read-only, in any
 * namespace, without tracking who made them. */
static void test_ro_lineage(void **state)
{
	struct world *w =
	    world_new(FX_CREATED, FX_CREATED
		      "201 65 254:0 /vol /mnt/x ro,relatime,idmapped - ext4 /dev/vda rw\n"
		      "202 65 254:0 /vol/sub /mnt/y ro,relatime - ext4 /dev/vda rw\n"
		      "203 65 254:0 /b/rootfs/etc /mnt/z ro,relatime - ext4 /dev/vda rw\n"
		      "204 65 0:43 /sys /mnt/s ro,relatime - proc proc rw\n"
		      "205 65 0:43 /net /mnt/n ro,relatime - proc proc rw\n");

	(void)state;
	DENY(w, mnt(w, NULL, "/mnt/x", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w, mnt(w, NULL, "/mnt/y", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w, setattr(at(w, "/mnt/y"), 0, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "setattr-rw-ro-lineage");
	/* /proc/sys: the read-only path is more specific than the rw /proc */
	DENY(w, mnt(w, NULL, "/mnt/s", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	/* negative controls: the same shape on read-write jail content */
	ALLOW(w, mnt(w, NULL, "/mnt/z", NULL, MS_REMOUNT | MS_BIND, NULL), "remount");
	ALLOW(w, mnt(w, NULL, "/mnt/n", NULL, MS_REMOUNT | MS_BIND, NULL), "remount");
	world_free(w);
	/* same directory shared ro and rw: it is writable through the rw one */
	w = world_new(FX_CREATED "150 65 254:0 /vol /mnt/rw rw,relatime - ext4 /dev/vda rw\n",
		      FX_CREATED "150 65 254:0 /vol /mnt/rw rw,relatime - ext4 /dev/vda rw\n"
				 "201 65 254:0 /vol /mnt/x ro,relatime - ext4 /dev/vda rw\n");
	ALLOW(w, mnt(w, NULL, "/mnt/x", NULL, MS_REMOUNT | MS_BIND, NULL), "remount");
	world_free(w);
}

/* open_tree(OPEN_TREE_CLONE) of a read-only jail mount, then clearing
 * MOUNT_ATTR_RDONLY on the detached clone: the new API is no way around. */
static void test_new_api_clone_of_ro(void **state)
{
	struct world *w = world_new(FX_CREATED, FX_CREATED OWN_TMPFS_RW);
	struct ib_vet_call c = {.sys = IB_VET_OPEN_TREE,
				.flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC,
				.src = at(w, "/mnt/ro")};
	struct result r = decide(w, &c);

	(void)state;
	assert_true(r.allow);
	assert_string_equal(r.rule, "clone");
	assert_true(r.post & IB_VET_POST_RECORD);
	ib_vet_state_add_clone(&w->st, 500, &w->tab, &c.src, false);
	DENY(w, setattr(by_id(500, true, NULL), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "setattr-rw-ro-lineage");
	/* a clone of a clone inherits it too */
	c.src = by_id(500, true, NULL);
	assert_true(decide(w, &c).allow);
	ib_vet_state_add_clone(&w->st, 501, &w->tab, &c.src, false);
	DENY(w, setattr(by_id(501, true, NULL), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "setattr-rw-ro-lineage");
	/* recursive clone of /proc: the ro child /proc/sys is in it */
	c.src = at(w, "/proc");
	c.flags = OPEN_TREE_CLONE | AT_RECURSIVE;
	assert_true(decide(w, &c).allow);
	ib_vet_state_add_clone(&w->st, 502, &w->tab, &c.src, true);
	DENY(w,
	     setattr(by_id(502, true, NULL), AT_EMPTY_PATH | AT_RECURSIVE, 0, MOUNT_ATTR_RDONLY, 0),
	     EPERM, "setattr-rw-ro-lineage");
	ALLOW(w, setattr(by_id(502, true, NULL), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0),
	      "setattr");
	/* negative control: a clone of the container's own tmpfs */
	c.src = at(w, "/root/tmpfs");
	c.flags = OPEN_TREE_CLONE;
	assert_true(decide(w, &c).allow);
	ib_vet_state_add_clone(&w->st, 503, &w->tab, &c.src, false);
	ALLOW(w, setattr(by_id(503, true, NULL), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0),
	      "setattr");
	/* a detached tree nobody recorded: fail closed */
	DENY(w, setattr(by_id(999, true, NULL), AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY, 0), EPERM,
	     "unknown-mount");
	/* moving it anywhere ordinary is an attach */
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_MOVE_MOUNT,
				    .flags = MOVE_MOUNT_F_EMPTY_PATH,
				    .src = by_id(500, true, NULL),
				    .dst = at(w, "/root")}),
	      "attach");
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_MOVE_MOUNT,
				   .flags = MOVE_MOUNT_F_EMPTY_PATH,
				   .src = by_id(999, true, NULL),
				   .dst = at(w, "/root")}),
	     EPERM, "unknown-mount");
	world_free(w);
}

/* ---- Uncovering ---------------------------------------------------------------- */

static void test_umount_jail(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	static const char *const jail[] = {"/proc/uptime", "/proc/meminfo",  "/proc/keys",
					   "/proc/acpi",   "/proc/sys",	     "/sys/firmware",
					   "/mnt/ro",	   "/dev/shm",	     "/dev/null",
					   "/proc",	   "/sys/fs/cgroup", "/"};

	(void)state;
	for (size_t i = 0; i < sizeof(jail) / sizeof(jail[0]); i++) {
		DENY(w, umnt(w, jail[i], 0), EPERM, "umount-immutable");
		DENY(w, umnt(w, jail[i], MNT_DETACH), EPERM, "umount-immutable");
	}
	DENY(w, umnt(w, "/proc/meminfo", MNT_EXPIRE), EPERM, "umount-immutable");
	/* not a mount point: the kernel's answer, without performing anything */
	DENY(w, umnt(w, "/proc/self", 0), EINVAL, "umount-not-mountpoint");
	world_free(w);
}

static void test_move_jail(void **state)
{
	struct world *w = world_new(FX_CREATED, FX_CREATED OWN_TMPFS_RW);

	(void)state;
	DENY(w, mnt(w, "/mnt/ro", "/root", NULL, MS_MOVE, NULL), EPERM, "move-immutable");
	DENY(w, mnt(w, "/proc/uptime", "/root/f", NULL, MS_MOVE, NULL), EPERM, "move-immutable");
	DENY(w,
	     ((struct ib_vet_call){
		 .sys = IB_VET_MOVE_MOUNT, .src = at(w, "/proc/meminfo"), .dst = at(w, "/root")}),
	     EPERM, "move-immutable");
	DENY(w, mnt(w, "/proc/self", "/root", NULL, MS_MOVE, NULL), EINVAL, "move-not-mountpoint");
	/* the container's own mount moves */
	ALLOW(w, mnt(w, "/root/tmpfs", "/root", NULL, MS_MOVE, NULL), "move");
	ALLOW(w,
	      ((struct ib_vet_call){
		  .sys = IB_VET_MOVE_MOUNT, .src = at(w, "/root/tmpfs"), .dst = at(w, "/root")}),
	      "move");
	world_free(w);
}

/* A copy without submounts would show what masks and emulation hide. */
static void test_nonrecursive_copies(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);

	(void)state;
	DENY(w, mnt(w, "/proc", "/root", NULL, MS_BIND, NULL), EPERM, "bind-uncovers");
	DENY(w, mnt(w, "/sys", "/root", NULL, MS_BIND, NULL), EPERM, "bind-uncovers");
	DENY(w,
	     ((struct ib_vet_call){
		 .sys = IB_VET_OPEN_TREE, .flags = OPEN_TREE_CLONE, .src = at(w, "/proc")}),
	     EPERM, "clone-uncovers");
	/* recursive copies carry the covers */
	ALLOW(w, mnt(w, "/proc", "/root", NULL, MS_BIND | MS_REC, NULL), "bind");
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_OPEN_TREE,
				    .flags = OPEN_TREE_CLONE | AT_RECURSIVE,
				    .src = at(w, "/proc")}),
	      "clone");
	/* nothing sensitive below: fine without recursion */
	ALLOW(w, mnt(w, "/proc/sys", "/root", NULL, MS_BIND, NULL), "bind");
	ALLOW(w, mnt(w, "/proc/meminfo", "/root/f", NULL, MS_BIND, NULL), "bind");
	ALLOW(w, mnt(w, "/etc", "/root", NULL, MS_BIND, NULL), "bind");
	/* the rootfs itself: under its volumes and /proc is only the image */
	ALLOW(w, mnt(w, "/", "/root", NULL, MS_BIND, NULL), "bind");
	world_free(w);
}

/* Measured: make-unbindable /proc/uptime; mount --rbind /proc /x showed the
 * real uptime. */
static void test_unbindable(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);

	(void)state;
	DENY(w, mnt(w, "none", "/proc/uptime", NULL, MS_UNBINDABLE, NULL), EPERM,
	     "unbindable-drops-cover");
	DENY(w, mnt(w, "none", "/proc", NULL, MS_UNBINDABLE | MS_REC, NULL), EPERM,
	     "unbindable-drops-cover");
	DENY(w, mnt(w, "none", "/", NULL, MS_UNBINDABLE | MS_REC, NULL), EPERM,
	     "unbindable-drops-cover");
	DENY(w, setattr(at(w, "/sys/firmware"), 0, 0, 0, MS_UNBINDABLE), EPERM,
	     "unbindable-drops-cover");
	/* the others are fine: Docker-in-Docker makes / rshared */
	ALLOW(w, mnt(w, "none", "/", NULL, MS_SHARED | MS_REC, NULL), "propagation");
	ALLOW(w, mnt(w, "none", "/", NULL, MS_PRIVATE | MS_REC, NULL), "propagation");
	ALLOW(w, mnt(w, "none", "/proc", NULL, MS_UNBINDABLE, NULL), "propagation");
	ALLOW(w, mnt(w, "none", "/mnt/ro", NULL, MS_UNBINDABLE, NULL), "propagation");
	ALLOW(w, setattr(at(w, "/proc"), AT_RECURSIVE, 0, 0, MS_SLAVE), "setattr");
	world_free(w);
}

/* Measured: pivot_root(".", ".") in /sys/firmware moved the mask away. */
static void test_pivot_root(void **state)
{
	struct world *w = world_new(FX_CREATED, FX_CREATED OWN_TMPFS_RW);

	(void)state;
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_PIVOT_ROOT,
				   .src = at(w, "/sys/firmware"),
				   .dst = at(w, "/sys/firmware")}),
	     EPERM, "pivot-immutable");
	DENY(w,
	     ((struct ib_vet_call){
		 .sys = IB_VET_PIVOT_ROOT, .src = at(w, "/proc"), .dst = at(w, "/proc")}),
	     EPERM, "pivot-immutable");
	DENY(w,
	     ((struct ib_vet_call){
		 .sys = IB_VET_PIVOT_ROOT, .src = at(w, "/root"), .dst = at(w, "/root")}),
	     EINVAL, "pivot-not-mountpoint");
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_PIVOT_ROOT,
				    .src = at(w, "/root/tmpfs"),
				    .dst = at(w, "/root/tmpfs")}),
	      "pivot_root");
	world_free(w);
}

/* ---- Over-mounting -------------------------------------------------------------- */

static void test_overmount(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);

	(void)state;
	DENY(w, mnt(w, "tmpfs", "/proc/meminfo", "tmpfs", 0, NULL), EPERM, "overmount-immutable");
	DENY(w, mnt(w, "/etc/hosts", "/proc/uptime", NULL, MS_BIND, NULL), EPERM,
	     "overmount-immutable");
	DENY(w, mnt(w, "tmpfs", "/proc", "tmpfs", 0, NULL), EPERM, "overmount-immutable");
	DENY(w, mnt(w, "proc", "/proc", "proc", 0, NULL), EPERM, "overmount-immutable");
	DENY(w, mnt(w, "tmpfs", "/mnt/ro", "tmpfs", 0, NULL), EPERM, "overmount-immutable");
	DENY(w, mnt(w, "tmpfs", "/sys/fs", "tmpfs", 0, NULL), EPERM, "overmount-hides-immutable");
	DENY(w, mnt(w, "tmpfs", "/mnt", "tmpfs", 0, NULL), EPERM, "overmount-hides-immutable");
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_MOVE_MOUNT,
				   .src = by_id(77, true, NULL),
				   .dst = at(w, "/proc/meminfo")}),
	     EPERM, "unknown-mount");
	/* inside an immutable directory, on a plain sub-directory: allowed */
	ALLOW(w, mnt(w, "tmpfs", "/root/tmpfs", "tmpfs", 0, NULL), "new-mount");
	ALLOW(w, mnt(w, "tmpfs", "/proc/sys/kernel", "tmpfs", 0, NULL), "new-mount");
	ALLOW(w, mnt(w, "tmpfs", "/dev/foo", "tmpfs", 0, NULL), "new-mount");
	ALLOW(w, mnt(w, "none", "/sys/kernel/security", "securityfs", 0, NULL), "new-mount");
	/* beneath does not hide anything */
	ib_vet_state_add_fresh(&w->st, 600, 0, 90);
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_MOVE_MOUNT,
				    .flags = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH,
				    .src = by_id(600, true, NULL),
				    .dst = at(w, "/proc/meminfo")}),
	      "attach");
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_MOVE_MOUNT,
				   .flags = MOVE_MOUNT_F_EMPTY_PATH,
				   .src = by_id(600, true, NULL),
				   .dst = at(w, "/proc/meminfo")}),
	     EPERM, "overmount-immutable");
	world_free(w);
}

/* ---- The container's own procfs and sysfs --------------------------------------- */

static void test_fresh_proc_and_sysfs(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	struct ib_vet_call c =
	    mnt(w, "proc", "/root", "proc", MS_NOSUID | MS_NODEV, "hidepid=2,gid=100010");
	struct result r = decide(w, &c);
	struct ib_vet_cover *plan = NULL;
	size_t n;

	(void)state;
	assert_true(r.allow);
	assert_string_equal(r.rule, "new-pseudofs");
	assert_int_equal(r.post, IB_VET_POST_COVER);
	assert_string_equal(r.cover, "proc");
	assert_string_equal(r.data, "hidepid=2,gid=10");
	/* what the supervisor puts on it */
	n = ib_vet_cover_plan(&w->st, "proc", &plan);
	assert_int_equal(n, 5 + 3 + 2);
	assert_int_equal(plan[0].op, IB_VET_COVER_RO);
	assert_string_equal(plan[0].rel, "bus");
	assert_int_equal(plan[3].op, IB_VET_COVER_RO);
	assert_string_equal(plan[3].rel, "sys");
	assert_int_equal(plan[5].op, IB_VET_COVER_MASK);
	assert_string_equal(plan[5].rel, "acpi");
	assert_int_equal(plan[8].op, IB_VET_COVER_EMULATE);
	assert_string_equal(plan[8].rel, "uptime");
	assert_string_equal(plan[8].from, "/proc/uptime");
	assert_null(plan[5].from);
	ib_vet_cover_plan_free(plan, n);
	n = ib_vet_cover_plan(&w->st, "sysfs", &plan);
	assert_int_equal(n, 1);
	assert_int_equal(plan[0].op, IB_VET_COVER_MASK);
	assert_string_equal(plan[0].rel, "firmware");
	ib_vet_cover_plan_free(plan, n);
	assert_int_equal(ib_vet_cover_plan(&w->st, "tmpfs", &plan), 0);
	assert_null(plan);

	/* the jail's /sys is read-only, and a fresh sysfs of the same network
	 * namespace is the same superblock: it is made read-only too */
	c = mnt(w, "sysfs", "/root", "sysfs", MS_NOSUID, NULL);
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.cover, "sysfs");
	assert_int_equal(r.flags, MS_NOSUID | MS_RDONLY);
	/* the new mount API: decided on what fsmount created */
	c = (struct ib_vet_call){.sys = IB_VET_FSMOUNT, .new_fstype = "sysfs"};
	r = decide(w, &c);
	assert_true(r.allow);
	assert_string_equal(r.rule, "fsmount-pseudofs");
	assert_int_equal(r.post, IB_VET_POST_COVER | IB_VET_POST_RECORD);
	assert_int_equal(r.attr_set, MOUNT_ATTR_RDONLY);
	c.new_fstype = "proc";
	r = decide(w, &c);
	assert_int_equal(r.post, IB_VET_POST_COVER | IB_VET_POST_RECORD);
	assert_int_equal(r.attr_set, 0);
	c.new_fstype = "tmpfs";
	r = decide(w, &c);
	assert_string_equal(r.rule, "fsmount");
	assert_int_equal(r.post, IB_VET_POST_RECORD);
	ALLOW(w, ((struct ib_vet_call){.sys = IB_VET_FSOPEN, .source = "proc"}), "fsopen");
	world_free(w);

	/* a privileged container's /sys is read-write: no change then */
	w = world_new(FX_ROOTFS_RW "114 65 0:47 / /sys rw,nosuid,nodev,noexec - sysfs sysfs rw\n",
		      NULL);
	c = mnt(w, "sysfs", "/root", "sysfs", 0, NULL);
	r = decide(w, &c);
	assert_int_equal(r.flags, 0);
	world_free(w);
}

/* After the covers are on: they are protected like the jail's own. */
static void test_covers_protected(void **state)
{
	struct world *w =
	    world_new(FX_CREATED, FX_CREATED
		      "300 65 0:70 / /root/p rw,relatime - proc proc rw\n"
		      "301 300 0:70 /sys /root/p/sys ro,relatime - proc proc rw\n"
		      "302 300 0:39 /d0 /root/p/keys rw,relatime - tmpfs none rw\n"
		      "303 300 0:41 /meminfo /root/p/meminfo rw,relatime - fuse.ironbox x rw\n");

	(void)state;
	/* the supervisor registers what it attached */
	ib_vet_state_add_cover(&w->st, 0, 70, "/sys", true, 0, 70, "/sys", "/root/p/sys");
	ib_vet_state_add_cover(&w->st, 0, 39, "/d0", false, 0, 70, "/keys", "/root/p/keys");
	ib_vet_state_add_cover(&w->st, 0, 41, "/meminfo", false, 0, 70, "/meminfo",
			       "/root/p/meminfo");
	DENY(w, umnt(w, "/root/p/meminfo", 0), EPERM, "umount-uncovers");
	DENY(w, umnt(w, "/root/p/keys", MNT_DETACH), EPERM, "umount-uncovers");
	DENY(w, mnt(w, NULL, "/root/p/sys", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w, mnt(w, "/root/p", "/mnt/x", NULL, MS_BIND, NULL), EPERM, "bind-uncovers");
	DENY(w, mnt(w, "none", "/root/p/meminfo", NULL, MS_UNBINDABLE, NULL), EPERM,
	     "unbindable-drops-cover");
	/* but the container's own proc goes as a whole */
	ALLOW(w, umnt(w, "/root/p", MNT_DETACH), "umount");
	ALLOW(w, mnt(w, "/root/p", "/mnt/x", NULL, MS_BIND | MS_REC, NULL), "bind");
	world_free(w);
}

/* ---- Nested mount namespaces ----------------------------------------------------- */

/* A copy of the jail as `unshare -m` makes it: same filesystems and spots,
 * new mount IDs (old + 1000); not locked by the kernel (measured). */
static char *shifted(const char *text, unsigned delta)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned id, parent;
		int off = 0;

		assert_int_equal(sscanf(line, "%u %u %n", &id, &parent, &off), 2);
		fprintf(f, "%u %u %s\n", id + delta, parent + delta, line + off);
	}
	fclose(f);
	free(copy);
	return out;
}

static void test_nested_copy(void **state)
{
	char *copy = shifted(FX_CREATED_RO, 1000);
	struct world *w = world_new(FX_CREATED_RO, copy);

	(void)state;
	/* no longer the jail's IDs, but the jail's spots and content */
	DENY(w, umnt(w, "/proc/uptime", 0), EPERM, "umount-uncovers");
	DENY(w, umnt(w, "/proc/keys", MNT_DETACH), EPERM, "umount-uncovers");
	DENY(w, umnt(w, "/mnt/ro", 0), EPERM, "umount-uncovers");
	DENY(w, umnt(w, "/proc", MNT_DETACH), EPERM, "umount-uncovers");
	DENY(w, mnt(w, "/proc/uptime", "/root", NULL, MS_MOVE, NULL), EPERM, "move-uncovers");
	DENY(w, mnt(w, "/proc", "/root", NULL, MS_BIND, NULL), EPERM, "bind-uncovers");
	DENY(w, mnt(w, NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w, mnt(w, NULL, "/mnt/ro", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w, mnt(w, NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM,
	     "remount-rw-ro-lineage");
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_PIVOT_ROOT,
				   .src = at(w, "/sys/firmware"),
				   .dst = at(w, "/sys/firmware")}),
	     EPERM, "pivot-uncovers");
	/* `unshare -m -p -f --mount-proc`, an inner runtime's /proc: mounting
	 * over the copies hides, it does not uncover, and gets covered */
	ALLOW(w, mnt(w, "none", "/proc", NULL, MS_PRIVATE | MS_REC, NULL), "propagation");
	ALLOW(w, mnt(w, "proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL),
	      "new-pseudofs");
	ALLOW(w, mnt(w, "tmpfs", "/proc/meminfo", "tmpfs", 0, NULL), "new-mount");
	ALLOW(w, mnt(w, "tmpfs", "/dev", "tmpfs", 0, NULL), "new-mount");
	ALLOW(w, mnt(w, "/proc", "/root", NULL, MS_BIND | MS_REC, NULL), "bind");
	world_free(w);
	free(copy);
}

/* An inner runtime rebuilding its jail in a nested namespace: new root on
 * a tmpfs, pivot_root, detach the old root (a copy of the outer jail). */
static void test_nested_inner_jail(void **state)
{
	char *copy = shifted(FX_CREATED, 1000);
	char *before = NULL, *after = NULL;
	struct world *w;

	(void)state;
	assert_true(asprintf(&before,
			     "%s2000 1065 0:80 / /var/lib/inner/rootfs rw - tmpfs tmpfs rw\n"
			     "2001 2000 0:81 / /var/lib/inner/rootfs/proc rw - proc proc rw\n",
			     copy) > 0);
	w = world_new(FX_CREATED, before);
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_PIVOT_ROOT,
				    .src = at(w, "/var/lib/inner/rootfs"),
				    .dst = at(w, "/var/lib/inner/rootfs")}),
	      "pivot_root");
	/* after pivot_root(".", "."): the old root is stacked on the new one */
	free(copy);
	copy = shifted(FX_CREATED, 1000);
	{
		/* re-root the copy: its root (1065) now sits on 2000's root */
		char *p = strstr(copy, "1065 1075 ");
		assert_non_null(p);
		memcpy(p, "1065 2000 ", 10);
	}
	assert_true(asprintf(&after,
			     "2000 1999 0:80 / / rw - tmpfs tmpfs rw\n"
			     "2001 2000 0:81 / /proc rw - proc proc rw\n%s",
			     copy) > 0);
	world_tab(w, after);
	/* detaching the whole old tree uncovers nothing */
	ALLOW(w, umnt(w, "/", MNT_DETACH), "umount");
	/* its parts one by one would (the kernel refuses this too once the
	 * inner runtime is in a new user namespace) */
	DENY(w, umnt(w, "/proc/uptime", 0), EPERM, "umount-uncovers");
	world_free(w);
	free(copy);
	free(before);
	free(after);
}

/* A mount slipped BENEATH a copy of an emulated file in a nested namespace,
 * then the copy and the slipped mount unmounted in turn. */
static void test_nested_beneath(void **state)
{
	char *copy = shifted(FX_CREATED, 1000);
	char *now = NULL;
	struct world *w;

	(void)state;
	/* 3000 was inserted between /proc (1109) and meminfo's copy (1103) */
	{
		char *p = strstr(copy, "1103 1109 ");
		assert_non_null(p);
		memcpy(p, "1103 3000 ", 10);
	}
	assert_true(asprintf(&now, "%s3000 1109 0:95 / /proc/meminfo rw - tmpfs t rw\n", copy) > 0);
	w = world_new(FX_CREATED, now);
	/* the copy sits on the attacker's tmpfs: unmounting it shows that tmpfs */
	ALLOW(w,
	      ((struct ib_vet_call){.sys = IB_VET_UMOUNT2,
				    .dst = by_id(1103, true, "/proc/meminfo")}),
	      "umount");
	/* the tmpfs sits on the jail's spot: unmounting it shows the real file */
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_UMOUNT2,
				   .dst = by_id(3000, true, "/proc/meminfo")}),
	     EPERM, "umount-uncovers");
	world_free(w);
	free(copy);
	free(now);
}

/* ---- Failing closed ---------------------------------------------------------------- */

static void test_fail_closed(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	struct ib_vet_call c = {.sys = IB_VET_UMOUNT2, .dst = by_id(4242, true, "/x")};

	(void)state;
	DENY(w, c, EPERM, "unknown-mount");
	c.dst.present = false;
	DENY(w, c, EPERM, "unknown-mount");
	/* a mount whose parent the caller's table does not show */
	world_tab(w, FX_CREATED "400 401 0:99 / /root/x rw - tmpfs t rw\n");
	DENY(w, umnt(w, "/root/x", 0), EPERM, "unknown-parent");
	world_free(w);
}

static void test_fail_closed_remount_unknown(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);

	(void)state;
	DENY(w,
	     ((struct ib_vet_call){
		 .sys = IB_VET_MOUNT, .flags = MS_REMOUNT, .dst = by_id(4242, true, "/x")}),
	     EPERM, "unknown-mount");
	DENY(w,
	     ((struct ib_vet_call){.sys = IB_VET_MOUNT,
				   .flags = MS_BIND,
				   .src = by_id(4242, true, "/x"),
				   .dst = at(w, "/root")}),
	     EPERM, "unknown-mount");
	DENY(w, ((struct ib_vet_call){.sys = (enum ib_vet_sys)99}), ENOSYS, "unknown-syscall");
	world_free(w);
}

/* ---- Audit ---------------------------------------------------------------------------- */

static void test_audit(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	struct ib_vet_call c = mnt(w, "/mnt/ro", "/mnt/ro", NULL, MS_REMOUNT | MS_SILENT, NULL);
	struct ib_vet_decision d;
	json_object *j, *v;
	char *s;

	(void)state;
	assert_int_equal(ib_vet_decide(&w->ctx, &c, &d), 0);
	j = ib_vet_audit(&w->ctx, &c, &d);
	assert_true(json_object_object_get_ex(j, "syscall", &v));
	assert_string_equal(json_object_get_string(v), "mount");
	assert_true(json_object_object_get_ex(j, "flags", &v));
	assert_string_equal(json_object_get_string(v), "MS_REMOUNT|MS_SILENT");
	assert_true(json_object_object_get_ex(j, "decision", &v));
	assert_string_equal(json_object_get_string(v), "deny");
	assert_true(json_object_object_get_ex(j, "errno", &v));
	assert_string_equal(json_object_get_string(v), "EPERM");
	assert_true(json_object_object_get_ex(j, "rule", &v));
	assert_string_equal(json_object_get_string(v), "remount-rw-immutable-ro");
	assert_true(json_object_object_get_ex(j, "dst", &v));
	assert_true(json_object_object_get_ex(v, "immutable", &v));
	assert_string_equal(json_object_get_string(v), "mount");
	assert_true(json_object_object_get_ex(j, "reason", &v));
	assert_non_null(strstr(json_object_get_string(v), "/mnt/ro"));
	json_object_put(j);
	ib_vet_decision_free(&d);

	s = ib_vet_flags_str(IB_VET_MOUNT, MS_BIND | MS_REC | 0x80000000ull);
	assert_string_equal(s, "MS_BIND|MS_REC|0x80000000");
	free(s);
	s = ib_vet_flags_str(IB_VET_UMOUNT2, 0);
	assert_string_equal(s, "0");
	free(s);
	s = ib_vet_flags_str(IB_VET_MOVE_MOUNT, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH);
	assert_string_equal(s, "MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_BENEATH");
	free(s);
	s = ib_vet_attr_str(MOUNT_ATTR_RDONLY | MOUNT_ATTR_IDMAP);
	assert_string_equal(s, "MOUNT_ATTR_RDONLY|MOUNT_ATTR_IDMAP");
	free(s);
	world_free(w);
}

static void test_state_init_rejects_empty(void **state)
{
	struct ib_vet_state st;
	struct ib_mnttab t = {0};
	ib_err err = {0};

	(void)state;
	assert_int_equal(ib_vet_state_init(&st, &t, NULL, &err), -1);
	assert_int_equal(err.code, EINVAL);
}

static void test_state_kinds(void **state)
{
	struct world *w = world_new(FX_CREATED, NULL);
	static const struct {
		uint64_t id;
		enum ib_vet_kind kind;
		bool sensitive;
	} want[] = {
	    {65, IB_VET_K_ROOTFS, false}, {68, IB_VET_K_DEV, false},
	    {101, IB_VET_K_MOUNT, false}, {102, IB_VET_K_EMULATED, true},
	    {109, IB_VET_K_PROC, false},  {114, IB_VET_K_SYSFS, false},
	    {115, IB_VET_K_MOUNT, true},  {129, IB_VET_K_RO_PATH, true},
	    {130, IB_VET_K_MASK, true},	  {133, IB_VET_K_MASK, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ib_vet_immutable *im = NULL;

		for (size_t j = 0; j < w->st.n_imm; j++)
			if (w->st.imm[j].id == want[i].id)
				im = &w->st.imm[j];
		assert_non_null(im);
		assert_int_equal(im->kind, want[i].kind);
		assert_int_equal(im->sensitive, want[i].sensitive);
	}
	assert_true(w->st.sysfs_ro);
	world_free(w);
}

/* A procfs/sysfs the supervisor builds for a caller: is the caller capable
 * over the owner of its mount (and pid/network) namespace, as the kernel's
 * cap_capable() decides? Namespace IDs: 10 the container's user namespace
 * (the agent's, owned by host root: 65534 as the agent sees it), 20 one
 * nested in it created by uid 0, 30 one nested in 20 created by uid 1000,
 * 21 a sibling of 20. */
static void test_ns_capable(void **state)
{
	const struct ib_vet_userns ctr_ns[] = {{10, 65534}};
	const struct ib_vet_userns in20[] = {{20, 0}, {10, 65534}};
	const struct ib_vet_userns in30[] = {{30, 1000}, {20, 0}, {10, 65534}};
	const struct ib_vet_userns in21[] = {{21, 0}, {10, 65534}};

	(void)state;
	/* unshare -m -p -f --mount-proc: everything the container's, caller root */
	assert_true(ib_vet_ns_capable(ctr_ns, 1, 10, 0, true));
	/* ... without CAP_SYS_ADMIN (a non-root process, or one that dropped it) */
	assert_false(ib_vet_ns_capable(ctr_ns, 1, 10, 0, false));
	/* unshare -U -m -p -f --mount-proc: the caller's own namespaces */
	assert_true(ib_vet_ns_capable(in20, 2, 20, 0, true));
	assert_false(ib_vet_ns_capable(in20, 2, 20, 0, false));
	/* unshare -U -m (no -p): its pid namespace is the container's, owned by
	 * an ancestor: the kernel refuses proc there, so does the rule */
	assert_false(ib_vet_ns_capable(ctr_ns, 1, 20, 0, true));
	/* a sibling's namespace: out of reach */
	assert_false(ib_vet_ns_capable(in21, 2, 20, 0, true));
	/* a namespace nested in the caller's: its creator is capable there even
	 * without the capability (the owner rule), anyone else only with it */
	assert_true(ib_vet_ns_capable(in30, 3, 20, 1000, false));
	assert_false(ib_vet_ns_capable(in30, 3, 20, 1001, false));
	assert_true(ib_vet_ns_capable(in30, 3, 20, 1001, true));
	/* the owner rule counts only directly below the caller's namespace */
	assert_false(ib_vet_ns_capable(in30, 3, 10, 1000, false));
	assert_true(ib_vet_ns_capable(in30, 3, 10, 5, true));
	/* a chain cut short (the caller's namespace never reached): fails closed */
	assert_false(ib_vet_ns_capable(in30, 1, 20, 0, true));
	assert_false(ib_vet_ns_capable(in30, 0, 20, 0, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_tmpfs_busybox),
	    cmocka_unit_test(test_seed_tmpfs_remount_with_proc_mounts_options),
	    cmocka_unit_test(test_seed_tmpfs_new_api),
	    cmocka_unit_test(test_seed_ro_volume),
	    cmocka_unit_test(test_readonly_rootfs_and_paths),
	    cmocka_unit_test(test_ro_lineage),
	    cmocka_unit_test(test_new_api_clone_of_ro),
	    cmocka_unit_test(test_umount_jail),
	    cmocka_unit_test(test_move_jail),
	    cmocka_unit_test(test_nonrecursive_copies),
	    cmocka_unit_test(test_unbindable),
	    cmocka_unit_test(test_pivot_root),
	    cmocka_unit_test(test_overmount),
	    cmocka_unit_test(test_fresh_proc_and_sysfs),
	    cmocka_unit_test(test_covers_protected),
	    cmocka_unit_test(test_nested_copy),
	    cmocka_unit_test(test_nested_inner_jail),
	    cmocka_unit_test(test_nested_beneath),
	    cmocka_unit_test(test_fail_closed),
	    cmocka_unit_test(test_fail_closed_remount_unknown),
	    cmocka_unit_test(test_audit),
	    cmocka_unit_test(test_state_init_rejects_empty),
	    cmocka_unit_test(test_state_kinds),
	    cmocka_unit_test(test_ns_capable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
