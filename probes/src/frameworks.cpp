#include "gpuprobe/probes/frameworks.hpp"

#include <limits.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/gpu/elf_read.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe {

const char* to_string(FrameworkBuild b) {
  switch (b) {
    case FrameworkBuild::cuda: return "cuda";
    case FrameworkBuild::cpu: return "cpu";
    case FrameworkBuild::rocm: return "rocm";
    case FrameworkBuild::unknown: break;
  }
  return "unknown";
}

int FrameworkInstall::cuda_major() const { return cuda.empty() ? 0 : std::atoi(cuda.c_str()); }
int FrameworkInstall::cuda_minor() const {
  const auto dot = cuda.find('.');
  if (dot == std::string::npos || dot + 1 >= cuda.size() || !std::isdigit(static_cast<unsigned char>(cuda[dot + 1])))
    return -1;
  return std::atoi(cuda.c_str() + dot + 1);
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
// PEP 503 normalization, with '_' as pip writes dist-info names: "cuda-toolkit" -> "cuda_toolkit".
std::string normalize(std::string s) {
  s = lower(std::move(s));
  for (char& c : s)
    if (c == '-' || c == '.') c = '_';
  return s;
}

// A Python assignment's string value in a generated module: `NAME = 'x'`, `NAME: Optional[str] = 'x'`.
// nullopt when NAME is not assigned; "" when assigned None.
std::optional<std::string> python_string_value(const std::string& text, const std::string& name) {
  const std::regex re("(^|\\n)" + name + R"re(\s*(:[^=\n]*)?=\s*(None|'([^'\n]*)'|"([^"\n]*)"))re");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return std::nullopt;
  if (m[3] == "None") return std::string();
  return m[4].matched ? m[4].str() : m[5].str();
}

// The interpreter whose sys.path holds `site`: the environment's own for a virtualenv, conda or a
// prefix (<prefix>/lib/pythonX.Y/site-packages -> <prefix>/bin/pythonX.Y), the system's for
// Debian's dist-packages, the matching pythonX.Y for a user site (~/.local).
std::string python_for_site(const std::string& site, const SystemView& sys) {
  if (site == "/usr/lib/python3/dist-packages") return sys.exists("/usr/bin/python3") ? "/usr/bin/python3" : "";
  static const std::regex re(R"(^(.*)/lib/(python3\.[0-9]+)/(site|dist)-packages$)");
  std::smatch m;
  if (!std::regex_match(site, m, re)) return "";
  const std::string prefix = m[1], py = m[2];
  std::vector<std::string> candidates = {prefix + "/bin/" + py, prefix + "/bin/python3", prefix + "/bin/python"};
  if (const auto home = sys.getenv("HOME"); home && prefix == *home + "/.local")
    candidates = {"/usr/local/bin/" + py, "/usr/bin/" + py};
  // Debian's and Ubuntu's /usr/bin/python3.X reads /usr/local/lib/python3.X/dist-packages, where
  // `sudo pip install` puts packages.
  if (prefix == "/usr/local") candidates.push_back("/usr/bin/" + py);
  for (const auto& c : candidates)
    if (sys.exists(c)) return c;
  return "";
}

// ---- metadata: Requires-Dist ---------------------------------------------------------------------

std::string machine() {
  struct utsname u {};
  return ::uname(&u) == 0 ? u.machine : "";
}

// Whether a requirement's environment marker holds on this Linux machine. Markers naming an extra
// only hold when `extra` is that one; another OS or machine never; python_version is taken as met
// (the interpreter already installed the package).
bool marker_holds(const std::string& marker, const std::string& extra) {
  if (marker.empty()) return extra.empty();
  static const std::regex extra_re(R"(extra\s*==\s*["']([^"']+)["'])");
  std::smatch m;
  if (std::regex_search(marker, m, extra_re)) {
    if (normalize(m[1]) != normalize(extra)) return false;
  } else if (!extra.empty()) {
    return false;
  }
  static const std::regex sys_re(R"((platform_system|sys_platform)\s*(==|!=)\s*["']([^"']+)["'])");
  for (auto it = std::sregex_iterator(marker.begin(), marker.end(), sys_re); it != std::sregex_iterator(); ++it) {
    const bool linux_value = lower((*it)[3]) == "linux";
    if (((*it)[2] == "==") != linux_value) return false;
  }
  static const std::regex mach_re(R"(platform_machine\s*(==|!=)\s*["']([^"']+)["'])");
  for (auto it = std::sregex_iterator(marker.begin(), marker.end(), mach_re); it != std::sregex_iterator(); ++it) {
    const bool same = lower((*it)[2]) == lower(machine());
    if (((*it)[1] == "==") != same) return false;
  }
  return true;
}

