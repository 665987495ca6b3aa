#include "gpuprobe/report/sink.hpp"

#include <stdexcept>

#include "gpuprobe/report/io.hpp"

namespace gpuprobe {

namespace {

[[noreturn]] void cannot_render(const char* document) {
  throw std::logic_error(std::string("this output format does not render a ") + document);
}

}  // namespace

std::string Sink::render_run(const Report&) const { cannot_render("run report"); }
std::string Sink::render_comparison(const ComparisonDoc&) const { cannot_render("comparison"); }
std::string Sink::render_report_set(const ReportSetDoc&) const { cannot_render("report set"); }
std::string Sink::render_catalog(const CatalogDoc&) const { cannot_render("catalog"); }
std::string Sink::render_fleet(const FleetDoc&) const { cannot_render("fleet view"); }

// The factories, one per sink_<name>.cpp.
std::unique_ptr<Sink> make_text_sink();
std::unique_ptr<Sink> make_html_sink();
std::unique_ptr<Sink> make_markdown_sink();
std::unique_ptr<Sink> make_json_sink();
std::unique_ptr<Sink> make_junit_sink();

// The order of the rows is the order outputs are written and options are listed.
const std::vector<Format>& formats() {
  static const std::vector<Format> table = {
      {"text", "the plain-text tables", kComparisonDocument | kCatalogDocument | kFleetDocument, make_text_sink},
      {"html", "one self-contained HTML page (inline SVG charts)", kReportSetDocument | kFleetDocument, make_html_sink},
      {"markdown", "Markdown (a pull-request comment, $GITHUB_STEP_SUMMARY)",
       kComparisonDocument | kReportSetDocument | kCatalogDocument | kFleetDocument,
       make_markdown_sink},
      {"json", "JSON", kRunDocument | kComparisonDocument | kCatalogDocument | kFleetDocument, make_json_sink},
      {"junit", "JUnit XML (one testcase per check and per benchmark)", kRunDocument, make_junit_sink},
  };
  return table;
}

const Format* find_format(std::string_view name) {
  for (const auto& f : formats())
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<const Format*> formats_for(Document doc) {
  std::vector<const Format*> out;
  for (const auto& f : formats())
    if (f.documents & doc) out.push_back(&f);
  return out;
}

void SinkMultiplex::add(const Format& format, std::string path) {
  outputs_.push_back({&format, std::move(path), format.make()});
}

std::vector<const SinkMultiplex::Output*> SinkMultiplex::to_stdout() const {
  std::vector<const Output*> out;
  for (const auto& o : outputs_)
    if (o.path == "-") out.push_back(&o);
  return out;
}

template <class Render>
std::vector<std::string> SinkMultiplex::write_each(Render render) const {
  std::vector<std::string> errors;
  for (const auto& o : outputs_)
    if (std::string err = write_output(o.path, render(*o.sink)); !err.empty()) errors.push_back(std::move(err));
  return errors;
}

std::vector<std::string> SinkMultiplex::write(const Report& run) const {
  return write_each([&](const Sink& s) { return s.render_run(run); });
}
std::vector<std::string> SinkMultiplex::write(const ComparisonDoc& doc) const {
  return write_each([&](const Sink& s) { return s.render_comparison(doc); });
}
std::vector<std::string> SinkMultiplex::write(const ReportSetDoc& doc) const {
  return write_each([&](const Sink& s) { return s.render_report_set(doc); });
}
std::vector<std::string> SinkMultiplex::write(const CatalogDoc& doc) const {
  return write_each([&](const Sink& s) { return s.render_catalog(doc); });
}
std::vector<std::string> SinkMultiplex::write(const FleetDoc& doc) const {
  return write_each([&](const Sink& s) { return s.render_fleet(doc); });
}

}  // namespace gpuprobe
