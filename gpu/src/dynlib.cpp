#include "gpuprobe/gpu/dynlib.hpp"

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
#include <optional>
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

// The whole of a file (at most 64 MiB), sized by the file rather than by a fixed buffer.
std::optional<std::string> read_whole_file(const std::string& host_path) {
  std::ifstream in(host_path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  if (size < 0 || size > (std::streamoff{64} << 20)) return std::nullopt;
  std::string out(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  in.read(out.data(), size);
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
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
  const std::size_t conf_begin = dirs.size();
  read_ld_conf(sys, "/etc/ld.so.conf", dirs, 0);
  const std::size_t conf_end = dirs.size();
  for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"})
    dirs.push_back(d);
  // The folders of ld.so.conf reach the loader only through its cache, which ldconfig writes: a
  // library put there after ldconfig last ran is not found. The cache holds each library's path as
  // a plain NUL-terminated string (both of glibc's formats): a file there counts when the cache
  // names it. Without a cache (musl, a bare fake root) the folders count as they are.
  const auto cache = read_whole_file(sys.path("/etc/ld.so.cache"));
  const bool have_cache =
      cache && (cache->rfind("ld.so-1.7.0", 0) == 0 || cache->rfind("glibc-ld.so.cache", 0) == 0);
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    const std::string& d = dirs[i];
    const std::string candidate = sys.path(d + "/" + soname);
    char resolved[PATH_MAX];
    if (!::realpath(candidate.c_str(), resolved)) continue;
    if (have_cache && i >= conf_begin && i < conf_end &&
        cache->find(d + "/" + soname + std::string(1, '\0')) == std::string::npos)
      continue;
    return resolved;
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
  add("/opt/jupyter");  // the virtualenv of gpuprobe's Jupyter image (docker/Dockerfile)
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

using Distribution = PythonDistribution;
std::vector<Distribution> installed_distributions(const std::string& site) { return python_distributions(site); }

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

std::vector<PythonDistribution> python_distributions(const std::string& site) {
  static const std::string suffix = ".dist-info";
  std::vector<PythonDistribution> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(site, ec)) {
    const std::string n = e.path().filename().string();
    if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const auto dash = n.find('-');
    if (dash == std::string::npos) continue;
    std::string name = n.substr(0, dash);
    for (char& c : name) c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back({name, n.substr(dash + 1, n.size() - suffix.size() - dash - 1), n});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dist_info < b.dist_info; });
  return out;
}

std::vector<std::string> python_site_packages_dirs(const SystemView& sys) {
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
  for (const auto& site : sites)
    if (sys.exists(site)) out.push_back(site);
  return out;
}

std::vector<std::string> python_wheel_library_dirs(const SystemView& sys) {
  std::vector<std::string> out;
  for (const auto& site : python_site_packages_dirs(sys)) {
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

// ---- CUDA toolkit folders ------------------------------------------------------------------------

namespace {

// The realpath of `abs` under the view's root; "" when it does not exist.
std::string resolved(const SystemView& sys, const std::string& abs) {
  char buf[PATH_MAX];
  return ::realpath(sys.path(abs).c_str(), buf) ? std::string(buf) : std::string();
}

// "cuda-13.0" -> {13, 0}; "cuda-13" -> {13}; empty for any other name.
std::vector<int> toolkit_folder_version(const std::string& name) {
  if (name.rfind("cuda-", 0) != 0 || name.size() == 5) return {};
  std::vector<int> v;
  std::istringstream in(name.substr(5));
  std::string part;
  while (std::getline(in, part, '.')) {
    if (part.empty() || part.size() > 4 || part.find_first_not_of("0123456789") != std::string::npos) return {};
    v.push_back(std::stoi(part));
  }
  return v;
}

// Newest first; a bare major (cuda-13, the alternatives link to the newest 13.x) before its minors.
bool newer_toolkit(const std::vector<int>& a, const std::vector<int>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i] != b[i]) return a[i] > b[i];
  return a.size() < b.size();
}

}  // namespace

std::vector<std::string> cuda_toolkit_library_dirs(const SystemView& sys) {
  std::vector<std::string> roots;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (auto v = sys.getenv(var); v && !v->empty() && (*v)[0] == '/') roots.push_back(*v);
  roots.push_back("/usr/local/cuda");
  std::vector<std::pair<std::vector<int>, std::string>> versioned;
  for (const auto& name : sys.list_dir("/usr/local"))
    if (auto v = toolkit_folder_version(name); !v.empty()) versioned.emplace_back(std::move(v), name);
  std::stable_sort(versioned.begin(), versioned.end(),
                   [](const auto& a, const auto& b) { return newer_toolkit(a.first, b.first); });
  for (const auto& [v, name] : versioned) roots.push_back("/usr/local/" + name);

#if defined(__aarch64__)
  const std::vector<std::string> subdirs = {"lib64", "lib", "targets/sbsa-linux/lib", "targets/aarch64-linux/lib"};
#else
  const std::vector<std::string> subdirs = {"lib64", "lib", "targets/x86_64-linux/lib"};
#endif
  std::vector<std::string> out, seen;
  for (std::string root : roots) {
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    for (const auto& sub : subdirs) {
      const std::string dir = root + "/" + sub;
      const std::string real = resolved(sys, dir);
      std::error_code ec;
      if (real.empty() || !std::filesystem::is_directory(real, ec)) continue;
      if (std::find(seen.begin(), seen.end(), real) != seen.end()) continue;
      seen.push_back(real);
      out.push_back(dir);
    }
  }
  return out;
}

FoundLibrary find_toolkit_library_file(const std::string& soname, const SystemView& sys) {
  for (const auto& dir : cuda_toolkit_library_dirs(sys))
    if (std::string file = resolved(sys, dir + "/" + soname); !file.empty()) return {dir, file};
  return {};
}

FoundLibrary find_library_off_loader_path(const std::string& soname, const SystemView& sys,
                                          const std::string& prefer_distribution) {
  if (FoundLibrary t = find_toolkit_library_file(soname, sys); !t.file.empty()) return t;
  if (std::string path = find_wheel_library_file(soname, sys, prefer_distribution); !path.empty())
    return {path.substr(0, path.rfind('/')), path, LibSource::pip_wheel};
  return {};
}

std::string toolkit_library_note(const std::string& dir, const SystemView& sys) {
  // Listed in ld.so.conf but not found by the loader: its cache predates the library.
  std::vector<std::string> conf;
  read_ld_conf(sys, "/etc/ld.so.conf", conf, 0);
  const std::string real = resolved(sys, dir);
  const bool listed = !real.empty() && std::any_of(conf.begin(), conf.end(), [&](const std::string& d) {
    return resolved(sys, d) == real;
  });
  if (listed)
    return "in the CUDA toolkit folder " + dir +
           ", listed in the loader's configuration (/etc/ld.so.conf) but not in its cache: run ldconfig, so that "
           "other programs find it too";
  return "in the CUDA toolkit folder " + dir +
         ", not on the loader's paths: add it to LD_LIBRARY_PATH, or list it in a file in /etc/ld.so.conf.d and run "
         "ldconfig, so that other programs find it too";
}

namespace {

// `file` by path, after the `needs` beside it (kept loaded: never closed). Its error, if any, says
// what is wrong with that copy.
DynLib open_by_path(const std::string& file, const std::vector<std::string>& needs) {
  const std::string dir = file.substr(0, file.rfind('/'));
  for (const auto& dep : needs) (void)DynLib::open({dir + "/" + dep});
  return DynLib::open({file});
}

}  // namespace

DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs,
                    const std::string& prefer_distribution) {
  if (sonames.empty()) return DynLib{};
  // The exact name through the loader, then from a toolkit folder or a wheel, then any other name
  // through the loader (an unversioned libcublas.so on the loader's path may be another major).
  DynLib lib = DynLib::open({sonames.front()});
  if (lib.loaded()) return lib;
  if (const FoundLibrary f = find_library_off_loader_path(sonames.front(), SystemView::live(), prefer_distribution);
      !f.file.empty()) {
    DynLib found = open_by_path(f.file, needs);
    found.source_ = f.source;
    found.found_in_ = f.dir;
    return found;
  }
  if (sonames.size() > 1) {
    DynLib other = DynLib::open(std::vector<std::string>(sonames.begin() + 1, sonames.end()));
    if (other.loaded()) return other;
  }
  return lib;  // the loader's error for the exact name
}

const char* lib_source_name(LibSource s) {
  switch (s) {
    case LibSource::cuda_toolkit: return "cuda_toolkit";
    case LibSource::pip_wheel: return "pip_wheel";
    case LibSource::loader: break;
  }
  return "loader";
}

std::string library_source_note(LibSource source, const std::string& dir, const std::string& file,
                                const SystemView& sys) {
  switch (source) {
    case LibSource::cuda_toolkit: return toolkit_library_note(dir, sys);
    case LibSource::pip_wheel: return wheel_library_note(file);
    case LibSource::loader: break;
  }
  return "";
}

std::string library_source_note(const DynLib& lib, const SystemView& sys) {
  return library_source_note(lib.source(), lib.found_in(), lib.path(), sys);
}

std::string version_from_library_path(const std::string& path) {
  const auto so = path.rfind(".so.");
  if (so == std::string::npos) return "";
  return major_minor_patch(path.substr(so + 4));
}

}  // namespace gpuprobe
