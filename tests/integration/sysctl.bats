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

load ../lib/common

LOCAL_KNOB=vm/overcommit_memory
MAX_KNOB=fs/inotify/max_user_watches
MAX_KNOB2=fs/file-max

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
}

teardown() {
	common_teardown
	# A failing test must not leave the host raised.
	# (fs.file-max is only ever written below the host's value here.)
	[[ "$(cat /proc/sys/$MAX_KNOB)" == "$ORIG_MAX" ]] || echo "$ORIG_MAX" >/proc/sys/$MAX_KNOB
	[[ -z "${SYSCTL_LOCK:-}" ]] || exec {SYSCTL_LOCK}>&-
}

# A long-running container: privileged (no masked or read-only paths, like
# docker --privileged) unless $2 is "ro" (the default spec: /proc/sys
# read-only, like a non-privileged Docker container).
start_ctr() {
	local id=$1 mode=${2:-priv}
	setup_bundle "b-$id" sleep 3600
	if [[ $mode == priv ]]; then
		local caps
		caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] | unique' "$BUNDLE/config.json")
		bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []' --argjson c "$caps"
	fi
	bundle_jq "$BUNDLE" '.hostname = $h' --arg h "$id"
	ib_run_detached "$id" "$BUNDLE"
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
