#!/usr/bin/env bats
# Podman driving the runtime: `podman --runtime $IRONBOX run ...` on an
# imported busybox image, with private storage.

load ../lib/common
load ../lib/podman

IMG=localhost/ib-busybox:latest

setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	podman_setup
}

teardown_file() {
	podman_teardown
	common_teardown_file
}

setup() {
	require_runtime
}

teardown() {
	podman_cleanup_containers
	cleanup_tmp_mounts
}

pname() { echo "ibpod${BATS_TEST_NUMBER}x$RANDOM"; }

@test "podman run --rm echo" {
	run PRUN --rm "$IMG" echo hi-podman </dev/null 3>&-
	assert_success
	[[ "$output" == hi-podman ]]
}

@test "podman run: exit code propagates" {
	run PRUN --rm "$IMG" sh -c 'exit 5' </dev/null 3>&-
	[[ "$status" -eq 5 ]]
}

@test "podman run -d, exec, logs, stop, rm" {
	local n
	n=$(pname)
	run PRUN -d --name "$n" "$IMG" sh -c 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done' </dev/null 3>&-
	assert_success
	run P exec "$n" sh -c 'echo exec-ok; exit 3' </dev/null 3>&-
	[[ "$status" -eq 3 ]]
	assert_output_contains exec-ok
	run P logs "$n"
	assert_output_contains started
	P stop -t 10 "$n" >/dev/null
	run P inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$n"
	[[ "$output" == "exited 0" ]]
	P rm "$n" >/dev/null
}

@test "podman run -it through a pty" {
	require_cmd script
	local out="$BATS_TEST_TMPDIR/tty.out"
	printf 'tty; echo podman-tty-ok; exit\n' |
		timeout 60 script -qec "$PODMAN_CMD run -it --rm --cgroup-parent /ib-podman --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 $IMG sh" /dev/null \
			>"$out" 2>&1 3>&- || true
	grep -q /dev/pts/0 "$out" || { cat "$out"; false; }
	grep -q podman-tty-ok "$out"
}

@test "podman pause/unpause, kill" {
	local n
	n=$(pname)
	PRUN -d --name "$n" "$IMG" sleep 1000 </dev/null >/dev/null 3>&-
	P pause "$n" >/dev/null
	[[ "$(P inspect -f '{{.State.Status}}' "$n")" == paused ]]
	P unpause "$n" >/dev/null
	[[ "$(P inspect -f '{{.State.Status}}' "$n")" == running ]]
	P kill "$n" >/dev/null
	P wait "$n" >/dev/null || true
	[[ "$(P inspect -f '{{.State.Status}}' "$n")" == exited ]]
}

@test "podman run -v bind and --read-only" {
	local v="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$v"
	run PRUN --rm --read-only -v "$v:/data" "$IMG" sh -c 'touch /x 2>/dev/null || echo ro-ok; echo p > /data/f' </dev/null 3>&-
	assert_success
	assert_output_contains ro-ok
	[[ "$(cat "$v/f")" == p ]]
	[[ "$(stat -c %u "$v/f")" == 0 ]]
}

@test "podman run with a memory limit" {
	run PRUN --rm --memory 64m "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' </dev/null 3>&-
	assert_success
	[[ "$output" == 67108864 ]]
}

@test "podman: uid_map is a private 64K range (ironbox)" {
	skip_unless_ironbox
	run PRUN --rm "$IMG" cat /proc/self/uid_map </dev/null 3>&-
	assert_success
	[[ "$(awk '{print $1, $3}' <<<"$output")" == "0 65536" ]]
	[[ "$(awk '{print $2}' <<<"$output")" -ge 65536 ]]
}

@test "podman --pid=host is refused (ironbox)" {
	skip_unless_ironbox
	run PRUN --rm --pid=host "$IMG" true </dev/null 3>&-
	assert_failure
	assert_output_contains "can't share namespaces [pid] with the host"
}

# Podman laid out like a real install (graph root .../lib/storage, run root
# .../run/storage) with both restricted as the defaults restrict
# /var/lib/containers and /run/containers: the default engineAllowed and
# engineRootfs patterns must keep its per-container files, shm, named
# volumes, rootfs and --init working, and nothing else of its storage.
@test "podman with its storage restricted: per-container files, shm, named volumes and --init work (ironbox)" {
	skip_unless_ironbox
	local x="$IB_PODMAN_DIR/strict" pol
	pol="$x/policy.json"
	mkdir -p "$x/lib/storage/volumes" "$x/run/storage" "$x/tmp"
	"$IRONBOX" --policy "$pol.def" policy-init 2>/dev/null
	jq --arg l "$x/lib" --arg r "$x/run" '.restrictedMounts += [$l, $r]' "$pol.def" >"$pol"
	chmod 0644 "$pol"
	PS() {
		podman --root "$x/lib/storage" --runroot "$x/run/storage" --tmpdir "$x/tmp" \
			--volumepath "$x/lib/storage/volumes" --network-config-dir "$IB_PODMAN_DIR/net" \
			--storage-driver overlay --runtime "$IRONBOX" --runtime-flag "policy=$pol" \
			--cgroup-manager cgroupfs --events-backend file "$@"
	}
	local init=()
	[[ -x /usr/libexec/podman/catatonit ]] && init=(--init)
	PS import "$(rootfs_tarball)" ib-busybox:latest </dev/null >/dev/null 2>&1
	run PS run --rm "${init[@]}" --cgroup-parent /ib-podman --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v ibstrict:/v "$IMG" sh -c 'cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null && grep -c " /dev/shm " /proc/self/mountinfo && echo ok >/v/f && tr "\0" " " </proc/1/cmdline' </dev/null 3>&-
	local rc=$status out=$output
	# The rest of its storage stays out of reach.
	run PS run --rm --cgroup-parent /ib-podman --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v "$x/lib/storage/overlay:/x" "$IMG" true </dev/null 3>&-
	local rc2=$status out2=$output
	PS rm -a -f >/dev/null 2>&1
	PS volume rm -f ibstrict >/dev/null 2>&1
	PS rmi -a -f >/dev/null 2>&1
	_umount_matching "$x"
	rm -rf "$x"
	status=$rc output=$out
	assert_success
	[[ "$(head -1 <<<"$out")" == 1 ]]
	if [[ ${#init[@]} -gt 0 ]]; then assert_output_contains catatonit; fi
	status=$rc2 output=$out2
	assert_failure
	assert_output_contains "restricted host mount"
}
