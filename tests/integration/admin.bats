#!/usr/bin/env bats
# The admin stays in control (DESIGN.md behaviour 9): `ironbox install`
# registers and enforces ironbox in the engines' configs, the Docker
# authorization plugin refuses the ways around it, `ironbox audit` reports
# what is not protected, `ironbox uninstall` undoes it all.
#
# Against a private containerd + dockerd started from the configs that
# `ironbox install --root-dir $ADM_ROOT` wrote (tests/lib/admin.bash), with
# the plugin started by the command install prints.

load ../lib/common
load ../lib/containerd
load ../lib/dockerd
load ../lib/admin

setup_file() {
	[[ -x "$IRONBOX" ]] || skip "runtime $IRONBOX not built"
	[[ -x "$(dirname "$IRONBOX")/ironbox-admin" ]] || skip "ironbox-admin not built"
	is_ironbox || skip "ironbox-only"
	adm_stack_stop
	mkdir -p "$ADM_ROOT/etc/docker"
	# The admin's own daemon.json (settings that are not dockerd flags here).
	printf '{\n\t"max-concurrent-downloads": 2,\n\t"labels": ["site=test"]\n}\n' \
		>"$ADM_ROOT/etc/docker/daemon.json"
	# Before enforcement: ironbox registered, not enforced.
	adm_policy false
	adm_install >"$IB_DOCKER_DIR/install-1.log" 2>&1 || {
		cat "$IB_DOCKER_DIR/install-1.log" >&2
		return 1
	}
	adm_stack_start
	docker_import_busybox
	# Containers created before enforcement, under runc.
	D create --name old --runtime=runc ib-busybox true >/dev/null
	D create --name oldrestart --restart=always --runtime=runc ib-busybox true >/dev/null
	D run -d --name oldrun --runtime=runc ib-busybox sleep 100000 >/dev/null 3>&-
	# Enforce: the policy says so, the plugin runs, install again (reloads
	# dockerd).
	adm_policy true
	adm_plugin_start
	adm_install >"$IB_DOCKER_DIR/install-2.log" 2>&1 || {
		cat "$IB_DOCKER_DIR/install-2.log" >&2
		return 1
	}
}

teardown_file() {
	adm_stack_stop
	common_teardown_file
}

setup() {
	[[ "$BATS_TEST_DESCRIPTION" == *"(no daemon)"* ]] && return 0
	dockerd_running || skip "private dockerd not running"
	adm_policy true
	adm_plugin_running || adm_plugin_start
}

teardown() {
	cleanup_tmp_mounts
}

# A command that must fail (`! cmd` does not fail a bats test).
refute() { ! "$@"; }
# docker without stdin and bats' fd 3
d() { D "$@" </dev/null 3>&-; }
# a private ID range: "0 N 65536" with N >= 100000
private_range() { awk 'NR == 1 && $1 == 0 && $2 >= 100000 && $3 == 65536 { ok = 1 } END { exit !ok }' <<<"$1"; }
# the uid_map of the host's root user
host_range() { awk 'NR == 1 && $1 == 0 && $2 == 0 && $3 == 4294967295 { ok = 1 } END { exit !ok }' <<<"$1"; }

# Build context with a Dockerfile from busybox that prints its uid_map.
make_ctx() {
	CTX="$BATS_TEST_TMPDIR/ctx"
	mkdir -p "$CTX"
	printf 'FROM ib-busybox\nRUN cat /proc/self/uid_map\n' >"$CTX/Dockerfile"
}
build_classic() { DOCKER_BUILDKIT=0 timeout -k 10 180 "$IB_DOCKER_BIN" -H "unix://$IB_DOCKER_SOCK" build --no-cache "$@" "$CTX" </dev/null 3>&-; }
build_kit() { DOCKER_BUILDKIT=1 timeout -k 10 180 "$IB_DOCKER_BIN" -H "unix://$IB_DOCKER_SOCK" build --progress=plain --no-cache "$@" "$CTX" </dev/null 3>&-; }
# A build request straight to the API (the docker CLI of Docker 20.10 can
# hang when a BuildKit build is refused before its session is used).
build_api() {
	tar -C "$CTX" -cf "$CTX.tar" Dockerfile
	curl -s --max-time 60 --unix-socket "$IB_DOCKER_SOCK" -H 'Content-Type: application/x-tar' \
		--data-binary "@$CTX.tar" "http://d/v1.41/build?$1"
}

