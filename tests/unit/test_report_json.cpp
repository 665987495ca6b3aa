// Report <-> JSON: a full round trip, and the ways a foreign or malformed document is rejected.
#include <gtest/gtest.h>

#include <limits>

#include <string>

#include "fixture_reports.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {
namespace {

using nlohmann::json;

Report full_report() {
  Report r;
  r.label = "g5.xlarge";
  r.created_at = "2026-01-02T03:04:05Z";
  r.command = "check";
  r.exit_code = 1;
  r.verdict = "FAIL: memory (1 passed, 0 warned, 1 failed, 0 skipped)";

  r.host.hostname = "ip-10-0-0-1";
  r.host.os = "Ubuntu 24.04.1 LTS";
  r.host.kernel = "6.8.0-1019-aws";
  r.host.cpu_model = "AMD EPYC 7R32";
  r.host.cpu_count = 4;
  r.host.memory_total_bytes = 16ULL * 1024 * 1024 * 1024 + 7;  // not a round number
  r.host.container = {true, "docker", {"/.dockerenv", "/proc/1/cgroup: /docker"}};
  r.host.ec2 = {true, "g5.xlarge", "Amazon EC2", "g5.xlarge"};
  r.host.cloud = CloudInfo{"aws", "g5.xlarge", "us-east-1"};
  r.host.nvidia_env = {{"NVIDIA_VISIBLE_DEVICES", "all"}, {"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"}};
  r.host.device_nodes = {"/dev/nvidia0", "/dev/nvidiactl"};

  r.software.gpuprobe_version = "0.3.0";
  r.software.gpuprobe_revision = "abc1234";
  r.software.cuda_architectures = "75-real,90";
  r.software.cuda_toolkit = "13.0";
  r.software.driver_version = "580.65.06";
  r.software.cuda_driver_version = 13000;
  r.software.cuda_runtime_version = 13000;
  r.software.cublas_version = "13.0.0";
  r.software.cudnn_version = "9.13.0";
  r.software.nvml_version = "13.580.65.06";
  {
    FrameworkInfo torch;  // answered live
    torch.name = "torch";
    torch.version = "2.15.0+cu132";
    torch.distribution = "torch";
    torch.build = "cuda";
    torch.cuda = "13.2";
    torch.archs = {"sm_75", "sm_90", "sm_120"};
    torch.location = "/opt/venv/lib/python3.11/site-packages";
    torch.python = "/opt/venv/bin/python3.11";
    torch.live = "answered";
    torch.live_seconds = 2.75;
    torch.gpu_available = true;
    torch.device_count = 1;
    torch.devices = {"NVIDIA H200"};
    torch.warnings = {"a warning"};
    torch.matmul_ok = true;
    FrameworkInfo jax;  // not asked, CPU-only
    jax.name = "jax";
    jax.version = "0.10.2";
    jax.distribution = "jaxlib";
    jax.build = "cpu";
    jax.missing_libraries = {"libcufile.so.0"};
    r.software.frameworks = {torch, jax};
  }
  r.software.libraries = {{"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06"},
                          {"libcudnn.so.9", "missing: not found"}};

  GpuInfo g;
  g.index = 0;
  g.name = "NVIDIA A10G";
  g.uuid = "GPU-01234567-89ab-cdef-0123-456789abcdef";
  g.pci_bus_id = "00000000:00:1E.0";
  g.cc_major = 8;
  g.cc_minor = 6;
  g.sm_count = 80;
  g.memory_total_bytes = 23836098560ULL;
  g.memory_free_bytes = 23000000000ULL;
  g.l2_cache_bytes = 6291456;
  g.memory_bus_width_bits = 384;
  g.sm_clock_mhz = 1710;
  g.sm_clock_max_mhz = 1710;
  g.mem_clock_mhz = 6251;
  g.mem_clock_max_mhz = 6251;
  g.ecc_enabled = true;
  g.mig_enabled = false;
  g.persistence_mode = true;
  g.pcie_gen_current = 4;
  g.pcie_gen_max = 4;
  g.pcie_width_current = 16;
  g.pcie_width_max = 16;
  g.temperature_c = 31;
  g.power_w = 55.25;
  g.power_limit_w = 300.0;
  r.gpus.push_back(g);

  GpuInfo g2;  // every optional left unset
  g2.index = 1;
  g2.name = "NVIDIA H100 80GB HBM3";
  g2.cc_major = 9;
  g2.cc_minor = 0;
  r.gpus.push_back(g2);

  CheckResult c1;
  c1.id = "driver";
  c1.title = "Driver and runtime";
  c1.status = Status::pass;
  c1.measured = "580.65.06";
  c1.expected = ">= 580";
  c1.message = "driver 580.65.06 supports CUDA 13.0";
  c1.duration_ms = 12.5;
  c1.details = json{{"per_gpu", json::array({1, 2.5, "x"})}, {"nested", {{"ok", true}}}};
  r.checks.push_back(c1);

  CheckResult c2;
  c2.id = "memory";
  c2.title = "Memory test";
  c2.status = Status::fail;
  c2.reason = "memory_mismatch";
  c2.message = "3 words wrong";
  c2.hint = "drain the GPU";
  c2.duration_ms = 1000.25;
  r.checks.push_back(c2);

  CheckResult c3;
  c3.id = "cudnn";
  c3.status = Status::skip;
  r.checks.push_back(c3);

  CheckResult c4;
  c4.id = "pcie";
  c4.status = Status::warn;
  r.checks.push_back(c4);

  r.benchmarks = benchmarks_from_json(json::array({json{{"name", "gemm_fp16"}, {"tflops", 123.4}, {"sizes", {1024, 2048}}}}));
  return r;
}

void expect_gpu_eq(const GpuInfo& a, const GpuInfo& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.uuid, b.uuid);
  EXPECT_EQ(a.pci_bus_id, b.pci_bus_id);
  EXPECT_EQ(a.cc_major, b.cc_major);
  EXPECT_EQ(a.cc_minor, b.cc_minor);
  EXPECT_EQ(a.sm_count, b.sm_count);
  EXPECT_EQ(a.memory_total_bytes, b.memory_total_bytes);
  EXPECT_EQ(a.memory_free_bytes, b.memory_free_bytes);
  EXPECT_EQ(a.l2_cache_bytes, b.l2_cache_bytes);
  EXPECT_EQ(a.memory_bus_width_bits, b.memory_bus_width_bits);
  EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
  EXPECT_EQ(a.sm_clock_max_mhz, b.sm_clock_max_mhz);
  EXPECT_EQ(a.mem_clock_mhz, b.mem_clock_mhz);
  EXPECT_EQ(a.mem_clock_max_mhz, b.mem_clock_max_mhz);
  EXPECT_EQ(a.ecc_enabled, b.ecc_enabled);
  EXPECT_EQ(a.mig_enabled, b.mig_enabled);
  EXPECT_EQ(a.persistence_mode, b.persistence_mode);
  EXPECT_EQ(a.pcie_gen_current, b.pcie_gen_current);
  EXPECT_EQ(a.pcie_gen_max, b.pcie_gen_max);
  EXPECT_EQ(a.pcie_width_current, b.pcie_width_current);
  EXPECT_EQ(a.pcie_width_max, b.pcie_width_max);
  EXPECT_EQ(a.temperature_c, b.temperature_c);
  EXPECT_EQ(a.power_w, b.power_w);
  EXPECT_EQ(a.power_limit_w, b.power_limit_w);
}

