// Check 10: cuDNN present (loaded at run time, never linked), and on every GPU a convolution forward
// (the algorithm cuDNN picks) verified element-wise against a float64 CPU reference.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe::checks {
namespace {

#define GPUPROBE_CUDNN_TRY(expr)                                              \
  do {                                                                        \
    const cudnnStatus_t st_ = (expr);                                         \
    if (st_ != CUDNN_STATUS_SUCCESS) return std::string(#expr).substr(0, std::string(#expr).find('(')) + ": " + dnn.status(st_) + hint_of(st_); \
  } while (0)

std::string hint_of(cudnnStatus_t st) {
  const std::string h = cudnn_status_hint(st);
  return h.empty() ? "" : " (" + h + ")";
}

// Runs one convolution; returns an error string, or "" with `verify` filled.
std::string run_conv(const Cudnn& dnn, cudnnHandle_t h, const ConvShape& sh, VerifyResult& verify) {
  const std::uint64_t seed = fresh_seed();
  const auto x = random_floats(static_cast<std::size_t>(sh.n) * sh.c * sh.h * sh.w, seed);
  const auto w = random_floats(static_cast<std::size_t>(sh.k) * sh.c * sh.r * sh.s, seed + 7);
  cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
  cudnnFilterDescriptor_t wd = nullptr;
  cudnnConvolutionDescriptor_t cd = nullptr;
  void *dx = nullptr, *dw = nullptr, *dy = nullptr, *ws = nullptr;
  struct Cleanup {
    const Cudnn& d;
    cudnnTensorDescriptor_t& xd;
    cudnnTensorDescriptor_t& yd;
    cudnnFilterDescriptor_t& wd;
    cudnnConvolutionDescriptor_t& cd;
    void*& dx; void*& dw; void*& dy; void*& ws;
    ~Cleanup() {
      if (xd) d.destroy_tensor(xd);
      if (yd) d.destroy_tensor(yd);
      if (wd) d.destroy_filter(wd);
      if (cd) d.destroy_conv(cd);
      for (void* p : {dx, dw, dy, ws}) GPUPROBE_CUDA_CALL_NOEXCEPT(cudaFree(p));
    }
  } cleanup{dnn, xd, yd, wd, cd, dx, dw, dy, ws};
  GPUPROBE_CUDNN_TRY(dnn.create_tensor(&xd));
  GPUPROBE_CUDNN_TRY(dnn.create_tensor(&yd));
  GPUPROBE_CUDNN_TRY(dnn.create_filter(&wd));
  GPUPROBE_CUDNN_TRY(dnn.create_conv(&cd));
  GPUPROBE_CUDNN_TRY(dnn.set_tensor(xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, sh.n, sh.c, sh.h, sh.w));
  GPUPROBE_CUDNN_TRY(dnn.set_filter(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, sh.k, sh.c, sh.r, sh.s));
  GPUPROBE_CUDNN_TRY(dnn.set_conv(cd, sh.pad_h, sh.pad_w, sh.stride_h, sh.stride_w, sh.dil_h, sh.dil_w,
                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  int on = 0, ok = 0, op = 0, oq = 0;
  GPUPROBE_CUDNN_TRY(dnn.output_dim(cd, xd, wd, &on, &ok, &op, &oq));
  if (on != sh.n || ok != sh.k || op != sh.p() || oq != sh.q())
    return "cuDNN computes output " + std::to_string(op) + "x" + std::to_string(oq) + ", expected " +
           std::to_string(sh.p()) + "x" + std::to_string(sh.q());
  GPUPROBE_CUDNN_TRY(dnn.set_tensor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, on, ok, op, oq));
  int max_count = 0;
  GPUPROBE_CUDNN_TRY(dnn.algo_max_count(h, &max_count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(max_count, 2 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT));
  int returned = 0;
  GPUPROBE_CUDNN_TRY(dnn.get_algo(h, xd, wd, cd, yd, static_cast<int>(perf.size()), &returned, perf.data()));
  // The heuristic's first entry that cuDNN can run, with the math type it was ranked for (each
  // algorithm can be listed once per math type; the descriptor must say which one runs).
  const ConvAlgoChoice choice = choose_conv_fwd_algo(perf.data(), returned, ConvAlgoRules{},
                                                     [&dnn](cudnnStatus_t st) { return dnn.status(st); });
  if (choice.index < 0) return "cuDNN offers no forward algorithm for this convolution: " + choice.summary(perf.data());
  const cudnnConvolutionFwdAlgo_t algo = perf[choice.index].algo;
  GPUPROBE_CUDNN_TRY(dnn.set_math(cd, perf[choice.index].mathType));
  std::size_t ws_bytes = 0;
  GPUPROBE_CUDNN_TRY(dnn.workspace_size(h, xd, wd, cd, yd, algo, &ws_bytes));
  const std::size_t y_elems = static_cast<std::size_t>(on) * ok * op * oq;
  GPUPROBE_CUDA_CALL(cudaMalloc(&dx, x.size() * 4));
  GPUPROBE_CUDA_CALL(cudaMalloc(&dw, w.size() * 4));
  GPUPROBE_CUDA_CALL(cudaMalloc(&dy, y_elems * 4));
  if (ws_bytes) GPUPROBE_CUDA_CALL(cudaMalloc(&ws, ws_bytes));
  GPUPROBE_CUDA_CALL(cudaMemcpy(dx, x.data(), x.size() * 4, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemcpy(dw, w.data(), w.size() * 4, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemset(dy, 0xff, y_elems * 4));  // NaN poison
  const float alpha = 1.0f, beta = 0.0f;
  GPUPROBE_CUDNN_TRY(dnn.forward(h, &alpha, xd, dx, wd, dw, cd, algo, ws, ws_bytes, &beta, yd, dy));
  std::vector<float> y(y_elems);
  GPUPROBE_CUDA_CALL(cudaMemcpy(y.data(), dy, y_elems * 4, cudaMemcpyDeviceToHost));
  std::vector<double> ref, mag;
  conv2d_reference(sh, x, w, ref, mag);
  // cuDNN's default math may use TF32 on cc >= 8.0 for FP32 data: 10-bit mantissas, so allow
  // 2e-3 of sum|x*w|; a wrong element is off by O(1).
  verify = verify_against(y, ref, mag, 2e-3, 1e-6);
  return "";
}

}  // namespace

CheckResult cudnn(ProbeContext& ctx) {
  const bool required = ctx.options().require.count("cudnn") > 0;
  const std::string major = std::to_string(CUDNN_MAJOR);
  const bool container = detect_container(ctx.system()).detected;
  auto missing = [&](const std::string& why) {
    const LibraryAdvice a = cudnn_missing_advice(container);
    auto r = outcome(required ? Status::fail : Status::warn, "missing_library", a.message, a.hint);
    r.measured = why;
    return r;
  };
  // Found, but its sub-libraries (or the engines) do not load or do not match: another message.
  auto incomplete = [&](const std::string& why) {
    const LibraryAdvice a = cudnn_incomplete_advice(container, why);
    auto r = outcome(required ? Status::fail : Status::warn, "missing_library", a.message, a.hint);
    r.measured = why;
    return r;
  };
  const Cudnn& dnn = cudnn_lib();  // the shim, and the graph/ops/cnn sub-libraries (not the engines)
  ctx.sink().with([&](Report& r) {
    r.software.libraries["cudnn"] = dnn.probe.lib.loaded() ? dnn.probe.lib.path() : "missing: " + dnn.probe.missing;
    if (!dnn.probe.version.empty()) r.software.cudnn_version = dnn.probe.version;
  });
  if (!dnn.probe.usable()) return dnn.probe.lib.loaded() ? incomplete(dnn.probe.missing) : missing(dnn.probe.missing);
  if (!ctx.gpus_usable()) {
    // Nothing to compute on. cudnn_lib() has had the shim load libcudnn_graph, _ops and _cnn where it
    // would for a convolution and compare their versions (cudnnCnnVersionCheck, no GPU needed). The
    // convolution kernels live in libcudnn_engines_precompiled, loaded only when a convolution is
    // planned (a quarter of a gigabyte, for nothing here): look for the file where the loader would
    // find it, next to the cuDNN libraries ($ORIGIN) or on the loader's paths.
    const std::string engines = "libcudnn_engines_precompiled.so." + major;
    const std::filesystem::path shim_dir = std::filesystem::path(dnn.probe.lib.path()).parent_path();
    std::error_code ec;
    if (!std::filesystem::exists(shim_dir / engines, ec) && find_library_file(engines, ctx.system()).empty())
      return incomplete(engines + " (cuDNN's convolution kernels) not found next to " + dnn.probe.lib.path() +
                        " nor on the loader's paths");
    const std::string note = library_source_note(dnn.probe.lib, ctx.system());
    auto r = skip("cuDNN " + dnn.probe.version + " present (" + (note.empty() ? dnn.probe.lib.path() : note) +
                      "); no GPU to compute on",
                  "no_gpu");
    r.measured = dnn.probe.version;
    record_library_source(r, dnn.probe.lib.source(), dnn.probe.lib.found_in());
    return r;
  }
  ConvShape sh;
  sh.n = 2, sh.c = 8, sh.h = 15, sh.w = 17, sh.k = 16, sh.r = 3, sh.s = 3, sh.pad_h = 1, sh.pad_w = 1;
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  std::vector<Finding> fs;
  nlohmann::json per_gpu = nlohmann::json::array();
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    GPUPROBE_CUDA_CALL(cudaSetDevice(g.index));
    CudnnHandle h(dnn.destroy);  // destroyed also when run_conv throws (a CUDA error)
    const cudnnStatus_t st = dnn.create(h.out());
    if (st != CUDNN_STATUS_SUCCESS) {
      const std::string hint = cudnn_status_hint(st);
      fs.push_back({Status::fail, "cudnn_init", gpu_label(g) + ": cudnnCreate failed: " + dnn.status(st),
                    !hint.empty() ? hint
                                  : "a cuDNN sub-library may be missing (libcudnn_*.so." + std::to_string(CUDNN_MAJOR) +
                                        "), or cuDNN does not support this GPU/driver"});
      continue;
    }
    VerifyResult v;
    const std::string err = run_conv(dnn, h.get(), sh, v);
    h.reset();
    if (!err.empty())
      fs.push_back({Status::fail, "cudnn_error", gpu_label(g) + ": convolution failed: " + err, ""});
    else if (!v.ok())
      fs.push_back({Status::fail, "wrong_result", gpu_label(g) + ": convolution: " + v.summary(),
                    "a GPU or library that computes wrong convolutions must not be used: check memory and ECC"});
    per_gpu.push_back({{"index", g.index}, {"max_rel_err", v.max_rel_err}, {"checked", v.checked}});
  }
  char ok[200];
  std::snprintf(ok, sizeof ok, "cuDNN %s: conv %dx%dx%dx%d * %dx%dx3x3 (pad 1) matches the CPU reference on every GPU",
                dnn.probe.version.c_str(), sh.n, sh.c, sh.h, sh.w, sh.k, sh.c);
  warn_if_off_loader_path(fs, "cuDNN " + dnn.probe.version, "libcudnn.so.9", dnn.probe.lib, ctx.system());
  const std::string note = library_source_note(dnn.probe.lib, ctx.system());
  CheckResult r = from_findings(fs, note.empty() ? std::string(ok) : std::string(ok) + " (" + note + ")");
  r.measured = dnn.probe.version;
  r.details["gpus"] = per_gpu;
  record_library_source(r, dnn.probe.lib.source(), dnn.probe.lib.found_in());
  return r;
}

}  // namespace gpuprobe::checks
