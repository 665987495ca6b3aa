// A temporary directory that serves as a filesystem root for SystemView; removed with everything
// in it. Shared by the tests of host facts and library lookup.
#pragma once

#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "gpuprobe/gpu/system.hpp"

namespace gpuprobe::testing {

class FakeRoot {
 public:
  FakeRoot() {
    std::string tmpl = ::testing::TempDir() + "gpuprobe_root_XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~FakeRoot() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FakeRoot(const FakeRoot&) = delete;
  FakeRoot& operator=(const FakeRoot&) = delete;

  // The host path of an absolute path under the root.
  std::filesystem::path host(const std::string& abs) const { return std::filesystem::path(dir_) / abs.substr(1); }
  void write(const std::string& abs, const std::string& content = "") const {
    std::filesystem::create_directories(host(abs).parent_path());
    std::ofstream(host(abs), std::ios::binary) << content;
  }
  void mkdir(const std::string& abs) const { std::filesystem::create_directories(host(abs)); }
  void symlink(const std::string& target, const std::string& abs_link) const {
    std::filesystem::create_directories(host(abs_link).parent_path());
    std::filesystem::create_symlink(target, host(abs_link));
  }
  // The canonical host path of a file under the root, as realpath(3) reports it.
  std::string resolved(const std::string& abs) const {
    char buf[PATH_MAX];
    return ::realpath(host(abs).c_str(), buf) ? std::string(buf) : std::string();
  }
  SystemView view(std::map<std::string, std::string> env = {}) const {
    SystemView v;
    v.root = dir_;
    v.env = std::move(env);
    return v;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace gpuprobe::testing
