// The output options of every subcommand that writes a document (check, bench, compare, report,
// instances): `--FORMAT FILE` for each format of the registry (gpuprobe/report/sink.hpp) that
// renders the subcommand's document, as many formats at once as wanted, FILE "-" for stdout (one
// output at most). docs/outputs.md describes the convention.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "gpuprobe/report/sink.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace gpuprobe::cli {

struct OutputOptions {
  std::map<std::string, std::string, std::less<>> paths;  // format name -> FILE, for the options given
  std::map<std::string, CLI::Option*, std::less<>> options;
  bool bare_is_stdout = false;  // `--json` without FILE writes to stdout
};

// Adds --NAME FILE to `sub` for every format that renders `doc`, in the registry's order.
// `stdout_note` is appended to each option's help after "'-': stdout". With bare_is_stdout the
// FILE may be left out and means stdout (`instances --json`).
void add_output_options(CLI::App& sub, Document doc, OutputOptions& o, const std::string& stdout_note = "",
                        bool bare_is_stdout = false);

// Whether --NAME was given on the command line.
bool output_given(const OutputOptions& o, std::string_view name);

// The outputs given, in the registry's order: the multiplex the document is written through.
SinkMultiplex open_outputs(const OutputOptions& o, Document doc);

// "" or the usage error of outputs that cannot be written as given: two or more on stdout.
std::string outputs_usage_error(const SinkMultiplex& m);

// "--json FILE and/or --junit FILE": the options of `doc`, for messages.
std::string output_options_text(Document doc);

// Writes `doc` through every output; prints each failure as "gpuprobe COMMAND: ERROR" on stderr.
// Returns false when one failed (the subcommand then exits kExitInternal).
template <class Doc>
bool write_outputs(const SinkMultiplex& m, const Doc& doc, const char* command) {
  const std::vector<std::string> errors = m.write(doc);
  for (const auto& e : errors) std::fprintf(stderr, "gpuprobe %s: %s\n", command, e.c_str());
  return errors.empty();
}

}  // namespace gpuprobe::cli
