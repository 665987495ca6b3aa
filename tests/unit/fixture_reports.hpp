// The committed example reports of tests/data/reports (fixtures with invented numbers).
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "gpuprobe/report/load.hpp"

namespace gpuprobe::testing {

inline std::filesystem::path data_dir() { return std::filesystem::path(__FILE__).parent_path().parent_path() / "data"; }

inline Report fixture(const std::string& name) {
  return load_report_file((data_dir() / "reports" / (name + ".json")).string());
}

inline std::vector<Report> fixtures(std::initializer_list<const char*> names) {
  std::vector<Report> out;
  for (const char* n : names) out.push_back(fixture(n));
  return out;
}

}  // namespace gpuprobe::testing
