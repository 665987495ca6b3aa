#include "gpuprobe/gpu/system.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

extern char** environ;

namespace gpuprobe {

SystemView SystemView::live() {
  SystemView v;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) v.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return v;
}

std::string SystemView::path(const std::string& abs) const {
  if (root.empty() || root == "/") return abs;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + abs;
}

std::optional<std::string> SystemView::read_file(const std::string& abs, std::size_t max_bytes) const {
  std::ifstream in(path(abs), std::ios::binary);
  if (!in) return std::nullopt;
  std::string out(max_bytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max_bytes));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

bool SystemView::exists(const std::string& abs) const {
  struct stat st {};
  return ::stat(path(abs).c_str(), &st) == 0;
}

std::vector<std::string> SystemView::list_dir(const std::string& abs) const {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path(abs).c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> SystemView::getenv(const std::string& name) const {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace gpuprobe
