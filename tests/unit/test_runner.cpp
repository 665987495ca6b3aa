// The check runner: order, exceptions, the watchdog, hooks, and --only/--skip selection.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "gpuprobe/probes/runner.hpp"

namespace gpuprobe {
namespace {

using namespace std::chrono_literals;

RunnableCheck make(const std::string& id, std::function<CheckResult()> fn, std::chrono::milliseconds bound = 60s) {
  RunnableCheck c;
  c.id = id;
  c.title = "Title of " + id;
  c.time_bound = bound;
  c.fn = std::move(fn);
  return c;
}

CheckResult result(Status s, const std::string& msg = "") {
  CheckResult r;
  r.status = s;
  r.message = msg;
  return r;
}

TEST(RunChecks, RunsInOrderAndFillsIdTitleDuration) {
  std::vector<std::string> order;
  std::vector<RunnableCheck> checks = {
      make("a", [&] { order.push_back("a"); return result(Status::pass, "ok a"); }),
      make("b", [&] { order.push_back("b"); return result(Status::warn, "meh b"); }),
      make("c", [&] {
        order.push_back("c");
        CheckResult r = result(Status::fail, "bad c");
        r.title = "Own title";
        r.id = "ignored";  // the runner sets the id from the check
        return r;
      }),
  };
  const auto rs = run_checks(checks, RunnerHooks{});
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].id, "a");
  EXPECT_EQ(rs[0].title, "Title of a");
  EXPECT_EQ(rs[0].status, Status::pass);
  EXPECT_EQ(rs[0].message, "ok a");
  EXPECT_EQ(rs[1].id, "b");
  EXPECT_EQ(rs[1].status, Status::warn);
  EXPECT_EQ(rs[2].id, "c");
  EXPECT_EQ(rs[2].title, "Own title");
  EXPECT_EQ(rs[2].status, Status::fail);
  for (const auto& r : rs) EXPECT_GE(r.duration_ms, 0.0);
}

TEST(RunChecks, DurationCoversTheCheck) {
  // The duration must include the time the check spent; only a lower bound is asserted.
  std::vector<RunnableCheck> checks = {make("sleepy", [] {
    std::this_thread::sleep_for(20ms);
    return result(Status::pass);
  })};
  const auto rs = run_checks(checks, RunnerHooks{});
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_GE(rs[0].duration_ms, 20.0);
}

TEST(RunChecks, ExceptionBecomesFailure) {
  std::vector<RunnableCheck> checks = {
      make("boom", []() -> CheckResult { throw std::runtime_error("cuda exploded"); }),
      make("after", [] { return result(Status::pass); }),
  };
  const auto rs = run_checks(checks, RunnerHooks{});
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].id, "boom");
  EXPECT_EQ(rs[0].title, "Title of boom");
  EXPECT_EQ(rs[0].status, Status::fail);
  EXPECT_EQ(rs[0].reason, "exception");
  EXPECT_EQ(rs[0].message, "cuda exploded");
  EXPECT_EQ(rs[1].status, Status::pass);
}

TEST(RunChecks, HooksCalledOncePerCheck) {
  std::vector<std::string> events;
  RunnerHooks hooks;
  hooks.on_start = [&](const RunnableCheck& c) { events.push_back("start " + c.id); };
  hooks.on_result = [&](const CheckResult& r) { events.push_back("result " + r.id + " " + to_string(r.status)); };
  hooks.on_timeout = [&](const CheckResult& r) { events.push_back("timeout " + r.id); };
  std::vector<RunnableCheck> checks = {
      make("x", [] { return result(Status::pass); }),
      make("y", []() -> CheckResult { throw std::logic_error("y"); }),
      make("z", [] { return result(Status::skip); }),
  };
  run_checks(checks, hooks);
  EXPECT_EQ(events, (std::vector<std::string>{"start x", "result x pass", "start y", "result y fail", "start z",
                                              "result z skip"}));
}