struct Requirement {
  std::string text;  // without the marker
  std::string name;  // normalized
  std::vector<std::string> extras;
};

// The Requires-Dist lines of a METADATA file that hold here (for `extra`, or the base ones).
std::vector<Requirement> requirements(const std::string& metadata, const std::string& extra = "") {
  std::vector<Requirement> out;
  std::istringstream in(metadata);
  std::string line;
  static const std::regex name_re(R"(^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[([^\]]*)\])?)");
  while (std::getline(in, line)) {
    if (line.rfind("Requires-Dist:", 0) != 0) {
      if (line.empty()) break;  // the headers end at the first empty line
      continue;
    }
    std::string req = trim(line.substr(14));
    std::string marker;
    if (const auto semi = req.find(';'); semi != std::string::npos) {
      marker = trim(req.substr(semi + 1));
      req = trim(req.substr(0, semi));
    }
    if (!marker_holds(marker, extra)) continue;
    std::smatch m;
    if (!std::regex_search(req, m, name_re)) continue;
    Requirement r{req, normalize(m[1]), {}};
    std::istringstream ex(m[3].str());
    std::string e;
    while (std::getline(ex, e, ','))
      if (!trim(e).empty()) r.extras.push_back(trim(e));
    out.push_back(std::move(r));
  }
  return out;
}

// The requirement names that bring CUDA libraries: NVIDIA's wheels and the CUDA toolkit meta
// package; the framework's own plugins are matched by the caller.
bool is_cuda_wheel(const std::string& name) {
  return name.rfind("nvidia_", 0) == 0 || name == "cuda_toolkit";
}

struct Site {
  std::string path;  // as the view names it
  std::string real;  // through the view's root, for reads
  std::vector<PythonDistribution> dists;
  const PythonDistribution* find(const std::string& name) const {
    for (const auto& d : dists)
      if (d.name == name) return &d;
    return nullptr;
  }
  std::optional<std::string> metadata(const PythonDistribution& d) const;
};

std::optional<std::string> read_real(const std::string& real_path, std::size_t max = 4 << 20) {
  SystemView plain;
  return plain.read_file(real_path, max);
}

std::optional<std::string> Site::metadata(const PythonDistribution& d) const {
  return read_real(real + "/" + d.dist_info + "/METADATA");
}

// NVIDIA's wheels a distribution requires here, and whether the site has each; a requirement on
// the CUDA toolkit meta package with extras ("cuda-toolkit[cublas,cufile]") is followed into the
// meta package's own metadata when it is installed, so the wheel named is the one missing.
std::vector<WheelRequirement> wheel_requirements(const Site& site, const PythonDistribution& d,
                                                 const std::vector<std::string>& also = {}) {
  std::vector<WheelRequirement> out;
  const auto meta = site.metadata(d);
  if (!meta) return out;
  for (const auto& r : requirements(*meta)) {
    if (!is_cuda_wheel(r.name) && std::find(also.begin(), also.end(), r.name) == also.end()) continue;
    const PythonDistribution* have = site.find(r.name);
    out.push_back({r.text, r.name, have ? have->version : ""});
    if (have && r.name == "cuda_toolkit") {
      const auto tk_meta = site.metadata(*have);
      for (const auto& extra : r.extras)
        for (const auto& sub : requirements(tk_meta.value_or(""), extra)) {
          const PythonDistribution* s = site.find(sub.name);
          out.push_back({sub.text, sub.name, s ? s->version : ""});
        }
    }
  }
  return out;
}

// ---- the dynamic loader's view of a framework's CUDA library ---------------------------------------

bool real_file(const SystemView& sys, const std::string& path, std::string* resolved) {
  char buf[PATH_MAX];
  if (!::realpath(sys.path(path).c_str(), buf)) return false;
  *resolved = buf;
  return true;
}

std::vector<std::string> split_path(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string d;
  while (std::getline(in, d, ':'))
    if (!d.empty()) out.push_back(d);
  return out;
}

// The copy of a library that NVIDIA's wheels of one site-packages hold (nvidia/<package>/lib/<soname>),
// resolved; "" when none does.
std::string wheel_copy(const SystemView& sys, const std::string& site, const std::string& soname) {
  std::string found;
  for (const auto& pkg : sys.list_dir(site + "/nvidia"))
    if (found.empty()) real_file(sys, site + "/nvidia/" + pkg + "/lib/" + soname, &found);
  return found;
}

