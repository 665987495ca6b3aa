#include "gpuprobe/report/catalog.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/compare_render.hpp"

namespace gpuprobe {
namespace {

using nlohmann::json;
using std::nullopt;

// GPUs of the AWS families (datasheet, dense; nullopt where the reference gives no firm figure).
GpuModel k80() { return {"K80 (one GK210)", 3, 7, 12, 4.4, nullopt, nullopt, 240}; }
GpuModel v100() { return {"V100 SXM2", 7, 0, 16, 15.7, nullopt, 125, 900}; }
GpuModel t4() { return {"T4", 7, 5, 16, 8.1, nullopt, 65, 320}; }
GpuModel a10g() { return {"A10G", 8, 6, 24, nullopt, nullopt, nullopt, 600}; }
GpuModel l4() { return {"L4", 8, 9, 24, 30.3, 60, 121, 300}; }
GpuModel l40s() { return {"L40S", 8, 9, 48, 91.6, 183, 362, 864}; }
GpuModel a100_40() { return {"A100 SXM 40GB", 8, 0, 40, 19.5, 156, 312, 1555}; }
GpuModel h100() { return {"H100 SXM 80GB", 9, 0, 80, 67, 494.5, 989, 3350}; }
GpuModel h200() { return {"H200 141GB", 9, 0, 141, 67, 494.5, 989, 4800}; }
GpuModel b200() { return {"B200", 10, 0, nullopt, nullopt, nullopt, nullopt, nullopt}; }

Catalog make_builtin() {
  Catalog c;
  c.instances = {
      {"p2.xlarge", "p2", 1, k80()},
      {"p3.2xlarge", "p3", 1, v100()},
      {"g4dn.xlarge", "g4dn", 1, t4()},
      {"g5.xlarge", "g5", 1, a10g()},
      {"g6.xlarge", "g6", 1, l4()},
      {"g6e.xlarge", "g6e", 1, l40s()},
      {"p4d.24xlarge", "p4d", 8, a100_40()},
      {"p5.48xlarge", "p5", 8, h100()},
      {"p5e.48xlarge", "p5e", 8, h200()},
      {"p5en.48xlarge", "p5en", 8, h200()},
      {"p6-b200.48xlarge", "p6-b200", 8, b200()},
  };
  c.prices.region = "us-east-1";
  c.prices.date = "2025-06";
  c.prices.source =
      "on-demand Linux, gpuprobe reference facts (after AWS's June 2025 P4/P5 price cut; day not recorded; "
      "p2 is the seed article's figure)";
  c.prices.per_hour = {
      {"p2.xlarge", 0.90},     {"p3.2xlarge", 3.06},    {"g4dn.xlarge", 0.526},
      {"g5.xlarge", 1.006},    {"g6.xlarge", 0.805},    {"g6e.xlarge", 1.861},
      {"p4d.24xlarge", 21.96}, {"p5.48xlarge", 55.04},  {"p5en.48xlarge", 63.296},
  };
  return c;
}

std::string num(const std::optional<double>& v, const char* fmt = "%g") {
  if (!v) return "unknown";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, *v);
  return buf;
}

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

const Catalog& builtin_catalog() {
  static const Catalog c = make_builtin();
  return c;
}

const InstanceType* find_instance(const Catalog& c, const std::string& name) {
  for (const auto& i : c.instances)
    if (i.name == name) return &i;
  return nullptr;
}

std::string family_of(const std::string& instance_type) { return instance_type.substr(0, instance_type.find('.')); }

const InstanceType* find_family(const Catalog& c, const std::string& instance_type) {
  if (instance_type.find('.') == std::string::npos) return nullptr;
  const std::string fam = family_of(instance_type);
  for (const auto& i : c.instances)
    if (i.family == fam) return &i;
  return nullptr;
}

std::optional<double> price_of(const Catalog& c, const std::string& instance_type) {
  auto it = c.prices.per_hour.find(instance_type);
  if (it == c.prices.per_hour.end()) return std::nullopt;
  return it->second;
}

int cuda_major_of(const std::string& version) {
  int major = 0;
  std::size_t i = 0;
  while (i < version.size() && version[i] >= '0' && version[i] <= '9' && major < 1000) major = major * 10 + (version[i++] - '0');
  return i == 0 ? 0 : major;
}

CudaSupport cuda_support(int cc_major, int cc_minor, int cuda_major) {
  const int cc = cc_major * 10 + cc_minor;
  if (cuda_major <= 0) return {false, "CUDA version unknown"};
  if (cc < 35) return {cuda_major <= 10, cuda_major <= 10 ? "" : "needs CUDA ≤ 10"};
  if (cc < 50) return {cuda_major <= 11, cuda_major <= 11 ? "" : "needs a CUDA 11 image and driver ≤ R470"};
  if (cc < 75) return {cuda_major <= 12, cuda_major <= 12 ? "" : "needs a CUDA 12 image (CUDA 13 dropped cc < 7.5)"};
  if (cc >= 100) return {cuda_major >= 12, cuda_major >= 12 ? "" : "needs CUDA 12.8 or newer"};
  if (cc >= 80) return {cuda_major >= 11, cuda_major >= 11 ? "" : "needs CUDA 11 or newer"};
  return {cuda_major >= 10, cuda_major >= 10 ? "" : "needs CUDA 10 or newer"};
}

PriceTable prices_from_json(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("a prices file must be a JSON object");
  auto str = [&](const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) throw std::invalid_argument(std::string("prices file: '") + key + "' is required");
      return std::string();
    }
    if (!it->is_string()) throw std::invalid_argument(std::string("prices file: '") + key + "' must be a string");
    return it->get<std::string>();
  };
  PriceTable t;
  t.region = str("region", true);
  t.date = str("date", true);
  t.source = str("source", false);
  auto it = j.find("prices");
  if (it == j.end() || !it->is_object())
    throw std::invalid_argument("prices file: 'prices' must be an object of instance type → $/hour");
  for (auto p = it->begin(); p != it->end(); ++p) {
    if (!p->is_number() || !std::isfinite(p->get<double>()) || p->get<double>() < 0)
      throw std::invalid_argument("prices file: price of '" + p.key() + "' must be a non-negative number");
    t.per_hour[p.key()] = p->get<double>();
  }
  return t;
}

