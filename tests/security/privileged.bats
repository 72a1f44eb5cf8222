#!/usr/bin/env bats
# Security tier: a `docker run --runtime=ironbox --privileged` container (all
# capabilities, no seccomp, host devices in /dev, writable /proc/sys) tries to
# break out. Every probe runs next to a control -- the same probe as host root,
# or under runc where that is harmless -- so that a pass proves ironbox's rule
# and not a broken probe. After every test, sec_teardown removes the test's
# containers and leak_check fails the test if anything of them is left.
# What each test proves: tests/security/README.md.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/security

setup_file() { sec_setup_file; }
teardown_file() { sec_teardown_file; }
setup() { sec_setup; }
teardown() { sec_teardown; }

# The host's first real disk (/dev/vda, /dev/sda, /dev/nvme0n1...).
host_disk() {
	lsblk -dnpo NAME,TYPE 2>/dev/null | awk '$2 == "disk" && $1 !~ /zram|loop|ram/ {print $1; exit}'
}

# "MAJ MIN" of a device node.
dev_numbers() { echo "$((16#$(stat -c %t "$1"))) $((16#$(stat -c %T "$1")))"; }

@test "leak check: sees every part of a running privileged container, nothing once it is removed" {
	local n id pid tok
	n=$(sec_name)
	D run -d --name "$n" --runtime=ironbox --privileged ib-tools sleep 1000 </dev/null >/dev/null 2>&1 3>&-
	id=$(D inspect -f '{{.Id}}' "$n")
	pid=$(D inspect -f '{{.State.Pid}}' "$n")
	tok=$(leak_pid_token "$pid")
	[[ -n "$tok" ]]
	LEAK_WAIT=0 run leak_check --root "$SEC_ROOT" --pid "$tok" "$id"
	echo "$output"
	[[ $status -eq 1 ]]
	assert_output_contains "leak: state dir $SEC_ROOT/$id"
	assert_output_contains "leak: ID range"
	assert_output_contains "leak: cgroup "
	assert_output_contains "leak: process $pid"
	# the supervisor: a fork of `ironbox --root ROOT create ... ID`
	[[ "$(grep -c "^leak: process .*--root $SEC_ROOT.* $id" <<<"$output")" -ge 1 ]]
	D rm -f "$n" >/dev/null
	leak_check --root "$SEC_ROOT" --pid "$tok" "$id"
}

@test "privileged: loading a kernel module is refused" {
	local host
	host=$(on_host finit-module /bin/busybox)
	[[ "$host" != "ERR ENOSYS" ]] || skip "kernel without module support (host root gets ENOSYS too): nothing to prove"
	# control: host root passes the permission check (the file is no module)
	[[ "$host" != "ERR EPERM" ]]
	in_priv ibprobe finit-module /bin/busybox
	assert_refused EPERM
	in_priv ibprobe init-module
	assert_refused EPERM
	in_priv ibprobe delete-module dummy
	assert_refused EPERM
}

@test "privileged: bpf is refused (bpftool map show: Operation not permitted)" {
	assert_host_ok "$(on_host bpf-map-create)"
	assert_host_ok "$(on_host bpf-map-next-id)"
	in_priv ibprobe bpf-map-create
	assert_refused EPERM
	in_priv ibprobe bpf-map-next-id
	assert_refused EPERM
	in_priv ibprobe bpf-prog-next-id
	assert_refused EPERM
	if [[ -x /usr/sbin/bpftool ]]; then
		in_priv bpftool map show
		assert_failure
		assert_output_contains "Operation not permitted"
	fi
}

@test "privileged: the host clock cannot be set" {
	# control: host root sets the clock (to the time it reads)
	assert_host_ok "$(on_host clock-settime)"
	in_priv ibprobe clock-settime
	assert_refused EPERM
	in_priv ibprobe settimeofday
	assert_refused EPERM
}

@test "privileged: a non-namespaced sysctl keeps its host value" {
	local f=/proc/sys/kernel/printk_ratelimit_burst before after
	before=$(cat "$f")
	# control: host root can write it (the same value)
	assert_host_ok "$(on_host write "$f" "$before")"
	in_priv sh -c "ibprobe write $f $((before + 7)); cat $f"
	after=$(cat "$f")
	if [[ "$after" != "$before" ]]; then
		echo "$before" >"$f"
		fail "host $f changed from $before to $after"
	fi
	# and the container's own (namespaced) knobs stay writable
	in_priv ibprobe write /proc/sys/net/ipv4/ip_forward 1
	assert_success
}

