#!/usr/bin/env bats
# The Kubernetes path of `ironbox install`: containerd's CRI plugin with the
# runtime handler "ironbox" (and ironbox as the default CRI runtime) that
# install merged into the admin's config.toml, driven through the CRI
# (runtime.v1 gRPC, tests/lib/cri_client.py) the way kubelet drives it.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/admin

setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	is_ironbox || skip "ironbox-only"
	k8s_stop
	mkdir -p "$K8S_DIR"
	_k8s_base_config
	cp "$K8S_ROOT/etc/containerd/config.toml" "$K8S_DIR/config.toml.orig"
	"$IRONBOX" install --root-dir "$K8S_ROOT" --containerd --no-docker --no-podman \
		--no-systemd >"$K8S_DIR/install.log" 2>&1 || {
		cat "$K8S_DIR/install.log" >&2
		return 1
	}
	k8s_start
	KCTR images import "$(oci_image_tarball ib-busybox:latest)" >/dev/null
	KCTR images import "$(adm_oci_image ib-pause:latest '["/bin/sleep", "1000000"]')" >/dev/null
	: >"$K8S_DIR/pods"
}

teardown_file() {
	k8s_stop
	common_teardown_file
}

setup() {
	k8s_running || skip "CRI containerd not running"
}

# run-pod NAME [args]: sets POD (recorded for cleanup)
run_pod() {
	POD=$(CRI run-pod "$@" --cgroup-parent "/$K8S_CG") || return 1
	echo "$POD" >>"$K8S_DIR/pods"
}

private_range() { awk 'NR == 1 && $1 == 0 && $2 >= 100000 && $3 == 65536 { ok = 1 } END { exit !ok }' <<<"$1"; }
host_range() { awk 'NR == 1 && $1 == 0 && $2 == 0 && $3 == 4294967295 { ok = 1 } END { exit !ok }' <<<"$1"; }
# The host pid of a pod's sandbox (pause) process.
sandbox_pid() { CRI pod-info "$1" | jq -r '.info | fromjson | .pid'; }

@test "install merged the CRI runtime handler into the admin's config.toml and containerd loads it" {
	run CRI version
	assert_success
	assert_output_contains 'containerd'
	run containerd --config "$K8S_ROOT/etc/containerd/config.toml" config dump
	assert_success
	assert_output_contains 'default_runtime_name = "ironbox"'
	assert_output_contains "BinaryName = \"$K8S_ROOT/usr/local/bin/ironbox\""
	# Merged into the admin's own ironbox options table, which keeps its Root.
	grep -A2 -F '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ironbox.options]' \
		"$K8S_ROOT/etc/containerd/config.toml" | grep -q "^ *BinaryName = .* # ironbox-managed$"
	grep -q '^handler: ironbox$' "$K8S_ROOT/usr/local/share/ironbox/kubernetes/runtimeclass.yaml"
}

@test "a pod with runtimeClassName ironbox (handler ironbox) runs under ironbox, sandbox and container" {
	run_pod kpod-ib --handler ironbox
	local cid pid
	cid=$(CRI create "$POD" kpod-ib app docker.io/library/ib-busybox:latest sleep 100000)
	CRI start "$cid"
	run CRI exec "$cid" cat /proc/self/uid_map
	assert_success
	private_range "$output"
	local app=$output
	pid=$(sandbox_pid "$POD")
	[[ "$pid" -gt 1 ]]
	private_range "$(cat "/proc/$pid/uid_map")"
	# The containers of a pod share its network namespace, so its user
	# namespace and range.
	[[ "$(awk '{print $2}' <<<"$app")" == "$(awk '{print $2}' "/proc/$pid/uid_map")" ]]
}

@test "a pod with no runtimeClassName runs under ironbox (the default CRI runtime)" {
	run_pod kpod-default
	local cid
	cid=$(CRI create "$POD" kpod-default app docker.io/library/ib-busybox:latest sleep 100000)
	CRI start "$cid"
	run CRI exec "$cid" cat /proc/self/uid_map
	assert_success
	private_range "$output"
}

@test "a pod on the host network is refused by ironbox" {
	run CRI run-pod kpod-hostnet --handler ironbox --host-network --cgroup-parent "/$K8S_CG"
	assert_failure
	assert_output_contains "containers can't share namespaces [a network namespace, uts] with the host"
}

@test "negative control: a pod asking for the runc handler runs as host root, and audit reports it" {
	run_pod kpod-runc --handler runc
	local cid
	cid=$(CRI create "$POD" kpod-runc app docker.io/library/ib-busybox:latest sleep 100000)
	CRI start "$cid"
	run CRI exec "$cid" cat /proc/self/uid_map
	assert_success
	host_range "$output"
	run "$K8S_ROOT/usr/local/bin/ironbox" audit --docker-host none --containerd "$K8S_SOCK"
	[[ "$status" -eq 1 ]]
	assert_output_contains "k8s.io/$cid"
	assert_output_contains "k8s.io/$POD"
	# The ironbox pods of the earlier tests are not listed.
	[[ "$(grep -c '^containerd ' <<<"$output")" -eq 2 ]]
}

@test "uninstall gives the admin's config.toml back byte for byte" {
	# Pods first: their shims need the runtime binary uninstall removes.
	local pod
	while read -r pod; do
		CRI remove-pod "$pod"
	done <"$K8S_DIR/pods"
	: >"$K8S_DIR/pods"
	run "$IRONBOX" uninstall --root-dir "$K8S_ROOT" --no-reload
	assert_success
	cmp "$K8S_DIR/config.toml.orig" "$K8S_ROOT/etc/containerd/config.toml"
	[[ ! -e "$K8S_ROOT/usr/local/bin/ironbox" ]]
}
