// Judgements on what NVML returned (review findings A2-A6, A8): return codes kept, lost GPUs,
// handle errors, MIG without instances, the NVSwitch fabric behind cuInit 802, ECC around the
// memory test. Pure functions: no NVML, no GPU.
#include <gtest/gtest.h>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/probes/health.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

using test_util::contains;
using test_util::find_reason;


// The facts of a healthy H200 with every query answered.
GpuHealth healthy() {
  GpuHealth h;
  h.ecc_enabled = true;
  h.ecc_volatile_uncorrected = 0;
  h.ecc_aggregate_uncorrected = 0;
  h.remap_pending = false;
  h.remap_failure = false;
  h.remapped_rows_uncorrectable = 0;
  h.clock_event_reasons = kClkGpuIdle;
  h.mig_enabled = false;
  h.persistence_mode = true;
  for (const char* q : {"ecc_mode", "ecc_volatile_uncorrected", "remapped_rows", "clock_event_reasons", "mig_mode"})
    h.queries.push_back({q, kNvmlSuccess});
  return h;
}

// Sets the code `name` returned (adding the query when absent).
void set_code(GpuHealth& h, const std::string& name, int code) {
  for (auto& q : h.queries)
    if (q.name == name) {
      q.code = code;
      return;
    }
  h.queries.push_back({name, code});
}

// ---- return codes ----------------------------------------------------------------------------------

TEST(NvmlReturnName, KnownAndUnknownCodes) {
  EXPECT_EQ(nvml_return_name(kNvmlErrorNotSupported), "NOT_SUPPORTED");
  EXPECT_EQ(nvml_return_name(kNvmlErrorNoPermission), "NO_PERMISSION");
  EXPECT_EQ(nvml_return_name(kNvmlErrorGpuIsLost), "GPU_IS_LOST");
  EXPECT_EQ(nvml_return_name(kNvmlErrorInsufficientPower), "INSUFFICIENT_POWER");
  EXPECT_EQ(nvml_return_name(kNvmlErrorIrqIssue), "IRQ_ISSUE");
  EXPECT_EQ(nvml_return_name(kNvmlErrorFunctionNotFound), "FUNCTION_NOT_FOUND");
  EXPECT_EQ(nvml_return_name(kNvmlErrorUnknown), "UNKNOWN");
  EXPECT_EQ(nvml_return_name(77), "NVML_ERROR_77");
}

TEST(UnavailableQueries, ListsEveryFailedQueryInOrder) {
  const std::vector<NvmlQuery> qs = {{"ecc_mode", 0}, {"remapped_rows", kNvmlErrorNotSupported},
                                     {"temperature", 0}, {"power_usage", kNvmlErrorNoPermission}};
  const auto u = unavailable_queries(qs);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].name, "remapped_rows");
  EXPECT_EQ(u[0].code, kNvmlErrorNotSupported);
  EXPECT_EQ(u[1].name, "power_usage");
}

// ---- A3: GPU_IS_LOST fails, nothing else judged --------------------------------------------------------

TEST(GpuHealthCodes, GpuIsLostFailsAlone) {
  GpuHealth h;
  h.queries = {{"sm_clock", kNvmlErrorGpuIsLost}};
  const auto fs = evaluate_gpu_health("GPU 0 (H200)", h);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::fail);
  EXPECT_EQ(fs[0].reason, "gpu_lost");
  EXPECT_TRUE(contains(fs[0].message, "GPU 0 (H200)")) << fs[0].message;
  EXPECT_TRUE(contains(fs[0].message, "sm_clock")) << fs[0].message;
  EXPECT_TRUE(contains(fs[0].hint, "Xid 79")) << fs[0].hint;
}

TEST(GpuHealthCodes, LostWinsOverFactsReadBefore) {
  GpuHealth h = healthy();
  h.persistence_mode = false;  // would be an informational note
  set_code(h, "temperature", kNvmlErrorGpuIsLost);
  const auto fs = evaluate_gpu_health("GPU 0", h);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].reason, "gpu_lost");
}

TEST(GpuHealthCodes, ResetRequiredFails) {
  GpuHealth h = healthy();
  set_code(h, "remapped_rows", kNvmlErrorResetRequired);
  const auto fs = evaluate_gpu_health("GPU 0", h);
  const Finding* f = find_reason(fs, "gpu_reset_required");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
}

