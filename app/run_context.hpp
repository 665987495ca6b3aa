// One run of `check` or `bench`, from the first check to the exit code: the Report being built, the
// terminal display (a row per check as it finishes, a progress line, the summary), the outputs
// (--json, --junit, … through the sinks), the watchdog's end of a hung run, and the exit code.
// The subcommand decides what runs and what the verdict is; the run context does everything else
// the same way for both.
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/runner.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe::cli {

// How a run ended: its exit code and its one-line verdict (the report's `verdict`).
struct RunOutcome {
  int exit_code;
  std::string line;
};

// The checks that tell whether there is a GPU to measure, and what it is: what `bench` and `burn`
// run before their work.
extern const std::vector<std::string> kGpuPreChecks;

class RunContext {
 public:
  // What the display shows after the rows and tables: check's header and coloured verdict, bench's
  // verdict line. A quiet run shows only the verdict line, on stderr.
  using Summary = std::function<std::string(const Report&, const TableStyle&)>;
  // Decides the outcome from the report so far (with the lock held: no GPU call inside).
  using Decide = std::function<RunOutcome(Report&)>;

  // Starts the report: `command` ("check", "bench", also the prefix of messages), the host facts,
  // the label (default_label), build info, the time. The display is stdout, or stderr when an
  // output writes to stdout (or `stdout_taken`: another document of the command does), so that
  // output stays parseable.
  RunContext(const char* command, const HostInfo& host, const std::string& label, SinkMultiplex outputs, bool quiet,
             Summary summary, bool stdout_taken = false);

  SharedReport& report() { return report_; }
  const TableStyle& style() const { return style_; }
  bool quiet() const { return quiet_; }

  // The display, unless quiet.
  void show(const std::string& text);
  // A check starts: a "running" line that its row replaces, on a terminal only.
  void check_started(const std::string& id, const std::string& title);
  // A check's row; replaces the "running" line.
  void check_row(const CheckResult& r);
  // A progress line on stderr, rewritten in place; only when stderr is a terminal and not quiet.
  bool shows_progress() const { return progress_; }
  void progress(const std::string& line);
  void clear_progress();

  // Hooks for run_checks: start lines and rows, each result added to the report, and a hung check
  // ending the run (end_after_hang with `on_hang`).
  RunnerHooks hooks(Decide on_hang);

  // The end of a run: takes the report's lock, decides the outcome, and finishes (below).
  int finish(const Decide& decide);
  // The watchdog's end: the hung call cannot be cancelled, so add `hung` to the report so far,
  // decide, finish, and end the process with the exit code. Gives up on the report after 5 s.
  [[noreturn]] void end_after_hang(const CheckResult& hung, const Decide& decide);

 private:
  // Records the outcome in the report, writes every output, shows the summary; returns the exit
  // code (kExitInternal when an output could not be written).
  int finish_locked(Report& rep, const RunOutcome& outcome);

  const char* command_;
  SharedReport report_;
  SinkMultiplex outputs_;
  bool quiet_;
  Summary summary_;
  FILE* display_;
  TableStyle style_;
  bool live_ = false;      // the display is a terminal: "running" lines
  bool progress_ = false;  // stderr is a terminal and not quiet: the progress line
  std::mutex m_;
};

// The outcome of a run that found no usable GPU after its pre-checks (`hung`: a pre-check hung,
// exit 4): the pre-checks' verdict with exit 3 where it would say 0 or 1, and " — nothing to WHAT".
RunContext::Decide no_gpu_outcome(bool hung, const std::string& what);

}  // namespace gpuprobe::cli
