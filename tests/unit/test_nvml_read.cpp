// Reading through NVML's function table with stand-in functions: every query's nvmlReturn_t is
// kept, a lost GPU stops the reads, optional and versioned entry points (TemperatureV, fabric info)
// fall back or stay unread without breaking. No NVML, no GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/probes/health.hpp"

namespace gpuprobe {
namespace {

// One stand-in GPU. `code[fn]` is what the function returns (absent: NVML_SUCCESS).
struct FakeGpu {
  std::map<std::string, int> code;
  unsigned long long corrected = 7, uncorrected = 0;
  unsigned mig = 0;
  unsigned char fabric_state = kNvmlFabricStateNotSupported;
  int fabric_status = kNvmlSuccess;
  unsigned temp_v_version = 0;  // the version field TemperatureV was given
  unsigned fabric_v_version = 0;
  int calls = 0;                // device queries made
  unsigned handle_index_calls = 0;
};
FakeGpu fake;

int rc(const char* fn) {
  ++fake.calls;
  auto it = fake.code.find(fn);
  return it == fake.code.end() ? kNvmlSuccess : it->second;
}

nvmlDevice_t handle() { return reinterpret_cast<nvmlDevice_t>(0x1000); }

// Only the entry points nvml_lib() requires.
NvmlLib core_table() {
  NvmlLib n;
  n.nvmlDeviceGetHandleByPciBusId_v2 = [](const char*, nvmlDevice_t* d) {
    *d = handle();  // even on failure: the reader must not use it
    return rc("handle_by_bus");
  };
  return n;
}

NvmlLib full_table() {
  NvmlLib n = core_table();
  n.nvmlDeviceGetHandleByIndex_v2 = [](unsigned, nvmlDevice_t* d) {
    ++fake.handle_index_calls;
    *d = handle();
    return rc("handle_by_index");
  };
  n.nvmlDeviceGetName = [](nvmlDevice_t, char* buf, unsigned len) {
    std::strncpy(buf, "NVIDIA H200", len);
    return rc("name");
  };
  n.nvmlDeviceGetClockInfo = [](nvmlDevice_t, int clk, unsigned* v) {
    *v = clk == kNvmlClockSm ? 345 : 2619;
    return rc("clock");
  };
  n.nvmlDeviceGetMaxClockInfo = [](nvmlDevice_t, int clk, unsigned* v) {
    *v = clk == kNvmlClockSm ? 1980 : 3201;
    return rc("max_clock");
  };
  n.nvmlDeviceGetEccMode = [](nvmlDevice_t, int* cur, int* pend) {
    *cur = 1, *pend = 1;
    return rc("ecc_mode");
  };
  n.nvmlDeviceGetTotalEccErrors = [](nvmlDevice_t, int type, int counter, unsigned long long* v) {
    if (counter != kNvmlVolatileEcc) *v = 99;  // aggregate
    else *v = type == kNvmlMemoryErrorCorrected ? fake.corrected : fake.uncorrected;
    return rc(type == kNvmlMemoryErrorCorrected ? "ecc_corrected" : "ecc_uncorrected");
  };
  n.nvmlDeviceGetRemappedRows = [](nvmlDevice_t, unsigned* c, unsigned* u, unsigned* p, unsigned* f) {
    *c = 1, *u = 2, *p = 0, *f = 0;
    return rc("remapped_rows");
  };
  n.nvmlDeviceGetRetiredPagesPendingStatus = [](nvmlDevice_t, int* p) {
    *p = 0;
    return rc("retired_pages");
  };
  n.nvmlDeviceGetCurrentClocksEventReasons = [](nvmlDevice_t, unsigned long long* r) {
    *r = kClkGpuIdle;
    return rc("clock_reasons");
  };
  n.nvmlDeviceGetMigMode = [](nvmlDevice_t, unsigned* cur, unsigned* pend) {
    *cur = fake.mig, *pend = fake.mig;
    return rc("mig_mode");
  };
  n.nvmlDeviceGetPersistenceMode = [](nvmlDevice_t, int* m) {
    *m = 1;
    return rc("persistence");
  };
  n.nvmlDeviceGetTemperatureV = [](nvmlDevice_t, nvmlTemperature_v1_t* t) {
    fake.temp_v_version = t->version;
    if (t->sensorType != kNvmlTemperatureGpu) return kNvmlErrorInvalidArgument;
    t->temperature = 38;
    return rc("temperature_v");
  };
  n.nvmlDeviceGetTemperature = [](nvmlDevice_t, int, unsigned* t) {
    *t = 41;
    return rc("temperature");
  };
  n.nvmlDeviceGetPowerUsage = [](nvmlDevice_t, unsigned* mw) {
    *mw = 95000;
    return rc("power");
  };
  n.nvmlDeviceGetEnforcedPowerLimit = [](nvmlDevice_t, unsigned* mw) {
    *mw = 700000;
    return rc("power_limit");
  };
  n.nvmlDeviceGetPowerManagementDefaultLimit = [](nvmlDevice_t, unsigned* mw) {
    *mw = 700000;
    return rc("default_power_limit");
  };
  n.nvmlDeviceGetCurrPcieLinkGeneration = [](nvmlDevice_t, unsigned* v) { *v = 1; return rc("pcie"); };
  n.nvmlDeviceGetMaxPcieLinkGeneration = [](nvmlDevice_t, unsigned* v) { *v = 5; return rc("pcie"); };
  n.nvmlDeviceGetCurrPcieLinkWidth = [](nvmlDevice_t, unsigned* v) { *v = 16; return rc("pcie"); };
  n.nvmlDeviceGetMaxPcieLinkWidth = [](nvmlDevice_t, unsigned* v) { *v = 16; return rc("pcie"); };
  n.nvmlDeviceGetGpuFabricInfoV = [](nvmlDevice_t, nvmlGpuFabricInfo_v2_t* f) {
    fake.fabric_v_version = f->version;
    f->state = fake.fabric_state;
    f->status = fake.fabric_status;
    return rc("fabric_v");
  };
  n.nvmlDeviceGetGpuFabricInfo = [](nvmlDevice_t, nvmlGpuFabricInfo_t* f) {
    f->state = fake.fabric_state;
    f->status = fake.fabric_status;
    return rc("fabric");
  };
  return n;
}

class NvmlRead : public ::testing::Test {
 protected:
  void SetUp() override { fake = FakeGpu{}; }
};

std::optional<int> code_of(const std::vector<NvmlQuery>& qs, const std::string& name) {
  for (const auto& q : qs)
    if (q.name == name) return q.code;
  return std::nullopt;
}

TEST_F(NvmlRead, AllQueriesAnsweredFillsFactsAndRecordsSuccess) {
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(full_table(), handle(), g, h);
  EXPECT_TRUE(unavailable_queries(h.queries).empty());
  EXPECT_EQ(g.sm_clock_mhz, 345);
  EXPECT_EQ(g.sm_clock_max_mhz, 1980);
  EXPECT_EQ(g.ecc_enabled, true);
  EXPECT_EQ(h.ecc_enabled, true);
  EXPECT_EQ(h.ecc_volatile_uncorrected, 0u);
  EXPECT_EQ(h.ecc_aggregate_uncorrected, 99u);
  EXPECT_EQ(h.remap_pending, false);
  EXPECT_EQ(h.remapped_rows_uncorrectable, 2u);
  EXPECT_FALSE(h.retired_pages_pending.has_value());  // only a fallback
  EXPECT_EQ(h.clock_event_reasons, kClkGpuIdle);
  EXPECT_EQ(g.mig_enabled, false);
  EXPECT_EQ(g.temperature_c, 38);  // from TemperatureV
  EXPECT_DOUBLE_EQ(*g.power_w, 95.0);
  EXPECT_EQ(g.pcie_gen_current, 1);
  EXPECT_EQ(g.pcie_gen_max, 5);
  EXPECT_EQ(code_of(h.queries, "remapped_rows"), kNvmlSuccess);
  EXPECT_EQ(describe_gpu_health(h), "no volatile ECC DBE, no pending row remaps, no throttling");
}

TEST_F(NvmlRead, GpuLostStopsAtTheFirstQuery) {
  fake.code["clock"] = kNvmlErrorGpuIsLost;
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(full_table(), handle(), g, h);
  ASSERT_EQ(h.queries.size(), 1u);
  EXPECT_EQ(h.queries[0].name, "sm_clock");
  EXPECT_EQ(h.queries[0].code, kNvmlErrorGpuIsLost);
  EXPECT_EQ(fake.calls, 1);
  const auto fs = evaluate_gpu_health("GPU 0", h);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].reason, "gpu_lost");
  EXPECT_EQ(fs[0].status, Status::fail);
}

