#!/bin/bash
# Supervisor memory benchmark: what ironbox leaves running per container
# (DESIGN.md: "supervisor under 1 MiB per container"). COUNT containers
# (`sleep`, /proc emulated, vetting on) run at once; for each, the
# supervisor (ironbox-sup: FUSE /proc, control socket) and its notification
# agent (ironbox-notify: seccomp listeners, worker threads) are measured
# from /proc/PID/smaps_rollup:
#   RSS  resident pages, shared library pages included in full
#   PSS  proportional: each shared page divided by the processes mapping it
#        (what the containers cost the host together, per container)
#   USS  private pages only (what deleting the container gives back)
# After the agent has served one vetted call (a tmpfs mount) in each
# container, so that its worker threads exist.
#
#   bench/sup-mem.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: COUNT (default 20).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
COUNT=${COUNT:-20}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

WORK=$(mktemp -d /tmp/ib-supmem-bench.XXXXXX)
cleanup() {
	local id
	for id in $("$IRONBOX_BIN" --root "$WORK/state" list -q 2>/dev/null); do
		"$IRONBOX_BIN" --root "$WORK/state" delete -f "$id" >/dev/null 2>&1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

BUNDLE="$WORK/bundle"
(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" sh -c 'mkdir -p /tmp/t && ibmount loop 1 /tmp/t && exec sleep 100000' &&
		install_helper "$BUNDLE" ibmount
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}
caps=$(jq -c '[.process.capabilities.bounding[]] + ["CAP_SYS_ADMIN"] | unique' "$BUNDLE/config.json")
jq --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c} | del(.linux.seccomp)' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

ids=()
for ((i = 1; i <= COUNT; i++)); do
	id="sm-$$-$i"
	if ! "$IRONBOX_BIN" --root "$WORK/state" run -d --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>"$WORK/err"; then
		echo "bench: run $id: $(cat "$WORK/err")" >&2
		exit 1
	fi
	ids+=("$id")
done
sleep 1 # every container past its mount

# kB of a smaps_rollup field (USS: Private_Clean + Private_Dirty).
mem() { # PID -> "RSS PSS USS THREADS"
	awk -v t="$(ls "/proc/$1/task" 2>/dev/null | wc -l)" '
		/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {u += $2}
		END {print r + 0, p + 0, u + 0, t}' "/proc/$1/smaps_rollup" 2>/dev/null
}

printf "%-14s %24s   %24s   %s\n" "" "ironbox-sup" "ironbox-notify" "total"
printf "%-14s %7s %7s %7s %2s   %7s %7s %7s %2s   %7s %7s\n" container RSS PSS USS th RSS PSS USS th PSS USS
tot_p=0 tot_u=0 n=0
for id in "${ids[@]}"; do
	sup=$(jq -r '.supervisor_pid // 0' "$WORK/state/$id/state.json")
	agent=$(pgrep -P "$sup" -x ironbox-notify | head -1)
	read -r sr sp su st <<<"$(mem "$sup")"
	read -r ar ap au at <<<"$(mem "${agent:-0}")"
	printf "%-14s %7d %7d %7d %2d   %7d %7d %7d %2d   %7d %7d\n" "${id#sm-$$-}" "$sr" "$sp" "$su" "$st" \
		"${ar:-0}" "${ap:-0}" "${au:-0}" "${at:-0}" $((sp + ap)) $((su + au))
	tot_p=$((tot_p + sp + ap)) tot_u=$((tot_u + su + au)) n=$((n + 1))
done
echo "(kB; th = threads)"
awk -v p="$tot_p" -v u="$tot_u" -v n="$n" 'BEGIN {
	printf "mean per container (supervisor + agent): PSS %.0f kB, USS %.0f kB (goal: under 1024 kB)\n", p / n, u / n }'
