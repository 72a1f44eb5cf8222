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
