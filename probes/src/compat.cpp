#include "gpuprobe/probes/compat.hpp"

#include <cctype>
#include <sstream>

#include "gpuprobe/report/render.hpp"

namespace gpuprobe {

std::optional<int> min_driver_branch_for_major(int cuda_major) {
  // CUDA minor version compatibility (docs.nvidia.com/deploy/cuda-compatibility).
  switch (cuda_major) {
    case 13: return 580;
    case 12: return 525;
    case 11: return 450;
    default: return std::nullopt;
  }
}

std::string ga_driver_for_cuda(int v) {
  // Linux x86_64 driver each toolkit release shipped with (CUDA release notes, table 3).
  struct Row { int cuda; const char* driver; };
  static const Row rows[] = {
      {13000, "580.65.06"}, {12090, "575.51.03"}, {12080, "570.26"},    {12060, "560.28.03"},
      {12050, "555.42.02"}, {12040, "550.54.14"}, {12030, "545.23.06"}, {12020, "535.54.03"},
      {12010, "530.30.02"}, {12000, "525.60.13"}, {11080, "520.61.05"}, {11070, "515.43.04"},
      {11060, "510.39.01"}, {11050, "495.29.05"}, {11040, "470.42.01"}, {11030, "465.19.01"},
      {11020, "460.27.03"}, {11010, "455.23"},    {11000, "450.36.06"},
  };
  for (const auto& r : rows)
    if (r.cuda == v) return r.driver;
  return "";
}

std::string image_version_for_driver(int driver_cuda) {
  // Last patch release of each minor line that nvidia/cuda publishes images for.
  struct Row { int cuda; const char* image; };
  static const Row rows[] = {
      {13000, "13.0.2"}, {12090, "12.9.1"}, {12080, "12.8.1"}, {12060, "12.6.3"}, {12050, "12.5.1"},
      {12040, "12.4.1"}, {12030, "12.3.2"}, {12020, "12.2.2"}, {12010, "12.1.1"}, {12000, "12.0.1"},
      {11080, "11.8.0"}, {11070, "11.7.1"}, {11060, "11.6.2"}, {11040, "11.4.3"}, {11030, "11.3.1"},
      {11020, "11.2.2"}, {11010, "11.1.1"}, {11000, "11.0.3"},
  };
  for (const auto& r : rows)
    if (r.cuda <= driver_cuda) return r.image;
  return "";
}

CompatAssessment assess_driver_runtime(int driver_cuda, int runtime_cuda, const std::string& driver_version) {
  CompatAssessment a;
  const std::string drv = (driver_version.empty() ? std::string("the driver") : "driver " + driver_version) +
                          " supports CUDA " + format_cuda_version(driver_cuda);
  const std::string rt = "this binary uses CUDA runtime " + format_cuda_version(runtime_cuda);
  const int drv_major = driver_cuda / 1000, rt_major = runtime_cuda / 1000;
  if (driver_cuda >= runtime_cuda) {
    a.message = drv + "; " + rt;
    return a;
  }
  if (drv_major == rt_major) {
    // Minor version compatibility: runs, but PTX JIT of newer PTX and new APIs are unavailable.
    a.status = Status::warn;
    a.reason = "minor_version_compat";
    a.message = drv + ", older than runtime " + format_cuda_version(runtime_cuda) +
                ": running through minor-version compatibility";
    const std::string ga = ga_driver_for_cuda(runtime_cuda);
    a.hint = "works for SASS built for this GPU; PTX JIT of newer PTX fails (error 222). Upgrade the host driver "
             "to " + (ga.empty() ? std::string("a newer release") : ga + " or newer") +
             " to remove the restriction";
    return a;
  }
  a.status = Status::fail;
  a.reason = "driver_too_old";
  a.message = drv + ", too old for this binary's CUDA runtime " + format_cuda_version(runtime_cuda) +
              " (CUDA reports this as error 35, 'driver version is insufficient')";
  std::ostringstream hint;
  const auto branch = min_driver_branch_for_major(rt_major);
  hint << "upgrade the host driver to ";
  if (branch) hint << "branch " << *branch << " or newer";
  else hint << "one that supports CUDA " << format_cuda_version(runtime_cuda);
  const std::string image = image_version_for_driver(driver_cuda);
  if (!image.empty())
    hint << ", or use an image this driver runs: nvidia/cuda:" << image
         << "-cudnn-runtime-* (rebuild gpuprobe with --build-arg CUDA_VERSION=" << image << ")";
  a.hint = hint.str();
  return a;
}

std::optional<std::vector<ArchEntry>> parse_arch_list(const std::string& list) {
  std::vector<ArchEntry> out;
  std::string item;
  std::istringstream in(list);
  auto find_or_add = [&](int sm, char suffix) -> ArchEntry& {
    for (auto& e : out)
      if (e.sm == sm && e.suffix == suffix) return e;
    out.push_back(ArchEntry{sm, suffix, false, false});
    return out.back();
  };
  std::string norm = list;
  for (auto& ch : norm)
    if (ch == ';') ch = ',';
  in.str(norm);
  while (std::getline(in, item, ',')) {
    item = item.substr(0, item.find_last_not_of(" \t") + 1);
    item = item.substr(std::min(item.size(), item.find_first_not_of(" \t")));
    if (item.empty()) continue;
    std::size_t i = 0;
    while (i < item.size() && std::isdigit(static_cast<unsigned char>(item[i]))) ++i;
    if (i == 0) return std::nullopt;  // all, all-major, native, garbage
    const int sm = std::stoi(item.substr(0, i));
    char suffix = 0;
    if (i < item.size() && (item[i] == 'a' || item[i] == 'f')) suffix = item[i++];
    const std::string kind = item.substr(i);
    ArchEntry& e = find_or_add(sm, suffix);
    if (kind.empty()) e.sass = e.ptx = true;
    else if (kind == "-real") e.sass = true;
    else if (kind == "-virtual") e.ptx = true;
    else return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

ArchAssessment assess_arch(int cc_major, int cc_minor, const std::vector<ArchEntry>& archs) {
  const int cc = cc_major * 10 + cc_minor;
  ArchAssessment best;
  // 1. SASS built for exactly this device.
  for (const auto& e : archs)
    if (e.sass && e.sm == cc) return {ArchSupport::sass_exact, e.sm};
  // 2. SASS of the same major, lower minor (binary compatible), not arch-specific ('a').
  for (const auto& e : archs)
    if (e.sass && e.suffix != 'a' && e.sm / 10 == cc_major && e.sm < cc && e.sm > best.via_sm)
      best = {ArchSupport::sass_compatible, e.sm};
  if (best.support == ArchSupport::sass_compatible) return best;
  // 3. PTX the driver can JIT: any plain virtual arch not newer than the device.
  for (const auto& e : archs)
    if (e.ptx && e.suffix == 0 && e.sm <= cc && e.sm > best.via_sm) best = {ArchSupport::ptx_jit, e.sm};
  return best;
}

std::string describe_archs(const std::vector<ArchEntry>& archs) {
  std::string sass, ptx;
  for (const auto& e : archs) {
    const std::string n = std::to_string(e.sm) + (e.suffix ? std::string(1, e.suffix) : "");
    if (e.sass) sass += (sass.empty() ? "" : ", ") + ("sm_" + n);
    if (e.ptx) ptx += (ptx.empty() ? "" : ", ") + ("compute_" + n);
  }
  std::string out = sass.empty() ? "no SASS" : "SASS " + sass;
  if (!ptx.empty()) out += " + PTX " + ptx;
  return out;
}

int min_cc_for_cuda_major(int cuda_major) {
  if (cuda_major >= 13) return 75;
  if (cuda_major == 12) return 50;
  if (cuda_major == 11) return 35;
  return 30;
}

std::string gpus_of_cc(int cc_major, int cc_minor) {
  switch (cc_major * 10 + cc_minor) {
    case 37: return "K80 (p2)";
    case 60: return "P100";
    case 61: return "P4/P40/GTX 10xx";
    case 70: return "V100 (p3)";
    case 75: return "T4 (g4dn)";
    case 80: return "A100 (p4d)";
    case 86: return "A10G (g5)";
    case 89: return "L4/L40S (g6, g6e)";
    case 90: return "H100/H200 (p5, p5e, p5en)";
    case 100: return "B200 (p6-b200)";
    default: return "";
  }
}

double pcie_link_gbps(int gen, int width) {
  // Per-lane transfer rate (GT/s) and line-code efficiency by generation.
  double gts = 0, eff = 0;
  switch (gen) {
    case 1: gts = 2.5; eff = 8.0 / 10.0; break;
    case 2: gts = 5.0; eff = 8.0 / 10.0; break;
    case 3: gts = 8.0; eff = 128.0 / 130.0; break;
    case 4: gts = 16.0; eff = 128.0 / 130.0; break;
    case 5: gts = 32.0; eff = 128.0 / 130.0; break;
    case 6: gts = 64.0; eff = 242.0 / 256.0; break;  // PAM4 + FLIT: FLIT payload efficiency
    default: return 0.0;
  }
  return gts * eff * width / 8.0;
}

}  // namespace gpuprobe