@test "install registers ironbox, enforces it and reloads the running dockerd" {
	run d info --format '{{.DefaultRuntime}}'
	assert_success
	[[ "$output" == ironbox ]]
	run d info --format '{{json .Runtimes}}'
	jq -e --arg p "$ADM_BIN" '.ironbox.path == $p' <<<"$output"
	grep -q 'reloaded dockerd' "$IB_DOCKER_DIR/install-2.log"
	# The admin's settings are still there, ironbox's are added.
	jq -e '."max-concurrent-downloads" == 2 and .labels == ["site=test"] and
		."default-runtime" == "ironbox" and ."authorization-plugins" == ["ironbox-authz"] and
		.builder.entitlements."network-host" == false and
		.builder.entitlements."security-insecure" == false' "$ADM_ROOT/etc/docker/daemon.json"
	# The plugin answers dockerd.
	grep -q 'activated by pid' "$ADM_PLUGIN_LOG"
}

@test "docker run with no --runtime runs under ironbox (and --userns=host changes nothing)" {
	run d run --rm ib-busybox cat /proc/self/uid_map
	assert_success
	private_range "$output"
	run d run --rm --userns=host ib-busybox cat /proc/self/uid_map
	assert_success
	private_range "$output"
	run d run --rm --runtime=ironbox ib-busybox cat /proc/self/uid_map
	assert_success
	private_range "$output"
}

@test "docker run --runtime=runc is refused by the plugin (and runs when not enforced)" {
	run d run --rm --runtime=runc ib-busybox cat /proc/self/uid_map
	assert_failure
	assert_output_contains 'docker: Error response from daemon: authorization denied by plugin ironbox-authz: runtime "runc" is not allowed'
	assert_output_contains "admin policy $ADM_POLICY"
	run d create --runtime=io.containerd.runc.v2 ib-busybox true
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz'
	# Negative control: the same run without enforcement is host root.
	adm_policy false
	run d run --rm --runtime=runc ib-busybox cat /proc/self/uid_map
	adm_policy true
	assert_success
	host_range "$output"
}

@test "create requests whose body the plugin can't see are refused" {
	local req='{"Image":"ib-busybox","HostConfig":{"Runtime":"runc"}}' big="$BATS_TEST_TMPDIR/big.json"
	# dockerd forwards no body without a JSON Content-Type ...
	run curl -s --unix-socket "$IB_DOCKER_SOCK" -H 'Content-Type:' -d "$req" http://d/v1.41/containers/create
	assert_output_contains 'authorization denied by plugin ironbox-authz: the body of this container create request was not passed to the plugin'
	# ... nor one of 1 MiB or more.
	jq -n '{Image: "ib-busybox", Labels: {pad: ("x" * 1100000)}, HostConfig: {Runtime: "runc"}}' >"$big"
	run curl -s --unix-socket "$IB_DOCKER_SOCK" -H 'Content-Type: application/json' --data-binary "@$big" http://d/v1.41/containers/create
	assert_output_contains 'was not passed to the plugin'
	# Go's JSON decoder matches field names case-insensitively.
	run curl -s --unix-socket "$IB_DOCKER_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"ib-busybox","hostconfig":{"RUNTIME":"runc"}}' http://d/v1.41/containers/create
	assert_output_contains 'runtime \"runc\" is not allowed'
	# Negative control: without enforcement the body the plugin can't see
	# creates a runc container. (This dockerd itself refuses a body without
	# Content-Type.)
	adm_policy false
	run curl -s --unix-socket "$IB_DOCKER_SOCK" -H 'Content-Type: application/json' --data-binary "@$big" http://d/v1.41/containers/create?name=hidden
	adm_policy true
	assert_output_contains '"Id"'
	[[ "$(d inspect -f '{{.HostConfig.Runtime}}' hidden)" == runc ]]
	d rm -f hidden >/dev/null
}

