# shellcheck shell=bash
# Leak checks: after a container is deleted (or its create failed), nothing of
# it may be left on the host. Loaded by common.bash; usable from any bats file
# (tests/integration, tests/security).
#
#   leak_check [--root ROOT] [--path P]... [--pid PID:START]... [ID...]
#
# Fails (status 1, one line per leak on stderr) when any of these is left:
#   state     ROOT/ID (with no ID: any container directory under ROOT)
#   id range  a holder ROOT/ID (no ID: ROOT/anything) in the host-wide ID-range
#             table ($IRONBOX_IDMAP_DIR or /run/ironbox, idmap.tab), or ID in
#             a per-root table ROOT/idmap.tab
#   cgroup    a directory named ID in any cgroup hierarchy (ironbox's own
#             /ironbox/ID, Docker's /ib-docker/ID, ...)
#   mount     a line of /proc/self/mountinfo naming ROOT/ID (no ID: ROOT), ID,
#             or one of the --path prefixes
#   process   a process whose command line names ROOT with ID (the runtime,
#             the ironbox-sup supervisor: it is a fork of `create`), a process
#             in a cgroup named ID (container init and its children), a process
#             whose cwd or root is under a --path, or a --pid PID:START (from
#             leak_pid_token) that is still alive with that start time
# Process and mount checks are retried for up to LEAK_WAIT seconds (default 5):
# a supervisor exits asynchronously once the init's pidfd fires.
#
# ROOT defaults to $TEST_ROOT. Processes of other tests and helpers never
# match: every check is keyed by this test's root, ids and paths.

# leak_pid_token PID : "PID:STARTTIME" of a live process (for --pid), or nothing.
leak_pid_token() {
	local st
	st=$(_leak_starttime "$1") || return 0
	echo "$1:$st"
}

_leak_starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# fields after "comm)": state is field 3, starttime field 22
	awk '{print $20}' <<<"$s"
}

# The host-wide ID-range table(s) to inspect.
_leak_idmap_tables() {
	local d=${IRONBOX_IDMAP_DIR:-/run/ironbox}
	[[ -f "$d/idmap.tab" ]] && echo "$d/idmap.tab"
	return 0
}

# _leak_idmap_holders TABLE : "base holder" per holder of an ID-range table
# (idmap.tab: a header, then "base size pid start holder" lines).
_leak_idmap_holders() {
	awk 'NR == 1 { if ($0 != "ironbox-idmap 2") exit 1; next }
	     /^ *$/ { next }
	     { b = $1; for (i = 0; i < 4; i++) sub(/^[0-9]+ /, ""); print b, $0 }' "$1"
}

# _leak_static ROOT IDS PATHS : state, id ranges, cgroups (no retry needed).
_leak_static() {
	local root=$1 ids=$2 paths=$3 id t holders d base h bad=0
	if [[ -n "$ids" ]]; then
		for id in $ids; do
			if [[ -e "$root/$id" ]]; then
				echo "leak: state dir $root/$id" >&2
				bad=1
			fi
		done
	elif [[ -d "$root" ]]; then
		while IFS= read -r d; do
			[[ -n "$d" ]] || continue
			echo "leak: state dir $d" >&2
			bad=1
		done < <(find "$root" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	fi
	for t in $(_leak_idmap_tables); do
		# "base size pid start holder" per line after the header
		holders=$(_leak_idmap_holders "$t") || {
			echo "leak check: cannot parse $t" >&2
			bad=1
			continue
		}
		while read -r base h; do
			[[ -n "$h" ]] || continue
			if [[ -n "$ids" ]]; then
				for id in $ids; do
					if [[ "$h" == "$root/$id" ]]; then
						echo "leak: ID range $base still held by $h in $t" >&2
						bad=1
					fi
				done
			elif [[ "$h" == "$root/"* ]]; then
				echo "leak: ID range $base still held by $h in $t" >&2
				bad=1
			fi
		done <<<"$holders"
	done
	if [[ -f "$root/idmap.tab" && -n "$ids" ]]; then
		holders=$(_leak_idmap_holders "$root/idmap.tab") || {
			echo "leak check: cannot parse $root/idmap.tab" >&2
			bad=1
		}
		for id in $ids; do
			while read -r base h; do
				if [[ "$h" == "$id" ]]; then
					echo "leak: ID range $base still held by $id in $root/idmap.tab" >&2
					bad=1
				fi
			done <<<"$holders"
		done
	fi
	for id in $ids; do
		while IFS= read -r d; do
			[[ -n "$d" ]] || continue
			echo "leak: cgroup $d" >&2
			bad=1
		done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 7 -type d -name "$id" 2>/dev/null)
	done
	return $bad
}

