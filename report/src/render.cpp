#include "gpuprobe/report/render.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace gpuprobe {
namespace {

const char* kReset = "\033[0m";

const char* status_color(Status s) {
  switch (s) {
    case Status::pass: return "\033[32m";
    case Status::warn: return "\033[33m";
    case Status::fail: return "\033[1;31m";
    case Status::skip: return "\033[2m";
  }
  return "";
}

std::string status_tag(Status s) {
  switch (s) {
    case Status::pass: return "PASS";
    case Status::warn: return "WARN";
    case Status::fail: return "FAIL";
    case Status::skip: return "SKIP";
  }
  return "????";
}

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

}  // namespace

bool want_color(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return isatty(fd) == 1;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string cloud_machine_name(const std::string& provider) {
  if (provider == "aws") return "EC2";
  return provider;
}

std::string format_cuda_version(int v) {
  if (v <= 0) return "?";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string render_check_row(const CheckResult& c, const TableStyle& style) {
  std::ostringstream os;
  const std::string tag = status_tag(c.status);
  if (style.color) os << status_color(c.status) << tag << kReset;
  else os << tag;
  char dur[24];
  std::snprintf(dur, sizeof dur, "%7.0f ms", c.duration_ms);
  os << "  " << pad(c.id, 12) << " " << dur << "  " << c.message;
  if (!c.measured.empty() && c.message.find(c.measured) == std::string::npos) os << " [" << c.measured << "]";
  os << "\n";
  if (style.hints && (c.status == Status::fail || c.status == Status::warn) && !c.hint.empty())
    os << "      " << pad("", 12) << "            fix: " << c.hint << "\n";
  return os.str();
}

std::string render_header(const Report& r, const TableStyle& style) {
  std::ostringstream os;
  const char* b = style.color ? "\033[1m" : "";
  const char* e = style.color ? kReset : "";
  os << b << "gpuprobe " << r.software.gpuprobe_version << e << " (" << r.software.gpuprobe_revision
     << ", CUDA " << r.software.cuda_toolkit << ", archs " << r.software.cuda_architectures << ")\n";
  os << "host    " << r.host.hostname;
  if (!r.label.empty() && r.label != r.host.hostname) os << " [" << r.label << "]";
  os << " · " << (r.host.os.empty() ? "unknown OS" : r.host.os) << " · kernel " << r.host.kernel;
  if (r.host.container.detected)
    os << " · container" << (r.host.container.runtime.empty() ? "" : " (" + r.host.container.runtime + ")");
  if (const auto& c = r.host.cloud)
    os << " · " << cloud_machine_name(c->provider) << " "
       << (c->instance_type.empty() ? "(type unknown)" : c->instance_type);
  os << "\n";
  os << "driver  " << r.software.driver_version.value_or("none");
  if (r.software.cuda_driver_version) os << " (CUDA " << format_cuda_version(*r.software.cuda_driver_version) << ")";
  if (r.software.cuda_runtime_version) os << " · runtime " << format_cuda_version(*r.software.cuda_runtime_version);
  os << " · cuBLAS " << r.software.cublas_version.value_or("-") << " · cuDNN "
     << r.software.cudnn_version.value_or("-") << "\n";
  for (const auto& g : r.gpus) {
    os << "gpu " << g.index << "   " << g.name << " · cc " << g.cc_major << "." << g.cc_minor << " · " << g.sm_count
       << " SMs · " << format_bytes(g.memory_total_bytes);
    if (!g.pci_bus_id.empty()) os << " · " << g.pci_bus_id;
    os << "\n";
  }
  return os.str();
}

std::string render_verdict(const Report& r, const TableStyle& style) {
  std::string color;
  if (style.color) color = r.exit_code == 0 ? "\033[1;32m" : "\033[1;31m";
  return color + r.verdict + (style.color ? kReset : "") + " [exit " + std::to_string(r.exit_code) + "]\n";
}

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') out += "?";
        else out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string shape_text(const nlohmann::json& p) {
  auto i = [&](const char* k) { return p.contains(k) && p[k].is_number_integer() ? p[k].get<long long>() : -1; };
  char buf[160];
  if (i("src") >= 0 && i("dst") >= 0) {  // a GPU pair: "0→1 64 MiB"
    nlohmann::json rest = p;
    rest.erase("src");
    rest.erase("dst");
    return std::to_string(i("src")) + "→" + std::to_string(i("dst")) + " " + shape_text(rest);
  }
  if (i("m") >= 0 && i("n") >= 0 && i("k") >= 0 && !p.contains("r")) {
    std::snprintf(buf, sizeof buf, "%lldx%lldx%lld", i("m"), i("n"), i("k"));
    return buf;
  }
  if (i("r") >= 0) {
    std::snprintf(buf, sizeof buf, "n%lld %lldx%lldx%lld k%lld %lldx%lld /%lld p%lld", i("n"), i("h"), i("w"), i("c"),
                  i("k"), i("r"), i("s"), i("stride_h"), i("pad_h"));
    return buf;
  }
  if (i("bytes") >= 0) {
    const double b = static_cast<double>(i("bytes"));
    if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.0f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1024.0 * 1024));
    else std::snprintf(buf, sizeof buf, "%.0f B", b);
    return buf;
  }
  return p.is_object() ? p.dump() : "";
}

