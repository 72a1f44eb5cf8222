#!/bin/bash
# Run ironbox's whole test suite: cmocka unit tests, a short fuzzing run
# (fuzz/run.sh), then every tests/integration/*.bats and tests/security/*.bats
# file (bats --tap), and print one summary line.
#
#   tests/lib/run-all.sh BUILD [--integration-only]
#
# Environment:
#   IRONBOX           runtime under test (default: BUILD/ironbox; set it to
#                     /usr/sbin/runc to check the harness itself)
#   IB_SUITES         space-separated list of suites to run (default: all):
#                     .bats basenames ("cli_lifecycle docker"), "fuzz",
#                     "security" (all of tests/security) or "security-NAME",
#                     "workloads" (all of tests/workloads, the slow tier that
#                     is never run by default) or "workloads-NAME"
#   IB_FUZZ_SECONDS   fuzzing time per target in the fuzz suite (default 20)
#   IB_SUITE_TIMEOUT  seconds per .bats file (default 1800)
#   BATS_TEST_TIMEOUT seconds per test (default 300)
#   IB_LOG_DIR        where TAP logs go (default: BUILD/test-logs)
#
# Output: per-suite lines ("[suite] NAME: pass=.. fail=.. skip=.."), the
# failing tests with their diagnostics, and, last, exactly one line
#   N passed, M failed, K skipped
# Exit status is non-zero if anything failed.
set -u

