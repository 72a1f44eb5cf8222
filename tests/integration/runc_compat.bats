#!/usr/bin/env bats
# Behaviours runc's and crun's own test suites check, driven through the
# runtime CLI: events (OOM, end of stream), mounts inside the container,
# ps and spec. Passes with IRONBOX=/usr/sbin/runc except where guarded.

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
}

teardown() {
	common_teardown
	# Directories an unprivileged user had to reach (outside bats' 0700 tmp).
	[[ -n "${PUBLIC_TMP:-}" ]] && rm -rf "$PUBLIC_TMP"
	return 0
}

# public_dir : PUBLIC_DIR = a fresh world-writable directory outside bats'
# private tmp (call it directly, not in $(...): teardown removes it).
public_dir() {
	PUBLIC_TMP=${PUBLIC_TMP:-$(mktemp -d /tmp/ib-compat-test.XXXXXX)}
	chmod 0755 "$PUBLIC_TMP"
	PUBLIC_DIR=$(mktemp -d "$PUBLIC_TMP/d.XXXXXX")
	chmod 0777 "$PUBLIC_DIR"
}

# Foreground run of $BUNDLE as ID; container stdout+stderr in $output.
ib_run() {
	local id=$1
	shift
	run timeout 60 "$IRONBOX" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$@" "$id" </dev/null 3>&-
}

# wait_pid_exit PID SECONDS : true once PID (a child of this shell) is gone.
wait_pid_exit() {
	local pid=$1 t=$2 i
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# count_at_least N PATTERN FILE : FILE has N or more lines matching PATTERN.
count_at_least() { [[ "$(grep -c -- "$2" "$3")" -ge "$1" ]]; }

# ---------------------------------------------------------------------------
# events

# start_events ID LOG [flags] : `events` in the background, output in LOG,
# its exit status in LOG.rc once it ends; sets EV_PID.
start_events() {
	local id=$1 log=$2
	shift 2
	(
		timeout 120 "$IRONBOX" --root "$TEST_ROOT" events "$@" "$id" >"$log" 2>"$log.err" </dev/null 3>&-
		echo $? >"$log.rc"
	) 3>&- &
	EV_PID=$!
}

@test "events: reports an OOM kill as {\"type\":\"oom\"} and ends after delete -f" {
	setup_bundle b sleep 1000
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id oom)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log"
	retry 50 0.2 grep -q "\"id\":\"$id\"" "$log"
	# Negative control: no OOM so far.
	! grep -q '"type":"oom"' "$log"
	# shellcheck disable=SC2016
	IB exec -d "$id" sh -c 'x=$(dd if=/dev/zero bs=1M 2>/dev/null | tr "\0" a)' </dev/null >/dev/null 2>&1 3>&-
	retry 100 0.2 grep -q '"type":"oom"' "$log" || {
		cat "$log.err" >&2
		fail "no oom event"
	}
	grep -qxF "{\"type\":\"oom\",\"id\":\"$id\"}" "$log"
	IB delete -f "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete -f"
	[[ "$(cat "$log.rc")" == 0 ]]
}

@test "events: ends when the container is deleted, without waiting for the next interval" {
	setup_bundle b sleep 1000
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id ev)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log" --interval 1h
	sleep 1
	# Still streaming while the container lives.
	kill -0 "$EV_PID"
	IB delete -f "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete -f"
	[[ "$(cat "$log.rc")" == 0 ]]
	! grep -q '"type":"oom"' "$log"
}

@test "events: --interval 100ms streams stats; a stopped container is refused" {
	setup_bundle b sleep 1000
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id ev)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log" --interval 100ms
	retry 50 0.2 count_at_least 3 '"type":"stats"' "$log"
	jq -e --arg id "$id" 'select(.type == "stats") | .id == $id and (.data.memory | type == "object")' "$log" >/dev/null
	IB kill "$id" KILL
	wait_for_state "$id" stopped 20
	run timeout 20 "$IRONBOX" --root "$TEST_ROOT" events "$id" </dev/null 3>&-
	assert_failure
	assert_output_contains "is not running"
	run timeout 20 "$IRONBOX" --root "$TEST_ROOT" events --stats "$id" </dev/null 3>&-
	assert_failure
	IB delete "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete"
}

# ---------------------------------------------------------------------------
# mounts

# A host volume with a submount: $VOL/foo, $VOL/subvol/bar.
make_volume() {
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	mount -t tmpfs none "$VOL"
	echo foo >"$VOL/foo"
	mkdir "$VOL/subvol"
	mount -t tmpfs none "$VOL/subvol"
	echo bar >"$VOL/subvol/bar"
}