# _leak_dynamic ROOT IDS PATHS PIDS QUIET : mounts and processes.
_leak_dynamic() {
	local root=$1 ids=$2 paths=$3 pids=$4 quiet=$5 bad=0 line id p cmd cg tok pid want now link
	local -a keys=() argv=()
	if [[ -n "$ids" ]]; then
		for id in $ids; do keys+=("$root/$id" "$id"); done
	else
		keys+=("$root")
	fi
	for p in $paths; do keys+=("$p"); done
	while IFS= read -r line; do
		for p in "${keys[@]}"; do
			if [[ "$line" == *"$p"* ]]; then
				[[ $quiet -eq 1 ]] || echo "leak: mount $(awk '{print $5}' <<<"$line") ($p)" >&2
				bad=1
				break
			fi
		done
	done </proc/self/mountinfo
	# Processes are scanned with bash builtins only (no helper process whose
	# argv carries ROOT or ID is ever seen as a leak).
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
		argv=()
		mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
		[[ ${#argv[@]} -gt 0 ]] || continue # kernel threads, zombies
		cmd="${argv[*]}"
		if [[ -z "$ids" && " $cmd " == *" $root "* ]]; then
			[[ $quiet -eq 1 ]] || echo "leak: process $pid: $cmd" >&2
			bad=1
			continue
		fi
		cg=""
		[[ -n "$ids" ]] && IFS= read -r -d '' cg 2>/dev/null <"$p/cgroup"
		for id in $ids; do
			if [[ "$cmd" == *"$root"* && "$cmd" == *"$id"* ]]; then
				[[ $quiet -eq 1 ]] || echo "leak: process $pid: $cmd" >&2
				bad=1
				continue 2
			fi
			if [[ "$cg" == *"/$id"$'\n'* || "$cg" == *"/$id/"* ]]; then
				[[ $quiet -eq 1 ]] || echo "leak: process $pid ($cmd) in a cgroup of $id" >&2
				bad=1
				continue 2
			fi
		done
	done
	# cwd or root under one of the paths (a container process outside its
	# cgroup); one find for all processes
	if [[ -n "$paths" ]]; then
		while read -r link; do
			for tok in $paths; do
				if [[ "${link#* }" == "$tok"* ]]; then
					pid=${link#/proc/}
					pid=${pid%%/*}
					[[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
					[[ $quiet -eq 1 ]] || echo "leak: process $pid: ${link%% *} -> ${link#* }" >&2
					bad=1
				fi
			done
		done < <(find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 -printf '%p %l\n' 2>/dev/null)
	fi
	for tok in $pids; do
		pid=${tok%%:*}
		want=${tok#*:}
		now=$(_leak_starttime "$pid") || continue
		if [[ "$now" == "$want" ]] && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
			[[ $quiet -eq 1 ]] || echo "leak: process $pid is still alive" >&2
			bad=1
		fi
	done
	return $bad
}

leak_check() {
	local root=${TEST_ROOT:-} paths="" pids="" ids="" wait=${LEAK_WAIT:-5} i bad=0
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--root)
			root=$2
			shift
			;;
		--path)
			paths+="$2 "
			shift
			;;
		--pid)
			pids+="$2 "
			shift
			;;
		*) ids+="$1 " ;;
		esac
		shift
	done
	if [[ -z "$root" ]]; then
		echo "leak_check: no --root and no TEST_ROOT" >&2
		return 1
	fi
	root=${root%/}
	_leak_static "$root" "$ids" "$paths" || bad=1
	for ((i = 0; i < wait * 10; i++)); do
		_leak_dynamic "$root" "$ids" "$paths" "$pids" 1 && break
		sleep 0.1
	done
	_leak_dynamic "$root" "$ids" "$paths" "$pids" 0 || bad=1
	return $bad
}
