// Stand-in burn loads: the engine's tests and the app's test hook (GPUPROBE_BURN_FAKE) run a burn
// without a GPU. Each step sleeps its step_seconds and reports a made-up rate.
#include <chrono>
#include <stdexcept>
#include <thread>

#include "gpuprobe/bench/burn.hpp"

namespace gpuprobe::bench {

namespace {

class FakeLoad final : public BurnLoad {
 public:
  FakeLoad(std::string mode, const BurnLoadOptions& o, double slow_after_s)
      : mode_(std::move(mode)), step_s_(o.step_seconds), slow_after_s_(slow_after_s) {}
  void prepare() override {
    if (mode_ == "unavailable") throw std::runtime_error("stand-in load: this GPU cannot run it");
    t0_ = std::chrono::steady_clock::now();
  }
  BurnStep step() override {
    ++n_;
    if (mode_ == "hang" && n_ > 2)
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));  // a call that never returns
    std::this_thread::sleep_for(std::chrono::duration<double>(step_s_));
    BurnStep s;
    s.seconds = step_s_;
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = mode_ == "slow" && since > slow_after_s_ ? 66.0 : 100.0;  // TFLOP/s
    s.work = rate * 1e12 * step_s_;
    s.checked = 1000;
    if (mode_ == "wrong" && n_ == 3) s.mismatches = 7;
    if (mode_ == "error" && n_ == 3) s.error = "stand-in load: an illegal memory access was encountered";
    return s;
  }
  std::string unit() const override { return "TFLOP/s"; }
  std::string describe() const override { return "stand-in load (" + mode_ + "), no GPU"; }

 private:
  std::string mode_;
  double step_s_, slow_after_s_;
  int n_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace

bool is_fake_burn_mode(const std::string& mode) {
  return mode == "ok" || mode == "wrong" || mode == "slow" || mode == "hang" || mode == "error" || mode == "unavailable";
}

std::unique_ptr<BurnLoad> make_fake_burn_load(const std::string& mode, const BurnLoadOptions& opts, double slow_after_s) {
  if (!is_fake_burn_mode(mode))
    throw std::invalid_argument("unknown stand-in load '" + mode + "' (ok, wrong, slow, hang, error, unavailable)");
  return std::make_unique<FakeLoad>(mode, opts, slow_after_s);
}

}  // namespace gpuprobe::bench
