#!/bin/bash
# Build and run ironbox's libFuzzer targets (fuzz/fuzz_*.c).
#
#   fuzz/run.sh [--build DIR] [--seconds N] [--no-save] [--merge] [TARGET...]
#
#   --build DIR   build directory for the clang/ASan/UBSan/libFuzzer build
#                 (default build-fuzz)
#   --seconds N   fuzzing time per target (default 20; `make fuzz` uses 300)
#   --no-save     do not copy new crash inputs into fuzz/regressions/TARGET/
#   --merge       afterwards, merge inputs that add coverage into
#                 fuzz/corpus/TARGET/ (libFuzzer -merge=1; review, then commit)
#   TARGET        spec, policy, state, idmap (default: all)
#
# Per target, in this order:
#   1. regressions: every input in fuzz/regressions/TARGET/ is replayed once
#      and must pass -- except those fuzz/known-open.txt lists (bugs whose fix
#      is pending), which must still fail with their check id; one that
#      passes is reported as fixed (remove it from the list);
#   2. fuzzing for N seconds from the seed corpus (fuzz/corpus/TARGET/) and the
#      regression inputs, with the target's dictionary (fuzz/dict/TARGET.dict),
#      ASan+UBSan, leak detection on. New corpus entries go to a temporary
#      directory, never into the repository. A crash, leak, timeout or
#      out-of-memory is a failure; its input is copied to
#      fuzz/regressions/TARGET/ (commit it with the fix).
# Before that, once: the library objects linked into the targets must not
# reference stdio output or exit functions (the library never prints or exits).
#
# Output: one line per check and a summary with executions and exec/s. If
# IB_RESULTS is set (run-all.sh), "fuzz PASS FAIL SKIP" and "fail fuzz: ..."
# lines are appended to it. Exit status: 0 ok, 1 failure, 77 when clang's
# libFuzzer runtime is missing (nothing was run).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=build-fuzz
SECS=20
SAVE=1
MERGE=0
TARGETS=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--build)
		BUILD_DIR=$2
		shift
		;;
	--seconds)
		SECS=$2
		shift
		;;
	--no-save) SAVE=0 ;;
	--merge) MERGE=1 ;;
	spec | policy | state | idmap) TARGETS+=("$1") ;;
	*)
		echo "usage: $0 [--build DIR] [--seconds N] [--no-save] [--merge] [spec|policy|state|idmap]..." >&2
		exit 2
		;;
	esac
	shift
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(spec policy state idmap)
[[ "$SECS" =~ ^[0-9]+$ && "$SECS" -gt 0 ]] || {
	echo "fuzz: --seconds must be a positive integer" >&2
	exit 2
}
cd "$REPO" || exit 2
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$REPO/$BUILD_DIR"
FUZZ_CC=${FUZZ_CC:-clang}
LOGS=${IB_FUZZ_LOG_DIR:-$BUILD_DIR/fuzz-logs}

P=0 F=0 S=0
FAILS=()
pass() {
	P=$((P + 1))
	echo "[fuzz] $1: ok${2:+ ($2)}"
}
failed() {
	F=$((F + 1))
	FAILS+=("$1: $2")
	echo "[fuzz] $1: FAIL ($2)"
}
skipped() {
	S=$((S + 1))
	echo "[fuzz] $1: skip ($2)"
}
finish() {
	if [[ -n "${IB_RESULTS:-}" ]]; then
		echo "fuzz $P $F $S" >>"$IB_RESULTS"
		for x in "${FAILS[@]+"${FAILS[@]}"}"; do echo "fail fuzz: $x" >>"$IB_RESULTS"; done
	fi
	echo "[fuzz] $P passed, $F failed, $S skipped"
	[[ $F -eq 0 ]]
	exit $?
}

