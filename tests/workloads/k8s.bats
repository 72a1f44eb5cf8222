#!/usr/bin/env bats
# Workload tier, issue point 6: what a Kubernetes node (kind / k3s style)
# needs from its container. Debian has no kubelet, so the parts are proven
# one by one: an inner containerd with its CRI plugin (driven by the CRI
# client of tests/lib/cri_client.py, as kubelet would, over the inner
# socket), its containers in delegated cgroups, the sysctls kubelet writes
# through the virtual /proc/sys (per container), /lib/modules offered
# read-only by the admin policy, /dev/kmsg readable. What a real kind node
# still needs: tests/workloads/README.md.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/security
load ../lib/admin
load ../lib/workloads

setup_file() { wl_setup_file; }
teardown_file() { wl_teardown_file; }
setup() { wl_setup; }
teardown() { wl_teardown; }

# The image's packaged /etc/containerd/config.toml (CRI on) plus what any
# containerd in a user namespace needs (kind's rootless nodes set it too):
# lowering oom_score_adj (CRI gives sandboxes -998) needs CAP_SYS_RESOURCE in
# the initial user namespace, which no container has.
CTR_CONFIG='version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"'

# A --privileged container running the image's containerd (the config
# above), state on an anonymous volume; the
# busybox image and a pause image (for CRI's sandboxes) imported into the
# k8s.io namespace. Name in $N, the inner CRI socket (reached from the host
# through the container's root) in $SOCK.
ctr_ready() {
	local tar
	N=$(wl_name k)
	D run -d --name "$N" --runtime=ironbox --privileged -v /var/lib/containerd -e "CFG=$CTR_CONFIG" \
		"$WL_IMAGE" sh -c 'printf "%s\n" "$CFG" >/etc/containerd/config.toml && exec containerd' \
		</dev/null >/dev/null 3>&- || return 1
	wl_wait 60 D exec "$N" ctr version || {
		D logs "$N" 2>&1 | tail -20 >&2
		return 1
	}
	tar=$(oci_image_tarball ib-busybox:latest) || return 1
	D exec -i "$N" ctr -n k8s.io images import - <"$tar" >/dev/null || return 1
	tar=$(adm_oci_image ib-pause:latest '["/bin/sleep", "1000000"]') || return 1
	D exec -i "$N" ctr -n k8s.io images import - <"$tar" >/dev/null || return 1
	# containerd 1.6's default sandbox image, without a registry
	IN "$N" ctr -n k8s.io images tag docker.io/library/ib-pause:latest registry.k8s.io/pause:3.6 >/dev/null
	SOCK="/proc/$(docker_pid "$N")/root/run/containerd/containerd.sock"
}

CRI() { /usr/bin/python3 "$IB_LIB/cri_client.py" "$SOCK" "$@"; }

@test "k8s: an inner containerd starts with its CRI plugin" {
	ctr_ready
	run IN "$N" ctr plugins ls
	echo "$output" | grep -E 'cri|overlayfs'
	assert_success
	grep -qE '^io\.containerd\.grpc\.v1 +cri +linux/amd64 +ok' <<<"$output"
	grep -qE '^io\.containerd\.snapshotter\.v1 +overlayfs +linux/amd64 +ok' <<<"$output"
	run CRI version
	echo "$output"
	assert_success
	assert_output_contains "containerd"
}

@test "k8s: the inner containerd's containers get delegated cgroups" {
	local out
	ctr_ready
	# ctr: a task with a memory limit, in its own cgroup below the outer
	# one (ctr's spec mounts no cgroupfs: read it from the outer container)
	run IN "$N" ctr -n k8s.io run -d --memory-limit 67108864 docker.io/library/ib-busybox:latest t1 sleep 1000
	echo "$output"
	assert_success
	run IN "$N" ctr -n k8s.io tasks exec --exec-id e1 t1 cat /proc/self/cgroup
	echo "$output"
	assert_success
	assert_output_contains ":/k8s.io/t1"
	run IN "$N" sh -c 'cat /sys/fs/cgroup/k8s.io/t1/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/k8s.io/t1/memory.limit_in_bytes'
	echo "$output"
	assert_success
	[[ "$output" == 67108864 ]]
	IN "$N" ctr -n k8s.io tasks kill -s KILL t1 >/dev/null 2>&1 || true
	# CRI, as kubelet: a pod (host network: no CNI in the image) and a container
	run CRI run-pod wlpod --host-network --cgroup-parent /kubepods/wlpod
	echo "$output"
	assert_success
	local pod=$output ctr
	run CRI create "$pod" wlpod c1 docker.io/library/ib-busybox:latest sleep 1000
	echo "$output"
	assert_success
	ctr=$output
	run CRI start "$ctr"
	assert_success
	run CRI exec "$ctr" cat /proc/self/cgroup
	echo "$output"
	assert_success
	assert_output_contains ":/k8s.io/$ctr"
	# the sandbox in the cgroup parent kubelet gave it
	local spid
	spid=$(CRI pod-info "$pod" | jq -r '.info | fromjson | .pid')
	run IN "$N" cat "/proc/$spid/cgroup"
	echo "sandbox $spid: $output"
	assert_output_contains ":/kubepods/wlpod/"
	CRI remove-pod "$pod"
}

# The sysctls kubelet sets at start (kubelet's setupKernelTunables) and the
# value each of two containers writes.
KUBELET_SYSCTLS="vm/overcommit_memory:1:1 vm/panic_on_oom:0:0 kernel/panic:10:20 kernel/panic_on_oops:1:1 kernel/keys/root_maxkeys:1000000:1000001 kernel/keys/root_maxbytes:25000000:25000001"

