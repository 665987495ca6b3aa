// The gpuprobe command line: one subcommand per file (cmd_*.cpp), each with an options struct,
// setup_x(CLI::App&) and run_x(opts). Output options (--json FILE, …): outputs.hpp; what check and
// bench share from the first check to the exit code: run_context.hpp. Exit codes:
// gpuprobe/report/verdict.hpp, docs/exit-codes.md.
#pragma once

namespace CLI {
class App;
}

namespace gpuprobe::cli {

int run(int argc, char** argv);

// Subcommands register themselves on the app; their callbacks end by throwing CLI::RuntimeError
// with the exit code, which run() returns.
void setup_check(CLI::App& app);
void setup_bench(CLI::App& app);
void setup_version(CLI::App& app);
void setup_compare(CLI::App& app);
void setup_report(CLI::App& app);
void setup_instances(CLI::App& app);
void setup_fleet(CLI::App& app);
void setup_burn(CLI::App& app);

}  // namespace gpuprobe::cli