TMP=$(mktemp -d /tmp/ib-fuzz.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$LOGS"

# ---- toolchain ------------------------------------------------------------
cat >"$TMP/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
if ! command -v "$FUZZ_CC" >/dev/null 2>&1 ||
	! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$TMP/probe" "$TMP/probe.c" >"$TMP/probe.log" 2>&1; then
	echo "[fuzz] SKIP: $FUZZ_CC cannot link -fsanitize=fuzzer (install clang-14 and libclang-rt-14-dev)"
	sed 's/^/    /' "$TMP/probe.log" 2>/dev/null | head -5
	if [[ -n "${IB_RESULTS:-}" ]]; then echo "fuzz 0 0 1" >>"$IB_RESULTS"; fi
	exit 77
fi

# ---- build ----------------------------------------------------------------
echo "== fuzz: building ${TARGETS[*]} in $BUILD_DIR ($FUZZ_CC, libFuzzer + ASan + UBSan)"
if ! make -C "$REPO" --no-print-directory FUZZ_BUILD="$BUILD_DIR" FUZZ_CC="$FUZZ_CC" fuzz-bins >"$LOGS/build.log" 2>&1; then
	tail -30 "$LOGS/build.log" | sed 's/^/    /'
	failed build "make fuzz-bins failed (log $LOGS/build.log)"
	finish
fi

# ---- the library never prints or exits --------------------------------------
# Members of libironbox.a linked into the targets (from the link maps), and
# the output/exit functions they reference.
FORBIDDEN='^(printf|vprintf|puts|putchar|putc|fputs|fputc|fprintf|vfprintf|dprintf|vdprintf|fwrite|perror|psignal|psiginfo|error|err|errx|verr|verrx|warn|warnx|vwarn|vwarnx|syslog|vsyslog|exit|_exit|_Exit|quick_exit|stdout|stderr|__printf_chk|__fprintf_chk|__vfprintf_chk|__vprintf_chk|__dprintf_chk)$'
bad=""
members=$(for t in "${TARGETS[@]}"; do
	grep -oE 'libironbox\.a\([A-Za-z0-9_]+\.o\)' "$BUILD_DIR/fuzz/fuzz_$t.map" 2>/dev/null
done | sed -E 's/.*\((.*)\)/\1/' | sort -u)
if [[ -z "$members" ]]; then
	failed "library purity" "no link map in $BUILD_DIR/fuzz"
else
	for m in $members; do
		for o in "$BUILD_DIR"/src/*/"$m"; do
			[[ -f "$o" ]] || continue
			syms=$(nm -u "$o" | awk '{print $NF}' | grep -E "$FORBIDDEN" | tr '\n' ' ')
			[[ -n "$syms" ]] && bad+="${o#"$BUILD_DIR"/}: $syms; "
		done
	done
	if [[ -n "$bad" ]]; then
		failed "library purity" "library code linked into the parsers prints or exits: $bad"
	else
		pass "library purity" "$(wc -w <<<"$members") objects, no stdio output or exit"
	fi
fi

# ---- known open bugs ---------------------------------------------------------
# fuzz/known-open.txt: "ID TARGET INPUT  description" (# comments).
KNOWN_IDS=$(awk '!/^#/ && NF >= 3 {printf "%s ", $1}' fuzz/known-open.txt 2>/dev/null)
# known_id TARGET INPUT-BASENAME : the listed id, or nothing.
known_id() {
	awk -v t="$1" -v f="$2" '!/^#/ && $2 == t && $3 == f {print $1; exit}' fuzz/known-open.txt 2>/dev/null
}

# stat NAME LOG : a libFuzzer final statistic.
stat_of() { awk -v k="stat::$1:" '$1 == k {print $2; exit}' "$2"; }

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export TMPDIR="$TMP"

TOTAL_RUNS=0
for t in "${TARGETS[@]}"; do
	bin="$BUILD_DIR/fuzz/fuzz_$t"
	regdir="$REPO/fuzz/regressions/$t"
	mkdir -p "$regdir"

	# 1. regressions
	n=0 nbad=0 nopen=0
	shopt -s nullglob
	inputs=("$regdir"/*)
	shopt -u nullglob
	for f in "${inputs[@]+"${inputs[@]}"}"; do
		[[ -f "$f" && "$(basename "$f")" != README* ]] || continue
		n=$((n + 1))
		id=$(known_id "$t" "$(basename "$f")")
		log="$TMP/replay-$t-$n.log"
		IB_FUZZ_KNOWN_OPEN='' timeout 120 "$bin" -runs=1 "$f" >"$log" 2>&1
		rc=$?
		if [[ -n "$id" ]]; then
			if [[ $rc -ne 0 ]] && grep -qF "[$id]" "$log"; then
				nopen=$((nopen + 1))
			else
				nbad=$((nbad + 1))
				echo "    $f: listed as known open bug $id but no longer fails: fixed? remove it from fuzz/known-open.txt"
			fi
		elif [[ $rc -ne 0 ]]; then
			nbad=$((nbad + 1))
			echo "    $f fails again:"
			grep -E 'fuzz check failed|ERROR:|SUMMARY:|runtime error' "$log" | head -5 | sed 's/^/      /'
		fi
	done
	if [[ $nbad -gt 0 ]]; then
		failed "$t regressions" "$nbad of $n inputs in fuzz/regressions/$t fail"
	elif [[ $nopen -gt 0 ]]; then
		skipped "$t regressions" "$((n - nopen)) inputs pass; $nopen reproduce known open bugs (fuzz/known-open.txt)"
	else
		pass "$t regressions" "$n inputs"
	fi

	# 2. fuzzing
	work="$TMP/corpus-$t"
	mkdir -p "$work" "$TMP/artifacts"
	log="$LOGS/$t.log"
	dirs=("$work" "$REPO/fuzz/corpus/$t")
	[[ $n -gt 0 ]] && dirs+=("$regdir")
	seeds=$(find "$REPO/fuzz/corpus/$t" -type f | wc -l)
	IB_FUZZ_KNOWN_OPEN="$KNOWN_IDS" timeout -k 30 $((SECS + 300)) "$bin" \
		-max_total_time="$SECS" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
		-dict="$REPO/fuzz/dict/$t.dict" -artifact_prefix="$TMP/artifacts/$t-" \
		"${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(stat_of number_of_executed_units "$log")
	eps=$(stat_of average_exec_per_sec "$log")
	newu=$(stat_of new_units_added "$log")
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	TOTAL_RUNS=$((TOTAL_RUNS + ${runs:-0}))
	info="${SECS}s, ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, $seeds seeds + ${newu:-?} new inputs"
	# (slow-unit-* files are only a report, not a failure)
	shopt -s nullglob
	arts=()
	for a in "$TMP/artifacts/$t-"*; do [[ "$a" == *slow-unit-* ]] || arts+=("$a"); done
	shopt -u nullglob
	if [[ $rc -eq 0 && ${#arts[@]} -eq 0 ]]; then
		pass "$t fuzz" "$info"
	else
		why=$(grep -E 'fuzz check failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY:' "$log" | head -4 | tr '\n' ' ')
		[[ -n "$why" ]] || why="exit status $rc"
		for a in "${arts[@]+"${arts[@]}"}"; do
			kind=$(basename "$a" | sed -E "s/^$t-//; s/-.*//")
			if [[ $SAVE -eq 1 ]]; then
				dest="$regdir/$kind-$(sha1sum "$a" | cut -c1-12)"
				cp "$a" "$dest"
				echo "    new regression input: ${dest#"$REPO"/} (commit it with the fix)"
			else
				echo "    crash input kept in: $a (not saved: --no-save)"
				cp "$a" "$LOGS/" 2>/dev/null
			fi
		done
		sed -n '/==ERROR\|fuzz check failed\|runtime error/,/SUMMARY/p' "$log" | head -40 | sed 's/^/      /'
		failed "$t fuzz" "$why(log $log; $info)"
	fi

	if [[ $MERGE -eq 1 ]]; then
		before=$(find "$REPO/fuzz/corpus/$t" -type f | wc -l)
		IB_FUZZ_KNOWN_OPEN="$KNOWN_IDS" "$bin" -merge=1 "$REPO/fuzz/corpus/$t" "$work" >"$LOGS/$t-merge.log" 2>&1
		after=$(find "$REPO/fuzz/corpus/$t" -type f | wc -l)
		echo "    merged $((after - before)) inputs into fuzz/corpus/$t"
	fi
done

echo "[fuzz] total: $TOTAL_RUNS executions"
finish