TEST_F(NvmlRead, GpuLostHalfwayKeepsWhatCameBefore) {
  fake.code["mig_mode"] = kNvmlErrorGpuIsLost;
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(full_table(), handle(), g, h);
  EXPECT_EQ(h.queries.back().name, "mig_mode");
  EXPECT_FALSE(code_of(h.queries, "temperature").has_value());
  EXPECT_FALSE(g.temperature_c.has_value());
  EXPECT_EQ(evaluate_gpu_health("GPU 0", h)[0].reason, "gpu_lost");
}

TEST_F(NvmlRead, MigOnRemapNotSupportedIsNotReportedAsNoRemaps) {
  fake.mig = 1;
  fake.code["remapped_rows"] = kNvmlErrorNotSupported;
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(full_table(), handle(), g, h);
  EXPECT_FALSE(h.remap_pending.has_value());
  EXPECT_EQ(h.retired_pages_pending, false);  // the fallback answered
  EXPECT_EQ(g.mig_enabled, true);
  const auto u = unavailable_queries(h.queries);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].name, "remapped_rows");
  const std::string d = describe_gpu_health(h);
  EXPECT_NE(d.find("row remapping not readable (MIG on)"), std::string::npos) << d;
}

TEST_F(NvmlRead, PermissionDeniedEccIsUnreadNotHealthy) {
  fake.code["ecc_mode"] = kNvmlErrorNoPermission;
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(full_table(), handle(), g, h);
  EXPECT_FALSE(h.ecc_volatile_uncorrected.has_value());
  EXPECT_FALSE(code_of(h.queries, "ecc_volatile_uncorrected").has_value());  // not asked with mode unknown
  const std::string d = describe_gpu_health(h);
  EXPECT_NE(d.find("ECC errors not read (NO_PERMISSION)"), std::string::npos) << d;
}

