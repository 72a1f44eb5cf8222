# shellcheck shell=bash
# Common helpers for ironbox's bats integration tests.
#
# Load from a .bats file with:   load ../lib/common
#
# Environment:
#   IRONBOX   runtime binary under test (default: $BUILD/ironbox). Point it at
#             /usr/sbin/runc to validate the harness against runc.
#   BUILD     build directory (default: <repo>/build)
#   IB_CACHE  cache for the pristine rootfs tarball and compiled helpers
#             (default: /tmp/ironbox-test-cache)
#
# Per .bats file a private state root is used ($TEST_ROOT, under /tmp/ib-root),
# exported for the `IB` wrapper. Bundles live in $BATS_TEST_TMPDIR.

IB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export IB_REPO
export BUILD="${BUILD:-$IB_REPO/build}"
export IRONBOX="${IRONBOX:-$BUILD/ironbox}"
export IB_CACHE="${IB_CACHE:-/tmp/ironbox-test-cache}"
IB_LIB="$IB_REPO/tests/lib"
# shellcheck source=tests/lib/leakcheck.bash
source "$IB_LIB/leakcheck.bash"

# A per-file state root, stable across setup_file / tests / teardown_file of
# the same file (they run in different processes). IB_TEST_ROOT=DIR puts it
# under DIR instead of /tmp/ib-root. An exported TEST_ROOT does not survive
# bats: bats 1.8's bats-exec-suite reuses that name for the directory of the
# .bats files (and an exported variable keeps the new value), and
# teardown_file removes the state root: one inside the repo is never used.
_ib_file_base="$(basename "${BATS_TEST_FILENAME:-adhoc}" .bats)"
if [[ -n "${IB_TEST_ROOT:-}" ]]; then
	TEST_ROOT="$IB_TEST_ROOT/${_ib_file_base}"
