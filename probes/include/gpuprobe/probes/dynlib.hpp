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

  void* raw(const char* symbol) const;
  template <class F>
  bool bind(F& fn, const char* symbol) const {
    fn = reinterpret_cast<F>(raw(symbol));
    return fn != nullptr;
  }

 private:
  void* handle_ = nullptr;
  std::string soname_, path_, error_;
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

// Those folders that exist, in the Python environments of this machine, in this order: $VIRTUAL_ENV,
// $CONDA_PREFIX, $HOME/.local, /opt/conda, /usr/local, /usr (each lib/python3.*/site-packages and
// dist-packages), /usr/lib/python3/dist-packages. Duplicates removed.
std::vector<std::string> python_wheel_library_dirs(const SystemView& sys);
// The first of those folders holding `soname`, resolved (symlinks followed); "" when none does.
std::string find_wheel_library_file(const std::string& soname, const SystemView& sys);
// Whether a library path lies in such a folder (…/site-packages/nvidia/… or …/dist-packages/nvidia/…).
bool is_wheel_library_path(const std::string& path);
// What a report says about a library loaded from a wheel: where, and that only Python code finds it.
// "" for any other path.
std::string wheel_library_note(const std::string& path);

// DynLib::open(sonames); when none of them loads through the loader's paths, sonames[0] from a pip
// wheel of the live system, after loading `needs` (sonames it links against, e.g. libcublasLt for
// libcublas) from the same folder, which the wheels' own search paths may not cover. The error of a
// library found nowhere stays the loader's.
DynLib open_library(const std::vector<std::string>& sonames, const std::vector<std::string>& needs = {});

}  // namespace gpuprobe