void expect_report_eq(const Report& a, const Report& b) {
  EXPECT_EQ(a.schema, b.schema);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.command, b.command);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.verdict, b.verdict);

  EXPECT_EQ(a.host.hostname, b.host.hostname);
  EXPECT_EQ(a.host.os, b.host.os);
  EXPECT_EQ(a.host.kernel, b.host.kernel);
  EXPECT_EQ(a.host.cpu_model, b.host.cpu_model);
  EXPECT_EQ(a.host.cpu_count, b.host.cpu_count);
  EXPECT_EQ(a.host.memory_total_bytes, b.host.memory_total_bytes);
  EXPECT_EQ(a.host.container.detected, b.host.container.detected);
  EXPECT_EQ(a.host.container.runtime, b.host.container.runtime);
  EXPECT_EQ(a.host.container.evidence, b.host.container.evidence);
  EXPECT_EQ(a.host.ec2.detected, b.host.ec2.detected);
  EXPECT_EQ(a.host.ec2.instance_type, b.host.ec2.instance_type);
  EXPECT_EQ(a.host.ec2.sys_vendor, b.host.ec2.sys_vendor);
  EXPECT_EQ(a.host.ec2.product_name, b.host.ec2.product_name);
  EXPECT_EQ(a.host.cloud, b.host.cloud);
  EXPECT_EQ(a.host.nvidia_env, b.host.nvidia_env);
  EXPECT_EQ(a.host.device_nodes, b.host.device_nodes);

  EXPECT_EQ(a.software.gpuprobe_version, b.software.gpuprobe_version);
  EXPECT_EQ(a.software.gpuprobe_revision, b.software.gpuprobe_revision);
  EXPECT_EQ(a.software.cuda_architectures, b.software.cuda_architectures);
  EXPECT_EQ(a.software.cuda_toolkit, b.software.cuda_toolkit);
  EXPECT_EQ(a.software.driver_version, b.software.driver_version);
  EXPECT_EQ(a.software.cuda_driver_version, b.software.cuda_driver_version);
  EXPECT_EQ(a.software.cuda_runtime_version, b.software.cuda_runtime_version);
  EXPECT_EQ(a.software.cublas_version, b.software.cublas_version);
  EXPECT_EQ(a.software.cudnn_version, b.software.cudnn_version);
  EXPECT_EQ(a.software.nvml_version, b.software.nvml_version);
  EXPECT_EQ(a.software.libraries, b.software.libraries);
  EXPECT_TRUE(a.software.frameworks == b.software.frameworks);

  ASSERT_EQ(a.gpus.size(), b.gpus.size());
  for (std::size_t i = 0; i < a.gpus.size(); ++i) {
    SCOPED_TRACE("gpu " + std::to_string(i));
    expect_gpu_eq(a.gpus[i], b.gpus[i]);
  }
  ASSERT_EQ(a.checks.size(), b.checks.size());
  for (std::size_t i = 0; i < a.checks.size(); ++i) {
    SCOPED_TRACE("check " + a.checks[i].id);
    EXPECT_EQ(a.checks[i].id, b.checks[i].id);
    EXPECT_EQ(a.checks[i].title, b.checks[i].title);
    EXPECT_EQ(a.checks[i].status, b.checks[i].status);
    EXPECT_EQ(a.checks[i].reason, b.checks[i].reason);
    EXPECT_EQ(a.checks[i].measured, b.checks[i].measured);
    EXPECT_EQ(a.checks[i].expected, b.checks[i].expected);
    EXPECT_EQ(a.checks[i].message, b.checks[i].message);
    EXPECT_EQ(a.checks[i].hint, b.checks[i].hint);
    EXPECT_DOUBLE_EQ(a.checks[i].duration_ms, b.checks[i].duration_ms);
    EXPECT_EQ(a.checks[i].details, b.checks[i].details);
  }
  EXPECT_EQ(a.benchmarks, b.benchmarks);
}

