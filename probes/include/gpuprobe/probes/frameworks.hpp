// The Python frameworks of this machine (PyTorch, JAX, TensorFlow, CuPy), read from their files
// without importing them: which version, built for which CUDA and which GPUs, where, and whether
// the CUDA libraries they load are there. Then the verdicts a user needs before opening a
// notebook, each with its fix, from those facts, the driver's and the GPUs' (and, when it ran, the
// framework's own live answer: framework_live.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/system.hpp"
#include "gpuprobe/probes/framework_live.hpp"
#include "gpuprobe/probes/health.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// A shared library a framework's CUDA libraries load (directly or through NVIDIA's libraries of its
// environment), as the dynamic loader would find it: DT_RPATH first, then LD_LIBRARY_PATH, then
// DT_RUNPATH, then the loader's own paths.
struct FrameworkLib {
  std::string soname;   // "libcudnn.so.9"
  std::string path;     // resolved file, "" when not found
  std::string via;      // "rpath", "ld_library_path", "runpath", "loader"; "wheel" (by name from
                        // NVIDIA's wheels, TensorFlow); "" when not found
  bool in_wheel = false;  // the file sits in the framework's own site-packages
  std::string needed_by;  // the library that loads it: "libtorch_cuda.so", "libcusolver.so.12"
  std::string shadowed;   // the environment's own copy, when another one is found first; else ""
};

// A requirement of the framework's metadata on one of NVIDIA's wheels (Requires-Dist), and whether
// its site-packages has it.
struct WheelRequirement {
  std::string requirement;  // as written: "nvidia-cudnn-cu13==9.26.0.51", "cuda-toolkit[cufile]==13.2.2"
  std::string name;         // normalized: "nvidia_cudnn_cu13"
  std::string installed;    // version installed there, "" when missing
};

enum class FrameworkBuild { cuda, cpu, rocm, unknown };
const char* to_string(FrameworkBuild b);  // "cuda", "cpu", "rocm", "unknown"

struct FrameworkInstall {
  std::string name;          // "torch", "jax", "tensorflow", "cupy"
  std::string distribution;  // the dist-info it was found by: "torch", "jaxlib", "tensorflow_cpu", "cupy_cuda13x"
  std::string version;       // "2.15.0+cu132" (torch/version.py), else the distribution's version
  std::string site;          // the site-packages folder
  std::string python;        // the interpreter that imports from `site`; "" when none was found
  FrameworkBuild build = FrameworkBuild::unknown;
  std::string cuda;          // the CUDA it was built for: "13.2", "12.5.1", "13" (a plugin for CUDA 13.x); "" unknown
  std::vector<std::string> archs;  // "sm_75", "compute_90", ... as built; empty when the files do not say
  std::string plugin;        // jax: "jax-cuda13-plugin 0.10.2 + jax-cuda13-pjrt 0.10.2"
  std::string plugin_mismatch;  // jax: the plugin's version differs from jaxlib's ("0.12.1 vs jaxlib 0.10.2")
  std::string cuda_library;  // the library whose dependencies were resolved (torch/lib/libtorch_cuda.so), "" none
  std::vector<FrameworkLib> libs;               // that library's CUDA dependencies
  std::vector<WheelRequirement> requirements;   // its NVIDIA wheel requirements
  // The CUDA major the build needs, from `cuda` ("13.2" -> 13); 0 when unknown.
  int cuda_major() const;
  int cuda_minor() const;  // -1 when `cuda` names no minor ("13", "13.x")
};

// Every framework in the Python environments of this machine (the site-packages folders of
// python_site_packages_dirs, most specific first; a folder reached twice is read once).
std::vector<FrameworkInstall> find_frameworks(const SystemView& sys);

// The facts the verdicts weigh the build against.
struct FrameworkHost {
  int driver_cuda = 0;               // cuDriverGetVersion, 0 when unknown (no driver library)
  std::string driver_version;        // "535.261.03", "" when unknown
  std::vector<std::pair<int, int>> gpu_ccs;  // compute capability of each GPU CUDA sees
  bool gpus_usable = false;          // gpuprobe itself reaches a GPU through CUDA
  bool driver_present = false;       // a driver library loaded (GPU or not)
};

// The verdicts for one framework, each a Finding with its fix (status pass when all is well).
// `live`: its live answer when it ran, else nullptr.
std::vector<Finding> evaluate_framework(const FrameworkInstall& f, const FrameworkHost& host, const LiveResult* live);

// A one-line summary for the check's message: "torch 2.15.0+cu132 (CUDA 13.2, /opt/venv): GPU yes, 1 device".
std::string describe_framework(const FrameworkInstall& f, const LiveResult* live);

// The architectures of torch's build, read from libtorch_python.so's .rodata (the string that
// torch.cuda.get_arch_list() returns: "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120"). Exposed for tests.
std::vector<std::string> arch_list_from_rodata(const std::string& rodata);

}  // namespace gpuprobe
