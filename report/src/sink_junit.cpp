// junit: JUnit XML of a run for CI systems, one testcase per check and per benchmark (render_junit).
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {

std::unique_ptr<Sink> make_junit_sink() {
  struct JunitSink final : Sink {
    std::string render_run(const Report& r) const override { return render_junit(r); }
  };
  return std::make_unique<JunitSink>();
}

}  // namespace gpuprobe
