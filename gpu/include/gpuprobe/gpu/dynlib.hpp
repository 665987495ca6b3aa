// Loading GPU libraries at run time, so the binary starts in an image without them and can say
// which one is missing. Handles are never closed: CUDA libraries do not support being unloaded.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace gpuprobe {

// Where open_library found a library: through the loader (its cache, LD_LIBRARY_PATH, the system
// folders), or by path in a CUDA toolkit folder or a pip wheel that the loader does not search.
enum class LibSource { loader, cuda_toolkit, pip_wheel };
const char* lib_source_name(LibSource s);  // "loader", "cuda_toolkit", "pip_wheel": for reports

class DynLib {
 public:
  DynLib() = default;
  // Tries each soname in turn (e.g. libcublas.so.13 then libcublas.so.12).
  static DynLib open(const std::vector<std::string>& sonames);

  bool loaded() const { return handle_ != nullptr; }
  const std::string& soname() const { return soname_; }  // the name that loaded
  const std::string& path() const { return path_; }      // the file it resolved to
  const std::string& error() const { return error_; }    // dlerror of the last name tried
  LibSource source() const { return source_; }
  bool from_wheel() const { return source_ == LibSource::pip_wheel; }  // open_library found it in a pip wheel
  // The folder open_library found it in when not through the loader, as it was searched (e.g.
  // /usr/local/cuda/lib64, while path() is the file it resolves to); "" through the loader.
  const std::string& found_in() const { return found_in_; }

  void* raw(const char* symbol) const;
  template <class F>
  bool bind(F& fn, const char* symbol) const {
    fn = reinterpret_cast<F>(raw(symbol));
    return fn != nullptr;
  }

 private:
  void* handle_ = nullptr;
  std::string soname_, path_, error_, found_in_;
  LibSource source_ = LibSource::loader;
  friend DynLib open_library(const std::vector<std::string>&, const std::vector<std::string>&, const std::string&);
};

}  // namespace gpuprobe

#include "gpuprobe/gpu/system.hpp"

