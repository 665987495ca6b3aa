// Check 10: cuDNN present (loaded at run time, never linked), and on every GPU a convolution forward
// (the algorithm cuDNN picks) verified element-wise against a float64 CPU reference.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"
#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe::checks {
namespace {

// A step of run_conv that did not succeed, worded for the check's finding: a cuDNN call with its
// status ("dnn.forward: CUDNN_STATUS_... (hint)"), or what cuDNN answered that gpuprobe cannot use.
struct ConvFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws ConvFailed naming `call` unless `st` is success.
void require(const Cudnn& dnn, cudnnStatus_t st, const char* call) {
  if (st == CUDNN_STATUS_SUCCESS) return;
  const std::string hint = cudnn_status_hint(st);
  throw ConvFailed(std::string(call) + ": " + dnn.status(st) + (hint.empty() ? "" : " (" + hint + ")"));
}

// Runs one convolution and verifies it. Throws ConvFailed for a cuDNN step that failed, CudaError
// (or AllocationFailed) for the CUDA runtime's; the owners free what was made either way.
VerifyResult run_conv(const Cudnn& dnn, cudnnHandle_t h, const ConvShape& sh) {
  const std::uint64_t seed = fresh_seed();
  const auto x = random_floats(static_cast<std::size_t>(sh.n) * sh.c * sh.h * sh.w, seed);
  const auto w = random_floats(static_cast<std::size_t>(sh.k) * sh.c * sh.r * sh.s, seed + 7);
  CudnnTensorDesc xd(dnn.destroy_tensor), yd(dnn.destroy_tensor);
  CudnnFilterDesc wd(dnn.destroy_filter);
  CudnnConvDesc cd(dnn.destroy_conv);
  require(dnn, dnn.create_tensor(xd.out()), "dnn.create_tensor");
  require(dnn, dnn.create_tensor(yd.out()), "dnn.create_tensor");
  require(dnn, dnn.create_filter(wd.out()), "dnn.create_filter");
  require(dnn, dnn.create_conv(cd.out()), "dnn.create_conv");
  require(dnn, dnn.set_tensor(xd.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, sh.n, sh.c, sh.h, sh.w), "dnn.set_tensor");
  require(dnn, dnn.set_filter(wd.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, sh.k, sh.c, sh.r, sh.s), "dnn.set_filter");
  require(dnn,
          dnn.set_conv(cd.get(), sh.pad_h, sh.pad_w, sh.stride_h, sh.stride_w, sh.dil_h, sh.dil_w,
                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
          "dnn.set_conv");
  int on = 0, ok = 0, op = 0, oq = 0;
  require(dnn, dnn.output_dim(cd.get(), xd.get(), wd.get(), &on, &ok, &op, &oq), "dnn.output_dim");
  if (on != sh.n || ok != sh.k || op != sh.p() || oq != sh.q())
    throw ConvFailed("cuDNN computes output " + std::to_string(op) + "x" + std::to_string(oq) + ", expected " +
                     std::to_string(sh.p()) + "x" + std::to_string(sh.q()));
  require(dnn, dnn.set_tensor(yd.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, on, ok, op, oq), "dnn.set_tensor");
  int max_count = 0;
  require(dnn, dnn.algo_max_count(h, &max_count), "dnn.algo_max_count");
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(max_count, 2 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT));
  int returned = 0;
  require(dnn, dnn.get_algo(h, xd.get(), wd.get(), cd.get(), yd.get(), static_cast<int>(perf.size()), &returned, perf.data()),
          "dnn.get_algo");
  // The heuristic's first entry that cuDNN can run, with the math type it was ranked for (each
  // algorithm can be listed once per math type; the descriptor must say which one runs).
  const ConvAlgoChoice choice = choose_conv_fwd_algo(perf.data(), returned, ConvAlgoRules{},
                                                     [&dnn](cudnnStatus_t st) { return dnn.status(st); });
  if (choice.index < 0)
    throw ConvFailed("cuDNN offers no forward algorithm for this convolution: " + choice.summary(perf.data()));
  const cudnnConvolutionFwdAlgo_t algo = perf[choice.index].algo;
  require(dnn, dnn.set_math(cd.get(), perf[choice.index].mathType), "dnn.set_math");
  std::size_t ws_bytes = 0;
  require(dnn, dnn.workspace_size(h, xd.get(), wd.get(), cd.get(), yd.get(), algo, &ws_bytes), "dnn.workspace_size");
  const std::size_t y_elems = static_cast<std::size_t>(on) * ok * op * oq;
  DeviceBuffer dx(x.size() * 4), dw(w.size() * 4), dy(y_elems * 4), ws;
  if (ws_bytes) ws = DeviceBuffer(ws_bytes);
  GPUPROBE_CUDA_CALL(cudaMemcpy(dx.get(), x.data(), x.size() * 4, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemcpy(dw.get(), w.data(), w.size() * 4, cudaMemcpyHostToDevice));
  GPUPROBE_CUDA_CALL(cudaMemset(dy.get(), 0xff, y_elems * 4));  // NaN poison
  const float alpha = 1.0f, beta = 0.0f;
  require(dnn,
          dnn.forward(h, &alpha, xd.get(), dx.get(), wd.get(), dw.get(), cd.get(), algo, ws.get(), ws_bytes, &beta,
                      yd.get(), dy.get()),
          "dnn.forward");
  std::vector<float> y(y_elems);
  GPUPROBE_CUDA_CALL(cudaMemcpy(y.data(), dy.get(), y_elems * 4, cudaMemcpyDeviceToHost));
  std::vector<double> ref, mag;
  conv2d_reference(sh, x, w, ref, mag);
  // cuDNN's default math may use TF32 on cc >= 8.0 for FP32 data: 10-bit mantissas, so allow
  // 2e-3 of sum|x*w|; a wrong element is off by O(1).
  return verify_against(y, ref, mag, 2e-3, 1e-6);
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
  ctx.report().with([&](Report& r) {
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
    std::string err;
    try {
      v = run_conv(dnn, h.get(), sh);
    } catch (const ConvFailed& e) {
      err = e.what();
    }
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
