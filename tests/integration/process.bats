#!/usr/bin/env bats
# The container process's set-up: the fds it holds and its cwd
# (CVE-2024-21626), set-up finished before `start` returns, hooks, cwd, env,
# console, loopback. Passes with IRONBOX=/usr/sbin/runc except where guarded
# by is_ironbox.

load ../lib/common

setup_file() {
	mkdir -p "$TEST_ROOT"
}

teardown_file() {
	common_teardown_file
}

setup() {
	require_runtime
	common_setup
	MARKER="ib-hostmarker-$$-$RANDOM"
	MARKER_FILE="/tmp/$MARKER"
	echo "host-secret-$MARKER" >"$MARKER_FILE"
	# For hooks that run as the container's root: world-writable, on a path
	# it may traverse (bats' own temp dirs are private).
	HOOKDIR="/tmp/ib-hooks-$$-$RANDOM"
}

teardown() {
	common_teardown
	rm -f -- "$MARKER_FILE"
	[[ -n "$HOOKDIR" && -d "$HOOKDIR" ]] && rm -rf -- "$HOOKDIR"
	return 0
}

# Foreground run of $BUNDLE as ID; container stdout+stderr in $output.
# A program that prints where it runs and tries to read the host marker
# through `..` (which leads to the host's / from a cwd outside the root).
escape_prog() {
	echo "echo RAN cwd=\$(pwd); cat ../../../../../../../../../../tmp/$MARKER"
}

# A seccomp profile the size of Docker's (every x86_64 syscall allowed by
# name, three architectures): loading it takes the runtime milliseconds.
big_seccomp() {
	local names
	names=$(grep -oP '(?<=#define __NR_)\w+' /usr/include/x86_64-linux-gnu/asm/unistd_64.h | jq -R . | jq -sc .)
	bundle_jq "$BUNDLE" '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"}]}' --argjson n "$names"
}

# ---------------------------------------------------------------------------
# CVE-2024-21626: no fd of the host reaches the container process

@test "exec --cwd /proc/self/fd/N never starts a process outside the container (CVE-2024-21626)" {
	setup_bundle b sleep 300
	local id n
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	for n in $(seq 0 24); do
		run IB exec --cwd "/proc/self/fd/$n" "$id" sh -c "$(escape_prog)" </dev/null 3>&-
		assert_failure
		assert_output_not_contains "RAN"
		assert_output_not_contains "host-secret"
	done
	# Only the init runs: no exec'd process survived anywhere.
	run IB ps --format json "$id"
	assert_success
	[[ $(jq length <<<"$output") -eq 1 ]] || fail "processes: $output"
}

@test "run with cwd /proc/self/fd/N never starts the process in a host directory (CVE-2024-21626)" {
	# The runtime holds host directory fds while it creates (the state dir,
	# the cgroup root, the staged mounts); none may be the init's at chdir.
	setup_bundle b sh -c "$(escape_prog)"
	local n
	for n in $(seq 3 16); do
		bundle_jq "$BUNDLE" '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		run IB run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
		assert_output_not_contains "host-secret"
		assert_output_not_contains "cwd=/sys"
		assert_output_not_contains "cwd=/run"
		assert_output_not_contains "cwd=/tmp"
	done
}

@test "a host directory fd that reaches the process gives it a host cwd; the runtime refuses it as cwd" {
	setup_bundle b sleep 300
	local id
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	# Control: a directory fd the caller passes on purpose (--preserve-fds)
	# leads out of the container. That is what any fd the runtime leaked
	# would give an attacker.
	run IB exec --preserve-fds 1 "$id" sh -c "cd /proc/self/fd/3 && cat $MARKER" 3</tmp
	assert_success
	assert_output_contains "host-secret-$MARKER"
	# The runtime itself never starts the process in such a directory: the
	# cwd is checked after chdir (getcwd is "(unreachable)...").
	run IB exec --preserve-fds 1 --cwd /proc/self/fd/3 "$id" sh -c "$(escape_prog)" 3</tmp
	assert_failure
	assert_output_not_contains "RAN"
	assert_output_contains "outside of"
}

@test "--preserve-fds naming an fd that is not open is refused" {
	skip_unless_ironbox "runc hands over one of its own fds instead"
	setup_bundle b sleep 300
	local id
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	run IB exec --preserve-fds 3 "$id" true 3</dev/null 4>&- 5>&-
	assert_failure
	assert_output_contains "fd 4 is not open"
	id=$(new_id)
	try_create "$id" "$BUNDLE" --preserve-fds 2
	assert_failure
	assert_no_leftovers "$id"
}

