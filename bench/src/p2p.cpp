#include "gpuprobe/bench/p2p.hpp"

#include <cstdio>
#include <map>
#include <set>

#include "gpuprobe/report/render.hpp"

namespace gpuprobe::bench {

std::vector<BenchSpec> p2p_pair_specs(const BenchSpec& family_spec, const std::vector<int>& gpus) {
  std::vector<BenchSpec> out;
  if (gpus.size() < 2) return out;
  for (int src : gpus)
    for (int dst : gpus) {
      if (src == dst) continue;
      BenchSpec s = family_spec;
      s.src = src;
      s.dst = dst;
      s.params["src"] = src;
      s.params["dst"] = dst;
      out.push_back(std::move(s));
    }
  return out;
}

P2pLink p2p_link(const InstanceType* type, std::optional<double> pcie_gbps) {
  char buf[160];
  if (type && type->interconnect.nvlink_gb_s && *type->interconnect.nvlink_gb_s > 0) {
    const double per_direction = *type->interconnect.nvlink_gb_s / 2;
    std::snprintf(buf, sizeof buf, "%s, %g GB/s per direction (%s)", type->interconnect.gpu_link.c_str(),
                  per_direction, type->name.c_str());
    return {per_direction, buf};
  }
  if (type && type->interconnect.gpu_link.rfind("PCIe", 0) == 0 && pcie_gbps && *pcie_gbps > 0) {
    std::snprintf(buf, sizeof buf, "%s, the GPUs' PCIe link: %.1f GB/s per direction (%s)",
                  type->interconnect.gpu_link.c_str(), *pcie_gbps, type->name.c_str());
    return {*pcie_gbps, buf};
  }
  return {std::nullopt, type ? "unknown: the link of " + type->name + " is not confirmed in the catalog"
                             : "unknown: instance type not in the catalog"};
}

std::string render_p2p_matrices(const std::vector<Benchmark>& entries) {
  // Benchmarks (name and params without the pair) in first-seen order, each with its cells.
  struct Matrix {
    std::string title, unit;
    std::map<std::pair<int, int>, std::string> cells;
    std::set<int> gpus;
  };
  std::vector<Matrix> matrices;
  std::map<std::string, std::size_t> index;
  std::string unpaired;
  char buf[64];
  for (const auto& e : entries) {
    const auto& p = e.params;
    if (!p.contains("src") || !p.contains("dst") || !p["src"].is_number_integer() || !p["dst"].is_number_integer()) {
      unpaired += e.name + ": " + to_string(e.status) + (e.reason ? " (" + *e.reason + ")" : "") + "\n";
      continue;
    }
    nlohmann::json rest = p;
    rest.erase("src");
    rest.erase("dst");
    const std::string title = e.name + " " + shape_text(rest);
    auto [it, added] = index.try_emplace(title, matrices.size());
    if (added) matrices.push_back({title, e.unit, {}, {}});
    Matrix& m = matrices[it->second];
    const int src = p["src"].get<int>(), dst = p["dst"].get<int>();
    m.gpus.insert(src);
    m.gpus.insert(dst);
    std::string cell = e.status == BenchStatus::failed ? "FAIL" : "skip";
    if (e.status == BenchStatus::ok && e.value) {
      std::snprintf(buf, sizeof buf, *e.value >= 100 ? "%.0f" : "%.1f", *e.value);
      cell = buf;
      if (e.peak_percent) {
        std::snprintf(buf, sizeof buf, " %.0f%%", *e.peak_percent);
        cell += buf;
      }
    }
    m.cells[{src, dst}] = cell;
  }
  std::string out = unpaired;
  for (const auto& m : matrices) {
    out += "\n" + m.title + " [" + m.unit + (m.unit == "GB/s" ? ", % of the link" : "") + "], row → column\n";
    std::snprintf(buf, sizeof buf, "%6s", "");
    out += buf;
    for (int d : m.gpus) {
      std::snprintf(buf, sizeof buf, " %10d", d);
      out += buf;
    }
    out += "\n";
    for (int s : m.gpus) {
      std::snprintf(buf, sizeof buf, "%6d", s);
      out += buf;
      for (int d : m.gpus) {
        const auto it = m.cells.find({s, d});
        std::snprintf(buf, sizeof buf, " %10s", s == d ? "-" : it == m.cells.end() ? "" : it->second.c_str());
        out += buf;
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace gpuprobe::bench
