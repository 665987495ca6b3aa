#include "gpuprobe/report/burn_render.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "gpuprobe/report/render.hpp"

namespace gpuprobe {
namespace {

std::string num(double v, const char* f = "%.4g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
std::vector<double> values_of(const BurnGpu& g, F field) {
  std::vector<double> out;
  for (const auto& s : g.telemetry)
    if (const auto v = field(s)) out.push_back(static_cast<double>(*v));
  return out;
}

// The cells of one GPU's row: GPU, verdict, steps, wrong, rate, SM clock, power, temperature, Xids.
std::vector<std::string> gpu_row(const BurnGpu& g) {
  const auto clock = median(values_of(g, [](const BurnSample& s) { return s.sm_clock_mhz; }));
  const auto power = median(values_of(g, [](const BurnSample& s) { return s.power_w; }));
  const auto limit = median(values_of(g, [](const BurnSample& s) { return s.power_limit_w; }));
  const auto temps = values_of(g, [](const BurnSample& s) { return s.temperature_c; });
  std::string rate = "-";
  if (g.rate_first && g.rate_last) rate = num(*g.rate_first) + " -> " + num(*g.rate_last) + " " + g.unit;
  std::string clk = clock ? num(*clock, "%.0f") : "-";
  // Appended piece by piece: "literal" + std::string&& trips GCC 12's -Wrestrict (a false positive).
  if (clock && g.sm_clock_max_mhz) clk.append("/").append(std::to_string(*g.sm_clock_max_mhz));
  std::string pw = power ? num(*power, "%.0f") : "-";
  if (power && limit) pw.append("/").append(num(*limit, "%.0f"));
  std::string xids;
  for (const auto& x : g.xids) xids.append(xids.empty() ? "" : ",").append(std::to_string(x.xid));
  return {std::to_string(g.index), g.verdict, std::to_string(g.steps), std::to_string(g.mismatches), rate,
          clk, pw, temps.empty() ? "-" : num(*std::max_element(temps.begin(), temps.end()), "%.0f"),
          xids.empty() ? "-" : xids};
}

const std::vector<std::string> kHeader = {"GPU", "verdict", "steps", "wrong", "rate first -> last",
                                          "SM MHz (median/max)", "power W (median/limit)", "max C", "Xid"};

std::string run_line(const BurnRun& b) {
  return "burn: " + b.load + ", " + num(b.elapsed_s, "%.0f") + " s of " + num(b.duration_s, "%.0f") + " s" +
         (b.interrupted ? " (INTERRUPTED: partial)" : "");
}

}  // namespace

std::string render_burn_text(const BurnRun& b) {
  std::vector<std::vector<std::string>> rows{kHeader};
  for (const auto& g : b.gpus) rows.push_back(gpu_row(g));
  std::vector<std::size_t> w(kHeader.size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  std::ostringstream os;
  os << run_line(b) << "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      os << r[i];
      if (i + 1 < r.size()) os << std::string(w[i] - r[i].size() + 2, ' ');
    }
    os << "\n";
  }
  for (const auto& g : b.gpus)
    for (const auto& f : g.findings) {
      os << "  GPU " << g.index << " " << f.severity << " (" << f.reason << "): " << f.message << "\n";
      if (!f.hint.empty() && f.severity != "info") os << "        fix: " << f.hint << "\n";
    }
  return os.str();
}

std::string render_burn_markdown(const BurnRun& b) {
  std::ostringstream os;
  os << "#### Burn\n\n" << run_line(b) << "\n\n|";
  for (const auto& h : kHeader) os << " " << h << " |";
  os << "\n|";
  for (std::size_t i = 0; i < kHeader.size(); ++i) os << "---|";
  os << "\n";
  const auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
    return out;
  };
  for (const auto& g : b.gpus) {
    os << "|";
    for (const auto& c : gpu_row(g)) os << " " << cell(c) << " |";
    os << "\n";
  }
  os << "\n";
  for (const auto& g : b.gpus)
    for (const auto& f : g.findings)
      os << "- GPU " << g.index << " **" << f.severity << "** (" << cell(f.reason) << "): " << cell(f.message)
         << (f.hint.empty() || f.severity == "info" ? "" : " — fix: " + cell(f.hint)) << "\n";
  return os.str();
}

