#!/usr/bin/env bats
# Vetted mount-family system calls (DESIGN.md behaviour 6, rule "mount":
# src/supervisor/rule_mount.c on the engine of vet_mount.h), through the CLI
# with a privileged bundle (all capabilities, no seccomp profile of the
# spec's: only ironbox's own filter). Escapes are refused and audited, the
# container's own mounts work; the runc negative controls run
# /usr/sbin/runc explicitly on the same bundle.

load ../lib/common

setup_file() {
	mkdir -p "$TEST_ROOT"
}

teardown_file() {
	common_teardown_file
}

setup() {
	skip_unless_ironbox
	require_runtime
	common_setup
}

teardown() {
	common_teardown
}

# Like docker --privileged: all capabilities, no seccomp profile.
make_privileged() {
	local caps
	caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"] | unique' "$BUNDLE/config.json")
	bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' --argjson c "$caps"
}

# A privileged bundle running sh -c SCRIPT, the host directory $VOL
# bind-mounted read-only at /mnt (docker run -v $VOL:/mnt:ro).
vet_bundle() {
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	echo host >"$VOL/file"
	setup_bundle b sh -c "$1"
	make_privileged
	install_helper "$BUNDLE" ibmount
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$VOL"
}

audit_of() { IB audit "$1"; }

# ---------------------------------------------------------------------------
# The seed's session (Docker's "Vetting Sensitive System Calls")

@test "vetting: remount,rw of a read-only volume is 'permission denied'; the container's own tmpfs mounts and remounts ro/rw" {
	vet_bundle '
		mount -o remount,rw /mnt /mnt; echo "remount-rw=$?"
		touch /mnt/x 2>/dev/null; echo "write=$?"
		mkdir /root/tmpfs
		mount -t tmpfs tmpfs /root/tmpfs; echo "mount=$?"
		mount -o remount,ro /root/tmpfs /root/tmpfs; echo "remount-ro=$?"
		grep " /root/tmpfs " /proc/self/mountinfo
		touch /root/tmpfs/a 2>/dev/null; echo "write-ro=$?"
		mount -o remount,rw /root/tmpfs /root/tmpfs; echo "remount-rw2=$?"
		grep " /root/tmpfs " /proc/self/mountinfo
		touch /root/tmpfs/a; echo "write-rw=$?"
		umount /root/tmpfs; echo "umount=$?"'
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "mount: permission denied (are you root?)"
	grep -E "^remount-rw=[1-9]" <<<"$output"
	assert_output_contains "write=1"
	assert_output_contains "mount=0"
	assert_output_contains "remount-ro=0"
	assert_output_contains "write-ro=1"
	assert_output_contains "remount-rw2=0"
	assert_output_contains "write-rw=0"
	assert_output_contains "umount=0"
	# the kernel shows host IDs (the container's root): what mount(8) feeds back
	grep -E ' /root/tmpfs ro,.* - tmpfs tmpfs ro,uid=[1-9][0-9]*,gid=[1-9][0-9]*' <<<"$output"
	grep -E ' /root/tmpfs rw,.* - tmpfs tmpfs rw,uid=[1-9][0-9]*,gid=[1-9][0-9]*' <<<"$output"
	[[ ! -e "$VOL/x" ]]
	run audit_of "$id"
	echo "$output"
	assert_success
	jq -se 'any(.rule == "mount" and .syscall == "mount" and .errno == "EPERM" and .target == "/mnt")' <<<"$output"
	IB delete "$id"
}

# ---------------------------------------------------------------------------
# Escapes: each refused (EPERM), audited, the jail and the host unchanged

ESCAPES='
	mkdir -p /tmp/c /tmp/b /tmp/m /tmp/u
	before=$(wc -l </proc/self/mountinfo)
	echo "umount-proc: $(ibmount umount /proc 0)"
	echo "umount-l-proc: $(ibmount umount /proc 2)"
	echo "umount-meminfo: $(ibmount umount /proc/meminfo 0)"
	echo "umount-l-meminfo: $(ibmount umount /proc/meminfo 2)"
	echo "umount-keys: $(ibmount umount /proc/keys 0)"
	echo "umount-firmware: $(ibmount umount /sys/firmware 2)"
	echo "umount-vol: $(ibmount umount /mnt 0)"
	echo "umount-l-vol: $(ibmount umount /mnt 2)"
	echo "move-rootfs: $(ibmount move / /tmp/m)"
	echo "move-vol: $(ibmount move /mnt /tmp/m)"
	echo "clone-rw: $(ibmount clone-rw /mnt /tmp/c)"
	mount --bind /mnt /tmp/b; echo "bind=$?"
	echo "rebind-rw: $(ibmount mount - /tmp/b - 0x1020 -)"
	echo "remount-rw-vol: $(ibmount mount - /mnt - 0x20 -)"
	echo "setattr-rw: $(ibmount setattr /tmp/b 0 1)"
	echo "pivot-firmware: $(ibmount chdir-pivot /sys/firmware)"
	echo "unbindable-meminfo: $(ibmount mount - /proc/meminfo - 0x20000 -)"
	echo "bind-proc-nonrec: $(ibmount mount /proc /tmp/u - 0x1000 -)"
	touch /mnt/x /tmp/b/x /tmp/c/x 2>/dev/null; echo "writes=$?"
	umount /tmp/b; echo "umount-own-bind=$?"
	after=$(wc -l </proc/self/mountinfo)
	echo "mounts: $before $after"
	head -c 16 /sys/firmware/x 2>/dev/null; ls /sys/firmware | wc -l | sed "s/^/firmware-entries=/"
'

@test "vetting: umount/umount -l of /proc, an emulated file, a mask, a volume; move_mount of the rootfs; open_tree clone (ENOSYS); rw through a second bind; pivot_root into a mask; MS_UNBINDABLE: all refused and audited" {
	vet_bundle "$ESCAPES"
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	for e in umount-proc umount-l-proc umount-keys umount-firmware umount-vol umount-l-vol \
		move-rootfs move-vol rebind-rw remount-rw-vol setattr-rw pivot-firmware \
		bind-proc-nonrec; do
		grep -E "^$e: ERR EPERM" <<<"$output" || fail "$e was not refused"
	done
	assert_output_contains "umount-meminfo: ERR EPERM"
	assert_output_contains "umount-l-meminfo: ERR EPERM"
	assert_output_contains "unbindable-meminfo: ERR EPERM"
	# clones are ENOSYS (their O_PATH fd cannot be handed over)
	assert_output_contains "clone-rw: ERR ENOSYS"
	assert_output_contains "bind=0"
	assert_output_contains "writes=1"
	assert_output_contains "umount-own-bind=0"
	assert_output_contains "firmware-entries=0"
	# the jail is intact: the one bind made was unmounted again
	grep -E "^mounts: ([0-9]+) \1$" <<<"$output"
	[[ ! -e "$VOL/x" ]]
	run audit_of "$id"
	echo "$output"
	assert_success
	jq -se 'all(.rule == "mount" and .errno == "EPERM")' <<<"$output"
	for sc in umount2 move_mount mount_setattr pivot_root mount; do
		jq -se --arg s "$sc" 'any(.syscall == $s)' <<<"$output" || fail "no audit line for $sc"
	done
	jq -se 'any(.syscall == "umount2" and .target == "/proc")' <<<"$output"
	jq -se 'any(.syscall == "mount" and .target == "/tmp/b")' <<<"$output"
	IB delete "$id"
}

