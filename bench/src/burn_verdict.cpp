// Verdicts of a burn over what it recorded: pure functions, unit-tested on synthetic series.
// faulty: a wrong result, a critical Xid, uncorrected ECC errors that rose, a load error, a hang.
// throttled: a throttling clock-event reason (HW slowdown, SW/HW thermal, power brake) active for
// throttle_min_s or more; the SW power cap is expected under full load and only reported (info)
// unless the SM clock lost more than power_cap_clock_loss of its maximum while capped.
// slow: the last part's rate below the first seconds', below a share of the GPU's peak, or an
// outlier among the node's GPUs of the same model (median and MAD, the fleet view's rule).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "gpuprobe/bench/burn.hpp"
#include "gpuprobe/bench/peaks.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/report/fleet.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe::bench {

XidInfo xid_info(std::uint64_t xid) {
  switch (xid) {
    case 13: return {"graphics engine exception",
                     "a kernel fault while gpuprobe's verified load ran: reset the GPU (nvidia-smi -r) and burn again; "
                     "if it recurs, run the provider's/NVIDIA's field diagnostics and replace the GPU"};
    case 31: return {"GPU memory page fault",
                     "an illegal address under a known-good load points at the GPU or driver: reset the GPU and burn "
                     "again; if it recurs, replace the GPU"};
    case 43: return {"GPU stopped processing",
                     "the GPU stopped a channel after a fault: reset the GPU (nvidia-smi -r) and burn again"};
    case 45: return {"preemptive cleanup after earlier errors", "follows another Xid: act on that one"};
    case 48: return {"double-bit ECC error (DBE)",
                     "an uncorrectable memory error: reset the GPU so the page is retired/remapped; replace the GPU "
                     "if double-bit errors recur"};
    case 61:
    case 62: return {"internal micro-controller halt", "reset the GPU; update the driver; replace if it recurs"};
    case 63: return {"row remapping / page retirement recorded",
                     "failing memory was recorded for remapping: reset the GPU to apply it; replace if remapped rows "
                     "keep growing"};
    case 64: return {"row remapping / page retirement failure",
                     "the GPU could not remap failing memory: take it out of service and replace it"};
    case 74: return {"NVLink error", "reset the GPU; if it recurs, have the NVLink/baseboard serviced"};
    case 79: return {"GPU has fallen off the bus",
                     "the GPU stopped answering on PCIe: drain the node and power-cycle it; check power, cooling and "
                     "seating; replace the GPU if it recurs"};
    case 92: return {"high single-bit ECC error rate", "memory is degrading: schedule a replacement"};
    case 94: return {"contained ECC error",
                     "an uncorrectable error contained to one application: reset the GPU when it is idle; replace "
                     "it if it recurs"};
    case 95: return {"uncontained ECC error",
                     "an uncorrectable error that could not be contained: reset the GPU now; replace it if it recurs"};
    case 119:
    case 120: return {"GSP error", "reset the GPU; update the driver; replace if it recurs"};
    default: return {"Xid " + std::to_string(xid),
                     "look it up in NVIDIA's Xid catalog (docs.nvidia.com/deploy/xid-errors) and the kernel log (dmesg)"};
  }
}

std::optional<double> burn_peak(const GpuInfo& gpu, BurnLoadKind kind) {
  const GpuPeaks p = peaks_for(gpu.name, gpu.cc_major, gpu.cc_minor, gpu.sm_count, gpu.sm_clock_max_mhz.value_or(0));
  switch (kind) {
    case BurnLoadKind::gemm_fp32: return p.fp32;
    case BurnLoadKind::gemm_bf16: return p.bf16;
    case BurnLoadKind::memory: return p.mem_gbps;
    case BurnLoadKind::mixed: return std::nullopt;
  }
  return std::nullopt;
}

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double median_of(std::vector<double> v) { return median_mad(v).median; }

// Seconds each sample stands for: the gap to the next one (the last: the median gap; 1 s alone).
std::vector<double> sample_spans(const std::vector<BurnSample>& s) {
  std::vector<double> span(s.size(), 1.0), gaps;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) gaps.push_back(std::max(0.0, s[i + 1].t - s[i].t));
  const double typical = gaps.empty() ? 1.0 : median_of(gaps);
  for (std::size_t i = 0; i < s.size(); ++i) span[i] = i + 1 < s.size() ? gaps[i] : typical;
  return span;
}

