#!/usr/bin/env bats
# Virtual /proc/sys (DESIGN.md behaviour 7, src/sysctl/knob.h): the
# non-namespaced knobs common workloads write are served by the container's
# supervisor. Container-local knobs: each container reads back its own
# value, the host never changes. Max-reconciled knobs: the host holds the
# maximum over its original value and the live containers' values, and is
# back to its original once they are deleted (also when the supervisor was
# killed). Other non-namespaced knobs stay refused; namespaced ones are the
# kernel's, per container. ironbox only.
#
# The max-reconciled knob used here (fs.inotify.max_user_watches) is raised
# on the host for the duration of a test only (a limit: raising it harms
# nothing); teardown puts the original back if a failing test left it.
# fs.file-max is only written below the host's value (never raised).
#
# The admin's ceilings (policy "sysctlMaximums") are shown on
# vm.max_map_count, raised here above the host's value up to a ceiling set
# relative to it (teardown puts the original back too); fs.file-max is
# raised only where the host's value is below the default ceiling.

load ../lib/common

LOCAL_KNOB=vm/overcommit_memory
MAX_KNOB=fs/inotify/max_user_watches
MAX_KNOB2=fs/file-max
MMC=vm/max_map_count

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
	# The host's knobs are shared by every run of this file on the host (a
	# merge run and a branch run at the same time would see each other's
	# values): one test at a time, host-wide.
	exec {SYSCTL_LOCK}>/run/lock/ironbox-sysctl-bats.lock
	flock -w 900 "$SYSCTL_LOCK"
	ORIG_MAX=$(cat /proc/sys/$MAX_KNOB)
	ORIG_MAX2=$(cat /proc/sys/$MAX_KNOB2)
	ORIG_LOCAL=$(cat /proc/sys/$LOCAL_KNOB)
	ORIG_PANIC=$(cat /proc/sys/kernel/panic)
	ORIG_MMC=$(cat /proc/sys/$MMC)
}

teardown() {
	common_teardown
	# A failing test must not leave the host raised.
	# (fs.file-max is only ever written below the host's value here.)
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]] || echo "$ORIG_MAX" >/proc/sys/$MAX_KNOB
	[[ -z "${ORIG_MMC:-}" || "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]] || echo "$ORIG_MMC" >/proc/sys/$MMC
	[[ -z "${ORIG_MAX2:-}" || "$(cat /proc/sys/$MAX_KNOB2)" == "$ORIG_MAX2" ]] || echo "$ORIG_MAX2" >/proc/sys/$MAX_KNOB2
	[[ -z "${SYSCTL_LOCK:-}" ]] || exec {SYSCTL_LOCK}>&-
}

# A long-running container: privileged (no masked or read-only paths, like
# docker --privileged) unless $2 is "ro" (the default spec: /proc/sys
# read-only, like a non-privileged Docker container); $3: an admin policy
# file to create it with.
start_ctr() {
	local id=$1 mode=${2:-priv} pol=${3:-}
	setup_bundle "b-$id" sleep 3600
	if [[ $mode == priv ]]; then
		local caps
		caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] | unique' "$BUNDLE/config.json")
		bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []' --argjson c "$caps"
	fi
	bundle_jq "$BUNDLE" '.hostname = $h' --arg h "$id"
	if [[ -n $pol ]]; then
		"$IRONBOX" --root "$TEST_ROOT" --policy "$pol" run --detach --bundle "$BUNDLE" "$id" \
			</dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" 3>&- || {
			cat "$BATS_TEST_TMPDIR/$id.err" >&2
			return 1
		}
	else
		ib_run_detached "$id" "$BUNDLE"
	fi
}

# ceiling_policy [jq args...] FILTER : the default admin policy (policy-init)
# with FILTER applied, root-owned 0644; prints its path.
ceiling_policy() {
	local pol
	pol=$(mktemp "$BATS_TEST_TMPDIR/policy.XXXXXX.json")
	"$IRONBOX" --policy "$pol.def" policy-init >/dev/null 2>&1 || return 1
	jq "$@" "$pol.def" >"$pol" || return 1
	rm -f "$pol.def"
	chmod 0644 "$pol"
	echo "$pol"
}

# in ID SCRIPT : run sh -c SCRIPT in the container (as its root).
in_ctr() {
	local id=$1
	shift
	IB exec "$id" sh -c "$1" </dev/null 3>&-
}