# A max-reconciled knob (README "Admin ceilings"): the container's value
# reaches the host up to the admin's ceiling (the built-in 1048576 here:
# dockerd's ironbox runs with the default policy), never above it.
@test "privileged: a host-wide limit cannot be raised past the admin's ceiling (vm.max_map_count)" {
	local f=/proc/sys/vm/max_map_count before n ok=1
	before=$(cat "$f")
	((before + 1000 <= 1048576)) || skip "host $f is $before, above the default ceiling"
	n=$(sec_name c)
	D run -d --name "$n" --runtime=ironbox --privileged ib-tools sleep 1000 </dev/null >/dev/null 2>&1 3>&-
	# control: a value under the ceiling is the container's and reaches the host
	run D exec "$n" ibprobe write "$f" "$((before + 1000))"
	echo "under the ceiling: status $status: $output"
	[[ "$output" == OK* && "$(cat "$f")" == "$((before + 1000))" ]] || ok=0
	# the probe: the kernel's maximum
	run D exec "$n" ibprobe write "$f" 2147483647
	echo "at the kernel's maximum: status $status: $output"
	assert_refused EPERM || ok=0
	[[ "$(cat "$f")" == "$((before + 1000))" ]] || ok=0
	D rm -f "$n" >/dev/null 2>&1
	retry 20 0.2 test "$(cat "$f")" = "$before" || ok=0
	if [[ "$(cat "$f")" != "$before" ]]; then
		echo "$before" >"$f"
		fail "host $f left at $(cat "$f"), was $before"
	fi
	((ok))
}

@test "privileged: the host kernel log /dev/kmsg cannot be read (the container's /dev/kmsg is its own, empty)" {
	[[ -c /dev/kmsg ]] || skip "no /dev/kmsg on this host"
	# control: host root reads the kernel's records
	[[ "$(timeout 5 dd if=/dev/kmsg bs=8192 count=1 2>/dev/null | wc -c)" -gt 0 ]]
	in_priv sh -c 'ls -l /dev/kmsg; echo "bytes=$(timeout 5 dd if=/dev/kmsg bs=8192 count=1 2>/dev/null | wc -c)"'
	echo "$output"
	assert_success
	assert_output_contains "bytes=0"
}

@test "privileged: a host block device cannot be opened, not even through mknod" {
	local dev maj min node="$BATS_TEST_TMPDIR/blk" ctl=""
	# control: a block device host root can make a node for and read (some
	# sandboxes refuse even host root on the root disk: take the next one)
	for dev in $(host_disk) /dev/zram0 /dev/loop0 /dev/sda /dev/nvme0n1; do
		[[ -b "$dev" ]] || continue
		read -r maj min <<<"$(dev_numbers "$dev")"
		ctl=$(on_host mknod-block "$maj" "$min" "$node")
		rm -f "$node"
		[[ "$ctl" == OK ]] && break
	done
	[[ "$ctl" == OK ]] || skip "host root cannot open any block device here: nothing to prove"
	in_priv sh -c "ls -l $dev; ibprobe open-read $dev"
	assert_refused "EPERM|EACCES|ENOENT|ENXIO"
	in_priv ibprobe mknod-block "$maj" "$min" /tmp/blk
	assert_refused "EPERM|EACCES"
}

@test "privileged: the host's root filesystem device cannot be mounted" {
	local dev fstype maj min
	read -r dev fstype <<<"$(findmnt -no SOURCE,FSTYPE /)"
	[[ -b "$dev" ]] || skip "root filesystem is not on a block device ($dev)"
	read -r maj min <<<"$(dev_numbers "$dev")"
	# control: host root mounts it (in a private mount namespace, shared
	# superblock, detached again at once)
	mkdir -p "$BATS_TEST_TMPDIR/mnt"
	run unshare -m --propagation private "$(build_helper ibprobe)" mount-dev "$dev" "$BATS_TEST_TMPDIR/mnt" "$fstype"
	echo "host control: $output"
	[[ "$output" == OK ]]
	in_priv sh -c "ibprobe mount-dev $dev /mnt $fstype; mknod /tmp/root b $maj $min; ibprobe mount-dev /tmp/root /mnt $fstype; mount -t $fstype $dev /mnt && echo MOUNTED"
	assert_output_not_contains MOUNTED
	assert_output_not_contains OK
	[[ "$(grep -cE '^ERR (EPERM|EACCES|ENOENT|ENXIO)' <<<"$output")" -eq 2 ]]
}

