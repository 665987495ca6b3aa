#include "gpuprobe/report/load.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "gpuprobe/report/json_fast.hpp"

namespace gpuprobe {

std::string json_depth_problem(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return "nested deeper than " + std::to_string(max_depth) + " levels (at byte " + std::to_string(i) + ")";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return "";
}

namespace {

std::string cap_text(std::uint64_t max_bytes) {
  if (max_bytes >= (1ULL << 20) && max_bytes % (1ULL << 20) == 0) return std::to_string(max_bytes >> 20) + " MiB";
  return std::to_string(max_bytes) + " bytes";
}

// Reads to the end; `expected` (a regular file's size, else 0) is reserved first, so a large input
// is not copied as the string grows.
std::string read_stream(std::FILE* f, const std::string& name, std::uint64_t max_bytes, std::uint64_t expected) {
  std::string text;
  if (expected > 0 && expected <= max_bytes) text.reserve(static_cast<std::size_t>(expected) + 1);
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (text.size() + n > max_bytes)
      throw ReportError(name + ": larger than the " + cap_text(max_bytes) + " a report may have");
    text.append(buf, n);
  }
  if (std::ferror(f)) throw ReportError(name + ": read error: " + std::strerror(errno));
  return text;
}
}  // namespace

Report parse_report_text(std::string_view text, const std::string& origin) {
  const std::string where = origin.empty() ? "" : origin + ": ";
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw ReportError(where + "empty file, not a gpuprobe report");
  // The fast reader takes well-formed reports within the depth limit; on anything else the depth
  // guard runs first (nlohmann's parser recurses), then nlohmann reads the text or names the error.
  nlohmann::json j;
  if (!parse_json_fast(text, j, kMaxJsonDepth)) {
    if (auto p = json_depth_problem(text); !p.empty()) throw ReportError(where + "not a gpuprobe report: JSON " + p);
    try {
      j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
      // e.what() names the byte and what was expected ("unexpected end of input" for a truncated file).
      throw ReportError(where + "not valid JSON: " + e.what());
    }
  }
  try {
    return report_from_json(j);  // schema compatibility, field types and the benchmarks[] shape are checked there
  } catch (const ReportError& e) {
    throw ReportError(where + e.what());
  } catch (const std::exception& e) {  // a nlohmann type error the reader did not wrap
    throw ReportError(where + "malformed report: " + e.what());
  }
}

std::string read_capped_file(const std::string& path, std::uint64_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw ReportError(path + ": no such file");
  if (fs::is_directory(st)) throw ReportError(path + ": is a directory, not a report file");
  std::uint64_t expected = 0;
  if (fs::is_regular_file(st)) {
    const auto size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
      throw ReportError(path + ": " + std::to_string(size) + " bytes, larger than the " +
                        cap_text(max_bytes) + " a report may have");
    if (!ec) expected = size;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw ReportError(path + ": cannot open: " + std::strerror(errno));
  return read_stream(f.get(), path, max_bytes, expected);
}

std::string read_capped_stream(std::FILE* f, const std::string& name, std::uint64_t max_bytes) {
  return read_stream(f, name, max_bytes, 0);
}

Report load_report_file(const std::string& path, std::uint64_t max_bytes) {
  const std::string text = read_capped_file(path, max_bytes);
  return parse_report_text(text, path);
}

}  // namespace gpuprobe
