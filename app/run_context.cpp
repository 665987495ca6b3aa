#include "run_context.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"

namespace gpuprobe::cli {

namespace {

Report new_report(const std::string& command, const HostInfo& host, const std::string& label) {
  Report r;
  r.command = command;
  r.created_at = now_iso8601_utc();
  r.host = host;
  r.label = default_label(host, label);
  r.software.gpuprobe_version = build::version;
  r.software.gpuprobe_revision = build::git_revision;
  r.software.cuda_architectures = build::cuda_architectures;
  r.software.cuda_toolkit = build::cuda_toolkit_version;
  return r;
}

}  // namespace

RunContext::RunContext(const char* command, const HostInfo& host, const std::string& label, SinkMultiplex outputs,
                       bool quiet, Summary summary, bool stdout_taken)
    : command_(command),
      report_(new_report(command, host, label)),
      outputs_(std::move(outputs)),
      quiet_(quiet),
      summary_(std::move(summary)) {
  display_ = outputs_.to_stdout().empty() && !stdout_taken ? stdout : stderr;
  style_.color = want_color(fileno(display_));
  live_ = isatty(fileno(display_)) == 1;
  progress_ = !quiet_ && isatty(STDERR_FILENO) == 1;
}

void RunContext::show(const std::string& text) {
  if (quiet_) return;
  std::lock_guard<std::mutex> lk(m_);
  std::fputs(text.c_str(), display_);
  std::fflush(display_);
}

void RunContext::check_started(const std::string& id, const std::string& title) {
  if (quiet_ || !live_) return;
  std::lock_guard<std::mutex> lk(m_);
  std::fprintf(display_, "....  %-12s running: %s", id.c_str(), title.c_str());
  std::fflush(display_);
}

void RunContext::check_row(const CheckResult& r) {
  if (quiet_) return;
  std::lock_guard<std::mutex> lk(m_);
  if (live_) std::fputs("\r\033[K", display_);
  std::fputs(render_check_row(r, style_).c_str(), display_);
  std::fflush(display_);
}

void RunContext::progress(const std::string& line) {
  if (!progress_) return;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void RunContext::clear_progress() {
  if (progress_) std::fputs("\r\033[K", stderr);
}

RunnerHooks RunContext::hooks(Decide on_hang) {
  RunnerHooks h;
  h.on_start = [this](const RunnableCheck& c) { check_started(c.id, c.title); };
  h.on_result = [this](const CheckResult& r) {
    report_.with([&](Report& rep) { rep.checks.push_back(r); });
    check_row(r);
  };
  h.on_timeout = [this, on_hang = std::move(on_hang)](const CheckResult& r) {
    check_row(r);
    end_after_hang(r, on_hang);
  };
  return h;
}

int RunContext::finish(const Decide& decide) {
  return report_.with([&](Report& rep) { return finish_locked(rep, decide(rep)); });
}

void RunContext::end_after_hang(const CheckResult& hung, const Decide& decide) {
  int rc = kExitHung;
  const bool wrote = report_.try_with_for(std::chrono::seconds(5), [&](Report& rep) {
    rep.checks.push_back(hung);
    rc = finish_locked(rep, decide(rep));
  });
  if (!wrote) std::fprintf(stderr, "gpuprobe: %s hung; the report could not be written\n", hung.id.c_str());
  std::fflush(nullptr);
  std::_Exit(rc);
}

int RunContext::finish_locked(Report& rep, const RunOutcome& outcome) {
  rep.exit_code = outcome.exit_code;
  rep.verdict = outcome.line;
  const bool written = write_outputs(outputs_, rep, command_);
  std::lock_guard<std::mutex> lk(m_);
  if (quiet_) std::fprintf(stderr, "%s\n", rep.verdict.c_str());
  else std::fputs(summary_(rep, style_).c_str(), display_);
  std::fflush(nullptr);
  return written ? outcome.exit_code : kExitInternal;
}

const std::vector<std::string> kGpuPreChecks = {"driver", "compat", "devices", "nvml", "environment"};

RunContext::Decide no_gpu_outcome(bool hung, const std::string& what) {
  return [hung, what](Report& rep) {
    const Verdict v = compute_verdict(rep.checks, false);
    int code = v.exit_code == kExitOk || v.exit_code == kExitCheckFailed ? kExitNoGpu : v.exit_code;
    if (hung) code = kExitHung;
    return RunOutcome{code, v.line + " — nothing to " + what};
  };
}

}  // namespace gpuprobe::cli
