#!/usr/bin/env python3
"""Writes the example reports of tests/data/reports/ (FIXTURES: synthetic, hand-chosen numbers, not
measurements) and, with --many N DIR, N synthetic reports for the `compare` speed benchmark.

    python3 tests/data/make_fixtures.py                  # rewrite tests/data/reports/*.json
    python3 tests/data/make_fixtures.py --many 200 DIR   # DIR/r000.json … r199.json
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOTE = "FIXTURE for gpuprobe tests: synthetic numbers, not a measurement"

CHECK_IDS = ["driver", "compat", "devices", "nvml", "arch", "kernel", "memory", "transfer", "cublas", "cudnn",
             "environment"]


def checks(fail=(), warn=()):
    out = []
    for cid in CHECK_IDS:
        status = "fail" if cid in fail else "warn" if cid in warn else "pass"
        out.append({
            "id": cid, "title": cid + " check", "status": status,
            "reason": "missing_library" if status == "fail" and cid in ("cublas", "cudnn") else "",
            "measured": "", "expected": "",
            "message": {"pass": "ok", "warn": "warning (fixture)", "fail": "failed (fixture)"}[status],
            "hint": "use an nvidia/cuda:*-cudnn-* image" if status == "fail" and cid == "cudnn" else "",
            "duration_ms": 1.0, "details": {}})
    return out


def gpu(i, name, cc, mem_gib, sms):
    return {"index": i, "name": name, "uuid": "GPU-fixture-%d" % i, "pci_bus_id": "00000000:%02X:00.0" % (i + 1),
            "compute_capability": cc, "sm_count": sms, "memory_total_bytes": mem_gib << 30,
            "memory_free_bytes": (mem_gib << 30) - (1 << 30), "l2_cache_bytes": 50 << 20,
            "memory_bus_width_bits": 5120, "sm_clock_mhz": 1980, "sm_clock_max_mhz": 1980, "mem_clock_mhz": 2619,
            "mem_clock_max_mhz": 2619, "ecc_enabled": True, "mig_enabled": False, "persistence_mode": True,
            "pcie_gen_current": 5, "pcie_gen_max": 5, "pcie_width_current": 16, "pcie_width_max": 16,
            "temperature_c": 35, "power_w": 80.0, "power_limit_w": 700.0}


def bench(name, params, unit, value, spread, peak=None, status="ok", verified=True):
    b = {"name": name, "params": params, "unit": unit, "value": value,
         "min": round(value * (1 - spread), 4), "max": round(value * (1 + spread), 4), "rel_spread": spread,
         "peak_percent": peak, "verified": verified, "status": status}
    if status != "ok":
        b.update({"value": None, "min": None, "max": None, "rel_spread": None, "peak_percent": None, "verified": None})
    return b


def report(label, instance_type, hostname, gpus, driver="580.65.06", cudnn="9.13.0", cublas="13.0.0",
           fail=(), warn=(), benchmarks=(), libs_missing=()):
    libs = {"libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
            "libnvidia-ml.so.1": "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
            "cublas": "/usr/local/cuda/lib64/libcublas.so.13",
            "cudnn": "/usr/lib/x86_64-linux-gnu/libcudnn.so.9"}
    for l in libs_missing:
        libs[l] = "missing: lib%s.so: cannot open shared object file: No such file or directory" % l
    failed = len(fail)
    return {
        "_fixture": NOTE,
        "schema": "gpuprobe.report/1", "label": label, "created_at": "2026-01-02T03:04:05Z", "command": "bench",
        "verdict": ("FAIL: %d of 11 checks failed (fixture)" % failed) if failed else "PASS: 11 checks passed (fixture)",
        "exit_code": 1 if failed else 0,
        "host": {"hostname": hostname, "os": "Ubuntu 24.04.1 LTS", "kernel": "6.8.0-1019-aws",
                 "cpu_model": "AMD EPYC 7R13 Processor", "cpu_count": 8, "memory_total_bytes": 32 << 30,
                 "container": {"detected": True, "runtime": "docker", "evidence": ["/.dockerenv"]},
                 "ec2": {"detected": bool(instance_type), "instance_type": instance_type,
                         "sys_vendor": "Amazon EC2" if instance_type else "",
                         "product_name": instance_type},
                 "nvidia_env": {"NVIDIA_VISIBLE_DEVICES": "all"}, "device_nodes": ["/dev/nvidia0", "/dev/nvidiactl"]},
        "software": {"gpuprobe_version": "0.1.0", "gpuprobe_revision": "fixture", "cuda_architectures": "75-real,90",
                     "cuda_toolkit": "13.0.88", "driver_version": driver, "cuda_driver_version": 13000,
                     "cuda_runtime_version": 13000, "cublas_version": cublas,
                     "cudnn_version": None if "cudnn" in libs_missing else cudnn, "nvml_version": "13.580.65.06",
                     "libraries": libs},
        "gpus": gpus, "checks": checks(fail, warn), "benchmarks": list(benchmarks)}


MM = {"m": 8192, "n": 8192, "k": 8192}
CP = {"bytes": 1 << 30}


def fixtures():
    f = {}
    f["local"] = report("workstation", "", "dev-box", [gpu(0, "NVIDIA H100 80GB HBM3", "9.0", 80, 132)],
                        driver="570.124.06", cudnn="9.13.0", benchmarks=[
                            bench("matmul/cublas/bf16", MM, "TFLOP/s", 760.0, 0.004, 76.8),
                            bench("copy/d2d", CP, "GB/s", 2950.0, 0.002, 88.1),
                            bench("launch/empty", {}, "us", 2.10, 0.03)])
    f["remote"] = report("p5.48xlarge", "p5.48xlarge", "ip-10-0-0-5", [gpu(0, "NVIDIA H100 80GB HBM3", "9.0", 80, 132)],
                         driver="580.65.06", fail=("cudnn",), libs_missing=("cudnn",), benchmarks=[
                             bench("matmul/cublas/bf16", MM, "TFLOP/s", 702.0, 0.005, 71.0),
                             bench("copy/d2d", CP, "GB/s", 2957.0, 0.003, 88.3),
                             bench("launch/empty", {}, "us", 2.60, 0.04)])
    f["base"] = report("ci-base", "g6.xlarge", "ip-10-0-0-6", [gpu(0, "NVIDIA L4", "8.9", 23, 58)], benchmarks=[
        bench("matmul/cublas/bf16", MM, "TFLOP/s", 100.0, 0.01, 82.6),
        bench("matmul/cublas/fp32", MM, "TFLOP/s", 22.0, 0.01, 72.6),
        bench("copy/d2d", CP, "GB/s", 250.0, 0.005, 83.3)])
    new = copy.deepcopy(f["base"])
    new["label"] = "ci-new"
    new["benchmarks"][0].update(value=93.0, min=92.1, max=93.9, peak_percent=76.9)   # 7 % slower: beyond 5 %
    new["benchmarks"][1].update(value=21.5, min=21.3, max=21.7, peak_percent=71.0)   # 2.3 % slower: within 5 %
    new["benchmarks"][2].update(value=250.8, min=249.5, max=252.0)                    # within noise: same
    f["new"] = new
    f["g4dn"] = report("g4dn.xlarge", "g4dn.xlarge", "ip-10-0-1-4", [gpu(0, "Tesla T4", "7.5", 15, 40)], benchmarks=[
        bench("matmul/cublas/bf16", MM, "TFLOP/s", 40.0, 0.02, None),
        bench("copy/d2d", CP, "GB/s", 240.0, 0.01, 75.0)])
    f["g5"] = report("g5.xlarge", "g5.xlarge", "ip-10-0-1-5", [gpu(0, "NVIDIA A10G", "8.6", 22, 80)], benchmarks=[
        bench("matmul/cublas/bf16", MM, "TFLOP/s", 62.0, 0.01, None),
        bench("copy/d2d", CP, "GB/s", 510.0, 0.01, 85.0)])
    f["g6"] = report("g6.xlarge", "g6.xlarge", "ip-10-0-1-6", [gpu(0, "NVIDIA L4", "8.9", 23, 58)], benchmarks=[
        bench("matmul/cublas/bf16", MM, "TFLOP/s", 100.0, 0.01, 82.6),
        bench("copy/d2d", CP, "GB/s", 250.0, 0.005, 83.3)])
    f["p5"] = report("p5.48xlarge", "p5.48xlarge", "ip-10-0-1-50",
                     [gpu(i, "NVIDIA H100 80GB HBM3", "9.0", 80, 132) for i in range(8)], benchmarks=[
                         bench("matmul/cublas/bf16", MM, "TFLOP/s", 760.0, 0.004, 76.8),
                         bench("copy/d2d", CP, "GB/s", 2950.0, 0.002, 88.1)])
    f["nobench"] = report("nobench", "", "builder", [gpu(0, "NVIDIA L4", "8.9", 23, 58)])
    f["nobench"]["command"] = "check"
    v11 = copy.deepcopy(f["nobench"])
    v11["schema"] = "gpuprobe.report/1.3"
    v11["label"] = "future-minor"
    v11["some_new_field"] = {"added": "in 1.3"}
    f["schema-1.3"] = v11
    v2 = copy.deepcopy(f["nobench"])
    v2["schema"] = "gpuprobe.report/2"
    f["schema-2"] = v2
    return f


def write(path, doc):
    with open(path, "w") as out:
        json.dump(doc, out, indent=2, sort_keys=False, ensure_ascii=False)
        out.write("\n")


def many(n, outdir):
    os.makedirs(outdir, exist_ok=True)
    base = fixtures()["base"]
    for i in range(n):
        r = copy.deepcopy(base)
        r["label"] = "r%03d" % i
        r["host"]["hostname"] = "host-%03d" % i
        for j, b in enumerate(r["benchmarks"]):
            b["value"] = round(b["value"] * (0.9 + 0.2 * ((i * 7 + j * 3) % 11) / 10), 3)
        # 40 more benchmarks per report so that matching has work to do
        for k in range(40):
            r["benchmarks"].append(bench("synthetic/%02d" % k, {"size": 1 << (k % 20)}, "GB/s",
                                         100.0 + (i * 13 + k) % 17, 0.01))
        write(os.path.join(outdir, "r%03d.json" % i), r)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--many":
        many(int(sys.argv[2]), sys.argv[3])
        return
    for name, doc in fixtures().items():
        write(os.path.join(HERE, "reports", name + ".json"), doc)


if __name__ == "__main__":
    main()
