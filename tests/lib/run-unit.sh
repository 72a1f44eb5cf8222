#!/bin/bash
# Run cmocka unit-test binaries and count passed/failed/skipped tests.
#
#   tests/lib/run-unit.sh BIN...
#
# Each binary runs with CMOCKA_MESSAGE_OUTPUT=TAP; its TAP output is parsed.
# A binary that crashes, times out or exits non-zero without reporting a
# failed test counts as one failed test.
# Prints one line per binary and ends with `N passed, M failed, K skipped`.
# If IB_RESULTS is set, appends "unit PASS FAIL SKIP" to that file instead of
# printing the final summary line (used by run-all.sh).
# Exit status: 1 if anything failed.
set -u

timeout_s=${IB_UNIT_TIMEOUT:-300}
tp=0 tf=0 ts=0
failed_list=()

for bin in "$@"; do
	name=$(basename "$bin")
	if [[ ! -x "$bin" ]]; then
		echo "[unit] $name: MISSING binary $bin"
		tf=$((tf + 1))
		failed_list+=("$name (missing)")
		continue
	fi
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$timeout_s" "$bin" </dev/null 2>&1)
	rc=$?
	p=0 f=0 s=0
	fails=()
	while IFS= read -r line; do
		case "$line" in
		"not ok "*"# SKIP"* | "not ok "*"# skip"* | "ok "*"# SKIP"* | "ok "*"# skip"*) s=$((s + 1)) ;;
		"not ok "*)
			f=$((f + 1))
			fails+=("${line#not ok }")
			;;
		"ok "*) p=$((p + 1)) ;;
		esac
	done <<<"$out"
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		if [[ $rc -eq 124 || $rc -eq 137 ]]; then
			why="timed out after ${timeout_s}s"
		elif [[ $rc -gt 128 ]]; then
			why="killed by signal $((rc - 128))"
		else
			why="exit status $rc"
		fi
		f=$((f + 1))
		fails+=("$name: $why")
	fi
	printf '[unit] %s: pass=%d fail=%d skip=%d\n' "$name" "$p" "$f" "$s"
	if [[ $f -gt 0 ]]; then
		for x in "${fails[@]}"; do echo "    FAILED: $x"; done
		# show the diagnostics cmocka printed
		awk '/^not ok/ && !/# (SKIP|skip)/ { show = 1; print; next }
			/^#/ && show { print; next }
			{ show = 0 }
			/Sanitizer|runtime error|Assertion|Segmentation/ { print }' <<<"$out" | head -80 | sed 's/^/    | /'
		for x in "${fails[@]}"; do failed_list+=("$name: $x"); done
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
done

if [[ -n "${IB_RESULTS:-}" ]]; then
	echo "unit $tp $tf $ts" >>"$IB_RESULTS"
	for x in "${failed_list[@]+"${failed_list[@]}"}"; do echo "fail unit: $x" >>"$IB_RESULTS"; done
else
	echo "${tp} passed, ${tf} failed, ${ts} skipped"
fi
[[ $tf -eq 0 ]]
