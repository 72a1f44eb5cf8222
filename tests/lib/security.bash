# shellcheck shell=bash
# shellcheck disable=SC2154 # status/output are set by bats' run
# Helpers for the security tier (tests/security/*.bats): escape probes in
# --privileged containers run by a private dockerd, each next to a control
# that shows the same probe works where the rule does not apply (host root,
# or runc where that is harmless), and a leak check after every test.
#
#   load ../lib/common
#   load ../lib/containerd
#   load ../lib/dockerd
#   load ../lib/security
#   setup_file()    { sec_setup_file; }
#   teardown_file() { sec_teardown_file; }
#   setup()         { sec_setup; }
#   teardown()      { sec_teardown; }

# The --root dockerd (through containerd's runc shim) passes to the runtime.
sec_docker_runtime_root() {
	echo "$IB_DOCKER_DIR/exec/runtime-runc/ib-moby"
}

sec_setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	is_ironbox || skip "the security tier tests ironbox's rules (IRONBOX=$IRONBOX)"
	dockerd_start || return 1
	docker_import_tools || return 1
	# The leak check is only meaningful with the right runtime root: a
	# running container must have its state dir there.
	local n id root
	root=$(sec_docker_runtime_root)
	n="ibsec-root-check-$$"
	D run -d --name "$n" --runtime=ironbox ib-busybox sleep 100 </dev/null >/dev/null 2>&1 3>&- || {
		echo "cannot run a container through dockerd" >&2
		return 1
	}
	id=$(D inspect -f '{{.Id}}' "$n")
	if [[ ! -d "$root/$id" ]]; then
		echo "ironbox state of $id is not under $root: fix sec_docker_runtime_root" >&2
		D rm -f "$n" >/dev/null 2>&1
		return 1
	fi
	D rm -f "$n" >/dev/null 2>&1
	leak_check --root "$root" "$id"
}

sec_teardown_file() {
	dockerd_stop
	common_teardown_file
}

sec_setup() {
	require_runtime
	skip_unless_ironbox
	dockerd_running || skip "private dockerd not running"
	SEC_ROOT=$(sec_docker_runtime_root)
	SEC_CREATED_FILES=()
	SEC_PIDS=()
	SEC_DOCKER_ARGS=()
	SEC_RUNC_ARGS=()
}

# After every test: remove its containers, then nothing of them may be left
# (state dirs under dockerd's runtime root, ID ranges, cgroups, mounts,
# supervisors and inits). A failure here fails the test.
sec_teardown() {
	local ids f p rc=0
	ids=$(D ps -aq --no-trunc 2>/dev/null)
	docker_cleanup_containers
	for p in "${SEC_PIDS[@]+"${SEC_PIDS[@]}"}"; do kill -KILL "$p" 2>/dev/null; done
	for f in "${SEC_CREATED_FILES[@]+"${SEC_CREATED_FILES[@]}"}"; do rm -f "$f"; done
	cleanup_tmp_mounts
	# shellcheck disable=SC2086
	leak_check --root "$SEC_ROOT" --path "$BATS_TEST_TMPDIR" $ids || rc=1
	return $rc
}

# A container name for this test.
sec_name() { echo "ibsec${BATS_TEST_NUMBER}x${1:-c}$RANDOM"; }

# in_priv CMD... : CMD in a --privileged ironbox container (ib-tools image:
# busybox, ibprobe, bpftool); sets $status and $output.
in_priv() {
	run D run --name "$(sec_name p)" --runtime=ironbox --privileged "${SEC_DOCKER_ARGS[@]+"${SEC_DOCKER_ARGS[@]}"}" \
		ib-tools "$@" </dev/null 3>&-
	echo "ironbox --privileged: $*: status $status: $output"
}

# in_runc CMD... : the same container under runc, for harmless controls. Not
# --privileged: runc 1.1 fails on capabilities outside the runtime's own
# bounding set (CAP_SYS_RESOURCE on these machines), so a control adds what
# it needs with SEC_RUNC_ARGS (e.g. --cap-add SYS_ADMIN).
in_runc() {
	run D run --name "$(sec_name r)" --runtime=runc "${SEC_RUNC_ARGS[@]+"${SEC_RUNC_ARGS[@]}"}" \
		"${SEC_DOCKER_ARGS[@]+"${SEC_DOCKER_ARGS[@]}"}" ib-tools "$@" </dev/null 3>&-
	echo "runc ${SEC_RUNC_ARGS[*]+"${SEC_RUNC_ARGS[*]}"}: $*: status $status: $output"
}

# on_host OP... : ibprobe as host root; prints "OK" or "ERR NAME".
on_host() {
	local r
	r=$(probe_host "$@")
	r=${r%% }
	echo "host root: $*: $r" >&2
	echo "$r"
}

# The probe ran inside the container and was refused with one of the errnos
# (a container that did not start is not a pass).
assert_refused() {
	local want=${1:-EPERM|EACCES}
	if [[ "$status" -eq 0 ]] || ! grep -qE "^ERR ($want)( |$)" <<<"$output"; then
		echo "expected the probe to fail with $want, got status $status: $output" >&2
		return 1
	fi
}

# The host control succeeded.
assert_host_ok() {
	if [[ "$1" != OK ]]; then
		echo "control failed: the probe does not work as host root either ($1)" >&2
		return 1
	fi
}

# A host file created for this test (removed in teardown).
sec_created() { SEC_CREATED_FILES+=("$1"); }

# A host process of this test (killed in teardown): its pid is
# ${SEC_PIDS[-1]} afterwards (do not call in a subshell).
sec_sleeper() {
	sleep 1000 >/dev/null 2>&1 3>&- &
	SEC_PIDS+=($!)
	disown $! # no job notice when teardown kills it
}
