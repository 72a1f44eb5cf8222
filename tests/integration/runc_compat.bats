#!/usr/bin/env bats
# Behaviours runc's and crun's own test suites check, driven through the
# runtime CLI: events (OOM, end of stream), mounts inside the container,
# ps and spec. Passes with IRONBOX=/usr/sbin/runc except where guarded.

load ../lib/common

setup_file() {
	mkdir -p "$TEST_ROOT"
}

teardown_file() {
	common_teardown_file
}

setup() {
	require_runtime
	common_setup
}

teardown() {
	common_teardown
}

# Foreground run of $BUNDLE as ID; container stdout+stderr in $output.
ib_run() {
	local id=$1
	shift
	run timeout 60 "$IRONBOX" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$@" "$id" </dev/null 3>&-
}

# wait_pid_exit PID SECONDS : true once PID (a child of this shell) is gone.
wait_pid_exit() {
	local pid=$1 t=$2 i
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# count_at_least N PATTERN FILE : FILE has N or more lines matching PATTERN.
count_at_least() { [[ "$(grep -c -- "$2" "$3")" -ge "$1" ]]; }

# ---------------------------------------------------------------------------
# events

# start_events ID LOG [flags] : `events` in the background, output in LOG,
# its exit status in LOG.rc once it ends; sets EV_PID.
start_events() {
	local id=$1 log=$2
	shift 2
	(
		timeout 120 "$IRONBOX" --root "$TEST_ROOT" events "$@" "$id" >"$log" 2>"$log.err" </dev/null 3>&-
		echo $? >"$log.rc"
	) 3>&- &
	EV_PID=$!
}

@test "events: reports an OOM kill as {\"type\":\"oom\"} and ends after delete -f" {
	setup_bundle b sleep 1000
	bundle_jq "$BUNDLE" '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id oom)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log"
	retry 50 0.2 grep -q "\"id\":\"$id\"" "$log"
	# Negative control: no OOM so far.
	! grep -q '"type":"oom"' "$log"
	# shellcheck disable=SC2016
	IB exec -d "$id" sh -c 'x=$(dd if=/dev/zero bs=1M 2>/dev/null | tr "\0" a)' </dev/null >/dev/null 2>&1 3>&-
	retry 100 0.2 grep -q '"type":"oom"' "$log" || {
		cat "$log.err" >&2
		fail "no oom event"
	}
	grep -qxF "{\"type\":\"oom\",\"id\":\"$id\"}" "$log"
	IB delete -f "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete -f"
	[[ "$(cat "$log.rc")" == 0 ]]
}

@test "events: ends when the container is deleted, without waiting for the next interval" {
	setup_bundle b sleep 1000
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id ev)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log" --interval 1h
	sleep 1
	# Still streaming while the container lives.
	kill -0 "$EV_PID"
	IB delete -f "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete -f"
	[[ "$(cat "$log.rc")" == 0 ]]
	! grep -q '"type":"oom"' "$log"
}

@test "events: --interval 100ms streams stats; a stopped container is refused" {
	setup_bundle b sleep 1000
	local id log="$BATS_TEST_TMPDIR/events.log"
	id=$(new_id ev)
	ib_run_detached "$id" "$BUNDLE"
	start_events "$id" "$log" --interval 100ms
	retry 50 0.2 count_at_least 3 '"type":"stats"' "$log"
	jq -e --arg id "$id" 'select(.type == "stats") | .id == $id and (.data.memory | type == "object")' "$log" >/dev/null
	IB kill "$id" KILL
	wait_for_state "$id" stopped 20
	run timeout 20 "$IRONBOX" --root "$TEST_ROOT" events "$id" </dev/null 3>&-
	assert_failure
	assert_output_contains "is not running"
	run timeout 20 "$IRONBOX" --root "$TEST_ROOT" events --stats "$id" </dev/null 3>&-
	assert_failure
	IB delete "$id"
	wait_pid_exit "$EV_PID" 20 || fail "events still running after delete"
}