TEST(RunChecks, EmptyListRunsNothing) {
  bool called = false;
  RunnerHooks hooks;
  hooks.on_start = [&](const RunnableCheck&) { called = true; };
  EXPECT_TRUE(run_checks({}, hooks).empty());
  EXPECT_FALSE(called);
}

TEST(RunChecks, WatchdogFiresForStuckCheck) {
  std::mutex m;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> timeouts{0};
  CheckResult seen;
  std::thread::id watchdog_thread;
  const std::thread::id main_thread = std::this_thread::get_id();

  RunnerHooks hooks;
  hooks.on_timeout = [&](const CheckResult& r) {
    std::lock_guard<std::mutex> lk(m);
    ++timeouts;
    seen = r;
    watchdog_thread = std::this_thread::get_id();
    released = true;  // observe the timeout, then let the stuck check go
    cv.notify_all();
  };
  std::vector<std::string> results;
  hooks.on_result = [&](const CheckResult& r) { results.push_back(r.id); };

  bool next_ran = false;
  std::vector<RunnableCheck> checks = {
      make("stuck",
           [&] {
             std::unique_lock<std::mutex> lk(m);
             // Blocks until the watchdog has fired; the long wait only guards against a hung test.
             const bool ok = cv.wait_for(lk, 60s, [&] { return released; });
             return result(Status::pass, ok ? "released" : "never released");
           },
           50ms),
      make("next", [&] { next_ran = true; return result(Status::pass, "fine"); }),
  };
  const auto rs = run_checks(checks, hooks);

  EXPECT_EQ(timeouts.load(), 1);
  EXPECT_EQ(seen.id, "stuck");
  EXPECT_EQ(seen.status, Status::fail);
  EXPECT_EQ(seen.reason, "timeout");
  EXPECT_NE(seen.message.find("50 ms"), std::string::npos) << seen.message;
  EXPECT_NE(watchdog_thread, main_thread);

  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].id, "stuck");
  EXPECT_EQ(rs[0].status, Status::fail);
  EXPECT_EQ(rs[0].reason, "timeout");
  EXPECT_EQ(rs[0].expected, "<= 50 ms");
  EXPECT_GE(rs[0].duration_ms, 50.0);
  EXPECT_TRUE(next_ran);
  EXPECT_EQ(rs[1].id, "next");
  EXPECT_EQ(rs[1].status, Status::pass);
  EXPECT_EQ(rs[1].message, "fine");
  EXPECT_EQ(results, (std::vector<std::string>{"stuck", "next"}));
}

TEST(RunChecks, WatchdogRearmsForLaterChecks) {
  // Two stuck checks in a row: each gets its own timeout.
  std::mutex m;
  std::condition_variable cv;
  int released = 0;
  std::vector<std::string> timed_out;
  RunnerHooks hooks;
  hooks.on_timeout = [&](const CheckResult& r) {
    std::lock_guard<std::mutex> lk(m);
    timed_out.push_back(r.id);
    ++released;
    cv.notify_all();
  };
  auto stuck = [&](int n) {
    return [&, n] {
      std::unique_lock<std::mutex> lk(m);
      cv.wait_for(lk, 60s, [&] { return released >= n; });
      return result(Status::pass);
    };
  };
  std::vector<RunnableCheck> checks = {make("s1", stuck(1), 30ms), make("s2", stuck(2), 30ms)};
  const auto rs = run_checks(checks, hooks);
  EXPECT_EQ(timed_out, (std::vector<std::string>{"s1", "s2"}));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].reason, "timeout");
  EXPECT_EQ(rs[1].reason, "timeout");
}

TEST(TimeoutResult, Fields) {
  const RunnableCheck c = make("gemm", [] { return result(Status::pass); }, 1500ms);
  const CheckResult r = timeout_result(c, 1600ms);
  EXPECT_EQ(r.id, "gemm");
  EXPECT_EQ(r.title, "Title of gemm");
  EXPECT_EQ(r.status, Status::fail);
  EXPECT_EQ(r.reason, "timeout");
  EXPECT_EQ(r.measured, "1600 ms");
  EXPECT_EQ(r.expected, "<= 1500 ms");
  EXPECT_DOUBLE_EQ(r.duration_ms, 1600.0);
  EXPECT_FALSE(r.hint.empty());
}

