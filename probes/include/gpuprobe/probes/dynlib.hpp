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

}  // namespace gpuprobe