@test "containers created before enforcement can't be started, entered or renamed" {
	run d start old
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz: can'"'"'t start "old": container old'
	assert_output_contains 'runs under runtime "runc", not ironbox; it was created before ironbox was enforced'
	run d exec oldrun true
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz'
	run d restart -t 0 oldrun
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz'
	run d rename old renamed
	assert_failure
	# By ID prefix too.
	local id
	id=$(d inspect -f '{{.Id}}' old)
	run d start "${id:0:6}"
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz'
	# An ironbox container is started, exec'd and restarted normally.
	d run -d --name fresh ib-busybox sleep 100000 >/dev/null
	run d exec fresh cat /proc/self/uid_map
	assert_success
	private_range "$output"
	run d restart -t 0 fresh
	assert_success
	d rm -f fresh >/dev/null
}

@test "ironbox audit lists the containers not under ironbox, exit status 1, then 0" {
	run "$ADM_BIN" audit --docker-host "unix://$IB_DOCKER_SOCK" --containerd none
	[[ "$status" -eq 1 ]]
	assert_output_contains 'docker'
	assert_output_contains ' old '
	assert_output_contains ' oldrun '
	assert_output_contains ' oldrestart '
	assert_output_contains 'restart policy "always": dockerd starts it itself'
	assert_output_contains '3 containers do not run under ironbox'
	assert_output_contains 'docker rm -f NAME'
	# An ironbox container is not listed.
	d create --name protected ib-busybox true >/dev/null
	run "$ADM_BIN" audit --docker-host "unix://$IB_DOCKER_SOCK" --containerd none --quiet
	[[ "$status" -eq 1 ]]
	[[ "${#lines[@]}" -eq 3 ]]
	[[ "$output" != *"$(d inspect -f '{{.Id}}' protected)"* ]]
	# The containerd view of the same engine adds nothing (same IDs).
	run "$ADM_BIN" audit --docker-host "unix://$IB_DOCKER_SOCK" --containerd "$IB_CTR_SOCK" --quiet
	[[ "${#lines[@]}" -eq 3 ]]
	# Removing them is allowed; then nothing is unprotected.
	d rm -f old oldrun oldrestart >/dev/null
	run "$ADM_BIN" audit --docker-host "unix://$IB_DOCKER_SOCK" --containerd none
	assert_success
	assert_output_contains 'every container runs under ironbox'
	d rm -f protected >/dev/null
}

@test "ironbox audit: containerd containers run with runc are listed" {
	ctr_import_busybox
	CTR run --runc-binary /usr/sbin/runc --runc-root "$IB_CTR_DIR/runc-root" \
		--fifo-dir "$IB_CTR_DIR/fifo" docker.io/library/ib-busybox:latest ctr-runc true </dev/null 3>&-
	CTR run --runc-binary "$ADM_BIN" --runc-root "$IB_CTR_DIR/runc-root" \
		--fifo-dir "$IB_CTR_DIR/fifo" docker.io/library/ib-busybox:latest ctr-ib true </dev/null 3>&-
	run "$ADM_BIN" audit --docker-host none --containerd "$IB_CTR_SOCK"
	CTR containers rm ctr-runc ctr-ib >/dev/null 2>&1
	[[ "$status" -eq 1 ]]
	assert_output_contains "$IB_CTR_NS/ctr-runc"
	assert_output_contains '/usr/sbin/runc'
	assert_output_not_contains 'ctr-ib'
	assert_output_contains 'ctr run --runc-binary'
}

@test "docker build --network=host is refused (classic builder and BuildKit)" {
	make_ctx
	run build_classic --network=host
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz: docker build --network=host is not allowed'
	run build_api 'version=2&networkmode=host&session=x&remote=client-session'
	assert_output_contains 'authorization denied by plugin ironbox-authz: docker build --network=host is not allowed'
}

@test "build containers run under ironbox: classic builder and BuildKit" {
	make_ctx
	run build_classic -t ib-admin-classic
	assert_success
	private_range "$(grep -E '^ +0 +[0-9]+ +65536$' <<<"$output")"
	# BuildKit's default network is the "bridge" this dockerd doesn't have.
	run build_kit --network=none -t ib-admin-kit
	assert_success
	private_range "$(grep -oE '0 +[0-9]+ +65536$' <<<"$output" | head -1)"
	d rmi ib-admin-classic ib-admin-kit >/dev/null 2>&1 || true
}