@test "a cwd symlinked to /proc/self/fd/N in the image: create fails for every N" {
	setup_bundle b sh -c "$(escape_prog)"
	bundle_jq "$BUNDLE" '.process.cwd = "/wd"'
	local id n
	for n in $(seq 3 14); do
		rm -f "$BUNDLE/rootfs/wd"
		ln -s "/proc/self/fd/$n" "$BUNDLE/rootfs/wd"
		id=$(new_id "wd$n")
		try_create "$id" "$BUNDLE"
		assert_failure
		assert_output_not_contains "RAN"
		assert_output_not_contains "host-secret"
		assert_no_leftovers "$id"
	done
}

@test "a WORKDIR the container replaced with a symlink to /proc/self/fd/N: exec fails for every N" {
	setup_bundle b sleep 300
	mkdir -p "$BUNDLE/rootfs/work"
	bundle_jq "$BUNDLE" '.process.cwd = "/work"'
	local id n
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	for n in $(seq 3 20); do
		# The container itself swaps its WORKDIR (as a hostile image would).
		run IB exec --cwd / "$id" sh -c "rm -rf /work && ln -s /proc/self/fd/$n /work" </dev/null 3>&-
		assert_success
		# `exec` without --cwd starts in the spec's cwd, like docker exec.
		run IB exec "$id" sh -c "$(escape_prog)" </dev/null 3>&-
		assert_failure
		assert_output_not_contains "RAN"
		assert_output_not_contains "host-secret"
	done
}

