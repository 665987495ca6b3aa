// The frameworks check's verdicts, from the facts frameworks.cpp read and the live answer.
#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/probes/frameworks.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe {

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Seconds with `digits` decimals ("2.7"); an error ratio with `digits` significant digits.
std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string significant(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// "torch 2.15.0+cu132": how the user names what they installed.
std::string label(const FrameworkInstall& f) { return f.name + " " + f.version; }

// The version without a local part: "2.15.0+cu132" -> "2.15.0".
std::string public_version(const std::string& v) { return v.substr(0, v.find('+')); }

// How to get a build of this framework for a driver whose CUDA major is `major`.
std::string build_for_driver(const FrameworkInstall& f, int major) {
  const std::string m = std::to_string(major);
  if (f.name == "torch") {
    // PyTorch publishes one wheel index per CUDA release (download.pytorch.org/whl/cuXYZ); any
    // 12.x build runs on any 12.x driver through minor-version compatibility.
    const std::string example = major == 12 ? "cu126" : major == 11 ? "cu118" : "cu" + m + "0";
    return "a CUDA " + m + " build of torch from PyTorch's index: pip install torch --index-url "
           "https://download.pytorch.org/whl/" + example + " (or another cu" + m + "x index)";
  }
  if (f.name == "jax") return "pip install -U \"jax[cuda" + m + "]\"";
  if (f.name == "cupy") return "pip uninstall " + f.distribution + " && pip install cupy-cuda" + m + "x";
  if (f.name == "tensorflow") return "a TensorFlow release built for CUDA " + m + " (tensorflow.org/install/source#gpu)";
  return "a build for CUDA " + m;
}

// The last non-empty line of a text.
std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// Pass-level verdict: informational.
Finding info(std::string reason, std::string message) { return {Status::pass, std::move(reason), std::move(message), ""}; }

void cpu_build(const FrameworkInstall& f, const FrameworkHost& host, std::vector<Finding>& out) {
  std::string fix;
  const int major = host.driver_cuda > 0 ? host.driver_cuda / 1000 : 13;
  if (f.name == "torch")
    // PyPI's Linux wheels are CUDA builds (of CUDA 13 today); an older driver needs PyTorch's index.
    fix = "install a CUDA build: " +
          (major >= 13 ? "pip install --force-reinstall torch==" + public_version(f.version) +
                             " (PyPI's Linux wheels are CUDA builds; a +cpu version comes from PyTorch's cpu index)"
                       : build_for_driver(f, major));
  else if (f.name == "jax")
    fix = "pip install -U \"jax[cuda" + std::to_string(major) + "]\" (adds the CUDA plugin beside jaxlib)";
  else if (f.name == "tensorflow")
    fix = "pip uninstall tensorflow-cpu && pip install \"tensorflow[and-cuda]\"";
  else
    fix = "install a CUDA build (" + f.name + ")";
  const std::string what = f.name == "jax" ? "jaxlib " + f.version + " without a CUDA plugin is a CPU-only build"
                                           : label(f) + " is a CPU-only build";
  if (host.driver_present || host.gpus_usable)
    out.push_back({Status::warn, "framework_cpu_build", what + ": it never uses the GPU", fix});
  else
    out.push_back(info("framework_cpu_build", what));
}

void cuda_versions(const FrameworkInstall& f, const FrameworkHost& host, std::vector<Finding>& out) {
  const int need_major = f.cuda_major();
  if (need_major <= 0 || host.driver_cuda <= 0) return;
  const int have_major = host.driver_cuda / 1000, have_minor = (host.driver_cuda % 1000) / 10;
  const std::string driver = (host.driver_version.empty() ? "the driver" : "driver " + host.driver_version) +
                             " supports CUDA " + std::to_string(have_major) + "." + std::to_string(have_minor);
  if (need_major > have_major) {
    const auto branch = min_driver_branch_for_major(need_major);
    out.push_back({Status::fail, "framework_cuda_too_new",
                   label(f) + " is built for CUDA " + f.cuda + "; " + driver +
                       ": its first CUDA call fails (\"the NVIDIA driver on your system is too old\")",
                   (branch ? "a driver of branch " + std::to_string(*branch) + " or newer (CUDA " +
                                 std::to_string(need_major) + ".x), or "
                           : std::string()) +
                       build_for_driver(f, have_major)});
    return;
  }
  const int need_minor = f.cuda_minor();
  if (need_major == have_major && need_minor > have_minor)
    out.push_back(info("framework_minor_version_compat",
                       label(f) + " is built for CUDA " + f.cuda + "; " + driver +
                           ": it runs through CUDA's minor-version compatibility (no PTX JIT of newer code)"));
}

// torch and TensorFlow list their architectures; the others compile at run time (NVRTC, XLA).
void architectures(const FrameworkInstall& f, const FrameworkHost& host, std::vector<Finding>& out) {
  std::vector<ArchEntry> archs;
  for (const auto& a : f.archs) {
    const bool sm = a.rfind("sm_", 0) == 0;
    std::string num = a.substr(sm ? 3 : 8);
    ArchEntry e;
    if (!num.empty() && (num.back() == 'a' || num.back() == 'f')) e.suffix = num.back(), num.pop_back();
    e.sm = std::atoi(num.c_str());
    (sm ? e.sass : e.ptx) = true;
    archs.push_back(e);
  }
  std::set<std::pair<int, int>> told;
  for (const auto& [maj, min] : host.gpu_ccs) {
    if (!told.insert({maj, min}).second) continue;
    const std::string cc = std::to_string(maj) + "." + std::to_string(min);
    const std::string gpus = gpus_of_cc(maj, min);
    const std::string gpu = "compute capability " + cc + (gpus.empty() ? "" : " (" + gpus + ")");
    const int major = f.cuda_major();
    if (major > 0) {
      const int min_cc = min_cc_for_cuda_major(major);
      if (maj * 10 + min < min_cc) {
        out.push_back({Status::fail, "framework_gpu_unsupported",
                       label(f) + " is built with CUDA " + f.cuda + ", which dropped GPUs below compute capability " +
                           std::to_string(min_cc / 10) + "." + std::to_string(min_cc % 10) + ": this GPU is " + gpu,
                       build_for_driver(f, major - 1) + " (CUDA " + std::to_string(major - 1) + " still supports it)"});
        continue;
      }
    }
    if (archs.empty()) continue;
    const ArchAssessment a = assess_arch(maj, min, archs);
    if (a.support == ArchSupport::none)
      out.push_back({Status::fail, "framework_arch_missing",
                     label(f) + " has no code for this GPU, " + gpu + " (built for " + join(f.archs, " ") +
                         "): \"no kernel image is available for execution on the device\"",
                     "a release of " + f.name + " whose build lists sm_" + std::to_string(maj) +
                         std::to_string(min) + " (newer GPUs need newer wheels), or build it from source with "
                         "TORCH_CUDA_ARCH_LIST=" + cc});
    else if (a.support == ArchSupport::ptx_jit)
      out.push_back(info("framework_arch_ptx",
                         label(f) + " runs on " + gpu + " only by JIT-compiling PTX (compute_" +
                             std::to_string(a.via_sm) + "): the first run of each kernel is slow"));
  }
}

// The wheel a missing library comes from: the first unmet requirement whose name mentions the
// library ("libcufile.so.0" -> "cufile" in "cuda-toolkit[cufile]" or "nvidia-cufile").
std::string wheel_for(const std::string& soname, const std::vector<WheelRequirement>& reqs) {
  std::string stem = soname.substr(3, soname.find(".so") - 3);  // "cufile", "cublasLt", "cusparseLt"
  for (char& c : stem) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // "cublaslt" -> "cublas" (cuBLASLt ships in cuBLAS's wheel); "nvshmem_host" -> "nvshmem".
  const std::string no_lt = stem.size() > 2 && stem.compare(stem.size() - 2, 2, "lt") == 0 ? stem.substr(0, stem.size() - 2) : stem;
  for (const std::string& key : {stem, no_lt, stem.substr(0, stem.find('_'))}) {
    for (const auto& r : reqs) {
      std::string text = r.requirement;
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (r.installed.empty() && text.find(key) != std::string::npos) return r.requirement;
    }
  }
  return "";
}

// The folder a file is in.
std::string folder(const std::string& path) { return path.substr(0, path.rfind('/')); }

// A library of the framework's own NVIDIA wheels that loses to another copy found first (a CUDA
// toolkit on LD_LIBRARY_PATH, most often): one process then mixes two builds of CUDA's libraries,
// which breaks where the winner is older ("undefined symbol: __nvJitLink...", version errors).
void shadowed(const FrameworkInstall& f, std::vector<Finding>& out) {
  std::vector<std::string> what, dirs;
  bool by_llp = false;
  for (const auto& l : f.libs) {
    if (l.shadowed.empty()) continue;
    what.push_back(l.soname + " (for " + l.needed_by + ")");
    const std::string dir = folder(l.path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    by_llp = by_llp || l.via == "ld_library_path";
  }
  if (what.empty()) return;
  out.push_back({Status::warn, "framework_lib_shadowed",
                 label(f) + " would load " + join(what) + " from " + join(dirs) +
                     (by_llp ? " (LD_LIBRARY_PATH)" : "") + ", not the copies its own NVIDIA wheels hold (in " + f.site +
                     "/nvidia): one process then mixes two builds of CUDA's libraries, which breaks where the copy "
                     "that wins is older (undefined symbols, JIT-LTO version errors)",
                 by_llp ? "take " + join(dirs) + " off LD_LIBRARY_PATH where Python runs (the wheels bring their own "
                              "libraries), or set it only for the programs that need it"
                        : "remove the stray copies from the loader's paths, or reinstall " + f.name +
                              "'s NVIDIA wheels"});
}

void libraries(const FrameworkInstall& f, std::vector<Finding>& out) {
  if (f.cuda_library.empty()) return;  // no library linking CUDA's (the frameworks that dlopen them)
  std::vector<std::string> missing, wheels, foreign, foreign_dirs;
  const auto add_wheel = [&](const std::string& w) {
    if (!w.empty() && std::find(wheels.begin(), wheels.end(), w) == wheels.end()) wheels.push_back(w);
  };
  std::vector<std::string> needers;
  for (const auto& l : f.libs) {
    if (l.path.empty()) {
      missing.push_back(l.soname);
      if (std::find(needers.begin(), needers.end(), l.needed_by) == needers.end()) needers.push_back(l.needed_by);
      add_wheel(wheel_for(l.soname, f.requirements));
      continue;
    }
    // Taken from outside the framework's environment while it requires the wheel that carries it:
    // the framework would run on a copy it was not built with.
    if (l.in_wheel || !l.shadowed.empty()) continue;
    const std::string w = wheel_for(l.soname, f.requirements);
    if (w.empty()) continue;
    add_wheel(w);
    const std::string v = version_from_library_path(l.path);
    foreign.push_back(l.soname + (v.find('.') == std::string::npos ? "" : " " + v));
    const std::string dir = folder(l.path) + (l.via == "ld_library_path" ? " (LD_LIBRARY_PATH)" : "");
    if (std::find(foreign_dirs.begin(), foreign_dirs.end(), dir) == foreign_dirs.end()) foreign_dirs.push_back(dir);
  }
  shadowed(f, out);
  if (missing.empty() && foreign.empty()) return;
  std::string fix = "reinstall it with its dependencies: pip install --force-reinstall " +
                    (f.name == "torch" ? "torch==" + public_version(f.version) : f.distribution);
  if (!wheels.empty()) {
    std::string quoted;
    for (const auto& w : wheels) quoted += " \"" + w + "\"";
    fix = "install the NVIDIA wheels it requires: pip install" + quoted +
          " (it was installed with --no-deps, or they were removed); or " + fix;
  }
  const std::string lib = join(needers);
  const std::string elsewhere = std::to_string(foreign.size()) + " CUDA librar" + (foreign.size() == 1 ? "y" : "ies") +
                                " it links (" + join(foreign) + ") would come from " + join(foreign_dirs) +
                                ", not from the wheels it requires: versions it was not built with";
  if (!missing.empty())
    out.push_back({Status::fail, "framework_libs_missing",
                   label(f) + " cannot load " + join(missing) + " (needed by " + lib +
                       "): \"cannot open shared object file\" when " + f.name + " loads it" + (foreign.empty() ? "" : "; " + elsewhere),
                   fix});
  else
    out.push_back({Status::warn, "framework_lib_foreign", label(f) + ": " + elsewhere, fix});
}

// Frameworks that load their CUDA libraries by name at run time: TensorFlow through the two
// libraries frameworks.cpp looked up for it, JAX and CuPy through the NVIDIA wheels their metadata
// requires here. torch's are judged through the libraries it links.
void wheels(const FrameworkInstall& f, std::vector<Finding>& out) {
  if (f.name == "torch") return;
  if (f.name == "tensorflow") {
    // Without the wheels TensorFlow takes CUDA's libraries from the system, when it has them.
    std::vector<std::string> absent;
    for (const auto& l : f.libs)
      if (l.path.empty()) absent.push_back(l.soname);
    if (!absent.empty())
      out.push_back({Status::warn, "framework_wheels_missing",
                     label(f) + " is a CUDA " + f.cuda + " build without NVIDIA's wheels (the and-cuda extra), and " +
                         join(absent) + (absent.size() == 1 ? " is" : " are") +
                         " not on the loader's paths either: it runs on the CPU (\"Cannot dlopen some GPU libraries\")",
                     "pip install \"tensorflow[and-cuda]==" + f.version + "\""});
    return;
  }
  std::vector<std::string> missing;
  std::string fix;
  for (const auto& r : f.requirements)
    if (r.installed.empty()) missing.push_back(r.requirement), fix += " \"" + r.requirement + "\"";
  if (!missing.empty())
    out.push_back({Status::warn, "framework_wheels_missing",
                   label(f) + ": " + std::to_string(missing.size()) + " of the NVIDIA wheels it requires are missing (" +
                       join(missing) + ")",
                   "pip install" + fix});
}

void live_answer(const FrameworkInstall& f, const FrameworkHost& host, const LiveResult& l, bool explained,
                 std::vector<Finding>& out) {
  const std::string seconds = fixed(l.seconds, 1) + " s";
  switch (l.outcome) {
    case LiveResult::Outcome::not_started:
      out.push_back(info("framework_live_not_run", "import " + f.name + " not tried: " +
                                                       (l.error.empty() ? "no interpreter found" : l.error)));
      return;
    case LiveResult::Outcome::timed_out:
      out.push_back({Status::warn, "framework_live_timeout",
                     "import " + f.name + " gave no answer within " + seconds + " (" + f.python + ")",
                     "run it by hand to see where it hangs: " + f.python + " -c 'import " + f.name + "'; "
                     "raise the bound with --timeout-scale"});
      return;
    case LiveResult::Outcome::crashed:
      out.push_back({Status::fail, "framework_crashed",
                     "import " + f.name + " crashed the interpreter" + (l.error.empty() ? "" : ": " + l.error) +
                         (last_line(l.stderr_tail).empty() ? "" : " (" + last_line(l.stderr_tail) + ")"),
                     "run it by hand: " + f.python + " -c 'import " + f.name + "'"});
      return;
    case LiveResult::Outcome::import_failed:
      if (!explained)
        out.push_back({Status::fail, "framework_import_failed", "import " + f.name + " fails: " + l.import_error,
                       "reinstall it with its dependencies: pip install --force-reinstall " + f.distribution});
      else
        out.push_back(info("framework_import_failed", "import " + f.name + " fails, as expected: " + l.import_error));
      return;
    case LiveResult::Outcome::answered: break;
  }
  const std::string warned = l.warnings.empty() ? "" : ": " + l.warnings.front();
  if (l.gpu_available && !*l.gpu_available) {
    if (explained) out.push_back(info("framework_no_gpu", f.name + " sees no GPU" + warned));
    else if (host.gpus_usable)
      out.push_back({Status::fail, "framework_no_gpu",
                     f.name + " sees no GPU although CUDA reaches " + std::to_string(host.gpu_ccs.size()) +
                         " here" + (warned.empty() ? (l.error.empty() ? "" : ": " + l.error) : warned),
                     "compare its environment with this one (CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH), and read its "
                     "warning above"});
    else
      out.push_back({host.driver_present ? Status::warn : Status::pass, "framework_no_gpu",
                     f.name + " sees no GPU, as CUDA here does not" + (warned.empty() ? (l.error.empty() ? "" : ": " + l.error) : warned),
                     host.driver_present ? "the driver check above says why" : ""});
    return;
  }
  if (l.matmul_ok && !*l.matmul_ok)
    out.push_back({Status::fail, "framework_matmul_wrong",
                   f.name + "'s matmul on the GPU disagrees with the CPU" +
                       (l.matmul_max_rel_error ? " (max relative error " + significant(*l.matmul_max_rel_error, 3) + ")" : "") +
                       (l.error.empty() ? "" : ": " + l.error),
                   "run gpuprobe check's kernel and cublas checks and the memory test; a faulty GPU or a broken "
                   "library install"});
  else if (!l.error.empty())
    out.push_back({Status::fail, "framework_gpu_error", f.name + " sees the GPU, but using it fails: " + l.error,
                   "run it by hand: " + f.python + " -c 'import " + f.name + "'"});
}

}  // namespace

std::vector<Finding> evaluate_framework(const FrameworkInstall& f, const FrameworkHost& host, const LiveResult* live) {
  std::vector<Finding> out;
  if (f.build == FrameworkBuild::cpu) cpu_build(f, host, out);
  if (f.build == FrameworkBuild::rocm) out.push_back(info("framework_rocm_build", label(f) + " is a ROCm (AMD) build"));
  if (f.build == FrameworkBuild::cuda) {
    cuda_versions(f, host, out);
    architectures(f, host, out);
    libraries(f, out);
    wheels(f, out);
    if (!f.plugin_mismatch.empty())
      out.push_back({Status::warn, "framework_plugin_mismatch",
                     "jax's CUDA plugin does not match jaxlib (" + f.plugin_mismatch + "): jax falls back to the CPU",
                     "pip install -U \"jax[cuda" + f.cuda + "]\" (installs matching jaxlib and plugin versions)"});
  }
  // The live answer, last: a failure the files already explain is told once, by the files.
  const bool explained = std::any_of(out.begin(), out.end(), [](const Finding& x) { return x.status == Status::fail; }) ||
                         f.build == FrameworkBuild::cpu;
  if (live) live_answer(f, host, *live, explained, out);
  return out;
}

std::string describe_framework(const FrameworkInstall& f, const LiveResult* live) {
  std::string s = label(f);
  switch (f.build) {
    case FrameworkBuild::cuda: s += " (CUDA " + (f.cuda.empty() ? std::string("?") : f.cuda) + ")"; break;
    case FrameworkBuild::cpu: s += " (CPU-only)"; break;
    case FrameworkBuild::rocm: s += " (ROCm)"; break;
    case FrameworkBuild::unknown: break;
  }
  if (!live || live->outcome != LiveResult::Outcome::answered) return s;
  if (live->gpu_available && *live->gpu_available) {
    s += ": GPU yes";
    if (!live->device_names.empty())
      s += ", " + std::to_string(live->device_count) + "× " + live->device_names.front();
    if (live->matmul_ok) s += *live->matmul_ok ? ", matmul ok" : ", matmul WRONG";
  } else if (live->gpu_available) {
    s += ": GPU no";
  }
  return s;
}

}  // namespace gpuprobe
