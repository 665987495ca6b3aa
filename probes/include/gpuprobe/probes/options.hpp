// What the user asks of `gpuprobe check`, parsed and validated. Parsing errors throw
// std::invalid_argument with a message fit for the user; the CLI turns them into exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gpuprobe {

struct ComputeCapability {
  int major = 0, minor = 0;
  int as_int() const { return major * 10 + minor; }
};

struct ProbeOptions {
  std::optional<int> expect_gpus;
  std::optional<ComputeCapability> min_cc;
  std::optional<std::uint64_t> min_memory_bytes;
  std::set<std::string> require;  // libraries that must be present: cublas, cudnn, nvml
  double mem_fraction = 0.10;     // share of free memory the memory test covers
  double timeout_scale = 1.0;     // multiplies every check's time bound
  std::vector<std::string> only;  // check ids to run (empty: all)
  std::vector<std::string> skip;  // check ids not to run
};

ComputeCapability parse_compute_capability(const std::string& s);  // "8.0", "9", "8.6"
std::uint64_t parse_memory_size(const std::string& s);             // "16G", "16GiB", "80000MiB", "1.5T", bytes
std::set<std::string> parse_require_list(const std::string& s);    // "cublas,cudnn"
double parse_fraction(const std::string& s);                        // "0.1", "10%"

inline constexpr const char* kRequirableLibraries[] = {"cublas", "cudnn", "nvml"};

}  // namespace gpuprobe
