# shellcheck shell=bash
# A private containerd for the integration tests (also used by dockerd.bash).
#
#   load ../lib/common
#   load ../lib/containerd
#   setup_file()    { ctr_start; }
#   teardown_file() { ctr_stop; }
#
# Everything lives under $IB_CTR_DIR (/tmp/ib-ctr): config, root, state,
# socket, log, pid file. Only processes started here are ever signalled, by
# the pids recorded in pid files (containerd's and the shims' own shim.pid).

export IB_CTR_DIR="${IB_CTR_DIR:-/tmp/ib-ctr}"
export IB_CTR_SOCK="$IB_CTR_DIR/containerd.sock"
export IB_CTR_NS="${IB_CTR_NS:-ibtest}"

# ctr against the private containerd, in the test namespace.
CTR() {
	ctr -a "$IB_CTR_SOCK" -n "$IB_CTR_NS" "$@"
}

# `ctr run` with the runtime under test; FIFOs and the runtime's state root
# kept under our tree.
CTR_RUN() {
	CTR run --runc-binary "$IRONBOX" --runc-root "$IB_CTR_DIR/runc-root" \
		--fifo-dir "$IB_CTR_DIR/fifo" "$@"
}

_ctr_write_config() {
	cat >"$IB_CTR_DIR/config.toml" <<-EOF
		version = 2
		root = "$IB_CTR_DIR/root"
		state = "$IB_CTR_DIR/state"
		# CRI needs CNI and is not used here.
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
		[grpc]
		  address = "$IB_CTR_SOCK"
		[ttrpc]
		  address = "$IB_CTR_DIR/containerd.sock.ttrpc"
		[debug]
		  address = ""
		  level = "warn"
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$IB_CTR_DIR/opt"
	EOF
}

ctr_running() {
	local pid
	pid=$(cat "$IB_CTR_DIR/containerd.pid" 2>/dev/null) || return 1
	pid_alive "$pid" && [[ -S "$IB_CTR_SOCK" ]]
}

# Start the private containerd (no-op if ours is already running).
ctr_start() {
	command -v containerd >/dev/null || skip "containerd not installed"
	if ctr_running; then return 0; fi
	# A stale tree from a crashed run: clean it first.
	ctr_stop >/dev/null 2>&1
	mkdir -p "$IB_CTR_DIR"/{root,state,opt,fifo,runc-root}
	# The shims put their sockets in /run/containerd/s whatever the config
	# says; remember whether that directory is ours to remove.
	[[ -e /run/containerd ]] || touch "$IB_CTR_DIR/created-run-containerd"
	_ctr_write_config
	setsid containerd --config "$IB_CTR_DIR/config.toml" \
		</dev/null >>"$IB_CTR_DIR/containerd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$IB_CTR_DIR/containerd.pid"
	local i
	for ((i = 0; i < 200; i++)); do
		if [[ -S "$IB_CTR_SOCK" ]] && ctr -a "$IB_CTR_SOCK" version >/dev/null 2>&1; then
			return 0
		fi
		pid_alive "$(cat "$IB_CTR_DIR/containerd.pid")" || break
		sleep 0.1
	done
	echo "containerd did not start; log:" >&2
	tail -30 "$IB_CTR_DIR/containerd.log" >&2
	return 1
}

