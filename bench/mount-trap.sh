#!/bin/bash
# Mount-trap benchmark: the cost of the supervisor's vetting of mount(2) and
# umount2(2) (rule "mount", DESIGN.md behaviour 6). Inside one privileged
# container (all capabilities, no seccomp profile of the spec's) a static
# helper does N pairs of `mount -t tmpfs` + `umount` and reports the time
# per pair; under ironbox every call goes through the supervisor (trapped,
# decided, performed in the caller's context), under runc straight to the
# kernel.
#
#   bench/mount-trap.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: N (pairs per run, default 200), ROUNDS (default 5; runtimes
# alternate every round), RUNC (default: runc in PATH), BASELINE (another
# ironbox binary, e.g. a build of the previous commit: a third column, in
# the same rounds).
# Prints per round and the medians, the ratio ironbox / runc, and the floor:
# what two bare notification round trips per pair would cost on their own.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
N=${N:-200}
ROUNDS=${ROUNDS:-5}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
BASELINE=${BASELINE:-}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

WORK=$(mktemp -d /tmp/ib-mount-bench.XXXXXX)
cleanup() {
	local rt id
	for rt in "$IRONBOX_BIN" "$RUNC" $BASELINE; do
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
	make_bundle "$BUNDLE" sh -c "mkdir -p /tmp/t && ibmount loop $N /tmp/t" &&
		install_helper "$BUNDLE" ibmount
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN"] | unique' "$BUNDLE/config.json")
jq --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

one() { # RUNTIME ID -> ns per pair
	local out
	out=$("$1" --root "$WORK/state" run --bundle "$BUNDLE" "$2" </dev/null 2>&1)
	"$1" --root "$WORK/state" delete -f "$2" >/dev/null 2>&1
	sed -n 's/^ns_per_pair //p' <<<"$out" | grep . || { echo "bench: $1: $out" >&2; echo NaN; }
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

FLOOR="$WORK/notify-floor"
gcc -O2 -Wall -Werror -o "$FLOOR" "$REPO/bench/notify-floor.c" || {
	echo "bench: could not build bench/notify-floor.c" >&2
	exit 1
}

echo "mount-trap: $N tmpfs mount+umount pairs per run, $ROUNDS rounds (alternating)"
ib=() rc=() bl=()
for ((r = 1; r <= ROUNDS; r++)); do
	ib+=("$(one "$IRONBOX_BIN" "mt-ib-$$-$r")")
	rc+=("$(one "$RUNC" "mt-runc-$$-$r")")
	if [[ -n "$BASELINE" ]]; then
		bl+=("$(one "$BASELINE" "mt-bl-$$-$r")")
		printf "  round %d: ironbox %8d ns/pair   runc %8d ns/pair   baseline %8d ns/pair\n" \
			"$r" "${ib[-1]}" "${rc[-1]}" "${bl[-1]}" 2>/dev/null ||
			echo "  round $r: ironbox ${ib[-1]} runc ${rc[-1]} baseline ${bl[-1]}"
	else
		printf "  round %d: ironbox %8d ns/pair   runc %8d ns/pair\n" "$r" "${ib[-1]}" "${rc[-1]}" 2>/dev/null ||
			echo "  round $r: ironbox ${ib[-1]} runc ${rc[-1]}"
	fi
done
mi=$(printf '%s\n' "${ib[@]}" | median)
mr=$(printf '%s\n' "${rc[@]}" | median)
echo "median: ironbox $mi ns/pair, runc $mr ns/pair"
awk -v a="$mi" -v b="$mr" 'BEGIN { if (b > 0) printf "ratio ironbox/runc: %.1fx (+%.1f us per pair)\n", a / b, (a - b) / 1000 }'
# What no supervisor can go below here: two notification round trips per
# pair, answered at once with no work (bench/notify-floor.c), plus the
# untrapped pair itself.
fl=$(for ((r = 1; r <= 3; r++)); do "$FLOOR" 20000 | sed -n 's/^ns_per_call //p'; done | median)
awk -v f="$fl" -v b="$mr" 'BEGIN { if (b > 0 && f > 0) printf "floor: a bare notification round trip %.1f us; two per pair + the untrapped pair = %.1f us, %.1fx runc\n", f / 1000, (2 * f + b) / 1000, (2 * f + b) / b }'
if [[ -n "$BASELINE" ]]; then
	mb=$(printf '%s\n' "${bl[@]}" | median)
	awk -v a="$mb" -v b="$mr" -v c="$mi" 'BEGIN { if (b > 0 && a > 0) printf "baseline: %d ns/pair, ratio baseline/runc: %.1fx, ironbox/baseline: %.2fx\n", a, a / b, c / a }'
fi
