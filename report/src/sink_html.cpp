// html: N reports, or a fleet, as one self-contained page (inline SVG charts, no script, no external resource).
#include "gpuprobe/report/report_doc.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

std::unique_ptr<Sink> make_html_sink() {
  struct HtmlSink final : Sink {
    std::string render_report_set(const ReportSetDoc& d) const override {
      return render_reports_html(d.reports, d.comparison);
    }
    std::string render_fleet(const FleetDoc& d) const override { return render_fleet_html(d.fleet); }
  };
  return std::make_unique<HtmlSink>();
}

}  // namespace gpuprobe