# Another value of a 0..2 knob than v (and than w, if given).
other_of() {
	local v=$1 w=${2:-} x
	for x in 0 1 2; do
		[[ $x != "$v" && $x != "$w" ]] && {
			echo "$x"
			return
		}
	done
}

sup_pid() { jq -r '.supervisor_pid' "$TEST_ROOT/$1/state.json"; }

# ---------------------------------------------------------------------------

@test "sysctl: container-local knobs: two containers each read their own value, the host never changes" {
	local a b
	a=$(new_id)
	b=$(new_id)
	start_ctr "$a"
	start_ctr "$b"
	local va vb
	va=$(other_of "$ORIG_LOCAL")
	vb=$(other_of "$ORIG_LOCAL" "$va")

	# before any write: the host's value
	run in_ctr "$a" "cat /proc/sys/$LOCAL_KNOB"
	assert_success
	[[ "$output" == "$ORIG_LOCAL" ]] || fail "unwritten: $output, host $ORIG_LOCAL"

	run in_ctr "$a" "echo $va > /proc/sys/$LOCAL_KNOB && echo 11 > /proc/sys/kernel/panic && echo 1 > /proc/sys/kernel/panic_on_oops && echo 1000000 > /proc/sys/kernel/keys/root_maxkeys"
	assert_success
	run in_ctr "$b" "echo $vb > /proc/sys/$LOCAL_KNOB && echo 22 > /proc/sys/kernel/panic"
	assert_success

	run in_ctr "$a" "cat /proc/sys/$LOCAL_KNOB /proc/sys/kernel/panic /proc/sys/kernel/keys/root_maxkeys"
	assert_success
	[[ "$output" == "$va"$'\n'11$'\n'1000000 ]] || fail "a reads: $output"
	run in_ctr "$b" "cat /proc/sys/$LOCAL_KNOB /proc/sys/kernel/panic"
	assert_success
	[[ "$output" == "$vb"$'\n'22 ]] || fail "b reads: $output"

	# the kernel was never changed
	[[ "$(cat /proc/sys/$LOCAL_KNOB)" == "$ORIG_LOCAL" ]] || fail "host $LOCAL_KNOB changed"
	[[ "$(cat /proc/sys/kernel/panic)" == "$ORIG_PANIC" ]] || fail "host kernel.panic changed"

	IB delete -f "$a"
	IB delete -f "$b"
	[[ "$(cat /proc/sys/$LOCAL_KNOB)" == "$ORIG_LOCAL" ]]
	[[ "$(cat /proc/sys/kernel/panic)" == "$ORIG_PANIC" ]]
}

@test "sysctl: what kubelet and systemd write at start is accepted (no permission denied)" {
	local a
	a=$(new_id)
	start_ctr "$a"
	# kubelet's defaults, systemd's 50-default.conf and PID 1 bumps
	run in_ctr "$a" '
		set -e
		echo 1 > /proc/sys/vm/overcommit_memory
		echo 0 > /proc/sys/vm/panic_on_oom
		echo 10 > /proc/sys/kernel/panic
		echo 1 > /proc/sys/kernel/panic_on_oops
		echo 1000000 > /proc/sys/kernel/keys/root_maxkeys
		echo 25000000 > /proc/sys/kernel/keys/root_maxbytes
		if [ -e /proc/sys/kernel/sysrq ]; then echo 16 > /proc/sys/kernel/sysrq; fi
		echo 1 > /proc/sys/fs/protected_regular
		echo 1 > /proc/sys/fs/protected_fifos
		echo "4 4 1 7" > /proc/sys/kernel/printk
		cat /proc/sys/fs/inotify/max_user_instances > /proc/sys/fs/inotify/max_user_instances
		cat /proc/sys/fs/nr_open > /proc/sys/fs/nr_open
		echo ok'
	assert_success
	assert_output_contains ok
}

