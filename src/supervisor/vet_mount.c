/* Mount vetting rules (vet_mount.h).
 *
 * ## What the kernel (6.18) already protects -- measured, not assumed
 *
 * In an ironbox container (its own user namespace; staged binds cloned into
 * the container's mount namespace, which is owned by the container's user
 * namespace; /proc, /sys, /dev, masks, read-only paths, emulated /proc files
 * and the read-only root made by the container's init inside it), as
 * container root with CAP_SYS_ADMIN, with a static test program:
 *
 *                                              initial ns  unshare -m  unshare -U -m
 *   remount,bind,rw / setattr -ro of ro volume   EPERM       EPERM       EPERM
 *   ... of an open_tree clone / bind of it       EPERM       EPERM       EPERM
 *   fspick+fsconfig rw+reconfigure ro volume     EPERM       EPERM       EPERM
 *   remount,bind,rw of --read-only rootfs        allowed     allowed     EPERM
 *   remount,bind,rw /proc/sys (readonlyPaths)    allowed     allowed     EPERM
 *   remount,bind,rw /sys (ro sysfs)              allowed     allowed     EPERM
 *   clear nosuid on /dev/shm                     allowed     allowed     EPERM
 *   umount /proc/uptime (emulated, FUSE)         allowed     allowed     EINVAL
 *   umount a mask (/proc/keys, /sys/firmware)    allowed     allowed     EINVAL
 *   umount /proc/sys, /dev/shm, -l /proc         allowed     allowed     EINVAL
 *   umount a volume (ro bind from the host)      allowed     allowed     EINVAL
 *   mount --move volume / emulated file          allowed     allowed     EINVAL
 *   mount --bind /proc /x (non-recursive)        allowed*    allowed*    EINVAL
 *   open_tree(/proc, CLONE) non-recursive        allowed*    allowed*    EINVAL
 *   mount -t proc / sysfs (fresh)                allowed*    allowed*    EPERM
 *   fsopen+fsmount proc (new pid ns)             -           allowed*    EPERM
 *   mount over /proc/uptime (file bind)          allowed     allowed     allowed
 *   make-unbindable /proc/uptime; rbind /proc    allowed*    -           -
 *   pivot_root(".", ".") in /sys/firmware        allowed*    -           -
 *   new root on tmpfs, pivot_root, umount -l old -           allowed     allowed
 *   (* = the result shows host data: the real uptime/meminfo, /sys/firmware;
 *    - = not measured there)
 *
 * So the kernel gives exactly two things:
 *  - lock flags on the staged binds: a clone of a mount made in a less
 *    privileged mount namespace keeps MNT_LOCK_READONLY & co., so read-only
 *    volumes stay read-only in every namespace (and their binds/clones);
 *    the top of each bind is NOT MNT_LOCKED (open_tree/__do_loopback clear
 *    it), so they can still be unmounted and moved;
 *  - MNT_LOCKED on every mount copied into a namespace of a *new, less
 *    privileged user namespace* (`unshare -U -m`, an inner rootless runtime):
 *    there the copies cannot be unmounted or moved individually (EINVAL),
 *    their flags cannot be cleared, a non-recursive bind of a mount with
 *    locked children is EINVAL, and fresh proc/sysfs are refused
 *    (mount_too_revealing: masks over files are not "fully visible");
 *    detaching a whole tree (umount -l of the old root after pivot_root) is
 *    allowed.
 * Everything the container's init mounts itself after its mount namespace
 * was created (all of /proc, /sys, /dev, masks, read-only paths, emulated
 * files, the read-only root) is unprotected in the initial namespace and in
 * nested namespaces of the same user namespace (`unshare -m`, the common
 * Docker-in-Docker case): copies made by CLONE_NEWNS without a new user
 * namespace are not locked. The supervisor therefore extends the lock
 * semantics to all of the jail in every namespace (vet_mount.h, "The
 * model"), and additionally must perform fresh proc/sysfs mounts for nested
 * user namespaces (the kernel would refuse them) -- with covers, which the
 * kernel does not lock when the supervisor attaches them (measured: the
 * nested caller could unmount such a cover; the rules here refuse it).
 * Not locked either in the initial namespace: MS_UNBINDABLE on an emulated
 * file followed by a recursive bind (the bind skips unbindable mounts and
 * shows the real file) and pivot_root into a mask directory (moves the
 * mask away); both are covered below (pivot_root must be trapped).
 */
#include "supervisor/vet_mount.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define MS_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)

/* ---- State ---------------------------------------------------------------- */