// The libraries a framework's CUDA libraries load, found the way glibc's loader finds them: each
// DT_NEEDED of an object is searched in the DT_RPATH of that object and of the objects that loaded
// it (when it has no DT_RUNPATH), then LD_LIBRARY_PATH, then its DT_RUNPATH, then the loader's cache
// and system folders; a name already loaded is not searched again. The objects are visited breadth
// first from `roots` (in the order the framework loads them), descending only into the libraries of
// its own environment (the system's libraries need only the system's). Kept: the CUDA libraries and
// whatever is missing, each with the library that needs it and, when the environment's wheels hold
// another copy that lost, that copy.
std::vector<FrameworkLib> resolve_dependencies(const std::vector<std::string>& roots, const std::string& site,
                                               const SystemView& sys) {
  struct Object {
    std::string path;  // in the view
    std::vector<std::string> rpaths;  // its DT_RPATH chain (its own, then its loaders'), expanded
  };
  std::vector<FrameworkLib> out;
  std::set<std::string> loaded;
  const auto llp = split_path(sys.getenv("LD_LIBRARY_PATH").value_or(""));
  SystemView no_llp = sys;
  no_llp.env.erase("LD_LIBRARY_PATH");
  const std::string real_site = sys.path(site);
  const auto view_path = [&](const std::string& real) {
    return sys.root == "/" || real.rfind(sys.root, 0) != 0 ? real : real.substr(sys.root.size() - (sys.root.back() == '/'));
  };
  std::vector<Object> queue;
  for (const auto& r : roots) {
    std::string real;
    if (real_file(sys, r, &real) && loaded.insert(r.substr(r.rfind('/') + 1)).second) queue.push_back({r, {}});
  }
  for (std::size_t qi = 0; qi < queue.size() && qi < 256; ++qi) {
    const Object obj = queue[qi];
    const auto dyn = read_elf_dynamic(sys.path(obj.path));
    if (!dyn) continue;
    const std::string origin = obj.path.substr(0, obj.path.rfind('/'));
    std::vector<std::string> rpaths;
    if (dyn->runpath.empty()) {
      rpaths = expand_elf_search_path(dyn->rpath, origin);
      rpaths.insert(rpaths.end(), obj.rpaths.begin(), obj.rpaths.end());
    }
    const auto runpath = expand_elf_search_path(dyn->runpath, origin);
    const std::string requester = obj.path.substr(obj.path.rfind('/') + 1);
    for (const auto& soname : dyn->needed) {
      if (!loaded.insert(soname).second) continue;
      FrameworkLib l{soname, "", "", false, requester, ""};
      const auto search = [&](const std::vector<std::string>& dirs, const char* via) {
        for (const auto& d : dirs)
          if (l.path.empty() && real_file(sys, d + "/" + soname, &l.path)) l.via = via;
      };
      search(rpaths, "rpath");
      search(llp, "ld_library_path");
      search(runpath, "runpath");
      if (l.path.empty()) {
        l.path = find_library_file(soname, no_llp);
        if (!l.path.empty()) l.via = "loader";
      }
      l.in_wheel = !l.path.empty() && l.path.rfind(real_site + "/", 0) == 0;
      if (!l.path.empty() && !l.in_wheel) {
        const std::string mine = wheel_copy(sys, site, soname);
        if (!mine.empty() && mine != l.path) l.shadowed = mine;
      }
      if (l.in_wheel) queue.push_back({view_path(l.path), rpaths});
      const bool cuda = soname.rfind("libcu", 0) == 0 || soname.rfind("libnv", 0) == 0 || soname.rfind("libnccl", 0) == 0;
      if (cuda || l.path.empty()) out.push_back(std::move(l));
    }
  }
  return out;
}

// ---- one framework each ----------------------------------------------------------------------------

