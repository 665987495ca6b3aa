// The report every measuring subcommand (check, bench) starts from: host facts, label, build info.
#pragma once

#include <string>

#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::cli {

Report new_report(const std::string& command, const HostInfo& host, const std::string& label);

}  // namespace gpuprobe::cli
