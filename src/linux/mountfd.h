/* Runtime-side (host-privileged) mount preparation. Everything the container
 * process cannot do from inside its user namespace is prepared here as
 * detached mounts (open_tree/fsmount fds): the ID-mapped rootfs (a fresh
 * overlay built from ID-mapped layers when the bundle rootfs is an overlay),
 * ID-mapped bind mounts, and device nodes. The child attaches them with
 * move_mount in spec order. */
#ifndef IRONBOX_MOUNTFD_H
#define IRONBOX_MOUNTFD_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/spec.h"

struct ib_prepared_mounts {
	int rootfs_fd;	/* detached mount to become the container's root */
	int *mount_fds; /* per spec mount: detached mount or -1 (child mounts it) */
	size_t n_mount_fds;
	int *device_fds;	   /* per entry of devices below */
	struct ib_device *devices; /* spec devices plus the OCI default ones (borrowed paths) */
	size_t n_devices;
	/* The detached tmpfs the device nodes were made on: attached in the
	 * staging namespace (ib_stage_binds), never closed detached, which
	 * would cost an RCU grace period on the way. */
	int devices_fs_fd;
};

/* Everything comes from the fds the policy opened and decided on
 * (s->root_fd, root_overlay, mounts[i].source_fd and overlay): no host path
 * is resolved again here. Run in the host's mount namespace (clones of its
 * mounts), before ib_stage_enter.
 * userns_fd: the container's user namespace (ID map source).
 * host_base: the host ID that container root maps to (device ownership).
 * prepare_sysfs: create sysfs mounts here (the net namespace was joined by
 * the runtime and is not owned by the container's user namespace). */
int ib_mounts_prepare(const struct ib_spec *s, int userns_fd, uid_t host_base, bool prepare_sysfs,
		      struct ib_prepared_mounts *out, ib_err *err);
void ib_mounts_release(struct ib_prepared_mounts *pm);
/* Spec devices plus the OCI default ones not already listed (malloc'd array,
 * paths borrowed from s). */
size_t ib_mounts_device_list(const struct ib_spec *s, struct ib_device **out);

/* Is this spec mount a bind mount of a host path? */
bool ib_mount_is_bind(const struct ib_mount *m);
/* An "overlay" mount (not a bind): its layers are host paths. */
bool ib_mount_is_overlay(const struct ib_mount *m);
/* Prepared host-side from what the policy decided on and staged (binds and
 * overlays): the container never mounts these itself. */
bool ib_mount_is_staged(const struct ib_mount *m);
/* MOUNT_ATTR_* for the MS_* flags of a spec mount. */
unsigned ib_mount_attrs_from_flags(unsigned long flags);

#endif
