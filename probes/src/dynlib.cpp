#include "gpuprobe/probes/dynlib.hpp"

#include <dlfcn.h>
#include <link.h>

namespace gpuprobe {

DynLib DynLib::open(const std::vector<std::string>& sonames) {
  DynLib lib;
  for (const auto& name : sonames) {
    dlerror();
    void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      lib.error_ = e ? e : (name + ": cannot be loaded");
      continue;
    }
    lib.handle_ = h;
    lib.soname_ = name;
    lib.error_.clear();
    link_map* lm = nullptr;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) lib.path_ = lm->l_name;
    if (lib.path_.empty()) lib.path_ = name;
    break;
  }
  return lib;
}

void* DynLib::raw(const char* symbol) const {
  if (!handle_) return nullptr;
  return dlsym(handle_, symbol);
}

}  // namespace gpuprobe

#include <glob.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace gpuprobe {
namespace {

void read_ld_conf(const SystemView& sys, const std::string& file, std::vector<std::string>& dirs, int depth) {
  if (depth > 4) return;
  const auto text = sys.read_file(file, 256 * 1024);
  if (!text) return;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.rfind("include", 0) == 0) {
      const std::string pattern = trim(line.substr(7));
      glob_t g{};
      if (::glob(sys.path(pattern).c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
          std::string p = g.gl_pathv[i];
          if (sys.root != "/" && p.rfind(sys.path(""), 0) == 0) p = p.substr(sys.path("").size());
          read_ld_conf(sys, p, dirs, depth + 1);
        }
      }
      globfree(&g);
    } else {
      dirs.push_back(line);
    }
  }
}

}  // namespace

std::string find_library_file(const std::string& soname, const SystemView& sys) {
  std::vector<std::string> dirs;
  if (auto llp = sys.getenv("LD_LIBRARY_PATH")) {
    std::istringstream in(*llp);
    std::string d;
    while (std::getline(in, d, ':'))
      if (!d.empty()) dirs.push_back(d);
  }
  read_ld_conf(sys, "/etc/ld.so.conf", dirs, 0);
  for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"})
    dirs.push_back(d);
  for (const auto& d : dirs) {
    const std::string candidate = sys.path(d + "/" + soname);
    char resolved[PATH_MAX];
    if (::realpath(candidate.c_str(), resolved)) return resolved;
  }
  return "";
}

std::vector<std::string> python_wheel_library_dirs(const SystemView& sys) {
  std::vector<std::string> prefixes;
  for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (auto v = sys.getenv(var); v && !v->empty() && (*v)[0] == '/') prefixes.push_back(*v);
  if (auto home = sys.getenv("HOME"); home && !home->empty() && (*home)[0] == '/') prefixes.push_back(*home + "/.local");
  for (const char* p : {"/opt/conda", "/usr/local", "/usr"}) prefixes.push_back(p);

  std::vector<std::string> sites;
  for (const auto& prefix : prefixes) {
    const std::string lib = prefix + "/lib";
    for (const auto& py : sys.list_dir(lib)) {
      if (py.rfind("python3", 0) != 0) continue;
      for (const char* kind : {"/site-packages", "/dist-packages"}) sites.push_back(lib + "/" + py + kind);
    }
  }
  sites.push_back("/usr/lib/python3/dist-packages");

  std::vector<std::string> out;
  for (const auto& site : sites) {
    const std::string nvidia = site + "/nvidia";
    for (const auto& pkg : sys.list_dir(nvidia)) {
      const std::string dir = nvidia + "/" + pkg + "/lib";
      if (sys.exists(dir) && std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
    }
  }
  return out;
}

std::string find_wheel_library_file(const std::string& soname, const SystemView& sys) {
  for (const auto& dir : python_wheel_library_dirs(sys)) {
    const std::string candidate = sys.path(dir + "/" + soname);
    char resolved[PATH_MAX];
    if (::realpath(candidate.c_str(), resolved)) return resolved;
  }
  return "";
}

bool is_wheel_library_path(const std::string& path) {
  return path.find("/site-packages/nvidia/") != std::string::npos ||
         path.find("/dist-packages/nvidia/") != std::string::npos;
}

std::string wheel_library_note(const std::string& path) {
  if (!is_wheel_library_path(path)) return "";
  const auto slash = path.rfind('/');
  return "from a pip wheel in " + path.substr(0, slash == std::string::npos ? 0 : slash) +
         ", not on the loader's paths: Python packages (PyTorch, JAX) load it, C/C++ programs do not find it "
         "unless LD_LIBRARY_PATH names that folder";
}

DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs) {
  DynLib lib = DynLib::open(sonames);
  if (lib.loaded() || sonames.empty()) return lib;
  const std::string path = find_wheel_library_file(sonames.front(), SystemView::live());
  if (path.empty()) return lib;
  const std::string dir = path.substr(0, path.rfind('/'));
  for (const auto& dep : needs) (void)DynLib::open({dir + "/" + dep});  // kept loaded: never closed
  return DynLib::open({path});  // its error, if any, says what is wrong with the wheel's copy
}

std::string version_from_library_path(const std::string& path) {
  const auto so = path.rfind(".so.");
  if (so == std::string::npos) return "";
  std::string v = path.substr(so + 4);
  // Keep at most major.minor.patch.
  int dots = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '.' && ++dots == 3) return v.substr(0, i);
    if (v[i] != '.' && (v[i] < '0' || v[i] > '9')) return "";
  }
  return v;
}

}  // namespace gpuprobe
