#!/usr/bin/python3
"""A tiny Kubernetes CRI client (runtime.v1 over gRPC) for the admin tests.

    cri_client.py SOCKET version
    cri_client.py SOCKET run-pod NAME [--handler H] [--host-network] [--cgroup-parent P]
    cri_client.py SOCKET create POD_ID POD_NAME NAME IMAGE CMD...
    cri_client.py SOCKET start CONTAINER_ID
    cri_client.py SOCKET exec CONTAINER_ID CMD...       (stdout; exit status of CMD)
    cri_client.py SOCKET pod-info POD_ID                (verbose info, JSON)
    cri_client.py SOCKET remove-pod POD_ID

The Python code for tests/lib/cri/api.proto is generated on first use with
grpc_tools (Debian python3-grpc-tools) into $IB_CACHE/cri-py.
"""
import hashlib
import os
import subprocess
import sys

# grpc-tools 1.14's protoc is older than the protobuf runtime: use the pure
# Python implementation, which accepts its generated code.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "cri")
PROTO = os.path.join(PROTO_DIR, "api.proto")


def load_modules():
    with open(PROTO, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    out = os.path.join(os.environ.get("IB_CACHE", "/tmp/ironbox-test-cache"), "cri-py-" + digest)
    if not os.path.exists(os.path.join(out, "api_pb2_grpc.py")):
        os.makedirs(out, exist_ok=True)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", PROTO_DIR,
                        "--python_out=" + out, "--grpc_python_out=" + out, PROTO], check=True)
    sys.path.insert(0, out)
    import api_pb2  # noqa: E402
    import api_pb2_grpc  # noqa: E402
    return api_pb2, api_pb2_grpc


def sandbox_config(pb, name, host_network=False, cgroup_parent=""):
    ns = pb.NamespaceOption(network=pb.NODE if host_network else pb.POD)
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=name + "-uid", namespace="ib-admin"),
        # kubelet gives a host-network pod the node's hostname (runc refuses
        # one without a private UTS namespace)
        hostname="" if host_network else name,
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent,
            security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def main(argv):
    import grpc
    import json
    pb, pbg = load_modules()
    sock, cmd, args = argv[1], argv[2], argv[3:]
    ch = grpc.insecure_channel("unix://" + sock)
    rt = pbg.RuntimeServiceStub(ch)
    try:
        if cmd == "version":
            r = rt.Version(pb.VersionRequest(), timeout=30)
            print(r.runtime_name, r.runtime_version, r.runtime_api_version)
        elif cmd == "run-pod":
            name, handler, hostnet, cgp = args[0], "", False, ""
            i = 1
            while i < len(args):
                if args[i] == "--handler":
                    handler = args[i + 1]
                    i += 2
                elif args[i] == "--host-network":
                    hostnet = True
                    i += 1
                elif args[i] == "--cgroup-parent":
                    cgp = args[i + 1]
                    i += 2
                else:
                    raise SystemExit("bad argument " + args[i])
            r = rt.RunPodSandbox(pb.RunPodSandboxRequest(
                config=sandbox_config(pb, name, hostnet, cgp), runtime_handler=handler), timeout=120)
            print(r.pod_sandbox_id)
        elif cmd == "create":
            pod, pod_name, name, image, command = args[0], args[1], args[2], args[3], args[4:]
            r = rt.CreateContainer(pb.CreateContainerRequest(
                pod_sandbox_id=pod,
                config=pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name),
                                          image=pb.ImageSpec(image=image), command=command),
                sandbox_config=sandbox_config(pb, pod_name)), timeout=120)
            print(r.container_id)
        elif cmd == "start":
            rt.StartContainer(pb.StartContainerRequest(container_id=args[0]), timeout=120)
        elif cmd == "exec":
            r = rt.ExecSync(pb.ExecSyncRequest(container_id=args[0], cmd=args[1:], timeout=60),
                            timeout=90)
            sys.stdout.buffer.write(r.stdout)
            sys.stderr.buffer.write(r.stderr)
            return r.exit_code
        elif cmd == "pod-info":
            r = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=args[0], verbose=True),
                                    timeout=30)
            print(json.dumps(dict(r.info)))
        elif cmd == "remove-pod":
            rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=args[0]), timeout=120)
            rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]), timeout=120)
        else:
            raise SystemExit("unknown command " + cmd)
    except grpc.RpcError as e:
        print("rpc error: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
