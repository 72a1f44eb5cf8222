#!/bin/bash
# OCI runtime conformance: run the opencontainers/runtime-tools validation
# suite (validation/*/*.t) against ironbox, crun and runc and compare.
#
#   tests/oci/run-validation.sh [IRONBOX_BIN]     (default: $IRONBOX or build/ironbox)
#
# Not part of `make check`: it needs a copy of runtime-tools (CI has no
# network to GitHub) and Go. Environment:
#   RUNTIME_TOOLS_SRC  a clone (or bare git dir) of
#                      github.com/opencontainers/runtime-tools; needed only
#                      the first time (the build is cached). Absent and no
#                      cached build: the script prints why and exits 0 (skip).
#   RUNTIME_TOOLS_REF  commit to build (default: HEAD of RUNTIME_TOOLS_SRC if
#                      the installed Go is >= 1.21, else 260e151, the last
#                      commit that builds with Debian 12's Go 1.19 — its
#                      validation tests are those of HEAD minus lint edits).
#   OCI_CACHE          build cache, outside the repo
#                      (default: /var/cache/ironbox-oci-validation)
#   RUNTIMES           which columns to run (default: "ironbox crun runc";
#                      "ironbox-open" adds ironbox under a policy that
#                      restricts no host mount and allows every one, a
#                      negative control for the host-mount exceptions; it
#                      runs only the files listed in tests/oci/exceptions)
#   TESTS              space-separated test names (default: every
#                      validation/*/*.t, e.g. TESTS="default kill")
#   OCI_TIMEOUT        seconds per test file and runtime (default 180)
#   OCI_LOG_DIR        where the TAP output goes (default: a new /tmp dir,
#                      kept and printed at the end)
#   RUNC, CRUN         the other runtimes (default: runc, crun in PATH)
#
# ironbox and runc run on the host's cgroups as they are. crun 1.8 refuses
# hybrid cgroup hosts (v1 controllers + a v2 tree with controllers), so, as
# bench/lifecycle.sh does, each crun test runs in a private mount namespace
# in which /sys/fs/cgroup/unified is hidden.
#
# Each runtime gets its own --root (through a small wrapper, since the suite
# takes the runtime as a single command in RUNTIME) so nothing collides with
# other users of the machine; after every test file whatever it left in that
# root is deleted with `delete -f`.
#
# A file PASSes when the executable exits 0, prints a TAP plan and no
# `not ok`, and at least one test ran (not only skips); SKIP when every test
# was skipped; TIMEOUT when it had to be killed; FAIL otherwise.
# tests/oci/exceptions lists the files ironbox fails on purpose (an isolation
# rule: see the README, "Differences from runc"); they are marked `FAIL(x)`.
#
# Exit status: 0 when every file that crun passes is passed by ironbox or
# listed in tests/oci/exceptions (and no exception has become a pass: then
# the list is stale), 1 otherwise, 2 on setup errors.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IRONBOX_BIN=${1:-${IRONBOX:-$REPO/build/ironbox}}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
CRUN=${CRUN:-$(command -v crun || echo /usr/bin/crun)}
OCI_CACHE=${OCI_CACHE:-/var/cache/ironbox-oci-validation}
RUNTIMES=${RUNTIMES:-ironbox crun runc}
OCI_TIMEOUT=${OCI_TIMEOUT:-180}
EXCEPTIONS_FILE="$REPO/tests/oci/exceptions"
GO_MIN_FOR_HEAD=1.21
GO119_REF=260e151

