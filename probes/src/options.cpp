#include "gpuprobe/probes/options.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gpuprobe {
namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Parse a non-negative decimal number covering the whole prefix; returns chars used.
double parse_number(const std::string& s, std::size_t& used, const std::string& what) {
  std::size_t i = 0;
  bool digits = false, dot = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
    if (s[i] == '.') dot = true;
    else digits = true;
    ++i;
  }
  if (!digits) throw std::invalid_argument(what + ": '" + s + "' is not a number");
  used = i;
  return std::stod(s.substr(0, i));
}
}  // namespace

ComputeCapability parse_compute_capability(const std::string& s) {
  const std::string err = "compute capability must look like 8.0 or 9.0, got '" + s + "'";
  if (s.empty() || s.size() > 6) throw std::invalid_argument(err);
  const auto dot = s.find('.');
  const std::string maj = s.substr(0, dot), min = dot == std::string::npos ? "0" : s.substr(dot + 1);
  auto all_digits = [](const std::string& x) {
    return !x.empty() && std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (!all_digits(maj) || !all_digits(min) || min.size() != 1) throw std::invalid_argument(err);
  ComputeCapability cc{std::stoi(maj), std::stoi(min)};
  if (cc.major < 1 || cc.major > 20) throw std::invalid_argument(err);
  return cc;
}

std::uint64_t parse_memory_size(const std::string& input) {
  const std::string s = lower(input);
  std::size_t used = 0;
  const double n = parse_number(s, used, "memory size");
  std::string unit = s.substr(used);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  double mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else
    throw std::invalid_argument("memory size: unknown unit '" + unit + "' in '" + input +
                                "' (use B, KiB, MiB, GiB, TiB; K/M/G/T mean the same)");
  const double bytes = n * mult;
  if (!std::isfinite(bytes) || bytes > 1.8e19) throw std::invalid_argument("memory size: '" + input + "' is too large");
  return static_cast<std::uint64_t>(bytes);
}

std::set<std::string> parse_require_list(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = lower(item);
    item.erase(std::remove_if(item.begin(), item.end(), [](unsigned char c) { return std::isspace(c); }), item.end());
    if (item.empty()) continue;
    const bool known = std::any_of(std::begin(kRequirableLibraries), std::end(kRequirableLibraries),
                                   [&](const char* k) { return item == k; });
    if (!known) throw std::invalid_argument("--require: unknown library '" + item + "' (known: cublas, cudnn, nvml)");
    out.insert(item);
  }
  return out;
}

double parse_fraction(const std::string& s) {
  std::size_t used = 0;
  double v = parse_number(s, used, "fraction");
  const std::string rest = s.substr(used);
  if (rest == "%") v /= 100.0;
  else if (!rest.empty()) throw std::invalid_argument("fraction: '" + s + "' must be like 0.1 or 10%");
  if (!(v > 0.0 && v <= 0.9)) throw std::invalid_argument("fraction: '" + s + "' must be in (0, 0.9]");
  return v;
}

}  // namespace gpuprobe
