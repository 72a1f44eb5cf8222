#!/bin/bash
# Emulated-file read latency (DESIGN.md: "emulated /proc reads no slower
# than lxcfs"): /proc/meminfo, /proc/uptime and /sys/devices/system/cpu/online
# read whole (open, read to EOF, close) N times by a static helper,
#   - ironbox: inside a container (memory limit, CPU quota), through its
#     supervisor's FUSE files;
#   - lxcfs:   the Debian package's daemon, started here on a mount point of
#     its own (and stopped after), its files read from the host;
#   - kernel:  the host's own files.
#
#   bench/procread.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: N (reads per file per run, default 2000), ROUNDS (default 5,
# the three alternate every round), LXCFS (default: lxcfs in PATH; installed
# with apt-get when missing, skipped if that fails), BENCH_RESOURCES (a jq
# filter for the container's resources; default a 256 MiB memory limit and
# a quota of one CPU).
# Prints per round and the medians (us per read), and ironbox / lxcfs.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
N=${N:-2000}
ROUNDS=${ROUNDS:-5}
FILES=(/proc/meminfo /proc/uptime /sys/devices/system/cpu/online)

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"
LXCFS=${LXCFS:-$(command -v lxcfs || true)}
if [[ -z "$LXCFS" ]]; then
	echo "bench: installing lxcfs (Debian package) for the comparison" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends lxcfs >/dev/null 2>&1
	LXCFS=$(command -v lxcfs || true)
fi

WORK=$(mktemp -d /tmp/ib-procread-bench.XXXXXX)
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
HELPER=
HELPER=$(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" ibemul readloop "$N" "${FILES[@]}" >&2 &&
		install_helper "$BUNDLE" ibemul >&2 && build_helper ibemul
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
# (a default with braces cannot be written inside ${VAR:-...}: the first }
# would end it)
resources='.linux.resources.memory = {limit: 268435456} | .linux.resources.cpu = {quota: 100000, period: 100000}'
jq "${BENCH_RESOURCES:-$resources}" \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json" ||
	{
		echo "bench: could not set the bundle's resources" >&2
		exit 1
	}

if [[ -n "$LXCFS" ]]; then
	mkdir -p "$WORK/lxcfs"
	"$LXCFS" -f -p "$WORK/lxcfs.pid" "$WORK/lxcfs" >"$WORK/lxcfs.log" 2>&1 &
	LXCFS_PID=$!
	for _ in $(seq 100); do
		[[ -e "$WORK/lxcfs/proc/meminfo" ]] && break
		sleep 0.1
	done
	[[ -e "$WORK/lxcfs/proc/meminfo" ]] || {
		echo "bench: lxcfs did not start: $(cat "$WORK/lxcfs.log")" >&2
		LXCFS=
	}
fi

# parse "ns_per_read FILE NS" lines of $1 into "us us us" in FILES order
parse() {
	local f out=()
	for f in "${FILES[@]}"; do
		out+=("$(awk -v f="$f" '$1 == "ns_per_read" && substr($2, length($2) - length(f) + 1) == f { printf "%.1f", $3 / 1000 }' <<<"$1")")
	done
	echo "${out[*]}"
}

run_ironbox() {
	local out id="pr-ib-$$-$1"
	out=$("$IRONBOX_BIN" --root "$WORK/state" run --bundle "$BUNDLE" "$id" </dev/null 2>&1)
	"$IRONBOX_BIN" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
	parse "$out"
}
run_lxcfs() { parse "$("$HELPER" readloop "$N" "${FILES[@]/#/$WORK/lxcfs}")"; }
run_kernel() { parse "$("$HELPER" readloop "$N" "${FILES[@]}")"; }

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "procread: ${FILES[*]}: $N whole reads per file per run, $ROUNDS rounds (alternating), us per read"
declare -A res
for ((r = 1; r <= ROUNDS; r++)); do
	for who in ironbox lxcfs kernel; do
		[[ $who == lxcfs && -z "$LXCFS" ]] && continue
		read -r -a v <<<"$("run_$who" "$r")"
		for i in "${!FILES[@]}"; do
			res[$who,$i]+="${v[$i]:-NaN} "
		done
		printf "  round %d %-8s %s\n" "$r" "$who" "${v[*]}"
	done
done
echo "median (us per read):"
printf "  %-34s %9s %9s %9s %15s\n" file ironbox lxcfs kernel ironbox/lxcfs
for i in "${!FILES[@]}"; do
	ib=$(tr ' ' '\n' <<<"${res[ironbox,$i]}" | grep . | median)
	lx=$(tr ' ' '\n' <<<"${res[lxcfs,$i]:-}" | grep . | median)
	kn=$(tr ' ' '\n' <<<"${res[kernel,$i]}" | grep . | median)
	ratio=$(awk -v a="$ib" -v b="${lx:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf "  %-34s %9s %9s %9s %15s\n" "${FILES[$i]}" "$ib" "${lx:--}" "$kn" "$ratio"
done
