#!/usr/bin/env bats
# Docker (a private dockerd, --add-runtime ironbox=$IRONBOX) driving the
# runtime: `docker run --runtime=ironbox ...`. The isolation checks only run
# when the runtime is ironbox.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd

setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	dockerd_start
}

teardown_file() {
	dockerd_stop
	common_teardown_file
}

setup() {
	require_runtime
	dockerd_running || skip "private dockerd not running"
}

teardown() {
	docker_cleanup_containers
	local v
	for v in "${VOLS[@]+"${VOLS[@]}"}"; do
		D volume rm -f "$v" >/dev/null 2>&1
	done
	for v in "${HOME_DIRS[@]+"${HOME_DIRS[@]}"}"; do
		[[ "$v" == /home/ib-* ]] && rm -rf "$v"
	done
	cleanup_tmp_mounts
}

VOLS=()
HOME_DIRS=()

# bind_volume NAME DEVICE : a local named volume bound from DEVICE
# (docker volume create -o type=none -o o=bind -o device=DEVICE).
bind_volume() {
	D volume create --driver local -o type=none -o o=bind -o "device=$2" "$1" >/dev/null
	VOLS+=("$1")
}

# Name for a container of this test.
cname() { echo "ib${1:-c}${BATS_TEST_NUMBER}x$RANDOM"; }

# Run docker with no stdin and without bats' fd 3.
drun() { run DRUN "$@" </dev/null 3>&-; }

# uid_map of a container as "inside host count"
uid_map_of() {
	D exec "$1" cat /proc/self/uid_map | awk '{print $1, $2, $3}'
}

# status_is NAME STATUS : docker's State.Status of NAME is STATUS (for retry).
status_is() { [[ "$(D inspect -f '{{.State.Status}}' "$1")" == "$2" ]]; }
restarted() { [[ "$(D inspect -f '{{.RestartCount}}' "$1")" -ge 1 ]]; }

@test "docker: the ironbox runtime is registered" {
	run D info --format '{{json .Runtimes}}'
	assert_success
	jq -e --arg p "$IRONBOX" '.ironbox.path == $p' <<<"$output"
}

@test "docker run --runtime=ironbox echo hi" {
	drun --rm ib-busybox echo hi
	assert_success
	[[ "$output" == hi ]]
}

@test "docker run: exit code propagates" {
	drun --rm ib-busybox sh -c 'exit 7'
	[[ "$status" -eq 7 ]]
}

@test "docker run -it through a pty" {
	require_cmd script
	local out="$BATS_TEST_TMPDIR/tty.out"
	# script(1) provides the pty docker -it needs; input is fed through it.
	printf 'tty; echo tty-ok-$((40+2)); exit 3\n' |
		timeout 60 script -qec "$IB_DOCKER_BIN -H unix://$IB_DOCKER_SOCK run --runtime=ironbox -it --rm ib-busybox sh" /dev/null \
			>"$out" 2>&1 3>&- || true
	grep -q '/dev/pts/0' "$out" || { cat "$out"; false; }
	grep -q 'tty-ok-42' "$out"
}

@test "docker run -t without -i" {
	require_cmd script
	local out="$BATS_TEST_TMPDIR/tty.out"
	timeout 60 script -qec "$IB_DOCKER_BIN -H unix://$IB_DOCKER_SOCK run --runtime=ironbox -t --rm ib-busybox sh -c 'tty; stty size'" /dev/null \
		</dev/null >"$out" 2>&1 3>&- || true
	grep -q '/dev/pts/0' "$out" || { cat "$out"; false; }
}

@test "docker run --rm removes the container" {
	local n
	n=$(cname)
	drun --rm --name "$n" ib-busybox true
	assert_success
	run D ps -a -q --filter "name=$n"
	[[ -z "$output" ]]
}

@test "docker run -d, exec, logs, stop" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sh -c 'echo started; trap "echo stopping; exit 0" TERM; while :; do sleep 0.1; done'
	assert_success
	run D exec "$n" sh -c 'echo in-exec; exit 4'
	[[ "$status" -eq 4 ]]
	assert_output_contains in-exec
	run D exec -u 1000:1000 -w /tmp -e FOO=bar "$n" sh -c 'id -u; pwd; echo $FOO'
	assert_success
	[[ "${lines[0]}" == 1000 && "${lines[1]}" == /tmp && "${lines[2]}" == bar ]]
	retry 50 0.1 sh -c "$DOCKER logs $n 2>&1 | grep -q started"
	SECONDS=0
	D stop -t 20 "$n"
	[[ $SECONDS -lt 15 ]]
	run D inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$n"
	[[ "$output" == "exited 0" ]]
	run D logs "$n"
	assert_output_contains stopping
}