@test "privileged: the engine's sockets cannot be reached" {
	# control: host root connects to dockerd's and containerd's sockets
	assert_host_ok "$(on_host connect-unix "$IB_DOCKER_SOCK")"
	assert_host_ok "$(on_host connect-unix "$IB_CTR_SOCK")"
	in_priv sh -c "ibprobe connect-unix $IB_DOCKER_SOCK; ibprobe connect-unix $IB_CTR_SOCK; ibprobe connect-unix /var/run/docker.sock; ibprobe connect-unix /run/containerd/containerd.sock; echo sockets: \$(find / -xdev -type s 2>/dev/null | wc -l)"
	assert_output_not_contains OK
	[[ "$(grep -c '^ERR ' <<<"$output")" -eq 4 ]]
	assert_output_contains "sockets: 0"
}

@test "privileged: host processes are invisible" {
	local pid dpid
	sec_sleeper
	pid=${SEC_PIDS[-1]}
	dpid=$(cat "$IB_DOCKER_DIR/docker.pid")
	# control: host root sees them
	assert_host_ok "$(on_host kill0 "$pid")"
	assert_host_ok "$(on_host kill0 "$dpid")"
	in_priv sh -c "ibprobe kill0 $pid; ibprobe kill0 $dpid; cat /proc/[0-9]*/comm | sort -u | tr '\n' ' '; echo; echo procs: \$(ls -d /proc/[0-9]* | wc -l)"
	assert_output_not_contains OK
	[[ "$(grep -c '^ERR ESRCH' <<<"$output")" -eq 2 ]]
	assert_output_not_contains dockerd
	assert_output_not_contains containerd
	assert_output_not_contains ironbox
	# its own init is pid 1, and it sees only its own few processes
	[[ "$(awk '/^procs:/ {print $2}' <<<"$output")" -le 6 ]]
}

@test "privileged: no process outside the container can be ptraced" {
	local pid
	sec_sleeper
	pid=${SEC_PIDS[-1]}
	# control: host root attaches to it
	assert_host_ok "$(on_host ptrace-attach "$pid")"
	in_priv ibprobe ptrace-attach "$pid"
	assert_refused "ESRCH|EPERM"
	# what would make it visible (the host's pid namespace) is refused
	run D run --name "$(sec_name h)" --runtime=ironbox --privileged --pid=host ib-tools ibprobe ptrace-attach "$pid" </dev/null 3>&-
	assert_failure
	assert_output_contains "can't share namespaces [pid] with the host"
}

@test "privileged: a read-only volume cannot be written, remounted, or unmounted to reach the host" {
	local v="$BATS_TEST_TMPDIR/rovol"
	mkdir -p "$v"
	echo keep >"$v/file"
	SEC_DOCKER_ARGS=(-v "$v:/mnt/ro:ro")
	# control: under runc, container root with CAP_SYS_ADMIN (and no seccomp
	# filter) turns the :ro volume read-write and writes the host directory
	SEC_RUNC_ARGS=(--cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined)
	in_runc sh -c 'mount -o remount,rw,bind /mnt/ro && touch /mnt/ro/by-runc && echo WROTE'
	assert_output_contains WROTE
	[[ -e "$v/by-runc" ]]
	rm -f "$v/by-runc"
	in_priv sh -c '
		touch /mnt/ro/a; echo "touch=$?"
		mount -o remount,rw,bind /mnt/ro; echo "remount=$?"
		ibprobe mount-remount-rw /mnt/ro
		mkdir -p /mnt/b && mount --bind /mnt/ro /mnt/b && mount -o remount,rw,bind /mnt/b; echo "rebind=$?"
		touch /mnt/b/b; echo "touch-b=$?"
		echo x > /mnt/ro/file; echo "write=$?"
		umount /mnt/ro 2>/dev/null; touch /mnt/ro/c 2>/dev/null; echo done'
	assert_output_contains "touch=1"
	assert_output_contains "remount=1"
	assert_output_contains "ERR EPERM"
	assert_output_contains "rebind=1"
	assert_output_contains "touch-b=1"
	assert_output_contains "write=1"
	# nothing reached the host directory
	[[ "$(ls -A "$v")" == file && "$(cat "$v/file")" == keep ]]
}
