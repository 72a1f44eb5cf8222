#!/usr/bin/env bats
# The exclusive ID ranges: a range is free only when no process of its
# container is left (runtime killed during create), releases work on a full
# /run, the admin's pool is sane, and the host-wide table cannot be split.
# Every test uses a pool of its own far from the default one (the table in
# /run/ironbox is shared with every other ironbox on the host).

load ../lib/common

setup_file() {
	mkdir -p "$TEST_ROOT"
}

teardown_file() {
	common_teardown_file
}

setup() {
	require_runtime
	skip_unless_ironbox
	common_setup
}

teardown() {
	common_teardown
	if [[ -n "${NS_PID:-}" ]]; then
		kill -KILL "$NS_PID" 2>/dev/null
		wait "$NS_PID" 2>/dev/null
	fi
	return 0
}

# A private mount namespace (held by a sleeping process of ours) with an
# empty tmpfs over /run/ironbox: a table of its own, which the ironbox
# binaries of other users of this host (maybe older ones) never touch.
private_table() {
	unshare -m --propagation private sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
	NS_PID=$!
	# (evaluated on every try: the namespace exists once unshare ran)
	retry 500 0.02 bash -c "[[ \$(readlink /proc/$NS_PID/ns/mnt) != \$(readlink /proc/self/ns/mnt) ]]"
	NS mount -t tmpfs -o size=4m,mode=0700 ibt-table /run/ironbox
}
NS() { nsenter -t "$NS_PID" -m -- "$@"; }

# policy BASE COUNT : a policy file with that pool; sets $POL.
policy() {
	POL="$BATS_TEST_TMPDIR/policy-$1.json"
	printf '{"idRanges": {"base": %s, "size": 65536, "count": %s}}\n' "$1" "$2" >"$POL"
	chmod 0644 "$POL"
}

# First host uid of PID's user namespace.
range_of() { awk 'NR == 1 { print $2 }' "/proc/$1/uid_map"; }

# Processes in the (default, "/ID") cgroup of container ID.
procs_of() {
	local f
	for f in /sys/fs/cgroup/pids/"$1"/cgroup.procs /sys/fs/cgroup/unified/"$1"/cgroup.procs /sys/fs/cgroup/"$1"/cgroup.procs; do
		if [[ -f "$f" ]]; then
			cat "$f"
			return 0
		fi
	done
}

