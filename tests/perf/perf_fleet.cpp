// How long `gpuprobe fleet` takes over N nodes' JSON lines: reading (parse and validate every
// report), the analysis (counts, medians, MAD outliers) and a Markdown rendering, on N copies of the
// g5 fixture with their benchmark values spread by ±1 %.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "gpuprobe/report/fleet.hpp"
#include "gpuprobe/report/load.hpp"

namespace {

std::string fleet_lines(std::size_t n) {
  const gpuprobe::Report base = gpuprobe::load_report_file(std::string(GPUPROBE_REPORTS_DIR) + "/g5.json");
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    gpuprobe::Report r = base;
    r.label = "node-" + std::to_string(i);
    for (auto& b : r.benchmarks) *b.value *= 1.0 + 0.01 * std::sin(static_cast<double>(i));
    text += gpuprobe::to_json(r).dump() + "\n";
  }
  return text;
}

void BM_FleetRead(benchmark::State& state) {
  const std::string text = fleet_lines(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    gpuprobe::FleetInput in;
    gpuprobe::read_fleet_text(text, "fleet.jsonl", in);
    benchmark::DoNotOptimize(in.reports.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_FleetAnalyze(benchmark::State& state) {
  gpuprobe::FleetInput in;
  gpuprobe::read_fleet_text(fleet_lines(static_cast<std::size_t>(state.range(0))), "fleet.jsonl", in);
  for (auto _ : state) {
    const gpuprobe::Fleet f = gpuprobe::analyze_fleet(in);
    benchmark::DoNotOptimize(gpuprobe::render_fleet_markdown(f));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_FleetAll(benchmark::State& state) {
  const std::string text = fleet_lines(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    gpuprobe::FleetInput in;
    gpuprobe::read_fleet_text(text, "fleet.jsonl", in);
    const gpuprobe::Fleet f = gpuprobe::analyze_fleet(in);
    benchmark::DoNotOptimize(gpuprobe::render_fleet_markdown(f));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_FleetRead)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetAnalyze)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetAll)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
