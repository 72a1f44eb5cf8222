#!/bin/bash
# systemd boot: from `docker run -d --privileged IMAGE /sbin/init` until
# `systemctl is-system-running` says running or degraded, ironbox next to
# runc --privileged (see bench/workloads.bash for the control), alternating,
# same run. The state is polled every 0.2 s with docker exec (the same cost
# for both runtimes).
#
#   bench/systemd-boot.sh [IRONBOX_BIN]     ROUNDS (default 3)
set -u
# shellcheck source=workloads.bash
source "$(dirname "${BASH_SOURCE[0]}")/workloads.bash"

bench_start

# one RUNTIME -> "ms state", or "fail"
one() {
	local rt=$1 n="bench-sd-$1-$RANDOM" t0 st="" i
	t0=$(now_ms)
	D run -d --name "$n" --runtime="$rt" --privileged --stop-signal RTMIN+3 ib-debian /sbin/init \
		</dev/null >/dev/null 2>&1 || {
		echo fail
		return
	}
	for ((i = 0; i < 1500; i++)); do
		st=$(D exec "$n" systemctl is-system-running 2>/dev/null </dev/null)
		[[ "$st" == running || "$st" == degraded ]] && break
		[[ "$(D inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" == true ]] || break
		sleep 0.2
	done
	if [[ "$st" == running || "$st" == degraded ]]; then
		echo "$(($(now_ms) - t0)) $st"
	else
		echo "bench: $rt: systemd did not boot (state '$st'): $(D logs "$n" 2>&1 | tail -3 | tr '\n' ' ')" >&2
		echo fail
	fi
	D rm -f -v "$n" >/dev/null 2>&1
}

echo "systemd boot: docker run ... /sbin/init until running/degraded, $ROUNDS rounds (alternating)"
ib="" rc=""
for ((r = 1; r <= ROUNDS; r++)); do
	a=$(one ironbox)
	b=$(one runc-nsr)
	printf '  round %d: ironbox %s   runc %s\n' "$r" "$a" "$b"
	ib+=" ${a%% *}"
	rc+=" ${b%% *}"
done
bench_report "systemd boot" "$ib" "$rc"