TEST(GpuHealthCodes, NotSupportedAndNoPermissionDoNotFail) {
  GpuHealth h;
  h.queries = {{"ecc_mode", kNvmlErrorNoPermission}, {"remapped_rows", kNvmlErrorNotSupported}};
  EXPECT_EQ(worst(evaluate_gpu_health("GPU 0", h)), Status::pass);
}

// ---- A3: the pass message says what was read ------------------------------------------------------

TEST(DescribeGpuHealth, EverythingRead) {
  EXPECT_EQ(describe_gpu_health(healthy()), "no volatile ECC DBE, no pending row remaps, no throttling");
}

TEST(DescribeGpuHealth, MigOnRemapNotSupported) {
  GpuHealth h = healthy();
  h.remap_pending.reset();
  h.remap_failure.reset();
  h.mig_enabled = true;
  set_code(h, "remapped_rows", kNvmlErrorNotSupported);  // nvml.h: not supported with MIG on
  h.retired_pages_pending = false;  // the pre-Ampere fallback answering must not read as "no remaps"
  const std::string d = describe_gpu_health(h);
  EXPECT_TRUE(contains(d, "row remapping not readable (MIG on)")) << d;
  EXPECT_FALSE(contains(d, "no pending row remaps")) << d;
}

TEST(DescribeGpuHealth, NothingReadNamesTheCodes) {
  GpuHealth h;
  h.queries = {{"ecc_mode", kNvmlErrorNoPermission},
               {"remapped_rows", kNvmlErrorNotSupported},
               {"retired_pages_pending", kNvmlErrorNotSupported},
               {"clock_event_reasons", kNvmlErrorFunctionNotFound}};
  const std::string d = describe_gpu_health(h);
  EXPECT_TRUE(contains(d, "ECC errors not read (NO_PERMISSION)")) << d;
  EXPECT_TRUE(contains(d, "row remapping not read (NOT_SUPPORTED)")) << d;
  EXPECT_TRUE(contains(d, "clock events not read (FUNCTION_NOT_FOUND)")) << d;
  EXPECT_FALSE(contains(d, "no volatile ECC DBE")) << d;
  EXPECT_FALSE(contains(d, "no throttling")) << d;
}

TEST(DescribeGpuHealth, EccOffAndPreAmpereRetirement) {
  GpuHealth h;
  h.ecc_enabled = false;
  h.retired_pages_pending = false;
  h.queries = {{"ecc_mode", 0}, {"remapped_rows", kNvmlErrorNotSupported}, {"retired_pages_pending", 0}};
  const std::string d = describe_gpu_health(h);
  EXPECT_TRUE(contains(d, "ECC off")) << d;
  EXPECT_TRUE(contains(d, "no pending page retirements")) << d;
}

TEST(DescribeGpuHealth, ThrottleNamesReasons) {
  GpuHealth h = healthy();
  h.clock_event_reasons = kClkHwThermal | kClkGpuIdle;
  EXPECT_TRUE(contains(describe_gpu_health(h), "clocks held down by thermal (HW)"));
}

// ---- A4: the count is the GPUs examined ---------------------------------------------------------------

TEST(NvmlPassMessage, CountsGpusExaminedNotNvmlTotal) {
  const std::string m = nvml_pass_message({{"GPU 0", healthy()}});
  EXPECT_TRUE(contains(m, "1 GPU examined through NVML")) << m;
  EXPECT_TRUE(contains(m, "no volatile ECC DBE, no pending row remaps, no throttling")) << m;
}

TEST(NvmlPassMessage, GroupsGpusThatReadTheSame) {
  GpuHealth mig = healthy();
  mig.remap_pending.reset();
  mig.mig_enabled = true;
  set_code(mig, "remapped_rows", kNvmlErrorNotSupported);
  const std::string m = nvml_pass_message({{"GPU 0", healthy()}, {"GPU 1", mig}, {"GPU 2", healthy()}});
  EXPECT_TRUE(contains(m, "3 GPUs examined through NVML")) << m;
  EXPECT_TRUE(contains(m, "GPU 0, GPU 2: no volatile ECC DBE, no pending row remaps")) << m;
  EXPECT_TRUE(contains(m, "GPU 1: no volatile ECC DBE, row remapping not readable (MIG on)")) << m;
}

TEST(NvmlPassMessage, SameFactsOneClause) {
  const std::string m = nvml_pass_message({{"GPU 0", healthy()}, {"GPU 1", healthy()}});
  EXPECT_EQ(m, "2 GPUs examined through NVML: no volatile ECC DBE, no pending row remaps, no throttling");
}

