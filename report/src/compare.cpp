#include "gpuprobe/report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

#include "gpuprobe/report/render.hpp"

namespace gpuprobe {
namespace {

std::string opt(const std::optional<std::string>& v) { return v.value_or(""); }
std::string opt_cuda(const std::optional<int>& v) { return v ? format_cuda_version(*v) : ""; }
std::string opt_bool(const std::optional<bool>& v) { return v ? (*v ? "on" : "off") : ""; }

std::string major_of(const std::string& version) { return version.substr(0, version.find('.')); }

bool is_missing(const std::string& library_value) {
  return library_value.empty() || library_value.rfind("missing", 0) == 0;
}

bool is_fail(const std::string& s) { return s == "fail"; }
bool is_ok(const std::string& s) { return s == "pass" || s == "warn"; }

std::string shown(const std::string& v) { return v.empty() ? "(absent)" : v; }

void add(std::vector<FingerprintField>& f, std::string key, std::string value, FieldKind kind = FieldKind::info) {
  f.push_back({std::move(key), std::move(value), kind});
}

void add_host(std::vector<FingerprintField>& f, const HostInfo& h) {
  add(f, "host.hostname", h.hostname);
  // One row for the instance type of any provider; its name is part of compare's output (scripts and
  // the golden files match it), so it stays host.ec2_instance_type whatever the provider.
  add(f, "host.ec2_instance_type", h.cloud ? h.cloud->instance_type : "");
  add(f, "host.os", h.os);
  add(f, "host.kernel", h.kernel);
  add(f, "host.cpu_model", h.cpu_model);
  add(f, "host.cpu_count", h.cpu_count > 0 ? std::to_string(h.cpu_count) : "");
  add(f, "host.memory_total", h.memory_total_bytes ? format_bytes(h.memory_total_bytes) : "");
  add(f, "host.container", h.container.detected ? (h.container.runtime.empty() ? "yes" : h.container.runtime) : "no");
  for (const auto& [k, v] : h.nvidia_env) add(f, "env." + k, v);
}

// Distinct values over the GPUs, in first-seen order, joined: "9.0", "8.6, 8.9".
template <class F>
std::string distinct(const std::vector<GpuInfo>& gpus, F value) {
  std::vector<std::string> seen;
  std::set<std::string> known;  // not a linear search: a hostile report may list a million GPUs
  for (const auto& g : gpus) {
    std::string v = value(g);
    if (known.insert(v).second) seen.push_back(std::move(v));
  }
  std::string out;
  for (const auto& v : seen) out += (out.empty() ? "" : ", ") + v;
  return out;
}

void add_gpus(std::vector<FingerprintField>& f, const std::vector<GpuInfo>& gpus) {
  add(f, "gpus.count", std::to_string(gpus.size()), FieldKind::gpu_count);
  add(f, "gpus.model", distinct(gpus, [](const GpuInfo& g) { return g.name; }));
  add(f, "gpus.compute_capability",
      distinct(gpus, [](const GpuInfo& g) { return std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor); }));
  add(f, "gpus.memory_total", distinct(gpus, [](const GpuInfo& g) { return format_bytes(g.memory_total_bytes); }));
  add(f, "gpus.ecc", distinct(gpus, [](const GpuInfo& g) { return opt_bool(g.ecc_enabled); }));
  add(f, "gpus.mig", distinct(gpus, [](const GpuInfo& g) { return opt_bool(g.mig_enabled); }), FieldKind::warning);
}

void add_software(std::vector<FingerprintField>& f, const SoftwareInfo& s) {
  add(f, "software.driver_version", opt(s.driver_version), FieldKind::driver_branch);
  add(f, "software.cuda_driver_version", opt_cuda(s.cuda_driver_version), FieldKind::warning);
  add(f, "software.cuda_runtime_version", opt_cuda(s.cuda_runtime_version), FieldKind::warning);
  add(f, "software.cublas_version", opt(s.cublas_version), FieldKind::major_version);
  add(f, "software.cudnn_version", opt(s.cudnn_version), FieldKind::major_version);
  add(f, "software.nvml_version", opt(s.nvml_version));
  add(f, "software.gpuprobe_version", s.gpuprobe_version);
  add(f, "software.cuda_toolkit", s.cuda_toolkit);
  add(f, "software.cuda_architectures", s.cuda_architectures);
  for (const auto& [k, v] : s.libraries) add(f, "library." + k, v, FieldKind::library);
  // One row per framework, the most specific environment's when several hold it.
  std::set<std::string> seen;
  for (const auto& fw : s.frameworks) {
    if (!seen.insert(fw.name).second) continue;
    add(f, "framework." + fw.name, fw.version, FieldKind::framework);
    if (fw.gpu_available) add(f, "framework." + fw.name + ".gpu", *fw.gpu_available ? "yes" : "no", FieldKind::available);
  }
}

// Every field key → index in the union, base order first.
struct FieldUnion {
  std::vector<std::string> keys;
  std::map<std::string, FieldKind> kinds;
  std::vector<std::map<std::string, std::string>> values;  // per report
};

FieldUnion union_of(const std::vector<std::vector<FingerprintField>>& prints) {
  FieldUnion u;
  for (const auto& p : prints) {
    std::map<std::string, std::string> vals;
    for (const auto& f : p) {
      if (u.kinds.emplace(f.key, f.kind).second) u.keys.push_back(f.key);
      vals[f.key] = f.value;
    }
    u.values.push_back(std::move(vals));
  }
  return u;
}

std::string value_in(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

std::string gpu_summary(const std::vector<GpuInfo>& gpus) {
  if (gpus.empty()) return "none";
  std::map<std::string, int> count;
  std::vector<std::string> order;
  for (const auto& g : gpus)
    if (count[g.name]++ == 0) order.push_back(g.name);
  std::string out;
  for (const auto& n : order) out += (out.empty() ? "" : " + ") + std::to_string(count[n]) + "× " + n;
  return out;
}

}  // namespace

std::vector<EnvRow> environment_rows(const std::vector<Report>& reports, bool all) {
  std::vector<std::vector<FingerprintField>> prints;
  for (const auto& r : reports) prints.push_back(fingerprint(r));
  const FieldUnion u = union_of(prints);
  std::vector<EnvRow> rows;
  for (const auto& key : u.keys) {
    EnvRow row;
    row.field = key;
    for (const auto& vals : u.values) row.values.push_back(value_in(vals, key));
    bool differs = false;
    for (std::size_t i = 1; i < row.values.size(); ++i) {
      if (row.values[i] == row.values[0]) continue;
      differs = true;
      std::string note;
      const Severity s = severity_of(u.kinds.at(key), row.values[0], row.values[i], &note);
      if (s > row.severity || row.note.empty()) {
        if (s >= row.severity) row.note = note;
        row.severity = std::max(row.severity, s);
      }
    }
    if (differs || all) rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

BenchCell compare_cell(const Benchmark& base, const std::optional<Benchmark>& b, bool higher_better,
                       double tolerance) {
  BenchCell c;
  c.bench = b;
  if (!b) {
    c.verdict = BenchVerdict::missing;
    return c;
  }
  const bool base_ok = base.status == BenchStatus::ok && base.verified != false;
  const bool ok = b->status == BenchStatus::ok && b->verified != false;
  if (base.status == BenchStatus::skipped || b->status == BenchStatus::skipped) {
    c.verdict = BenchVerdict::skipped;
    return c;
  }
  if (base_ok && !ok) {
    c.verdict = BenchVerdict::failed;
    return c;
  }
  if (!base_ok) {
    c.verdict = ok ? BenchVerdict::base_failed : BenchVerdict::unknown;
    return c;
  }
  if (!base.value || !b->value || *base.value <= 0 || base.unit != b->unit) {
    c.verdict = BenchVerdict::unknown;
    return c;
  }
  c.ratio = *b->value / *base.value;
  c.rel_diff = c.ratio - 1.0;
  const double nb = base.noise(), nn = b->noise();
  c.noise = (nb > 0 && nn > 0) ? std::min(nb, nn) : std::max(nb, nn);
  c.verdict = noise_verdict(*base.value, nb, *b->value, nn, higher_better);
  const double slowdown = higher_better ? 1.0 - c.ratio : c.ratio - 1.0;
  c.regression = c.verdict == BenchVerdict::slower && slowdown > tolerance + 1e-12;
  return c;
}

std::vector<BenchRow> bench_rows(const std::vector<Report>& reports, double tolerance) {
  std::vector<BenchRow> rows;
  std::map<std::string, std::size_t> row_of;  // key → index in rows
  for (std::size_t ri = 0; ri < reports.size(); ++ri) {
    for (const auto& b : reports[ri].benchmarks) {
      // GPU 0 with GPU 0, the node aggregate with the node aggregate; a plain run's one GPU as before.
      const std::string key = b.match_key();
      auto [it, fresh] = row_of.emplace(key, rows.size());
      if (fresh) {
        BenchRow row;
        row.key = key;
        row.name = b.name;
        row.params = b.params_text();
        if (const std::string where = b.where_text(); !where.empty())
          row.params += (row.params.empty() ? "" : "; ") + where;
        row.unit = b.unit;
        row.higher_better = higher_is_better(b.unit);
        row.cells.resize(reports.size());
        for (auto& c : row.cells) c.verdict = BenchVerdict::missing;
        rows.push_back(std::move(row));
      }
      BenchCell& cell = rows[it->second].cells[ri];
      if (!cell.bench) cell.bench = b;  // a duplicate key within one report: the first counts
    }
  }
  for (auto& row : rows) {
    const auto base = row.cells[0].bench;
    for (std::size_t i = 1; i < row.cells.size(); ++i) {
      if (!base) {
        row.cells[i].verdict = BenchVerdict::missing;  // nothing to compare with
        continue;
      }
      row.cells[i] = compare_cell(*base, row.cells[i].bench, row.higher_better, tolerance);
    }
    if (base) {
      row.cells[0].verdict = BenchVerdict::same;
      row.cells[0].ratio = base->value && *base->value > 0 ? 1.0 : 0.0;
    }
  }
  return rows;
}

}  // namespace

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::failure: return "failure";
  }
  return "?";
}

