// Loading GPU libraries at run time, so the binary starts in an image without them and can say
// which one is missing. Handles are never closed: CUDA libraries do not support being unloaded.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace gpuprobe {

class DynLib {
 public:
  DynLib() = default;
  // Tries each soname in turn (e.g. libcublas.so.13 then libcublas.so.12).
  static DynLib open(const std::vector<std::string>& sonames);

  bool loaded() const { return handle_ != nullptr; }
  const std::string& soname() const { return soname_; }  // the name that loaded
  const std::string& path() const { return path_; }      // the file it resolved to
  const std::string& error() const { return error_; }    // dlerror of the last name tried
  bool from_wheel() const { return from_wheel_; }        // open_library found it in a pip wheel

  void* raw(const char* symbol) const;
  template <class F>
  bool bind(F& fn, const char* symbol) const {
    fn = reinterpret_cast<F>(raw(symbol));
    return fn != nullptr;
  }

 private:
  void* handle_ = nullptr;
  std::string soname_, path_, error_;
  bool from_wheel_ = false;
  friend DynLib open_library(const std::vector<std::string>&, const std::vector<std::string>&, const std::string&);
};

}  // namespace gpuprobe

#include "gpuprobe/probes/system.hpp"

namespace gpuprobe {

// Finds a library file the way the dynamic loader would, without loading it: LD_LIBRARY_PATH, the
// folders of /etc/ld.so.conf (and its includes), then the system folders. Returns the resolved
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

// Those folders that exist, in the Python environments of this machine, most specific first:
// $VIRTUAL_ENV, $CONDA_PREFIX, virtualenvs whose bin/ is on $PATH (pyvenv.cfg), ~/.local, conda in
// ~/{miniconda3,miniforge3,mambaforge,anaconda3} and /opt/conda (with their envs/), pyenv's
// versions, /usr/local, /usr (each lib/python3.*/{site,dist}-packages, newest Python first), and
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

// sonames[0] through the loader's paths; else sonames[0] from a pip wheel of the live system
// (find_wheel_library_file with `prefer_distribution`), after loading `needs` (sonames it links
// against, e.g. libcublasLt for libcublas) from the same folder, so that no other copy on the
// loader's paths is taken for them; else the other sonames through the loader. from_wheel() says
// whether the wheel's copy is the one loaded. A library found nowhere carries the loader's error
// for sonames[0].
DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs = {},
                    const std::string& prefer_distribution = "");

}  // namespace gpuprobe