# try_writes OPTIONS_JSON : run a container with $VOL on /mnt (OPTIONS) that
# reports whether the top mount and the submount are writable.
try_writes() {
	setup_bundle "b$RANDOM" sh -c 'touch /mnt/foo 2>/dev/null && echo top=rw || echo top=ro; touch /mnt/subvol/bar 2>/dev/null && echo sub=rw || echo sub=ro'
	bundle_jq "$BUNDLE" '.mounts += [{source: $v, destination: "/mnt", options: $o}]' --arg v "$VOL" --argjson o "$1"
	ib_run "$(new_id rro)"
}

@test "mounts: rbind,ro makes the top mount read-only, rbind,rro every submount (like runc)" {
	make_volume
	try_writes '["rbind", "ro"]'
	assert_success
	[[ "$(echo $output)" == "top=ro sub=rw" ]]
	try_writes '["rbind", "rro"]'
	assert_success
	[[ "$(echo $output)" == "top=ro sub=ro" ]]
	try_writes '["rbind", "ro", "rro"]'
	assert_success
	[[ "$(echo $output)" == "top=ro sub=ro" ]]
	# Negative control: a plain rbind is writable everywhere.
	try_writes '["rbind"]'
	assert_success
	[[ "$(echo $output)" == "top=rw sub=rw" ]]
}

@test "mounts: rnosuid/rnoexec apply to submounts" {
	make_volume
	setup_bundle b2 sh -c 'grep -E " /mnt(/subvol)? " /proc/self/mounts'
	bundle_jq "$BUNDLE" '.mounts += [{source: $v, destination: "/mnt", options: ["rbind", "rnoexec", "rnosuid"]}]' --arg v "$VOL"
	ib_run "$(new_id rattr)"
	assert_success
	[[ "${#lines[@]}" -eq 2 ]]
	for l in "${lines[@]}"; do
		[[ "$l" == *nosuid* && "$l" == *noexec* ]]
	done
}

@test "mounts: proc or sysfs on a symlink is refused (must be an ordinary directory)" {
	setup_bundle b true
	rm -rf "$BUNDLE/rootfs/proc"
	mkdir "$BUNDLE/rootfs/bad-proc"
	ln -s /bad-proc "$BUNDLE/rootfs/proc"
	ib_run "$(new_id psym)"
	assert_failure
	assert_output_contains "must be mounted on ordinary directory"

	setup_bundle b2 true
	rmdir "$BUNDLE/rootfs/sys"
	ln -s /symlink "$BUNDLE/rootfs/sys"
	ib_run "$(new_id ssym)"
	assert_failure
	assert_output_contains "must be mounted on ordinary directory"

	# A /proc that is a plain file is refused too.
	setup_bundle b3 true
	rmdir "$BUNDLE/rootfs/proc"
	touch "$BUNDLE/rootfs/proc"
	ib_run "$(new_id pfile)"
	assert_failure
	assert_output_contains "must be mounted on ordinary directory"
}

@test "mounts: a read-only /dev and read-only tmpfs work (made read-only last)" {
	setup_bundle b sh -c 'grep -E "^tmpfs /(dev|mnt|mnt/sub) " /proc/self/mounts; echo x > /dev/null && ls /dev/pts/ptmx >/dev/null && echo devok; touch /dev/x 2>/dev/null || echo dev-ro'
	bundle_jq "$BUNDLE" '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)
		| .mounts += [{type: "tmpfs", source: "tmpfs", destination: "/mnt", options: ["ro", "nodev", "nosuid", "mode=755"]},
			      {type: "tmpfs", source: "tmpfs", destination: "/mnt/sub"}]'
	ib_run "$(new_id devro)"
	assert_success
	[[ "${lines[0]}" == "tmpfs /dev tmpfs ro,"* ]]
	[[ "${lines[1]}" == "tmpfs /mnt tmpfs ro,"* ]]
	[[ "${lines[2]}" == "tmpfs /mnt/sub tmpfs rw,"* ]]
	assert_output_contains devok
	assert_output_contains dev-ro
}

