// Verdict and exit codes: the contract CI systems act on. Documented in docs/exit-codes.md.
#pragma once

#include <string>
#include <vector>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

enum ExitCode : int {
  kExitOk = 0,           // every check passed (warnings allowed unless --strict)
  kExitCheckFailed = 1,  // at least one check failed (or warned, with --strict)
  kExitUsage = 2,        // bad arguments or unreadable input
  kExitNoGpu = 3,        // no NVIDIA driver in this container, or no GPU visible
  kExitHung = 4,         // a check did not finish within its time bound (watchdog)
  kExitInternal = 5,     // gpuprobe itself failed (e.g. cannot write the report file)
  kExitDegraded = 6,     // burn: a GPU throttled or slow, none faulty
  kExitInterrupted = 7,  // burn: ended early by SIGINT/SIGTERM (a partial report), nothing faulty seen
};

// Reasons of a failed check that mean "there is no usable GPU here", which map to kExitNoGpu.
bool is_no_gpu_reason(const std::string& reason);
// The reason of a check skipped because there is no GPU to run it on. Without a failure, such a
// skip maps to kExitNoGpu too: the checks asked for could not run for want of a GPU.
inline constexpr const char* kNoGpuSkipReason = "no_gpu";

struct Verdict {
  int exit_code = kExitOk;
  std::string line;  // one line, e.g. "FAIL: 1 of 11 checks failed (memory)"
  int passed = 0, warned = 0, failed = 0, skipped = 0;
};

Verdict compute_verdict(const std::vector<CheckResult>& checks, bool strict);

// The verdict of a report's benchmarks[] (`gpuprobe bench`): exit 1 when a benchmark failed (an
// error or a wrong result) or none was measured, else 0. `passed` counts the benchmarks measured
// and verified, `failed` and `skipped` the others.
Verdict benchmarks_verdict(const std::vector<Benchmark>& entries);

}  // namespace gpuprobe
