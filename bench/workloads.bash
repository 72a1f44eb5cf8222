# shellcheck shell=bash
# Shared by bench/dind.sh and bench/systemd-boot.sh: a private dockerd (the
# one of tests/lib/dockerd.bash, under /tmp/ib-docker-bench-PID) with the
# runtimes "ironbox" and "runc-nsr", and the Debian workload image.
#
# The control is runc with --privileged. runc 1.1 fails on a capability
# outside its own bounding set, and these machines' root lacks
# CAP_SYS_RESOURCE (`docker run --runtime=runc --privileged` fails), and
# dockerd ignores --cap-drop with --privileged. So "runc-nsr" is runc behind
# a wrapper (bench/runc-nsr) that removes, at `create`, the capabilities the
# runtime itself lacks from the spec -- what ironbox does for the same
# container -- and changes nothing else.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"
ROUNDS=${ROUNDS:-3}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi

export IRONBOX="$IRONBOX_BIN" BUILD="$REPO/build"
export IB_DOCKER_DIR=${IB_BENCH_DOCKER_DIR:-/tmp/ib-docker-bench-$$}
export IB_CTR_DIR=${IB_BENCH_CTR_DIR:-/tmp/ib-ctr-bench-$$}
export IB_CTR_NS=ib-bench-$$
BATS_TEST_FILENAME=bench.bats
skip() {
	echo "bench: $*" >&2
	exit 1
}
# shellcheck source=../tests/lib/common.bash
source "$REPO/tests/lib/common.bash"
# shellcheck source=../tests/lib/containerd.bash
source "$REPO/tests/lib/containerd.bash"
# shellcheck source=../tests/lib/dockerd.bash
source "$REPO/tests/lib/dockerd.bash"

IB_DOCKER_EXTRA_RUNTIMES=$(jq -cn --arg p "$REPO/bench/runc-nsr" '{"runc-nsr": {path: $p}}')
export IB_DOCKER_EXTRA_RUNTIMES

bench_start() {
	trap bench_stop EXIT
	dockerd_start || exit 1
	"$REPO/tests/workloads/build-images.sh" --import ib-debian >/dev/null || exit 1
}

bench_stop() {
	dockerd_stop
	rm -rf "$IB_CTR_DIR" 2>/dev/null
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# bench_report NAME IB_VALUES RUNC_VALUES (space-separated ms; "fail" entries
# are left out of the medians)
bench_report() {
	local name=$1 mi mr
	mi=$(tr ' ' '\n' <<<"$2" | grep -E '^[0-9]+$' | median)
	mr=$(tr ' ' '\n' <<<"$3" | grep -E '^[0-9]+$' | median)
	echo "$name median: ironbox ${mi:-n/a} ms, runc --privileged ${mr:-n/a} ms"
	if [[ -n "$mi" && -n "$mr" ]]; then
		awk -v a="$mi" -v b="$mr" 'BEGIN { if (b > 0) printf "ratio ironbox/runc: %.2f\n", a / b }'
	fi
}