@test "mounts: the target of a dangling symlink on the way to a destination is created inside the rootfs" {
	setup_bundle b stat -c '%n %d:%i' -- /tmp/foo/bar/baz/hosts
	rm -f "$BUNDLE/rootfs/etc/hosts"
	ln -s /tmp/foo/bar "$BUNDLE/rootfs/jump"
	ln -s /jump/baz/hosts "$BUNDLE/rootfs/etc/hosts"
	bundle_jq "$BUNDLE" '.mounts += [{source: $s, destination: "/etc/hosts", options: ["bind"]}]' --arg s "$BUNDLE/config.json"
	ib_run "$(new_id dangle)"
	assert_success
	[[ "$output" == "/tmp/foo/bar/baz/hosts $(stat -c '%d:%i' "$BUNDLE/config.json")" ]]
	[[ -f "$BUNDLE/rootfs/tmp/foo/bar/baz/hosts" ]]

	# A trailing dangling symlink to a directory, relative target.
	setup_bundle b2 stat -c '%n %d:%i' -- /tmp/hostsdir
	ln -s ../tmp/hostsdir "$BUNDLE/rootfs/etc/hd"
	bundle_jq "$BUNDLE" '.mounts += [{source: $s, destination: "/etc/hd", options: ["bind"]}]' --arg s "$BUNDLE/rootfs/home"
	ib_run "$(new_id dangle2)"
	assert_success
	[[ "$output" == "/tmp/hostsdir $(stat -c '%d:%i' "$BUNDLE/rootfs/home")" ]]
	[[ -d "$BUNDLE/rootfs/tmp/hostsdir" ]]
}

@test "mounts: a dangling symlink never creates anything outside the rootfs" {
	local outside="$BATS_TEST_TMPDIR/outside-$RANDOM"
	setup_bundle b sh -c 'stat -f -c %T /esc/x /esc2/y'
	# ../ past the root and an absolute host path: both stay in the rootfs.
	ln -s "../../../../../../../../../..$outside" "$BUNDLE/rootfs/esc"
	ln -s "$outside/abs" "$BUNDLE/rootfs/esc2"
	bundle_jq "$BUNDLE" '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/esc/x"},
		{type: "tmpfs", source: "tmpfs", destination: "/esc2/y"}]'
	ib_run "$(new_id esc)"
	assert_success
	[[ "$(echo $output)" == "tmpfs tmpfs" ]]
	[[ ! -e "$outside" ]]
	[[ -d "$BUNDLE/rootfs$outside/x" && -d "$BUNDLE/rootfs$outside/abs/y" ]]

	# A symlink loop is an error, not a hang.
	setup_bundle b2 true
	ln -s /loop2 "$BUNDLE/rootfs/loop1"
	ln -s /loop1 "$BUNDLE/rootfs/loop2"
	bundle_jq "$BUNDLE" '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/loop1/x"}]'
	ib_run "$(new_id loop)"
	assert_failure
}

@test "mounts: a tmpfs takes the mode of the directory it covers unless mode= is given" {
	# runc >= 1.2 (runc#4971); runc 1.1.5 chmods even over an explicit mode=.
	skip_unless_ironbox
	setup_bundle b sh -c 'stat -c %a /inherit /explicit /new/a/b; grep -E "^tmpfs /(inherit|explicit) " /proc/self/mounts'
	mkdir "$BUNDLE/rootfs/inherit" "$BUNDLE/rootfs/explicit"
	chmod 0710 "$BUNDLE/rootfs/inherit" "$BUNDLE/rootfs/explicit"
	bundle_jq "$BUNDLE" '.mounts += [
		{type: "tmpfs", source: "tmpfs", destination: "/inherit", options: ["rw", "nodev", "nosuid"]},
		{type: "tmpfs", source: "tmpfs", destination: "/explicit", options: ["mode=1500"]},
		{type: "tmpfs", source: "tmpfs", destination: "/new/a/b"}]'
	ib_run "$(new_id tmode)"
	assert_success
	[[ "${lines[0]}" == 710 ]]
	[[ "${lines[1]}" == 1500 ]]
	# A destination that did not exist: the tmpfs default.
	[[ "${lines[2]}" == 1777 ]]
	[[ "${lines[3]}" =~ mode=710 ]]
	[[ "${lines[4]}" =~ mode=1500 ]]
	# The directories themselves were not changed.
	[[ "$(stat -c %a "$BUNDLE/rootfs/explicit")" == 710 ]]
	[[ "$(stat -c %a "$BUNDLE/rootfs/new/a")" == 755 ]]
}