@test "sysctl: max-reconciled knob: two containers read their own, the host holds the max and goes back down as they go" {
	local a b
	a=$(new_id)
	b=$(new_id)
	start_ctr "$a"
	start_ctr "$b"
	local va=$((ORIG_MAX + 1000)) vb=$((ORIG_MAX + 2000))

	# before any write: the host's value
	run in_ctr "$a" "cat /proc/sys/$MAX_KNOB"
	[[ "$output" == "$ORIG_MAX" ]] || fail "unwritten: $output"

	run in_ctr "$a" "echo $va > /proc/sys/$MAX_KNOB"
	assert_success
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$va" ]] || fail "host: $(cat /proc/sys/$MAX_KNOB), want $va"
	run in_ctr "$b" "echo $vb > /proc/sys/$MAX_KNOB"
	assert_success
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$vb" ]] || fail "host: $(cat /proc/sys/$MAX_KNOB), want $vb"

	run in_ctr "$a" "cat /proc/sys/$MAX_KNOB"
	[[ "$output" == "$va" ]] || fail "a reads $output"
	run in_ctr "$b" "cat /proc/sys/$MAX_KNOB"
	[[ "$output" == "$vb" ]] || fail "b reads $output"

	# a value below the host's never lowers it
	run in_ctr "$a" "echo 1 > /proc/sys/$MAX_KNOB2 && cat /proc/sys/$MAX_KNOB2"
	assert_success
	[[ "$output" == 1 ]]
	[[ "$(cat /proc/sys/$MAX_KNOB2)" == "$ORIG_MAX2" ]]

	# the higher one goes: the host follows the other
	IB delete -f "$b"
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$va" ]] || fail "after b: $(cat /proc/sys/$MAX_KNOB), want $va"
	IB delete -f "$a"
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]] || fail "after both: $(cat /proc/sys/$MAX_KNOB), want $ORIG_MAX"
	[[ "$(cat /proc/sys/$MAX_KNOB2)" == "$ORIG_MAX2" ]]
	[[ ! -e /run/ironbox/sysctl.json ]] || ! grep -q "$TEST_ROOT/$a" /run/ironbox/sysctl.json
}

@test "sysctl: max-reconciled knob: a container that stops gives its value back (its supervisor exits)" {
	local a
	a=$(new_id)
	start_ctr "$a"
	run in_ctr "$a" "echo $((ORIG_MAX + 3000)) > /proc/sys/$MAX_KNOB"
	assert_success
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$((ORIG_MAX + 3000))" ]]
	IB kill "$a" KILL
	wait_for_state "$a" stopped
	retry 20 0.2 test "$(cat /proc/sys/$MAX_KNOB)" = "$ORIG_MAX"
}

@test "sysctl: killed supervisor: the host value is restored at delete" {
	local a sp
	a=$(new_id)
	start_ctr "$a"
	run in_ctr "$a" "echo $((ORIG_MAX + 4000)) > /proc/sys/$MAX_KNOB"
	assert_success
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$((ORIG_MAX + 4000))" ]]
	sp=$(sup_pid "$a")
	[[ "$sp" =~ ^[0-9]+$ && "$sp" -gt 1 ]]
	kill -KILL "$sp"
	retry 20 0.2 bash -c "! kill -0 $sp 2>/dev/null"
	# Its entry is stale now: the next reconcile by anyone drops it (so the
	# host may be back already), delete does at the latest.
	IB delete -f "$a"
	[[ ! -e /run/ironbox/sysctl.json ]] || ! grep -q "$TEST_ROOT/$a" /run/ironbox/sysctl.json
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]] || fail "after delete: $(cat /proc/sys/$MAX_KNOB), want $ORIG_MAX"
}

@test "sysctl: values are validated like the kernel (EINVAL), nothing changes" {
	local a
	a=$(new_id)
	start_ctr "$a"
	run in_ctr "$a" "echo 1 > /proc/sys/vm/overcommit_memory; echo 5 > /proc/sys/vm/overcommit_memory; echo rc=\$?; echo garbage > /proc/sys/vm/overcommit_memory; echo rc=\$?; echo -1 > /proc/sys/$MAX_KNOB; echo rc=\$?; echo 12abc > /proc/sys/$MAX_KNOB; echo rc=\$?; cat /proc/sys/vm/overcommit_memory /proc/sys/$MAX_KNOB"
	echo "$output"
	assert_output_contains "Invalid argument"
	[[ "$(grep -c 'rc=1' <<<"$output")" == 4 ]]
	[[ "${lines[-2]}" == 1 ]]
	[[ "${lines[-1]}" == "$ORIG_MAX" ]]
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
}