@test "vetting: negative control: under runc the same bundle writes to the read-only volume and uncovers a mask; ironbox refuses" {
	command -v runc >/dev/null || skip "runc not installed"
	vet_bundle '
		mkdir -p /tmp/b
		mount --bind /mnt /tmp/b && ibmount mount - /tmp/b - 0x1020 - && touch /tmp/b/x && echo "rebind-write: ok"
		ibmount umount /sys/firmware 2 >/dev/null && ls /sys/firmware | wc -l | sed "s/^/firmware-entries=/"'
	local root="$BATS_TEST_TMPDIR/runc-root" id
	id=$(new_id runc)
	run runc --root "$root" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	runc --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	echo "$output"
	assert_output_contains "rebind-write: ok"
	assert_output_not_contains "firmware-entries=0"
	grep -E "^firmware-entries=[1-9]" <<<"$output"
	[[ -e "$VOL/x" ]] # the host directory was written through the "read-only" volume
	rm -f "$VOL/x"
	ib_run "$(new_id)"
	echo "$output"
	assert_output_not_contains "rebind-write: ok"
	assert_output_not_contains "firmware-entries"
	[[ ! -e "$VOL/x" ]]
}

@test "vetting: --read-only rootfs: mount -o remount,rw / is refused" {
	vet_bundle '
		mount -o remount,rw /; echo "remount-root=$?"
		echo "remount-bind-root: $(ibmount mount - / - 0x1020 -)"
		touch /f 2>/dev/null; echo "write=$?"
		mount -t tmpfs t /tmp && mkdir /tmp/t && touch /tmp/t/f; echo "tmpfs=$?"'
	bundle_jq "$BUNDLE" '.root.readonly = true'
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	grep -E "^remount-root=[1-9]" <<<"$output"
	assert_output_contains "remount-bind-root: ERR EPERM"
	assert_output_contains "write=1"
	assert_output_contains "tmpfs=0"
	run audit_of "$id"
	jq -se 'any(.syscall == "mount" and .target == "/" and .errno == "EPERM")' <<<"$output"
	IB delete "$id"
}

# ---------------------------------------------------------------------------
# The container's own filesystems

@test "vetting: proc, sysfs, mqueue mounted by the container (its namespaces, covered like the jail's); util-linux mount remounts with uid=<host id> from /proc/mounts" {
	vet_bundle '
		mkdir -p /tmp/p /tmp/s /tmp/q /tmp/g /tmp/t
		mount -t proc proc /tmp/p; echo "proc=$?"
		[ -e /tmp/p/1/status ] && echo "proc-pid1=$(sed -n "s/^Name:\t*//p" /tmp/p/1/status)"
		cat /tmp/p/keys 2>/dev/null | wc -c | sed "s/^/keys-bytes=/"
		ls /tmp/p/sys >/dev/null && touch /tmp/p/sys/kernel/hostname 2>/dev/null; echo "sys-write=$?"
		echo "umount-cover: $(ibmount umount /tmp/p/keys 0)"
		echo "umount-l-cover: $(ibmount umount /tmp/p/keys 2)"
		mount -t sysfs sysfs /tmp/s; echo "sysfs=$?"
		ls /tmp/s/firmware 2>/dev/null | wc -l | sed "s/^/firmware-entries=/"
		mount -t mqueue mqueue /tmp/q; echo "mqueue=$?"
		mount -t tmpfs tmpfs /tmp/t; echo "tmpfs=$?"
		if [ -x /usr/bin/mount ]; then
			/usr/bin/mount -o remount,ro /tmp/t; echo "ul-remount-ro=$?"
			/usr/bin/mount -o remount,rw /tmp/t; echo "ul-remount-rw=$?"
			/usr/bin/mount -o remount,rw /mnt; echo "ul-remount-vol=$?"
		fi
		# what /proc/mounts shows: the host IDs of container root
		u=$(awk "NR==1 {print \$2}" /proc/self/uid_map); g=$(awk "NR==1 {print \$2}" /proc/self/gid_map)
		echo "remount-uid-data: $(ibmount mount - /tmp/t - 0x21 uid=$u,gid=$g,mode=755)"
		echo "remount-bad-uid: $(ibmount mount - /tmp/t - 0x20 uid=4000000000)"
		grep " /tmp/t " /proc/self/mountinfo
		umount -l /tmp/p; echo "umount-own-proc=$?"
		umount -l /tmp/s; echo "umount-own-sysfs=$?"'
	copy_binary_with_libs /usr/bin/mount "$BUNDLE/rootfs" || true
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "proc=0"
	assert_output_contains "sysfs=0"
	assert_output_contains "mqueue=0"
	assert_output_contains "tmpfs=0"
	assert_output_contains "remount-uid-data: OK"
	assert_output_contains "remount-bad-uid: ERR EINVAL"
	grep -E " /tmp/t ro,.* - tmpfs tmpfs ro,.*uid=[1-9][0-9]*,gid=[1-9]" <<<"$output"
	assert_output_contains "proc-pid1=sh"
	assert_output_contains "keys-bytes=0"
	assert_output_contains "sys-write=1"
	assert_output_contains "firmware-entries=0"
	assert_output_contains "umount-cover: ERR EPERM"
	assert_output_contains "umount-l-cover: ERR EPERM"
	assert_output_contains "umount-own-proc=0"
	assert_output_contains "umount-own-sysfs=0"
	if [[ -x "$BUNDLE/rootfs/usr/bin/mount" ]]; then
		assert_output_contains "ul-remount-ro=0"
		assert_output_contains "ul-remount-rw=0"
		grep -E "^ul-remount-vol=[1-9]" <<<"$output"
	fi
	IB delete "$id"
}

# ---------------------------------------------------------------------------
# Failure

