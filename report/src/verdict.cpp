#include "gpuprobe/report/verdict.hpp"

#include <sstream>

namespace gpuprobe {

bool is_no_gpu_reason(const std::string& reason) {
  return reason == "no_driver" || reason == "no_device" || reason == "driver_stub";
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
  for (const auto& c : checks) {
    switch (c.status) {
      case Status::pass: ++v.passed; break;
      case Status::warn: ++v.warned; warned.push_back(&c); break;
      case Status::fail: ++v.failed; failed.push_back(&c); break;
      case Status::skip: ++v.skipped; break;
    }
    if (c.reason == "timeout") hung.push_back(&c);
    if (c.status == Status::fail && !no_gpu && is_no_gpu_reason(c.reason)) no_gpu = &c;
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

}  // namespace gpuprobe
