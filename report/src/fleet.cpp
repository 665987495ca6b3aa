#include "gpuprobe/report/fleet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>
#include <unordered_map>

#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/load.hpp"

namespace gpuprobe {

namespace {

// 1.4826·MAD estimates the standard deviation of normally distributed values.
constexpr double kMadToSigma = 1.4826;
// Fewer values than this give no distribution to judge an outlier against.
constexpr std::size_t kMinValuesForOutliers = 3;
constexpr std::size_t kHistogramBins = 10;
// Lines one thread parses at least: fewer are not worth a thread.
constexpr std::size_t kLinesPerThread = 64;
// A whole input from one file or stdin; far more than thousands of reports take.
constexpr std::uint64_t kMaxFleetBytes = 4ULL * 1024 * 1024 * 1024;

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

struct Line {
  std::size_t number;
  std::string_view text;
};

// One line read: the report, or the problem.
struct Parsed {
  std::optional<Report> report;
  std::string problem;
};

Parsed parse_line(const Line& l, const std::string& where) {
  Parsed p;
  try {
    p.report = parse_report_text(l.text, where);
  } catch (const ReportError& e) {
    p.problem = e.what();
    if (p.problem.rfind(where + ": ", 0) == 0) p.problem.erase(0, where.size() + 2);  // the problem names the place itself
  }
  return p;
}

// Parses the lines on every core (parsing is nearly all of the time a fleet takes), then adds them
// in input order, so the result does not depend on the threads.
void add_reports(const std::vector<Line>& lines, const std::string& origin, FleetInput& into) {
  std::vector<Parsed> parsed(lines.size());
  auto work = [&](std::size_t begin, std::size_t step) {
    for (std::size_t i = begin; i < lines.size(); i += step)
      parsed[i] = parse_line(lines[i], origin + ":" + std::to_string(lines[i].number));
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), lines.size() / kLinesPerThread + 1);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& t : pool) t.join();
  into.reports.reserve(into.reports.size() + lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (parsed[i].report) {
      into.reports.push_back(std::move(*parsed[i].report));
      into.origins.push_back(origin + ":" + std::to_string(lines[i].number));
    } else {
      into.problems.push_back({origin, lines[i].number, std::move(parsed[i].problem)});
    }
  }
}

int severity(Status s) {
  switch (s) {
    case Status::fail: return 3;
    case Status::warn: return 2;
    case Status::pass: return 1;
    case Status::skip: return 0;
  }
  return 0;
}

// The name a node goes by: its label when one was given (--label, the Kubernetes node name), else
// the hostname. A label equal to the instance type is gpuprobe's default and names no node.
std::string node_name(const Report& r) {
  const std::string type = r.host.cloud ? r.host.cloud->instance_type : "";
  if (!r.label.empty() && r.label != type) return r.label;
  if (!r.host.hostname.empty()) return r.host.hostname;
  return report_label(r);
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", fraction * 100.0);
  return buf;
}

struct Value {
  std::size_t node;
  std::optional<int> gpu;
  double v;
};

struct BenchGroup {
  FleetBench bench;
  std::vector<Value> values;
};

}  // namespace

void read_fleet_text(std::string_view text, const std::string& origin, FleetInput& into) {
  std::size_t pos = 0, line = 0;
  bool first = true;
  std::vector<Line> lines;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view raw = text.substr(pos, end - pos);
    ++line;
    pos = end + 1;
    const std::string_view s = trim(raw);
    if (s.empty()) continue;
    if (first && s == "{") {  // an indented report file: the whole text is one report
      add_reports({{line, text}}, origin, into);
      return;
    }
    first = false;
    if (s.front() != '{') {
      ++into.other_lines;
      continue;
    }
    lines.push_back({line, s});
  }
  add_reports(lines, origin, into);
}

FleetInput load_fleet(const std::vector<std::string>& paths) {
  FleetInput in;
  for (const auto& p : paths) {
    if (p == "-") {
      read_fleet_text(read_capped_stream(stdin, "stdin", kMaxFleetBytes), "-", in);
    } else {
      read_fleet_text(read_capped_file(p, kMaxFleetBytes), p, in);
    }
  }
  return in;
}

