#!/bin/bash
# Build the Debian rootfs of the workload tier (tests/workloads/) with
# debootstrap from the Debian archive apt already uses (no other network),
# cache it as a tarball keyed by a hash of what goes into it, and optionally
# `docker import` it into a dockerd.
#
#   tests/workloads/build-images.sh                 print the tarball's path (build it if needed)
#   tests/workloads/build-images.sh --import IMAGE  also import it as IMAGE into $DOCKER_HOST's dockerd
#
# Environment:
#   IB_WORKLOAD_CACHE  cache directory (default /var/cache/ironbox-workloads,
#                      outside the repository: the tarball is ~250 MB)
#   IB_DEBIAN_MIRROR   mirror URL (default: the first Debian archive entry of
#                      /etc/apt/sources.list{,.d/*} for this release)
#   IB_DEBIAN_SUITE    suite (default: VERSION_CODENAME of /etc/os-release)
#
# One image serves every scenario: DinD (docker.io, containerd, iptables),
# systemd as PID 1 (systemd-sysv; docker/containerd units are disabled so
# that boot is the OS's own, the DinD tests start dockerd by hand) and the
# containerd/CRI checks. Progress goes to stderr, the path to stdout.
set -euo pipefail

PKGS=(docker.io containerd iptables systemd-sysv procps util-linux busybox-static kmod iproute2)
CACHE=${IB_WORKLOAD_CACHE:-/var/cache/ironbox-workloads}
import=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--import)
		import=${2:?--import needs an image name}
		shift 2
		;;
	*)
		echo "usage: $0 [--import IMAGE]" >&2
		exit 2
		;;
	esac
done

log() { echo "build-images: $*" >&2; }

suite=${IB_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[[ -n "$suite" ]] || {
	log "no VERSION_CODENAME in /etc/os-release; set IB_DEBIAN_SUITE"
	exit 1
}

# The archive apt uses: one-line (.list) and deb822 (.sources) formats; the
# first entry that carries "$suite" itself (not -security/-updates).
find_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f "$f" ]] || continue
		awk -v s="$suite" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f "$f" ]] || continue
		awk -v s="$suite" '
			function flush() { if (uri != "" && suites ~ ("(^| )" s "( |$)") && types ~ /(^| )deb( |$)/) { print uri; found = 1; exit } uri = ""; suites = ""; types = "" }
			/^[ \t]*$/ { flush(); next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { $1 = ""; suites = $0; sub(/^ /, "", suites) }
			/^Types:/ { $1 = ""; types = $0; sub(/^ /, "", types) }
			END { if (!found) flush() }' "$f"
	done
}
mirror=${IB_DEBIAN_MIRROR:-$(find_mirror | head -n1)}
[[ -n "$mirror" ]] || {
	log "no Debian archive for $suite in apt's sources; set IB_DEBIAN_MIRROR"
	exit 1
}

key=$( (printf '%s\n' "${PKGS[@]}" "$suite" "$mirror"; sed -n '/^# ---- rootfs recipe/,$p' "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)
tar="$CACHE/debian-$suite-$key.tar"

# ---- rootfs recipe (everything below is part of the cache key) ----
build() {
	command -v debootstrap >/dev/null || {
		log "debootstrap is not installed (tests/lib/install-deps.sh)"
		return 1
	}
	local dir=$1 include
	include=$(
		IFS=,
		echo "${PKGS[*]}"
	)
	log "debootstrap $suite from $mirror into $dir (packages: $include)"
	# policy-rc.d inside the target keeps maintainer scripts from starting
	# anything; minbase + the packages' own dependencies, no recommends.
	debootstrap --variant=minbase --components=main --include="$include" \
		"$suite" "$dir" "$mirror" >"$dir.log" 2>&1 || {
		tail -30 "$dir.log" >&2
		return 1
	}
	# Units that are the workload's business, not boot's: dockerd and
	# containerd are started by the tests themselves.
	chroot "$dir" systemctl disable docker.service docker.socket containerd.service >/dev/null 2>&1 || true
	# A machine-id is made at first boot (empty file: systemd fills it).
	: >"$dir/etc/machine-id"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir/debootstrap"
	rm -f "$dir.log"
}

if [[ ! -f "$tar" ]]; then
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	if [[ ! -f "$tar" ]]; then
		tmp=$(mktemp -d "$CACHE/rootfs.XXXXXX")
		chmod 0755 "$tmp"
		trap 'rm -rf "$tmp" "$tmp.log" "$tar.tmp"' EXIT
		t0=$SECONDS
		build "$tmp"
		tar -C "$tmp" --numeric-owner --xattrs -cf "$tar.tmp" .
		mv -f "$tar.tmp" "$tar"
		log "built $tar in $((SECONDS - t0))s"
	fi
	exec 9>&-
fi

if [[ -n "$import" ]]; then
	docker=/usr/bin/docker
	[[ -x "$docker" ]] || docker=docker
	if ! "$docker" image inspect "$import" >/dev/null 2>&1 ||
		[[ "$("$docker" image inspect -f '{{index .Config.Labels "ironbox.rootfs"}}' "$import" 2>/dev/null)" != "$key" ]]; then
		"$docker" import --change 'CMD ["/bin/bash"]' \
			--change "LABEL ironbox.rootfs=$key" \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			- "$import" <"$tar" >/dev/null
	fi
fi
echo "$tar"