TEST_F(NvmlRead, MissingEntryPointsAreFunctionNotFound) {
  GpuInfo g;
  GpuHealth h;
  nvml_read_device(core_table(), handle(), g, h);
  ASSERT_FALSE(h.queries.empty());
  for (const auto& q : h.queries) EXPECT_EQ(q.code, kNvmlErrorFunctionNotFound) << q.name;
  EXPECT_FALSE(g.sm_clock_mhz.has_value());
  EXPECT_FALSE(g.temperature_c.has_value());
  EXPECT_EQ(fake.calls, 0);
  EXPECT_EQ(worst(evaluate_gpu_health("GPU 0", h)), Status::pass);
}

// ---- A16: TemperatureV first, the deprecated call as fallback ----------------------------------------

TEST_F(NvmlRead, TemperatureVGetsTheVersionedStruct) {
  std::vector<NvmlQuery> qs;
  EXPECT_EQ(nvml_read_temperature(full_table(), handle(), &qs), 38);
  EXPECT_EQ(fake.temp_v_version, 12u | (1u << 24));  // NVML_STRUCT_VERSION(Temperature, 1)
  ASSERT_EQ(qs.size(), 1u);
  EXPECT_EQ(qs[0].code, kNvmlSuccess);
}

TEST_F(NvmlRead, TemperatureFallsBackWhenVRefuses) {
  fake.code["temperature_v"] = kNvmlErrorArgumentVersionMismatch;
  std::vector<NvmlQuery> qs;
  EXPECT_EQ(nvml_read_temperature(full_table(), handle(), &qs), 41);
  ASSERT_EQ(qs.size(), 1u);  // one entry: the call that decided
  EXPECT_EQ(qs[0].code, kNvmlSuccess);
}

TEST_F(NvmlRead, TemperatureFallsBackWhenVIsMissing) {
  NvmlLib n = full_table();
  n.nvmlDeviceGetTemperatureV = nullptr;
  EXPECT_EQ(nvml_read_temperature(n, handle()), 41);
}

TEST_F(NvmlRead, TemperatureVLostDoesNotFallBack) {
  fake.code["temperature_v"] = kNvmlErrorGpuIsLost;
  std::vector<NvmlQuery> qs;
  EXPECT_FALSE(nvml_read_temperature(full_table(), handle(), &qs).has_value());
  ASSERT_EQ(qs.size(), 1u);
  EXPECT_EQ(qs[0].code, kNvmlErrorGpuIsLost);
}

