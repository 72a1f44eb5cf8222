#!/bin/bash
# Docker-in-Docker start-up: from the outer `docker run -d --privileged
# IMAGE dockerd` until an inner `docker run --rm tiny true` has completed
# (inner dockerd up, the busybox image imported from a tarball -- there is no
# registry --, the inner run), ironbox next to runc --privileged (see
# bench/workloads.bash for the control), alternating, same run.
#
#   bench/dind.sh [IRONBOX_BIN]     ROUNDS (default 3)
set -u
# shellcheck source=workloads.bash
source "$(dirname "${BASH_SOURCE[0]}")/workloads.bash"

bench_start
TINY=$(rootfs_tarball) || exit 1

# one RUNTIME -> "total up import run" in ms, or "fail"
one() {
	local rt=$1 n="bench-dind-$1-$RANDOM" t0 t1 t2 t3 i
	t0=$(now_ms)
	D run -d --name "$n" --runtime="$rt" --privileged -v /var/lib/docker ib-debian dockerd \
		</dev/null >/dev/null 2>&1 || {
		echo fail
		return
	}
	for ((i = 0; i < 3000; i++)); do
		D exec "$n" docker version >/dev/null 2>&1 && break
		sleep 0.1
	done
	t1=$(now_ms)
	D exec -i "$n" docker import - tiny <"$TINY" >/dev/null 2>&1
	t2=$(now_ms)
	if D exec "$n" docker run --rm tiny true </dev/null >/dev/null 2>&1; then
		t3=$(now_ms)
		echo "$((t3 - t0)) $((t1 - t0)) $((t2 - t1)) $((t3 - t2))"
	else
		echo "bench: $rt: inner docker run failed: $(D exec "$n" docker run --rm tiny true 2>&1 | tail -1)" >&2
		echo fail
	fi
	D rm -f -v "$n" >/dev/null 2>&1
}

echo "dind: outer docker run ... dockerd until inner docker run --rm tiny true, $ROUNDS rounds (alternating)"
ib="" rc=""
for ((r = 1; r <= ROUNDS; r++)); do
	a=$(one ironbox)
	b=$(one runc-nsr)
	printf '  round %d: ironbox %s   runc %s   (ms: total dockerd-up import inner-run)\n' "$r" "$a" "$b"
	ib+=" ${a%% *}"
	rc+=" ${b%% *}"
done
bench_report "dind start-up" "$ib" "$rc"
