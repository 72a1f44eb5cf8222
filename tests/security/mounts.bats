#!/usr/bin/env bats
# Security tier: restricted host mounts through Docker. `docker run -v` of the
# host's configuration, the engine's socket or the host root is refused by
# ironbox (admin policy, DESIGN.md behaviour 4) before anything is created;
# the same `docker run` with --runtime=runc is the control that shows Docker
# itself accepts it (so the refusal is ironbox's rule). After every test,
# leak_check: the refused containers left nothing behind either.
# What each test proves: tests/security/README.md.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/security

setup_file() { sec_setup_file; }
teardown_file() { sec_teardown_file; }
setup() { sec_setup; }
teardown() { sec_teardown; }

# refused_mount SRC DEST SHOWN : ironbox refuses `-v SRC:DEST:ro` (even
# --privileged) naming SHOWN; runc runs the very same container.
refused_mount() {
	local src=$1 dest=$2 shown=$3
	SEC_DOCKER_ARGS=(-v "$src:$dest:ro")
	in_runc true
	assert_success
	in_priv true
	assert_failure
	assert_output_contains "can't mount $shown because it's configured as a restricted host mount"
}

@test "mounts: -v /etc:/x (a parent of the engine's configuration) is refused" {
	refused_mount /etc /x /etc
}

@test "mounts: -v /var/run/docker.sock:/s is refused" {
	if [[ ! -e /var/run/docker.sock ]]; then
		# a placeholder (the rule is on the path; the test's dockerd has its
		# own socket, see the next test)
		: >/var/run/docker.sock
		sec_created /var/run/docker.sock
	fi
	refused_mount /var/run/docker.sock /s /var/run/docker.sock
}

@test "mounts: -v of the socket the engine serves is refused, wherever it lives" {
	refused_mount "$IB_DOCKER_SOCK" /s "$IB_DOCKER_SOCK"
	refused_mount "$(dirname "$IB_DOCKER_SOCK")" /d "$(dirname "$IB_DOCKER_SOCK")"
}

@test "mounts: -v /:/host is refused" {
	refused_mount / /host /
}

@test "mounts: the runtime's own state and policy cannot be mounted" {
	local d=${IRONBOX_IDMAP_DIR:-/run/ironbox}
	[[ -d "$d" ]] || skip "$d does not exist"
	refused_mount "$d" /s "$d"
	refused_mount "$SEC_ROOT" /s "$SEC_ROOT"
}

@test "mounts: a shared directory still works (the rule is not a blanket refusal)" {
	local h="$BATS_TEST_TMPDIR/home"
	mkdir -p "$h"
	SEC_DOCKER_ARGS=(-v "$h:/mnt/h")
	in_priv sh -c 'touch /mnt/h/x && stat -c %u /mnt/h/x'
	assert_success
	[[ "${lines[-1]}" == 0 && "$(stat -c %u "$h/x")" == 0 ]]
}