@test "mounts: tmpcopyup copies the destination's contents into the tmpfs" {
	# runc >= 1.2 (runc#3991); runc 1.1.5 loses the modes of copied directories.
	skip_unless_ironbox
	local r
	setup_bundle b sh -c 'ls -ld /dir1/dir2 | cut -c1-10; cat /dir1/f; readlink /dir1/link; readlink /dir1/out; stat -c "%u:%g %a" /dir1/dir2/owned; grep -c "^tmpfs /dir1 " /proc/self/mounts; echo new > /dir1/f; cat /dir1/f'
	r="$BUNDLE/rootfs"
	mkdir -p "$r/dir1/dir2"
	chmod 777 "$r/dir1/dir2"
	echo data >"$r/dir1/f"
	ln -s f "$r/dir1/link"
	ln -s /etc/shadow-of-the-host "$r/dir1/out"
	echo o >"$r/dir1/dir2/owned"
	chown 1000:1001 "$r/dir1/dir2/owned"
	chmod 0640 "$r/dir1/dir2/owned"
	bundle_jq "$BUNDLE" '.mounts += [{source: "tmpfs", destination: "/dir1", type: "tmpfs", options: ["tmpcopyup"]}]'
	ib_run "$(new_id copyup)"
	assert_success
	[[ "${lines[0]}" == drwxrwxrwx ]]
	[[ "${lines[1]}" == data ]]
	[[ "${lines[2]}" == f ]]
	[[ "${lines[3]}" == /etc/shadow-of-the-host ]]
	[[ "${lines[4]}" == "1000:1001 640" ]]
	[[ "${lines[5]}" == 1 ]]
	[[ "${lines[6]}" == new ]]
	# The image itself is untouched.
	[[ "$(cat "$r/dir1/f")" == data ]]
}

@test "mounts: tmpfs sync and dirsync are passed on" {
	setup_bundle b sh -c 'grep "^tmpfs /s " /proc/self/mounts'
	bundle_jq "$BUNDLE" '.mounts += [{type: "tmpfs", source: "tmpfs", destination: "/s", options: ["sync", "dirsync"]}]'
	ib_run "$(new_id sync)"
	assert_success
	[[ "$output" == *",sync,"* && "$output" == *",dirsync,"* ]]
}

@test "mounts: a destination given with the rootfs path in front is the same place (like runc)" {
	# runc >= 1.2; runc 1.1.5 fails on non-bind mounts given this way.
	skip_unless_ironbox
	setup_bundle b sh -c 'grep -c " /inside " /proc/self/mounts'
	bundle_jq "$BUNDLE" '.mounts += [{type: "tmpfs", source: "tmpfs", destination: ($r + "/inside")}]' --arg r "$BUNDLE/rootfs"
	ib_run "$(new_id rprefix)"
	assert_success
	[[ "$output" == 1 ]]
}

@test "--no-pivot: a nested user namespace's fresh proc gets the jail's masks and emulation (runc: refused)" {
	# runc's no_pivot.bats refuses unshare -mrpf + mount -t proc (the kernel
	# does, as the masks hide files). ironbox's supervisor makes that proc
	# (vetted mounts) and covers it like the container's own: a mask stays
	# a mask, meminfo stays emulated, with and without pivot_root.
	local np
	for np in --no-pivot ""; do
		setup_bundle "b$RANDOM" unshare -mrpf sh -euc 'mount -t proc none /proc && echo mounted
			echo "keys=$(wc -c </proc/keys)"
			grep -q " /proc/meminfo " /proc/self/mountinfo && echo meminfo-covered'
		bundle_jq "$BUNDLE" '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
		ib_run "$(new_id nopivot)" $np
		echo "$output"
		assert_success
		assert_output_contains mounted
		assert_output_contains "keys=0"
		assert_output_contains meminfo-covered
	done
	# Control: the nested namespace can mount in general (a tmpfs).
	setup_bundle "b$RANDOM" unshare -mrpf sh -euxc 'mount -t tmpfs none /mnt && echo mounted'
	bundle_jq "$BUNDLE" '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
	ib_run "$(new_id nopivot2)" --no-pivot
	assert_success
	assert_output_contains mounted
}

@test "a spec without a /proc mount runs, and exec works" {
	# runc 1.1.5 fails too (it reads /proc/self/fd to close fds).
	skip_unless_ironbox
	setup_bundle b sh -c 'test -e /proc/self || echo no-proc'
	bundle_jq "$BUNDLE" '.mounts |= map(select(.destination != "/proc"))'
	ib_run "$(new_id noproc)"
	assert_success
	[[ "$output" == no-proc ]]

	setup_bundle b2 sleep 1000
	rmdir "$BUNDLE/rootfs/proc"
	bundle_jq "$BUNDLE" '.mounts |= map(select(.destination != "/proc"))'
	local id
	id=$(new_id noproc2)
	ib_run_detached "$id" "$BUNDLE"
	run IB exec "$id" sh -c 'test -e /proc || echo still-no-proc' </dev/null 3>&-
	assert_success
	[[ "$output" == still-no-proc ]]
}

