#!/usr/bin/env bats
# cgroups as an attack surface, and runc compatibility of the cgroup code:
# linux.resources.unified and cgroupsPath cannot reach host processes or
# cgroups the runtime did not create; frozen and hidden hierarchies; update.
# Negative controls run the same config under runc 1.1 where that shows the
# attack working there.

load ../lib/common

setup_file() {
	mkdir -p "$TEST_ROOT"
}

teardown_file() {
	common_teardown_file
}

setup() {
	require_runtime
	skip_unless_ironbox
	common_setup
	HOST_PIDS=()
	TEST_CGS=()
	RUNC_ROOT="$TEST_ROOT-runc"
}

teardown() {
	local p c
	_ib_safe _runc_cleanup
	common_teardown
	if [[ -n "${RA_NAME:-}" ]]; then
		_ib_safe ra_hierarchy_remove "$RA_NAME"
		rmdir "/tmp/$RA_NAME/ibtra" "/tmp/$RA_NAME" 2>/dev/null
	fi
	for p in "${HOST_PIDS[@]+"${HOST_PIDS[@]}"}"; do
		kill -KILL "$p" 2>/dev/null
	done
	sleep 0.1
	for c in "${TEST_CGS[@]+"${TEST_CGS[@]}"}"; do
		_ib_safe cg_thaw "$c"
		_ib_safe cg_remove "$c"
	done
	return 0
}

_runc_cleanup() {
	local id
	[[ -d "$RUNC_ROOT" ]] || return 0
	for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
		runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 </dev/null 3>&-
	done
	rm -rf "${RUNC_ROOT:?}"
}

RUNC() { runc --root "$RUNC_ROOT" "$@"; }

# Every writable cgroup hierarchy mounted here (v1 and v2).
cg_mounts() {
	awk '($9 == "cgroup" || $9 == "cgroup2") && $6 ~ /^rw/ { print $5 }' /proc/self/mountinfo
}

# A host process we own: `sleep`, in the background, remembered for teardown.
start_host_sleep() {
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	HOST_SLEEP=$!
	HOST_PIDS+=("$HOST_SLEEP")
}

# cg_make REL : the cgroup REL (one level below a hierarchy root, a name
# starting with ibt-) in every hierarchy, cpuset values copied so that
# processes can join; removed in teardown.
cg_make() {
	local rel=$1 m d f
	[[ "$rel" =~ ^/ibt-[^/]+$ ]] || return 1
	TEST_CGS+=("$rel")
	for m in $(cg_mounts); do
		d="$m$rel"
		mkdir -p "$d"
		for f in cpuset.cpus cpuset.mems; do
			if [[ -f "$d/$f" && -z "$(tr -d '[:space:]' <"$d/$f")" ]]; then
				cat "$m/$f" >"$d/$f"
			fi
		done
	done
}

# cg_put PID REL : move PID into REL in every hierarchy (what root can do).
cg_put() {
	local m
	for m in $(cg_mounts); do
		echo "$1" >"$m$2/cgroup.procs"
	done
}

# cg_remove REL : rmdir REL (sub-cgroups first) wherever it exists.
cg_remove() {
	local m
	[[ "$1" =~ ^/ibt-[^/]+$ ]] || return 0
	for m in $(cg_mounts); do
		if [[ -d "$m$1" ]]; then
			find "$m$1" -depth -type d -exec rmdir {} \; 2>/dev/null
		fi
	done
	return 0
}

cg_thaw() {
	local m
	[[ "$1" =~ ^/ibt-[^/]+$ ]] || return 0
	for m in $(cg_mounts); do
		if [[ -f "$m$1/freezer.state" ]]; then echo THAWED >"$m$1/freezer.state"; fi
		if [[ -f "$m$1/cgroup.freeze" ]]; then echo 0 >"$m$1/cgroup.freeze"; fi
	done
	return 0
}

# cg_exists_anywhere REL : REL is a directory in some hierarchy.
cg_exists_anywhere() {
	local m
	for m in $(cg_mounts); do
		[[ -d "$m$1" ]] && return 0
	done
	return 1
}

# The v2 ("0::") and pids cgroup of PID, one line.
cg_line() {
	grep -E '^(0::|[0-9]+:pids:)' "/proc/$1/cgroup" | sort | tr '\n' ' '
}

# run --detach with stdio on a file (a detached container must not hold bats'
# pipes); sets $status and $output like `run`.
run_detached() {
	local id=$1 f="$BATS_TEST_TMPDIR/run-$1.log"
	shift
	status=0
	IB run --detach --bundle "$BUNDLE" "$@" "$id" </dev/null >"$f" 2>&1 3>&- || status=$?
	output=$(cat "$f")
}

gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"
}

ALL_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"]'

# priv_bundle ARGS... : like Docker's --privileged: every capability, no
# seccomp, /sys and the cgroup file system mounted read-write; limits
# (memory 256M, pids 64, cpu quota 50ms/100ms) the container must not raise.
priv_bundle() {
	setup_bundle b "$@"
	bundle_jq "$BUNDLE" '
		.process.capabilities = {bounding: $c, effective: $c, permitted: $c}
		| .process.noNewPrivileges = false | del(.linux.seccomp)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys" or .type == "cgroup" then .options = (.options - ["ro"] + ["rw"]) else . end)
		| .linux.resources.memory = {limit: 268435456}
		| .linux.resources.pids = {limit: 64}
		| .linux.resources.cpu = {quota: 50000, period: 100000}' --argjson c "$ALL_CAPS"
}

# The host directory of container ID's cgroup in hierarchy NAME
# (pids, memory, ..., unified).
host_cg() {
	echo "/sys/fs/cgroup/$1/$2"
}

# ---------------------------------------------------------------------------
# linux.resources.unified

@test "unified cgroup.procs cannot move a host process into the container (runc: it does)" {
	local id before
	start_host_sleep
	before=$(cg_line "$HOST_SLEEP")
	setup_bundle b sleep 100
	bundle_jq "$BUNDLE" '.linux.resources.unified = {"cgroup.procs": $p}' --arg p "$HOST_SLEEP"
	id=$(new_id)
	run_detached "$id"
	assert_failure
	assert_output_contains "cgroup v2 control file \`cgroup.procs\` can't be set"
	[[ "$(cg_line "$HOST_SLEEP")" == "$before" ]]
	assert_no_leftovers "$id"
	IB delete --force "$id" >/dev/null 2>&1 || true
	pid_alive "$HOST_SLEEP"

	# Negative control: runc 1.1 writes the key as host root. It needs a
	# pure v2 layout: cgroup2 on /sys/fs/cgroup in a private mount namespace.
	command -v runc >/dev/null || skip "runc not installed for the control"
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = $c | .process.args = ["true"]' --arg c "/ibt-runc-$$"
	TEST_CGS+=("/ibt-runc-$$")
	mkdir -p "$RUNC_ROOT"
	unshare -m --propagation private sh -c \
		'mount -t cgroup2 none /sys/fs/cgroup && runc --root "$1" run --bundle "$2" "$3"' \
		sh "$RUNC_ROOT" "$BUNDLE" "rc-$id" </dev/null >/dev/null 2>&1 3>&- || true
	grep -q "^0::/ibt-runc-$$\$" "/proc/$HOST_SLEEP/cgroup"
}