@test "BuildKit builds are refused when dockerd's runc is not ironbox (and run as host root otherwise)" {
	make_ctx
	ADM_NO_BUILDKIT_PATH=1 adm_dockerd_restart
	run build_api 'version=2&networkmode=none&session=x&remote=client-session'
	local out=$output
	# Negative control: without enforcement BuildKit runs real runc.
	adm_policy false
	run build_kit --network=none
	adm_policy true
	local ctl=$output
	adm_dockerd_restart
	grep -qF "authorization denied by plugin ironbox-authz: docker build: BuildKit's executor would not run ironbox (runc in dockerd's PATH is" <<<"$out"
	host_range "$(grep -oE '0 +0 +4294967295$' <<<"$ctl" | head -1)"
}

@test "with the plugin out of the way, dockerd and ironbox still refuse host networking in builds" {
	make_ctx
	# The BuildKit entitlements install turned off apply from a restart.
	adm_dockerd_restart
	adm_policy false
	run build_kit --network=host
	local kit=$output
	run build_classic --network=host
	local classic=$output
	adm_policy true
	grep -qF 'granting entitlement network.host is not allowed by build daemon configuration' <<<"$kit"
	grep -qF "containers can't share a network namespace with the host" <<<"$classic"
}

@test "the plugin's socket and the engine configs can't be bind-mounted" {
	run d run --rm -v /run/docker/plugins:/x ib-busybox true
	assert_failure
	assert_output_contains "can't mount /run/docker/plugins because it's configured as a restricted host mount"
	run d run --rm -v /etc/docker:/x ib-busybox true
	assert_failure
	assert_output_contains 'restricted host mount'
	run d run --rm -v /etc/containerd/config.toml:/x ib-busybox true
	assert_failure
	assert_output_contains 'restricted host mount'
}

@test "the plugin refuses malformed, huge and unparsable requests and keeps serving" {
	local big="$BATS_TEST_TMPDIR/big"
	run curl -s --unix-socket "$ADM_SOCK" -X POST http://p/Plugin.Activate
	[[ "$output" == '{"Implements":["authz"]}' ]]
	run curl -s --unix-socket "$ADM_SOCK" -X POST -d 'garbage' http://p/AuthZPlugin.AuthZReq
	jq -e '.Allow == false and (.Msg | test("malformed AuthZReq"))' <<<"$output"
	run curl -s --unix-socket "$ADM_SOCK" -X POST -d '{"RequestMethod":"POST"}' http://p/AuthZPlugin.AuthZReq
	jq -e '.Allow == false' <<<"$output"
	run curl -s --unix-socket "$ADM_SOCK" -X POST \
		-d '{"RequestMethod":"POST","RequestUri":"/v1.41/containers/create","RequestBody":"!!"}' \
		http://p/AuthZPlugin.AuthZReq
	jq -e '.Allow == false' <<<"$output"
	head -c 10000000 /dev/zero | tr '\0' a >"$big"
	run curl -s --unix-socket "$ADM_SOCK" -X POST --data-binary "@$big" http://p/AuthZPlugin.AuthZReq
	jq -e '.Allow == false and (.Msg | test("larger than"))' <<<"$output"
	# Deeply nested create body.
	local deep
	deep=$(printf '{"a":%s' "$(printf '[%.0s' {1..5000})" | base64 -w0)
	run curl -s --unix-socket "$ADM_SOCK" -X POST \
		-d "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\",\"RequestBody\":\"$deep\"}" \
		http://p/AuthZPlugin.AuthZReq
	jq -e '.Allow == false' <<<"$output"
	# Many connections at once.
	local i
	for ((i = 0; i < 40; i++)); do
		bg_start curl -s -o /dev/null --unix-socket "$ADM_SOCK" -X POST -d x http://p/AuthZPlugin.AuthZReq
	done
	bg_wait
	# Still up, still deciding.
	adm_plugin_running
	run d run --rm ib-busybox true
	assert_success
	run d run --rm --runtime=runc ib-busybox true
	assert_failure
}