static bool in_strv(char **v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static char **strv_copy(char **v)
{
	char **out = NULL;

	ib_strv_push(&out, ""); /* never NULL */
	free(out[0]);
	out[0] = NULL;
	for (; v && *v; v++)
		ib_strv_push(&out, *v);
	return out;
}

static enum ib_vet_kind classify(const struct ib_vet_state *st, const struct ib_mnt *m)
{
	if (strcmp(m->mountpoint, "/") == 0)
		return IB_VET_K_ROOTFS;
	if (in_strv(st->emulated, m->mountpoint))
		return IB_VET_K_EMULATED;
	if (in_strv(st->masked, m->mountpoint))
		return IB_VET_K_MASK;
	if (in_strv(st->readonly, m->mountpoint))
		return IB_VET_K_RO_PATH;
	if (strcmp(m->mountpoint, "/proc") == 0 && strcmp(m->fstype, "proc") == 0)
		return IB_VET_K_PROC;
	if (strcmp(m->mountpoint, "/sys") == 0 && strcmp(m->fstype, "sysfs") == 0)
		return IB_VET_K_SYSFS;
	if (ib_path_under(m->mountpoint, "/dev"))
		return IB_VET_K_DEV;
	return IB_VET_K_MOUNT;
}

static bool pseudo_fs(const char *fstype)
{
	return fstype && (strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0);
}

static struct ib_vet_immutable *imm_push(struct ib_vet_state *st)
{
	st->imm = ib_xrealloc(st->imm, (st->n_imm + 1) * sizeof(*st->imm));
	memset(&st->imm[st->n_imm], 0, sizeof(st->imm[0]));
	return &st->imm[st->n_imm++];
}

static struct ib_idmap *map_copy(const struct ib_idmap *v, size_t n)
{
	struct ib_idmap *out = ib_xmalloc0((n + 1) * sizeof(*out));

	if (n)
		memcpy(out, v, n * sizeof(*out));
	return out;
}

int ib_vet_state_init(struct ib_vet_state *st, const struct ib_mnttab *created,
		      const struct ib_vet_policy *pol, ib_err *err)
{
	memset(st, 0, sizeof(*st));
	if (!created || created->n == 0)
		return ib_err_set(err, EINVAL, "vet: empty mount table at CREATED");
	st->masked = strv_copy(pol ? pol->masked : NULL);
	st->readonly = strv_copy(pol ? pol->readonly : NULL);
	st->emulated = strv_copy(pol ? pol->emulated : NULL);
	st->uid = map_copy(pol ? pol->ids.uid : NULL, pol ? pol->ids.n_uid : 0);
	st->gid = map_copy(pol ? pol->ids.gid : NULL, pol ? pol->ids.n_gid : 0);
	st->n_uid = pol ? pol->ids.n_uid : 0;
	st->n_gid = pol ? pol->ids.n_gid : 0;
	for (size_t i = 0; i < created->n; i++) {
		const struct ib_mnt *m = &created->m[i];
		const struct ib_mnt *p = ib_mnttab_parent(created, m);
		struct ib_vet_immutable *im = imm_push(st);

		im->id = m->id;
		im->major = m->major;
		im->minor = m->minor;
		im->root = ib_xstrdup(m->root);
		im->mountpoint = ib_xstrdup(m->mountpoint);
		im->fstype = ib_xstrdup(m->fstype);
		im->ro = (m->flags & MS_RDONLY) != 0;
		im->kind = classify(st, m);
		im->has_spot =
		    ib_mnttab_spot(created, m, &im->spot_major, &im->spot_minor, &im->spot);
		im->sensitive = im->kind == IB_VET_K_MASK || im->kind == IB_VET_K_RO_PATH ||
				im->kind == IB_VET_K_EMULATED || (p && pseudo_fs(p->fstype));
		if (im->kind == IB_VET_K_SYSFS)
			st->sysfs_ro = im->ro;
	}
	return 0;
}

void ib_vet_state_free(struct ib_vet_state *st)
{
	for (size_t i = 0; i < st->n_imm; i++) {
		free(st->imm[i].root);
		free(st->imm[i].mountpoint);
		free(st->imm[i].fstype);
		free(st->imm[i].spot);
	}
	free(st->imm);
	for (size_t i = 0; i < st->n_det; i++) {
		for (size_t j = 0; j < st->det[i].n; j++)
			free(st->det[i].m[j].root);
		free(st->det[i].m);
	}
	free(st->det);
	ib_strv_free(st->masked);
	ib_strv_free(st->readonly);
	ib_strv_free(st->emulated);
	free(st->uid);
	free(st->gid);
	memset(st, 0, sizeof(*st));
}

void ib_vet_state_add_cover(struct ib_vet_state *st, unsigned major, unsigned minor,
			    const char *root, bool ro, unsigned spot_major, unsigned spot_minor,
			    const char *spot_path, const char *what)
{
	struct ib_vet_immutable *im = imm_push(st);

	im->major = major;
	im->minor = minor;
	im->root = ib_xstrdup(root ? root : "/");
	im->mountpoint = ib_xstrdup(what ? what : spot_path);
	im->fstype = ib_xstrdup("");
	im->ro = ro;
	im->kind = IB_VET_K_COVER;
	im->has_spot = true;
	im->spot_major = spot_major;
	im->spot_minor = spot_minor;
	im->spot = ib_xstrdup(spot_path);
	im->sensitive = true;
}

static struct ib_vet_detached *det_new(struct ib_vet_state *st, uint64_t id)
{
	struct ib_vet_detached *d = NULL;

	for (size_t i = 0; i < st->n_det; i++)
		if (st->det[i].id == id)
			d = &st->det[i];
	if (d) { /* the ID was reused: forget the old tree */
		for (size_t j = 0; j < d->n; j++)
			free(d->m[j].root);
		free(d->m);
	} else {
		st->det = ib_xrealloc(st->det, (st->n_det + 1) * sizeof(*st->det));
		d = &st->det[st->n_det++];
	}
	memset(d, 0, sizeof(*d));
	d->id = id;
	return d;
}

static void det_add(struct ib_vet_detached *d, unsigned major, unsigned minor, const char *root,
		    bool ro)
{
	d->m = ib_xrealloc(d->m, (d->n + 1) * sizeof(*d->m));
	d->m[d->n].major = major;
	d->m[d->n].minor = minor;
	d->m[d->n].root = ib_xstrdup(root);
	d->m[d->n].ro = ro;
	d->n++;
}

static const struct ib_vet_detached *det_find(const struct ib_vet_state *st, uint64_t id)
{
	for (size_t i = 0; i < st->n_det; i++)
		if (st->det[i].id == id && st->det[i].n > 0)
			return &st->det[i];
	return NULL;
}

/* The path inside its filesystem of a resolved object in mount m. */
static char *obj_fs_path(const struct ib_mnt *m, const struct ib_vet_obj *o)
{
	if (o->mnt_root)
		return ib_xstrdup(m->root);
	if (!o->path)
		return NULL;
	return ib_mnt_fs_path(m, o->path);
}

void ib_vet_state_add_clone(struct ib_vet_state *st, uint64_t new_id, const struct ib_mnttab *t,
			    const struct ib_vet_obj *src, bool recursive)
{
	const struct ib_mnt *m = ib_mnttab_find(t, src->mnt_id);
	const struct ib_vet_detached *from = m ? NULL : det_find(st, src->mnt_id);
	struct ib_vet_detached copy = {0};
	struct ib_vet_detached *d;
	_cleanup_free_ char *top = NULL;

	if (from) { /* a clone of a clone: copy before det_new() may move the array */
		for (size_t j = 0; j < (recursive ? from->n : 1); j++)
			det_add(&copy, from->m[j].major, from->m[j].minor, from->m[j].root,
				from->m[j].ro);
	}
	d = det_new(st, new_id);
	if (m) {
		top = obj_fs_path(m, src);
		if (!top)
			return; /* unknown shape: left empty, later calls on it fail closed */
		det_add(d, m->major, m->minor, top, (m->flags & MS_RDONLY) != 0);
		for (size_t i = 0; recursive && i < t->n; i++) {
			const struct ib_mnt *e = &t->m[i];

			if (e == m || !ib_mnttab_is_ancestor(t, m, e))
				continue;
			if (src->path && !ib_path_under(e->mountpoint, src->path))
				continue;
			det_add(d, e->major, e->minor, e->root, (e->flags & MS_RDONLY) != 0);
		}
	} else {
		d->m = copy.m;
		d->n = copy.n;
		copy.m = NULL;
	}
	free(copy.m);
}

void ib_vet_state_add_fresh(struct ib_vet_state *st, uint64_t new_id, unsigned major,
			    unsigned minor)
{
	det_add(det_new(st, new_id), major, minor, "/", false);
}

/* ---- Questions ------------------------------------------------------------- */

static const struct ib_vet_immutable *imm_by_id(const struct ib_vet_state *st, uint64_t id)
{
	for (size_t i = 0; id && i < st->n_imm; i++)
		if (st->imm[i].id == id)
			return &st->imm[i];
	return NULL;
}

static const struct ib_vet_immutable *spot_owner(const struct ib_vet_state *st, unsigned major,
						 unsigned minor, const char *path)
{
	for (size_t i = 0; i < st->n_imm; i++) {
		const struct ib_vet_immutable *im = &st->imm[i];

		if (im->has_spot && im->spot_major == major && im->spot_minor == minor &&
		    strcmp(im->spot, path) == 0)
			return im;
	}
	return NULL;
}

/* A sensitive spot of filesystem major:minor at or below fs path p: a
 * copy of p without submounts would show it. A cover that shows p itself
 * (a read-only path is a bind of its own directory) hides nothing a copy of
 * p would show. */
static const struct ib_vet_immutable *sensitive_below(const struct ib_vet_state *st, unsigned major,
						      unsigned minor, const char *p)
{
	for (size_t i = 0; i < st->n_imm; i++) {
		const struct ib_vet_immutable *im = &st->imm[i];

		if (im->has_spot && im->sensitive && im->spot_major == major &&
		    im->spot_minor == minor && ib_path_under(im->spot, p) &&
		    !(im->major == major && im->minor == minor && strcmp(im->root, p) == 0))
			return im;
	}
	return NULL;
}

/* Would showing (major:minor, root) read-write expose what the jail shows
 * read-only? Decided by the most specific immutable mount of that
 * filesystem at or above root; on a tie a read-write one wins (the content
 * is writable through it anyway). */
static const struct ib_vet_immutable *ro_protector(const struct ib_vet_state *st, unsigned major,
						   unsigned minor, const char *root)
{
	const struct ib_vet_immutable *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < st->n_imm; i++) {
		const struct ib_vet_immutable *im = &st->imm[i];
		size_t len = strlen(im->root);

		if (im->major != major || im->minor != minor || !ib_path_under(root, im->root))
			continue;
		if (!best || len > best_len || (len == best_len && !im->ro)) {
			best = im;
			best_len = len;
		}
	}
	return best && best->ro ? best : NULL;
}

