// The node view of `gpuprobe bench --gpus`: which GPUs to measure, the node aggregate of each
// benchmark (the sum of what every GPU measured at the same time) and the GPUs that are outliers
// within the node. Host-only, unit-tested without a GPU.
#pragma once

#include <string>
#include <vector>

#include "gpuprobe/report/benchmark.hpp"
#include "gpuprobe/report/fleet.hpp"

namespace gpuprobe::bench {

// --gpus: "all" (every GPU of the machine) or a comma-separated list of distinct indices ("0,3").
// check_gpu_list checks the text alone (at parse time: no GPU is known yet) and returns what is
// wrong (for "--gpus: …"), "" when it is well-formed; resolve_gpu_list gives the indices in ascending order for a
// machine with `count` GPUs and throws std::invalid_argument (a message for the user) for a bad
// list or an index beyond the machine's GPUs.
std::string check_gpu_list(const std::string& text);
std::vector<int> resolve_gpu_list(const std::string& text, int count);

// How far from the node's median a GPU is an outlier: beyond k = 3.5 robust standard deviations
// (1.4826·MAD across the node's GPUs) and beyond 5 % of the median, on the slow side. The same rule
// and numbers as the fleet view (report/fleet.hpp), applied to the GPUs of one node; with fewer than
// three GPUs that measured a benchmark there is no median to judge against, and no outlier.
inline constexpr FleetOptions kNodeOutlierRule{3.5, 0.05};

struct NodeOutlier {
  std::string key;   // Benchmark::key() of the benchmark
  int gpu = 0;
  double value = 0;
  double median = 0;     // of the node's GPUs
  double deviation = 0;  // (value - median) / median, signed
};

// The GPUs beyond the rule among per-GPU entries (gpu-scope, `gpu` set, status ok, with a value),
// per benchmark (key and unit), slowest first within a benchmark, benchmarks in first-seen order.
std::vector<NodeOutlier> node_outliers(const std::vector<Benchmark>& per_gpu, const FleetOptions& rule = kNodeOutlierRule);

// One node-scope entry per benchmark of higher-is-better unit measured on `gpus` GPUs: value, min
// and max the sums over the GPUs (each GPU ran its copy at the same time as the others), peak and
// peak_percent against the sum of the GPUs' peaks, verified when every GPU's result was. The entry
// is failed when a GPU failed it, skipped when a GPU skipped it (a sum over fewer GPUs than were
// asked for is not the node's), naming the GPUs. details: "gpus" (how many), "per_gpu_median" and
// "outliers" ([{gpu, value, deviation}], from node_outliers). Time-like units have no sum: none.
std::vector<Benchmark> node_aggregates(const std::vector<Benchmark>& per_gpu, std::size_t gpus,
                                       const FleetOptions& rule = kNodeOutlierRule);

// The text of a --gpus run: one row per benchmark with the node's sum, each GPU's value (in the
// order of the GPUs) and its slow GPUs ("GPU 4 -21%"); a benchmark not measured on a GPU shows "-"
// there, the node's reason in place of the sum.
std::string render_node_table(const std::vector<Benchmark>& per_gpu, const std::vector<Benchmark>& node);
// "slow GPUs in the node: GPU 4 (matmul/cublas/bf16 -21%), …" (at most three named).
std::string outliers_text(const std::vector<NodeOutlier>& slow);

}  // namespace gpuprobe::bench