MedianMad median_mad(std::vector<double>& values) {
  if (values.empty()) return {};
  auto median_of = [](std::vector<double>& v) {
    const std::size_t n = v.size(), mid = n / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    double m = v[mid];
    if (n % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2.0;
    return m;
  };
  MedianMad out;
  out.median = median_of(values);
  for (double& v : values) v = std::fabs(v - out.median);
  out.mad = median_of(values);
  return out;
}

double outlier_threshold(double median, double mad, bool higher_better, const FleetOptions& o) {
  const double margin = std::max(o.mad_k * kMadToSigma * mad, o.min_deviation * std::fabs(median));
  return higher_better ? median - margin : median + margin;
}

std::optional<int> bench_gpu_index(const Benchmark& b) {
  if (b.gpu) return b.gpu;
  for (const nlohmann::json* j : {&b.extra, &b.params}) {
    if (!j->is_object()) continue;
    const auto it = j->find("gpu");
    if (it != j->end() && it->is_number_integer()) return it->get<int>();
  }
  return std::nullopt;
}

Fleet analyze_fleet(const FleetInput& in, const FleetOptions& o) {
  Fleet f;
  f.options = o;
  f.problems = in.problems;
  f.reports_read = in.reports.size();
  f.other_lines = in.other_lines;

  // The reports that count: per node and command the newest (created_at, then input order).
  std::unordered_map<std::string, std::size_t> node_index;
  std::map<std::pair<std::size_t, std::string>, std::size_t> newest;  // (node, command) -> report
  for (std::size_t i = 0; i < in.reports.size(); ++i) {
    const Report& r = in.reports[i];
    const std::string name = node_name(r);
    auto [it, added] = node_index.try_emplace(name, f.nodes.size());
    if (added) {
      FleetNode n;
      n.name = name;
      n.hostname = r.host.hostname;
      n.instance_type = r.host.cloud ? r.host.cloud->instance_type : "";
      f.nodes.push_back(std::move(n));
    }
    auto [slot, fresh] = newest.try_emplace({it->second, r.command}, i);
    if (!fresh) {
      ++f.reports_superseded;
      if (in.reports[slot->second].created_at <= r.created_at) slot->second = i;
    }
  }
  std::vector<std::vector<std::size_t>> counted(f.nodes.size());
  for (const auto& [key, i] : newest) counted[key.first].push_back(i);

  std::unordered_map<std::string, std::size_t> check_index;
  std::unordered_map<std::string, std::size_t> bench_index;
  std::vector<BenchGroup> groups;
  for (std::size_t n = 0; n < f.nodes.size(); ++n) {
    FleetNode& node = f.nodes[n];
    std::sort(counted[n].begin(), counted[n].end());
    node.reports = counted[n].size();
    auto fail_node = [&node](std::string why) {
      if (!node.failed) node.why = std::move(why);
      node.failed = true;
    };
    // The node's worst result of each check over its counted reports.
    std::map<std::string, const CheckResult*> worst;
    std::vector<std::string> order;
    for (std::size_t i : counted[n]) {
      const Report& r = in.reports[i];
      node.origin = in.origins[i];
      if (node.instance_type.empty() && r.host.cloud) node.instance_type = r.host.cloud->instance_type;
      for (const auto& c : r.checks) {
        auto [w, added] = worst.try_emplace(c.id, &c);
        if (added) order.push_back(c.id);
        else if (severity(c.status) > severity(w->second->status)) w->second = &c;
      }
      for (const auto& b : r.benchmarks) {
        const std::optional<int> gpu = bench_gpu_index(b);
        // The benchmark's identity without its GPU index: a copy of the name and parameters only
        // where there is an index to take out (the rest of the entry is not part of the key).
        Benchmark stripped;
        const Benchmark* idp = &b;
        if (b.params.is_object() && b.params.contains("gpu")) {
          stripped.name = b.name;
          stripped.params = b.params;
          stripped.params.erase("gpu");
          idp = &stripped;
        }
        const Benchmark& id = *idp;
        std::string model;
        const std::size_t g = static_cast<std::size_t>(std::max(0, gpu.value_or(0)));
        if (g < r.gpus.size()) model = r.gpus[g].name;
        else if (r.host.cloud) model = r.host.cloud->instance_type;
        // A node aggregate (bench --gpus) is a distribution of its own, beside the GPUs'.
        const bool node_scope = b.scope == BenchScope::node;
        const std::string key = id.key() + '\x1f' + b.unit + '\x1f' + model + (node_scope ? "\x1fnode" : "");
        auto [bi, added] = bench_index.try_emplace(key, groups.size());
        if (added) {
          BenchGroup grp;
          grp.bench.key = id.key();
          grp.bench.name = b.name;
          grp.bench.params = id.params_text() + (node_scope ? std::string(id.params.empty() ? "" : " ") + "node" : "");
          grp.bench.unit = b.unit;
          grp.bench.gpu_model = model;
          grp.bench.higher_better = higher_is_better(b.unit);
          groups.push_back(std::move(grp));
        }
        BenchGroup& grp = groups[bi->second];
        if (b.status == BenchStatus::failed) {
          ++grp.bench.failed;
          fail_node("benchmark " + b.name + " failed" + (b.reason ? ": " + *b.reason : ""));
        } else if (b.status == BenchStatus::ok && b.value && std::isfinite(*b.value)) {
          grp.values.push_back({n, gpu, *b.value});
        }
      }
    }
    for (const auto& id : order) {
      const CheckResult& c = *worst[id];
      auto [ci, added] = check_index.try_emplace(id, f.checks.size());
      if (added) {
        FleetCheck fc;
        fc.id = id;
        fc.title = c.title;
        f.checks.push_back(std::move(fc));
      }
      FleetCheck& fc = f.checks[ci->second];
      switch (c.status) {
        case Status::pass: ++fc.pass; break;
        case Status::warn: ++fc.warn; fc.warning.push_back({node.name, c.reason, c.message}); break;
        case Status::fail:
          ++fc.fail;
          fc.failing.push_back({node.name, c.reason, c.message});
          fail_node("check " + id + " failed" + (c.reason.empty() ? "" : " (" + c.reason + ")"));
          break;
        case Status::skip: ++fc.skip; break;
      }
    }
    for (std::size_t i : counted[n]) {
      const Report& r = in.reports[i];
      if (r.exit_code != 0) fail_node(r.command + " exited " + std::to_string(r.exit_code) + ": " + r.verdict);
    }
  }

  // Each benchmark's distribution and its outliers.
  std::size_t outliers = 0;
  for (auto& grp : groups) {
    FleetBench& b = grp.bench;
    b.count = grp.values.size();
    if (!grp.values.empty()) {
      std::vector<double> v;
      v.reserve(grp.values.size());
      for (const auto& x : grp.values) v.push_back(x.v);
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      b.min = *lo;
      b.max = *hi;
      const MedianMad mm = median_mad(v);
      b.median = mm.median;
      b.mad = mm.mad;
      b.spread = b.median != 0 ? kMadToSigma * b.mad / std::fabs(b.median) : 0.0;
      b.threshold = outlier_threshold(b.median, b.mad, b.higher_better, o);
      const double width = (b.max - b.min) / kHistogramBins;
      b.bins.assign(width > 0 ? kHistogramBins : 1, 0);
      for (const auto& x : grp.values)
        ++b.bins[width > 0 ? std::min<std::size_t>(kHistogramBins - 1, static_cast<std::size_t>((x.v - b.min) / width)) : 0];
    }
    if (grp.values.size() >= kMinValuesForOutliers) {
      for (const auto& x : grp.values) {
        if (b.higher_better ? x.v < b.threshold : x.v > b.threshold) {
          const double dev = b.median != 0 ? (x.v - b.median) / std::fabs(b.median) : 0.0;
          b.outliers.push_back({f.nodes[x.node].name, x.gpu, x.v, dev});
        }
      }
      std::sort(b.outliers.begin(), b.outliers.end(), [&b](const FleetOutlier& x, const FleetOutlier& y) {
        return b.higher_better ? x.deviation < y.deviation : x.deviation > y.deviation;
      });
      outliers += b.outliers.size();
    }
    f.benchmarks.push_back(std::move(b));
  }

  const auto failed = static_cast<std::size_t>(
      std::count_if(f.nodes.begin(), f.nodes.end(), [](const FleetNode& n) { return n.failed; }));
  const std::string nodes = std::to_string(f.nodes.size()) + (f.nodes.size() == 1 ? " node" : " nodes");
  f.exit_code = failed > 0 || outliers > 0 ? 1 : 0;
  if (f.exit_code == 0) {
    f.verdict = "PASS: " + nodes + ", every check passed (warnings allowed), " + std::to_string(f.benchmarks.size()) +
                " benchmark" + (f.benchmarks.size() == 1 ? "" : "s") + " without an outlier";
  } else {
    f.verdict = "FAIL:";
    if (failed > 0) f.verdict += " " + std::to_string(failed) + " of " + nodes + " failed";
    if (outliers > 0) {
      f.verdict += std::string(failed > 0 ? "," : "") + " " + std::to_string(outliers) + " result" +
                   (outliers == 1 ? "" : "s") + " slower than the fleet";
      for (const auto& b : f.benchmarks)
        if (!b.outliers.empty()) {
          const auto& w = b.outliers.front();
          f.verdict += " (" + b.name + ": " + w.node + (w.gpu ? " GPU " + std::to_string(*w.gpu) : "") + " " +
                       percent(w.deviation) + ")";
          break;
        }
    }
  }
  if (!f.problems.empty())
    f.verdict += "; " + std::to_string(f.problems.size()) + " unreadable line" + (f.problems.size() == 1 ? "" : "s");
  return f;
}

}  // namespace gpuprobe