std::string svg_line_chart(const std::string& title, const std::vector<double>& t,
                           const std::vector<std::optional<double>>& values, std::optional<double> reference,
                           const std::string& color) {
  const double width = 480, height = 160, left = 48, right = 8, top = 22, bottom = 20;
  double tmax = 0, vmax = reference.value_or(0);
  for (std::size_t i = 0; i < t.size() && i < values.size(); ++i)
    if (values[i]) tmax = std::max(tmax, t[i]), vmax = std::max(vmax, *values[i]);
  if (tmax <= 0) tmax = 1;
  if (vmax <= 0) vmax = 1;
  vmax *= 1.05;
  const auto x = [&](double v) { return left + v / tmax * (width - left - right); };
  const auto y = [&](double v) { return top + (1 - v / vmax) * (height - top - bottom); };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"series\" width=\"" << num(width, "%.0f") << "\" height=\""
     << num(height, "%.0f") << "\" viewBox=\"0 0 " << num(width, "%.0f") << " " << num(height, "%.0f")
     << "\" role=\"img\" aria-label=\"" << xml_escape(title) << "\">"
     << "<text class=\"t\" x=\"0\" y=\"14\">" << xml_escape(title) << "</text>"
     << "<line x1=\"" << left << "\" y1=\"" << num(y(0), "%.1f") << "\" x2=\"" << num(width - right, "%.0f") << "\" y2=\""
     << num(y(0), "%.1f") << "\" stroke=\"#999\"/>"
     << "<text x=\"" << left - 4 << "\" y=\"" << num(top + 8, "%.0f") << "\" text-anchor=\"end\">" << num(vmax / 1.05)
     << "</text><text x=\"" << left - 4 << "\" y=\"" << num(y(0), "%.0f") << "\" text-anchor=\"end\">0</text>"
     << "<text x=\"" << num(width - right, "%.0f") << "\" y=\"" << num(height - 4, "%.0f") << "\" text-anchor=\"end\">"
     << num(tmax, "%.0f") << " s</text>";
  if (reference)
    os << "<line class=\"ref\" x1=\"" << left << "\" y1=\"" << num(y(*reference), "%.1f") << "\" x2=\""
       << num(width - right, "%.0f") << "\" y2=\"" << num(y(*reference), "%.1f")
       << "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>";
  std::string points;
  for (std::size_t i = 0; i < t.size() && i < values.size(); ++i)
    if (values[i]) points.append(points.empty() ? "" : " ").append(num(x(t[i]), "%.1f")).append(",").append(num(y(*values[i]), "%.1f"));
  if (!points.empty())
    os << "<polyline fill=\"none\" stroke=\"" << xml_escape(color) << "\" stroke-width=\"1.5\" points=\"" << points << "\"/>";
  else
    os << "<text x=\"" << left + 8 << "\" y=\"" << num(height / 2, "%.0f") << "\">no readings</text>";
  os << "</svg>";
  return os.str();
}

std::string render_burn_html(const BurnRun& b) {
  std::ostringstream os;
  os << "<h2>Burn</h2>\n<p>" << xml_escape(run_line(b)) << "</p>\n<table>\n<tr>";
  for (const auto& h : kHeader) os << "<th>" << xml_escape(h) << "</th>";
  os << "</tr>\n";
  for (const auto& g : b.gpus) {
    const std::string cls = g.verdict == "faulty" ? "fail" : g.verdict == "healthy" ? "pass" : "warn";
    os << "<tr class=\"" << cls << "\">";
    for (const auto& c : gpu_row(g)) os << "<td>" << xml_escape(c) << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n";
  for (const auto& g : b.gpus) {
    os << "<h3>GPU " << g.index << ": " << xml_escape(g.name) << " — " << xml_escape(g.verdict) << "</h3>\n";
    if (!g.load.empty()) os << "<p class=\"muted\">" << xml_escape(g.load) << "</p>\n";
    if (!g.findings.empty()) {
      os << "<ul>\n";
      for (const auto& f : g.findings)
        os << "<li><b>" << xml_escape(f.severity) << "</b> (" << xml_escape(f.reason) << "): " << xml_escape(f.message)
           << (f.hint.empty() || f.severity == "info" ? "" : "<br><i>fix:</i> " + xml_escape(f.hint)) << "</li>\n";
      os << "</ul>\n";
    }
    std::vector<double> ts;
    std::vector<std::optional<double>> clock, power, temp;
    std::optional<double> limit;
    for (const auto& s : g.telemetry) {
      ts.push_back(s.t);
      clock.push_back(s.sm_clock_mhz ? std::optional<double>(*s.sm_clock_mhz) : std::nullopt);
      power.push_back(s.power_w);
      temp.push_back(s.temperature_c ? std::optional<double>(*s.temperature_c) : std::nullopt);
      if (s.power_limit_w) limit = s.power_limit_w;
    }
    std::vector<double> st;
    std::vector<std::optional<double>> rate;
    for (const auto& p : g.series) st.push_back(p.t), rate.push_back(p.rate);
    const std::optional<double> max_clock =
        g.sm_clock_max_mhz ? std::optional<double>(*g.sm_clock_max_mhz) : std::nullopt;
    os << "<figure class=\"chart\" data-kind=\"burn\">"
       << svg_line_chart("SM clock [MHz]", ts, clock, max_clock, "#4e79a7")
       << svg_line_chart("power [W]", ts, power, limit, "#f28e2b")
       << svg_line_chart("temperature [C]", ts, temp, std::nullopt, "#e15759")
       << svg_line_chart("throughput [" + g.unit + "]", st, rate, g.peak, "#59a14f") << "</figure>\n";
    if (!g.xids.empty()) {
      os << "<p>Xid events:";
      for (const auto& x : g.xids) os << " " << x.xid << " at " << num(x.t, "%.0f") << " s;";
      os << "</p>\n";
    }
    if (!g.telemetry_note.empty()) os << "<p class=\"muted\">telemetry: " << xml_escape(g.telemetry_note) << "</p>\n";
  }
  return os.str();
}

}  // namespace gpuprobe
