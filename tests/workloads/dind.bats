#!/usr/bin/env bats
# Workload tier, issue point 4: Docker-in-Docker. `docker run --privileged
# --runtime=ironbox ib-debian dockerd` (default flags) on the private dockerd
# of tests/lib/dockerd.bash; the inner dockerd stores its images with overlay2
# on an anonymous volume (/var/lib/docker) and networks its containers on a
# bridge with iptables, inside the outer container's own network namespace.
# Inner images come from tarballs (no registry). After every test, the outer
# containers and volumes are removed and the leak check of the security tier
# must find nothing of them.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/security
load ../lib/workloads

setup_file() { wl_setup_file; }
teardown_file() { wl_teardown_file; }
setup() { wl_setup; }
teardown() { wl_teardown; }

# A DinD container with the inner images, its name in $N.
dind_ready() {
	N=$(wl_name d)
	wl_dind "$N" "$@"
	wl_inner_images "$N"
}

# The memory limit an inner container sees in its cgroup (v1 or v2).
MEMLIMIT='cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'

@test "dind: the inner dockerd runs overlay2 on a volume, a bridge and iptables" {
	N=$(wl_name d)
	wl_dind "$N"
	run IN "$N" docker info -f '{{.Driver}} {{.DriverStatus}}'
	echo "$output"
	assert_success
	assert_output_contains "overlay2"
	# /var/lib/docker is its own mount (the volume), not the rootfs overlay
	run IN "$N" findmnt -no FSTYPE /var/lib/docker
	echo "$output"
	assert_success
	[[ "$output" != overlay ]]
	run IN "$N" ip -br addr show docker0
	echo "$output"
	assert_success
	assert_output_contains "172.17.0.1/16"
	run IN "$N" iptables -t nat -S POSTROUTING
	echo "$output"
	assert_success
	assert_output_contains "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"
	# the inner rules are the container's: the host's nat table has no
	# 172.17/16 rule of this container's dockerd (the test dockerd runs
	# without iptables)
	if command -v iptables >/dev/null; then
		run iptables -t nat -S POSTROUTING
		assert_output_not_contains "172.17.0.0/16 ! -o docker0"
	fi
}

@test "dind: inner docker run, exec, stop and rm; inner containers are on the inner bridge" {
	dind_ready
	run IN "$N" docker run --rm tiny echo hello-from-inner
	echo "$output"
	assert_success
	assert_output_contains "hello-from-inner"
	run IN "$N" docker run --rm tiny sh -c 'ip -4 addr show eth0; ping -c1 -W5 172.17.0.1'
	echo "$output"
	assert_success
	assert_output_contains "inet 172.17."
	assert_output_contains "1 packets received"
	run IN "$N" docker run -d --name inner1 tiny sleep 1000
	assert_success
	run IN "$N" docker exec inner1 sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	assert_success
	assert_output_contains "exec-ok"
	assert_output_contains "sleep 1000"
	run IN "$N" docker stop -t 2 inner1
	assert_success
	run IN "$N" docker inspect -f '{{.State.Status}}' inner1
	[[ "$output" == exited ]]
	run IN "$N" docker rm inner1
	assert_success
	run IN "$N" docker ps -aq
	[[ -z "$output" ]]
}

@test "dind: inner docker run -m 64m is a real memory limit" {
	dind_ready
	run IN "$N" docker run --rm -m 64m tiny sh -c "$MEMLIMIT"
	echo "$output"
	assert_success
	[[ "$output" == 67108864 ]]
	# a 100 MiB buffer is killed under the limit ...
	run IN "$N" docker run --name oom -m 64m --memory-swap 64m tiny dd if=/dev/zero of=/dev/null bs=100M count=1
	echo "$output"
	[[ "$status" -eq 137 ]]
	run IN "$N" docker inspect -f '{{.State.OOMKilled}}' oom
	[[ "$output" == true ]]
	# ... and fits without it (control)
	run IN "$N" docker run --rm tiny dd if=/dev/zero of=/dev/null bs=100M count=1
	echo "$output"
	assert_success
}

# dind_build NAME BUILDKIT(0|1) TAG : build FROM tiny with a RUN step inside.
dind_build() {
	D exec -i "$1" sh -c "DOCKER_BUILDKIT=$2 docker build -t $3 -" <<-'EOF2' 3>&-
		FROM tiny
		RUN echo built-by-run > /built && mkdir /d && touch /d/f
		CMD ["cat", "/built"]
	EOF2
}

@test "dind: inner docker build with the classic builder" {
	dind_ready
	run dind_build "$N" 0 classic:1
	echo "$output"
	assert_success
	run IN "$N" docker run --rm classic:1
	echo "$output"
	assert_success
	[[ "$output" == built-by-run ]]
}

@test "dind: inner docker build with BuildKit" {
	dind_ready
	run dind_build "$N" 1 bk:1
	echo "$output"
	assert_success
	run IN "$N" docker run --rm bk:1
	echo "$output"
	assert_success
	[[ "$output" == built-by-run ]]
}

# The inner privileged container's arguments: `--privileged`, unless the
# inner runc refuses it for the capability the host lacks (CAP_SYS_RESOURCE
# is outside these machines' bounding set): then every other capability.
inner_priv_args() {
	if IN "$N" docker run --rm --privileged tools true >/dev/null 2>&1; then
		echo "--privileged"
	else
		echo "--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined"
	fi
}

