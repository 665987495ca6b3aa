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

// Interconnects. NVLink: NVIDIA's datasheets give the per-GPU total of both directions (A100 SXM
// 600 GB/s, H100 SXM and H200 900 GB/s, B200 1.8 TB/s); PCIe: each GPU's host interface as its
// datasheet states it. EFA: AWS's instance pages and the EC2 User Guide ("Maximize network bandwidth
// … with multiple network cards": 32 EFA interfaces for P5 and P5e); EFA exists only on larger sizes
// of the g families and on p3dn, not on the one-GPU sizes listed here.
constexpr const char* kAsOf = "2026-12";
Interconnect one_gpu(const char* pcie, const char* source) {
  return {"none (one GPU)", nullopt, pcie, 0, nullopt, source, kAsOf, nullopt, nullopt, "", false};
}
Interconnect nvswitch(const char* link, std::optional<double> nvlink, const char* pcie, std::optional<int> efa,
                      std::optional<double> efa_gbps, const char* source) {
  return {link, nvlink, pcie, efa, efa_gbps, source, kAsOf, nullopt, nullopt, "", false};
}

Catalog make_builtin() {
  Catalog c;
  c.instances = {
      {"p2.xlarge", "p2", 1, k80(), one_gpu("PCIe 3.0 x16", "Tesla K80 datasheet (the board's link); AWS EFA instance types")},
      {"p3.2xlarge", "p3", 1, v100(), one_gpu("PCIe 3.0 x16", "Tesla V100 datasheet; AWS EFA instance types (p3dn only)")},
      {"g4dn.xlarge", "g4dn", 1, t4(), one_gpu("PCIe 3.0 x16", "T4 datasheet; AWS EFA instance types (8xlarge and up)")},
      // A10G is AWS's variant of the A10: no NVIDIA datasheet gives its host link.
      {"g5.xlarge", "g5", 1, a10g(), one_gpu("unknown", "AWS EFA instance types (8xlarge and up)")},
      {"g6.xlarge", "g6", 1, l4(), one_gpu("PCIe 4.0 x16", "L4 datasheet; AWS EFA instance types (8xlarge and up)")},
      {"g6e.xlarge", "g6e", 1, l40s(), one_gpu("PCIe 4.0 x16", "L40S datasheet; AWS EFA instance types (8xlarge and up)")},
      {"p4d.24xlarge", "p4d", 8, a100_40(),
       nvswitch("NVLink 3 through NVSwitch", 600, "PCIe 4.0 x16", 4, 400, "A100 datasheet; AWS P4 instance page")},
      {"p5.48xlarge", "p5", 8, h100(),
       nvswitch("NVLink 4 through NVSwitch", 900, "PCIe 5.0 x16", 32, 3200,
                "H100 SXM datasheet; AWS P5 instance page; EC2 User Guide, EFA configuration for P5")},
      {"p5e.48xlarge", "p5e", 8, h200(),
       nvswitch("NVLink 4 through NVSwitch", 900, "PCIe 5.0 x16", 32, 3200,
                "H200 datasheet; AWS P5 instance page; EC2 User Guide, EFA configuration for P5e")},
      {"p5en.48xlarge", "p5en", 8, h200(),
       nvswitch("NVLink 4 through NVSwitch", 900, "PCIe 5.0 x16", 16, 3200, "H200 datasheet; AWS P5en instance page")},
      {"p6-b200.48xlarge", "p6-b200", 8, b200(),
       nvswitch("NVLink 5 through NVSwitch", 1800, "unknown", nullopt, 3200, "HGX B200 datasheet; AWS P6 instance page")},
  };
  // NVLink links per GPU, for the topology check. NVIDIA's NVLink generations: NVLink 3 gives an
  // A100 12 links (600 GB/s), NVLink 4 an H100/H200 18 (900 GB/s); NVIDIA's NVLink health checks
  // expect 18 NVLink 5 links per Blackwell GPU. T4, A10G, L4, L40S have no NVLink: every size of
  // those families is PCIe only (AWS's GPU instance table: g5.12xlarge and g5.24xlarge "PCIe").
  // p3.2xlarge's one V100 says nothing of p3.16xlarge's NVLink 2 mesh: unknown.
  const auto links = [&c](const char* name, int count, std::optional<int> version, const char* source,
                          bool family_wide) {
    for (auto& i : c.instances)
      if (i.name == name) {
        i.interconnect.nvlink_links = count;
        i.interconnect.nvlink_version = version;
        i.interconnect.links_source = source;
        i.interconnect.links_family_wide = family_wide;
      }
  };
  constexpr const char* kNoNvlink = "no NVLink on this family's GPU (datasheet); PCIe only";
  links("p2.xlarge", 0, nullopt, kNoNvlink, true);
  links("g4dn.xlarge", 0, nullopt, kNoNvlink, true);
  links("g5.xlarge", 0, nullopt, "AWS GPU instance table: g5 multi-GPU sizes PCIe only", true);
  links("g6.xlarge", 0, nullopt, kNoNvlink, true);
  links("g6e.xlarge", 0, nullopt, kNoNvlink, true);
  links("p4d.24xlarge", 12, 3, "NVIDIA NVLink generations: A100, NVLink 3, 12 links per GPU", false);
  for (const char* p5 : {"p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge"})
    links(p5, 18, 4, "NVIDIA NVLink generations: H100/H200, NVLink 4, 18 links per GPU", false);
  links("p6-b200.48xlarge", 18, 5, "NVIDIA NVLink health checks: 18 NVLink 5 links per Blackwell GPU", false);
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

// instance, GPU link, NVLink GB/s, PCIe, EFA: the interconnect table's row.
std::vector<std::string> interconnect_cells(const InstanceType& i) {
  const Interconnect& x = i.interconnect;
  std::string efa = "unknown";
  if (x.efa_interfaces && *x.efa_interfaces == 0) efa = "none";
  else if (x.efa_interfaces) efa = std::to_string(*x.efa_interfaces) + " × EFA, " + num(x.efa_gbps) + " Gbps";
  else if (x.efa_gbps) efa = num(x.efa_gbps) + " Gbps (interfaces unknown)";
  return {i.name, x.gpu_link, x.nvlink_gb_s ? num(x.nvlink_gb_s) : (x.gpu_link.rfind("NVLink", 0) == 0 ? "unknown" : "—"),
          x.pcie, efa};
}

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

namespace {

// The instances table: GPUs, memory, cc, price, peaks, support by this build's CUDA.
Table instance_rows(const Catalog& c, int cuda_major, const std::string& cuda_version) {
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
  return t;
}

Table interconnect_rows(const Catalog& c) {
  Table links{{"instance", "GPU link", "NVLink GB/s (both ways)", "PCIe", "EFA"}};
  for (const auto& i : c.instances) links.push_back(interconnect_cells(i));
  return links;
}

std::string prices_line(const Catalog& c) {
  std::string line = c.prices.region + ", on-demand $/hour, taken " + c.prices.date;
  if (!c.prices.source.empty()) line += " (" + c.prices.source + ")";
  return line + "; check before publishing, override with --prices FILE";
}

constexpr const char* kPeaksLine =
    "datasheet, dense, per GPU; BF16 column is FP16 for V100 and T4; unknown where not confirmed";

}  // namespace

std::string render_instances_text(const Catalog& c, int cuda_major, const std::string& cuda_version) {
  std::ostringstream os;
  os << text_table(instance_rows(c, cuda_major, cuda_version))
     << "\ninterconnect (nominal, per GPU; EFA per instance):\n" << text_table(interconnect_rows(c), "  ")
     << "\nprices: " << prices_line(c) << "\npeaks: " << kPeaksLine << "\n"
     << "interconnect sources (recorded " << kAsOf << "; unknown where not confirmed):\n";
  for (const auto& i : c.instances) os << "  " << i.name << ": " << i.interconnect.source << "\n";
  return printable(os.str(), true);
}

std::string render_instances_markdown(const Catalog& c, int cuda_major, const std::string& cuda_version) {
  std::ostringstream os;
  os << "### gpuprobe instances\n\n" << markdown_table(instance_rows(c, cuda_major, cuda_version))
     << "\nPrices: " << md_escape(prices_line(c)) << ".\n\nPeaks: " << md_escape(kPeaksLine) << ".\n\n"
     << "#### Interconnect\n\nNominal, per GPU; EFA per instance; recorded " << kAsOf
     << ", unknown where not confirmed.\n\n";
  Table links = interconnect_rows(c);
  links[0].push_back("source");
  for (std::size_t r = 1; r < links.size(); ++r) links[r].push_back(c.instances[r - 1].interconnect.source);
  os << markdown_table(links);
  return os.str();
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
        {"interconnect",
         {{"gpu_link", i.interconnect.gpu_link},
          {"nvlink_gb_per_s", opt_json(i.interconnect.nvlink_gb_s)},
          {"pcie", i.interconnect.pcie},
          {"efa_interfaces", i.interconnect.efa_interfaces ? json(*i.interconnect.efa_interfaces) : json(nullptr)},
          {"efa_gbps", opt_json(i.interconnect.efa_gbps)},
          {"source", i.interconnect.source},
          {"as_of", i.interconnect.as_of}}},
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