const char* to_string(BenchVerdict v) {
  switch (v) {
    case BenchVerdict::faster: return "faster";
    case BenchVerdict::slower: return "slower";
    case BenchVerdict::same: return "same";
    case BenchVerdict::failed: return "failed";
    case BenchVerdict::base_failed: return "base failed";
    case BenchVerdict::skipped: return "skipped";
    case BenchVerdict::missing: return "missing";
    case BenchVerdict::unknown: return "n/a";
  }
  return "?";
}

std::vector<FingerprintField> fingerprint(const Report& r) {
  std::vector<FingerprintField> f;
  add_host(f, r.host);
  add_gpus(f, r.gpus);
  add_software(f, r.software);
  for (const auto& c : r.checks) add(f, "check." + c.id, to_string(c.status), FieldKind::check);
  return f;
}

Severity severity_of(FieldKind kind, const std::string& base, const std::string& other, std::string* note) {
  auto say = [&](std::string s) {
    if (note) *note = std::move(s);
  };
  if (base == other) return Severity::info;
  switch (kind) {
    case FieldKind::info: return Severity::info;
    case FieldKind::warning: say("differs: " + shown(base) + " → " + shown(other)); return Severity::warning;
    case FieldKind::driver_branch:
    case FieldKind::major_version: {
      const std::string what = kind == FieldKind::driver_branch ? "driver branch " : "major version ";
      if (base.empty() || other.empty() || major_of(base) != major_of(other)) {
        say(what + shown(major_of(base)) + " → " + shown(major_of(other)));
        return Severity::warning;
      }
      say("same " + what + major_of(base));
      return Severity::info;
    }
    case FieldKind::library:
      if (!is_missing(base) && is_missing(other)) {
        say("missing here, present in the base");
        return Severity::failure;
      }
      if (is_missing(base) && !is_missing(other)) say("present here, missing in the base");
      return Severity::info;
    case FieldKind::check:
      if ((is_ok(base) && is_fail(other)) || (is_fail(base) && is_ok(other))) {
        say(is_fail(other) ? "fails here, passes in the base" : "passes here, fails in the base");
        return Severity::failure;
      }
      if (is_ok(base) && is_ok(other)) {
        say(base + " → " + other);
        return Severity::warning;
      }
      return Severity::info;
    case FieldKind::framework:
      if (!base.empty() && other.empty()) {
        say("missing here, present in the base");
        return Severity::failure;
      }
      if (base.empty()) {
        say("present here, missing in the base");
        return Severity::info;
      }
      say(base + " → " + other);
      return Severity::warning;
    case FieldKind::available:
      if (base == "yes" && other != "yes") {
        say(other.empty() ? "not asked here, reaches the GPU in the base" : "no GPU here, reaches the GPU in the base");
        return other.empty() ? Severity::warning : Severity::failure;
      }
      return Severity::info;
    case FieldKind::gpu_count: {
      const long b = std::strtol(base.c_str(), nullptr, 10), o = std::strtol(other.c_str(), nullptr, 10);
      if (o < b) {
        say("fewer GPUs than the base");
        return Severity::failure;
      }
      return Severity::info;
    }
  }
  return Severity::info;
}