@test "unified: threads, subtree_control, freeze, kill and path tricks are refused, nothing is left" {
	local id k v rel want
	start_host_sleep
	setup_bundle b sleep 100
	# key=value pairs the kernel would take (the old runtime wrote them:
	# cgroup.freeze=1 hung the create, cgroup.kill=1 killed it)
	for kv in "cgroup.threads=$HOST_SLEEP" cgroup.subtree_control=+pids cgroup.freeze=1 \
		cgroup.kill=1 cgroup.type=threaded "../cgroup.procs=$HOST_SLEEP" \
		"memory.max/../../cgroup.procs=$HOST_SLEEP" a/b.max=1 tasks=1 release_agent=/x \
		devices.allow=a; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		cgroup.*) want="cgroup v2 control file \`$k\` can't be set" ;;
		*/*) want="invalid cgroup v2 key \`$k\`" ;;
		*) want="cgroup v2 key \`$k\` is not allowed" ;;
		esac
		id=$(new_id u)
		rel="/ibt-u-$$-$RANDOM"
		bundle_jq "$BUNDLE" '.linux.cgroupsPath = ($r + "/leaf") | .linux.resources.unified = {($k): $v}' \
			--arg r "$rel" --arg k "$k" --arg v "$v"
		status=0
		timeout 60 "$IRONBOX" --root "$TEST_ROOT" run --detach --bundle "$BUNDLE" "$id" \
			</dev/null >"$BATS_TEST_TMPDIR/u.log" 2>&1 3>&- || status=$?
		output=$(cat "$BATS_TEST_TMPDIR/u.log")
		assert_failure
		assert_output_contains "$want"
		assert_no_leftovers "$id"
		# no directory in any hierarchy, not even the parent it would make
		! cg_exists_anywhere "$rel"
	done
	pid_alive "$HOST_SLEEP"
}

@test "unified: a failing write of an allowed key removes every cgroup it created" {
	local id rel="/ibt-v-$$"
	TEST_CGS+=("$rel")
	setup_bundle b sleep 100
	id=$(new_id)
	# Refused either way: the file is missing (controller on v1) or the
	# value is bad.
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = ($r + "/a/b") | .linux.resources.unified = {"pids.max": "not-a-number"}' --arg r "$rel"
	run_detached "$id"
	assert_failure
	assert_no_leftovers "$id"
	! cg_exists_anywhere "$rel"
}

# ---------------------------------------------------------------------------
# cgroupsPath

@test "cgroupsPath with .. is refused" {
	local id p
	setup_bundle b sleep 100
	for p in "/ibt-a/../ibt-b" "../../x" "/a/.."; do
		id=$(new_id)
		bundle_jq "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "$p"
		run_detached "$id"
		assert_failure
		assert_output_contains 'must not contain'
		assert_no_leftovers "$id"
	done
}

@test "cgroupsPath of a populated host cgroup is refused, its process untouched (runc: joined, killed)" {
	local id rel="/ibt-pop-$$"
	start_host_sleep
	cg_make "$rel"
	cg_put "$HOST_SLEEP" "$rel"
	setup_bundle b sleep 100
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = $r' --arg r "$rel"
	id=$(new_id)
	run_detached "$id"
	assert_failure
	assert_output_contains "already has processes"
	assert_no_leftovers "$id"
	pid_alive "$HOST_SLEEP"
	grep -q "pids:$rel\$" "/proc/$HOST_SLEEP/cgroup"
	# Negative control: runc 1.1 only warns, joins, and kill --all hits
	# the host process.
	command -v runc >/dev/null || skip "runc not installed for the control"
	mkdir -p "$RUNC_ROOT"
	RUNC run --detach --bundle "$BUNDLE" "rc-$id" </dev/null >/dev/null 2>&1 3>&-
	RUNC kill --all "rc-$id" KILL
	retry 100 0.05 gone "$HOST_SLEEP"
}

@test "an empty existing cgroup is joined: kill --all and delete spare processes the runtime did not put there, the cgroup stays" {
	local id pid epid rel="/ibt-join-$$" m
	cg_make "$rel"
	setup_bundle b sleep 100
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = $r' --arg r "$rel"
	id=$(new_id)
	run_detached "$id"
	assert_success
	pid=$(pid_of "$id")
	[[ "$pid" -gt 0 ]]
	grep -q "pids:$rel\$" "/proc/$pid/cgroup"
	# Root puts a host process there afterwards (e.g. a restarted service).
	start_host_sleep
	cg_put "$HOST_SLEEP" "$rel"
	IB exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$id" sleep 100 </dev/null >/dev/null 2>&1 3>&-
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	pid_alive "$epid"
	IB kill --all "$id" KILL
	# the container's processes are gone, the host's is not
	retry 100 0.05 gone "$pid"
	retry 100 0.05 gone "$epid"
	pid_alive "$HOST_SLEEP"
	IB delete --force "$id"
	pid_alive "$HOST_SLEEP"
	for m in $(cg_mounts); do [[ -d "$m$rel" ]]; done
	# Negative control: runc's kill --all hits the host process.
	command -v runc >/dev/null || skip "runc not installed for the control"
	kill -KILL "$HOST_SLEEP"
	retry 100 0.05 gone "$HOST_SLEEP"
	start_host_sleep
	mkdir -p "$RUNC_ROOT"
	RUNC run --detach --bundle "$BUNDLE" "rc-$id" </dev/null >/dev/null 2>&1 3>&-
	cg_put "$HOST_SLEEP" "$rel"
	RUNC kill --all "rc-$id" KILL
	retry 100 0.05 gone "$HOST_SLEEP"
}

@test "a pod: a second container joins the live first one's cgroup; deleting it spares the first" {
	local a b pa pb rel="/ibt-pod-$$"
	TEST_CGS+=("$rel")
	setup_bundle b sleep 100
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = $r' --arg r "$rel"
	a=$(new_id a)
	b=$(new_id b)
	run_detached "$a"
	assert_success
	run_detached "$b"
	assert_success
	pa=$(pid_of "$a")
	pb=$(pid_of "$b")
	[[ "$pa" -gt 0 && "$pb" -gt 0 ]]
	grep -q "pids:$rel\$" "/proc/$pb/cgroup"
	IB kill --all "$b" KILL
	retry 100 0.05 gone "$pb"
	pid_alive "$pa"
	IB delete --force "$b"
	pid_alive "$pa"
	[[ "$(state_of "$a")" == running ]]
	# The owner removes the cgroup.
	IB delete --force "$a"
	! cg_exists_anywhere "$rel"
}

# The init's first stage is in the container's cgroups while it clones the
# init: in the pids one too, the init's birth would count twice (pids.max 1
# refused it; runc and crun run such a container). The limit still holds.
@test "pids limit 1: the container runs (its init counts once, like runc and crun) and cannot fork" {
	local id
	setup_bundle b sh -c 'echo started; /bin/true & wait; echo "fork: $?"'
	bundle_jq "$BUNDLE" '.linux.resources.pids = {limit: 1}'
	id=$(new_id)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	# The shell's own status (its fork refused), not the runtime's error.
	assert_output_contains started
	assert_output_contains "can't fork"
	[[ "$output" != *level=error* ]]
	assert_no_leftovers "$id"
	# Control: the same bundle under runc.
	id=$(new_id)
	run RUNC run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	assert_output_contains started
}

@test "delete removes sub-cgroups made inside the container's own cgroup, bottom-up" {
	local id m n=0
	setup_bundle b sleep 100
	id=$(new_id)
	run_detached "$id"
	assert_success
	for m in $(cg_mounts); do
		if [[ -d "$m/$id" ]]; then
			mkdir -p "$m/$id/sub/subsub"
			n=$((n + 1))
		fi
	done
	[[ $n -gt 0 ]]
	IB delete --force "$id"
	assert_no_leftovers "$id"
}

# delete skips the freezer when the cgroup is empty (the usual case: the
# init's pid namespace took every process with it). A process that outlives
# the init (a pid namespace shared with another container) keeps the cgroup
# populated: delete still freezes and kills it.
@test "delete of a stopped container kills what outlived its init in its cgroup (shared pid namespace)" {
	local a b pa bg="" m i
	setup_bundle a sleep 1000
	a=$(new_id a)
	run_detached "$a"
	assert_success
	pa=$(pid_of "$a")
	setup_bundle b sh -c 'sleep 1000 & exit 0'
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$pa/ns/pid"
	b=$(new_id b)
	ib_create "$b" "$BUNDLE"
	IB start "$b" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 100); do
		[[ "$(state_of "$b")" == stopped ]] && break
		sleep 0.05
	done
	[[ "$(state_of "$b")" == stopped ]]
	for m in $(cg_mounts); do
		# (cgroup files have size 0: read them)
		bg=$(head -1 "$m/$b/cgroup.procs" 2>/dev/null)
		[[ -z "$bg" ]] || break
	done
	[[ -n "$bg" ]] || fail "nothing outlived the init in the cgroup"
	pid_alive "$bg"
	IB delete "$b"
	retry 100 0.05 gone "$bg"
	assert_no_leftovers "$b"
	pid_alive "$pa"
	IB delete --force "$a"
	assert_no_leftovers "$a"
}

# ---------------------------------------------------------------------------
# Delegation of the container's own cgroup (v1 and hybrid here; v2 below in
# a private mount namespace with a v2-only view)

@test "delegated (cgroupfs rw, like --privileged): own cgroup owned by root inside, limit files not; sub-cgroups with limits that hold" {
	local id
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	priv_bundle sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	# ls -ln: "<owner> <name>" of the delegated files and some limits
	run IB exec "$id" sh -c '
		cd /sys/fs/cgroup
		for f in pids pids/cgroup.procs pids/tasks pids/cgroup.clone_children pids/notify_on_release \
			memory memory/cgroup.procs unified unified/cgroup.procs unified/cgroup.subtree_control \
			unified/cgroup.threads; do
			echo "$(stat -c %u "$f") $f"
		done
		for f in pids/pids.max memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us freezer/freezer.state \
			unified/cgroup.max.descendants unified/cgroup.freeze unified/cgroup.kill; do
			echo "$(stat -c %u "$f") $f"
		done' </dev/null 3>&-
	echo "$output"
	assert_success
	assert_output_contains "0 pids/cgroup.procs"
	assert_output_contains "0 pids/tasks"
	assert_output_contains "65534 pids/notify_on_release" # never delegated (release agents)
	assert_output_contains "0 memory"
	assert_output_contains "0 unified/cgroup.subtree_control"
	assert_output_contains "65534 pids/pids.max"
	assert_output_contains "65534 memory/memory.limit_in_bytes"
	assert_output_contains "65534 cpu/cpu.cfs_quota_us"
	assert_output_contains "65534 freezer/freezer.state"
	assert_output_contains "65534 unified/cgroup.max.descendants"
	# A sub-cgroup with its own pids limit of 3: a shell moved there starts
	# 5 sleeps; the kernel refuses the forks past the limit.
	run IB exec "$id" sh -c '
		mkdir /sys/fs/cgroup/pids/sub && echo 3 >/sys/fs/cgroup/pids/sub/pids.max || exit 10
		echo 0 >/sys/fs/cgroup/pids/sub/cgroup.procs || exit 11
		grep -q "pids:/sub$" /proc/self/cgroup || exit 12
		for i in 1 2 3 4 5; do sleep 100 </dev/null >/dev/null 2>&1 & done' </dev/null 3>&-
	echo "$output"
	assert_output_contains "can't fork"
	[[ "$(grep -c . "$(host_cg pids "$id")/sub/cgroup.procs")" -le 3 ]]
	grep -Eq '^max [1-9]' "$(host_cg pids "$id")/sub/pids.events"
	# on the host: the sub-cgroup is below the container's, with its limit
	[[ "$(cat "$(host_cg pids "$id")/sub/pids.max")" == 3 ]]
	[[ "$(stat -c %u "$(host_cg pids "$id")/sub")" == "$(stat -c %u "$(host_cg pids "$id")")" ]]
	IB delete --force "$id"
	assert_no_leftovers "$id"
}

@test "delegated: the container cannot raise its own memory, pids or cpu limits, nor freeze, kill or reshape itself (runc: it can)" {
	local id f
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	priv_bundle sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes pids/pids.max \
		cpu/cpu.cfs_quota_us cpu/cpu.shares cpuset/cpuset.cpus freezer/freezer.state \
		devices/devices.allow unified/cgroup.max.descendants unified/cgroup.max.depth \
		unified/cgroup.freeze unified/cgroup.kill unified/cgroup.type; do
		run IB exec "$id" sh -c "[ -e /sys/fs/cgroup/$f ] || exit 0; echo max >/sys/fs/cgroup/$f" </dev/null 3>&-
		echo "$f: $status $output"
		[[ $status -eq 0 && -z "$output" ]] && continue # not on this host
		assert_failure
		assert_output_contains "Permission denied"
	done
	[[ "$(cat "$(host_cg memory "$id")/memory.limit_in_bytes")" == 268435456 ]]
	[[ "$(cat "$(host_cg pids "$id")/pids.max")" == 64 ]]
	[[ "$(cat "$(host_cg cpu "$id")/cpu.cfs_quota_us")" == 50000 ]]
	[[ "$(state_of "$id")" == running ]]
	IB delete --force "$id"
	assert_no_leftovers "$id"
	# Control: a privileged runc container (real root) raises its own limit.
	command -v runc >/dev/null || skip "runc not installed for the control"
	mkdir -p "$RUNC_ROOT"
	bundle_jq "$BUNDLE" '.process.args = ["sh", "-c", "echo max >/sys/fs/cgroup/pids/pids.max && cat /sys/fs/cgroup/pids/pids.max"]
		| .process.capabilities |= with_entries(.value -= ["CAP_SYS_TIME", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_BOOT", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_BLOCK_SUSPEND", "CAP_WAKE_ALARM", "CAP_SYSLOG"])'
	run RUNC run --bundle "$BUNDLE" "rc-$id" </dev/null 3>&-
	echo "runc: $status $output"
	assert_success
	assert_output_contains "max"
}

@test "delegated: no way out of the own cgroup: parent unreachable, host pid refused, release_agent absent or refused, no new hierarchy" {
	local id base d
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	start_host_sleep
	priv_bundle sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	# its cgroup is the root it sees; .. of a hierarchy is the view's tmpfs
	run IB exec "$id" sh -c 'cat /proc/self/cgroup; ls /sys/fs/cgroup/pids/..; ls /sys/fs/cgroup/pids/../pids/..' </dev/null 3>&-
	echo "$output"
	assert_success
	assert_output_contains "pids:/"
	assert_output_not_contains "pids:/$id"
	assert_output_not_contains "$id"
	# a host process into the delegated cgroup.procs: not in its pid namespace
	run IB exec "$id" sh -c "echo $HOST_SLEEP >/sys/fs/cgroup/pids/cgroup.procs" </dev/null 3>&-
	echo "$output"
	assert_failure
	[[ "$(cg_line "$HOST_SLEEP")" != *"$id"* ]]
	# Even with the pid in reach: the container's root (its host uid, here
	# on the host) owns cgroup.procs but has no rights over a host process.
	base=$(awk 'NR == 1 { print $2 }' "/proc/$(pid_of "$id")/uid_map")
	[[ "$base" -gt 0 ]]
	for d in "$(host_cg pids "$id")" "$(host_cg unified "$id")"; do
		[[ -d "$d" ]] || continue
		run setpriv --reuid="$base" --regid="$base" --clear-groups sh -c "echo $HOST_SLEEP >$d/cgroup.procs"
		echo "$d: $status $output"
		assert_failure
		run setpriv --reuid="$base" --regid="$base" --clear-groups sh -c "echo \$\$ >$d/cgroup.procs"
		echo "$d (own process): $status $output"
		# control (v1): the same writer moves a process of its own uid
		if [[ $d == */pids/* ]]; then assert_success; fi
	done
	[[ "$(cg_line "$HOST_SLEEP")" != *"$id"* ]]
	# release_agent: only in a hierarchy's real root, never in the view
	run IB exec "$id" sh -c 'ls /sys/fs/cgroup/*/release_agent' </dev/null 3>&-
	assert_failure
	# a fresh mount of an existing hierarchy is rooted at its own cgroup too
	run IB exec "$id" sh -c 'mkdir -p /tmp/h && mount -t cgroup -o pids cgroup /tmp/h && ls /tmp/h; ls /tmp/h/release_agent; umount /tmp/h' </dev/null 3>&-
	echo "$output"
	assert_output_contains "pids.max"
	assert_output_contains "No such file"
	# a new hierarchy, with or without release_agent: the kernel refuses it
	# (the vetting agent mounts as the container's root, in its namespaces)
	run IB exec "$id" sh -c 'mkdir -p /tmp/n && mount -t cgroup -o none,name=ibtnew,release_agent=/bin/x cgroup /tmp/n' </dev/null 3>&-
	echo "$output"
	assert_failure
	run IB exec "$id" sh -c 'mount -t cgroup -o none,name=ibtnew cgroup /tmp/n' </dev/null 3>&-
	echo "$output"
	assert_failure
	! grep -q ibtnew /proc/self/mountinfo
	! grep -qw ibtnew /proc/*/cgroup 2>/dev/null
	[[ "$(state_of "$id")" == running ]]
	IB delete --force "$id"
	assert_no_leftovers "$id"
}

@test "not delegated (cgroupfs ro, Docker's default): read-only view, host-owned; the annotation delegates it, a bad value is refused" {
	local id a
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	setup_bundle b sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	run IB exec "$id" sh -c 'stat -c %u /sys/fs/cgroup/pids; mkdir /sys/fs/cgroup/pids/x' </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "65534"
	assert_output_contains "Read-only file system"
	[[ "$(stat -c %u "$(host_cg pids "$id")")" == 0 ]]
	IB delete --force "$id"
	# opted in: delegated and writable, capabilities unchanged
	bundle_jq "$BUNDLE" '.annotations["run.ironbox.cgroup-delegate"] = "true"'
	a=$(new_id a)
	run_detached "$a"
	assert_success
	run IB exec "$a" sh -c 'stat -c %u /sys/fs/cgroup/pids; mkdir /sys/fs/cgroup/pids/x && echo made; echo max >/sys/fs/cgroup/pids/pids.max' </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "made"
	assert_output_contains "Permission denied"
	[[ -d "$(host_cg pids "$a")/x" ]]
	IB delete --force "$a"
	# opted out although the mount is rw
	bundle_jq "$BUNDLE" '.annotations["run.ironbox.cgroup-delegate"] = "false" | .mounts |= map(if .type == "cgroup" then .options = (.options - ["ro"]) else . end)'
	a=$(new_id o)
	run_detached "$a"
	assert_success
	run IB exec "$a" sh -c 'mkdir /sys/fs/cgroup/pids/x' </dev/null 3>&-
	assert_failure
	assert_output_contains "Permission denied"
	IB delete --force "$a"
	# anything but true/false is refused before anything exists
	bundle_jq "$BUNDLE" '.annotations["run.ironbox.cgroup-delegate"] = "yes"'
	a=$(new_id y)
	run_detached "$a"
	assert_failure
	assert_output_contains "run.ironbox.cgroup-delegate"
	assert_no_leftovers "$id" "$a"
}

# Every mount of the container's cgroup view, as the probe prints them
# ("mi: <mount point> <options>"), then attempts to make it writable.
CG_RO_PROBE='
	grep " /sys/fs/cgroup" /proc/self/mountinfo | cut -d" " -f5,6 | sed "s/^/mi: /"
	echo "remount-rw: $(ibmount mount - /sys/fs/cgroup - 0x1020 -)"
	for d in /sys/fs/cgroup /sys/fs/cgroup/pids /sys/fs/cgroup/unified; do
		[ -d $d ] && echo "setattr-rw $d: $(ibmount setattr $d 0 1 1)"
	done
	mkdir -p /tmp/b && mount --rbind /sys/fs/cgroup /tmp/b && echo "bind-setattr-rw: $(ibmount setattr /tmp/b 0 1 1)"
	grep " /tmp/b" /proc/self/mountinfo | cut -d" " -f5,6 | sed "s/^/mi-b: /"'

@test "not delegated, every capability (cgroupfs ro): each hierarchy and the unified tree read-only, nosuid, nodev, noexec; remount, mount_setattr and a rbind made read-write refused (control: delegated, the probe sees them writable)" {
	local id n
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	priv_bundle sh -c "$CG_RO_PROBE"
	install_helper "$BUNDLE" ibmount
	bundle_jq "$BUNDLE" '.mounts |= map(if .type == "cgroup" then .options = (.options - ["rw"] + ["ro", "nosuid", "nodev", "noexec"]) else . end)'
	id=$(new_id)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "$output"
	assert_success
	# the tmpfs, one bind per hierarchy, and the unified tree on a hybrid host
	n=$(grep -c "^mi: " <<<"$output")
	[[ "$n" -ge 3 ]]
	if [[ -d /sys/fs/cgroup/unified ]]; then
		grep -qE "^mi: /sys/fs/cgroup/unified ro,nosuid,nodev,noexec" <<<"$output"
	fi
	[[ "$(grep -cE "^mi: \S+ ro,nosuid,nodev,noexec" <<<"$output")" == "$n" ]]
	assert_output_not_contains ": OK"
	grep -q "^bind-setattr-rw: ERR" <<<"$output"
	[[ -z "$(grep -E "^mi-b: /tmp/b\S* rw" <<<"$output")" ]]
	# Control: delegated, the same mounts writable (the probe sees it).
	bundle_jq "$BUNDLE" '.annotations["run.ironbox.cgroup-delegate"] = "true"'
	id=$(new_id c)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "$output"
	assert_success
	grep -qE "^mi: /sys/fs/cgroup/pids rw" <<<"$output"
}

@test "cgroup v1 only (private mount namespace, the unified tree hidden): delegated, own limits not writable, sub-cgroups removed" {
	local id script
	cgroup_v1 || skip "needs cgroup v1 controllers"
	priv_bundle sleep 1000
	id=$(new_id)
	script='
		[ -d /sys/fs/cgroup/unified ] && { mount -t tmpfs ibt-hide /sys/fs/cgroup/unified || exit 10; }
		ib() { "$IRONBOX" --root "$ROOT" "$@"; }
		ib run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$ERR" || exit 12
		ib exec "$ID" sh -c "
			[ ! -e /sys/fs/cgroup/unified ] || exit 20
			[ \$(stat -c %u /sys/fs/cgroup/pids/cgroup.procs) = 0 ] || exit 21
			echo max >/sys/fs/cgroup/pids/pids.max 2>/dev/null && exit 22
			mkdir -p /sys/fs/cgroup/pids/a/b && echo 0 >/sys/fs/cgroup/pids/a/b/cgroup.procs || exit 23
			grep -q \"pids:/a/b\$\" /proc/self/cgroup || exit 24
			echo ok
		" </dev/null 2>&1 || exit 14
		[ -d "/sys/fs/cgroup/pids/$ID/a/b" ] || exit 15
		ib delete --force "$ID" 2>>"$ERR" || exit 17
		[ ! -e "/sys/fs/cgroup/pids/$ID" ] || exit 18
	'
	run env IRONBOX="$IRONBOX" ROOT="$TEST_ROOT" BUNDLE="$BUNDLE" ID="$id" ERR="$BATS_TEST_TMPDIR/v1.err" \
		unshare -m --propagation private sh -c "$script" </dev/null 3>&-
	echo "$output"
	cat "$BATS_TEST_TMPDIR/v1.err"
	assert_success
	assert_output_contains "ok"
	assert_no_leftovers "$id"
}

@test "cgroup v2 only (private mount namespace, cgroup2 alone on /sys/fs/cgroup): delegated directory and files, limits not writable, sub-cgroups removed" {
	local id script
	[[ -d /sys/fs/cgroup/unified ]] || skip "needs the unified tree at /sys/fs/cgroup/unified (hybrid host)"
	priv_bundle sleep 1000
	bundle_jq "$BUNDLE" 'del(.linux.resources.memory) | del(.linux.resources.cpu) | del(.linux.resources.pids)'
	id=$(new_id)
	# Inside the namespace: run, probe, delete; then nothing is left there.
	script='
		mount -t tmpfs ibt-v2 /sys/fs/cgroup || exit 10
		mount -t cgroup2 none /sys/fs/cgroup || exit 11
		ib() { "$IRONBOX" --root "$ROOT" "$@"; }
		ib run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$ERR" || exit 12
		d=/sys/fs/cgroup/$ID
		[ -d "$d" ] || exit 13
		ib exec "$ID" sh -c "
			cd /sys/fs/cgroup || exit 20
			grep -q \"^0::/\$\" /proc/self/cgroup || exit 21
			for f in . cgroup.procs cgroup.subtree_control cgroup.threads; do
				[ \$(stat -c %u \$f) = 0 ] || { echo \"not delegated: \$f\"; exit 22; }
			done
			for f in cgroup.max.depth cgroup.max.descendants cgroup.freeze cgroup.type cgroup.kill; do
				[ -e \$f ] || continue
				echo 1 >\$f 2>/dev/null && { echo \"writable: \$f\"; exit 23; }
			done
			[ ! -e release_agent ] || exit 24
			mkdir -p a/b/c && echo 0 >a/b/c/cgroup.procs || exit 25
			grep -q \"^0::/a/b/c\$\" /proc/self/cgroup || exit 26
			echo ok
		" </dev/null 2>&1 || exit 14
		[ -d "$d/a/b/c" ] || exit 15
		[ "$(stat -c %u "$d/cgroup.max.depth")" = 0 ] || exit 16
		ib exec --detach "$ID" sh -c "echo 0 >/sys/fs/cgroup/a/b/cgroup.procs; exec sleep 1000" </dev/null >/dev/null 2>&1
		sleep 0.3
		ib delete --force "$ID" 2>>"$ERR" || exit 17
		[ ! -e "$d" ] || exit 18
	'
	run env IRONBOX="$IRONBOX" ROOT="$TEST_ROOT" BUNDLE="$BUNDLE" ID="$id" ERR="$BATS_TEST_TMPDIR/v2.err" \
		unshare -m --propagation private sh -c "$script" </dev/null 3>&-
	echo "$output"
	cat "$BATS_TEST_TMPDIR/v2.err"
	assert_success
	assert_output_contains "ok"
	# the container's cgroup in the real unified tree is gone too
	[[ ! -e "/sys/fs/cgroup/unified/$id" ]]
	assert_no_leftovers "$id"
}

@test "delegated v2 with a controller enabled in its own subtree_control (systemd's layout): exec joins the init's cgroup" {
	local id
	[[ -d /sys/fs/cgroup/unified ]] || skip "needs the unified tree at /sys/fs/cgroup/unified (hybrid host)"
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "no domain controller on the unified tree"
	priv_bundle sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	# what systemd does: every process into init.scope, then controllers on
	run IB exec "$id" sh -c '
		cd /sys/fs/cgroup/unified || exit 10
		mkdir init.scope || exit 11
		for p in $(cat cgroup.procs); do echo $p >init.scope/cgroup.procs; done
		echo +hugetlb >cgroup.subtree_control || exit 12
		cat cgroup.subtree_control' </dev/null 3>&-
	echo "$output"
	assert_success
	assert_output_contains "hugetlb"
	# the container's own cgroup takes no process now (the kernel's rule)...
	run IB exec "$id" sh -c 'echo $$ >/sys/fs/cgroup/unified/cgroup.procs' </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "busy"
	# ...and exec still works, in the init's cgroup
	run IB exec "$id" grep '^0::' /proc/self/cgroup </dev/null 3>&-
	echo "$output"
	assert_success
	assert_output_contains "0::/init.scope"
	IB delete --force "$id"
	assert_no_leftovers "$id"
}

@test "delete kills and removes what a delegated container made: sub-cgroups deeper than PATH_MAX, processes in them, one frozen" {
	local id h n=0
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	priv_bundle sleep 1000
	id=$(new_id)
	run_detached "$id"
	assert_success
	# 24 levels of 200-character names (> PATH_MAX as one path), a sleep
	# moved to the deepest level of each hierarchy, the freezer one frozen.
	run IB exec "$id" sh -c '
		name=$(printf "%0200d" 0)
		sleep 1000 </dev/null >/dev/null 2>&1 &
		pid=$!
		for h in pids freezer memory cpuset unified; do
			[ -d /sys/fs/cgroup/$h ] || continue
			cd /sys/fs/cgroup/$h || exit 10
			[ -e cgroup.clone_children ] && echo 1 >cgroup.clone_children
			i=0
			while [ $i -lt 24 ]; do
				mkdir $name && cd -P $name || exit 11
				i=$((i + 1))
			done
			echo $pid >cgroup.procs || exit 12
			[ $h = freezer ] && echo FROZEN >freezer.state
			echo "deep $h"
		done
		exit 0' </dev/null 3>&-
	echo "$output"
	assert_success
	assert_output_contains "deep pids"
	assert_output_contains "deep freezer"
	for h in pids freezer memory; do
		[[ -d "$(host_cg "$h" "$id")/$(printf '%0200d' 0)" ]] && n=$((n + 1))
	done
	[[ $n -eq 3 ]]
	IB delete --force "$id"
	assert_no_leftovers "$id"
}

# A private named v1 hierarchy (none,name=NAME) with a release agent, for
# the test below. The hierarchy is global (every /proc/PID/cgroup lists it
# while it exists) but mounted only in the test's private mount namespace,
# so only the runtime run there places containers in it.
#
# ra_hierarchy_remove NAME: whatever happened, no agent left set and the
# hierarchy gone: mount it again (privately), clear the agent, remove its
# cgroups leaf-first, unmount; repeated until the kernel dropped it (it
# outlives an unmount while a removed cgroup is still being released).
ra_hierarchy_remove() {
	local name=$1 i
	[[ "$name" =~ ^ibtra[0-9]+$ ]] || return 1
	for i in $(seq 50); do
		grep -q ":name=$name:" /proc/self/cgroup || return 0
		NAME=$name D="$BATS_TEST_TMPDIR/ra-cleanup" unshare -m --propagation private sh -c '
			mkdir -p "$D" && mount -t cgroup -o "none,name=$NAME" cgroup "$D" || exit 1
			echo >"$D/release_agent"
			find "$D" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
			sleep 0.1
			umount "$D"' </dev/null 3>&- || true
		sleep 0.1
	done
	echo "hierarchy name=$name is still there" >&2
	return 1
}

# In the private mount namespace: the hierarchy mounted at /tmp/NAME/ibtra
# (a path the container's root can reach, for the view that shows it as
# /sys/fs/cgroup/ibtra); the agent $D/agent records each run (uid,
# argument) in $D/fired.
ra_script() {
	cat <<'EOS'
set -u
H=/tmp/$NAME/ibtra
ib() { "$IRONBOX" --root "$ROOT" "$@"; }
cleanup() {
	[ -f "$H/release_agent" ] && echo >"$H/release_agent"
	for c in "$ID-n" "$ID-r" "$ID-c"; do ib delete --force "$c" >/dev/null 2>&1; done
	for i in $(seq 100); do
		find "$H" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -z "$(find "$H" -mindepth 1 -type d 2>/dev/null)" ] && break
		sleep 0.05
	done
	sleep 0.1
	umount "$H"
	rmdir "$H" "/tmp/$NAME"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
mkdir -p "$H" && mount -t cgroup -o "none,name=$NAME" cgroup "$H" || exit 10
[ -z "$(cat "$H/release_agent")" ] || exit 11
# the container's cgroup in the hierarchy, from its init
cg_of() { echo "$H$(awk -F: -v n="name=$NAME" '$2 == n { print $3 }' "/proc/$(ib state "$1" | jq -r .pid)/cgroup")"; }

# 1. No agent on the hierarchy: delegated like the others, but not its
#    notify_on_release; a sub-cgroup the container makes is all its own,
#    notify_on_release too (the kernel gives a new cgroup's files to its
#    creator): why a hierarchy with an agent can't be delegated.
ib run --detach --bundle "$BUNDLE" "$ID-n" </dev/null >/dev/null 2>"$D/n.err" || exit 12
ib exec "$ID-n" sh -c '
	cd /sys/fs/cgroup/ibtra || exit 20
	[ "$(stat -c %u .)" = 0 ] || exit 21
	[ "$(stat -c %u notify_on_release)" = 65534 ] || exit 22
	echo 1 >notify_on_release 2>/dev/null && exit 23
	mkdir sub && [ "$(stat -c %u sub/notify_on_release)" = 0 ] || exit 24
	echo 1 >sub/notify_on_release || exit 25
	echo "delegated without an agent"' </dev/null 2>&1 || exit 13
[ "$(cat "$(cg_of "$ID-n")/notify_on_release")" = 0 ] || exit 14
ib delete --force "$ID-n" || exit 15

# 2. The host has an agent on it: the hierarchy stays host root's (a
#    warning says so), the others are still delegated; the attack fails.
echo "$D/agent" >"$H/release_agent" || exit 30
ib run --detach --bundle "$BUNDLE" "$ID-r" </dev/null >/dev/null 2>"$D/r.err" || exit 31
grep -q "is not delegated: its hierarchy has a release agent" "$D/r.err" || exit 32
ib exec "$ID-r" sh -c '
	cd /sys/fs/cgroup/ibtra || exit 40
	[ "$(stat -c %u .)" = 65534 ] || exit 41
	[ "$(stat -c %u /sys/fs/cgroup/pids)" = 0 ] || exit 42
	mkdir "evil \$(id)" 2>/dev/null && exit 43
	echo 1 >notify_on_release 2>/dev/null && exit 44
	echo "attack refused"' </dev/null 2>&1 || exit 33
[ "$(stat -c %u "$(cg_of "$ID-r")")" = 0 ] || exit 34
ib delete --force "$ID-r" || exit 35
sleep 0.5
[ ! -e "$D/fired" ] || exit 36

# 3. Control: the same attack once the directory is the container's (what
#    delegation gave before this rule: chowned here by hand) makes host root
#    run the agent with the name the container chose.
ib run --detach --bundle "$BUNDLE" "$ID-c" </dev/null >/dev/null 2>"$D/c.err" || exit 50
dir=$(cg_of "$ID-c")
base=$(awk 'NR == 1 { print $2 }' "/proc/$(ib state "$ID-c" | jq -r .pid)/uid_map")
[ "$base" -gt 0 ] && chown "$base:$base" "$dir" "$dir/cgroup.procs" "$dir/tasks" || exit 51
ib exec "$ID-c" sh -c '
	cd /sys/fs/cgroup/ibtra || exit 60
	mkdir "evil \$(id)" && echo 1 >"evil \$(id)/notify_on_release" || exit 61
	sh -c "echo \$\$ >\"evil \\\$(id)/cgroup.procs\"" || exit 62' </dev/null 2>&1 || exit 52
for i in $(seq 400); do [ -s "$D/fired" ] && break; sleep 0.05; done
cat "$D/fired" 2>/dev/null
grep -q '^uid=0 arg=.*/evil \$(id)$' "$D/fired" || exit 53
echo "control: agent ran"
EOS
}