struct ReasonBit {
  std::uint64_t bit;
  const char* reason;
  const char* what;
  const char* hint;
};
const ReasonBit kThrottleBits[] = {
    {kClkHwThermal, "thermal", "HW thermal slowdown",
     "the GPU is too hot: check the cooling (fans, airflow, inlet temperature, the data centre's cooling) and that nothing blocks the heatsink"},
    {kClkSwThermal, "thermal", "SW thermal slowdown",
     "the GPU reached its thermal limit: improve cooling; nvidia-smi -q -d TEMPERATURE shows the slowdown threshold"},
    {kClkHwPowerBrake, "power_brake", "HW power brake",
     "an external signal (the power supply or the chassis) asked the GPU to brake: have the node's power delivery checked"},
    {kClkHwSlowdown, "hw_slowdown", "HW slowdown",
     "thermal or power-supply slowdown in hardware: check cooling and power cables; nvidia-smi -q -d PERFORMANCE says which"},
};

void add(BurnGpu& g, const char* severity, const std::string& reason, const std::string& message, const std::string& hint) {
  g.findings.push_back({severity, reason, message, hint});
}

// The SM clock while `bit` was set: the median of those samples, and its loss against the maximum.
std::string clock_text(const BurnGpu& g, std::uint64_t bit, double* loss) {
  std::vector<double> clocks;
  for (const auto& s : g.telemetry)
    if (s.clock_event_reasons && (*s.clock_event_reasons & bit) && s.sm_clock_mhz) clocks.push_back(*s.sm_clock_mhz);
  *loss = 0;
  if (clocks.empty()) return "";
  const double c = median_of(clocks);
  std::string text = "; SM clock " + fmt("%.0f", c) + " MHz";
  if (g.sm_clock_max_mhz && *g.sm_clock_max_mhz > 0) {
    *loss = std::max(0.0, 1.0 - c / *g.sm_clock_max_mhz);
    text += " of " + std::to_string(*g.sm_clock_max_mhz) + " MHz max (" + fmt("%.0f", *loss * 100) + " % lost)";
  }
  return text;
}

void judge_faulty(BurnGpu& g) {
  if (g.mismatches > 0)
    add(g, "faulty", "mismatch",
        std::to_string(g.mismatches) + " of " + std::to_string(g.checked) + " checked results were wrong under load",
        "this GPU computes wrong results under sustained load: take it out of service; reset it (nvidia-smi -r) and "
        "burn again; replace it if it recurs");
  if (g.hung)
    add(g, "faulty", "hung", g.error.empty() ? "a load step did not return" : g.error,
        "look for Xid errors in the host's kernel log (dmesg); reset the GPU (nvidia-smi -r) or power-cycle the node; "
        "replace the GPU if it recurs");
  else if (!g.error.empty())
    add(g, "faulty", "load_error", g.error,
        "the load ended with an error: look for Xid errors in dmesg, reset the GPU and burn again; if the load could "
        "not start, choose another --load");
  std::set<std::uint64_t> seen;
  for (const auto& x : g.xids) {
    if (!seen.insert(x.xid).second) continue;
    const XidInfo info = xid_info(x.xid);
    add(g, "faulty", "xid", "Xid " + std::to_string(x.xid) + " (" + info.name + ") at " + format_duration(x.t), info.hint);
  }
  std::optional<std::uint64_t> first_unc, last_unc, first_cor, last_cor, first_rep, last_rep;
  const auto track = [](const std::optional<std::uint64_t>& v, std::optional<std::uint64_t>& first,
                         std::optional<std::uint64_t>& last) {
    if (!v) return;
    if (!first) first = v;
    last = v;
  };
  for (const auto& s : g.telemetry) {
    track(s.ecc_uncorrected, first_unc, last_unc);
    track(s.ecc_corrected, first_cor, last_cor);
    track(s.pcie_replays, first_rep, last_rep);
  }
  if (first_unc && last_unc && *last_unc > *first_unc)
    add(g, "faulty", "ecc_uncorrected",
        std::to_string(*last_unc - *first_unc) + " uncorrected ECC errors during the burn",
        "uncorrectable memory errors: reset the GPU (nvidia-smi -r) so the rows are remapped; replace it if they recur");
  if (first_cor && last_cor && *last_cor > *first_cor)
    add(g, "info", "ecc_corrected", std::to_string(*last_cor - *first_cor) + " corrected ECC errors during the burn",
        "corrected errors are harmless alone; many, or rising across runs, announce failing memory");
  if (first_rep && last_rep && *last_rep > *first_rep)
    add(g, "info", "pcie_replay", std::to_string(*last_rep - *first_rep) + " PCIe replays during the burn",
        "link-level retries: many point at a poor PCIe connection (riser, slot, cable); reseat the GPU if they grow");
}

