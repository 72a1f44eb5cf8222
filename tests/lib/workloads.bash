# shellcheck shell=bash
# shellcheck disable=SC2154 # status/output are set by bats' run
# Helpers for the workload tier (tests/workloads/*.bats): Docker-in-Docker,
# systemd as PID 1 and Kubernetes-node prerequisites in --privileged ironbox
# containers run by the private dockerd of dockerd.bash, from the Debian
# image tests/workloads/build-images.sh builds with debootstrap (cached).
#
#   load ../lib/common
#   load ../lib/containerd
#   load ../lib/dockerd
#   load ../lib/security
#   load ../lib/workloads
#   setup_file()    { wl_setup_file; }
#   teardown_file() { wl_teardown_file; }
#   setup()         { wl_setup; }
#   teardown()      { wl_teardown; }
#
# The image is ib-debian (docker.io, containerd, iptables, systemd-sysv,
# procps, util-linux, busybox-static, kmod, iproute2); inner containers use
# the busybox rootfs of common.bash (image "tiny") and the tools rootfs
# (busybox + ibprobe + bpftool, image "tools"), imported from tarballs: no
# registry anywhere.

WL_IMAGE=ib-debian
# Seconds to wait for an inner dockerd / a systemd boot (a busy machine).
WL_WAIT=${IB_WL_WAIT:-180}

wl_setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	is_ironbox || skip "the workload tier runs ironbox (IRONBOX=$IRONBOX)"
	sec_setup_file || return 1
	"$IB_REPO/tests/workloads/build-images.sh" --import "$WL_IMAGE" >/dev/null || {
		echo "cannot build or import the Debian workload image" >&2
		return 1
	}
}

wl_teardown_file() { sec_teardown_file; }

wl_setup() {
	sec_setup
	D image inspect "$WL_IMAGE" >/dev/null 2>&1 || skip "no $WL_IMAGE image"
}

# Leak check as in the security tier (the outer containers and their
# anonymous volumes are removed first).
wl_teardown() { sec_teardown; }

# wl_name SUFFIX : a container name for this test.
wl_name() { echo "ibwl${BATS_TEST_NUMBER}${1:-c}$RANDOM"; }

# wl_wait SECONDS CMD... : retry CMD every second until it succeeds.
wl_wait() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	"$@"
}

# wl_dind NAME [DOCKER_RUN_ARGS... --] [DOCKERD_ARGS...] : an outer
# `docker run --privileged --runtime=ironbox` of the Debian image running
# `dockerd` (default flags unless given), with /var/lib/docker on an
# anonymous volume (overlay2 on a volume), and wait until the inner docker
# answers. Prints the container's log and the inner dockerd's state on
# failure.
wl_dind() {
	local name=$1 runargs=() a
	shift
	if [[ " $* " == *" -- "* ]]; then
		while [[ $# -gt 0 ]]; do
			a=$1
			shift
			[[ "$a" == -- ]] && break
			runargs+=("$a")
		done
	fi
	local cmd=(dockerd)
	# WL_DIND_PRE: a shell snippet run in the container before dockerd
	[[ -n "${WL_DIND_PRE:-}" ]] && cmd=(sh -c "$WL_DIND_PRE && exec dockerd \"\$@\"" sh)
	D run -d --name "$name" --runtime=ironbox --privileged -v /var/lib/docker \
		"${runargs[@]+"${runargs[@]}"}" "$WL_IMAGE" "${cmd[@]}" "$@" </dev/null >/dev/null 3>&- || return 1
	if ! wl_wait "$WL_WAIT" D exec "$name" docker version; then
		echo "inner dockerd of $name did not come up; its log:" >&2
		D logs "$name" 2>&1 | tail -40 >&2
		D inspect -f 'outer state: {{.State.Status}} exit {{.State.ExitCode}} {{.State.Error}}' "$name" >&2
		return 1
	fi
}

# wl_inner_import NAME IMAGE TARBALL : `docker import` a rootfs tarball
# into NAME's inner dockerd (through docker exec's stdin).
wl_inner_import() {
	local name=$1 image=$2 tar=$3
	D exec -i "$name" docker import --change 'CMD ["sh"]' \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		- "$image" <"$tar" >/dev/null
}

# wl_inner_images NAME : the images inner containers use: tiny (busybox) and
# tools (busybox + ibprobe + bpftool).
wl_inner_images() {
	local name=$1 tar
	tar=$(rootfs_tarball) || return 1
	wl_inner_import "$name" tiny "$tar" || return 1
	tar=$(tools_tarball) || return 1
	wl_inner_import "$name" tools "$tar"
}

# IN NAME CMD... : CMD in the outer container NAME (docker exec).
IN() {
	local name=$1
	shift
	D exec "$name" "$@" </dev/null 3>&-
}