@test "delegated v1: a hierarchy with a release agent is not delegated, notify_on_release never is: the container can't make host root run the agent (control: delegated by hand, it can)" {
	local id d
	cgroup_v1 || skip "needs cgroup v1 (v1 or hybrid host)"
	priv_bundle sleep 1000
	id=$(new_id)
	d="$BATS_TEST_TMPDIR/ra"
	mkdir -p "$d"
	RA_NAME="ibtra$$$RANDOM"
	printf '#!/bin/sh\necho "uid=$(id -u) arg=$1" >>%s/fired\n' "$d" >"$d/agent"
	chmod 755 "$d/agent"
	run env IRONBOX="$IRONBOX" ROOT="$TEST_ROOT" BUNDLE="$BUNDLE" ID="$id" D="$d" NAME="$RA_NAME" \
		unshare -m --propagation private bash -c "$(ra_script)" </dev/null 3>&-
	echo "$output"
	cat "$d"/*.err 2>/dev/null
	assert_success
	assert_output_contains "delegated without an agent"
	assert_output_contains "attack refused"
	assert_output_contains "control: agent ran"
	ra_hierarchy_remove "$RA_NAME"
	assert_no_leftovers "$id-n" "$id-r" "$id-c"
}

# ---------------------------------------------------------------------------
# runc compatibility

# A frozen cgroup: runc 1.1 refuses it with this message; ironbox did hang.
@test "run -d into a frozen cgroup (v1 freezer, v2 cgroup.freeze, frozen parent) fails at once, like runc" {
	local id rel="/ibt-frz-$$" m v2=""
	cg_make "$rel"
	setup_bundle b sleep 100
	for m in $(cg_mounts); do
		if [[ -f "$m$rel/cgroup.freeze" ]]; then v2="$m$rel"; fi
	done
	for how in v1 v1-parent v2; do
		id=$(new_id f)
		case $how in
		v1 | v1-parent)
			[[ -f "/sys/fs/cgroup/freezer$rel/freezer.state" ]] || continue
			echo FROZEN >"/sys/fs/cgroup/freezer$rel/freezer.state"
			;;
		v2)
			[[ -n "$v2" ]] || continue
			cg_thaw "$rel"
			echo 1 >"$v2/cgroup.freeze"
			;;
		esac
		if [[ $how == v1-parent ]]; then
			bundle_jq "$BUNDLE" '.linux.cgroupsPath = ($r + "/leaf")' --arg r "$rel"
		else
			bundle_jq "$BUNDLE" '.linux.cgroupsPath = $r' --arg r "$rel"
		fi
		status=0
		timeout 60 "$IRONBOX" --root "$TEST_ROOT" run --detach --bundle "$BUNDLE" "$id" \
			</dev/null >"$BATS_TEST_TMPDIR/frz.log" 2>&1 3>&- || status=$?
		output=$(cat "$BATS_TEST_TMPDIR/frz.log")
		echo "$how: status $status: $output"
		[[ $status -ne 124 ]] # no hang
		assert_failure
		assert_output_contains "container's cgroup unexpectedly frozen"
		assert_no_leftovers "$id"
		! cg_exists_anywhere "$rel/leaf"
		# nothing of it is left stuck in the cgroup
		[[ -z "$(cat "/sys/fs/cgroup/pids$rel/cgroup.procs" 2>/dev/null)" ]]
		cg_thaw "$rel"
		cg_exists_anywhere "$rel"
	done
	# Control: runc 1.1 refuses a frozen v1 cgroup with the same words.
	command -v runc >/dev/null || skip "runc not installed for the control"
	[[ -f "/sys/fs/cgroup/freezer$rel/freezer.state" ]] || skip "no v1 freezer"
	echo FROZEN >"/sys/fs/cgroup/freezer$rel/freezer.state"
	bundle_jq "$BUNDLE" '.linux.cgroupsPath = $r' --arg r "$rel"
	mkdir -p "$RUNC_ROOT"
	run timeout 60 runc --root "$RUNC_ROOT" run --detach --bundle "$BUNDLE" "rc-$id" </dev/null 3>&-
	assert_failure
	assert_output_contains "container's cgroup unexpectedly frozen"
}

@test "cgroup v2 hidden under an empty tmpfs (private mount namespace): the v1 layout really there is used (runc too)" {
	local id pid
	setup_bundle b sleep 100
	id=$(new_id)
	run unshare -m --propagation private sh -c '
		mount -t tmpfs ibt-hide /sys/fs/cgroup/unified || exit 10
		"$0" --root "$1" run --detach --bundle "$2" "$3" </dev/null >/dev/null 2>"$4" || exit 11
		# nothing was made in the tmpfs
		[ -z "$(ls -A /sys/fs/cgroup/unified)" ] || exit 12
	' "$IRONBOX" "$TEST_ROOT" "$BUNDLE" "$id" "$BATS_TEST_TMPDIR/hide.err"
	cat "$BATS_TEST_TMPDIR/hide.err"
	assert_success
	pid=$(pid_of "$id")
	[[ "$pid" -gt 0 ]]
	# in its v1 cgroups, not in the real unified tree it could not see
	grep -q "pids:/$id\$" "/proc/$pid/cgroup"
	grep -q "^0::/\$" "/proc/$pid/cgroup"
	IB delete --force "$id"
	assert_no_leftovers "$id"
	# Control: runc 1.1 falls back to v1 there too.
	command -v runc >/dev/null || skip "runc not installed for the control"
	mkdir -p "$RUNC_ROOT"
	run unshare -m --propagation private sh -c '
		mount -t tmpfs ibt-hide /sys/fs/cgroup/unified || exit 10
		runc --root "$0" run --detach --bundle "$1" "$2" </dev/null >/dev/null 2>&1 3>&-
	' "$RUNC_ROOT" "$BUNDLE" "rc-$id"
	assert_success
}

@test "update, kill and delete take their flags after the container id (like runc)" {
	local id pid d
	setup_bundle b sleep 100
	id=$(new_id)
	run_detached "$id"
	assert_success
	pid=$(pid_of "$id")
	IB update "$id" --pids-limit 42
	d=$(cgroup_dir_of "$pid" pids)
	[[ "$(cat "$d/pids.max")" == 42 ]]
	IB update "$id" --pids-limit=43 --cpu-quota -1
	[[ "$(cat "$d/pids.max")" == 43 ]]
	# still an error for a real second argument or an unknown flag
	run IB update "$id" extra --pids-limit 44
	assert_failure
	assert_output_contains 'requires exactly 1 argument'
	run IB update "$id" --bogus 1
	assert_failure
	IB exec --detach "$id" sleep 100 </dev/null >/dev/null 2>&1 3>&-
	IB kill "$id" KILL --all
	retry 100 0.05 gone "$pid"
	IB delete "$id" --force
	assert_no_leftovers "$id"
	# Control: runc parses the same command lines.
	command -v runc >/dev/null || skip "runc not installed for the control"
	mkdir -p "$RUNC_ROOT"
	RUNC run --detach --bundle "$BUNDLE" "rc-$id" </dev/null >/dev/null 2>&1 3>&-
	RUNC update "rc-$id" --pids-limit 42
	RUNC kill "rc-$id" KILL --all
	RUNC delete "rc-$id" --force
}

@test "device access rwa is accepted: unknown letters are ignored (like runc)" {
	local id
	setup_bundle b sh -c 'echo ok > /dev/null && echo wrote'
	bundle_jq "$BUNDLE" '.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwa"}]'
	cp "$BUNDLE/config.json" "$BUNDLE/rwa.json"
	# A rule with no known letter grants and denies nothing (runc 1.1 fails
	# on it: "resulting devices cgroup doesn't precisely match target").
	bundle_jq "$BUNDLE" '.linux.resources.devices += [{allow: false, type: "c", major: 1, minor: 3, access: "a"}]'
	id=$(new_id)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	assert_success
	assert_output_contains wrote
	assert_no_leftovers "$id"
	command -v runc >/dev/null || skip "runc not installed for the control"
	cp "$BUNDLE/rwa.json" "$BUNDLE/config.json"
	mkdir -p "$RUNC_ROOT"
	run RUNC run --bundle "$BUNDLE" "rc-$id" </dev/null 3>&-
	assert_success
	assert_output_contains wrote
}

@test "exec --ignore-paused runs once the container is resumed; without it exec refuses (like runc)" {
	local id
	setup_bundle b sleep 100
	id=$(new_id)
	run_detached "$id"
	assert_success
	IB pause "$id"
	run IB exec "$id" echo ok </dev/null 3>&-
	assert_failure
	assert_output_contains "cannot exec in a paused container"
	(
		sleep 2
		IB resume "$id"
	) </dev/null >/dev/null 2>&1 3>&- &
	run timeout 60 "$IRONBOX" --root "$TEST_ROOT" exec --ignore-paused "$id" echo ok </dev/null 3>&-
	assert_success
	[[ "$output" == ok ]]
	[[ "$(state_of "$id")" == running ]]
}