# ---------------------------------------------------------------------------
# ps, spec

@test "ps: arguments after the container id go to ps (ps ID -e -x), container root shows as root" {
	setup_bundle b sleep 1000
	local id pid
	id=$(new_id ps)
	ib_run_detached "$id" "$BUNDLE"
	pid=$(pid_of "$id")
	run IB ps "$id" -e -x
	assert_success
	[[ "${lines[0]}" =~ \ +PID\ +TTY\ +STAT\ +TIME\ +COMMAND ]]
	[[ "${#lines[@]}" -eq 2 ]]
	[[ "${lines[1]}" =~ ^\ *$pid\ .*sleep\ 1000 ]]
	# Default: ps -ef; the container's root is "root", as under runc.
	run IB ps "$id"
	assert_success
	[[ "${lines[0]}" =~ UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD ]]
	[[ "${lines[1]}" =~ ^root\ +$pid\  ]]
	# A user-relative selection: ps "U root" selects the container's root.
	run IB ps "$id" -U root -o pid,comm
	assert_success
	[[ "${#lines[@]}" -eq 2 ]]
	[[ "$(echo ${lines[1]})" == "$pid sleep" ]]
	run IB ps -f json "$id"
	assert_success
	[[ "$output" == "[$pid]" ]]
}

@test "ps: a leading -- before the ps arguments is dropped" {
	# runc hands "--" to ps, which fails; ironbox drops it.
	skip_unless_ironbox
	setup_bundle b sleep 1000
	local id pid
	id=$(new_id ps)
	ib_run_detached "$id" "$BUNDLE"
	pid=$(pid_of "$id")
	run IB ps "$id" -- -e -x
	assert_success
	[[ "${lines[1]}" =~ ^\ *$pid\  ]]
}

@test "ps: after the container stopped, only the header" {
	setup_bundle b sleep 1000
	local id
	id=$(new_id ps)
	ib_run_detached "$id" "$BUNDLE"
	IB kill "$id" KILL
	wait_for_state "$id" stopped 20
	run IB ps "$id"
	assert_success
	[[ "${#lines[@]}" -eq 1 && "${lines[0]}" == *PID* ]]
}

