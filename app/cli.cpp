#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe::cli {

int run(int argc, char** argv) {
  CLI::App app{"gpuprobe: verify that the GPU stack of this machine or container works, and measure it"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gpuprobe ") + build::version + " (" + build::git_revision + ")");
  app.footer(
      "Exit codes: 0 passed, 1 a check or benchmark failed, 2 usage error, 3 no GPU / no driver, 4 a check hung,\n"
      "5 internal error (e.g. a file could not be written); burn also: 6 a GPU throttled or slow, 7 interrupted.\n"
      "Docs: docs/ in the source tree (report schema, exit codes, checks).");
  setup_check(app);
  setup_bench(app);
  setup_version(app);
  setup_compare(app);
  setup_report(app);
  setup_instances(app);
  setup_fleet(app);
  setup_burn(app);
  // A first word that names no subcommand is a usage error, also with --help after it: CLI11 would
  // print the top-level help and exit 0, which tells a script that an unknown subcommand worked.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "gpuprobe: unknown subcommand '" << argv[1] << "' (subcommands: " << names << ")\n"
                << "Run with --help for more information.\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand finished with this exit code
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help/version (rc 0) or the error message
    return rc == 0 ? 0 : kExitUsage;
  }
  return kExitOk;
}

}  // namespace gpuprobe::cli