@test "docker exec -it through a pty" {
	require_cmd script
	local n out="$BATS_TEST_TMPDIR/tty.out"
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	assert_success
	printf 'tty; echo exec-tty-ok; exit\n' |
		timeout 60 script -qec "$IB_DOCKER_BIN -H unix://$IB_DOCKER_SOCK exec -it $n sh" /dev/null >"$out" 2>&1 3>&- || true
	grep -q '/dev/pts/' "$out" || { cat "$out"; false; }
	grep -q exec-tty-ok "$out"
}

@test "docker kill" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	D kill "$n"
	retry 50 0.1 status_is "$n" exited
	[[ "$(D inspect -f '{{.State.ExitCode}}' "$n")" == 137 ]]
}

@test "docker kill --signal" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sh -c 'trap "exit 12" USR1; while :; do sleep 0.1; done'
	sleep 0.5
	D kill --signal USR1 "$n"
	retry 50 0.1 status_is "$n" exited
	[[ "$(D inspect -f '{{.State.ExitCode}}' "$n")" == 12 ]]
}

@test "docker pause / unpause" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c; sleep 0.05; done'
	sleep 0.3
	D pause "$n"
	[[ "$(D inspect -f '{{.State.Status}}' "$n")" == paused ]]
	D unpause "$n"
	[[ "$(D inspect -f '{{.State.Status}}' "$n")" == running ]]
	run D exec "$n" cat /tmp/c
	assert_success
}

@test "docker stats --no-stream" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	run timeout 60 "$IB_DOCKER_BIN" -H "unix://$IB_DOCKER_SOCK" stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$n"
	assert_success
	assert_output_contains "$n"
	# memory usage must be known (not 0B / 0B) and at least one pid
	[[ ! "$output" =~ " 0B / 0B" ]]
	[[ "$(awk '{print $NF}' <<<"$output")" -ge 1 ]]
}

@test "docker update --memory" {
	local n pid
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	D update --memory 64m --memory-swap 128m "$n"
	[[ "$(D inspect -f '{{.HostConfig.Memory}}' "$n")" == 67108864 ]]
	pid=$(docker_pid "$n")
	if cgroup_v1; then
		[[ "$(cat "$(cgroup_dir_of "$pid" memory)/memory.limit_in_bytes")" == 67108864 ]]
	else
		[[ "$(cat "$(cgroup_dir_of "$pid" "")/memory.max")" == 67108864 ]]
	fi
}

@test "docker run --memory / --pids-limit / --cpu-shares are applied" {
	local n pid
	n=$(cname)
	drun -d --name "$n" --memory 100m --pids-limit 50 --cpu-shares 256 ib-busybox sleep 1000
	assert_success
	pid=$(docker_pid "$n")
	if cgroup_v1; then
		[[ "$(cat "$(cgroup_dir_of "$pid" memory)/memory.limit_in_bytes")" == 104857600 ]]
		[[ "$(cat "$(cgroup_dir_of "$pid" pids)/pids.max")" == 50 ]]
		[[ "$(cat "$(cgroup_dir_of "$pid" cpu)/cpu.shares")" == 256 ]]
	fi
}

@test "docker run --init" {
	drun --rm --init ib-busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	assert_success
	assert_output_contains docker-init
	[[ "${lines[1]}" != 1 ]]
}

@test "docker run --read-only (with --tmpfs /tmp)" {
	drun --rm --read-only --tmpfs /tmp ib-busybox sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
	assert_success
	assert_output_contains "Read-only file system"
	assert_output_contains tmp-ok
}

@test "docker run --tmpfs with options" {
	drun --rm --tmpfs /data:rw,size=2m,mode=1777 ib-busybox sh -c 'grep " /data " /proc/mounts'
	assert_success
	assert_output_contains "tmpfs /data tmpfs"
	assert_output_contains "size=2048k"
}