# fds of the init between create and start: none may be a directory.
check_init_fds() {
	local id=$1 pid f kind others=()
	pid=$(pid_of "$id")
	[[ -n "$pid" ]] || fail "no pid for $id"
	for f in /proc/"$pid"/fd/*; do
		kind=$(stat -L -c %F "$f" 2>/dev/null) || continue
		echo "fd ${f##*/} -> $(readlink "$f") ($kind)"
		[[ "$kind" != directory ]] || fail "init holds a directory fd ${f##*/} -> $(readlink "$f")"
		[[ ${f##*/} -le 2 ]] || others+=("$(readlink "$f")")
	done
	if is_ironbox; then
		# Beyond stdio, only the (O_PATH) exec.fifo.
		[[ ${#others[@]} -eq 1 && "${others[0]}" == */exec.fifo ]] ||
			fail "unexpected fds: ${others[*]}"
	fi
}

@test "the init waiting for start holds no directory fd (only stdio and exec.fifo)" {
	setup_bundle b true
	local id
	id=$(new_id)
	ib_create "$id" "$BUNDLE"
	check_init_fds "$id"
}

@test "the init waiting for start holds no directory fd, whatever the bundle's parent permissions" {
	local parent="$BATS_TEST_TMPDIR/locked" vol="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$parent" "$vol"
	BUNDLE="$parent/b"
	make_bundle "$BUNDLE" true
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro"]}]
		| .hooks = {createContainer: [{path: "/bin/true"}]}' --arg s "$vol"
	chmod 0700 "$parent"
	local id
	id=$(new_id)
	ib_create "$id" "$BUNDLE"
	check_init_fds "$id"
}

# ---------------------------------------------------------------------------
# Set-up done before exec.fifo: after `start`, only the user's program runs

@test "when start returns, the container process is already the user's program" {
	setup_bundle b sleep 300
	big_seccomp
	bundle_jq "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}
		| .process.rlimits = [{type: "RLIMIT_NOFILE", hard: 512, soft: 256}]'
	local id pid exe
	id=$(new_id)
	ib_create "$id" "$BUNDLE"
	pid=$(pid_of "$id")
	IB start "$id"
	# Read at once: rlimits, user, capabilities, seccomp were all done
	# before the exec.fifo; start waits for the execve itself.
	exe=$(readlink "/proc/$pid/exe")
	[[ "$exe" == */busybox ]] || fail "pid 1 is still '$exe' after start"
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"
	[[ $(awk '/^Uid:/ {print $2}' "/proc/$pid/status") -ne 0 ]]
	grep -q 'Max open files *256 *512' "/proc/$pid/limits"
}

# The program installs a trap; `kill` right after `start` must reach it.
signal_right_after_start() {
	local sig=$1 id
	setup_bundle "b$sig" sh -c "trap 'echo got-$sig; exit 0' $sig; while :; do sleep 0.05; done"
	big_seccomp
	id=$(new_id "$sig")
	ib_create "$id" "$BUNDLE"
	IB start "$id"
	IB kill "$id" "$sig"
	wait_for_state "$id" stopped 10 || fail "the program did not handle SIG$sig"
	run container_out "$id"
	assert_output_contains "got-$sig"
}

@test "a signal sent right after start reaches the user's program (USR1)" {
	signal_right_after_start USR1
}

@test "a signal sent right after start reaches the user's program (TERM)" {
	signal_right_after_start TERM
}

@test "start of a program that exits at once succeeds" {
	# Once released, the init executes at once: the program may be gone
	# (and reaped) before start looks at it again.
	setup_bundle b echo hi
	local i id
	for i in $(seq 1 10); do
		id=$(new_id "q$i")
		ib_create "$id" "$BUNDLE"
		run IB start "$id" </dev/null 3>&-
		assert_success
		wait_for_state "$id" stopped 10
		[[ "$(container_out "$id")" == hi ]]
		IB delete "$id"
	done
}

@test "a process set-up error is a create error, before anything runs" {
	setup_bundle b sh -c 'echo RAN'
	# A cwd that is a file: chdir fails during set-up, so create fails (as
	# runc's does) instead of a container whose init dies at start.
	bundle_jq "$BUNDLE" '.process.cwd = "/etc/passwd"'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "/etc/passwd"
	assert_output_not_contains RAN
	assert_no_leftovers "$id"
}

# ---------------------------------------------------------------------------
# Hooks

@test "hooks: state on stdin with the spec's status, bundle as working directory" {
	skip_unless_ironbox "runc 1.1 passes creating/created and other working directories"
	setup_bundle b sh -c 'echo ran'
	local h="$HOOKDIR" k id bundle
	mkdir -p "$h"
	chmod 0777 "$h"
	bundle=$(realpath "$BUNDLE")
	# Runtime-namespace hooks and createContainer (in the container's mount
	# namespace, before pivot_root) write to $h; startContainer runs in the
	# container's root and writes to its /tmp.
	bundle_jq "$BUNDLE" '.hooks = {
		prestart:        [{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/prestart.json; pwd > \($d)/prestart.cwd"]}],
		createRuntime:   [{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/createRuntime.json; pwd > \($d)/createRuntime.cwd"]}],
		createContainer: [{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/createContainer.json; pwd > \($d)/createContainer.cwd"]}],
		startContainer:  [{path: "/bin/sh", args: ["sh", "-c", "cat > /tmp/startContainer.json"]}],
		poststart:       [{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/poststart.json; pwd > \($d)/poststart.cwd"]}],
		poststop:        [{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/poststop.json; pwd > \($d)/poststop.cwd"]}]}' --arg d "$h"
	id=$(new_id)
	ib_run "$id"
	assert_success
	cp "$BUNDLE/rootfs/tmp/startContainer.json" "$h/"
	declare -A want=([prestart]=created [createRuntime]=created [createContainer]=created
		[startContainer]=created [poststart]=running [poststop]=stopped)
	for k in "${!want[@]}"; do
		[[ -s "$h/$k.json" ]] || fail "hook $k got no state"
		jq -e --arg id "$id" --arg st "${want[$k]}" --arg b "$bundle" \
			'.id == $id and .status == $st and .bundle == $b and .ociVersion != null' "$h/$k.json" ||
			fail "$k: $(cat "$h/$k.json")"
		[[ $k == startContainer ]] && continue
		[[ "$(cat "$h/$k.cwd")" == "$bundle" ]] || fail "$k ran in $(cat "$h/$k.cwd")"
	done
	for k in prestart createRuntime createContainer startContainer poststart; do
		jq -e '.pid > 0' "$h/$k.json"
	done
}

@test "hooks: env and args as given, argv[0] from args" {
	setup_bundle b true
	local h="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$h"
	bundle_jq "$BUNDLE" '.hooks = {createRuntime: [{path: "/bin/sh",
		args: ["my-hook", "-c", "tr \"\\0\" \" \" < /proc/$$/cmdline > \($d)/args; env > \($d)/env", "last"],
		env: ["ONLY=this"]}]}' --arg d "$h"
	ib_run "$(new_id)"
	assert_success
	run cat "$h/args"
	[[ "$output" == "my-hook -c "*" last " ]] || fail "argv: $output"
	grep -qx 'ONLY=this' "$h/env"
	# Nothing of the runtime's own environment.
	! grep -q '^BATS_' "$h/env"
}

@test "a failing poststart hook is a warning: start succeeds, the container keeps running" {
	skip_unless_ironbox "runc 1.1 fails start and kills the container (runtime spec: warn and continue)"
	setup_bundle b sleep 300
	local h="$BATS_TEST_TMPDIR/hooks" id
	mkdir -p "$h"
	bundle_jq "$BUNDLE" '.hooks = {poststart: [{path: "/bin/false"},
		{path: "/bin/sh", args: ["sh", "-c", "touch \($d)/second"]}]}' --arg d "$h"
	id=$(new_id)
	ib_create "$id" "$BUNDLE"
	run IB start "$id" </dev/null 3>&-
	assert_success
	assert_output_contains "poststart hook #0"
	[[ -e "$h/second" ]] || fail "the next poststart hook did not run"
	[[ "$(state_of "$id")" == running ]]
}

# ---------------------------------------------------------------------------
# cwd, env

@test "cwd only root may enter: the user's process starts there (like runc)" {
	setup_bundle b sh -c 'pwd; ls . >/dev/null 2>&1 && echo LISTED || echo NOT-LISTED; id -u'
	mkdir -p "$BUNDLE/rootfs/secret"
	chown 0:0 "$BUNDLE/rootfs/secret"
	chmod 0700 "$BUNDLE/rootfs/secret"
	bundle_jq "$BUNDLE" '.process.cwd = "/secret" | .process.user = {uid: 1000, gid: 1000}'
	ib_run "$(new_id)"
	assert_success
	[[ "${lines[0]}" == /secret ]]
	assert_output_contains NOT-LISTED
	[[ "${lines[2]}" == 1000 ]]
}

@test "env: duplicates merged (last wins, first place), empty or missing HOME from /etc/passwd" {
	setup_bundle b env
	bundle_jq "$BUNDLE" '.process.env = ["A=1", "HOME=", "PATH=/bin", "A=2", "B=x"]'
	ib_run "$(new_id)"
	assert_success
	[[ $(grep -c '^A=' <<<"$output") -eq 1 ]]
	grep -qx 'A=2' <<<"$output"
	grep -qx 'HOME=/root' <<<"$output"
	grep -qx 'B=x' <<<"$output"
	bundle_jq "$BUNDLE" '.process.env = ["PATH=/bin"] | .process.user = {uid: 1000, gid: 1000}'
	ib_run "$(new_id)"
	assert_success
	grep -qx 'HOME=/home/user' <<<"$output"
	# uid without a passwd entry: "/"
	bundle_jq "$BUNDLE" '.process.user = {uid: 4242, gid: 4242}'
	ib_run "$(new_id)"
	assert_success
	grep -qx 'HOME=/' <<<"$output"
	# a HOME that is set is kept
	bundle_jq "$BUNDLE" '.process.env = ["PATH=/bin", "HOME=/custom"]'
	ib_run "$(new_id)"
	assert_success
	grep -qx 'HOME=/custom' <<<"$output"
}

@test "env: an entry without '=' is an error" {
	setup_bundle b env
	bundle_jq "$BUNDLE" '.process.env = ["PATH=/bin", "NOEQUALS"]'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "NOEQUALS"
	assert_no_leftovers "$id"
}

# ---------------------------------------------------------------------------
# Console

@test "console: the pty is owned by the process user (group stays the devpts one)" {
	setup_bundle b sh -c 'stat -L -c "%u %g" /proc/self/fd/0; stat -L -c "%u" /proc/self/fd/1'
	bundle_jq "$BUNDLE" '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	local rt sock="$BATS_TEST_TMPDIR/tty.sock" out="$BATS_TEST_TMPDIR/tty.out" id
	rt=$(build_helper recvtty)
	bg_start "$rt" "$sock" "$out"
	retry 100 0.05 test -S "$sock"
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE" --console-socket "$sock"
	bg_wait
	run cat "$out"
	[[ "$(tr -d '\r' <"$out" | head -1)" == "1000 5" ]] || fail "console owner: $output"
	[[ "$(tr -d '\r' <"$out" | sed -n 2p)" == "1000" ]]
}

@test "console: foreground run relays lines ending in \\n, like runc" {
	require_cmd script
	setup_bundle b printf 'one\ntwo\n'
	bundle_jq "$BUNDLE" '.process.terminal = true'
	local out="$BATS_TEST_TMPDIR/fg.out" cmd
	# On a terminal (script's pty, which itself adds the CR of "\r\n"
	# once): the container's pty must not add another one ("\r\r\n").
	cmd=$(printf '%q ' "$IRONBOX" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$(new_id)")
	# (script may echo a "^@" of its own at the end: not the container's)
	script -qec "$cmd" /dev/null </dev/null 3>&- | sed 's/\^@//g' >"$out"
	[[ "$(od -An -c "$out" | tr -s ' ')" == " o n e \r \n t w o \r \n" ]] || fail "got: $(od -c "$out")"
	if is_ironbox; then
		# Not on a terminal: the lines as the program wrote them.
		IB run --bundle "$BUNDLE" "$(new_id)" </dev/null >"$out" 2>&1 3>&-
		[[ "$(od -An -c "$out" | tr -s ' ')" == " o n e \n t w o \n" ]] || fail "got: $(od -c "$out")"
	fi
}

# ---------------------------------------------------------------------------
# Network

@test "lo is up in a new network namespace" {
	setup_bundle b sh -c 'ip -o link show lo; ping -c1 -W2 127.0.0.1 >/dev/null && echo PING-OK'
	bundle_jq "$BUNDLE" '.process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])'
	ib_run "$(new_id)"
	assert_success
	assert_output_contains "LOOPBACK,UP"
	assert_output_contains PING-OK
}