usage() {
	echo "usage: $0 BUILD [--integration-only]" >&2
	exit 2
}
[[ $# -ge 1 ]] || usage
BUILD_ARG=$1
shift
integration_only=0
for a in "$@"; do
	case "$a" in
	--integration-only) integration_only=1 ;;
	*) usage ;;
	esac
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 2
BUILD=$(cd "$BUILD_ARG" 2>/dev/null && pwd) || {
	mkdir -p "$BUILD_ARG"
	BUILD=$(cd "$BUILD_ARG" && pwd)
}
export BUILD
export IRONBOX="${IRONBOX:-$BUILD/ironbox}"
LOG_DIR=${IB_LOG_DIR:-$BUILD/test-logs}
mkdir -p "$LOG_DIR"
SUITE_TIMEOUT=${IB_SUITE_TIMEOUT:-1800}
# bats' own per-test timeout (a hung test fails instead of blocking the suite)
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
RESULTS=$(mktemp /tmp/ib-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
start=$SECONDS

echo "== ironbox tests: runtime under test: $IRONBOX"
if [[ ! -x "$IRONBOX" ]]; then
	echo "!! $IRONBOX does not exist or is not executable (integration tests will skip)"
	echo "runtime 0 1 0" >>"$RESULTS"
	echo "fail runtime: $IRONBOX missing" >>"$RESULTS"
fi

# ---- unit tests -----------------------------------------------------------
if [[ $integration_only -eq 0 ]]; then
	echo "== unit tests"
	shopt -s nullglob
	bins=()
	for b in "$BUILD"/tests/test_*; do
		[[ -f "$b" && -x "$b" ]] && bins+=("$b")
	done
	shopt -u nullglob
	if [[ ${#bins[@]} -eq 0 ]]; then
		echo "[unit] no unit-test binaries in $BUILD/tests"
		echo "unit 0 0 0" >>"$RESULTS"
	else
		IB_RESULTS=$RESULTS "$REPO/tests/lib/run-unit.sh" "${bins[@]}"
	fi
fi

# ---- fuzzing (short run) --------------------------------------------------
# fuzz/run.sh: replays fuzz/regressions/, then IB_FUZZ_SECONDS (20) of
# libFuzzer per target; counts as the "fuzz" suite; skips (one skipped test,
# with a message) when clang's libFuzzer runtime is missing.
if [[ $integration_only -eq 0 ]] && { [[ -z "${IB_SUITES:-}" ]] || grep -qw -- fuzz <<<"$IB_SUITES"; }; then
	echo "== fuzz (${IB_FUZZ_SECONDS:-20} s per target)"
	t0=$SECONDS
	IB_RESULTS=$RESULTS IB_FUZZ_LOG_DIR="$LOG_DIR/fuzz" "$REPO/fuzz/run.sh" \
		--seconds "${IB_FUZZ_SECONDS:-20}" --build "${IB_FUZZ_BUILD:-build-fuzz}"
	echo "[suite] fuzz: $((SECONDS - t0))s"
fi

# ---- integration tests ----------------------------------------------------
# parse_tap FILE SUITE : print "SUITE PASS FAIL SKIP", then "fail SUITE: test" lines.
parse_tap() {
	local file=$1 suite=$2
	awk -v suite="$suite" '
		/^1\.\.[0-9]+/ { split($0, a, ".."); plan = a[2] + 0; next }
		/^ok / {
			if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skip++; else pass++
			next
		}
		/^not ok / {
			if ($0 ~ /# [Ss][Kk][Ii][Pp]/) { skip++; next }
			fail++
			sub(/^not ok [0-9]+ /, "")
			fails[fail] = $0
			next
		}
		END {
			seen = pass + fail + skip
			missing = plan - seen
			if (missing > 0) { fail += missing; fails[fail] = missing " test(s) did not report (timeout or crash)" }
			printf "%s %d %d %d\n", suite, pass, fail, skip
			for (i = 1; i <= fail; i++) if (i in fails) printf "fail %s: %s\n", suite, fails[i]
		}' "$file"
}

if ! command -v bats >/dev/null 2>&1; then
	echo "!! bats not installed"
	echo "bats 0 1 0" >>"$RESULTS"
	echo "fail bats: bats not installed" >>"$RESULTS"
else
	shopt -s nullglob
	suites=("$REPO"/tests/integration/*.bats "$REPO"/tests/security/*.bats "$REPO"/tests/workloads/*.bats)
	shopt -u nullglob
	for f in "${suites[@]}"; do
		name=$(basename "$f" .bats)
		# tests/security/X.bats is the suite "security-X" (IB_SUITES=security
		# selects all of them); tests/workloads/X.bats is "workloads-X", the
		# slow tier, run only when IB_SUITES names it (make check-workloads)
		[[ "$f" == */tests/security/* ]] && name="security-$name"
		if [[ "$f" == */tests/workloads/* ]]; then
			name="workloads-$name"
			[[ -n "${IB_SUITES:-}" ]] || continue
		fi
		if [[ -n "${IB_SUITES:-}" ]] && ! grep -qw -- "$name" <<<"$IB_SUITES" &&
			! [[ "$name" == security-* && " $IB_SUITES " == *" security "* ]] &&
			! [[ "$name" == workloads-* && " $IB_SUITES " == *" workloads "* ]]; then
			continue
		fi
		echo "== integration: $name.bats"
		log="$LOG_DIR/$name.tap"
		t0=$SECONDS
		# No stdin; a hard per-file timeout; keep the TAP log.
		timeout -k 30 "$SUITE_TIMEOUT" bats --tap "$f" </dev/null >"$log" 2>&1
		rc=$?
		parsed=$(parse_tap "$log" "$name.bats")
		read -r _ p fl s <<<"$(head -n1 <<<"$parsed")"
		if [[ $rc -ne 0 && $fl -eq 0 ]]; then
			# bats failed without a failing test (setup_file error, timeout, ...)
			fl=1
			parsed+=$'\n'"fail $name.bats: bats exited with status $rc"
		fi
		echo "$name.bats $p $fl $s" >>"$RESULTS"
		tail -n +2 <<<"$parsed" | grep '^fail ' >>"$RESULTS"
		printf '[suite] %s: pass=%d fail=%d skip=%d (%ds, log %s)\n' "$name.bats" "$p" "$fl" "$s" $((SECONDS - t0)) "$log"
		if [[ $fl -gt 0 ]]; then
			# show each failing test with its diagnostics
			awk '/^not ok / && !/# [Ss][Kk][Ii][Pp]/ { show = 1; print "    " $0; next }
				/^#/ && show { print "    " $0; next }
				{ show = 0 }' "$log" | head -200
		fi
	done
fi

# ---- leftovers ------------------------------------------------------------
leaks=$(awk '$5 ~ /^\/tmp\/ib-/ {print $5}' /proc/self/mountinfo)
if [[ -n "$leaks" ]]; then
	echo "!! mounts left under /tmp/ib-*:"
	sed 's/^/    /' <<<"$leaks"
fi
cg=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d \( -name 'ibt-*' -o -name ib-docker -o -name ib-podman -o -name ibtest -o -name 'ibtest-abs' \) 2>/dev/null)
if [[ -n "$cg" ]]; then
	echo "!! cgroups left by tests:"
	sed 's/^/    /' <<<"$cg"
fi

# ---- summary --------------------------------------------------------------
read -r P F S < <(awk '$1 != "fail" { p += $2; f += $3; s += $4 } END { printf "%d %d %d\n", p, f, s }' "$RESULTS")
if grep -q '^fail ' "$RESULTS"; then
	echo "== failed tests:"
	grep '^fail ' "$RESULTS" | sed 's/^fail /    /'
fi
echo "== total time: $((SECONDS - start))s"
echo "${P} passed, ${F} failed, ${S} skipped"
[[ $F -eq 0 ]]
