// Convolution benchmarks: cuDNN forward (NHWC, the fastest direct-product algorithm cudnnFind
// measures; FP32 with FMA math so it is the same arithmetic as the hand-written FP32 kernels,
// FP16/BF16 with tensor cores) and the hand-written direct and implicit-GEMM kernels of
// kernels/conv.hpp. Verified by recomputing sampled outputs (and checking every output is finite)
// on the CPU in float64.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "conv_rules.hpp"
#include "device_util.hpp"
#include "gpuprobe/bench/reference.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/kernels/conv.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench::gpu {
namespace {

using kernels::Elem;

Elem elem_of(Dtype d) { return d == Dtype::fp16 ? Elem::f16 : d == Dtype::bf16 ? Elem::bf16 : Elem::f32; }

constexpr std::size_t kSampledOutputs = 4096;

class ConvBase : public Workload {
 public:
  ConvBase(const GpuInfo& gpu, const BenchSpec& spec) : spec_(spec), sh_(spec.conv), e_(elem_of(*spec.dtype)),
                                                         work_(gpu.l2_cache_bytes) {
    if (!sh_.valid()) throw Skip("invalid convolution shape");
    const std::size_t es = kernels::elem_size(e_);
    require_free_memory((sh_.x_elems() + sh_.w_elems() + sh_.y_elems()) * es, spec.name());
    x_ = DeviceBuffer(sh_.x_elems() * es);
    w_ = DeviceBuffer(sh_.w_elems() * es);
    y_ = DeviceBuffer(sh_.y_elems() * es);
    seed_x_ = fresh_seed();
    seed_w_ = fresh_seed();
    GPUPROBE_CUDA_CALL(kernels::fill_random(x_.get(), sh_.x_elems(), e_, seed_x_, stream()));
    GPUPROBE_CUDA_CALL(kernels::fill_random(w_.get(), sh_.w_elems(), e_, seed_w_, stream()));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(stream()));
  }

  double run() override {
    return work_.timed_run(y_, [this] { enqueue(); });
  }

  Verification verify() override {
    const std::vector<float> x = regenerate(e_, seed_x_, sh_.x_elems());
    const std::vector<float> w = regenerate(e_, seed_w_, sh_.w_elems());
    const std::vector<float> y = read_back_as_float(y_, e_);
    const std::size_t n_out = y.size();
    for (std::size_t i = 0; i < n_out; ++i)
      if (!std::isfinite(y[i]))
        return {false, "output " + std::to_string(i) + " of " + std::to_string(n_out) +
                           " is NaN/Inf (never written, or overflow)"};
    // Sampled outputs: the first and the last, then random ones.
    std::mt19937_64 rng(fresh_seed());
    std::vector<std::size_t> picks = {0, n_out - 1};
    for (std::size_t i = 0; i < kSampledOutputs && i < n_out; ++i) picks.push_back(rng() % n_out);
    const int P = sh_.p(), Q = sh_.q(), terms = sh_.r * sh_.s * sh_.c;
    const Precision prec = precision_for(*spec_.dtype, true);
    double worst = 0;
    std::size_t worst_i = 0;
    for (std::size_t idx : picks) {
      const int k = static_cast<int>(idx % sh_.k);
      const std::size_t pix = idx / sh_.k;
      const int q = static_cast<int>(pix % Q), p = static_cast<int>((pix / Q) % P), n = static_cast<int>(pix / Q / P);
      const RefValue ref = conv_nhwc_at(sh_, x.data(), w.data(), n, p, q, k);
      const double ratio = std::fabs(static_cast<double>(y[idx]) - ref.value) / dot_tolerance(ref, terms, prec);
      if (ratio > worst) worst = ratio, worst_i = idx;
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "%zu sampled outputs of %zu: worst (index %zu) at %.3g of tolerance%s",
                  picks.size(), n_out, worst_i, worst, worst <= 1 ? "" : ": WRONG");
    return {worst <= 1.0, buf};
  }

 protected:
  virtual void enqueue() = 0;
  cudaStream_t stream() const { return work_.stream(); }
  BenchSpec spec_;
  ConvShape sh_;  // of NHWC data
  Elem e_;
  TimedWork work_;
  DeviceBuffer x_, w_, y_;
  std::uint64_t seed_x_ = 0, seed_w_ = 0;
};