namespace gpuprobe {

// Finds a library file the way the dynamic loader would, without loading it: LD_LIBRARY_PATH, the
// folders of /etc/ld.so.conf (and its includes; when /etc/ld.so.cache exists, only files that cache
// names, as for the loader), then the system folders. Returns the resolved
// path (symlinks followed), or "" when absent. Cheap: used when loading would cost time for nothing
// (no GPU to compute on, and libcublasLt alone is half a gigabyte).
std::string find_library_file(const std::string& soname, const SystemView& sys);
// "…/libcublas.so.13.1.0.3" -> "13.1.0"; "…/libcudnn.so.9.19.0" -> "9.19.0"; "" when no version.
std::string version_from_library_path(const std::string& path);

// ---- NVIDIA's pip wheels -------------------------------------------------------------------------
// PyTorch, JAX and friends bring cuBLAS and cuDNN as pip wheels (nvidia-cublas, nvidia-cudnn-cu13,
// nvidia-cublas-cu12, ...) that unpack into <site-packages>/nvidia/<package>/lib: nvidia/cu13/lib
// for the CUDA 13 wheels, nvidia/cudnn/lib, nvidia/cublas/lib (CUDA 12). The dynamic loader does not
// search there (the Python packages load them by path), so an image with only the wheels has the
// libraries and still "lacks" them for the loader.

// The site-packages (and dist-packages) folders of the Python environments of this machine that
// exist, most specific first, in the order described below.
std::vector<std::string> python_site_packages_dirs(const SystemView& sys);
// A distribution pip installed in a site-packages folder, from its <name>-<version>.dist-info
// folder: name normalized (lower case, '-' and '.' as '_': "nvidia_cudnn_cu13"), version as written
// ("2.15.0", "9.26.0.51"), dist_info the folder's own name.
struct PythonDistribution {
  std::string name, version, dist_info;
};
// Those of a site-packages folder (a real path, not through a SystemView), sorted by dist_info.
std::vector<PythonDistribution> python_distributions(const std::string& site);

// The nvidia/<package>/lib folders of NVIDIA's wheels that exist in those site-packages folders:
// $VIRTUAL_ENV, $CONDA_PREFIX, virtualenvs whose bin/ is on $PATH (pyvenv.cfg), ~/.local, conda in
// ~/{miniconda3,miniforge3,mambaforge,anaconda3} and /opt/conda (with their envs/), pyenv's
// versions, /opt/jupyter, /usr/local, /usr (each lib/python3.*/{site,dist}-packages, newest Python first), and
// /usr/lib/python3/dist-packages. Duplicates removed.
std::vector<std::string> python_wheel_library_dirs(const SystemView& sys);
// The first of those folders holding `soname`, resolved (symlinks followed); "" when none does.
// With `prefer_distribution` (e.g. "nvidia_cudnn_cu13": cuDNN's wheels for CUDA 12 and 13 both
// hold libcudnn.so.9), the first whose site-packages has that distribution installed, if any does.
std::string find_wheel_library_file(const std::string& soname, const SystemView& sys,
                                    const std::string& prefer_distribution = "");
// The version of the wheel a library file came from, read from its site-packages'
// <distribution>[_cuNN]-<version>.dist-info (major.minor.patch); "" when not found. The wheels name
// their files by major only (libcublas.so.13), so the file name does not say.
std::string wheel_distribution_version(const std::string& lib_path, const std::string& distribution);
// What a report says about a library loaded from a wheel: where, and that only Python code finds it.
std::string wheel_library_note(const std::string& path);

// ---- CUDA toolkit folders ------------------------------------------------------------------------
// A toolkit installed by NVIDIA's packages gets an /etc/ld.so.conf.d entry; one installed by hand,
// copied in or mounted from elsewhere often does not, and the loader then does not find the cuBLAS
// (and cuDNN, when its tarball went into the toolkit) that sits in it. /usr/lib/<multiarch> is not
// searched here: the loader searches it by itself (Debian's and Ubuntu's system folders), so a
// library there that the loader does not load fails for another reason, which its error says.

// The library folders of the CUDA toolkits of this machine that exist, in this order: $CUDA_HOME,
// $CUDA_PATH (absolute paths only), /usr/local/cuda, then /usr/local/cuda-<version> newest first
// (cuda-13 before cuda-13.1 before cuda-13.0 before cuda-12.9); in each lib64, lib and
// targets/<arch>-linux/lib (x86_64-linux; sbsa-linux and aarch64-linux on Arm). A folder that is
// another one already listed (symlinks followed: /usr/local/cuda -> cuda-13.0, lib64 -> lib) is
// listed once, under its first name.
std::vector<std::string> cuda_toolkit_library_dirs(const SystemView& sys);
struct FoundLibrary {
  std::string dir;   // the folder it was found in, as searched ("/usr/local/cuda/lib64")
  std::string file;  // the file, resolved (symlinks followed); "" when not found
  LibSource source = LibSource::cuda_toolkit;
};
// The first of those folders holding `soname`.
FoundLibrary find_toolkit_library_file(const std::string& soname, const SystemView& sys);
// What a report says about a library loaded from toolkit folder `dir`: that other programs do not
// find it, and the fix (LD_LIBRARY_PATH or /etc/ld.so.conf.d, then ldconfig; only ldconfig when the
// folder is already listed in the loader's configuration and its cache is stale).
std::string toolkit_library_note(const std::string& dir, const SystemView& sys);
// Where open_library looks when the loader does not find `soname`, in its order: a CUDA toolkit
// folder (find_toolkit_library_file), else a pip wheel (find_wheel_library_file with
// `prefer_distribution`). `file` is "" when neither holds it.
FoundLibrary find_library_off_loader_path(const std::string& soname, const SystemView& sys,
                                          const std::string& prefer_distribution = "");
// The note for a library found off the loader's path: toolkit_library_note, wheel_library_note, or
// "" for the loader's own (`dir` and `file` as in FoundLibrary).
std::string library_source_note(LibSource source, const std::string& dir, const std::string& file,
                                const SystemView& sys);
std::string library_source_note(const DynLib& lib, const SystemView& sys);  // of what open_library loaded

// sonames[0] through the loader's paths; else sonames[0] where find_library_off_loader_path finds
// it on the live system; else the other sonames through the loader. A copy found by path is loaded
// after `needs` (sonames it links against, e.g. libcublasLt for libcublas) from its folder, so that
// no other copy on the loader's paths is taken for them. source() and found_in() say where the
// loaded copy came from. A library found nowhere carries the loader's error for sonames[0].
DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs = {},
                    const std::string& prefer_distribution = "");

}  // namespace gpuprobe
