#!/bin/bash
# Data-path benchmark: system calls that are never trapped (DESIGN.md
# behaviour 6) cost the same under ironbox as under runc. Inside one
# privileged container (all capabilities of the default set + SYS_ADMIN,
# no seccomp profile of the spec's: ironbox's own filter, the one that traps
# the mount family, is the only one) a static helper does N system calls
# round-robin: getpid, open + read + close of a file, a one-byte write to a
# pipe (tests/lib/ibdatapath.c), and reports the time per call.
#
#   bench/datapath.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: N (calls per run, default 1000000), ROUNDS (default 5;
# runtimes alternate every round), RUNC (default: runc in PATH).
# Prints per round and the medians, and the ratio ironbox / runc (goal:
# at most 1.02).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

WORK=$(mktemp -d /tmp/ib-datapath-bench.XXXXXX)
cleanup() {
	local rt id
	for rt in "$IRONBOX_BIN" "$RUNC"; do
		[[ -x "$rt" ]] || continue
		for id in $("$rt" --root "$WORK/state" list -q 2>/dev/null); do
			"$rt" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
		done
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

BUNDLE="$WORK/bundle"
(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" ibdatapath "$N" /etc/passwd &&
		install_helper "$BUNDLE" ibdatapath
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN"] | unique' "$BUNDLE/config.json")
jq --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

one() { # RUNTIME ID -> ns per call
	local out
	out=$("$1" --root "$WORK/state" run --bundle "$BUNDLE" "$2" </dev/null 2>&1)
	"$1" --root "$WORK/state" delete -f "$2" >/dev/null 2>&1
	sed -n 's/^ns_per_op //p' <<<"$out" | grep . || { echo "bench: $1: $out" >&2; echo NaN; }
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "datapath: $N untrapped system calls per run, $ROUNDS rounds (alternating)"
ib=() rc=()
for ((r = 1; r <= ROUNDS; r++)); do
	ib+=("$(one "$IRONBOX_BIN" "dp-ib-$$-$r")")
	rc+=("$(one "$RUNC" "dp-runc-$$-$r")")
	printf "  round %d: ironbox %6d ns/call   runc %6d ns/call\n" "$r" "${ib[-1]}" "${rc[-1]}" 2>/dev/null ||
		echo "  round $r: ironbox ${ib[-1]} runc ${rc[-1]}"
done
mi=$(printf '%s\n' "${ib[@]}" | median)
mr=$(printf '%s\n' "${rc[@]}" | median)
echo "median: ironbox $mi ns/call, runc $mr ns/call"
awk -v a="$mi" -v b="$mr" 'BEGIN { if (b > 0) printf "ratio ironbox/runc: %.3fx (goal <= 1.02)\n", a / b }'
