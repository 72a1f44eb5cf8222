#!/usr/bin/env bats
# The supervisor's emulated files and its sysinfo(2) rule (DESIGN.md
# behaviour 7, supervisor/emul.h): what a container sees of its CPUs and
# memory agrees with its cpuset, CPU quota and memory limit; /dev/kmsg is an
# empty log of its own; product_uuid is its own; a privileged container
# cannot take the emulated /sys and /dev files away. ironbox only (the
# negative controls run /usr/sbin/runc explicitly).

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

host_cpus() { grep -c ^processor /proc/cpuinfo; }

# A bundle running sh -c SCRIPT with the ibemul helper.
emul_bundle() {
	setup_bundle b sh -c "$1"
	install_helper "$BUNDLE" ibemul
}

# All capabilities the runtime holds, no seccomp: like docker --privileged.
make_privileged() {
	local caps
	caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH", "CAP_SYSLOG"] | unique' "$BUNDLE/config.json")
	bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []' --argjson c "$caps"
}

# value KEY: the number after "KEY " in $output
value() { awk -v k="$1" '$1 == k { print $2; exit }' <<<"$output"; }

# ---------------------------------------------------------------------------
# CPUs

@test "emulation: --cpuset-cpus: nproc, /sys/devices/system/cpu/online, cpuinfo and stat show the cpuset" {
	[[ "$(host_cpus)" -ge 2 ]] || skip "needs 2 host CPUs"
	emul_bundle 'echo "nproc $(nproc)"; echo "online $(cat /sys/devices/system/cpu/online)"
		echo "cpuinfo $(grep -c ^processor /proc/cpuinfo)"; echo "stat $(grep -c "^cpu[0-9]" /proc/stat)"
		echo "statcpu0 $(grep -c "^cpu0 " /proc/stat)"
		echo "fuse $(grep -c " /sys/devices/system/cpu/online .* fuse" /proc/self/mountinfo)"'
	bundle_jq "$BUNDLE" '.linux.resources.cpu = {cpus: "1"}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	[[ "$(value nproc)" == 1 ]]
	# the host's number of the CPU (what sched_getcpu() says)
	[[ "$(value online)" == 1 ]]
	[[ "$(value cpuinfo)" == 1 ]]
	[[ "$(value stat)" == 1 ]]
	[[ "$(value statcpu0)" == 1 ]]
	[[ "$(value fuse)" == 1 ]]
}

@test "emulation: a CPU quota of one CPU: online, cpuinfo and stat show one CPU" {
	[[ "$(host_cpus)" -ge 2 ]] || skip "needs 2 host CPUs"
	emul_bundle 'echo "online $(cat /sys/devices/system/cpu/online)"
		echo "cpuinfo $(grep -c ^processor /proc/cpuinfo)"; echo "stat $(grep -c "^cpu[0-9]" /proc/stat)"
		echo "possible $(cat /sys/devices/system/cpu/possible)"'
	bundle_jq "$BUNDLE" '.linux.resources.cpu = {quota: 100000, period: 100000}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	[[ "$(value online)" == 0 ]]
	[[ "$(value cpuinfo)" == 1 ]]
	[[ "$(value stat)" == 1 ]]
	# possible stays the host's: per-CPU arrays are indexed by host numbers
	[[ "$(value possible)" == "$(cat /sys/devices/system/cpu/possible)" ]]
}

@test "emulation: no cpuset, no quota: online is the host's" {
	emul_bundle 'echo "online $(cat /sys/devices/system/cpu/online)"'
	ib_run "$(new_id)"
	assert_success
	[[ "$(value online)" == "$(cat /sys/devices/system/cpu/online)" ]]
}

# ---------------------------------------------------------------------------
# memory

