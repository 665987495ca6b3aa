// Output formats: one sink per format (sink_<format>.cpp), one registry table of formats
// (sink.cpp), and a multiplex that writes one document to every output asked for, in the manner of
// google/benchmark's reporters and nvbench's printers combined by printer_multiplex.
//
// A sink renders a whole document to a string; writing it ("-": stdout) is the multiplex's job, so
// every format is a pure function of the document and golden-file testable. The live terminal
// display of `check` and `bench` (rows as checks finish, progress) is not a format: it belongs to
// the run (app/run_context.hpp), as google/benchmark's display reporter is apart from --benchmark_out.
//
// Adding a format: a sink_<name>.cpp defining a Sink subclass and its factory, and one row in the
// table of sink.cpp. Every subcommand that writes a document the row lists gets `--<name> FILE`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/fleet.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// The kinds of document gpuprobe writes; each subcommand writes one kind. Bits, so a format's row
// can list several.
enum Document : unsigned {
  kRunDocument = 1u << 0,         // one Report: `check`, `bench`
  kComparisonDocument = 1u << 1,  // the verdict on N reports against the first: `compare`
  kReportSetDocument = 1u << 2,   // N reports side by side (checks grid, charts): `report`
  kCatalogDocument = 1u << 3,     // the instance types with prices: `instances`
  kFleetDocument = 1u << 4,       // many nodes' reports as one view: `fleet`
};

struct ComparisonDoc {
  const Comparison& comparison;
  const CompareOutcome& outcome;
};

struct ReportSetDoc {
  const std::vector<Report>& reports;
  const Comparison& comparison;
};

struct FleetDoc {
  const Fleet& fleet;
};

struct CatalogDoc {
  const Catalog& catalog;
  int cuda_major;            // of this build: which GPUs it supports
  std::string cuda_version;  // "13.0.88"
};

// One output format. A format overrides the render_* of the documents its registry row lists; the
// others throw std::logic_error (the multiplex never calls them: the row decides what is offered).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string render_run(const Report& run) const;
  virtual std::string render_comparison(const ComparisonDoc& doc) const;
  virtual std::string render_report_set(const ReportSetDoc& doc) const;
  virtual std::string render_catalog(const CatalogDoc& doc) const;
  virtual std::string render_fleet(const FleetDoc& doc) const;
};

// A row of the registry table.
struct Format {
  std::string_view name;         // the format's name, and its option: --json FILE
  std::string_view description;  // what a file of this format holds, for --help ("JSON", …)
  unsigned documents;            // the Document bits it renders
  std::unique_ptr<Sink> (*make)();
};

// The registry table, in the order outputs are written (also the order of the options in --help).
const std::vector<Format>& formats();
// The row named `name`, or nullptr.
const Format* find_format(std::string_view name);
// The rows that render `doc`, in table order.
std::vector<const Format*> formats_for(Document doc);

// One document written to every output asked for.
class SinkMultiplex {
 public:
  struct Output {
    const Format* format;
    std::string path;  // "-": stdout
    std::unique_ptr<Sink> sink;
  };

  // Adds an output; outputs are written in the order added.
  void add(const Format& format, std::string path);
  bool empty() const { return outputs_.empty(); }
  const std::vector<Output>& outputs() const { return outputs_; }
  // The outputs whose path is "-".
  std::vector<const Output*> to_stdout() const;

  // Renders the document with every sink and writes each to its path (write_output). Returns the
  // errors ("cannot write FILE: …"), one per output that failed, in order; empty when all were written.
  std::vector<std::string> write(const Report& run) const;
  std::vector<std::string> write(const ComparisonDoc& doc) const;
  std::vector<std::string> write(const ReportSetDoc& doc) const;
  std::vector<std::string> write(const CatalogDoc& doc) const;
  std::vector<std::string> write(const FleetDoc& doc) const;

 private:
  template <class Render>
  std::vector<std::string> write_each(Render render) const;
  std::vector<Output> outputs_;
};

}  // namespace gpuprobe
