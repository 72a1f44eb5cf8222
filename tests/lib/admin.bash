# shellcheck shell=bash
# An "installed" ironbox for the admin tests: `ironbox install --root-dir
# $ADM_ROOT` puts the binaries, the policy and the engine configs under
# $ADM_ROOT, and a private containerd + dockerd run from those configs.
#
#   load ../lib/common
#   load ../lib/containerd
#   load ../lib/dockerd
#   load ../lib/admin
#
# dockerd looks for authorization plugins only in /run/docker/plugins (and
# /etc/docker/plugins), whatever its flags say. So containerd and dockerd run
# in a private mount namespace (unshare -m) where $ADM_ROOT/run/docker/plugins
# is bind-mounted on /run/docker/plugins: the plugin's socket is
# $ADM_ROOT/run/docker/plugins/ironbox-authz.sock, nothing of the host's
# /run/docker/plugins is used or changed (a placeholder file keeps another
# test run's cleanup from removing that directory under our bind mount).
# The plugin itself runs in the host namespace, as `ironbox install` prints.
# dockerd reads $ADM_ROOT/etc/docker/daemon.json, and has ironbox's BuildKit
# runc directory first in its PATH (as install asks).

export ADM_ROOT="${ADM_ROOT:-$IB_DOCKER_DIR/root}"
ADM_BIN="$ADM_ROOT/usr/local/bin/ironbox"
ADM_POLICY="$ADM_ROOT/etc/ironbox/policy.json"
ADM_SOCK="$ADM_ROOT/run/docker/plugins/ironbox-authz.sock"
ADM_PLUGIN_PID="$ADM_ROOT/run/ironbox-authz.pid"
ADM_PLUGIN_LOG="$IB_DOCKER_DIR/authz.log"
ADM_BUILDKIT_DIR="$ADM_ROOT/usr/local/libexec/ironbox/buildkit"

# ironbox install/uninstall for the test root (extra args appended).
adm_install() {
	"$IRONBOX" install --root-dir "$ADM_ROOT" --docker-host "unix://$IB_DOCKER_SOCK" \
		--docker-pidfile "$IB_DOCKER_DIR/docker.pid" --no-containerd --no-podman "$@"
}
adm_uninstall() {
	"$IRONBOX" uninstall --root-dir "$ADM_ROOT" --docker-pidfile "$IB_DOCKER_DIR/docker.pid" "$@"
}

# Write the admin policy with "enforce": $1 (true|false), root-owned 0644.
adm_policy() {
	mkdir -p "$(dirname "$ADM_POLICY")"
	jq -n --argjson e "$1" '{enforce: $e}' >"$ADM_POLICY.tmp"
	chmod 0644 "$ADM_POLICY.tmp"
	mv -f "$ADM_POLICY.tmp" "$ADM_POLICY"
}

# Start the authorization plugin (the command install prints) and wait for
# its socket.
adm_plugin_start() {
	adm_plugin_running && return 0
	"$ADM_BIN" authz-plugin --socket "$ADM_SOCK" --policy "$ADM_POLICY" \
		--docker-host "unix://$IB_DOCKER_SOCK" --pidfile "$ADM_PLUGIN_PID" \
		--log "$ADM_PLUGIN_LOG" --detach </dev/null >/dev/null 2>&1 3>&-
}

adm_plugin_running() {
	local pid
	pid=$(cat "$ADM_PLUGIN_PID" 2>/dev/null) || return 1
	pid_alive "$pid" && [[ -S "$ADM_SOCK" ]]
}

adm_plugin_stop() {
	local pid i
	pid=$(cat "$ADM_PLUGIN_PID" 2>/dev/null) || return 0
	if pid_alive "$pid"; then
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do
			pid_alive "$pid" || break
			sleep 0.05
		done
		pid_alive "$pid" && kill -KILL "$pid"
	fi
	rm -f "$ADM_PLUGIN_PID"
	return 0
}

# The placeholder that keeps the host's /run/docker/plugins non-empty (and
# so not removable) while our bind mount is on it.
_adm_keep() { echo "/run/docker/plugins/.ib-keep-$(basename "$IB_DOCKER_DIR")"; }