TEST_F(NvmlRead, TemperatureVOnlyAndFailingKeepsItsCode) {
  NvmlLib n = full_table();
  n.nvmlDeviceGetTemperature = nullptr;
  fake.code["temperature_v"] = kNvmlErrorNotSupported;
  std::vector<NvmlQuery> qs;
  EXPECT_FALSE(nvml_read_temperature(n, handle(), &qs).has_value());
  ASSERT_EQ(qs.size(), 1u);
  EXPECT_EQ(qs[0].code, kNvmlErrorNotSupported);
}

// ---- A5: the handle lookup keeps its code ------------------------------------------------------------------

TEST_F(NvmlRead, HandleKeepsTheErrorCode) {
  GpuInfo g;
  g.pci_bus_id = "0000:1B:00.0";
  for (int code : {kNvmlErrorGpuIsLost, kNvmlErrorInsufficientPower, kNvmlErrorIrqIssue, kNvmlErrorNotFound}) {
    fake.code["handle_by_bus"] = code;
    const NvmlHandle h = nvml_handle_for(full_table(), g);
    EXPECT_FALSE(h);
    EXPECT_EQ(h.code, code);
    EXPECT_EQ(h.dev, nullptr);
  }
  fake.code.clear();
  const NvmlHandle ok = nvml_handle_for(full_table(), g);
  EXPECT_TRUE(ok);
  EXPECT_EQ(*ok, handle());
}

TEST_F(NvmlRead, HandleWithoutBusIdIsNotFoundWithoutACall) {
  const NvmlHandle h = nvml_handle_for(full_table(), GpuInfo{});
  EXPECT_FALSE(h);
  EXPECT_EQ(h.code, kNvmlErrorNotFound);
  EXPECT_EQ(fake.calls, 0);
}

// ---- A8: ECC counters ------------------------------------------------------------------------------------

TEST_F(NvmlRead, EccCountersReadVolatileCorrectedAndUncorrected) {
  fake.corrected = 12;
  fake.uncorrected = 1;
  const EccCounters c = nvml_read_ecc_counters(full_table(), handle());
  EXPECT_EQ(c.ecc_enabled, true);
  EXPECT_EQ(c.corrected, 12u);
  EXPECT_EQ(c.uncorrected, 1u);
  EXPECT_EQ(c.rows_remapped_correctable, 1u);
  EXPECT_EQ(c.rows_remapped_uncorrectable, 2u);
  EXPECT_EQ(c.remap_pending, false);
  EXPECT_TRUE(unavailable_queries(c.queries).empty());
}

TEST_F(NvmlRead, EccCountersAroundATestThatProvokedErrors) {
  const NvmlLib n = full_table();
  const EccCounters before = nvml_read_ecc_counters(n, handle());
  fake.corrected += 3;
  const EccCounters after = nvml_read_ecc_counters(n, handle());
  const auto fs = evaluate_ecc_during_test("GPU 0", before, after);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].reason, "ecc_corrected");
}

TEST_F(NvmlRead, EccCountersNotSupportedSaySo) {
  fake.code["ecc_corrected"] = kNvmlErrorNotSupported;
  fake.code["ecc_uncorrected"] = kNvmlErrorNotSupported;
  const EccCounters c = nvml_read_ecc_counters(full_table(), handle());
  EXPECT_FALSE(c.corrected.has_value());
  EXPECT_EQ(describe_ecc_during_test(c, c), "ECC counters not read (NOT_SUPPORTED)");
}

// ---- A6 / A2: the survey by index ------------------------------------------------------------------------

TEST_F(NvmlRead, SurveyReadsMigAndFabricThroughTheVersionedCall) {
  fake.mig = 1;
  fake.fabric_state = kNvmlFabricStateNotStarted;
  const auto s = nvml_survey_gpus(full_table(), 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].index, 1u);
  EXPECT_EQ(s[0].handle_code, kNvmlSuccess);
  EXPECT_EQ(s[0].name, "NVIDIA H200");
  EXPECT_EQ(s[0].mig_enabled, true);
  EXPECT_EQ(s[0].fabric_state, kNvmlFabricStateNotStarted);
  EXPECT_EQ(s[0].fabric_code, kNvmlSuccess);
  EXPECT_EQ(fake.fabric_v_version, 36u | (2u << 24));  // NVML_STRUCT_VERSION(GpuFabricInfo, 2)
  EXPECT_EQ(evaluate_cuda_sees_none(s, 2)[0].reason, "fabric_manager");
}