@test "emulation: memory limit, swap = memory: meminfo complete and consistent, no swap" {
	emul_bundle 'cat /proc/meminfo'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456, swap: 268435456}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	local m
	m=$(awk '{ gsub(":", "", $1); v[$1] = $2 } END {
		printf "total=%d free=%d avail=%d cache=%d swap=%d swapfree=%d\n", v["MemTotal"], v["MemFree"], v["MemAvailable"], v["Buffers"] + v["Cached"] + v["SReclaimable"], v["SwapTotal"], v["SwapFree"]
		ok = v["MemFree"] <= v["MemTotal"] && v["MemAvailable"] <= v["MemTotal"] && v["Buffers"] + v["Cached"] + v["SReclaimable"] <= v["MemTotal"] - v["MemFree"] && v["Shmem"] <= v["Cached"] && v["Active"] == v["Active(anon)"] + v["Active(file)"] && v["Inactive"] == v["Inactive(anon)"] + v["Inactive(file)"] && v["Slab"] == v["SReclaimable"] + v["SUnreclaim"]
		print (ok ? "consistent" : "INCONSISTENT") }' <<<"$output")
	echo "$m"
	[[ "$m" == *"total=262144 "* ]]
	[[ "$m" == *"swap=0 swapfree=0"* ]]
	[[ "$m" == *consistent* && "$m" != *INCONSISTENT* ]]
	# every field of the host's file is there, in the host's order
	[[ "$(awk -F: '{ print $1 }' <<<"$output")" == "$(awk -F: '{ print $1 }' /proc/meminfo)" ]]
}

@test "emulation: sysinfo(2) and busybox free show the container's limit, uptime and tasks" {
	emul_bundle 'ibemul sysinfo; free | sed -n "2,3p" | sed "s/^/free /"; sleep 1'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456, swap: 268435456}'
	local id
	id=$(new_id)
	ib_run "$id"
	echo "$output"
	assert_success
	[[ "$(value totalram)" == 268435456 ]]
	[[ "$(value freeram)" -le 268435456 && "$(value freeram)" -gt 0 ]]
	[[ "$(value totalswap)" == 0 ]]
	# a fresh container: up for seconds, a handful of tasks
	[[ "$(value uptime)" -lt 60 ]]
	[[ "$(value procs)" -ge 1 && "$(value procs)" -lt 20 ]]
	# busybox free: sysinfo(2) for the totals
	[[ "$output" =~ free\ Mem:\ +262144\  ]]
	[[ "$output" =~ free\ Swap:\ +0\  ]]
}

@test "emulation: sysinfo(2) through the i386 ABI gets the 32-bit layout with the container's figures" {
	[[ "$(uname -m)" == x86_64 ]] || skip "x86_64 only"
	host_takes_i386 || skip "this machine does not take i386 system calls (int 0x80 faults on the host too)"
	emul_bundle 'ibemul sysinfo32'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456, swap: 268435456}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	[[ "$(value totalram)" == 268435456 ]]
	[[ "$(value totalswap)" == 0 ]]
	[[ "$(value uptime)" -lt 60 ]]
	# nothing written past the 64-byte compat struct
	assert_output_contains "guard intact"
}

@test "emulation: sysinfo(2) into NULL or a read-only page fails with EFAULT, as the kernel's does" {
	emul_bundle 'ibemul sysinfo-bad'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	assert_output_contains "null EFAULT"
	assert_output_contains "readonly EFAULT"
}

@test "emulation: sysinfo negative control: under runc the host's memory shows" {
	command -v runc >/dev/null || skip "runc not installed"
	emul_bundle 'ibemul sysinfo'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456, swap: 268435456}'
	local root="$BATS_TEST_TMPDIR/runc-root" id
	id=$(new_id runc)
	run runc --root "$root" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	runc --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	assert_success
	[[ "$(value totalram)" -gt 268435456 ]]
	ib_run "$(new_id)"
	[[ "$(value totalram)" == 268435456 ]]
}

@test "emulation: sysinfo(2) of an exec'd process is the container's too" {
	emul_bundle 'sleep 100'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456}'
	local id
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	run IB exec "$id" ibemul sysinfo </dev/null 3>&-
	echo "$output"
	assert_success
	[[ "$(value totalram)" == 268435456 ]]
	IB delete -f "$id"
}

# ---------------------------------------------------------------------------
# /dev/kmsg, product_uuid

@test "emulation: /dev/kmsg is an empty log of the container's own (EAGAIN, never readable, writes accepted)" {
	emul_bundle 'ibemul kmsg; cat /dev/kmsg; echo "cat=$?"; echo hi >/dev/kmsg; echo "echo=$?"'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	assert_output_contains "nonblock-read Resource temporarily unavailable"
	assert_output_contains "poll-in 0"
	assert_output_contains "write 17"
	assert_output_contains "blocking-read EOF"
	assert_output_contains "cat=0"
	assert_output_contains "echo=0"
}