@test "dind: escape probes from inner --privileged containers do no better than from the outer one" {
	local args op want f=/proc/sys/kernel/printk_ratelimit_burst before
	dind_ready
	args=$(inner_priv_args)
	echo "inner privileged arguments: $args"
	# shellcheck disable=SC2086
	inner() { run IN "$N" docker run --rm $args tools "$@"; echo "inner: $*: status $status: $output"; }
	# host controls: these work as host root
	assert_host_ok "$(on_host bpf-map-create)"
	assert_host_ok "$(on_host clock-settime)"
	inner ibprobe bpf-map-create
	assert_refused EPERM
	inner ibprobe bpf-prog-next-id
	assert_refused EPERM
	inner ibprobe clock-settime
	assert_refused EPERM
	# modules: only where the kernel has them (host root gets ENOSYS too
	# on a kernel without module support: nothing to prove)
	if [[ "$(on_host finit-module /bin/busybox)" != "ERR ENOSYS" ]]; then
		inner ibprobe init-module
		assert_refused EPERM
		inner ibprobe delete-module dummy
		assert_refused EPERM
	fi
	inner ibprobe reboot-cad-off
	assert_refused "EPERM|EINVAL"
	before=$(cat "$f")
	inner ibprobe write "$f" $((before + 7))
	[[ "$(cat "$f")" == "$before" ]] || {
		echo "$before" >"$f"
		fail "host $f changed from an inner container"
	}
	# the inner container's root is the outer container's root: an
	# unprivileged host ID of the outer range, never host root
	run IN "$N" docker run -d --name probe tools sleep 1000
	assert_success
	local outer_base inner_pid uid
	outer_base=$(awk 'NR == 1 {print $2}' "/proc/$(docker_pid "$N")/uid_map")
	inner_pid=$(IN "$N" docker inspect -f '{{.State.Pid}}' probe)
	# the inner pid is the one in the outer container's pid namespace: the
	# host process whose NSpid is (host, outer, inner) with that middle one
	uid=""
	for p in $(pgrep -x sleep); do
		awk -v want="$inner_pid" '/^NSpid:/ { exit !(NF == 4 && $3 == want) }' "/proc/$p/status" 2>/dev/null || continue
		uid=$(awk '/^Uid:/ {print $2}' "/proc/$p/status")
		break
	done
	echo "outer base $outer_base, inner container's sleep runs as host uid $uid"
	[[ -n "$uid" && "$uid" -ge 65536 && "$uid" -eq "$outer_base" ]]
}

# A container has 65536 IDs (DESIGN.md 1). dockerd --userns-remap=default
# creates the user dockremap and, when /etc/subuid has no range for it,
# gives it 100000-165535 (moby's findNextUIDRange), which is outside them:
# dockerd then fails `chown /var/lib/docker: invalid argument`. A range
# inside the container's IDs works; that is what this test gives it.
@test "dind: an inner dockerd --userns-remap=default gives inner containers a nested user namespace" {
	WL_DIND_PRE='echo dockremap:32768:32768 >>/etc/subuid && echo dockremap:32768:32768 >>/etc/subgid' \
		dind_ready -- --userns-remap=default
	run IN "$N" docker run --rm tiny cat /proc/self/uid_map
	echo "$output"
	assert_success
	# inner root is not the outer container's root: a nested map 0 -> 32768
	awk 'NR == 1 && $1 == 0 && $2 == 32768 && $3 == 32768 { ok = 1 } END { exit !ok }' <<<"$output"
	run IN "$N" docker run --name remapped tiny sh -c 'echo x > /f && cat /f && id -u'
	echo "$output"
	assert_success
	# the file the inner root wrote, in its container's overlay2 upper
	# directory, is owned by the remapped root (32768) in the outer
	# container; dockerd keeps its data under /var/lib/docker/32768.32768
	# (root:32768, 0710: runc's init, root of the nested namespace, passes
	# it as group 32768)
	run IN "$N" sh -c 'u=$(docker inspect -f "{{.GraphDriver.Data.UpperDir}}" remapped) && case $u in /var/lib/docker/32768.32768/*) stat -c %u:%g "$u/f" ;; *) echo "upper dir $u" ;; esac'
	echo "$output"
	assert_success
	[[ "$output" == 32768:32768 ]]
	IN "$N" docker rm remapped >/dev/null
}


# runc mounts its container's /proc, /sys, ... on /proc/self/fd/N (an O_PATH
# fd of the destination) from its init, already in the new pid namespace
# while /proc is still the parent's: the supervisor's vetted mount must
# resolve that magic link to the caller's own fd N, not to /proc/<its pid
# in the new namespace>/fd/N of the old /proc (another process).
@test "dind: a vetted mount on /proc/self/fd/N from a new pid namespace (what runc's init does)" {
	local n
	n=$(wl_name v)
	D run -d --name "$n" --runtime=ironbox --privileged "$WL_IMAGE" sleep 1000 </dev/null >/dev/null 3>&-
	run IN "$n" unshare -m -p -f bash -c 'mkdir -p /tmp/t && exec 6</tmp/t && mount -c -t tmpfs wltmp /proc/self/fd/6 && findmnt -no SOURCE,FSTYPE /tmp/t | tr -s " "'
	echo "$output"
	assert_success
	assert_output_contains "wltmp tmpfs"
}