@test "an unreadable or invalid policy: every request is refused" {
	chmod 0666 "$ADM_POLICY"
	run d ps
	chmod 0644 "$ADM_POLICY"
	assert_failure
	assert_output_contains 'authorization denied by plugin ironbox-authz: the admin policy can'"'"'t be read'
	echo '{"enforce": fals' >"$ADM_POLICY"
	run d ps
	assert_failure
	assert_output_contains 'invalid JSON'
	adm_policy true
	run d ps
	assert_success
}

@test "a dead plugin: the engine refuses every request until it is back" {
	local dead=0 ps=0 out
	adm_plugin_stop
	# (not `run`: docker exits 127 when the error mentions "no such file")
	out=$(d run --rm ib-busybox true 2>&1) || dead=$?
	d ps >/dev/null 2>&1 || ps=$?
	adm_plugin_start
	[[ "$dead" -ne 0 && "$ps" -ne 0 ]]
	grep -qF 'plugin ironbox-authz failed with error' <<<"$out"
	run d run --rm ib-busybox true
	assert_success
}

# ---------------------------------------------------------------------------
# install / uninstall on copies of real configs (no daemon)

# A root with Debian's containerd config.toml, Podman's containers.conf and a
# daemon.json with the admin's settings; pristine copy in $1.orig.
make_real_root() {
	local r=$1
	mkdir -p "$r/etc/docker" "$r/etc/containerd" "$r/etc/containers"
	cat >"$r/etc/docker/daemon.json" <<-'EOF'
		{
		    "log-level": "info",
		    "runtimes": { "crun": { "path": "/usr/bin/crun" } },
		    "authorization-plugins": ["site-authz"],
		    "default-runtime": "crun",
		    "registry-mirrors": ["https://mirror.example"]
		}
	EOF
	if [[ -f /etc/containerd/config.toml ]]; then
		cp /etc/containerd/config.toml "$r/etc/containerd/config.toml"
	else
		printf 'version = 2\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n' >"$r/etc/containerd/config.toml"
	fi
	if [[ -f /usr/share/containers/containers.conf ]]; then
		cp /usr/share/containers/containers.conf "$r/etc/containers/containers.conf"
	else
		printf '[engine]\nruntime = "crun"\n#volume_plugin_timeout = 5\n\n[engine.runtimes]\n' >"$r/etc/containers/containers.conf"
	fi
	# An unrelated setting of the admin's.
	sed -i 's/^#volume_plugin_timeout = 5$/volume_plugin_timeout = 7/' "$r/etc/containers/containers.conf"
	cp -a "$r" "$r.orig"
}

inst() { "$IRONBOX" install --root-dir "$1" --containerd --podman --docker --no-systemd --no-reload "${@:2}"; }

@test "install then uninstall on copies of real configs: byte-identical (no daemon)" {
	local r="$BATS_TEST_TMPDIR/real"
	make_real_root "$r"
	run inst "$r"
	assert_success
	# Every config changed, the admin's settings kept.
	refute cmp -s "$r/etc/docker/daemon.json" "$r.orig/etc/docker/daemon.json"
	jq -e '."log-level" == "info" and .runtimes.crun.path == "/usr/bin/crun" and
		."authorization-plugins" == ["site-authz", "ironbox-authz"] and
		."default-runtime" == "ironbox" and .runtimes.ironbox.path != null and
		."registry-mirrors" == ["https://mirror.example"]' "$r/etc/docker/daemon.json"
	python3 - "$r" <<-'EOF'
		import sys, tomllib
		r = sys.argv[1]
		c = tomllib.load(open(r + "/etc/containerd/config.toml", "rb"))
		cri = c["plugins"]["io.containerd.grpc.v1.cri"]
		assert cri["containerd"]["default_runtime_name"] == "ironbox"
		h = cri["containerd"]["runtimes"]["ironbox"]
		assert h["runtime_type"] == "io.containerd.runc.v2"
		assert h["options"]["BinaryName"] == r + "/usr/local/bin/ironbox"
		assert cri["cni"]["bin_dir"] == "/usr/lib/cni"
		p = tomllib.load(open(r + "/etc/containers/containers.conf", "rb"))
		assert p["engine"]["runtime"] == "ironbox"
		assert p["engine"]["runtimes"]["ironbox"] == [r + "/usr/local/bin/ironbox"]
		assert p["engine"]["volume_plugin_timeout"] == 7
	EOF
	[[ -f "$r/usr/local/share/ironbox/kubernetes/runtimeclass.yaml" ]]
	[[ -f "$r/usr/local/share/man/man8/ironbox.8" ]]
	[[ "$(readlink "$r/usr/local/libexec/ironbox/buildkit/runc")" == "$r/usr/local/bin/ironbox" ]]
	run "$IRONBOX" uninstall --root-dir "$r" --no-reload
	assert_success
	diff -r "$r.orig" "$r"
	# Nothing left behind, not even empty directories.
	[[ "$(cd "$r" && find . | sort)" == "$(cd "$r.orig" && find . | sort)" ]]
}

