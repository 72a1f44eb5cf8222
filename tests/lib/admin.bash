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
# The engine's cgroup parent, one per test dockerd (parallel runs with
# their own IB_DOCKER_DIR must not remove each other's).
ADM_CGROUP=$(basename "$IB_DOCKER_DIR")
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
		exec 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
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
			--cgroup-parent "/$ADM_CGROUP" \
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
		--cgroup-parent "/$ADM_CGROUP" \
		--log-level warn \
		</dev/null >>"$IB_DOCKER_DIR/dockerd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
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
	remove_cgroup_tree "$ADM_CGROUP"
	[[ -n "$IB_DOCKER_DIR" && "$IB_DOCKER_DIR" == /tmp/ib-* ]] && rm -rf "$IB_DOCKER_DIR" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------------------
# Kubernetes path: a containerd with its CRI plugin, configured by `ironbox
# install --containerd`, in a private mount and network namespace (CNI's
# bridge lives there), driven by tests/lib/cri_client.py.

export K8S_DIR="${K8S_DIR:-$IB_CTR_DIR-cri}"
K8S_ROOT="$K8S_DIR/root"
K8S_SOCK="$K8S_DIR/containerd.sock"
K8S_CG="ib-k8s-$(basename "$IB_CTR_DIR")"

CRI() { /usr/bin/python3 "$IB_LIB/cri_client.py" "$K8S_SOCK" "$@" </dev/null 3>&-; }
KCTR() { ctr -a "$K8S_SOCK" -n k8s.io "$@"; }

# A one-layer OCI image tarball of the busybox rootfs with the given
# entrypoint (JSON array); path printed.
adm_oci_image() {
	local name=$1 entry=$2 src d out
	src=$(rootfs_tarball) || return 1
	out="$IB_CACHE/oci-adm-$(basename "$src" .tar)-${name//[:\/]/_}-$(echo "$entry" | sha256sum | cut -c1-8).tar"
	if [[ -f "$out" ]]; then
		echo "$out"
		return 0
	fi
	d=$(mktemp -d "$IB_CACHE/oci.XXXXXX")
	mkdir -p "$d/blobs/sha256"
	gzip -n -c "$src" >"$d/layer"
	local diff_id lsha lsize csha csize msha msize
	diff_id=$(sha256sum "$src" | cut -d' ' -f1)
	lsha=$(sha256sum "$d/layer" | cut -d' ' -f1)
	lsize=$(stat -c %s "$d/layer")
	mv "$d/layer" "$d/blobs/sha256/$lsha"
	jq -cn --arg diff "sha256:$diff_id" --argjson e "$entry" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Entrypoint: $e},
		rootfs: {type: "layers", diff_ids: [$diff]}}' | tr -d '\n' >"$d/cfg"
	csha=$(sha256sum "$d/cfg" | cut -d' ' -f1)
	csize=$(stat -c %s "$d/cfg")
	mv "$d/cfg" "$d/blobs/sha256/$csha"
	jq -cn --arg c "sha256:$csha" --argjson cs "$csize" --arg l "sha256:$lsha" --argjson ls "$lsize" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' | tr -d '\n' >"$d/man"
	msha=$(sha256sum "$d/man" | cut -d' ' -f1)
	msize=$(stat -c %s "$d/man")
	mv "$d/man" "$d/blobs/sha256/$msha"
	jq -cn --arg m "sha256:$msha" --argjson ms "$msize" --arg n "$name" '{schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
		annotations: {"io.containerd.image.name": ("docker.io/library/" + $n),
			"org.opencontainers.image.ref.name": ($n | split(":")[1])},
		platform: {architecture: "amd64", os: "linux"}}]}' >"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out.tmp" oci-layout index.json blobs && mv -f "$out.tmp" "$out"
	rm -rf "$d"
	echo "$out"
}

