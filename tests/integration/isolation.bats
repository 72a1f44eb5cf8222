#!/usr/bin/env bats
# ironbox's isolation rules through the CLI (DESIGN.md behaviours 1-5):
# exclusive user-namespace ranges, no host namespaces, restricted host
# mounts, ID-mapped volumes, confined --privileged. ironbox only: every test
# skips when the runtime under test is runc/crun.

load ../lib/common

NS_MSG_TAIL="with the host (because they use the linux user-namespace for isolation)"

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
	CREATED_FILES=()
	CREATED_DIRS=()
	BG_KILL=()
}

teardown() {
	local f
	for f in "${BG_KILL[@]+"${BG_KILL[@]}"}"; do
		kill -KILL "$f" 2>/dev/null
	done
	common_teardown
	for f in "${CREATED_FILES[@]+"${CREATED_FILES[@]}"}"; do
		rm -f "$f"
	done
	for f in "${CREATED_DIRS[@]+"${CREATED_DIRS[@]}"}"; do
		[[ -n "$f" && "$f" == /*/ib-* ]] && rm -rf "$f"
	done
	rmdir /etc/docker 2>/dev/null || true
}

# "inside host count" of a process's uid_map (first line).
uid_map_of_pid() { awk 'NR == 1 {print $1, $2, $3}' "/proc/$1/uid_map"; }
gid_map_of_pid() { awk 'NR == 1 {print $1, $2, $3}' "/proc/$1/gid_map"; }

# Create a file on the host for the duration of the test (if missing).
ensure_host_file() {
	local f=$1
	if [[ ! -e "$f" ]]; then
		mkdir -p "$(dirname "$f")"
		echo '{}' >"$f"
		CREATED_FILES+=("$f")
	fi
}

# Bundle with a bind mount of SRC at /mnt/x.
bind_bundle() {
	setup_bundle "b$RANDOM" true
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$1"
}

# assert_refused_mount SRC [SHOWN] : create fails with the restricted-mount
# error naming SHOWN (default SRC) and leaves nothing behind.
assert_refused_mount() {
	local src=$1 shown=${2:-$1} id
	bind_bundle "$src"
	id=$(new_id m)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount $shown because it's configured as a restricted host mount"
	assert_no_leftovers "$id"
}

# assert_not_allowed_mount SRC : create fails because SRC is not a shared
# host directory, and leaves nothing behind.
assert_not_allowed_mount() {
	local src=$1 id
	bind_bundle "$src"
	id=$(new_id m)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount $src because it's not in the admin policy's allowed mounts"
	assert_no_leftovers "$id"
}

# make_policy [jq args...] FILTER : the default policy with FILTER applied,
# written to $BATS_TEST_TMPDIR/policy.json (root-owned, 0644); prints its path.
make_policy() {
	local pol="$BATS_TEST_TMPDIR/policy.json"
	rm -f "$pol" "$pol.def"
	"$IRONBOX" --policy "$pol.def" policy-init 2>/dev/null || return 1
	jq "$@" "$pol.def" >"$pol" || return 1
	chmod 0644 "$pol"
	rm -f "$pol.def"
	echo "$pol"
}

# try_create_pol POLICY ID BUNDLE : try_create with --policy.
try_create_pol() {
	local pol=$1 id=$2 bundle=$3 f
	f="$BATS_TEST_TMPDIR/create-$id.log"
	status=0
	IB --policy "$pol" create --bundle "$bundle" "$id" </dev/null >"$f" 2>&1 3>&- || status=$?
	output=$(cat "$f")
}

# start_sock PATH NAME : a listening unix socket at PATH served by a process
# named NAME (killed in teardown); waits until it listens.
start_sock() {
	local bin i
	bin=$(build_helper ibsock) || return 1
	"$bin" "$1" "$2" </dev/null >"$BATS_TEST_TMPDIR/ibsock.out" 2>&1 3>&- &
	SOCK_PID=$!
	BG_KILL+=("$SOCK_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$BATS_TEST_TMPDIR/ibsock.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "ibsock did not start"
}

stop_sock() {
	kill -KILL "$SOCK_PID" 2>/dev/null
	while kill -0 "$SOCK_PID" 2>/dev/null; do sleep 0.05; done
}

# The host's first real disk (/dev/vda, /dev/sda, /dev/nvme0n1...).
host_disk() {
	lsblk -dnpo NAME,TYPE 2>/dev/null | awk '$2 == "disk" && $1 !~ /zram|loop|ram/ {print $1; exit}'
}

ALL_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"]'

# A "privileged" bundle like Docker's --privileged: all capabilities, no
# seccomp, writable /proc and /sys, host /dev/kmsg and the first disk as
# spec devices. Rootfs with ibprobe and bpftool.
privileged_bundle() {
	BUNDLE="$BATS_TEST_TMPDIR/priv"
	make_tools_rootfs "$BUNDLE/rootfs"
	local spec caps=$ALL_CAPS
	spec=$(_default_spec)
	if [[ "$(basename "$IRONBOX")" == runc* ]]; then
		# harness self-check with runc: it fails on capabilities it does not
		# hold (ironbox drops them, as tested in cli_lifecycle.bats)
		local bnd
		bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
		caps=$(jq -c --argjson b "$bnd" 'to_entries | map(select(.key > 62 or (($b / pow(2; .key)) | floor) % 2 == 1) | .value)' <<<"$ALL_CAPS")
	fi
	jq --argjson caps "$caps" '
		.process.terminal = false | .root.readonly = false
		| .process.args = ["sh", "-c", "true"]
		| .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
		| .process.noNewPrivileges = false
		| del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys" then .options -= ["ro"] else . end)
		| .linux.resources.devices = [{allow: true, access: "rwm"}]' "$spec" >"$BUNDLE/config.json"
	local dev
	for dev in /dev/kmsg $(host_disk); do
		[[ -e "$dev" ]] || continue
		local t maj min
		if [[ -b "$dev" ]]; then t=b; else t=c; fi
		maj=$((16#$(stat -c %t "$dev")))
		min=$((16#$(stat -c %T "$dev")))
		bundle_jq "$BUNDLE" '.linux.devices += [{path: $p, type: $t, major: $ma, minor: $mi, fileMode: 384, uid: 0, gid: 0}]' \
			--arg p "$dev" --arg t "$t" --argjson ma "$maj" --argjson mi "$min"
	done
}

# ---------------------------------------------------------------------------
# 1. user namespace and exclusive ranges

@test "isolation: a spec without a user namespace gets one with a 64K range" {
	setup_bundle b sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; readlink /proc/self/ns/user'
	jq -e '[.linux.namespaces[].type] | index("user") == null' "$BUNDLE/config.json"
	ib_run "$(new_id)"
	assert_success
	echo "$output"
	local u g
	u=$(awk 'NR == 1 {print $1, $2, $3}' <<<"$output")
	g=$(awk 'NR == 2 {print $1, $2, $3}' <<<"$output")
	[[ "$u" =~ ^0\ [0-9]+\ 65536$ ]]
	[[ "$u" == "$g" ]]
	local base
	base=$(awk '{print $2}' <<<"$u")
	[[ "$base" -ge 65536 ]]
	[[ "${lines[2]}" != "$(readlink /proc/self/ns/user)" ]]
}

@test "isolation: the first range of a fresh pool is 0 100000 65536" {
	# Only meaningful when no other ironbox container is alive on the host.
	setup_bundle b cat /proc/self/uid_map
	ib_run "$(new_id)"
	assert_success
	[[ "$(awk '{print $1, $2, $3}' <<<"$output")" == "0 100000 65536" ]] ||
		skip "other containers hold ranges: got '$output'"
}

@test "isolation: two concurrent containers get different ranges" {
	setup_bundle b sleep 1000
	local a b pa pb
	a=$(new_id a)
	b=$(new_id b)
	ib_run_detached "$a" "$BUNDLE"
	ib_run_detached "$b" "$BUNDLE"
	pa=$(pid_of "$a")
	pb=$(pid_of "$b")
	local ma mb
	ma=$(uid_map_of_pid "$pa")
	mb=$(uid_map_of_pid "$pb")
	echo "first: $ma second: $mb"
	[[ "$ma" =~ ^0\ [0-9]+\ 65536$ && "$mb" =~ ^0\ [0-9]+\ 65536$ ]]
	local ha hb
	ha=$(awk '{print $2}' <<<"$ma")
	hb=$(awk '{print $2}' <<<"$mb")
	[[ $((ha > hb ? ha - hb : hb - ha)) -ge 65536 ]]
	[[ "$(gid_map_of_pid "$pa")" == "$ma" && "$(gid_map_of_pid "$pb")" == "$mb" ]]
	[[ "$(readlink "/proc/$pa/ns/user")" != "$(readlink "/proc/$pb/ns/user")" ]]
}

@test "isolation: ranges are exclusive across state roots (docker and containerd use different --root)" {
	setup_bundle b sleep 1000
	local a b pa pb root2="/tmp/ib-root/isolation-second"
	a=$(new_id a)
	b=$(new_id b)
	ib_run_detached "$a" "$BUNDLE"
	mkdir -p "$root2"
	"$IRONBOX" --root "$root2" run -d --bundle "$BUNDLE" "$b" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/b.err" 3>&- || {
		cat "$BATS_TEST_TMPDIR/b.err"
		false
	}
	pa=$(pid_of "$a")
	pb=$("$IRONBOX" --root "$root2" state "$b" | jq -r .pid)
	local ha hb
	ha=$(uid_map_of_pid "$pa" | awk '{print $2}')
	hb=$(uid_map_of_pid "$pb" | awk '{print $2}')
	"$IRONBOX" --root "$root2" delete -f "$b" >/dev/null 2>&1
	rm -rf "$root2"
	echo "root1: $ha root2: $hb"
	[[ $((ha > hb ? ha - hb : hb - ha)) -ge 65536 ]]
}

@test "isolation: 50 concurrent containers hold 50 distinct ranges" {
	setup_bundle b sleep 1000
	local ids=() i id
	for i in $(seq 1 50); do ids+=("$(new_id x$i)"); done
	for id in "${ids[@]}"; do
		bg_start ib_create "$id" "$BUNDLE"
	done
	bg_wait
	: >"$BATS_TEST_TMPDIR/bases"
	for id in "${ids[@]}"; do
		uid_map_of_pid "$(pid_of "$id")" >>"$BATS_TEST_TMPDIR/bases"
	done
	# all "0 N 65536", 50 distinct N, pairwise >= 65536 apart
	[[ "$(grep -cE '^0 [0-9]+ 65536$' "$BATS_TEST_TMPDIR/bases")" -eq 50 ]]
	[[ "$(awk '{print $2}' "$BATS_TEST_TMPDIR/bases" | sort -un | wc -l)" -eq 50 ]]
	awk '{print $2}' "$BATS_TEST_TMPDIR/bases" | sort -n |
		awk 'NR > 1 && $1 - prev < 65536 { bad = 1 } { prev = $1 } END { exit bad }'
	# delete them all concurrently; nothing left
	for id in "${ids[@]}"; do bg_start IB delete -f "$id"; done
	bg_wait
	for id in "${ids[@]}"; do assert_no_leftovers "$id"; done
}

@test "isolation: a range is released on delete and reused" {
	setup_bundle b sleep 1000
	local i id seen=""
	# With one live container at a time the allocator never needs more than
	# a handful of ranges: 10 sequential create/delete must not walk the pool.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		id=$(new_id r$i)
		ib_create "$id" "$BUNDLE"
		seen+="$(uid_map_of_pid "$(pid_of "$id")" | awk '{print $2}') "
		IB delete -f "$id"
	done
	echo "bases: $seen"
	[[ "$(tr ' ' '\n' <<<"$seen" | grep -v '^$' | sort -u | wc -l)" -le 2 ]]
}

@test "isolation: a spec mapping container root to host root is refused" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 0, size: 65536}]'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_no_leftovers "$id"
}

@test "isolation: killing the runtime during create leaks no range" {
	setup_bundle b sleep 1000
	local i id pid
	for i in 1 2 3 4 5 6 7 8; do
		id=$(new_id k$i)
		# The binary itself (not a shell function around it) so that $! is the runtime.
		"$IRONBOX" --root "$TEST_ROOT" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- &
		pid=$!
		sleep "0.00$i"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		IB delete -f "$id" >/dev/null 2>&1 || true
		assert_no_leftovers "$id"
	done
	# The allocator recovered every range: the next container still gets a
	# range at most a couple away from the pool start of an idle pool.
	id=$(new_id after)
	ib_create "$id" "$BUNDLE"
	local base
	base=$(uid_map_of_pid "$(pid_of "$id")" | awk '{print $2}')
	echo "base after kills: $base"
	[[ "$base" -lt $((100000 + 65536 * 4)) ]] || skip "pool not idle (other containers alive?)"
}

# ---------------------------------------------------------------------------
# 2. no host namespaces

@test "isolation: missing pid namespace is refused, nothing left" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(select(.type != "pid"))'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "containers can't share namespaces [pid] $NS_MSG_TAIL"
	assert_no_leftovers "$id"
}

@test "isolation: missing network namespace is refused" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(select(.type != "network"))'
	local id
	id=$(new_id)
	run IB run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	assert_failure
	assert_output_contains "containers can't share a network namespace $NS_MSG_TAIL"
	assert_no_leftovers "$id"
}

@test "isolation: missing pid, ipc and uts namespaces are all named" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(select(.type != "pid" and .type != "ipc" and .type != "uts"))'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "containers can't share namespaces [pid, ipc, uts] $NS_MSG_TAIL"
	assert_no_leftovers "$id"
}

@test "isolation: a namespace path to the host's namespace is refused" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = "/proc/1/ns/pid" else . end)'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't share namespaces [pid]"
	assert_no_leftovers "$id"
}

@test "isolation: joining the host's user namespace is refused" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces += [{type: "user", path: "/proc/1/ns/user"}]'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't share the host's user namespace"
	assert_no_leftovers "$id"
}

@test "isolation: a missing cgroup namespace is added" {
	setup_bundle b readlink /proc/self/ns/cgroup
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(select(.type != "cgroup"))'
	ib_run "$(new_id)"
	assert_success
	[[ "$output" != "$(readlink /proc/self/ns/cgroup)" ]]
}

@test "isolation: the host's cgroup namespace by path is refused" {
	setup_bundle b true
	bundle_jq "$BUNDLE" '.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup", path: "/proc/1/ns/cgroup"}])'
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_no_leftovers "$id"
}

@test "isolation: joining another container's network namespace shares its range" {
	setup_bundle a sleep 1000
	local a b pa pb
	a=$(new_id a)
	ib_run_detached "$a" "$BUNDLE"
	pa=$(pid_of "$a")
	setup_bundle b sleep 1000
	bundle_jq "$BUNDLE" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/proc/$pa/ns/net"
	b=$(new_id b)
	ib_run_detached "$b" "$BUNDLE"
	pb=$(pid_of "$b")
	[[ "$(uid_map_of_pid "$pa")" == "$(uid_map_of_pid "$pb")" ]]
	[[ "$(readlink "/proc/$pa/ns/user")" == "$(readlink "/proc/$pb/ns/user")" ]]
	[[ "$(readlink "/proc/$pa/ns/net")" == "$(readlink "/proc/$pb/ns/net")" ]]
	# deleting the first keeps the second's range held
	IB delete -f "$b"
	IB delete -f "$a"
	assert_no_leftovers "$a"
	assert_no_leftovers "$b"
}

# ---------------------------------------------------------------------------
# 4. restricted host mounts

@test "isolation: bind of /etc/docker/daemon.json is refused" {
	ensure_host_file /etc/docker/daemon.json
	assert_refused_mount /etc/docker/daemon.json
}

@test "isolation: bind of /etc (a parent of a restricted path) is refused" {
	assert_refused_mount /etc
	assert_refused_mount /etc/ /etc
}

@test "isolation: bind of / is refused" {
	assert_refused_mount /
}

@test "isolation: bind of the docker socket is refused" {
	ensure_host_file /run/docker.sock
	assert_refused_mount /run/docker.sock
	# /var/run is a symlink to /run: resolved before the check
	bind_bundle /var/run/docker.sock
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "because it's configured as a restricted host mount"
	assert_no_leftovers "$id"
}

@test "isolation: restricted paths reached through symlinks and .. are refused" {
	ensure_host_file /etc/docker/daemon.json
	ln -s /etc/docker "$BATS_TEST_TMPDIR/sneaky"
	bind_bundle "$BATS_TEST_TMPDIR/sneaky"
	local id
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "restricted host mount"
	assert_no_leftovers "$id"

	bind_bundle "/tmp/../etc/docker"
	id=$(new_id)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "restricted host mount"
}

@test "isolation: the runtime's policy and state cannot be mounted" {
	assert_refused_mount "$TEST_ROOT"
	if [[ -e /etc/ironbox ]]; then
		assert_refused_mount /etc/ironbox
	fi
}

@test "isolation: bind of a directory under /tmp is allowed" {
	mkdir -p "$BATS_TEST_TMPDIR/shared"
	echo hello >"$BATS_TEST_TMPDIR/shared/f"
	setup_bundle b cat /mnt/x/f
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$BATS_TEST_TMPDIR/shared"
	ib_run "$(new_id)"
	assert_success
	[[ "$output" == hello ]]
}

# ---------------------------------------------------------------------------
# 4b. host paths are decided on the object that is mounted, and only shared
# host directories (allowedMounts, Docker Desktop's "File sharing") or
# engine-owned files may be mounted

@test "isolation: a bind source flipped between a shared and a restricted directory during create never mounts the restricted one" {
	local secret="$BATS_TEST_TMPDIR/secret" okdir="$BATS_TEST_TMPDIR/ok" link="$BATS_TEST_TMPDIR/link"
	local pol i out leaks=0 mounted=0 refused=0 other=0 flipper
	mkdir -p "$secret" "$okdir"
	echo SECRET >"$secret/marker"
	echo ALLOWED >"$okdir/marker"
	pol=$(make_policy --arg s "$secret" '.restrictedMounts += [$s]')
	setup_bundle b cat /mnt/x/marker
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$link"
	# Controls: the secret directory is an ordinary shared one under the
	# default policy (mounted), and refused under the test policy.
	ln -sfn "$secret" "$link"
	ib_run "$(new_id c)"
	assert_success
	[[ "$output" == SECRET ]]
	run IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id r)" </dev/null 3>&-
	assert_failure
	assert_output_contains "because it's configured as a restricted host mount"
	# The race: the link is replaced atomically, back and forth, while
	# containers are created. No container may ever see the secret.
	(
		while :; do
			ln -sfn "$secret" "$link.a" && mv -Tf "$link.a" "$link"
			ln -sfn "$okdir" "$link.b" && mv -Tf "$link.b" "$link"
		done
	) </dev/null >/dev/null 2>&1 3>&- &
	flipper=$!
	BG_KILL+=("$flipper")
	for ((i = 0; i < 40; i++)); do
		out=$(IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id f)" </dev/null 2>&1 3>&-) || true
		case "$out" in
		*SECRET*) leaks=$((leaks + 1)) ;;
		*ALLOWED*) mounted=$((mounted + 1)) ;;
		*"restricted host mount"*) refused=$((refused + 1)) ;;
		*) other=$((other + 1)); echo "other: $out" >&2 ;;
		esac
	done
	kill -KILL "$flipper"
	echo "mounted=$mounted refused=$refused leaks=$leaks other=$other" >&2
	[[ $leaks -eq 0 ]]
	# Both outcomes happened: the race was really run.
	[[ $mounted -ge 1 && $refused -ge 1 ]]
}

# A host mount of restricted content inside a tree someone may rename in
# (a host user, or a container given the parent directory): moved below a
# recursive bind's source, or a rootfs, between the policy's look at the
# mounts below it and the clone. The clone itself is checked (stage.c):
# only the mounts decided on may come along. The legitimate tmpfs below
# makes the clone recursive; without it the source is cloned alone.
race_mount_below() {
	local top=$1 pol=$2 i id out leaks=0 mounted=0 refused=0 changed=0 other=0 mover
	mkdir -p "$top/legit" "$BATS_TEST_TMPDIR/out/box/sub"
	mount -t tmpfs legit "$top/legit"
	mount --bind "$BATS_TEST_TMPDIR/secret" "$BATS_TEST_TMPDIR/out/box/sub"
	# Control: moved there for good, the mount below is refused.
	mv "$BATS_TEST_TMPDIR/out/box" "$top/box"
	run IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id r)" </dev/null 3>&-
	assert_failure
	assert_output_contains "is configured as a restricted host mount"
	mv "$top/box" "$BATS_TEST_TMPDIR/out/box"
	(
		while :; do
			mv "$BATS_TEST_TMPDIR/out/box" "$top/box"
			mv "$top/box" "$BATS_TEST_TMPDIR/out/box"
		done
	) </dev/null >/dev/null 2>&1 3>&- &
	mover=$!
	BG_KILL+=("$mover")
	for ((i = 0; i < 40; i++)); do
		id=$(new_id f)
		out=$(IB --policy "$pol" run --bundle "$BUNDLE" "$id" </dev/null 2>&1 3>&-) || true
		case "$out" in
		*SECRET*) leaks=$((leaks + 1)); echo "leak: $out" >&2 ;;
		*done*) mounted=$((mounted + 1)) ;;
		*"restricted host mount"*) refused=$((refused + 1)) ;;
		*"changed while the container was created"*)
			changed=$((changed + 1))
			# refused after its clone was staged: nothing left behind
			assert_no_leftovers "$id"
			;;
		*) other=$((other + 1)); echo "other: $out" >&2 ;;
		esac
	done
	kill -KILL "$mover"
	echo "mounted=$mounted refused=$refused changed=$changed leaks=$leaks other=$other" >&2
	[[ $leaks -eq 0 && $other -eq 0 ]]
	[[ $mounted -ge 1 && $((refused + changed)) -ge 1 ]]
}

@test "isolation: a restricted mount moved below an rbind source during create never comes along" {
	local pol src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$BATS_TEST_TMPDIR/secret" "$src"
	echo SECRET >"$BATS_TEST_TMPDIR/secret/marker"
	pol=$(make_policy --arg s "$BATS_TEST_TMPDIR/secret" '.restrictedMounts += [$s]')
	setup_bundle b sh -c 'for i in $(seq 300); do cat /mnt/x/box/sub/marker 2>/dev/null && { grep /mnt/x /proc/self/mountinfo; break; }; done; echo done'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$src"
	race_mount_below "$src" "$pol"
}

@test "isolation: a restricted mount moved below the rootfs directory during create never comes along" {
	local pol
	mkdir -p "$BATS_TEST_TMPDIR/secret"
	echo SECRET >"$BATS_TEST_TMPDIR/secret/marker"
	pol=$(make_policy --arg s "$BATS_TEST_TMPDIR/secret" '.restrictedMounts += [$s]')
	setup_bundle b sh -c 'for i in $(seq 300); do cat /box/sub/marker 2>/dev/null && break; done; echo done'
	race_mount_below "$BUNDLE/rootfs" "$pol"
}

@test "isolation: a bind source through a /proc magic link is refused" {
	local p id
	for p in /proc/self/fd/0 /proc/self/root/tmp /proc/self/cwd /dev/fd/0 "/proc/$$/root$BATS_TEST_TMPDIR"; do
		bind_bundle "$p"
		id=$(new_id m)
		try_create "$id" "$BUNDLE"
		assert_failure
		assert_output_contains "can't mount $p because its path goes through a magic link"
		assert_no_leftovers "$id"
	done
	# Control: the same directory by its own name is a shared one.
	mkdir -p "$BATS_TEST_TMPDIR/d"
	bind_bundle "$BATS_TEST_TMPDIR/d"
	ib_run "$(new_id)"
	assert_success
}

@test "isolation: only shared host directories can be bound (/usr/local/sbin refused, /home/... allowed)" {
	local h
	assert_not_allowed_mount /usr/local/sbin
	assert_not_allowed_mount /etc/cron.d
	assert_not_allowed_mount /root
	assert_not_allowed_mount /usr/bin
	assert_refused_mount /var/lib # holds /var/lib/docker
	assert_refused_mount /usr     # holds /usr/lib/modules
	# /home is shared.
	h=$(mktemp -d /home/ib-mntsrc.XXXXXX)
	CREATED_DIRS+=("$h")
	echo from-home >"$h/f"
	setup_bundle b sh -c 'cat /h/f; touch /h/new'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/h", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$h"
	ib_run "$(new_id)"
	assert_success
	[[ "$output" == from-home ]]
	[[ "$(stat -c %u "$h/new")" == 0 ]]
	# Control: an admin who shares /usr/local/sbin lets it through (ro).
	local pol id
	pol=$(make_policy '.allowedMounts += ["/usr/local/sbin"]')
	setup_bundle b2 sh -c 'ls -d /h && echo mounted'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/h", type: "bind", source: "/usr/local/sbin", options: ["rbind", "ro"]}]'
	run IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
	assert_success
	assert_output_contains mounted
}

@test "isolation: an engine's socket is refused by any name, also as a hard link in a shared directory" {
	local d="$BATS_TEST_TMPDIR/run" share="$BATS_TEST_TMPDIR/share" id
	mkdir -p "$d" "$share/a/b" "$BATS_TEST_TMPDIR/other"
	start_sock "$d/engine.sock" dockerd
	ln "$d/engine.sock" "$share/a/b/hl"
	assert_refused_mount "$d/engine.sock"
	assert_refused_mount "$d"
	assert_refused_mount "$share/a/b/hl"
	assert_refused_mount "$share"
	# A shared directory without it is fine.
	bind_bundle "$BATS_TEST_TMPDIR/other"
	ib_run "$(new_id)"
	assert_success
	# Bound through a symlinked directory: found by the file's own name.
	stop_sock
	rm -f "$d/engine.sock" "$share/a/b/hl"
	mkdir -p "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/via"
	start_sock "$BATS_TEST_TMPDIR/via/engine.sock" dockerd
	assert_refused_mount "$BATS_TEST_TMPDIR/real"
	assert_refused_mount "$BATS_TEST_TMPDIR/via/engine.sock"
	# Control: the same socket served by a program that is no container
	# engine is an ordinary file of a shared directory.
	stop_sock
	rm -f "$d/engine.sock" "$share/a/b/hl"
	start_sock "$d/engine.sock" notanengine
	ln "$d/engine.sock" "$share/a/b/hl"
	bind_bundle "$share"
	ib_run "$(new_id)"
	assert_success
}

@test "isolation: a recursive bind is refused when a restricted directory is mounted below it" {
	local share="$BATS_TEST_TMPDIR/share" id
	mkdir -p "$share/sub"
	mount --bind "$TEST_ROOT" "$share/sub"
	bind_bundle "$share"
	id=$(new_id m)
	try_create "$id" "$BUNDLE"
	umount "$share/sub"
	assert_failure
	assert_output_contains "can't mount $share because $share/sub (mounted below it) is configured as a restricted host mount"
	assert_no_leftovers "$id"
	# Control: a non-recursive bind does not take the submount along.
	mount --bind "$TEST_ROOT" "$share/sub"
	setup_bundle b sh -c 'ls -A /mnt/x/sub | wc -l'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["bind", "ro"]}]' --arg s "$share"
	ib_run "$(new_id)"
	umount "$share/sub"
	assert_success
	[[ "$output" == 0 ]]
}

@test "isolation: root.path / and a rootfs outside the shared directories are refused" {
	local id r pol
	setup_bundle b true
	bundle_jq "$BUNDLE" '.root.path = "/"'
	id=$(new_id r)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount / as the container's root filesystem because it's configured as a restricted host mount"
	assert_no_leftovers "$id"
	# A rootfs in a system directory (not shared).
	r=$(mktemp -d /var/cache/ib-rootfs.XXXXXX)
	CREATED_DIRS+=("$r")
	setup_bundle b2 true
	cp -a "$BUNDLE/rootfs/." "$r/"
	bundle_jq "$BUNDLE" '.root.path = $r' --arg r "$r"
	id=$(new_id r)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount $r as the container's root filesystem because it's not in the admin policy's allowed mounts"
	assert_no_leftovers "$id"
	# Control: shared by the admin, it is an ordinary rootfs.
	pol=$(make_policy --arg r "$r" '.allowedMounts += [$r]')
	run IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
	assert_success
}

@test "isolation: an overlay mount of config.json is decided on its layers (lowerdir=/etc refused)" {
	local e="$BATS_TEST_TMPDIR/empty" id pol
	mkdir -p "$e"
	setup_bundle b cat /mnt/o/hostname
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/o", type: "overlay", source: "overlay", options: ["ro", ("lowerdir=/etc:" + $e)]}]' --arg e "$e"
	id=$(new_id o)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount /etc because it's configured as a restricted host mount"
	assert_no_leftovers "$id"
	# A layer outside the shared directories.
	setup_bundle b2 true
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/o", type: "overlay", source: "overlay", options: ["ro", ("lowerdir=/usr/share:" + $e)]}]' --arg e "$e"
	id=$(new_id o)
	try_create "$id" "$BUNDLE"
	assert_failure
	assert_output_contains "can't mount /usr/share because it's not in the admin policy's allowed mounts"
	# Control: with a policy that restricts nothing and shares everything,
	# the container reads the host's /etc through that overlay.
	setup_bundle b3 cat /mnt/o/hostname
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/o", type: "overlay", source: "overlay", options: ["ro", ("lowerdir=/etc:" + $e)]}]' --arg e "$e"
	pol=$(make_policy '.restrictedMounts = [] | .allowedMounts = ["/"]')
	run IB --policy "$pol" run --bundle "$BUNDLE" "$(new_id)" </dev/null 3>&-
	assert_success
	[[ "$output" == "$(cat /etc/hostname)" ]]
}

@test "isolation: an overlay mount of shared directories is built host-side from ID-mapped layers" {
	local o="$BATS_TEST_TMPDIR/ovl"
	mkdir -p "$o/l" "$o/u" "$o/w"
	echo low >"$o/l/f"
	setup_bundle b sh -c 'cat /mnt/o/f; echo up >/mnt/o/g; ls -ln /mnt/o/f | awk "{print \$3, \$4}"; grep " /mnt/o " /proc/self/mountinfo | grep -c overlay'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/o", type: "overlay", source: "overlay", options: [("lowerdir=" + $o + "/l"), ("upperdir=" + $o + "/u"), ("workdir=" + $o + "/w")]}]' --arg o "$o"
	ib_run "$(new_id)"
	assert_success
	[[ "${lines[0]}" == low ]]
	[[ "${lines[1]}" == "0 0" ]]
	[[ "${lines[2]}" == 1 ]]
	[[ "$(cat "$o/u/g")" == up ]]
	[[ "$(stat -c %u "$o/u/g")" == 0 ]]
}

# ---------------------------------------------------------------------------
# 3. ID-mapped rootfs and volumes

@test "isolation: rootfs files are owned by root inside, container writes land as 0 on the host" {
	setup_bundle b sh -c 'stat -c %u:%g /bin/busybox /etc/passwd; touch /created; stat -c %u /created; stat -c %u /home/user'
	ib_run "$(new_id)"
	assert_success
	[[ "${lines[0]}" == 0:0 && "${lines[1]}" == 0:0 && "${lines[2]}" == 0 ]]
	[[ "${lines[3]}" == 1000 ]]
	[[ "$(stat -c %u:%g "$BUNDLE/rootfs/created")" == 0:0 ]]
}

@test "isolation: a file written in a bind volume is owned by 0 on the host" {
	local v="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$v"
	setup_bundle b sh -c 'echo data > /mnt/x/f; mkdir /mnt/x/d; chown 1000:1000 /mnt/x/d; ls -ln /mnt/x'
	bundle_jq "$BUNDLE" '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$v"
	ib_run "$(new_id)"
	assert_success
	[[ "$(stat -c %u:%g "$v/f")" == 0:0 ]]
	[[ "$(stat -c %u:%g "$v/d")" == 1000:1000 ]]
}

@test "isolation: a volume is shared by two containers with different ranges" {
	local v="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$v"
	setup_bundle b sleep 1000
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$v"
	local a b
	a=$(new_id a)
	b=$(new_id b)
	ib_run_detached "$a" "$BUNDLE"
	ib_run_detached "$b" "$BUNDLE"
	[[ "$(uid_map_of_pid "$(pid_of "$a")")" != "$(uid_map_of_pid "$(pid_of "$b")")" ]]
	IB exec "$a" sh -c 'echo from-a > /v/a' </dev/null 3>&-
	run IB exec "$b" sh -c 'cat /v/a; stat -c %u /v/a; echo from-b >> /v/a' </dev/null 3>&-
	assert_success
	[[ "${lines[0]}" == from-a && "${lines[1]}" == 0 ]]
	[[ "$(cat "$v/a")" == "$(printf 'from-a\nfrom-b')" ]]
	[[ "$(stat -c %u:%g "$v/a")" == 0:0 ]]
}

@test "isolation: a volume keeps working across a restart with a new range" {
	local v="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$v"
	setup_bundle b sh -c 'echo run >> /v/log; cat /v/log | wc -l; stat -c %u /v/log'
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$v"
	ib_run "$(new_id)"
	assert_success
	ib_run "$(new_id)"
	assert_success
	[[ "${lines[0]}" == 2 && "${lines[1]}" == 0 ]]
}

# ---------------------------------------------------------------------------
# 5. confined --privileged

# probe OP... inside a privileged container; sets $output and $status.
priv_probe() {
	bundle_jq "$BUNDLE" '.process.args = $a' --argjson a "$(printf '%s\0' "$@" | jq -Rs 'split("\u0000") | if .[-1] == "" then .[:-1] else . end')"
	run IB run --bundle "$BUNDLE" "$(new_id p)" </dev/null 3>&-
	echo "probe $*: status $status: $output"
}

# The probe ran and failed (not: the container failed to start).
assert_probe_failed() {
	assert_failure
	if ! grep -qE '^ERR ' <<<"$output"; then
		echo "probe did not run: $output" >&2
		return 1
	fi
}

@test "privileged: the container has (namespaced) capabilities" {
	privileged_bundle
	priv_probe sh -c 'grep CapEff /proc/self/status; cat /proc/self/uid_map'
	assert_success
	assert_output_not_contains "CapEff:	0000000000000000"
	[[ "$(awk '/^ *0 / {print $3}' <<<"$output")" == 65536 ]]
}

@test "privileged: loading a kernel module fails" {
	privileged_bundle
	local host
	host=$(probe_host finit-module /dev/null)
	priv_probe ibprobe finit-module /bin/busybox
	assert_probe_failed
	# EPERM; on a kernel without module support the host itself gets ENOSYS
	[[ "$output" =~ ERR\ EPERM ]] || [[ "$host" == "ERR ENOSYS" && "$output" =~ ERR\ ENOSYS ]]
	priv_probe ibprobe init-module
	assert_probe_failed
	[[ "$output" =~ ERR\ EPERM ]] || [[ "$host" == "ERR ENOSYS" && "$output" =~ ERR\ ENOSYS ]]
	priv_probe sh -c 'insmod /bin/busybox; modprobe dummy; echo rc=$?'
	assert_output_not_contains "rc=0"
}

@test "privileged: bpf is not permitted (bpftool map show)" {
	privileged_bundle
	priv_probe ibprobe bpf-map-next-id
	assert_probe_failed
	assert_output_contains "ERR EPERM"
	priv_probe ibprobe bpf-prog-next-id
	assert_probe_failed
	assert_output_contains "ERR EPERM"
	if [[ -x /usr/sbin/bpftool ]]; then
		priv_probe bpftool map show
		assert_failure
		assert_output_contains "Operation not permitted"
	fi
}

@test "privileged: host block devices cannot be opened" {
	local dev
	dev=$(host_disk)
	[[ -n "$dev" ]] || skip "no block device"
	privileged_bundle
	priv_probe ibprobe open-read "$dev"
	assert_probe_failed
	[[ "$output" =~ ERR\ (EPERM|EACCES) ]]
	local maj min
	maj=$((16#$(stat -c %t "$dev")))
	min=$((16#$(stat -c %T "$dev")))
	priv_probe ibprobe mknod-block "$maj" "$min" /tmp/blk
	assert_probe_failed
	[[ "$output" =~ ERR\ (EPERM|EACCES) ]]
}

@test "privileged: non-namespaced sysctls cannot be changed on the host" {
	local f=/proc/sys/kernel/printk_ratelimit_burst before
	before=$(cat "$f")
	privileged_bundle
	priv_probe ibprobe write "$f" "$((before + 7))"
	local after
	after=$(cat "$f")
	if [[ "$after" != "$before" ]]; then
		echo "$before" >"$f"
		fail "host $f changed from $before to $after"
	fi
	# and a namespaced one still works (net.* in the container's netns)
	priv_probe ibprobe write /proc/sys/net/ipv4/ip_forward 1
	assert_success
}

@test "privileged: the host clock cannot be set" {
	privileged_bundle
	priv_probe ibprobe settimeofday
	assert_probe_failed
	assert_output_contains "ERR EPERM"
	priv_probe ibprobe clock-settime
	assert_probe_failed
	assert_output_contains "ERR EPERM"
}

@test "privileged: reboot(CAD_OFF) fails" {
	privileged_bundle
	priv_probe ibprobe reboot-cad-off
	assert_probe_failed
}

@test "privileged: /proc/kcore and the host's /dev/kmsg cannot be read" {
	privileged_bundle
	priv_probe ibprobe open-read /proc/kcore
	assert_probe_failed
	# /dev/kmsg is the container's own empty log (emulation.bats), mounted
	# over the host's node; no other node reaches the host's log.
	priv_probe sh -c 'echo "kmsg: $(ibprobe open-read /dev/kmsg)"; echo "bytes: $(cat /dev/kmsg | wc -c)"
		echo "fuse: $(grep -c " /dev/kmsg .* fuse" /proc/self/mountinfo)"
		if mknod /tmp/k c 1 11 2>/dev/null; then echo "node: $(ibprobe open-read /tmp/k)"; else echo "node: ERR mknod"; fi'
	assert_success
	assert_output_contains "kmsg: OK"
	assert_output_contains "bytes: 0"
	assert_output_contains "fuse: 1"
	[[ "$output" =~ node:\ ERR ]]
}

@test "privileged: iopl and swapoff fail" {
	privileged_bundle
	priv_probe ibprobe iopl
	assert_probe_failed
	priv_probe ibprobe swapoff /dev/null
	assert_probe_failed
}

@test "privileged: mounting inside the container works" {
	privileged_bundle
	priv_probe sh -c 'mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && touch /mnt/t/x && umount /mnt/t && echo mount-ok'
	assert_success
	assert_output_contains mount-ok
}

@test "privileged: a read-only volume cannot be remounted read-write" {
	local v="$BATS_TEST_TMPDIR/rovol"
	mkdir -p "$v"
	privileged_bundle
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt/ro", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$v"
	priv_probe sh -c 'mount -o remount,rw,bind /mnt/ro /mnt/ro; echo "remount=$?"; ibprobe mount-remount-rw /mnt/ro; touch /mnt/ro/x 2>&1; echo "touch=$?"'
	assert_success
	assert_output_contains "remount=1"
	assert_output_contains "ERR EPERM"
	assert_output_contains "touch=1"
	[[ ! -e "$v/x" ]]
}

@test "isolation: an exhausted ID pool is a clear error and leaves nothing behind" {
	local pol="$BATS_TEST_TMPDIR/policy.json" a b
	# A one-range pool of its own (far from the default pool) in the
	# host-wide table: nothing else ever hands out these IDs.
	echo '{"idRanges": {"base": 4100000000, "size": 65536, "count": 1}}' >"$pol"
	chmod 0644 "$pol"
	setup_bundle b sleep 100
	a=$(new_id a)
	b=$(new_id b)
	IB --policy "$pol" run --detach --bundle "$BUNDLE" "$a" </dev/null >/dev/null 2>&1 3>&-
	[[ "$(uid_map_of_pid "$(pid_of "$a")" | awk '{print $2}')" == 4100000000 ]]
	run IB --policy "$pol" run --detach --bundle "$BUNDLE" "$b" </dev/null 3>&-
	assert_failure
	assert_output_contains "no free user-ID range"
	assert_no_leftovers "$b"
	IB delete --force "$a"
	IB --policy "$pol" run --detach --bundle "$BUNDLE" "$b" </dev/null >/dev/null 2>&1 3>&-
	[[ "$(uid_map_of_pid "$(pid_of "$b")" | awk '{print $2}')" == 4100000000 ]]
	IB delete --force "$b"
}

# ---------------------------------------------------------------------------
# emulated /proc (the per-container supervisor)

@test "emulated /proc: uptime, meminfo, cpuinfo, stat, swaps, diskstats are the container's" {
	local host_cpus
	host_cpus=$(grep -c ^processor /proc/cpuinfo)
	setup_bundle b sh -c 'cat /proc/uptime; head -1 /proc/meminfo; grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat; wc -l < /proc/swaps; cat /proc/loadavg; grep -c " /proc/diskstats .* fuse" /proc/self/mountinfo; wc -l < /proc/diskstats'
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 268435456} | .linux.resources.cpu = {cpus: "0"}'
	ib_run "$(new_id)"
	assert_success
	echo "host cpus: $host_cpus"
	# Fresh container: well under a minute, whatever the host's uptime.
	awk 'NR == 1 { exit !($1 < 60 && $2 < 60) }' <<<"$output"
	[[ "${lines[1]}" =~ ^MemTotal:\ +262144\ kB$ ]]
	[[ "${lines[2]}" == 1 ]]
	[[ "${lines[3]}" == 1 ]]
	[[ "${lines[4]}" == 1 ]]
	# Sampled before it is first shown: the container's tasks and last pid
	# (it has them: sh and cat), not zeros.
	[[ "${lines[5]}" =~ ^[0-9.]+\ [0-9.]+\ [0-9.]+\ [0-9]+/[1-9][0-9]*\ [1-9][0-9]*$ ]]
	[[ "${lines[6]}" == 1 ]]
	[[ "${lines[7]}" == "$(wc -l </proc/diskstats)" ]]
}

@test "emulated /proc: the supervisor is gone once the container is deleted" {
	setup_bundle b sleep 100
	local id sup
	id=$(new_id)
	ib_run_detached "$id" "$BUNDLE"
	sup=$(pgrep -f -- "ironbox.* $id\$" | while read -r p; do if [[ "$(cat /proc/$p/comm)" == ironbox-sup ]]; then echo "$p"; fi; done)
	[[ -n "$sup" ]]
	# Detached from the caller: its own session, stdio on /dev/null.
	[[ "$(ps -o sid= -p "$sup" | tr -d ' ')" == "$sup" ]]
	[[ "$(readlink "/proc/$sup/fd/1")" == /dev/null ]]
	IB delete --force "$id"
	retry 100 0.05 bash -c "! kill -0 $sup 2>/dev/null || grep -q '^State:.*Z' /proc/$sup/status"
}