@test "docker run -v bind mounts (rw and ro)" {
	local v="$BATS_TEST_TMPDIR/vol" r="$BATS_TEST_TMPDIR/rovol"
	mkdir -p "$v" "$r"
	echo host >"$r/f"
	drun --rm -v "$v:/data" -v "$r:/ro:ro" ib-busybox sh -c 'echo from-container > /data/out; cat /ro/f; echo x > /ro/g 2>/dev/null || echo ro-denied; ls -ln /data/out'
	assert_success
	assert_output_contains host
	assert_output_contains ro-denied
	[[ "$(cat "$v/out")" == from-container ]]
	# Inside, the file is owned by root; on the host too (ID-mapped mount, not 100000+).
	[[ "$(stat -c %u:%g "$v/out")" == 0:0 ]]
}

@test "docker named volume" {
	local vol
	vol="ibvol$RANDOM"
	D volume create "$vol" >/dev/null
	drun --rm -v "$vol:/v" ib-busybox sh -c 'echo persisted > /v/f'
	assert_success
	drun --rm -v "$vol:/v" ib-busybox cat /v/f
	assert_success
	[[ "$output" == persisted ]]
	D volume rm "$vol" >/dev/null
}

@test "docker restart" {
	local n p1 p2
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	p1=$(docker_pid "$n")
	D restart -t 1 "$n"
	[[ "$(D inspect -f '{{.State.Status}}' "$n")" == running ]]
	p2=$(docker_pid "$n")
	[[ "$p1" != "$p2" ]]
	run D exec "$n" echo alive
	assert_output_contains alive
}

@test "docker run --restart=on-failure restarts the container" {
	local n
	n=$(cname)
	drun -d --name "$n" --restart on-failure:2 ib-busybox sh -c 'sleep 0.2; exit 1'
	retry 100 0.2 restarted "$n"
}

@test "docker run with a user, hostname, env, workdir" {
	drun --rm -u 1000:1000 -h dockhost -e A=b -w /home/user ib-busybox sh -c 'id -u; hostname; echo $A; pwd'
	assert_success
	[[ "${lines[0]}" == 1000 && "${lines[1]}" == dockhost && "${lines[2]}" == b && "${lines[3]}" == /home/user ]]
}

@test "docker run --cap-add/--cap-drop" {
	drun --rm --cap-drop ALL --cap-add CHOWN ib-busybox sh -c 'grep CapEff /proc/self/status'
	assert_success
	assert_output_contains "CapEff:	0000000000000001"
}

@test "docker cp and docker top work" {
	local n
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	echo copied >"$BATS_TEST_TMPDIR/cpf"
	D cp "$BATS_TEST_TMPDIR/cpf" "$n:/tmp/cpf"
	run D exec "$n" cat /tmp/cpf
	[[ "$output" == copied ]]
	run D top "$n"
	assert_success
	assert_output_contains "sleep 1000"
}

@test "docker rm -f of a running container leaves no runtime state" {
	local n id
	n=$(cname)
	drun -d --name "$n" ib-busybox sleep 1000
	id=$(D inspect -f '{{.Id}}' "$n")
	D rm -f "$n"
	[[ -z "$(cgroups_named "$id")" ]]
	! grep -qF "$id" /proc/self/mountinfo
}

# ---------------------------------------------------------------------------
# Isolation (ironbox only)

@test "docker: uid_map of two concurrent containers (ironbox)" {
	skip_unless_ironbox
	local a b ma mb
	a=$(cname a)
	b=$(cname b)
	drun -d --name "$a" ib-busybox sleep 1000
	drun -d --name "$b" ib-busybox sleep 1000
	ma=$(uid_map_of "$a")
	mb=$(uid_map_of "$b")
	echo "first: $ma / second: $mb"
	[[ "$ma" =~ ^0\ [0-9]+\ 65536$ ]]
	[[ "$mb" =~ ^0\ [0-9]+\ 65536$ ]]
	local ha hb
	ha=$(awk '{print $2}' <<<"$ma")
	hb=$(awk '{print $2}' <<<"$mb")
	[[ "$ha" -ge 65536 && "$hb" -ge 65536 ]]
	[[ $((ha - hb)) -ge 65536 || $((hb - ha)) -ge 65536 ]]
	# gid_map matches
	[[ "$(D exec "$a" cat /proc/self/gid_map | awk '{print $1, $2, $3}')" == "$ma" ]]
}

@test "docker --userns=host still gets a user namespace (ironbox)" {
	skip_unless_ironbox
	drun --rm --userns=host ib-busybox cat /proc/self/uid_map
	assert_success
	[[ "$(awk '{print $1, $3}' <<<"$output")" == "0 65536" ]]
	[[ "$(awk '{print $2}' <<<"$output")" -ne 0 ]]
}