# Start containerd and dockerd (in their private mount namespace) from the
# installed config. dockerd's PATH starts with ironbox's BuildKit runc
# directory unless ADM_NO_BUILDKIT_PATH=1.
adm_stack_start() {
	command -v dockerd >/dev/null || skip "dockerd not installed"
	command -v unshare >/dev/null || skip "unshare not installed"
	if dockerd_running; then return 0; fi
	mkdir -p "$IB_DOCKER_DIR"/{data,exec} "$ADM_ROOT/run/docker/plugins" "$IB_CTR_DIR"/{root,state,opt,fifo,runc-root}
	[[ -e /run/docker ]] || touch "$IB_DOCKER_DIR/created-run-docker"
	[[ -e /run/containerd ]] || touch "$IB_CTR_DIR/created-run-containerd"
	mkdir -p /run/docker/plugins
	touch "$(_adm_keep)"
	_ctr_write_config
	local path="$PATH"
	[[ "${ADM_NO_BUILDKIT_PATH:-0}" == 1 ]] || path="$ADM_BUILDKIT_DIR:$PATH"
	# Inside the namespace: bind the plugin directory, start both daemons
	# (detached, pid files), return; the namespace lives on with them.
	# containerd (and so the shims, which resolve the "runc" runtime) keeps
	# the ordinary PATH, as the system containerd does.
	unshare -m --propagation private -- env DOCKERD_PATH="$path" \
		IB_CTR_DIR="$IB_CTR_DIR" IB_CTR_SOCK="$IB_CTR_SOCK" IB_DOCKER_DIR="$IB_DOCKER_DIR" \
		IB_DOCKER_SOCK="$IB_DOCKER_SOCK" ADM_ROOT="$ADM_ROOT" bash -c '
		mount --bind "$ADM_ROOT/run/docker/plugins" /run/docker/plugins || exit 1
		setsid containerd --config "$IB_CTR_DIR/config.toml" \
			</dev/null >>"$IB_CTR_DIR/containerd.log" 2>&1 &
		echo $! >"$IB_CTR_DIR/containerd.pid"
		for ((i = 0; i < 200; i++)); do
			[[ -S "$IB_CTR_SOCK" ]] && ctr -a "$IB_CTR_SOCK" version >/dev/null 2>&1 && break
			sleep 0.1
		done
		PATH="$DOCKERD_PATH" setsid dockerd \
			--config-file "$ADM_ROOT/etc/docker/daemon.json" \
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
			--cgroup-parent /ib-docker \
			--log-level warn \
			</dev/null >>"$IB_DOCKER_DIR/dockerd.log" 2>&1 &
		echo $! >"$IB_DOCKER_DIR/launcher.pid"
	' 3>&- || return 1
	local i launcher
	launcher=$(cat "$IB_DOCKER_DIR/launcher.pid")
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
	D version >/dev/null 2>&1 || {
		echo "dockerd did not come up; log:" >&2
		tail -30 "$IB_DOCKER_DIR/dockerd.log" >&2
		return 1
	}
}

# Stop dockerd only (containers are stopped by it), keep its data.
adm_dockerd_stop() {
	local pid i
	pid=$(cat "$IB_DOCKER_DIR/docker.pid" 2>/dev/null)
	[[ -n "$pid" ]] || pid=$(cat "$IB_DOCKER_DIR/launcher.pid" 2>/dev/null)
	if [[ -n "$pid" ]] && pid_alive "$pid"; then
		kill -TERM "$pid"
		for ((i = 0; i < 300; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid"
	fi
	rm -f "$IB_DOCKER_DIR/docker.pid"
	return 0
}

# Restart dockerd alone (same containerd, same namespace is not needed:
# it joins containerd's mount namespace through /proc/PID/ns/mnt).
adm_dockerd_restart() {
	adm_dockerd_stop
	local ctrpid path="$PATH"
	ctrpid=$(cat "$IB_CTR_DIR/containerd.pid")
	[[ "${ADM_NO_BUILDKIT_PATH:-0}" == 1 ]] || path="$ADM_BUILDKIT_DIR:$PATH"
	nsenter -t "$ctrpid" -m -- env PATH="$path" setsid dockerd \
		--config-file "$ADM_ROOT/etc/docker/daemon.json" \
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
		--cgroup-parent /ib-docker \
		--log-level warn \
		</dev/null >>"$IB_DOCKER_DIR/dockerd.log" 2>&1 3>&- &
	echo $! >"$IB_DOCKER_DIR/launcher.pid"
	local i
	for ((i = 0; i < 300; i++)); do
		D version >/dev/null 2>&1 && return 0
		pid_alive "$(cat "$IB_DOCKER_DIR/launcher.pid")" || break
		sleep 0.1
	done
	echo "dockerd did not come back; log:" >&2
	tail -30 "$IB_DOCKER_DIR/dockerd.log" >&2
	return 1
}

# Everything down: containers (with enforcement off so nothing is refused),
# dockerd, containerd, plugin, the root, the placeholder.
adm_stack_stop() { _ib_safe _adm_stack_stop; }
_adm_stack_stop() {
	if [[ -f "$ADM_POLICY" ]]; then adm_policy false; fi
	if dockerd_running && ! adm_plugin_running && [[ -x "$ADM_BIN" ]]; then adm_plugin_start; fi
	docker_cleanup_containers
	adm_dockerd_stop
	ctr_stop
	adm_plugin_stop
	rm -f "$(_adm_keep)"
	if [[ -e "$IB_DOCKER_DIR/created-run-docker" ]]; then
		rmdir /run/docker/plugins /run/docker 2>/dev/null
	fi
	remove_cgroup_tree ib-docker
	[[ -n "$IB_DOCKER_DIR" && "$IB_DOCKER_DIR" == /tmp/ib-* ]] && rm -rf "$IB_DOCKER_DIR" 2>/dev/null
	return 0
}
