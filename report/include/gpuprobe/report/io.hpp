// File input and output shared by `compare`, `report` and `instances`: several reports at once, the
// catalog with an optional --prices file, and writing a result ("-" is stdout).
#pragma once

#include <string>
#include <vector>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// Loads every file (load_report_file); the first error throws ReportError naming its file.
std::vector<Report> load_reports(const std::vector<std::string>& paths);

// The built-in catalog, with its price table replaced by the --prices file when `prices_path` is
// not empty. Throws ReportError naming the file.
Catalog load_catalog(const std::string& prices_path);

// Writes text to a file, or stdout for "-". Returns "" on success, else the error.
std::string write_output(const std::string& path, const std::string& text);

}  // namespace gpuprobe