@test "docker --pid=host is refused (ironbox)" {
	skip_unless_ironbox
	drun --rm --pid=host ib-busybox true
	assert_failure
	assert_output_contains "containers can't share namespaces [pid] with the host (because they use the linux user-namespace for isolation)"
}

@test "docker --network=host is refused (ironbox)" {
	skip_unless_ironbox
	drun --rm --network=host ib-busybox true
	assert_failure
	assert_output_contains "containers can't share a network namespace with the host (because they use the linux user-namespace for isolation)"
}

@test "docker --ipc=host and --uts=host are refused (ironbox)" {
	skip_unless_ironbox
	drun --rm --ipc=host ib-busybox true
	assert_failure
	assert_output_contains "can't share namespaces [ipc] with the host"
	drun --rm --uts=host ib-busybox true
	assert_failure
	assert_output_contains "can't share namespaces [uts] with the host"
}

@test "docker --network=container:X shares X's user namespace and range (ironbox)" {
	skip_unless_ironbox
	local a b
	a=$(cname a)
	b=$(cname b)
	drun -d --name "$a" ib-busybox sleep 1000
	assert_success
	drun -d --name "$b" --network "container:$a" ib-busybox sleep 1000
	assert_success
	[[ "$(uid_map_of "$a")" == "$(uid_map_of "$b")" ]]
	[[ "$(D exec "$a" readlink /proc/self/ns/user)" == "$(D exec "$b" readlink /proc/self/ns/user)" ]]
}

@test "docker -v /etc/docker/daemon.json is refused (ironbox)" {
	skip_unless_ironbox
	local created=0
	if [[ ! -e /etc/docker/daemon.json ]]; then
		mkdir -p /etc/docker
		echo '{}' >/etc/docker/daemon.json
		created=1
	fi
	drun --rm -v /etc/docker/daemon.json:/mnt/daemon.json ib-busybox true
	if [[ $created -eq 1 ]]; then
		rm -f /etc/docker/daemon.json
		rmdir /etc/docker 2>/dev/null || true
	fi
	assert_failure
	assert_output_contains "can't mount /etc/docker/daemon.json because it's configured as a restricted host mount"
}

@test "docker -v of the docker socket and of /etc is refused (ironbox)" {
	skip_unless_ironbox
	drun --rm -v "$IB_DOCKER_SOCK:/var/run/docker.sock" ib-busybox true
	assert_failure
	assert_output_contains "restricted host mount"
	drun --rm -v /etc:/hostetc ib-busybox true
	assert_failure
	assert_output_contains "can't mount /etc because it's configured as a restricted host mount"
}

@test "docker -v \$HOME-style shared dir works (ironbox)" {
	skip_unless_ironbox
	local h="$BATS_TEST_TMPDIR/home"
	mkdir -p "$h"
	drun --rm -v "$h:/mnt" ib-busybox sh -c 'touch /mnt/x && ls -ln /mnt/x'
	assert_success
	[[ "$(stat -c %u "$h/x")" == 0 ]]
}

@test "docker: named volumes bound from /etc, from the socket's directory or from /usr/local/sbin are refused (ironbox)" {
	skip_unless_ironbox
	local ok="$BATS_TEST_TMPDIR/shared" v="ib$RANDOM"
	mkdir -p "$ok"
	echo shared >"$ok/f"
	bind_volume "${v}etc" /etc
	bind_volume "${v}sock" "$IB_DOCKER_DIR"
	bind_volume "${v}sbin" /usr/local/sbin
	bind_volume "${v}ok" "$ok"
	drun --rm -v "${v}etc:/x" ib-busybox true
	assert_failure
	assert_output_contains "because it's configured as a restricted host mount"
	drun --rm -v "${v}sock:/x" ib-busybox true
	assert_failure
	assert_output_contains "because it's configured as a restricted host mount"
	drun --rm -v "${v}sbin:/x" ib-busybox true
	assert_failure
	assert_output_contains "because it's not in the admin policy's allowed mounts"
	# A volume bound from a shared directory works.
	drun --rm -v "${v}ok:/x" ib-busybox cat /x/f
	assert_success
	[[ "$output" == shared ]]
	# Control: runc mounts the /etc volume (the rule refuses it, not Docker).
	run D run --runtime=runc --rm -v "${v}etc:/x:ro" ib-busybox cat /x/hostname </dev/null 3>&-
	assert_success
	[[ "$output" == "$(cat /etc/hostname)" ]]
}

