# shellcheck shell=bash
# A private dockerd (on a private containerd) for the integration tests.
#
#   load ../lib/common
#   load ../lib/containerd
#   load ../lib/dockerd
#   setup_file()    { dockerd_start; }
#   teardown_file() { dockerd_stop; }
#
# dockerd runs with its own data root, exec root, pid file and socket under
# $IB_DOCKER_DIR (/tmp/ib-docker), no bridge/iptables, and the runtime under
# test registered as "ironbox" (--add-runtime ironbox=$IRONBOX). It uses the
# private containerd of containerd.bash (so nothing is started implicitly,
# and the system containerd socket, if any, is never used). The busybox
# rootfs is imported as the image ib-busybox:latest.

export IB_DOCKER_DIR="${IB_DOCKER_DIR:-/tmp/ib-docker}"
export IB_DOCKER_SOCK="$IB_DOCKER_DIR/docker.sock"
export DOCKER_HOST="unix://$IB_DOCKER_SOCK"

# The Debian docker.io client (another docker client may be earlier in PATH).
_ib_docker_bin() {
	if [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker; else command -v docker; fi
}
IB_DOCKER_BIN="$(_ib_docker_bin)"
DOCKER="$IB_DOCKER_BIN -H unix://$IB_DOCKER_SOCK"
export DOCKER

# docker client against the private daemon.
D() {
	"$IB_DOCKER_BIN" -H "unix://$IB_DOCKER_SOCK" "$@"
}

# docker run with the runtime under test (and no network: there is no bridge).
DRUN() {
	D run --runtime=ironbox "$@"
}

dockerd_running() {
	local pid
	pid=$(cat "$IB_DOCKER_DIR/docker.pid" 2>/dev/null) || return 1
	pid_alive "$pid" && [[ -S "$IB_DOCKER_SOCK" ]]
}

dockerd_start() {
	command -v dockerd >/dev/null || skip "dockerd not installed"
	[[ -n "$IB_DOCKER_BIN" ]] || skip "docker client not installed"
	if dockerd_running; then return 0; fi
	dockerd_stop >/dev/null 2>&1
	ctr_start || return 1
	mkdir -p "$IB_DOCKER_DIR"/{data,exec}
	# dockerd creates /run/docker/plugins whatever its exec root is.
	[[ -e /run/docker ]] || touch "$IB_DOCKER_DIR/created-run-docker"
	# A config file of our own so /etc/docker/daemon.json is not read.
	# "ironbox-strict" runs with an admin policy that restricts this
	# dockerd's own directories as the defaults do /var/lib/docker and
	# /run/docker (dockerd_strict_policy).
	if is_ironbox && dockerd_strict_policy "$IB_DOCKER_DIR/policy.json"; then
		jq -n --arg rt "$IRONBOX" --arg pol "$IB_DOCKER_DIR/policy.json" \
			'{runtimes: {ironbox: {path: $rt}, "ironbox-strict": {path: $rt, runtimeArgs: ["--policy", $pol]}}}' \
			>"$IB_DOCKER_DIR/daemon.json"
	else
		jq -n --arg rt "$IRONBOX" '{runtimes: {ironbox: {path: $rt}}}' >"$IB_DOCKER_DIR/daemon.json"
	fi
	# More runtimes for benchmarks (a JSON object merged into "runtimes").
	if [[ -n "${IB_DOCKER_EXTRA_RUNTIMES:-}" ]]; then
		jq --argjson x "$IB_DOCKER_EXTRA_RUNTIMES" '.runtimes += $x' "$IB_DOCKER_DIR/daemon.json" \
			>"$IB_DOCKER_DIR/daemon.json.new" && mv -f "$IB_DOCKER_DIR/daemon.json.new" "$IB_DOCKER_DIR/daemon.json"
	fi
	setsid dockerd \
		--config-file "$IB_DOCKER_DIR/daemon.json" \
		--data-root "$IB_DOCKER_DIR/data" \
		--exec-root "$IB_DOCKER_DIR/exec" \
		--pidfile "$IB_DOCKER_DIR/docker.pid" \
		-H "unix://$IB_DOCKER_SOCK" \
		--containerd "$IB_CTR_SOCK" \
		--containerd-namespace ib-moby \
		--containerd-plugins-namespace ib-plugins \
		--bridge=none --iptables=false --ip-masq=false --ip6tables=false \
		--userland-proxy=false \
		--storage-driver overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs \
		--cgroup-parent "/$(basename "$IB_DOCKER_DIR")" \
		--log-level warn \
		</dev/null >>"$IB_DOCKER_DIR/dockerd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	local launcher=$! i
	echo "$launcher" >"$IB_DOCKER_DIR/launcher.pid"
	for ((i = 0; i < 300; i++)); do
		if [[ -S "$IB_DOCKER_SOCK" ]] && D version >/dev/null 2>&1; then
			break
		fi
		if ! pid_alive "$launcher"; then
			echo "dockerd exited; log:" >&2
			tail -30 "$IB_DOCKER_DIR/dockerd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	if ! D version >/dev/null 2>&1; then
		echo "dockerd did not come up; log:" >&2
		tail -30 "$IB_DOCKER_DIR/dockerd.log" >&2
		return 1
	fi
	docker_import_busybox
}

# dockerd_strict_policy FILE : the default admin policy plus this dockerd's
# directories (data root, exec root and socket) and its containerd's as
# restricted mounts, like a real install's /var/lib/docker and /run/docker.
dockerd_strict_policy() {
	local pol=$1
	rm -f "$pol" "$pol.def"
	"$IRONBOX" --policy "$pol.def" policy-init 2>/dev/null || return 1
	jq --arg d "$IB_DOCKER_DIR" --arg c "$IB_CTR_DIR" \
		'.restrictedMounts += [$d, ($d + "/data"), $c]' "$pol.def" >"$pol" || return 1
	chmod 0644 "$pol"
	rm -f "$pol.def"
}

# docker run with the strict policy.
DRUN_STRICT() {
	D run --runtime=ironbox-strict "$@"
}

# Import the busybox rootfs as ib-busybox:latest.
docker_import_busybox() {
	if D image inspect ib-busybox:latest >/dev/null 2>&1; then return 0; fi
	local tar
	tar=$(rootfs_tarball) || return 1
	D import --change 'CMD ["sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		- ib-busybox:latest <"$tar" >/dev/null
}

# Import the tools rootfs (busybox + ibprobe + bpftool) as ib-tools:latest.
docker_import_tools() {
	if D image inspect ib-tools:latest >/dev/null 2>&1; then return 0; fi
	local tar
	tar=$(tools_tarball) || return 1
	D import --change 'CMD ["sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		- ib-tools:latest <"$tar" >/dev/null
}

# Remove every container of our dockerd (e.g. between tests).
docker_cleanup_containers() { _ib_safe _docker_cleanup_containers; }
_docker_cleanup_containers() {
	dockerd_running || return 0
	local ids
	ids=$(D ps -aq 2>/dev/null)
	[[ -n "$ids" ]] && timeout 60 "$IB_DOCKER_BIN" -H "unix://$IB_DOCKER_SOCK" rm -f -v $ids >/dev/null 2>&1
	return 0
}

# Stop dockerd (SIGTERM to the pid in its pid file, wait), then our
# containerd, and remove both trees. Only our own pids are signalled.
dockerd_stop() { _ib_safe _dockerd_stop; }
_dockerd_stop() {
	local pid i
	docker_cleanup_containers
	pid=$(cat "$IB_DOCKER_DIR/docker.pid" 2>/dev/null)
	[[ -n "$pid" ]] || pid=$(cat "$IB_DOCKER_DIR/launcher.pid" 2>/dev/null)
	if [[ -n "$pid" ]] && pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 200; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	ctr_stop
	_umount_matching "$IB_DOCKER_DIR"
	remove_cgroup_tree "$(basename "$IB_DOCKER_DIR")"
	if [[ -e "$IB_DOCKER_DIR/created-run-docker" ]]; then
		rmdir /run/docker/plugins /run/docker 2>/dev/null
	fi
	# dockerd's netns/exec-root leftovers
	[[ -n "$IB_DOCKER_DIR" && "$IB_DOCKER_DIR" == /tmp/ib-* ]] && rm -rf "$IB_DOCKER_DIR" 2>/dev/null
	return 0
}

# Print a container's init pid on the host.
docker_pid() {
	D inspect -f '{{.State.Pid}}' "$1"
}