# Kill every shim this containerd started (pids from their shim.pid files).
_ctr_kill_shims() {
	local f pid
	for f in "$IB_CTR_DIR"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
		[[ -f "$f" ]] || continue
		pid=$(cat "$f")
		[[ -n "$pid" && "$pid" -gt 1 ]] && kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# Remove all containers/tasks of all namespaces of our containerd.
ctr_cleanup_all() { _ib_safe _ctr_cleanup_all; }
_ctr_cleanup_all() {
	ctr_running || return 0
	local ns c
	for ns in $(ctr -a "$IB_CTR_SOCK" namespaces list -q 2>/dev/null); do
		for c in $(ctr -a "$IB_CTR_SOCK" -n "$ns" tasks list -q 2>/dev/null); do
			ctr -a "$IB_CTR_SOCK" -n "$ns" tasks kill -s KILL "$c" >/dev/null 2>&1
		done
		for c in $(ctr -a "$IB_CTR_SOCK" -n "$ns" tasks list -q 2>/dev/null); do
			timeout 10 ctr -a "$IB_CTR_SOCK" -n "$ns" tasks delete -f "$c" >/dev/null 2>&1
		done
		for c in $(ctr -a "$IB_CTR_SOCK" -n "$ns" containers list -q 2>/dev/null); do
			ctr -a "$IB_CTR_SOCK" -n "$ns" containers delete "$c" >/dev/null 2>&1
		done
	done
}

# Stop our containerd, its shims, and remove its whole tree.
ctr_stop() { _ib_safe _ctr_stop; }
_ctr_stop() {
	local pid i
	ctr_cleanup_all
	pid=$(cat "$IB_CTR_DIR/containerd.pid" 2>/dev/null)
	if [[ -n "$pid" ]] && pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	_ctr_kill_shims
	# Mounts (snapshots, rootfs, shm) left under our tree.
	_umount_matching "$IB_CTR_DIR"
	# ctr puts containers in /<namespace>/<id> cgroups
	local ns
	for ns in "$IB_CTR_NS" ib-moby ib-plugins; do remove_cgroup_tree "$ns"; done
	if [[ -e "$IB_CTR_DIR/created-run-containerd" ]]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc/* /run/containerd/runc /run/containerd 2>/dev/null
	fi
	[[ -n "$IB_CTR_DIR" && "$IB_CTR_DIR" == /tmp/ib-* ]] && rm -rf "$IB_CTR_DIR" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------------------
# Images

# Build a single-layer OCI image-layout tarball of the busybox rootfs, by hand
# (no registry, no docker): prints its path. Cached in $IB_CACHE.
oci_image_tarball() {
	local name=${1:-ib-busybox:latest} src out
	src=$(rootfs_tarball) || return 1
	out="$IB_CACHE/oci-$(basename "$src" .tar)-${name//[:\/]/_}.tar"
	if [[ -f "$out" ]]; then
		echo "$out"
		return 0
	fi
	local d
	d=$(mktemp -d "$IB_CACHE/oci.XXXXXX")
	mkdir -p "$d/blobs/sha256"
	local layer_sha layer_size cfg cfg_sha cfg_size man man_sha man_size
	gzip -n -c "$src" >"$d/layer.tar.gz"
	local diff_id
	diff_id=$(sha256sum "$src" | cut -d' ' -f1)
	layer_sha=$(sha256sum "$d/layer.tar.gz" | cut -d' ' -f1)
	layer_size=$(stat -c %s "$d/layer.tar.gz")
	mv "$d/layer.tar.gz" "$d/blobs/sha256/$layer_sha"
	cfg=$(jq -cn --arg diff "sha256:$diff_id" '{
		architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created_by: "ironbox tests"}]}')
	printf '%s' "$cfg" >"$d/cfg"
	cfg_sha=$(sha256sum "$d/cfg" | cut -d' ' -f1)
	cfg_size=$(stat -c %s "$d/cfg")
	mv "$d/cfg" "$d/blobs/sha256/$cfg_sha"
	man=$(jq -cn --arg c "sha256:$cfg_sha" --argjson cs "$cfg_size" --arg l "sha256:$layer_sha" --argjson ls "$layer_size" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}')
	printf '%s' "$man" >"$d/man"
	man_sha=$(sha256sum "$d/man" | cut -d' ' -f1)
	man_size=$(stat -c %s "$d/man")
	mv "$d/man" "$d/blobs/sha256/$man_sha"
	jq -cn --arg m "sha256:$man_sha" --argjson ms "$man_size" --arg n "$name" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			annotations: {"io.containerd.image.name": ("docker.io/library/" + $n), "org.opencontainers.image.ref.name": ($n | split(":")[1])},
			platform: {architecture: "amd64", os: "linux"}}]}' >"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out.tmp" oci-layout index.json blobs && mv -f "$out.tmp" "$out"
	rm -rf "$d"
	echo "$out"
}

# Import the busybox image into our containerd as docker.io/library/ib-busybox:latest.
ctr_import_busybox() {
	local tarball
	tarball=$(oci_image_tarball ib-busybox:latest) || return 1
	CTR images import --no-unpack=false "$tarball" >/dev/null 2>&1 || CTR images import "$tarball" >&2
	CTR images list -q | grep -q 'ib-busybox:latest'
}