TEST(ReportJson, FullRoundTripInMemory) {
  const Report r = full_report();
  const Report back = report_from_json(to_json(r));
  expect_report_eq(r, back);
}

TEST(ReportJson, FullRoundTripThroughText) {
  const Report r = full_report();
  const std::string text = to_json(r).dump(2);
  const Report back = report_from_json(json::parse(text));
  expect_report_eq(r, back);
  // And serializing again gives the same document.
  EXPECT_EQ(to_json(back), to_json(r));
}

TEST(ReportJson, DefaultReportRoundTrips) {
  const Report r;
  const Report back = report_from_json(to_json(r));
  expect_report_eq(r, back);
  EXPECT_TRUE(back.gpus.empty());
  EXPECT_TRUE(back.checks.empty());
  EXPECT_TRUE(back.benchmarks.empty());
  EXPECT_FALSE(back.software.driver_version.has_value());
}

TEST(ReportJson, UnsetOptionalsAreWrittenAsNull) {
  const json j = to_json(full_report());
  EXPECT_EQ(j.at("schema"), kReportSchema);
  const json& g1 = j.at("gpus").at(1);
  for (const char* k : {"sm_clock_mhz", "ecc_enabled", "pcie_gen_current", "temperature_c", "power_w"}) {
    SCOPED_TRACE(k);
    ASSERT_TRUE(g1.contains(k));
    EXPECT_TRUE(g1.at(k).is_null());
  }
  const json& g0 = j.at("gpus").at(0);
  EXPECT_EQ(g0.at("compute_capability"), "8.6");
  EXPECT_EQ(g0.at("sm_clock_mhz"), 1710);
  EXPECT_EQ(j.at("checks").at(1).at("status"), "fail");
  Report empty_sw;
  const json j2 = to_json(empty_sw);
  EXPECT_TRUE(j2.at("software").at("driver_version").is_null());
  EXPECT_TRUE(j2.at("software").at("cuda_driver_version").is_null());
}

