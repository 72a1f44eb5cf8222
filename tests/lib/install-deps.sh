#!/bin/sh
# Install everything ironbox's build, tests and benchmarks need (Debian 12).
# Idempotent: does nothing (no apt-get update) when all packages are present.
# Never starts services (policy-rc.d denies service starts during install).
# Works without stdin/tty.
set -eu

PKGS="build-essential pkg-config libjson-c-dev libseccomp-dev libcap-dev
libfuse3-dev fuse3 libcmocka-dev bats busybox-static docker.io containerd
podman runc crun kmod bpftool iproute2 util-linux procps jq time libc6-dev
gcc make tar coreutils clang-14 libclang-rt-14-dev libmicrohttpd-dev libcurl4-openssl-dev
libyajl-dev curl python3 diffutils debootstrap
python3-grpcio python3-grpc-tools"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

echo "install-deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -n "$0" "$@"
	fi
	echo "install-deps: must run as root to install:$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
export APT_LISTCHANGES_FRONTEND=none
export NEEDRESTART_MODE=l

# Keep maintainer scripts from starting dockerd/containerd/etc.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created_policy=1
fi
cleanup() {
	if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT INT TERM

# A third-party source that cannot be reached must not stop us: the Debian
# archive is what matters, and install fails loudly if a package is missing.
apt-get update </dev/null || echo "install-deps: warning: apt-get update reported errors" >&2
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing </dev/null
echo "install-deps: done"