say() { echo "oci-validation: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
	say "must run as root (the suite creates real containers)"
	exit 2
fi
[[ "$IRONBOX_BIN" == /* ]] || IRONBOX_BIN="$PWD/$IRONBOX_BIN"
case "$OCI_CACHE" in
"$REPO" | "$REPO"/*)
	say "OCI_CACHE must be outside the repository ($OCI_CACHE)"
	exit 2
	;;
esac

# --- build runtime-tools (once) ---------------------------------------------
# version_ge A B: A >= B for dotted versions
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

go_version() { go env GOVERSION 2>/dev/null | sed 's/^go//'; }

build_tools() {
	local src=$1 ref=$2 dir=$3
	local gov
	if ! command -v go >/dev/null; then
		say "Go is not installed (apt-get install golang-go)"
		return 1
	fi
	gov=$(go_version)
	rm -rf "$dir.tmp"
	git clone -q --no-checkout "$src" "$dir.tmp" || return 1
	git -C "$dir.tmp" -c advice.detachedHead=false checkout -q "$ref" || return 1
	say "building runtime-tools $(git -C "$dir.tmp" describe --tags --always) with Go $gov in $dir"
	(
		cd "$dir.tmp" || exit 1
		export GOCACHE="$OCI_CACHE/gocache" GOPATH="$OCI_CACHE/gopath" GOTOOLCHAIN=local
		# no network: use the vendored dependencies when there are some
		[[ -d vendor ]] && export GOFLAGS=-mod=vendor
		make runtimetest validation-executables >build.log 2>&1 || {
			tail -20 build.log >&2
			exit 1
		}
	) || return 1
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

mkdir -p "$OCI_CACHE" || exit 2
TOOLS=""
if [[ -n "${RUNTIME_TOOLS_SRC:-}" ]]; then
	if [[ ! -d "$RUNTIME_TOOLS_SRC" ]]; then
		say "RUNTIME_TOOLS_SRC=$RUNTIME_TOOLS_SRC is not a directory"
		exit 2
	fi
	ref=${RUNTIME_TOOLS_REF:-}
	if [[ -z "$ref" ]]; then
		ref=HEAD
		gov=$(go_version)
		if [[ -n "$gov" ]] && ! version_ge "$gov" "$GO_MIN_FOR_HEAD"; then
			ref=$GO119_REF
			say "Go $gov < $GO_MIN_FOR_HEAD: using runtime-tools $ref (set RUNTIME_TOOLS_REF to override)"
		fi
	fi
	commit=$(git -C "$RUNTIME_TOOLS_SRC" rev-parse --verify -q "$ref^{commit}") || {
		say "$ref is not a commit of $RUNTIME_TOOLS_SRC"
		exit 2
	}
	TOOLS="$OCI_CACHE/runtime-tools-$commit"
	if [[ ! -x "$TOOLS/runtimetest" ]]; then
		build_tools "$RUNTIME_TOOLS_SRC" "$commit" "$TOOLS" || {
			say "building runtime-tools failed"
			exit 2
		}
	fi
else
	# the most recent cached build, if any
	TOOLS=""
	for d in "$OCI_CACHE"/runtime-tools-*; do
		[[ "$d" != *.tmp && -x "$d/runtimetest" ]] || continue
		[[ -z "$TOOLS" || "$d" -nt "$TOOLS" ]] && TOOLS=$d
	done
	if [[ -z "$TOOLS" ]]; then
		say "SKIP: no runtime-tools build in $OCI_CACHE and RUNTIME_TOOLS_SRC is not set."
		say "      Clone https://github.com/opencontainers/runtime-tools and run"
		say "      RUNTIME_TOOLS_SRC=/path/to/runtime-tools make oci-validation"
		exit 0
	fi
fi
say "runtime-tools: $TOOLS ($(git -C "$TOOLS" describe --tags --always 2>/dev/null))"

# --- test list ----------------------------------------------------------------
declare -a TEST_NAMES=()
if [[ -n "${TESTS:-}" ]]; then
	for t in $TESTS; do
		t=${t%.t}
		t=${t##*/}
		[[ -x "$TOOLS/validation/$t/$t.t" ]] || {
			say "no test $t in $TOOLS/validation"
			exit 2
		}
		TEST_NAMES+=("$t")
	done
else
	for f in "$TOOLS"/validation/*/*.t; do
		t=$(basename "$f" .t)
		TEST_NAMES+=("$t")
	done
fi

declare -A EXCEPTION=()
if [[ -f "$EXCEPTIONS_FILE" ]]; then
	while read -r name reason; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		EXCEPTION[$name]=$reason
	done <"$EXCEPTIONS_FILE"
fi

# --- runtimes -----------------------------------------------------------------
WORK=$(mktemp -d /tmp/ib-oci.XXXXXX)
LOG_DIR=${OCI_LOG_DIR:-$WORK/logs}
mkdir -p "$LOG_DIR"
KEEP_LOGS=$LOG_DIR

declare -A RT_BIN=()
declare -a RT_LIST=()

# Delete what a test left behind in a runtime's private root.
clean_root() {
	local rt=$1 id
	for id in $("$WORK/$rt" list -q 2>/dev/null); do
		timeout 60 "$WORK/$rt" delete -f "$id" >/dev/null 2>&1
	done
}

# Unmount whatever is mounted under DIR in our mount namespace (deepest
# first): a runtime told to share the host's mount namespace (e.g. runc for
# linux_ns_itype) mounts /proc, /sys, ... over the bundle, and removing the
# bundle must never walk into them.
unmount_under() {
	local dir=$1 mp
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null; done
}

# The suite's cgroups (runtime-tools' cgroups.AbsCgroupPath and
# RelCgroupPath, fixed names): a runtime whose create failed half-way may leave
# some of them behind (runc and crun do, in the hierarchies they reached),
# which changes what the next test or runtime finds -- ironbox refuses a
# cgroup that exists in some hierarchies only. Remove the empty ones (rmdir
# fails on a cgroup with processes or children) before and after each test.
SUITE_CGROUPS="cgrouptest testdir/cgrouptest/container testdir/cgrouptest testdir"
clean_suite_cgroups() {
	local h rel
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[[ -d "$h" ]] || continue
		for rel in $SUITE_CGROUPS; do
			[[ -d "$h$rel" ]] && rmdir "$h$rel" 2>/dev/null
		done
	done
	return 0
}

# rm -rf that never crosses into another file system.
remove_tree() {
	[[ -e "$1" ]] || return 0
	unmount_under "$1"
	rm -rf --one-file-system "$1"
}

cleanup() {
	local rt
	for rt in "${RT_LIST[@]}"; do clean_root "$rt"; done
	# bundles the tests could not remove (killed by the timeout)
	remove_tree "$WORK/tmp"
	for rt in "${RT_LIST[@]}"; do remove_tree "$WORK/state-$rt" && rm -f "$WORK/$rt"; done
	rm -f "$WORK/policy-open.json"
	[[ "$LOG_DIR" == "$WORK"/* ]] || remove_tree "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for rt in $RUNTIMES; do
	extra=()
	case "$rt" in
	ironbox) bin=$IRONBOX_BIN ;;
	ironbox-open)
		# negative control: ironbox with an admin policy that restricts no
		# host path and allows them all (shows what the host-mount rules
		# alone cost)
		bin=$IRONBOX_BIN
		out=$("$bin" --policy "$WORK/policy-open.json" policy-init 2>&1) || {
			say "$out"
			exit 2
		}
		sed -i -e '/"restrictedMounts"/,/\]/c\  "restrictedMounts": [],' \
			-e '/"allowedMounts"/,/\]/c\  "allowedMounts": ["/"],' "$WORK/policy-open.json"
		extra=(--policy "$WORK/policy-open.json")
		;;
	runc) bin=$RUNC ;;
	crun) bin=$CRUN ;;
	*)
		say "unknown runtime $rt (ironbox, ironbox-open, crun, runc)"
		exit 2
		;;
	esac
	if [[ ! -x "$bin" ]]; then
		say "note: $rt ($bin) is not executable; its column will be n/a"
		continue
	fi
	RT_BIN[$rt]=$bin
	RT_LIST+=("$rt")
	mkdir -p "$WORK/state-$rt"
	printf '#!/bin/sh\nexec %q --root %q %s "$@"\n' "$bin" "$WORK/state-$rt" "${extra[*]@Q}" >"$WORK/$rt"
	chmod 0755 "$WORK/$rt"
done


HIDE_UNIFIED=0
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
	HIDE_UNIFIED=1
fi

# run_one RT TEST : runs TEST's executable against RT; TAP to LOG_DIR/RT/TEST.tap
run_one() {
	local rt=$1 t=$2
	local out="$LOG_DIR/$rt/$t.tap" err="$LOG_DIR/$rt/$t.stderr"
	local hide=0
	mkdir -p "$LOG_DIR/$rt" "$WORK/tmp"
	clean_suite_cgroups
	[[ "$rt" == crun && $HIDE_UNIFIED -eq 1 ]] && hide=1
	# Every test runs in a mount namespace of its own (slave: the host's
	# mounts still appear in it, nothing done in it reaches the host), which
	# dies with the test and the containers it left.
	(cd "$TOOLS" && TMPDIR="$WORK/tmp" RUNTIME="$WORK/$rt" HIDE=$hide \
		unshare -m --propagation slave sh -c '
			if [ "$HIDE" = 1 ]; then
				umount -l /sys/fs/cgroup/unified 2>/dev/null ||
					mount -t tmpfs -o ro none /sys/fs/cgroup/unified || exit 125
			fi
			unset HIDE
			exec "$@"' sh timeout -k 10 "$OCI_TIMEOUT" "./validation/$t/$t.t") >"$out" 2>"$err" </dev/null
	echo $? >"$LOG_DIR/$rt/$t.rc"
	clean_root "$rt"
	clean_suite_cgroups
	remove_tree "$WORK/tmp"
}

# verdict RT TEST : prints "VERDICT PASS FAIL SKIP"
verdict() {
	local rt=$1 t=$2
	local out="$LOG_DIR/$rt/$t.tap" rc
	rc=$(cat "$LOG_DIR/$rt/$t.rc" 2>/dev/null || echo 1)
	awk -v rc="$rc" '
		/^ok [0-9]+.*# *[Ss][Kk][Ii][Pp]/ { s++; next }
		/^ok [0-9]+/ { p++; next }
		/^not ok [0-9]+.*# *[Tt][Oo][Dd][Oo]/ { s++; next }
		/^not ok [0-9]+/ { f++; next }
		/^1\.\.[0-9]+/ { plan = 1 }
		/[^ \t]/ { any = 1 }
		END {
			v = "FAIL"
			if (rc == 124 || rc == 137) v = "TIMEOUT"
			else if (rc == 0 && plan && f == 0 && p > 0) v = "PASS"
			else if (rc == 0 && plan && f == 0 && p == 0) v = "SKIP"
			# the *_fail tests print nothing and exit 0 when the runtime
			# refused the bad config, as it must
			else if (rc == 0 && !any) v = "PASS"
			printf "%s %d %d %d\n", v, p, f, s
		}' "$out"
}

echo "== OCI runtime-tools validation: ${#TEST_NAMES[@]} files, timeout ${OCI_TIMEOUT}s each"
for rt in "${RT_LIST[@]}"; do
	printf '   %-8s %s (%s)\n' "$rt" "${RT_BIN[$rt]}" "$("${RT_BIN[$rt]}" --version 2>/dev/null | head -1)"
done
echo "   each test runs in its own mount namespace (propagation slave)"
[[ $HIDE_UNIFIED -eq 1 ]] && echo "   crun runs with /sys/fs/cgroup/unified hidden in it (crun 1.8 refuses hybrid hosts)"

declare -A RES=()
for t in "${TEST_NAMES[@]}"; do
	for rt in "${RT_LIST[@]}"; do
		# the control column only matters where ironbox fails on purpose
		if [[ "$rt" == ironbox-open && -z "${EXCEPTION[$t]:-}" ]]; then
			RES[$rt/$t]="- 0 0 0"
			continue
		fi
		run_one "$rt" "$t"
		RES[$rt/$t]=$(verdict "$rt" "$t")
	done
	printf '   %-34s' "$t" >&2
	for rt in "${RT_LIST[@]}"; do printf ' %s=%s' "$rt" "${RES[$rt/$t]%% *}" >&2; done
	echo >&2
done

# --- report -------------------------------------------------------------------
echo
echo "per file: verdict, then assertions passed/failed/skipped"
printf '%-34s' "test file"
for rt in "${RT_LIST[@]}"; do printf ' | %-22s' "$rt"; done
echo
declare -A NPASS=()
unexpected=()
stale=()
nexc=0
for rt in "${RT_LIST[@]}"; do NPASS[$rt]=0; done
for t in "${TEST_NAMES[@]}"; do
	printf '%-34s' "$t"
	for rt in "${RT_LIST[@]}"; do
		read -r v p f s <<<"${RES[$rt/$t]}"
		[[ "$v" == PASS ]] && NPASS[$rt]=$((NPASS[$rt] + 1))
		if [[ "$rt" == ironbox && "$v" != PASS && -n "${EXCEPTION[$t]:-}" ]]; then
			v="$v(x)"
		fi
		if [[ "$v" == - ]]; then
			printf ' | %-22s' "-"
		else
			printf ' | %-9s %12s' "$v" "$p/$f/$s"
		fi
	done
	echo
	[[ -n "${RES[ironbox/$t]:-}" ]] || continue
	iv=${RES[ironbox/$t]%% *}
	cv=${RES[crun/$t]:-}
	cv=${cv%% *}
	if [[ -n "${EXCEPTION[$t]:-}" ]]; then
		if [[ "$iv" == PASS ]]; then stale+=("$t"); else nexc=$((nexc + 1)); fi
	elif [[ "$iv" != PASS && "$cv" == PASS ]]; then
		unexpected+=("$t")
	fi
done
echo
summary=""
for rt in "${RT_LIST[@]}"; do
	case "$rt" in
	ironbox) summary+="${summary:+, }ironbox passes ${NPASS[$rt]} files" ;;
	ironbox-open) ;;
	*) summary+="${summary:+, }$rt ${NPASS[$rt]}" ;;
	esac
done
echo "$summary (of ${#TEST_NAMES[@]})"
if [[ -n "${RT_BIN[ironbox]:-}" ]]; then
	echo "ironbox: $nexc more file(s) fail on purpose (FAIL(x), tests/oci/exceptions):"
	for t in "${TEST_NAMES[@]}"; do
		[[ "${RES[ironbox/$t]%% *}" != PASS && -n "${EXCEPTION[$t]:-}" ]] &&
			printf '   %-34s %s\n' "$t" "${EXCEPTION[$t]}"
	done
	if [[ -n "${RT_BIN[ironbox-open]:-}" ]]; then
		echo "ironbox-open (policy allowing every host mount) passes ${NPASS[ironbox-open]} of them"
	fi
fi
echo "TAP output: $KEEP_LOGS"
status=0
if [[ ${#unexpected[@]} -gt 0 ]]; then
	echo "!! ironbox fails where crun passes, without a documented exception: ${unexpected[*]}"
	status=1
fi
if [[ ${#stale[@]} -gt 0 ]]; then
	echo "!! listed as exceptions but ironbox passes them now (update tests/oci/exceptions): ${stale[*]}"
	status=1
fi
exit $status
