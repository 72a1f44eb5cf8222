/* A container's mount table at CREATED, as /proc/<init>/mountinfo showed it
 * in an ironbox container on 6.18 (busybox rootfs, runc's default spec, a
 * read-only volume on /mnt/ro; some cgroup lines left out; paths
 * shortened). Shared by test_mounttable.c and test_vet_mount.c. */
#ifndef IB_TEST_VET_FIXTURE_H
#define IB_TEST_VET_FIXTURE_H

#define FX_ROOTFS_RW "65 75 254:0 /b/rootfs / rw,relatime,idmapped - ext4 /dev/vda rw,discard\n"
#define FX_ROOTFS_RO "65 75 254:0 /b/rootfs / ro,relatime,idmapped - ext4 /dev/vda rw,discard\n"

#define FX_REST                                                                                    \
	"68 110 0:39 /d0 /dev/null rw,nosuid,noexec,relatime - tmpfs none rw,mode=755\n"           \
	"69 110 0:39 /d1 /dev/zero rw,nosuid,noexec,relatime - tmpfs none rw,mode=755\n"           \
	"101 65 254:0 /vol /mnt/ro ro,relatime,idmapped - ext4 /dev/vda rw,discard\n"              \
	"102 109 0:41 /uptime /proc/uptime rw,nosuid,nodev,relatime - fuse.ironbox ironbox-proc "  \
	"rw,user_id=0,group_id=0,allow_other\n"                                                    \
	"103 109 0:41 /meminfo /proc/meminfo rw,nosuid,nodev,relatime - fuse.ironbox "             \
	"ironbox-proc rw,user_id=0,group_id=0,allow_other\n"                                       \
	"109 65 0:43 / /proc rw,relatime - proc proc rw\n"                                         \
	"110 65 0:44 / /dev rw,nosuid - tmpfs tmpfs "                                              \
	"rw,size=65536k,mode=755,uid=100000,gid=100000\n"                                          \
	"111 110 0:45 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts "                       \
	"rw,gid=100005,mode=620,ptmxmode=666\n"                                                    \
	"112 110 0:46 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm "                     \
	"rw,size=65536k,uid=100000,gid=100000\n"                                                   \
	"114 65 0:47 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"                    \
	"115 114 0:48 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - tmpfs cgroup "            \
	"rw,mode=755,uid=100000,gid=100000\n"                                                      \
	"116 115 0:29 / /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup "       \
	"rw,cpu\n"                                                                                 \
	"129 109 0:43 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw\n"             \
	"130 109 0:49 / /proc/acpi ro,relatime - tmpfs tmpfs rw,size=0k,mode=755,uid=100000\n"     \
	"131 109 0:39 /d0 /proc/keys rw,nosuid,noexec,relatime - tmpfs none rw,mode=755\n"         \
	"133 114 0:50 / /sys/firmware ro,relatime - tmpfs tmpfs rw,size=0k,mode=755,uid=100000\n"

#define FX_CREATED FX_ROOTFS_RW FX_REST
#define FX_CREATED_RO FX_ROOTFS_RO FX_REST

static __attribute__((unused)) char *fx_masked[] = {"/proc/acpi", "/proc/kcore", "/proc/keys",
						    "/sys/firmware", NULL};
static __attribute__((unused)) char *fx_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
static __attribute__((unused)) char *fx_emulated[] = {"/proc/uptime", "/proc/meminfo", NULL};

#endif
