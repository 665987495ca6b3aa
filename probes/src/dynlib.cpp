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
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

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

namespace {

// The prefixes of the Python environments a machine may hold NVIDIA's wheels in, most specific first.
std::vector<std::string> python_prefixes(const SystemView& sys) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& p) {
    if (!p.empty() && p[0] == '/' && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  const auto add_with_envs = [&](const std::string& p) {  // a conda installation and its named envs
    add(p);
    for (const auto& e : sys.list_dir(p + "/envs")) add(p + "/envs/" + e);
  };
  for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (auto v = sys.getenv(var)) add(*v);
  // Virtualenvs put on PATH without being activated (uv's and many images' ENV PATH=/app/.venv/bin:$PATH).
  if (auto path = sys.getenv("PATH")) {
    std::istringstream in(*path);
    std::string d;
    while (std::getline(in, d, ':')) {
      if (d.size() > 4 && d.compare(d.size() - 4, 4, "/bin") == 0) {
        const std::string env = d.substr(0, d.size() - 4);
        if (sys.exists(env + "/pyvenv.cfg")) add(env);
      }
    }
  }
  if (auto home = sys.getenv("HOME"); home && !home->empty() && (*home)[0] == '/') {
    add(*home + "/.local");
    for (const char* conda : {"miniconda3", "miniforge3", "mambaforge", "anaconda3"}) add_with_envs(*home + "/" + conda);
  }
  const std::string pyenv = sys.getenv("PYENV_ROOT").value_or(sys.getenv("HOME").value_or("") + "/.pyenv");
  for (const auto& v : sys.list_dir(pyenv + "/versions")) add(pyenv + "/versions/" + v);
  add_with_envs("/opt/conda");
  add("/usr/local");
  add("/usr");
  return out;
}

// "python3.12" -> 12; -1 for anything else.
int python3_minor(const std::string& name) {
  if (name.rfind("python3.", 0) != 0 || name.size() == 8) return -1;
  const std::string minor = name.substr(8);
  if (minor.find_first_not_of("0123456789") != std::string::npos || minor.size() > 3) return -1;
  return std::stoi(minor);
}

// <site-packages> of a wheel library folder <site-packages>/nvidia/<package>/lib.
std::string site_of(const std::string& wheel_dir) { return wheel_dir.substr(0, wheel_dir.rfind("/nvidia/")); }

// The distributions installed in a site-packages folder (a real path), from pip's
// <name>-<version>.dist-info folders (the name normalized to lower case and '_').
struct Distribution {
  std::string name, version;
};
std::vector<Distribution> installed_distributions(const std::string& site) {
  static const std::string suffix = ".dist-info";
  std::vector<Distribution> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(site, ec)) {
    const std::string n = e.path().filename().string();
    if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const auto dash = n.find('-');
    if (dash == std::string::npos) continue;
    out.push_back({n.substr(0, dash), n.substr(dash + 1, n.size() - suffix.size() - dash - 1)});
  }
  return out;
}

// "13.1.0.3" -> "13.1.0": at most major.minor.patch; "" when a component before that is not a number.
std::string major_minor_patch(const std::string& v) {
  int dots = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '.' && ++dots == 3) return v.substr(0, i);
    if (v[i] != '.' && (v[i] < '0' || v[i] > '9')) return "";
  }
  return v;
}

}  // namespace

std::vector<std::string> python_wheel_library_dirs(const SystemView& sys) {
  std::vector<std::string> sites;
  for (const auto& prefix : python_prefixes(sys)) {
    const std::string lib = prefix + "/lib";
    std::vector<std::string> pythons;
    for (const auto& py : sys.list_dir(lib))
      if (python3_minor(py) >= 0) pythons.push_back(py);
    // Newest Python first (python3.12 before python3.9).
    std::sort(pythons.begin(), pythons.end(),
              [](const std::string& a, const std::string& b) { return python3_minor(a) > python3_minor(b); });
    for (const auto& py : pythons)
      for (const char* kind : {"/site-packages", "/dist-packages"}) sites.push_back(lib + "/" + py + kind);
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

std::string find_wheel_library_file(const std::string& soname, const SystemView& sys,
                                    const std::string& prefer_distribution) {
  std::string first;
  for (const auto& dir : python_wheel_library_dirs(sys)) {
    const std::string candidate = sys.path(dir + "/" + soname);
    char resolved[PATH_MAX];
    if (!::realpath(candidate.c_str(), resolved)) continue;
    if (prefer_distribution.empty()) return resolved;
    const auto installed = installed_distributions(sys.path(site_of(dir)));
    if (std::any_of(installed.begin(), installed.end(),
                    [&](const Distribution& d) { return d.name.rfind(prefer_distribution, 0) == 0; }))
      return resolved;
    if (first.empty()) first = resolved;
  }
  return first;
}

std::string wheel_distribution_version(const std::string& lib_path, const std::string& distribution) {
  const auto at = lib_path.rfind("/nvidia/");
  if (at == std::string::npos) return "";
  // <distribution> or <distribution>_cuNN, not another project of that prefix (nvidia_cublasmp...).
  for (const auto& d : installed_distributions(lib_path.substr(0, at)))
    if (d.name == distribution || d.name.rfind(distribution + "_cu", 0) == 0) return major_minor_patch(d.version);
  return "";
}

std::string wheel_library_note(const std::string& path) {
  const auto slash = path.rfind('/');
  return "from a pip wheel in " + path.substr(0, slash == std::string::npos ? 0 : slash) +
         ", not on the loader's paths: Python packages (PyTorch, JAX) load it, C/C++ programs do not find it "
         "unless LD_LIBRARY_PATH names that folder";
}

DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs,
                    const std::string& prefer_distribution) {
  if (sonames.empty()) return DynLib{};
  // The exact name through the loader, then from a wheel, then any other name through the loader
  // (an unversioned libcublas.so on the loader's path may be another major than the wheel's).
  DynLib lib = DynLib::open({sonames.front()});
  if (lib.loaded()) return lib;
  if (const std::string path = find_wheel_library_file(sonames.front(), SystemView::live(), prefer_distribution);
      !path.empty()) {
    const std::string dir = path.substr(0, path.rfind('/'));
    for (const auto& dep : needs) (void)DynLib::open({dir + "/" + dep});  // kept loaded: never closed
    DynLib wheel = DynLib::open({path});  // its error, if any, says what is wrong with the wheel's copy
    wheel.from_wheel_ = true;
    return wheel;
  }
  if (sonames.size() > 1) {
    DynLib other = DynLib::open(std::vector<std::string>(sonames.begin() + 1, sonames.end()));
    if (other.loaded()) return other;
  }
  return lib;  // the loader's error for the exact name
}

std::string version_from_library_path(const std::string& path) {
  const auto so = path.rfind(".so.");
  if (so == std::string::npos) return "";
  return major_minor_patch(path.substr(so + 4));
}

}  // namespace gpuprobe