class HandConv : public ConvBase {
 public:
  HandConv(const GpuInfo& gpu, const BenchSpec& spec, kernels::Conv kind) : ConvBase(gpu, spec), kind_(kind) {}

 protected:
  void enqueue() override {
    GPUPROBE_CUDA_CALL(kernels::conv2d(kind_, sh_, x_.as<float>(), w_.as<float>(), y_.as<float>(), stream()));
  }

 private:
  kernels::Conv kind_;
};

class CudnnConv : public ConvBase {
 public:
  CudnnConv(const GpuInfo& gpu, const BenchSpec& spec)
      : ConvBase(gpu, spec), dnn_(cudnn_lib()), h_(dnn_.destroy), xd_(dnn_.destroy_tensor), yd_(dnn_.destroy_tensor),
        wd_(dnn_.destroy_filter), cd_(dnn_.destroy_conv) {
    // Every handle and descriptor is owned by a member: a Skip or error below frees them.
    if (!dnn_.probe.usable()) throw Skip("cuDNN unusable: " + dnn_.probe.missing);
    check(dnn_.create(h_.out()), "cudnnCreate");
    check(dnn_.set_stream(h_.get(), stream()), "cudnnSetStream");
    dt_ = e_ == Elem::f16 ? CUDNN_DATA_HALF : e_ == Elem::bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    check(dnn_.create_tensor(xd_.out()), "x descriptor");
    check(dnn_.create_tensor(yd_.out()), "y descriptor");
    check(dnn_.create_filter(wd_.out()), "filter descriptor");
    check(dnn_.create_conv(cd_.out()), "convolution descriptor");
    check(dnn_.set_tensor(xd_.get(), CUDNN_TENSOR_NHWC, dt_, sh_.n, sh_.c, sh_.h, sh_.w), "cudnnSetTensor4dDescriptor(x)");
    check(dnn_.set_filter(wd_.get(), dt_, CUDNN_TENSOR_NHWC, sh_.k, sh_.c, sh_.r, sh_.s), "cudnnSetFilter4dDescriptor");
    check(dnn_.set_conv(cd_.get(), sh_.pad_h, sh_.pad_w, sh_.stride_h, sh_.stride_w, sh_.dil_h, sh_.dil_w,
                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
          "cudnnSetConvolution2dDescriptor");
    // FP32: plain FMA math (TF32 would be another dtype); FP16/BF16: tensor cores. Find may still
    // return pairs with another math type; the one chosen is set on the descriptor below.
    check(dnn_.set_math(cd_.get(), e_ == Elem::f32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH), "cudnnSetConvolutionMathType");
    int on = 0, ok = 0, op = 0, oq = 0;
    check(dnn_.output_dim(cd_.get(), xd_.get(), wd_.get(), &on, &ok, &op, &oq), "cudnnGetConvolution2dForwardOutputDim");
    if (on != sh_.n || ok != sh_.k || op != sh_.p() || oq != sh_.q())
      throw std::runtime_error("cuDNN computes an output of " + std::to_string(op) + "x" + std::to_string(oq) +
                               ", gpuprobe " + std::to_string(sh_.p()) + "x" + std::to_string(sh_.q()));
    check(dnn_.set_tensor(yd_.get(), CUDNN_TENSOR_NHWC, dt_, sh_.n, sh_.k, op, oq), "cudnnSetTensor4dDescriptor(y)");
    // Let cuDNN measure its algorithms with up to 256 MiB of workspace; keep the fastest acceptable.
    std::size_t free_b = 0, total_b = 0;
    GPUPROBE_CUDA_CALL(cudaMemGetInfo(&free_b, &total_b));
    const std::size_t ws_limit = std::min<std::size_t>(256u << 20, free_b / 4);
    DeviceBuffer find_ws(ws_limit);
    // Each algorithm can come back once per math type: ask for all of them.
    int max_count = 0;
    check(dnn_.algo_max_count(h_.get(), &max_count), "cudnnGetConvolutionForwardAlgorithmMaxCount");
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(max_count, 2 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT));
    int returned = 0;
    check(dnn_.find_algo(h_.get(), xd_.get(), x_.get(), wd_.get(), w_.get(), cd_.get(), yd_.get(), y_.get(),
                         static_cast<int>(perf.size()), &returned, perf.data(), find_ws.get(), ws_limit),
          "cudnnFindConvolutionForwardAlgorithmEx");
    find_ws.reset();
    rules_ = bench_conv_algo_rules(dt_, ws_limit);
    const ConvAlgoChoice choice = choose_conv_fwd_algo(perf.data(), returned, rules_,
                                                       [this](cudnnStatus_t st) { return dnn_.status(st); });
    for (int i = 0; i < returned; ++i)
      find_results_.push_back({{"algorithm", cudnn_algo_name(perf[i].algo)},
                               {"math", cudnn_math_name(perf[i].mathType)},
                               {"ms", perf[i].time},
                               {"workspace_bytes", perf[i].memory},
                               {"verdict", i == choice.index ? "chosen" : choice.verdicts[i].empty() ? "usable, slower"
                                                                                                      : choice.verdicts[i]}});
    if (choice.index < 0)
      throw Skip("cuDNN offers no forward algorithm gpuprobe can time and verify for this convolution: " +
                 choice.summary(perf.data()));
    const cudnnConvolutionFwdAlgoPerf_t& best = perf[choice.index];
    algo_ = best.algo;
    math_ = best.mathType;
    find_ms_ = best.time;
    // Run exactly the pair Find measured: its math type on the descriptor (else cuDNN may run another
    // kernel), and a workspace for that pair as cuDNN sizes it now, at least what Find reported.
    check(dnn_.set_math(cd_.get(), math_), "cudnnSetConvolutionMathType(chosen)");
    std::size_t need = 0;
    check(dnn_.workspace_size(h_.get(), xd_.get(), wd_.get(), cd_.get(), yd_.get(), algo_, &need),
          "cudnnGetConvolutionForwardWorkspaceSize");
    ws_bytes_ = std::max(need, best.memory);
    if (ws_bytes_) ws_ = DeviceBuffer(ws_bytes_);
  }
  nlohmann::json details() const override {
    return {{"library", "cuDNN " + dnn_.probe.version},
            {"algorithm", cudnn_algo_name(algo_)},
            {"math_type", cudnn_math_name(math_)},
            {"tensor_ops", math_ != CUDNN_FMA_MATH && math_ != CUDNN_DEFAULT_MATH},
            {"workspace_bytes", ws_bytes_},
            {"find_ms", find_ms_},
            {"algorithm_rule", "of cudnnFindConvolutionForwardAlgorithmEx's results: " + rules_.describe()},
            {"find_results", find_results_}};
  }