@test "sysctl: only the container's root may write; other users read" {
	local a
	a=$(new_id)
	start_ctr "$a"
	run IB exec --user 1000:1000 "$a" sh -c "cat /proc/sys/vm/overcommit_memory; echo 1 > /proc/sys/vm/overcommit_memory; echo rc=\$?; echo $((ORIG_MAX + 5000)) > /proc/sys/$MAX_KNOB; echo rc=\$?" </dev/null 3>&-
	echo "$output"
	[[ "${lines[0]}" == "$ORIG_LOCAL" ]]
	assert_output_contains "Permission denied"
	[[ "$(grep -c 'rc=1' <<<"$output")" == 2 ]]
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
	# negative control: the container's root may
	run in_ctr "$a" "echo $((ORIG_MAX + 5000)) > /proc/sys/$MAX_KNOB"
	assert_success
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$((ORIG_MAX + 5000))" ]]
}

@test "sysctl: a non-listed non-namespaced knob is still refused, the host unchanged" {
	local a before
	a=$(new_id)
	start_ctr "$a"
	before=$(cat /proc/sys/vm/swappiness)
	run in_ctr "$a" "echo $((before == 10 ? 11 : 10)) > /proc/sys/vm/swappiness"
	assert_failure
	assert_output_contains "Permission denied"
	run in_ctr "$a" "echo 1 > /proc/sys/kernel/sysrq_nonexistent_knob; echo 1 > /proc/sys/vm/drop_caches"
	assert_failure
	[[ "$(cat /proc/sys/vm/swappiness)" == "$before" ]]
	# the listed ones are the supervisor's files, the others the kernel's
	run in_ctr "$a" "grep ' /proc/sys/' /proc/self/mountinfo"
	assert_output_contains "/proc/sys/vm/overcommit_memory"
	assert_output_not_contains "/proc/sys/vm/swappiness"
	assert_output_not_contains "/proc/sys/net/ipv4"
	assert_output_not_contains "/proc/sys/kernel/hostname"
}

@test "sysctl: namespaced knobs stay the kernel's, per container (net.ipv4.ip_forward, kernel.hostname)" {
	local a b host_fwd host_name fa fb
	a=$(new_id)
	b=$(new_id)
	start_ctr "$a"
	start_ctr "$b"
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_name=$(cat /proc/sys/kernel/hostname)
	fa=$(in_ctr "$a" "cat /proc/sys/net/ipv4/ip_forward")
	fb=$(in_ctr "$b" "cat /proc/sys/net/ipv4/ip_forward")
	# kernel.hostname: the uts namespace's (the kernel lets only the
	# host's root write the file; sethostname is the container's way)
	run in_ctr "$a" "echo $((1 - fa)) > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward && hostname renamed-a && cat /proc/sys/kernel/hostname"
	assert_success
	[[ "${lines[0]}" == "$((1 - fa))" && "${lines[1]}" == renamed-a ]] || fail "$output"
	# not seen by the other container nor the host
	run in_ctr "$b" "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/hostname"
	[[ "${lines[0]}" == "$fb" && "${lines[1]}" == "$b" ]] || fail "b: $output"
	[[ "$(cat /proc/sys/net/ipv4/ip_forward)" == "$host_fwd" ]]
	[[ "$(cat /proc/sys/kernel/hostname)" == "$host_name" ]]
	# both are the kernel's files, not the supervisor's
	run in_ctr "$a" "grep -E ' /proc/sys/(net/ipv4/ip_forward|kernel/hostname) ' /proc/self/mountinfo"
	assert_failure
}

@test "sysctl: /proc/sys read-only in the spec (non-privileged Docker): the knobs stay read-only, as with runc" {
	local a
	a=$(new_id)
	start_ctr "$a" ro
	run in_ctr "$a" "cat /proc/sys/$MAX_KNOB; echo 1 > /proc/sys/vm/overcommit_memory; echo rc=\$?; echo $((ORIG_MAX + 6000)) > /proc/sys/$MAX_KNOB; echo rc=\$?"
	echo "$output"
	[[ "${lines[0]}" == "$ORIG_MAX" ]]
	assert_output_contains "Read-only file system"
	[[ "$(grep -c 'rc=1' <<<"$output")" == 2 ]]
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
	[[ "$(cat /proc/sys/vm/overcommit_memory)" == "$ORIG_LOCAL" ]]
}

