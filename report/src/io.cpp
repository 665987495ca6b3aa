#include "gpuprobe/report/io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "gpuprobe/report/load.hpp"

namespace gpuprobe {

std::vector<Report> load_reports(const std::vector<std::string>& paths) {
  std::vector<Report> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(load_report_file(p));
  return out;
}

Catalog load_catalog(const std::string& prices_path) {
  Catalog c = builtin_catalog();
  if (prices_path.empty()) return c;
  const std::string text = read_capped_file(prices_path, 1 << 20);
  if (auto p = json_depth_problem(text); !p.empty()) throw ReportError(prices_path + ": JSON " + p);
  try {
    c.prices = prices_from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw ReportError(prices_path + ": not valid JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw ReportError(prices_path + ": " + e.what());
  }
  return c;
}

std::string write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return "cannot write to stdout";
    return "";
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return "cannot write " + path + ": " + std::strerror(errno);
  if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size()) return "error writing " + path;
  if (std::fclose(f.release()) != 0) return "error writing " + path + ": " + std::strerror(errno);
  return "";
}

}  // namespace gpuprobe
