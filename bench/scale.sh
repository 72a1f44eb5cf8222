#!/bin/bash
# Scale benchmark: start COUNT containers (`run -d` of `sleep`) with K in
# flight at once, for ironbox, runc and crun side by side, then delete them.
#
#   bench/scale.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Environment: COUNT (default 200), PARALLEL (default "2 8 32"), ROUNDS
# (default 3: each K that many times, every other round in reverse order),
# QUIET_PCT (default 90: before each run, wait up to 20 s for the CPUs to
# be that idle over 0.5 s), RUNC, CRUN (defaults from PATH), STATE_DIR
# (default: a tmpfs of the run's own, like /run, for the runtimes' state
# roots). Also printed:
# ironbox's create CPU with none and with COUNT containers up (work that
# grows with the host).
#
# Per runtime and K: total wall time to start all COUNT, throughput
# (containers/s), median and p99 of the per-container `run -d` time, errors,
# and the time to delete them all. While all COUNT are running: the memory
# the runtime leaves behind per container (proportional set size of the
# runtime-side processes that stay: ironbox's per-container supervisor and
# its notification agent;
# runc and crun leave none without a shim), and the PSS of the containers'
# own processes for reference.
#
# Like bench/lifecycle.sh, everything runs in a private mount namespace in
# which /sys/fs/cgroup/unified is hidden (crun 1.8 refuses hybrid hosts).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
COUNT=${COUNT:-200}
PARALLEL=${PARALLEL:-"2 8 32"}
ROUNDS=${ROUNDS:-3}
QUIET_PCT=${QUIET_PCT:-90}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
CRUN=${CRUN:-$(command -v crun || echo /usr/bin/crun)}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: must run as root" >&2
	exit 1
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"

# Re-exec in a private mount namespace with the v2 tree hidden.
if [[ -z "${IB_SCALE_INNER:-}" ]]; then
	if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
		exec env IB_SCALE_INNER=1 unshare -m --propagation private bash -c '
			umount -l /sys/fs/cgroup/unified 2>/dev/null ||
				mount -t tmpfs -o ro none /sys/fs/cgroup/unified
			exec "$0" "$@"' "$0" "$@"
	fi
fi

WORK=$(mktemp -d /tmp/ib-scale.XXXXXX)
cleanup() {
	local rt root id
	for rt in "$IRONBOX_BIN" "$RUNC" "$CRUN"; do
		[[ -x "$rt" ]] || continue
		for root in "${STATE:-$WORK}"/state-*; do
			[[ -d "$root" ]] || continue
			for id in $("$rt" --root "$root" list -q 2>/dev/null); do
				"$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
			done
		done
	done
	[[ -n "${STATE_MOUNTED:-}" ]] && umount -l "$STATE"
	rm -rf "$WORK"
}
trap cleanup EXIT

# The runtimes' state roots on a tmpfs, as /run is on systemd hosts (runc's,
# crun's and ironbox's default roots are there). Not the file system of the
# bundle: on an ext4 without a journal (this machine's /), creating inodes
# right after a run's 200 deletions scans past them (ext4 does not reuse an
# inode freed in the last seconds), and that charged each run for the one
# before it: the same crun binary measured 47-99 c/s by its place in the
# order. STATE_DIR=DIR puts them in DIR instead.
STATE=${STATE_DIR:-$WORK/state}
mkdir -p "$STATE"
if [[ -z "${STATE_DIR:-}" ]]; then
	mount -t tmpfs -o mode=0700 ib-scale-state "$STATE" || {
		echo "bench: cannot mount a tmpfs for the state roots" >&2
		exit 1
	}
	STATE_MOUNTED=1
fi

BUNDLE="$WORK/bundle"
(
	export BATS_TEST_TMPDIR="$WORK" IRONBOX="$IRONBOX_BIN"
	# shellcheck source=../tests/lib/common.bash
	source "$REPO/tests/lib/common.bash"
	make_bundle "$BUNDLE" sleep 100000
) || {
	echo "bench: could not build the bundle" >&2
	exit 1
}

now_ns() { date +%s%N; }
# Busy and idle jiffies of all CPUs.
cpu_jiffies() { awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat; }
HZ=$(getconf CLK_TCK)

# Wait until the machine is quiet: the previous run's deletions finish in
# the kernel after the runtime returns (network namespaces are torn down by
# a kernel worker, unmounts wait for RCU), and would otherwise be charged
# to whichever runtime runs next. Prints the seconds waited.
wait_quiet() {
	local t0 b0 i0 b1 i1 waited=0
	t0=$(now_ns)
	while :; do
		read -r b0 i0 < <(cpu_jiffies)
		sleep 0.5
		read -r b1 i1 < <(cpu_jiffies)
		waited=$((($(now_ns) - t0) / 1000000000))
		if ((100 * (i1 - i0) >= QUIET_PCT * (b1 - b0 + i1 - i0) || waited >= 20)); then
			break
		fi
	done
	echo "$waited"
}