std::string report_label(const Report& r) {
  if (!r.label.empty()) return r.label;
  if (r.host.cloud && !r.host.cloud->instance_type.empty()) return r.host.cloud->instance_type;
  if (!r.host.hostname.empty()) return r.host.hostname;
  return "report";
}

std::vector<std::string> unique_labels(const std::vector<Report>& reports, const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    std::string l = i < overrides.size() && !overrides[i].empty() ? overrides[i] : report_label(reports[i]);
    const int n = ++seen[l];
    if (n > 1) l += " #" + std::to_string(n);
    out.push_back(l);
  }
  return out;
}

double parse_tolerance(const std::string& s) {
  std::string t;
  for (char c : s)
    if (c != ' ') t += c;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  if (t.empty() || t.find_first_not_of("0123456789.") != std::string::npos || t.find('.') != t.rfind('.') ||
      t == ".")
    throw std::invalid_argument("tolerance '" + s + "' is not a number: write 5% or 0.05");
  const double v = std::stod(t);
  if (percent) {
    if (v >= 100.0) throw std::invalid_argument("tolerance '" + s + "' must be below 100%");
    return v / 100.0;
  }
  if (v >= 1.0) throw std::invalid_argument("tolerance '" + s + "' is ambiguous: write " + t + "% or a fraction below 1");
  return v;
}