@test "docker: a hard link to the docker socket in a shared directory is refused (ironbox)" {
	skip_unless_ironbox
	local share="$BATS_TEST_TMPDIR/share"
	mkdir -p "$share/sub"
	ln "$IB_DOCKER_SOCK" "$share/sub/d.sock"
	drun --rm -v "$share:/x" ib-busybox true
	assert_failure
	assert_output_contains "can't mount $share because it's configured as a restricted host mount"
	drun --rm -v "$share/sub/d.sock:/var/run/docker.sock" ib-busybox true
	assert_failure
	assert_output_contains "restricted host mount"
	# Control: runc mounts it -- the socket by another name.
	run D run --runtime=runc --rm -v "$share/sub/d.sock:/s" ib-busybox sh -c 'test -S /s && echo sock' </dev/null 3>&-
	assert_success
	[[ "$output" == sock ]]
	# Without the link the directory is an ordinary shared one.
	rm -f "$share/sub/d.sock"
	drun --rm -v "$share:/x" ib-busybox true
	assert_success
}

@test "docker -v /usr/local/sbin is refused, -v /home/... works (ironbox)" {
	skip_unless_ironbox
	local h
	drun --rm -v /usr/local/sbin:/h ib-busybox true
	assert_failure
	assert_output_contains "can't mount /usr/local/sbin because it's not in the admin policy's allowed mounts"
	# Control: runc mounts it.
	run D run --runtime=runc --rm -v /usr/local/sbin:/h:ro ib-busybox sh -c 'ls -d /h' </dev/null 3>&-
	assert_success
	h=$(mktemp -d /home/ib-mntsrc-docker.XXXXXX)
	HOME_DIRS+=("$h")
	echo hi >"$h/f"
	drun --rm -v "$h:/h" ib-busybox sh -c 'cat /h/f; touch /h/new'
	assert_success
	[[ "$output" == hi ]]
	[[ "$(stat -c %u "$h/new")" == 0 ]]
}

@test "docker with its own directories restricted: per-container files, shm, named volumes, --init and docker cp work, volumes of other filesystems are decided on their sources (ironbox)" {
	skip_unless_ironbox
	D info --format '{{json .Runtimes}}' | jq -e '."ironbox-strict"' >/dev/null || skip "no ironbox-strict runtime"
	local vol="ibsv$RANDOM" name
	name=$(cname)
	D volume create "$vol" >/dev/null
	VOLS+=("$vol")
	run DRUN_STRICT --rm --init -v "$vol:/v" ib-busybox sh -c 'cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null && grep -c " /dev/shm " /proc/self/mountinfo && echo ok >/v/f && tr "\0" " " </proc/1/cmdline' </dev/null 3>&-
	assert_success
	[[ "${lines[0]}" == 1 ]]
	assert_output_contains docker-init
	run DRUN_STRICT --rm -v "$vol:/v" ib-busybox cat /v/f </dev/null 3>&-
	assert_success
	[[ "$output" == ok ]]
	DRUN_STRICT -d --name "$name" ib-busybox sleep 1000 </dev/null >/dev/null 3>&-
	echo cpdata >"$BATS_TEST_TMPDIR/cpf"
	D cp "$BATS_TEST_TMPDIR/cpf" "$name:/cpf"
	[[ "$(D exec "$name" cat /cpf)" == cpdata ]]
	D cp "$name:/etc/hostname" "$BATS_TEST_TMPDIR/hn"
	[[ -s "$BATS_TEST_TMPDIR/hn" ]]
	D rm -f "$name" >/dev/null
	# A volume that is a filesystem of its own is decided on by its sources:
	# an overlay of /etc is refused, a tmpfs is fine; runc mounts both.
	local e="$BATS_TEST_TMPDIR/empty"
	mkdir -p "$e"
	D volume create --driver local -o type=overlay -o device=overlay -o "o=lowerdir=/etc:$e" "${vol}ov" >/dev/null
	VOLS+=("${vol}ov")
	D volume create --driver local -o type=tmpfs -o device=tmpfs "${vol}tmp" >/dev/null
	VOLS+=("${vol}tmp")
	run DRUN_STRICT --rm -v "${vol}ov:/x" ib-busybox true </dev/null 3>&-
	assert_failure
	assert_output_contains "because /etc (a source of the filesystem mounted there) is configured as a restricted host mount"
	run D run --runtime=runc --rm -v "${vol}ov:/x" ib-busybox cat /x/hostname </dev/null 3>&-
	assert_success
	[[ "$output" == "$(cat /etc/hostname)" ]]
	run DRUN_STRICT --rm -v "${vol}tmp:/x" ib-busybox sh -c 'echo t >/x/f && cat /x/f' </dev/null 3>&-
	assert_success
	[[ "$output" == t ]]
	# The rest of the data root stays out of reach.
	run DRUN_STRICT --rm -v "$IB_DOCKER_DIR/data/containers:/x" ib-busybox true </dev/null 3>&-
	assert_failure
	assert_output_contains "restricted host mount"
	run DRUN_STRICT --rm -v "$IB_DOCKER_DIR/data/image:/x" ib-busybox true </dev/null 3>&-
	assert_failure
	assert_output_contains "restricted host mount"
}

