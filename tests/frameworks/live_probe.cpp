// gpuprobe_live_probe: runs LiveProbes (the live half of the frameworks check) on the requests
// given and prints their results as a JSON array, for live.bats to run against real framework
// environments (make-envs.sh) under real driver situations.
//
//   gpuprobe_live_probe [--bound-ms N] FRAMEWORK PYTHON [FRAMEWORK PYTHON...]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "gpuprobe/probes/framework_live.hpp"

int main(int argc, char** argv) {
  using namespace gpuprobe;
  long bound_ms = 60000;
  int i = 1;
  if (i + 1 < argc && std::string(argv[i]) == "--bound-ms") {
    bound_ms = std::stol(argv[i + 1]);
    i += 2;
  }
  if (argc - i < 2 || (argc - i) % 2 != 0) {
    std::cerr << "usage: gpuprobe_live_probe [--bound-ms N] FRAMEWORK PYTHON [FRAMEWORK PYTHON...]\n";
    return 2;
  }
  std::vector<LiveRequest> requests;
  for (; i + 1 < argc; i += 2) requests.push_back({argv[i], argv[i + 1]});
  LiveProbes probes(requests, std::chrono::milliseconds(bound_ms), SystemView::live());
  auto out = nlohmann::json::array();
  for (const auto& r : probes.wait()) {
    nlohmann::json j{{"framework", r.framework},
                     {"python", r.python},
                     {"outcome", to_string(r.outcome)},
                     {"seconds", r.seconds},
                     {"version", r.version},
                     {"import_error", r.import_error},
                     {"gpu_available", r.gpu_available ? nlohmann::json(*r.gpu_available) : nullptr},
                     {"backend", r.backend},
                     {"device_count", r.device_count},
                     {"device_names", r.device_names},
                     {"arch_list", r.arch_list},
                     {"warnings", r.warnings},
                     {"matmul_ok", r.matmul_ok ? nlohmann::json(*r.matmul_ok) : nullptr},
                     {"matmul_max_rel_error", r.matmul_max_rel_error ? nlohmann::json(*r.matmul_max_rel_error) : nullptr},
                     {"error", r.error},
                     {"stderr_tail", r.stderr_tail}};
    out.push_back(j);
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}