BenchVerdict noise_verdict(double base_value, double base_noise, double value, double noise, bool higher_better) {
  if (!(base_value > 0) || !std::isfinite(value)) return BenchVerdict::unknown;
  const double diff = (value - base_value) / base_value;
  double threshold = 0.0;
  if (base_noise > 0 && noise > 0) threshold = std::min(base_noise, noise);
  else threshold = std::max(std::max(base_noise, noise), 0.0);
  if (std::fabs(diff) <= threshold) return BenchVerdict::same;
  if (diff == 0.0) return BenchVerdict::same;
  return (diff > 0) == higher_better ? BenchVerdict::faster : BenchVerdict::slower;
}

Comparison compare_reports(const std::vector<Report>& reports, const std::vector<std::string>& labels,
                           double tolerance) {
  Comparison c;
  c.tolerance = tolerance;
  const auto names = unique_labels(reports, labels);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    Column col;
    col.label = names[i];
    col.instance_type = reports[i].host.cloud ? reports[i].host.cloud->instance_type : "";
    col.gpus = gpu_summary(reports[i].gpus);
    c.columns.push_back(col);
  }
  c.env = environment_rows(reports, false);
  c.benchmarks = bench_rows(reports, tolerance);
  return c;
}

std::optional<double> perf_per_dollar(const BenchRow& row, std::size_t column, const Comparison& c) {
  if (!row.higher_better || column >= c.columns.size() || column >= row.cells.size()) return std::nullopt;
  const auto& b = row.cells[column].bench;
  if (!b || !b->value || b->status != BenchStatus::ok) return std::nullopt;
  const auto& col = c.columns[column];
  const auto divisor = b->scope == BenchScope::node ? col.price_per_hour : price_per_gpu_hour(col);
  if (!divisor || *divisor <= 0) return std::nullopt;
  return *b->value / *divisor;
}

