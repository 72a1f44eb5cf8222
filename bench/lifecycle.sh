#!/bin/bash
# Lifecycle benchmark: ironbox vs runc vs crun on a busybox bundle running
# /bin/true (default namespaces, no terminal).
#
#   bench/lifecycle.sh [IRONBOX_BIN]      (default: $IRONBOX or build/ironbox)
#
# Environment: N (iterations, default 50, at least 50 recommended),
# WARMUP (default 3), RUNC (default: runc in PATH), CRUN (default: crun).
#
# Two operations per runtime, alternating runtimes every iteration:
#   run   `RT run --bundle B id`                       (fresh id each time)
#   cycle `RT create --pid-file P` + `start` + wait for the pid to exit + `delete`
#
# Two scenarios, because crun 1.8 refuses hybrid cgroup hosts (v1
# controllers + a v2 tree with controllers):
#   [v1]     all runtimes in a private mount namespace in which
#            /sys/fs/cgroup/unified is hidden (pure cgroup v1 as seen by the
#            runtimes); crun both with cgroups and --cgroup-manager=disabled.
#            ironbox has no way to disable cgroups: its column always
#            includes cgroup setup. This is the main comparison.
#   [hybrid] the host as it is: ironbox and runc (crun cannot run).
#   [busy]   the v1 scenario (hybrid when crun cannot run at all) again,
#            ironbox and runc only, while two CPU hogs (busy loops the
#            benchmark starts and stops itself) keep both CPUs busy.
# Times are wall-clock per operation (fork+exec of the runtime included),
# measured by bench/timer.c; CPU is user+system time of every process the
# operation started (runtime, its children, the container; the machine's
# load hardly changes it); peak RSS is the largest ru_maxrss of the runtime
# processes of one operation. N_BUSY (default N/2) iterations for [busy].
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
N=${N:-50}
N_BUSY=${N_BUSY:-$(((N + 1) / 2))}
WARMUP=${WARMUP:-3}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
CRUN=${CRUN:-$(command -v crun || echo /usr/bin/crun)}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

