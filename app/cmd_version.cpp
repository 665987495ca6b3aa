// gpuprobe version: what this binary is and what it was built with.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/build_info.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe::cli {

struct VersionOptions {
  bool json = false;
};

int run_version(const VersionOptions& o) {
  const auto archs = parse_arch_list(build::cuda_architectures);
  if (o.json) {
    nlohmann::json j{{"version", build::version},
                     {"revision", build::git_revision},
                     {"cuda_toolkit", build::cuda_toolkit_version},
                     {"cuda_architectures", build::cuda_architectures},
                     {"wgmma_sm90a", kernels::wgmma_gemm_built()},
                     {"compiler", build::compiler}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "gpuprobe " << build::version << " (" << build::git_revision << ")\n"
              << "built with CUDA " << build::cuda_toolkit_version << ", " << build::compiler << "\n"
              << "architectures: " << build::cuda_architectures;
    if (archs) std::cout << " (" << describe_archs(*archs) << ")";
    std::cout << "\n"
              << "Hopper wgmma GEMM: "
              << (kernels::wgmma_gemm_built() ? "sm_90a code built in" : "not built (no 90 in the architectures)") << "\n";
  }
  return kExitOk;
}

void setup_version(CLI::App& app) {
  auto opts = std::make_shared<VersionOptions>();
  auto* sub = app.add_subcommand("version", "Print the version, the CUDA toolkit and the architectures compiled in");
  sub->add_flag("--json", opts->json, "Print as JSON");
  sub->callback([opts] { throw CLI::RuntimeError(run_version(*opts)); });
}

}  // namespace gpuprobe::cli