# A privileged container (every capability, no seccomp profile) under a
# read-only /proc/sys, trying to make a knob writable: a remount, a
# mount_setattr of the knob and of /proc/sys, a bind of the knob made
# read-write, a fresh proc (its covers), a nested mount namespace. The
# knobs there are clones of the runtime's read-only view of the emulated
# files (kernel-locked read-only in the container's namespace) and the
# supervisor refuses the write anyway. Control: without the read-only
# /proc/sys the same writes reach the container's value.
KNOB_ESCAPES='
	k=/proc/sys/$0; v=$1
	echo $v > $k; echo "write=$?"
	echo "remount-rw: $(ibmount mount - $k - 0x1020 -)"
	echo "setattr-rw: $(ibmount setattr $k 0 1)"
	echo "setattr-rw-sys: $(ibmount setattr /proc/sys 0 1 1)"
	touch /tmp/f && mount --bind $k /tmp/f && echo "bind-setattr-rw: $(ibmount setattr /tmp/f 0 1)"
	echo $v > /tmp/f; echo "write-bind=$?"
	mkdir -p /tmp/p && mount -t proc proc /tmp/p && echo "proc=0"
	echo "newproc-setattr-rw: $(ibmount setattr /tmp/p/sys/$0 0 1)"
	echo $v > /tmp/p/sys/$0; echo "write-newproc=$?"
	unshare -m sh -c "mount -o remount,bind,rw $k; echo $v > $k; echo nested-write=\$?"
	echo "value=$(cat $k)"'

@test "sysctl: a privileged container under a read-only /proc/sys cannot make a knob writable (remount, mount_setattr, a bind, a fresh proc, unshare -m); control: it writes without it" {
	local a b v
	v=$((ORIG_MAX + 5000))
	a=$(new_id)
	setup_bundle "b-$a" sleep 3600
	local caps
	caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] | unique' "$BUNDLE/config.json")
	bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp) | .linux.readonlyPaths = ["/proc/sys"]' --argjson c "$caps"
	install_helper "$BUNDLE" ibmount
	ib_run_detached "$a" "$BUNDLE"
	run IB exec "$a" sh -c "$KNOB_ESCAPES" "$MAX_KNOB" "$v" </dev/null 3>&-
	echo "$output"
	assert_output_contains "proc=0"
	grep -qE "^write=[1-9]" <<<"$output"
	grep -qE "^write-bind=[1-9]" <<<"$output"
	grep -qE "^write-newproc=[1-9]" <<<"$output"
	grep -qE "^nested-write=[1-9]" <<<"$output"
	assert_output_contains "remount-rw: ERR"
	assert_output_contains "setattr-rw: ERR"
	assert_output_contains "setattr-rw-sys: ERR"
	assert_output_contains "bind-setattr-rw: ERR"
	assert_output_contains "newproc-setattr-rw: ERR"
	assert_output_contains "value=$ORIG_MAX"
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
	IB delete -f "$a"
	# Control: the same container without the read-only /proc/sys.
	b=$(new_id b)
	bundle_jq "$BUNDLE" '.linux.readonlyPaths = []'
	ib_run_detached "$b" "$BUNDLE"
	run IB exec "$b" sh -c "$KNOB_ESCAPES" "$MAX_KNOB" "$v" </dev/null 3>&-
	echo "$output"
	assert_output_contains "write=0"
	assert_output_contains "write-newproc=0"
	assert_output_contains "value=$v"
	IB delete -f "$b"
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
}

@test "sysctl: a read-only /proc mount in the spec: the knobs are read-only too" {
	local a
	a=$(new_id)
	setup_bundle "b-$a" sh -c "cat /proc/sys/vm/overcommit_memory; echo 1 > /proc/sys/vm/overcommit_memory; echo rc=\$?; echo $((ORIG_MAX + 7000)) > /proc/sys/$MAX_KNOB; echo rc=\$?"
	bundle_jq "$BUNDLE" '.linux.maskedPaths = [] | .linux.readonlyPaths = [] | (.mounts[] | select(.destination == "/proc") | .options) += ["ro"]'
	run IB run --bundle "$BUNDLE" "$a" </dev/null 3>&-
	echo "$output"
	[[ "${lines[0]}" == "$ORIG_LOCAL" ]]
	assert_output_contains "Read-only file system"
	[[ "$(grep -c 'rc=1' <<<"$output")" == 2 ]]
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]]
}

