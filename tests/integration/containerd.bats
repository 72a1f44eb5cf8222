#!/usr/bin/env bats
# containerd (a private instance) driving the runtime through the runc shim:
# `ctr run --runc-binary $IRONBOX`.

load ../lib/common
load ../lib/containerd

IMG=docker.io/library/ib-busybox:latest

setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	ctr_start
	ctr_import_busybox
}

teardown_file() {
	ctr_stop
	common_teardown_file
}

setup() {
	require_runtime
	ctr_running || skip "private containerd not running"
}

teardown() {
	ctr_cleanup_all
	cleanup_tmp_mounts
}

cid() { echo "ibctr${BATS_TEST_NUMBER}x$RANDOM"; }

task_status_is() { [[ "$(CTR tasks list 2>/dev/null | awk -v id="$1" '$1 == id {print $3}')" == "$2" ]]; }

@test "ctr: image imported" {
	run CTR images list -q
	assert_success
	assert_output_contains "$IMG"
}

@test "ctr run --rm echo" {
	run CTR_RUN --rm "$IMG" "$(cid)" echo hello-ctr </dev/null 3>&-
	assert_success
	[[ "$output" == hello-ctr ]]
}

@test "ctr run: exit code propagates" {
	run CTR_RUN --rm "$IMG" "$(cid)" sh -c 'exit 9' </dev/null 3>&-
	[[ "$status" -eq 9 ]]
}

@test "ctr run -d, tasks exec, ps, pause/resume, kill, delete" {
	local id
	id=$(cid)
	CTR_RUN -d "$IMG" "$id" sleep 1000 </dev/null >/dev/null 2>&1 3>&-
	retry 50 0.1 task_status_is "$id" RUNNING
	run CTR tasks exec --exec-id e1 "$id" sh -c 'echo exec-ok; exit 2' </dev/null 3>&-
	[[ "$status" -eq 2 ]]
	assert_output_contains exec-ok
	run CTR tasks ps "$id"
	assert_success
	[[ "${#lines[@]}" -ge 2 ]]
	CTR tasks pause "$id"
	retry 50 0.1 task_status_is "$id" PAUSED
	CTR tasks resume "$id"
	retry 50 0.1 task_status_is "$id" RUNNING
	CTR tasks kill -s KILL "$id"
	retry 50 0.1 task_status_is "$id" STOPPED
	CTR tasks delete "$id"
	CTR containers delete "$id"
	[[ -z "$(cgroups_named "$id")" ]]
}

@test "ctr tasks metrics" {
	local id
	id=$(cid)
	CTR_RUN -d "$IMG" "$id" sleep 1000 </dev/null >/dev/null 2>&1 3>&-
	retry 50 0.1 task_status_is "$id" RUNNING
	run CTR tasks metrics --format json "$id"
	assert_success
	assert_output_contains memory
}

@test "ctr run -t through a pty" {
	require_cmd script
	local out="$BATS_TEST_TMPDIR/tty.out"
	timeout 60 script -qec "ctr -a $IB_CTR_SOCK -n $IB_CTR_NS run --runc-binary $IRONBOX --runc-root $IB_CTR_DIR/runc-root --fifo-dir $IB_CTR_DIR/fifo -t --rm $IMG $(cid) sh -c tty" /dev/null \
		</dev/null >"$out" 2>&1 3>&- || true
	grep -q /dev/pts/0 "$out" || { cat "$out"; false; }
}

@test "ctr run with a bind mount" {
	mkdir -p "$BATS_TEST_TMPDIR/m"
	run CTR_RUN --rm --mount "type=bind,src=$BATS_TEST_TMPDIR/m,dst=/m,options=rbind:rw" "$IMG" "$(cid)" sh -c 'echo ctr-bind > /m/f' </dev/null 3>&-
	assert_success
	[[ "$(cat "$BATS_TEST_TMPDIR/m/f")" == ctr-bind ]]
	[[ "$(stat -c %u "$BATS_TEST_TMPDIR/m/f")" == 0 ]]
}

@test "ctr: the shim exits and nothing is left after delete" {
	local id
	id=$(cid)
	run CTR_RUN --rm "$IMG" "$id" true </dev/null 3>&-
	assert_success
	[[ ! -e "$IB_CTR_DIR/state/io.containerd.runtime.v2.task/$IB_CTR_NS/$id" ]]
	[[ -z "$(cgroups_named "$id")" ]]
	! grep -qF "$id" /proc/self/mountinfo
}

@test "ctr: uid_map is a private 64K range (ironbox)" {
	skip_unless_ironbox
	run CTR_RUN --rm "$IMG" "$(cid)" cat /proc/self/uid_map </dev/null 3>&-
	assert_success
	[[ "$(awk '{print $1, $3}' <<<"$output")" == "0 65536" ]]
	[[ "$(awk '{print $2}' <<<"$output")" -ge 65536 ]]
}

@test "ctr --privileged: bpf and modules fail (ironbox)" {
	skip_unless_ironbox
	local tools="$BATS_TEST_TMPDIR/tools"
	make_tools_rootfs "$tools"
	run CTR_RUN --rm --privileged --rootfs "$tools" "$(cid)" sh -c 'ibprobe bpf-map-next-id; ibprobe finit-module /bin/busybox' </dev/null 3>&-
	[[ "$(grep -c '^OK' <<<"$output")" -eq 0 ]]
	[[ "$(grep -c '^ERR' <<<"$output")" -eq 2 ]]
}

# containerd's root and state restricted, as the defaults restrict
# /var/lib/containerd and /run/containerd: the task rootfs (an overlay of
# snapshots) is engine-owned (engineRootfs), the rest of them is not
# mountable.
@test "ctr with its root and state restricted: the task rootfs works, its snapshots cannot be bound (ironbox)" {
	skip_unless_ironbox
	local pol="$BATS_TEST_TMPDIR/policy.json" wrap="$BATS_TEST_TMPDIR/ironbox-strict"
	"$IRONBOX" --policy "$pol.def" policy-init 2>/dev/null
	jq --arg r "$IB_CTR_DIR/root" --arg s "$IB_CTR_DIR/state" '.restrictedMounts += [$r, $s]' "$pol.def" >"$pol"
	chmod 0644 "$pol"
	printf '#!/bin/sh\nexec %q --policy %q "$@"\n' "$IRONBOX" "$pol" >"$wrap"
	chmod 0755 "$wrap"
	run CTR run --runc-binary "$wrap" --runc-root "$IB_CTR_DIR/runc-root" --fifo-dir "$IB_CTR_DIR/fifo" \
		--rm "$IMG" "$(cid)" sh -c 'ls /bin/sh && echo rootfs-ok' </dev/null 3>&-
	assert_success
	assert_output_contains rootfs-ok
	run CTR run --runc-binary "$wrap" --runc-root "$IB_CTR_DIR/runc-root" --fifo-dir "$IB_CTR_DIR/fifo" \
		--rm --mount "type=bind,src=$IB_CTR_DIR/root,dst=/m,options=rbind:ro" "$IMG" "$(cid)" true </dev/null 3>&-
	assert_failure
	assert_output_contains "restricted host mount"
}