@test "docker: a volume is shared by two containers with different ranges (ironbox)" {
	skip_unless_ironbox
	local v="$BATS_TEST_TMPDIR/shared" a b
	mkdir -p "$v"
	a=$(cname a)
	b=$(cname b)
	drun -d --name "$a" -v "$v:/v" ib-busybox sleep 1000
	drun -d --name "$b" -v "$v:/v" ib-busybox sleep 1000
	[[ "$(uid_map_of "$a")" != "$(uid_map_of "$b")" ]]
	D exec "$a" sh -c 'echo from-a > /v/a'
	D exec "$b" sh -c 'echo from-b > /v/b; cat /v/a; ls -ln /v/a'
	run D exec "$a" sh -c 'cat /v/b; stat -c %u /v/b'
	assert_output_contains from-b
	[[ "${lines[1]}" == 0 ]]
	[[ "$(stat -c %u "$v/a") $(stat -c %u "$v/b")" == "0 0" ]]
}

@test "docker --privileged: module load, bpf, block device, clock fail (ironbox)" {
	skip_unless_ironbox
	docker_import_tools
	drun --rm --privileged ib-tools sh -c '
		ibprobe finit-module /bin/busybox
		ibprobe init-module
		ibprobe bpf-map-next-id
		ibprobe bpf-prog-next-id
		ibprobe clock-settime
		ibprobe settimeofday
		echo caps $(grep CapEff /proc/self/status)'
	echo "$output"
	[[ "$(grep -c '^OK' <<<"$output")" -eq 0 ]]
	# a privileged container still holds (namespaced) capabilities
	assert_output_contains "caps CapEff:"
	assert_output_not_contains "CapEff: 0000000000000000"
}

@test "docker --privileged: its own cgroup is delegated (the DinD mkdir works), its limits stay; without --privileged cgroupfs is read-only (ironbox)" {
	skip_unless_ironbox
	cgroup_v1 || skip "needs cgroup v1 controllers (v1 or hybrid host)"
	# What dockerd inside does first, and what systemd does (init.scope).
	drun --rm --privileged --memory 64m --pids-limit 50 ib-busybox sh -c '
		mkdir /sys/fs/cgroup/cpuset/docker && echo made-cpuset
		mkdir /sys/fs/cgroup/systemd/init.scope && echo made-systemd
		mkdir /sys/fs/cgroup/unified/init.scope && echo made-unified
		echo "owner $(stat -c %u /sys/fs/cgroup/memory) limit $(stat -c %u /sys/fs/cgroup/memory/memory.limit_in_bytes)"
		echo max >/sys/fs/cgroup/memory/memory.limit_in_bytes || echo own-limit-refused
		echo max >/sys/fs/cgroup/pids/pids.max || echo own-pids-refused
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
	echo "$output"
	assert_success
	assert_output_contains "made-cpuset"
	assert_output_contains "made-systemd"
	assert_output_contains "made-unified"
	assert_output_contains "owner 0 limit 65534"
	assert_output_contains "own-limit-refused"
	assert_output_contains "own-pids-refused"
	assert_output_contains "67108864"
	# Docker's default for a non-privileged container: read-only cgroupfs.
	drun --rm ib-busybox sh -c 'mkdir /sys/fs/cgroup/cpuset/docker'
	echo "$output"
	assert_failure
	assert_output_contains "Read-only file system"
}

@test "docker --privileged bpftool map show: Operation not permitted (ironbox)" {
	skip_unless_ironbox
	[[ -x /usr/sbin/bpftool ]] || skip "bpftool not installed"
	docker_import_tools
	drun --rm --privileged ib-tools bpftool map show
	assert_failure
	assert_output_contains "Operation not permitted"
}

