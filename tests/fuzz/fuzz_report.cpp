// libFuzzer target: the report reader (size/depth guards, schema check, report_from_json, the
// benchmarks[] shape) and everything compare/report do with what it accepts (environment diff,
// benchmark matching, verdict, text/Markdown/HTML/JSON renderers). Any input must end in a Report
// or a ReportError: no crash, no other exception, no sanitizer finding, no hang. The benchmarks[]
// entries read must also read back the same from what the writer makes of them.
// Built by tests/fuzz/run.sh (clang, -fsanitize=fuzzer,address,undefined); replayed over the
// committed corpus by the ordinary build (tests/fuzz/CMakeLists.txt, `ctest -L fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/load.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace {

gpuprobe::Report baseline() {
  gpuprobe::Report r;
  r.label = "base";
  r.gpus.resize(1);
  r.gpus[0].name = "NVIDIA L4";
  r.benchmarks = gpuprobe::benchmarks_from_json(nlohmann::json::array(
      {{{"name", "matmul/cublas/bf16"}, {"params", {{"m", 8192}}}, {"unit", "TFLOP/s"}, {"value", 100.0}, {"rel_spread", 0.01}},
       {{"name", "launch/empty"}, {"unit", "us"}, {"value", 2.0}}}));
  return r;
}

void exercise(const gpuprobe::Report& r) {
  using namespace gpuprobe;
  static const Report base = baseline();
  for (const auto& pair : {std::vector<Report>{base, r}, std::vector<Report>{r, r}, std::vector<Report>{r}}) {
    Comparison c = compare_reports(pair, {}, 0.05);
    attach_prices(c, builtin_catalog());
    CompareOptions o;
    o.fail_on_regression = true;
    const CompareOutcome out = compare_outcome(c, o);
    (void)render_compare_text(c, out);
    (void)render_compare_markdown(c, out);
    (void)comparison_to_json(c, out).dump();
    (void)render_reports_html(pair, c);
    (void)render_reports_markdown(pair, c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuprobe::Report r;
  try {
    r = gpuprobe::parse_report_text(text, "fuzz.json");
  } catch (const gpuprobe::ReportError&) {
    return 0;  // rejected with a message: the expected outcome for most inputs
  }
  if (!(gpuprobe::benchmarks_from_json(gpuprobe::to_json(r.benchmarks)) == r.benchmarks)) std::abort();
  exercise(r);  // an accepted report must compare and render without throwing
  return 0;
}