@test "emulation: privileged with the host's /dev/kmsg node: the container's empty log, not EACCES" {
	emul_bundle 'ibemul kmsg'
	make_privileged
	bundle_jq "$BUNDLE" '.linux.devices += [{path: "/dev/kmsg", type: "c", major: 1, minor: 11, fileMode: 420, uid: 0, gid: 0}]'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	assert_output_not_contains "open ERR"
	assert_output_contains "nonblock-read Resource temporarily unavailable"
	assert_output_not_contains "DATA"
}

@test "emulation: product_uuid differs between two containers and is stable within one" {
	[[ -r /sys/devices/virtual/dmi/id/product_uuid ]] || skip "no DMI on this host"
	emul_bundle 'sleep 100'
	local a b ua ub
	a=$(new_id)
	b=$(new_id)
	ib_run_detached "$a" "$BUNDLE"
	ib_run_detached "$b" "$BUNDLE"
	ua=$(IB exec "$a" cat /sys/devices/virtual/dmi/id/product_uuid </dev/null 3>&-)
	ub=$(IB exec "$b" cat /sys/devices/virtual/dmi/id/product_uuid </dev/null 3>&-)
	[[ "$ua" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[[ "$ua" != "$ub" ]]
	[[ "$ua" != "$(cat /sys/devices/virtual/dmi/id/product_uuid)" ]]
	[[ "$(IB exec "$a" cat /sys/devices/virtual/dmi/id/product_uuid </dev/null 3>&-)" == "$ua" ]]
	IB delete -f "$a"
	IB delete -f "$b"
}

# ---------------------------------------------------------------------------
# the emulated files are part of the jail

@test "emulation: a privileged container cannot unmount the /sys and /dev files; a new sysfs gets them too" {
	[[ "$(host_cpus)" -ge 2 ]] || skip "needs 2 host CPUs"
	emul_bundle '
		umount /sys/devices/system/cpu/online 2>/dev/null && echo "unmounted online"
		umount -l /sys/devices/system/cpu/online 2>/dev/null && echo "unmounted online (lazy)"
		umount /dev/kmsg 2>/dev/null && echo "unmounted kmsg"
		echo "online $(cat /sys/devices/system/cpu/online)"
		mkdir -p /tmp/s && mount -t sysfs sysfs /tmp/s && echo "newsys $(cat /tmp/s/devices/system/cpu/online)"
		umount /tmp/s/devices/system/cpu/online 2>/dev/null && echo "unmounted cover"
		true'
	make_privileged
	bundle_jq "$BUNDLE" '.linux.resources.cpu = {cpus: "1"}'
	ib_run "$(new_id)"
	echo "$output"
	assert_success
	assert_output_not_contains "unmounted"
	[[ "$(value online)" == 1 ]]
	[[ "$(value newsys)" == 1 ]]
}

@test "emulation: under a read-only /proc/sys each emulated knob is mounted once, read-only, and still served" {
	setup_bundle b sleep 100
	bundle_jq "$BUNDLE" '.linux.readonlyPaths = ["/proc/sys"]'
	local id pid n
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	pid=$(pid_of "$id")
	# Once: no hidden duplicate below the read-only clone of /proc/sys.
	n=$(awk '$5 == "/proc/sys/vm/overcommit_memory"' "/proc/$pid/mountinfo" | wc -l)
	[[ "$n" == 1 ]] || { cat "/proc/$pid/mountinfo"; false; }
	awk '$5 == "/proc/sys/vm/overcommit_memory" { print $6 }' "/proc/$pid/mountinfo" | grep -q '^ro,'
	awk '$5 == "/proc/sys/vm/overcommit_memory"' "/proc/$pid/mountinfo" | grep -q 'fuse.ironbox'
	# Served by the supervisor, refused for writing as the rest of /proc/sys.
	[[ "$(IB exec "$id" cat /proc/sys/vm/overcommit_memory)" =~ ^[0-2]$ ]]
	run IB exec "$id" sh -c 'echo 1 > /proc/sys/vm/overcommit_memory'
	[[ "$status" -ne 0 ]]
	assert_output_contains "Read-only file system"
	IB delete -f "$id"
}
