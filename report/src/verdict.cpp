#include "gpuprobe/report/verdict.hpp"

#include <cstdio>
#include <sstream>

namespace gpuprobe {

bool is_no_gpu_reason(const std::string& reason) {
  return reason == "no_driver" || reason == "no_device" || reason == "driver_stub" ||
         reason == "kernel_module_missing" || reason == "device_nodes_missing" || reason == "capabilities_no_compute" ||
         reason == "device_access_revoked" || reason == "device_access_denied" || reason == "device_nodes_unbacked";
}

namespace {
std::string join_ids(const std::vector<const CheckResult*>& cs) {
  std::string out;
  for (const auto* c : cs) {
    if (!out.empty()) out += ", ";
    out += c->id;
  }
  return out;
}
}  // namespace

Verdict compute_verdict(const std::vector<CheckResult>& checks, bool strict) {
  Verdict v;
  std::vector<const CheckResult*> failed, warned, hung;
  const CheckResult* no_gpu = nullptr;
  const CheckResult* skipped_no_gpu = nullptr;  // a check that could not run for want of a GPU
  for (const auto& c : checks) {
    switch (c.status) {
      case Status::pass: ++v.passed; break;
      case Status::warn: ++v.warned; warned.push_back(&c); break;
      case Status::fail: ++v.failed; failed.push_back(&c); break;
      case Status::skip: ++v.skipped; break;
    }
    if (c.reason == "timeout") hung.push_back(&c);
    if (c.status == Status::fail && !no_gpu && is_no_gpu_reason(c.reason)) no_gpu = &c;
    if (c.status == Status::skip && !skipped_no_gpu && c.reason == kNoGpuSkipReason) skipped_no_gpu = &c;
  }
  std::ostringstream counts;
  counts << v.passed << " passed, " << v.warned << " warned, " << v.failed << " failed, " << v.skipped
         << " skipped";
  std::ostringstream line;
  if (!hung.empty()) {
    v.exit_code = kExitHung;
    line << "HUNG: " << join_ids(hung) << " did not finish within its time bound (" << counts.str() << ")";
  } else if (no_gpu) {
    v.exit_code = kExitNoGpu;
    line << "NO GPU: " << no_gpu->message << " (" << counts.str() << ")";
  } else if (!failed.empty()) {
    v.exit_code = kExitCheckFailed;
    line << "FAIL: " << join_ids(failed) << " (" << counts.str() << ")";
  } else if (skipped_no_gpu) {
    // Checks were asked for (--only cublas, --skip driver...) that need a GPU, and there is none:
    // the run says so, as it would had the driver check run.
    v.exit_code = kExitNoGpu;
    line << "NO GPU: " << skipped_no_gpu->id << ": " << skipped_no_gpu->message << " (" << counts.str() << ")";
  } else if (strict && !warned.empty()) {
    v.exit_code = kExitCheckFailed;
    line << "FAIL (--strict): warnings in " << join_ids(warned) << " (" << counts.str() << ")";
  } else if (v.passed + v.warned == 0) {
    // Nothing ran (everything skipped or filtered out): not a pass a CI should trust.
    v.exit_code = kExitCheckFailed;
    line << "FAIL: no check ran (" << counts.str() << ")";
  } else {
    v.exit_code = kExitOk;
    line << (warned.empty() ? "PASS: " : "PASS with warnings (" + join_ids(warned) + "): ") << counts.str();
  }
  v.line = line.str();
  return v;
}

Verdict benchmarks_verdict(const std::vector<Benchmark>& entries) {
  Verdict v;
  std::string failed_names;
  for (const auto& e : entries) {
    if (e.status == BenchStatus::failed) {
      ++v.failed;
      if (v.failed <= 3) failed_names += (failed_names.empty() ? "" : ", ") + (e.name.empty() ? "?" : e.name);
    } else if (e.status == BenchStatus::skipped) {
      ++v.skipped;
    } else {
      ++v.passed;
    }
  }
  const int total = v.passed + v.failed + v.skipped;
  char buf[512];
  if (v.failed) {
    v.exit_code = kExitCheckFailed;
    std::snprintf(buf, sizeof buf, "FAIL: %d of %d benchmarks failed (%s%s); %d measured and verified, %d skipped",
                  v.failed, total, failed_names.c_str(), v.failed > 3 ? ", ..." : "", v.passed, v.skipped);
  } else if (v.passed == 0) {
    v.exit_code = kExitCheckFailed;
    std::snprintf(buf, sizeof buf, "FAIL: nothing measured (%d of %d benchmarks skipped)", v.skipped, total);
  } else {
    const std::string skipped = v.skipped ? ", " + std::to_string(v.skipped) + " skipped" : "";
    std::snprintf(buf, sizeof buf, "OK: %d benchmarks measured and verified%s", v.passed, skipped.c_str());
  }
  v.line = buf;
  return v;
}

}  // namespace gpuprobe
