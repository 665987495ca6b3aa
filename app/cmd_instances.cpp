// gpuprobe instances: the built-in catalog of AWS GPU instance types, whether this binary's CUDA
// supports their GPUs, and on-demand prices with the region and date they were taken.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe::cli {

struct InstancesOptions {
  bool json = false;
  std::string prices;
};

int run_instances(const InstancesOptions& o) {
  Catalog c;
  try {
    c = load_catalog(o.prices);
  } catch (const ReportError& e) {
    std::fprintf(stderr, "gpuprobe instances: %s\n", printable(e.what(), false).c_str());
    return kExitUsage;
  }
  const std::string cuda = build::cuda_toolkit_version;
  const int major = cuda_major_of(cuda);
  const std::string text = o.json ? instances_to_json(c, major, cuda).dump(2) + "\n" : render_instances_text(c, major, cuda);
  if (const std::string err = write_output("-", text); !err.empty()) {
    std::fprintf(stderr, "gpuprobe instances: %s\n", err.c_str());
    return kExitInternal;
  }
  return kExitOk;
}

void setup_instances(CLI::App& app) {
  auto o = std::make_shared<InstancesOptions>();
  auto* sub = app.add_subcommand("instances", "List AWS GPU instance types: GPUs, memory, compute capability, "
                                              "support by this build's CUDA, on-demand price");
  sub->add_flag("--json", o->json, "Print as JSON");
  sub->add_option("--prices", o->prices,
                  "JSON price table replacing the built-in one: {\"region\", \"date\", \"source\", \"prices\": {TYPE: $/h}}")
      ->type_name("FILE");
  sub->callback([o] { throw CLI::RuntimeError(run_instances(*o)); });
}

}  // namespace gpuprobe::cli
