// markdown: a comparison's verdict and tables (`compare`), N reports side by side (`report`), a fleet
// (`fleet`) or the instance catalog (`instances`), for a pull-request comment or $GITHUB_STEP_SUMMARY.
#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/report_doc.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

std::unique_ptr<Sink> make_markdown_sink() {
  struct MarkdownSink final : Sink {
    std::string render_comparison(const ComparisonDoc& d) const override {
      return render_compare_markdown(d.comparison, d.outcome);
    }
    std::string render_report_set(const ReportSetDoc& d) const override {
      return render_reports_markdown(d.reports, d.comparison);
    }
    std::string render_fleet(const FleetDoc& d) const override { return render_fleet_markdown(d.fleet); }
    std::string render_catalog(const CatalogDoc& d) const override {
      return render_instances_markdown(d.catalog, d.cuda_major, d.cuda_version);
    }
  };
  return std::make_unique<MarkdownSink>();
}

}  // namespace gpuprobe