@test "sysctl: a spec's sysctl on a virtualised knob sets the container's value" {
	local a
	a=$(new_id)
	setup_bundle "b-$a" sh -c "cat /proc/sys/kernel/panic"
	bundle_jq "$BUNDLE" '.linux.maskedPaths = [] | .linux.readonlyPaths = [] | .linux.sysctl = {"kernel.panic": "33"}'
	run IB run --bundle "$BUNDLE" "$a" </dev/null 3>&-
	assert_success
	[[ "$output" == 33 ]]
	[[ "$(cat /proc/sys/kernel/panic)" == "$ORIG_PANIC" ]]
}

# ---------------------------------------------------------------------------
# The admin's ceilings of the max-reconciled knobs (policy "sysctlMaximums")

@test "sysctl ceiling: a --privileged container cannot raise the host above the admin's ceiling (EPERM, audited); under it works and is reconciled" {
	local a pol ceil under fm_ceil=4194304
	ceil=$((ORIG_MMC + 100000))
	under=$((ORIG_MMC + 50000))
	a=$(new_id)
	pol=$(ceiling_policy --argjson c "$ceil" '.sysctlMaximums["vm.max_map_count"] = $c')
	start_ctr "$a" priv "$pol"

	# above the ceiling: refused, the host and the container's own view unchanged
	run in_ctr "$a" "echo 2000000000 > /proc/sys/$MMC; echo rc=\$?; cat /proc/sys/$MMC"
	echo "$output"
	assert_output_contains "Operation not permitted"
	assert_output_contains "rc=1"
	[[ "${lines[-1]}" == "$ORIG_MMC" ]] || fail "container reads ${lines[-1]}"
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]] || fail "host: $(cat /proc/sys/$MMC)"

	# under it: the container's value, reconciled onto the host
	run in_ctr "$a" "echo $under > /proc/sys/$MMC && cat /proc/sys/$MMC"
	assert_success
	[[ "$output" == "$under" ]]
	[[ "$(cat /proc/sys/$MMC)" == "$under" ]] || fail "host: $(cat /proc/sys/$MMC), want $under"
	# one above it from the holder: its value and the host stay; at it: taken
	run in_ctr "$a" "echo $((ceil + 1)) > /proc/sys/$MMC; echo rc=\$?; cat /proc/sys/$MMC"
	echo "$output"
	assert_output_contains "rc=1"
	[[ "${lines[-1]}" == "$under" ]]
	[[ "$(cat /proc/sys/$MMC)" == "$under" ]]
	run in_ctr "$a" "echo $ceil > /proc/sys/$MMC && cat /proc/sys/$MMC"
	assert_success
	[[ "$(cat /proc/sys/$MMC)" == "$ceil" ]]

	# fs.file-max (default ceiling): refused where it would raise the host;
	# a value the host has already (systemd hosts: LONG_MAX) raises nothing
	# and is accepted
	if ((ORIG_MAX2 <= fm_ceil)); then
		run in_ctr "$a" "echo $((fm_ceil + 1)) > /proc/sys/$MAX_KNOB2; echo rc=\$?"
		assert_output_contains "Operation not permitted"
	else
		run in_ctr "$a" "echo $ORIG_MAX2 > /proc/sys/$MAX_KNOB2 && cat /proc/sys/$MAX_KNOB2"
		assert_success
		[[ "$output" == "$ORIG_MAX2" ]]
	fi
	[[ "$(cat /proc/sys/$MAX_KNOB2)" == "$ORIG_MAX2" ]]

	# every refusal is one audit line (rule "sysctl"), counted as denied
	run IB audit "$a"
	assert_success
	echo "$output"
	jq -se --arg id "$a" '[.[] | select(.rule == "sysctl" and .target == "/proc/sys/vm/max_map_count")] | length == 2 and all(.errno == "EPERM" and .id == $id and .syscall == "write" and .pid > 0 and (.reason | contains("sysctlMaximums")))' <<<"$output"
	jq -se 'any(.args.value == 2000000000 and .args.path == "/proc/sys/vm/max_map_count")' <<<"$output"
	[[ "$(IB audit --stats "$a" | jq -r .denied)" -ge 2 ]]

	# gone with the container: the host's original
	IB delete -f "$a"
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]] || fail "after delete: $(cat /proc/sys/$MMC), want $ORIG_MMC"
	[[ ! -e /run/ironbox/sysctl.json ]] || ! grep -q "$TEST_ROOT/$a" /run/ironbox/sysctl.json
}

