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
};

/* userns_fd: the container's user namespace (ID map source).
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
/* MOUNT_ATTR_* for the MS_* flags of a spec mount. */
unsigned ib_mount_attrs_from_flags(unsigned long flags);

/* Parse the overlay options of the mount at `path` (pure helper over a
 * mountinfo text, exported for tests). Returns 1 if path is an overlay mount
 * point and fills *super_opts (malloc'd, unescaped), 0 if not an overlay. */
int ib_mountinfo_find_overlay(const char *mountinfo, const char *path, char **super_opts);

#endif