TEST(ReportJson, MissingOptionalFieldsReadAsUnset) {
  json j = to_json(full_report());
  j["gpus"][0].erase("temperature_c");
  j["software"].erase("cudnn_version");
  const Report r = report_from_json(j);
  EXPECT_FALSE(r.gpus[0].temperature_c.has_value());
  EXPECT_FALSE(r.software.cudnn_version.has_value());
  EXPECT_EQ(r.software.cublas_version, std::optional<std::string>("13.0.0"));
}

TEST(ReportJson, ComputeCapabilityParsing) {
  json j = to_json(Report{});
  j["gpus"] = json::array({json{{"index", 0}, {"compute_capability", "9.0"}},
                           json{{"index", 1}, {"compute_capability", "10.0"}},
                           json{{"index", 2}, {"compute_capability", "8.6"}},
                           json{{"index", 3}, {"compute_capability", "12"}}});
  const Report r = report_from_json(j);
  ASSERT_EQ(r.gpus.size(), 4u);
  EXPECT_EQ(r.gpus[0].cc_major, 9);
  EXPECT_EQ(r.gpus[0].cc_minor, 0);
  EXPECT_EQ(r.gpus[1].cc_major, 10);
  EXPECT_EQ(r.gpus[1].cc_minor, 0);
  EXPECT_EQ(r.gpus[2].cc_major, 8);
  EXPECT_EQ(r.gpus[2].cc_minor, 6);
  EXPECT_EQ(r.gpus[3].cc_major, 12);
  EXPECT_EQ(r.gpus[3].cc_minor, 0);
}

TEST(ReportJson, BadComputeCapabilityIsReportError) {
  for (const char* cc : {"abc", "9.x", ".5"}) {
    SCOPED_TRACE(cc);
    json j = to_json(Report{});
    j["gpus"] = json::array({json{{"compute_capability", cc}}});
    try {
      report_from_json(j);
      ADD_FAILURE() << "accepted compute_capability " << cc;
    } catch (const ReportError& e) {
      EXPECT_NE(std::string(e.what()).find("compute_capability"), std::string::npos) << e.what();
    }
  }
}

TEST(ReportJson, WrongSchemaNamesBothVersions) {
  json j = to_json(full_report());
  j["schema"] = "gpuprobe.report/2";
  try {
    report_from_json(j);
    FAIL() << "schema 2 accepted";
  } catch (const ReportError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gpuprobe.report/2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gpuprobe.report/1"), std::string::npos) << msg;
  }
}

TEST(ReportJson, MissingSchemaRejected) {
  json j = to_json(full_report());
  j.erase("schema");
  try {
    report_from_json(j);
    FAIL() << "report without schema accepted";
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("schema"), std::string::npos) << e.what();
  }
  j["schema"] = 1;  // not a string
  EXPECT_THROW(report_from_json(j), ReportError);
}

TEST(ReportJson, NonObjectRejected) {
  EXPECT_THROW(report_from_json(json::array({1, 2})), ReportError);
  EXPECT_THROW(report_from_json(json("gpuprobe.report/1")), ReportError);
  EXPECT_THROW(report_from_json(json(nullptr)), ReportError);
  EXPECT_THROW(report_from_json(json(42)), ReportError);
}