void read_torch(const Site& site, const PythonDistribution& d, FrameworkInstall& f, const SystemView& sys) {
  f.name = "torch";
  const auto version_py = read_real(site.real + "/torch/version.py");
  f.version = python_string_value(version_py.value_or(""), "__version__").value_or(d.version);
  const auto cuda = python_string_value(version_py.value_or(""), "cuda");
  const auto hip = python_string_value(version_py.value_or(""), "hip");
  if (hip && !hip->empty()) f.build = FrameworkBuild::rocm;
  else if (cuda && !cuda->empty()) f.build = FrameworkBuild::cuda, f.cuda = *cuda;
  else if (cuda) f.build = FrameworkBuild::cpu;
  if (f.build != FrameworkBuild::cuda) return;
  if (const auto ro = read_elf_section(site.real + "/torch/lib/libtorch_python.so", ".rodata"))
    f.archs = arch_list_from_rodata(*ro);
  // libtorch_cuda.so at import; libtorch_cuda_linalg.so (cuSOLVER, cuBLAS' LAPACK) at the first
  // linear-algebra call on the GPU.
  f.cuda_library = site.path + "/torch/lib/libtorch_cuda.so";
  if (sys.exists(f.cuda_library))
    f.libs = resolve_dependencies({f.cuda_library, site.path + "/torch/lib/libtorch_cuda_linalg.so"}, site.path, sys);
  else
    f.cuda_library.clear();
  f.requirements = wheel_requirements(site, d);
}

void read_jax(const Site& site, const PythonDistribution& jaxlib, FrameworkInstall& f) {
  f.name = "jax";
  const PythonDistribution* jax = site.find("jax");
  f.version = jax ? jax->version : jaxlib.version;
  // The CUDA plugin is two wheels: jax-cudaNN-plugin (kernels beside jaxlib) and jax-cudaNN-pjrt
  // (the XLA backend). Without them jaxlib runs on the CPU only.
  for (const char* major : {"13", "12"}) {
    const std::string base = std::string("jax_cuda") + major;
    const PythonDistribution* plugin = site.find(base + "_plugin");
    const PythonDistribution* pjrt = site.find(base + "_pjrt");
    if (!plugin && !pjrt) continue;
    f.build = FrameworkBuild::cuda;
    f.cuda = major;
    std::string desc;
    for (const PythonDistribution* p : {plugin, pjrt}) {
      if (!p) continue;
      std::string name = p->name;
      std::replace(name.begin(), name.end(), '_', '-');
      desc += (desc.empty() ? "" : " + ") + name + " " + p->version;
      if (p->version != jaxlib.version && f.plugin_mismatch.empty())
        f.plugin_mismatch = name + " " + p->version + " vs jaxlib " + jaxlib.version;
      const auto reqs = wheel_requirements(site, *p);
      f.requirements.insert(f.requirements.end(), reqs.begin(), reqs.end());
    }
    if (!plugin || !pjrt)
      f.plugin_mismatch = (plugin ? base + "_pjrt" : base + "_plugin") + " missing beside " + desc;
    std::replace(f.plugin_mismatch.begin(), f.plugin_mismatch.end(), '_', '-');
    f.plugin = desc;
    return;
  }
  f.build = FrameworkBuild::cpu;
}

void read_tensorflow(const Site& site, const PythonDistribution& d, FrameworkInstall& f, const SystemView& sys) {
  f.name = "tensorflow";
  f.version = d.version;
  if (d.name == "tensorflow_cpu") {
    f.build = FrameworkBuild::cpu;
    return;
  }
  // tensorflow/python/platform/build_info.py: an OrderedDict of ('key', value) pairs.
  const auto info = read_real(site.real + "/tensorflow/python/platform/build_info.py").value_or("");
  std::smatch m;
  if (std::regex_search(info, m, std::regex(R"('is_cuda_build',\s*(True|False))")))
    f.build = m[1] == "True" ? FrameworkBuild::cuda : FrameworkBuild::cpu;
  if (std::regex_search(info, m, std::regex(R"('is_rocm_build',\s*True)"))) f.build = FrameworkBuild::rocm;
  if (std::regex_search(info, m, std::regex(R"('cuda_version',\s*'([0-9.]+)')"))) f.cuda = m[1];
  if (std::regex_search(info, m, std::regex(R"('cuda_compute_capabilities',\s*\[([^\]]*)\])"))) {
    const std::string list = m[1];
    static const std::regex item(R"('((sm|compute)_[0-9]+[af]?)')");
    for (auto it = std::sregex_iterator(list.begin(), list.end(), item); it != std::sregex_iterator(); ++it)
      f.archs.push_back((*it)[1]);
  }
  // The CUDA libraries come with the "and-cuda" extra (nvidia-*-cu12 wheels); TensorFlow loads them
  // by name at run time, from those wheels' folders, else from the loader's paths. Two stand for all:
  // the CUDA runtime of its CUDA major and cuDNN of its major.
  if (f.build == FrameworkBuild::cuda) {
    std::string cudnn;
    if (std::regex_search(info, m, std::regex(R"('cudnn_version',\s*'([0-9]+))"))) cudnn = m[1];
    std::vector<std::string> sonames;
    if (f.cuda_major() > 0) sonames.push_back("libcudart.so." + std::to_string(f.cuda_major()));
    if (!cudnn.empty()) sonames.push_back("libcudnn.so." + cudnn);
    for (const auto& soname : sonames) {
      FrameworkLib l{soname, wheel_copy(sys, site.path, soname), "", false, "", ""};
      if (!l.path.empty()) l.via = "wheel", l.in_wheel = true;
      if (l.path.empty()) {
        l.path = find_library_file(soname, sys);
        if (!l.path.empty()) l.via = "loader";
      }
      f.libs.push_back(l);
    }
  }
}

