// Runs checks one after another, each under a watchdog. Host-only: no CUDA here.
//
// A check that overruns its time bound is reported as failed with reason "timeout". The watchdog
// calls `on_timeout` from its own thread while the check is still stuck: the CLI uses that to write
// the report so far and end the process (a hung GPU call cannot be cancelled); tests use it to
// observe the timeout and release the stuck check.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

struct RunnableCheck {
  std::string id;
  std::string title;
  std::chrono::milliseconds time_bound{1000};
  std::function<CheckResult()> fn;
};

struct RunnerHooks {
  std::function<void(const RunnableCheck&)> on_start;          // before a check runs
  std::function<void(const CheckResult&)> on_result;           // after each check (result final)
  std::function<void(const CheckResult& timeout_result)> on_timeout;  // from the watchdog thread
};

// The result a check gets when it overran: used by the watchdog and by the runner.
CheckResult timeout_result(const RunnableCheck& c, std::chrono::milliseconds elapsed);

// A time bound on one piece of work at a time, on a thread of its own: arm() starts the clock for
// `work` (its id, title and time_bound; fn is not used), disarm() stops it. When the bound passes
// first, on_timeout runs once on the watchdog's thread with timeout_result(work) while the work is
// still stuck. run_checks uses one per run (a check at a time); `gpuprobe bench` one per benchmark.
class Watchdog {
 public:
  explicit Watchdog(std::function<void(const CheckResult&)> on_timeout);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void arm(RunnableCheck work);
  bool disarm();  // true when the work overran its bound (on_timeout was called)

 private:
  void loop();
  std::function<void(const CheckResult&)> on_timeout_;
  std::mutex m_;
  std::condition_variable cv_;
  std::optional<RunnableCheck> current_;
  std::chrono::steady_clock::time_point start_{};
  bool fired_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// Runs `checks` in order; exceptions thrown by a check become a failed result (reason "exception").
std::vector<CheckResult> run_checks(const std::vector<RunnableCheck>& checks, const RunnerHooks& hooks);

// Whether --only / --skip select the check `id` (the one rule select_checks and the prefetch use).
bool is_selected(const std::string& id, const std::vector<std::string>& only, const std::vector<std::string>& skip);

// Selects checks by --only / --skip; throws std::invalid_argument naming an unknown id.
std::vector<RunnableCheck> select_checks(std::vector<RunnableCheck> all, const std::vector<std::string>& only,
                                         const std::vector<std::string>& skip);

}  // namespace gpuprobe