// ---- A5: handle lookup errors ---------------------------------------------------------------------------

TEST(NvmlHandleError, HardwareFaultsFail) {
  struct Case { int code; const char* reason; };
  for (const Case c : {Case{kNvmlErrorGpuIsLost, "gpu_lost"}, Case{kNvmlErrorInsufficientPower, "gpu_power_cables"},
                       Case{kNvmlErrorIrqIssue, "gpu_irq"}, Case{kNvmlErrorResetRequired, "gpu_reset_required"}}) {
    const Finding f = evaluate_nvml_handle_error("GPU 3 (H200)", "0000:1b:00.0", c.code, "Some NVML text");
    EXPECT_EQ(f.status, Status::fail) << c.reason;
    EXPECT_EQ(f.reason, c.reason);
    EXPECT_TRUE(contains(f.message, "GPU 3 (H200)")) << f.message;
    EXPECT_TRUE(contains(f.message, "Some NVML text")) << f.message;  // nvmlErrorString is shown
    EXPECT_TRUE(contains(f.message, nvml_return_name(c.code))) << f.message;
    EXPECT_FALSE(f.hint.empty());
  }
}

TEST(NvmlHandleError, NotFoundAndPermissionWarn) {
  Finding f = evaluate_nvml_handle_error("GPU 0", "0000:1b:00.0", kNvmlErrorNotFound, "Not Found");
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.reason, "nvml_no_handle");
  EXPECT_TRUE(contains(f.message, "PCI bus 0000:1b:00.0")) << f.message;
  f = evaluate_nvml_handle_error("GPU 0", "0000:1b:00.0", kNvmlErrorNoPermission, "Insufficient Permissions");
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.reason, "nvml_no_permission");
  f = evaluate_nvml_handle_error("GPU 0", "", kNvmlErrorNotFound, "Not Found");
  EXPECT_TRUE(contains(f.message, "no PCI bus id")) << f.message;
}

// ---- A6: CUDA sees no GPU, NVML does ---------------------------------------------------------------------

NvmlGpuSurvey surveyed(unsigned i, std::optional<bool> mig, std::optional<int> fabric = kNvmlFabricStateNotSupported) {
  NvmlGpuSurvey s;
  s.index = i;
  s.name = "NVIDIA H200";
  s.mig_enabled = mig;
  s.fabric_state = fabric;
  s.fabric_code = kNvmlSuccess;
  return s;
}

TEST(CudaSeesNone, MigWithoutInstanceFails) {
  const auto fs = evaluate_cuda_sees_none({surveyed(0, true)}, 1);
  const Finding* f = find_reason(fs, "mig_no_instance");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_TRUE(contains(f->message, "NVML GPU 0 (NVIDIA H200)")) << f->message;
  EXPECT_TRUE(contains(f->message, "MIG mode enabled but no MIG device is visible to CUDA")) << f->message;
  EXPECT_TRUE(contains(f->hint, "nvidia-smi mig -cgi")) << f->hint;
  EXPECT_TRUE(contains(f->hint, "CUDA_VISIBLE_DEVICES")) << f->hint;
  EXPECT_EQ(find_reason(fs, "nvml_only"), nullptr);
}

TEST(CudaSeesNone, NamesOnlyTheMigGpus) {
  const auto fs = evaluate_cuda_sees_none({surveyed(0, false), surveyed(1, true)}, 2);
  const Finding* f = find_reason(fs, "mig_no_instance");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "NVML GPU 1")) << f->message;
  EXPECT_FALSE(contains(f->message, "NVML GPU 0")) << f->message;
}

TEST(CudaSeesNone, NothingKnownWarnsNvmlOnly) {
  auto fs = evaluate_cuda_sees_none({surveyed(0, false), surveyed(1, std::nullopt)}, 2);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::warn);
  EXPECT_EQ(fs[0].reason, "nvml_only");
  EXPECT_TRUE(contains(fs[0].message, "NVML sees 2 GPU(s); CUDA sees none")) << fs[0].message;
  fs = evaluate_cuda_sees_none({}, 0);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].reason, "nvml_only");
}

TEST(CudaSeesNone, FabricNotStartedFails) {
  const auto fs = evaluate_cuda_sees_none({surveyed(0, false, kNvmlFabricStateNotStarted)}, 1);
  const Finding* f = find_reason(fs, "fabric_manager");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_TRUE(contains(f->message, "not started")) << f->message;
  EXPECT_TRUE(contains(f->hint, "nvidia-fabricmanager")) << f->hint;
}