void read_cupy(const PythonDistribution& d, FrameworkInstall& f, const Site& site) {
  f.name = "cupy";
  f.version = d.version;
  // cupy-cuda13x: a wheel for any CUDA 13.x; "cupy" alone is built from source against the local
  // toolkit. cupy/.data/_wheel.json names the CUDA of a binary wheel ("13.x").
  static const std::regex re(R"(^cupy_cuda([0-9]+)x$)");
  std::smatch m;
  if (std::regex_match(d.name, m, re)) {
    f.build = FrameworkBuild::cuda;
    f.cuda = m[1];
  } else if (d.name.rfind("cupy_rocm", 0) == 0) {
    f.build = FrameworkBuild::rocm;
  }
  const auto wheel = read_real(site.real + "/cupy/.data/_wheel.json").value_or("");
  std::smatch w;
  if (std::regex_search(wheel, w, std::regex(R"re("cuda"\s*:\s*"([0-9]+)(\.[0-9]+)?)re"))) {
    f.build = FrameworkBuild::cuda;
    f.cuda = w[1].str() + w[2].str();
  }
}

}  // namespace

std::vector<std::string> arch_list_from_rodata(const std::string& rodata) {
  // A NUL-terminated string made only of arch tokens separated by spaces; the longest one wins.
  static const std::regex token(R"(^(sm|compute)_[0-9]+[af]?$)");
  std::vector<std::string> best;
  std::size_t start = 0;
  while (start < rodata.size()) {
    std::size_t end = rodata.find('\0', start);
    if (end == std::string::npos) end = rodata.size();
    if (end - start >= 5 && end - start < 512 && (rodata.compare(start, 3, "sm_") == 0 || rodata.compare(start, 8, "compute_") == 0)) {
      std::vector<std::string> toks;
      std::istringstream in(rodata.substr(start, end - start));
      std::string t;
      bool ok = true;
      while (in >> t) {
        if (!std::regex_match(t, token)) {
          ok = false;
          break;
        }
        toks.push_back(t);
      }
      if (ok && toks.size() > best.size()) best = toks;
    }
    start = end + 1;
  }
  return best;
}

std::vector<FrameworkInstall> find_frameworks(const SystemView& sys) {
  std::vector<FrameworkInstall> out;
  std::set<std::string> seen;
  for (const auto& dir : python_site_packages_dirs(sys)) {
    Site site;
    site.path = dir;
    char buf[PATH_MAX];
    if (!::realpath(sys.path(dir).c_str(), buf) || !seen.insert(buf).second) continue;
    site.real = buf;
    site.dists = python_distributions(site.real);
    const auto start = [&](const PythonDistribution& d) -> FrameworkInstall& {
      FrameworkInstall f;
      f.distribution = d.name;
      f.site = dir;
      f.python = python_for_site(dir, sys);
      out.push_back(std::move(f));
      return out.back();
    };
    if (const auto* d = site.find("torch")) read_torch(site, *d, start(*d), sys);
    if (const auto* d = site.find("jaxlib")) read_jax(site, *d, start(*d));
    for (const char* tf : {"tensorflow", "tensorflow_cpu", "tf_nightly"})
      if (const auto* d = site.find(tf)) {
        read_tensorflow(site, *d, start(*d), sys);
        break;
      }
    for (const auto& d : site.dists)
      if (d.name == "cupy" || d.name.rfind("cupy_cuda", 0) == 0 || d.name.rfind("cupy_rocm", 0) == 0) {
        read_cupy(d, start(d), site);
        break;
      }
  }
  return out;
}

}  // namespace gpuprobe