void judge_throttled(BurnGpu& g, const BurnThresholds& th) {
  const auto span = sample_spans(g.telemetry);
  double total = 0;
  for (double s : span) total += s;
  std::set<std::string> reported;
  for (const auto& rb : kThrottleBits) {
    double secs = 0;
    for (std::size_t i = 0; i < g.telemetry.size(); ++i)
      if (g.telemetry[i].clock_event_reasons && (*g.telemetry[i].clock_event_reasons & rb.bit)) secs += span[i];
    if (secs < th.throttle_min_s || !reported.insert(std::string(rb.reason) + rb.what).second) continue;
    double loss = 0;
    const std::string clock = clock_text(g, rb.bit, &loss);
    add(g, "throttled", rb.reason,
        std::string(rb.what) + " for " + format_duration(secs) + " of " + format_duration(total) + clock, rb.hint);
  }
  double cap = 0;
  for (std::size_t i = 0; i < g.telemetry.size(); ++i)
    if (g.telemetry[i].clock_event_reasons && (*g.telemetry[i].clock_event_reasons & kClkSwPowerCap)) cap += span[i];
  if (cap >= th.throttle_min_s) {
    double loss = 0;
    const std::string clock = clock_text(g, kClkSwPowerCap, &loss);
    std::string limit;
    for (const auto& s : g.telemetry)
      if (s.power_limit_w) limit = " (limit " + fmt("%.0f", *s.power_limit_w) + " W)";
    const bool heavy = loss > th.power_cap_clock_loss;
    add(g, heavy ? "throttled" : "info", "power_cap",
        "at its power limit" + limit + " for " + format_duration(cap) + " of " + format_duration(total) + clock,
        heavy ? "the power limit costs more than " + fmt("%.0f", th.power_cap_clock_loss * 100) +
                    " % of the clock: check the enforced limit against the board's default (nvidia-smi -q -d POWER); "
                    "raise it (nvidia-smi -pl) or ask the provider why it is lowered"
              : "expected under full load: the GPU runs at its power limit");
  }
}

// The median rate of the first seconds (the first step left out: warm-up) and of the last part.
void rates(BurnGpu& g, const BurnThresholds& th) {
  g.rate_first.reset();
  g.rate_last.reset();
  const auto& s = g.series;
  if (s.size() < 2) {
    if (!s.empty()) g.rate_first = g.rate_last = s[0].rate;
    return;
  }
  const double t_end = s.back().t;
  const double first_end = std::min(th.first_window_s, t_end * th.last_fraction);
  std::vector<double> first, last;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i].t <= first_end || first.empty()) first.push_back(s[i].rate);
  const std::size_t n_last = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(s.size() * th.last_fraction)));
  for (std::size_t i = s.size() - n_last; i < s.size(); ++i) last.push_back(s[i].rate);
  g.rate_first = median_of(first);
  g.rate_last = median_of(last);
}

void judge_slow(BurnGpu& g, const BurnThresholds& th) {
  if (!g.rate_first || !g.rate_last || g.series.size() < 4) return;
  const double first = *g.rate_first, last = *g.rate_last;
  if (first > 0 && last < first * (1 - th.drop))
    add(g, "slow", "throughput_drop",
        "sustained " + fmt("%.4g", last) + " " + g.unit + " in the last part vs " + fmt("%.4g", first) + " in the first seconds (" +
            fmt("%.0f", (1 - last / first) * 100) + " % lower)",
        "the GPU slows down as it heats: look at the throttle reasons and temperature in the series; check cooling "
        "and the power limit");
  if (g.peak && *g.peak > 0 && last < *g.peak * th.min_peak_fraction)
    add(g, "slow", "below_peak",
        "sustained " + fmt("%.4g", last) + " " + g.unit + ", " + fmt("%.0f", last / *g.peak * 100) + " % of its peak " +
            fmt("%.4g", *g.peak) + " " + g.unit,
        "far below what this GPU model does: check clocks (application clocks, nvidia-smi -q -d CLOCK), the power "
        "limit, and that no other process shares the GPU");
}

