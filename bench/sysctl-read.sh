#!/bin/bash
# Virtual /proc/sys benchmark: the read latency (open + read to EOF + close)
# of a /proc/sys knob the supervisor serves (src/sysctl/knob.h), against
# the kernel's own file, and against lxcfs (which emulates /proc files the
# same way, over FUSE; it has no /proc/sys, so its /proc/uptime is the
# comparison, next to ironbox's).
#
#   bench/sysctl-read.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: N (reads per file per run, default 2000), ROUNDS (default 5;
# the sources alternate every round), LXCFS (default: lxcfs in PATH; set
# LXCFS=none to skip it). lxcfs is started by the benchmark on a mount
# point of its own and stopped at the end.
#
# Inside one privileged ironbox container (like docker --privileged):
#   virtual-local   /proc/sys/vm/overcommit_memory        (container-local)
#   virtual-max     /proc/sys/fs/inotify/max_user_watches (max-reconciled)
#   kernel-in-ctr   /proc/sys/vm/swappiness               (the kernel's)
#   ironbox-uptime  /proc/uptime                          (emulated)
# On the host:
#   kernel-host     /proc/sys/vm/overcommit_memory
#   lxcfs-uptime    <lxcfs mount>/proc/uptime
# Prints per round and the medians (µs per read) and the ratios.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
N=${N:-2000}
ROUNDS=${ROUNDS:-5}
LXCFS=${LXCFS:-$(command -v lxcfs || echo none)}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

WORK=$(mktemp -d /tmp/ib-sysctl-bench.XXXXXX)
LXCFS_PID=
cleanup() {
	local id
	for id in $("$IRONBOX_BIN" --root "$WORK/state" list -q 2>/dev/null); do
		"$IRONBOX_BIN" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
	done
	if [[ -n "$LXCFS_PID" ]]; then
		kill "$LXCFS_PID" 2>/dev/null
		wait "$LXCFS_PID" 2>/dev/null
	fi
	mountpoint -q "$WORK/lxcfs" 2>/dev/null && umount -l "$WORK/lxcfs"
	rm -rf "$WORK"
}
trap cleanup EXIT

BUNDLE="$WORK/bundle"
IBREAD=$(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" sleep 3600 >&2 && install_helper "$BUNDLE" ibread >&2 &&
		build_helper ibread
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN"] | unique' "$BUNDLE/config.json")
jq --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

CTR=sysctl-bench-$$
"$IRONBOX_BIN" --root "$WORK/state" run --detach --bundle "$BUNDLE" "$CTR" </dev/null >/dev/null 2>&1 || {
	echo "bench: could not start the container" >&2
	exit 1
}

if [[ "$LXCFS" != none && -x "$LXCFS" ]]; then
	mkdir -p "$WORK/lxcfs"
	"$LXCFS" -f -p "$WORK/lxcfs.pid" "$WORK/lxcfs" >/dev/null 2>&1 &
	LXCFS_PID=$!
	for _ in $(seq 50); do
		[[ -e "$WORK/lxcfs/proc/uptime" ]] && break
		sleep 0.1
	done
	[[ -e "$WORK/lxcfs/proc/uptime" ]] || {
		echo "bench: lxcfs did not start; skipping it" >&2
		LXCFS=none
	}
else
	LXCFS=none
fi

# ns per read of each path, as "name value" lines.
in_ctr() {
	"$IRONBOX_BIN" --root "$WORK/state" exec "$CTR" ibread "$N" \
		/proc/sys/vm/overcommit_memory /proc/sys/fs/inotify/max_user_watches \
		/proc/sys/vm/swappiness /proc/uptime </dev/null 2>/dev/null |
		awk '{n = ($1 == "/proc/sys/vm/overcommit_memory") ? "virtual-local" : ($1 == "/proc/sys/fs/inotify/max_user_watches") ? "virtual-max" : ($1 == "/proc/sys/vm/swappiness") ? "kernel-in-ctr" : "ironbox-uptime"; print n, $2}'
}
on_host() {
	"$IBREAD" "$N" /proc/sys/vm/overcommit_memory | awk '{print "kernel-host", $2}'
	if [[ "$LXCFS" != none ]]; then
		"$IBREAD" "$N" "$WORK/lxcfs/proc/uptime" | awk '{print "lxcfs-uptime", $2}'
	fi
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "sysctl-read: $N reads per file per run, $ROUNDS rounds (alternating)"
: >"$WORK/results"
for ((r = 1; r <= ROUNDS; r++)); do
	{
		in_ctr
		on_host
	} | tee -a "$WORK/results" | awk -v r="$r" '{printf "  round %d: %-15s %8.1f us/read\n", r, $1, $2 / 1000}'
done
names=(virtual-local virtual-max kernel-in-ctr kernel-host ironbox-uptime)
[[ "$LXCFS" != none ]] && names+=(lxcfs-uptime)
declare -A med
for n in "${names[@]}"; do
	med[$n]=$(awk -v n="$n" '$1 == n {print $2}' "$WORK/results" | median)
	awk -v n="$n" -v v="${med[$n]}" 'BEGIN {printf "median %-15s %8.1f us/read\n", n, v / 1000}'
done
ratio() { awk -v a="${med[$1]}" -v b="${med[$2]}" -v l="$3" 'BEGIN { if (b > 0) printf "ratio %s: %.2fx\n", l, a / b }'; }
ratio virtual-local kernel-in-ctr "virtual /proc/sys (local) / kernel's file in the container"
ratio virtual-max kernel-in-ctr "virtual /proc/sys (max) / kernel's file in the container"
ratio virtual-local kernel-host "virtual /proc/sys (local) / kernel's file on the host"
if [[ "$LXCFS" != none ]]; then
	ratio virtual-local lxcfs-uptime "virtual /proc/sys (local) / lxcfs /proc/uptime"
	ratio ironbox-uptime lxcfs-uptime "ironbox /proc/uptime / lxcfs /proc/uptime"
fi
