#include "gpuprobe/bench/node.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "gpuprobe/report/render.hpp"

namespace gpuprobe::bench {
namespace {

// The largest index --gpus accepts (the same bound as --device).
constexpr int kMaxGpuIndex = 1023;

// The per-GPU entries of each benchmark (key and unit), benchmarks in first-seen order.
struct Group {
  std::vector<const Benchmark*> entries;
};
std::vector<Group> group_per_gpu(const std::vector<Benchmark>& per_gpu) {
  std::vector<Group> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& b : per_gpu) {
    if (b.scope != BenchScope::gpu || !b.gpu) continue;
    auto [it, added] = index.try_emplace(b.key() + '\x1f' + b.unit, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].entries.push_back(&b);
  }
  return groups;
}

bool measured(const Benchmark& b) { return b.status == BenchStatus::ok && b.value && std::isfinite(*b.value); }

std::vector<NodeOutlier> outliers_of(const Group& g, const FleetOptions& rule) {
  std::vector<double> values;
  for (const Benchmark* b : g.entries)
    if (measured(*b)) values.push_back(*b->value);
  if (values.size() < 3) return {};
  const Benchmark& first = *g.entries.front();
  const bool higher = higher_is_better(first.unit);
  const MedianMad mm = median_mad(values);
  const double threshold = outlier_threshold(mm.median, mm.mad, higher, rule);
  std::vector<NodeOutlier> out;
  for (const Benchmark* b : g.entries) {
    if (!measured(*b) || !(higher ? *b->value < threshold : *b->value > threshold)) continue;
    const double dev = mm.median != 0 ? (*b->value - mm.median) / std::fabs(mm.median) : 0.0;
    out.push_back({first.key(), *b->gpu, *b->value, mm.median, dev});
  }
  std::sort(out.begin(), out.end(), [higher](const NodeOutlier& x, const NodeOutlier& y) {
    return higher ? x.deviation < y.deviation : x.deviation > y.deviation;
  });
  return out;
}

std::string gpu_names(const std::vector<int>& gpus) {
  std::string s = gpus.size() == 1 ? "GPU " : "GPUs ";
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(gpus[i]);
  }
  return s;
}

}  // namespace

std::string check_gpu_list(const std::string& text) {
  if (text == "all") return "";
  if (text.empty()) return "empty list (write all, or indices such as 0,3)";
  std::vector<int> seen;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    if (item.empty() || item.size() > 4 || item.find_first_not_of("0123456789") != std::string::npos)
      return "'" + text + "': '" + item + "' is not a GPU index (write all, or indices such as 0,3)";
    const int i = std::stoi(item);
    if (i > kMaxGpuIndex) return "'" + text + "': index " + item + " is beyond " + std::to_string(kMaxGpuIndex);
    if (std::find(seen.begin(), seen.end(), i) != seen.end())
      return "'" + text + "': GPU " + item + " is named twice";
    seen.push_back(i);
    pos = comma + 1;
  }
  return "";
}

