// The checks of `gpuprobe check`, one file each; registered in check_table.cpp.
#pragma once

#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::checks {
CheckResult driver(ProbeContext&);
CheckResult compat(ProbeContext&);
CheckResult devices(ProbeContext&);
CheckResult nvml(ProbeContext&);
CheckResult arch(ProbeContext&);
CheckResult kernel(ProbeContext&);
CheckResult memory(ProbeContext&);
CheckResult transfer(ProbeContext&);
CheckResult topology(ProbeContext&);
CheckResult cublas(ProbeContext&);
CheckResult cudnn(ProbeContext&);
CheckResult nccl(ProbeContext&);
CheckResult efa(ProbeContext&);
CheckResult environment(ProbeContext&);
CheckResult container(ProbeContext&);
CheckResult frameworks(ProbeContext&);
void start_frameworks(ProbeContext&);
}  // namespace gpuprobe::checks