elif [[ -n "${TEST_ROOT:-}" ]] && { [[ "$(realpath -m -- "$TEST_ROOT")/" == "$IB_REPO/"* ]] ||
	compgen -G "$TEST_ROOT/*.bats" >/dev/null || [[ -e "$TEST_ROOT/.git" ]] ||
	[[ "$(realpath -m -- "$TEST_ROOT")" == "$(realpath -m -- "${BATS_TEST_DIRNAME:-/nonexistent}")" ]] ||
	[[ "$TEST_ROOT" != /*/* ]]; }; then
	TEST_ROOT=""
fi
export TEST_ROOT="${TEST_ROOT:-/tmp/ib-root/${_ib_file_base}}"

# ---------------------------------------------------------------------------
# Basics

# The runtime under test, with the per-file state root.
IB() {
	"$IRONBOX" --root "$TEST_ROOT" "$@"
}

# True when the runtime under test is ironbox (not runc/crun used as a
# stand-in). Override with IB_IS_IRONBOX=0/1.
is_ironbox() {
	if [[ -n "${IB_IS_IRONBOX:-}" ]]; then
		[[ "$IB_IS_IRONBOX" == 1 ]]
		return
	fi
	case "$(basename "$IRONBOX")" in
	runc* | crun* | youki*) return 1 ;;
	esac
	return 0
}

skip_unless_ironbox() {
	is_ironbox || skip "ironbox-only (IRONBOX=$IRONBOX)"
}

skip_if_ironbox() {
	! is_ironbox || skip "${1:-not applicable to ironbox}"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# Run a cleanup function with errexit and bats' ERR trap off, in a subshell:
# cleanup must go on past failures and never fail the caller.
_ib_safe() {
	(
		set +eE
		trap - ERR
		"$@"
	)
	return 0
}

# Fail with a message (usable outside of `run`).
fail() {
	echo "FAIL: $*" >&2
	return 1
}

# Print the last `run` output on failure, for readable logs.
assert_success() {
	if [[ "$status" -ne 0 ]]; then
		echo "expected success, got status $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

assert_failure() {
	if [[ "$status" -eq 0 ]]; then
		echo "expected failure, got status 0; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_output_contains STRING : $output contains STRING (fixed string)
assert_output_contains() {
	if ! grep -qF -- "$1" <<<"$output"; then
		echo "output does not contain '$1':" >&2
		echo "$output" >&2
		return 1
	fi
}

assert_output_not_contains() {
	if grep -qF -- "$1" <<<"$output"; then
		echo "output unexpectedly contains '$1':" >&2
		echo "$output" >&2
		return 1
	fi
}

# Background jobs: `bg_start CMD...` runs CMD in the background and records
# its pid; `bg_wait` waits for exactly those (a bare `wait` would also wait
# for bats' own timeout watchdog). bg_wait fails if any job failed.
BG_PIDS=()
bg_start() {
	"$@" 3>&- &
	BG_PIDS+=($!)
}
bg_wait() {
	local p rc=0
	for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
		wait "$p" || rc=1
	done
	BG_PIDS=()
	return $rc
}

# A container ID unique to this test (and short: v1 cgroup and socket paths).
new_id() {
	local tag="${1:-c}"
	echo "ibt-${tag}-${BATS_TEST_NUMBER:-0}-$$-${RANDOM}"
}

# retry N DELAY CMD... : run CMD until it succeeds, at most N times.
retry() {
	local n=$1 d=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep "$d"
	done
	return 1
}

# ---------------------------------------------------------------------------
# Rootfs and bundles

# Build (once, cached) a static helper from tests/lib/NAME.c; print its path.
build_helper() {
	local name=$1 src="$IB_LIB/$1.c" out sum
	[[ -f "$src" ]] || fail "no helper source $src" || return 1
	sum=$(sha256sum "$src" | cut -c1-12)
	out="$IB_CACHE/bin/$name-$sum"
	if [[ ! -x "$out" ]]; then
		mkdir -p "$IB_CACHE/bin"
		gcc -O2 -static -Wall -o "$out.tmp.$$" "$src" >&2 || return 1
		mv -f "$out.tmp.$$" "$out"
	fi
	echo "$out"
}

# Copy static helper NAME into BUNDLE's rootfs as /bin/NAME.
# Does this machine take i386 system calls (int 0x80) from a 64-bit process?
# x86_64 hosts do, except under some hypervisors, whose guests fault on it
# (SIGSEGV) with or without ironbox: the i386-ABI checks are skipped there.
host_takes_i386() {
	[[ "$(uname -m)" == x86_64 ]] || return 1
	local bin
	bin=$(build_helper ibemul) || return 1
	# A shell of its own reaps it: bash's "Segmentation fault" goes nowhere.
	bash -c '"$0" int80' "$bin" >/dev/null 2>&1
}

install_helper() {
	local bundle=$1 name=$2 bin
	bin=$(build_helper "$name") || return 1
	cp "$bin" "$bundle/rootfs/bin/$name"
	chmod 0755 "$bundle/rootfs/bin/$name"
}

_ib_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [[ -x "$b" ]] && file_is_static "$b"; then
			echo "$b"
			return 0
		fi
	done
	fail "busybox-static not installed"
}

file_is_static() {
	# No PT_INTERP program header => static. Without readelf, trust it.
	command -v readelf >/dev/null 2>&1 || return 0
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'
}

# Path of the cached pristine rootfs tarball (built on first use).
rootfs_tarball() {
	local bb sum tar
	bb=$(_ib_busybox) || return 1
	sum=$( (sha256sum "$bb"; sha256sum "${BASH_SOURCE[0]}") | sha256sum | cut -c1-12)
	tar="$IB_CACHE/rootfs-$sum.tar"
	if [[ ! -f "$tar" ]]; then
		mkdir -p "$IB_CACHE"
		(
			flock 9
			[[ -f "$tar" ]] && exit 0
			local tmp
			tmp=$(mktemp -d "$IB_CACHE/rootfs.XXXXXX")
			chmod 0755 "$tmp"
			_make_rootfs_slow "$tmp" "$bb" &&
				tar -C "$tmp" --numeric-owner -cf "$tar.tmp" . &&
				mv -f "$tar.tmp" "$tar"
			rc=$?
			rm -rf "$tmp"
			exit $rc
		) 9>"$IB_CACHE/.lock" || return 1
	fi
	echo "$tar"
}

_make_rootfs_slow() {
	local dir=$1 bb=$2 a
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,proc,sys,dev,root,home/user,var/tmp,run,mnt}
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	chmod 0700 "$dir/root"
	cp "$bb" "$dir/bin/busybox"
	chmod 0755 "$dir/bin/busybox"
	for a in $("$bb" --list); do
		[[ "$a" == busybox ]] && continue
		[[ -e "$dir/bin/$a" ]] || ln -s busybox "$dir/bin/$a"
	done
	cat >"$dir/etc/passwd" <<-'EOT'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOT
	cat >"$dir/etc/group" <<-'EOT'
		root:x:0:
		wheel:x:10:root
		user:x:1000:
		extra:x:1001:user
		nogroup:x:65534:
	EOT
	echo "ibtest" >"$dir/etc/hostname"
	: >"$dir/etc/resolv.conf"
	printf '127.0.0.1 localhost\n' >"$dir/etc/hosts"
	chown -R 1000:1000 "$dir/home/user"
}

# make_rootfs DIR : busybox-static rootfs in DIR (from the cached tarball).
make_rootfs() {
	local dir=$1 tar
	tar=$(rootfs_tarball) || return 1
	mkdir -p "$dir"
	tar -C "$dir" --numeric-owner -xpf "$tar"
}

# Path of a pristine default config.json (cached). `runc spec` is the
# reference; ironbox's own `spec` is tested separately.
_default_spec() {
	local spec="$IB_CACHE/config-default.json" tmp
	if [[ ! -s "$spec" ]]; then
		mkdir -p "$IB_CACHE"
		tmp=$(mktemp -d "$IB_CACHE/spec.XXXXXX")
		if command -v runc >/dev/null 2>&1; then
			(cd "$tmp" && runc spec) || return 1
		else
			"$IRONBOX" spec --bundle "$tmp" || return 1
		fi
		mv -f "$tmp/config.json" "$spec"
		rm -rf "$tmp"
	fi
	echo "$spec"
}

# make_bundle DIR [ARGS...] : rootfs + config.json (terminal off, ARGS as the
# process args; default `sh -c 'echo hello'`). Default namespaces are kept.
make_bundle() {
	local dir=$1 spec args
	shift
	if [[ $# -eq 0 ]]; then
		set -- sh -c 'echo hello'
	fi
	make_rootfs "$dir/rootfs" || return 1
	spec=$(_default_spec) || return 1
	args=$(printf '%s\0' "$@" | jq -Rs 'split("\u0000") | if length > 0 and .[-1] == "" then .[:-1] else . end')
	jq --argjson a "$args" '.process.terminal = false | .process.args = $a | .root.readonly = false' \
		"$spec" >"$dir/config.json"
}

# bundle_jq DIR FILTER [jq args...] : edit DIR/config.json in place.
bundle_jq() {
	local dir=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new" &&
		mv -f "$dir/config.json.new" "$dir/config.json"
}

# A fresh bundle in $BATS_TEST_TMPDIR/NAME; prints nothing, sets $BUNDLE.
setup_bundle() {
	BUNDLE="$BATS_TEST_TMPDIR/${1:-bundle}"
	shift || true
	make_bundle "$BUNDLE" "$@"
}

# ---------------------------------------------------------------------------
# Container helpers

# ib_create ID BUNDLE [extra create args] : create with stdio on files
# ($BATS_TEST_TMPDIR/ID.{out,err}) so that the container never holds bats'
# pipes. Runtime errors go to ID.err; `cat` it on failure.
ib_create() {
	local id=$1 bundle=$2
	shift 2
	IB create --bundle "$bundle" "$@" "$id" \
		</dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" 3>&-
	local rc=$?
	if [[ $rc -ne 0 ]]; then cat "$BATS_TEST_TMPDIR/$id.err" >&2; fi
	return $rc
}

# try_create ID BUNDLE [extra create args] : like `run IB create ...` (sets
# $status, $output, $lines) but with stdio on a file, so that a create that
# unexpectedly succeeds cannot hang the test on bats' output pipe.
try_create() {
	local id=$1 bundle=$2 f
	shift 2
	f="$BATS_TEST_TMPDIR/create-${id//\//_}.log"
	status=0
	IB create --bundle "$bundle" "$@" "$id" </dev/null >"$f" 2>&1 3>&- || status=$?
	output=$(cat "$f")
	mapfile -t lines <<<"$output"
	if [[ -z "$output" ]]; then lines=(); fi
	return 0
}

# ib_run ID [extra run args]: `run` of $BUNDLE in the foreground, into
# $status/$output (runc_compat.bats has its own, with a timeout).
ib_run() {
	local id=$1
	shift
	run IB run --bundle "$BUNDLE" "$@" "$id" </dev/null 3>&-
}

# ib_run_detached ID BUNDLE [extra run args]
ib_run_detached() {
	local id=$1 bundle=$2
	shift 2
	IB run --detach --bundle "$bundle" "$@" "$id" \
		</dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" 3>&-
	local rc=$?
	if [[ $rc -ne 0 ]]; then cat "$BATS_TEST_TMPDIR/$id.err" >&2; fi
	return $rc
}

# Container output written by ib_create / ib_run_detached.
container_out() { cat "$BATS_TEST_TMPDIR/$1.out"; }

# state_of ID : prints status (created|running|paused|stopped) or nothing.
state_of() {
	IB state "$1" 2>/dev/null | jq -r '.status // empty' 2>/dev/null
}

pid_of() {
	IB state "$1" 2>/dev/null | jq -r '.pid // empty' 2>/dev/null
}

# wait_for_state ID STATE [TIMEOUT_SECONDS=10]
wait_for_state() {
	local id=$1 want=$2 t=${3:-10} i st
	for ((i = 0; i < t * 20; i++)); do
		st=$(state_of "$id")
		[[ "$st" == "$want" ]] && return 0
		sleep 0.05
	done
	echo "container $id: state '$st', wanted '$want'" >&2
	return 1
}

# The cgroup (v1 controller or "" for the unified/v2 tree) directory of PID.
cgroup_dir_of() {
	local pid=$1 ctrl=$2 line path
	if [[ -z "$ctrl" ]]; then
		line=$(grep '^0::' "/proc/$pid/cgroup") || return 1
		path=${line#0::}
		if [[ -d /sys/fs/cgroup/unified ]]; then
			echo "/sys/fs/cgroup/unified$path"
		else
			echo "/sys/fs/cgroup$path"
		fi
		return 0
	fi
	line=$(grep -E "^[0-9]+:([^:]*,)?${ctrl}(,[^:]*)?:" "/proc/$pid/cgroup") || return 1
	path=${line#*:*:}
	local mnt
	mnt=$(awk -v c="$ctrl" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo)
	[[ -n "$mnt" ]] || mnt=/sys/fs/cgroup/$ctrl
	echo "$mnt$path"
}

# True when the host uses cgroup v1 controllers (v1 or hybrid).
cgroup_v1() { [[ -d /sys/fs/cgroup/memory ]]; }

# ---------------------------------------------------------------------------
# Leak checks and cleanup

# True if PID exists and is not a zombie.
pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# Cgroup directories named ID anywhere in the cgroup trees.
cgroups_named() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# assert_no_leftovers ID... : the runtime no longer knows the containers and
# nothing of them is left: state dir, ID range, cgroup, mount, process (see
# leak_check in leakcheck.bash).
assert_no_leftovers() {
	local id bad=0
	for id in "$@"; do
		if IB state "$id" >/dev/null 2>&1; then
			echo "runtime still knows container $id" >&2
			bad=1
		fi
	done
	leak_check --root "$TEST_ROOT" "$@" || bad=1
	return $bad
}

# rmdir (leaf-first) every cgroup directory at relative path REL in every
# hierarchy; only empty cgroups go, nothing is killed.
remove_cgroup_tree() {
	local rel=$1 d
	[[ -n "$rel" && "$rel" != / ]] || return 0
	for d in /sys/fs/cgroup/*/"$rel" /sys/fs/cgroup/"$rel"; do
		[[ -d "$d" ]] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

# Remove (leaf-first) cgroup directories named ID. Kills nothing: a
# non-empty cgroup stays, and is reported.
_remove_cgroups_named() {
	local d
	cgroups_named "$1" | sort -r | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || echo "could not remove cgroup $d" >&2
	done
}

# Container IDs known in $TEST_ROOT (via the runtime and the directory).
# Only what the runtime lists, or directories that look like its state dirs
# (a lock or state.json inside): never any other directory under TEST_ROOT.
_known_ids() {
	{
		IB list -q 2>/dev/null
		[[ -d "$TEST_ROOT" ]] && find "$TEST_ROOT" -mindepth 2 -maxdepth 2 -type f \
			\( -name lock -o -name state.json \) -printf '%h\n' | xargs -r -n1 basename
	} | sort -u | grep -v '^$' || true
}

# Force-delete every container in $TEST_ROOT, then remove leftover cgroups
# and mounts of those containers. Safe to call on failure paths.
cleanup_containers() { _ib_safe _cleanup_containers; }
_cleanup_containers() {
	local id pid
	for id in $(_known_ids); do
		pid=$(pid_of "$id")
		IB delete --force "$id" >/dev/null 2>&1 </dev/null 3>&-
		if IB state "$id" >/dev/null 2>&1; then
			# The runtime could not delete it: kill the init process it
			# reported (one we started), then retry.
			if [[ -n "$pid" && "$pid" -gt 1 ]]; then
				kill -KILL "$pid" 2>/dev/null
			fi
			sleep 0.2
			IB delete --force "$id" >/dev/null 2>&1 </dev/null 3>&-
		fi
		_remove_cgroups_named "$id"
		_umount_matching "$id"
		rm -rf "${TEST_ROOT:?}/$id" 2>/dev/null
	done
}

# _umount_matching DIR|ID : lazily unmount every mount at or below the
# absolute directory DIR (at least two levels deep, e.g. /tmp/ib-docker), or
# every mount with a path component equal to the container ID. Nothing else:
# a short or empty argument must never match /proc, /sys/fs/cgroup, ...
_umount_matching() {
	local arg=${1%/} m
	if [[ "$arg" == /* ]]; then
		[[ "$arg" == /*/* ]] || return 0
	else
		[[ ${#arg} -ge 4 && "$arg" != */* && "$arg" != .* ]] || return 0
	fi
	awk '{ print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
		if [[ "$arg" == /* ]]; then
			[[ "$m" == "$arg" || "$m" == "$arg/"* ]] || continue
		else
			[[ "$m" == */"$arg" || "$m" == */"$arg"/* ]] || continue
		fi
		umount -l "$m" 2>/dev/null
	done
}

# Unmount anything left under the test's temp dir (bind mounts set up by
# tests), so bats can remove it.
cleanup_tmp_mounts() { _ib_safe _cleanup_tmp_mounts; }
_cleanup_tmp_mounts() {
	[[ -n "${BATS_TEST_TMPDIR:-}" ]] && _umount_matching "$BATS_TEST_TMPDIR"
	return 0
}

# Default per-test hooks. Files may define their own setup/teardown and call
# these.
common_setup() {
	mkdir -p "$TEST_ROOT"
}

common_teardown() {
	cleanup_containers
	cleanup_tmp_mounts
}

# For teardown_file: clean and remove the per-file root.
common_teardown_file() { _ib_safe _common_teardown_file; }
_common_teardown_file() {
	cleanup_containers
	rm -rf "${TEST_ROOT:?}" 2>/dev/null
	rmdir /tmp/ib-root 2>/dev/null
	return 0
}

# Skip (in setup_file or a test) when the runtime binary is not there.
require_runtime() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
}

# ---------------------------------------------------------------------------
# A "tools" rootfs: busybox + static probes + bpftool (with its libraries)

# copy_binary_with_libs BIN ROOTFS : copy BIN (to the same path) and the
# shared libraries ldd reports into ROOTFS.
copy_binary_with_libs() {
	local bin=$1 root=$2 lib
	mkdir -p "$root$(dirname "$bin")"
	cp -L "$bin" "$root$bin"
	for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# make_tools_rootfs DIR : busybox rootfs + /bin/ibprobe + /usr/sbin/bpftool.
make_tools_rootfs() {
	local dir=$1 probe
	make_rootfs "$dir" || return 1
	probe=$(build_helper ibprobe) || return 1
	cp "$probe" "$dir/bin/ibprobe"
	if [[ -x /usr/sbin/bpftool ]]; then
		copy_binary_with_libs /usr/sbin/bpftool "$dir"
	fi
}

# tools_tarball : cached tarball of make_tools_rootfs.
tools_tarball() {
	local base probe tar tmp
	base=$(rootfs_tarball) || return 1
	probe=$(build_helper ibprobe) || return 1
	tar="$IB_CACHE/tools-$(basename "$base" .tar)-$(basename "$probe").tar"
	if [[ ! -f "$tar" ]]; then
		tmp=$(mktemp -d "$IB_CACHE/tools.XXXXXX")
		chmod 0755 "$tmp"
		make_tools_rootfs "$tmp" && tar -C "$tmp" --numeric-owner -cf "$tar.tmp" . && mv -f "$tar.tmp" "$tar"
		rm -rf "$tmp"
	fi
	[[ -f "$tar" ]] && echo "$tar"
}

# probe_host OP... : the outcome (OK / ERR NAME) of an ibprobe op on the host.
probe_host() {
	local probe
	probe=$(build_helper ibprobe) || return 1
	"$probe" "$@" 2>&1 | awk '{print $1, $2; exit}'
}