# The driver: starts the containers, K at a time, and prints each one's
# time (microseconds) and exit status. A C program, not a shell per
# container: here a bash and two `date`s cost as much CPU as a runtime's
# whole create and diluted the ratios.
LAUNCH="$WORK/launch"
gcc -O2 -Wall -Werror -o "$LAUNCH" "$REPO/bench/launch.c" || {
	echo "bench: could not build bench/launch.c" >&2
	exit 1
}

# PSS (kB) of a process, 0 if gone.
pss_of() { awk '/^Pss:/ { print $2; exit }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

# Sum of PSS of the containers' init processes and of ironbox supervisors
# and their agents (processes named ironbox-sup / ironbox-notify started
# during this run: we only read, never signal them).
measure_memory() {
	local rt=$1 root=$2 label=$3 id pid init_pss=0 sup_pss=0 n=0 p
	for id in $("$rt" --root "$root" list -q 2>/dev/null); do
		pid=$("$rt" --root "$root" state "$id" 2>/dev/null | jq -r '.pid // 0')
		[[ "$pid" -gt 0 ]] || continue
		init_pss=$((init_pss + $(pss_of "$pid")))
		n=$((n + 1))
	done
	if [[ "$label" == ironbox ]]; then
		for p in /proc/[0-9]*; do
			# the supervisor and its notification agent
			case "$(cat "$p/comm" 2>/dev/null)" in
			ironbox-sup | ironbox-notify) ;;
			*) continue ;;
			esac
			# Only supervisors of this run: their cgroup or cmdline names the
			# state root or they were started after the run began.
			if [[ "$(stat -c %Y "$p" 2>/dev/null || echo 0)" -ge "$RUN_STARTED" ]]; then
				sup_pss=$((sup_pss + $(pss_of "${p#/proc/}")))
			fi
		done
	fi
	if [[ $n -gt 0 ]]; then
		printf '%s\t%s\t%s\n' "$n" "$((sup_pss / n))" "$((init_pss / n))"
	else
		printf '0\t0\t0\n'
	fi
}

# Work that grows with the host: the CPU of a create (policy and ID range,
# and the runtime's in all, its reaped helpers included) with no container
# up, and with COUNT up (after ironbox's first run at the largest K, once the
# machine is quiet). Ten creates each, in a state root of their own, deleted
# at once; medians.
probe_growth() {
	local root="$STATE/state-probe-$1" ph="$WORK/phases-$1" i
	mkdir -p "$root"
	: >"$ph"
	for i in $(seq 10); do
		IRONBOX_PHASES="$ph" "$IRONBOX_BIN" --root "$root" run -d --bundle "$BUNDLE" "probe-$1-$i" \
			</dev/null >/dev/null 2>&1
	done
	"$IRONBOX_BIN" --root "$root" list -q 2>/dev/null | xargs -r -I{} "$IRONBOX_BIN" --root "$root" delete -f {} >/dev/null 2>&1
	jq -rs '[.[] | select(.cmd == "run")] as $r | def med(f): ($r | map(f) | sort | .[(length / 2 | floor)] // 0) / 1000;
		"\(med(.cpu_phases["policy+idrange"])) \(med(.total_cpu_us)) \(med(.total_us))"' "$ph"
}

RUNTIMES=("ironbox $IRONBOX_BIN" "runc $RUNC")
[[ -x "$CRUN" ]] && RUNTIMES+=("crun $CRUN")