std::vector<RunnableCheck> all_checks() {
  std::vector<RunnableCheck> v;
  for (const char* id : {"driver", "runtime", "memory", "gemm", "pcie"})
    v.push_back(make(id, [] { return result(Status::pass); }));
  return v;
}

std::vector<std::string> ids(const std::vector<RunnableCheck>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.id);
  return out;
}

TEST(SelectChecks, NoFilterKeepsAll) {
  EXPECT_EQ(ids(select_checks(all_checks(), {}, {})),
            (std::vector<std::string>{"driver", "runtime", "memory", "gemm", "pcie"}));
}

TEST(SelectChecks, OnlyKeepsDefinitionOrder) {
  EXPECT_EQ(ids(select_checks(all_checks(), {"pcie", "driver"}, {})), (std::vector<std::string>{"driver", "pcie"}));
}

TEST(SelectChecks, SkipRemoves) {
  EXPECT_EQ(ids(select_checks(all_checks(), {}, {"memory", "driver"})),
            (std::vector<std::string>{"runtime", "gemm", "pcie"}));
}

TEST(SelectChecks, OnlyAndSkipTogether) {
  EXPECT_EQ(ids(select_checks(all_checks(), {"gemm", "memory", "pcie"}, {"memory"})),
            (std::vector<std::string>{"gemm", "pcie"}));
}

TEST(SelectChecks, SelectedChecksStillRun) {
  const auto sel = select_checks(all_checks(), {"gemm"}, {});
  ASSERT_EQ(sel.size(), 1u);
  ASSERT_TRUE(static_cast<bool>(sel[0].fn));
  EXPECT_EQ(sel[0].fn().status, Status::pass);
}

TEST(SelectChecks, UnknownIdThrowsListingKnown) {
  for (const auto& [only, skip] : {std::pair<std::vector<std::string>, std::vector<std::string>>{{"gpu"}, {}},
                                   {{}, {"nope"}}}) {
    try {
      select_checks(all_checks(), only, skip);
      ADD_FAILURE() << "unknown id accepted";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      const std::string bad = only.empty() ? skip[0] : only[0];
      EXPECT_NE(msg.find("'" + bad + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("driver, runtime, memory, gemm, pcie"), std::string::npos) << msg;
    }
  }
}

TEST(Watchdog, FiresOncePerArmedWorkThatOverrunsAndNotForWorkDisarmedInTime) {
  std::mutex m;
  std::condition_variable cv;
  std::vector<CheckResult> fired;
  Watchdog dog([&](const CheckResult& r) {
    std::lock_guard<std::mutex> lk(m);
    fired.push_back(r);
    cv.notify_all();
  });
  // In time: disarmed long before its bound.
  dog.arm(make("quick", nullptr, 10s));
  EXPECT_FALSE(dog.disarm());
  // Overruns: fires once, with the work's id and title, while the work is still "stuck".
  dog.arm(make("benchmark", nullptr, 30ms));
  {
    std::unique_lock<std::mutex> lk(m);
    ASSERT_TRUE(cv.wait_for(lk, 10s, [&] { return !fired.empty(); }));
  }
  std::this_thread::sleep_for(60ms);  // no second call for the same arming
  EXPECT_TRUE(dog.disarm());
  // Re-armed for the next work: in time again, nothing more.
  dog.arm(make("next", nullptr, 10s));
  EXPECT_FALSE(dog.disarm());
  std::lock_guard<std::mutex> lk(m);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].id, "benchmark");
  EXPECT_EQ(fired[0].title, "Title of benchmark");
  EXPECT_EQ(fired[0].status, Status::fail);
  EXPECT_EQ(fired[0].reason, "timeout");
  EXPECT_EQ(fired[0].expected, "<= 30 ms");
}

}  // namespace
}  // namespace gpuprobe
