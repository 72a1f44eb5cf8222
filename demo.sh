#!/bin/bash
# ironbox demo: real containers under full isolation, side by side with what
# the host's root can do. Run as root (`make demo` builds and installs what
# it needs first). Leaves nothing behind.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
IRONBOX=${IRONBOX:-$here/build/ironbox}
root=$(mktemp -d /tmp/ironbox-demo.XXXXXX)
chmod 0755 "$root"
state="$root/state"
ids=()

cleanup() {
	for id in "${ids[@]}"; do "$IRONBOX" --root "$state" delete --force "$id" >/dev/null 2>&1 || true; done
	rm -rf "$root"
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run_in() { # run_in ID CONFIG-JQ-FILTER ARGS... : run a container, print its output
	local id=$1 filter=$2 b="$root/$1"
	shift 2
	mkdir -p "$b"
	ln -s "$root/rootfs" "$b/rootfs"
	local args
	args=$(printf '%s\0' "$@" | jq -Rs 'split("\u0000") | if length > 0 and .[-1] == "" then .[:-1] else . end')
	jq --argjson a "$args" "$filter | .process.args = \$a" "$root/config.json" >"$b/config.json"
	ids+=("$id")
	"$IRONBOX" --root "$state" run --bundle "$b" "$id" 2>&1 || true
}

# A busybox rootfs with a probe (tries one privileged syscall) and bpftool.
mkdir -p "$root/rootfs"/{bin,proc,sys,dev,etc,tmp,data,usr/sbin}
cp /bin/busybox "$root/rootfs/bin/"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -sf busybox "$root/rootfs/bin/$a"; done
gcc -O2 -static -o "$root/rootfs/bin/ibprobe" "$here/tests/lib/ibprobe.c"
if [[ -x /usr/sbin/bpftool ]]; then
	cp /usr/sbin/bpftool "$root/rootfs/usr/sbin/"
	for lib in $(ldd /usr/sbin/bpftool | grep -oE '/[^ ]+'); do
		mkdir -p "$root/rootfs$(dirname "$lib")"
		cp -L "$lib" "$root/rootfs$lib"
	done
fi
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/rootfs/etc/passwd"
"$IRONBOX" spec --bundle "$root"
jq '.process.terminal = false | .root.readonly = false' "$root/config.json" >"$root/c.json"
mv "$root/c.json" "$root/config.json"

say "1. Every container gets its own user namespace and an exclusive 64K ID range"
echo "   (two containers running at the same time; /proc/self/uid_map inside each):"
mkdir -p "$root/sync"
run_in first '.mounts += [{"destination":"/sync","type":"bind","source":"'"$root/sync"'","options":["rbind"]}]' \
	sh -c 'touch /sync/first-up; while [ ! -e /sync/second-done ]; do sleep 0.05; done; printf "   first : "; cat /proc/self/uid_map' &
first=$!
for _ in $(seq 200); do [[ -e "$root/sync/first-up" ]] && break; sleep 0.05; done
run_in second '.mounts += [{"destination":"/sync","type":"bind","source":"'"$root/sync"'","options":["rbind"]}]' \
	sh -c 'printf "   second: "; cat /proc/self/uid_map; touch /sync/second-done'
wait "$first"

say "2. --privileged is root only over itself (all capabilities, no seccomp, host devices)"
caps=$(jq -n '[range(0; '"$(cat /proc/sys/kernel/cap_last_cap)"' + 1)] | length')
priv_filter='.process.capabilities = (["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"][:'"$caps"'] | {bounding: ., effective: ., permitted: .})
  | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []
  | .mounts |= map(if .type == "sysfs" then .options = ["nosuid","noexec","nodev","rw"] else . end)'
devs='[]'
for d in /dev/kmsg /dev/mem /dev/vda /dev/sda /dev/nvme0n1; do
	[[ -e "$d" ]] || continue
	t=c; [[ -b "$d" ]] && t=b
	devs=$(jq -c --arg p "$d" --arg t "$t" --argjson ma "$((16#$(stat -c %t "$d")))" --argjson mi "$((16#$(stat -c %T "$d")))" \
		'. + [{path: $p, type: $t, major: $ma, minor: $mi, fileMode: 432, uid: 0, gid: 0}]' <<<"$devs")
done
priv_filter="$priv_filter | .linux.devices = $devs | .linux.resources.devices = [{\"allow\": true, \"access\": \"rwm\"}]"
probe="$root/rootfs/bin/ibprobe"
row() { printf '   %-34s host root: %-28s container root: %s\n' "$1" "$2" "$3"; }
checks=(
	"bpf (what bpftool map show does)|bpf-map-next-id"
	"load a kernel module|init-module"
	"set the host's clock|clock-settime"
	"reboot switch (CAD off)|reboot-cad-off"
	"write a non-namespaced sysctl|write /proc/sys/kernel/printk_ratelimit 5"
	"read the kernel log /dev/kmsg|read-size /dev/kmsg"
)
script=""
for c in "${checks[@]}"; do script+="ibprobe ${c#*|} 2>&1 | head -1; "; done
mapfile -t inside < <(run_in privileged "$priv_filter" sh -c "$script" | grep -v "^time=")
for i in "${!checks[@]}"; do
	c=${checks[$i]}
	# shellcheck disable=SC2086
	host=$("$probe" ${c#*|} 2>&1 | head -1 || true)
	row "${c%%|*}" "$host" "${inside[$i]:-?}"
done
echo "   (the container's /dev/kmsg is an empty log of its own, served by its supervisor)"
if [[ -x /usr/sbin/bpftool ]]; then
	echo "   bpftool map show inside the privileged container:"
	run_in bpftool "$priv_filter" sh -c 'bpftool map show 2>&1 | sed "s/^/     /"' | grep -v "^time="
fi

say "3. Restricted host mounts are refused (admin policy, /etc/ironbox/policy.json)"
mkdir -p "$root/etc-docker-demo"
run_in restricted '.mounts += [{"destination":"/mnt/daemon.json","type":"bind","source":"/etc/docker/daemon.json","options":["rbind"]}]' true | sed 's/^/   /'
run_in parent '.mounts += [{"destination":"/mnt","type":"bind","source":"/etc","options":["rbind"]}]' true | sed 's/^/   /'
echo "   and only shared host directories (allowedMounts: /home, /tmp, ...) may be bound at all:"
run_in system '.mounts += [{"destination":"/h","type":"bind","source":"/usr/local/sbin","options":["rbind"]}]' true | sed 's/^/   /'

say "4. ID-mapped volume: one host directory shared by two containers with different ranges"
vol="$root/volume"
mkdir -p "$vol"
vol_filter='.mounts += [{"destination":"/data","type":"bind","source":"'"$vol"'","options":["rbind"]}]'
run_in writer-a "$vol_filter" sh -c 'echo from-a > /data/a.txt; while [ ! -e /data/b.txt ]; do sleep 0.05; done; printf "   in A: "; cat /proc/self/uid_map' &
writer_a=$!
for _ in $(seq 200); do [[ -e "$vol/a.txt" ]] && break; sleep 0.05; done
run_in writer-b "$vol_filter" sh -c 'echo from-b > /data/b.txt; printf "   in B: "; cat /proc/self/uid_map; printf "   B sees: "; ls -ln /data | tail -n +2 | awk "{printf \"%s(uid %s) \", \$9, \$3}"; echo'
wait "$writer_a"
printf '   on the host: '
ls -ln "$vol" | tail -n +2 | awk '{printf "%s(uid %s) ", $9, $3}'
echo
say "5. Emulated /proc: the container's own uptime and memory limit (256 MiB), not the host's"
printf '   host      : uptime %s   %s\n' "$(cut -d" " -f1 /proc/uptime)" "$(head -1 /proc/meminfo | tr -s " ")"
run_in procview '.linux.resources.memory = {"limit": 268435456}' \
	sh -c 'printf "   container : uptime %s   %s\n" "$(cut -d" " -f1 /proc/uptime)" "$(head -1 /proc/meminfo | tr -s " ")"'

say "Done: every container above ran under ironbox with a fresh user namespace, ID-mapped mounts and no host namespaces."
