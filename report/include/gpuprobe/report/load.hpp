// Reading report files safely: a size cap, a nesting-depth guard before parsing (deeply nested
// input would otherwise recurse), schema compatibility, and messages that name the file.
// Everything here throws ReportError; the CLI maps it to exit code 2 (usage/input error).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

inline constexpr std::uint64_t kMaxReportBytes = 256ULL * 1024 * 1024;  // 256 MiB
inline constexpr int kMaxJsonDepth = 64;

// "" when no array/object in `text` nests deeper than max_depth (strings are skipped), else a
// message naming the offset. Linear, no recursion.
std::string json_depth_problem(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses a report document (JSON text). `origin` (a file name) prefixes every message.
Report parse_report_text(std::string_view text, const std::string& origin);

// Reads and parses a report file; refuses files larger than max_bytes before reading them
// (and stops reading a pipe or device past max_bytes).
Report load_report_file(const std::string& path, std::uint64_t max_bytes = kMaxReportBytes);

// Reads a whole text file with the same cap (the --prices file uses it). Throws ReportError.
std::string read_capped_file(const std::string& path, std::uint64_t max_bytes);
// Reads an open stream (stdin) to its end with the cap; `name` prefixes the messages. Throws ReportError.
std::string read_capped_stream(std::FILE* f, const std::string& name, std::uint64_t max_bytes);

}  // namespace gpuprobe