@test "docker --privileged: host block device cannot be opened (ironbox)" {
	skip_unless_ironbox
	local dev
	dev=$(lsblk -dnpo NAME,TYPE 2>/dev/null | awk '$2 == "disk" && $1 !~ /zram|loop|ram/ {print $1; exit}')
	[[ -n "$dev" ]] || skip "no block device on this host"
	docker_import_tools
	drun --rm --privileged ib-tools ibprobe open-read "$dev"
	assert_failure
	[[ "$output" =~ ERR\ (EPERM|EACCES|ENOENT|ENXIO) ]]
}

@test "docker --cap-add SYS_ADMIN: a :ro volume cannot be remounted rw (seed example, ironbox)" {
	skip_unless_ironbox
	local h="$BATS_TEST_TMPDIR/rohome"
	mkdir -p "$h"
	drun --rm --cap-add SYS_ADMIN -v "$h:/mnt:ro" ib-busybox sh -c 'mount -o remount,rw /mnt /mnt; echo "rc=$?"; touch /mnt/x; echo "touch=$?"'
	assert_output_contains "permission denied"
	assert_output_contains "rc=1"
	assert_output_contains "touch=1"
	[[ ! -e "$h/x" ]]
}

@test "docker: /proc/uptime is the container's, meminfo shows --memory (seed example, ironbox)" {
	skip_unless_ironbox
	drun --rm --memory 256m ib-busybox sh -c 'cat /proc/uptime; head -1 /proc/meminfo'
	assert_success
	awk 'NR == 1 { exit !($1 < 60) }' <<<"$output"
	[[ "${lines[1]}" =~ ^MemTotal:\ +262144\ kB$ ]]
}

@test "docker: --cpuset-cpus, --memory = --memory-swap: online, cpuinfo, free (sysinfo), /dev/kmsg are the container's (ironbox)" {
	skip_unless_ironbox
	[[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ]] || skip "needs 2 host CPUs"
	drun --rm --cpuset-cpus 1 --memory 256m --memory-swap 256m ib-busybox sh -c '
		echo "nproc $(nproc)"; echo "online $(cat /sys/devices/system/cpu/online)"
		echo "cpuinfo $(grep -c ^processor /proc/cpuinfo)"
		free | sed -n "2,3p"; echo "kmsg $(cat /dev/kmsg | wc -c)"'
	echo "$output"
	assert_success
	assert_output_contains "nproc 1"
	assert_output_contains "online 1"
	assert_output_contains "cpuinfo 1"
	[[ "$output" =~ Mem:\ +262144\  ]]
	[[ "$output" =~ Swap:\ +0\  ]]
	assert_output_contains "kmsg 0"
}

# Set-id files (the supervisor's "setid" rule): a host directory shared
# through -v must never get a set-uid/set-gid file from the container (its
# root is the host's root on those files).
@test "docker: chmod u+s / cp -p of a set-uid file onto a -v host dir: EPERM; the rootfs keeps set-id (ironbox)" {
	skip_unless_ironbox
	local v="$BATS_TEST_TMPDIR/suidvol"
	mkdir -p "$v"
	drun --rm -v "$v:/vol" ib-busybox sh -c '
		touch /vol/a; chmod u+s /vol/a; echo "vol=$?"
		touch /tmp/r; chmod 4755 /tmp/r; echo "rootfs=$?"; ls -l /tmp/r
		cp -p /tmp/r /vol/cp; echo "cp=$?"'
	echo "$output"
	assert_output_contains "vol=1"
	assert_output_contains "Operation not permitted"
	assert_output_contains "rootfs=0"
	assert_output_contains "-rwsr-xr-x"
	assert_output_contains "cp=1"
	[[ -z "$(find "$v" -perm /6000 ! -type d)" ]]
}

@test "docker: negative control: with runc the same -v gets a set-uid-root file" {
	local v="$BATS_TEST_TMPDIR/suidvol"
	mkdir -p "$v"
	run D run --runtime=runc --rm -v "$v:/vol" ib-busybox sh -c 'touch /vol/a; chmod u+s /vol/a; echo "vol=$?"' </dev/null 3>&-
	assert_output_contains "vol=0"
	# owned by host root and set-uid
	[[ "$(stat -c %u "$v/a")" == 0 && -u "$v/a" ]]
}