# The admin's containerd config (before install): CRI on, CNI from Debian's
# plugins, everything under $K8S_DIR.
_k8s_base_config() {
	mkdir -p "$K8S_ROOT/etc/containerd" "$K8S_DIR"/{data,state,opt,cni,ipam}
	cat >"$K8S_ROOT/etc/containerd/config.toml" <<-EOF
		version = 2
		root = "$K8S_DIR/data"
		state = "$K8S_DIR/state"
		disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.tracing.processor.v1.otlp"]

		[grpc]
		  address = "$K8S_SOCK"
		[ttrpc]
		  address = "$K8S_SOCK.ttrpc"
		[debug]
		  level = "warn"
		[metrics]
		  address = ""

		[plugins]
		  [plugins."io.containerd.grpc.v1.cri"]
		    sandbox_image = "docker.io/library/ib-pause:latest"
		    disable_apparmor = true
		    # No CAP_SYS_RESOURCE on the test machines: runc can't give the
		    # sandbox the oom_score_adj (-998) CRI asks for otherwise.
		    restrict_oom_score_adj = true
		    [plugins."io.containerd.grpc.v1.cri".cni]
		      bin_dir = "/usr/lib/cni"
		      conf_dir = "$K8S_DIR/cni"
		    [plugins."io.containerd.grpc.v1.cri".containerd]
		      snapshotter = "overlayfs"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		        runtime_type = "io.containerd.runc.v2"
		        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		          Root = "$K8S_DIR/runc-root"
		      # The runtimes' state outside /run/containerd, which on the test
		      # machines is not searchable by others (mode 0600): ironbox's
		      # container init opens its staged bind mounts by path from inside
		      # the user namespace. install adds BinaryName to this table.
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ironbox.options]
		        Root = "$K8S_DIR/ironbox-root"
		  [plugins."io.containerd.internal.v1.opt"]
		    path = "$K8S_DIR/opt"
	EOF
	jq -n --arg d "$K8S_DIR/ipam" '{cniVersion: "0.4.0", name: "ib-k8s", plugins: [{type: "bridge",
		bridge: "ibk8s0", isGateway: true, ipMasq: false,
		ipam: {type: "host-local", ranges: [[{subnet: "10.88.66.0/24"}]], dataDir: $d}}]}' \
		>"$K8S_DIR/cni/10-ib-k8s.conflist"
}

k8s_running() {
	local pid
	pid=$(cat "$K8S_DIR/containerd.pid" 2>/dev/null) || return 1
	pid_alive "$pid" && [[ -S "$K8S_SOCK" ]]
}

# Start containerd (own mount + network namespace) from the config install
# merged.
k8s_start() {
	command -v containerd >/dev/null || skip "containerd not installed"
	[[ -x /usr/lib/cni/bridge ]] || skip "containernetworking-plugins not installed"
	/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || skip "python3-grpcio / python3-grpc-tools not installed"
	[[ -e /run/containerd ]] || touch "$K8S_DIR/created-run-containerd"
	unshare -m -n --propagation private -- env K8S_DIR="$K8S_DIR" K8S_ROOT="$K8S_ROOT" bash -c '
		exec 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		ip link set lo up
		setsid containerd --config "$K8S_ROOT/etc/containerd/config.toml" \
			</dev/null >>"$K8S_DIR/containerd.log" 2>&1 &
		echo $! >"$K8S_DIR/containerd.pid"
	' 3>&- || return 1
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -S "$K8S_SOCK" ]] && CRI version >/dev/null 2>&1 && return 0
		k8s_running || [[ ! -S "$K8S_SOCK" ]] || break
		sleep 0.1
	done
	echo "containerd (CRI) did not come up; log:" >&2
	tail -30 "$K8S_DIR/containerd.log" >&2
	return 1
}

# Remove the pods recorded in $K8S_DIR/pods, stop containerd and its shims,
# remove the tree.
k8s_stop() { _ib_safe _k8s_stop; }
_k8s_stop() {
	local pod pid f i
	if k8s_running; then
		while read -r pod; do
			[[ -n "$pod" ]] && CRI remove-pod "$pod" >/dev/null 2>&1
		done < <(cat "$K8S_DIR/pods" 2>/dev/null)
	fi
	pid=$(cat "$K8S_DIR/containerd.pid" 2>/dev/null)
	if [[ -n "$pid" ]] && pid_alive "$pid"; then
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid"
	fi
	# Shims left behind (a pod whose runtime binary is gone can't be
	# removed): ours are those serving our containerd's socket.
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' '\n' <"$f" 2>/dev/null | grep -qxF -- "$K8S_SOCK"; then
			pid=${f#/proc/}
			pid=${pid%/cmdline}
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	# Then whatever still runs in the pods' cgroups (ours).
	for f in /sys/fs/cgroup/*/"$K8S_CG" /sys/fs/cgroup/"$K8S_CG"; do
		[[ -d "$f" ]] || continue
		find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
			[[ "$pid" -gt 1 ]] && kill -KILL "$pid" 2>/dev/null
		done
	done
	sleep 0.5
	remove_cgroup_tree "$K8S_CG"
	if [[ -e "$K8S_DIR/created-run-containerd" ]]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc/* /run/containerd/runc /run/containerd 2>/dev/null
	fi
	[[ -n "$K8S_DIR" && "$K8S_DIR" == /tmp/ib-* ]] && rm -rf "$K8S_DIR" 2>/dev/null
	return 0
}
