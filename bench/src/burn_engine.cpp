// The burn engine: one thread per GPU stepping its load until the deadline, each step under a
// Watchdog (probes/runner.hpp) of its own; a sampler thread reading telemetry once a second and
// waiting for Xid events in between; the calling thread ticks progress and decides when the run is
// over. A hung step cannot be cancelled: its thread keeps its state alive through a shared_ptr and is
// detached, so the run ends on time and the report is written (the app then ends the process).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "gpuprobe/bench/burn.hpp"
#include "gpuprobe/probes/runner.hpp"

namespace gpuprobe::bench {

double parse_duration(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty duration (e.g. 60s, 5m, 1h30m)");
  double total = 0;
  std::size_t i = 0;
  int last_rank = 4;  // units must come largest first, each once: h (3), m (2), s (1)
  bool bare = false;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) throw std::invalid_argument("'" + text + "': expected a number at '" + text.substr(i) + "' (e.g. 60s, 5m, 1h30m)");
    if (j - i > 7) throw std::invalid_argument("'" + text + "': number too large");
    const double n = std::stod(text.substr(i, j - i));
    if (j == text.size()) {
      if (i != 0) throw std::invalid_argument("'" + text + "': a unit (s, m, h) is needed after " + text.substr(i));
      total = n;  // a bare number: seconds
      bare = true;
      i = j;
      break;
    }
    const char u = static_cast<char>(std::tolower(static_cast<unsigned char>(text[j])));
    const int rank = u == 'h' ? 3 : u == 'm' ? 2 : u == 's' ? 1 : 0;
    if (rank == 0) throw std::invalid_argument("'" + text + "': unknown unit '" + text.substr(j, 1) + "' (s, m, h)");
    if (rank >= last_rank) throw std::invalid_argument("'" + text + "': units largest first, each once (e.g. 1h30m)");
    last_rank = rank;
    total += n * (rank == 3 ? 3600 : rank == 2 ? 60 : 1);
    i = j + 1;
  }
  (void)bare;
  if (total <= 0) throw std::invalid_argument("'" + text + "': the duration must be more than 0 s");
  if (total > 7 * 24 * 3600.0) throw std::invalid_argument("'" + text + "': more than 7 days");
  return total;
}

std::string format_duration(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  const long h = s / 3600, m = (s % 3600) / 60;
  s %= 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s || out.empty()) out += std::to_string(s) + "s";
  return out;
}

double burn_hang_bound(const BurnEngineOptions& o) {
  return o.hang_bound_s > 0 ? o.hang_bound_s : std::max(10.0, 20.0 * o.load.step_seconds);
}

namespace {

using Clock = std::chrono::steady_clock;

double rate_scale(const std::string& unit) {
  if (unit == "TFLOP/s") return 1e12;
  if (unit == "GB/s") return 1e9;
  return 1.0;
}

// What the engine and the threads share; outlives the engine while a hung thread holds it.
struct Shared {
  std::mutex m;
  std::condition_variable cv;
};

// One GPU's state, shared by its thread, its watchdog's callback and the engine.
struct Lane {
  GpuInfo gpu;
  BurnGpu rec;  // guarded by shared->m
  BurnProgress progress;
  bool done = false;  // the thread has ended
  bool hung = false;  // its watchdog fired
  std::shared_ptr<Shared> shared;
  std::unique_ptr<BurnLoad> load;
  std::unique_ptr<Watchdog> dog;  // last: fires into the members above
};

void lane_main(std::shared_ptr<Lane> lane, BurnLoadFactory factory, BurnLoadOptions lo, Clock::time_point t0,
               Clock::time_point deadline, const std::atomic<bool>* stop, std::shared_ptr<std::atomic<bool>> end,
               std::chrono::milliseconds bound) {
  Shared& sh = *lane->shared;
  const auto finish = [&](const std::string& error) {
    std::lock_guard<std::mutex> lk(sh.m);
    if (!error.empty() && lane->rec.error.empty()) lane->rec.error = error;
    if (!error.empty()) lane->progress.failed = true;
    lane->done = true;
    sh.cv.notify_all();
  };
  const auto abandoned = [&] {
    std::lock_guard<std::mutex> lk(sh.m);
    return lane->hung;
  };
  const std::string who = "GPU " + std::to_string(lane->gpu.index);
  // Preparing (allocation, the reference result) may take longer than a step: three bounds.
  lane->dog->arm({"burn", who + " load preparation", bound * 3, nullptr});
  std::string error;
  try {
    lane->load = factory(lane->gpu, lo);
    if (!lane->load) throw std::runtime_error("no load for this GPU");
    lane->load->prepare();
  } catch (const std::exception& e) {
    error = std::string("could not start the load: ") + e.what();
  }
  if (lane->dog->disarm() || abandoned()) return;
  if (!error.empty()) return finish(error);
  {
    std::lock_guard<std::mutex> lk(sh.m);
    lane->rec.load = lane->load->describe();
    lane->rec.unit = lane->load->unit();
  }
  const double scale = rate_scale(lane->load->unit());
  while (!(stop && stop->load()) && !end->load() && Clock::now() < deadline) {
    lane->dog->arm({"burn", who + " load step", bound, nullptr});
    BurnStep step;
    try {
      step = lane->load->step();
    } catch (const std::exception& e) {
      step.error = e.what();
    }
    if (lane->dog->disarm() || abandoned()) return;  // declared hung meanwhile: the record is final
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    std::lock_guard<std::mutex> lk(sh.m);
    auto& r = lane->rec;
    if (step.error.empty()) {  // a step that failed has no trustworthy rate
      ++r.steps;
      r.checked += step.checked;
      r.mismatches += step.mismatches;
      const double rate = step.seconds > 0 ? step.work / step.seconds / scale : 0.0;
      r.series.push_back({t, rate, step.mismatches});
      lane->progress.steps = r.steps;
      lane->progress.mismatches = r.mismatches;
      lane->progress.rate = rate;
    }
    if (!step.error.empty()) {
      r.error = step.error;
      lane->progress.failed = true;
      lane->done = true;
      sh.cv.notify_all();
      return;
    }
  }
  finish("");
}

}  // namespace