@test "docker: chmod u+s on a named volume works (ironbox)" {
	skip_unless_ironbox
	local vol name cid log
	vol="ibsuid$RANDOM"
	name=$(cname)
	D volume create "$vol" >/dev/null
	drun -d --name "$name" -v "$vol:/data" ib-busybox sleep 1000
	run D exec "$name" sh -c 'touch /data/f; chmod u+s /data/f; echo "rc=$?"; ls -l /data/f' </dev/null 3>&-
	echo "$output"
	if [[ "$output" == *rc=1* ]]; then
		# Denied: only acceptable while the mount policy still treats every
		# bind (named volumes included) as a shared host directory.
		cid=$(D inspect -f '{{.Id}}' "$name")
		log=$(find "$IB_DOCKER_DIR" "$IB_CTR_DIR" /run -name audit.log -path "*$cid*" 2>/dev/null | head -1)
		[[ -n "$log" ]] && grep -q "/volumes/$vol/_data" "$log"
		D rm -f "$name" >/dev/null
		D volume rm "$vol" >/dev/null
		skip "named volumes are host-shared until the mount-source policy classifies them"
	fi
	assert_output_contains "rc=0"
	assert_output_contains "-rwsr-"
	D rm -f "$name" >/dev/null
	D volume rm "$vol" >/dev/null
}

@test "docker: setcap cap_setuid=ep onto a -v host dir: EPERM; with runc the host gets it (ironbox)" {
	skip_unless_ironbox
	local v="$BATS_TEST_TMPDIR/fcapvol" probe
	mkdir -p "$v"
	probe=$(build_helper ibsetid)
	# CAP_SETFCAP is in Docker's default set
	drun --rm -v "$v:/vol" -v "$probe:/ibsetid:ro" ib-busybox sh -c 'cp /bin/busybox /vol/bb; /ibsetid fcap /vol/bb; cp /bin/busybox /tmp/bb; /ibsetid fcap /tmp/bb'
	echo "$output"
	[[ "${lines[0]}" == "ERR EPERM Operation not permitted" ]]
	[[ "${lines[1]}" == OK ]]
	[[ "$("$probe" getxattr "$v/bb" security.capability)" == "ERR ENODATA"* ]]
	run D run --runtime=runc --rm -v "$v:/vol" -v "$probe:/ibsetid:ro" ib-busybox /ibsetid fcap /vol/bb </dev/null 3>&-
	assert_output_contains OK
	[[ "$("$probe" getxattr "$v/bb" security.capability)" == OK* ]]
}

@test "docker run --cap-add SYS_ADMIN -v DIR:/mnt:ro: the seed's session (remount rw refused, own tmpfs remounts ro/rw)" {
	is_ironbox || skip "ironbox only (vetted mount calls)"
	local v="$BATS_TEST_TMPDIR/home"
	mkdir -p "$v"
	echo host >"$v/f"
	drun --rm --cap-add SYS_ADMIN -v "$v:/mnt:ro" ib-busybox sh -c '
		mount -o remount,rw /mnt /mnt; echo "remount-vol=$?"
		touch /mnt/x 2>/dev/null; echo "write-vol=$?"
		mkdir /root/tmpfs
		mount -t tmpfs tmpfs /root/tmpfs; echo "mount=$?"
		mount -o remount,ro /root/tmpfs /root/tmpfs; echo "remount-ro=$?"
		grep " /root/tmpfs " /proc/mounts
		mount -o remount,rw /root/tmpfs /root/tmpfs; echo "remount-rw=$?"
		grep " /root/tmpfs " /proc/mounts
		umount /proc/kcore /proc/keys /sys/firmware 2>&1; umount -l /mnt; echo "umounts=$?"'
	echo "$output"
	assert_success
	assert_output_contains "mount: permission denied (are you root?)"
	grep -E "^remount-vol=[1-9]" <<<"$output"
	assert_output_contains "write-vol=1"
	assert_output_contains "mount=0"
	assert_output_contains "remount-ro=0"
	assert_output_contains "remount-rw=0"
	grep -E "^tmpfs /root/tmpfs tmpfs ro,.*uid=[0-9]+,gid=[0-9]+" <<<"$output"
	grep -E "^tmpfs /root/tmpfs tmpfs rw,.*uid=[0-9]+,gid=[0-9]+" <<<"$output"
	grep -E "^umounts=[1-9]" <<<"$output"
	[[ ! -e "$v/x" ]]
}