namespace {

std::string fmt(const std::optional<double>& v, const char* f) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, *v);
  return buf;
}

}  // namespace

std::string render_benchmark_table(const std::vector<Benchmark>& entries, const TableStyle& style) {
  const char* failed = style.color ? status_color(Status::fail) : "";
  const char* skipped = style.color ? status_color(Status::skip) : "";
  const char* throttled = style.color ? status_color(Status::warn) : "";
  const char* reset = style.color ? kReset : "";
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-30s %-30s %12s %-7s %7s %8s %7s  %s\n", "benchmark", "shape", "value", "unit",
                "% peak", "% base", "spread", "result");
  out += buf;
  for (const auto& e : entries) {
    std::string result;
    const char* col = "";
    if (e.status == BenchStatus::failed) {
      result = "FAILED: " + e.reason.value_or("?");
      col = failed;
    } else if (e.status == BenchStatus::skipped) {
      result = "skipped: " + e.reason.value_or("?");
      col = skipped;
    } else {
      result = e.verified.value_or(false) ? "verified" : "not verified";
      if (e.throttled.value_or(false)) {
        result += " (throttled:";
        for (const auto& r : e.throttle_reasons.value_or(std::vector<std::string>{})) result += " " + r;
        result += ")";
        col = throttled;
      }
      if (e.power_capped.value_or(false)) result += " (power capped)";
    }
    std::optional<double> spread_percent;
    if (e.rel_spread) spread_percent = 100.0 * *e.rel_spread;
    std::string shape = shape_text(e.params);
    if (const std::string where = e.where_text(); !where.empty()) shape += ' ' + where;  // "gpu 3", "node"
    std::snprintf(buf, sizeof buf, "%-30s %-30s %12s %-7s %7s %8s %6s%%  %s%s%s\n", e.name.c_str(), shape.c_str(),
                  fmt(e.value, "%.2f").c_str(), e.unit.c_str(),
                  fmt(e.peak_percent, "%.1f").c_str(), fmt(e.baseline_percent, "%.1f").c_str(),
                  fmt(spread_percent, "%.2f").c_str(), col, result.c_str(), reset);
    out += buf;
  }
  return out;
}