WORK=$(mktemp -d /tmp/ib-bench.XXXXXX)
# The runtimes' state roots on a tmpfs, as /run is on hosts (runc's, crun's
# and ironbox's default roots, Docker's and containerd's too), not on the
# bundle's file system: on an ext4 without a journal (this machine's /) a
# mkdir after many deletions scans past inodes freed in the last seconds
# (1-3 ms per state directory, measured with strace), which measured the
# file system, not the runtimes. STATE_DIR=DIR puts them in DIR instead.
STATE=${STATE_DIR:-$WORK/state}
STATE_MOUNTED=0
HOGS=()
stop_hogs() {
	local p
	for p in "${HOGS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	HOGS=()
}
cleanup() {
	local rt root id
	stop_hogs
	# Remove any container a failed iteration left behind.
	for rt in "$IRONBOX_BIN" "$RUNC" "$CRUN"; do
		[[ -x "$rt" ]] || continue
		for root in "$STATE"/state-*; do
			[[ -d "$root" ]] || continue
			for id in $("$rt" --root "$root" list -q 2>/dev/null); do
				"$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
			done
		done
	done
	[[ $STATE_MOUNTED == 1 ]] && umount -l "$STATE"
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$STATE"
if [[ -z "${STATE_DIR:-}" ]]; then
	mount -t tmpfs -o mode=0700 ib-bench-state "$STATE" || {
		echo "bench: cannot mount a tmpfs for the state roots" >&2
		exit 1
	}
	STATE_MOUNTED=1
fi

# --- bundle -----------------------------------------------------------------
BUILD_TIMER="$WORK/timer"
gcc -O2 -Wall -o "$BUILD_TIMER" "$REPO/bench/timer.c" || exit 1

BUNDLE="$WORK/bundle"
(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" /bin/true
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}

# --- spec -------------------------------------------------------------------
# add_runtime SPEC LABEL BIN [global args...]
add_runtime() {
	local spec=$1 label=$2 bin=$3
	shift 3
	local g="" a
	for a in "$@"; do g+=$'\t'"$a"; done
	local root="$STATE/state-$label"
	mkdir -p "$root"
	{
		printf 'OP\t%s run\n' "$label"
		printf 'CMD\t%s\t--root\t%s%s\trun\t--bundle\t%s\t%s-r{i}\n' "$bin" "$root" "$g" "$BUNDLE" "$label"
		printf 'CLEANUP\t%s\t--root\t%s%s\tdelete\t-f\t%s-r{i}\n' "$bin" "$root" "$g" "$label"
		printf 'OP\t%s cycle\n' "$label"
		printf 'CMD\t%s\t--root\t%s%s\tcreate\t--bundle\t%s\t--pid-file\t%s/%s-{i}.pid\t%s-c{i}\n' "$bin" "$root" "$g" "$BUNDLE" "$WORK" "$label" "$label"
		printf 'CMD\t%s\t--root\t%s%s\tstart\t%s-c{i}\n' "$bin" "$root" "$g" "$label"
		printf 'WAITPID\t%s/%s-{i}.pid\n' "$WORK" "$label"
		printf 'CMD\t%s\t--root\t%s%s\tdelete\t%s-c{i}\n' "$bin" "$root" "$g" "$label"
		printf 'CLEANUP\t%s\t--root\t%s%s\tdelete\t-f\t%s-c{i}\n' "$bin" "$root" "$g" "$label"
	} >>"$spec"
}

SPEC_V1="$WORK/spec-v1"
SPEC_HY="$WORK/spec-hybrid"
: >"$SPEC_V1"
: >"$SPEC_HY"
add_runtime "$SPEC_V1" ironbox "$IRONBOX_BIN"
add_runtime "$SPEC_V1" runc "$RUNC"
if [[ -x "$CRUN" ]]; then
	add_runtime "$SPEC_V1" crun "$CRUN"
	add_runtime "$SPEC_V1" crun-nocg "$CRUN" --cgroup-manager=disabled
fi
add_runtime "$SPEC_HY" ironbox-hy "$IRONBOX_BIN"
add_runtime "$SPEC_HY" runc-hy "$RUNC"
SPEC_BUSY="$WORK/spec-busy"
: >"$SPEC_BUSY"
add_runtime "$SPEC_BUSY" ironbox-busy "$IRONBOX_BIN"
add_runtime "$SPEC_BUSY" runc-busy "$RUNC"

[[ -x "$IRONBOX_BIN" ]] || echo "bench: note: $IRONBOX_BIN does not exist; its column will be n/a" >&2

echo "== lifecycle of /bin/true: N=$N (+$WARMUP warm-up), $(nproc) CPUs, kernel $(uname -r)"
echo "   ironbox: $IRONBOX_BIN"
echo "   runc:    $("$RUNC" --version 2>/dev/null | head -1)"
[[ -x "$CRUN" ]] && echo "   crun:    $("$CRUN" --version 2>/dev/null | head -1)"

RES="$WORK/results"
: >"$RES"
if [[ -d /sys/fs/cgroup/unified ]] && grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
	echo "== [v1] private mount namespace, /sys/fs/cgroup/unified hidden"
	unshare -m --propagation private sh -c '
		umount -l /sys/fs/cgroup/unified 2>/dev/null || mount -t tmpfs -o ro none /sys/fs/cgroup/unified
		exec "$0" "$1" "$2" "$3"' "$BUILD_TIMER" "$N" "$WARMUP" "$SPEC_V1" | sed 's/^RESULT/V1/' >>"$RES"
	echo "== [hybrid] host cgroups as they are"
	"$BUILD_TIMER" "$N" "$WARMUP" "$SPEC_HY" | sed 's/^RESULT/HY/' >>"$RES"
	busy_prefix=(unshare -m --propagation private sh -c '
		umount -l /sys/fs/cgroup/unified 2>/dev/null || mount -t tmpfs -o ro none /sys/fs/cgroup/unified
		exec "$0" "$1" "$2" "$3"')
else
	echo "== host without a separate v2 tree: one scenario"
	"$BUILD_TIMER" "$N" "$WARMUP" "$SPEC_V1" | sed 's/^RESULT/V1/' >>"$RES"
	busy_prefix=()
fi
# Two busy loops for the whole [busy] pass (the benchmark's own processes,
# stopped right after it and by the exit trap).
echo "== [busy] two CPU hogs running (ironbox and runc, N=$N_BUSY)"
for _ in 1 2; do
	(exec -a ib-bench-hog bash -c 'while :; do :; done') &
	HOGS+=($!)
done
"${busy_prefix[@]}" "$BUILD_TIMER" "$N_BUSY" "$WARMUP" "$SPEC_BUSY" | sed 's/^RESULT/BUSY/' >>"$RES"
stop_hogs

# --- report -----------------------------------------------------------------
# columns: scen label ok fail median p90 min mean rss_med rss_max cpu_med cpu_p90
echo
printf '%-28s %6s %9s %9s %9s %9s %9s %12s %12s\n' "runtime / op" "ok" "median" "p90" "min" \
	"CPU med" "CPU p90" "RSS med KB" "RSS max KB"
awk -F'\t' '{
	tag = $1 == "HY" ? "[hybrid] " : $1 == "BUSY" ? "[busy] " : "[v1] "
	printf "%-28s %6s %9s %9s %9s %9s %9s %12s %12s\n", tag $2, $3 "/" ($3 + $4), $5, $6, $7, $11, $12, $9, $10
}' "$RES"
echo "(times in ms: wall clock, and CPU = user+system of every process of the operation;"
echo " RSS = peak resident set of the runtime processes)"

# field 5: median wall time, 11: median CPU time
median_of() { awk -F'\t' -v s="$1" -v l="$2" -v f="${FIELD:-5}" '$1 == s && $2 == l { print $f }' "$RES"; }
ratio() {
	local a b
	a=$(median_of "$1" "$2")
	b=$(median_of "$3" "$4")
	if [[ -z "$a" || -z "$b" || "$a" == n/a || "$b" == n/a ]]; then
		echo "n/a"
	else
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
	fi
}
echo
echo "ratios of medians (goal: ironbox/runc <= 0.5, ironbox/crun <= 0.8, also with the CPU hogs):"
for f in 5 11; do
	[[ $f == 5 ]] && echo " wall clock:" || echo " CPU time:"
	for op in run cycle; do
		printf '  %-6s ironbox/runc = %s   ironbox/crun = %s   ironbox/crun-nocg = %s   [hybrid] ironbox/runc = %s   [busy] ironbox/runc = %s\n' \
			"$op" "$(FIELD=$f ratio V1 "ironbox $op" V1 "runc $op")" \
			"$(FIELD=$f ratio V1 "ironbox $op" V1 "crun $op")" \
			"$(FIELD=$f ratio V1 "ironbox $op" V1 "crun-nocg $op")" \
			"$(FIELD=$f ratio HY "ironbox-hy $op" HY "runc-hy $op")" \
			"$(FIELD=$f ratio BUSY "ironbox-busy $op" BUSY "runc-busy $op")"
	done
done
echo "  (crun-nocg = crun --cgroup-manager=disabled; ironbox always sets up cgroups)"

# --- where ironbox's `run` spends its time -----------------------------------
# IRONBOX_PHASES makes ironbox append a per-phase record of each command
# (src/common/phase.h); a separate pass so the timings above are unaffected.
PHASES="$WORK/phases.jsonl"
: >"$PHASES"
for ((i = 0; i < N; i++)); do
	IRONBOX_PHASES="$PHASES" "$IRONBOX_BIN" --root "$STATE/state-phases" run --bundle "$BUNDLE" "ph-$i" \
		</dev/null >/dev/null 2>&1
done
echo
phase_table() { # $1: the command whose records are summed up
	printf '  %-22s %8s %8s\n' phase wall CPU
	jq -rs --arg cmd "$1" '
		def median: sort | if length == 0 then 0 else .[(length / 2 | floor)] end;
		map(select(.cmd == $cmd))
		| (map(.phases | keys_unsorted) | add | unique) as $all
		| (.[0].phases | keys_unsorted) as $order
		| ($order + ($all - $order)) as $names
		| ($names[] as $n | "  \($n)\t\([.[] | .phases[$n] // 0] | median / 1000)\t\([.[] | .cpu_phases[$n] // 0] | median / 1000)"),
		  "  total\t\([.[] | .total_us] | median / 1000)\t\([.[] | .total_cpu_us // 0] | median / 1000)"' "$PHASES" |
		awk -F'\t' '{ printf "%-24s %8.2f %8.2f\n", $1, $2, $3 }'
}
echo "ironbox run, per phase (median of $N, ms; [hybrid] host; phases in order):"
phase_table run
echo "the container's init within clone+init-setup (its own record, from its"
echo "start as the runtime's clone until it reports CREATED):"
phase_table init
echo "  (spec: load config.json; policy+idrange: admin policy, namespace and mount"
echo "   rules, ID range; userns: create it + maps; mount-prepare: ID-mapped rootfs,"
echo "   binds, devices; bind-staging: locked binds; clone+init-setup: the init's"
echo "   mounts, pivot and process set-up until CREATED; start: release exec.fifo"
echo "   until execve; teardown: delete (cgroups, state, range); CPU: the runtime's"
echo "   own, plus its children's when it reaps them: the set-up children in"
echo "   userns/clone+init-setup, the container in container-runs, the"
echo "   supervisor and its agent in teardown, which removes the cgroups while"
echo "   the supervisor exits; init-*: the init's own record: cgroup-join (the"
echo "   first stage's v1 tasks writes) and clone (its setns into the user"
echo "   namespace, the clone into the new ones, until the init runs): wall"
echo "   only (timed by the first stage, a process of its own),"
echo "   open-binds, wait-supervisor"
echo "   (its FUSE view ready), clone-emulated (one listing, then a clone per"
echo "   emulated file), wait-maps, ns-setup, mounts, hooks, pivot, wait-filter"
echo "   (ironbox's seccomp filter, built by the runtime meanwhile),"
echo "   seccomp-notify (loaded, listener sent))"