TEST(CudaSeesNone, LostGpuByIndexFails) {
  NvmlGpuSurvey s;
  s.index = 2;
  s.handle_code = kNvmlErrorGpuIsLost;
  const auto fs = evaluate_cuda_sees_none({s}, 3);
  const Finding* f = find_reason(fs, "gpu_lost");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "NVML GPU 2")) << f->message;
  EXPECT_EQ(worst(fs), Status::fail);
}

// ---- A2: cuInit 802 --------------------------------------------------------------------------------------

TEST(SystemNotReady, WithoutNvmlNamesFabricManagerAndPersistenced) {
  const Finding f = evaluate_system_not_ready(std::nullopt);
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "system_not_ready");
  EXPECT_TRUE(contains(f.message, "802")) << f.message;
  EXPECT_TRUE(contains(f.message, "Fabric Manager")) << f.message;
  EXPECT_TRUE(contains(f.hint, "nvidia-fabricmanager")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "nvidia-persistenced")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "driver's version")) << f.hint;
  EXPECT_EQ(evaluate_system_not_ready(std::vector<NvmlGpuSurvey>{}).reason, "system_not_ready");
}

TEST(SystemNotReady, NvmlConfirmsFabricNotInitialized) {
  std::vector<NvmlGpuSurvey> gpus;
  for (unsigned i = 0; i < 8; ++i) gpus.push_back(surveyed(i, false, kNvmlFabricStateNotStarted));
  const Finding f = evaluate_system_not_ready(gpus);
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "fabric_manager");
  EXPECT_TRUE(contains(f.message, "8 of 8 GPUs")) << f.message;
  EXPECT_TRUE(contains(f.message, "not started")) << f.message;
  EXPECT_TRUE(contains(f.message, "registration not started on NVML GPUs 0, 1, 2, 3, 4, 5, 6, 7")) << f.message;
  EXPECT_TRUE(contains(f.hint, "systemctl status nvidia-fabricmanager")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "persistenced")) << f.hint;
}

TEST(SystemNotReady, FailedRegistrationNamesTheError) {
  auto g = surveyed(0, false, kNvmlFabricStateCompleted);
  g.fabric_status = kNvmlErrorUnknown;
  const Finding f = evaluate_system_not_ready(std::vector<NvmlGpuSurvey>{g});
  EXPECT_EQ(f.reason, "fabric_manager");
  EXPECT_TRUE(contains(f.message, "registration failed on NVML GPU 0 (UNKNOWN)")) << f.message;
  EXPECT_TRUE(contains(f.hint, "reset")) << f.hint;
}

TEST(SystemNotReady, NoFabricPointsAtPersistenced) {
  std::vector<NvmlGpuSurvey> gpus = {surveyed(0, false, kNvmlFabricStateNotSupported)};
  NvmlGpuSurvey unsupported_call = surveyed(1, false, std::nullopt);
  unsupported_call.fabric_code = kNvmlErrorNotSupported;  // PCIe H200 NVL, older GPUs
  gpus.push_back(unsupported_call);
  const Finding f = evaluate_system_not_ready(gpus);
  EXPECT_EQ(f.reason, "system_not_ready");
  EXPECT_TRUE(contains(f.message, "Fabric Manager is not the cause")) << f.message;
  EXPECT_TRUE(contains(f.hint, "nvidia-persistenced")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "fabricmanager")) << f.hint;
}

TEST(SystemNotReady, FabricUnreadableKeepsBothHints) {
  NvmlGpuSurvey g = surveyed(0, false, std::nullopt);
  g.fabric_code = kNvmlErrorFunctionNotFound;  // an older driver without the entry point
  const Finding f = evaluate_system_not_ready(std::vector<NvmlGpuSurvey>{g});
  EXPECT_EQ(f.reason, "system_not_ready");
  EXPECT_TRUE(contains(f.hint, "nvidia-fabricmanager")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "nvidia-persistenced")) << f.hint;
}

TEST(SystemNotReady, FabricRegisteredLooksElsewhere) {
  const Finding f = evaluate_system_not_ready(std::vector<NvmlGpuSurvey>{surveyed(0, false, kNvmlFabricStateCompleted)});
  EXPECT_EQ(f.reason, "system_not_ready");
  EXPECT_TRUE(contains(f.message, "registered")) << f.message;
}

// ---- A8: ECC around the memory test ---------------------------------------------------------------------