void judge_node(BurnRun& run, const BurnThresholds& th) {
  std::map<std::pair<std::string, std::string>, std::vector<BurnGpu*>> groups;
  for (auto& g : run.gpus)
    if (g.rate_last && !g.hung && g.error.empty()) groups[{g.name, g.unit}].push_back(&g);
  FleetOptions fo;
  fo.mad_k = th.mad_k;
  fo.min_deviation = th.min_deviation;
  for (auto& [key, gs] : groups) {
    if (gs.size() < 3) continue;  // two GPUs cannot say which one is off
    std::vector<double> v;
    for (const auto* g : gs) v.push_back(*g->rate_last);
    const MedianMad mm = median_mad(v);
    const double limit = outlier_threshold(mm.median, mm.mad, true, fo);
    for (auto* g : gs)
      if (*g->rate_last < limit)
        add(*g, "slow", "node_outlier",
            fmt("%.4g", *g->rate_last) + " " + g->unit + " vs the median " + fmt("%.4g", mm.median) + " of this node's " +
                std::to_string(gs.size()) + " " + key.first + " GPUs (" +
                fmt("%.0f", (1 - *g->rate_last / mm.median) * 100) + " % lower)",
            "one GPU slower than its identical neighbours: compare its clocks, temperature and PCIe link with theirs; "
            "reseat or replace it if it stays behind");
  }
}

int rank(const std::string& severity) {
  return severity == "faulty" ? 3 : severity == "throttled" ? 2 : severity == "slow" ? 1 : 0;
}

}  // namespace

void judge_burn(BurnRun& run, const BurnThresholds& th) {
  for (auto& g : run.gpus) {
    g.findings.clear();
    judge_faulty(g);
    judge_throttled(g, th);
    rates(g, th);
    judge_slow(g, th);
  }
  judge_node(run, th);
  for (auto& g : run.gpus) {
    int worst = 0;
    for (const auto& f : g.findings) worst = std::max(worst, rank(f.severity));
    g.verdict = worst == 3 ? "faulty" : worst == 2 ? "throttled" : worst == 1 ? "slow" : "healthy";
  }
}

BurnOutcome burn_outcome(const BurnRun& run) {
  std::vector<std::string> by[4];
  bool hung = false;
  for (const auto& g : run.gpus) {
    std::string reasons;
    for (const auto& f : g.findings)
      if (f.severity == g.verdict && reasons.find(f.reason) == std::string::npos)
        reasons += (reasons.empty() ? "" : ", ") + f.reason;
    by[rank(g.verdict)].push_back("GPU " + std::to_string(g.index) + (reasons.empty() ? "" : " (" + reasons + ")"));
    hung = hung || g.hung;
  }
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  const std::string ran = std::to_string(run.gpus.size()) + " GPU" + (run.gpus.size() == 1 ? "" : "s") + ", " +
                          format_duration(run.elapsed_s) + " of " + run.load;
  BurnOutcome o;
  if (hung) {
    o.exit_code = kExitHung;
    o.line = "HUNG: " + join(by[3]) + " — " + ran;
  } else if (!by[3].empty()) {
    o.exit_code = kExitCheckFailed;
    o.line = "FAULTY: " + join(by[3]) + " — " + ran;
  } else if (run.interrupted) {
    o.exit_code = kExitInterrupted;
    o.line = "INTERRUPTED after " + format_duration(run.elapsed_s) + " of " + format_duration(run.duration_s) +
             ": partial report" + (by[2].empty() && by[1].empty() ? "" : " (" + join(by[2]) + (by[2].empty() || by[1].empty() ? "" : ", ") + join(by[1]) + ")") +
             " — " + ran;
  } else if (!by[2].empty() || !by[1].empty()) {
    o.exit_code = kExitDegraded;
    o.line = std::string(by[2].empty() ? "SLOW: " : "THROTTLED: ") + join(by[2]) + (by[2].empty() || by[1].empty() ? "" : "; slow: ") +
             join(by[1]) + " — " + ran;
  } else if (run.gpus.empty()) {
    o.exit_code = kExitNoGpu;
    o.line = "NO GPU: nothing to burn";
  } else {
    o.exit_code = kExitOk;
    o.line = "HEALTHY: " + ran + ", every result verified";
  }
  return o;
}

std::string burn_progress_line(double elapsed, double duration, const std::vector<BurnProgress>& p,
                               const std::vector<std::string>& units) {
  std::string line = "burn " + format_duration(elapsed) + " of " + format_duration(duration) + ", " +
                     format_duration(std::max(0.0, duration - elapsed)) + " left —";
  for (std::size_t i = 0; i < p.size(); ++i) {
    line += i ? ", " : " ";
    line += "GPU " + std::to_string(p[i].index) + " ";
    if (p[i].hung) line += "HUNG";
    else if (p[i].failed) line += "FAILED";
    else if (p[i].rate) line += fmt("%.4g", *p[i].rate) + (i < units.size() && !units[i].empty() ? " " + units[i] : "");
    else line += "starting";
    if (p[i].mismatches) line += " (" + std::to_string(p[i].mismatches) + " WRONG)";
  }
  return line;
}

}  // namespace gpuprobe::bench