@test "install twice changes nothing; --dry-run shows the diff and changes nothing (no daemon)" {
	local r="$BATS_TEST_TMPDIR/twice" before after
	make_real_root "$r"
	run inst "$r" --dry-run
	assert_success
	assert_output_contains 'would update'
	assert_output_contains '+  "default-runtime": "ironbox"'
	assert_output_contains "+runtime = \"ironbox\" # ironbox-managed"
	assert_output_contains '+[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ironbox]'
	diff -r "$r.orig" "$r"
	inst "$r" >/dev/null
	before=$(cd "$r" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . | sort; stat -c '%n %i %Y' etc/docker/daemon.json)
	run inst "$r"
	assert_success
	assert_output_not_contains 'updated'
	assert_output_not_contains 'created'
	after=$(cd "$r" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . | sort; stat -c '%n %i %Y' etc/docker/daemon.json)
	[[ "$before" == "$after" ]]
	run "$IRONBOX" uninstall --root-dir "$r" --no-reload --dry-run
	assert_success
	assert_output_contains 'would remove'
	run "$IRONBOX" uninstall --root-dir "$r" --no-reload
	assert_success
	run "$IRONBOX" uninstall --root-dir "$r" --no-reload
	assert_success
	assert_output_contains 'nothing to do'
	diff -r "$r.orig" "$r"
}

@test "uninstall after the admin edited the configs removes only ironbox's settings (no daemon)" {
	local r="$BATS_TEST_TMPDIR/edited"
	make_real_root "$r"
	inst "$r" >/dev/null
	jq '.debug = true' "$r/etc/docker/daemon.json" >"$r/x" && mv "$r/x" "$r/etc/docker/daemon.json"
	echo '# added by the admin after install' >>"$r/etc/containers/containers.conf"
	echo 'extra = 1' >>"$r/etc/containerd/config.toml"
	run "$IRONBOX" uninstall --root-dir "$r" --no-reload
	assert_success
	assert_output_contains 'changed since install'
	jq -e '.debug == true and ."default-runtime" == "crun" and
		."authorization-plugins" == ["site-authz"] and .runtimes.ironbox == null and
		.builder == null' "$r/etc/docker/daemon.json"
	# TOML: exactly the original plus the admin's line.
	diff <(cat "$r.orig/etc/containers/containers.conf"; echo '# added by the admin after install') \
		"$r/etc/containers/containers.conf"
	refute grep -q ironbox "$r/etc/containerd/config.toml"
	grep -q '^extra = 1$' "$r/etc/containerd/config.toml"
}

@test "install: policy without enforcement registers only; enforcement added and removed by re-running install (no daemon)" {
	local r="$BATS_TEST_TMPDIR/toggle"
	make_real_root "$r"
	mkdir -p "$r/etc/ironbox"
	echo '{"enforce": false}' >"$r/etc/ironbox/policy.json"
	inst "$r" >/dev/null
	jq -e '."default-runtime" == "crun" and ."authorization-plugins" == ["site-authz"] and
		.runtimes.ironbox.path != null' "$r/etc/docker/daemon.json"
	refute grep -q default_runtime_name "$r/etc/containerd/config.toml"
	echo '{"enforce": true}' >"$r/etc/ironbox/policy.json"
	inst "$r" >/dev/null
	jq -e '."default-runtime" == "ironbox"' "$r/etc/docker/daemon.json"
	grep -q 'default_runtime_name = "ironbox"' "$r/etc/containerd/config.toml"
	echo '{"enforce": false}' >"$r/etc/ironbox/policy.json"
	inst "$r" >/dev/null
	jq -e '."default-runtime" == "crun"' "$r/etc/docker/daemon.json"
	"$IRONBOX" uninstall --root-dir "$r" --no-reload >/dev/null
	# The admin's own policy file stays.
	rm "$r/etc/ironbox/policy.json"
	rmdir "$r/etc/ironbox"
	diff -r "$r.orig" "$r"
}

