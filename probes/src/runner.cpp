#include "gpuprobe/probes/runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace gpuprobe {

CheckResult timeout_result(const RunnableCheck& c, std::chrono::milliseconds elapsed) {
  CheckResult r;
  r.id = c.id;
  r.title = c.title;
  r.status = Status::fail;
  r.reason = "timeout";
  r.measured = std::to_string(elapsed.count()) + " ms";
  r.expected = "<= " + std::to_string(c.time_bound.count()) + " ms";
  r.message = "did not finish within " + std::to_string(c.time_bound.count()) + " ms: a GPU or driver call hung";
  r.hint = "look for Xid errors in the host's kernel log (dmesg), check nvidia-smi on the host; "
           "a GPU that hangs on simple work needs a reset or service";
  r.duration_ms = static_cast<double>(elapsed.count());
  return r;
}

Watchdog::Watchdog(std::function<void(const CheckResult&)> on_timeout)
    : on_timeout_(std::move(on_timeout)), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::arm(RunnableCheck work) {
  work.fn = nullptr;  // only its id, title and bound are needed
  std::lock_guard<std::mutex> lk(m_);
  current_ = std::move(work);
  fired_ = false;
  start_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

bool Watchdog::disarm() {
  std::lock_guard<std::mutex> lk(m_);
  current_.reset();
  const bool fired = fired_;
  fired_ = false;
  return fired;
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lk(m_);
  while (!stop_) {
    if (!current_ || fired_) {
      cv_.wait(lk);
      continue;
    }
    const auto deadline = start_ + current_->time_bound;
    if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && current_ && !fired_ &&
        std::chrono::steady_clock::now() >= start_ + current_->time_bound) {
      fired_ = true;
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
      CheckResult r = timeout_result(*current_, elapsed);
      lk.unlock();
      if (on_timeout_) on_timeout_(r);
      lk.lock();
    }
  }
}

std::vector<CheckResult> run_checks(const std::vector<RunnableCheck>& checks, const RunnerHooks& hooks) {
  std::vector<CheckResult> results;
  Watchdog dog(hooks.on_timeout);
  for (const auto& c : checks) {
    if (hooks.on_start) hooks.on_start(c);
    const auto t0 = std::chrono::steady_clock::now();
    dog.arm(c);
    CheckResult r;
    try {
      r = c.fn();
    } catch (const std::exception& e) {
      r = CheckResult{};
      r.status = Status::fail;
      r.reason = "exception";
      r.message = e.what();
    }
    const bool overran = dog.disarm();
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    if (overran) r = timeout_result(c, elapsed);
    r.id = c.id;
    if (r.title.empty()) r.title = c.title;
    r.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    results.push_back(r);
    if (hooks.on_result) hooks.on_result(results.back());
  }
  return results;
}

std::vector<RunnableCheck> select_checks(std::vector<RunnableCheck> all, const std::vector<std::string>& only,
                                         const std::vector<std::string>& skip) {
  auto known = [&](const std::string& id) {
    return std::any_of(all.begin(), all.end(), [&](const RunnableCheck& c) { return c.id == id; });
  };
  std::string ids;
  for (const auto& c : all) ids += (ids.empty() ? "" : ", ") + c.id;
  for (const auto* list : {&only, &skip})
    for (const auto& id : *list)
      if (!known(id)) throw std::invalid_argument("unknown check '" + id + "' (checks: " + ids + ")");
  std::vector<RunnableCheck> out;
  for (auto& c : all)
    if (is_selected(c.id, only, skip)) out.push_back(std::move(c));
  return out;
}

bool is_selected(const std::string& id, const std::vector<std::string>& only, const std::vector<std::string>& skip) {
  const bool in_only = only.empty() || std::find(only.begin(), only.end(), id) != only.end();
  return in_only && std::find(skip.begin(), skip.end(), id) == skip.end();
}

}  // namespace gpuprobe