@test "k8s: kubelet's sysctls are writable through the virtual /proc/sys, per container" {
	local a b e k va vb before=() i=0
	for e in $KUBELET_SYSCTLS; do before+=("$(cat "/proc/sys/${e%%:*}")"); done
	a=$(wl_name a)
	b=$(wl_name b)
	D run -d --name "$a" --runtime=ironbox --privileged ib-tools sleep 1000 </dev/null >/dev/null 3>&-
	D run -d --name "$b" --runtime=ironbox --privileged ib-tools sleep 1000 </dev/null >/dev/null 3>&-
	for e in $KUBELET_SYSCTLS; do
		IFS=: read -r k va vb <<<"$e"
		run IN "$a" sh -c "echo $va > /proc/sys/$k && cat /proc/sys/$k"
		echo "A: $k=$va: status $status: $output"
		assert_success
		run IN "$b" sh -c "echo $vb > /proc/sys/$k && cat /proc/sys/$k"
		echo "B: $k=$vb: status $status: $output"
		assert_success
		[[ "$output" == "$vb" ]]
		# A still reads its own value
		run IN "$a" cat "/proc/sys/$k"
		[[ "$output" == "$va" ]]
	done
	D rm -f "$a" "$b" >/dev/null
	# gone with the containers: the host's values are what they were
	for e in $KUBELET_SYSCTLS; do
		k=${e%%:*}
		[[ "$(cat "/proc/sys/$k")" == "${before[i]}" ]] || {
			echo "${before[i]}" >"/proc/sys/$k"
			fail "host $k is $(cat "/proc/sys/$k") after the containers, was ${before[i]}"
		}
		i=$((i + 1))
	done
}

@test "k8s: /dev/kmsg is readable in a --privileged container" {
	local n
	n=$(wl_name m)
	run D run --rm --name "$n" --runtime=ironbox --privileged ib-tools ibprobe open-read /dev/kmsg
	echo "$output"
	assert_success
	[[ "$output" == OK* ]]
}

# /lib/modules: the default policy offers it read-only (readOnlyMounts, an
# admin choice: README "Restricted host mounts"). These hosts have no
# /lib/modules, so the rule is shown on a directory a test policy offers the
# same way, with `ironbox run` itself; through dockerd when the host has it.
@test "k8s: /lib/modules is offered read-only (admin policy readOnlyMounts)" {
	local pol="$BATS_TEST_TMPDIR/policy.json" mods="$BATS_TEST_TMPDIR/host/lib/modules" id
	run "$IRONBOX" --policy "$BATS_TEST_TMPDIR/def.json" policy-init
	assert_success
	jq -e '.readOnlyMounts | index("/lib/modules") and index("/usr/lib/modules")' "$BATS_TEST_TMPDIR/def.json"
	jq -e '.restrictedMounts | index("/lib/modules") | not' "$BATS_TEST_TMPDIR/def.json"
	mkdir -p "$mods/$(uname -r)/kernel"
	echo "kernel/x.ko:" >"$mods/$(uname -r)/modules.dep"
	jq --arg m "$mods" '.readOnlyMounts = [$m]' "$BATS_TEST_TMPDIR/def.json" >"$pol"
	chmod 0644 "$pol"
	setup_bundle b sh -c "cat /lib/modules/$(uname -r)/modules.dep; touch /lib/modules/x && echo WROTE; mount -o remount,rw /lib/modules && echo REMOUNTED; touch /lib/modules/y && echo WROTE2; true"
	# read-write: refused before anything is created
	bundle_jq "$BUNDLE" '.mounts += [{destination: "/lib/modules", type: "bind", source: $m, options: ["rbind"]}]' --arg m "$mods"
	id=$(new_id)
	run IB --policy "$pol" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "can't mount $mods read-write because the admin policy offers it read-only (add :ro)"
	IB delete -f "$id" >/dev/null 2>&1
	# its parent: restricted
	bundle_jq "$BUNDLE" '.mounts[-1].source = $p | .mounts[-1].options = ["rbind", "ro"]' --arg p "$(dirname "$mods")"
	run IB --policy "$pol" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "$output"
	assert_failure
	assert_output_contains "because it's configured as a restricted host mount"
	IB delete -f "$id" >/dev/null 2>&1
	# read-only: readable, and stays read-only for the container's root
	bundle_jq "$BUNDLE" '.mounts[-1].source = $m' --arg m "$mods"
	run IB --policy "$pol" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "$output"
	IB delete -f "$id" >/dev/null 2>&1
	assert_success
	assert_output_contains "kernel/x.ko:"
	assert_output_not_contains "WROTE"
	assert_output_not_contains "REMOUNTED"
	[[ ! -e "$mods/x" && ! -e "$mods/y" ]]
	# control: the same probes on a read-write shared directory do write
	jq --arg m "$mods" '.readOnlyMounts = [] | .allowedMounts += [$m]' "$BATS_TEST_TMPDIR/def.json" >"$pol"
	bundle_jq "$BUNDLE" '.mounts[-1].options = ["rbind"]'
	run IB --policy "$pol" run --bundle "$BUNDLE" "$id" </dev/null 3>&-
	echo "control: $output"
	IB delete -f "$id" >/dev/null 2>&1
	assert_output_contains "WROTE"
	rm -f "$mods/x" "$mods/y"
	if [[ -d /lib/modules ]]; then
		run D run --rm --runtime=ironbox -v /lib/modules:/lib/modules:ro ib-busybox ls /lib/modules
		assert_success
		run D run --rm --runtime=ironbox -v /lib/modules:/lib/modules ib-busybox true
		assert_failure
	fi
}
