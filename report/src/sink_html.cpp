// html: N reports as one self-contained page (inline SVG charts, no script, no external resource).
#include "gpuprobe/report/report_doc.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

std::unique_ptr<Sink> make_html_sink() {
  struct HtmlSink final : Sink {
    std::string render_report_set(const ReportSetDoc& d) const override {
      return render_reports_html(d.reports, d.comparison);
    }
  };
  return std::make_unique<HtmlSink>();
}

}  // namespace gpuprobe