@test "vetting: with the supervisor killed, trapped mount calls fail (ENOSYS) in that container only" {
	vet_bundle 'mkdir -p /tmp/t; sleep 1000'
	local a b agent
	a=$(new_id a)
	b=$(new_id b)
	ib_run_detached "$a" "$BUNDLE"
	ib_run_detached "$b" "$BUNDLE"
	run IB exec "$a" ibmount mount tmpfs /tmp/t tmpfs 0 - </dev/null 3>&-
	assert_output_contains "OK"
	agent=$(pgrep -P "$(jq -r '.supervisor_pid' "$TEST_ROOT/$a/state.json")")
	[[ -n "$agent" && "$(cat "/proc/$agent/comm")" == ironbox-notify ]]
	kill -KILL "$agent"
	retry 100 0.05 bash -c "[[ \$($IRONBOX --root $TEST_ROOT state $a | jq -r .supervisor) == dead ]]"
	run IB exec "$a" ibmount umount /tmp/t 0 </dev/null 3>&-
	assert_output_contains "ERR ENOSYS"
	run IB exec "$a" ibmount umount /proc 2 </dev/null 3>&-
	assert_output_contains "ERR ENOSYS"
	run IB exec "$a" ibmount mount - /mnt - 0x20 - </dev/null 3>&-
	assert_output_contains "ERR ENOSYS"
	# propagation changes are decided by the BPF alone
	run IB exec "$a" ibmount mount - / - 0x40000 - </dev/null 3>&-
	assert_output_contains "OK"
	# the other container still vets
	run IB exec "$b" ibmount mount tmpfs /tmp/t tmpfs 0 - </dev/null 3>&-
	assert_output_contains "OK"
	run IB exec "$b" ibmount umount /mnt 0 </dev/null 3>&-
	assert_output_contains "ERR EPERM"
	IB delete -f "$a"
	IB delete -f "$b"
}

# ---------------------------------------------------------------------------
# Nested namespaces

@test "vetting: nested mount namespaces (unshare -m, unshare -U -r -m): own mounts work, the jail's copies stay protected" {
	vet_bundle '
		unshare -m sh -c "
			mkdir -p /tmp/t /tmp/p
			mount -t tmpfs t /tmp/t && echo nested-tmpfs=ok
			mount -t proc proc /tmp/p && cat /tmp/p/keys | wc -c | sed s/^/nested-keys-bytes=/
			echo \"nested-umount-keys: \$(ibmount umount /proc/keys 2)\"
			echo \"nested-umount-vol: \$(ibmount umount /mnt 2)\"
			echo \"nested-remount-vol: \$(ibmount mount - /mnt - 0x1020 -)\"
			umount /tmp/t && echo nested-umount-own=ok"
		unshare -U -r -m sh -c "
			echo userns-setup=ok
			mkdir -p /tmp/u
			mount -t tmpfs t /tmp/u && echo userns-tmpfs=ok
			mount -o remount,ro /tmp/u && echo userns-remount=ok
			echo \"userns-umount-keys: \$(ibmount umount /proc/keys 2)\"
			echo \"userns-remount-vol: \$(ibmount mount - /mnt - 0x1020 -)\"
			umount /tmp/u && echo userns-umount-own=ok"
		unshare -U -r -m -p -f --mount-proc sh -c "echo mount-proc-pid=\$\$" 2>&1 | sed "s/^/nested-mount-proc: /"'
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "nested-tmpfs=ok"
	assert_output_contains "nested-keys-bytes=0"
	assert_output_contains "nested-umount-keys: ERR EPERM"
	assert_output_contains "nested-umount-vol: ERR EPERM"
	assert_output_contains "nested-remount-vol: ERR EPERM"
	assert_output_contains "nested-umount-own=ok"
	# a nested user namespace (when busybox can map it here)
	if [[ "$output" == *"userns-setup=ok"* ]]; then
		assert_output_contains "userns-tmpfs=ok"
		assert_output_contains "userns-remount=ok"
		grep -E "^userns-umount-keys: ERR (EPERM|EINVAL)" <<<"$output"
		assert_output_contains "userns-remount-vol: ERR EPERM"
		assert_output_contains "userns-umount-own=ok"
	fi
	IB delete "$id"
}

# ---------------------------------------------------------------------------
# Nested procfs/sysfs and inner jails (the supervisor builds them: the kernel
# refuses a fresh proc/sysfs in a nested user namespace, whose copies of the
# jail's /proc are locked and not "fully visible")

# Like docker --privileged: every capability (those outside ironbox's own
# bounding set are dropped), no seccomp profile, no no_new_privs: unshare -r needs
# CAP_SETUID/CAP_SETGID/CAP_SETFCAP. A memory limit and one CPU, so that the
# emulated /proc/meminfo and /proc/cpuinfo differ from the host's.
nested_bundle() {
	local caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"]'
	setup_bundle b sh /nested.sh
	bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | .process.noNewPrivileges = false | del(.linux.seccomp) | .linux.resources.memory = {limit: 268435456} | .linux.resources.cpu = {cpus: "0"}' --argjson c "$caps"
	install_helper "$BUNDLE" ibmount
	cat >"$BUNDLE/rootfs/nested.sh"
}