# check_rootless_spec FILE UID GID : runc's rootless transformations.
check_rootless_spec() {
	jq -e --argjson u "$2" --argjson g "$3" '
		(.linux.namespaces | map(select(.type == "user")) | length) == 1
		and .linux.namespaces[-1].type == "user"
		and .linux.uidMappings == [{containerID: 0, hostID: $u, size: 1}]
		and .linux.gidMappings == [{containerID: 0, hostID: $g, size: 1}]
		and ([.mounts[].options // [] | .[] | select(startswith("uid=") or startswith("gid="))] | length) == 0
		and (.linux.resources == null)
		and (.mounts | map(select(.destination == "/dev/pts")) | length) == 1' "$1" >/dev/null
}

@test "spec --rootless: a user namespace mapping the caller to root, like runc" {
	local d="$BATS_TEST_TMPDIR/rl" d2
	mkdir -p "$d"
	public_dir
	d2=$PUBLIC_DIR
	"$IRONBOX" spec --rootless --bundle "$d"
	check_rootless_spec "$d/config.json" 0 0
	# As an unprivileged user: its own IDs.
	setpriv --reuid=1000 --regid=1001 --clear-groups "$IRONBOX" spec --rootless --bundle "$d2"
	check_rootless_spec "$d2/config.json" 1000 1001
	# Negative control: the plain spec has no user namespace mappings.
	rm -f "$d/config.json"
	"$IRONBOX" spec --bundle "$d"
	! check_rootless_spec "$d/config.json" 0 0
	run jq -e '.linux.uidMappings == null' "$d/config.json"
	assert_success
}

@test "spec --rootless: ironbox runs the spec an unprivileged user generated (in its own ID range)" {
	skip_unless_ironbox
	local d
	setup_bundle b true
	public_dir
	d=$PUBLIC_DIR
	setpriv --reuid=1000 --regid=1000 --clear-groups "$IRONBOX" spec --rootless --bundle "$d"
	mv "$d/config.json" "$BUNDLE/config.json"
	bundle_jq "$BUNDLE" '.process.terminal = false | .root.readonly = false | .process.args = ["cat", "/proc/self/uid_map"]'
	ib_run "$(new_id rl)"
	assert_success
	[[ "$(echo $output)" =~ ^0\ [0-9]+\ 65536$ ]]
	[[ "$(echo $output)" != "0 1000 1" ]]
}

# An OCI seccomp agent (listenerPath): the listener of the spec's own filter,
# with the container's state, reaches the agent for the init and for exec;
# the agent's answers are what the trapped calls return.
start_agent() {
	local agent
	agent=$(build_helper ibagent) || return 1
	AGENT_SOCK="$BATS_TEST_TMPDIR/agent.sock"
	AGENT_LOG="$BATS_TEST_TMPDIR/agent.log"
	"$agent" "$AGENT_SOCK" "$AGENT_LOG" 28 </dev/null >/dev/null 2>&1 3>&- &
	AGENT_PID=$!
	for _ in $(seq 50); do [[ -S "$AGENT_SOCK" ]] && return 0; sleep 0.1; done
	return 1
}

stop_agent() {
	[[ -n "${AGENT_PID:-}" ]] && kill "$AGENT_PID" 2>/dev/null
	wait "${AGENT_PID:-}" 2>/dev/null || true
}

@test "seccomp listenerPath: the agent gets the listener and answers the notified calls (init and exec)" {
	start_agent
	setup_bundle b sh -c 'mkdir /tmp/x 2>&1; echo rc=$?; sleep 60'
	bundle_jq "$BUNDLE" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		listenerMetadata: "meta-1", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' --arg s "$AGENT_SOCK"
	local id
	id=$(new_id)
	ib_create "$id" "$BUNDLE"
	IB start "$id"
	for _ in $(seq 50); do grep -q rc= "$BATS_TEST_TMPDIR/$id.out" && break; sleep 0.1; done
	run cat "$BATS_TEST_TMPDIR/$id.out"
	# ENOSPC (28) is what the agent answers: the call went to it.
	assert_output_contains "No space left on device"
	assert_output_contains "rc=1"
	run jq -se --arg id "$id" '.[0] | .fds == ["seccompFd"] and .metadata == "meta-1" and
		.state.id == $id and .state.status == "creating" and .pid == .state.pid and .pid > 0' "$AGENT_LOG"
	assert_success
	run IB exec "$id" sh -c 'mkdir /tmp/y 2>&1; echo rc=$?'
	assert_output_contains "No space left on device"
	run jq -se '.[1] | .state.status == "running" and .pid != .state.pid' "$AGENT_LOG"
	assert_success
	IB delete -f "$id"
	stop_agent
}

@test "seccomp listenerPath: no agent listening fails create and leaves nothing behind" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' --arg s "$BATS_TEST_TMPDIR/none.sock"
	local id
	id=$(new_id)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	assert_failure
	assert_output_contains "seccomp agent"
	assert_no_leftovers "$id"
}

@test "mounts: a bind source inside the rootfs is resolved there, after the mounts before it (runc's mount order)" {
	setup_bundle b cat /x/file
	local d="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$d/sub"
	echo from-earlier-mount >"$d/sub/file"
	[[ ! -e "$BUNDLE/rootfs/mnt/sub" ]]
	bundle_jq "$BUNDLE" '.mounts += [
		{destination: "/mnt", type: "bind", source: $d, options: ["rbind"]},
		{destination: "/x", type: "bind", source: $r, options: ["rbind", "ro"]}]' \
		--arg d "$d" --arg r "$BUNDLE/rootfs/mnt/sub"
	run IB run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
	assert_success
	assert_output_contains from-earlier-mount
	# Never resolved on the host: nothing was created in the bundle's rootfs.
	[[ ! -e "$BUNDLE/rootfs/mnt/sub" ]]
}

@test "mounts: a rootfs bind source cannot leave the rootfs (.. and absolute symlinks stay inside)" {
	setup_bundle b cat /x/hostname
	ln -s /etc "$BUNDLE/rootfs/linktoetc"
	echo container-etc >"$BUNDLE/rootfs/etc/hostname"
	bundle_jq "$BUNDLE" '.mounts += [
		{destination: "/x", type: "bind", source: $l, options: ["bind"]}]' \
		--arg l "$BUNDLE/rootfs/linktoetc"
	run IB run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
	assert_success
	# The container's /etc, not the host's.
	assert_output_contains container-etc
}
