/* Making the container's bind mounts immutable from inside.
 *
 * The kernel locks the flags of every mount that is copied into a mount
 * namespace owned by a less privileged user namespace (MNT_LOCK_READONLY,
 * _NODEV, _NOSUID, _NOEXEC, _ATIME), and clones of such mounts keep the
 * locks. So the runtime creates the container's user namespace first, then,
 * in a private mount namespace of its own (owned by the host), attaches the
 * prepared bind mounts under a staging tmpfs; the container's mount
 * namespace is copied from there after joining the user namespace, and its
 * binds are clones of the staged, now locked, ones: a read-only volume stays
 * read-only even for a container root with CAP_SYS_ADMIN. */
#ifndef IRONBOX_STAGE_H
#define IRONBOX_STAGE_H

#include "common/err.h"
#include "linux/mountfd.h"
#include "spec/spec.h"

/* A new user namespace with these mappings, as an fd. Its placeholder
 * process exits on its own: *placeholder is the child to reap later (-1 if
 * already reaped), so that nobody waits for it on the way. */
int ib_userns_create(const struct ib_spec *s, pid_t *placeholder, ib_err *err);

/* Move the runtime into a private mount namespace (nothing propagates back
 * to the host). Returns an fd of the host's mount namespace to come back to. */
int ib_stage_enter(ib_err *err);
/* Attach every prepared bind (and overlay) mount of pm under a tmpfs mounted on stage_dir
 * (as m<index>); their fds in pm are consumed. A rootfs with mounts below it
 * (spec root_below) is attached there too (as root) and pm's rootfs fd
 * replaced by a clone of it. Each recursive clone must hold only the mounts
 * the policy decided on (source_below, root_below): else EPERM. stage_dir is made if missing
 * and never removed: on the host it is an empty directory, a mount point
 * only in private namespaces (one per create, each with its own tmpfs). A
 * name no container id can have (ids have no '@'). */
#define IB_STAGE_DIR_NAME "stage@"
int ib_stage_binds(const char *stage_dir, const struct ib_spec *s, struct ib_prepared_mounts *pm,
		   ib_err *err);
/* Back to the host's mount namespace. */
void ib_stage_leave(int host_mntns);

/* Container side: root_path in our mount namespace (where the prepared
 * rootfs is attached, so that createContainer hooks find it there), checked
 * to be the directory the policy decided on (s->root_dev, s->root_ino). */
int ib_stage_open_root(const struct ib_spec *s, ib_err *err);

/* Container side: clone of staged bind i (O_PATH-like mount fd). */
int ib_stage_open_bind(const char *stage_dir, const struct ib_mount *m, size_t i, ib_err *err);

#endif