/* ---- Decisions ------------------------------------------------------------- */

static int deny(struct ib_vet_decision *d, int error, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int deny(struct ib_vet_decision *d, int error, const char *rule, const char *fmt, ...)
{
	va_list ap;

	d->allow = false;
	d->error = error;
	d->rule = rule;
	free(d->reason);
	va_start(ap, fmt);
	if (vasprintf(&d->reason, fmt, ap) < 0)
		d->reason = NULL;
	va_end(ap);
	free(d->data);
	d->data = NULL;
	d->post = 0;
	return 0;
}

static int allow(struct ib_vet_decision *d, const char *rule)
{
	d->allow = true;
	d->error = 0;
	d->rule = rule;
	return 0;
}

static const char *mp(const struct ib_mnt *m)
{
	return m ? m->mountpoint : "?";
}

/* Resolve an object to its mount (attached) or detached tree. */
struct placed {
	const struct ib_mnt *m;
	const struct ib_vet_detached *det;
};

static bool place(const struct ib_vet_ctx *ctx, const struct ib_vet_obj *o, struct placed *p)
{
	p->m = NULL;
	p->det = NULL;
	if (!o->present)
		return false;
	p->m = ib_mnttab_find(ctx->tab, o->mnt_id);
	if (!p->m)
		p->det = det_find(ctx->st, o->mnt_id);
	return p->m || p->det;
}

static int unknown(struct ib_vet_decision *d, const char *what, const struct ib_vet_obj *o)
{
	return deny(d, EPERM, "unknown-mount", "%s: mount %llu is not in the caller's table", what,
		    (unsigned long long)(o->present ? o->mnt_id : 0));
}

/* Uncovering m: refused if m is immutable or sits on an immutable's spot. */
static bool check_uncover(const struct ib_vet_ctx *ctx, const struct ib_mnt *m,
			  struct ib_vet_decision *d, const char *rule_imm, const char *rule_spot,
			  const char *verb)
{
	const struct ib_vet_immutable *im = imm_by_id(ctx->st, m->id);
	_cleanup_free_ char *spot = NULL;
	unsigned maj, min;

	if (im) {
		deny(d, EPERM, rule_imm, "%s mount %llu at %s: immutable (%s)", verb,
		     (unsigned long long)m->id, m->mountpoint, ib_vet_kind_name(im->kind));
		return false;
	}
	if (!ib_mnttab_spot(ctx->tab, m, &maj, &min, &spot)) {
		deny(d, EPERM, "unknown-parent", "%s mount %llu at %s: its parent is not visible",
		     verb, (unsigned long long)m->id, m->mountpoint);
		return false;
	}
	im = spot_owner(ctx->st, maj, min, spot);
	if (im) {
		deny(d, EPERM, rule_spot,
		     "%s mount %llu at %s would uncover %u:%u %s (hidden by the jail's %s %s)",
		     verb, (unsigned long long)m->id, m->mountpoint, maj, min, spot,
		     ib_vet_kind_name(im->kind), im->mountpoint);
		return false;
	}
	return true;
}

/* A copy of o without its submounts: refused if it would show a sensitive
 * spot. */
static bool check_copy(const struct ib_vet_ctx *ctx, const struct ib_vet_obj *o,
		       const struct placed *p, struct ib_vet_decision *d, const char *rule)
{
	const struct ib_vet_immutable *im;
	_cleanup_free_ char *fsp = NULL;
	unsigned maj, min;

	if (p->m) {
		fsp = obj_fs_path(p->m, o);
		maj = p->m->major;
		min = p->m->minor;
	} else {
		fsp = ib_xstrdup(p->det->m[0].root); /* the whole top, at worst */
		maj = p->det->m[0].major;
		min = p->det->m[0].minor;
	}
	if (!fsp) {
		deny(d, EPERM, "unknown-mount", "copy of %s: path not inside mount %llu",
		     o->path ? o->path : "?", (unsigned long long)o->mnt_id);
		return false;
	}
	im = sensitive_below(ctx->st, maj, min, fsp);
	if (im) {
		deny(d, EPERM, rule,
		     "non-recursive copy of %s (%u:%u %s) would show what the jail's %s %s hides",
		     o->path ? o->path : "a detached mount", maj, min, fsp,
		     ib_vet_kind_name(im->kind), im->mountpoint);
		return false;
	}
	return true;
}

/* Mounting on dst: in the initial namespace, never on an immutable mount's
 * root nor on a directory containing one. */
static bool check_target(const struct ib_vet_ctx *ctx, const struct ib_vet_obj *dst,
			 struct ib_vet_decision *d)
{
	struct placed p;

	if (!place(ctx, dst, &p) || !p.m) {
		unknown(d, "target", dst);
		return false;
	}
	if (dst->mnt_root) {
		const struct ib_vet_immutable *im = imm_by_id(ctx->st, p.m->id);

		if (im) {
			deny(d, EPERM, "overmount-immutable",
			     "mounting on %s would hide the jail's %s mount %llu", p.m->mountpoint,
			     ib_vet_kind_name(im->kind), (unsigned long long)p.m->id);
			return false;
		}
	}
	for (size_t i = 0; dst->path && i < ctx->tab->n; i++) {
		const struct ib_mnt *e = &ctx->tab->m[i];
		const struct ib_vet_immutable *im;

		if (strcmp(e->mountpoint, dst->path) == 0 ||
		    !ib_path_under(e->mountpoint, dst->path))
			continue;
		im = imm_by_id(ctx->st, e->id);
		if (im) {
			deny(d, EPERM, "overmount-hides-immutable",
			     "mounting on %s would hide the jail's %s mount %llu at %s", dst->path,
			     ib_vet_kind_name(im->kind), (unsigned long long)e->id, e->mountpoint);
			return false;
		}
	}
	return true;
}

/* Is any mount of the scope (m, and its descendants when rec) ro-protected? */
static bool check_rw(const struct ib_vet_ctx *ctx, const struct placed *p, bool rec,
		     struct ib_vet_decision *d, const char *rule_imm, const char *rule_lineage)
{
	if (p->det) {
		for (size_t j = 0; j < (rec ? p->det->n : 1); j++) {
			const struct ib_vet_detached_mnt *e = &p->det->m[j];
			const struct ib_vet_immutable *im =
			    ro_protector(ctx->st, e->major, e->minor, e->root);

			if (im) {
				deny(d, EPERM, rule_lineage,
				     "detached copy of %u:%u %s is read-only like the jail's %s %s",
				     e->major, e->minor, e->root, ib_vet_kind_name(im->kind),
				     im->mountpoint);
				return false;
			}
		}
		return true;
	}
	for (size_t i = 0; i < ctx->tab->n; i++) {
		const struct ib_mnt *e = &ctx->tab->m[i];
		const struct ib_vet_immutable *im;

		if (e != p->m && !(rec && ib_mnttab_is_ancestor(ctx->tab, p->m, e)))
			continue;
		im = imm_by_id(ctx->st, e->id);
		if (im && im->ro) {
			deny(d, EPERM, rule_imm, "mount %llu at %s is the jail's read-only %s",
			     (unsigned long long)e->id, e->mountpoint, ib_vet_kind_name(im->kind));
			return false;
		}
		im = ro_protector(ctx->st, e->major, e->minor, e->root);
		if (im) {
			deny(d, EPERM, rule_lineage,
			     "mount %llu at %s shows %u:%u %s, read-only in the jail (%s %s)",
			     (unsigned long long)e->id, e->mountpoint, e->major, e->minor, e->root,
			     ib_vet_kind_name(im->kind), im->mountpoint);
			return false;
		}
	}
	return true;
}

/* MS_UNBINDABLE on a cover: a later recursive bind would leave it out. */
static bool check_unbindable(const struct ib_vet_ctx *ctx, const struct placed *p, bool rec,
			     struct ib_vet_decision *d)
{
	if (!p->m)
		return true; /* a detached tree: recursive binds of it are vetted as copies */
	for (size_t i = 0; i < ctx->tab->n; i++) {
		const struct ib_mnt *e = &ctx->tab->m[i];
		const struct ib_vet_immutable *im;
		_cleanup_free_ char *spot = NULL;
		unsigned maj, min;

		if (e != p->m && !(rec && ib_mnttab_is_ancestor(ctx->tab, p->m, e)))
			continue;
		im = imm_by_id(ctx->st, e->id);
		if (!(im && im->sensitive) && ib_mnttab_spot(ctx->tab, e, &maj, &min, &spot))
			im = spot_owner(ctx->st, maj, min, spot);
		if (im && im->sensitive) {
			deny(d, EPERM, "unbindable-drops-cover",
			     "making %s unbindable would let a recursive bind leave out the jail's "
			     "%s",
			     e->mountpoint, ib_vet_kind_name(im->kind));
			return false;
		}
	}
	return true;
}

static void translate_data(const struct ib_vet_ctx *ctx, const char *fstype, const char *data,
			   struct ib_vet_decision *d)
{
	struct ib_idopts_maps maps = {.uid = ctx->st->uid,
				      .n_uid = ctx->st->n_uid,
				      .gid = ctx->st->gid,
				      .n_gid = ctx->st->n_gid};

	free(d->data);
	d->data = ib_idopts_translate(fstype, data, &maps, ctx->id_dir);
}

static void pseudofs_post(const struct ib_vet_ctx *ctx, const char *fstype,
			  struct ib_vet_decision *d, bool classic)
{
	if (!pseudo_fs(fstype))
		return;
	d->post |= IB_VET_POST_COVER;
	d->cover_fs = strcmp(fstype, "proc") == 0 ? "proc" : "sysfs";
	if (d->cover_fs[0] == 's' && ctx->st->sysfs_ro) {
		if (classic)
			d->flags |= MS_RDONLY;
		else
			d->attr_set |= MOUNT_ATTR_RDONLY;
	}
}

static int decide_mount(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			struct ib_vet_decision *d)
{
	uint64_t f = c->flags;
	struct placed p;

	if (f & MS_REMOUNT) {
		if (!place(ctx, &c->dst, &p) || !p.m)
			return unknown(d, "remount", &c->dst);
		if (!(f & MS_RDONLY) && !check_rw(ctx, &p, false, d, "remount-rw-immutable-ro",
						  "remount-rw-ro-lineage"))
			return 0;
		if (!(f & MS_BIND))
			translate_data(ctx, p.m->fstype, c->data, d);
		return allow(d, "remount");
	}
	if (f & MS_BIND) {
		if (!place(ctx, &c->src, &p))
			return unknown(d, "bind source", &c->src);
		if (!(f & MS_REC) && !check_copy(ctx, &c->src, &p, d, "bind-uncovers"))
			return 0;
		if (!check_target(ctx, &c->dst, d))
			return 0;
		return allow(d, "bind");
	}
	if (f & MS_PROPAGATION) {
		if (f & MS_UNBINDABLE) {
			if (!place(ctx, &c->dst, &p))
				return unknown(d, "propagation", &c->dst);
			if (!check_unbindable(ctx, &p, (f & MS_REC) != 0, d))
				return 0;
		}
		return allow(d, "propagation");
	}
	if (f & MS_MOVE) {
		if (!place(ctx, &c->src, &p) || !p.m)
			return unknown(d, "move source", &c->src);
		if (!c->src.mnt_root)
			return deny(d, EINVAL, "move-not-mountpoint", "%s is not a mount point",
				    c->src.path ? c->src.path : "?");
		if (!check_uncover(ctx, p.m, d, "move-immutable", "move-uncovers", "moving"))
			return 0;
		if (!check_target(ctx, &c->dst, d))
			return 0;
		return allow(d, "move");
	}
	/* a new filesystem */
	if (!check_target(ctx, &c->dst, d))
		return 0;
	translate_data(ctx, c->fstype, c->data, d);
	pseudofs_post(ctx, c->fstype, d, true);
	return allow(d, d->post ? "new-pseudofs" : "new-mount");
}

static int decide_umount(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			 struct ib_vet_decision *d)
{
	struct placed p;

	if (!place(ctx, &c->dst, &p) || !p.m)
		return unknown(d, "umount", &c->dst);
	if (!c->dst.mnt_root)
		return deny(d, EINVAL, "umount-not-mountpoint", "%s is not a mount point",
			    c->dst.path ? c->dst.path : "?");
	if (!check_uncover(ctx, p.m, d, "umount-immutable", "umount-uncovers", "unmounting"))
		return 0;
	return allow(d, "umount");
}

static int decide_open_tree(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			    struct ib_vet_decision *d)
{
	struct placed p;

	if (!(c->flags & OPEN_TREE_CLONE))
		return allow(d, "open-tree-handle");
	if (!place(ctx, &c->src, &p))
		return unknown(d, "open_tree", &c->src);
	if (!(c->flags & AT_RECURSIVE) && !check_copy(ctx, &c->src, &p, d, "clone-uncovers"))
		return 0;
	d->post |= IB_VET_POST_RECORD;
	return allow(d, "clone");
}

static int decide_move_mount(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			     struct ib_vet_decision *d)
{
	struct placed p;
	const char *rule = "attach";

	if (c->flags & MOVE_MOUNT_SET_GROUP)
		return allow(d, "set-group");
	if (!place(ctx, &c->src, &p))
		return unknown(d, "move_mount from", &c->src);
	if (p.m) {
		if (!c->src.mnt_root)
			return deny(d, EINVAL, "move-not-mountpoint", "%s is not a mount point",
				    c->src.path ? c->src.path : "?");
		if (!check_uncover(ctx, p.m, d, "move-immutable", "move-uncovers", "moving"))
			return 0;
		rule = "move";
	}
	if (!(c->flags & MOVE_MOUNT_BENEATH) && !check_target(ctx, &c->dst, d))
		return 0;
	if ((c->flags & MOVE_MOUNT_BENEATH) && !place(ctx, &c->dst, &p))
		return unknown(d, "move_mount to", &c->dst);
	return allow(d, rule);
}

static int decide_setattr(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			  struct ib_vet_decision *d)
{
	bool rec = (c->flags & AT_RECURSIVE) != 0;
	struct placed p;

	if (!place(ctx, &c->dst, &p))
		return unknown(d, "mount_setattr", &c->dst);
	if ((c->attr_clr & MOUNT_ATTR_RDONLY) && !(c->attr_set & MOUNT_ATTR_RDONLY) &&
	    !check_rw(ctx, &p, rec, d, "setattr-rw-immutable-ro", "setattr-rw-ro-lineage"))
		return 0;
	if ((c->propagation & MS_UNBINDABLE) && !check_unbindable(ctx, &p, rec, d))
		return 0;
	return allow(d, "setattr");
}

static int decide_fsconfig(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			   struct ib_vet_decision *d)
{
	struct ib_idopts_maps maps = {.uid = ctx->st->uid,
				      .n_uid = ctx->st->n_uid,
				      .gid = ctx->st->gid,
				      .n_gid = ctx->st->n_gid};

	if (c->cmd == FSCONFIG_SET_STRING) {
		d->data =
		    ib_idopts_translate_value(c->fstype, c->key, c->value, &maps, ctx->id_dir);
		if (d->data)
			return allow(d, "fsconfig-ids");
	}
	return allow(d, "fsconfig");
}

static int decide_fsmount(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			  struct ib_vet_decision *d)
{
	d->post |= IB_VET_POST_RECORD;
	pseudofs_post(ctx, c->new_fstype, d, false);
	return allow(d, (d->post & IB_VET_POST_COVER) ? "fsmount-pseudofs" : "fsmount");
}

static int decide_pivot_root(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			     struct ib_vet_decision *d)
{
	struct placed p;

	if (!place(ctx, &c->src, &p) || !p.m)
		return unknown(d, "pivot_root new_root", &c->src);
	if (!c->src.mnt_root)
		return deny(d, EINVAL, "pivot-not-mountpoint", "%s is not a mount point",
			    c->src.path ? c->src.path : "?");
	if (!check_uncover(ctx, p.m, d, "pivot-immutable", "pivot-uncovers", "pivoting into"))
		return 0;
	return allow(d, "pivot_root");
}

int ib_vet_decide(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
		  struct ib_vet_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->flags = c->flags;
	switch (c->sys) {
	case IB_VET_MOUNT:
		return decide_mount(ctx, c, d);
	case IB_VET_UMOUNT2:
		return decide_umount(ctx, c, d);
	case IB_VET_OPEN_TREE:
		return decide_open_tree(ctx, c, d);
	case IB_VET_MOVE_MOUNT:
		return decide_move_mount(ctx, c, d);
	case IB_VET_FSOPEN:
		return allow(d, "fsopen");
	case IB_VET_FSCONFIG:
		return decide_fsconfig(ctx, c, d);
	case IB_VET_FSMOUNT:
		return decide_fsmount(ctx, c, d);
	case IB_VET_FSPICK:
		return allow(d, "fspick");
	case IB_VET_MOUNT_SETATTR:
		return decide_setattr(ctx, c, d);
	case IB_VET_PIVOT_ROOT:
		return decide_pivot_root(ctx, c, d);
	}
	return deny(d, ENOSYS, "unknown-syscall", "system call %d", (int)c->sys);
}

void ib_vet_decision_free(struct ib_vet_decision *d)
{
	free(d->reason);
	free(d->data);
	memset(d, 0, sizeof(*d));
}

/* ---- Covers ----------------------------------------------------------------- */

static void cover_add(struct ib_vet_cover **v, size_t *n, enum ib_vet_cover_op op, char **list,
		      const char *prefix)
{
	size_t plen = strlen(prefix);

	for (; list && *list; list++) {
		const char *p = *list;

		if (strncmp(p, prefix, plen) != 0 || p[plen] != '/' || !p[plen + 1])
			continue;
		*v = ib_xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[*n].op = op;
		(*v)[*n].rel = ib_xstrdup(p + plen + 1);
		(*v)[*n].from = op == IB_VET_COVER_EMULATE ? ib_xstrdup(p) : NULL;
		(*n)++;
	}
}

size_t ib_vet_cover_plan(const struct ib_vet_state *st, const char *fstype,
			 struct ib_vet_cover **out)
{
	const char *prefix = NULL;
	size_t n = 0;

	*out = NULL;
	if (fstype && strcmp(fstype, "proc") == 0)
		prefix = "/proc";
	else if (fstype && strcmp(fstype, "sysfs") == 0)
		prefix = "/sys";
	if (!prefix)
		return 0;
	cover_add(out, &n, IB_VET_COVER_RO, st->readonly, prefix);
	cover_add(out, &n, IB_VET_COVER_MASK, st->masked, prefix);
	cover_add(out, &n, IB_VET_COVER_EMULATE, st->emulated, prefix);
	return n;
}

void ib_vet_cover_plan_free(struct ib_vet_cover *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rel);
		free(v[i].from);
	}
	free(v);
}