TEST_F(NvmlRead, SurveyFallsBackToTheUnversionedFabricCall) {
  NvmlLib n = full_table();
  n.nvmlDeviceGetGpuFabricInfoV = nullptr;  // a driver from before the V call
  fake.fabric_state = kNvmlFabricStateInProgress;
  auto s = nvml_survey_gpus(n, 1);
  EXPECT_EQ(s[0].fabric_state, kNvmlFabricStateInProgress);
  fake.code["fabric_v"] = kNvmlErrorArgumentVersionMismatch;  // V present but refusing v2
  s = nvml_survey_gpus(full_table(), 1);
  EXPECT_EQ(s[0].fabric_state, kNvmlFabricStateInProgress);
  EXPECT_EQ(s[0].fabric_code, kNvmlSuccess);
}

TEST_F(NvmlRead, SurveyWithoutFabricEntryPoints) {
  NvmlLib n = full_table();
  n.nvmlDeviceGetGpuFabricInfoV = nullptr;
  n.nvmlDeviceGetGpuFabricInfo = nullptr;
  const auto s = nvml_survey_gpus(n, 1);
  EXPECT_FALSE(s[0].fabric_state.has_value());
  EXPECT_EQ(s[0].fabric_code, kNvmlErrorFunctionNotFound);
  const Finding f = evaluate_system_not_ready(s);
  EXPECT_EQ(f.reason, "system_not_ready");  // unknown: both hints
}

TEST_F(NvmlRead, SurveyFabricNotSupportedIsNoFabric) {
  fake.code["fabric_v"] = kNvmlErrorNotSupported;
  const auto s = nvml_survey_gpus(full_table(), 1);
  EXPECT_EQ(s[0].fabric_code, kNvmlErrorNotSupported);
  const Finding f = evaluate_system_not_ready(s);
  EXPECT_EQ(f.reason, "system_not_ready");
  EXPECT_NE(f.message.find("Fabric Manager is not the cause"), std::string::npos) << f.message;
}

TEST_F(NvmlRead, SurveyHandleErrorsAndMissingByIndex) {
  fake.code["handle_by_index"] = kNvmlErrorGpuIsLost;
  auto s = nvml_survey_gpus(full_table(), 1);
  EXPECT_EQ(s[0].handle_code, kNvmlErrorGpuIsLost);
  EXPECT_EQ(evaluate_cuda_sees_none(s, 1)[0].reason, "gpu_lost");
  s = nvml_survey_gpus(core_table(), 3);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].handle_code, kNvmlErrorFunctionNotFound);
}

TEST_F(NvmlRead, SurveyCapsAGarbageCount) {
  EXPECT_EQ(nvml_survey_gpus(full_table(), 0xffffffffu).size(), 64u);
}

TEST(ConfirmClockEventReasons, ThrottlingMustHoldInEveryReadingOtherBitsPassThrough) {
  using namespace std::chrono_literals;
  const auto seq = [](std::vector<std::optional<unsigned long long>> v) {
    auto i = std::make_shared<std::size_t>(0);
    return [v, i]() { return v[std::min((*i)++, v.size() - 1)]; };  // the last one repeats
  };
  // HW slowdown for a moment (a clock change), gone in the next reading: not reported.
  EXPECT_EQ(confirm_clock_event_reasons(kClkHwSlowdown | kClkSwPowerCap, seq({kClkSwPowerCap, kClkHwSlowdown}), 4, 0ms),
            kClkSwPowerCap);
  // Thermal in every reading: kept, with the bits that need no confirmation.
  EXPECT_EQ(confirm_clock_event_reasons(kClkHwThermal | kClkGpuIdle, seq({kClkHwThermal, kClkHwThermal, kClkHwThermal,
                                                                          kClkHwThermal}), 4, 0ms),
            kClkHwThermal | kClkGpuIdle);
  // A failed re-reading does not clear what the first one saw.
  EXPECT_EQ(confirm_clock_event_reasons(kClkHwPowerBrake, seq({std::nullopt, std::nullopt, std::nullopt, std::nullopt}), 4, 0ms),
            kClkHwPowerBrake);
  // Nothing to confirm: no further reading.
  int reads = 0;
  EXPECT_EQ(confirm_clock_event_reasons(kClkGpuIdle | kClkSwPowerCap, [&]() -> std::optional<unsigned long long> {
              ++reads;
              return 0ull;
            }, 4, 0ms),
            kClkGpuIdle | kClkSwPowerCap);
  EXPECT_EQ(reads, 0);
}

}  // namespace
}  // namespace gpuprobe
