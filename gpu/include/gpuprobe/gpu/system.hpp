// The view of the machine that host probes read: a filesystem root and an environment.
// Tests point it at a fake root (tests/unit/fixtures) and a made-up environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpuprobe {

struct SystemView {
  std::string root = "/";  // prefix for every absolute path read
  std::map<std::string, std::string> env;

  static SystemView live();  // "/" and the process environment

  std::string path(const std::string& abs) const;  // root + abs
  std::optional<std::string> read_file(const std::string& abs, std::size_t max_bytes = 1 << 20) const;
  bool exists(const std::string& abs) const;
  std::vector<std::string> list_dir(const std::string& abs) const;  // names, sorted
  std::optional<std::string> getenv(const std::string& name) const;
};

std::string trim(const std::string& s);

}  // namespace gpuprobe