# PID is a zombie or has a SIGKILL pending: its parent died (the runtime was
# killed before the init stopped dying with it) and it is on its way out.
dying() {
	local st
	st=$(cat "/proc/$1/status" 2>/dev/null) || return 0
	grep -q '^State:.*Z' <<<"$st" && return 0
	local pnd
	for pnd in $(awk '/^(SigPnd|ShdPnd):/ { print $2 }' <<<"$st"); do
		(((16#$pnd & 0x100) != 0)) && return 0
	done
	return 1
}

# The container process of ID (in a user namespace of pool base..base+2*64K).
orphan_of() {
	local p b
	for p in $(procs_of "$1"); do
		dying "$p" && continue
		b=$(range_of "$p" 2>/dev/null) || continue
		if [[ "$b" -ge "$2" && "$b" -lt $(($2 + 2 * 65536)) ]]; then
			echo "$p"
			return 0
		fi
	done
}

# run --detach with stdio on a file; $status/$output like `run`. In the
# private namespace when there is one.
run_detached() {
	local id=$1 f="$BATS_TEST_TMPDIR/run-$1.log" ns=()
	shift
	[[ -z "${NS_PID:-}" ]] || ns=(nsenter -t "$NS_PID" -m --)
	status=0
	"${ns[@]}" "$IRONBOX" --root "$TEST_ROOT" --policy "$POL" run --detach --bundle "$BUNDLE" "$@" "$id" \
		</dev/null >"$f" 2>&1 3>&- || status=$?
	output=$(cat "$f")
}

# Live processes whose user namespace maps the range that starts at $1.
range_users() {
	local m p
	for m in /proc/[0-9]*/uid_map; do
		p=${m#/proc/}
		p=${p%/uid_map}
		[[ "$(awk 'NR == 1 { print $2 }' "$m" 2>/dev/null)" == "$1" ]] || continue
		grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && continue
		echo "$p"
	done
}

gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"
}

@test "runtime killed at each step of create: an orphaned init keeps its range until it is gone" {
	require_cmd strace
	local base=4000000000 k id orphan obase n t p orphans=0
	policy "$base" 2
	setup_bundle b sleep 1000
	private_table
	# SIGKILL the runtime at its k-th renameat2 (every file is written to
	# a temporary name, then exchanged with the old one or renamed into
	# place; the call itself is made): the ID-range table, the first
	# state.json, config.json (the init exists by then), the final
	# state.json; k goes on until a create is no longer killed, so every
	# step is covered however many calls each takes.
	local steps=0 rc
	for k in $(seq 1 12); do
		id=$(new_id k$k)
		rc=0
		# (LeakSanitizer cannot run under ptrace: off for an ASan build)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			NS strace -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL:when=$k \
			"$IRONBOX" --root "$TEST_ROOT" --policy "$POL" create --bundle "$BUNDLE" "$id" \
			</dev/null >/dev/null 2>&1 3>&- || rc=$?
		if [[ $rc -eq 0 ]]; then
			# Not killed: every step was covered.
			NS "$IRONBOX" --root "$TEST_ROOT" delete --force "$id"
			assert_no_leftovers "$id"
			break
		fi
		steps=$k
		# Killed right after its last write (strace delivers the signal
		# once the call is made): a created container whose runtime died
		# on the way out, holding its range until it is deleted.
		if [[ "$(jq -r '.pid // 0' "$TEST_ROOT/$id/state.json" 2>/dev/null)" -gt 0 ]]; then
			NS "$IRONBOX" --root "$TEST_ROOT" delete --force "$id"
			assert_no_leftovers "$id"
			NS awk 'NR == 1 && $0 != "ironbox-idmap 2" { exit 1 } NR > 1 && NF { exit 1 }' /run/ironbox/idmap.tab
			continue
		fi
		orphan=$(orphan_of "$id" "$base")
		echo "step $k: orphan '${orphan}'"
		if [[ -z "$orphan" ]]; then
			# Nothing survived: delete cleans up, the range is free.
			NS "$IRONBOX" --root "$TEST_ROOT" delete --force "$id"
			assert_no_leftovers "$id"
			continue
		fi
		orphans=$((orphans + 1))
		obase=$(range_of "$orphan")
		# A new container gets the other range, a third none at all.
		n="$id-n"
		t="$id-t"
		run_detached "$n"
		assert_success
		[[ "$(range_of "$(pid_of "$n")")" != "$obase" ]]
		run_detached "$t"
		assert_failure
		assert_output_contains "no free user-ID range"
		pid_alive "$orphan"
		# The orphan dies (its cgroup's processes are this test's).
		for p in $(procs_of "$id"); do kill -KILL "$p"; done
		retry 100 0.05 gone "$orphan"
		# And whatever else of the runtime's had its IDs (the user
		# namespace's placeholder, the first stage) follows it.
		for p in $(seq 100); do
			[[ -z "$(range_users "$obase")" ]] && break
			sleep 0.05
		done
		for p in $(range_users "$obase"); do
			echo "still using the range: $p $(cat /proc/$p/comm) $(grep PPid /proc/$p/status)"
			fail "a process of the killed runtime's outlives it"
		done
		# Now its range is reclaimed.
		run_detached "$t"
		assert_success
		[[ "$(range_of "$(pid_of "$t")")" == "$obase" ]]
		for p in "$n" "$t" "$id"; do
			NS "$IRONBOX" --root "$TEST_ROOT" delete --force "$p"
		done
		assert_no_leftovers "$id"
		NS awk 'NR == 1 && $0 != "ironbox-idmap 2" { exit 1 } NR > 1 && NF { exit 1 }' /run/ironbox/idmap.tab
	done
	# At least the four writes were killed, and a create finally got
	# through; the steps after CREATED leave an orphan (else this test
	# proves nothing).
	[[ $steps -ge 4 && $steps -lt 12 ]]
	[[ $orphans -ge 1 ]]
}

@test "a failed create releases its range on a full /run (table rewritten in place)" {
	local a b base=4010000000
	policy "$base" 4
	setup_bundle b sleep 1000
	a=$(new_id a)
	b=$(new_id b)
	# The hook fills the file system of the table, then fails the create.
	bundle_jq "$BUNDLE" '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "cat /dev/zero > /run/ironbox/fill 2>/dev/null; exit 1"]}]'
	cp "$BUNDLE/config.json" "$BUNDLE/failing.json"
	bundle_jq "$BUNDLE" 'del(.hooks)'
	export A="$a" B="$b" POL BUNDLE BATS_TEST_TMPDIR
	# A small tmpfs over /run/ironbox, in a private mount namespace: the
	# host's table is untouched.
	run unshare -m --propagation private bash -c '
		set -u
		ib() { "$IRONBOX" --root "$TEST_ROOT" --policy "$POL" "$@" </dev/null 3>&-; }
		holders() { awk "NR > 1 && NF { print \$5 }" /run/ironbox/idmap.tab | tr "\\n" " " | sed "s/ $//"; }
		mount -t tmpfs -o size=512k,mode=0700 ibt-tiny /run/ironbox || exit 10
		ib run --detach --bundle "$BUNDLE" "$A" >/dev/null 2>&1 || exit 11
		cp "$BUNDLE/failing.json" "$BUNDLE/config.json"
		ib create --bundle "$BUNDLE" "$B" >/dev/null 2>&1 && exit 12
		# really full: nothing new can be written there
		echo x >/run/ironbox/probe 2>/dev/null && exit 13
		echo "after failed create: $(holders)"
		[[ "$(holders)" == "$TEST_ROOT/$A" ]] || exit 14
		ib delete --force "$A" || exit 15
		echo "after delete: $(holders)"
		[[ -z "$(holders)" ]] || exit 16
		exit 0
	'
	echo "$output"
	assert_success
	assert_no_leftovers "$a"
	assert_no_leftovers "$b"
}

# ---------------------------------------------------------------------------
# Policy sanity

@test "policy: a pool below 65536 is refused with a clear error, nothing is created" {
	local id base
	setup_bundle b true
	for base in 1 1000 65535; do
		policy "$base" 4
		id=$(new_id)
		run IB --policy "$POL" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
		assert_failure
		assert_output_contains "must be at least 65536 (lower IDs belong to host users and groups), not $base"
		assert_no_leftovers "$id"
	done
}

@test "policy: a pool overlapping a host user, group or subordinate range is refused, naming it" {
	local id
	setup_bundle b true
	id=$(new_id)
	# The host's account files, replaced in a private mount namespace.
	printf 'root:x:0:0:root:/root:/bin/sh\nibtsvc:x:4020000005:100::/:/bin/false\n' >"$BATS_TEST_TMPDIR/passwd"
	printf 'root:x:0:\nibtgrp:x:4020070000:\n' >"$BATS_TEST_TMPDIR/group"
	printf 'ibtalice:4020140000:65536\n' >"$BATS_TEST_TMPDIR/subuid"
	policy 4020000000 1
	local p1=$POL
	policy 4020065536 1
	local p2=$POL
	policy 4020131072 1
	local p3=$POL
	policy 4020262144 1
	local p4=$POL
	export BATS_TEST_TMPDIR BUNDLE
	run unshare -m --propagation private bash -c '
		for f in passwd group subuid; do
			[[ -e /etc/$f ]] || continue
			mount --bind "$BATS_TEST_TMPDIR/$f" /etc/$f || exit 10
		done
		for p in "$1" "$2" "$3" "$4"; do
			"$IRONBOX" --root "$TEST_ROOT" --policy "$p" run --bundle "$BUNDLE" "$5" </dev/null 3>&-
			echo "rc=$?"
		done
	' sh "$p1" "$p2" "$p3" "$p4" "$id"
	echo "$output"
	assert_output_contains 'overlaps host user `ibtsvc` (uid 4020000005 in /etc/passwd)'
	assert_output_contains 'overlaps host group `ibtgrp` (gid 4020070000 in /etc/group)'
	if [[ -e /etc/subuid ]]; then
		assert_output_contains 'overlaps the subordinate user IDs of `ibtalice` (4020140000-4020205535 in /etc/subuid)'
	fi
	# Three refusals, and the pool clear of them works.
	[[ "$(grep -c 'rc=1' <<<"$output")" -eq 3 ]]
	[[ "${lines[-1]}" == "rc=0" ]]
	assert_no_leftovers "$id"
}

@test "IRONBOX_IDMAP_DIR does not split the host-wide ID-range table" {
	local id base=4030000000 pid
	policy "$base" 1
	setup_bundle b sleep 1000
	id=$(new_id)
	export IRONBOX_IDMAP_DIR="$BATS_TEST_TMPDIR/idmap"
	run_detached "$id"
	assert_success
	pid=$(pid_of "$id")
	[[ "$(range_of "$pid")" == "$base" ]]
	[[ ! -e "$BATS_TEST_TMPDIR/idmap/idmap.tab" ]]
	[[ "$(awk -v h="$TEST_ROOT/$id" 'NR > 1 && $5 == h { print $1 }' /run/ironbox/idmap.tab)" == 4030000000 ]]
	# With the variable set, the range is still taken for everyone.
	export IRONBOX_IDMAP_DIR="$BATS_TEST_TMPDIR/idmap2"
	run "$IRONBOX" --root "$TEST_ROOT" --policy "$POL" run --bundle "$BUNDLE" "$id-2" </dev/null 3>&-
	assert_failure
	assert_output_contains "no free user-ID range"
	unset IRONBOX_IDMAP_DIR
	IB delete --force "$id"
}