EccCounters counters(unsigned long long corr, unsigned long long unc, unsigned rows = 0, bool pending = false) {
  EccCounters c;
  c.ecc_enabled = true;
  c.corrected = corr;
  c.uncorrected = unc;
  c.rows_remapped_correctable = 0;
  c.rows_remapped_uncorrectable = rows;
  c.remap_pending = pending;
  c.remap_failure = false;
  return c;
}

TEST(EccDuringTest, UnchangedIsQuiet) {
  EXPECT_TRUE(evaluate_ecc_during_test("GPU 0", counters(5, 0), counters(5, 0)).empty());
  EXPECT_EQ(describe_ecc_during_test(counters(5, 0), counters(5, 0)), "ECC counters unchanged");
}

TEST(EccDuringTest, UncorrectedIncreaseFails) {
  const auto fs = evaluate_ecc_during_test("GPU 0", counters(0, 1), counters(0, 3));
  const Finding* f = find_reason(fs, "ecc_uncorrectable");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_TRUE(contains(f->message, "2 uncorrectable")) << f->message;
  EXPECT_TRUE(contains(f->message, "1 -> 3")) << f->message;
  EXPECT_TRUE(contains(f->hint, "nvidia-smi -r")) << f->hint;
  EXPECT_EQ(describe_ecc_during_test(counters(0, 1), counters(0, 3)), "");
}

TEST(EccDuringTest, CorrectedIncreaseWarns) {
  const auto fs = evaluate_ecc_during_test("GPU 0", counters(10, 0), counters(14, 0));
  const Finding* f = find_reason(fs, "ecc_corrected");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "4 single-bit")) << f->message;
  EXPECT_EQ(worst(fs), Status::warn);
}

TEST(EccDuringTest, NewRemapsWarn) {
  auto fs = evaluate_ecc_during_test("GPU 0", counters(0, 0, 0, false), counters(0, 0, 1, true));
  const Finding* f = find_reason(fs, "row_remap_pending");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "1 row(s)")) << f->message;
  // Pending before the test already: the nvml check said so; nothing new here.
  fs = evaluate_ecc_during_test("GPU 0", counters(0, 0, 1, true), counters(0, 0, 1, true));
  EXPECT_TRUE(fs.empty());
}

TEST(EccDuringTest, RemapFailureFails) {
  EccCounters after = counters(0, 0);
  after.remap_failure = true;
  const auto fs = evaluate_ecc_during_test("GPU 0", counters(0, 0), after);
  ASSERT_NE(find_reason(fs, "row_remap_failure"), nullptr);
  EXPECT_EQ(worst(fs), Status::fail);
}

TEST(EccDuringTest, UnreadCountersJudgeNothingAndSaySo) {
  EccCounters none;
  none.queries = {{"ecc_mode", kNvmlErrorNoPermission}, {"ecc_volatile_corrected", kNvmlErrorNoPermission}};
  EXPECT_TRUE(evaluate_ecc_during_test("GPU 0", none, counters(3, 3)).empty());
  EXPECT_EQ(describe_ecc_during_test(none, none), "ECC counters not read (NO_PERMISSION)");
  EXPECT_EQ(describe_ecc_during_test(EccCounters{}, EccCounters{}), "ECC counters not read");
  EccCounters off;
  off.ecc_enabled = false;
  EXPECT_EQ(describe_ecc_during_test(off, off), "ECC off");
}

TEST(MemtestError, UncorrectableEccIsNamed) {
  const Finding f = evaluate_memtest_error("GPU 0 (H200)", kCudaErrorEccUncorrectable, "cudaErrorECCUncorrectable",
                                           "uncorrectable ECC error encountered");
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "ecc_uncorrectable");
  EXPECT_TRUE(contains(f.message, "cudaErrorECCUncorrectable")) << f.message;
  EXPECT_TRUE(contains(f.hint, "ECC")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "Xid errors")) << f.hint;
}

TEST(MemtestError, OtherCodes) {
  Finding f = evaluate_memtest_error("GPU 0", kCudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory");
  EXPECT_EQ(f.reason, "memtest_error");
  EXPECT_TRUE(contains(f.hint, "another process")) << f.hint;
  f = evaluate_memtest_error("GPU 0", 700, "cudaErrorIllegalAddress", "an illegal memory access");
  EXPECT_EQ(f.reason, "memtest_error");
  EXPECT_TRUE(contains(f.hint, "dmesg")) << f.hint;
}

}  // namespace
}  // namespace gpuprobe
