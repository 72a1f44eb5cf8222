#!/bin/bash
# What a vetted mount costs the supervisor's notification agent (rule
# "mount"): CPU time, system calls and context switches of ironbox-notify
# per mount+umount pair, counted rather than timed, so that two builds can
# be compared on a busy machine (wall-clock ratios are bench/mount-trap.sh).
# One container per round (a privileged bundle as in mount-trap.sh, `sleep`
# as init); `ironbox exec` runs the helper's loop of N pairs while
# `perf stat` counts the agent's events.
#
#   bench/mount-trap-cost.sh IRONBOX_BIN [BASELINE_BIN]
#
# Environment: N (pairs per round, default 2000), ROUNDS (default 3; the
# two builds alternate). Needs perf (linux-perf) for the system calls and
# context switches; without it only the CPU time (from /proc) is shown.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-2000}
ROUNDS=${ROUNDS:-3}
BINS=()
for b in "$@"; do
	[[ "$b" == /* ]] || b="$PWD/$b"
	BINS+=("$b")
done
[[ ${#BINS[@]} -ge 1 ]] || {
	echo "usage: $0 IRONBOX_BIN [BASELINE_BIN]" >&2
	exit 2
}
if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi

WORK=$(mktemp -d /tmp/ib-mount-cost.XXXXXX)
cleanup() {
	local rt id
	for rt in "${BINS[@]}"; do
		for id in $("$rt" --root "$WORK/state" list -q 2>/dev/null); do
			"$rt" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
		done
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

BUNDLE="$WORK/bundle"
(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="${BINS[0]}"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" sh -c 'mkdir -p /tmp/t && exec sleep 100000' &&
		install_helper "$BUNDLE" ibmount
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN"] | unique' "$BUNDLE/config.json")
jq --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

PERF=$(command -v perf || true)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

one() { # BIN ID -> "ns/pair cpu-us/pair syscalls/pair cs/pair threads"
	local rt=$1 id=$2 sup agent out t0 t1 pp="" ns sc="-" cs="-"
	"$rt" --root "$WORK/state" run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 || {
		echo "NaN NaN - - 0"
		return
	}
	sup=$(jq -r '.supervisor_pid // 0' "$WORK/state/$id/state.json")
	# warm (and, for ironbox, start the agent: the first trapped call does)
	"$rt" --root "$WORK/state" exec "$id" ibmount loop 20 /tmp/t >/dev/null
	agent=$(pgrep -P "$sup" -x ironbox-notify | head -1)
	if [[ -n "$PERF" ]]; then
		"$PERF" stat -x, -e raw_syscalls:sys_enter,context-switches -p "$agent" -o "$WORK/perf" &
		pp=$!
		sleep 0.3
	fi
	t0=$(ticks "$agent")
	out=$("$rt" --root "$WORK/state" exec "$id" ibmount loop "$N" /tmp/t)
	t1=$(ticks "$agent")
	if [[ -n "$pp" ]]; then
		kill -INT "$pp"
		wait "$pp"
		sc=$(awk -F, -v n="$N" '/sys_enter/ {printf "%.1f", $1 / n}' "$WORK/perf")
		cs=$(awk -F, -v n="$N" '/context-switches/ {printf "%.1f", $1 / n}' "$WORK/perf")
	fi
	ns=$(sed -n 's/^ns_per_pair //p' <<<"$out")
	echo "${ns:-NaN} $(((t1 - t0) * 1000000 / $(getconf CLK_TCK) / N)) $sc $cs $(ls "/proc/$agent/task" | wc -l)"
	"$rt" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
}

echo "mount-trap-cost: $N mount+umount pairs per round, $ROUNDS rounds; per pair, of the agent:"
declare -A cpu
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!BINS[@]}"; do
		read -r ns c sc cs th <<<"$(one "${BINS[$i]}" "mc-$$-$r-$i")"
		printf "  round %d %-9s %8s ns/pair (wall)  cpu %5s us  syscalls %5s  context switches %4s  threads %s\n" \
			"$r" "$([[ $i -eq 0 ]] && echo ironbox || echo baseline)" "$ns" "$c" "$sc" "$cs" "$th"
		cpu[$i]+="$c "
	done
done
for i in "${!BINS[@]}"; do
	printf "median agent cpu per pair, %s: %s us\n" "$([[ $i -eq 0 ]] && echo ironbox || echo baseline)" \
		"$(tr ' ' '\n' <<<"${cpu[$i]}" | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
done
