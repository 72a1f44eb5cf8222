#!/usr/bin/env bats
# Vetted mount-family system calls (DESIGN.md behaviour 6, rule "mount":
# src/supervisor/rule_mount.c on the engine of vet_mount.h), through the CLI
# with a privileged bundle (all capabilities, no seccomp profile of the
# spec's: only ironbox's own filter). Escapes are refused and audited, the
# container's own mounts work; the runc negative controls run
# /usr/sbin/runc explicitly on the same bundle.

load ../lib/common

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
}

teardown() {
	common_teardown
}

ib_run() {
	local id=$1
	shift
	run IB run --bundle "$BUNDLE" "$@" "$id" </dev/null 3>&-
}

# Like docker --privileged: all capabilities, no seccomp profile.
make_privileged() {
	local caps
	caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"] | unique' "$BUNDLE/config.json")
	bundle_jq "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' --argjson c "$caps"
}

# A privileged bundle running sh -c SCRIPT, the host directory $VOL
# bind-mounted read-only at /mnt (docker run -v $VOL:/mnt:ro).
vet_bundle() {
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	echo host >"$VOL/file"
	setup_bundle b sh -c "$1"
	make_privileged
	install_helper "$BUNDLE" ibmount
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$VOL"
}

audit_of() { IB audit "$1"; }

# ---------------------------------------------------------------------------
# The seed's session (Docker's "Vetting Sensitive System Calls")

@test "vetting: remount,rw of a read-only volume is 'permission denied'; the container's own tmpfs mounts and remounts ro/rw" {
	vet_bundle '
		mount -o remount,rw /mnt /mnt; echo "remount-rw=$?"
		touch /mnt/x 2>/dev/null; echo "write=$?"
		mkdir /root/tmpfs
		mount -t tmpfs tmpfs /root/tmpfs; echo "mount=$?"
		mount -o remount,ro /root/tmpfs /root/tmpfs; echo "remount-ro=$?"
		grep " /root/tmpfs " /proc/self/mountinfo
		touch /root/tmpfs/a 2>/dev/null; echo "write-ro=$?"
		mount -o remount,rw /root/tmpfs /root/tmpfs; echo "remount-rw2=$?"
		grep " /root/tmpfs " /proc/self/mountinfo
		touch /root/tmpfs/a; echo "write-rw=$?"
		umount /root/tmpfs; echo "umount=$?"'
	local id
	id=$(new_id)
	ib_run "$id" --keep
	echo "$output"
	assert_success
	assert_output_contains "mount: permission denied (are you root?)"
	grep -E "^remount-rw=[1-9]" <<<"$output"
	assert_output_contains "write=1"
	assert_output_contains "mount=0"
	assert_output_contains "remount-ro=0"
	assert_output_contains "write-ro=1"
	assert_output_contains "remount-rw2=0"
	assert_output_contains "write-rw=0"
	assert_output_contains "umount=0"
	grep -E ' /root/tmpfs ro,.* - tmpfs tmpfs ro,uid=100000,gid=100000' <<<"$output"
	grep -E ' /root/tmpfs rw,.* - tmpfs tmpfs rw,uid=100000,gid=100000' <<<"$output"
	[[ ! -e "$VOL/x" ]]
	run audit_of "$id"
	echo "$output"
	assert_success
	jq -se 'any(.rule == "mount" and .syscall == "mount" and .errno == "EPERM" and .target == "/mnt")' <<<"$output"
	IB delete "$id"
}