std::optional<double> price_per_gpu_hour(const Column& col) {
  if (!col.price_per_hour || !col.instance_gpus || *col.instance_gpus <= 0) return std::nullopt;
  return *col.price_per_hour / *col.instance_gpus;
}

std::string format_percent(double fraction) {
  char buf[32];
  const double p = fraction * 100.0;
  if (std::fabs(p - std::round(p)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f%%", p);
  else if (std::fabs(p) >= 10) std::snprintf(buf, sizeof buf, "%.1f%%", p);
  else std::snprintf(buf, sizeof buf, "%.2g%%", p);
  return buf;
}

CompareOutcome compare_outcome(const Comparison& c, const CompareOptions& o) {
  CompareOutcome out;
  std::vector<std::string> failures, regressions;
  for (const auto& e : c.env) {
    if (e.severity == Severity::failure) {
      ++out.env_failures;
      failures.push_back(e.field);
    } else if (e.severity == Severity::warning) {
      ++out.env_warnings;
    } else {
      ++out.env_info;
    }
  }
  for (const auto& row : c.benchmarks) {
    for (std::size_t i = 1; i < row.cells.size(); ++i) {
      const auto& cell = row.cells[i];
      const std::string who = row.name + (c.columns.size() > 2 ? " on " + c.columns[i].label : "");
      switch (cell.verdict) {
        case BenchVerdict::faster: ++out.faster; break;
        case BenchVerdict::same: ++out.same; break;
        case BenchVerdict::slower: ++out.slower; break;
        case BenchVerdict::failed: ++out.failed; failures.push_back("benchmark " + who); break;
        default: break;
      }
      if (cell.regression) {
        ++out.regressions;
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, " ×%.3g", cell.ratio);
        regressions.push_back(who + ratio);
      }
    }
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > 5) s += ", …";
    return s;
  };
  const std::string tol = format_percent(c.tolerance);
  const std::string counts = std::to_string(out.faster) + " faster, " + std::to_string(out.slower) + " slower, " +
                             std::to_string(out.same) + " same; environment: " + std::to_string(out.env_failures) +
                             " failures, " + std::to_string(out.env_warnings) + " warnings, " +
                             std::to_string(out.env_info) + " informational";
  if (!failures.empty()) {
    out.exit_code = 1;
    out.line = "DIFFERENT: " + std::to_string(failures.size()) + " failure-level difference" +
               (failures.size() == 1 ? "" : "s") + " (" + list(failures) + ")";
    if (!regressions.empty())
      out.line += "; " + std::to_string(regressions.size()) + " slower beyond " + tol + " (" + list(regressions) + ")";
  } else if (!regressions.empty()) {
    out.exit_code = o.fail_on_regression ? 1 : 0;
    out.line = "REGRESSION: " + std::to_string(regressions.size()) + " benchmark" +
               (regressions.size() == 1 ? "" : "s") + " slower than the base beyond " + tol + " (" +
               list(regressions) + ")" + (o.fail_on_regression ? "" : "; --fail-on-regression makes this exit 1");
  } else if (o.strict && out.env_warnings > 0) {
    out.exit_code = 1;
    out.line = "DIFFERENT (strict): " + std::to_string(out.env_warnings) + " warning-level environment difference" +
               (out.env_warnings == 1 ? "" : "s");
  } else {
    // SAME only when nothing measurably moved; OK when something did, within the tolerance.
    out.line = std::string(out.slower || out.faster ? "OK: " : "SAME: ") + "no regression beyond " + tol;
  }
  out.line += " (" + counts + ")";
  return out;
}

}  // namespace gpuprobe