@test "vetting: nested user+pid namespace (unshare -U -m -p -f --mount-proc): the new /proc has the jail's emulated files, masks and read-only paths" {
	nested_bundle <<'EOF_SCRIPT'
echo "ctr-meminfo=$(head -1 /proc/meminfo)"
echo "ctr-cpus=$(grep -c ^processor /proc/cpuinfo)"
unshare -U -r -m -p -f --mount-proc sh -c '
	echo "nested-pid=$$"
	echo "nested-meminfo=$(head -1 /proc/meminfo)"
	echo "nested-cpus=$(grep -c ^processor /proc/cpuinfo)"
	# the mounts on the new /proc (the copies of the jail'"'"'s lie beneath it)
	top=$(awk "\$5 == \"/proc\" { id = \$1 } END { print id }" /proc/self/mountinfo)
	on_top() { awk -v t="$top" "\$2 == t" /proc/self/mountinfo; }
	echo "nested-emulated=$(on_top | grep -cE " /proc/(uptime|meminfo|cpuinfo|stat|loadavg) .* - fuse\.ironbox ")"
	echo "nested-masks=$(on_top | grep -cE " /proc/(keys|timer_list|acpi) ")"
	echo "nested-keys-bytes=$(wc -c </proc/keys)"
	echo "nested-acpi-entries=$(ls /proc/acpi | wc -l)"
	echo "nested-sys-opts=$(on_top | grep " /proc/sys " | cut -d" " -f6)"
	sh -c "echo x >/proc/sys/kernel/hostname" 2>&1 | sed "s/^/nested-sys-write: /"
	echo "nested-umount-meminfo: $(ibmount umount /proc/meminfo 2)"
	echo "nested-umount-keys: $(ibmount umount /proc/keys 0)"
	echo "nested-remount-sys-rw: $(ibmount mount - /proc/sys - 0x1020 -)"
	echo "nested-setattr-sys-rw: $(ibmount setattr /proc/sys 0 1)"
	umount -l /proc && echo nested-umount-own-proc=ok'
unshare -U -m -p -f --mount-proc sh -c 'echo "unmapped: pid=$$ $(head -1 /proc/meminfo)"'
unshare -m -p -f --mount-proc sh -c 'echo "same-userns: pid=$$ $(head -1 /proc/meminfo)"'
EOF_SCRIPT
	local id host_mem host_cpus
	host_mem=$(head -1 /proc/meminfo | tr -s ' ')
	host_cpus=$(grep -c ^processor /proc/cpuinfo)
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	echo "host: $host_mem, $host_cpus cpus"
	assert_success
	# the container's /proc is emulated (not the host's 'MemTotal: N kB')
	[[ "$host_mem" != "MemTotal: 262144 kB" ]]
	grep -E "^ctr-meminfo=MemTotal: +262144 kB$" <<<"$output"
	assert_output_contains "ctr-cpus=1"
	# the nested /proc: its own pid 1, the same emulated values (without the
	# emulated files it would show the host's memory and CPUs)
	assert_output_contains "nested-pid=1"
	grep -E "^nested-meminfo=MemTotal: +262144 kB$" <<<"$output"
	assert_output_contains "nested-cpus=1"
	assert_output_contains "nested-emulated=5"
	# masks (a fresh proc shows /proc/keys and /proc/acpi's entries)
	assert_output_contains "nested-masks=3"
	assert_output_contains "nested-keys-bytes=0"
	assert_output_contains "nested-acpi-entries=0"
	# read-only paths stay read-only, and cannot be made writable
	grep -E "^nested-sys-opts=ro," <<<"$output"
	grep -E "^nested-sys-write: .*Read-only file system" <<<"$output"
	assert_output_contains "nested-umount-meminfo: ERR EPERM"
	assert_output_contains "nested-umount-keys: ERR EPERM"
	assert_output_contains "nested-remount-sys-rw: ERR EPERM"
	assert_output_contains "nested-setattr-sys-rw: ERR EPERM"
	assert_output_contains "nested-umount-own-proc=ok"
	# without a root mapping (a runtime before it writes the maps), and
	# without a new user namespace
	grep -E "^unmapped: pid=1 MemTotal: +262144 kB$" <<<"$output"
	grep -E "^same-userns: pid=1 MemTotal: +262144 kB$" <<<"$output"
	IB delete "$id"
}

@test "vetting: the container's init is itself 'unshare -U -m -p -f --mount-proc' (its namespace is not the jail's); an inner runtime's masks over the new /proc" {
	nested_bundle <<'EOF_SCRIPT'
exec unshare -U -r -m -p -f --mount-proc sh -c '
	echo "init-meminfo=$(head -1 /proc/meminfo)"
	# what runc does to the /proc of its containers: masks, read-only paths
	echo "mask-file: $(ibmount mount /dev/null /proc/timer_list - 0x1000 -)"
	echo "mask-dir: $(ibmount mount t /proc/acpi tmpfs 0x1 -)"
	echo "ro-bind: $(ibmount mount /proc/sys /proc/sys - 0x5000 -)"
	echo "ro-remount: $(ibmount mount - /proc/sys - 0x1021 -)"
	echo "emulated-over: $(ibmount mount /dev/null /proc/uptime - 0x1000 -)"
	mkdir -p /tmp/x /tmp/y
	echo "rbind: $(ibmount mount /proc /tmp/x - 0x5000 -)"
	echo "rbind-meminfo=$(head -1 /tmp/x/meminfo)"
	echo "bind-nonrec: $(ibmount mount /proc /tmp/y - 0x1000 -)"'
EOF_SCRIPT
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	grep -E "^init-meminfo=MemTotal: +262144 kB$" <<<"$output"
	assert_output_contains "mask-file: OK"
	assert_output_contains "mask-dir: OK"
	assert_output_contains "ro-bind: OK"
	assert_output_contains "ro-remount: OK"
	assert_output_contains "emulated-over: OK"
	assert_output_contains "rbind: OK"
	grep -E "^rbind-meminfo=MemTotal: +262144 kB$" <<<"$output"
	# a non-recursive bind would leave the covers behind: the host's meminfo
	assert_output_contains "bind-nonrec: ERR EPERM"
	IB delete "$id"
}

@test "vetting: an inner busybox container made by hand (unshare -U -m -p -f -n, bind its rootfs, pivot_root, mount proc and sysfs, drop the old root)" {
	nested_bundle <<'EOF_SCRIPT'
r=/tmp/inner
mkdir -p $r/bin $r/proc $r/sys $r/old
cp /bin/busybox /bin/ibmount $r/bin/
for c in sh cat head wc grep ls tr mount umount; do ln -s busybox $r/bin/$c; done
cat >$r/init.sh <<'EOF_INNER'
mount -t proc proc /proc; echo "inner-proc=$?"
mount -t sysfs sysfs /sys; echo "inner-sysfs=$?"
umount -l /old; echo "inner-umount-old=$?"
echo "inner-root=$(ls / | tr "\n" " ")"
echo "inner-pid1=$(tr "\0" " " </proc/1/cmdline)"
echo "inner-meminfo=$(head -1 /proc/meminfo)"
echo "inner-cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "inner-keys-bytes=$(wc -c </proc/keys)"
echo "inner-firmware-entries=$(ls /sys/firmware | wc -l)"
echo "inner-net=$(ls /sys/class/net | tr "\n" " ")"
echo "inner-umount-meminfo: $(ibmount umount /proc/meminfo 2)"
echo "inner-umount-firmware: $(ibmount umount /sys/firmware 2)"
EOF_INNER
# no /dev/null and no emulated files in the inner rootfs: the covers of its
# /proc come from the jail, not from what the inner container shows
echo "inner-rootfs-devnull=$(ls $r/dev/null 2>/dev/null | wc -l)"
unshare -U -r -m -p -f -n sh -c "mount --bind $r $r && cd $r && pivot_root . old && cd / && exec /bin/sh /init.sh"
EOF_SCRIPT
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	echo "host /sys/firmware: $(ls /sys/firmware | wc -l) entries"
	assert_success
	assert_output_contains "inner-rootfs-devnull=0"
	assert_output_contains "inner-proc=0"
	assert_output_contains "inner-sysfs=0"
	assert_output_contains "inner-umount-old=0"
	assert_output_contains "inner-root=bin init.sh old proc sys "
	assert_output_contains "inner-pid1=/bin/sh /init.sh "
	grep -E "^inner-meminfo=MemTotal: +262144 kB$" <<<"$output"
	assert_output_contains "inner-cpus=1"
	assert_output_contains "inner-keys-bytes=0"
	# the host's /sys/firmware has entries; the inner sysfs gets the mask
	[[ $(ls /sys/firmware | wc -l) -gt 0 ]]
	assert_output_contains "inner-firmware-entries=0"
	assert_output_contains "inner-net=lo "
	assert_output_contains "inner-umount-meminfo: ERR EPERM"
	assert_output_contains "inner-umount-firmware: ERR EPERM"
	IB delete "$id"
}