 protected:
  void enqueue() override {
    const float one = 1.0f, zero = 0.0f;
    check(dnn_.forward(h_.get(), &one, xd_.get(), x_.get(), wd_.get(), w_.get(), cd_.get(), algo_, ws_.get(), ws_bytes_,
                       &zero, yd_.get(), y_.get()),
          "cudnnConvolutionForward");
  }

 private:
  void check(cudnnStatus_t st, const char* what) const {
    if (st == CUDNN_STATUS_SUCCESS) return;
    const std::string hint = cudnn_status_hint(st);
    const std::string msg = std::string(what) + ": " + dnn_.status(st) + (hint.empty() ? "" : " (" + hint + ")");
    if (cudnn_not_supported(st)) throw Skip(msg);
    throw std::runtime_error(msg);
  }
  const Cudnn& dnn_;
  DeviceBuffer ws_;  // declared before the handle: freed after cudnnDestroy
  // Destroyed in reverse order: the descriptors, then the handle (before ConvBase's stream).
  CudnnHandle h_;
  CudnnTensorDesc xd_, yd_;
  CudnnFilterDesc wd_;
  CudnnConvDesc cd_;
  cudnnDataType_t dt_ = CUDNN_DATA_FLOAT;
  ConvAlgoRules rules_;
  cudnnConvolutionFwdAlgo_t algo_{};
  cudnnMathType_t math_{};
  float find_ms_ = 0;
  std::size_t ws_bytes_ = 0;
  nlohmann::json find_results_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Workload> make_conv(const GpuInfo& gpu, const BenchSpec& spec) {
  if (!spec.dtype) throw Skip("a convolution benchmark without a dtype");
  if (*spec.dtype == Dtype::bf16) require_cc(gpu, 8, 0, spec.name());
  if (spec.impl == "cudnn") return std::make_unique<CudnnConv>(gpu, spec);
  for (kernels::Conv k : kernels::kConvKernels)
    if (spec.impl == kernels::to_string(k)) return std::make_unique<HandConv>(gpu, spec, k);
  return nullptr;
}

}  // namespace gpuprobe::bench::gpu