TEST(ReportJson, BadStatusStringRejected) {
  json j = to_json(full_report());
  j["checks"][0]["status"] = "passed";
  try {
    report_from_json(j);
    FAIL() << "unknown status accepted";
  } catch (const ReportError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("passed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("driver"), std::string::npos) << msg;  // names the check
  }
}

TEST(ReportJson, CheckWithoutIdOrNotObjectRejected) {
  json j = to_json(full_report());
  j["checks"][0].erase("id");
  EXPECT_THROW(report_from_json(j), ReportError);
  json k = to_json(full_report());
  k["checks"][0] = "driver";
  EXPECT_THROW(report_from_json(k), ReportError);
  json g = to_json(full_report());
  g["gpus"][0] = 7;
  EXPECT_THROW(report_from_json(g), ReportError);
}

struct WrongType {
  const char* name;
  void (*mutate)(json&);
  const char* field;  // expected to be named in the message
};

TEST(ReportJson, WrongFieldTypesAreReportErrors) {
  const WrongType cases[] = {
      {"gpus not an array", [](json& j) { j["gpus"] = json{{"index", 0}}; }, "gpus"},
      {"checks not an array", [](json& j) { j["checks"] = "none"; }, "checks"},
      {"benchmarks not an array", [](json& j) { j["benchmarks"] = 3; }, "benchmarks"},
      {"host not an object", [](json& j) { j["host"] = json::array(); }, "host"},
      {"software not an object", [](json& j) { j["software"] = "x"; }, "software"},
      {"exit_code a string", [](json& j) { j["exit_code"] = "one"; }, "exit_code"},
      {"label a number", [](json& j) { j["label"] = 5; }, "label"},
      {"cpu_count a string", [](json& j) { j["host"]["cpu_count"] = "four"; }, "cpu_count"},
      {"device_nodes a string", [](json& j) { j["host"]["device_nodes"] = "/dev/nvidia0"; }, "device_nodes"},
      {"cuda_driver_version a string", [](json& j) { j["software"]["cuda_driver_version"] = "13.0"; },
       "cuda_driver_version"},
      {"sm_count a string", [](json& j) { j["gpus"][0]["sm_count"] = "80"; }, "sm_count"},
      {"status a number", [](json& j) { j["checks"][0]["status"] = 0; }, "status"},
      {"duration_ms a string", [](json& j) { j["checks"][0]["duration_ms"] = "fast"; }, "duration_ms"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json j = to_json(full_report());
    c.mutate(j);
    try {
      report_from_json(j);
      ADD_FAILURE() << "accepted: " << c.name;
    } catch (const ReportError& e) {
      EXPECT_NE(std::string(e.what()).find(c.field), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw a non-ReportError: " << e.what();
    }
  }
}

TEST(ReportJsonBenchmarks, AnEntryOfBenchReadsIntoFieldsAndWritesBackTheSameBytes) {
  const std::string text =
      R"x({"details":{"algorithm":7},"implementation":"library","label":"square","max":137.4,"min":34.3,)x"
      R"x("name":"matmul/cublas/bf16","params":{"k":4096,"m":4096,"n":4096},"peak":989.0,"peak_percent":6.9,)x"
      R"x("power_capped":true,"rel_spread":0.65,"samples":3,"scope":"gpu","sm_clock_mhz":{"max":1980,"median":1700.0,"min":1650.5},)x"
      R"x("status":"ok","stop":"converged","throttle_reasons":["thermal (HW)"],"throttled":true,)x"
      R"x("time_ms":{"max":4.0,"median":2.0,"min":1.0},"unit":"TFLOP/s","value":68.7,"verification":"Freivalds: ok",)x"
      R"x("verified":true,"wall_seconds":0.75,"warmup_runs":4})x";
  const auto b = benchmarks_from_json(json::array({json::parse(text)}));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].extra.empty()) << b[0].extra.dump();
  EXPECT_EQ(b[0].implementation, "library");
  EXPECT_EQ(b[0].samples, 3u);
  ASSERT_TRUE(b[0].sm_clock_mhz && b[0].sm_clock_mhz->max);
  EXPECT_EQ(*b[0].sm_clock_mhz->max, 1980u);
  EXPECT_DOUBLE_EQ(b[0].time_ms->max, 4.0);
  EXPECT_EQ(to_json(b[0]).dump(), text);
}

TEST(ReportJsonBenchmarks, OtherFieldsAndOddTypesAreKeptAsRead) {
  // Another tool's fields, and bench's own fields with a type this reader does not take, are not
  // an error: compare ignores them and the writer puts them back unchanged.
  const json in = {{"name", "x"}, {"tflops", 123.4}, {"sizes", {1024, 2048}}, {"label", 5}, {"samples", {1, 2}},
                   {"details", json::object()}, {"sm_clock_mhz", {{"median", 1.0}}}, {"reason", nullptr}};
  const auto b = benchmarks_from_json(json::array({in}));
  EXPECT_FALSE(b[0].label);
  EXPECT_FALSE(b[0].samples);
  EXPECT_FALSE(b[0].sm_clock_mhz);
  EXPECT_EQ(b[0].extra.size(), 7u) << b[0].extra.dump();
  json out = to_json(b[0]);
  for (const auto& [k, v] : in.items()) EXPECT_EQ(out[k], v) << k;
  // The shape every reader relies on is written in full, null when unknown.
  EXPECT_TRUE(out["value"].is_null());
  EXPECT_EQ(out["status"], "ok");
  EXPECT_EQ(benchmarks_from_json(json::array({out})), b);
}

// Schema 1.3: what an entry measured (`scope`) and, for one of several GPUs, which one.
TEST(ReportJsonBenchmarks, ScopeAndGpuRoundTrip) {
  Benchmark g;
  g.name = "matmul/cublas/bf16";
  g.gpu = 3;
  g.gpu_uuid = "GPU-0d3f";
  Benchmark n;
  n.name = "matmul/cublas/bf16";
  n.scope = BenchScope::node;
  const json j = to_json(std::vector<Benchmark>{g, n});
  EXPECT_EQ(j[0]["scope"], "gpu");
  EXPECT_EQ(j[0]["gpu"], 3);
  EXPECT_EQ(j[0]["gpu_uuid"], "GPU-0d3f");
  EXPECT_EQ(j[1]["scope"], "node");
  EXPECT_FALSE(j[1].contains("gpu"));
  const auto back = benchmarks_from_json(j);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], g);
  EXPECT_EQ(back[1], n);
  EXPECT_TRUE(back[1].extra.empty());
  // A report without the field (schema 1.2 and older) holds one-GPU entries; a scope this reader does
  // not know, or a gpu that is not an index, is kept as read.
  const auto old = benchmarks_from_json(json::array({json{{"name", "a"}}}));
  EXPECT_EQ(old[0].scope, BenchScope::gpu);
  EXPECT_FALSE(old[0].gpu);
  const auto odd = benchmarks_from_json(json::array({json{{"name", "a"}, {"scope", "rack"}, {"gpu", -1}}}));
  EXPECT_EQ(odd[0].scope, BenchScope::gpu);
  EXPECT_FALSE(odd[0].gpu);
  EXPECT_EQ(odd[0].extra, (json{{"scope", "rack"}, {"gpu", -1}}));
}

