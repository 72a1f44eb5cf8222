# shellcheck shell=bash
# Podman with private storage for the integration tests.
#
#   load ../lib/common
#   load ../lib/podman
#   setup_file()    { podman_setup; }
#   teardown_file() { podman_teardown; }
#
# Everything under $IB_PODMAN_DIR (/tmp/ib-podman): --root, --runroot,
# --tmpdir, network config, volumes. Runtime: --runtime $IRONBOX, cgroupfs,
# file events. No network (--network none) and explicit ulimits (Podman's
# defaults exceed the hard limits on these machines).

export IB_PODMAN_DIR="${IB_PODMAN_DIR:-/tmp/ib-podman}"

IB_PODMAN_ARGS=(--root "$IB_PODMAN_DIR/root" --runroot "$IB_PODMAN_DIR/runroot"
	--tmpdir "$IB_PODMAN_DIR/tmp" --network-config-dir "$IB_PODMAN_DIR/net"
	--volumepath "$IB_PODMAN_DIR/volumes" --storage-driver overlay
	--runtime "$IRONBOX" --cgroup-manager cgroupfs --events-backend file)
# The same as one shell-quoted string (for `script -c`).
PODMAN_CMD="podman $(printf '%q ' "${IB_PODMAN_ARGS[@]}")"
export PODMAN_CMD

P() {
	podman "${IB_PODMAN_ARGS[@]}" "$@"
}

# podman run with the defaults every test needs.
PRUN() {
	P run --cgroup-parent /ib-podman --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
}

podman_setup() {
	command -v podman >/dev/null || skip "podman not installed"
	mkdir -p "$IB_PODMAN_DIR"/{root,runroot,tmp,net,volumes}
	# Podman creates these whatever its flags say; note whether they are ours.
	[[ -e /run/containers ]] || touch "$IB_PODMAN_DIR/created-run-containers"
	[[ -e /var/lib/containers ]] || touch "$IB_PODMAN_DIR/created-var-lib-containers"
	if ! P image exists localhost/ib-busybox:latest; then
		P import "$(rootfs_tarball)" ib-busybox:latest </dev/null >/dev/null 2>&1 ||
			P import "$(rootfs_tarball)" ib-busybox:latest </dev/null >&2
	fi
}

podman_cleanup_containers() { _ib_safe _podman_cleanup_containers; }
_podman_cleanup_containers() {
	[[ -d "$IB_PODMAN_DIR/root" ]] || return 0
	timeout 120 podman "${IB_PODMAN_ARGS[@]}" rm -a -f -t 1 >/dev/null 2>&1 </dev/null
}

podman_teardown() { _ib_safe _podman_teardown; }
_podman_teardown() {
	_podman_cleanup_containers
	_umount_matching "$IB_PODMAN_DIR"
	remove_cgroup_tree ib-podman
	remove_cgroup_tree libpod_parent
	if [[ -e "$IB_PODMAN_DIR/created-run-containers" ]]; then
		rmdir /run/containers/networks /run/containers 2>/dev/null
	fi
	if [[ -e "$IB_PODMAN_DIR/created-var-lib-containers" ]]; then
		rm -rf /var/lib/containers/cache
		rmdir /var/lib/containers 2>/dev/null
	fi
	[[ "$IB_PODMAN_DIR" == /tmp/ib-* ]] && rm -rf "$IB_PODMAN_DIR"
}