namespace {

struct JunitCase {
  std::string name;
  double seconds = 0;
  enum { pass, fail, skip } kind = pass;
  std::string message, type;
  std::string body;  // the <failure> text
  std::string out;   // <system-out>
};

// One testcase per benchmark: failed -> <failure>, skipped -> <skipped>, the numbers in system-out.
std::vector<JunitCase> benchmark_cases(const std::vector<Benchmark>& benchmarks) {
  std::vector<JunitCase> out;
  for (const auto& e : benchmarks) {
    JunitCase c;
    c.name = e.name.empty() ? "?" : e.name;
    if (const std::string p = e.params_text(); !p.empty()) c.name += " " + p;
    if (const std::string where = e.where_text(); !where.empty()) c.name += " " + where;  // bench --gpus
    c.seconds = e.wall_seconds.value_or(0.0);
    const std::string reason = e.reason.value_or("");
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.4g %s, %.1f %% of peak, spread %.2f %%", e.value.value_or(-1.0), e.unit.c_str(),
                  e.peak_percent.value_or(-1.0), 100.0 * e.rel_spread.value_or(-1.0));
    if (e.status == BenchStatus::failed) {
      c.kind = JunitCase::fail;
      c.message = reason;
      c.type = e.verified == false ? "wrong_result" : "error";
      c.body = reason;
      c.out = "failed: " + reason;
    } else if (e.status == BenchStatus::skipped) {
      c.kind = JunitCase::skip;
      c.message = reason;
      c.out = "skipped: " + reason;
    } else {
      c.out = buf;
      if (e.verification) c.out += "\n" + *e.verification;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::string render_junit(const Report& r) {
  std::vector<JunitCase> checks;
  for (const auto& c : r.checks) {
    JunitCase j;
    j.name = c.id;
    j.seconds = c.duration_ms / 1000.0;
    j.kind = c.status == Status::fail ? JunitCase::fail : c.status == Status::skip ? JunitCase::skip : JunitCase::pass;
    j.message = c.message;
    j.type = c.reason;
    j.body = c.message + (c.hint.empty() ? "" : "\nfix: " + c.hint);
    j.out = std::string(to_string(c.status)) + ": " + j.body;
    checks.push_back(std::move(j));
  }
  const std::string command = r.command.empty() ? std::string("check") : r.command;
  // `check`: one suite of checks. `bench`: the checks that ran first, then one testcase per benchmark.
  std::vector<std::pair<std::string, std::vector<JunitCase>>> suites = {{"gpuprobe." + command, std::move(checks)}};
  auto bench = benchmark_cases(r.benchmarks);
  if (!bench.empty()) suites.emplace_back("gpuprobe." + command + ".benchmarks", std::move(bench));
  if (r.burn) {  // `burn`: one testcase per GPU, failed when faulty, throttled or slow
    std::vector<JunitCase> gpus;
    for (const auto& g : r.burn->gpus) {
      JunitCase j;
      j.name = "GPU " + std::to_string(g.index) + " " + g.name;
      j.seconds = r.burn->elapsed_s;
      j.kind = g.verdict == "healthy" ? JunitCase::pass : JunitCase::fail;
      j.type = g.verdict;
      for (const auto& f : g.findings) {
        if (f.severity == "info") continue;
        if (j.message.empty()) j.message = f.reason + ": " + f.message;
        j.body += f.severity + " (" + f.reason + "): " + f.message + (f.hint.empty() ? "" : "\nfix: " + f.hint) + "\n";
      }
      j.out = g.verdict + ": " + std::to_string(g.steps) + " steps, " + std::to_string(g.mismatches) + " wrong";
      gpus.push_back(std::move(j));
    }
    suites.emplace_back("gpuprobe." + command + ".gpus", std::move(gpus));
  }

  auto count = [](const std::vector<JunitCase>& v, int& fails, int& skips, double& secs) {
    for (const auto& c : v) {
      fails += c.kind == JunitCase::fail;
      skips += c.kind == JunitCase::skip;
      secs += c.seconds;
    }
  };
  int all_fail = 0, all_skip = 0;
  double all_secs = 0;
  std::size_t all_tests = 0;
  for (const auto& [name, cases] : suites) {
    count(cases, all_fail, all_skip, all_secs);
    all_tests += cases.size();
  }
  std::ostringstream os;
  char t[32];
  std::snprintf(t, sizeof t, "%.3f", all_secs);
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << "<testsuites name=\"gpuprobe\" tests=\"" << all_tests << "\" failures=\"" << all_fail
     << "\" errors=\"0\" skipped=\"" << all_skip << "\" time=\"" << t << "\">\n";
  for (const auto& [suite, cases] : suites) {
    int fails = 0, skips = 0;
    double secs = 0;
    count(cases, fails, skips, secs);
    std::snprintf(t, sizeof t, "%.3f", secs);
    os << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << cases.size() << "\" failures=\"" << fails
       << "\" errors=\"0\" skipped=\"" << skips << "\" time=\"" << t << "\" timestamp=\"" << xml_escape(r.created_at)
       << "\" hostname=\"" << xml_escape(r.host.hostname) << "\">\n";
    os << "    <properties>\n";
    auto prop = [&](const std::string& k, const std::string& v) {
      os << "      <property name=\"" << xml_escape(k) << "\" value=\"" << xml_escape(v) << "\"/>\n";
    };
    prop("label", r.label);
    prop("verdict", r.verdict);
    prop("exit_code", std::to_string(r.exit_code));
    prop("driver_version", r.software.driver_version.value_or(""));
    for (const auto& g : r.gpus) prop("gpu." + std::to_string(g.index), g.name);
    os << "    </properties>\n";
    for (const auto& c : cases) {
      std::snprintf(t, sizeof t, "%.3f", c.seconds);
      os << "    <testcase classname=\"" << xml_escape(suite) << "\" name=\"" << xml_escape(c.name) << "\" time=\"" << t
         << "\">\n";
      if (c.kind == JunitCase::fail)
        os << "      <failure message=\"" << xml_escape(c.message) << "\" type=\"" << xml_escape(c.type) << "\">"
           << xml_escape(c.body) << "</failure>\n";
      else if (c.kind == JunitCase::skip)
        os << "      <skipped message=\"" << xml_escape(c.message) << "\"/>\n";
      os << "      <system-out>" << xml_escape(c.out) << "</system-out>\n";
      os << "    </testcase>\n";
    }
    os << "  </testsuite>\n";
  }
  os << "</testsuites>\n";
  return os.str();
}

}  // namespace gpuprobe
