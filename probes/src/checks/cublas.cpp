// Check 9: cuBLAS present (loaded at run time, never linked), and on every GPU an FP32 GEMM and a
// tensor-core GEMM (BF16 on cc >= 8.0, FP16 on 7.x) verified element-wise against a float64 CPU
// reference of the same (rounded) inputs.
#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe::checks {
namespace {

struct GemmOutcome {
  std::string error;  // non-empty: did not run
  VerifyResult verify;
};

// One GEMM, C = A * B, column-major, m x n x k; `half_kind` = 0 for FP32, CUDA_R_16BF or CUDA_R_16F.
GemmOutcome run_gemm(const Cublas& cb, cublasHandle_t h, int m, int n, int k, int half_kind, double rel_tol) {
  GemmOutcome out;
  const std::uint64_t seed = fresh_seed();
  auto a = random_floats(static_cast<std::size_t>(m) * k, seed);
  auto b = random_floats(static_cast<std::size_t>(k) * n, seed + 1);
  std::vector<std::uint16_t> a16, b16;
  if (half_kind) {
    // Round the inputs as the GPU sees them; the reference then computes on identical values.
    auto conv = [&](std::vector<float>& v, std::vector<std::uint16_t>& o) {
      o.resize(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        o[i] = half_kind == CUDA_R_16BF ? float_to_bf16(v[i]) : float_to_half(v[i]);
        v[i] = half_kind == CUDA_R_16BF ? bf16_to_float(o[i]) : half_to_float(o[i]);
      }
    };
    conv(a, a16);
    conv(b, b16);
  }
  const std::size_t esz = half_kind ? 2 : 4;
  DeviceBuffer da(a.size() * esz), db(b.size() * esz), dc(static_cast<std::size_t>(m) * n * 4);
  GPUPROBE_CUDA_CALL(cudaMemcpy(da.get(), half_kind ? static_cast<const void*>(a16.data()) : a.data(), a.size() * esz, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemcpy(db.get(), half_kind ? static_cast<const void*>(b16.data()) : b.data(), b.size() * esz, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemset(dc.get(), 0xff, static_cast<std::size_t>(m) * n * 4));  // NaN poison
  const float alpha = 1.0f, beta = 0.0f;
  cublasStatus_t st;
  if (!half_kind)
    st = cb.sgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, da.as<const float>(), m, db.as<const float>(), k, &beta,
                  dc.as<float>(), m);
  else
    st = cb.gemm_ex(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, da.get(), static_cast<cudaDataType>(half_kind), m,
                    db.get(), static_cast<cudaDataType>(half_kind), k, &beta, dc.get(), CUDA_R_32F, m, CUBLAS_COMPUTE_32F,
                    CUBLAS_GEMM_DEFAULT);
  if (st != CUBLAS_STATUS_SUCCESS) {
    out.error = cb.status(st);
    return out;
  }
  std::vector<float> c(static_cast<std::size_t>(m) * n);
  GPUPROBE_CUDA_CALL(cudaMemcpy(c.data(), dc.get(), c.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<double> ref, mag;
  gemm_reference(m, n, k, a, b, ref, mag);
  out.verify = verify_against(c, ref, mag, rel_tol, 1e-6);
  return out;
}

}  // namespace

CheckResult cublas(ProbeContext& ctx) {
  const bool required = ctx.options().require.count("cublas") > 0;
  const std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  auto missing = [&](const std::string& why) {
    const LibraryAdvice a = cublas_missing_advice(detect_container(ctx.system()).detected);
    auto r = outcome(required ? Status::fail : Status::warn, "missing_library", a.message, a.hint);
    r.measured = why;
    return r;
  };
  if (!ctx.gpus_usable()) {
    // Nothing to compute on: find the files instead of loading half a gigabyte of library, where
    // cublas_lib() would load them from: through the loader, else in a CUDA toolkit folder the loader
    // does not search, else in a pip wheel (libcublasLt from the same folder).
    const std::string lt_name = "libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR);
    std::string path = find_library_file(soname, ctx.system()), lt, version, note;
    FoundLibrary off{"", "", LibSource::loader};  // where it was found when not through the loader
    if (!path.empty()) {
      lt = find_library_file(lt_name, ctx.system());
      version = version_from_library_path(path);
    } else if (off = find_library_off_loader_path(soname, ctx.system()); !off.file.empty()) {
      path = off.file;
      note = library_source_note(off.source, off.dir, off.file, ctx.system());
      // A wheel's file says the major only; its dist-info says the rest.
      if (off.source == LibSource::pip_wheel) version = wheel_distribution_version(path, "nvidia_cublas");
      if (version.empty()) version = version_from_library_path(path);
      lt = path.substr(0, path.rfind('/')) + "/" + lt_name;
      std::error_code ec;
      if (!std::filesystem::exists(lt, ec)) lt.clear();  // a resolved path, not one under the view's root
    }
    const std::string nowhere = "not found in the loader's paths, CUDA toolkit folders nor pip wheels";
    ctx.report().with([&](Report& r) {
      r.software.libraries["cublas"] = path.empty() ? "missing: " + nowhere : path;
      if (!version.empty()) r.software.cublas_version = version;
    });
    if (path.empty()) return missing(soname + " " + nowhere);
    if (lt.empty()) return missing(lt_name + " (needed by " + path + ") not found");
    auto r = skip("cuBLAS " + version + " present (" + (note.empty() ? path : note) + "); no GPU to compute on",
                  "no_gpu");
    r.measured = version;
    record_library_source(r, off.source, off.dir);
    return r;
  }
  const Cublas& cb = cublas_lib();
  ctx.report().with([&](Report& r) {
    r.software.libraries["cublas"] = cb.probe.lib.loaded() ? cb.probe.lib.path() : "missing: " + cb.probe.missing;
    if (!cb.probe.version.empty()) r.software.cublas_version = cb.probe.version;
  });
  if (!cb.probe.usable()) return missing(cb.probe.missing);
  // NVIDIA_TF32_OVERRIDE=1 makes "FP32" GEMMs use TF32: widen the tolerance to what TF32 allows.
  const auto tf32 = ctx.system().getenv("NVIDIA_TF32_OVERRIDE");
  const double fp32_tol = (tf32 && *tf32 == "1") ? 4e-3 : 1e-4;
  constexpr int m = 256, n = 192, k = 320;  // not square, so a transposed result cannot pass
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  std::vector<Finding> fs;
  nlohmann::json per_gpu = nlohmann::json::array();
  // cuBLAS ships with the CUDA release of the same major and has no kernels for what it dropped
  // (cuBLAS 13: compute capability < 7.5, e.g. V100): say that rather than blame the driver.
  const int cublas_major = cuda_major_of(cb.probe.version);
  auto dropped = [&](const GpuInfo& g) {
    return cublas_major > 0 && g.cc_major * 10 + g.cc_minor < min_cc_for_cuda_major(cublas_major);
  };
  auto arch_hint = [&](const GpuInfo& g) {
    const std::string who = gpus_of_cc(g.cc_major, g.cc_minor);
    return "cuBLAS " + std::to_string(cublas_major) + " does not support compute capability " +
           std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor) + (who.empty() ? "" : " (" + who + ")") +
           ": use an image of an older CUDA major (see the arch check)";
  };
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    GPUPROBE_CUDA_CALL(cudaSetDevice(g.index));
    CublasHandle h(cb.destroy);  // destroyed also when run_gemm throws (a CUDA error)
    const cublasStatus_t st = cb.create(h.out());
    if (st != CUBLAS_STATUS_SUCCESS) {
      fs.push_back({Status::fail, "cublas_init", gpu_label(g) + ": cublasCreate failed: " + cb.status(st),
                    dropped(g) ? arch_hint(g) : "cuBLAS and the driver may not match: check the compat check"});
      continue;
    }
    const int half_kind = g.cc_major >= 8 ? CUDA_R_16BF : CUDA_R_16F;
    const char* half_name = g.cc_major >= 8 ? "BF16" : "FP16";
    const GemmOutcome f32 = run_gemm(cb, h.get(), m, n, k, 0, fp32_tol);
    // Tensor cores accumulate in FP32 but may round intermediate sums: 2e-3 of sum|a*b| still
    // catches any wrong element (those are off by O(1)).
    const GemmOutcome f16 = run_gemm(cb, h.get(), m, n, k, half_kind, 2e-3);
    for (const auto* o : {&f32, &f16}) {
      const std::string what = o == &f32 ? "FP32 SGEMM" : std::string(half_name) + " GEMM (tensor cores)";
      if (!o->error.empty())
        fs.push_back({Status::fail, "cublas_error", gpu_label(g) + ": " + what + " failed: " + o->error,
                      dropped(g) ? arch_hint(g) : ""});
      else if (!o->verify.ok())
        fs.push_back({Status::fail, "wrong_result", gpu_label(g) + ": " + what + ": " + o->verify.summary(),
                      "a GPU or library that computes wrong GEMMs must not be used: check memory and ECC"});
    }
    per_gpu.push_back({{"index", g.index},
                       {"fp32_max_rel_err", f32.verify.max_rel_err},
                       {"half_type", half_name},
                       {"half_max_rel_err", f16.verify.max_rel_err}});
  }
  char ok[160];
  std::snprintf(ok, sizeof ok, "cuBLAS %s: FP32 and %s %dx%dx%d GEMMs match the CPU reference on every GPU",
                cb.probe.version.c_str(), ctx.gpus().front().cc_major >= 8 ? "BF16" : "FP16", m, n, k);
  warn_if_off_loader_path(fs, "cuBLAS " + cb.probe.version, soname, cb.probe.lib, ctx.system());
  const std::string note = library_source_note(cb.probe.lib, ctx.system());
  CheckResult r = from_findings(fs, note.empty() ? std::string(ok) : std::string(ok) + " (" + note + ")");
  r.measured = cb.probe.version;
  r.details["gpus"] = per_gpu;
  record_library_source(r, cb.probe.lib.source(), cb.probe.lib.found_in());
  return r;
}

}  // namespace gpuprobe::checks