std::vector<int> resolve_gpu_list(const std::string& text, int count) {
  if (const std::string err = check_gpu_list(text); !err.empty()) throw std::invalid_argument("--gpus " + err);
  std::vector<int> out;
  if (text == "all") {
    for (int i = 0; i < count; ++i) out.push_back(i);
    return out;
  }
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    out.push_back(std::stoi(text.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  if (out.back() >= count)
    throw std::invalid_argument("--gpus " + text + ": this machine has " + std::to_string(count) + " GPU(s)" +
                                (count > 0 ? " (0.." + std::to_string(count - 1) + ")" : ""));
  return out;
}

std::vector<NodeOutlier> node_outliers(const std::vector<Benchmark>& per_gpu, const FleetOptions& rule) {
  std::vector<NodeOutlier> out;
  for (const auto& g : group_per_gpu(per_gpu)) {
    auto o = outliers_of(g, rule);
    out.insert(out.end(), o.begin(), o.end());
  }
  return out;
}

std::vector<Benchmark> node_aggregates(const std::vector<Benchmark>& per_gpu, std::size_t gpus,
                                       const FleetOptions& rule) {
  std::vector<Benchmark> out;
  for (const auto& g : group_per_gpu(per_gpu)) {
    const Benchmark& first = *g.entries.front();
    if (!higher_is_better(first.unit)) continue;
    Benchmark n;
    n.name = first.name;
    n.params = first.params;
    n.unit = first.unit;
    n.label = first.label;
    n.implementation = first.implementation;
    n.scope = BenchScope::node;
    std::vector<int> failed, skipped;
    std::vector<double> values;
    double sum = 0, lo = 0, hi = 0, peak = 0;
    bool bounds = true, peaks = true, verified = true;
    for (const Benchmark* b : g.entries) {
      if (b->status == BenchStatus::failed) failed.push_back(*b->gpu);
      else if (!measured(*b)) skipped.push_back(*b->gpu);
      if (!measured(*b)) continue;
      values.push_back(*b->value);
      sum += *b->value;
      bounds = bounds && b->min && b->max;
      if (bounds) {
        lo += *b->min;
        hi += *b->max;
      }
      peaks = peaks && b->peak;
      if (peaks) peak += *b->peak;
      verified = verified && b->verified.value_or(false);
    }
    n.details = {{"gpus", g.entries.size()}};
    if (!failed.empty()) {
      n.status = BenchStatus::failed;
      n.reason = "failed on " + gpu_names(failed);
    } else if (!skipped.empty() || g.entries.size() < gpus) {
      n.status = BenchStatus::skipped;
      n.reason = skipped.empty() ? "measured on " + std::to_string(g.entries.size()) + " of " + std::to_string(gpus) + " GPUs"
                                 : "not measured on " + gpu_names(skipped) + ": no node sum";
    } else {
      n.value = sum;
      if (bounds) {
        n.min = lo;
        n.max = hi;
      }
      n.verified = verified;
      if (peaks && peak > 0) {
        n.peak = peak;
        n.peak_percent = 100.0 * sum / peak;
      }
      n.details["per_gpu_median"] = median_mad(values).median;
      nlohmann::json outliers = nlohmann::json::array();
      for (const auto& o : outliers_of(g, rule))
        outliers.push_back({{"gpu", o.gpu}, {"value", o.value}, {"deviation", o.deviation}});
      n.details["outliers"] = std::move(outliers);
    }
    out.push_back(std::move(n));
  }
  return out;
}

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
  return buf;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f%%", 100.0 * fraction);
  return buf;
}

}  // namespace

std::string render_node_table(const std::vector<Benchmark>& per_gpu, const std::vector<Benchmark>& node) {
  std::set<int> gpu_set;
  for (const auto& b : per_gpu)
    if (b.gpu) gpu_set.insert(*b.gpu);
  const std::vector<int> gpus(gpu_set.begin(), gpu_set.end());
  std::string head = "per GPU (";
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (i) head += ' ';
    head += std::to_string(gpus[i]);
  }
  head += ")";
  char buf[1024];
  std::snprintf(buf, sizeof buf, "%-30s %-20s %10s %-7s  %s  %s\n", "benchmark", "shape", "node", "unit", head.c_str(),
                "slow GPUs");
  std::string out = buf;
  const auto slow = node_outliers(per_gpu);
  for (const auto& g : group_per_gpu(per_gpu)) {
    const Benchmark& first = *g.entries.front();
    std::string values;
    for (int gpu : gpus) {
      std::string v = "-";
      for (const Benchmark* b : g.entries)
        if (*b->gpu == gpu) v = measured(*b) ? number(*b->value) : b->status == BenchStatus::failed ? "FAIL" : "skip";
      if (!values.empty()) values += ' ';
      values += v;
    }
    std::string sum = "-", why;
    for (const auto& n : node)
      if (n.key() == first.key() && n.unit == first.unit) {
        if (n.value) sum = number(*n.value);
        else if (n.reason) why = "  (" + *n.reason + ")";
      }
    std::string slow_text;
    for (const auto& o : slow)
      if (o.key == first.key()) {
        if (!slow_text.empty()) slow_text += ", ";
        slow_text += "GPU " + std::to_string(o.gpu) + " " + percent(o.deviation);
      }
    if (!higher_is_better(first.unit)) sum = "";  // times have no node sum
    std::snprintf(buf, sizeof buf, "%-30s %-20s %10s %-7s  %s  %s%s\n", first.name.c_str(),
                  shape_text(first.params).c_str(), sum.c_str(), first.unit.c_str(), values.c_str(), slow_text.c_str(),
                  why.c_str());
    out += buf;
  }
  return out;
}

std::string outliers_text(const std::vector<NodeOutlier>& slow) {
  std::set<int> gpus;
  for (const auto& o : slow) gpus.insert(o.gpu);
  std::string s = "slow GPU" + std::string(gpus.size() == 1 ? "" : "s") + " in the node: ";
  for (std::size_t i = 0; i < slow.size() && i < 3; ++i) {
    const std::string name = slow[i].key.substr(0, slow[i].key.find(' '));
    if (i) s += ", ";
    s += "GPU " + std::to_string(slow[i].gpu) + " (" + name + " " + percent(slow[i].deviation) + ")";
  }
  if (slow.size() > 3) s += ", …";
  return s;
}

}  // namespace gpuprobe::bench
