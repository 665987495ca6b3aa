// gpuprobe instances: the built-in catalog of AWS GPU instance types, whether this binary's CUDA
// supports their GPUs, their interconnect (NVLink, PCIe, EFA) with its sources, and on-demand prices
// with the region and date they were taken.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"

namespace gpuprobe::cli {

struct InstancesOptions {
  OutputOptions outputs;
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
  SinkMultiplex outputs = open_outputs(o.outputs, kCatalogDocument);
  if (outputs.empty()) outputs.add(*find_format("text"), "-");
  if (const std::string err = outputs_usage_error(outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe instances: %s\n", err.c_str());
    return kExitUsage;
  }
  const std::string cuda = build::cuda_toolkit_version;
  return write_outputs(outputs, CatalogDoc{c, cuda_major_of(cuda), cuda}, "instances") ? kExitOk : kExitInternal;
}

void setup_instances(CLI::App& app) {
  auto o = std::make_shared<InstancesOptions>();
  auto* sub = app.add_subcommand("instances", "List AWS GPU instance types: GPUs, memory, compute capability, "
                                              "support by this build's CUDA, interconnect, on-demand price");
  add_output_options(*sub, kCatalogDocument, o->outputs, "; text to stdout when no output is named", true);
  sub->add_option("--prices", o->prices,
                  "JSON price table replacing the built-in one: {\"region\", \"date\", \"source\", \"prices\": {TYPE: $/h}}")
      ->type_name("FILE");
  sub->callback([o] { throw CLI::RuntimeError(run_instances(*o)); });
}

}  // namespace gpuprobe::cli
