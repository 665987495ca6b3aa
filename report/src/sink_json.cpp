// json: the report (gpuprobe.report/1, docs/report-schema.md), the comparison (gpuprobe.compare/1,
// docs/compare.md), the catalog and the fleet view (gpuprobe.fleet/1, docs/fleet.md), indented by 2, one trailing newline.
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

namespace {

std::string dump(const nlohmann::json& j) { return j.dump(2) + "\n"; }

}  // namespace

std::unique_ptr<Sink> make_json_sink() {
  struct JsonSink final : Sink {
    std::string render_run(const Report& r) const override { return dump(to_json(r)); }
    std::string render_comparison(const ComparisonDoc& d) const override {
      return dump(comparison_to_json(d.comparison, d.outcome));
    }
    std::string render_catalog(const CatalogDoc& d) const override {
      return dump(instances_to_json(d.catalog, d.cuda_major, d.cuda_version));
    }
    std::string render_fleet(const FleetDoc& d) const override { return dump(fleet_to_json(d.fleet)); }
  };
  return std::make_unique<JsonSink>();
}

}  // namespace gpuprobe