bool ib_vet_ns_capable(const struct ib_vet_userns *chain, size_t n, uint64_t caller_ns,
		       uint32_t euid, bool has_cap)
{
	for (size_t i = 0; i < n; i++) {
		if (chain[i].id == caller_ns)
			return has_cap;
		if (i + 1 < n && chain[i + 1].id == caller_ns && chain[i].owner == euid)
			return true;
	}
	return false;
}

/* ---- Audit ------------------------------------------------------------------ */

struct bit_name {
	uint64_t bit;
	const char *name;
};

static const struct bit_name mount_bits[] = {
    {MS_RDONLY, "MS_RDONLY"},
    {MS_NOSUID, "MS_NOSUID"},
    {MS_NODEV, "MS_NODEV"},
    {MS_NOEXEC, "MS_NOEXEC"},
    {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
    {MS_REMOUNT, "MS_REMOUNT"},
    {MS_MANDLOCK, "MS_MANDLOCK"},
    {MS_DIRSYNC, "MS_DIRSYNC"},
    {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
    {MS_NOATIME, "MS_NOATIME"},
    {MS_NODIRATIME, "MS_NODIRATIME"},
    {MS_BIND, "MS_BIND"},
    {MS_MOVE, "MS_MOVE"},
    {MS_REC, "MS_REC"},
    {MS_SILENT, "MS_SILENT"},
    {MS_POSIXACL, "MS_POSIXACL"},
    {MS_UNBINDABLE, "MS_UNBINDABLE"},
    {MS_PRIVATE, "MS_PRIVATE"},
    {MS_SLAVE, "MS_SLAVE"},
    {MS_SHARED, "MS_SHARED"},
    {MS_RELATIME, "MS_RELATIME"},
    {MS_I_VERSION, "MS_I_VERSION"},
    {MS_STRICTATIME, "MS_STRICTATIME"},
    {MS_LAZYTIME, "MS_LAZYTIME"},
    {0, NULL},
};
static const struct bit_name umount_bits[] = {
    {MNT_FORCE, "MNT_FORCE"},
    {MNT_DETACH, "MNT_DETACH"},
    {MNT_EXPIRE, "MNT_EXPIRE"},
    {UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"},
    {0, NULL},
};
static const struct bit_name at_bits[] = {
    {OPEN_TREE_CLONE, "OPEN_TREE_CLONE"},
    {OPEN_TREE_CLOEXEC, "OPEN_TREE_CLOEXEC"},
    {AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
    {AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
    {AT_EMPTY_PATH, "AT_EMPTY_PATH"},
    {AT_RECURSIVE, "AT_RECURSIVE"},
    {0, NULL},
};
static const struct bit_name setattr_bits[] = {
    {AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
    {AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
    {AT_EMPTY_PATH, "AT_EMPTY_PATH"},
    {AT_RECURSIVE, "AT_RECURSIVE"},
    {0, NULL},
};
static const struct bit_name move_bits[] = {
    {MOVE_MOUNT_F_SYMLINKS, "MOVE_MOUNT_F_SYMLINKS"},
    {MOVE_MOUNT_F_AUTOMOUNTS, "MOVE_MOUNT_F_AUTOMOUNTS"},
    {MOVE_MOUNT_F_EMPTY_PATH, "MOVE_MOUNT_F_EMPTY_PATH"},
    {MOVE_MOUNT_T_SYMLINKS, "MOVE_MOUNT_T_SYMLINKS"},
    {MOVE_MOUNT_T_AUTOMOUNTS, "MOVE_MOUNT_T_AUTOMOUNTS"},
    {MOVE_MOUNT_T_EMPTY_PATH, "MOVE_MOUNT_T_EMPTY_PATH"},
    {MOVE_MOUNT_SET_GROUP, "MOVE_MOUNT_SET_GROUP"},
    {MOVE_MOUNT_BENEATH, "MOVE_MOUNT_BENEATH"},
    {0, NULL},
};
static const struct bit_name fspick_bits[] = {
    {FSPICK_CLOEXEC, "FSPICK_CLOEXEC"},
    {FSPICK_SYMLINK_NOFOLLOW, "FSPICK_SYMLINK_NOFOLLOW"},
    {FSPICK_NO_AUTOMOUNT, "FSPICK_NO_AUTOMOUNT"},
    {FSPICK_EMPTY_PATH, "FSPICK_EMPTY_PATH"},
    {0, NULL},
};
static const struct bit_name cloexec_bits[] = {
    {1, "CLOEXEC"},
    {0, NULL},
};
static const struct bit_name attr_bits[] = {
    {MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY"},
    {MOUNT_ATTR_NOSUID, "MOUNT_ATTR_NOSUID"},
    {MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV"},
    {MOUNT_ATTR_NOEXEC, "MOUNT_ATTR_NOEXEC"},
    {MOUNT_ATTR_NOATIME, "MOUNT_ATTR_NOATIME"},
    {MOUNT_ATTR_STRICTATIME, "MOUNT_ATTR_STRICTATIME"},
    {MOUNT_ATTR_NODIRATIME, "MOUNT_ATTR_NODIRATIME"},
    {MOUNT_ATTR_IDMAP, "MOUNT_ATTR_IDMAP"},
    {MOUNT_ATTR_NOSYMFOLLOW, "MOUNT_ATTR_NOSYMFOLLOW"},
    {0, NULL},
};

static char *bits_str(const struct bit_name *t, uint64_t v)
{
	char *out = ib_xstrdup("");

	for (; t->name; t++) {
		if (!(v & t->bit))
			continue;
		char *n = ib_xasprintf("%s%s%s", out, *out ? "|" : "", t->name);
		free(out);
		out = n;
		v &= ~t->bit;
	}
	if (v) {
		char *n = ib_xasprintf("%s%s0x%llx", out, *out ? "|" : "", (unsigned long long)v);
		free(out);
		out = n;
	}
	if (!*out) {
		free(out);
		out = ib_xstrdup("0");
	}
	return out;
}

char *ib_vet_flags_str(enum ib_vet_sys sys, uint64_t flags)
{
	switch (sys) {
	case IB_VET_MOUNT:
		return bits_str(mount_bits, flags);
	case IB_VET_UMOUNT2:
		return bits_str(umount_bits, flags);
	case IB_VET_OPEN_TREE:
		return bits_str(at_bits, flags);
	case IB_VET_MOUNT_SETATTR:
		return bits_str(setattr_bits, flags);
	case IB_VET_MOVE_MOUNT:
		return bits_str(move_bits, flags);
	case IB_VET_FSPICK:
		return bits_str(fspick_bits, flags);
	case IB_VET_FSOPEN:
	case IB_VET_FSMOUNT:
		return bits_str(cloexec_bits, flags);
	case IB_VET_FSCONFIG:
	case IB_VET_PIVOT_ROOT:
		break;
	}
	return bits_str(cloexec_bits + 1, flags);
}

char *ib_vet_attr_str(uint64_t attr)
{
	return bits_str(attr_bits, attr);
}

const char *ib_vet_sys_name(enum ib_vet_sys sys)
{
	static const char *const names[] = {
	    [IB_VET_MOUNT] = "mount",
	    [IB_VET_UMOUNT2] = "umount2",
	    [IB_VET_OPEN_TREE] = "open_tree",
	    [IB_VET_MOVE_MOUNT] = "move_mount",
	    [IB_VET_FSOPEN] = "fsopen",
	    [IB_VET_FSCONFIG] = "fsconfig",
	    [IB_VET_FSMOUNT] = "fsmount",
	    [IB_VET_FSPICK] = "fspick",
	    [IB_VET_MOUNT_SETATTR] = "mount_setattr",
	    [IB_VET_PIVOT_ROOT] = "pivot_root",
	};

	return (unsigned)sys < IB_ARRAY_SIZE(names) ? names[sys] : "?";
}

const char *ib_vet_kind_name(enum ib_vet_kind kind)
{
	static const char *const names[] = {
	    [IB_VET_K_ROOTFS] = "rootfs",
	    [IB_VET_K_MOUNT] = "mount",
	    [IB_VET_K_PROC] = "proc",
	    [IB_VET_K_SYSFS] = "sysfs",
	    [IB_VET_K_DEV] = "dev",
	    [IB_VET_K_MASK] = "masked-path",
	    [IB_VET_K_RO_PATH] = "readonly-path",
	    [IB_VET_K_EMULATED] = "emulated-file",
	    [IB_VET_K_COVER] = "cover",
	};

	return (unsigned)kind < IB_ARRAY_SIZE(names) ? names[kind] : "?";
}

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *obj_json(const struct ib_vet_ctx *ctx, const struct ib_vet_obj *o)
{
	json_object *j = json_object_new_object();
	const struct ib_mnt *m = ctx ? ib_mnttab_find(ctx->tab, o->mnt_id) : NULL;
	const struct ib_vet_immutable *im = ctx ? imm_by_id(ctx->st, o->mnt_id) : NULL;

	add_str(j, "path", o->path);
	json_object_object_add(j, "mnt_id", json_object_new_uint64(o->mnt_id));
	json_object_object_add(j, "mount_root", json_object_new_boolean(o->mnt_root));
	if (m) {
		add_str(j, "mountpoint", mp(m));
		add_str(j, "fstype", m->fstype);
	} else {
		json_object_object_add(j, "detached", json_object_new_boolean(true));
	}
	if (im)
		add_str(j, "immutable", ib_vet_kind_name(im->kind));
	return j;
}

json_object *ib_vet_audit(const struct ib_vet_ctx *ctx, const struct ib_vet_call *c,
			  const struct ib_vet_decision *d)
{
	json_object *j = json_object_new_object();
	_cleanup_free_ char *flags = ib_vet_flags_str(c->sys, c->flags);

	add_str(j, "syscall", ib_vet_sys_name(c->sys));
	add_str(j, "source", c->source);
	add_str(j, "target", c->target);
	add_str(j, "fstype", c->fstype);
	add_str(j, "data", c->data);
	if (c->sys != IB_VET_FSCONFIG && c->sys != IB_VET_PIVOT_ROOT)
		add_str(j, "flags", flags);
	if (c->sys == IB_VET_MOUNT_SETATTR) {
		_cleanup_free_ char *set = ib_vet_attr_str(c->attr_set);
		_cleanup_free_ char *clr = ib_vet_attr_str(c->attr_clr);
		_cleanup_free_ char *prop = bits_str(mount_bits, c->propagation);

		add_str(j, "attr_set", set);
		add_str(j, "attr_clr", clr);
		add_str(j, "propagation", prop);
	}
	if (c->sys == IB_VET_FSCONFIG) {
		json_object_object_add(j, "cmd", json_object_new_int((int)c->cmd));
		add_str(j, "key", c->key);
		add_str(j, "value", c->value);
	}
	if (c->sys == IB_VET_FSMOUNT) {
		_cleanup_free_ char *attr = ib_vet_attr_str(c->attr);

		add_str(j, "attr", attr);
		add_str(j, "new_fstype", c->new_fstype);
	}
	if (c->src.present)
		json_object_object_add(j, "src", obj_json(ctx, &c->src));
	if (c->dst.present)
		json_object_object_add(j, "dst", obj_json(ctx, &c->dst));
	add_str(j, "decision", d->allow ? "allow" : "deny");
	if (!d->allow) {
		const char *name = strerrorname_np(d->error);

		add_str(j, "errno", name ? name : "?");
	}
	add_str(j, "rule", d->rule);
	add_str(j, "reason", d->reason);
	add_str(j, "rewritten", d->data);
	if (d->post & IB_VET_POST_COVER)
		add_str(j, "cover", d->cover_fs);
	return j;
}