void attach_prices(Comparison& comparison, const Catalog& c) {
  comparison.prices_note = c.prices.region + " on-demand $/hour, taken " + c.prices.date;
  for (auto& col : comparison.columns) {
    if (col.instance_type.empty() && (find_instance(c, col.label) || price_of(c, col.label))) col.instance_type = col.label;
    col.price_per_hour = col.instance_type.empty() ? std::nullopt : price_of(c, col.instance_type);
    const InstanceType* known = col.instance_type.empty() ? nullptr : find_instance(c, col.instance_type);
    col.instance_gpus = known ? std::optional<int>(known->gpu_count) : std::nullopt;
  }
}

std::string render_instances_text(const Catalog& c, int cuda_major, const std::string& cuda_version) {
  Table t{{"instance", "GPUs", "memory", "cc", "$/hour", "FP32 TF", "BF16 TF", "GB/s",
           "CUDA " + (cuda_version.empty() ? std::to_string(cuda_major) : cuda_version)}};
  for (const auto& i : c.instances) {
    const auto s = cuda_support(i.gpu.cc_major, i.gpu.cc_minor, cuda_major);
    const auto price = price_of(c, i.name);
    t.push_back({i.name, std::to_string(i.gpu_count) + "× " + i.gpu.name,
                 i.gpu.memory_gb ? num(i.gpu.memory_gb) + " GB" : "unknown",
                 std::to_string(i.gpu.cc_major) + "." + std::to_string(i.gpu.cc_minor),
                 price ? num(price, "%.3f") : "unknown", num(i.gpu.peak_fp32_tflops), num(i.gpu.peak_fp16_tflops),
                 num(i.gpu.peak_mem_gb_s), s.supported ? "yes" : "no: " + s.note});
  }
  std::ostringstream os;
  os << text_table(t) << "\nprices: " << c.prices.region << ", on-demand $/hour, taken " << c.prices.date;
  if (!c.prices.source.empty()) os << " (" << c.prices.source << ")";
  os << "; check before publishing, override with --prices FILE\n"
     << "peaks: datasheet, dense, per GPU; BF16 column is FP16 for V100 and T4; unknown where not confirmed\n";
  return printable(os.str(), true);
}

json instances_to_json(const Catalog& c, int cuda_major, const std::string& cuda_version) {
  json list = json::array();
  for (const auto& i : c.instances) {
    const auto s = cuda_support(i.gpu.cc_major, i.gpu.cc_minor, cuda_major);
    const auto price = price_of(c, i.name);
    list.push_back({
        {"instance_type", i.name},
        {"family", i.family},
        {"gpu", i.gpu.name},
        {"gpu_count", i.gpu_count},
        {"gpu_memory_gb", opt_json(i.gpu.memory_gb)},
        {"compute_capability", std::to_string(i.gpu.cc_major) + "." + std::to_string(i.gpu.cc_minor)},
        {"peak_fp32_tflops", opt_json(i.gpu.peak_fp32_tflops)},
        {"peak_tf32_tflops", opt_json(i.gpu.peak_tf32_tflops)},
        {"peak_fp16_tflops", opt_json(i.gpu.peak_fp16_tflops)},
        {"peak_memory_gb_per_s", opt_json(i.gpu.peak_mem_gb_s)},
        {"price_per_hour", opt_json(price)},
        {"supported_by_this_build", s.supported},
        {"support_note", s.note},
    });
  }
  return json{
      {"cuda_toolkit", cuda_version},
      {"prices", {{"region", c.prices.region}, {"date", c.prices.date}, {"source", c.prices.source},
                  {"currency", "USD"}, {"unit", "per hour, on-demand, Linux"}}},
      {"instances", list},
  };
}

}  // namespace gpuprobe