BurnRun run_burn(const std::vector<GpuInfo>& gpus, const BurnLoadFactory& factory, BurnTelemetry* telemetry,
                 const BurnEngineOptions& o) {
  BurnRun run;
  run.load = o.load_name;
  run.duration_s = o.duration_s;
  run.step_seconds = o.load.step_seconds;
  run.hang_bound_s = burn_hang_bound(o);
  const auto bound = std::chrono::milliseconds(static_cast<long long>(run.hang_bound_s * 1000));
  auto shared = std::make_shared<Shared>();
  auto end = std::make_shared<std::atomic<bool>>(false);
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::milliseconds(static_cast<long long>(o.duration_s * 1000));
  const auto since = [t0] { return std::chrono::duration<double>(Clock::now() - t0).count(); };

  std::vector<std::shared_ptr<Lane>> lanes;
  std::vector<std::thread> threads;
  for (const auto& g : gpus) {
    auto lane = std::make_shared<Lane>();
    lane->gpu = g;
    lane->shared = shared;
    lane->rec.index = g.index;
    lane->progress.index = g.index;
    lane->rec.name = g.name;
    lane->rec.uuid = g.uuid;
    lane->rec.sm_clock_max_mhz = g.sm_clock_max_mhz;
    std::weak_ptr<Lane> weak = lane;
    lane->dog = std::make_unique<Watchdog>([weak, since](const CheckResult& r) {
      auto l = weak.lock();
      if (!l) return;
      std::lock_guard<std::mutex> lk(l->shared->m);
      l->hung = true;
      l->progress.hung = true;
      l->rec.hung = true;
      l->rec.error = r.title + " did not return within " + r.expected.substr(3) + " (at " +
                     format_duration(since()) + "): the GPU stopped answering";
      l->shared->cv.notify_all();
    });
    lanes.push_back(lane);
  }
  for (auto& lane : lanes)
    threads.emplace_back(lane_main, lane, factory, o.load, t0, deadline, o.stop, end, bound);

  // The sampler: a reading of every GPU once per interval; Xid events waited for in between.
  std::thread sampler;
  if (telemetry) {
    sampler = std::thread([&, telemetry] {
      auto next = t0;
      while (!end->load()) {
        const double t = since();
        for (std::size_t i = 0; i < lanes.size(); ++i) {
          BurnSample s = telemetry->sample(i, t);
          std::lock_guard<std::mutex> lk(shared->m);
          lanes[i]->rec.telemetry.push_back(s);
        }
        next += o.sample_interval;
        while (!end->load() && Clock::now() < next) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
          const auto wait = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
          for (const auto& [i, xid] : telemetry->wait_xids(wait)) {
            if (i >= lanes.size()) continue;
            std::lock_guard<std::mutex> lk(shared->m);
            lanes[i]->rec.xids.push_back({since(), xid});
          }
        }
      }
    });
  }

  // The engine's own loop: progress once per interval; over when every lane is done or hung.
  {
    std::unique_lock<std::mutex> lk(shared->m);
    auto next_tick = t0 + o.sample_interval;
    const auto over = [&] {
      return std::all_of(lanes.begin(), lanes.end(), [](const auto& l) { return l->done || l->hung; });
    };
    while (!over()) {
      const bool stopping = o.stop && o.stop->load();
      shared->cv.wait_until(lk, std::min(next_tick, Clock::now() + std::chrono::milliseconds(stopping ? 20 : 100)));
      if (Clock::now() >= next_tick && o.on_tick) {
        std::vector<BurnProgress> p;
        for (const auto& l : lanes) p.push_back(l->progress);
        lk.unlock();
        o.on_tick(since(), p);
        lk.lock();
        next_tick += o.sample_interval;
      }
    }
  }
  end->store(true);
  if (sampler.joinable()) sampler.join();
  run.interrupted = o.stop && o.stop->load();  // a signal came before the GPUs finished
  run.elapsed_s = since();
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    bool hung;
    {
      std::lock_guard<std::mutex> lk(shared->m);
      hung = lanes[i]->hung;
    }
    if (hung) threads[i].detach();  // stuck in a call that cannot be cancelled: its Lane stays alive with it
    else threads[i].join();
    std::lock_guard<std::mutex> lk(shared->m);
    BurnGpu rec = lanes[i]->rec;
    if (telemetry) {
      rec.telemetry_note = telemetry->note(i);
      rec.xid_note = telemetry->xid_note(i);
    } else {
      rec.telemetry_note = "NVML not available";
      rec.xid_note = "not watched: NVML not available";
    }
    run.gpus.push_back(std::move(rec));
  }
  return run;
}

}  // namespace gpuprobe::bench