TEST(ReportJsonBenchmarks, ShapeErrorsNameTheEntryAndField) {
  auto error_of = [](const json& entries) {
    try {
      (void)benchmarks_from_json(entries);
    } catch (const ReportError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_of(json::array({json{{"name", "a"}}, json{{"name", "b"}, {"value", "fast"}}})),
            "benchmarks[1]: 'value' must be a number or null");
  EXPECT_EQ(error_of(json::array({json{{"name", "a"}, {"verified", 1}}})),
            "benchmarks[0]: 'verified' must be true, false or null");
  EXPECT_EQ(error_of(json::array({json{{"name", "a"}, {"status", "great"}}})),
            "benchmarks[0]: unknown status 'great' (ok, failed, skipped)");
  EXPECT_EQ(error_of(json::array({json{{"unit", "x"}}})), "benchmarks[0] has no 'name'");
  EXPECT_EQ(error_of(json::array({3})), "benchmarks[0] must be an object");
  EXPECT_EQ(error_of(json(nullptr)), "");
}

TEST(ReportJsonCloud, WrittenBesideEc2AndNullOffACloud) {
  const json j = to_json(full_report());
  EXPECT_EQ(j["host"]["cloud"], (json{{"provider", "aws"}, {"instance_type", "g5.xlarge"}, {"region", "us-east-1"}}));
  EXPECT_EQ(j["host"]["ec2"]["instance_type"], "g5.xlarge");
  Report local;
  EXPECT_TRUE(to_json(local)["host"]["cloud"].is_null());
  local.host.cloud = CloudInfo{"aws", "", std::nullopt};
  EXPECT_TRUE(to_json(local)["host"]["cloud"]["region"].is_null());
}

TEST(ReportJsonCloud, AnOldReportWithEc2OnlyReadsAsTheNewOneWithCloud) {
  for (const char* name : {"p5", "local"}) {
    const Report old_report = testing::fixture(name);  // schema 1.0: host.ec2 only
    ASSERT_EQ(old_report.schema, "gpuprobe.report/1");
    json j = to_json(old_report);  // what this version writes for the same machine
    j["schema"] = kReportSchema;
    ASSERT_TRUE(j["host"].contains("cloud"));
    const Report new_report = report_from_json(j);
    EXPECT_EQ(new_report.host.cloud, old_report.host.cloud) << name;
    EXPECT_EQ(render_header(new_report, TableStyle{}), render_header(old_report, TableStyle{})) << name;
    EXPECT_TRUE(environment_rows({old_report, new_report}, false).empty()) << name;
  }
  const Report p5 = testing::fixture("p5");
  EXPECT_EQ(p5.host.cloud, (CloudInfo{"aws", "p5.48xlarge", std::nullopt}));
  EXPECT_FALSE(testing::fixture("local").host.cloud);
}

TEST(ReportJsonCloud, CloudWinsOverEc2AndNullMeansNone) {
  json j = to_json(full_report());
  j["host"]["cloud"] = {{"provider", "gcp"}, {"instance_type", "a3-highgpu-8g"}, {"region", "us-central1"}};
  Report r = report_from_json(j);
  EXPECT_EQ(r.host.cloud, (CloudInfo{"gcp", "a3-highgpu-8g", "us-central1"}));
  EXPECT_NE(render_header(r, TableStyle{}).find(" · gcp a3-highgpu-8g"), std::string::npos);
  j["host"]["cloud"] = nullptr;
  EXPECT_FALSE(report_from_json(j).host.cloud);
  j["host"]["cloud"] = 3;
  EXPECT_THROW(report_from_json(j), ReportError);
}

TEST(ReportJson, StatusStrings) {
  for (Status s : {Status::pass, Status::warn, Status::fail, Status::skip})
    EXPECT_EQ(status_from_string(to_string(s)), s);
  EXPECT_FALSE(status_from_string("PASS").has_value());
  EXPECT_FALSE(status_from_string("").has_value());
}

TEST(ReportJson, NowIso8601Shape) {
  const std::string t = now_iso8601_utc();
  ASSERT_EQ(t.size(), 20u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[7], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t[13], ':');
  EXPECT_EQ(t[16], ':');
  EXPECT_EQ(t[19], 'Z');
}

}  // namespace
}  // namespace gpuprobe

