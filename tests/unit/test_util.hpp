// Small helpers the unit tests share.
#pragma once

#include <string>
#include <vector>

namespace gpuprobe::test_util {

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The first finding (anything with a `reason`) of that reason, or nullptr.
template <class F>
const F* find_reason(const std::vector<F>& fs, const std::string& reason) {
  for (const auto& f : fs)
    if (f.reason == reason) return &f;
  return nullptr;
}

}  // namespace gpuprobe::test_util
