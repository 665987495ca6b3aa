// text: the terminal's tables, of a comparison (`compare`), the catalog (`instances`) and a fleet (`fleet`).
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

std::unique_ptr<Sink> make_text_sink() {
  struct TextSink final : Sink {
    std::string render_comparison(const ComparisonDoc& d) const override {
      return render_compare_text(d.comparison, d.outcome);
    }
    std::string render_catalog(const CatalogDoc& d) const override {
      return render_instances_text(d.catalog, d.cuda_major, d.cuda_version);
    }
    std::string render_fleet(const FleetDoc& d) const override { return render_fleet_text(d.fleet); }
  };
  return std::make_unique<TextSink>();
}

}  // namespace gpuprobe