@test "install with systemd writes the plugin unit and the docker drop-in (no daemon)" {
	local r="$BATS_TEST_TMPDIR/sd"
	make_real_root "$r"
	run inst "$r" --systemd
	assert_success
	grep -qx "ExecStart=$r/usr/local/bin/ironbox authz-plugin --socket $r/run/docker/plugins/ironbox-authz.sock --policy $r/etc/ironbox/policy.json --docker-host unix://$r/run/docker.sock" \
		"$r/etc/systemd/system/ironbox-authz.service"
	grep -qx 'Before=docker.service' "$r/etc/systemd/system/ironbox-authz.service"
	grep -qx 'Requires=ironbox-authz.service' "$r/etc/systemd/system/docker.service.d/ironbox.conf"
	grep -q "^Environment=\"PATH=$r/usr/local/libexec/ironbox/buildkit:" "$r/etc/systemd/system/docker.service.d/ironbox.conf"
	assert_output_contains 'systemctl enable --now ironbox-authz.service'
	"$IRONBOX" uninstall --root-dir "$r" --no-reload >/dev/null
	diff -r "$r.orig" "$r"
}

@test "containerd loads the merged config.toml (no daemon)" {
	command -v containerd >/dev/null || skip "containerd not installed"
	local r="$BATS_TEST_TMPDIR/ctd"
	make_real_root "$r"
	inst "$r" >/dev/null
	run containerd --config "$r/etc/containerd/config.toml" config dump
	assert_success
	assert_output_contains "default_runtime_name = \"ironbox\""
	assert_output_contains "BinaryName = \"$r/usr/local/bin/ironbox\""
	"$IRONBOX" uninstall --root-dir "$r" --no-reload >/dev/null
	diff -r "$r.orig" "$r"
}

@test "podman runs under ironbox from the merged containers.conf, audit lists its other containers" {
	command -v podman >/dev/null || skip "podman not installed"
	load ../lib/podman
	local r="$BATS_TEST_TMPDIR/podman" args
	make_real_root "$r"
	inst "$r" >/dev/null
	podman_setup
	args=(--root "$IB_PODMAN_DIR/root" --runroot "$IB_PODMAN_DIR/runroot" --tmpdir "$IB_PODMAN_DIR/tmp"
		--network-config-dir "$IB_PODMAN_DIR/net" --volumepath "$IB_PODMAN_DIR/volumes"
		--storage-driver overlay --cgroup-manager cgroupfs --events-backend file)
	# No --runtime: containers.conf (as ironbox install merged it) decides.
	run env CONTAINERS_CONF="$r/etc/containers/containers.conf" podman "${args[@]}" run --rm \
		--cgroup-parent /ib-podman --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		ib-busybox cat /proc/self/uid_map </dev/null 3>&-
	local runs=$status out=$output
	# A container of another runtime is reported.
	CONTAINERS_CONF="$r/etc/containers/containers.conf" podman "${args[@]}" create --runtime crun \
		--name ib-admin-crun --network none ib-busybox true >/dev/null </dev/null 3>&-
	local pa=()
	for a in "${args[@]}"; do pa+=(--podman-arg "$a"); done
	run "$ADM_BIN" audit --docker-host none --containerd none --podman podman "${pa[@]}"
	local audit=$status aout=$output
	podman "${args[@]}" rm -f ib-admin-crun >/dev/null 2>&1 </dev/null 3>&-
	podman_teardown
	[[ "$runs" -eq 0 ]] || { echo "$out" >&2; false; }
	private_range "$out"
	[[ "$audit" -eq 1 ]]
	grep -q 'podman .*ib-admin-crun .*crun' <<<"$aout"
}