@test "vetting: nested proc/sysfs: sysfs of a nested network namespace; a remapped user namespace (dockerd --userns-remap); refused and audited where the kernel would refuse the caller" {
	nested_bundle <<'EOF_SCRIPT'
unshare -U -r -m -n sh -c '
	mkdir -p /tmp/s
	mount -t sysfs sysfs /tmp/s; echo "netns-sysfs=$?"
	echo "netns-firmware-entries=$(ls /tmp/s/firmware | wc -l)"
	echo "netns-net=$(ls /tmp/s/class/net | tr "\n" " ")"'
# a namespace-scoped filesystem of the nested caller (not covered)
unshare -U -r -m -i sh -c 'mkdir -p /tmp/q; mount -t mqueue mq /tmp/q; echo "nested-mqueue=$?"'
# a user namespace mapped by its parent (root inside = container uid 1000),
# as an inner dockerd --userns-remap makes for its containers: created by
# uid 1000, mapped by root, then root inside execs
mkdir -m 777 /tmp/remap
mkfifo -m 666 /tmp/remap/go
cat >/tmp/remap/inner.sh <<'EOF_INNER'
mkdir -p /tmp/remap/rp
mount -t proc proc /tmp/remap/rp; echo "remap-proc=$?"
echo "remap-map=$(tr -s " " </proc/self/uid_map)"
echo "remap-meminfo=$(head -1 /tmp/remap/rp/meminfo)"
echo "remap-pid1=$(tr "\0" " " </tmp/remap/rp/1/cmdline)"
EOF_INNER
su -s /bin/sh remap -c 'echo $$ >/tmp/remap/pid; exec unshare -U -m -p -f sh -c "read x </tmp/remap/go; exec sh /tmp/remap/inner.sh"' &
i=0
while [ ! -s /tmp/remap/pid ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
p=$(cat /tmp/remap/pid)
while [ "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)" ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo "0 1000 1000" >/proc/$p/uid_map && echo "0 1000 1000" >/proc/$p/gid_map && echo remap-written=ok
echo go >/tmp/remap/go
wait
# the pid and network namespaces are still the container's, owned by its
# user namespace: the caller is not capable over them (the kernel refuses
# it as well)
unshare -U -r -m sh -c '
	mkdir -p /tmp/p
	echo "foreign-pidns-proc: $(ibmount mount proc /tmp/p proc 0 -)"
	echo "foreign-netns-sysfs: $(ibmount mount sysfs /tmp/p sysfs 0 -)"'
EOF_SCRIPT
	local id
	echo "remap:x:1000:1000::/tmp:/bin/sh" >>"$BUNDLE/rootfs/etc/passwd"
	echo "remap:x:1000:" >>"$BUNDLE/rootfs/etc/group"
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "netns-sysfs=0"
	[[ $(ls /sys/firmware | wc -l) -gt 0 ]]
	assert_output_contains "netns-firmware-entries=0"
	assert_output_contains "netns-net=lo "
	assert_output_contains "nested-mqueue=0"
	assert_output_contains "remap-written=ok"
	assert_output_contains "remap-proc=0"
	assert_output_contains "remap-map= 0 1000 1000"
	grep -E "^remap-meminfo=MemTotal: +262144 kB$" <<<"$output"
	# its own pid namespace (pid 1: the shell it runs)
	assert_output_contains "remap-pid1=sh /tmp/remap/inner.sh "
	assert_output_contains "foreign-pidns-proc: ERR EPERM"
	assert_output_contains "foreign-netns-sysfs: ERR EPERM"
	run audit_of "$id"
	echo "$output"
	[[ $(grep -c '"rule":"pseudofs-not-capable"' <<<"$output") -eq 2 ]]
	grep -q 'owning its pid namespace' <<<"$output"
	grep -q 'owning its network namespace' <<<"$output"
	IB delete "$id"
}

# The kept mount table (src/supervisor/caller.c): the agent keeps the table of
# the container's namespace, as the init's root shows it, between calls

@test "vetting: the kept mount table follows changes: a mount made from the host, a chroot, unshare -m between calls" {
	vet_bundle 'mkdir -p /tmp/a /tmp/h /tmp/jail; exec sleep 1000'
	bundle_jq "$BUNDLE" '.process.capabilities |= map_values(. + ["CAP_SYS_CHROOT"] | unique)'
	local id pid
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	pid=$(IB state "$id" | jq -r .pid)
	# a call from the container: the table is kept
	run IB exec "$id" ibmount mount tmpfs /tmp/a tmpfs 0 - </dev/null 3>&-
	assert_output_contains "OK"
	# a change the agent did not make (the host's root, not trapped): the
	# next call sees it (unknown to a stale table, the umount would be EPERM)
	nsenter -t "$pid" -m -- mount -t tmpfs host /tmp/h
	run IB exec "$id" ibmount umount /tmp/h 0 </dev/null 3>&-
	echo "$output"
	assert_output_contains "OK"
	run IB exec "$id" ibmount umount /tmp/a 0 </dev/null 3>&-
	assert_output_contains "OK"
	# another root: its own table (mount points relative to it). Mounting
	# on /sys/fs would hide the jail's /sys/fs/cgroup, from a chroot at /sys
	# too (there it is /fs/cgroup: the init's table would not say so)
	run IB exec "$id" ibmount mount tmpfs /sys/fs tmpfs 0 - </dev/null 3>&-
	assert_output_contains "ERR EPERM"
	run IB exec "$id" ibmount in-root /sys mount tmpfs /fs tmpfs 0 - </dev/null 3>&-
	echo "$output"
	assert_output_contains "ERR EPERM"
	# and the agent holds nothing of another root (the chroot's tmpfs
	# unmounts afterwards)
	run IB exec "$id" sh -c '
		mount -t tmpfs j /tmp/jail && mkdir -p /tmp/jail/bin /tmp/jail/t &&
		cp /bin/sh /bin/ibmount /tmp/jail/bin/ &&
		chroot /tmp/jail /bin/sh -c "
			echo chroot-mount: \$(ibmount mount tmpfs /t tmpfs 0 -)
			echo chroot-umount: \$(ibmount umount /t 0)
			echo chroot-umount-proc: \$(ibmount umount /proc 2)"
		echo "umount-jail: $(ibmount umount /tmp/jail 0)"' </dev/null 3>&-
	echo "$output"
	assert_output_contains "chroot-mount: OK"
	assert_output_contains "chroot-umount: OK"
	grep -E "^chroot-umount-proc: ERR (EPERM|EINVAL|ENOENT)" <<<"$output"
	assert_output_contains "umount-jail: OK"
	# a new mount namespace between two calls: the copies are its own, the
	# jail's copies stay protected, the container's namespace is unchanged
	run IB exec "$id" sh -c '
		echo "main-mount: $(ibmount mount tmpfs /tmp/a tmpfs 0 -)"
		unshare -m sh -c "
			echo ns-umount-copy: \$(ibmount umount /tmp/a 0)
			echo ns-umount-keys: \$(ibmount umount /proc/keys 2)
			echo ns-umount-vol: \$(ibmount umount /mnt 2)"
		echo "main-umount-keys: $(ibmount umount /proc/keys 2)"
		echo "main-umount: $(ibmount umount /tmp/a 0)"' </dev/null 3>&-
	echo "$output"
	assert_output_contains "main-mount: OK"
	assert_output_contains "ns-umount-copy: OK"
	assert_output_contains "ns-umount-keys: ERR EPERM"
	assert_output_contains "ns-umount-vol: ERR EPERM"
	assert_output_contains "main-umount-keys: ERR EPERM"
	assert_output_contains "main-umount: OK"
	IB delete -f "$id"
}

# The agent drops its references to a call's objects before it answers:
# the target of a refused move, still held by the worker that refused it,
# made the caller's next call, an umount of it (performed by another
# worker), fail with EBUSY now and then.
@test "vetting: an idle agent keeps no caller's directory busy: calls from inside a mount (relative paths, one refused), then its umount (not lazy) at once, 20 rounds" {
	vet_bundle 'exec sleep 1000'
	local id
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	run IB exec "$id" sh -c '
		mkdir -p /tmp/m
		for i in $(seq 20); do
			ibmount mount tmpfs /tmp/m tmpfs 0 - >/dev/null && mkdir /tmp/m/sub && cd /tmp/m &&
			r1=$(ibmount mount tmpfs sub tmpfs 0 -) && r2=$(ibmount umount sub 0) &&
			r3=$(ibmount mount tmpfs none tmpfs 0 -); cd / &&
			echo "round $i: $r1 $r2 $(ibmount umount /tmp/m 0) [$r3]"
		done' </dev/null 3>&-
	echo "$output"
	[[ $(grep -c '^round [0-9]*: OK OK OK \[ERR ENOENT' <<<"$output") == 20 ]]
	# (the refused call left the agent's worker in the caller's cwd until
	# the worker parked: it moves to its own procfs then)
	run IB exec "$id" sh -c 'mount -t tmpfs m /tmp/m && cd /tmp/m && ibmount mount tmpfs none tmpfs 0 -' </dev/null 3>&-
	assert_output_contains "ERR ENOENT"
	run IB exec "$id" ibmount umount /tmp/m 0 </dev/null 3>&-
	assert_output_contains OK
	IB delete -f "$id"
}

@test "vetting: calls that block (their target is a FUSE /proc file of a stopped supervisor) do not hold up another call, three at a time, twice; they end once the view answers" {
	vet_bundle 'mkdir -p /tmp/a; exec sleep 1000'
	local id sup out pid round
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	sup=$(jq -r '.supervisor_pid' "$TEST_ROOT/$id/state.json")
	out="$BATS_TEST_TMPDIR/exec.out"
	# (the exec starts before the supervisor stops: exec hands it a
	# listener). The second round starts with the agent's threads left by
	# the first: some idle, some leading or standing by.
	IB exec "$id" sh -c '
		for round in 1 2; do
			echo "warm$round: $(ibmount mount tmpfs /tmp/a tmpfs 0 -)"
			echo "ready$round"
			while [ ! -e /tmp/go$round ]; do sleep 0.05; done
			for i in 1 2 3; do
				ibmount mount tmpfs /proc/uptime tmpfs 0 - >/tmp/slow$round.$i 2>&1 &
			done
			sleep 0.5
			echo "fast$round: $(ibmount umount /tmp/a 0)"
			echo "slow$round-meanwhile: [$(cat /tmp/slow$round.*)]"
			wait
			echo "slow$round: $(cat /tmp/slow$round.* | sort -u)"
		done' >"$out" 2>&1 </dev/null 3>&- &
	pid=$!
	for round in 1 2; do
		retry 100 0.1 grep -q "^ready$round" "$out"
		kill -STOP "$sup"
		touch "$BUNDLE/rootfs/tmp/go$round"
		retry 100 0.1 grep -q "^fast$round:" "$out" || true
		kill -CONT "$sup"
	done
	wait "$pid" || true
	cat "$out"
	for round in 1 2; do
		grep -q "^warm$round: OK" "$out"
		grep -q "^fast$round: OK" "$out"
		grep -q "^slow$round-meanwhile: \[\]" "$out"
		grep -q "^slow$round: ERR" "$out"
	done
	IB delete -f "$id"
}

# The supervisor stops serving its FUSE view when the init exits, then
# waits for its agent; an agent whose every worker waits for that view
# would wait for ever, and the supervisor with it (until delete killed it).
sup_gone() { ! [[ -e /proc/$1 ]] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
agent_threads_in_fuse() {
	local t n=0
	for t in /proc/"$1"/task/*; do
		[[ $(cat "$t/wchan" 2>/dev/null) == request_wait_answer ]] && n=$((n + 1))
	done
	[[ $n -ge $2 ]]
}

@test "vetting: a supervisor whose init exited while every agent worker waited for its FUSE view still exits by itself (before delete)" {
	vet_bundle 'mkdir -p /tmp/a; while [ ! -e /tmp/die ]; do sleep 0.05; done'
	local id sup agent init
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	sup=$(jq -r '.supervisor_pid' "$TEST_ROOT/$id/state.json")
	init=$(jq -r '.pid' "$TEST_ROOT/$id/state.json")
	# (a first call starts the agent; the exec hands its listener over
	# before the supervisor stops)
	run IB exec "$id" ibmount mount tmpfs /tmp/a tmpfs 0 - </dev/null 3>&-
	assert_output_contains OK
	IB exec "$id" sh -c '
		while [ ! -e /tmp/go ]; do sleep 0.05; done
		for i in 1 2 3 4 5 6; do ibmount mount tmpfs /proc/uptime tmpfs 0 - & done
		wait' </dev/null >/dev/null 2>&1 3>&- &
	sleep 0.5
	agent=$(pgrep -P "$sup" -x ironbox-notify)
	[[ -n $agent ]]
	kill -STOP "$sup"
	touch "$BUNDLE/rootfs/tmp/go"
	# every worker (4) waits for the stopped view
	retry 100 0.1 agent_threads_in_fuse "$agent" 4 || {
		kill -CONT "$sup"
		false
	}
	touch "$BUNDLE/rootfs/tmp/die"
	retry 100 0.1 sup_gone "$init" || true
	kill -CONT "$sup"
	retry 100 0.1 sup_gone "$sup"
	retry 50 0.1 sup_gone "$agent"
	IB delete -f "$id"
}

@test "vetting: the agent goes with its supervisor even when none of its threads can read the supervisor's end (stopped), though its credentials changed after fork and for a user's call" {
	vet_bundle 'mkdir -p /tmp/a; chmod 777 /tmp/a; exec sleep 1000'
	bundle_jq "$BUNDLE" '.process.capabilities |= map_values(. + ["CAP_SETUID", "CAP_SETGID"] | unique)'
	local id sup agent
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	sup=$(jq -r '.supervisor_pid' "$TEST_ROOT/$id/state.json")
	# the first call, a user's (fsuid 1000: a change of credentials that
	# clears a thread's parent-death signal), then root's
	run IB exec "$id" ibmount as 1000:admin mount tmpfs /tmp/a tmpfs 0 - </dev/null 3>&-
	assert_output_contains OK
	run IB exec "$id" ibmount umount /tmp/a 0 </dev/null 3>&-
	run IB exec "$id" ibmount mount tmpfs /tmp/a tmpfs 0 - </dev/null 3>&-
	assert_output_contains OK
	agent=$(pgrep -P "$sup" -x ironbox-notify)
	[[ -n $agent ]]
	kill -STOP "$agent"
	kill -KILL "$sup"
	retry 50 0.1 sup_gone "$agent" || {
		kill -CONT "$agent"
		false
	}
	IB delete -f "$id"
}

@test "vetting: a refused move onto a mount, then its umount at once: 300 rounds, never EBUSY" {
	vet_bundle '
		mkdir -p /tmp/t
		echo "moveloop: $(ibmount moveloop 300 /mnt /tmp/t)"'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	assert_output_contains "moveloop: OK"
}

# The agent applies its own mount/umount2 to the kept table (listmount and
# statmount checked) rather than reading mountinfo again after each call.
@test "vetting: the kept table follows the agent's own mounts: after 300 mount+umount pairs and stacked mounts the jail and the covers of its own proc still hold; one mount propagated to a peer (two new mounts) is seen" {
	vet_bundle '
		mkdir -p /tmp/t /tmp/s /tmp/p /tmp/q /tmp/z
		ibmount loop 300 /tmp/t | tail -1 | sed "s/^/loop: /"
		# a stack: the kernel refuses the lower umount (busy), then both go
		mount -t tmpfs a /tmp/s && mkdir /tmp/s/in && mount -t tmpfs b /tmp/s/in
		echo "umount-busy: $(ibmount umount /tmp/s 0)"
		echo "umount-in: $(ibmount umount /tmp/s/in 0)"
		echo "umount-s: $(ibmount umount /tmp/s 0)"
		# a lazy umount of a tree (two mounts gone for one call)
		mount -t tmpfs c /tmp/s && mkdir /tmp/s/in && mount -t tmpfs d /tmp/s/in
		echo "umount-l-tree: $(ibmount umount /tmp/s 2)"
		echo "after-tree: $(grep -c " /tmp/s" /proc/self/mountinfo)"
		# the jail, after all that
		echo "umount-proc: $(ibmount umount /proc 2)"
		echo "umount-meminfo: $(ibmount umount /proc/meminfo 0)"
		echo "umount-keys: $(ibmount umount /proc/keys 2)"
		echo "umount-vol: $(ibmount umount /mnt 0)"
		echo "over-firmware: $(ibmount mount tmpfs /sys/firmware tmpfs 0 -)"
		echo "over-sys-fs: $(ibmount mount tmpfs /sys/fs tmpfs 0 -)"
		echo "meminfo: $(head -c 9 /proc/meminfo)"
		# a proc of its own gets covers (registered, read again), then more pairs
		mkdir -p /tmp/pr && mount -t proc proc /tmp/pr; echo "proc=$?"
		ibmount loop 100 /tmp/t | tail -1 | sed "s/^/loop2: /"
		echo "umount-cover-meminfo: $(ibmount umount /tmp/pr/meminfo 0)"
		echo "umount-cover-keys: $(ibmount umount /tmp/pr/keys 2)"
		echo "umount-cover-sys: $(ibmount umount /tmp/pr/sys 2)"
		# a shared tmpfs and a bind of it (peers in this namespace): one
		# mount on one becomes a mount on both
		mount -t tmpfs p /tmp/p && mount --make-shared /tmp/p && mkdir /tmp/p/x &&
			mount --bind /tmp/p /tmp/q; echo "peers=$?"
		echo "mount-x: $(ibmount mount x /tmp/p/x tmpfs 0 -)"
		echo "peer-copy: $(grep -c " /tmp/q/x " /proc/self/mountinfo)"
		echo "move-vol-to-peer: $(ibmount move /mnt /tmp/q/x)"
		echo "umount-peer-copy: $(ibmount umount /tmp/q/x 0)"
		# a tmpfs the table got call by call, then a refused call on it
		mount -t tmpfs z /tmp/z && mkdir /tmp/z/d
		echo "move-vol-to-z: $(ibmount move /mnt /tmp/z/d)"
		echo "umount-z: $(ibmount umount /tmp/z 0)"'
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "loop: OK"
	assert_output_contains "umount-busy: ERR EBUSY"
	assert_output_contains "umount-in: OK"
	assert_output_contains "umount-s: OK"
	assert_output_contains "umount-l-tree: OK"
	assert_output_contains "after-tree: 0"
	assert_output_contains "umount-proc: ERR EPERM"
	assert_output_contains "umount-meminfo: ERR EPERM"
	assert_output_contains "umount-keys: ERR EPERM"
	assert_output_contains "umount-vol: ERR EPERM"
	assert_output_contains "over-firmware: ERR EPERM"
	assert_output_contains "over-sys-fs: ERR EPERM"
	assert_output_contains "meminfo: MemTotal:"
	assert_output_contains "proc=0"
	assert_output_contains "loop2: OK"
	assert_output_contains "umount-cover-meminfo: ERR EPERM"
	assert_output_contains "umount-cover-keys: ERR EPERM"
	assert_output_contains "umount-cover-sys: ERR EPERM"
	assert_output_contains "peers=0"
	assert_output_contains "mount-x: OK"
	assert_output_contains "peer-copy: 1"
	assert_output_contains "move-vol-to-peer: ERR EPERM"
	assert_output_contains "umount-peer-copy: OK"
	assert_output_contains "move-vol-to-z: ERR EPERM"
	assert_output_contains "umount-z: OK"
	run audit_of "$id"
	echo "$output"
	assert_success
	# the refused calls were judged on a table that knew the target's
	# mount: the copy the kernel propagated (not made by the agent's call,
	# so the table was read again), and the tmpfs added call by call
	jq -se 'any(.syscall == "move_mount" and .args.dst.path == "/tmp/q/x" and
		.args.dst.mountpoint == "/tmp/q/x" and .args.dst.fstype == "tmpfs")' <<<"$output"
	jq -se 'any(.syscall == "move_mount" and .args.dst.path == "/tmp/z/d" and
		.args.dst.mountpoint == "/tmp/z" and .args.dst.fstype == "tmpfs")' <<<"$output"
	IB delete "$id"
}

@test "vetting: each call acts with its own caller's credentials: a user's (no capabilities; CAP_SYS_ADMIN with fsuid 1000) and root's, interleaved" {
	vet_bundle 'mkdir -p /tmp/u /root/secret/x && chmod 0700 /root/secret && exec sleep 1000'
	bundle_jq "$BUNDLE" '.process.capabilities |= map_values(. + ["CAP_SETUID", "CAP_SETGID"] | unique)'
	local id round
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	# three times, so that the agent's threads serve each caller after the other
	for round in 1 2 3; do
		run IB exec "$id" ibmount as 1000 mount tmpfs /tmp/u tmpfs 0 - </dev/null 3>&-
		echo "$round user: $output"
		assert_output_contains "ERR EPERM Operation not permitted (mount)"
		run IB exec "$id" ibmount as 1000:admin mount tmpfs /root/secret/x tmpfs 0 - </dev/null 3>&-
		echo "$round user+admin: $output"
		assert_output_contains "ERR EACCES Permission denied (mount)"
		run IB exec "$id" ibmount mount tmpfs /root/secret/x tmpfs 0 - </dev/null 3>&-
		echo "$round root: $output"
		assert_output_contains "OK"
		run IB exec "$id" ibmount as 1000:admin umount /root/secret/x 0 </dev/null 3>&-
		echo "$round user+admin umount: $output"
		assert_output_contains "ERR EACCES Permission denied (umount2)"
		run IB exec "$id" ibmount umount /root/secret/x 0 </dev/null 3>&-
		echo "$round root umount: $output"
		assert_output_contains "OK"
	done
	IB delete -f "$id"
}

# An inner dockerd --userns-remap=default (dockremap 32768:32768 inside the
# container's 65536 IDs) has runc make each inner container's init in a user
# namespace mapped 0 -> 32768 (size 32768) with a new mount namespace; the
# init, root there (container uid 32768), binds its rootfs onto itself
# (mount(rootfs, rootfs, NULL, MS_BIND|MS_REC)) below
# /var/lib/docker/32768.32768, a directory the remapped root owns (0700) or
# may traverse as group 32768 (root:32768 0710). A directory of the
# container's root (0700), which that namespace does not map, stays closed to
# it: the kernel refuses the caller (EACCES), so does the supervisor.
@test "vetting: an inner runc's rootfs self-bind in a remapped user namespace (0 -> 32768) below 0700/0710 directories; a 0700 directory of the unmapped root stays refused" {
	nested_bundle <<'EOF_SCRIPT'
mkdir -p /tmp/dk/own/rootfs /tmp/dk/grp/rootfs /tmp/dk/root/rootfs
mkdir -m 777 /tmp/remap
chown 32768:32768 /tmp/dk/own /tmp/dk/own/rootfs /tmp/dk/grp/rootfs /tmp/dk/root/rootfs
chmod 0700 /tmp/dk/own /tmp/dk/root
chown 0:32768 /tmp/dk/grp
chmod 0710 /tmp/dk/grp
mkfifo -m 666 /tmp/remap/go
cat >/tmp/remap/inner.sh <<'EOF_INNER'
for d in own grp root; do
	r=/tmp/dk/$d/rootfs
	echo "selfbind-$d: $(ibmount mount $r $r - 0x5000 -)"
done
# runc's init is not dumpable
mkdir -p /tmp/dk/own/rootfs2
echo "selfbind-nodump: $(ibmount nodump mount /tmp/dk/own/rootfs2 /tmp/dk/own/rootfs2 - 0x5000 -)"
# and mounts on /proc/self/fd/N (an O_PATH fd of the destination), from /proc/self/fd/M
mkdir -p /tmp/dk/own/rootfs/t /tmp/dk/own/rootfs/b
exec 6</tmp/dk/own/rootfs/t 7</tmp/dk/own/rootfs2
echo "fd-tmpfs: $(ibmount nodump mount wltmp /proc/self/fd/6 tmpfs 0 -)"
echo "fd-bind: $(ibmount nodump mount /proc/self/fd/7 /tmp/dk/own/rootfs/b - 0x1000 -)"
echo "fd-mounts=$(grep -c " /tmp/dk/own/rootfs/[tb] " /proc/self/mountinfo)"
echo "remap-map=$(tr -s " " </proc/self/uid_map)"
echo "remap-id=$(id -u)"
EOF_INNER
su -s /bin/sh dockremap -c 'echo $$ >/tmp/remap/pid; exec unshare -U -m sh -c "read x </tmp/remap/go; exec sh /tmp/remap/inner.sh"' &
i=0
while [ ! -s /tmp/remap/pid ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
p=$(cat /tmp/remap/pid)
while [ "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)" ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo "0 32768 32768" >/proc/$p/uid_map && echo "0 32768 32768" >/proc/$p/gid_map && echo remap-written=ok
echo go >/tmp/remap/go
wait
EOF_SCRIPT
	local id
	echo "dockremap:x:32768:32768::/tmp:/bin/sh" >>"$BUNDLE/rootfs/etc/passwd"
	echo "dockremap:x:32768:" >>"$BUNDLE/rootfs/etc/group"
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "remap-written=ok"
	assert_output_contains "remap-map= 0 32768 32768"
	assert_output_contains "remap-id=0"
	assert_output_contains "selfbind-own: OK"
	assert_output_contains "selfbind-grp: OK"
	assert_output_contains "selfbind-nodump: OK"
	assert_output_contains "fd-tmpfs: OK"
	assert_output_contains "fd-bind: OK"
	assert_output_contains "fd-mounts=2"
	assert_output_contains "selfbind-root: ERR EACCES"
	IB delete "$id"
}