namespace gpuprobe {
namespace {
// Integers are range-checked when read (the fuzzer found 3.4e109 in memory_total_bytes).
TEST(ReportJsonIntegers, OutOfRangeOrNonIntegralValuesAreRejected) {
  auto base = to_json(Report{});
  struct Case { const char* where; const char* field; nlohmann::json value; };
  const Case cases[] = {
      {"host", "memory_total_bytes", 3.4e109},  {"host", "memory_total_bytes", -1},
      {"host", "cpu_count", 1e10},               {"host", "cpu_count", 2.5},
      {"software", "cuda_driver_version", -1e300}, {"", "exit_code", std::numeric_limits<double>::infinity()},
      {"", "exit_code", 4294967296LL},
  };
  for (const auto& c : cases) {
    auto j = base;
    (c.where[0] ? j[c.where] : j)[c.field] = c.value;
    EXPECT_THROW(report_from_json(j), ReportError) << c.where << "." << c.field << " = " << c.value.dump();
  }
  auto ok = base;
  ok["host"]["memory_total_bytes"] = 1.6e10;  // an integral float in range is fine
  ok["host"]["cpu_count"] = 64;
  const Report r = report_from_json(ok);
  EXPECT_EQ(r.host.memory_total_bytes, 16000000000ULL);
  EXPECT_EQ(r.host.cpu_count, 64);
}

TEST(ReportJsonSchema, MinorVersionsOfTheSameMajorAreRead) {
  auto j = to_json(Report{});
  j["schema"] = "gpuprobe.report/1.4";
  EXPECT_NO_THROW(report_from_json(j));
  j["schema"] = "gpuprobe.report/2";
  EXPECT_THROW(report_from_json(j), ReportError);
}
}  // namespace
}  // namespace gpuprobe