@test "sysctl ceiling: negative control: with the ceiling lifted the same write raises the host (restored at delete); without the key the built-in default applies" {
	local a b pol big=$((ORIG_MMC + 2000000))
	a=$(new_id)
	b=$(new_id)
	((big > 1048576)) # above the built-in default ceiling
	# no sysctlMaximums at all: the built-in default (1048576) refuses it
	pol=$(ceiling_policy 'del(.sysctlMaximums)')
	start_ctr "$a" priv "$pol"
	run in_ctr "$a" "echo $big > /proc/sys/$MMC; echo rc=\$?; echo 262144 > /proc/sys/$MMC && echo ok262144"
	echo "$output"
	assert_output_contains "Operation not permitted"
	assert_output_contains "ok262144" # what Elasticsearch asks for
	[[ "$(cat /proc/sys/$MMC)" == "$((ORIG_MMC > 262144 ? ORIG_MMC : 262144))" ]]
	IB delete -f "$a"
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]]

	# the ceiling lifted to the kernel's maximum: the attack goes through
	pol=$(ceiling_policy '.sysctlMaximums["vm.max_map_count"] = 2147483647')
	start_ctr "$b" priv "$pol"
	run in_ctr "$b" "echo $big > /proc/sys/$MMC && cat /proc/sys/$MMC"
	assert_success
	[[ "$output" == "$big" ]]
	[[ "$(cat /proc/sys/$MMC)" == "$big" ]] || fail "host: $(cat /proc/sys/$MMC), want $big"
	IB delete -f "$b"
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]] || fail "after delete: $(cat /proc/sys/$MMC), want $ORIG_MMC"
}

@test "sysctl ceiling: a spec's linux.sysctl above the ceiling fails create, nothing left, the host unchanged" {
	local a b pol
	a=$(new_id)
	b=$(new_id ok)
	pol=$(ceiling_policy --argjson c "$((ORIG_MMC + 1000))" '.sysctlMaximums["vm.max_map_count"] = $c')
	setup_bundle "b-$a" cat /proc/sys/$MMC
	bundle_jq "$BUNDLE" '.linux.maskedPaths = [] | .linux.readonlyPaths = [] | .linux.sysctl = {"vm.max_map_count": $v}' --arg v "$((ORIG_MMC + 1001))"
	run "$IRONBOX" --root "$TEST_ROOT" --policy "$pol" run --bundle "$BUNDLE" "$a" </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "vm.max_map_count"
	assert_output_contains "Operation not permitted"
	IB delete -f "$a" >/dev/null 2>&1 || true
	assert_no_leftovers "$a"
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]]
	# control: at the ceiling it runs, with the container's value
	bundle_jq "$BUNDLE" '.linux.sysctl = {"vm.max_map_count": $v}' --arg v "$((ORIG_MMC + 1000))"
	run "$IRONBOX" --root "$TEST_ROOT" --policy "$pol" run --bundle "$BUNDLE" "$b" </dev/null 3>&-
	echo "$output"
	assert_success
	[[ "$output" == "$((ORIG_MMC + 1000))" ]]
	IB delete -f "$b" >/dev/null 2>&1 || true
	[[ "$(cat /proc/sys/$MMC)" == "$ORIG_MMC" ]]
}

@test "sysctl ceiling: a malformed sysctlMaximums refuses every create (fail closed)" {
	local a pol
	a=$(new_id)
	setup_bundle "b-$a" true
	for f in '.sysctlMaximums["vm.no_such_knob"] = 1' '.sysctlMaximums["vm.overcommit_memory"] = 1' \
		'.sysctlMaximums["vm.max_map_count"] = "262144"' '.sysctlMaximums["vm.max_map_count"] = -1' \
		'.sysctlMaximums = [1]'; do
		pol=$(ceiling_policy "$f")
		run "$IRONBOX" --root "$TEST_ROOT" --policy "$pol" run --bundle "$BUNDLE" "$a" </dev/null 3>&-
		echo "$f: $output"
		assert_failure
		assert_output_contains "sysctlMaximums"
		assert_no_leftovers "$a"
	done
}