echo "== scale: $COUNT containers (run -d sleep), in flight: $PARALLEL; $(nproc) CPUs, kernel $(uname -r)"
printf '%-8s %4s %8s %10s %9s %9s %6s %9s %14s %12s %10s %6s\n' runtime K "total s" "cont/s" "p50 ms" "p99 ms" errors "delete s" "runtime kB/ct" "init kB/ct" "CPU ms/ct" "idle%"
RES="$WORK/res"
: >"$RES"
LAST_K=${PARALLEL##* }
read -r GROW0_POL GROW0_CPU GROW0_WALL < <(probe_growth 0)
GROWN=""
for k in $PARALLEL; do
	for round in $(seq 1 "$ROUNDS"); do
		# Every other round in the reverse order: what the runtime before
		# left behind (200 directories just deleted, which ext4 scans past
		# when it allocates inodes for ~30 s) is not always the same one's.
		order=("${RUNTIMES[@]}")
		if ((round % 2 == 0)); then
			order=()
			for ((i = ${#RUNTIMES[@]} - 1; i >= 0; i--)); do order+=("${RUNTIMES[i]}"); done
		fi
		for entry in "${order[@]}"; do
			label=${entry%% *}
			rt=${entry#* }
			root="$STATE/state-$label-$k-$round"
			mkdir -p "$root"
			quiet_s=$(wait_quiet)
			RUN_STARTED=$(date +%s)
			read -r cb0 ci0 < <(cpu_jiffies)
			t0=$(now_ns)
			"$LAUNCH" "$k" "$COUNT" "$rt" --root "$root" run -d --bundle "$BUNDLE" "$label-$k-{i}" \
				>"$WORK/times" 2>>"$root.err"
			t1=$(now_ns)
			read -r cb1 ci1 < <(cpu_jiffies)
			# System-wide busy CPU per container and the idle share while
			# they started: a runtime that waits (locks, I/O) leaves CPUs
			# idle, one that computes does not.
			cpu_ct=$(awk -v b="$((cb1 - cb0))" -v n="$COUNT" -v hz="$HZ" 'BEGIN { printf "%.1f", b * 1000 / hz / n }')
			idle=$(awk -v b="$((cb1 - cb0))" -v i="$((ci1 - ci0))" 'BEGIN { printf "%.0f", (b + i) ? 100 * i / (b + i) : 0 }')
			errors=$(awk '$2 != 0' "$WORK/times" | wc -l)
			read -r p50 p99 < <(awk '{ print $1 / 1000 }' "$WORK/times" | sort -n |
				awk '{ a[NR] = $1 } END { i50 = int(NR * 0.5 + 0.5); i99 = int(NR * 0.99 + 0.5);
					if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; printf "%.1f %.1f\n", a[i50], a[i99] }')
			IFS=$'\t' read -r running sup_kb init_kb < <(measure_memory "$rt" "$root" "$label")
			if [[ "$label" == ironbox && "$k" == "$LAST_K" && -z "$GROWN" ]]; then
				wait_quiet >/dev/null
				GROWN=$(probe_growth "$COUNT")
			fi
			d0=$(now_ns)
			"$rt" --root "$root" list -q 2>/dev/null | xargs -r -P "$k" -I{} "$rt" --root "$root" delete -f {} >/dev/null 2>&1
			d1=$(now_ns)
			total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
			tput=$(awk -v n="$COUNT" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }')
			dels=$(awk -v a="$d0" -v b="$d1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
			printf '%-8s %4s %8s %10s %9s %9s %6s %9s %14s %12s %10s %6s\n' "$label" "$k" "$total" "$tput" "$p50" "$p99" \
				"$errors" "$dels" "$sup_kb" "$init_kb" "$cpu_ct" "$idle"
			printf '%s\t%s\t%s\n' "$label" "$k" "$tput" >>"$RES"
			if [[ "$quiet_s" -ge 20 ]]; then
				echo "   note: the machine was not quiet before this run (less than $QUIET_PCT% idle)"
			fi
			if [[ "$running" -ne $((COUNT - errors)) ]]; then
				echo "   note: $label K=$k: $running running of $((COUNT - errors)) started"
			fi
			if [[ -s "$root.err" ]]; then
				echo "   first errors of $label K=$k:"
				sort "$root.err" | uniq -c | sort -rn | head -3 | sed 's/^/     /'
			fi
		done
	done
done
echo
echo "throughput ratios, of the mean over $ROUNDS round(s) (goal: ironbox >= crun):"
for k in $PARALLEL; do
	awk -F'\t' -v k="$k" '$2 == k { s[$1] += $3; n[$1]++ } END {
		for (l in s) t[l] = s[l] / n[l]
		printf "  K=%-3s ironbox/runc = %.2f   ironbox/crun = %s\n", k, t["ironbox"] / t["runc"],
			("crun" in t) ? sprintf("%.2f", t["ironbox"] / t["crun"]) : "n/a" }' "$RES"
done
echo "(runtime kB/ct: PSS per container of what the runtime leaves running beside the container)"
if [[ -n "$GROWN" ]]; then
	read -r g_pol g_cpu g_wall <<<"$GROWN"
	printf 'ironbox create, CPU ms (median of 10): policy+ID range %s -> %s, runtime %s -> %s, wall %s -> %s, with 0 -> %s containers up\n' \
		"$GROW0_POL" "$g_pol" "$GROW0_CPU" "$g_cpu" "$GROW0_WALL" "$g_wall" "$COUNT"
fi
