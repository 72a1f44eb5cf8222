/* User/group IDs inside filesystem option strings, translated between the
 * container's user namespace and the host's.
 *
 * Why: several filesystems print their uid=/gid= options in the *initial*
 * user namespace whoever reads /proc/mounts (checked on 6.18: a tmpfs that
 * container root mounts shows `uid=100000,gid=100000`, devpts `gid=100005`,
 * proc `gid=100010` for hidepid's gid=10), but parse them in the *caller's*
 * user namespace. mount(8) (busybox with one argument, util-linux with the
 * classic API) copies the options it finds in /proc/mounts into the remount
 * call, and util-linux >= 2.39 passes each of them to fsconfig(); inside the
 * container 100000 is no ID at all and the kernel answers EINVAL. The
 * supervisor rewrites such values before it performs the call:
 *   - IB_IDOPTS_TO_CONTAINER when the call is performed in the caller's user
 *     namespace (the kernel parses container IDs);
 *   - IB_IDOPTS_TO_HOST when it is performed from the host's (e.g. fsconfig
 *     on the caller's context fd obtained with pidfd_getfd()).
 * A value that is already valid on the destination side is kept (uid=1000
 * typed by the user means container uid 1000), one that belongs to the other
 * side is mapped, anything else is left for the kernel to refuse.
 *
 * Filesystems with ID options and how the kernel parses them (6.18):
 *   tmpfs, devpts, hugetlbfs, bpf: uid=, gid= in current_user_ns()   -> translate
 *   proc: gid= (hidepid group) in current_user_ns()                  -> translate
 *   vfat/msdos/exfat/ntfs3/iso9660/udf/hfs/hfsplus/befs/affs/omfs:
 *     uid=, gid= (not mountable in a user namespace; translated anyway
 *     so that a remount with /proc/mounts' text behaves the same)
 *   cifs/smb3: uid, gid, cruid, backupuid, backupgid; 9p: dfltuid,
 *     dfltgid (not mountable in a user namespace either)             -> translate
 *   ext2/3/4: resuid=, resgid= (same)                                -> translate
 *   fuse, fuseblk, fuse.*: user_id=, group_id= are parsed AND printed in
 *     the fs context's own user namespace                           -> never
 *   mqueue, sysfs, cgroup, cgroup2, overlay, ramfs, binfmt_misc: none.
 */
#ifndef IRONBOX_IDOPTS_H
#define IRONBOX_IDOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "spec/spec.h"

enum ib_idopts_dir { IB_IDOPTS_TO_CONTAINER, IB_IDOPTS_TO_HOST };

struct ib_idopts_maps {
	const struct ib_idmap *uid, *gid;
	size_t n_uid, n_gid;
};

enum ib_idopts_kind { IB_IDOPT_NONE = 0, IB_IDOPT_UID, IB_IDOPT_GID };

/* Does option `key` of filesystem fstype carry a user or group ID?
 * fstype NULL (unknown, e.g. an fsconfig() on a context the supervisor
 * did not create): uid/gid and the other keys above count as IDs. */
enum ib_idopts_kind ib_idopts_key_kind(const char *fstype, const char *key);

/* Map one ID; false (and *out = in) when it is valid on neither side. */
bool ib_idopts_map_id(const struct ib_idopts_maps *m, enum ib_idopts_kind kind,
		      enum ib_idopts_dir dir, uint32_t in, uint32_t *out);

/* One option value (fsconfig's FSCONFIG_SET_STRING): a malloc'd translated
 * value, or NULL when key is no ID option or nothing changes. */
char *ib_idopts_translate_value(const char *fstype, const char *key, const char *value,
				const struct ib_idopts_maps *m, enum ib_idopts_dir dir);

/* A comma-separated option string (mount(2)'s data): a malloc'd copy with
 * every ID option translated (the rest byte for byte), or NULL when nothing
 * changes. */
char *ib_idopts_translate(const char *fstype, const char *data, const struct ib_idopts_maps *m,
			  enum ib_idopts_dir dir);

/* Parse /proc/<pid>/uid_map or gid_map text ("0 100000 65536\n"). */
int ib_idopts_parse_map(const char *text, struct ib_idmap **out, size_t *n, ib_err *err);

#endif
